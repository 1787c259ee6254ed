#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds a kernel with the drivers that register drm cgroup regions beside
# dmem (xe, amdgpu and nouveau, built in) plus the controller and every
# patch, checks that the files the patches touch build without warnings,
# also with W=1, and runs the KUnit suites of the kernel that need no
# hardware (xe's on fake devices, TTM's, the controller's) under QEMU.
#
#   scripts/check-drivers.sh               build, W=1 check, KUnit
#   scripts/check-drivers.sh --build-only  build and W=1 check only
#
# It works in a tree and a build folder of its own in the cache (a git
# worktree of the pristine source with the overlay placed in it), so it
# does not hold the lock of the shared test kernel while it builds: the
# first build takes about 25 min on two cores. Set DRMCG_NICE=0 to
# build at normal priority.

. "$(dirname "$0")/common.sh"
. "$REPO/scripts/progress.sh"

build_only=0
case "${1:-}" in
--build-only) build_only=1 ;;
"") ;;
*) die "usage: $0 [--build-only]" ;;
esac

# The toolchain and the source, once (setup.sh places the shared overlay,
# so it runs under the shared lock, released when the subshell ends).
if [ ! -x "$BINDGEN" ] || ! drmcg_ksrc > /dev/null; then
	(drmcg_lock && "$REPO/scripts/setup.sh")
fi

# One run at a time in this tree and build folder.
DIR=$DRMCG_CACHE/drivers
mkdir -p "$DIR"
exec 8> "$DIR/.lock"
if ! flock -n 8; then
	log "waiting for another check-drivers run"
	flock 8
fi

# The tree: a worktree of the pristine repository, at its base tag.
TREE=$DIR/linux
PRISTINE=$("$REPO/scripts/series.sh" --pristine)
if ! git -C "$TREE" rev-parse --git-dir > /dev/null 2>&1; then
	log "check-drivers: a worktree of $PRISTINE in $TREE"
	git -C "$PRISTINE" worktree prune
	rm -rf "$TREE"
	git -C "$PRISTINE" worktree add -q --detach "$TREE" drmcg-base
fi
"$REPO/scripts/overlay.sh" "$TREE"

OUT=$(drmcg_kbuild "$TREE" drivers)
mkdir -p "$OUT"
mkopts=()
while read -r o; do mkopts+=("$o"); done < <(drmcg_make_opts)
configs=(--kunitconfig="$REPO/tests/kunit/drm_cgroup.kunitconfig"
	--kunitconfig="$REPO/tests/kunit/drivers.config")
nice=(nice -n 10)
[ "${DRMCG_NICE:-1}" = 0 ] && nice=()
PATH=$(drmcg_qemu_path)
export PATH
cd "$TREE"

t0=$SECONDS
log "check-drivers: configuring $OUT"
kmo=()
for o in "${mkopts[@]}"; do kmo+=(--make_options "$o"); done
python3 tools/testing/kunit/kunit.py config --arch=x86_64 --build_dir="$OUT" \
	"${configs[@]}" "${kmo[@]}" > "$OUT/config.log" 2>&1 ||
	{ cat "$OUT/config.log" >&2; die "check-drivers: configuration failed"; }

# 1. The kernel. 3,400 objects on the first build; the count of the last
# complete one afterwards.
drmcg_make_progress "check-drivers: build" "$OUT/.drmcg-objects" 3400 \
	"$OUT/build.log" -- "${nice[@]}" make O="$OUT" "${mkopts[@]}" \
	-j"$JOBS" all ||
	die "check-drivers: build failed (log: $OUT/build.log)"

# The C files the patches touch, and the headers: their warnings show in
# the build of any file including them.
mapfile -t touched < <(sed -n 's|^+++ b/\([^	 ]*\).*|\1|p' \
	"$REPO"/patches/*.patch | sort -u)
pattern=$(printf '%s\n' "${touched[@]}" | sed 's/[.]/[.]/g' | paste -sd'|')
warnings=$(grep -E "($pattern):[0-9]+:[0-9]+: warning:" "$OUT/build.log" || true)
[ -z "$warnings" ] ||
	die "check-drivers: warnings in files the patches touch:
$warnings"

# 2. W=1: rebuild the objects of the touched C files that this
# configuration builds with W=1, failing on any warning. (The next build
# compiles them back with the normal flags.)
objs=()
for f in "${touched[@]}"; do
	case $f in *.c) ;; *) continue ;; esac
	[ -e "$OUT/${f%.c}.o" ] && objs+=("${f%.c}.o")
done
log "check-drivers: W=1 for ${#objs[@]} objects of the patched files"
drmcg_make_progress "check-drivers: W=1" /dev/null "${#objs[@]}" \
	"$OUT/w1.log" -- make O="$OUT" "${mkopts[@]}" -j"$JOBS" W=1 \
	"${objs[@]}" || die "check-drivers: W=1 build failed (log: $OUT/w1.log)"
# W=1 also runs kernel-doc, which finds things in the pristine files too:
# its findings the pristine file has as well are not the patches'.
warnings=
while IFS= read -r w; do
	if [[ $w =~ ^Warning:\ (.+):[0-9]+\ (.*)$ ]]; then
		orig=$TREE/.drm_cgroup-overlay/orig/${BASH_REMATCH[1]#"$TREE"/}.orig
		if [ -f "$orig" ] && python3 scripts/kernel-doc -none -Wall "$orig" 2>&1 |
			grep -qF -- "${BASH_REMATCH[2]}"; then
			continue
		fi
	fi
	warnings+="$w"$'\n'
done < <(grep -i 'warning' "$OUT/w1.log" | sort -u)
[ -z "$warnings" ] ||
	die "check-drivers: W=1 warnings in files the patches touch:
$warnings"
drmcg_make_progress "check-drivers: relink" "$OUT/.drmcg-objects" 3400 \
	"$OUT/relink.log" -- make O="$OUT" "${mkopts[@]}" -j"$JOBS" all ||
	die "check-drivers: build failed (log: $OUT/relink.log)"
log "check-drivers: built in $(drmcg_duration $((SECONDS - t0))), no warning in ${#touched[@]} patched files (W=1 for ${#objs[@]} objects)"
[ $build_only = 1 ] && exit 0

# 3. KUnit: every suite of the kernel, xe's included (its cases that need
# a device skip themselves).
t1=$SECONDS
log "check-drivers: KUnit under QEMU"
python3 tools/testing/kunit/kunit.py exec --arch=x86_64 --build_dir="$OUT" \
	--timeout=1800 --json="$OUT/kunit.json" > "$OUT/kunit.log" 2>&1 &&
	status=0 || status=$?
grep -E '^\[[0-9:]+\] (Testing complete|Ran |Elapsed)|FAILED|CRASHED' \
	"$OUT/kunit.log" >&2 || true
log "check-drivers: KUnit in $(drmcg_duration $((SECONDS - t1))) (log: $OUT/kunit.log)"
[ "$status" = 0 ] || die "check-drivers: KUnit failed"
log "check-drivers: passed in $(drmcg_duration $((SECONDS - t0)))"
