#!/usr/bin/env python3
"""What QEMU's own tools send rasvm, rewritten for the tests (QEMU's scripts and its python
'qemu.qmp' library are not installed here, and this checkout carries none of their code).

Each part reproduces, from a reading of QEMU 10's tree, what goes over the socket:

  ghes_inject  scripts/ghes_inject.py + qmp_helper.py + arm_processor_error.py: the same
               command line ('-H HOST -P PORT arm [options]'), the same probing (qom-get over
               /machine/unattached/device[N] until an error, query-target when a context is
               given), the same bytes in inject-ghes-v2-error (the Generic Error Status Block
               with block_status uncorrectable and no entry count, raw data placed between the
               entry header and the section as qmp_helper places it, the ARM section with
               ghes_inject's defaults and its quirks: MPIDR and affinity level always 0), the
               same output ("Error injected.", or "Command: ..." and "CLASS: desc").
  qmp_shell    python/qemu/qmp/qmp_shell.py, non-interactive: the banner, completion filled
               from query-commands (QMP) or from 'help' and 'info' (HMP, -H), key=value
               arguments with its value parsing, HMP's 'cpu N' trap (info version with
               cpu-index), and its output format.
  The QMP side is qemu.qmp's legacy QEMUMonitorProtocol: the greeting checked for the
  fields qemu.qmp's models require, qmp_capabilities sent with "arguments": {}, commands
  sent without an id (cmd_obj), a reply that is not an object being a protocol error.

Usage: qemu_tools.py ghes_inject [-H HOST] [-P PORT] [--write-cper FILE] arm [options]
       qemu_tools.py qmp_shell [-H] [-p] [-v] [--completions] ADDRESS   (commands on stdin)
ADDRESS is a Unix socket path or HOST:PORT, as for qmp-shell.
"""
import argparse
import base64
import datetime
import json
import socket
import sys


class QMPError(Exception):
    pass


class LegacyQMP:
    """qemu.qmp.legacy.QEMUMonitorProtocol, as far as the tools use it."""

    def __init__(self, address):
        self.address = address
        self.sock = None
        self.buf = b""
        self.events = []

    @staticmethod
    def parse_address(text):
        """qmp-shell: 'HOST:PORT' is TCP, anything else a Unix socket path."""
        host, sep, port = text.rpartition(":")
        if sep and host and "/" not in text:
            try:
                return (host, int(port))
            except ValueError:
                raise QMPError("Bad port number: %s" % text)
        return text

    def _line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line)
        if not isinstance(msg, dict):
            raise QMPError("server sent a non-object: %r" % msg)
        return msg

    def _reply(self):
        while True:
            msg = self._line()
            if msg is None or "event" not in msg:
                return msg
            self.events.append(msg)

    def connect(self, negotiate=True):
        if isinstance(self.address, tuple):
            # asyncio.open_connection tries each address getaddrinfo gives (::1, then 127.0.0.1)
            self.sock = socket.create_connection(self.address, timeout=30)
        else:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(30)
            self.sock.connect(self.address)
        greeting = self._line()
        qmp = greeting.get("QMP") if greeting else None
        ver = qmp.get("version", {}) if isinstance(qmp, dict) else {}
        if (not isinstance(qmp, dict) or not isinstance(qmp.get("capabilities"), list)
                or not isinstance(ver.get("package"), str)
                or not all(isinstance(ver.get("qemu", {}).get(k), int) for k in ("major", "minor", "micro"))):
            raise QMPError("bad greeting: %r" % greeting)
        if negotiate:
            args = {}
            if "oob" in qmp["capabilities"]:
                args.setdefault("enable", []).append("oob")
            r = self.cmd_obj({"execute": "qmp_capabilities", "arguments": args})
            if not r or "return" not in r:
                raise QMPError("negotiation failed: %r" % r)
        return greeting

    def cmd_obj(self, msg):
        self.sock.sendall(json.dumps(msg).encode())
        return self._reply()

    def command(self, name, **args):
        r = self.cmd_obj({"execute": name, "arguments": args} if args else {"execute": name})
        if r is None:
            raise QMPError("disconnected")
        if "error" in r:
            raise QMPError("%s: %s" % (r["error"]["class"], r["error"]["desc"]))
        return r["return"]

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


# ---- ghes_inject.py ----

def bit(b):
    return 1 << b


def le(v, n):
    return int(v).to_bytes(n, "little")


def guid_bytes(text):
    h = text.replace("-", "")
    return le(int(h[0:8], 16), 4) + le(int(h[8:12], 16), 2) + le(int(h[12:16], 16), 2) + bytes.fromhex(h[16:32])


CPER_PROC_ARM = "e19e3d16-bc11-11e4-9caa-c2051d5d46b0"
BLOCK_STATUS = {"uncorrectable": bit(0), "correctable": bit(1), "multi-uncorrectable": bit(2),
                "multi-correctable": bit(3)}
SEVERITY = {"recoverable": 0, "fatal": 1, "corrected": 2, "none": 3}
GEN_VALID = {"fru-id": bit(0), "fru-text": bit(1), "timestamp": bit(2)}
ARM_VALID = {"mpidr": bit(0), "affinity": bit(1), "running": bit(2), "vendor": bit(3)}
PEI_FLAGS = {"first": bit(0), "last": bit(1), "propagated": bit(2), "overflow": bit(3)}
PEI_TYPES = {"cache": bit(1), "tlb": bit(2), "bus": bit(3), "micro-arch": bit(4)}
PEI_VALID = {"multiple-error": bit(0), "flags": bit(1), "error-info": bit(2), "virt-addr": bit(3),
             "phy-addr": bit(4)}
DEFAULT_ERROR_INFO = {bit(1): 0x0091000F, bit(2): 0x0054007F, bit(3): 0x80D6460FFF, bit(4): 0x78DA03FF}


def choice(name, value, choices, suffixes=(), bitmask=True):
    """qmp_helper's get_choice(): comma-separated names, suffixes optional."""
    out = 0
    if not value:
        return out
    for v in value.split(","):
        v = v.lower()
        for s in suffixes:
            v = v.removesuffix(s)
        if v not in choices:
            for s in suffixes:
                if v + s in choices:
                    v += s
                    break
        if v not in choices:
            sys.exit("Error on '%s': choice '%s' is invalid." % (name, v))
        if bitmask:
            out |= choices[v]
        else:
            if out:
                sys.exit("Error on '%s': only one value is accepted." % name)
            out = choices[v]
    return out


def unsigned(name, text, max_val=None):
    try:
        v = int(text, 0)
    except ValueError:
        sys.exit("Error on '%s': %s is not an integer" % (name, text))
    if v < 0:
        sys.exit("Error on '%s': %s is not unsigned" % (name, text))
    if max_val and v > max_val:
        sys.exit("Error on '%s': %s is too little" % (name, text))
    return v


def per_entry(mult, name, values, conv, allow_zero=False):
    """get_mult_int / get_mult_choices / get_mult_array: the i-th value goes to entry i."""
    if values is None or (not values and not allow_zero):
        return
    if not values and allow_zero:
        mult.setdefault(0, {})[name] = []
        return
    for i, v in enumerate(values):
        mult.setdefault(i, {})[name] = conv(v)


def bcd(v):
    return ((v // 10) << 4) | (v % 10)


def ghes_inject(argv):
    parser = argparse.ArgumentParser(prog="ghes_inject.py")
    parser.add_argument("-H", "--host", default="localhost")
    parser.add_argument("-P", "--port", default=4445, type=int)
    parser.add_argument("-d", "--debug", action="store_true")
    parser.add_argument("--write-cper", help="(tests) write the block to FILE instead of sending it")
    sub = parser.add_subparsers()
    arm = sub.add_parser("arm")
    arm.add_argument("--arm", "--arm-valid")
    arm.add_argument("-a", "--affinity", "--level", "--affinity-level", type=lambda x: int(x, 0))
    arm.add_argument("-l", "--mpidr", type=lambda x: int(x, 0))
    arm.add_argument("-i", "--midr", type=lambda x: int(x, 0))
    arm.add_argument("-r", "--running", action=argparse.BooleanOptionalAction, default=None)
    arm.add_argument("--psci", "--psci-state", type=lambda x: int(x, 0))
    arm.add_argument("-t", "--type", nargs="+")
    arm.add_argument("-f", "--flags", nargs="*")
    arm.add_argument("-V", "--pei-valid", "--error-valid", nargs="*")
    arm.add_argument("-m", "--multiple-error", nargs="+")
    arm.add_argument("-e", "--error-info", nargs="+")
    arm.add_argument("-p", "--physical-address", nargs="+")
    arm.add_argument("-v", "--virtual-address", nargs="+")
    arm.add_argument("--ctx-type", "--context-type", nargs="*")
    arm.add_argument("--ctx-size", "--context-size", nargs="*")
    arm.add_argument("--ctx-array", "--context-array", nargs="*")
    arm.add_argument("--vendor", "--vendor-specific", nargs="+")
    arm.add_argument("--block-status")
    arm.add_argument("--raw-data", nargs="+")
    arm.add_argument("--error-severity", "--severity")
    arm.add_argument("--gen-err-valid-bits", "--generic-error-validation-bits")
    arm.add_argument("--fru-id")
    arm.add_argument("--fru-text")
    arm.add_argument("--timestamp")
    arm.add_argument("--precise", "--precise-timestamp", action="store_true")
    arm.add_argument("--gedb-flags")
    arm.set_defaults(func=True)
    args = parser.parse_args(argv)
    if "func" not in args:
        sys.exit("Please specify a valid command for ghes_inject.py")

    qmp = None if args.write_cper else LegacyQMP((args.host, args.port))
    connected = [False]

    def send_cmd(name, cmd_args=None, return_error=True):
        if qmp is None:
            return None
        if not connected[0]:
            try:
                qmp.connect(negotiate=True)
            except (ConnectionError, OSError):
                sys.exit("Can't connect to QMP host %s:%s" % (args.host, args.port))
            connected[0] = True
        msg = {"execute": name}
        if cmd_args:
            msg["arguments"] = cmd_args
        obj = qmp.cmd_obj(msg)
        if obj is None:
            print("Command: %s" % name)
            print("Failed to inject error: disconnected.")
            return None
        if "return" in obj:
            r = obj["return"]
            return (r if r else "OK") if isinstance(r, dict) else r
        if isinstance(obj.get("error"), dict):
            if return_error:
                print("Command: %s" % msg)
                print("%s: %s" % (obj["error"]["class"], obj["error"]["desc"]))
        else:
            print(json.dumps(obj))
        return None

    # Generic Error Data (qmp_helper set_args)
    block_status = BLOCK_STATUS["uncorrectable"]
    raw_data, severity, gen_valid = [], SEVERITY["recoverable"], 0
    fru_id, fru_text, tstamp = bytes(16), bytes(20), bytes(8)
    if args.block_status:
        block_status = choice("block-status", args.block_status, BLOCK_STATUS, bitmask=False)
    if args.raw_data:
        raw_data = [unsigned("raw-data", v, 255) for x in args.raw_data for v in x.split(",")]
        print(raw_data)
    if args.error_severity:
        severity = choice("error-severity", args.error_severity, SEVERITY, bitmask=False)
    if args.fru_id:
        fru_id = guid_bytes(args.fru_id)
        if not args.gen_err_valid_bits:
            gen_valid |= GEN_VALID["fru-id"]
    if args.fru_text:
        text = args.fru_text.encode("ascii")
        if len(text) > 20:
            sys.exit("FRU text is too big to fit")
        fru_text = text  # as qmp_helper: not padded to 20 bytes
        if not args.gen_err_valid_bits:
            gen_valid |= GEN_VALID["fru-text"]
    if args.timestamp:
        t = datetime.datetime.now() if args.timestamp == "now" else \
            datetime.datetime.strptime(args.timestamp, "%Y-%m-%d %H:%M:%S")
        tstamp = bytes([bcd(t.second), bcd(t.minute), bcd(t.hour), 1 if args.precise else 0,
                        bcd(t.day), bcd(t.month), bcd(t.year % 100), bcd(t.year // 100 % 100)])
        if not args.gen_err_valid_bits:
            gen_valid |= GEN_VALID["timestamp"]
    if args.gen_err_valid_bits:
        gen_valid = choice("validation", args.gen_err_valid_bits, GEN_VALID)

    # CPUs by QOM type, as arm_processor_error does (an error ends the walk)
    cpus, i = [], 0
    while qmp is not None and i <= 10000:
        ret = send_cmd("qom-get", {"path": "/machine/unattached/device[%d]" % i, "property": "type"},
                       return_error=False)
        if not ret:
            break
        if isinstance(ret, str) and ret.endswith("arm-cpu"):
            cpus.append("/machine/unattached/device[%d]" % i)
        i += 1

    arg = vars(args)
    if args.arm:
        valid, init = choice("valid", args.arm, ARM_VALID, suffixes=["-error", "-err"]), False
    else:
        valid, init = 0, True
    running_state = bit(0) if args.running else 0
    if init:
        if args.affinity:
            valid |= ARM_VALID["affinity"]
        if args.mpidr:
            valid |= ARM_VALID["mpidr"]
        valid |= ARM_VALID["running"]  # the script always has a running-state key here
        if args.psci:
            valid |= ARM_VALID["running"]

    if not args.type:
        args.type = ["cache-error"]
    pei, ctx, vendor = {}, {}, {}
    per_entry(pei, "valid", args.pei_valid, lambda v: choice("valid", v, PEI_VALID, ["-valid", "--addr"]))
    per_entry(pei, "type", args.type, lambda v: choice("type", v, PEI_TYPES, ["-error", "-err"]))
    per_entry(pei, "flags", args.flags, lambda v: choice("flags", v, PEI_FLAGS, ["-error", "-cap"]))
    per_entry(pei, "error-info", args.error_info, lambda v: unsigned("error-info", v))
    per_entry(pei, "multiple-error", args.multiple_error, lambda v: unsigned("multiple-error", v))
    per_entry(pei, "phy-addr", args.physical_address, lambda v: unsigned("phy-addr", v))
    per_entry(pei, "virt-addr", args.virtual_address, lambda v: unsigned("virt-addr", v))
    per_entry(ctx, "type", args.ctx_type, lambda v: unsigned("type", v), allow_zero=True)
    per_entry(ctx, "minimal-size", args.ctx_size, lambda v: unsigned("minimal-size", v), allow_zero=True)
    per_entry(ctx, "register", args.ctx_array,
              lambda v: [unsigned("register", x) for x in v.split(",")], allow_zero=True)
    per_entry(vendor, "bytes", args.vendor, lambda v: [unsigned("bytes", x, 255) for x in v.split(",")])

    pei_data = b""
    for p in pei.values():
        if "error-info" not in p and p.get("type") in DEFAULT_ERROR_INFO:
            p["error-info"] = DEFAULT_ERROR_INFO[p["type"]]
        if "valid" not in p:
            p["valid"] = 0
            for key, b in (("multiple-error", "multiple-error"), ("flags", "flags"),
                           ("error-info", "error-info"), ("phy-addr", "phy-addr"), ("virt-addr", "virt-addr")):
                if key in p:
                    p["valid"] |= PEI_VALID[b]
        pei_data += (le(0, 1) + le(32, 1) + le(p["valid"], 2) + le(p.get("type", 0), 1)
                     + le(p.get("multiple-error", 1), 2) + le(p.get("flags", PEI_FLAGS["first"] | PEI_FLAGS["last"]), 1)
                     + le(p.get("error-info", 0), 8) + le(p.get("virt-addr", 0xDEADBEEF), 8)
                     + le(p.get("phy-addr", 0xABBA0BAD), 8))

    ctx_data = b""
    if ctx:
        ret = send_cmd("query-target")  # the script crashes on None here: rasvm answers
        default = 8
        if isinstance(ret, dict) and ret.get("arch") == "aarch64":
            default = 5
        elif isinstance(ret, dict) and ret.get("arch") == "arm":
            default = 1
        for k in sorted(ctx):
            c = ctx[k]
            c.setdefault("type", default)
            c.setdefault("register", [])
            size = (max(0, len(c["register"])) + 1) % 0xFFFE  # "minimal-size" is looked up in ctx
            ctx_data += le(0, 2) + le(c["type"], 2) + le(8 * size, 4)
            ctx_data += b"".join(le(r, 8) for r in c["register"])
            ctx_data += bytes(8 * max(0, size - len(c["register"])))
    vendor_data = bytes(b for k in sorted(vendor) for b in vendor[k]["bytes"])

    midr = arg.get("midr-el1", 0)
    if cpus:
        ret = send_cmd("qom-get", {"path": cpus[0], "property": "midr"})
        if isinstance(ret, int):
            midr = ret
    body = (le(valid, 4) + le(len(pei), 2) + le(len(ctx and sorted(ctx)), 2)
            + le(40 + len(pei_data) + len(vendor_data) + len(ctx_data), 4)
            + le(arg.get("affinity-level", 0), 1) + bytes(3)
            + le(arg.get("mpidr-el1", 0), 8) + le(midr, 8) + le(running_state, 4)
            + le(arg.get("psci-state", 0), 4) + pei_data + ctx_data + vendor_data)

    # qmp_helper send_cper(): the entry header, raw data, then the section
    gede = (guid_bytes(CPER_PROC_ARM) + le(severity, 4) + le(0x300, 2) + le(gen_valid, 1) + le(0, 1)
            + le(len(body), 4) + fru_id + fru_text + tstamp)
    gesb = (le(block_status, 4) + le(0, 4) + le(len(raw_data), 4)
            + le(len(body) + len(raw_data) + 72, 4) + le(severity, 4))
    cper = gesb + gede + bytes(raw_data) + body
    if args.write_cper:
        with open(args.write_cper, "wb") as f:
            f.write(cper)
        return 0
    if send_cmd("inject-ghes-v2-error", {"cper": base64.b64encode(cper).decode("ascii")}):
        print("Error injected.")
    qmp.close()
    return 0


# ---- qmp-shell ----

def parse_value(val):
    try:
        return int(val)
    except ValueError:
        pass
    if val.lower() == "true":
        return True
    if val.lower() == "false":
        return False
    if val.startswith(("{", "[")):
        try:
            return json.loads(val)
        except ValueError:
            pass
    return val


def build_cmd(line):
    import re
    tokens = re.findall(r'''(?:[^\s"']|"(?:\\.|[^"])*"|'(?:\\.|[^'])*')+''', line)
    if not tokens:
        return None
    cmd = {"execute": tokens[0], "arguments": {}}
    for tok in tokens[1:]:
        key, sep, val = tok.partition("=")
        if sep != "=":
            raise QMPError("Expected a key=value pair, got '%s'" % tok)
        parent = cmd["arguments"]
        path = key.split(".")
        for p in path[:-1]:
            parent = parent.setdefault(p, {})
        if path[-1] in parent:
            raise QMPError('Cannot set "%s" multiple times' % key)
        parent[path[-1]] = parse_value(val)
    return cmd


def qmp_shell(argv):
    ap = argparse.ArgumentParser(prog="qmp-shell")
    ap.add_argument("-H", "--hmp", action="store_true")
    ap.add_argument("-p", "--pretty", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--completions", action="store_true", help="(tests) print what tab completes")
    ap.add_argument("qmp_server")
    args = ap.parse_args(argv)
    q = LegacyQMP(LegacyQMP.parse_address(args.qmp_server))
    try:
        greeting = q.connect(negotiate=True)
    except OSError as e:
        sys.stderr.write("ERROR: Couldn't connect to %s: %s\n" % (args.qmp_server, e))
        return 1
    completions, cpu_index = [], 0

    def passthrough(cmdline, idx=0):
        return q.cmd_obj({"execute": "human-monitor-command",
                          "arguments": {"command-line": cmdline, "cpu-index": idx}})

    if args.hmp:
        for line in passthrough("help")["return"].split("\r\n"):
            if line and line[0] not in "[\t":
                name = line.split()[0]
                if name == "info":
                    continue
                if "|" in name:
                    a, b = name.split("|")[:2]
                    name = b if len(a) == 1 else a
                completions += [name, "help " + name]
        for line in passthrough("info")["return"].split("\r\n"):
            if line:
                completions.append("info " + line.split()[1])
        completions.append("help info")
    else:
        r = q.cmd_obj({"execute": "query-commands"})
        if "return" in r:
            completions += [c["name"] for c in r["return"]]
    print("Welcome to the HMP shell!" if args.hmp else "Welcome to the QMP low-level shell!")
    v = greeting["QMP"]["version"]["qemu"]
    print("Connected to QEMU {major}.{minor}.{micro}\n".format(**v))
    if args.completions:
        print("completions: " + " ".join(completions))
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line == "":
            for e in q.events:
                print(e)
            q.events = []
            continue
        if args.hmp:
            if line.split()[0] == "cpu":
                try:
                    idx = int(line.split()[1])
                    if "return" not in passthrough("info version", idx):
                        print("bad CPU index")
                        continue
                    cpu_index = idx
                except ValueError:
                    print("cpu command takes an integer argument")
                    continue
            resp = passthrough(line, cpu_index)
            if resp is None:
                print("Disconnected")
                break
            if "return" in resp:
                if resp["return"]:
                    print(resp["return"], end=" ")
            else:
                print("%s: %s" % (resp["error"]["class"], resp["error"]["desc"]))
            continue
        try:
            cmd = build_cmd(line)
        except QMPError as e:
            print("Error while parsing command line: %s" % e, file=sys.stderr)
            continue
        if cmd is None:
            continue
        if args.verbose:
            print(json.dumps(cmd))
        resp = q.cmd_obj(cmd)
        if resp is None:
            print("Disconnected")
            break
        print(json.dumps(resp, indent=4 if args.pretty else None, sort_keys=args.pretty))
    q.close()
    return 0


if __name__ == "__main__":
    tool, rest = sys.argv[1], sys.argv[2:]
    sys.exit({"ghes_inject": ghes_inject, "qmp_shell": qmp_shell}[tool](rest))
