/* SPDX-License-Identifier: MIT */
/*
 * Which notification carries a host memory error to the guest. Pure: the decision depends
 * only on the policy, the kind of error, the published GHES sources and the guest's CPU
 * vendor, and is unit-tested as a table.
 *
 * Defaults (--ras both), chosen for what a Linux guest handles best:
 *  - action required (the guest touched the page; it must not continue unaware) goes by
 *    machine check: synchronous, precise, handled by do_machine_check()/memory_failure();
 *    on arm64, which has no machine checks, by the sync GHES source (SEA), which arm64
 *    Linux handles synchronously for the task that faulted;
 *  - action optional (the host found it first) goes to a GHES source: async (SCI, on arm64
 *    GSIV) if published, else polled, else sync (NMI; never SEA on arm64). Linux recovers
 *    the page without killing anything that has not touched it.
 */
#ifndef RASVM_RAS_POLICY_H
#define RASVM_RAS_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum ras_policy {
	RAS_POLICY_BOTH, /* AR by machine check, AO by GHES (default) */
	RAS_POLICY_MCE,  /* everything by machine check (AMD guests: AO is not injected) */
	RAS_POLICY_GHES, /* everything by GHES: AR to the sync (NMI) source */
	RAS_POLICY_OFF,  /* nothing reaches the guest; an AR stops the VM as other VMMs do */
};

enum ras_route {
	ROUTE_MCE,
	ROUTE_GHES_SYNC,
	ROUTE_GHES_ASYNC,
	ROUTE_GHES_POLLED,
	ROUTE_DROP,  /* AO the guest cannot be told: logged and counted; the page stays poisoned */
	ROUTE_FATAL, /* AR the guest cannot be told: the VM stops */
};

int ras_policy_parse(const char *s, enum ras_policy *p);
const char *ras_policy_name(enum ras_policy p);
const char *ras_route_name(enum ras_route r);
/* What the guest's machine takes (the guest argument of ras_route). */
#define RAS_GUEST_AMD   (1u << 0) /* x86 AMD: no action-optional machine check */
/* arm64: no machine checks, and the sync source is precise (SEA). ROUTE_MCE then means the
 * CPU's own error exception without a record (SEA for action required, SError for action
 * optional); action-optional errors never go to the sync source (Linux would take a record
 * there as action required for whatever task runs). */
#define RAS_GUEST_ARM64 (1u << 1)

/* sources: bit per enum ras_source_id that the HEST publishes; guest: RAS_GUEST_* bits. */
enum ras_route ras_route(enum ras_policy p, bool action_required, uint32_t sources, unsigned guest);

#endif
