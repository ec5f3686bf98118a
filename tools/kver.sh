#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Print the release of the Debian kernel gmrk builds for and boots in the
# VM: the one linux-headers-amd64 points at (e.g. 6.1.0-57-amd64).
# GMRK_KVER overrides it.
set -eu
if [ -n "${GMRK_KVER:-}" ]; then
	echo "$GMRK_KVER"
	exit 0
fi
dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null) || {
	echo "gmrk: linux-headers-amd64 is not installed (run tools/deps.sh)" >&2
	exit 1
}
echo "$dep" | sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p'
