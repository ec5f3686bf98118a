#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side of `make bench` (tools/bench/bench.mk): runs in the test VM
# (tests/vm/run.sh --guest-script) with gmrk.ko loaded and, in sim mode,
# one emulation device; the benchmark binary comes in through --extra.
# The table goes to stdout between BENCH-BEGIN/BENCH-END for the host to
# cut out of the serial log.
echo "GMRK-BENCH: start"
grep -E '^driver *: .*gmrk' /proc/crypto | sed 's/^/# /'
echo "BENCH-BEGIN"
[ -f /extra/bench.conf ] && . /extra/bench.conf
# shellcheck disable=SC2086
/extra/gmrk-bench-vm ${GMRK_BENCH_VM_ARGS:-}
rc=$?
echo "BENCH-END $rc"
echo "GMRK-BENCH: done"
exit $rc
