#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boots the test kernel under QEMU with a busybox initramfs and runs tests in
# the guest, as root, one after the other.
#
#   scripts/guest.sh [options] TEST...
#
# A TEST is a shell script (run with busybox sh), a static executable, or a C
# file (built here with gcc -static); it passes when it exits 0, and is
# reported as skipped when it exits 77 (it needs something this kernel does
# not have). Its output is printed as it runs. Options:
#   --build      build the kernel first (scripts/kunit.sh does the same build)
#   --kernel F   boot this bzImage instead of the cached test kernel
#   --append S   extra kernel command line
#   --timeout N  seconds before the guest is stopped (default 900)
#   --smp N      virtual CPUs (default 2)
#   --file F     also put F (a C file is built first) into the guest's /bin,
#                as a tool for the tests
#   --no-qxl     boot without the qxl GPU (by default QEMU's qxl-vga is
#                present: 16 MiB VRAM, 16 MiB surface memory)
# Every test sees cgroup2 at /sys/fs/cgroup with +drm enabled in the root's
# subtree_control, debugfs at /sys/kernel/debug and the helpers of
# tests/guest/lib/ at /lib/drmcg/. After the last test the kernel log is
# checked for WARN/BUG/Oops reports, which fail the run ("kernel-log").
# Prints "N passed, N failed" and exits non-zero if any test failed.

. "$(dirname "$0")/common.sh"

build=0 kernel= append= timeout=900 smp=2 qxl=1 tests=() files=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=1 ;;
	--kernel) kernel=$2; shift ;;
	--append) append=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--smp) smp=$2; shift ;;
	--no-qxl) qxl=0 ;;
	--file) files+=("$2"); shift ;;
	-h|--help) sed -n '3,25p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) tests+=("$1") ;;
	esac
	shift
done
[ ${#tests[@]} -gt 0 ] || die "no test given"
# The kernel must not be rebuilt under a running guest.
[ -z "$kernel" ] && drmcg_lock

SRC=$(drmcg_ksrc) || SRC=
if [ -z "$kernel" ]; then
	if [ "$build" = 1 ]; then
		"$REPO/scripts/kunit.sh" --build-only >/dev/null ||
			die "kernel build failed (run scripts/kunit.sh --build-only to see why)"
	fi
	SRC=$(drmcg_ksrc) || die "no kernel tree; run scripts/setup.sh"
	kernel=$(drmcg_kbuild "$SRC" kunit)/arch/x86/boot/bzImage
fi
[ -f "$kernel" ] || die "no kernel at $kernel; run scripts/kunit.sh or pass --build"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,tests,lib/drmcg,etc}
cp /bin/busybox "$root/bin/busybox"
cp "$REPO"/tests/guest/lib/* "$root/lib/drmcg/" 2>/dev/null || true
# Builds a C file into $2, or copies anything else there.
place() {
	case "$1" in
	*.c)
		# The kernel's UAPI headers (drm/qxl_drm.h, ...) come from its tree,
		# the test device's ioctls from its driver folder.
		${CC:-gcc} -static -O2 -Wall -Wextra -Werror \
			-D__user= -I "$REPO/tests/guest/lib" \
			-I "$REPO/tree/drivers/gpu/drm/drmcg_test" \
			${SRC:+-idirafter "$SRC/include/uapi"} -o "$2" "$1" ||
			die "cannot build $1"
		;;
	*) cp "$1" "$2" ;;
	esac
	chmod +x "$2"
}
i=0
for t in "${tests[@]}"; do
	[ -f "$t" ] || die "no such test: $t"
	i=$((i + 1))
	dst=$root/tests/$(printf '%03d' $i)-$(basename "$t")
	place "$t" "${dst%.c}"
done
for f in "${files[@]}"; do
	[ -f "$f" ] || die "no such file: $f"
	b=$(basename "$f")
	place "$f" "$root/bin/${b%.c}"
done
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
dmesg -n 1
echo +drm > /sys/fs/cgroup/cgroup.subtree_control
# Removes every child cgroup (innermost first) after moving its tasks to the root.
cleanup_cgroups() {
	for d in $(find /sys/fs/cgroup -mindepth 1 -type d | sort -r); do
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			echo "$p" > /sys/fs/cgroup/cgroup.procs 2>/dev/null
		done
		rmdir "$d" 2>/dev/null
	done
}
for t in /tests/*; do
	name=${t#/tests/???-}
	echo "@@DRMCG-BEGIN $name"
	(cd /tmp && exec "$t")
	rc=$?
	echo "@@DRMCG-END $name $rc"
	echo 0 > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	cleanup_cgroups
	echo +drm > /sys/fs/cgroup/cgroup.subtree_control
done
echo "@@DRMCG-BEGIN kernel-log"
# On a kmemleak kernel, report unreferenced objects that anything of ours,
# the cgroup core or the GPU stack allocated.
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	awk '/^unreferenced object/ { if (blk ~ /drmcg|drm_cgroup|cgroup|ttm|qxl/) { print blk; n++ } blk = "" }
		{ blk = blk $0 "\n" }
		END { if (blk ~ /drmcg|drm_cgroup|cgroup|ttm|qxl/) { print blk; n++ } exit n > 0 }' \
		/sys/kernel/debug/kmemleak > /tmp/leaks || echo "kmemleak: leaks found" >> /dev/kmsg
	cat /tmp/leaks
fi
if dmesg | grep -E 'WARNING:|BUG:|Oops|KASAN:|UBSAN:|refcount_t:|kmemleak: leaks|rcu.*stall|Call Trace|possible circular|inconsistent lock|lock held when returning' ; then
	echo "@@DRMCG-END kernel-log 1"
else
	echo "@@DRMCG-END kernel-log 0"
fi
echo "@@DRMCG-DONE"
# With -no-reboot, QEMU exits when the guest reboots.
reboot -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.cpio.gz"

log "booting $(basename "$kernel") with ${#tests[@]} test(s)"
qemu=(qemu-system-x86_64 -nodefaults -m 1024 -smp "$smp" -no-reboot -nographic
	-serial stdio -bios qboot.rom -kernel "$kernel"
	-initrd "$work/initramfs.cpio.gz"
	-append "console=ttyS0 kunit.enable=0 drmcg_test_dev.enable=1 rdinit=/init panic=-1 oops=panic loglevel=4 $append")
[ "$qxl" = 1 ] && qemu+=(-device qxl-vga,ram_size_mb=16,vram_size_mb=16,vgamem_mb=8)
if [ "${DRMCG_KVM:-0}" = 1 ]; then
	qemu+=(-accel kvm)
else
	qemu+=(-accel tcg)
fi
[ -n "${DRMCG_QEMU_EXTRA:-}" ] && read -ra extra <<< "$DRMCG_QEMU_EXTRA" && qemu+=("${extra[@]}")
timeout --foreground "$timeout" "${qemu[@]}" < /dev/null 2>&1 | tr -d '\r' | tee "$work/console.log" |
	grep -v -E '^(ACPI Error|ACPI BIOS Error|No Local Variables)' || true

awk '
/^@@DRMCG-BEGIN / { cur = $2; started[cur] = 1 }
/^@@DRMCG-END / {
	if ($3 == 0) { pass++; print "ok: " $2 }
	else if ($3 == 77) { skip++; print "skipped: " $2 }
	else { fail++; print "FAILED: " $2 " (exit " $3 ")" }
	delete started[$2]
}
/^@@DRMCG-DONE/ { done = 1 }
END {
	for (t in started) { fail++; print "FAILED: " t " (did not finish)" }
	if (!done) { fail++; print "FAILED: guest did not finish (crash or timeout)" }
	if (skip) printf "guest: %d skipped (not for this kernel)\n", skip
	printf "guest: %d passed, %d failed\n", pass, fail
	exit fail > 0
}' "$work/console.log"
