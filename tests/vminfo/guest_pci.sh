#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vm-info, pci mode: gmrk info finds the gm-rk card QEMU emulates through
# libpci at the slot sysfs says it is in, bound to gmrk, with its
# /dev/gmrkN; statistics rise under AF_ALG work. JSON snapshots go to the
# host (tests/vminfo/check_json.py), which also gets the expected slot.
# shellcheck source=tests/vminfo/guest_lib.sh
. /tests/guest_lib.sh

echo "1..10"

# The card's slot, found without libpci: the vendor/device files in sysfs.
slot=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x10f0 ]; then
		slot=${d##*/}
		break
	fi
done
echo "GMRK-INFO-SLOT $slot"
# shellcheck disable=SC2012 # sysfs names: gmrkN
node=$(ls "/sys/bus/pci/devices/$slot/gmrk" 2>/dev/null | head -1)
[ -n "$slot" ] && [ -n "$node" ]
result $? "sysfs: card at '$slot', device '$node'"

out=$("$DI")
result $? "exit status 0"
sec=$(printf '%s\n' "$out" | sed -n '/^gm-rk PCI cards/,/^$/p')
[ "$(count "$sec" '^  [0-9a-f]{4}:')" -eq 1 ] &&
	has "$sec" "^  $slot +rev [0-9]+ +driver gmrk +device $node\$"
result $? "libpci: one card, at $slot, driver gmrk, device $node"
has "$(printf '%s\n' "$out" | sed -n '/^emulation devices/,/^$/p')" '^  none$'
result $? "no emulation device in pci mode"
has "$(devblock "$out" "$node")" "^  $node +pci $slot, online\$"
result $? "$node: pci $slot, online"
rows=$(printf '%s\n' "$out" | sed -n '/^algorithms/,/^$/p')
ok=0
for drv in gcm-aes-gmrk gcm-sm4-gmrk rfc7539-chacha20-poly1305-gmrk sm4-gmrk; do
	has "$rows" "^  [^ ]+ +$drv +[0-9]+  passed\$" || ok=1
done
[ $ok -eq 0 ] && has "$out" '^status: healthy$'
result $? "algorithms passed their selftests, status healthy"

json before "$DI"
result $? "json before work: exit status 0"
r=$("$HELPER" aead gcm-aes-gmrk 32 4096)
result $? "AF_ALG work through gcm-aes-gmrk (${r#ops } operations)"
after=$("$DI")
w0=$(total_work "$out") w1=$(total_work "$after")
echo "# jobs+fallbacks $w0 -> $w1"
[ $((w1 - w0)) -ge "${r#ops }" ] && [ "$(total_jobs "$after")" -gt "$(total_jobs "$out")" ]
result $? "statistics rose by the work done"
json after "$DI"
result $? "json after work: exit status 0"
