# Verifies rasvm's sandbox: once the VM is built, a call outside a thread's allow-list is
# refused (EPERM, counted, logged) while the VM keeps running: the vCPU thread (the guest's
# side: device emulation) cannot open a file, the control socket's thread cannot start a
# process. With --sandbox off both are allowed; strict ends rasvm on the first refusal; bad
# values are refused. Every other test runs rasvm with RASVM_SANDBOX=strict (tests/lib.sh).
. "$(dirname "$0")/../lib.sh"
require_kvm

probe() { # MODE: run the wait scenario, try both threads, quit
	local sock=$TMP/sb.qmp
	rm -f "$sock"
	(cd "$TMP" && RASVM_SANDBOX=$1 exec "$RASVM" run --scenario wait --qmp "$sock") >"$TMP/out" 2>"$TMP/err" &
	local pid=$!
	python3 - "$sock" >"$TMP/probe" <<'PY'
import os, sys
sys.path.insert(0, os.environ["ROOT"] + "/tests")
from qmp_client import connect
c = connect(sys.argv[1])
for t in ("vcpu", "control"):
    r = c.cmd("x-sandbox-test", {"thread": t})
    print(t, r.get("return", {}).get("result", r))
print("status", c.cmd("query-status")["return"]["status"])
c.cmd("quit")
PY
	reap "$pid"
}

probe on
expect_rc "sandbox on" 0
expect_has "sandbox on" probe "vcpu refused"
expect_has "sandbox on" probe "control refused"
expect_has "sandbox on: the VM keeps running" probe "status running"
expect_has "sandbox on" err "sandbox: refused system call"
expect_has "sandbox on" err "on the vCPU thread"
expect_has "sandbox on" err "on the control socket thread"
expect_has "sandbox on" err "sandbox: 2 system call(s) refused during the run"

probe off
expect_rc "sandbox off" 0
expect_has "sandbox off" probe "vcpu allowed"
expect_has "sandbox off" probe "control allowed"
expect_lacks "sandbox off" err "refused"

probe strict
expect_rc "sandbox strict: the first refusal ends rasvm" 70
expect_has "sandbox strict" err "sandbox: strict mode: ending"

run_rasvm run --sandbox maybe
expect_rc "--sandbox maybe" 64
expect_has "--sandbox maybe" err "--sandbox takes on, off or strict"
RASVM_SANDBOX=yes run_rasvm run
expect_rc "RASVM_SANDBOX=yes" 64
expect_has "RASVM_SANDBOX=yes" err "RASVM_SANDBOX='yes': use on, off or strict"
finish
