#!/usr/bin/env python3
"""A Linux guest under rasvm, for tests that assert what Linux itself prints.

Guest starts `rasvm run` with a kernel, an initrd and a QMP socket, reads the serial console
(stdout) and rasvm's own log (stderr) line by line as they come, each line stamped with the
time since exec, and answers QMP and HMP commands over one connection. Every wait has a
deadline, and the whole guest has a watchdog: a guest that never gets where it should is
killed, so a test fails instead of hanging.

Used by tests/linux/judge.py (the tests), scripts/demo-linux and bench/compare.py.
"""
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time


class Timeout(Exception):
    pass


class Guest:
    def __init__(self, rasvm, kernel, initrd=None, cmdline="console=ttyS0", cpus=1,
                 memory="256M", extra=(), workdir="/tmp", name="linux", watchdog=900,
                 verbose=True, argv=None, sockdir=None):
        # The QMP socket lives in a fresh directory under $TMPDIR unless told otherwise: a
        # workdir may be on a file system that cannot hold a socket (the emulated host's 9p
        # share: bind() fails with ENXIO) or too deep for sun_path's 108 bytes.
        self.name = name
        self.own_sockdir = None if sockdir else tempfile.mkdtemp(prefix="rasvm-qmp.")
        self.sock = os.path.join(sockdir or self.own_sockdir, name + ".qmp")
        self.out_path = os.path.join(workdir, name + ".console")
        self.err_path = os.path.join(workdir, name + ".err")
        args = [rasvm, "run", "--kernel", kernel, "--cmdline", cmdline, "--cpus", str(cpus),
                "--memory", memory, "--qmp", self.sock]
        if initrd:
            args += ["--initrd", initrd]
        if verbose:
            args.append("-v")
        args += list(extra)
        self.args = argv or args   # argv: another VMM (bench/compare.py runs QEMU the same way)
        self.lines = []   # (seconds since exec, text) of the console
        self.err = []     # the same for rasvm's stderr
        self.cond = threading.Condition()
        self.events = []
        self.qmp_sock = None
        self.buf = b""
        self.proc = None
        self.rc = None
        self.watchdog = watchdog
        self.t0 = None

    # ---- the process ----
    def start(self):
        try:
            os.unlink(self.sock)
        except FileNotFoundError:
            pass
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.lines, self.out_path), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err, self.err_path), daemon=True)]
        for r in self.readers:
            r.start()
        self.dog = threading.Timer(self.watchdog, self._bite)
        self.dog.daemon = True
        self.dog.start()
        return self

    def _bite(self):
        if self.proc and self.proc.poll() is None:
            with self.cond:
                self.err.append((self.now(), "guest.py: WATCHDOG: rasvm killed after %d s" % self.watchdog))
                self.cond.notify_all()
            self.proc.kill()

    def _read(self, pipe, into, path):
        with open(path, "w") as log:
            for raw in iter(pipe.readline, b""):
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                t = self.now()
                log.write("%8.3f %s\n" % (t, text))
                log.flush()
                with self.cond:
                    into.append((t, text))
                    self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def now(self):
        return time.monotonic() - self.t0

    def alive(self):
        return self.proc.poll() is None

    def wait_exit(self, timeout):
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rc = self.proc.wait()
            raise Timeout("rasvm did not end within %d s" % timeout)
        for r in self.readers:
            r.join(5)
        return self.rc

    def rss_beyond_ram(self, ram_bytes):
        """The VMM's resident memory (MiB) beyond what is resident of its guest-RAM mapping
        (the mappings at least ram_bytes large), from /proc/PID/smaps."""
        rss = ram = size = 0
        for line in open("/proc/%d/smaps" % self.proc.pid):
            if line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("Rss:"):
                r = int(line.split()[1])
                rss += r
                if size * 1024 >= ram_bytes:
                    ram += r
        return (rss - ram) / 1024.0

    def stop(self, timeout=60):
        """quit over QMP (the guest ends at once), else SIGTERM, else SIGKILL."""
        if self.alive():
            try:
                self.qmp("quit")
            except Exception:
                self.proc.terminate()
        try:
            return self.wait_exit(timeout)
        finally:
            self.dog.cancel()
            if self.qmp_sock:
                self.qmp_sock.close()
                self.qmp_sock = None
            try:
                os.unlink(self.sock)
                if self.own_sockdir:
                    os.rmdir(self.own_sockdir)
            except OSError:
                pass

    # ---- the console ----
    def wait(self, text, timeout, start=0, regex=False, stream="out"):
        """Wait until a line at index >= start of the console (or stream "err") holds text;
        returns (index, line). Raises Timeout (also when rasvm ended first)."""
        lines = self.lines if stream == "out" else self.err
        pat = re.compile(text) if regex else None
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(lines):
                    line = lines[i][1]
                    if (pat.search(line) if pat else text in line):
                        return i, line
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("no %r within %d s" % (text, timeout))
                if self.proc.poll() is not None and all(not r.is_alive() for r in self.readers):
                    raise Timeout("rasvm ended (exit %s) before %r" % (self.proc.returncode, text))
                self.cond.wait(min(left, 0.5))

    def find(self, text, start=0, regex=False, stream="out"):
        lines = self.lines if stream == "out" else self.err
        pat = re.compile(text) if regex else None
        with self.cond:
            for i in range(start, len(lines)):
                if (pat.search(lines[i][1]) if pat else text in lines[i][1]):
                    return i, lines[i][1]
        return None

    def grep(self, text, start=0, end=None, regex=False, stream="out"):
        lines = self.lines if stream == "out" else self.err
        pat = re.compile(text) if regex else None
        with self.cond:
            sel = lines[start:end]
        return [l for _, l in sel if (pat.search(l) if pat else text in l)]

    def time_of(self, index, stream="out"):
        return (self.lines if stream == "out" else self.err)[index][0]

    def mark(self):
        """The console's length now: later waits can start from it."""
        with self.cond:
            return len(self.lines)

    def tail(self, n=20, stream="out"):
        with self.cond:
            return [l for _, l in (self.lines if stream == "out" else self.err)[-n:]]

    # ---- QMP ----
    def _connect(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.sock)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline or not self.alive():
                    raise Timeout("no QMP socket at %s" % self.sock)
                time.sleep(0.05)
        self.qmp_sock = s
        self.buf = b""
        self._msg()  # greeting
        self.qmp("qmp_capabilities")

    def _msg(self):
        while b"\n" not in self.buf:
            d = self.qmp_sock.recv(65536)
            if not d:
                raise Timeout("QMP connection closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def qmp(self, cmd, **args):
        """Run a command; returns its "return", raises RuntimeError with the error's desc."""
        if self.qmp_sock is None and cmd != "qmp_capabilities":
            self._connect()
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.qmp_sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._msg()
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise RuntimeError("%s: %s" % (r["error"].get("class"), r["error"].get("desc")))
            return r.get("return")

    def hmp(self, line, cpu=0):
        return self.qmp("human-monitor-command", **{"command-line": line, "cpu-index": cpu})

    def translate(self, va, cpu=0, marker=None, timeout=30):
        """HMP gva2gpa until va is mapped on vCPU cpu (a user address is, while its process
        runs there); returns the guest physical address."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.hmp("gva2gpa %#x" % va, cpu)
            m = re.match(r"gpa: (0x[0-9a-f]+|0)", r)
            if m:
                return int(m.group(1), 16)
            if time.monotonic() > deadline:
                raise Timeout("gva2gpa %#x: %s" % (va, r.strip()))
            time.sleep(0.1)
