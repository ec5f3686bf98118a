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

# The master key can live in the card instead: an SM2 key pair generated
# in a key slot, whose private key no command returns. Asset keys are
# wrapped to its public key and unwrapped by the card.
echo
echo "master key held by the card: gmrk cardkey generate --slot 0"
/extra/bin/gmrk cardkey generate --slot 0 2>&1 | sed 's/^/  /'
[ $rc = 0 ] || exit $rc
GMRK_CARD_KEY=0 GMRK_KEY='' /extra/bin/gmrk-demo --dir /tmp/cardstore --streams 2 \
	--blocks 16 --label "VM store, card-held master key" || exit 1
head -c 200000 /dev/urandom >/tmp/cardstore/export.bin
GMRK_CARD_KEY=0 GMRK_KEY='' /extra/bin/gmrk seal /tmp/cardstore/export.bin \
	-o /tmp/cardstore/export.gmrk || exit 1
echo "  gmrk seal export.bin under the card key, then the slot erased (gmrk cardkey destroy):"
/extra/bin/gmrk cardkey destroy --slot 0 --yes >/dev/null 2>&1
GMRK_CARD_KEY=0 GMRK_KEY='' /extra/bin/gmrk open /tmp/cardstore/export.gmrk \
	-o /tmp/cardstore/export.out 2>/tmp/err
echo "  gmrk open export.gmrk -> exit $?: $(cat /tmp/err)"
echo "  key file still there: $([ -f /tmp/cardstore/export.gmrk.key ] && echo yes || echo NO)"
[ "$GMRK_TEST_MODE" = pci ] && echo "GMRK-HOOK: done"
exit $rc
