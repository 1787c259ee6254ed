#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of the controller's pure Rust files (tests/host): unit tests,
# the reference-model property tests and the stress tests.
#
#   scripts/host.sh [cargo test arguments]
#   scripts/host.sh --bench       run the host benchmarks instead

. "$(dirname "$0")/common.sh"

# Debian's cargo, which setup.sh installs, as on a fresh machine, even where a
# rustup toolchain comes first in PATH.
export PATH=/usr/bin:$PATH
CARGO=${CARGO:-/usr/bin/cargo}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$DRMCG_CACHE/host-target}
cd "$REPO/tests/host"
if [ "${1:-}" = --bench ]; then
	shift
	exec "$CARGO" bench -q "$@"
fi
exec "$CARGO" test -q "$@"
