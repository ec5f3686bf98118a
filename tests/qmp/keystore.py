#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host-side checks of a gm-rk keystore file after a VM boot.

    keystore.py QEMU KEYSTORE DATA [--faults]

KEYSTORE is the file a card used as -device gmrk,keystore=KEYSTORE in the
boot that just ended; DATA holds what that boot printed about it, as
"map 0xMAP" and "pub SLOT HEX" lines (tests/qmp/qmp_50_keyslots.c and
qmp_51_keystore.c print them with a "GMRK-KEYSTORE: " prefix).

Checks, printed as TAP (version 13), exit status 1 if any failed:
  * the file: mode 0600, no temporary files left next to it, the format of
    Documentation/gmrk/qemu-card.rst (magic, version, size, SM3 checksum
    computed here with hashlib), occupied records exactly the slots of MAP,
    each record's public key the one the guest saw, and each private key
    matching its public key (d * G computed here in plain Python);
  * a fresh emulator (paused, no guest) on the file reports the same
    key-slot-map over QMP, and a second one on the same file is refused
    while the first runs;
  * with --faults, on copies: a flipped bit, a truncated or empty file, a
    bad magic, a record whose keys disagree (checksum recomputed), and a
    key beyond key-slots each make QEMU refuse to start with a clear
    message, and leave the file as it was; a larger key-slots takes the
    file as is. And a keystore that cannot be written: the card is driven
    from the host through QEMU's qtest protocol (no guest), its keystore
    directory renamed away under it; KEY_GEN and KEY_DESTROY must then
    fail with EDEV and change nothing, in the card or in the file, and
    work again once the directory is back.
"""

import hashlib
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP, QMPError  # noqa: E402

# sm2p256v1 (GB/T 32918.5)
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = P - 3
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
     0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0)

MAGIC = b"GMRKKEYS"
HDR, REC, SUM = 16, 160, 32
REC_D, REC_PUB, PUB_LEN = 32, 64, 65

results = []


def check(ok, name, detail=""):
    results.append(bool(ok))
    print(f"{'ok' if ok else 'not ok'} {len(results)} {name}")
    if detail and not ok:
        for line in str(detail).splitlines()[-5:]:
            print(f"# {line}")


def ec_add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def ec_mul(k, pt):
    acc = None
    while k:
        if k & 1:
            acc = ec_add(acc, pt)
        pt = ec_add(pt, pt)
        k >>= 1
    return acc


def sm3(data):
    return hashlib.new("sm3", data).digest()


def read_data(path):
    """The boot's 'map' and 'pub' lines: (map, {slot: pub bytes})."""
    smap, pubs = None, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 2 and w[0] == "map":
                smap = int(w[1], 16)
            elif len(w) == 3 and w[0] == "pub":
                pubs[int(w[1])] = bytes.fromhex(w[2])
    return smap, pubs


def parse(img):
    """(slots, records) of a keystore image, or raise ValueError."""
    if len(img) < HDR or img[:8] != MAGIC:
        raise ValueError("bad magic")
    version, n = struct.unpack_from("<II", img, 8)
    if version != 1 or not 1 <= n <= 32 or len(img) != HDR + n * REC + SUM:
        raise ValueError(f"version {version}, {n} slots, {len(img)} bytes")
    if sm3(img[:-SUM]) != img[-SUM:]:
        raise ValueError("checksum mismatch")
    return n, [img[HDR + i * REC:HDR + (i + 1) * REC] for i in range(n)]


def check_file(ks, smap, pubs):
    st = os.stat(ks)
    check(stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
          "keystore is a regular file with mode 0600",
          f"mode {oct(st.st_mode)}")
    d, base = os.path.split(ks)
    stray = [f for f in os.listdir(d or ".")
             if f.startswith(base + ".") and f != base + ".lock"]
    check(not stray, "no temporary files left next to the keystore",
          " ".join(stray))
    with open(ks, "rb") as f:
        img = f.read()
    try:
        n, recs = parse(img)
    except ValueError as e:
        check(False, "keystore format (magic, version, size, SM3 checksum)", e)
        return img
    check(True, "keystore format (magic, version, size, SM3 checksum)")
    check(n == 8, "keystore holds 8 slots", f"{n}")
    used = 0
    bad = []
    for i, rec in enumerate(recs):
        state = struct.unpack_from("<I", rec)[0]
        if state == 0:
            if any(rec):
                bad.append(f"slot {i}: empty record not zero")
            continue
        used |= 1 << i
        if state != 1:
            bad.append(f"slot {i}: state {state}")
            continue
        dk = int.from_bytes(rec[REC_D:REC_D + 32], "big")
        pub = rec[REC_PUB:REC_PUB + PUB_LEN]
        q = ec_mul(dk, G)
        want = b"\x04" + q[0].to_bytes(32, "big") + q[1].to_bytes(32, "big")
        if not 1 <= dk <= N - 2 or pub != want:
            bad.append(f"slot {i}: private and public key disagree")
        if i in pubs and pubs[i] != pub:
            bad.append(f"slot {i}: not the public key the guest saw")
        if any(rec[4:REC_D]) or any(rec[REC_PUB + PUB_LEN:]):
            bad.append(f"slot {i}: reserved bytes set")
    check(used == smap, f"occupied records are the guest's map 0x{smap:x}",
          f"file has 0x{used:x}")
    check(not bad, "each record: d in [1, n-2], d*G = its public key = "
          "the guest's", "; ".join(bad))
    return img


def start(qemu, tmp, name, devices):
    """A paused emulator with DEVICES; (process, QMP socket path)."""
    sock = os.path.join(tmp, f"{name}.sock")
    args = [qemu, "-machine", "pc", "-S", "-nodefaults", "-display", "none",
            "-qmp", f"unix:{sock},server=on,wait=off"]
    for dev in devices:
        args += ["-device", dev]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    return proc, sock


def refused(qemu, tmp, devices, timeout=30):
    """Run QEMU that must not start: (refused?, its stderr)."""
    proc, _ = start(qemu, tmp, "refused", devices)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        return False, "it started (killed after %d s)" % timeout
    return proc.returncode != 0, err.decode(errors="replace").strip()


def stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def check_qemu(qemu, ks, smap, tmp):
    proc, sock = start(qemu, tmp, "live", [f"gmrk,id=c0,keystore={ks}"])
    try:
        q = QMP(sock, connect_timeout=30)
        got = q.cmd("qom-get", path="/machine/peripheral/c0",
                    property="key-slot-map")
        check(got == smap, "a new emulator on the file reports the same "
              "key-slot-map", f"got {got}, want {smap}")
        got = q.cmd("qom-get", path="/machine/peripheral/c0",
                    property="keystore")
        check(got == ks, "keystore property reads back", f"got {got}")
        ok, err = refused(qemu, tmp, [f"gmrk,keystore={ks}"])
        check(ok and "in use" in err,
              "a second emulator on the same keystore is refused", err)
        q.close()
    except QMPError as e:
        check(False, "QMP session with the keystore card", e)
    finally:
        stop(proc)


def check_corrupt(qemu, ks, img, tmp):
    n, recs = parse(img)
    used = [i for i, r in enumerate(recs) if r[0]]
    last = max(used)

    def resum(body):
        return body + sm3(body)

    flipped = bytearray(img)
    flipped[HDR + last * REC + REC_D + 5] ^= 0x20
    mismatch = bytearray(img[:-SUM])
    mismatch[HDR + used[0] * REC + REC_PUB + 10] ^= 0x01
    badmagic = bytearray(img)
    badmagic[0] ^= 0xff
    cases = [
        ("a flipped bit in a private key", bytes(flipped), "", "checksum"),
        ("truncated by one byte", img[:-1], "", "wrong size"),
        ("truncated to the header", img[:HDR], "", "wrong size"),
        ("empty", b"", "", "wrong size"),
        ("bad magic", bytes(badmagic), "", "not a gmrk keystore"),
        ("keys disagree (valid checksum)", resum(bytes(mismatch)), "",
         "do not match"),
        (f"a key in slot {last} with key-slots={last}", img,
         f",key-slots={last}", "refusing to drop"),
    ]
    for what, data, extra, msg in cases:
        path = os.path.join(tmp, "corrupt.keystore")
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o600)
        ok, err = refused(qemu, tmp, [f"gmrk,keystore={path}{extra}"])
        check(ok and msg in err and "keystore" in err,
              f"keystore {what}: QEMU refuses to start ('{msg}')", err)
        with open(path, "rb") as f:
            check(f.read() == data, f"keystore {what}: file left as it was")
        os.unlink(path)

    # More slots than the file has: taken as is, rewritten at the next change.
    path = os.path.join(tmp, "grow.keystore")
    shutil.copyfile(ks, path)
    proc, sock = start(qemu, tmp, "grow", [f"gmrk,id=g,keystore={path},"
                                           "key-slots=16"])
    try:
        q = QMP(sock, connect_timeout=30)
        got = q.cmd("qom-get", path="/machine/peripheral/g",
                    property="key-slot-map")
        want = sum(1 << i for i in used)
        check(got == want, "an 8-slot keystore on a key-slots=16 card keeps "
              "its keys", f"got {got}, want {want}")
        q.close()
    except QMPError as e:
        check(False, "QMP session with key-slots=16", e)
    finally:
        stop(proc)


class QTest:
    """QEMU's qtest protocol: the host plays CPU, memory and PCI config."""

    def __init__(self, qemu, tmp, devices):
        path = os.path.join(tmp, "qtest.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        srv.settimeout(30)
        args = [qemu, "-machine", "pc", "-accel", "qtest", "-nodefaults",
                "-display", "none", "-qtest", f"unix:{path}"]
        for dev in devices:
            args += ["-device", dev]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        try:
            self.sock, _ = srv.accept()
        finally:
            srv.close()
        self.sock.settimeout(30)
        self.buf = b""

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise QMPError(f"qtest: QEMU went away after '{line}'")
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        words = reply.decode().split()
        if not words or words[0] != "OK":
            raise QMPError(f"qtest: '{line}': {reply.decode()}")
        return words[1] if len(words) > 1 else None

    def outl(self, port, val):
        self.cmd(f"outl 0x{port:x} 0x{val:x}")

    def inl(self, port):
        return int(self.cmd(f"inl 0x{port:x}"), 16)

    def writel(self, addr, val):
        self.cmd(f"writel 0x{addr:x} 0x{val:x}")

    def readl(self, addr):
        return int(self.cmd(f"readl 0x{addr:x}"), 16)

    def write(self, addr, data):
        self.cmd(f"write 0x{addr:x} {len(data)} 0x{data.hex()}")

    def read(self, addr, n):
        return bytes.fromhex(self.cmd(f"read 0x{addr:x} {n}")[2:])

    def close(self):
        self.sock.close()
        stop(self.proc)
        return self.proc.stderr.read().decode(errors="replace")


# driver/gmrk_hw.h, as much as the write-failure check needs
REG_CTRL, REG_KEY_SLOT_MAP = 0x018, 0x030
Q_SQ_LO, Q_SQ_HI, Q_CQ_LO, Q_CQ_HI, Q_SIZE, Q_CTRL, Q_SQ_TAIL, Q_CQ_HEAD, \
    Q_CQ_TAIL = 0x100, 0x104, 0x108, 0x10c, 0x110, 0x114, 0x118, 0x120, 0x124
OP_KEY_GEN, OP_KEY_DESTROY, ALG_SM2 = 3, 6, 4
ST_OK, ST_EDEV = 0, 5
BAR, SQ, CQ, DST = 0xe0000000, 0x100000, 0x101000, 0x102000


class Card:
    """Queue 0 of the one gm-rk card of a qtest machine, rings of 4."""

    def __init__(self, qt):
        self.qt, self.tail, self.head = qt, 0, 0
        for dev in range(32):
            cfg = 0x80000000 | dev << 11
            qt.outl(0xcf8, cfg)
            if qt.inl(0xcfc) == 0x10f01b36:
                break
        else:
            raise QMPError("qtest: no gm-rk card on bus 0")
        qt.outl(0xcf8, cfg | 0x10)
        qt.outl(0xcfc, BAR)
        qt.outl(0xcf8, cfg | 0x04)
        qt.outl(0xcfc, 0x6)               # memory space, bus master
        for reg, val in [(Q_SQ_LO, SQ), (Q_SQ_HI, 0), (Q_CQ_LO, CQ),
                         (Q_CQ_HI, 0), (Q_SIZE, 4), (Q_CTRL, 1),
                         (REG_CTRL, 1)]:
            qt.writel(BAR + reg, val)

    def slot_map(self):
        return self.qt.readl(BAR + REG_KEY_SLOT_MAP)

    def run(self, op, slot):
        """One key descriptor; its completion status."""
        data_len = 65 if op == OP_KEY_GEN else 0
        desc = struct.pack("<BBBBBBHIIIIQQQ", op, ALG_SM2, 0, 0, 0, 0, slot,
                           0, data_len, 0, data_len,
                           0, DST if data_len else 0, 0x1000 + self.tail)
        self.qt.write(SQ + (self.tail % 4) * 128, desc.ljust(128, b"\0"))
        self.tail = (self.tail + 1) % 8
        self.qt.writel(BAR + Q_SQ_TAIL, self.tail)
        for _ in range(1000):
            if self.qt.readl(BAR + Q_CQ_TAIL) != self.head:
                break
            time.sleep(0.005)
        else:
            raise QMPError("qtest: no completion")
        cookie, status = struct.unpack_from(
            "<QH", self.qt.read(CQ + (self.head % 4) * 16, 16))
        self.head = (self.head + 1) % 8
        self.qt.writel(BAR + Q_CQ_HEAD, self.head)
        if cookie != 0x1000 + (self.tail - 1) % 8:
            raise QMPError(f"qtest: completion for cookie {cookie:#x}")
        return status


def file_map(ks):
    with open(ks, "rb") as f:
        _, recs = parse(f.read())
    return sum(1 << i for i, r in enumerate(recs) if r[0])


def check_write_failure(qemu, tmp):
    kdir = os.path.join(tmp, "ksdir")
    away = kdir + ".away"
    ks = os.path.join(kdir, "card.keystore")
    os.mkdir(kdir)
    qt = None
    try:
        qt = QTest(qemu, tmp, [f"gmrk,keystore={ks}"])
        card = Card(qt)
        st = card.run(OP_KEY_GEN, 0)
        check(st == ST_OK and card.slot_map() == 1 and file_map(ks) == 1,
              "qtest: KEY_GEN stores slot 0 in the keystore", f"status {st}")
        before = open(ks, "rb").read()
        os.rename(kdir, away)
        st_gen = card.run(OP_KEY_GEN, 1)
        st_des = card.run(OP_KEY_DESTROY, 0)
        smap = card.slot_map()
        os.rename(away, kdir)
        check(st_gen == ST_EDEV and st_des == ST_EDEV and smap == 1,
              "qtest: keystore not writable: KEY_GEN and KEY_DESTROY fail "
              "with EDEV and the slots stay as they were",
              f"KEY_GEN {st_gen}, KEY_DESTROY {st_des}, map {smap:#x}")
        check(open(ks, "rb").read() == before,
              "qtest: the keystore file is unchanged by the failed commands")
        st_gen = card.run(OP_KEY_GEN, 1)
        st_des = card.run(OP_KEY_DESTROY, 0)
        smap = card.slot_map()
        check(st_gen == ST_OK and st_des == ST_OK and smap == 2 and
              file_map(ks) == 2, "qtest: writable again: both work and the "
              "file follows", f"KEY_GEN {st_gen}, KEY_DESTROY {st_des}, "
              f"map {smap:#x}")
        stray = [f for f in os.listdir(kdir)
                 if f not in ("card.keystore", "card.keystore.lock")]
        check(not stray, "qtest: no temporary files left", " ".join(stray))
    except (QMPError, OSError, ValueError) as e:
        check(False, "qtest session", e)
    finally:
        if os.path.isdir(away):
            os.rename(away, kdir)
        if qt:
            err = qt.close()
            check(err.count("cannot create") == 1,
                  "qtest: the write failure is reported once on stderr", err)


def main():
    args = [a for a in sys.argv[1:] if a != "--faults"]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    qemu, ks, data = args
    ks = os.path.abspath(ks)
    print("TAP version 13")
    smap, pubs = read_data(data)
    if smap is None or not os.path.exists(ks):
        check(False, "the boot reported its key-slot map and left a keystore",
              f"map {smap}, {ks} exists: {os.path.exists(ks)}")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            img = check_file(ks, smap, pubs)
            check_qemu(qemu, ks, smap, tmp)
            if "--faults" in sys.argv:
                try:
                    check_corrupt(qemu, ks, img, tmp)
                except ValueError as e:
                    check(False, "corruption cases", e)
                check_write_failure(qemu, tmp)
    print(f"1..{len(results)}")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    t0 = time.monotonic()
    rc = main()
    print(f"# {time.monotonic() - t0:.1f} s")
    sys.exit(rc)
