# Verifies rasvm on a standard KVM: tests of the KVM suite (tests/kvm/) run again inside
# an emulated x86_64 host (QEMU TCG with AMD SVM, Debian's own kernel and kvm-amd; see
# tests/emuhost/README.md), where guest code runs natively, SVM clears MCG_CAP.SER_P, and
# memory failure is real. Each test file runs in an emulated host of its own (a boot costs
# about 4 s) and becomes one line here: ok when it passed inside, not ok (with its failing
# checks) when it did not.
#
# The emulated host's own kernel is not always up to it: KVM on TCG's SVM once panicked
# inside KVM_RUN ("corrupted stack end detected inside scheduler", in the emulated Debian
# kernel, under hostile.sh's storm) and froze whole hosts in other runs (no test's own
# deadline fired, no lockup detector panicked; in ras.sh three times in about 30 runs of
# it). A test file whose host dies like that (harness exit 124 or 125: no result from
# inside) is run once more in a fresh host and says so; a second death fails it.
#
# By default only the files that hold the tests of what differs on a standard KVM run here:
# boot.sh and host.sh (SVM clears MCG_CAP.SER_P: the guest's effective MCG_CAP, read back)
# and ras.sh (a native access restarts: the repeat scenario's re-reports; 2 MiB granules
# under an AMD guest's policy); about 2 minutes. RASVM_EMU_KVM_SUITE=1 runs every file
# (about 14 minutes), RASVM_EMU_KVM_SUITE=0 none. Not every file by default: the emulated
# host itself now and then corrupts a running guest's vCPU, with QEMU as the VMM as well
# (tests/emuhost/payloads/vmm-compare; docs/testing.md), and in the heavy files (hostile.sh,
# migrate.sh) a whole run meets it often enough to fail CI for nothing of rasvm's.
#
# A file whose failure shows a guest triple fault the test did not ask for (rasvm's "guest
# triple fault" in its failing checks) is counted as that defect of the emulated host, as a
# host death is: said, and run once more in a fresh host; a second failure fails it.
. "$(dirname "$0")/../lib.sh"
require_kvm # not for the emulated host itself (TCG), but the suite it runs skips without it
# limit: the watchdog on each emulated host, in seconds. ras.sh takes about a minute there,
# but has frozen its whole host now and then (above); a short watchdog loses a few minutes
# to that, not fifteen, before the file runs again.
case ${RASVM_EMU_KVM_SUITE:-} in
0) echo "# skip: RASVM_EMU_KVM_SUITE=0"; exit 77 ;;
1) files=$(ls "$ROOT"/tests/kvm/*.sh) limit=900 ;;
"") files="$ROOT/tests/kvm/boot.sh $ROOT/tests/kvm/host.sh $ROOT/tests/kvm/ras.sh" limit=300 ;;
*) not_ok "RASVM_EMU_KVM_SUITE is '$RASVM_EMU_KVM_SUITE': 0 (none), 1 (every file) or unset (the default set)"; finish ;;
esac

# one NAME: tests/kvm/NAME.sh inside a fresh emulated host; sets $rc (the harness's exit) and
# leaves the host's console in $TMP/console.
one() {
	"$ROOT/tests/emuhost/run" x86_64 "$ROOT/tests/emuhost/payloads/kvm-suite.sh" --hostroot \
		--mem 6144 --timeout $limit --out "$TMP/emu" --env "BUILD=$BUILD" --env "FILTER=kvm/$1.sh" \
		--env TEST_TIMEOUT=$((limit - 60)) --append "softlockup_panic=1 hung_task_panic=1 sysctl.kernel.panic_on_rcu_stall=1" \
		>"$TMP/console" 2>&1
	rc=$?
}

mkdir -p "$TMP/emu"
# failures: the failing checks from inside, as TAP comments.
failures() { grep -a '^    not ok\|^    #' "$TMP/console" | sed 's/^   /#/' | head -60; }

for t in $files; do
	name=$(basename "$t" .sh)
	one "$name"
	if [ "$rc" = 77 ] && ! grep -q '^PASS \|^FAIL \|^SKIP ' "$TMP/console"; then
		grep -m1 '^# skip' "$TMP/console" || echo "# skip: the emulated x86 host cannot run here"
		exit 77
	fi
	# One more try in a fresh host for the emulated host's own failures (above).
	again=""
	if [ "$rc" = 124 ] || [ "$rc" = 125 ]; then
		again="the emulated host died without a result (harness exit $rc); its last words:"
		why=$(grep -a -m3 'Kernel panic\|BUG:\|TIMEOUT' "$TMP/console" | sed 's/^/#   /')
	elif grep -a -q '^FAIL ' "$TMP/console" && failures | grep -q "guest triple fault"; then
		again="a guest triple fault the test did not ask for, in the emulated host:"
		why=$(failures | grep "^# not ok\|guest triple fault" | head -6)
	fi
	if [ -n "$again" ]; then
		echo "# $name: $again"
		echo "$why"
		echo "# $name: run again in a fresh emulated host"
		one "$name"
	fi
	# tests/run's summary line from inside, as a TAP line here.
	line=$(grep -a -m1 '^PASS \|^FAIL \|^SKIP ' "$TMP/console")
	case $line in
	"PASS "*) ok "emulated x86 host: ${line#PASS }" ;;
	"SKIP "*) ok "emulated x86 host: ${line#SKIP } # SKIP" ;;
	"FAIL "*)
		not_ok "emulated x86 host: ${line#FAIL }"
		failures
		;;
	*)
		not_ok "emulated x86 host: tests/kvm/$name.sh gave no result (harness exit $rc)"
		tail -20 "$TMP/console" | sed 's/^/#   /'
		;;
	esac
done
finish
