#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install every Debian package gmrk needs, when missing. Idempotent and
# quick when nothing is missing (one dpkg-query), so make calls it before
# any target that needs packages. Package lists live in tools/deps/*.txt,
# one package per line, '#' comments allowed; each part of the project
# keeps its own list.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
lists=${GMRK_DEPS_LISTS:-$here/deps/*.txt}

# shellcheck disable=SC2086
want=$(cat $lists | sed -e 's/#.*//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u)

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "gmrk: missing Debian packages:$missing" >&2
	echo "gmrk: run 'sudo tools/deps.sh' (or make as root) to install them" >&2
	exit 1
fi

echo "gmrk: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Retry once: apt can lose a race with an unattended run on a new machine.
apt-get update -q >&2 || { sleep 5; apt-get update -q >&2; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2 ||
	{ sleep 5; apt-get install -y -q --no-install-recommends $missing >&2; }
