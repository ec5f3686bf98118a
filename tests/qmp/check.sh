#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the QMP scenarios of the emulated gm-rk card, one VM boot each, and
# print one TAP document (version 13) merging their results.
#
#   tests/qmp/check.sh QMP_TESTS_DIR [SCENARIO...]
#
# QMP_TESTS_DIR is what `make qmp-tests` built ($(BUILD)/qmp-tests); each
# scenario's programs are in its own subdirectory. Scenarios (default: all):
#   props     host only: the device's properties and knobs over QMP, no guest
#   model     the QEMU model against gmrk_hw.h from guest userspace, no driver
#   faults    device errors, stall, FATAL, full rings, corruption under gmrk.ko
#   unplug    hot-unplug of the card under AF_ALG load
#   twocards  two cards, load spread over both
#   keys      key slots from guest userspace, no driver: two boots on one
#             keystore file, host checks of the file after each, QEMU
#             refusing corrupt copies, and a keystore that cannot be
#             written (keystore.py, through qtest)
# Every scenario runs with tests/qmp/qmp.py as the harness's host hook.
# Exit status 1 if anything failed. Logs: $BUILD/vm/qmp-<scenario>/ (keys:
# qmp-keys/, qmp-keys2/, and the keystore with both boots' data in
# qmp-keystore/).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: check.sh QMP_TESTS_DIR [SCENARIO...]}
shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(props model faults unplug twocards keys)
module=$top/driver/gmrk.ko
timeout=${GMRK_QMP_TIMEOUT:-900}
build=${BUILD:-$top/build}

# QEMU arguments and whether the driver is loaded, per scenario.
scenario_args() {
	case $1 in
	props) echo "(no VM)" ;;
	model) echo "-device gmrk,id=card0" ;;
	faults) echo "-device gmrk,id=card0" ;;
	# Devices on q35's root bus cannot be unplugged; a root port can.
	unplug) echo "-device pcie-root-port,id=rp0,chassis=1,slot=1 -device gmrk,id=card0,bus=rp0" ;;
	# The second card without MSI-X: the driver's shared INTx path too.
	twocards) echo "-device gmrk,id=card0 -device gmrk,id=card1,msix=off" ;;
	keys) echo "(two boots on one keystore)" ;;
	*) return 1 ;;
	esac
}

# emit, merge, $n and $failed
. "$top/tests/vm/tap-merge.sh"

# One VM boot for the keys scenario: vm_boot NAME TESTDIR EXTRADIR|- QEMU-ARGS
# merges its TAP under NAME and keeps its serial output in $ksdir/NAME.serial.
vm_boot() {
	local name=$1 tests=$2 extra=$3 args=$4 tap rc
	tap=$(mktemp)
	echo "# $name: $args"
	"$top/tests/vm/run.sh" --mode pci --name "qmp-$name" --qemu "$qemu" \
		--module none --qemu-args "$args" --tests "$tests" --extra "$extra" \
		--host-hook "python3 $here/qmp.py hook" --timeout "$timeout" \
		--tap "$tap" --log "$ksdir/$name.serial" >/dev/null 2>&1
	rc=$?
	if [ -s "$tap" ]; then
		merge "$name" <"$tap"
		[ $rc -eq 0 ] || failed=1
	else
		emit not-ok "$name: the VM run produced no results (exit $rc)"
	fi
	rm -f "$tap"
	touch "$ksdir/$name.serial"
	# What the guest printed about the keystore, for the next step.
	sed -n 's/^GMRK-KEYSTORE: //p' "$ksdir/$name.serial" >"$ksdir/$name.data"
}

# Host checks of the keystore after a boot: ks_check NAME [--faults]
ks_check() {
	local name=$1 tap
	shift
	tap=$(mktemp)
	python3 "$here/keystore.py" "$qemu" "$ks" "$ksdir/$name.data" "$@" >"$tap" 2>&1 ||
		failed=1
	merge "$name-host" <"$tap"
	rm -f "$tap"
}

# keys: boot 1 (qmp_50_keyslots) on a fresh keystore, host checks, boot 2
# (qmp_51_keystore) on the same file with boot 1's data in /extra, host
# checks again plus corrupt copies and a keystore that cannot be written.
run_keys() {
	local dev
	if [ ! -d "$out/keys" ] || [ ! -d "$out/keys2" ]; then
		emit not-ok "keys: $out/keys or $out/keys2 missing (make qmp-tests)"
		return
	fi
	ksdir=$build/vm/qmp-keystore
	ks=$ksdir/card0.keystore
	rm -rf "$ksdir"
	mkdir -p "$ksdir/extra"
	dev="-device gmrk,id=card0,keystore=$ks"
	vm_boot keys "$out/keys" - "$dev -device gmrk,id=card1,key-slots=0 -device gmrk,id=card2,key-slots=32"
	ks_check keys
	cp "$ksdir/keys.data" "$ksdir/extra/keystore-boot1.txt"
	vm_boot keys2 "$out/keys2" "$ksdir/extra" "$dev"
	# The host's view after boot 2: boot 1's keys, then boot 2's changes.
	cat "$ksdir/keys.data" "$ksdir/keys2.data" >"$ksdir/keys2.all"
	mv "$ksdir/keys2.all" "$ksdir/keys2.data"
	ks_check keys2 --faults
}

echo "TAP version 13"
qlog=${TMPDIR:-/tmp}/gmrk-qemu-build.$$.log
if ! card_qemu "$qlog"; then
	rm -f "$qlog"
	for s in "${scenarios[@]}"; do
		emit not-ok "$s: no emulator (tools/qemu/build.sh failed)"
	done
	echo "1..$n"
	exit 1
fi
rm -f "$qlog"
echo "# emulator: $qemu"

for s in "${scenarios[@]}"; do
	if ! args=$(scenario_args "$s"); then
		emit not-ok "$s: unknown scenario"
		continue
	fi
	echo "# scenario $s: $args"
	if [ "$s" = keys ]; then
		run_keys
		continue
	fi
	tap=$(mktemp)
	if [ "$s" = props ]; then
		python3 "$here/props.py" "$qemu" >"$tap" 2>&1
		rc=$?
		merge "$s" <"$tap"
		[ $rc -eq 0 ] || failed=1
		rm -f "$tap"
		continue
	fi
	if [ ! -d "$out/$s" ]; then
		emit not-ok "$s: $out/$s missing (make qmp-tests)"
		rm -f "$tap"
		continue
	fi
	mod=$module
	if [ "$s" = model ]; then
		mod=none
	elif [ ! -f "$module" ]; then
		emit not-ok "$s: driver/gmrk.ko not built (make module)"
		rm -f "$tap"
		continue
	fi
	"$top/tests/vm/run.sh" --mode pci --name "qmp-$s" --qemu "$qemu" \
		--module "$mod" --qemu-args "$args" --tests "$out/$s" \
		--host-hook "python3 $here/qmp.py hook" \
		--timeout "$timeout" --tap "$tap" >/dev/null 2>&1
	rc=$?
	if [ ! -s "$tap" ]; then
		emit not-ok "$s: the VM run produced no results (exit $rc)"
		rm -f "$tap"
		continue
	fi
	merge "$s" <"$tap"
	[ $rc -eq 0 ] || failed=1
	rm -f "$tap"
done
echo "1..$n"
exit $failed
