#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Part 1 of make demo: the workload in the VM with a card.
#   run-vm.sh pci|sim EXTRA_DIR OUT_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=$1 extra=$2 out=$3

args=(--mode "$mode" --name demo --guest-script "$here/guest.sh" --extra "$extra"
	--tap "$out/vm.tap" --log "$out/vm.log")
if [ "$mode" = pci ]; then
	qemu=$("$top/tools/qemu/build.sh" | tail -1) || exit 1
	args+=(--qemu "$qemu" --qemu-args "-device gmrk,id=card0"
		--host-hook "$top/tests/qmp/qmp.py hook")
fi
"$top/tests/vm/run.sh" "${args[@]}" >/dev/null 2>&1
rc=$?
# The guest's own output, without the harness' markers.
sed -n '/^GMRK-TEST-BEGIN/,/^GMRK-TEST-END/p' "$out/vm.log" |
	grep -v '^GMRK-TEST-\|^GMRK-HOOK\|^$'
if [ $rc != 0 ]; then
	echo "demo: the VM run failed; logs in build/vm/demo/"
	grep '^not ok' "$out/vm.tap"
fi
exit $rc
