#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The vm-lib stage: libgmrk's in-VM test programs in two boots, one against
# the emulation device (sim) and one against the gm-rk card QEMU emulates
# (pci, two cards: the card-key test's second device is the second card).
# Prints one TAP document (version 13), each boot's results named
# "sim: ..." and "pci: ...". Exit status 1 if anything failed.
#
#   tests/vmlib/check.sh VMLIB_OUT [sim] [pci]
#
# VMLIB_OUT is what tests/vmlib/vmlib.mk built: tests/ (the programs) and
# extra/ (the gmrk CLI and libgmrk, the guest's /extra). A skipped test is
# "not ok ... # SKIP" from cmocka, which counts as skipped, not failed.
# Logs: $BUILD/vm/check-lib/ (sim) and $BUILD/vm/check-lib-pci/.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: check.sh VMLIB_OUT [sim] [pci]}
shift
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(sim pci)
timeout=${GMRK_VMLIB_TIMEOUT:-900}

# emit, merge, $n and $failed
# shellcheck source=tests/vm/tap-merge.sh
. "$top/tests/vm/tap-merge.sh"

# vm MODE NAME [run.sh options]: one boot, its TAP merged under MODE.
vm() {
	local mode=$1 name=$2 tap rc
	shift 2
	tap=$(mktemp)
	"$top/tests/vm/run.sh" --mode "$mode" --name "$name" --tests "$out/tests" \
		--extra "$out/extra" --timeout "$timeout" --tap "$tap" "$@" \
		>/dev/null 2> >(tee "$out/$name.stderr" >&2)
	rc=$?
	if [ -s "$tap" ]; then
		merge "$mode" <"$tap"
		# the boot's own verdict too (results.sh: crashes, short plans,
		# kernel warnings)
		[ $rc -eq 0 ] || failed=1
	else
		sed 's/^/# /' "$out/$name.stderr" | tail -20
		emit not-ok "$mode: the VM run produced no results (exit $rc)"
	fi
	rm -f "$tap"
}

echo "TAP version 13"
for p in "${parts[@]}"; do
	case $p in
	sim)
		vm sim check-lib
		;;
	pci)
		if card_qemu "$out/qemu-build.log"; then
			vm pci check-lib-pci --qemu "$qemu" \
				--qemu-args "-device gmrk,id=card0 -device gmrk,id=card1"
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
exit "$failed"
