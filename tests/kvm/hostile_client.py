#!/usr/bin/env python3
# A hostile control-socket client for tests/kvm/hostile.sh: while a guest attacks rasvm, it
# injects host memory errors (action optional, random pages, sometimes 2 MiB granules) and raw
# machine checks, and asks query-status and query-ras, until rasvm goes away. It reports, as
# "key value" lines: how many commands were answered, the longest wait for an answer, errors
# by class, the last query-ras counters, and rasvm's largest resident set.
#
# It keeps rasvm's GHES queues from filling: a client that outpaces the guest only makes rasvm
# count records as overflowed (tests/kvm/ras.sh tests that), and on a slow host (an emulated
# one) the guest's own error in hostile-ghes, which must arrive, once overflowed behind a
# flood of 2 MiB granules. So before each host error it asks query-ras and sends none while
# a source's queue has less room than a granule's 512 records and a margin.
#
# usage: hostile_client.py SOCKET PID [SECONDS] [--burst reset-quit|inject-at-once]
import json, os, random, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import qmp_client  # noqa: E402

path, pid = sys.argv[1], int(sys.argv[2])
limit = float(sys.argv[3]) if len(sys.argv) > 3 and not sys.argv[3].startswith("--") else 60.0
burst = sys.argv[sys.argv.index("--burst") + 1] if "--burst" in sys.argv else None
stats = {"answered": 0, "slowest_ms": 0, "errors": {}, "connected": 0, "rss_kib": 0,
         "balanced": None, "lost": None, "reports": None}


def rss():
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                stats["rss_kib"] = max(stats["rss_kib"], int(line.split()[1]))
    except OSError:
        pass


class Gone(Exception):
    pass


def alive():
    try:
        return open("/proc/%d/stat" % pid).read().split()[2] != "Z"
    except OSError:
        return False


class Client(qmp_client.Client):
    """Counts answers and their latency; any failure of the socket means rasvm went away."""

    def cmd(self, name, args=None):
        t0 = time.monotonic()
        try:
            m = super().cmd(name, args)
        except OSError:
            raise Gone()
        if m is None:
            raise Gone()
        ms = (time.monotonic() - t0) * 1000
        stats["answered"] += 1
        stats["slowest_ms"] = max(stats["slowest_ms"], int(ms))
        if "error" in m:
            c = m["error"].get("class", "?")
            stats["errors"][c] = stats["errors"].get(c, 0) + 1
        return m


GRANULE_RECORDS = 512  # a 2 MiB granule of 4 KiB pages


def room(c):
    """True when every GHES source's queue can still take a whole granule and the guest's own
    errors (a margin of 16)."""
    r = c.cmd("query-ras", {"max-pages": 1})
    if "return" not in r:
        return True  # not a VM with RAS state (yet): nothing to fill
    return all(s["queue-capacity"] - s["queued"] >= GRANULE_RECORDS + 16
               for s in r["return"]["sources"])


deadline = time.monotonic() + limit
try:
    c = qmp_client.connect(path, limit, alive, cls=Client)
except Gone:
    c = None
if c is None:
    print("connected 0")
    sys.exit(0)
stats["connected"] = 1
rss()  # at least once: after a burst that ends the run there may be no later chance
try:
    if burst == "reset-quit":
        # Both in one write: the quit must not be lost behind the reset.
        c.send(b'{"execute":"system_reset"}{"execute":"quit"}')
        c.reply(); c.reply()
        stats["answered"] += 2
    elif burst == "inject-at-once":
        c.cmd("x-inject-mce", {"cpu": 0, "bank": 9, "status": "0xbd000000000000c0",
                                "mcg-status": 5, "addr": 0x2000000, "misc": 0x8c})
    rnd = random.Random(pid)
    # rasvm runs with -S: errors sent before the guest starts wait for it; then it starts.
    for _ in range(5):
        c.cmd("x-inject-host-memory-error", {"gpa": 0x2000000 + rnd.randrange(0x5000) * 4096})
    c.cmd("cont")
    while time.monotonic() < deadline:
        rss()
        k = rnd.randrange(10)
        if k < 5:
            if not room(c):
                continue
            lsb = 21 if rnd.randrange(20) == 0 else 12
            c.cmd("x-inject-host-memory-error",
                  {"gpa": 0x2000000 + rnd.randrange(0x5000) * 4096, "lsb": lsb})
        elif k < 7:
            # Action optional (RIPV, no EIPV): the guest takes it wherever it is.
            c.cmd("x-inject-mce", {"cpu": rnd.randrange(2), "bank": 9,
                                    "status": "0xbd000000000000c0", "mcg-status": 5,
                                    "addr": 0x2000000 + rnd.randrange(0x5000) * 4096,
                                    "misc": 0x8c, "broadcast": rnd.randrange(2) == 0})
        elif k < 8:
            c.cmd("query-status")
        else:
            r = c.cmd("query-ras")
            if "return" in r:
                n = r["return"]["counters"]
                stats["balanced"], stats["lost"], stats["reports"] = n["balanced"], n["lost"], n["reports"]
        time.sleep(0.002)
except Gone:
    pass
rss()
for k, v in stats.items():
    if k == "errors":
        print("errors " + (",".join("%s=%d" % e for e in sorted(v.items())) or "none"))
    else:
        print("%s %s" % (k, json.dumps(v)))
