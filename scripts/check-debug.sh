#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The KUnit suites and the guest tests on a debug kernel: KASAN, lockdep
# (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, kmemleak, list and object debugging
# (tests/kunit/debug.config). Slower than make check; ends with
# "N passed, N failed".

. "$(dirname "$0")/common.sh"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0

"$REPO/scripts/setup.sh"
log "KUnit on the debug kernel"
st=0
DRMCG_DEBUG=1 "$REPO/scripts/kunit.sh" --timeout=1800 2>&1 | tee "$logs/kunit" || st=1
read -r p f < <(sed -n 's/.*Ran \([0-9]*\) tests: passed: \([0-9]*\)\(, failed: \([0-9]*\)\)\?.*/\2 \4/p' \
	"$logs/kunit" | tail -n1 | awk '{ print $1 + 0, $2 + 0 }') || true
p=${p:-0} f=${f:-0}
[ "$p" -gt 0 ] || f=$((f + 1))
[ "$st" = 0 ] || [ "$f" -gt 0 ] || f=1
passed=$((passed + p)) failed=$((failed + f))

log "guest tests on the debug kernel"
st=0
"$REPO/scripts/guest.sh" --timeout 3600 --append drmcg_hunt_seconds=60 \
	--kernel "$(drmcg_kbuild "$(drmcg_ksrc)" debug)/arch/x86/boot/bzImage" \
	"$REPO"/tests/guest/*.sh "$REPO"/tests/guest/*.c 2>&1 | tee "$logs/guest" || st=1
read -r p f < <(sed -n 's/^guest: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$logs/guest") || true
p=${p:-0} f=${f:-0}
[ "$st" = 0 ] || [ "$f" -gt 0 ] || f=1
passed=$((passed + p)) failed=$((failed + f))

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
