#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vm-info, sim mode: gmrk info against the emulation devices. The harness
# created gmrk_sim0 (4 queues); this adds gmrk_sim7 with 2 queues, runs
# AEAD work, looks at the output as root and as an unprivileged user, and
# prints JSON snapshots for the host to parse (tests/vminfo/check_json.py).
# shellcheck source=tests/vminfo/guest_lib.sh
. /tests/guest_lib.sh

NEW_ID=7 NEW_QUEUES=2 WORK=64
echo "1..23"

out=$("$DI")
result $? "baseline: exit status 0"
[ "$(count "$out" '^  gmrk_sim[0-9]+ +device gmrk[0-9]+$')" -eq 1 ] &&
	has "$out" '^  gmrk_sim0 +device gmrk[0-9]+$'
result $? "baseline: lists exactly gmrk_sim0, with its device node"
n0=$(sim_node 0)
has "$(devblock "$out" "$n0")" '^    queues +4 x 256 deep'
result $? "baseline: $n0 (sim0) shows 4 queues of 256"
has "$(printf '%s\n' "$out" | sed -n '/^gm-rk PCI cards/,/^$/p')" '^  none$'
result $? "sim mode: no PCI card listed"

echo "$NEW_ID $NEW_QUEUES" >/sys/bus/gmrk_sim/new_device
# shellcheck disable=SC2320 # echo's status is the write's: what is tested
result $? "new_device \"$NEW_ID $NEW_QUEUES\" accepted"
n7=$(sim_node $NEW_ID)
out=$("$DI")
rc=$?
result $rc "two devices: exit status 0"
[ "$(count "$out" '^  gmrk_sim[0-9]+ +device gmrk[0-9]+$')" -eq 2 ] &&
	has "$out" "^  gmrk_sim0 +device $n0\$" && has "$out" "^  gmrk_sim$NEW_ID +device $n7\$"
result $? "two devices: lists gmrk_sim0 -> $n0 and gmrk_sim$NEW_ID -> $n7"
blk=$(devblock "$out" "$n7")
has "$blk" "^  $n7 +sim sim$NEW_ID, online\$" && has "$blk" "^    queues +$NEW_QUEUES x 256 deep"
result $? "$n7: sim sim$NEW_ID, online, $NEW_QUEUES queues of 256"
[ "$(printf '%s\n' "$blk" | grep -cE '^    [0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$')" -eq $NEW_QUEUES ]
result $? "$n7: per-queue table has $NEW_QUEUES rows"
has "$(devblock "$out" "$n0")" '^    queues +4 x 256 deep'
result $? "$n0: still 4 queues"
has "$(devblock "$out" "$n7")" '^    caps +aes-gcm sm4-gcm chacha20-poly1305$'
result $? "$n7: caps decoded"

rows=$(printf '%s\n' "$out" | sed -n '/^algorithms/,/^$/p')
ok=0
for drv in gcm-aes-gmrk gcm-sm4-gmrk rfc7539-chacha20-poly1305-gmrk sm4-gmrk; do
	has "$rows" "^  [^ ]+ +$drv +[0-9]+  passed\$" || ok=1
done
[ $ok -eq 0 ] && ! has "$out" 'SELFTEST NOT PASSED'
result $? "algorithms: the four gmrk drivers listed, selftest passed"
has "$out" '^status: healthy$'
result $? "status: healthy"
want=$(cat /sys/module/gmrk/parameters/job_timeout_ms)
has "$out" "^  (parameters)? +job_timeout_ms = $want\$"
result $? "module parameter job_timeout_ms = $want shown"

json before "$DI"
result $? "json before work: exit status 0"

ops=0 ok=0
for drv in gcm-aes-gmrk gcm-sm4-gmrk rfc7539-chacha20-poly1305-gmrk; do
	r=$("$HELPER" aead $drv $WORK 1024) || ok=1
	ops=$((ops + ${r#ops }))
done
result $ok "AF_ALG work through the three gmrk AEADs ($ops operations)"
after=$("$DI")
w0=$(total_work "$out") w1=$(total_work "$after")
j0=$(total_jobs "$out") j1=$(total_jobs "$after")
echo "# jobs+fallbacks $w0 -> $w1, jobs $j0 -> $j1, operations $ops"
[ $((w1 - w0)) -ge "$ops" ] && [ "$j1" -gt "$j0" ]
result $? "statistics rose by the work done"
json after "$DI"
result $? "json after work: exit status 0"

# Unprivileged: /dev/gmrkN is root-only by default, then opened up.
# The initramfs root (and so /) is 0700 here; an unprivileged user needs
# to reach /extra and the libraries as on any real system.
chmod 0755 / /extra /tests
nobody=$("$HELPER" run-as 65534 "$DI")
rc=$?
[ $rc -eq 0 ] && has "$nobody" "warning: $n0: open: permission denied" &&
	has "$nobody" '^  gmrk_sim0 ' && has "$nobody" ' gcm-aes-gmrk .* passed$'
result $? "unprivileged, nodes 0600: exit 0, permission denied reported, rest shown"
json nonroot "$HELPER" run-as 65534 "$DI"
result $? "json unprivileged: exit status 0"
chmod 0644 /dev/gmrk*
nobody=$("$HELPER" run-as 65534 "$DI")
rc=$?
[ $rc -eq 0 ] && ! has "$nobody" 'permission denied' && has "$(devblock "$nobody" "$n7")" '^    stats +jobs'
result $? "unprivileged, nodes 0644: statistics readable"
chmod 0600 /dev/gmrk*

"$DI" --frobnicate >/dev/null 2>&1
[ $? -eq 2 ]
result $? "unknown option: exit status 2"

echo "$NEW_ID" >/sys/bus/gmrk_sim/del_device
out=$("$DI")
[ "$(count "$out" '^  gmrk_sim[0-9]+ +device gmrk[0-9]+$')" -eq 1 ] && ! has "$out" "gmrk_sim$NEW_ID"
result $? "after del_device: one emulation device again"
