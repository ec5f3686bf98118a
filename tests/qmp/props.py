#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host-only checks of the gm-rk device's configuration over QMP.

    props.py QEMU

Starts the emulator paused with no guest (-S, no firmware run; machine
"pc", whose root bus takes device_add), then over QMP: plugs cards with
good and bad properties (every bad value must be refused with an error,
never crash QEMU), reads the defaults back, and sets and reads each
run-time knob. Key slots: key-slots limits, keystore paths that cannot
work, and one keystore taken by a second card. Prints TAP (version 13) results for each
check and exits 1 if any failed. Needs no VM harness, no guest, no driver.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP, QMPError  # noqa: E402

results = []


def check(ok, name, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} {name}")
    if detail and not ok:
        print(f"# {detail}")


def add(q, **props):
    """device_add; returns None on success, else the error text."""
    try:
        q.cmd("device_add", driver="gmrk", **props)
        return None
    except QMPError as e:
        return str(e)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    qemu = sys.argv[1]
    print("TAP version 13")
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "qmp.sock")
        proc = subprocess.Popen(
            [qemu, "-machine", "pc", "-S", "-nodefaults", "-display", "none",
             "-qmp", f"unix:{sock},server=on,wait=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            q = QMP(sock, connect_timeout=30)
            run_checks(q, tmp)
            check_secure_memory(q, tmp, proc.pid)
            q.close()
        except QMPError as e:
            check(False, "QMP session", str(e))
        finally:
            proc.terminate()
            try:
                rc = proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
            err = proc.stderr.read().decode(errors="replace")
            # Terminated by us (SIGTERM) is the only acceptable end.
            check(rc in (0, -15), "emulator ended cleanly",
                  f"exit {rc}: {err.strip()[-300:]}")
            check("insecure memory" not in err,
                  "libgcrypt never fell back to insecure memory",
                  err.strip()[-300:])
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


def run_checks(q, tmp):
    path = "/machine/peripheral/c0"
    check(add(q, id="c0") is None, "device_add gmrk with defaults")
    want = {"queues": 4, "depth": 1024, "max-data": 1 << 20, "latency-us": 0,
            "fail-next": 0, "corrupt-next": 0, "stall": False,
            "queue-full": False, "fatal": False, "jobs": 0, "errors": 0,
            "msix": True, "key-slots": 8, "keystore": "", "key-slot-map": 0}
    for prop, val in want.items():
        try:
            got = q.cmd("qom-get", path=path, property=prop)
        except QMPError as e:
            got = f"error: {e}"
        check(got == val, f"default {prop} = {val}", f"got {got}")

    for prop, val in [("fail-next", 7), ("corrupt-next", 2),
                      ("latency-us", 1500), ("stall", True),
                      ("queue-full", True), ("fatal", True),
                      ("stall", False), ("queue-full", False),
                      ("fatal", False), ("fail-next", 0)]:
        try:
            q.cmd("qom-set", path=path, property=prop, value=val)
            got = q.cmd("qom-get", path=path, property=prop)
        except QMPError as e:
            got = f"error: {e}"
        check(got == val, f"qom-set {prop} {val} reads back", f"got {got}")

    for prop, val in [("jobs", 5), ("errors", 1), ("key-slot-map", 3)]:
        try:
            q.cmd("qom-set", path=path, property=prop, value=val)
            refused = False
        except QMPError:
            refused = True
        check(refused, f"read-only {prop} refuses qom-set")
    for prop, val in [("fail-next", -1), ("stall", "maybe"),
                      ("latency-us", 1 << 33)]:
        try:
            q.cmd("qom-set", path=path, property=prop, value=val)
            refused = False
        except QMPError:
            refused = True
        check(refused, f"qom-set {prop} {val!r} refused")

    adir = os.path.join(tmp, "adir")
    os.mkdir(adir)
    bad = [{"queues": 0}, {"queues": 17}, {"depth": 3}, {"depth": 2},
           {"depth": 8192}, {"depth": 1000}, {"max-data": 100},
           {"max-data": 1 << 30}, {"key-slots": 33},
           {"key-slots": 1 << 16}, {"keystore": ""},
           {"keystore": os.path.join(tmp, "ks0"), "key-slots": 0},
           {"keystore": os.path.join(tmp, "no", "such", "dir", "ks")},
           {"keystore": adir}]
    for i, props in enumerate(bad):
        err = add(q, id=f"bad{i}", **props)
        check(err is not None, f"device_add gmrk {props} refused",
              "it was accepted")
    good = [{"queues": 1, "depth": 4}, {"queues": 16, "depth": 4096},
            {"max-data": 4096}, {"max-data": 16 << 20}, {"msix": False},
            {"latency-us": 250}, {"key-slots": 0}, {"key-slots": 32},
            {"key-slots": 1, "keystore": os.path.join(tmp, "ks1")}]
    for i, props in enumerate(good):
        err = add(q, id=f"good{i}", **props)
        check(err is None, f"device_add gmrk {props} accepted", err or "")
    try:
        got = q.cmd("qom-get", path="/machine/peripheral/good5",
                    property="latency-us")
    except QMPError as e:
        got = str(e)
    check(got == 250, "latency-us from device_add", f"got {got}")
    ks1 = os.path.join(tmp, "ks1")
    check(os.path.isfile(ks1) and os.stat(ks1).st_mode & 0o777 == 0o600,
          "a new keystore file is created at once, mode 0600")
    err = add(q, id="twice", keystore=ks1)
    check(err is not None and "in use" in err,
          "a keystore already in use by a card is refused", err or "accepted")
    # Still alive and answering after all the refusals.
    try:
        q.cmd("query-status")
        alive = True
    except QMPError:
        alive = False
    check(alive, "emulator still answers")


def locked_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmLck:"):
                return int(line.split()[1])
    return 0


def check_secure_memory(q, tmp, pid):
    """Twelve more cards with every slot and a keystore: together with the
    cards above, more than libgcrypt's default 32 KiB secure pool holds.
    Their slots must still be in locked memory (the device sizes the pool
    itself), which the end of main checks in QEMU's stderr."""
    errs = [add(q, id=f"full{i}", **{"key-slots": 32,
                "keystore": os.path.join(tmp, f"full{i}")})
            for i in range(12)]
    check(errs == [None] * 12, "twelve more cards with 32 key slots each",
          "; ".join(e for e in errs if e))
    kib = locked_kib(pid)
    check(kib >= 256, "the secure pool is locked: VmLck >= 256 kB",
          f"VmLck {kib} kB")


if __name__ == "__main__":
    start = time.monotonic()
    rc = main()
    print(f"# {time.monotonic() - start:.1f} s")
    sys.exit(rc)
