# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sourced by scripts that run several VM boots and report one TAP stream
# (tests/qmp/check.sh, tests/vminfo/check.sh). Uses and sets $n (results
# so far) and $failed (1 once anything failed).

n=0 failed=0

emit() {	# emit ok|not-ok TEXT
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
	fi
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
