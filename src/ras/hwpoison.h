/* SPDX-License-Identifier: MIT */
/*
 * Real host memory failure, where the kernel has it (CONFIG_MEMORY_FAILURE, CAP_SYS_ADMIN):
 * madvise(MADV_HWPOISON) makes the kernel treat a page as failed hardware, with the same
 * SIGBUS it sends for a real error (BUS_MCEERR_AO at once to early-kill processes, then
 * BUS_MCEERR_AR on the next access). The simulator (sim.c) stands in where it is missing.
 */
#ifndef RASVM_RAS_HWPOISON_H
#define RASVM_RAS_HWPOISON_H

#include <stddef.h>

/* 0 when MADV_HWPOISON would work here, else -errno (EINVAL: no memory-failure support,
 * EPERM: not allowed). Never poisons anything: it asks about a PROT_NONE page. */
int hwpoison_probe(void);
/* The same, as check-host says it: "works", or why not. */
const char *hwpoison_probe_describe(void);
/* Poison [hva, hva+len) for real, its pages populated first. 0 or -errno (EBUSY: the kernel
 * would not, e.g. a huge page it could not split). */
int hwpoison_inject(void *hva, size_t len);

#endif
