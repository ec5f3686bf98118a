#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The vm-info stage: `gmrk info` (tools/gmrk/cmd_devinfo.c) on this host,
# then in the VM against emulation devices (sim) and against the gm-rk
# card emulated in QEMU (pci). Prints one TAP document (version 13).
#
#   tests/vminfo/check.sh VMINFO_OUT [host] [sim] [pci]
#
# VMINFO_OUT is what tests/vminfo/vminfo.mk built: extra/ (gmrk-devinfo,
# vminfo-helper: they go to the guest's /extra), sim-tests/ and pci-tests/
# (the guest scripts). The guest prints `gmrk info --json` snapshots to the
# serial stream; tests/vminfo/check_json.py parses them here, since the
# guest has no JSON parser. Logs: $BUILD/vm/vm-info-<mode>/.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: check.sh VMINFO_OUT [host] [sim] [pci]}
shift
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(host sim pci)
timeout=${GMRK_VMINFO_TIMEOUT:-900}

# emit, merge, $n and $failed
. "$top/tests/vm/tap-merge.sh"

# vm MODE [run.sh options]: one boot, its TAP and its JSON checks merged.
vm() {
	local mode=$1 name=vm-info-$1 log
	shift
	log=$out/$name.serial.log
	rm -f "$log" "$out/$name.tap"
	"$top/tests/vm/run.sh" --mode "$mode" --name "$name" --tests "$out/$mode-tests" \
		--extra "$out/extra" --timeout "$timeout" --tap "$out/$name.tap" \
		--log "$log" "$@" >/dev/null 2>"$out/$name.stderr"
	if [ -s "$out/$name.tap" ]; then
		merge "$mode" <"$out/$name.tap"
	else
		sed 's/^/# /' "$out/$name.stderr" | tail -20
		emit not-ok "$mode: the VM run produced no results"
	fi
	if [ -s "$log" ]; then
		merge "$mode" < <(python3 "$here/check_json.py" "$mode" "$log" 2>&1)
	else
		emit not-ok "$mode: no serial log for the JSON checks"
	fi
}

echo "TAP version 13"
for p in "${parts[@]}"; do
	case $p in
	host)
		merge host < <("$here/host_tests.sh" "$out/extra/gmrk-devinfo" 2>&1)
		;;
	sim)
		vm sim
		;;
	pci)
		if card_qemu "$out/qemu-build.log"; then
			vm pci --qemu "$qemu"
		else
			emit not-ok "pci: building QEMU with the gm-rk card failed"
		fi
		;;
	*)
		echo "check.sh: unknown part $p" >&2
		exit 2
		;;
	esac
done
echo "1..$n"
exit $failed
