#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Writes drm_cgroup as a git format-patch series against pristine Linux 7.3,
# with a cover letter, ready for git am or git send-email.
#
#   scripts/series.sh [OUTDIR]     default: $DRMCG_CACHE/series/out
#   scripts/series.sh --pristine   prepare the pristine tree, print its path
#
# The series is built from the same files the overlay places
# (scripts/overlay.sh): patches/series lists the commits in order; each
# commit takes its message from patches/NNNN-name.patch (or .msg when it
# edits no existing file), applies that patch and adds the new files listed
# under it, from the repository root (kernel/cgroup/drm/), tree/ and
# Documentation/. Every file the overlay places must be in the manifest.
#
# The commits are made in a scratch git repository of the unmodified
# Debian linux-source-7.3 (in $DRMCG_CACHE/series/), without a checkout:
# patches are applied to a private index. Author and Signed-off-by are the
# git identity (user.name, user.email) of whoever runs this.

. "$(dirname "$0")/common.sh"

SERIES_DIR=$DRMCG_CACHE/series
BASE_TAG=drmcg-base
# Fixed identity and date of the base commit, so that its hash depends on
# the tree alone.
BASE_ENV=(GIT_AUTHOR_NAME=linux GIT_AUTHOR_EMAIL=linux@localhost
	GIT_COMMITTER_NAME=linux GIT_COMMITTER_EMAIL=linux@localhost
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z"
	GIT_COMMITTER_DATE="2000-01-01T00:00:00Z")

# Debian package version of the kernel source setup.sh unpacked.
series_debver() {
	local key
	key=$(cat "$DRMCG_CACHE/current" 2>/dev/null) ||
		die "no kernel source in $DRMCG_CACHE; run scripts/setup.sh first"
	echo "${key#linux-source-}"
}

# A git repository of the unmodified kernel source, tagged $BASE_TAG, made
# once from the Debian package (downloaded again if it is not in the cache).
# Prints its path.
series_pristine() {
	local ver repo tmp deb
	ver=$(series_debver)
	repo=$SERIES_DIR/linux-$ver
	if [ -f "$repo/.git/drmcg-pristine" ]; then
		echo "$repo"
		return
	fi
	mkdir -p "$SERIES_DIR" "$DRMCG_CACHE/debs"
	deb=$(ls "$DRMCG_CACHE"/debs/linux-source-7.3_*.deb 2>/dev/null |
		grep -F "${ver//:/%3a}" | head -n1 || true)
	if [ -z "$deb" ]; then
		[ -f "$DRMCG_CACHE/apt/sources.list" ] ||
			die "no apt configuration in $DRMCG_CACHE/apt; run scripts/setup.sh"
		local aptopts=(-o "Dir::Etc::sourcelist=$DRMCG_CACHE/apt/sources.list"
			-o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$DRMCG_CACHE/apt/lists"
			-o "Dir::Cache::archives=$DRMCG_CACHE/apt/archives"
			-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
		log "series: downloading linux-source-7.3 $ver for the pristine tree"
		if ! (cd "$DRMCG_CACHE/debs" &&
			apt-get "${aptopts[@]}" download -q "linux-source-7.3=$ver" >/dev/null); then
			apt-get "${aptopts[@]}" update -q >/dev/null ||
				die "apt-get update of $(cat "$DRMCG_CACHE/apt/sources.list") failed"
			(cd "$DRMCG_CACHE/debs" &&
				apt-get "${aptopts[@]}" download -q "linux-source-7.3=$ver" >/dev/null) ||
				die "download of linux-source-7.3 $ver failed"
		fi
		deb=$(ls "$DRMCG_CACHE"/debs/linux-source-7.3_*.deb |
			grep -F "${ver//:/%3a}" | head -n1)
	fi
	log "series: unpacking $(basename "$deb") into $repo"
	tmp=$repo.tmp
	rm -rf "$tmp" "$repo"
	mkdir -p "$tmp"
	dpkg -x "$deb" "$tmp/deb"
	tar -C "$tmp" -xJf "$tmp"/deb/usr/src/linux-source-7.3.tar.xz
	mv "$tmp/linux-source-7.3" "$repo"
	rm -rf "$tmp"
	log "series: committing the pristine tree (git, once)"
	(
		cd "$repo"
		git init -q -b master .
		git config core.autocrlf false
		git config gc.auto 0
		# Everything the package holds, ignored patterns included.
		git add -A -f .
		env "${BASE_ENV[@]}" git commit -q --no-verify \
			-m "Linux $(drmcg_kversion "$repo") (Debian linux-source-7.3 $ver)"
		git tag -f "$BASE_TAG" >/dev/null
	)
	touch "$repo/.git/drmcg-pristine"
	echo "$repo"
}

if [ "${1:-}" = --pristine ]; then
	series_pristine
	exit 0
fi
