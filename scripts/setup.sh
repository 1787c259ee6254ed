#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs what drm_cgroup needs on a Debian 12 machine (as root), fetches
# Debian's linux-source-7.3 into the cache and places the overlay in it.
# Idempotent and quiet when everything is already there.
#
#   scripts/setup.sh            toolchain + kernel source + overlay
#   scripts/setup.sh tools      toolchain only (packages and bindgen)
#
# With KSRC=/path/to/linux-7.3 the Debian source download is skipped and the
# overlay goes into that tree. With DRMCG_NO_APT=1 no package is installed
# (bring your own toolchain and point RUSTC/RUSTDOC/BINDGEN at it).

. "$(dirname "$0")/common.sh"

PACKAGES=(
	rustc-web rust-web-src cargo-web rust-web-clippy rustfmt-web
	libclang-19-dev clang-19 lld-19 llvm-19
	qemu-system-x86 busybox-static cpio
	flex bison bc libelf-dev libssl-dev build-essential pahole dwarves
	kmod rsync python3 xz-utils
)
BINDGEN_VERSION=0.73.2

install_packages() {
	[ "${DRMCG_NO_APT:-0}" = 1 ] && return
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	[ "$(id -u)" = 0 ] || die "packages missing (${missing[*]}); run as root or install them"
	log "installing packages: ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

install_bindgen() {
	if [ -x "$BINDGEN" ]; then
		return
	fi
	[ "$BINDGEN" = "$DRMCG_CACHE/tools/bin/bindgen" ] ||
		die "BINDGEN=$BINDGEN does not exist"
	log "building bindgen-cli $BINDGEN_VERSION from crates.io (about 80 s)"
	# On a terminal, cargo's own progress bar; in logs, quiet.
	local quiet=(-q)
	[ -t 2 ] && quiet=()
	RUSTC=$RUSTC /usr/bin/cargo install bindgen-cli --version "$BINDGEN_VERSION" \
		--locked --root "$DRMCG_CACHE/tools" -j "$JOBS" "${quiet[@]}"
}

# Debian's linux-source-7.3 lives in trixie-backports, which bookworm does not
# list: use a private apt configuration that leaves the machine's own alone.
fetch_kernel() {
	[ -n "${KSRC:-}" ] && return
	if [ -f "$DRMCG_CACHE/current" ] && [ "${DRMCG_REFRESH:-0}" != 1 ] &&
	   [ -f "$(drmcg_ksrc)/.drmcg-unpacked" ]; then
		return
	fi
	local apt=$DRMCG_CACHE/apt mirror
	mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$DRMCG_CACHE/debs"
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -nE 's,^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)(https?://[^ ]+/debian)/?( .*)?$,\3,p' |
		head -n1 || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	echo "deb ${mirror%/} trixie-backports main" > "$apt/sources.list"
	local aptopts=(-o "Dir::Etc::sourcelist=$apt/sources.list"
		-o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt/lists"
		-o "Dir::Cache::archives=$apt/archives" -o Debug::NoLocking=1
		-o APT::Sandbox::User=root
		-o APT::Get::List-Cleanup=0)
	log "looking up linux-source-7.3 in trixie-backports"
	apt-get "${aptopts[@]}" update -q >/dev/null ||
		die "apt-get update of trixie-backports failed"
	local ver
	ver=$(apt-cache "${aptopts[@]}" show linux-source-7.3 2>/dev/null |
		awk '/^Version:/{print $2; exit}')
	[ -n "$ver" ] || die "Debian package linux-source-7.3 not found in trixie-backports; \
set KSRC to a Linux 7.3 tree instead"
	local key="linux-source-$ver"
	if [ ! -f "$DRMCG_CACHE/$key/linux/.drmcg-unpacked" ]; then
		log "downloading linux-source-7.3 $ver"
		(cd "$DRMCG_CACHE/debs" && apt-get "${aptopts[@]}" download -q \
			"linux-source-7.3=$ver" >/dev/null) ||
			die "download of linux-source-7.3 $ver failed"
		local deb tmp
		deb=$(ls "$DRMCG_CACHE"/debs/linux-source-7.3_*.deb | grep -F "${ver//:/%3a}" | head -n1)
		tmp=$DRMCG_CACHE/$key.tmp
		rm -rf "$tmp"
		mkdir -p "$tmp"
		dpkg -x "$deb" "$tmp/deb"
		log "unpacking $(basename "$deb")"
		tar -C "$tmp" -xJf "$tmp"/deb/usr/src/linux-source-7.3.tar.xz
		rm -rf "$tmp/deb" "$DRMCG_CACHE/$key"
		mkdir -p "$DRMCG_CACHE/$key"
		mv "$tmp"/linux-source-7.3 "$DRMCG_CACHE/$key/linux"
		rmdir "$tmp"
		touch "$DRMCG_CACHE/$key/linux/.drmcg-unpacked"
		rm -f "$deb"
	fi
	echo "$key" > "$DRMCG_CACHE/current"
}

mkdir -p "$DRMCG_CACHE"
install_packages
install_bindgen
[ "${1:-}" = tools ] && exit 0
fetch_kernel
"$REPO/scripts/overlay.sh" "$(drmcg_ksrc)"
