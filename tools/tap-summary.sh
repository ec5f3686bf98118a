#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Add up TAP/KTAP results into the line that ends `make check`:
#   N passed, N failed, N skipped
# Usage: tap-summary.sh FILE...   (CHECK_STAGES names the stages that must
# have produced $RESULTS/<stage>.tap; a missing one counts as a failure).
# Only unindented result lines count, so nested KTAP subtests are not
# counted twice. Each failure is listed, with the comment lines that
# follow it, just above the total, where a reader of a long log (or of
# only its tail) finds it. Exit status is non-zero when anything failed.
set -eu

pass=0 fail=0 skip=0
for f in "$@"; do
	[ -f "$f" ] || continue
	counts=$(awk '
		/^ok / { if (toupper($0) ~ /# *SKIP/) s++; else p++; next }
		/^not ok / { if (toupper($0) ~ /# *SKIP/) s++; else f++; next }
		END { printf "%d %d %d\n", p, f, s }' "$f")
	set -- $counts "$@"
	pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
	shift 3
	per=$(echo "$counts" | awk '{ printf "%d passed, %d failed, %d skipped", $1, $2, $3 }')
	printf '  %-16s %s\n' "$(basename "$f" .tap)" "$per"
done

failures=$(for f in "$@"; do
	[ -f "$f" ] || continue
	awk -v stage="$(basename "$f" .tap)" '
		/^not ok / && toupper($0) !~ /# *SKIP/ {
			printf "  %s: %s\n", stage, $0; ctx = 12; next
		}
		/^#/ && ctx > 0 { printf "  %s:   %s\n", stage, $0; ctx--; next }
		{ ctx = 0 }' "$f"
done)
if [ -n "$failures" ]; then
	echo "== failures"
	printf '%s\n' "$failures"
fi

for stage in ${CHECK_STAGES:-}; do
	[ -f "${RESULTS:-build/results}/$stage.tap" ] && continue
	printf '  %-16s missing: stage produced no results\n' "$stage"
	fail=$((fail + 1))
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
