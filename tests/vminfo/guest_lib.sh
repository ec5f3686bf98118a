# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the vm-info guest tests (busybox sh): TAP output and reading
# gmrk info's human output. Sourced, not run.

# shellcheck disable=SC2034 # used by the scripts that source this
DI=/extra/gmrk-devinfo
# shellcheck disable=SC2034
HELPER=/extra/vminfo-helper
t=0

# result STATUS NAME: one TAP line, ok when STATUS is 0.
result() {
	t=$((t + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $t $2"
	else
		echo "not ok $t $2"
	fi
}

# has TEXT ERE: TEXT has a line matching ERE.
has() {
	printf '%s\n' "$1" | grep -qE "$2"
}

# count TEXT ERE: how many lines of TEXT match ERE.
count() {
	printf '%s\n' "$1" | grep -cE "$2"
}

# devblock TEXT NODE: the lines of device NODE's block in the human output.
devblock() {
	printf '%s\n' "$1" | awk -v n="$2" '
		$0 ~ "^  " n " " { p = 1; print; next }
		p && (/^  [^ ]/ || /^$/) { p = 0 }
		p { print }'
}

# total_work TEXT: sum of the jobs and fallbacks of every device block.
total_work() {
	printf '%s\n' "$1" | sed -n 's/^    stats      jobs \([0-9]*\), bytes [0-9]*, errors [0-9]*, fallbacks \([0-9]*\)$/\1 \2/p' |
		awk '{ s += $1 + $2 } END { print s + 0 }'
}

# total_jobs TEXT: sum of the jobs of every device block.
total_jobs() {
	printf '%s\n' "$1" | sed -n 's/^    stats      jobs \([0-9]*\),.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

# sim_node ID: the gmrkN of emulation device ID.
sim_node() {
	# shellcheck disable=SC2012 # sysfs names: gmrkN
	ls "/sys/bus/gmrk_sim/devices/gmrk_sim$1/gmrk" 2>/dev/null | head -1
}

# json NAME ARGS...: gmrk info --json between markers the host checks
# (tests/vminfo/check_json.py); returns gmrk info's exit status.
json() {
	json_name=$1
	shift
	echo "GMRK-JSON-BEGIN $json_name"
	"$@" --json
	json_rc=$?
	echo "GMRK-JSON-END $json_name"
	return $json_rc
}
