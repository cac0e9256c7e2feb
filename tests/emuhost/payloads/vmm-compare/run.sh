#!/bin/sh
# Payload for tests/emuhost/run x86_64 (--hostroot, --out DIR): boots the Linux test kernel
# to init again and again inside the emulated x86 host under rasvm and under QEMU, taking
# turns, and counts the guests that died: a guest triple fault is an SVM shutdown exit in
# the emulated host's KVM (tracepoint kvm_exit, exit code 0x7f), and each is printed with
# the guest's rip and the exception it was delivering. It answers one question: is a guest
# triple fault in the emulated host rasvm's doing, or does it come with any VMM?
# (docs/linux.md, "The emulated x86 host"). Not a test: it exits 0 whatever it counts.
#
# Environment: KDIR (tests/linux/build-kernel's output), VMMS ("rasvm qemu"), N (boots per
# turn, 8), ROUNDS (2), STRESS=1 keeps the host moving guest pages meanwhile (compaction in
# a loop, khugepaged without pauses): more page-table changes under the guest; BUILD.
# The initramfs is $EMUHOST_OUT/probe.cpio (tests/linux/mkinitrd probe).
: "${VMMS:=rasvm qemu}" "${N:=8}" "${ROUNDS:=2}" "${STRESS:=0}" "${BUILD:=$EMUHOST_SRC/build}"
. "/host$EMUHOST_SRC/tests/emuhost/kvm-trace.sh"
kvm_trace_on || { echo "# vmm-compare: no KVM tracepoints in the emulated host"; exit 1; }
shutdowns() { kvm_trace_lines | grep -c 'kvm_exit:'; }
if [ "$STRESS" = 1 ]; then
	echo 0 >/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs
	echo 0 >/sys/kernel/mm/transparent_hugepage/khugepaged/alloc_sleep_millisecs
	(while :; do echo 1 >/proc/sys/vm/compact_memory; sleep 0.2; done) &
	stressor=$!
fi
for v in $VMMS; do eval "dead_$v=0 boots_$v=0"; done
for r in $(seq "$ROUNDS"); do
	for v in $VMMS; do
		before=$(shutdowns)
		inhost env RASVM="$BUILD/rasvm" python3 tests/emuhost/payloads/vmm-compare/boot.py \
			"$v" "$N" "$KDIR/vmlinux" "$EMUHOST_OUT/probe.cpio" "$EMUHOST_OUT"
		d=$(($(shutdowns) - before))
		eval "dead_$v=\$((dead_$v + d)) boots_$v=\$((boots_$v + N))"
		echo "# $v, round $r: $d guest triple fault(s) (SVM shutdown exits)"
	done
done
[ -n "${stressor:-}" ] && kill "$stressor"
kvm_trace_lines | sed 's/^ */# shutdown: /'
for v in $VMMS; do eval "echo \"# $v: \$dead_$v guest triple fault(s) in \$boots_$v boots\""; done
grep -E "^(pgmigrate_success|thp_collapse_alloc) " /proc/vmstat | sed 's/^/# host vmstat: /'
exit 0
