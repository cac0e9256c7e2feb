# Verifies `rasvm check-host` reports every RAS capability in text and JSON from real probes
# (and whether KVM logs a guest's writes, which live migration pre-copies with),
# and that a user without access to /dev/kvm gets one message saying what to do and exit 69.
. "$(dirname "$0")/../lib.sh"
require_kvm

run_rasvm check-host
expect_rc "check-host" 0
for line in "KVM API version:              12" "machine-check banks" "supported MCG_CAP:" \
	"guest MCG_CAP (read back):    0x" \
	"MCE injection (X86_SET_MCE):  yes" "NMI injection (USER_NMI):     yes" \
	"rejects bad kvm_valid_regs" "rejects bad kvm_dirty_regs" "MADV_HWPOISON:" \
	"guest kernel (CPL0) speed:" "dirty page log:" "verdict:"; do
	expect_has "check-host" out "$line"
done
run_rasvm check-host --json
expect_rc "check-host --json" 0
if python3 - "$TMP/out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
need = ["kvm_api_version", "mce_banks", "mcg_cap", "mcg_ser_p", "guest_mcg_cap", "guest_mcg_ser_p",
        "x86_set_mce", "user_nmi",
        "irqchip", "vcpu_events", "sync_regs", "memory_fault_info", "valid_regs_einval",
        "dirty_regs_einval", "madv_hwpoison", "cpl0_mips", "cpl0_hardware_speed", "dirty_log",
        "dirty_ring_bytes", "ok"]
missing = [k for k in need if k not in r]
assert not missing, missing
assert r["kvm_api_version"] == 12 and r["mce_banks"] > 0 and r["cpl0_mips"] > 0, r
PY
then ok "check-host --json is valid JSON with every field"; else not_ok "check-host --json"; fi

# Without permission on /dev/kvm (root drops to 'nobody' to see what a normal user sees).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ "$(stat -c %a /dev/kvm)" != 666 ]; then
	install -m 755 -d "$TMP/bin" && install -m 755 "$RASVM" "$TMP/bin/rasvm"
	chmod 755 "$TMP"
	for cmd in "run" "check-host"; do
		(cd "$TMP" && exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$TMP/bin/rasvm" $cmd) >"$TMP/out" 2>"$TMP/err"
		rc=$?
		expect_rc "$cmd without /dev/kvm permission" 69
		expect_has "$cmd without /dev/kvm permission" err "no permission to open /dev/kvm: add your user to the 'kvm' group"
	done
else
	echo "ok - no-permission case # SKIP needs root, setpriv and a /dev/kvm not open to all"
fi
finish
