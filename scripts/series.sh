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

# Where a kernel path of the manifest comes from in this repository.
series_src() {
	case "$1" in
	kernel/cgroup/drm/*) echo "$REPO/${1#kernel/cgroup/drm/}" ;;
	Documentation/*) echo "$REPO/$1" ;;
	*) echo "$REPO/tree/$1" ;;
	esac
}

# The new files the overlay places, as kernel paths (see overlay.sh):
# the repository root at kernel/cgroup/drm/ except what it excludes
# (tests/, the repository's test harness, and GNUmakefile, the developer
# targets, are not kernel code), tree/ and Documentation/.
series_overlay_files() {
	(cd "$REPO" && find . -path ./tests -prune -o -path './.*' -prune -o \
		-path ./scripts -prune -o -path ./patches -prune -o \
		-path ./tree -prune -o -path ./Documentation -prune -o \
		-path ./README.md -prune -o -path ./GNUmakefile -prune -o \
		-type f -print) |
		sed 's|^\./|kernel/cgroup/drm/|'
	[ -d "$REPO/tree" ] && (cd "$REPO/tree" && find . -type f) | sed 's|^\./||'
	(cd "$REPO" && find Documentation -type f)
}

# Prints file $1 without what belongs to the Kconfig symbols $2...: their
# "config" entries in a Kconfig file, the lines naming CONFIG_SYM elsewhere.
series_filter() {
	local f=$1
	shift
	if [ "$(basename "$f")" = Kconfig ]; then
		awk -v syms="$*" '
			BEGIN { n = split(syms, s, " "); for (i = 1; i <= n; i++) drop[s[i]] = 1 }
			/^(config|menuconfig) / { skip = ($2 in drop) }
			/^(endmenu|endif|menu |if |source |comment )/ { skip = 0 }
			skip { next }
			{ lines[++m] = $0 }
			END {
				# No blank line left at the end by a dropped last entry.
				while (m > 0 && lines[m] == "") m--
				for (i = 1; i <= m; i++) print lines[i]
			}' "$f"
	else
		local re
		re=$(printf 'CONFIG_%s\\b|' "$@")
		grep -Ev "${re%|}" "$f"
	fi
}

[ $# -le 1 ] || die "usage: scripts/series.sh [OUTDIR]"
OUT=${1:-$SERIES_DIR/out}
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac
PREFIX=${SERIES_PREFIX:-RFC PATCH}

name=$(git -C "$REPO" config user.name || true)
email=$(git -C "$REPO" config user.email || true)
[ -n "$name" ] && [ -n "$email" ] ||
	die "no git identity: set git config user.name and user.email (they sign the series)"
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
signoff="Signed-off-by: $name <$email>"

PRISTINE=$(series_pristine)
export GIT_DIR=$PRISTINE/.git
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_INDEX_FILE=$work/index
git read-tree "$BASE_TAG"
parent=$(git rev-parse "$BASE_TAG^{commit}")

# Parse the manifest: for each commit, its name and its file lines.
declare -a commits=()
declare -A files=() final=() seen=()
cur=
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	'#'* | '') continue ;;
	[[:space:]]*)
		[ -n "$cur" ] || die "patches/series: file before any commit: $line"
		read -r path syms <<< "$line"
		src=$(series_src "$path")
		matched=0
		for s in $src; do
			[ -f "$s" ] || continue
			matched=1
			kpath=$(dirname "$path")/${s##*/}
			[ -z "${final[$kpath]:-}" ] ||
				die "patches/series: $kpath added again after its full version"
			[ -z "$syms" ] && final[$kpath]=$cur
			files[$cur]+="$kpath|${syms//-/}"$'\n'
		done
		[ $matched = 1 ] || die "patches/series: $path: no such file in the repository"
		;;
	*)
		cur=$line
		[ -f "$REPO/patches/$cur.patch" ] || [ -f "$REPO/patches/$cur.msg" ] ||
			die "patches/series: $cur has neither a .patch nor a .msg"
		commits+=("$cur")
		;;
	esac
done < "$REPO/patches/series"

# One source of truth: the manifest and the overlay cover the same files.
missing=0
while read -r f; do
	if [ -z "${final[$f]:-}" ]; then
		log "series: $f is placed by the overlay but in no commit of patches/series"
		missing=1
	fi
	seen[$f]=1
done < <(series_overlay_files)
for f in "${!final[@]}"; do
	[ -n "${seen[$f]:-}" ] || { log "series: $f is in patches/series only"; missing=1; }
done
for p in "$REPO"/patches/*.patch "$REPO"/patches/*.msg; do
	n=$(basename "${p%.*}")
	printf '%s\n' "${commits[@]}" | grep -qxF "$n" ||
		{ log "series: $(basename "$p") is not in patches/series"; missing=1; }
done
[ $missing = 0 ] || die "patches/series does not match the files the overlay places"

# Build the commits on a private index, without a checkout.
for c in "${commits[@]}"; do
	if [ -f "$REPO/patches/$c.patch" ]; then
		sed '/^---$/q' "$REPO/patches/$c.patch" | sed '$d' > "$work/msg"
		git apply --cached "$REPO/patches/$c.patch" ||
			die "patches/$c.patch does not apply in the series"
	else
		cp "$REPO/patches/$c.msg" "$work/msg"
	fi
	while IFS='|' read -r kpath syms; do
		[ -n "$kpath" ] || continue
		src=$(series_src "$kpath")
		if [ -n "$syms" ]; then
			# shellcheck disable=SC2086
			series_filter "$src" $syms > "$work/file"
		else
			cp "$src" "$work/file"
		fi
		mode=100644
		[ -x "$src" ] && mode=100755
		blob=$(git hash-object -w "$work/file")
		git update-index --add --cacheinfo "$mode,$blob,$kpath"
	done <<< "${files[$c]:-}"
	git interpret-trailers --in-place --trailer "$signoff" "$work/msg"
	tree=$(git write-tree)
	parent=$(git commit-tree "$tree" -p "$parent" -F "$work/msg")
done
git update-ref refs/heads/drmcg-series "$parent"

mkdir -p "$OUT"
rm -f "$OUT"/*.patch
git format-patch -q --cover-letter --subject-prefix="$PREFIX" --no-signature \
	-o "$OUT" "$BASE_TAG..drmcg-series" > /dev/null
cover=$(ls "$OUT"/0000-*.patch)
python3 - "$cover" "$REPO/patches/cover-letter" <<'PY'
import sys
path, src = sys.argv[1], sys.argv[2]
text = open(src).read().rstrip("\n").split("\n")
subject, blurb = text[0], "\n".join(text[2:])
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", subject, 1).replace("*** BLURB HERE ***", blurb, 1)
open(path, "w").write(s)
PY
log "series: ${#commits[@]} patches and a cover letter in $OUT"
echo "$OUT"
