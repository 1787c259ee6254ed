#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Charging through the driver API (test interface): hierarchical current,
# max in a 3-level tree, events, pinning, eviction statistics, reclaim when
# max is lowered, reset on removal, unregister with charges outstanding.
. /lib/drmcg/common.sh

ctl() { echo "$*" > $DBG/ctl; }
M=1048576
ctl register 0000:05:00.0 vram0 $((64 * M)) || fail register
K=0000:05:00.0/vram0
mkdir -p $CG/A/B/C $CG/A/D
echo +drm > $CG/A/cgroup.subtree_control
echo +drm > $CG/A/B/cgroup.subtree_control
root_before=$(field $CG/drm.current $K)

expect_write $CG/A/drm.max "$K 8M"
in_cgroup $CG/A/B/C sh -c "echo charge $K $((4 * M)) > $DBG/ctl" || fail "charge 4M in C"
for c in A A/B A/B/C; do expect_eq "$(field $CG/$c/drm.current $K)" $((4 * M)) "current of $c"; done
expect_eq "$(field $CG/drm.current $K)" $((root_before + 4 * M)) "root current"
expect_eq "$(field $CG/A/D/drm.current $K)" 0 "sibling current"

# A refused charge changes nothing and counts a max event at the limit.
if in_cgroup $CG/A/D sh -c "echo charge $K $((5 * M)) > $DBG/ctl" 2>/tmp/err; then
	fail "charge over A's max succeeded"
fi
grep -q "No space left" /tmp/err || fail "refused charge: $(cat /tmp/err)"
expect_eq "$(field $CG/A/drm.current $K)" $((4 * M)) "current after refused charge"
expect_eq "$(field $CG/A/D/drm.current $K)" 0 "D current after refused charge"
expect_eq "$(kv $CG/A/drm.events $K max)" 1 "A events max"
expect_eq "$(kv $CG/A/drm.events.local $K max)" 1 "A events.local max"
expect_eq "$(kv $CG/A/D/drm.events $K max)" 0 "D events max"
# Exactly at max is allowed.
in_cgroup $CG/A/D sh -c "echo charge $K $((4 * M)) > $DBG/ctl" || fail "charge up to max"
expect_eq "$(field $CG/A/drm.current $K)" $((8 * M)) "A at max"
in_cgroup $CG/A/D sh -c "echo charge $K 1 > $DBG/ctl" 2>/dev/null && fail "1 byte over max"
in_cgroup $CG/A/D sh -c "echo uncharge $K $((4 * M)) > $DBG/ctl" || fail "uncharge D"
expect_eq "$(kv $CG/A/drm.events $K max)" 2 "A events max after second refusal"

# high: a charge above it succeeds and counts high events up the tree.
expect_write $CG/A/B/drm.high "$K 5M"
in_cgroup $CG/A/B/C sh -c "echo charge $K $((2 * M)) > $DBG/ctl" || fail "charge over high"
expect_eq "$(kv $CG/A/B/drm.events.local $K high)" 1 "B high event"
expect_eq "$(kv $CG/A/drm.events $K high)" 1 "A hierarchical high event"
expect_eq "$(kv $CG/A/drm.events.local $K high)" 0 "A local high event"
expect_write $CG/A/B/drm.high "$K max"

# Pinning shows in stat and survives reclaim.
in_cgroup $CG/A/B/C sh -c "echo pin $K $M > $DBG/ctl" || fail "pin"
expect_eq "$(kv $CG/A/B/C/drm.stat $K pinned)" $M "C pinned"
expect_eq "$(kv $CG/A/drm.stat $K pinned)" $M "A pinned"
expect_eq "$(kv $CG/A/B/C/drm.stat $K current)" $((6 * M)) "C stat current"
expect_eq "$(kv $CG/A/B/C/drm.stat $K peak)" $((6 * M)) "C stat peak"

# Lowering max below usage reclaims through the driver (blocking write).
expect_write $CG/A/B/drm.max "$K 2M"
expect_eq "$(field $CG/A/B/drm.max $K)" $((2 * M)) "B max"
expect_eq "$(field $CG/A/B/C/drm.current $K)" $((2 * M)) "C current after reclaim"
expect_eq "$(kv $CG/A/B/C/drm.stat $K evicted)" $((4 * M)) "C evicted bytes"
expect_eq "$(kv $CG/A/drm.stat $K evicted)" $((4 * M)) "A evicted bytes"
[ "$(kv $CG/A/B/C/drm.stat $K evictions)" -ge 1 ] || fail "no eviction counted"
# Below the pinned bytes reclaim gives up; the limit is set anyway.
expect_write $CG/A/B/drm.max "$K 512K"
expect_eq "$(field $CG/A/B/drm.max $K)" 524288 "B max below pinned"
expect_eq "$(field $CG/A/B/C/drm.current $K)" $M "only pinned bytes left"
in_cgroup $CG/A/B/C sh -c "echo charge $K 4096 > $DBG/ctl" 2>/dev/null && fail "charge over lowered max"
in_cgroup $CG/A/B/C sh -c "echo unpin $K $M > $DBG/ctl" || fail "unpin"
expect_eq "$(kv $CG/A/B/C/drm.stat $K pinned)" 0 "unpinned"

# low protection: kept on the first pass, broken on the second one, which
# counts low events.
mkdir $CG/L $CG/L/P $CG/L/U
echo +drm > $CG/L/cgroup.subtree_control
expect_write $CG/L/P/drm.low "$K 2M"
in_cgroup $CG/L/P sh -c "echo charge $K $((3 * M)) > $DBG/ctl" || fail "charge P"
in_cgroup $CG/L/U sh -c "echo charge $K $((2 * M)) > $DBG/ctl" || fail "charge U"
expect_write $CG/L/drm.max "$K 2M"
expect_eq "$(field $CG/L/U/drm.current $K)" 0 "unprotected U evicted first"
expect_eq "$(field $CG/L/P/drm.current $K)" $((2 * M)) "P kept its low"
expect_eq "$(kv $CG/L/P/drm.events $K low)" 0 "no low event yet"
expect_write $CG/L/drm.max "$K 1M"
expect_eq "$(field $CG/L/P/drm.current $K)" $M "P reclaimed below low"
[ "$(kv $CG/L/P/drm.events.local $K low)" -ge 1 ] || fail "no low event in P"
[ "$(kv $CG/L/drm.events $K low)" -ge 1 ] || fail "no hierarchical low event in L"
expect_eq "$(kv $CG/L/drm.events.local $K low)" 0 "L local low events"
# min is never broken, even by reclaim for a limit.
expect_write $CG/L/P/drm.min "$K 1M"
expect_write $CG/L/drm.max "$K 0"
expect_eq "$(field $CG/L/P/drm.current $K)" $M "P reclaimed below min"
expect_write $CG/L/P/drm.min "$K 0"
expect_write $CG/L/drm.max "$K 0"
expect_eq "$(field $CG/L/drm.current $K)" 0 "L reclaimed to 0"
rmdir $CG/L/P $CG/L/U $CG/L || fail "rmdir L"

# Lowering high below the usage reclaims in the background.
mkdir $CG/H
in_cgroup $CG/H sh -c "echo charge $K $((4 * M)) > $DBG/ctl" || fail "charge H"
expect_write $CG/H/drm.high "$K 1M"
i=0
while [ "$(field $CG/H/drm.current $K)" -gt $M ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
expect_eq "$(field $CG/H/drm.current $K)" $M "H reclaimed down to high"
[ "$(kv $CG/H/drm.stat $K evicted)" -eq $((3 * M)) ] || fail "H evicted $(kv $CG/H/drm.stat $K evicted)"
in_cgroup $CG/H sh -c "echo uncharge $K $M > $DBG/ctl" || fail "uncharge H"
rmdir $CG/H || fail "rmdir H"

# A removed cgroup's charge stays accounted in its parent until given back
# (released below, after the unregister).
expect_write $CG/A/D/drm.min "$K 1M"
expect_write $CG/A/D/drm.max "$K 1M"
in_cgroup $CG/A/D sh -c "echo charge $K $((512 * 1024)) > $DBG/ctl" || fail "charge D"
a_before=$(field $CG/A/drm.current $K)
rmdir $CG/A/D || fail "rmdir D"
expect_eq "$(field $CG/A/drm.current $K)" "$a_before" "A current after rmdir of D"
# Unregister with charges outstanding: the key disappears, charges can be
# given back afterwards and the accounting returns to zero.
ctl unregister $K || fail unregister
grep -q "$K" $CG/drm.capacity $CG/A/drm.current && fail "$K still listed"
in_cgroup $CG/A/B/C sh -c "echo charge $K 4096 > $DBG/ctl" 2>/dev/null && fail "charge after unregister"
in_cgroup $CG/A/B/C sh -c "echo uncharge $K $M > $DBG/ctl" || fail "uncharge after unregister"
ctl release-all $K || fail "release D's charge after unregister"
[ -z "$(cat $DBG/ctl)" ] || fail "charges left: $(cat $DBG/ctl)"
# The same key can be registered again and starts from zero.
ctl register 0000:05:00.0 vram0 $((64 * M)) || fail "register again"
expect_eq "$(field $CG/A/B/C/drm.current $K)" 0 "new region current"
expect_eq "$(field $CG/A/B/drm.max $K)" max "new region max"
ctl unregister $K
rmdir $CG/A/B/C $CG/A/B $CG/A || fail "rmdir"
pass "charging"
