/* SPDX-License-Identifier: MIT */
/*
 * A throwaway VM for check-host's probes that must run guest code: one vCPU, 64 KiB of RAM in
 * one slot, its kvm_run mapped. The architecture's own set-up (x86: the TSS address; arm64:
 * KVM_ARM_VCPU_INIT) is the caller's, after probe_vm_create.
 */
#ifndef RASVM_KVM_PROBE_H
#define RASVM_KVM_PROBE_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_RAM_SIZE 0x10000

struct probe_vm {
	int vm, vcpu;
	uint8_t *ram;
	struct kvm_run *run;
	size_t run_size;
	const char *failed;   /* the step that failed (an ioctl's name), for the message */
};

/* RAM at ram_gpa, its slot with slot_flags (KVM_MEM_LOG_DIRTY_PAGES or 0). 0, or -errno with
 * p->failed naming the step; nothing is left to destroy then. */
int probe_vm_create(int kvm, struct probe_vm *p, uint64_t ram_gpa, uint32_t slot_flags);
void probe_vm_destroy(struct probe_vm *p);

#endif
