# SPDX-License-Identifier: GPL-2.0
# Shared settings for the drm_cgroup scripts. Sourced, never run.
#
# Every variable below may be set in the environment to override the default:
#   DRMCG_CACHE     cache root (toolchain, kernel source, build folders)
#   KSRC            use this Linux 7.3 source tree instead of Debian's linux-source-7.3
#   KBUILD          build folder (default: inside the cache, keyed by kernel version)
#   DRMCG_LLVM      value of LLVM= for make (default -19, i.e. clang-19);
#                   bindgen gets that LLVM's libclang (LIBCLANG_PATH)
#   RUSTC, RUSTDOC, BINDGEN, CLIPPY_DRIVER   tool paths
#   JOBS            make -j (default: number of CPUs)

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DRMCG_CACHE=${DRMCG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drm_cgroup}
DRMCG_LLVM=${DRMCG_LLVM:--19}
RUSTC=${RUSTC:-/usr/bin/rustc}
RUSTDOC=${RUSTDOC:-/usr/bin/rustdoc}
CLIPPY_DRIVER=${CLIPPY_DRIVER:-/usr/bin/clippy-driver}
BINDGEN=${BINDGEN:-$DRMCG_CACHE/tools/bin/bindgen}
JOBS=${JOBS:-$(nproc)}
# bindgen loads the newest libclang it finds; with several LLVM versions on
# the machine, give it the one the build's clang comes from.
if [ -z "${LIBCLANG_PATH:-}" ] && [ -n "$DRMCG_LLVM" ] &&
   [ -d "/usr/lib/llvm${DRMCG_LLVM}/lib" ]; then
	export LIBCLANG_PATH=/usr/lib/llvm${DRMCG_LLVM}/lib
fi

# Serialises the steps that write the kernel tree and the build folders: a
# second run waits for the first (the lock is released when the script exits).
drmcg_lock() {
	[ -n "${DRMCG_LOCKED:-}" ] && return
	mkdir -p "$DRMCG_CACHE"
	exec 9> "$DRMCG_CACHE/.lock"
	if ! flock -n 9; then
		log "waiting for another build in $DRMCG_CACHE"
		flock 9
	fi
	export DRMCG_LOCKED=1
}

log() { printf '[drm_cgroup] %s\n' "$*" >&2; }
die() { printf '[drm_cgroup] error: %s\n' "$*" >&2; exit 1; }

# The kernel source tree: $KSRC, or the one unpacked by setup.sh (recorded
# in $DRMCG_CACHE/current). Prints nothing and fails if there is none yet.
drmcg_ksrc() {
	if [ -n "${KSRC:-}" ]; then
		echo "$KSRC"
	elif [ -f "$DRMCG_CACHE/current" ]; then
		echo "$DRMCG_CACHE/$(cat "$DRMCG_CACHE/current")/linux"
	else
		return 1
	fi
}

# Kernel version of a tree, e.g. 7.3.4 (from its top Makefile).
drmcg_kversion() {
	awk '/^VERSION =/{v=$3} /^PATCHLEVEL =/{p=$3} /^SUBLEVEL =/{s=$3}
	     END{print v "." p "." s}' "$1/Makefile"
}

# Build folder for one flavour ("kunit", "debug", ...) of a tree.
drmcg_kbuild() {
	local src=$1 flavour=$2
	if [ -n "${KBUILD:-}" ]; then
		echo "$KBUILD/$flavour"
	else
		echo "$DRMCG_CACHE/build-$(drmcg_kversion "$src")/$flavour"
	fi
}

# make options shared by every kernel build.
drmcg_make_opts() {
	local opts=(ARCH=x86_64 "RUSTC=$RUSTC" "RUSTDOC=$RUSTDOC" "BINDGEN=$BINDGEN")
	[ -n "$DRMCG_LLVM" ] && opts+=("LLVM=$DRMCG_LLVM")
	printf '%s\n' "${opts[@]}"
}

# A PATH entry whose qemu-system-x86_64 never asks for KVM or HVF: on these
# machines /dev/kvm exists but KVM guests hang. DRMCG_KVM=1 keeps KVM.
drmcg_qemu_path() {
	local dir=$DRMCG_CACHE/tools/qemu-tcg
	if [ "${DRMCG_KVM:-0}" = 1 ]; then
		echo "$PATH"
		return
	fi
	mkdir -p "$dir"
	cat > "$dir/qemu-system-x86_64.new" <<'WRAP'
#!/bin/bash
# Drops hardware accelerators so QEMU uses TCG (software emulation).
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	-accel)
		case "$2" in kvm*|hvf*) shift 2; continue ;; esac ;;
	-enable-kvm) shift; continue ;;
	esac
	args+=("$1")
	shift
done
exec /usr/bin/qemu-system-x86_64 "${args[@]}"
WRAP
	chmod +x "$dir/qemu-system-x86_64.new"
	mv "$dir/qemu-system-x86_64.new" "$dir/qemu-system-x86_64"
	echo "$dir:$PATH"
}
