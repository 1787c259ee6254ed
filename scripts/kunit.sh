#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the test kernel and runs the drm cgroup KUnit suites under QEMU
# with the kernel's own tools/testing/kunit/kunit.py.
#
#   scripts/kunit.sh [kunit.py filter_glob, e.g. 'drm_cgroup_charge.*']
#   scripts/kunit.sh --build-only     configure and build only
#
# With DRMCG_DEBUG=1 the debug kernel is used instead (tests/kunit/debug.config
# on top: KASAN, lockdep, kmemleak, ...), in its own build folder.
#
# The build folder is kept in the cache, so a rerun after a one-file change
# is incremental. The same kernel boots the guest tests (scripts/guest.sh).

. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/progress.sh"

# One build at a time per cache: the overlay and the build folders are shared.
drmcg_lock

"$REPO/scripts/setup.sh"
SRC=$(drmcg_ksrc)
flavour=kunit configs=(--kunitconfig="$REPO/tests/kunit/drm_cgroup.kunitconfig")
if [ "${DRMCG_DEBUG:-0}" = 1 ]; then
	flavour=debug
	configs+=(--kunitconfig="$REPO/tests/kunit/debug.config")
fi
OUT=$(drmcg_kbuild "$SRC" $flavour)
mkdir -p "$OUT"
PATH=$(drmcg_qemu_path)
export PATH

mkopts=()
while read -r o; do mkopts+=(--make_options "$o"); done < <(drmcg_make_opts)

cd "$SRC"
kunit=(tools/testing/kunit/kunit.py)
common=(--arch=x86_64 --build_dir="$OUT" "${configs[@]}")
# Configure as kunit.py does, then build with progress shown (kunit.py's own
# build, which follows, has nothing left to do and stays silent for minutes
# on a cold build otherwise).
python3 "${kunit[@]}" config "${common[@]}" "${mkopts[@]}" >/dev/null
mapfile -t opts < <(drmcg_make_opts)
drmcg_make_progress "build of the test kernel" "$OUT/.drmcg-objects" 1500 \
	"$OUT/build.log" -- \
	make --no-print-directory -C "$SRC" O="$OUT" "${opts[@]}" -j"$JOBS" all ||
	die "kernel build failed (log: $OUT/build.log)"
if [ "${1:-}" = --build-only ]; then
	exec python3 "${kunit[@]}" build "${common[@]}" "${mkopts[@]}" --jobs="$JOBS"
fi
log "KUnit: running under QEMU"
python3 "${kunit[@]}" run "${common[@]}" \
	"${mkopts[@]}" --jobs="$JOBS" --timeout=900 \
	--json="$OUT/kunit.json" "$@"
