#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host side of the demo on the QEMU card: when the guest says
# "GMRK-HOOK: fail", make the card fail its next 40 jobs through QMP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tail --pid="$GMRK_QEMU_PID" -n +1 -F "$GMRK_SERIAL" 2>/dev/null | while read -r line; do
	case $line in
	*"GMRK-HOOK: fail"*)
		"$here/../../tests/qmp/qmp.py" "$GMRK_QMP" qom-set \
			'{"path": "/machine/peripheral-anon/device[0]", "property": "fail-next", "value": 40}'
		;;
	esac
done
exit 0
