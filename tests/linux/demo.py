#!/usr/bin/env python3
"""The demo's two errors on real Linux (scripts/demo-linux): boot the test kernel under rasvm,
then the host loses a free page (action optional: a GHES record, the GED interrupt) and the
page init is reading (action required: a machine check). Linux's own lines are shown as they
come, then rasvm's summary.

Usage: demo.py RASVM KERNEL INITRD [--all] [rasvm run options...]
  --all  show Linux's whole console, not only its RAS lines
"""
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guest import Guest, Timeout  # noqa: E402

RAS = re.compile(r"Hardware Error|Memory failure|MCE:|mce:|Kernel panic|GHES|HEST|Run /init|"
                 r"Linux version|smp: Brought up|ACPI: PM|reboot:")


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    rasvm, kernel, initrd = sys.argv[1:4]
    rest = sys.argv[4:]
    show_all = "--all" in rest
    rest = [a for a in rest if a != "--all"]
    work = tempfile.mkdtemp(prefix="rasvm-demo-linux.")
    g = Guest(rasvm, kernel, initrd, "console=ttyS0 panic=-1", workdir=work, name="demo",
              extra=rest, verbose=False, watchdog=1200).start()
    shown = [0, 0]

    def show(until=None):
        """Print the console and rasvm lines that arrived since the last call."""
        with g.cond:
            out, err = g.lines[shown[0]:], g.err[shown[1]:]
            shown[0], shown[1] = len(g.lines), len(g.err)
        for t, l in sorted([(t, "linux | " + l) for t, l in out if show_all or RAS.search(l)] +
                           [(t, "rasvm | " + l.replace("rasvm: ", "", 1)) for t, l in err]):
            print("%7.1f s  %s" % (t, l), flush=True)

    def wait(text, timeout, start=0, stream="out"):
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = g.wait(text, 1, start, stream=stream)
                show()
                return r
            except Timeout:
                show()
                if time.monotonic() > deadline or not g.alive():
                    raise

    print("== rasvm boots %s with init-spin as init (console=ttyS0 panic=-1); guest kernel code is\n"
          "   emulated on hosts like this one, so the boot takes a while" % os.path.basename(kernel), flush=True)
    try:
        wait("Run /init as init process", 900)
        print("\n== 1. the host finds a bad page Linux is not using: action optional, a GHES record\n"
              "      through the asynchronous source (the GED's interrupt)", flush=True)
        m = g.mark()
        g.qmp("x-inject-host-memory-error", gpa=0x7000000)
        wait("Memory failure: 0x7000:", 120, m)
        time.sleep(1)
        show()
        pa = g.translate(0x600000)
        print("\n== 2. the page init is reading goes bad (HMP gva2gpa 0x600000 -> %#x): action required,\n"
              "      a machine check when init touches it; killing init panics Linux, which reboots\n"
              "      (panic=-1) through the FADT reset register onto healthy memory" % pa, flush=True)
        m = g.mark()
        g.qmp("x-inject-host-memory-error", gpa=pa, **{"action-required": True, "on-access": True})
        i, _ = wait("Linux version", 300, m)
        wait("Run /init as init process", 900, i)
        time.sleep(1)
        show()
        print("\n== the second boot reached its init on healthy pages; query-ras:", flush=True)
        c = g.qmp("query-ras")["counters"]
        print("   received %d, delivered by machine check %d, by GHES %d, acknowledged %d, recovered %d, lost %d"
              % (c["received"], c["delivered-mce"], sum(c["delivered-ghes"].values()), c["acknowledged"],
                 c["recovered"], c["lost"]), flush=True)
    except Timeout as e:
        print("demo-linux: %s (logs in %s)" % (e, work), file=sys.stderr)
    print("\n== rasvm quits; its summary:", flush=True)
    rc = g.stop()
    show()
    return rc


if __name__ == "__main__":
    sys.exit(main())
