#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Make Debian's kernel image for the VM available and print its directory.
# The package (linux-image-$KVER, the kernel linux-headers-amd64 builds
# for) is downloaded and unpacked into the cache, never installed on the
# host: the host's own kernel is not the one under test. Layout:
#   DIR/vmlinuz   DIR/lib/modules/$KVER/...
set -eu

here=$(cd "$(dirname "$0")" && pwd)
kver=$("$here/../../tools/kver.sh")
cache=${GMRK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gmrk}
hver=$(dpkg-query -W -f='${Version}' "linux-headers-$kver")
dir=$cache/kernel-$kver-$hver
if [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.kernel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "gmrk: fetching linux-image-$kver ($hver) for the VM" >&2
# apt-get download runs as _apt when it can; a root-owned temp dir is not
# writable for it, which only costs a warning. Keep stderr for real errors.
(cd "$tmp" && { apt-get download -q "linux-image-$kver=$hver" >&2 2>/dev/null ||
	{ apt-get update -q >&2 && apt-get download -q "linux-image-$kver=$hver" >&2; }; })
deb=$(ls "$tmp"/linux-image-*.deb)
dpkg-deb -x "$deb" "$tmp/x"
mkdir -p "$tmp/out/lib/modules"
mv "$tmp/x/boot/vmlinuz-$kver" "$tmp/out/vmlinuz"
mv "$tmp/x/boot/config-$kver" "$tmp/out/config"
mv "$tmp/x/lib/modules/$kver" "$tmp/out/lib/modules/"
touch "$tmp/out/.complete"
rm -rf "$dir"
mv "$tmp/out" "$dir"
echo "$dir"
