#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The drm controller is available, enabled in the root's subtree_control, and
# a child cgroup has the drm.* files with the right placement rules.
. /lib/drmcg/common.sh

grep -qw drm $CG/cgroup.controllers || fail "drm not in cgroup.controllers"
grep -qw drm $CG/cgroup.subtree_control || fail "+drm not enabled"
[ -r $CG/drm.capacity ] || fail "no drm.capacity on root"
[ -r $CG/drm.current ] || fail "no drm.current on root"
for f in min low high max peak events events.local stat; do
	[ -e $CG/drm.$f ] && fail "drm.$f must not exist on the root"
done

mkdir $CG/job || fail "mkdir"
grep -qw drm $CG/job/cgroup.controllers || fail "drm not available in child"
for f in current min low high max peak events events.local stat; do
	[ -r $CG/job/drm.$f ] || fail "no drm.$f in child"
done
[ -e $CG/job/drm.capacity ] && fail "drm.capacity must be root-only"
# drm.reclaim is on every cgroup, the root included, and write-only.
for d in $CG $CG/job; do
	[ "$(stat -c %a $d/drm.reclaim)" = 200 ] || fail "$d/drm.reclaim missing or not write-only"
done
cat $CG/job/drm.current > /dev/null || fail "cannot read drm.current"
# Every registered region has a line, and a new cgroup has charged nothing.
expect_eq "$(wc -l < $CG/job/drm.current)" "$(wc -l < $CG/drm.capacity)" "lines of drm.current"
awk '$2 != 0 { exit 1 }' $CG/job/drm.current || fail "new cgroup has a charge"
rmdir $CG/job || fail "rmdir"
pass "controller files"
