#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The charge/uncharge fast path takes no lock. On a CONFIG_LOCK_STAT kernel
# (make check-debug), 100,000 charge+uncharge pairs through the C API (the
# benchmark's loop, in a cgroup of depth 2) must not acquire any lock class
# as often as once per 20 pairs; the classes acquired during the loop are
# printed, and the same is shown for dmem. RCU read-side sections, which
# lockdep tracks as rcu_read_lock* "classes" but which never wait, are
# counted apart. Skipped on kernels without lock statistics.
. /lib/drmcg/common.sh

[ -e /proc/lock_stat ] || { echo "no /proc/lock_stat (CONFIG_LOCK_STAT)"; exit 77; }
BENCH=/sys/kernel/debug/drm_cgroup_bench/ctl
[ -e $BENCH ] || fail "no $BENCH (CONFIG_CGROUP_DRM_BENCH)"
N=100000

# Lock classes acquired during the last run, most acquired first:
# "acquisitions class".
acquired() {
	awk '/^ *[^ ].*: +[0-9]/ && !/^ *-/ {
		i = index($0, ": "); name = substr($0, 1, i - 1); sub(/^ +/, "", name)
		split(substr($0, i + 2), f, " ")
		if (f[8] > 0) print f[8], name
	}' /proc/lock_stat | sort -rn
}

echo setup > $BENCH || fail "bench setup"
# Both controllers charge the same cgroup, of depth 2: in the root, the
# cgroup core takes no reference on the css, which would spare dmem the RCU
# sections of taking and dropping one.
echo +dmem > $CG/cgroup.subtree_control || fail "enable dmem"
mkdir -p $CG/ls/a && echo "+drm +dmem" > $CG/ls/cgroup.subtree_control ||
	fail "enable drm and dmem in ls"
echo $$ > $CG/ls/a/cgroup.procs
# Warm up: the first charges create the pools.
echo "charge-drm 100" > $BENCH && echo "charge-dmem 100" > $BENCH || fail "warm-up"

for c in drm dmem; do
	echo 0 > /proc/lock_stat
	echo "charge-$c $N" > $BENCH || fail "charge-$c"
	acquired > /tmp/$c
	echo "lock classes acquired during $N $c charge+uncharge pairs (top 5):"
	head -5 /tmp/$c | sed 's/^/  /'
	[ -s /tmp/$c ] || echo "  none"
done
for c in drm dmem; do
	awk -v n=$N -v c=$c '$2 ~ /^rcu_read_lock/ { r += $1 }
		END { printf "%s: %.1f RCU read-side sections per pair\n", c, r / n }' /tmp/$c
done
# Everything the rest of the system did meanwhile stays far below N / 20.
hot=$(awk -v n=$N '$1 >= n / 20 && $2 !~ /^rcu_read_lock/' /tmp/drm)
[ -z "$hot" ] || fail "locks taken on the drm charge path: $hot"
echo $$ > $CG/cgroup.procs
rmdir $CG/ls/a $CG/ls
echo -dmem > $CG/cgroup.subtree_control
pass "no lock on the charge/uncharge fast path"
