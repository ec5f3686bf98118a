#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build qemu-system-x86_64 with the gm-rk card model (tools/qemu/gmrk.c).
#
# Usage: tools/qemu/build.sh            prints the emulator's path as its
#                                       last line; all else goes to stderr
#
# The QEMU source is Debian's (`apt-get source qemu`, unpacked with
# dpkg-source -x so Debian's patches apply), so the emulator matches the
# distribution's qemu-system-x86 in everything but the added device.
#
# Layout under $GMRK_CACHE (default ~/.cache/gmrk), all outside the repo:
#   qemu-src/<version>/       Debian's source package, downloaded once
#   qemu-tree-<thash>/        configured source+build tree; thash covers
#                             this script, the patch files and the QEMU
#                             version, so editing gmrk.c only rebuilds
#                             incrementally in here (the dev loop)
#   qemu-<hash>/bin/qemu-system-x86_64
#                             the finished emulator; hash also covers
#                             gmrk.c and gmrk_hw.h, so a second run with
#                             the same inputs is a cache hit and instant
# Every step builds into a temporary name and renames at the end, so an
# interrupted run leaves nothing that a later run would mistake for done.
#
# Firmware: the binary is configured with Debian's firmware path
# (/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu, from the
# qemu-system-data, seabios and ipxe-qemu packages), the same one
# Debian's own qemu-system-x86 uses, so it finds bios-256k.bin,
# linuxboot_dma.bin, kvmvapic.bin and the option ROMs without -L.
#
# Environment:
#   GMRK_CACHE        cache root (default ${XDG_CACHE_HOME:-~/.cache}/gmrk)
#   GMRK_QEMU_JOBS    ninja -j (default 2: the build machine is shared)
#   GMRK_QEMU_FORCE=1 rebuild the final binary even if cached
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${GMRK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gmrk}
jobs=${GMRK_QEMU_JOBS:-2}
firmware=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu

log() { echo "qemu-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Everything but the final path goes to stderr.
exec 3>&1 1>&2

model_files=("$here/gmrk.c" "$top/driver/gmrk_hw.h")
patch_files=("$here/patches/"*.patch)
[ -e "${patch_files[0]}" ] || patch_files=()
for f in "${model_files[@]}"; do
	[ -r "$f" ] || die "missing $f"
done

mkdir -p "$cache"

# Temporary paths removed on any exit; renamed into place when complete.
tmp_paths=()
cleanup() { [ ${#tmp_paths[@]} -eq 0 ] || rm -rf "${tmp_paths[@]}"; }
trap cleanup EXIT
track() { tmp_paths+=("$1"); }
untrack() {
	local keep=() p
	for p in "${tmp_paths[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	tmp_paths=("${keep[@]}")
}

# Leftovers of runs that were killed before they could clean up.
for old in "$cache"/qemu-*.tmp.* "$cache"/qemu-src/.tmp.*; do
	[ -e "$old" ] || continue
	pid=${old##*.}
	[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && rm -rf "$old"
done

# Build from a snapshot of the model, so an edit during a long build
# cannot end up under the cache key of the text that was hashed.
snap=$(mktemp -d "${TMPDIR:-/tmp}/gmrk-qemu-model.XXXXXX")
track "$snap"
cp "${model_files[@]}" "$snap/"

# ---- deb-src: apt-get source needs source indexes ----

# Does any apt source list deb-src for bookworm already?
have_deb_src() {
	grep -qsE '^[[:space:]]*deb-src[[:space:]].*bookworm' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
	# deb822: a stanza with Types containing deb-src and a bookworm suite.
	awk 'BEGIN { RS = ""; FS = "\n"; found = 1 }
	     /(^|\n)Types:[^\n]*deb-src/ && /(^|\n)Suites:[^\n]*bookworm/ { found = 0 }
	     END { exit found }' /etc/apt/sources.list.d/*.sources 2>/dev/null
}

# Mirror the enabled Debian "deb" entries of this machine as deb-src.
add_deb_src() {
	local out=/etc/apt/sources.list.d/gmrk-deb-src.sources
	[ "$(id -u)" = 0 ] || die "no deb-src for bookworm; run as root once so $0 can add $out"
	local tmp
	tmp=$(mktemp)
	{
		echo "# Added by gmrk tools/qemu/build.sh: source indexes for apt-get source qemu,"
		echo "# mirroring the deb entries of this machine."
		# deb822 stanzas: copy those with Types: deb and a bookworm suite.
		awk 'function flush() {
			if (isdeb && bookworm && enabled) printf "%s\n", buf
			buf = ""; isdeb = 0; bookworm = 0; enabled = 1
		     }
		     BEGIN { enabled = 1 }
		     /^[ \t]*$/ { flush(); next }
		     /^#/ { next }
		     /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") isdeb = 1
				 buf = buf "Types: deb-src\n"; next }
		     /^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /^bookworm/) bookworm = 1 }
		     /^Enabled:/ { if ($2 == "no") enabled = 0 }
		     { buf = buf $0 "\n" }
		     END { flush() }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
		# One-line format: "deb [opts] URI bookworm... comps".
		grep -hsE '^[[:space:]]*deb[[:space:]].*[[:space:]]bookworm' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list |
			sed -E 's/^[[:space:]]*deb[[:space:]]+/Types: deb-src\n/' |
			awk '/^Types:/ { print; next }
			     { opts = ""; n = split($0, w, /[ \t]+/); i = 1
			       if (w[1] ~ /^\[/) { while (w[i] !~ /\]$/) { opts = opts " " w[i]; i++ }
						   opts = opts " " w[i]; i++ }
			       if (opts ~ /signed-by=/) { sub(/.*signed-by=/, "", opts); sub(/[ \]].*/, "", opts)
							  print "Signed-By: " opts }
			       print "URIs: " w[i]; printf "Suites:"; i++
			       for (; i <= n && w[i] ~ /^bookworm/; i++) printf " %s", w[i]
			       printf "\nComponents:"; for (; i <= n; i++) printf " %s", w[i]
			       printf "\n\n" }' || true
	} >"$tmp"
	grep -q '^Types: deb-src' "$tmp" || { rm -f "$tmp"; die "found no bookworm deb entries to mirror as deb-src"; }
	install -m 0644 "$tmp" "$out"
	rm -f "$tmp"
	log "added $out; running apt-get update"
	apt-get update -q >&2 || { sleep 5; apt-get update -q >&2; }
}

# ---- Debian's QEMU source, downloaded and unpacked once per version ----

src_version() {
	# The version apt-get source would fetch: the highest one on offer
	# (bookworm and bookworm-security may both list one).
	local v best=""
	for v in $(apt-cache showsrc qemu 2>/dev/null | awk '/^Version:/ { print $2 }'); do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	echo "$best"
}

# The newest source already unpacked, for when apt cannot tell (offline).
cached_version() {
	local d best=""
	for d in "$cache"/qemu-src/*/tree; do
		[ -d "$d" ] || continue
		d=${d%/tree}
		d=${d##*/}
		if [ -z "$best" ] || dpkg --compare-versions "$d" gt "$best"; then
			best=$d
		fi
	done
	echo "$best"
}

ver=$(src_version || true)
if [ -z "$ver" ]; then
	ver=$(cached_version)
	if [ -n "$ver" ]; then
		log "apt-cache knows no qemu source; using the cached $ver"
	else
		have_deb_src || add_deb_src
		ver=$(src_version || true)
		if [ -z "$ver" ] && [ "$(id -u)" = 0 ]; then
			apt-get update -q >&2
			ver=$(src_version || true)
		fi
		[ -n "$ver" ] || die "apt-cache showsrc qemu finds nothing (deb-src configured? apt-get update run?)"
	fi
fi
uver=${ver#*:}	# the epoch is not part of file names
srcdir=$cache/qemu-src/$uver

if [ ! -d "$srcdir/tree" ]; then
	log "fetching Debian's qemu $ver source"
	tmp=$cache/qemu-src/.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp/dl"
	track "$tmp"
	(cd "$tmp/dl" && apt-get source --download-only -q "qemu=$ver" >&2)
	dsc=$(ls "$tmp/dl"/qemu_*.dsc)
	log "unpacking $(basename "$dsc") with dpkg-source -x (applies Debian's patches)"
	dpkg-source -q -x "$dsc" "$tmp/tree" >&2
	mkdir -p "$(dirname "$srcdir")"
	rm -rf "$tmp/dl"
	rm -rf "$srcdir"
	mv "$tmp" "$srcdir"
	untrack "$tmp"
fi

# ---- Wire the device into QEMU's tree ----

install_model() {
	local dir=$1 f
	# The model includes the contract header by its plain name; keep a copy
	# next to it so the tree builds without reaching back into the repo.
	# Unchanged files are not touched, so ninja rebuilds only what changed.
	for f in gmrk.c gmrk_hw.h; do
		cmp -s "$snap/$f" "$dir/hw/misc/$f" || cp "$snap/$f" "$dir/hw/misc/$f"
	done
}

wire_tree() {
	local dir=$1
	# Kconfig: on wherever PCI devices are, like QEMU's own PCI test devices.
	cat >>"$dir/hw/misc/Kconfig" <<-'EOF'

	config GMRK
	    bool
	    default y if PCI_DEVICES
	    depends on PCI && MSI_NONBROKEN
	EOF
	# meson: the model computes with libgcrypt; QEMU's top-level meson.build
	# already resolves it as `gcrypt` when configured with --enable-gcrypt.
	cat >>"$dir/hw/misc/meson.build" <<-'EOF'

	# gm-rk crypto card (gmrk project, tools/qemu/gmrk.c)
	softmmu_ss.add(when: 'CONFIG_GMRK', if_true: [files('gmrk.c'), gcrypt])
	EOF
	local p
	for p in "${patch_files[@]}"; do
		log "applying $(basename "$p")"
		patch -d "$dir" -p1 --forward --batch <"$p" >&2
	done
}

configure_tree() {
	local dir=$1
	mkdir -p "$dir/build"
	# Features: start from none (--without-default-features) and turn on
	# what the VM harness uses. Machines, serial, PCI, MSI-X and QMP are
	# not optional features, they stay. Prefix is outside /usr so QEMU
	# does not relocate the absolute firmware path.
	(cd "$dir/build" && ../configure \
		--prefix="$cache/qemu-prefix" \
		--firmwarepath="$firmware" \
		--target-list=x86_64-softmmu \
		--disable-install-blobs \
		--without-default-features \
		--disable-docs \
		--disable-tools \
		--disable-guest-agent \
		--disable-user \
		--disable-werror \
		--enable-gcrypt \
		--disable-nettle \
		--disable-gnutls \
		--enable-slirp \
		--enable-tcg \
		--enable-fdt=system \
		--enable-malloc-trim \
		--enable-trace-backends=nop) >&2
}

# ---- Cache keys ----

# thash: what the configured tree is made from (the QEMU version, patches,
# and the two functions above with the paths they use), so edits elsewhere
# in this script do not cost a full rebuild. hash: that, this whole
# script, and the model.
thash=$( { echo "$uver" "$firmware" "$cache"; declare -f wire_tree configure_tree
	cat "${patch_files[@]}" /dev/null; } | sha256sum | cut -c1-16)
hash=$( { echo "$thash"; cat "$0" "$snap/gmrk.c" "$snap/gmrk_hw.h"; } |
	sha256sum | cut -c1-16)
final=$cache/qemu-$hash
tree=$cache/qemu-tree-$thash

if [ -x "$final/bin/qemu-system-x86_64" ] && [ "${GMRK_QEMU_FORCE:-0}" != 1 ]; then
	log "cached: $final"
	echo "$final/bin/qemu-system-x86_64" >&3
	exit 0
fi

# Only one build per tree at a time; others wait, then usually hit the cache.
exec 9>"$cache/qemu-tree-$thash.lock"
flock 9

if [ ! -f "$tree/.configured" ]; then
	log "preparing build tree $tree (once; 4-15 min on 2 shared cores)"
	ttmp=$tree.tmp.$$
	rm -rf "$ttmp"
	track "$ttmp"
	cp -a "$srcdir/tree" "$ttmp"
	wire_tree "$ttmp"
	install_model "$ttmp"
	# Configure in place under the final name: meson records absolute
	# paths, so the tree must not move after configure. Until .configured
	# exists the tree counts as unfinished and goes if this run fails.
	rm -rf "$tree"
	mv "$ttmp" "$tree"
	untrack "$ttmp"
	track "$tree"
	configure_tree "$tree"
	touch "$tree/.configured"
	untrack "$tree"
	# Trees of older build.sh versions are dead weight (~500 MB each);
	# drop those no other run holds.
	for old in "$cache"/qemu-tree-*; do
		case $old in "$tree" | *.lock | *.tmp.*) continue ;; esac
		[ -d "$old" ] || continue
		# The lock file is only held open, never read or written.
		# shellcheck disable=SC2094
		(flock -n 8 && rm -rf "$old" "$old.lock") 8>"$old.lock" || true
	done
fi

install_model "$tree"
start=$(date +%s)
log "ninja -j$jobs qemu-system-x86_64 in $tree/build"
ninja -C "$tree/build" -j"$jobs" qemu-system-x86_64 >&2
log "built in $(($(date +%s) - start)) s"

ftmp=$final.tmp.$$
rm -rf "$ftmp"
track "$ftmp"
mkdir -p "$ftmp/bin"
cp "$tree/build/qemu-system-x86_64" "$ftmp/bin/"
"$ftmp/bin/qemu-system-x86_64" -device gmrk,help >/dev/null ||
	die "built emulator does not offer -device gmrk"
rm -rf "$final"
mv "$ftmp" "$final"
untrack "$ftmp"

# Each gmrk.c edit makes a new qemu-<hash>/ (~50 MB); keep the newest few.
# Names are our own hex hashes, so ls | grep is safe; ls -t sorts by age.
# shellcheck disable=SC2010
ls -1dt "$cache"/qemu-[0-9a-f]*[0-9a-f] 2>/dev/null | grep -E '/qemu-[0-9a-f]{16}$' |
	tail -n +5 | while read -r old; do
		[ "$old" = "$final" ] || rm -rf "$old"
	done
log "emulator: $final/bin/qemu-system-x86_64"
echo "$final/bin/qemu-system-x86_64" >&3
