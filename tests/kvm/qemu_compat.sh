# Verifies that QEMU's own clients work against rasvm unchanged, through tests/kvm/qemu_tools.py
# (what ghes_inject.py and qmp-shell send, rewritten from QEMU's tree): --qmp in QEMU's
# spellings (unix: and tcp: with server=on,wait=off, several at once, a port the kernel picks),
# ghes_inject.py's arm subcommand with its defaults, the docstring's full example, a fatal
# severity, a cache error with a physical address, a timestamp and FRU id, and its raw-data
# and fru-text layouts that Linux would refuse (a clean QMP error), each decoded on the test
# guest's console as Linux prints it; qmp-shell sessions over Unix and TCP (completion from
# query-commands, key=value arguments, QEMU's queries with QEMU's schema); qmp-shell -H (HMP
# help/info completion, info status/registers/cpus/name/ras, mce with QEMU's checks, cpu N,
# stop/cont, an unknown command); --metrics checked by promtool and query-metrics; wait=on
# holding the guest until a client comes; server=off connecting out; options refused.
. "$(dirname "$0")/../lib.sh"
require_kvm

TOOLS="python3 $ROOT/tests/kvm/qemu_tools.py"
sock=$TMP/vm.qmp
(cd "$TMP" && exec "$RASVM" run --scenario serve --cpus 2 --name vm-a \
	--qmp "unix:$sock,server=on,wait=off" --qmp tcp::0,server=on,wait=off \
	--metrics "$TMP/vm-a.prom,interval=1") >"$TMP/serve.out" 2>"$TMP/serve.err" &
pid=$!
wait_for "$TMP/serve.out" "serve: ready" 60 || not_ok "the serve scenario never got ready"
port=$(sed -n 's/.*listening on tcp:127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$TMP/serve.err")
[ -n "$port" ] && ok "tcp::0 listens on loopback, the log names the port ($port)" || not_ok "no TCP port in the log"
grep -q "no authentication" "$TMP/serve.err" && ok "the log says QMP has no authentication" || not_ok "no warning about TCP"

# console_has TEXT [SECONDS]: the guest printed TEXT (fixed string)
console_has() {
	if wait_for "$TMP/serve.out" "$1" "${2:-30}"; then ok "console: $1"; else
		not_ok "console lacks: $1"
		tail -20 "$TMP/serve.out" | sed 's/^/#   /'
	fi
}
inject() { # ghes_inject.py arm OPTIONS... over TCP, as its documentation says to run it
	$TOOLS ghes_inject -H localhost -P "$port" arm "$@" >"$TMP/inject.out" 2>&1
}

# 1. The default ARM record: qom-get walk, then inject-ghes-v2-error.
inject
grep -qx "Error injected." "$TMP/inject.out" && ok "ghes_inject.py arm: Error injected." || { not_ok "ghes_inject.py arm"; cat "$TMP/inject.out"; }
console_has "[Hardware Error]:   section_type: ARM processor error"
console_has "[Hardware Error]:    error_type: 0x02: cache error"
console_has "[Hardware Error]:     cache error, operation type: Data write"
console_has "[Firmware Warn]: GHES: Unhandled processor error type 0x02: cache error"

# 2. The script's documented full example (contexts ask query-target; five error infos).
inject --mpidr 0x444 --running --affinity 1 --error-info 12345678 --vendor 0x13,123,4,5,1 \
	--ctx-array 0,1,2,3,4,5 -t cache tlb bus micro-arch tlb,micro-arch
grep -qx "Error injected." "$TMP/inject.out" && ok "ghes_inject.py arm (full example): Error injected." || { not_ok "full example"; cat "$TMP/inject.out"; }
console_has "[Hardware Error]:    error_type: 0x14: TLB error|micro-architectural error"
console_has "[Hardware Error]:    register context type: Misc. system register structure"
console_has "[Hardware Error]:   Vendor specific error info has 5 bytes:"
console_has "[Hardware Error]:    00000000: 13 7b 04 05 01                                   .{..."
console_has "[Hardware Error]:     memory access attributes:0x20"

# 3. A cache error with a physical address: the page is taken out of use (arm64 Linux).
inject -t cache -p 0x704000 -V phy-addr error-info --timestamp "2026-03-04 05:06:07" --precise \
	--fru-id 11223344-5566-7788-99aa-bbccddeeff00
console_has "[Hardware Error]:  precise tstamp: 2026-03-04 05:06:07"
console_has "[Hardware Error]:  fru_id: 11223344-5566-7788-99aa-bbccddeeff00"
console_has "[Hardware Error]:    physical fault address: 0x0000000000704000"
console_has "Memory failure: 0x704: recovery action for free buddy page: Recovered"

# 4. Layouts Linux refuses: a clean QMP error naming the broken rule, and the VM runs on.
inject --raw-data 1,2,3
grep -q "GenericError: the CPER record is invalid" "$TMP/inject.out" && ok "--raw-data (raw data inside the entries): refused with a QMP error" || { not_ok "--raw-data"; cat "$TMP/inject.out"; }
inject --fru-text abc
grep -q "GenericError: the CPER record is invalid" "$TMP/inject.out" && ok "--fru-text (an entry header short of 72 bytes): refused with a QMP error" || { not_ok "--fru-text"; cat "$TMP/inject.out"; }
inject --severity corrected -t tlb
console_has "[Hardware Error]: It has been corrected by h/w and requires no further action"
console_has "[Hardware Error]:  Error 0, type: corrected"

# 5. qmp-shell over Unix and over TCP.
# A session each, each losing a page of its own (a page already lost is refused: "already
# poisoned").
shell_session() { # GPA
	printf '%s\n' query-name query-target query-kvm query-memory-size-summary query-cpus-fast \
		'query-status' "x-inject-host-memory-error gpa=$1" 'qom-get path=/machine/unattached/device[9] property=type' \
		'human-monitor-command command-line=help cpu-index=1' 'human-monitor-command command-line=help cpu-index=2'
}
shell_session 0x705000 | $TOOLS qmp_shell --completions "$sock" >"$TMP/shell.out" 2>&1
shell_session 0x708000 | $TOOLS qmp_shell "localhost:$port" >"$TMP/shell_tcp.out" 2>&1
for f in shell shell_tcp; do
	grep -q "^Connected to QEMU 0.1.0" "$TMP/$f.out" && grep -q '{"return": {"name": "vm-a"}}' "$TMP/$f.out" &&
		grep -q '{"return": {"arch": "x86_64"}}' "$TMP/$f.out" && grep -q '{"return": {"enabled": true, "present": true}}' "$TMP/$f.out" &&
		grep -q '"base-memory": 134217728, "plugged-memory": 0' "$TMP/$f.out" &&
		grep -q '"qom-path": "/machine/unattached/device\[1\]".*"target": "x86_64"' "$TMP/$f.out" &&
		grep -q '"class": "DeviceNotFound"' "$TMP/$f.out" && grep -q '{"return": "cont|c  -- resume emulation' "$TMP/$f.out" &&
		grep -q "Parameter 'cpu-index' expects a CPU number" "$TMP/$f.out" &&
		ok "qmp-shell ($f): QEMU's queries answer with QEMU's schema" || { not_ok "qmp-shell ($f)"; sed 's/^/#   /' "$TMP/$f.out" | head -30; }
done
grep -q "^completions: .*query-commands.*human-monitor-command" "$TMP/shell.out" && ok "qmp-shell completes from query-commands" || not_ok "qmp-shell completion"
console_has "physical_address: 0x0000000000705000"
console_has "physical_address: 0x0000000000708000"
echo 'x-inject-host-memory-error gpa=0x705000' | $TOOLS qmp_shell "$sock" >"$TMP/again.out" 2>&1
grep -q '"desc": "0x705000 is already poisoned"' "$TMP/again.out" && ok "a page already lost is refused: already poisoned" || { not_ok "a second loss of 0x705000"; sed 's/^/#   /' "$TMP/again.out"; }

# 6. qmp-shell -H: HMP round trips.
printf '%s\n' 'info status' 'info name' 'info cpus' 'cpu 1' 'info registers' 'cpu 7' 'info version' \
	'mce 0 99 0x8000000000000000 0 0 0' 'mce 0 1 5 0 0 0' 'mce 0 1 abc 0 0 0' 'mce 0x100000000 1 0x8000000000000000 0 0 0' \
	'frobnicate' 'info frobnicate' 'stop' 'info status' 'cont' 'info status' \
	'mce 1 9 0xbd80000000000134 7 0x706000 0x8c' 'info ras' >"$TMP/hmp.in"
$TOOLS qmp_shell -H --completions "localhost:$port" <"$TMP/hmp.in" >"$TMP/hmp.out" 2>&1
expect_hmp() {
	if grep -qF -- "$1" "$TMP/hmp.out"; then ok "HMP: $1"; else not_ok "HMP lacks: $1"; sed 's/^/#   /' "$TMP/hmp.out" | head -40; fi
}
expect_hmp "Welcome to the HMP shell!"
expect_hmp "completions: cont help cont cpu help cpu"
expect_hmp "info registers"
expect_hmp "VM status: running"
expect_hmp "vm-a"
expect_hmp "  CPU #1: thread_id="
expect_hmp "CPU#1"
expect_hmp "RIP="
expect_hmp "CS =0008 0000000000000000 ffffffff 00a09b00 DPL=0 CS64 [-RA]"
expect_hmp "bad CPU index"
expect_hmp "Invalid MCE bank number"
expect_hmp "Invalid MCE status code"
expect_hmp "invalid char 'a' in expression"
expect_hmp "'mce' has failed: integer is for 32-bit values"
expect_hmp "unknown command: 'frobnicate'"
expect_hmp "unknown command: 'info frobnicate'"
expect_hmp "VM status: paused"
expect_hmp "policy: both"
console_has "CPU 1: Machine Check Exception: 7 Bank 9: bd80000000000134"

# 7. Metrics: the file and query-metrics, both Prometheus text promtool accepts.
sleep 1.5
if command -v promtool >/dev/null; then
	promtool check metrics <"$TMP/vm-a.prom" >"$TMP/promtool.out" 2>&1 && ok "promtool check metrics: the --metrics file" || { not_ok "promtool"; cat "$TMP/promtool.out"; }
	"$RASVM" ctl "$sock" query-metrics >"$TMP/qm.txt" 2>&1 && promtool check metrics <"$TMP/qm.txt" >/dev/null 2>&1 && ok "promtool check metrics: query-metrics" || not_ok "query-metrics"
else
	not_ok "promtool is missing (scripts/install-deps test installs Debian's prometheus package)"
fi
grep -q '^rasvm_ras_lost_total{vm="vm-a"} 0$' "$TMP/vm-a.prom" && grep -q '^rasvm_host_memory_errors_total{vm="vm-a",action="optional"} 2$' "$TMP/vm-a.prom" &&
	grep -q '^rasvm_ras_delivered_total{vm="vm-a",path="ghes",source="async"} 2$' "$TMP/vm-a.prom" &&
	grep -q '^rasvm_injected_errors_total{vm="vm-a",kind="ghes"} 4$' "$TMP/vm-a.prom" &&
	grep -q '^rasvm_ras_dropped_total{vm="vm-a",reason="mce-busy"} 0$' "$TMP/vm-a.prom" &&
	grep -q '^rasvm_guest_running{vm="vm-a"} 1$' "$TMP/vm-a.prom" && ok "metrics: counters by action, path and source; lost 0; running" ||
	{ not_ok "metrics values"; grep -v '^#' "$TMP/vm-a.prom" | head -40 | sed 's/^/#   /'; }
ls "$TMP" | grep -q 'vm-a.prom.' && not_ok "a temporary metrics file was left" || ok "no temporary metrics file left beside the file"

# 8. A fatal record: the guest prints it with its severity and panics, as Linux does.
inject --severity fatal -t bus
console_has "[Hardware Error]: event severity: fatal"
console_has "[Hardware Error]:  Error 0, type: fatal"
console_has "Kernel panic - not syncing: Fatal hardware error!"
reap "$pid"
expect_rc "a fatal GHES record ends the guest" 4
grep -q 'rasvm_guest_running{vm="vm-a"} 0' "$TMP/vm-a.prom" && ok "the metrics file's last word: not running" || not_ok "final metrics"
[ ! -e "$sock" ] && ok "the unix: socket is removed at exit" || not_ok "the socket stayed"

# 9. wait=on holds the guest until a client connects; server=off connects out.
(cd "$TMP" && exec "$ROOT/tests/deadline" 60 "$RASVM" run --scenario exit:0 --qmp "unix:$TMP/w.qmp,server=on") >"$TMP/w.out" 2>"$TMP/w.err" &
wpid=$!
wait_for "$TMP/w.err" "waiting for a client" 20 || not_ok "no 'waiting' line"
sleep 1
if kill -0 "$wpid" 2>/dev/null && ! grep -q . "$TMP/w.out"; then ok "wait=on: no guest code before a client"; else not_ok "wait=on did not wait"; fi
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.recv(4096)" "$TMP/w.qmp"
reap "$wpid"
expect_rc "wait=on: the guest runs once a client came" 0
python3 - "$RASVM" "$TMP/client.sock" <<'PY' || not_ok "the client script ended early (exit $?; its traceback is above)"
import json, os, socket, subprocess, sys
rasvm, path = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX); srv.bind(path); srv.listen(1)  # as qmp-shell-wrap listens
p = subprocess.Popen([rasvm, "run", "--scenario", "serve", "-qmp", "unix:" + path],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
srv.settimeout(30)
c, _ = srv.accept(); f = c.makefile("rwb")
g = json.loads(f.readline())
f.write(b'{"execute": "qmp_capabilities"}\n'); f.flush(); r1 = json.loads(f.readline())
f.write(b'{"execute": "quit"}\n'); f.flush(); r2 = json.loads(f.readline())
good = "QMP" in g and r1 == {"return": {}} and r2 == {"return": {}} and p.wait(30) == 0
print(("ok - " if good else "not ok - ") + "server=off (-qmp unix:PATH): rasvm connects to the listening client, which drives it")
PY

# 10. What rasvm refuses, with the reason.
run_rasvm run --qmp tcp:example.org:4445,server=on
expect_rc "--qmp with a host name" 64
expect_has "--qmp with a host name" err "not a numeric address"
run_rasvm run --qmp unix:/tmp/x,wait=off
expect_rc "--qmp wait with server=off" 64
expect_has "--qmp wait with server=off" err "'wait' option is incompatible with socket in client connect mode"
run_rasvm run --qmp tcp::4445,server=on,reconnect=1
expect_has "--qmp reconnect=" err "rasvm does not support 'reconnect=1'"
run_rasvm run --qmp stdio
expect_has "--qmp stdio" err "only on unix: and tcp: sockets"
run_rasvm run --name 'bad"name'
expect_rc "--name with a quote" 64
run_rasvm run --metrics "$TMP/m.prom,interval=0"
expect_rc "--metrics interval 0" 64
finish
