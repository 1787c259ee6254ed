#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Style gates: rustfmt (the kernel's rustfmtcheck), a clippy build of the
# controller crate, checkpatch.pl on the C files and patches, rustfmt and
# clippy on the host crate. Fails on any finding.

. "$(dirname "$0")/common.sh"

# The clippy build rebuilds the kernel crate in the shared build folder.
drmcg_lock

"$REPO/scripts/setup.sh"
# The toolchain setup.sh installs (cargo, rustfmt, clippy from Debian), as on
# a fresh machine, even where a rustup toolchain comes first in PATH: the
# kernel's rustfmtcheck and cargo's fmt and clippy subcommands look there.
export PATH=/usr/bin:$PATH
SRC=$(drmcg_ksrc)
OUT=$(drmcg_kbuild "$SRC" kunit)
mapfile -t mk < <(drmcg_make_opts)
status=0

[ -f "$OUT/.config" ] || "$REPO/scripts/kunit.sh" --build-only >/dev/null

log "rustfmt (make rustfmtcheck: every .rs of the tree, ours included)"
make -s -C "$SRC" O="$OUT" "${mk[@]}" rustfmtcheck || status=1

log "clippy (kernel/cgroup/drm and the kernel crate with kernel::cgroup_drm)"
out=$(make -s -C "$SRC" O="$OUT" "${mk[@]}" CLIPPY=1 CLIPPY_DRIVER="$CLIPPY_DRIVER" \
	-j"$JOBS" rust/ kernel/cgroup/drm/ 2>&1) || status=1
if echo "$out" | grep -E 'warning|error'; then status=1; fi
# Rebuild without clippy so the object matches the normal build again.
make -s -C "$SRC" O="$OUT" "${mk[@]}" -j"$JOBS" rust/ kernel/cgroup/drm/ >/dev/null 2>&1 || status=1

log "checkpatch"
cd "$REPO"
"$SRC/scripts/checkpatch.pl" --no-tree --quiet --strict -f \
	drmcg_subsys.c drmcg_test.c drmcg_bench.c drmcg_internal.h \
	tree/include/linux/cgroup_drm.h tree/rust/helpers/cgroup.c \
	tree/drivers/gpu/drm/drmcg_test/drmcg_test_drv.c \
	tree/drivers/gpu/drm/drmcg_test/drmcg_test_drm.h \
	tree/drivers/gpu/drm/ttm/tests/ttm_drmcg_test.c || status=1
for p in patches/*.patch; do
	(cd / && "$SRC/scripts/checkpatch.pl" --no-tree --quiet --no-signoff - < "$REPO/$p") || status=1
done

log "host crate: rustfmt and clippy"
CARGO=${CARGO:-/usr/bin/cargo}
(cd tests/host && "$CARGO" fmt --check && \
	CARGO_TARGET_DIR=$DRMCG_CACHE/host-target "$CARGO" clippy -q --all-targets -- -D warnings) ||
	status=1
[ "$status" = 0 ] && log "lint: clean"
exit $status
