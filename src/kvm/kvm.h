/* SPDX-License-Identifier: MIT */
/* /dev/kvm, the VM file descriptor and its memory slots. */
#ifndef RASVM_KVM_KVM_H
#define RASVM_KVM_KVM_H

#include <stdint.h>

#include "kvm/mem.h"

/* Constants newer than the build host's <linux/kvm.h> (Debian 12 ships 6.1 headers). */
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232 /* include/uapi/linux/kvm.h, Linux 6.8 */
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif

struct vm;

/* Open /dev/kvm read-write; -errno with a message naming what to do already logged. */
int kvm_open(void);
int kvm_check_extension(int fd, long cap);
/* KVM's maximum vCPUs per VM (KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS, else 4). */
unsigned kvm_max_vcpus(int kvm_fd);

/* 0 when KVM has cap, else a message naming it (logged) and -ENOTSUP. */
int kvm_require(int kvm_fd, long cap, const char *name);
/* Create the VM: its memory slots, then the machine's own parts (arch_vm_create). The
 * first boot takes the VM kvm_vm_prepare built, if it did. */
int kvm_vm_create(struct vm *vm);
/* Builds the first boot's VM on a helper thread while the main thread sets up the rest:
 * creating a VM, its memory slots, irqchip and PIT costs about half a millisecond on a nested
 * host, a quarter of exec to the guest's first instruction. vm->kvm_fd and vm->mem must be
 * set, and stay unchanged until kvm_vm_prepare_wait. Without a thread, the boot builds it. */
void kvm_vm_prepare(struct vm *vm);
/* Joins the helper (before the main thread confines itself: the helper is not confined). */
void kvm_vm_prepare_wait(struct vm *vm);
/* Joins the helper and closes a VM no boot took (start-up failed after kvm_vm_prepare). */
void kvm_vm_prepare_discard(struct vm *vm);
void kvm_vm_destroy(struct vm *vm);

#endif
