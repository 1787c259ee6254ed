#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The drm controller as an admin sees it. Run in the guest by scripts/demo.sh
# with QEMU's qxl GPU (16 MiB of VRAM) and the test interface.
CG=/sys/fs/cgroup
CTL=/sys/kernel/debug/drm_cgroup/ctl

say() { printf '\n## %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; sh -c "$*" 2>&1; }
CARD=$(awk -F/ '/\/vram0 / { print $1; exit }' $CG/drm.capacity)
V=$CARD/vram0

say "The drm controller is enabled in the root cgroup"
run "cat $CG/cgroup.controllers"
run "cat $CG/cgroup.subtree_control"

say "qxl registered its VRAM, surface memory and the system memory its evicted buffers use"
run "cat $CG/drm.capacity"

say "Two jobs share the GPU; training is guaranteed 8M of VRAM"
run "mkdir $CG/training $CG/batch"
run "echo '$V 8M' > $CG/training/drm.min"
run "cat $CG/training/drm.min"

say "training allocates 8 buffers of 1M, then batch allocates 14 (more than is left)"
qxl_jobs $CG/training 8 $CG/batch 14 > /tmp/jobs.out &
pid=$!
while ! grep -q ready /tmp/jobs.out 2>/dev/null; do sleep 0.2; done
run "grep -E '^$CARD/(vram0|system) ' $CG/training/drm.current"
run "grep -E '^$CARD/(vram0|system) ' $CG/batch/drm.current"
echo "(TTM evicted batch's own buffers to system memory; training kept its VRAM)"
kill $pid; wait $pid 2>/dev/null

say "The same without protection: training's older buffers are evicted first"
run "echo '$V 0' > $CG/training/drm.min"
qxl_jobs $CG/training 8 $CG/batch 14 > /tmp/jobs.out &
pid=$!
while ! grep -q ready /tmp/jobs.out 2>/dev/null; do sleep 0.2; done
run "grep -E '^$CARD/(vram0|system) ' $CG/training/drm.current"
kill $pid; wait $pid 2>/dev/null

say "A hard limit: batch may use at most 4M of VRAM"
run "echo '$V 4M' > $CG/batch/drm.max"
qxl_jobs $CG/batch 6 > /tmp/jobs.out &
pid=$!
while ! grep -q ready /tmp/jobs.out 2>/dev/null; do sleep 0.2; done
run "grep -E '^$CARD/(vram0|system) ' $CG/batch/drm.current"
run "grep '^$V ' $CG/batch/drm.events"
run "grep '^$V ' $CG/batch/drm.stat"
say "Lowering the limit below the usage makes the driver evict down to it"
run "echo '$V 2M' > $CG/batch/drm.max"
run "grep '^$V ' $CG/batch/drm.current"
run "grep '^$V ' $CG/batch/drm.peak"
kill $pid; wait $pid 2>/dev/null

say "Bad input is refused and changes nothing"
run "echo '$V lots' > $CG/batch/drm.max"
run "echo '0000:09:00.0/vram0 1G' > $CG/batch/drm.max"
run "grep '^$V ' $CG/batch/drm.max"
