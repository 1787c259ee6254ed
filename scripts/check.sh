#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything CI runs: setup, host tests, KUnit under QEMU, guest end-to-end
# tests and the style gates (scripts/lint.sh). Ends with "N passed, N failed"
# and fails if anything failed.

. "$(dirname "$0")/common.sh"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0 status=0

add() { passed=$((passed + $1)); failed=$((failed + $2)); }

start=$(date +%s)
"$REPO/scripts/setup.sh"
log "setup done in $(( $(date +%s) - start )) s"

log "host tests"
if "$REPO/scripts/host.sh" 2>&1 | tee "$logs/host"; then :; else status=1; fi
read -r p f < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) {
		if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
	END { print p + 0, f + 0 }' "$logs/host")
[ "$p" -gt 0 ] || { log "host tests ran nothing"; f=$((f + 1)); }
[ "$status" = 0 ] || [ "$f" -gt 0 ] || f=1
add "$p" "$f"

log "KUnit"
st=0
"$REPO/scripts/kunit.sh" 2>&1 | tee "$logs/kunit" || st=1
read -r p f < <(sed -n 's/.*Ran \([0-9]*\) tests: passed: \([0-9]*\)\(, failed: \([0-9]*\)\)\?.*/\2 \4/p' \
	"$logs/kunit" | tail -n1 | awk '{ print $1 + 0, $2 + 0 }') || true
p=${p:-0} f=${f:-0}
[ "$p" -gt 0 ] || { log "KUnit ran nothing"; f=$((f + 1)); }
[ "$st" = 0 ] || [ "$f" -gt 0 ] || f=1
add "$p" "$f"

log "guest tests"
st=0
"$REPO/scripts/guest.sh" "$REPO"/tests/guest/*.sh "$REPO"/tests/guest/*.c 2>&1 | tee "$logs/guest" || st=1
read -r p f < <(sed -n 's/^guest: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$logs/guest") || true
p=${p:-0} f=${f:-0}
[ "$st" = 0 ] || [ "$f" -gt 0 ] || f=1
add "$p" "$f"

log "lint: rustfmt, clippy, checkpatch"
if "$REPO/scripts/lint.sh" 2>&1 | tee "$logs/lint"; then add 1 0; else add 0 1; fi

log "finished in $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
