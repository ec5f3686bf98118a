#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check_json.py sim|pci SERIAL_LOG
#
# The host half of the vm-info tests: the guest has no JSON parser, so it
# prints `gmrk info --json` between "GMRK-JSON-BEGIN NAME" and
# "GMRK-JSON-END NAME" lines on the serial stream and this parses each
# snapshot strictly (duplicate keys and trailing garbage are errors) and
# checks that it describes what the guest set up. Prints TAP.
import json
import sys

GMRK_DRIVERS = {
    "gcm-aes-gmrk": "gcm(aes)",
    "gcm-sm4-gmrk": "gcm(sm4)",
    "rfc7539-chacha20-poly1305-gmrk": "rfc7539(chacha20,poly1305)",
    "sm4-gmrk": "sm4",
}
TOP_KEYS = {"healthy", "found", "module", "pci_cards", "sim_devices", "devices",
            "algorithms", "kernel_software", "problems"}
STAT_KEYS = {"jobs", "bytes", "errors", "fallbacks", "timeouts", "resets",
             "auth_failures", "queues"}

n = 0
failed = False


def result(ok, name, why=""):
    global n, failed
    n += 1
    if ok:
        print(f"ok {n} {name}")
    else:
        failed = True
        print(f"not ok {n} {name}")
        if why:
            print(f"# {why}")


def no_dups(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicate keys {sorted(dup)}")
    return dict(pairs)


def snapshots(path):
    snaps, cur, name = {}, None, None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith("GMRK-JSON-BEGIN "):
                name, cur = line.split(" ", 1)[1], []
            elif line.startswith("GMRK-JSON-END ") and cur is not None:
                snaps[name] = "\n".join(cur)
                cur = None
            elif cur is not None:
                cur.append(line)
    return snaps


def parse(snaps, name):
    text = snaps.get(name)
    if text is None:
        result(False, f"json {name}: snapshot present", "no such block in the serial log")
        return None
    try:
        doc = json.loads(text, object_pairs_hook=no_dups)
    except ValueError as e:
        result(False, f"json {name}: parses as one JSON object", str(e))
        return None
    ok = isinstance(doc, dict) and TOP_KEYS <= doc.keys()
    result(ok, f"json {name}: parses, has {', '.join(sorted(TOP_KEYS))}",
           "" if ok else f"keys: {sorted(doc) if isinstance(doc, dict) else type(doc)}")
    return doc if ok else None


def devices_by_bus(doc):
    return {d["info"]["bus_id"]: d for d in doc["devices"] if d.get("info")}


def total(doc, key):
    return sum(d["stats"][key] for d in doc["devices"] if d.get("stats"))


def check_common(doc, name):
    algs = {a["driver"]: a for a in doc["algorithms"]}
    ok = all(d in algs and algs[d]["name"] == n_ and algs[d]["selftest"] == "passed"
             and algs[d]["selftest_passed"] is True for d, n_ in GMRK_DRIVERS.items())
    result(ok, f"json {name}: the four gmrk algorithms, selftest passed",
           "" if ok else json.dumps(doc["algorithms"]))
    sw = [s["name"] for s in doc["kernel_software"]]
    result(sorted(sw) == sorted(set(GMRK_DRIVERS.values()) - {"sm4"}),
           f"json {name}: kernel_software covers the three AEAD names", json.dumps(sw))
    mod = doc["module"]
    ok = mod["loaded"] is True and "job_timeout_ms" in mod["parameters"]
    result(ok, f"json {name}: module loaded, parameters listed", json.dumps(mod))
    ok = doc["healthy"] is True and doc["found"] is True and \
        not [p for p in doc["problems"] if p["severity"] == "error"]
    result(ok, f"json {name}: healthy, no error problems", json.dumps(doc["problems"]))
    ok = True
    for d in doc["devices"]:
        st, info = d.get("stats"), d.get("info")
        if not st or not info:
            continue
        ok &= STAT_KEYS <= st.keys() and len(st["queues"]) == info["num_queues"]
        ok &= [q["queue"] for q in st["queues"]] == list(range(info["num_queues"]))
    result(ok, f"json {name}: every device has its stats and one entry per queue")


def check_sim(snaps):
    before = parse(snaps, "before")
    if before:
        sims = {s["id"]: s for s in before["sim_devices"]}
        result(sorted(sims) == [0, 7], "json before: sim_devices are 0 and 7",
               json.dumps(before["sim_devices"]))
        bus = devices_by_bus(before)
        want = {"sim0": 4, "sim7": 2}
        ok = all(b in bus and bus[b]["info"]["num_queues"] == q and
                 bus[b]["info"]["kind"] == "sim" and bus[b]["info"]["online"] is True
                 for b, q in want.items())
        result(ok, "json before: sim0 has 4 queues, sim7 has 2, both online",
               json.dumps(before["devices"])[:2000])
        ok = all(s["device"] and s["device"] == bus.get(f"sim{i}", {}).get("name")
                 for i, s in sims.items())
        result(ok, "json before: each sim device's node is the device with its bus id")
        result(before["pci_cards"] == [], "json before: no PCI cards in sim mode")
        check_common(before, "before")
    after = parse(snaps, "after")
    if before and after:
        j0, j1 = total(before, "jobs"), total(after, "jobs")
        b0, b1 = total(before, "bytes"), total(after, "bytes")
        w0 = j0 + total(before, "fallbacks")
        w1 = j1 + total(after, "fallbacks")
        # The guest ran 3 AEADs x 64 encryptions + 64 decryptions of 1040 bytes.
        ok = w1 - w0 >= 3 * 2 * 64 and j1 > j0 and b1 > b0
        result(ok, "json after: jobs and bytes rose by the AF_ALG work",
               f"jobs {j0}->{j1} bytes {b0}->{b1} jobs+fallbacks {w0}->{w1}")
    nonroot = parse(snaps, "nonroot")
    if nonroot:
        errs = [d["error"] for d in nonroot["devices"]]
        ok = len(errs) == 2 and all(e and e["errno"] == 13 and e["operation"] == "open"
                                    for e in errs)
        ok &= nonroot["healthy"] is True and len(nonroot["sim_devices"]) == 2
        result(ok, "json nonroot: EACCES per device, still healthy, devices listed",
               json.dumps(nonroot["devices"]))


def check_pci(snaps, slot):
    result(bool(slot), "guest reported the card's slot from sysfs")
    before = parse(snaps, "before")
    if before:
        cards = before["pci_cards"]
        ok = len(cards) == 1 and cards[0]["slot"] == slot and cards[0]["id"] == "1b36:10f0" \
            and cards[0]["driver"] == "gmrk" and cards[0]["class"] == "1080"
        result(ok, f"json before: one card at {slot}, 1b36:10f0, class 1080, driver gmrk",
               json.dumps(cards))
        bus = devices_by_bus(before)
        dev = bus.get(slot)
        ok = dev is not None and cards and dev["name"] == cards[0]["device"] and \
            dev["info"]["kind"] == "pci" and dev["info"]["online"] is True
        result(ok, "json before: the card's node is a pci device with its slot as bus id",
               json.dumps(before["devices"])[:2000])
        result(before["sim_devices"] == [], "json before: no emulation devices in pci mode")
        check_common(before, "before")
    after = parse(snaps, "after")
    if before and after:
        j0, j1 = total(before, "jobs"), total(after, "jobs")
        w0 = j0 + total(before, "fallbacks")
        w1 = j1 + total(after, "fallbacks")
        result(w1 - w0 >= 64 and j1 > j0, "json after: jobs rose by the AF_ALG work",
               f"jobs {j0}->{j1} jobs+fallbacks {w0}->{w1}")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("sim", "pci"):
        print("usage: check_json.py sim|pci SERIAL_LOG", file=sys.stderr)
        return 2
    snaps = snapshots(sys.argv[2])
    if sys.argv[1] == "sim":
        check_sim(snaps)
    else:
        slot = ""
        with open(sys.argv[2], errors="replace") as f:
            for line in f:
                if line.startswith("GMRK-INFO-SLOT "):
                    slot = line.split()[1] if len(line.split()) > 1 else ""
        check_pci(snaps, slot)
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
