# Sourced by payloads (with --hostroot, as /host$EMUHOST_SRC/tests/emuhost/kvm-trace.sh): the
# emulated host's KVM tracepoints that say where a guest was when it shut down (a triple
# fault: KVM resets the vCPU before the VMM can look), filtered, cheap enough to leave on.
KVM_TRACE=/sys/kernel/tracing

# kvm_trace_on [inj]: SVM shutdown exits (exit code 0x7f, AMD APM vol. 2, appendix C); with
# "inj", also every exception KVM itself injects. 1 when the tracepoints are not there.
kvm_trace_on() {
	[ -d $KVM_TRACE/events/kvm ] || mount -t tracefs nodev $KVM_TRACE 2>/dev/null
	[ -w $KVM_TRACE/events/kvm/kvm_exit/filter ] || return 1
	echo 1024 >$KVM_TRACE/buffer_size_kb
	echo "exit_reason == 0x7f" >$KVM_TRACE/events/kvm/kvm_exit/filter
	echo 1 >$KVM_TRACE/events/kvm/kvm_exit/enable
	[ "${1:-}" = inj ] && echo 1 >$KVM_TRACE/events/kvm/kvm_inj_exception/enable
	echo 1 >$KVM_TRACE/tracing_on
}

# kvm_trace_lines: the trace's lines so far.
kvm_trace_lines() { grep -E 'kvm_exit:|kvm_inj_exception:' $KVM_TRACE/trace 2>/dev/null; }
