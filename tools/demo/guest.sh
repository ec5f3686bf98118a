#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The demo inside the VM (run by tests/vm/run.sh --guest-script). The
# master key is made here, lives only in this process' environment, and is
# gone when the VM powers off.
set -u

GMRK_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export GMRK_KEY

echo "gmrk algorithms in /proc/crypto:"
awk '/^name/ { n = $3 } /^driver/ { d = $3 } /^selftest/ && d ~ /gmrk/ { printf "  %-28s %-34s selftest %s\n", n, d, $3 }' /proc/crypto

if [ "$GMRK_TEST_MODE" = pci ]; then
	fault="echo 'GMRK-HOOK: fail'; sleep 3"
else
	fault="echo 40 > /sys/kernel/debug/gmrk_sim/sim0/fail_next"
fi

echo
/extra/bin/gmrk-demo --dir /tmp/store --streams 6 --blocks 48 --label "VM store" \
	--fault "$fault"
rc=$?
echo
echo "card statistics (/sys/kernel/debug/gmrk/gmrk0/stats):"
sed -n '1,8p' /sys/kernel/debug/gmrk/gmrk0/stats 2>/dev/null | sed 's/^/  /'
exit $rc
