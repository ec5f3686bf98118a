#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Unpack the parts of Debian's linux-source that gmrk builds with
# (kselftest_harness.h and friends, checkpatch.pl and its data files) into
# a cache outside the repository, keyed by the tarball's package version,
# and print that directory. Nothing from the kernel tree is committed.
set -eu

cache=${GMRK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gmrk}
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1)
[ -n "$tarball" ] || {
	echo "gmrk: no /usr/src/linux-source-*.tar.xz (install linux-source)" >&2
	exit 1
}
ver=$(dpkg-query -W -f='${Version}' linux-source 2>/dev/null || echo unknown)
dir=$cache/linux-source-$ver
if [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi

top=$(basename "$tarball" .tar.xz)
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.ksrc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "gmrk: unpacking kernel files from $tarball" >&2
tar -xJf "$tarball" -C "$tmp" --strip-components=1 \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h" \
	"$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch"
touch "$tmp/.complete"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir"
