#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Coverage-guided fuzzing of the controller's pure files with libFuzzer
# (cargo-fuzz): the fuzz crate in tests/fuzz builds them through the host
# crate. Targets:
#   parse_line   the parser of the limit files (parse.rs) against the
#                documented grammar, round trips and rejections
#   ops          operation sequences on the accounting core (charge.rs,
#                evict.rs) against the reference model
#
#   scripts/fuzz.sh [TARGET...]     (default: every target)
#
# Environment:
#   FUZZ_SECONDS     fuzzing time per target (default 60)
#   FUZZ_SANITIZER   cargo fuzz --sanitizer (default none: the files under
#                    test have no unsafe code; "address" works too, slower)
#   FUZZ_ARGS        extra libFuzzer options, e.g. "-seed=1 -max_len=512"
#
# Installs cargo-fuzz into $DRMCG_CACHE/tools on first use (quiet afterwards)
# and builds with the machine's stable Rust (RUSTC_BOOTSTRAP=1 allows the
# -Zsanitizer option a sanitizer needs). Build folders, the growing corpus
# ($DRMCG_CACHE/fuzz/corpus/TARGET), crash inputs and logs stay in the cache.
# First runs the fuzz crate's tests (grammar examples, and a replay of every
# input under tests/fuzz/seeds and tests/fuzz/regressions), then fuzzes each
# target and prints executions, coverage and crashes. Prints
# "fuzz: N passed, N failed" and exits non-zero on a failed replay or a crash.

. "$(dirname "$0")/common.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-none}
CARGO_FUZZ_VERSION=0.13.2
CRATE=$REPO/tests/fuzz
WORK=$DRMCG_CACHE/fuzz
TOOLS=$DRMCG_CACHE/tools
CARGO=${CARGO:-$(command -v cargo || echo /usr/bin/cargo)}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
export RUSTC_BOOTSTRAP=1
export PATH=$TOOLS/bin:$PATH

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse_line ops)
case "$FUZZ_SECONDS" in '' | *[!0-9]* | 0) die "FUZZ_SECONDS must be a positive number" ;; esac

if [ "$("$TOOLS/bin/cargo-fuzz" --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
	log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS"
	"$CARGO" install --quiet --locked --force --root "$TOOLS" \
		"cargo-fuzz@$CARGO_FUZZ_VERSION" || die "cannot install cargo-fuzz"
fi

mkdir -p "$WORK"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }

log "fuzz crate tests (grammar examples, replay of seeds and regressions)"
if (cd "$CRATE" && CARGO_TARGET_DIR=$DRMCG_CACHE/fuzz-test-target "$CARGO" test -q \
	>"$WORK/test.log" 2>&1); then
	ok "fuzz crate tests"
else
	grep -E 'panicked|left:|right:|FAILED|failed' "$WORK/test.log" | tail -20
	bad "fuzz crate tests (log: $WORK/test.log)"
fi

log "building the fuzz targets (sanitizer: $FUZZ_SANITIZER)"
for t in "${targets[@]}"; do
	"$CARGO" fuzz build --fuzz-dir "$CRATE" --target-dir "$DRMCG_CACHE/fuzz-target" \
		--sanitizer "$FUZZ_SANITIZER" "$t" >"$WORK/build.log" 2>&1 ||
		{ tail -30 "$WORK/build.log"; die "cargo fuzz build $t failed"; }
done
BIN=$DRMCG_CACHE/fuzz-target/x86_64-unknown-linux-gnu/release

for t in "${targets[@]}"; do
	[ -x "$BIN/$t" ] || die "no fuzz target $t"
	corpus=$WORK/corpus/$t artifacts=$WORK/artifacts/$t logf=$WORK/$t.log
	mkdir -p "$corpus" "$artifacts"
	dirs=("$corpus")
	[ -d "$CRATE/seeds/$t" ] && dirs+=("$CRATE/seeds/$t")

	# Stored reproducers first, one by one: one that still fails is reported
	# and left out of the corpus, so that fuzzing can go on.
	regressions_ok=1
	for f in "$CRATE/regressions/$t"/*; do
		[ -f "$f" ] || continue
		if ! "$BIN/$t" "$f" >"$logf" 2>&1; then
			regressions_ok=0
			bad "$t: regression input still fails: ${f#"$REPO"/}"
			grep -m1 -A3 'panicked' "$logf" | sed 's/^/    /'
		fi
	done
	[ "$regressions_ok" = 1 ] && [ -d "$CRATE/regressions/$t" ] && dirs+=("$CRATE/regressions/$t")

	log "fuzzing $t for ${FUZZ_SECONDS}s (log: $logf)"
	touch "$WORK/.start"
	# shellcheck disable=SC2086
	"$BIN/$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=20 \
		-rss_limit_mb=2048 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} \
		"${dirs[@]}" >"$logf" 2>&1 && rc=0 || rc=$?
	found=$(find "$artifacts" -type f -newer "$WORK/.start")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logf" | tail -1)
	last=$(grep -E '^#[0-9]+.*cov: ' "$logf" | tail -1)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
	crashes=$(grep -c . <<<"$found" || true)
	printf '%s: %s executions (%s/s), coverage %s edges, %s features, corpus %s inputs, %d crash(es)\n' \
		"$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
	if [ "$rc" = 0 ] && [ "$crashes" = 0 ]; then
		ok "$t"
	else
		grep -m1 -A3 -E 'panicked|ERROR: libFuzzer|ERROR: AddressSanitizer' "$logf" | sed 's/^/    /'
		if [ -n "$found" ]; then
			while read -r f; do echo "    input: $f"; done <<<"$found"
		fi
		bad "$t (exit $rc; reproduce with: $BIN/$t INPUT)"
	fi
done

echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
