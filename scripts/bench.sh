#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks: the drm controller against upstream dmem on identical work, in
# one boot (2 vCPUs, TCG) of each dedicated benchmark kernel
# (scripts/bench-kernel.sh: GCC with the Rust helpers out of line, then
# clang-22 with CONFIG_RUST_INLINE_HELPERS), one table per build; then
# buffer create+free through TTM on the test kernel's drm cgroup test device
# (scripts/kunit.sh's kernel, booted by scripts/guest.sh) with no
# controller, dmem, drm and both (tests/bench/ttm.c); then the host
# benchmark of the accounting core. Figures, not pass/fail: see README.md
# for recorded runs.
#
#   scripts/bench.sh [--guest-only|--ttm-only|--host-only]
#
# --guest-only runs the dedicated kernels' benchmark and the TTM one.
# DRMCG_BENCH_BUILDS="gcc inline" selects the builds (default: both);
# TTM_BENCH_MS sets the TTM loops' least time per round (default 50 ms).

. "$(dirname "$0")/common.sh"

if [ "${1:-}" != --host-only ]; then
	# Nothing else builds or boots from this cache while the figures are taken.
	drmcg_lock
	"$REPO/scripts/setup.sh"
	builds=${DRMCG_BENCH_BUILDS:-gcc inline}
	[ "${1:-}" = --ttm-only ] && builds=
	for flavour in $builds; do
		case "$flavour" in
		gcc) desc="GCC, Rust helpers out of line" ;;
		inline) desc="clang-22/LLVM 22, CONFIG_RUST_INLINE_HELPERS=y" ;;
		*) die "unknown benchmark build $flavour" ;;
		esac
		kernel=$("$REPO/scripts/bench-kernel.sh" "$flavour") ||
			die "build of the $flavour benchmark kernel failed"
		log "guest benchmark, $desc: drm vs dmem, $(date -u +%Y-%m-%d)"
		echo "build: $desc"
		"$REPO/scripts/guest.sh" --kernel "$kernel" --no-qxl --smp 2 --timeout 1800 \
			"$REPO/tests/bench/bench.sh" 2>&1 |
			sed -n '/^@@DRMCG-BEGIN bench.sh/,/^@@DRMCG-END bench.sh/p' | sed '1d;$d'
	done
	log "TTM benchmark on the test device: none, dmem, drm, both, $(date -u +%Y-%m-%d)"
	echo "build: test kernel (scripts/kunit.sh), drmcg_test device"
	# One vCPU: the loop is single-threaded, and a second vCPU only adds
	# the noise of the host's other work. The guest's init gets unknown
	# NAME=value kernel parameters as its environment.
	"$REPO/scripts/guest.sh" --build --no-qxl --smp 1 --timeout 1800 \
		--append "TTM_BENCH_MS=${TTM_BENCH_MS:-50}" "$REPO/tests/bench/ttm.c" 2>&1 |
		sed -n '/^@@DRMCG-BEGIN ttm$/,/^@@DRMCG-END ttm/p' | sed '1d;$d'
fi
if [ "${1:-}" != --guest-only ] && [ "${1:-}" != --ttm-only ]; then
	log "host benchmark of the accounting core ($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
	"$REPO/scripts/host.sh" --bench
fi
