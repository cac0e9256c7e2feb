#!/usr/bin/env python3
"""Snapshots and live migration, rasvm and QEMU on the same test guest, alternately.

Prints one table and writes bench/migrate.json (medians with min/max). Figures:
 - snapshot of a stopped guest to a file: save time (migrate to completed), file size, and
   restore time (exec of the restoring VMM to the guest running again), for an idle 128 MiB
   and 1 GiB guest (the test guest's `wait` scenario: most pages never touched) and a 1 GiB
   guest that wrote 256 MiB (`dirty:256`, stopped after a few passes).
   rasvm: migrate file:PATH, run --incoming file:PATH. QEMU 7.2 has no file: URI (8.2 added
   it): migrate exec:cat > PATH, -incoming exec:cat PATH, then cont (QEMU restores the run
   state it saved: paused).
 - live migration of a 1 GiB guest that keeps rewriting 64 or 256 MiB (`dirty:N`: a word in
   every page per pass, each checked against the last pass) between two processes on this
   host over a unix socket: total time, downtime (the VMM's own query-migrate figure), bytes
   sent, dirty-log rounds; the destination guest must then find every page as written.
   Both with downtime-limit 300 ms; QEMU's max-bandwidth raised from its 128 MiB/s default
   to 100 GiB/s, as rasvm sends unlimited.
Usage: bench/migrate.py BUILD [RUNS]
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "kvm"))
from migrate_lib import Qmp, wait_file  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
RASVM, GUEST = os.path.abspath(os.path.join(BUILD, "rasvm")), os.path.abspath(os.path.join(BUILD, "guest", "guest.elf"))
TMP = tempfile.mkdtemp()
HAVE_QEMU = shutil.which("qemu-system-x86_64") is not None

LIVE = []  # every VMM started, so none outlives the benchmark

class Vm:
    n = 0
    def __init__(self, vmm, mem_mib, scenario, incoming=None, paused=False):
        Vm.n += 1
        self.qmp = os.path.join(TMP, "q%d.qmp" % Vm.n)
        self.serial = os.path.join(TMP, "s%d.serial" % Vm.n)
        self.vmm = vmm
        if vmm == "rasvm":
            argv = [RASVM, "run", "--memory", "%dM" % mem_mib, "--scenario", scenario, "--qmp", self.qmp,
                    "--serial", "file:" + self.serial]
            if incoming:
                argv += ["--incoming", incoming]
        else:
            argv = ["qemu-system-x86_64", "-enable-kvm", "-cpu", "qemu64,+mce,+mca,-pni", "-m", str(mem_mib),
                    "-kernel", GUEST, "-append", scenario, "-display", "none", "-serial", "file:" + self.serial,
                    "-qmp", "unix:%s,server=on,wait=off" % self.qmp, "-no-reboot",
                    "-device", "isa-debug-exit,iobase=0x534,iosize=1"]
            if incoming:
                argv += ["-incoming", incoming]
        open(self.serial, "w").close()
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        LIVE.append(self.p)
        self.q = Qmp(self.qmp, 60)
        if vmm == "qemu" and not incoming:
            self.q.cmd("migrate-set-parameters", {"max-bandwidth": 100 << 30, "downtime-limit": 300})
    def wait(self, text, timeout=300):
        if not wait_file(self.serial, text, timeout):
            raise RuntimeError("%s: '%s' never came" % (self.vmm, text))
    def running_at(self, timeout=300):
        """When the restored guest runs. QEMU keeps the run state the snapshot had (a stopped
        guest comes back paused): cont it as soon as it is loaded, as a user would."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st = self.q.ret("query-status")["status"]
            if st == "running":
                return time.monotonic()
            if st == "paused" and self.q.ret("query-migrate").get("status") == "completed":
                self.q.cmd("cont")
                continue
            time.sleep(0.002)
        raise RuntimeError(self.vmm + ": never ran")
    def stop(self):
        try:
            self.q.cmd("quit")
        except Exception:
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()

def snapshot(vmm, mem_mib, written_mib):
    scenario = "dirty:%d" % written_mib if written_mib else "wait"
    path = os.path.join(TMP, "%s.snap" % vmm)
    vm = Vm(vmm, mem_mib, scenario)
    vm.wait("dirty: pass 4" if written_mib else "wait: idling")
    vm.q.cmd("stop")
    t = time.monotonic()
    vm.q.cmd("migrate", {"uri": ("file:" if vmm == "rasvm" else "exec:cat > ") + path})
    r = vm.q.wait_migration(600)
    save = (time.monotonic() - t) * 1000
    vm.stop()
    if r["status"] != "completed":
        raise RuntimeError("%s: save %s" % (vmm, r))
    size = os.path.getsize(path)
    back = Vm(vmm, mem_mib, scenario, ("file:" if vmm == "rasvm" else "exec:cat ") + path)
    restore = (back.running_at() - back.t0) * 1000
    back.stop()
    os.unlink(path)
    return save, size, restore

def live(vmm, mem_mib, ws_mib):
    sock = os.path.join(TMP, "mig.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    a = Vm(vmm, mem_mib, "dirty:%d" % ws_mib)
    a.wait("dirty: pass 4")
    b = Vm(vmm, mem_mib, "dirty:%d" % ws_mib, "unix:" + sock)
    a.q.cmd("migrate", {"uri": "unix:" + sock})
    r = a.q.wait_migration(600)
    a.stop()
    ok = r["status"] == "completed"
    if ok:
        b.q.cmd("inject-nmi")
        ok = wait_file(b.serial, "every page as written", 120)
    b.stop()
    if not ok:
        raise RuntimeError("%s: live migration %s" % (vmm, r.get("status")))
    return r["total-time"], r["downtime"], r["ram"]["transferred"], r["ram"]["dirty-sync-count"]

def spread(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)} if xs else None

def fmt(s, unit=""):
    if not s:
        return "-"
    f = "%.2f" if unit == " MiB" and s["max"] < 10 else "%.0f"
    if s["min"] == s["max"]:
        return (f + "%s") % (s["median"], unit)
    return (f + "%s [" + f + "-" + f + "]") % (s["median"], unit, s["min"], s["max"])

def kill_all():
    for p in LIVE:
        if p.poll() is None:
            p.kill()
            p.wait()

import atexit  # noqa: E402
atexit.register(kill_all)
vmms = ["rasvm"] + (["qemu"] if HAVE_QEMU else [])
res = {"machine": os.uname().release, "runs": RUNS, "snapshot": {}, "live": {}}
rows = []
for mem, written in ((128, 0), (1024, 0), (1024, 256)):
    key = "%d MiB %s" % (mem, "idle" if not written else "wrote %d MiB" % written)
    got = {v: {"save": [], "size": [], "restore": []} for v in vmms}
    for _ in range(RUNS):
        for v in vmms:
            s, z, r = snapshot(v, mem, written)
            got[v]["save"].append(s)
            got[v]["size"].append(z / (1 << 20))
            got[v]["restore"].append(r)
    res["snapshot"][key] = {v: {k: spread(x) for k, x in got[v].items()} for v in vmms}
    for fig, unit in (("save", " ms"), ("size", " MiB"), ("restore", " ms")):
        rows.append(("snapshot %s: %s" % (key, fig),) + tuple(fmt(res["snapshot"][key][v][fig], unit) for v in vmms))
for ws in (64, 256):
    key = "1 GiB, rewriting %d MiB" % ws
    got = {v: {"total": [], "downtime": [], "sent": [], "rounds": []} for v in vmms}
    for _ in range(RUNS):
        for v in vmms:
            t, d, b, n = live(v, 1024, ws)
            got[v]["total"].append(t)
            got[v]["downtime"].append(d)
            got[v]["sent"].append(b / (1 << 20))
            got[v]["rounds"].append(n)
    res["live"][key] = {v: {k: spread(x) for k, x in got[v].items()} for v in vmms}
    for fig, unit in (("total", " ms"), ("downtime", " ms"), ("sent", " MiB"), ("rounds", "")):
        rows.append(("live %s: %s" % (key, fig),) + tuple(fmt(res["live"][key][v][fig], unit) for v in vmms))

print("%-48s %22s %22s" % ("figure (median [min-max], %d runs)" % RUNS, "rasvm", "QEMU" if HAVE_QEMU else ""))
for row in rows:
    print("%-48s %22s %22s" % (row[0], row[1], row[2] if len(row) > 2 else "-"))
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrate.json")
json.dump(res, open(out, "w"), indent=2)
print("written: %s" % out)
shutil.rmtree(TMP, ignore_errors=True)
