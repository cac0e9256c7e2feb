# Verifies the control socket as a QMP client sees it: greeting and negotiation, replies
# carrying the id, every command (stop/cont, injections through every path, query-ras,
# system_reset, quit), the events (MEMORY_FAILURE with QEMU's schema, STOP, RESUME, RESET,
# SHUTDOWN, RAS_GHES_ACK), messages cut by the reads inside a UTF-8 sequence, a literal or a
# \u escape, bad input (malformed JSON, top-level scalars, stray brackets, unknown commands,
# wrong or missing arguments, a message over 64 KiB, a half message then a hang-up, 100 clients at once)
# answered with QMP errors or a dropped connection while the VM keeps running; replies owed to
# a client that shut its sending side; a client being dropped that does not read neither
# spins the server nor is held for ever; socket file
# rules; rasvm ctl; and an error sent the moment the serve scenario is ready.
. "$(dirname "$0")/../lib.sh"
require_kvm

sock=$TMP/vm.qmp
"$RASVM" cper encode --gpa 0x702000 -o "$TMP/good.bin" >/dev/null
head -c 100 "$TMP/good.bin" >"$TMP/bad.bin"
(cd "$TMP" && exec "$RASVM" run --scenario serve --qmp "$sock" -v) >"$TMP/serve.out" 2>"$TMP/serve.err" &
pid=$!
wait_for "$TMP/serve.err" "SYNC 11" || not_ok "the serve scenario never got ready"
if [ "$(stat -c %a "$sock")" = 600 ]; then ok "socket mode 0600"; else not_ok "socket mode $(stat -c %a "$sock")"; fi

python3 - "$sock" "$TMP/good.bin" "$TMP/bad.bin" "$pid" <<'PY' || not_ok "the QMP client script ended early (exit $?; its traceback is above): the checks after it did not run"
import base64, codecs, json, os, socket, sys, time
path, good, bad = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
pid = int(sys.argv[4])
dec = json.JSONDecoder()

def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)

sys.path.insert(0, os.environ["ROOT"] + "/tests")
from qmp_client import Client as _Client

class Client(_Client):
    def __init__(self, negotiate=True):
        super().__init__(path, negotiate=negotiate)

c = Client(negotiate=False)
g = c.greeting
check("QMP" in g and "qemu" in g["QMP"]["version"] and g["QMP"]["capabilities"] == [], "greeting has version and capabilities")
r = c.cmd("query-status")
check(r["error"]["class"] == "CommandNotFound" and "qmp_capabilities" in r["error"]["desc"], "commands wait for negotiation")
r = c.cmd("qmp_capabilities", id="n1")
check(r == {"return": {}, "id": "n1"}, "qmp_capabilities returns {} with the id")
r = c.cmd("qmp_capabilities")
check(r["error"]["class"] == "CommandNotFound", "negotiating twice is refused")
r = c.cmd("query-version", id=[7, {"x": 1}])
check(r["return"]["package"].startswith("rasvm") and r["id"] == [7, {"x": 1}], "query-version, any JSON id echoed")
check(c.cmd("query-status")["return"]["status"] == "running", "query-status: running")

check(c.cmd("stop") == {"return": {}}, "stop")
check(c.event("STOP") is not None, "STOP event")
st = c.cmd("query-status")["return"]
check(st["status"] == "paused" and st["running"] is False, "query-status: paused")
check(c.cmd("cont") == {"return": {}} and c.event("RESUME") is not None, "cont and RESUME event")

r = c.cmd("x-inject-host-memory-error", {"gpa": 0x700000})
e = c.event("MEMORY_FAILURE")
check(r.get("return", {}).get("poisoned") in ("simulated", "host") and e and e["data"] == {"recipient": "guest", "action": "inject",
      "flags": {"action-required": False, "recursive": False}}, "AO injection: MEMORY_FAILURE inject")
check("seconds" in e["timestamp"] and "microseconds" in e["timestamp"], "events carry timestamps")
a = c.event("RAS_GHES_ACK")
check(a and a["data"] == {"source": 1, "records": 1}, "the guest's acknowledgement is an event")
r = c.cmd("x-inject-host-memory-error", {"gpa": "0x701000", "action-required": True})
ar_host = r.get("return", {}).get("poisoned") == "host"
if ar_host:
    # The host kernel poisoned it for real (the emulated hosts): action required is what the
    # guest's own next access will raise, and this guest does not touch 0x701000. Until then
    # the page waits in the poison table, not yet reported, and no event has gone out.
    time.sleep(0.5)
    pages = {p["gpa"]: p for p in c.cmd("query-ras")["return"]["poisoned-pages"]}
    page = pages.get(0x701000, {})
    check(page.get("reports") == 0 and c.event("MEMORY_FAILURE", timeout=0.2) is None,
          "AR injection, host poison: the page waits for the guest's access, unreported: %s" % page)
else:
    e = c.event("MEMORY_FAILURE")
    check(e and e["data"]["flags"]["action-required"] is True and e["data"]["action"] == "inject", "AR injection: MEMORY_FAILURE with action-required")
r = c.cmd("inject-ghes-v2-error", {"cper": base64.b64encode(good).decode()})
check(r == {"return": {}} and c.event("RAS_GHES_ACK"), "inject-ghes-v2-error: written, acknowledged")
r = c.cmd("inject-ghes-v2-error", {"cper": base64.b64encode(bad).decode()})
check("error" in r and "invalid" in r["error"]["desc"] and "runs past" in r["error"]["desc"], "an invalid CPER is refused, naming the check: " + r.get("error", {}).get("desc", ""))
r = c.cmd("inject-ghes-v2-error", {"cper": "!!!!"})
check("error" in r and "base64" in r["error"]["desc"], "non-base64 CPER refused")
# A valid record followed by 12 KiB: once written over the next sources' blocks; now refused.
r = c.cmd("inject-ghes-v2-error", {"cper": base64.b64encode(good + b"\xab" * 12288).decode(), "source": 0})
check("error" in r and "the record is" in r["error"]["desc"], "a record with trailing bytes is refused: " + r.get("error", {}).get("desc", ""))
r = c.cmd("inject-ghes-v2-error", {"cper": base64.b64encode(good).decode(), "source": 5})
check("error" in r and "not published" in r["error"]["desc"], "unknown source refused")
r = c.cmd("x-inject-mce", {"cpu": 0, "bank": 9, "status": "0xbd80000000000134", "mcg-status": 7,
                          "addr": 0x703000, "misc": 0x8c})
check(r == {"return": {}}, "x-inject-mce with a 64-bit status as a string")
r = c.cmd("x-inject-mce", {"cpu": 0, "bank": 9, "status": 1, "mcg-status": 7, "addr": 0, "misc": 0})
check("error" in r and "VAL" in r["error"]["desc"], "x-inject-mce without VAL refused")
r = c.cmd("x-inject-mce", {"cpu": 3, "bank": 9, "status": "0x8000000000000000", "mcg-status": 7, "addr": 0, "misc": 0})
check("error" in r and "vCPU" in r["error"]["desc"], "x-inject-mce to a missing vCPU refused")
r = c.cmd("x-inject-host-memory-error", {"gpa": 0xd0000000})
check("error" in r and "not guest RAM" in r["error"]["desc"], "injection outside RAM refused")
# The guest acknowledges in its own time: poll until it has (or give up after 30 s).
end = time.time() + 30
while True:
    q = c.cmd("query-ras")["return"]
    n = q["counters"]
    if n["acknowledged"] >= 2 or time.time() > end:
        break
    time.sleep(0.05)
check(q["policy"] == "both" and len(q["sources"]) == 3, "query-ras: policy and sources")
# The action-required error went by machine check, unless the host kernel holds it for the
# guest's access (above).
check(n["received"] >= 2 and n["lost"] == 0 and (n["delivered-mce"] == 0 if ar_host else n["delivered-mce"] >= 1)
      and n["acknowledged"] >= 2, "query-ras counters: %s" % n)
pages = {p["gpa"]: p["state"] for p in q["poisoned-pages"]}
check(pages.get(0x700000) == "acknowledged" and 0x701000 in pages, "query-ras pages: %s" % pages)

# Bad input on one connection: each gets a QMP error, the connection survives.
c.send(b'{"execute": "query-status" oops}')
r = c.reply()
check(r["error"]["class"] == "GenericError" and "JSON parse error" in r["error"]["desc"], "malformed JSON")
check(c.cmd("no-such-command", id=3) == {"error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}, "id": 3}, "unknown command")
r = c.cmd("x-inject-host-memory-error", {"gpa": True})
check("Invalid parameter type for 'gpa'" in r["error"]["desc"], "wrong argument type")
r = c.cmd("x-inject-host-memory-error", {})
check(r["error"]["desc"] == "Parameter 'gpa' is missing", "missing argument")
r = c.cmd("query-status", {"verbose": True})
check(r["error"]["desc"] == "Parameter 'verbose' is unexpected", "unexpected argument")
r = c.cmd("query-status", {"a" + "é" * 40: 1}, id=9)
check(r and r.get("id") == 9 and "is unexpected" in r["error"]["desc"], "an error quoting a name cut inside a UTF-8 character is still sent")
c.send(b'[1, 2, 3]')
check(c.reply()["error"]["desc"] == "QMP input must be a JSON object", "non-object request")
c.send(b'1 "x"')  # top-level scalars are messages, as in QEMU: not objects
check([c.reply()["error"]["desc"] for _ in range(2)] == ["QMP input must be a JSON object"] * 2, "top-level scalars")
c.send(b'}\n{"execute": "query-status", "arguments": {"a": [1}}\n{"execute": "quit\n')
errs = [c.reply() for _ in range(3)]
check(all("JSON parse error" in e["error"]["desc"] for e in errs), "a stray '}', a mismatched bracket, a string past its line: %s" % [e["error"]["desc"] for e in errs])
check(c.cmd("query-status", id=4)["id"] == 4, "one error each, then the connection goes on")

# Messages cut inside a UTF-8 sequence, a literal, a number and a \u escape (a surrogate
# pair too), with pauses between the writes so that each read ends there: the replies are
# the same as for the whole messages.
def send_cut(raw, cuts):
    prev = 0
    for k in cuts + [len(raw)]:
        c.s.sendall(raw[prev:k])
        prev = k
        time.sleep(0.15)
raw = '{"execute": "query-version", "id": "é→𝄞"}'.encode()
send_cut(raw, [raw.index("é".encode()) + 1, raw.index("→".encode()) + 2, raw.index("𝄞".encode()) + 3])
r = c.reply()
check("return" in r and r.get("id") == "é→𝄞", "a message cut inside UTF-8 sequences: %s" % r)
raw = b'{"execute": "query-status", "id": [true, false, null, 12345]}'
send_cut(raw, [raw.index(b"true") + 2, raw.index(b"false") + 3, raw.index(b"null") + 1, raw.index(b"12345") + 2])
r = c.reply()
check(r.get("id") == [True, False, None, 12345] and r.get("return", {}).get("running"), "a message cut inside literals and a number: %s" % r)
raw = b'{"execute": "query-\\u0073tatus", "id": "\\ud834\\udd1e\\u00e9"}'
send_cut(raw, [raw.index(b"u0073") + 3, raw.index(b"ud834") + 2, raw.index(b"udd1e"), raw.index(b"u00e9") + 4])
r = c.reply()
check(r.get("id") == "𝄞é" and r.get("return", {}).get("running"), "a message cut inside \\u escapes: %s" % r)

# Over 64 KiB without a complete message: an error, then the connection closes.
big = Client()
big.send(b'{"execute": "query-status", "arguments": {"x": "' + b"a" * 70000)
r = big.reply()
check(r and "exceeds 65536" in r["error"]["desc"], "a message over 64 KiB is refused")
check(big.msg() is None, "and its client dropped")

# Half a message, then gone.
h = Client()
h.send(b'{"execute": "qu')
h.s.close()
time.sleep(0.1)
check(c.cmd("query-status")["return"]["running"], "a half message and a hang-up leave the VM running")

# Requests, then the sending side shut, and only then reading (echo ... | socat): every reply
# owed still comes, more than a socket buffer holds.
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(path)
s.sendall(b'{"execute": "qmp_capabilities"}' + b'{"execute": "query-version"}' * 4000)
s.shutdown(socket.SHUT_WR)
time.sleep(0.5)  # the server has seen the end of file by now
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
except socket.timeout:
    pass
s.close()
check(data.count(b'"return"') == 4001, "after the client shuts its side, all 4001 replies still come (%d)" % data.count(b'"return"'))

# A client that is being closed but does not read (its replies fill the socket, then it
# sends a message over 64 KiB): the server thread must not spin on its unread input, and
# closes it after its linger time (2 s) instead of holding it for ever.
def cpu_s():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def sockets():
    found = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:  # rasvm may close it between the listing and the readlink
            l = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except FileNotFoundError:
            continue
        if l.startswith("socket:"):
            found.add(l)
    return found
before = sockets()
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(path)
s.recv(4096)  # the greeting: rasvm has accepted it
mine = sockets() - before  # rasvm's end of this connection
s.sendall(b'{"execute": "qmp_capabilities"}' + b'{"execute": "query-version"}' * 4000)
time.sleep(0.5)
s.sendall(b'{"execute": "query-status", "arguments": {"x": "' + b"a" * 70000)
time.sleep(0.5)
t0, c0 = time.time(), cpu_s()
time.sleep(1.0)
busy = (cpu_s() - c0) / (time.time() - t0)
check(busy < 0.15, "a closing client that does not read: rasvm uses %.0f%% of a CPU" % (busy * 100))
end = time.time() + 5
while sockets() & mine and time.time() < end:
    time.sleep(0.1)
check(len(mine) == 1 and not sockets() & mine, "and rasvm closes it after its linger time: %s" % (sockets() & mine or "closed"))
s.close()
check(c.cmd("query-status")["return"]["running"], "the other client is served meanwhile")

# A hundred clients at once: each is greeted or refused with an error, none hangs.
many, greeted, refused = [], 0, 0
for i in range(100):
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(path); many.append(s)
for s in many:
    data = s.recv(4096).decode()
    if '"QMP"' in data: greeted += 1
    elif "too many QMP clients" in data: refused += 1
for s in many: s.close()
check(greeted + refused == 100 and greeted >= 60, "100 clients: %d greeted, %d refused with an error" % (greeted, refused))
time.sleep(0.2)
check(Client().cmd("query-status")["return"]["running"], "a new client is served afterwards")

check(c.cmd("system_reset") == {"return": {}}, "system_reset")
e = c.event("RESET")
check(e and e["data"]["reason"] == "host-qmp-system-reset", "RESET event")
time.sleep(0.5)
check(c.cmd("query-status")["return"]["running"], "running after the reset")
check(c.cmd("quit") == {"return": {}}, "quit")
e = c.event("SHUTDOWN")
check(e and e["data"] == {"guest": False, "reason": "host-qmp-quit"}, "SHUTDOWN event")
PY
reap "$pid" # killed if the client died before its quit
expect_rc "quit" 0
[ ! -e "$sock" ] && ok "the socket file is removed at exit" || not_ok "the socket file stayed"
if grep -q "Machine Check Exception" "$TMP/serve.out" && grep -q "physical_address: 0x0000000000702000" "$TMP/serve.out"; then
	ok "the guest handled the injected machine check and CPER record"
else
	not_ok "the guest did not report the injected errors"
fi

# Socket file rules.
: >"$TMP/plain"
run_rasvm run --qmp "$TMP/plain"
expect_rc "--qmp over a regular file" 71
expect_has "--qmp over a regular file" err "exists and is not a socket"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$TMP/stale.sock"
run_rasvm run --qmp "$TMP/stale.sock" --scenario exit:0
expect_rc "--qmp over a stale socket" 0
run_rasvm run --qmp "$TMP/$(printf 'x%.0s' $(seq 120))"
expect_rc "--qmp path too long (refused with the options)" 64

# rasvm ctl
(cd "$TMP" && exec "$RASVM" run --scenario serve --qmp "$sock" -v) >/dev/null 2>"$TMP/serve2.err" &
pid=$!
wait_for "$TMP/serve2.err" "SYNC 11" || not_ok "the second serve run never got ready"
run_rasvm ctl "$sock" query-status
expect_rc "ctl query-status" 0
expect_has "ctl query-status" out '"status": "running"'
run_rasvm ctl "$sock" x-inject-host-memory-error '{"gpa": "zero"}'
expect_rc "ctl with a QMP error" 1
expect_has "ctl with a QMP error" err "GenericError: Invalid parameter type for 'gpa'"
run_rasvm ctl "$sock" query-status '{broken'
expect_rc "ctl with bad JSON" 64
# ctl --watch into a pipe: each event line must reach the reader as it comes, not when ctl
# exits (stdout to a pipe is fully buffered).
# A named pipe, not a process substitution: some hosts' chroots (the emulated test host's)
# have no /dev/fd.
mkfifo "$TMP/watch.fifo"
cat "$TMP/watch.fifo" >"$TMP/watch" &
catpid=$!
(cd "$TMP" && exec "$RASVM" ctl "$sock" --watch 30) 2>"$TMP/watch.err" >"$TMP/watch.fifo" &
wpid=$!
# Inject only once the watcher is listening (it says so after the negotiation).
wait_for "$TMP/watch.err" "watching events" || not_ok "ctl --watch never started watching"
"$RASVM" ctl "$sock" x-inject-host-memory-error '{"gpa": 7340032}' >/dev/null
if wait_for "$TMP/watch" '"event":"MEMORY_FAILURE"' 10 && kill -0 "$wpid" 2>/dev/null; then
	ok "ctl --watch into a pipe: the event line arrives while ctl still runs"
else
	not_ok "ctl --watch into a pipe: no MEMORY_FAILURE line before ctl ended"
fi
kill "$wpid" 2>/dev/null
wait "$wpid" "$catpid"
run_rasvm ctl "$sock" inject-nmi
reap "$pid"
expect_rc "serve stops on a bare NMI" 0
# An error sent the moment the guest says it is ready (it is still printing, and has not
# reached its idle loop) is reported too: the guest must not sleep through a machine check
# that arrived before its hlt. The client is connected beforehand to make the window small.
python3 - "$RASVM" "$TMP/early.sock" <<'PY' || not_ok "the early-error client script ended early (exit $?; its traceback is above)"
import os, select, socket, subprocess, sys, time
rasvm, sock = sys.argv[1], sys.argv[2]
p = subprocess.Popen([rasvm, "run", "--scenario", "serve", "--qmp", sock],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
out = b""
def read_until(marker, secs):
    """The guest's console until marker, for at most secs: a rasvm that hangs fails the check."""
    global out
    end = time.time() + secs
    while marker not in out and time.time() < end and p.poll() is None:
        if select.select([p.stdout], [], [], 0.1)[0]:
            out += os.read(p.stdout.fileno(), 4096)
    return marker in out
def reported():
    for _ in range(3000):
        try:
            s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(sock); break
        except OSError:
            time.sleep(0.01)
    f = s.makefile("rwb")
    f.readline(); f.write(b'{"execute": "qmp_capabilities"}\n'); f.flush(); f.readline()
    read_until(b"serve: ready", 60)
    f.write(b'{"execute": "x-inject-host-memory-error", "arguments": {"gpa": 8388608, "action-required": true}}\n')
    f.flush()
    reply = f.readline()
    while b'"event"' in reply:
        reply = f.readline()
    if b'"host"' in reply:
        # Poisoned by the host kernel (the emulated hosts): action required waits for an access
        # this guest never makes, so the same window is tried with action optional, which the
        # kernel signals at once.
        f.write(b'{"execute": "x-inject-host-memory-error", "arguments": {"gpa": 8392704}}\n')
        f.flush()
    return read_until(b"1 error(s) handled so far", 30)
try:
    good = reported()
except Exception as e:  # a broken harness must fail the check, not skip it
    print("# " + repr(e)); good = False
if not good and p.poll() is None:
    sys.stdout.flush()
    subprocess.run([os.environ["ROOT"] + "/tests/describe-stuck", str(p.pid)])
print(("ok - " if good else "not ok - ") + "an error sent as the serve scenario starts is reported")
p.kill(); p.wait()
PY
run_rasvm ctl "$TMP/nobody.sock" query-status
expect_rc "ctl without a server" 66
expect_has "ctl without a server" err "is rasvm running with --qmp"
finish
