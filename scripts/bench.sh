#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks: the drm controller against upstream dmem on identical work in
# one boot of the test kernel (2 vCPUs, TCG), then the host benchmark of the
# accounting core. Figures, not pass/fail: see README.md for recorded runs.
#
#   scripts/bench.sh [--guest-only|--host-only]

. "$(dirname "$0")/common.sh"

if [ "${1:-}" != --host-only ]; then
	"$REPO/scripts/setup.sh"
	"$REPO/scripts/kunit.sh" --build-only > /dev/null ||
		die "kernel build failed (run scripts/kunit.sh --build-only to see why)"
	log "guest benchmark: drm vs dmem, $(date -u +%Y-%m-%d)"
	"$REPO/scripts/guest.sh" --no-qxl --smp 2 --timeout 1800 "$REPO/tests/bench/bench.sh" 2>&1 |
		sed -n '/^@@DRMCG-BEGIN bench.sh/,/^@@DRMCG-END bench.sh/p' | sed '1d;$d'
fi
if [ "${1:-}" != --guest-only ]; then
	log "host benchmark of the accounting core ($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
	"$REPO/scripts/host.sh" --bench
fi
