# Helpers for the snapshot and migration tests (tests/kvm/snapshot.sh, migrate.sh): a QMP
# client, TAP output, waiting on serial files, and the stream's records (docs/migration.md)
# so a test can take a snapshot apart and damage it on purpose.
import json, os, socket, struct, sys, time

failed = False

def check(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    if not cond:
        failed = True
    return cond

class Qmp:
    def __init__(self, path, timeout=30):
        end = time.time() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.time() > end:
                    raise
                time.sleep(0.05)
        self.s.settimeout(60)
        self.buf, self.events = b"", []
        self.msg()
        self.cmd("qmp_capabilities")
    def msg(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)
    def cmd(self, name, args=None):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        self.s.sendall(json.dumps(req).encode())
        while True:
            m = self.msg()
            if m is None or "event" not in m:
                return m
            self.events.append(m)
    def ret(self, name, args=None):
        return self.cmd(name, args)["return"]
    def wait_migration(self, timeout=120):
        end = time.time() + timeout
        while True:
            r = self.ret("query-migrate")
            if r["status"] in ("completed", "failed", "cancelled") or time.time() > end:
                return r
            time.sleep(0.02)

def wait_file(path, text, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if text in open(path, errors="replace").read():
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False

def pages(ras):
    return sorted((p["gpa"], p["state"], p["reports"]) for p in ras["poisoned-pages"])

# ---- The stream ----

_T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _T.append(c)

def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _T[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF

def records(blob):
    """[(offset, tag, version, flags, instance, payload)] after the 16-byte preamble."""
    out, off = [], 16
    while off + 20 <= len(blob):
        tag, ver, flags, inst, length, _ = struct.unpack_from("<4sHHIII", blob, off)
        out.append((off, tag.decode("ascii", "replace"), ver, flags, inst, blob[off + 20:off + 20 + length]))
        off += 20 + length
    return out

def record(tag, version, instance, payload, flags=0):
    head = struct.pack("<4sHHII", tag.encode(), version, flags, instance, len(payload))
    return head + struct.pack("<I", crc32c(head + payload)) + payload

def header_text(blob):
    r = records(blob)[0]
    return r[5].decode()

def with_header(blob, text):
    """The snapshot with its HEAD record replaced (a valid CRC): the DONE count still holds."""
    first = records(blob)[0]
    end = first[0] + 20 + len(first[5])
    return blob[:16] + record("HEAD", 1, 0, text.encode()) + blob[end:]
