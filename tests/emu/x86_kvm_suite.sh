# Verifies rasvm on a standard KVM: the whole KVM test suite (tests/kvm/) runs again inside
# an emulated x86_64 host (QEMU TCG with AMD SVM, Debian's own kernel and kvm-amd; see
# tests/emuhost/README.md), where guest code runs natively, SVM clears MCG_CAP.SER_P, and
# memory failure is real. Each test file there becomes one line here: ok when it passed
# inside, not ok (with its failing checks) when it did not.
. "$(dirname "$0")/../lib.sh"
require_kvm # not for the emulated host itself (TCG), but the suite it runs skips without it
# Not in the default run for now: on the emulated AMD host some checks still fail (hostile.sh's
# port and MMIO sweep under injection ends in a guest triple fault now and then; qmp.sh's
# action-required injection expects its event before the guest's access, which real poison
# defers; see docs/testing.md). RASVM_EMU_KVM_SUITE=1 runs it.
if [ "${RASVM_EMU_KVM_SUITE:-0}" != 1 ]; then
	echo "# skip: open failures on the emulated AMD host (docs/testing.md); RASVM_EMU_KVM_SUITE=1 runs it"
	exit 77
fi

out=$TMP/emu
mkdir -p "$out"
"$ROOT/tests/emuhost/run" x86_64 "$ROOT/tests/emuhost/payloads/kvm-suite.sh" --hostroot \
	--mem 6144 --timeout 1500 --out "$out" --env "BUILD=$BUILD" --env TEST_TIMEOUT=600 >"$TMP/console" 2>&1
rc=$?
if [ "$rc" = 77 ]; then
	grep -m1 '^# skip' "$TMP/console" || echo "# skip: the emulated x86 host cannot run here"
	exit 77
fi
# tests/run's summary lines from inside, as TAP lines here.
while IFS= read -r line; do
	case $line in
	"PASS "*) ok "emulated x86 host: ${line#PASS }" ;;
	"SKIP "*) ok "emulated x86 host: ${line#SKIP } # SKIP" ;;
	"FAIL "*) not_ok "emulated x86 host: ${line#FAIL }" ;;
	"    not ok"* | "    #"*) echo "#${line#   }" ;;
	esac
done <"$TMP/console"
grep -q '^PASS \|^FAIL ' "$TMP/console" || { not_ok "emulated x86 host: no test ran (harness exit $rc)"; tail -20 "$TMP/console" | sed 's/^/#   /'; }
[ "$rc" = 0 ] || [ "$failed" = 1 ] || not_ok "emulated x86 host: the suite inside exited $rc"
finish
