#!/usr/bin/env python3
# Boots a Linux kernel to its init N times under one VMM (rasvm or QEMU, both on KVM), one at
# a time, and prints a line per boot: "init" when the kernel said it runs init, "exit" when
# the VMM ended first (a guest triple fault: rasvm exits 80, QEMU with -no-reboot 0),
# "timeout" after 90 s. The console of a boot that did not reach init is kept in OUTDIR.
# Part of the vmm-compare payload (run.sh beside it); not a test.
#
# usage: boot.py rasvm|qemu N KERNEL INITRD OUTDIR   (RASVM: the rasvm binary)
import os, select, subprocess, sys, time

if len(sys.argv) != 6 or sys.argv[1] not in ("rasvm", "qemu") or not sys.argv[2].isdigit():
    sys.exit("usage: boot.py rasvm|qemu N KERNEL INITRD OUTDIR")
vmm, n, kernel, initrd, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
cmdline = "console=ttyS0 panic=-1"
if vmm == "rasvm":
    argv = [os.environ.get("RASVM", "build/rasvm"), "run", "--kernel", kernel, "--initrd", initrd,
            "--cmdline", cmdline, "--memory", "256M"]
else:
    argv = ["qemu-system-x86_64", "-M", "pc", "-enable-kvm", "-cpu", "host", "-m", "256",
            "-nodefaults", "-no-reboot", "-display", "none", "-serial", "stdio",
            "-kernel", kernel, "-initrd", initrd, "-append", cmdline]
reached = 0
for i in range(n):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    buf, res = b"", "timeout"
    while time.monotonic() - t0 < 90:
        if select.select([p.stdout], [], [], 1)[0]:
            d = os.read(p.stdout.fileno(), 65536)
            if not d:
                res = "exit"
                break
            buf += d
            if b"Run /init as init process" in buf:
                res = "init"
                break
    p.kill()
    rc = p.wait()
    reached += res == "init"
    print("%s boot %d: %s in %.1f s (exit %d)" % (vmm, i + 1, res, time.monotonic() - t0, rc), flush=True)
    if res != "init":
        path = os.path.join(outdir, "%s-boot-%d-%d.console" % (vmm, os.getpid(), i + 1))
        open(path, "wb").write(buf)
        print("#   its console: %s" % path, flush=True)
print("%s: %d of %d boots reached init" % (vmm, reached, n), flush=True)
