#!/usr/bin/env python3
# A hostile control-socket client for tests/kvm/hostile.sh: while a guest attacks rasvm, it
# injects host memory errors (action optional, random pages, sometimes 2 MiB granules) and raw
# machine checks, and asks query-status and query-ras, until rasvm goes away. It reports, as
# "key value" lines: how many commands were answered, the longest wait for an answer, errors
# by class, the last query-ras counters, and rasvm's largest resident set.
#
# usage: hostile_client.py SOCKET PID [SECONDS] [--burst reset-quit|inject-at-once]
import json, random, socket, sys, time

path, pid = sys.argv[1], int(sys.argv[2])
limit = float(sys.argv[3]) if len(sys.argv) > 3 and not sys.argv[3].startswith("--") else 60.0
burst = sys.argv[sys.argv.index("--burst") + 1] if "--burst" in sys.argv else None
dec = json.JSONDecoder()
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


class Client:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = ""
        self.msg()  # greeting
        self.cmd("qmp_capabilities")

    def msg(self):
        while True:
            t = self.buf.lstrip()
            if t:
                try:
                    m, end = dec.raw_decode(t)
                    self.buf = t[end:]
                    return m
                except ValueError:
                    pass
            try:
                data = self.s.recv(65536)
            except OSError:
                raise Gone()
            if not data:
                raise Gone()
            self.buf += data.decode()

    def send(self, name, args=None):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        try:
            self.s.sendall(json.dumps(req).encode())
        except OSError:
            raise Gone()

    def cmd(self, name, args=None):
        t0 = time.monotonic()
        self.send(name, args)
        while True:
            m = self.msg()
            if "event" not in m:
                break
        ms = (time.monotonic() - t0) * 1000
        stats["answered"] += 1
        stats["slowest_ms"] = max(stats["slowest_ms"], int(ms))
        if "error" in m:
            c = m["error"].get("class", "?")
            stats["errors"][c] = stats["errors"].get(c, 0) + 1
        return m


def alive():
    try:
        return open("/proc/%d/stat" % pid).read().split()[2] != "Z"
    except OSError:
        return False


def connect(deadline):
    while time.monotonic() < deadline and alive():
        try:
            return Client()
        except (OSError, Gone):
            time.sleep(0.005)
    return None


deadline = time.monotonic() + limit
c = connect(deadline)
if c is None:
    print("connected 0")
    sys.exit(0)
stats["connected"] = 1
try:
    if burst == "reset-quit":
        # Both in one write: the quit must not be lost behind the reset.
        c.s.sendall(b'{"execute":"system_reset"}{"execute":"quit"}')
        c.msg(); c.msg()
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
