#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The drm controller as an admin sees it. Run in the guest by scripts/demo.sh.
CG=/sys/fs/cgroup
CTL=/sys/kernel/debug/drm_cgroup/ctl

say() { printf '\n## %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; sh -c "$*" 2>&1; }

say "The drm controller is enabled in the root cgroup"
run "cat $CG/cgroup.controllers"
run "cat $CG/cgroup.subtree_control"

say "A driver registers its memory regions (the test interface stands in for a GPU here)"
run "echo 'register 0000:03:00.0 vram0 1G' > $CTL"
run "echo 'register 0000:03:00.0 system 4G' > $CTL"
run "cat $CG/drm.capacity"

say "Two jobs; training gets 256M of VRAM guaranteed, batch at most 512M"
run "mkdir $CG/training $CG/batch"
run "echo '0000:03:00.0/vram0 256M' > $CG/training/drm.min"
run "echo '0000:03:00.0/vram0 512M' > $CG/batch/drm.max"
run "cat $CG/batch/drm.max"

say "The jobs allocate buffers (charged to their own cgroup)"
run "sh -c 'echo \$\$ > $CG/training/cgroup.procs; echo charge 0000:03:00.0/vram0 300M > $CTL'"
run "sh -c 'echo \$\$ > $CG/batch/cgroup.procs; echo charge 0000:03:00.0/vram0 400M > $CTL'"
run "cat $CG/training/drm.current"
run "cat $CG/batch/drm.current"
run "cat $CG/drm.current"

say "batch goes over its max: the allocation is refused and counted"
run "sh -c 'echo \$\$ > $CG/batch/cgroup.procs; echo charge 0000:03:00.0/vram0 200M > $CTL'"
run "cat $CG/batch/drm.events"

say "The admin lowers batch's max: the driver evicts batch's buffers to fit"
run "echo '0000:03:00.0/vram0 256M' > $CG/batch/drm.max"
run "cat $CG/batch/drm.current"
run "cat $CG/batch/drm.stat"
run "cat $CG/batch/drm.peak"

say "Bad input is refused and changes nothing"
run "echo '0000:03:00.0/vram0 lots' > $CG/batch/drm.max"
run "echo '0000:09:00.0/vram0 1G' > $CG/batch/drm.max"
run "cat $CG/batch/drm.max"
