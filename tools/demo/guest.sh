#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The demo inside the VM (run by tests/vm/run.sh --guest-script). The
# master key is made here, lives only in this process' environment, and is
# gone when the VM powers off.
set -u

GMRK_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export GMRK_KEY
# Under TCG the emulated card is slower than the guest's own AES-NI, so
# calibrated auto routing would (rightly) keep everything in software.
# Blocks of 16 KiB and more go to the card here so the demo shows both
# paths; production leaves the threshold to calibration.
GMRK_THRESHOLD=16384
export GMRK_THRESHOLD

echo "gmrk algorithms in /proc/crypto:"
awk '/^name/ { n = $3 } /^driver/ { d = $3 } /^selftest/ && d ~ /gmrk/ { printf "  %-28s %-34s selftest %s\n", n, d, $3 }' /proc/crypto

# The failure: the card errors out on its next 40 jobs. On the QEMU card
# the host sets its fail-next property over QMP (tests/qmp/qmp.py hook
# acts on the GMRK-HOOK line); on the emulation device it is a debugfs knob.
if [ "$GMRK_TEST_MODE" = pci ]; then
	fault="echo 'GMRK-HOOK: qom-set card0 fail-next 40'; sleep 2"
	desc="the QEMU card's fail-next property set to 40 over QMP"
else
	fault="echo 40 > /sys/kernel/debug/gmrk_sim/sim0/fail_next"
	desc="the emulation device's fail_next knob set to 40 in debugfs"
fi

echo
/extra/bin/gmrk-demo --dir /tmp/store --streams 6 --blocks 48 --label "VM store" \
	--fault "$fault" --fault-desc "$desc"
rc=$?
echo
echo "card statistics (/sys/kernel/debug/gmrk/gmrk0/stats):"
sed -n '1,8p' /sys/kernel/debug/gmrk/gmrk0/stats 2>/dev/null | sed 's/^/  /'
echo "(the card's failed jobs were redone in software by the driver: errors = fallbacks)"
[ "$GMRK_TEST_MODE" = pci ] && echo "GMRK-HOOK: done"
exit $rc
