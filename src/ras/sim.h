/* SPDX-License-Identifier: MIT */
/*
 * The host poison simulator, for hosts without memory-failure support (like this project's
 * test machines): it plays the host kernel. Poisoning a page makes it inaccessible to the
 * guest (PROT_NONE under KVM); the guest's next access traps to rasvm (an MMIO exit at the
 * page's GPA here, KVM_RUN failing with EFAULT on other hosts) and the simulator then sends
 * that vCPU thread a real SIGBUS BUS_MCEERR_AR with rt_tgsigqueueinfo, exactly as the kernel
 * would. Action-optional poison is signalled at once with BUS_MCEERR_AO. So everything after
 * the signal is the production path.
 *
 * Its pages are a bitmap (lock-free lookups on every unclaimed MMIO exit); a granule is
 * checked whole before anything changes, so it is poisoned entirely or not at all.
 */
#ifndef RASVM_RAS_SIM_H
#define RASVM_RAS_SIM_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Before any thread starts (after the guest RAM layout). 0 or -ENOMEM. */
int sim_init(struct vm *vm);
/* Poison the 2^lsb-byte host granule holding gpa (12: one page, 21: a 2 MiB huge page, up to
 * 30). ao: also signal BUS_MCEERR_AO now, naming the granule. 0, or -EINVAL (lsb), -EFAULT
 * (not all guest RAM), -EBUSY (it covers rasvm's GHES registers or status blocks), or the
 * errno of mprotect. */
int sim_poison(struct vm *vm, uint64_t gpa, bool ao, unsigned lsb);
/* What sim_poison would answer, without poisoning anything (mprotect aside). */
int sim_check(struct vm *vm, uint64_t gpa, unsigned lsb);
/* The guest touched gpa: if the simulator poisoned it, signal BUS_MCEERR_AR to this (vCPU)
 * thread as a guest access and return true. */
bool sim_touch(struct vm *vm, uint64_t gpa);
/* KVM_RUN failed with EFAULT without saying where: signal AR for the pages poisoned for
 * action required (the guest's access was to be expected there), or when there are none for
 * every poisoned page; false when nothing is poisoned (a real EFAULT). */
bool sim_touch_unknown(struct vm *vm);
/* Replace every poisoned page by fresh zeroed memory and forget them (guest reset). */
void sim_reset(struct vm *vm);
void sim_exit(struct vm *vm);

#endif
