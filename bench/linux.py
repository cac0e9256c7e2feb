#!/usr/bin/env python3
"""Linux under rasvm and under QEMU, on the same kernel (the tests/linux test kernel), side by
side: bench/compare.py's second table (also runnable alone).

Figures, medians with min and max over RUNS boots each, taken alternately:
  - exec -> Linux's "Run /init as init process" on the console: rasvm with the vmlinux and
    with the bzImage (both "console=ttyS0"); QEMU microvm (the vmlinux's PVH note) and pc
    (the same through SeaBIOS), with the command line QEMU needs on hosts like this one to
    get that far (features this KVM cannot emulate hidden by clearcpuid=..., noxsave, ...;
    the alternatives self-test's INT3 done through QEMU's gdb stub, as tests/linux/qemu-boot);
  - resident memory beyond guest RAM while Linux idles in its init (5 s after "Run /init");
  - error -> Linux's "Memory failure: 0x...:" line: an action-optional machine check (rasvm:
    a host memory error with --ras mce; QEMU: its monitor's mce command) and, rasvm only, a
    GHES record through the SCI source.
Usage: bench/linux.py BUILD [RUNS] [KERNEL-DIR]   (the kernel dir: tests/linux/build-kernel's)
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "linux"))
from guest import Guest, Timeout  # noqa: E402

MEM = "256M"
MEM_BYTES = 256 << 20
INIT = "Run /init as init process"
# What QEMU needs on a host whose KVM cannot run these at guest CPL0 (tests/linux/README.md).
QEMU_CMDLINE = ("console=ttyS0 noxsave nopcid noinvpcid nofsgsbase "
                "clearcpuid=308,158,306,151,311,312,534,141")
LAT_SAMPLES = 5


def spread(xs):
    xs = [x for x in xs if x is not None]
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)} if xs else None


class Qemu(Guest):
    """QEMU on the same kernel; INT3 and FWAIT done through its gdb stub (tests/linux/qemu-boot)."""

    def __init__(self, machine, kdir, kernel, initrd, workdir, name):
        self.kdir, self.kernel_path = kdir, kernel
        self.hmp_path = os.path.join(workdir, name + ".hmp")
        self.port = 20000 + (os.getpid() + hash(name)) % 20000
        argv = ["qemu-system-x86_64", "-M", machine, "-enable-kvm", "-cpu", "host,kvm-pv-ipi=off",
                "-m", "256", "-nodefaults", "-no-reboot", "-display", "none", "-serial", "stdio",
                "-kernel", kernel, "-initrd", initrd, "-append", QEMU_CMDLINE,
                "-qmp", "unix:%s,server=on,wait=off" % os.path.join(workdir, name + ".qmp"),
                "-monitor", "unix:%s,server=on,wait=off" % self.hmp_path,
                "-gdb", "tcp:127.0.0.1:%d" % self.port, "-S"]
        super().__init__("qemu", kernel, workdir=workdir, name=name, argv=argv, watchdog=900,
                         sockdir=workdir)
        self.gdb = None

    def start(self):
        super().start()
        sym = {}
        for line in open(os.path.join(self.kdir, "System.map")):
            a, _, n = line.split()[:3]
            if n in ("int3_selftest_ip", "fpu__drop"):
                sym[n] = int(a, 16)
        dis = subprocess.run(["objdump", "-d", os.path.join(self.kdir, "vmlinux"),
                              "--start-address=%#x" % sym["fpu__drop"],
                              "--stop-address=%#x" % (sym["fpu__drop"] + 64)],
                             stdout=subprocess.PIPE).stdout.decode()
        fwait = int(re.search(r"^\s*([0-9a-f]+):.*\tfwait", dis, re.M).group(1), 16)
        script = os.path.join(os.path.dirname(self.sock), self.name + ".gdb")
        with open(script, "w") as f:
            f.write("set pagination off\nset confirm off\nset architecture i386:x86-64\n"
                    "target remote 127.0.0.1:%d\n"
                    "hbreak *%#x\ncommands\n silent\n set *(int*)$rdi = *(int*)$rdi + 1\n"
                    " set $pc = $pc + 1\n continue\nend\n"
                    "hbreak *%#x\ncommands\n silent\n set $pc = $pc + 1\n continue\nend\ncontinue\n"
                    % (self.port, sym["int3_selftest_ip"], fwait))
        time.sleep(0.3)
        self.gdb = subprocess.Popen(["gdb", "-q", "-batch", "-x", script], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        return self

    def hmp(self, line, cpu=0):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.hmp_path)
        s.settimeout(2)
        try:
            s.recv(4096)
            s.sendall(line.encode() + b"\n")
            time.sleep(0.2)
            s.recv(65536)
        except socket.timeout:
            pass
        s.close()

    def stop(self, timeout=60):
        if self.gdb:
            self.gdb.kill()
            self.gdb.wait()
        return super().stop(timeout)


STARTED = []  # every VMM started, killed on the way out whatever happens


def boot(vm):
    """exec -> "Run /init" in seconds (None if it never came), and the index of that line."""
    STARTED.append(vm)
    vm.start()
    try:
        i, _ = vm.wait(INIT, 900)
        return vm.time_of(i), i
    except Timeout:
        return None, None


def latencies(vm, inject, first_gpa, start):
    """Milliseconds from each injection to Linux's "Memory failure: 0x<pfn>:" line."""
    out = []
    for k in range(LAT_SAMPLES):
        gpa = first_gpa + k * 0x10000
        m = vm.mark()
        t = vm.now()
        inject(gpa)
        try:
            i, _ = vm.wait("Memory failure: %#x:" % (gpa >> 12), 60, m)
            out.append((vm.time_of(i) - t) * 1e3)
        except Timeout:
            break
        time.sleep(1)
    return out


def run(build, runs, kdir, work):
    rasvm = os.path.join(build, "rasvm")
    initrd = os.path.join(work, "spin.cpio")
    subprocess.run([os.path.join(ROOT, "tests", "linux", "mkinitrd"), "spin", initrd], check=True)
    init = {k: [] for k in ("rasvm", "rasvm-bz", "qemu-microvm", "qemu-pc")}
    mem = {"rasvm": [], "qemu-microvm": []}
    lat = {"rasvm-mce": [], "rasvm-ghes": [], "qemu-mce": []}
    for r in range(runs):
        # rasvm, vmlinux: init, memory, and (first run) both latencies, in one boot.
        g = Guest(rasvm, os.path.join(kdir, "vmlinux"), initrd, "console=ttyS0", memory=MEM,
                  extra=["--ras", "mce"], workdir=work, name="rasvm%d" % r, verbose=False)
        t, i = boot(g)
        init["rasvm"].append(t)
        if t is not None:
            time.sleep(5)
            mem["rasvm"].append(g.rss_beyond_ram(MEM_BYTES))
            if r == 0:
                lat["rasvm-mce"] = latencies(g, lambda a: g.qmp("x-inject-host-memory-error", gpa=a), 0x7000000, i)
                lat["rasvm-ghes"] = latencies(g, lambda a: g.qmp("x-inject-host-memory-error", gpa=a, source=1),
                                              0x7800000, i)
        g.stop()
        g = Guest(rasvm, os.path.join(kdir, "bzImage"), initrd, "console=ttyS0", memory=MEM,
                  workdir=work, name="rasvmbz%d" % r, verbose=False)
        init["rasvm-bz"].append(boot(g)[0])
        g.stop()
        q = Qemu("microvm", kdir, os.path.join(kdir, "vmlinux"), initrd, work, "qmicro%d" % r)
        t, i = boot(q)
        init["qemu-microvm"].append(t)
        if t is not None:
            time.sleep(5)
            mem["qemu-microvm"].append(q.rss_beyond_ram(MEM_BYTES))
            if r == 0:
                lat["qemu-mce"] = latencies(q, lambda a: q.hmp("mce 0 9 0xbd000000000000c0 0x5 %#x 0x8c" % a),
                                            0x7000000, i)
        q.stop()
        q = Qemu("pc", kdir, os.path.join(kdir, "vmlinux"), initrd, work, "qpc%d" % r)
        init["qemu-pc"].append(boot(q)[0])
        q.stop()
    return {"runs": runs, "kernel": kdir, "guest_ram_mib": 256,
            "exec_to_init_s": {k: spread(v) for k, v in init.items()},
            "memory_beyond_ram_mib": {k: spread(v) for k, v in mem.items()},
            "error_to_memory_failure_ms": {k: spread(v) for k, v in lat.items()}}


def table(res):
    def f(x, unit=""):
        return "%.1f%s [%.1f-%.1f]" % (x["median"], unit, x["min"], x["max"]) if x else "-"
    i, m, l = res["exec_to_init_s"], res["memory_beyond_ram_mib"], res["error_to_memory_failure_ms"]
    rows = [("exec -> Linux's init, vmlinux (s)", f(i["rasvm"]), f(i["qemu-microvm"]), "QEMU microvm (PVH)"),
            ("exec -> Linux's init, bzImage (s)", f(i["rasvm-bz"]), "-", "rasvm decompresses it"),
            ("exec -> Linux's init, vmlinux, pc (s)", "-", f(i["qemu-pc"]), "QEMU pc (SeaBIOS, PVH)"),
            ("memory beyond guest RAM, Linux idle (MiB)", f(m["rasvm"]), f(m["qemu-microvm"]), "microvm"),
            ("AO machine check -> 'Memory failure' (ms)", f(l["rasvm-mce"]), f(l["qemu-mce"]), "QEMU: HMP mce"),
            ("AO GHES (SCI) -> 'Memory failure' (ms)", f(l["rasvm-ghes"]), "-", "QEMU has no GHES on x86")]
    print("%-44s %26s %26s  %s" % ("Linux (6.1 test kernel, 256 MiB, 1 vCPU)", "rasvm median [min-max]",
                                   "QEMU median [min-max]", "note"))
    for r in rows:
        print("%-44s %26s %26s  %s" % r)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    kdir = sys.argv[3] if len(sys.argv) > 3 else subprocess.run(
        [os.path.join(ROOT, "tests", "linux", "build-kernel")], stdout=subprocess.PIPE,
        check=True).stdout.decode().split()[-1]
    work = tempfile.mkdtemp(prefix="rasvm-bench-linux.")
    try:
        res = run(build, runs, kdir, work)
    finally:
        for vm in STARTED:
            for p in (vm.proc, getattr(vm, "gdb", None)):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()
    table(res)
    print("(consoles in %s)" % work)
    return res


if __name__ == "__main__":
    r = main()
    json.dump(r, open(os.path.join(HERE, "results-linux.json"), "w"), indent=2)
