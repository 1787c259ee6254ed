#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench.sh: the drm controller and dmem on identical
# work in the same boot, through /sys/kernel/debug/drm_cgroup_bench/ctl.
# Prints one table row per workload: workload, drm, dmem, and how many times
# better drm is ("gain": dmem/drm for times and memory, drm/dmem for
# throughput; below 1 means dmem is better).
B=/sys/kernel/debug/drm_cgroup_bench/ctl
CG=/sys/fs/cgroup
# Pairs per vCPU in each throughput run (fixed, so that both vCPUs overlap).
TP=${TP:-200000}
# Runs per controller and shape; the median is shown.
TP_RUNS=${TP_RUNS:-5}

fail() { echo "FAIL: $*"; exit 1; }
enable() { echo "+drm +dmem" > "$1/cgroup.subtree_control" || fail "enable in $1"; }
cmd() { echo "$*" > $B || fail "bench command '$*'"; }
last() { dmesg | grep "drmcg_bench: $1" | tail -n1; }
val() { echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
row() { awk -v w="$1" -v a="$2" -v b="$3" -v u="$4" 'BEGIN {
	g = (u == "kps") ? (b > 0 ? a / b : 0) : (a > 0 ? b / a : 0)
	printf "%-50s %10s %10s %7.2f\n", w, a " " u, b " " u, g }'; }
move() { echo $$ > "$1/cgroup.procs" || fail "move to $1"; }

enable $CG
cmd setup
echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), Linux $(uname -r)"
printf "%-50s %10s %10s %7s\n" workload drm dmem gain

# 1. charge + uncharge at depth 1, 2, 4, 8 (a chain of that many cgroups;
# processes may only live in leaves), each loop auto-sized to run at least
# 2 ms per repetition; then the same with min and low set above the usage on
# every level, so that every charge and uncharge republishes the protected
# usage at each level (page_counter's propagate_protected_usage()).
KD=bench:00.0/vram0 KM=bench/vram0
# A first, discarded, run: the first in a boot also pays for QEMU translating
# the code of both controllers.
mkdir $CG/w && move $CG/w && cmd charge && move $CG && rmdir $CG/w
for prot in off on; do
	for d in 1 2 4 8; do
		p=$CG/d$d
		mkdir $p
		i=1
		while [ $i -lt $d ]; do
			enable $p
			mkdir $p/l$i && p=$p/l$i
			i=$((i + 1))
		done
		if [ $prot = on ]; then
			q=$p
			while [ "$q" != $CG ]; do
				for f in min low; do
					echo "$KD 1G" > $q/drm.$f || fail "drm.$f in $q"
					echo "$KM 1G" > $q/dmem.$f || fail "dmem.$f in $q"
				done
				q=${q%/*}
			done
			label="depth $d, min+low set"
		else
			label="depth $d"
		fi
		move $p
		cmd charge
		r=$(last "charge ")
		row "charge+uncharge 4K, $label (ns)" "$(val "$r" drm)" "$(val "$r" dmem)" ns
		move $CG
		q=$p
		while [ "$q" != $CG ]; do rmdir $q; q=${q%/*}; done
	done
done

# 2. The first charge of a (cgroup, region) pair: pool creation.
mkdir $CG/f && enable $CG/f
sd=0 sm=0
for i in $(seq 1 20); do
	mkdir $CG/f/c$i && move $CG/f/c$i && cmd first
	r=$(last "first ")
	sd=$((sd + $(val "$r" drm))) sm=$((sm + $(val "$r" dmem)))
done
move $CG
row "first charge (pool creation), mean of 20 (ns)" $((sd / 20)) $((sm / 20)) ns

# 3. Eviction decisions with the device full, among siblings holding charges.
for n in 10 100 1000; do
	mkdir $CG/e && enable $CG/e && mkdir $CG/e/ev
	for i in $(seq 1 $n); do
		mkdir $CG/e/s$i && move $CG/e/s$i && cmd hold
	done
	move $CG/e/ev
	for w in first last; do
		cmd evict $w
		r=$(last "evict $w of $n ")
		row "evict decision, $n siblings, victim $w (ns)" "$(val "$r" drm)" "$(val "$r" dmem)" ns
	done
	move $CG
	cmd release
	for i in $(seq 1 $n); do rmdir $CG/e/s$i; done
	rmdir $CG/e/ev $CG/e
done

# 4. Throughput from 2 vCPUs, into sibling cgroups and into one cgroup: the
# median of TP_RUNS runs per controller and shape, the controllers taking
# turns so that a drift of the host's speed hits both alike.
mkdir $CG/t && enable $CG/t && mkdir $CG/t/a $CG/t/b
M=$TP
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for shape in siblings shared; do
	second=$CG/t/b
	[ $shape = shared ] && second=$CG/t/a
	tp_drm= tp_dmem=
	for run in $(seq 1 $TP_RUNS); do
		for ctl in drm dmem; do
			sh -c "echo \$\$ > $CG/t/a/cgroup.procs && echo charge-$ctl $M > $B" &
			sh -c "echo \$\$ > $second/cgroup.procs && echo charge-$ctl $M > $B" &
			wait
			ns=$(dmesg | grep "drmcg_bench: charge-$ctl " | tail -n2 |
				sed -n 's/.* ns=\([0-9]*\).*/\1/p' | sort -n | tail -n1)
			# pairs per millisecond = thousands of pairs per second
			eval "tp_$ctl=\"\$tp_$ctl $((2 * M * 1000000 / ns))\""
		done
	done
	eval "tp_drm_$shape=$(echo $tp_drm | median) tp_dmem_$shape=$(echo $tp_dmem | median)"
done
row "throughput, 2 vCPUs, sibling cgroups (k pairs/s)" $tp_drm_siblings $tp_dmem_siblings kps
row "throughput, 2 vCPUs, one cgroup (k pairs/s)" $tp_drm_shared $tp_dmem_shared kps
rmdir $CG/t/a $CG/t/b $CG/t

# 5. Kernel memory per (cgroup, region) pool: the objects that the slab caches
# gained over 1000 pools (objects times object size, from /proc/slabinfo),
# counting only the caches that gained at least one object per two pools:
# the others move with whatever else the system does meanwhile (the shell),
# by a few objects either way. Unlike the free memory or the slab pages, this
# does not depend on how full the slabs were left by the tests above. No
# cache is dropped: the cgroups' kernfs inodes would then be created again by
# whichever loop walks into them first.
snap() {
	# Flush the per-CPU slabs to the node lists, where /proc/slabinfo
	# counts their free objects; otherwise they count as allocated.
	for f in /sys/kernel/slab/*/shrink; do echo 1 > "$f"; done 2>/dev/null
	awk 'NR > 2 { print $1, $2, $4 }' /proc/slabinfo > "$1"; }
grown() { awk 'FNR == NR { n[$1] = $2; next }
	{ d = $2 - n[$1]; if (d >= 500) s += d * $3 } END { printf "%d\n", s / 1000 }' "$1" "$2"; }
# Which caches those were: name +objects x object size.
caches() { awk 'FNR == NR { n[$1] = $2; next }
	{ d = $2 - n[$1]; if (d >= 500) printf " %s +%d x %d B", $1, d, $3 } END { print "" }' "$1" "$2"; }
mkdir $CG/m && enable $CG/m
for i in $(seq 1 1000); do mkdir $CG/m/c$i; done
# The first entry of a task into a cgroup allocates in the cgroup core
# (css_set links) whichever controller charges: pay for it before measuring,
# or the first controller measured is charged for it.
for i in $(seq 1 1000); do move $CG/m/c$i; done
move $CG
snap /tmp/slab0
for i in $(seq 1 1000); do move $CG/m/c$i; echo charge-drm 1 > $B; done
move $CG
snap /tmp/slab1
for i in $(seq 1 1000); do move $CG/m/c$i; echo charge-dmem 1 > $B; done
move $CG
snap /tmp/slab2
row "kernel memory per pool, slab objects (bytes)" $(grown /tmp/slab0 /tmp/slab1) $(grown /tmp/slab1 /tmp/slab2) B
echo "  drm:$(caches /tmp/slab0 /tmp/slab1)"
echo "  dmem:$(caches /tmp/slab1 /tmp/slab2)"
for i in $(seq 1 1000); do rmdir $CG/m/c$i; done
rmdir $CG/m
echo "ok: bench"
