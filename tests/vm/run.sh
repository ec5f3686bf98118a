#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot Debian's kernel in qemu-system-x86_64 (TCG) with gmrk.ko and run
# tests or a script inside, streaming results back over a serial port.
#
#   run.sh [--mode sim|pci] [--tests DIR] [--guest-script FILE] [--extra DIR]
#          [--qemu PATH] [--qemu-args "ARGS"] [--host-hook CMD]
#          [--timeout SEC] [--test-timeout SEC] [--module KO|none]
#          [--name NAME] [--tap FILE] [--log FILE] [--modargs "ARGS"]
#
# The run fails (exit 1, and "not ok" lines in the TAP) on any failed test,
# on a test program that crashes, times out or reports fewer results than
# it planned, on WARNING:/BUG:/Oops/Call Trace in the guest kernel log, and
# on an overall timeout. Logs stay in $BUILD/vm/NAME/ for reading after.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/build}

mode=sim tests=- script=- extra=- qemu=/usr/bin/qemu-system-x86_64
qemu_args="" hook="" timeout=900 test_timeout=300 module=$top/driver/gmrk.ko
name="" tap="" log="" modargs=""
while [ $# -gt 0 ]; do
	case $1 in
	--mode) mode=$2 ;;
	--tests) tests=$2 ;;
	--guest-script) script=$2 ;;
	--extra) extra=$2 ;;
	--qemu) qemu=$2 ;;
	--qemu-args) qemu_args=$2 ;;
	--host-hook) hook=$2 ;;
	--timeout) timeout=$2 ;;
	--test-timeout) test_timeout=$2 ;;
	--module) module=$2 ;;
	--name) name=$2 ;;
	--tap) tap=$2 ;;
	--log) log=$2 ;;
	--modargs) modargs=$2 ;;
	-h | --help) sed -n '4,17p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2 || { echo "run.sh: $1 needs a value" >&2; exit 2; }
done
case $mode in sim | pci) ;; *) echo "run.sh: --mode sim|pci" >&2; exit 2 ;; esac
[ "$module" = none ] && module=-
if [ "$module" != - ] && [ ! -f "$module" ]; then
	echo "run.sh: $module not built (make module)" >&2
	exit 2
fi
[ -x "$qemu" ] || { echo "run.sh: no emulator at $qemu" >&2; exit 2; }

name=${name:-$mode}
work=$build/vm/$name
rm -rf "$work"
mkdir -p "$work"
kdir=$("$here/kernel.sh") || exit 1

cat >"$work/vm.conf" <<EOF
GMRK_VM_MODE=$mode
GMRK_VM_TEST_TIMEOUT=$test_timeout
GMRK_VM_MODARGS="$modargs"
EOF
"$here/initramfs.sh" "$work/initramfs.cpio" "$kdir" "$module" "$tests" \
	"$script" "$extra" "$work/vm.conf" || { echo "run.sh: initramfs failed" >&2; exit 1; }

console=$work/console.log   # ttyS0: the guest kernel's log
serial=$work/serial.log     # ttyS1: what the tests print
qmp=$work/qmp.sock
: >"$console"
: >"$serial"

dev_args=()
if [ "$mode" = pci ] && [[ "$qemu_args" != *"-device gmrk"* ]]; then
	dev_args=(-device gmrk)
fi
# shellcheck disable=SC2206
extra_args=($qemu_args)
# With a host hook the guest's poweroff only stops the VM: the hook acts on
# the guest's last requests, then quits QEMU (tests/qmp/qmp.py hook).
[ -n "$hook" ] && extra_args+=(-no-shutdown)

# -cpu max gives the guest AES-NI, PCLMUL and AVX2 under TCG. oops=panic
# and -no-reboot end the run at the first oops instead of hanging.
timeout --kill-after=10 "$timeout" "$qemu" \
	-machine q35 -cpu max -smp 2 -m 1G \
	-display none -no-reboot -nodefaults \
	-kernel "$kdir/vmlinuz" -initrd "$work/initramfs.cpio" \
	-append "console=ttyS0 loglevel=7 panic=-1 oops=panic rdinit=/init" \
	-chardev "file,id=con,path=$console" -serial chardev:con \
	-chardev "file,id=tst,path=$serial" -serial chardev:tst \
	-qmp "unix:$qmp,server=on,wait=off" \
	"${dev_args[@]}" "${extra_args[@]}" &
qpid=$!

hpid=""
if [ -n "$hook" ]; then
	GMRK_QMP=$qmp GMRK_SERIAL=$serial GMRK_CONSOLE=$console GMRK_QEMU_PID=$qpid \
		bash -c "$hook" >"$work/hook.log" 2>&1 &
	hpid=$!
fi

# Echo progress lines while the guest runs, for a person watching.
# tail --pid ends the follower by itself once QEMU has exited.
tail --pid=$qpid -n +1 -F "$serial" 2>/dev/null | tr -d '\r' |
	grep --line-buffered '^GMRK-' | sed -u 's/^/  vm: /' >&2 &
tpid=$!

hrc=0
if [ -n "$hpid" ]; then
	wait "$hpid"
	hrc=$?
	# The hook quits QEMU once the guest is off. A hook that ended early
	# (it failed) leaves that to us: once the guest has finished, or at
	# the overall timeout.
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -q '^GMRK-VM: done' "$serial" 2>/dev/null; then
			sleep 5
			kill "$qpid" 2>/dev/null
			break
		fi
		sleep 1
	done
fi
wait $qpid
qrc=$?
wait $tpid 2>/dev/null

tr -d '\r' <"$serial" >"$serial.txt"
tr -d '\r' <"$console" >"$console.txt"

# ---- Turn the serial stream into one TAP document ----
"$here/results.sh" "$serial.txt" "$console.txt" "$qrc" "$hrc" "$timeout" \
	"$work/hook.log" >"$work/results.tap"
rc=$?
[ -n "$tap" ] && cp "$work/results.tap" "$tap"
[ -n "$log" ] && cp "$serial.txt" "$log"
if [ $rc -ne 0 ]; then
	echo "run.sh: failures; logs in $work (serial.log.txt, console.log.txt)" >&2
fi
cat "$work/results.tap"
exit $rc
