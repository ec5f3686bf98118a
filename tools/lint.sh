#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make lint: kernel-side static checks, as TAP.
#   - checkpatch.pl --strict (Debian's linux-source) on every driver/ and
#     uapi/ file
#   - sparse (C=2) and W=1 over a full module build: any warning fails
#   - SPDX license identifiers per directory, as DEVELOPERS.md requires
# Logs go to $BUILD/lint/.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
out=$build/lint
mkdir -p "$out"
ksrc=$("$top/tools/ksrc.sh") || exit 1
kdir=${KDIR:-/usr/src/linux-headers-$("$top/tools/kver.sh")}

n=0
tap() { # tap STATUS NAME [LOGFILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		[ -n "${3:-}" ] && sed 's/^/# /' "$3" | head -40
	fi
}

echo "TAP version 13"
cd "$top" || exit 1
files=$(ls driver/*.[ch] uapi/linux/*.h 2>/dev/null | grep -v "\.mod\.c$")
for f in $files; do
	log=$out/checkpatch-$(echo "$f" | tr / _).log
	perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse \
		--show-types -f "$f" >"$log" 2>&1
	rc=$?
	# checkpatch exits 0 with only CHECKs ignored; --strict makes them count
	grep -qE '(ERROR|WARNING|CHECK):' "$log" && rc=1
	tap $rc "checkpatch --strict $f" "$log"
done

if [ -f driver/Kbuild ]; then
	log=$out/sparse-w1.log
	make -C "$kdir" M="$top" clean >/dev/null 2>&1
	make -C "$kdir" M="$top" W=1 C=2 \
		modules >"$log" 2>&1
	rc=$?
	grep -E '^[^ ]*(driver|uapi)/[^:]*:[0-9]+(:[0-9]+)?: (warning|error)' \
		"$log" >"$log.found"
	[ -s "$log.found" ] && rc=1
	tap $rc "sparse C=2 and W=1 build of gmrk.ko" "$log.found"
	[ $rc = 0 ] || tail -20 "$log" | sed 's/^/# /'
fi

# SPDX identifiers: the license each part of the tree is under.
spdx_bad=$out/spdx.log
: >"$spdx_bad"
check_spdx() { # check_spdx LICENSE FILE...
	local lic=$1 f
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		head -3 "$f" | grep -q "SPDX-License-Identifier: $lic\( \*/\)\?\$" ||
			echo "$f: expected SPDX-License-Identifier: $lic" >>"$spdx_bad"
	done
}
check_spdx GPL-2.0-only $(ls driver/*.[ch] | grep -v "\.mod\.c$") Kbuild driver/Kbuild
check_spdx "GPL-2.0 WITH Linux-syscall-note" uapi/linux/*.h
check_spdx LGPL-2.1-or-later $(find lib -name '*.[ch]' 2>/dev/null)
check_spdx GPL-2.0-or-later $(find tools tests -name '*.[ch]' -o -name '*.sh' 2>/dev/null | grep -v '/tools/qemu/')
[ -s "$spdx_bad" ]; tap $((! $?)) "SPDX license identifiers" "$spdx_bad"

echo "1..$n"
