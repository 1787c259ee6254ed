#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Places drm_cgroup into a Linux 7.3 source tree:
#   - the controller's own files (this repo's root, without the test harness
#     in tests/ and the developer targets in GNUmakefile) at kernel/cgroup/drm/,
#   - new files outside that folder from tree/ (same paths as in the kernel)
#     and Documentation/,
#   - the edits to existing kernel files from patches/*.patch, in order.
# Idempotent: files whose content would not change are left alone (so their
# timestamps do not trigger rebuilds), an edited patch replaces its old
# version, and a removed patch is undone. The untouched original of every
# patched file is kept under .drm_cgroup-overlay/ in the tree (as *.orig).
#
#   scripts/overlay.sh [KERNEL_TREE]

. "$(dirname "$0")/common.sh"

SRC=${1:-$(drmcg_ksrc)} || die "no kernel tree; run scripts/setup.sh or set KSRC"
[ -f "$SRC/Makefile" ] && [ -d "$SRC/kernel/cgroup" ] || die "$SRC is not a kernel tree"
STATE=$SRC/.drm_cgroup-overlay
mkdir -p "$STATE/orig"

# 1. Controller files. rsync --checksum only rewrites what changed.
mkdir -p "$SRC/kernel/cgroup/drm"
rsync -rc --delete --delete-excluded --exclude '/.*' --exclude '/tests' \
	--exclude '/GNUmakefile' \
	--exclude '/scripts' --exclude '/patches' --exclude '/tree' \
	--exclude '/Documentation' --exclude '/README.md' \
	"$REPO/" "$SRC/kernel/cgroup/drm/"

# 2. New files elsewhere in the tree, and the documentation.
if [ -d "$REPO/tree" ]; then
	rsync -rc "$REPO/tree/" "$SRC/"
fi
rsync -rc "$REPO/Documentation/" "$SRC/Documentation/"

# 3. Patches: rebuild every patched file from its original in a scratch
# folder, then copy it over only if its content differs.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=$(cat "$REPO"/patches/*.patch 2>/dev/null |
	sed -n 's|^+++ b/\([^	 ]*\).*|\1|p' | sort -u)
prev=$(cat "$STATE/files" 2>/dev/null || true)
# Originals are kept as <path>.orig so that tree-wide tools (rustfmtcheck)
# do not pick them up.
for f in $(printf '%s\n%s\n' "$files" "$prev" | sort -u); do
	[ -n "$f" ] || continue
	o=$STATE/orig/$f.orig
	if [ -e "$STATE/orig/$f" ] && [ ! -e "$o" ]; then
		mv "$STATE/orig/$f" "$o"
	fi
	if [ ! -e "$o" ] && [ ! -e "$STATE/orig/$f.absent" ]; then
		mkdir -p "$(dirname "$o")"
		if [ -e "$SRC/$f" ]; then
			cp -p "$SRC/$f" "$o"
		else
			touch "$STATE/orig/$f.absent"
		fi
	fi
	mkdir -p "$(dirname "$work/$f")"
	[ -e "$o" ] && cp "$o" "$work/$f"
done
for p in "$REPO"/patches/*.patch; do
	[ -e "$p" ] || continue
	patch -s -p1 -d "$work" --no-backup-if-mismatch -r - < "$p" ||
		die "patch $(basename "$p") does not apply to $SRC"
done
changed=0
for f in $(printf '%s\n%s\n' "$files" "$prev" | sort -u); do
	[ -n "$f" ] || continue
	if [ -e "$work/$f" ]; then
		if ! cmp -s "$work/$f" "$SRC/$f"; then
			mkdir -p "$(dirname "$SRC/$f")"
			cp "$work/$f" "$SRC/$f"
			changed=$((changed + 1))
		fi
	elif [ -e "$SRC/$f" ]; then
		rm -f "$SRC/$f"
		changed=$((changed + 1))
	fi
done
printf '%s\n' "$files" > "$STATE/files"
[ "$changed" -gt 0 ] && log "overlay: $changed patched file(s) updated in $SRC"
exit 0
