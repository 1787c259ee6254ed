#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks the series that scripts/series.sh writes, as a reviewer would use
# it: applies it patch by patch with git am to the pristine Linux 7.3 tree,
# builds the test kernel after each patch (incrementally, in a build folder
# of its own), runs checkpatch.pl --strict on each patch, and checks that
# the result equals the tree scripts/overlay.sh produces from the same
# repository (kernel/cgroup/drm/tests/, the repository's test harness that
# the overlay also copies, and the overlay's own state folder aside).
#
#   scripts/series-check.sh
#
# Ends with "series-check: N passed, N failed" and fails on any error,
# warning or checkpatch finding. Builds take the cache's build lock.

. "$(dirname "$0")/common.sh"

SERIES_DIR=$DRMCG_CACHE/series
OUT=$SERIES_DIR/check-out
BUILD=$SERIES_DIR/build
LOGS=$SERIES_DIR/logs
CONFIG=$REPO/tests/kunit/drm_cgroup.kunitconfig
start=$SECONDS

PRISTINE=$("$REPO/scripts/series.sh" --pristine)
mapfile -t mkopts < <(drmcg_make_opts)
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-$(git -C "$REPO" config user.name)}
export GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-$(git -C "$REPO" config user.email)}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL

# The series has a tree and a build folder of its own: one series-check at a
# time, but test builds in the cache's main tree may go on meanwhile.
mkdir -p "$SERIES_DIR"
exec 8> "$SERIES_DIR/.lock"
flock -n 8 || { log "waiting for another series-check"; flock 8; }
"$REPO/scripts/series.sh" "$OUT" > /dev/null
mapfile -t patches < <(ls "$OUT"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-')
mkdir -p "$BUILD" "$LOGS"
rm -f "$LOGS"/*.log
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); log "FAIL: $*"; }

# One source of truth: the series' result against the overlay's, placed
# from the same files right after the series was written (other work in
# the checkout during the builds cannot skew it).
ov=$SERIES_DIR/overlay
if [ ! -e "$ov/.git" ]; then
	git -C "$PRISTINE" worktree prune
	git -C "$PRISTINE" worktree add -q --detach "$ov" drmcg-base
fi
git -C "$ov" checkout -q -f --detach drmcg-base
git -C "$ov" clean -q -f -d -x
"$REPO/scripts/overlay.sh" "$ov" 2> "$LOGS/overlay.log" ||
	ko "overlay.sh failed; see $LOGS/overlay.log"
idx=$(mktemp -u)
ovtree=$(cd "$ov" && export GIT_INDEX_FILE=$idx &&
	git read-tree drmcg-base && git add -A -f . &&
	git rm -r -q --cached --ignore-unmatch .drm_cgroup-overlay \
		kernel/cgroup/drm/tests > /dev/null && git write-tree)
rm -f "$idx"
if [ "$ovtree" = "$(git -C "$PRISTINE" rev-parse 'drmcg-series^{tree}')" ]; then
	ok
	log "the series' tree equals the overlay's"
else
	ko "the series' tree differs from the overlay's:"
	git -C "$PRISTINE" diff-tree -r --stat drmcg-series "$ovtree" >&2
fi

# Shows the build's progress on one line of a terminal; stays quiet when
# stderr is not one (the per-patch summary lines are printed either way).
progress() {
	local tag=$1 line
	if [ -t 2 ]; then
		while IFS= read -r line; do
			printf '\r\033[K[%s] %.70s' "$tag" "$line" >&2
		done
		printf '\r\033[K' >&2
	else
		cat > /dev/null
	fi
}

# Builds the test kernel of the tree at $PRISTINE; its log goes to $1.
build() {
	local log=$1 tag=$2
	# kunit.py's way: the kunitconfig as .config, completed by olddefconfig.
	# Options the tree does not know yet are dropped at this step.
	cp "$CONFIG" "$BUILD/.config"
	make -C "$PRISTINE" O="$BUILD" "${mkopts[@]}" olddefconfig > "$log" 2>&1 || return 1
	make -C "$PRISTINE" O="$BUILD" "${mkopts[@]}" -j"$JOBS" 2>&1 |
		tee -a "$log" | grep --line-buffered -E '^  [A-Z]' | progress "$tag"
	return "${PIPESTATUS[0]}"
}

cd "$PRISTINE"
git checkout -q -f --detach drmcg-base
git clean -q -f -d
n=${#patches[@]}
i=0
for p in "${patches[@]}"; do
	i=$((i + 1))
	name=$(basename "$p" .patch)
	tag="$i/$n"
	t0=$SECONDS
	if ! git am -q "$p" > "$LOGS/$name.am.log" 2>&1; then
		ko "$name does not apply (git am); see $LOGS/$name.am.log"
		git am --abort > /dev/null 2>&1 || true
		break
	fi
	cp=ok
	# FILE_PATH_CHANGES asks for a MAINTAINERS entry, which needs a named
	# maintainer: that is for whoever posts the series to add. spdxcheck's
	# complaint about a missing python3-ply is not a finding.
	if ! "$PRISTINE/scripts/checkpatch.pl" --strict --quiet --no-summary \
		--ignore FILE_PATH_CHANGES "$p" \
		> "$LOGS/$name.checkpatch.log" 2> "$LOGS/$name.checkpatch.err"; then
		cp=FAIL
		ko "$name: checkpatch --strict"
		sed 's/^/    /' "$LOGS/$name.checkpatch.log" >&2
	else
		ok
	fi
	b=ok
	if ! build "$LOGS/$name.log" "$tag"; then
		b=FAIL
		ko "$name does not build; see $LOGS/$name.log"
		grep -E 'error' "$LOGS/$name.log" | head -n 20 >&2 || true
	elif grep -q 'warning:' "$LOGS/$name.log"; then
		b=WARN
		ko "$name builds with warnings"
		grep 'warning:' "$LOGS/$name.log" | head -n 20 >&2
	else
		ok
	fi
	log "[$tag] $name: checkpatch $cp, build $b ($((SECONDS - t0)) s)"
done

# The commits git am made must be the ones series.sh made.
if [ "$i" = "$n" ]; then
	if [ "$(git rev-parse 'HEAD^{tree}')" = "$(git rev-parse 'drmcg-series^{tree}')" ]; then
		ok
	else
		ko "git am of the patches gives another tree than the series' commits"
	fi
fi

log "series-check took $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
echo "series-check: $pass passed, $fail failed"
[ "$fail" = 0 ]
