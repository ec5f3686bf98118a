#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# host_tests.sh GMRK_DEVINFO: gmrk info on the build machine, which has no
# gm-rk card and no gmrk module (the host kernel cannot load modules), and
# on fabricated /proc and /sys trees (GMRK_INFO_ROOT) for what the VM
# cannot produce on demand: a failed selftest, a card without a driver.
# Prints TAP results (numbered from 1; check.sh renumbers).
set -uo pipefail

di=${1:?usage: host_tests.sh GMRK_DEVINFO}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gmrk-vminfo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
valid_json() {
	python3 -c 'import json, sys; json.load(sys.stdin)' <"$1"
}

# This machine: no card, no module.
has_gmrk() {
	local d
	[ -e /sys/module/gmrk ] && return 0
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor" 2>/dev/null)" = 0x1b36 ] &&
			[ "$(cat "$d/device" 2>/dev/null)" = 0x10f0 ] && return 0
	done
	return 1
}
if has_gmrk; then
	echo "ok 1 host: no gm-rk card # SKIP this machine has gmrk or a gm-rk card"
	n=1
else
	"$di" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 0 ] && grep -qx 'no gm-rk card or emulation device found' "$tmp/out" &&
		grep -qx '  not loaded' "$tmp/out" && [ ! -s "$tmp/err" ]
	result $? "host without a card: exit 0, 'no gm-rk card or emulation device found'"
fi
"$di" --json >"$tmp/json" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && valid_json "$tmp/json" &&
	python3 -c 'import json, sys; d = json.load(sys.stdin)
assert d["found"] is False and d["message"] == "no gm-rk card or emulation device found"
assert d["pci_cards"] == [] and d["sim_devices"] == [] and d["devices"] == []' <"$tmp/json"
result $? "host --json: valid, found false, the message, empty lists"
"$di" extra-arg >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown option 'extra-arg'" "$tmp/err"
result $? "usage error: exit 2 with a message"
"$di" --help >"$tmp/out" && grep -q '^usage: gmrk info' "$tmp/out"
result $? "--help: exit 0, usage on stdout"

# A fabricated machine: module loaded, sm4-gmrk failed its selftest.
root=$tmp/root
mkdir -p "$root/proc" "$root/sys/module/gmrk/parameters" "$root/sys/bus/pci/devices"
echo 5000 >"$root/sys/module/gmrk/parameters/job_timeout_ms"
cat >"$root/proc/crypto" <<'CRYPTO'
name         : sm4
driver       : sm4-gmrk
module       : gmrk
priority     : 100
refcnt       : 1
selftest     : unknown
internal     : no
type         : cipher
blocksize    : 16

name         : gcm(aes)
driver       : generic-gcm-aesni
module       : aesni_intel
priority     : 400
refcnt       : 1
selftest     : passed
internal     : no
type         : aead

name         : gcm(aes)
driver       : gcm_base(ctr(aes-generic),ghash-generic)
module       : gcm
priority     : 100
refcnt       : 1
selftest     : passed
internal     : no
type         : aead

name         : gcm(sm4)
driver       : gcm_base(ctr(sm4-gmrk),ghash-generic)
module       : gcm
priority     : 100
refcnt       : 1
selftest     : passed
internal     : no
type         : aead

name         : __gcm(aes)
driver       : __generic-gcm-aesni
module       : aesni_intel
priority     : 401
refcnt       : 1
selftest     : passed
internal     : yes
type         : aead
CRYPTO
GMRK_INFO_ROOT=$root "$di" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'sm4-gmrk .*unknown   <-- SELFTEST NOT PASSED' "$tmp/out" &&
	grep -q "ERROR: algorithm sm4-gmrk (sm4) selftest is 'unknown'" "$tmp/out" &&
	grep -qx 'status: UNHEALTHY' "$tmp/out"
result $? "failed selftest: exit 1, flagged loudly"
grep -qE '^  gcm\(aes\) +generic-gcm-aesni +400$' "$tmp/out"
result $? "software gcm(aes): the highest-priority non-internal, non-gmrk driver"
grep -qE '^  gcm\(sm4\) +none registered' "$tmp/out" &&
	grep -qE "^ +gcm_base\(ctr\(sm4-gmrk\),ghash-generic\) +100  \(gmrk's fallback, not the kernel's\)$" "$tmp/out"
result $? "software gcm(sm4): none of the kernel's own; the template over sm4-gmrk shown apart"
GMRK_INFO_ROOT=$root "$di" --json >"$tmp/json"
rc=$?
[ $rc -eq 1 ] && valid_json "$tmp/json" &&
	python3 -c 'import json, sys; d = json.load(sys.stdin)
assert d["healthy"] is False and d["module"]["loaded"] is True
assert d["module"]["parameters"] == {"job_timeout_ms": "5000"}
a, = d["algorithms"]
assert a["driver"] == "sm4-gmrk" and a["selftest_passed"] is False
assert [p["severity"] for p in d["problems"]] == ["error"]
sw = {s["name"]: s for s in d["kernel_software"]}
assert sw["gcm(aes)"]["driver"] == "generic-gcm-aesni" and sw["gcm(sm4)"]["driver"] is None
assert sw["gcm(sm4)"]["built_on_gmrk"] == "gcm_base(ctr(sm4-gmrk),ghash-generic)"
assert sw["gcm(aes)"]["built_on_gmrk"] is None' <"$tmp/json"
result $? "failed selftest --json: healthy false, exit 1, one error problem"

# Strings that need escaping reach JSON intact (a parameter's value).
printf 'a "quoted"\\ value\ttab\001' >"$root/sys/module/gmrk/parameters/odd"
GMRK_INFO_ROOT=$root "$di" --json >"$tmp/json"
valid_json "$tmp/json" &&
	python3 -c 'import json, sys; d = json.load(sys.stdin)
assert d["module"]["parameters"]["odd"] == "a \"quoted\"\\ value\ttab\x01", d["module"]["parameters"]' <"$tmp/json"
result $? "JSON escaping: quotes, backslash, tab and control characters round-trip"

# No sysfs PCI tree at all: reported, not fatal.
rm -rf "$root/sys/bus/pci"
GMRK_INFO_ROOT=$root "$di" >"$tmp/out"
grep -q '^  scan failed: cannot read /sys/bus/pci/devices' "$tmp/out"
result $? "no /sys/bus/pci: the scan failure is reported, the rest still shown"
echo "1..$n"
