/* SPDX-License-Identifier: MIT */
/*
 * KVM's dirty page log on guest RAM, for live migration's pre-copy (state/dirty.c). The
 * memory slots are the ones kvm_vm_create() registers: slot i is vm->mem.region[i].
 */
#ifndef RASVM_KVM_DIRTY_H
#define RASVM_KVM_DIRTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* Turn logging on or off for every slot (KVM_MEM_LOG_DIRTY_PAGES). 0 or -errno. */
int kvm_dirty_log_enable(struct vm *vm, bool on);
/* Fetch and clear slot's log: a bit per 4 KiB page of the region, 64-bit words. */
int kvm_dirty_log_get(struct vm *vm, unsigned slot, uint64_t *bitmap);
/* check-host: does this KVM log a guest's writes? Runs a guest that writes two pages and
 * reads the log back. 1 yes, 0 no (why says), -1 could not tell. */
int kvm_dirty_log_probe(int kvm_fd, char *why, size_t len);

#endif
