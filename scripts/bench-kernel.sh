#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds one of the dedicated benchmark kernels (tests/bench/*.config) in its
# own build folder and prints the path of its bzImage:
#
#   scripts/bench-kernel.sh gcc      GCC, Rust helpers out of line (what
#                                    distribution kernels ship)
#   scripts/bench-kernel.sh inline   clang-22 and lld-22 (LLVM 22.1.8, rustc's
#                                    own LLVM) with CONFIG_RUST_INLINE_HELPERS
#
# Incremental after the first (cold, several minutes) build. Installs
# clang-22, lld-22 and libclang-22-dev (Debian 12's security suite) for the
# inline flavour when they are missing, unless DRMCG_NO_APT=1.

. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/progress.sh"

flavour=${1:-}
case "$flavour" in
gcc | inline) ;;
*) die "usage: $0 gcc|inline" ;;
esac

drmcg_lock
"$REPO/scripts/setup.sh"
SRC=$(drmcg_ksrc)
OUT=$(drmcg_kbuild "$SRC" "bench-$flavour")
mkdir -p "$OUT"

configs=("$REPO/tests/bench/bench.config")
opts=(ARCH=x86_64 "RUSTC=$RUSTC" "RUSTDOC=$RUSTDOC" "BINDGEN=$BINDGEN")
if [ "$flavour" = inline ]; then
	missing=()
	for p in clang-22 lld-22 libclang-22-dev llvm-22; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		[ "${DRMCG_NO_APT:-0}" != 1 ] && [ "$(id -u)" = 0 ] ||
			die "missing ${missing[*]} (Debian 12: bookworm-security)"
		log "installing ${missing[*]}"
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
	fi
	# bindgen must parse the headers with the libclang of the C compiler.
	export LIBCLANG_PATH=${DRMCG_LIBCLANG22:-/usr/lib/llvm-22/lib}
	opts+=(LLVM=-22)
	configs+=("$REPO/tests/bench/inline.config")
fi

# Configure from the fragments only when they changed (a new .config
# rebuilds everything).
frag=$OUT/.drmcg-fragment
cat "${configs[@]}" > "$frag.new"
if ! cmp -s "$frag.new" "$frag" || [ ! -f "$OUT/.config" ]; then
	log "configuring $OUT"
	cp "$frag.new" "$OUT/.config"
	make -C "$SRC" O="$OUT" "${opts[@]}" olddefconfig >/dev/null
	while read -r line; do
		grep -qx "$line" "$OUT/.config" ||
			die "$line did not survive olddefconfig in $OUT"
	done < <(grep -h '^CONFIG_' "${configs[@]}")
	mv "$frag.new" "$frag"
else
	rm -f "$frag.new"
fi
log "building the $flavour benchmark kernel in $OUT"
drmcg_make_progress "build of the $flavour benchmark kernel" "$OUT/.drmcg-objects" 1000 \
	"$OUT/build.log" -- \
	make --no-print-directory -C "$SRC" O="$OUT" "${opts[@]}" -j"$JOBS" bzImage || {
	tail -n 30 "$OUT/build.log" >&2
	die "build of $OUT failed (log: $OUT/build.log)"
}
if grep -E 'warning:' "$OUT/build.log" | grep -E 'drm|drmcg' >&2; then
	log "warnings in our files, see above"
fi
echo "$OUT/arch/x86/boot/bzImage"
