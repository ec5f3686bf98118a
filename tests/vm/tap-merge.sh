# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034,SC2154
#
# Sourced by scripts that run several VM boots and report one TAP stream
# (tests/qmp/check.sh, tests/vminfo/check.sh, tests/vmlib/check.sh). Uses
# and sets $n (results so far) and $failed (1 once anything failed); the
# caller sets $top (the checkout).

n=0 failed=0

emit() {	# emit ok|not-ok TEXT
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		# "not ok ... # SKIP" (cmocka's skip) is a skip, not a failure
		case $2 in
		*"# SKIP"* | *"# skip"*) ;;
		*) failed=1 ;;
		esac
	fi
}

# card_qemu LOG: sets $qemu to the QEMU with the gm-rk card
# (tools/qemu/build.sh, its messages in LOG); when that fails, prints the
# tail of LOG as TAP comments and returns 1.
card_qemu() {
	if qemu=$("$top/tools/qemu/build.sh" 2>"$1" | tail -1) && [ -x "$qemu" ]; then
		return 0
	fi
	sed 's/^/# /' "$1" | tail -20
	return 1
}

# Renumber the result lines of TAP on stdin under prefix $1; keep
# comments and SKIP directives; drop plans and version lines. Feed it by
# redirection, not a pipe: a pipe would run it in a subshell and lose n.
merge() {
	local line rest
	while IFS= read -r line; do
		case $line in
		"TAP version"* | 1..*) ;;
		"not ok "*)
			rest=${line#not ok }
			rest=${rest#* }
			emit not-ok "$1: $rest"
			;;
		"ok "*)
			rest=${line#ok }
			rest=${rest#* }
			emit ok "$1: $rest"
			;;
		*) echo "$line" ;;
		esac
	done
}
