/* SPDX-License-Identifier: MIT */
/* The boot-info page (BOOTINFO_* in include/rasvm/layout.h): how rasvm tells its guest the
 * vCPU count, RAM size and map, and which scenario to run. */
#ifndef RASVM_BOOTINFO_H
#define RASVM_BOOTINFO_H

#include <stdint.h>

#include "kvm/mem.h"

/* Fill the page at LAYOUT_BOOT_INFO; -EINVAL if RAM lacks it or the scenario is too long. */
int bootinfo_write(struct guest_mem *mem, unsigned cpus, const char *scenario, uint64_t rsdp,
		   unsigned resets);

/* Once the vCPUs exist: the MCG_CAP KVM really gave them (KVM may clear bits it does not
 * emulate, e.g. SER_P on AMD). */
int bootinfo_set_mcg_cap(struct guest_mem *mem, uint64_t mcg_cap);

#endif
