#!/usr/bin/env python3
"""Side-by-side: rasvm and QEMU on the same test guest, alternately, on this machine.

Prints one table and writes bench/results.json. Figures (medians with min/max, and the
rasvm/QEMU ratio): time from exec to the guest's first serial output (QEMU's firmware share
measured by the guest's first-instruction mark on port 0xE9, which QEMU's isa-debugcon
timestamps); resident memory beyond guest RAM; latency from injecting a memory error to the
first instruction of the guest's machine-check handler (rasvm: a simulated host error whose
SIGBUS leads to the machine check; QEMU: its monitor's mce command, the only injection it has
on x86); errors delivered out of N sent back to back.
Usage: bench/compare.py BUILD [RUNS]
"""
import json, os, select, socket, statistics, subprocess, sys, tempfile, time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
RASVM, GUEST = os.path.join(BUILD, "rasvm"), os.path.join(BUILD, "guest", "guest.elf")
MEM_MIB = 128
TMP = tempfile.mkdtemp()
now = time.monotonic_ns

def qemu_cmd(scenario, extra=()):
    return ["qemu-system-x86_64", "-enable-kvm", "-cpu", "qemu64,+mce,+mca,-pni", "-m", str(MEM_MIB),
            "-kernel", GUEST, "-append", scenario, "-display", "none", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0x534,iosize=1", "-no-reboot", *extra]

def rasvm_cmd(scenario, extra=()):
    return [RASVM, "run", "--memory", "%dM" % MEM_MIB, "--scenario", scenario, *extra]

class Vm:
    """A VMM process with its serial console on a pipe, read with arrival times."""
    def __init__(self, argv, debugcon=None):
        self.t0 = now()
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.out, self.first = b"", None
        self.dbg, self.dbg_events = None, []
        if debugcon:
            self.dbg = connect(debugcon, 2500)
    def pump(self, timeout):
        fds = [self.p.stdout] + ([self.dbg] if self.dbg else [])
        r, _, _ = select.select(fds, [], [], timeout)
        t = now()
        for f in r:
            if f is self.dbg:
                data = self.dbg.recv(4096)
                self.dbg_events += [(t, b) for b in data]
            else:
                data = os.read(self.p.stdout.fileno(), 65536)
                if data and self.first is None:
                    self.first = t
                self.out += data
        return bool(r)
    def wait_for(self, text, timeout=60):
        end = time.time() + timeout
        while text.encode() not in self.out and time.time() < end and self.p.poll() is None:
            self.pump(0.05)
        return text.encode() in self.out
    def rss_beyond_ram(self):
        rss, ram = 0, 0
        size = 0
        for line in open("/proc/%d/smaps" % self.p.pid):
            if line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("Rss:"):
                r = int(line.split()[1]); rss += r
                if size >= MEM_MIB * 1024:   # the guest RAM mapping
                    ram += r
        return (rss - ram) / 1024.0
    def stop(self):
        self.p.kill(); self.p.wait()

def connect(path, tries=500):
    """A Unix socket the VMM creates a moment after it starts."""
    for _ in range(tries):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            time.sleep(0.01)
    raise RuntimeError("nothing listens at " + path)

class Qmp:
    def __init__(self, path):
        self.s = connect(path)
        self.f = self.s.makefile("rwb")
        self.f.readline()
        self.cmd("qmp_capabilities")
    def cmd(self, name, args=None):
        req = {"execute": name}
        if args: req["arguments"] = args
        self.f.write(json.dumps(req).encode() + b"\n"); self.f.flush()
        while True:
            m = json.loads(self.f.readline())
            if "event" not in m:
                return m

class Hmp:
    def __init__(self, path):
        self.s = connect(path)
        self.s.settimeout(0.2)
    def cmd(self, line):
        """False once QEMU is gone (a guest that cannot take a machine check dies)."""
        try:
            self.s.sendall(line.encode() + b"\n")
            self.s.recv(65536)
        except socket.timeout:
            pass
        except OSError:
            return False
        return True

def startup(vmm):
    sock = os.path.join(TMP, "dbg.sock")
    if vmm == "qemu":
        argv = qemu_cmd("boot", ["-chardev", "socket,id=d,path=%s,server=on,wait=off" % sock,
                                 "-device", "isa-debugcon,iobase=0xe9,chardev=d"])
    else:
        argv = rasvm_cmd("boot")
    vm = Vm(argv, sock if vmm == "qemu" else None)
    vm.wait_for("rendezvous", 120)
    first = (vm.first - vm.t0) / 1e6
    entry = next(((t - vm.t0) / 1e6 for t, b in vm.dbg_events if b == ord("M")), None)
    vm.p.wait()
    return first, entry

def memory(vmm):
    vm = Vm(qemu_cmd("wait") if vmm == "qemu" else rasvm_cmd("wait"))
    vm.wait_for("wait: idling", 120)
    time.sleep(0.5)
    mib = vm.rss_beyond_ram()
    vm.stop()
    return mib

PAGE0 = 0x800000

def latency(vmm, n):
    """Inject n errors one at a time, each after the last was handled; milliseconds from
    sending each to the guest's #MC handler's first instruction."""
    dbg, ctl = os.path.join(TMP, "dbg2.sock"), os.path.join(TMP, "ctl.sock")
    stats = os.path.join(TMP, "stats")
    for p in (dbg, ctl, stats):
        if os.path.exists(p): os.unlink(p)
    if vmm == "qemu":
        vm = Vm(qemu_cmd("serve", ["-chardev", "socket,id=d,path=%s,server=on,wait=off" % dbg,
                                   "-device", "isa-debugcon,iobase=0xe9,chardev=d",
                                   "-monitor", "unix:%s,server=on,wait=off" % ctl]), dbg)
    else:
        vm = Vm(rasvm_cmd("serve", ["--qmp", ctl, "--stats", stats]))
    vm.wait_for("serve: ready", 120)
    mon = Hmp(ctl) if vmm == "qemu" else Qmp(ctl)
    sent = []
    for i in range(n):
        gpa = PAGE0 + i * 4096
        before = vm.out.count(b"handled so far")
        sent.append(now())
        if vmm == "qemu":
            mon.cmd("mce 0 9 0xbd80000000000134 0x7 0x%x 0x8c" % gpa)
        else:
            mon.cmd("x-inject-host-memory-error", {"gpa": gpa, "action-required": True})
        end = time.time() + 5
        while vm.out.count(b"handled so far") == before and time.time() < end and vm.p.poll() is None:
            vm.pump(0.05)
        if vm.out.count(b"handled so far") == before:
            break  # the guest stopped answering: report what was measured
    if vmm == "qemu":
        marks = [t for t, b in vm.dbg_events if b == 18]
        vm.stop()
    else:
        mon.cmd("quit")
        vm.p.wait()
        marks = [int(l.split()[1]) for l in open(stats) if l.startswith("ras_mark_ns")]
    lat = [(m - s) / 1e6 for s, m in zip(sent, marks)]
    return lat, len(marks)

def storm(vmm, n):
    """Send n errors back to back; how many did the guest handle?"""
    ctl = os.path.join(TMP, "ctl3.sock")
    if os.path.exists(ctl): os.unlink(ctl)
    if vmm == "qemu":
        vm = Vm(qemu_cmd("serve", ["-monitor", "unix:%s,server=on,wait=off" % ctl]))
    else:
        vm = Vm(rasvm_cmd("serve", ["--qmp", ctl]))
    vm.wait_for("serve: ready", 120)
    mon = Hmp(ctl) if vmm == "qemu" else Qmp(ctl)
    for i in range(n):
        gpa = PAGE0 + i * 4096
        if vmm == "qemu":
            # QEMU's only injection on x86; action optional, as rasvm's storm
            if not mon.cmd("mce 0 9 0xbd000000000000c0 0x5 0x%x 0x8c" % gpa):
                break
        else:
            mon.cmd("x-inject-host-memory-error", {"gpa": gpa})
    end = time.time() + 15
    while time.time() < end and vm.p.poll() is None:
        vm.pump(0.2)
        if vm.out.count(b"handled so far") and b"(%d by" % 0 not in vm.out[-200:] and \
           (b"%d error(s) handled" % n) in vm.out:
            break
    handled = 0
    for line in vm.out.decode(errors="replace").splitlines():
        if "error(s) handled so far" in line:
            handled = int(line.split()[1])
    died = vm.p.poll() is not None
    vm.stop()
    return handled, died

def spread(xs):
    xs = [x for x in xs if x is not None]
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)} if xs else None

res = {"machine": os.uname().release, "runs": RUNS, "guest_ram_mib": MEM_MIB}
first = {"rasvm": [], "qemu": []}; entry = []
for _ in range(RUNS):
    for v in ("rasvm", "qemu"):
        f, e = startup(v)
        first[v].append(f)
        if v == "qemu": entry.append(e)
res["startup_ms"] = {v: spread(first[v]) for v in first}
res["qemu_firmware_ms"] = spread(entry)
mem = {"rasvm": [], "qemu": []}
for _ in range(max(1, RUNS // 2)):
    for v in ("rasvm", "qemu"):
        mem[v].append(memory(v))
res["memory_beyond_ram_mib"] = {v: spread(mem[v]) for v in mem}
N = 50
lat = {}
for v in ("rasvm", "qemu"):
    l, got = latency(v, N)
    lat[v] = spread(l)
    if lat[v]:
        lat[v]["p99"] = sorted(l)[int(len(l) * 0.99) - 1 if len(l) > 1 else 0]
res["mce_latency_ms"] = lat
S = 100
st = {}
for v in ("rasvm", "qemu"):
    handled, died = storm(v, S)
    st[v] = {"sent": S, "handled": handled, "vm_died": died}
res["storm"] = st

def ratio(a, b):
    return a / b if a is not None and b else None
rows = [
    ("exec -> first guest output (ms)", res["startup_ms"]["rasvm"], res["startup_ms"]["qemu"]),
    ("resident memory beyond guest RAM (MiB)", res["memory_beyond_ram_mib"]["rasvm"], res["memory_beyond_ram_mib"]["qemu"]),
    ("memory error -> guest #MC handler (ms)", lat["rasvm"], lat["qemu"]),
]
print("%-42s %24s %24s %8s" % ("figure", "rasvm median [min-max]", "QEMU median [min-max]", "ratio"))
for name, a, b in rows:
    fa = "%.3f [%.3f-%.3f]" % (a["median"], a["min"], a["max"]) if a else "-"
    fb = "%.3f [%.3f-%.3f]" % (b["median"], b["min"], b["max"]) if b else "-"
    r = ratio(a and a["median"], b and b["median"])
    print("%-42s %24s %24s %8s" % (name, fa, fb, "%.3f" % r if r else "-"))
# A latency figure stands on every error measured: say so when a guest stopped answering.
for v in ("rasvm", "qemu"):
    if lat[v] is None or lat[v]["n"] < N:
        print("  %s: only %d of %d latency samples (the guest stopped answering)"
              % (v, lat[v]["n"] if lat[v] else 0, N))
fw = res["qemu_firmware_ms"]
if fw:
    print("%-42s %24s %24s" % ("  of which QEMU's firmware (ms)", "0 (none)", "%.3f [%.3f-%.3f]" % (fw["median"], fw["min"], fw["max"])))
print("%-42s %24s %24s" % ("errors handled of %d sent back to back" % S,
      "%d%s" % (st["rasvm"]["handled"], " (VM died)" if st["rasvm"]["vm_died"] else ""),
      "%d%s" % (st["qemu"]["handled"], " (VM died)" if st["qemu"]["vm_died"] else "")))
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")
json.dump(res, open(out, "w"), indent=2)
print("written: %s" % out)
