#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The interface files: registration order, formats, defaults, every write
# rule and every bad write (which must change nothing).
. /lib/drmcg/common.sh

ctl() { echo "$*" > $DBG/ctl || fail "ctl: $*"; }
ctl register 0000:03:00.0 vram0 268435456
ctl register 0000:03:00.0 vram1 134217728
ctl register 0000:04:00.0 tile0 1048576
K=0000:03:00.0/vram0
K1=0000:03:00.0/vram1
K2=0000:04:00.0/tile0

# drm.capacity: registration order, sizes.
grep -q "^$K 268435456\$" $CG/drm.capacity || fail "capacity of $K"
expect_eq "$(awk '{print $1}' $CG/drm.capacity | grep -E "^($K|$K1|$K2)\$" | tr '\n' ' ')" \
	"$K $K1 $K2 " "registration order"

mkdir -p $CG/a/b/c
echo +drm > $CG/a/cgroup.subtree_control
echo +drm > $CG/a/b/cgroup.subtree_control
for f in current; do expect_eq "$(field $CG/a/drm.$f $K)" 0 "$f default"; done
expect_eq "$(field $CG/a/drm.min $K)" 0 "min default"
expect_eq "$(field $CG/a/drm.low $K)" 0 "low default"
expect_eq "$(field $CG/a/drm.high $K)" max "high default"
expect_eq "$(field $CG/a/drm.max $K)" max "max default"
expect_eq "$(field $CG/a/drm.peak $K)" 0 "peak default"
expect_eq "$(kv $CG/a/drm.events $K max)" 0 "events default"
expect_eq "$(kv $CG/a/drm.stat $K current)" 0 "stat default"

# Good writes, with suffixes and max.
expect_write $CG/a/drm.max "$K 1G"
expect_eq "$(field $CG/a/drm.max $K)" 1073741824 "max 1G"
expect_eq "$(field $CG/a/drm.max $K1)" max "other region untouched"
expect_write $CG/a/drm.max "$K 512k"
expect_eq "$(field $CG/a/drm.max $K)" 524288 "max 512k"
expect_write $CG/a/drm.max "$K max"
expect_eq "$(field $CG/a/drm.max $K)" max "max max"
expect_write $CG/a/drm.min "$K2 4096"
expect_eq "$(field $CG/a/drm.min $K2)" 4096 "min"
expect_write $CG/a/drm.low "$K2 8K"
expect_eq "$(field $CG/a/drm.low $K2)" 8192 "low"
expect_write $CG/a/drm.high "$K2 1M"
expect_eq "$(field $CG/a/drm.high $K2)" 1048576 "high"
expect_write $CG/a/drm.max "$K 18446744073709551615"
expect_eq "$(field $CG/a/drm.max $K)" max "u64 max prints as max"

# Bad writes: error and nothing changes.
expect_write $CG/a/drm.max "$K 1M"
before=$(cat $CG/a/drm.max)
expect_write_err $CG/a/drm.max "0000:09:00.0/vram0 1M" "No such device"
expect_write_err $CG/a/drm.max "$K" "Invalid argument"
expect_write_err $CG/a/drm.max "$K " "Invalid argument"
expect_write_err $CG/a/drm.max "$K -1" "Invalid argument"
expect_write_err $CG/a/drm.max "$K 1M junk" "Invalid argument"
expect_write_err $CG/a/drm.max "$K 1Q" "Invalid argument"
expect_write_err $CG/a/drm.max "$K 18446744073709551616" "Invalid argument"
expect_write_err $CG/a/drm.max "$K 16E" "Invalid argument"
expect_write_err $CG/a/drm.max "$K 2M
$K1 2M" "Invalid argument"
expect_write_err $CG/a/drm.max "garbage" "Invalid argument"
expect_write_err $CG/a/drm.max "
" "Invalid argument"
expect_eq "$(cat $CG/a/drm.max)" "$before" "bad writes changed drm.max"
expect_write_err $CG/a/drm.current "$K 1" "Permission denied\|Invalid argument"
expect_write_err $CG/a/drm.events "$K 1" "Permission denied\|Invalid argument"

# Every file lists every region, in registration order, in every cgroup.
for f in current min low high max peak events events.local stat; do
	expect_eq "$(awk '{print $1}' $CG/a/b/c/drm.$f | tr '\n' ' ')" "$(awk '{print $1}' $CG/drm.capacity | tr '\n' ' ')" "regions of drm.$f"
done

# Unregistering a region removes its key everywhere.
ctl unregister $K1
grep -q "$K1" $CG/drm.capacity $CG/a/drm.max $CG/a/drm.current && fail "$K1 still listed"
expect_write_err $CG/a/drm.max "$K1 1M" "No such device"
# Removing a cgroup with settings works.
rmdir $CG/a/b/c $CG/a/b $CG/a || fail "rmdir"
ctl unregister $K
ctl unregister $K2
pass "interface files"
