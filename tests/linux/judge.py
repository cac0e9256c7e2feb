#!/usr/bin/env python3
"""Linux judges rasvm: boots the test kernel under rasvm and checks what Linux itself prints,
as TAP lines ("ok - ...", "not ok - ..."), many checks per boot.

  judge.py boot  --cpus N            a. boot to init: no ACPI errors, the HEST parsed, no GHES
                                        source refused, firmware-first mode, every vCPU online
  judge.py mptable --cpus N          the MP table alone (acpi=off): Linux finds it at 639 KiB,
                                        brings up every vCPU and routes COM1's IRQ from it
  judge.py ghes                      c. action optional through each GHES source (SCI, polled,
                                        NMI): the CPER lines, "Memory failure ...: Recovered",
                                        the read-ack seen by rasvm; e. a raw record decoded by
                                        Linux as rasvm decodes it; d. a storm of 1000 errors:
                                        each page reported exactly once, lost 0
  judge.py mce                       c. with --ras mce the same as a machine check; b. action
                                        required on init's page: init killed, the panic, the
                                        reboot; f. the second boot healthy, without errors
  judge.py snapshot                  issue 13: Linux saved (stop, migrate file:) and restored by
                                        another rasvm (--incoming file:) carries on: a new error
                                        is handled, the poisoned page is still poisoned
  judge.py probe                     all of the above that a host with working system calls
                                        allows, with tests/linux/init-probe as init (the
                                        emulated x86 host: real memory failure)

Common options: --rasvm PATH --kernel FILE --initrd FILE [--workdir DIR] [--memory SIZE]
[--timeout S] [--storm N] (the ghes, mce and probe scenarios' storm, 1000 errors by default;
0 leaves it out and says so). Exit 0 when every check passed, 1 otherwise. The consoles are kept in
WORKDIR/NAME.console (each line stamped with seconds since exec) and rasvm's log in
WORKDIR/NAME.err.

Linux prints at most two CPER reports every 5 seconds (ghes_print_estatus's ratelimit), so
errors whose report is checked are sent at least 5 s apart.
"""
import argparse
import base64
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guest import Guest, Timeout  # noqa: E402

INIT_VA = 0x600000          # init-spin's page (tests/linux/init-spin.c)
PAGE = 4096
CPER_GAP = 5.5              # ghes_print_estatus: "Not more than 2 messages every 5 seconds"
failed = False


def ok(name):
    print("ok - " + name, flush=True)


def not_ok(name, detail=()):
    global failed
    failed = True
    print("not ok - " + name, flush=True)
    for line in detail:
        print("#   " + line, flush=True)


def check(cond, name, detail=()):
    (ok if cond else lambda n: not_ok(n, detail))(name)
    return cond


def strip(line):
    """A console line without its printk time stamp."""
    return re.sub(r"^\[\s*\d+\.\d+\] ", "", line)


def body(line):
    """A CPER line without the time stamp and Linux's running report number {N}."""
    return re.sub(r"^\{\d+\}", "", strip(line))


class Run:
    def __init__(self, args, name, extra=(), cpus=1, cmdline="console=ttyS0 panic=-1", initrd=None):
        self.args = args
        self.name = name
        self.g = Guest(args.rasvm, args.kernel, initrd or args.initrd, cmdline, cpus=cpus,
                       memory=args.memory, extra=extra, workdir=args.workdir, name=name,
                       watchdog=args.timeout)

    def tail(self, n=15, stream="out"):
        return ["%s: %s" % (stream, l) for l in self.g.tail(n, stream)]


def wait(run, text, timeout, start=0, name=None, regex=False, stream="out"):
    """Wait for a line; one check. Returns (index, line) or None."""
    try:
        i, line = run.g.wait(text, timeout, start, regex=regex, stream=stream)
        ok("%s: %s" % (run.name, name or ("'%s'" % text)))
        return i, line
    except Timeout as e:
        not_ok("%s: %s" % (run.name, name or ("'%s'" % text)), [str(e)] + run.tail(12) + run.tail(6, "err"))
        return None


def probe_lines(g, start=0):
    """init-probe's lines from the console at index >= start, put back together: its write()
    and the kernel's printk share the serial port, so a kernel line can land inside one of
    init-probe's ("init-probe: SIGB[    3.93] {1}[Hardware Error]: ..." then "US code=4 ...")."""
    out, carry = [], ""
    with g.cond:
        lines = [l for _, l in g.lines[start:]]
    for l in lines:
        k = re.search(r"\[\s*\d+\.\d+\] ", l)
        if k:
            carry += l[:k.start()]
            continue
        out.append(carry + l)
        carry = ""
    if carry:
        out.append(carry)
    return out


def wait_probe(run, pattern, timeout, start=0, name=None):
    """wait() for one of init-probe's lines (a regex), as probe_lines() rebuilds them;
    returns (None, line) or None."""
    pat = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        hit = [l for l in probe_lines(run.g, start) if pat.search(l)]
        if hit:
            ok("%s: %s" % (run.name, name or ("'%s'" % pattern)))
            return None, hit[0]
        if time.monotonic() > deadline or not run.g.alive():
            why = "no %r within %d s" % (pattern, timeout) if run.g.alive() else \
                "rasvm ended (exit %s) before %r" % (run.g.proc.returncode, pattern)
            not_ok("%s: %s" % (run.name, name or ("'%s'" % pattern)), [why] + run.tail(12) + run.tail(6, "err"))
            return None
        time.sleep(0.5)


# ---- a. the boot ------------------------------------------------------------------------

BAD = [("ACPI Error", r"ACPI Error"), ("ACPI BIOS Error", r"ACPI BIOS Error"),
       ("Firmware Bug", r"Firmware Bug"), ("ACPI Warning", r"ACPI Warning"),
       ("GHES or HEST complaint", r"(GHES|HEST|APEI).*([Ff]ail|[Ii]nvalid|disabled|not supported)"),
       ("kernel warning or oops", r"WARNING:|BUG:|Oops|Call Trace|general protection|invalid opcode"),
       ("panic", r"Kernel panic")]


def emulator_artifacts(run, lines):
    """The console without what the emulated x86 host itself causes, each said in a note.
    There QEMU's TCG runs the nested guest's XSETBV without the SVM intercept (its
    helper_xsetbv never checks one), so the host's KVM never learns the guest's XCR0 and
    answers CPUID 0xD's EBX for XCR0 = x87|SSE: Linux warns 'XSAVE consistency problem:
    size 2696 != kernel_size 576' (arch/x86/kernel/fpu/xstate.c) and the test cannot blame
    rasvm, which passes KVM's leaf 0xD through untouched."""
    if not os.environ.get("EMUHOST_ARCH") or not any("XSAVE consistency problem" in l for l in lines):
        return lines
    out, skip = [], False
    for i, l in enumerate(lines):
        if "[ cut here ]" in l and any("XSAVE consistency problem" in x for x in lines[i + 1:i + 3]):
            skip = True
        if not skip:
            out.append(l)
        if skip and "---[ end trace" in l:
            skip = False
    print("# %s: not counted: Linux's 'XSAVE consistency problem' warning, an artifact of the "
          "emulated host (TCG does not intercept the nested guest's XSETBV)" % run.name, flush=True)
    return out


def boot_checks(run, cpus, start, end):
    """What Linux printed from its first line (start) to its init (end)."""
    g = run.g
    lines = [l for _, l in g.lines[start:end + 1]]
    text = "\n".join(lines)
    lines = emulator_artifacts(run, lines)
    for what, pat in BAD:
        hits = [l for l in lines if re.search(pat, l) and "Failed to create genetlink" not in l]
        check(not hits, "%s: no %s" % (run.name, what), hits[:5])
    for want in ["found SMP MP-table at [mem 0x0009fc00-0x0009fc0f]", "ACPI: PM: (supports S0 S5)", "HEST: Table parsing has been initialized.",
                 "GHES: APEI firmware first mode is enabled by APEI bit and WHEA _OSC.",
                 "printk: console [ttyS0] enabled", "ttyS0 at I/O 0x3f8 (irq = ",
                 "smp: Brought up 1 node, %d CPU%s" % (cpus, "s" if cpus > 1 else ""),
                 "smpboot: Total of %d processors activated" % cpus,
                 "Run /init as init process"]:
        check(want in text, "%s: Linux printed '%s'" % (run.name, want),
              [l for l in lines if want.split(":")[0] in l][:4])
    m = re.search(r"clocksource: Switched to clocksource (\S+)", text)
    check(m is not None, "%s: a clocksource (%s)" % (run.name, m.group(1) if m else "none"))
    # The GHES error sources are Linux's platform devices GHES.0-2; Linux says nothing when
    # it registers one, only when it refuses one (checked above); the ghes and mce runs send a
    # record through each.


def start(run, cpus, checks=None):
    """Boot to init; then checks(run, cpus, first, init) (boot_checks by default) on the
    lines between Linux's first and its init. Returns the init line's index, or None."""
    run.g.start()
    first = wait(run, "Linux version", run.args.boot_timeout, name="Linux starts")
    init = wait(run, "Run /init as init process", run.args.boot_timeout, name="Linux reaches its init")
    if first and init:
        print("# %s: Linux version at %.1f s, its init at %.1f s after exec" %
              (run.name, run.g.time_of(first[0]), run.g.time_of(init[0])), flush=True)
        (checks or boot_checks)(run, cpus, first[0], init[0])
        return init[0]
    return None


def finish(run, want_rc=0):
    try:
        rc = run.g.stop()
    except Timeout as e:
        rc = None
        not_ok("%s: rasvm ends" % run.name, [str(e)])
    check(rc == want_rc, "%s: rasvm exit code %s (want %d)" % (run.name, rc, want_rc), run.tail(10, "err"))
    summary = [l for _, l in run.g.err if "RAS summary" in l]
    lost = [l for l in summary if re.search(r"\blost [1-9]", l)]
    check(not lost, "%s: rasvm's summary says lost 0" % run.name, lost or summary[:3])
    bug = [l for _, l in run.g.err if "lost track" in l or "WATCHDOG" in l]
    check(not bug, "%s: no watchdog, accounting balanced" % run.name, bug)
    return summary


def scenario_boot(args):
    run = Run(args, "boot-%dcpu%s" % (args.cpus, "-bz" if "bzImage" in args.kernel else ""), cpus=args.cpus)
    if start(run, args.cpus) is not None:
        err = "\n".join(l for _, l in run.g.err)
        check("probed feature(s) run at guest CPL0" in err, "%s: -v says what the CPU probe found" % run.name,
              run.tail(5, "err"))
        # Still alive a little later: the init runs, the clock ticks.
        time.sleep(2)
        check(run.g.alive(), "%s: the guest runs on after its init" % run.name)
        st = run.g.qmp("query-status")
        check(st.get("status") == "running", "%s: query-status says running" % run.name, [str(st)])
    finish(run)


def scenario_mptable(args):
    """The MP table alone: with acpi=off Linux takes the processors, the I/O APIC and the ISA
    interrupt routing from it (arch/x86/kernel/mpparse.c), so a wrong table shows."""
    run = Run(args, "mptable-%dcpu" % args.cpus, cpus=args.cpus, cmdline="console=ttyS0 acpi=off")
    if start(run, args.cpus, mptable_checks) is not None:
        time.sleep(2)
        check(run.g.alive(), "%s: the guest runs on after its init" % run.name)
    finish(run)


def mptable_checks(run, cpus, start_, end):
    """What Linux printed from its first line to its init, booted from the MP table alone."""
    lines = [l for _, l in run.g.lines[start_:end + 1]]
    text = "\n".join(lines)
    for what, pat in [("kernel warning or oops", r"WARNING:|BUG:|Oops|Call Trace"),
                      ("MP table complaint", r"MPTABLE: (bad|checksum|null)|BIOS bug|[Ff]irmware [Bb]ug"),
                      ("ACPI table", r"ACPI: (RSDP|XSDT|HEST)")]:
        hits = [l for l in lines if re.search(pat, l)]
        check(not hits, "%s: no %s" % (run.name, what), hits[:5])
    wants = ["found SMP MP-table at [mem 0x0009fc00-0x0009fc0f]", "MPTABLE: OEM ID: RASVM",
             "MPTABLE: APIC at: 0xFEE00000", "Processor #0 (Bootup-CPU)"]
    wants += ["Processor #%d" % i for i in range(1, cpus)]
    wants += ["IOAPIC[0]: apic_id %d, version 17, address 0xfec00000" % cpus,
              "smp: Brought up 1 node, %d CPU%s" % (cpus, "s" if cpus > 1 else ""),
              "ttyS0 at I/O 0x3f8 (irq = 4,"]
    for want in wants:
        check(want in text, "%s: Linux printed '%s'" % (run.name, want),
              [l for l in lines if want.split(" ")[0] in l][:4])


# ---- c, d, e: GHES ----------------------------------------------------------------------

def ras_counters(run):
    return run.g.qmp("query-ras")


def source_of(ras, sid):
    return [s for s in ras["sources"] if s["id"] == sid][0]


def ghes_error(run, sid, gpa, what, route=None):
    """Action optional on a free page through GHES source sid (route: the policy's choice,
    expected to be sid); Linux's report and recovery, and the read-ack rasvm sees."""
    g = run.g
    before = source_of(ras_counters(run), sid)
    m = g.mark()
    if route:
        r = g.qmp("x-inject-host-memory-error", gpa=gpa)
    else:
        r = g.qmp("x-inject-host-memory-error", gpa=gpa, source=sid)
    name = "%s (source %d, page %#x)" % (what, sid, gpa)
    got = wait(run, "Memory failure: %#x: " % (gpa // PAGE), 120, m, name=name + ": Memory failure")
    if not got:
        return
    name = "%s: %s" % (run.name, name)
    check("Recovered" in got[1], name + ": Linux recovered the page", [got[1]])
    lines = [body(l) for _, l in g.lines[m:got[0] + 1]]
    want = ["[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: %d" % sid,
            "[Hardware Error]: event severity: recoverable",
            "[Hardware Error]:  Error 0, type: recoverable",
            "[Hardware Error]:   section_type: memory error",
            "[Hardware Error]:   physical_address: 0x%016x" % gpa,
            "[Hardware Error]:   physical_address_mask: 0xfffffffffffff000"]
    missing = [w for w in want if w not in lines]
    check(not missing, name + ": Linux printed the CPER record", ["missing: " + w for w in missing] + lines[:12])
    after = source_of(ras_counters(run), sid)
    check(after["blocks-acknowledged"] == before["blocks-acknowledged"] + 1,
          name + ": rasvm saw Linux's acknowledgement on the read-ack register",
          ["before %s, after %s" % (before, after)])
    return r


def raw_record(run, sid, gpas, workdir):
    """e. A whole status block from a client: Linux decodes it as rasvm does."""
    g = run.g
    blk = os.path.join(workdir, "raw.cper")
    cmd = [run.args.rasvm, "cper", "encode", "-o", blk, "--type", "scrub-uncorrected"]
    for a in gpas:
        cmd += ["--gpa", "%#x" % a]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    dec = subprocess.run([run.args.rasvm, "cper", "decode", blk, "--source", str(sid)],
                         check=True, stdout=subprocess.PIPE).stdout.decode().splitlines()
    m = g.mark()
    try:
        g.qmp("inject-ghes-v2-error", cper=base64.b64encode(open(blk, "rb").read()).decode(), source=sid)
        ok("%s: inject-ghes-v2-error accepted the block" % run.name)
    except RuntimeError as e:
        not_ok("%s: inject-ghes-v2-error accepted the block" % run.name, [str(e)])
        return
    last = None
    for a in gpas:
        last = wait(run, "Memory failure: %#x: " % (a // PAGE), 120, m,
                    name="raw record: Memory failure for %#x" % a) or last
    if not last:
        return
    time.sleep(1)
    linux = [body(l) for _, l in g.lines[m:] if "[Hardware Error]" in l and "mce:" not in l]
    mine = [body(l) for l in dec]
    check(linux[:len(mine)] == mine, "%s: Linux decoded the raw record line for line as 'rasvm cper decode' did"
          % run.name, ["rasvm: " + l for l in mine] + ["linux: " + l for l in linux[:len(mine) + 2]])


def storm(run, n, base, stride):
    """d. n errors at once, on distinct free pages; each reported exactly once (--storm 0:
    not run, and said)."""
    g = run.g
    if n <= 0:
        print("# %s: d. the storm is not run here (--storm 0)" % run.name, flush=True)
        return
    m = g.mark()
    t0 = time.monotonic()
    for k in range(n):
        g.qmp("x-inject-host-memory-error", gpa=base + k * stride)
    print("# %s: %d errors sent in %.2f s" % (run.name, n, time.monotonic() - t0), flush=True)
    want = {(base + k * stride) // PAGE for k in range(n)}
    deadline = time.monotonic() + run.args.storm_timeout
    seen = collections.Counter()
    while time.monotonic() < deadline and g.alive():
        seen = collections.Counter(int(p, 16) for p in re.findall(
            r"Memory failure: (0x[0-9a-f]+):", "\n".join(g.grep("Memory failure:", m))))
        if set(seen) >= want:
            break
        time.sleep(2)
    took = time.monotonic() - t0
    print("# %s: Linux reported %d of %d pages in %.0f s" % (run.name, len(set(seen) & want), n, took), flush=True)
    dup = [hex(p) for p, c in seen.items() if c > 1]
    check(set(seen) >= want, "%s: storm: Linux reported each of the %d pages" % (run.name, n),
          ["missing %d, e.g. %s" % (len(want - set(seen)), [hex(p) for p in sorted(want - set(seen))[:5]])])
    check(not dup, "%s: storm: each page exactly once" % run.name, dup[:5])
    stray = [p for p in seen if p not in want]
    check(not stray, "%s: storm: no page Linux was not told of" % run.name, [hex(p) for p in stray[:5]])
    recovered = len(g.grep(r"Memory failure: 0x[0-9a-f]+: recovery action for free buddy page: Recovered", m, regex=True))
    check(recovered == len(want), "%s: storm: every one 'recovery action for free buddy page: Recovered' (%d)"
          % (run.name, recovered))
    overflow = g.grep("buffer overflow", m) + g.grep("Kernel panic", m)
    check(not overflow, "%s: storm: no 'buffer overflow when queuing memory failure', no panic" % run.name, overflow[:3])
    c = ras_counters(run)["counters"]
    check(c["lost"] == 0 and c["overflowed"] == 0 and c["acknowledged"] >= n,
          "%s: storm: query-ras: acknowledged %d, lost %d, overflowed %d" % (run.name, c["acknowledged"], c["lost"], c["overflowed"]),
          [str(c)])


def scenario_ghes(args):
    run = Run(args, "ghes")
    if start(run, 1) is None:
        finish(run)
        return
    # Free pages well above the kernel, 64 KiB apart: when Linux takes a page off its buddy
    # lists, the rest of its block goes to the head of the free lists and is handed out next,
    # so pages poisoned side by side would be allocated (and touched) before Linux hears of them.
    ghes_error(run, 1, 0x7000000, "action optional by SCI (the GED's interrupt)")
    time.sleep(CPER_GAP)
    ghes_error(run, 2, 0x7010000, "action optional by polling")
    time.sleep(CPER_GAP)
    ghes_error(run, 0, 0x7020000, "action optional by NMI")
    time.sleep(CPER_GAP)
    # The default route for action optional: the asynchronous source.
    ghes_error(run, 1, 0x7030000, "action optional, the policy's route", route=True)
    time.sleep(CPER_GAP)
    raw_record(run, 1, [0x7040000, 0x7050000], args.workdir)
    time.sleep(CPER_GAP)
    storm(run, args.storm, 0x8000000, 0x10000)
    finish(run)


# ---- b, c (mce), f -----------------------------------------------------------------------

def scenario_mce(args):
    run = Run(args, "mce", extra=["--ras", "mce"])
    g = run.g
    if start(run, 1) is None:
        finish(run)
        return
    # c. action optional as a machine check (Intel: MCi_STATUS 0xbd000000000000c0).
    gpa = 0x7000000
    m = g.mark()
    g.qmp("x-inject-host-memory-error", gpa=gpa)
    got = wait(run, "Memory failure: %#x: " % (gpa // PAGE), 120, m, name="action optional by machine check: Memory failure")
    if got:
        check("recovery action for free buddy page: Recovered" in got[1],
              "%s: action optional by machine check: Linux recovered the free page" % run.name, [got[1]])
    c = ras_counters(run)["counters"]
    check(c["delivered-mce"] == 1 and sum(c["delivered-ghes"].values()) == 0,
          "%s: action optional went by machine check, not GHES" % run.name, [str(c)])

    # b. action required on the page init is reading: find its frame as QEMU's gva2gpa does.
    try:
        pa = g.translate(INIT_VA)
        ok("%s: HMP gva2gpa %#x -> %#x (init's page)" % (run.name, INIT_VA, pa))
    except Timeout as e:
        not_ok("%s: HMP gva2gpa finds init's page" % run.name, [str(e)])
        finish(run)
        return
    m = g.mark()
    g.qmp("x-inject-host-memory-error", gpa=pa, **{"action-required": True, "on-access": True})
    pfn = pa // PAGE
    # What Linux prints for an action-required machine check at CPL3 (kill_me_maybe ->
    # memory_failure(MF_ACTION_REQUIRED)): the task that consumed the page gets SIGBUS.
    wait(run, "mce: Uncorrected hardware memory error in user-access at %x" % pa, 120, m)
    wait(run, "mce: [Hardware Error]: Machine check events logged", 60, m)
    wait(run, "Memory failure: %#x: Sending SIGBUS to init:1 due to hardware memory corruption" % pfn, 60, m)
    wait(run, "Memory failure: %#x: recovery action for dirty LRU page: Recovered" % pfn, 60, m)
    wait(run, "Kernel panic - not syncing: Attempted to kill init!", 60, m)
    # With panic=-1 the panic reboots (acpi_reboot(): the FADT reset register), and rasvm
    # brings the guest back on healthy pages.
    wait(run, "the guest asked for a reset", 120, stream="err", name="the guest reset itself through the FADT reset register")
    wait(run, "reset: 2 poisoned guest page(s) replaced by healthy memory", 60, stream="err")
    again = wait(run, "Linux version", args.boot_timeout, m, name="f. Linux boots again")
    init2 = again and wait(run, "Run /init as init process", args.boot_timeout, again[0], name="f. the second boot reaches init")
    if init2:
        time.sleep(2)
        later = [l for _, l in g.lines[again[0]:]]
        errs = [l for l in later if re.search(r"Hardware Error|Memory failure|mce:|Kernel panic|HardwareCorrupted", l)]
        check(not errs, "%s: f. the second boot sees no memory error" % run.name, errs[:5])
        boot_checks(run, 1, again[0], init2[0])
        ras = ras_counters(run)
        check(not ras["poisoned-pages"] and ras["counters"]["recovered"] >= 1,
              "%s: f. query-ras: no poisoned page left, %d recovered" % (run.name, ras["counters"]["recovered"]),
              [str(ras["counters"])])
        st = g.qmp("query-status")
        check(st.get("status") == "running", "%s: f. running after the reset" % run.name, [str(st)])
        # Action optional on init's page, through GHES, while init reads it. The host page is
        # gone at once (the simulator protects it, as a real host unmaps it), so whichever
        # comes first wins: init's next access (an action-required machine check: Linux sends
        # SIGBUS to init, then finds the GHES record's page "already hardware poisoned"), or
        # Linux's deferred memory_failure() for the record (it unmaps the dirty page and
        # init faults on the poisoned entry: "MCE: Killing init:1"). Init spins on the page,
        # so here the access always won; either way init dies and the page is recovered.
        pa2 = g.translate(INIT_VA)
        pfn2 = pa2 // PAGE
        m = g.mark()
        g.qmp("x-inject-host-memory-error", gpa=pa2, source=1)
        wait(run, "Memory failure: %#x: recovery action for dirty LRU page: Recovered" % pfn2, 120, m,
             name="action optional on init's page by GHES: 'recovery action for dirty LRU page: Recovered'")
        wait(run, r"Memory failure: %#x: Sending SIGBUS to init:1 due to hardware memory corruption|"
             r"MCE: Killing init:1 due to hardware memory corruption fault at %x" % (pfn2, INIT_VA), 60, m,
             regex=True, name="action optional on init's page: init is killed (by the machine check of its "
             "access or on the poisoned entry Linux left)")
        wait(run, "Kernel panic - not syncing: Attempted to kill init!", 60, m)
        third = wait(run, "Linux version", args.boot_timeout, m, name="Linux boots a third time")
        if third:
            twice = g.grep("Memory failure: %#x: " % pfn2, m, third[0])
            check(len([l for l in twice if "Recovered" in l]) == 1,
                  "%s: the page lost twice (access and record) is recovered once" % run.name, twice)
            wait(run, "Run /init as init process", args.boot_timeout, third[0], name="the third boot reaches init")
    summary = finish(run)
    text = "\n".join(summary)
    m1 = re.search(r"(\d+) host memory error\(s\): (\d+) action required, (\d+) action optional", text)
    m2 = re.search(r"delivered (\d+) by machine check, (\d+) by GHES", text)
    check(m1 and m2 and int(m1.group(2)) >= 1 and int(m1.group(3)) >= 2 and int(m2.group(2)) >= 1 and
          int(m2.group(1)) + int(m2.group(2)) == int(m1.group(1)),
          "%s: summary: every error delivered, by machine check (at least the action required one and "
          "the --ras mce action optional one) or GHES (the record on init's page)" % run.name, summary[:3])


# ---- the emulated host: init-probe, real memory failure ----------------------------------

def scenario_probe(args):
    """With system calls: init-probe reports its page's frame and every SIGBUS it gets."""
    run = Run(args, "probe", cmdline="console=ttyS0 panic=-1", cpus=args.cpus)
    g = run.g
    if start(run, args.cpus) is None:
        finish(run)
        return
    ready = wait_probe(run, r"init-probe: ready page=(0x[0-9a-f]+) pfn=(0x[0-9a-f]+)", 120,
                       name="init-probe reports its page")
    if not ready:
        finish(run)
        return
    ghes = [l for l in probe_lines(g) if "init-probe: ghes" in l]
    check(ghes and all("GHES.%d" % i in ghes[0] for i in range(3)),
          "%s: a. Linux registered every GHES source (sysfs)" % run.name, ghes)
    online = [l for l in probe_lines(g) if "init-probe: cpus online" in l]
    want_online = "0" if args.cpus == 1 else "0-%d" % (args.cpus - 1)
    check(online and online[0].endswith(" " + want_online), "%s: a. cpus online %s" % (run.name, want_online), online)
    va, pfn = (int(x, 16) for x in re.search(r"page=(0x[0-9a-f]+) pfn=(0x[0-9a-f]+)", ready[1]).groups())
    # b. action required: the host poisons init's frame for real, init touches it.
    m = g.mark()
    r = g.qmp("x-inject-host-memory-error", gpa=pfn * PAGE, **{"action-required": True, "on-access": True})
    check(r.get("poisoned") == "host", "%s: b. the emulated host poisons the page itself (%s)" % (run.name, r))
    # The host kernel tells rasvm twice: BUS_MCEERR_AO at once (rasvm asked for early kills;
    # a GHES record) and BUS_MCEERR_AR when the guest touches the page (a machine check).
    # Whichever Linux handles first kills init: code 4 (its access) or code 5 (the record,
    # init asked for early kills); the other finds the page "already hardware poisoned", and
    # its SIGBUS merges with the pending one. Both orders were seen here.
    got = wait_probe(run, r"init-probe: SIGBUS code=[45] addr=(0x[0-9a-f]+) lsb=12 HardwareCorrupted:\s+(\d+) kB",
                     120, m, name="b. init gets SIGBUS BUS_MCEERR_AR (or _AO when the record won)")
    if got:
        print("# %s: %s" % (run.name, got[1]), flush=True)
        a, kb = re.search(r"addr=(0x[0-9a-f]+) .*HardwareCorrupted:\s+(\d+)", got[1]).groups()
        check(int(a, 16) // PAGE == va // PAGE, "%s: b. at its own address (%s in page %#x)" % (run.name, a, va))
        check(int(kb) >= 4, "%s: b. HardwareCorrupted %s kB" % (run.name, kb))
    wait(run, "Memory failure: %#x: recovery action for dirty LRU page: Recovered" % pfn, 60, m)
    rep = wait_probe(run, r"init-probe: replaced page=(0x[0-9a-f]+) pfn=(0x[0-9a-f]+)", 60, m,
               name="init maps a fresh page")
    # c. action optional through each source, on free pages high in RAM.
    for i, sid in enumerate((1, 2, 0)):
        ghes_error(run, sid, 0x7000000 + i * 0x10000, "c. action optional")
        time.sleep(CPER_GAP)
    # Action optional on init's new page: SIGBUS BUS_MCEERR_AO (init asked for early kills).
    if rep:
        pfn2 = int(re.search(r"pfn=(0x[0-9a-f]+)", rep[1]).group(1), 16)
        m = g.mark()
        g.qmp("x-inject-host-memory-error", gpa=pfn2 * PAGE)
        # init reads this page all the time, so its access (BUS_MCEERR_AR, code 4) usually
        # comes before Linux has handled the record (BUS_MCEERR_AO, code 5: init asked for
        # early kills); the record then finds the page "already hardware poisoned".
        got = wait_probe(run, r"init-probe: SIGBUS code=[45] addr=%#x " % va, 120, m,
                         name="c. init gets SIGBUS for its page (code 5 BUS_MCEERR_AO, or 4 BUS_MCEERR_AR "
                         "when its own access came first)")
        if got:
            print("# %s: %s" % (run.name, got[1]), flush=True)
        wait(run, "Memory failure: %#x: " % pfn2, 60, m)
        time.sleep(CPER_GAP)
    raw_record(run, 1, [0x7040000, 0x7050000], args.workdir)
    time.sleep(CPER_GAP)
    storm(run, args.storm, 0x8000000, 0x10000)
    last = g.grep("HardwareCorrupted:")
    print("# %s: %s" % (run.name, last[-1] if last else "no HardwareCorrupted line"), flush=True)
    # f. a reset after the errors: the second boot gets healthy pages and sees no error.
    m = g.mark()
    g.qmp("system_reset")
    again = wait(run, "Linux version", args.boot_timeout, m, name="f. Linux boots again after system_reset")
    if again:
        ready2 = wait_probe(run, "init-probe: ready", args.boot_timeout, again[0], name="f. init-probe runs again")
        if ready2:
            errs = [l for _, l in g.lines[again[0]:] if re.search(r"Hardware Error|Memory failure|mce:|SIGBUS", l)]
            check(not errs, "%s: f. the second boot sees no memory error" % run.name, errs[:5])
            hc = [l for _, l in g.lines[again[0]:] if "HardwareCorrupted" in l]
            ras = ras_counters(run)
            check(not ras["poisoned-pages"], "%s: f. query-ras: no poisoned page left" % run.name, [str(ras["counters"])])
    # Power-off through ACPI S5: init-probe powers off when asked on the console? It cannot
    # read one; it powers off after its last SIGBUS if told so on the command line (below).
    finish(run)


# ---- issue 13, 5: a snapshot of Linux restores, and Linux carries on -----------------------

def poisoned_gpas(run):
    return {int(p["gpa"]) for p in run.g.qmp("query-ras")["poisoned-pages"]}


def scenario_snapshot(args):
    """Linux, with one page recovered from an error, is stopped and saved (migrate file:),
    and restored by a second rasvm (--incoming file:): the restored Linux handles a new error
    (its console goes on with the CPER record and the recovery), and the first page is still
    poisoned there."""
    path = os.path.join(args.workdir, "linux.snap")
    run = Run(args, "snapshot-source")
    if start(run, 1) is None:
        finish(run)
        return
    g = run.g
    ghes_error(run, 1, 0x7000000, "before the snapshot")
    before = poisoned_gpas(run)
    check(0x7000000 in before, "snapshot-source: the page is in the poison table", [str(sorted(before))])
    g.qmp("stop")
    g.qmp("migrate", uri="file:" + path)
    status, deadline = None, time.monotonic() + 120
    while time.monotonic() < deadline:
        status = g.qmp("query-migrate").get("status")
        if status in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.2)
    check(status == "completed", "snapshot-source: migrate file: completed", [str(status)])
    finish(run)
    if status != "completed":
        return
    dest = Run(args, "snapshot-restored", extra=["--incoming", "file:" + path])
    dest.g.start()
    t0 = time.monotonic()
    st = None
    while time.monotonic() - t0 < 60 and dest.g.alive():
        try:
            st = dest.g.qmp("query-status").get("status")
        except Exception:
            st = None
        if st == "running":
            break
        time.sleep(0.2)
    if not check(st == "running", "snapshot-restored: the restored VM runs (%.1f s after exec)" % (time.monotonic() - t0),
                 dest.tail(10, "err")):
        finish(dest)
        return
    after = poisoned_gpas(dest)
    check(after == before, "snapshot-restored: the same poisoned pages as the source", [str(sorted(before)), str(sorted(after))])
    time.sleep(CPER_GAP)
    # Linux carries on: a new error is handled, printed on the console it kept.
    ghes_error(dest, 1, 0x7010000, "after the restore")
    check(dest.g.alive(), "snapshot-restored: Linux runs on after the new error")
    finish(dest)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=["boot", "mptable", "ghes", "mce", "probe", "snapshot"])
    p.add_argument("--rasvm", required=True)
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd", required=True)
    p.add_argument("--cpus", type=int, default=1)
    p.add_argument("--memory", default="256M")
    p.add_argument("--workdir")
    p.add_argument("--timeout", type=int, default=1800, help="watchdog for each rasvm (s)")
    p.add_argument("--boot-timeout", type=int, default=400, help="exec to init (s)")
    p.add_argument("--storm", type=int, default=1000, help="errors in the storm (0: none)")
    p.add_argument("--storm-timeout", type=int, default=900)
    args = p.parse_args()
    if not args.workdir:
        args.workdir = tempfile.mkdtemp(prefix="rasvm-linux.")
    os.makedirs(args.workdir, exist_ok=True)
    print("# tests/linux/judge.py %s: logs in %s" % (args.scenario, args.workdir), flush=True)
    {"boot": scenario_boot, "mptable": scenario_mptable, "ghes": scenario_ghes, "mce": scenario_mce, "probe": scenario_probe,
     "snapshot": scenario_snapshot}[args.scenario](args)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
