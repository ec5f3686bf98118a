#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run host test programs and concatenate their TAP into one file.
#   run.sh OUT.tap TEST...
# Each program prints its own plan and "ok N name" lines (cmocka, TAP). A
# program that dies (sanitizer report, signal) or prints fewer results
# than it planned gets one extra "not ok" line naming it, so a crash can
# never pass as success. Exit status: non-zero when anything failed.
set -u

out=$1
shift
: >"$out"
status=0
for t in "$@"; do
	name=$(basename "$t")
	log=$(mktemp)
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$t" >"$log" 2>"$log.err"
	rc=$?
	cat "$log" >>"$out"
	planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	ran=$(grep -c -E '^(not )?ok ' "$log")
	failed=$(grep -c -E '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		echo "not ok - $name exited with status $rc" >>"$out"
		sed 's/^/# /' "$log.err" | tail -40 >>"$out"
	elif [ "$ran" -lt "$planned" ]; then
		echo "not ok - $name ran $ran of $planned tests" >>"$out"
		sed 's/^/# /' "$log.err" | tail -40 >>"$out"
	elif [ "$failed" -ne 0 ]; then
		sed 's/^/# /' "$log.err" | tail -40 >>"$out"
	fi
	[ "$rc" -ne 0 ] && status=1
	printf '  %-20s %s\n' "$name" "$(grep -c -E '^ok ' "$log") passed, $failed failed" >&2
	rm -f "$log" "$log.err"
done
exit $status
