#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# results.sh SERIAL CONSOLE QEMU_RC HOOK_RC TIMEOUT [HOOK_LOG]
#
# Turn one VM run into TAP on stdout: every test program's own top-level
# result lines, plus a "not ok" for each program that crashed, timed out or
# reported fewer results than its plan, for a failed host hook, for a run
# that did not finish, and for any kernel warning in the guest's log.
# A failed hook's log follows its "not ok" line as TAP comments, so the
# reason reaches the summary of `make check`. Exit 1 if anything failed.
set -uo pipefail

serial=$1 console=$2 qrc=$3 hrc=$4 limit=$5 hooklog=${6:-}

awk -v qrc="$qrc" -v hrc="$hrc" -v limit="$limit" -v hooklog="$hooklog" '
function fail(msg) { print "not ok " ++extra " vm: " msg; failed = 1 }
function pass(msg) { print "ok " ++extra " vm: " msg }
function close_test(rc,   want) {
	if (rc != 0 && rc != 4 && nfail == 0)
		fail(cur ": exited with status " rc (rc == 124 || rc == 143 ? " (timed out)" : ""))
	if (plan != "" && nres < plan + 0 && rc != 4)
		fail(cur ": " nres " of " plan " results (crashed?)")
	if (plan == "" && nres == 0 && rc == 0 && cur != "guest-script")
		fail(cur ": printed no TAP results")
	cur = ""
}
BEGIN { print "TAP version 13"; cur = "" }
/^GMRK-VM: booted/ { booted = 1 }
/^GMRK-VM: module-failed/ { fail("modprobe gmrk failed") }
/^GMRK-VM: device-failed/ { fail("creating the emulation device failed") }
/^GMRK-VM: done/ { done = 1 }
/^GMRK-TEST-BEGIN / { cur = $2; plan = ""; nres = 0; nfail = 0; next }
/^GMRK-TEST-END / { close_test($3); next }
cur != "" && /^1\.\.[0-9]+/ && plan == "" { plan = substr($1, 4) }
cur != "" && /^(not )?ok / {
	nres++
	if ($0 ~ /^not ok/ && toupper($0) !~ /# *SKIP/) { nfail++; failed = 1 }
	# Prefix the program name so a reader knows where each result came from.
	sub(/^ok [0-9]+ /, "ok " nres " " cur ": ")
	sub(/^not ok [0-9]+ /, "not ok " nres " " cur ": ")
	print
	next
}
cur != "" { print "# " $0; next }
END {
	if (cur != "") fail(cur ": never finished (VM died or timed out)")
	if (!booted) fail("guest did not boot")
	else if (!done) fail("run did not complete" (qrc == 124 ? " within " limit " s" : " (qemu exit " qrc ")"))
	else pass("run completed")
	if (hrc != 0) {
		fail("host hook failed with status " hrc)
		while (hooklog != "" && (getline line <hooklog) > 0)
			if (line ~ /FAILED|error|Traceback|Error/)
				print "# hook: " line
	}
	exit failed
}' "$serial"
rc=$?

# Kernel complaints anywhere in the guest log fail the run.
if grep -nE 'WARNING:|BUG:|Oops|Call Trace|general protection|KASAN|UBSAN|kernel panic' \
	"$console" >"$console.bad" 2>/dev/null; then
	echo "not ok - vm: guest kernel log has warnings"
	sed 's/^/# /' "$console.bad" | head -30
	rc=1
else
	echo "ok - vm: guest kernel log clean"
fi
exit $rc
