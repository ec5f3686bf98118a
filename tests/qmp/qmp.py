#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Small QMP client for the gm-rk VM tests (Python 3 standard library only).

Used two ways:

  qmp.py [--socket PATH] CMD ...     one-shot commands from a shell
      qom-get ID PROP                print the value (JSON)
      qom-set ID PROP VALUE          VALUE is JSON (true, 3) or a string
      device-del ID [--wait SEC]     unplug, optionally wait for DEVICE_DELETED
      raw JSON                       any QMP command, e.g. '{"execute":"query-pci"}'

  qmp.py hook                        the VM harness's --host-hook
      Follows the guest's serial log ($GMRK_SERIAL) and acts on lines
          GMRK-HOOK: qom-set ID PROP VALUE
          GMRK-HOOK: unplug ID
          GMRK-HOOK: expect ID PROP OP VALUE      OP: == != >= <= > <
          GMRK-HOOK: done                         (no more requests)
      through the QMP socket ($GMRK_QMP). The harness starts QEMU with
      -no-shutdown when it has a hook, so the guest powering off only
      stops the VM: the hook then acts on every request the guest printed
      before it went (an expectation printed just before poweroff is
      still checked, not lost in a race with QEMU exiting) and quits
      QEMU itself. The exit status is 1 if any action failed (a QMP
      error, an unmet expectation, an unplug that never finished), which
      the harness turns into a failed test.

ID is a -device id; it names the QOM path /machine/peripheral/ID (a full
QOM path starting with / is taken as is).
"""

import argparse
import json
import os
import re
import socket
import sys
import time


class QMPError(Exception):
    pass


class QMP:
    """One QMP session: greeting, capabilities, then commands and events."""

    def __init__(self, path, connect_timeout=30.0):
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise QMPError(f"cannot connect to QMP socket {path}")
                time.sleep(0.1)
        self.buf = b""
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError(f"unexpected greeting {greeting}")
        self.cmd("qmp_capabilities")

    def close(self):
        self.sock.close()

    def _read(self, timeout=None):
        """Next JSON message; None on timeout; QMPError when QEMU is gone."""
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise QMPError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, timeout=60.0, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        return self.raw(msg, timeout)

    def raw(self, msg, timeout=60.0):
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError(f"no reply to {msg['execute']}")
            resp = self._read(left)
            if resp is None:
                continue
            if "event" in resp:
                self.events.append(resp)
                continue
            if "error" in resp:
                err = resp["error"]
                raise QMPError(f"{msg['execute']}: {err.get('class')}: "
                               f"{err.get('desc')}")
            return resp.get("return")

    def wait_event(self, name, timeout, match=None):
        """Wait for event NAME whose data contains MATCH (a dict)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                data = ev.get("data", {})
                if ev["event"] == name and all(
                        data.get(k) == v for k, v in (match or {}).items()):
                    del self.events[i]
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            resp = self._read(min(left, 1.0))
            if resp is not None and "event" in resp:
                self.events.append(resp)


def qom_path(dev):
    return dev if dev.startswith("/") else f"/machine/peripheral/{dev}"


def parse_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


OPS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, "<": lambda a, b: a < b,
}


def unplug(q, dev, timeout):
    q.cmd("device_del", id=dev)
    # The guest's pciehp waits ~5 s for the attention button, then the
    # driver's remove runs with requests in flight; TCG is slow.
    if q.wait_event("DEVICE_DELETED", timeout, {"device": dev}) is None:
        raise QMPError(f"{dev}: no DEVICE_DELETED within {timeout} s")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


HOOK_RE = re.compile(r"GMRK-HOOK:\s*(.*)")


def hook_action(q, words):
    """Run one GMRK-HOOK request; returns False for 'done'."""
    if not words:
        raise QMPError("empty hook line")
    verb, args = words[0], words[1:]
    if verb == "done":
        return False
    if verb == "qom-set" and len(args) == 3:
        q.cmd("qom-set", path=qom_path(args[0]), property=args[1],
              value=parse_value(args[2]))
        log(f"qom-set {args[0]} {args[1]}={args[2]}")
    elif verb == "unplug" and len(args) == 1:
        log(f"device_del {args[0]}")
        unplug(q, args[0], 120)
        log(f"{args[0]} deleted")
    elif verb == "expect" and len(args) == 4 and args[2] in OPS:
        got = q.cmd("qom-get", path=qom_path(args[0]), property=args[1])
        want = parse_value(args[3])
        if not OPS[args[2]](got, want):
            raise QMPError(f"expected {args[0]}.{args[1]} {args[2]} {want}, "
                           f"got {got}")
        log(f"ok: {args[0]}.{args[1]} = {got} ({args[2]} {want})")
    else:
        raise QMPError(f"unknown hook request: {' '.join(words)}")
    return True


def hook_lines(serial, state):
    """The complete GMRK-HOOK requests added to SERIAL since the last call."""
    with open(serial, "rb") as f:
        f.seek(state["pos"])
        data = f.read()
    state["pos"] += len(data)
    *lines, state["pending"] = (state["pending"] + data).split(b"\n")
    for raw in lines:
        m = HOOK_RE.search(raw.decode(errors="replace").strip("\r"))
        if m:
            yield m.group(1)


def run_hook():
    qmp_path = os.environ["GMRK_QMP"]
    serial = os.environ["GMRK_SERIAL"]
    failures = 0
    try:
        q = QMP(qmp_path)
    except QMPError as e:
        log(f"error: {e}")
        return 1
    log(f"connected to {qmp_path}, following {serial}")
    state = {"pos": 0, "pending": b""}
    stopped = False
    try:
        while True:
            for req in hook_lines(serial, state):
                try:
                    if not hook_action(q, req.split()):
                        log("guest has no more requests")
                except QMPError as e:
                    failures += 1
                    log(f"FAILED: {req}: {e}")
            if stopped:
                break
            # The guest powered off (or reset, under -no-reboot): the VM
            # is stopped and its serial output complete; one more pass
            # over it, then quit.
            stopped = q.wait_event("SHUTDOWN", 0.1) is not None
        log("guest powered off; quitting QEMU")
        q.cmd("quit")
    except QMPError as e:
        # QEMU ended by itself (a timeout, or a run without -no-shutdown).
        log(f"QEMU gone ({e})")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", default=os.environ.get("GMRK_QMP"))
    ap.add_argument("cmd")
    ap.add_argument("args", nargs="*")
    ap.add_argument("--wait", type=float, default=0)
    o = ap.parse_args()
    if o.cmd == "hook":
        return run_hook()
    if not o.socket:
        ap.error("no QMP socket (--socket or GMRK_QMP)")
    q = QMP(o.socket)
    try:
        if o.cmd == "qom-get" and len(o.args) == 2:
            print(json.dumps(q.cmd("qom-get", path=qom_path(o.args[0]),
                                   property=o.args[1])))
        elif o.cmd == "qom-set" and len(o.args) == 3:
            q.cmd("qom-set", path=qom_path(o.args[0]), property=o.args[1],
                  value=parse_value(o.args[2]))
        elif o.cmd == "device-del" and len(o.args) == 1:
            if o.wait:
                unplug(q, o.args[0], o.wait)
            else:
                q.cmd("device_del", id=o.args[0])
        elif o.cmd == "raw" and len(o.args) == 1:
            print(json.dumps(q.raw(json.loads(o.args[0]))))
        else:
            ap.error(f"bad command: {o.cmd} {' '.join(o.args)}")
    except QMPError as e:
        print(f"qmp.py: {e}", file=sys.stderr)
        return 1
    finally:
        q.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
