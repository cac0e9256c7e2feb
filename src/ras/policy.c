// SPDX-License-Identifier: MIT
#include "ras/policy.h"

#include <errno.h>
#include <string.h>

#include "acpi/hest.h"

static const char *const policy_names[] = { "both", "mce", "ghes", "off" };

int ras_policy_parse(const char *s, enum ras_policy *p)
{
	for (unsigned i = 0; i < 4; i++) {
		if (!strcmp(s, policy_names[i])) {
			*p = (enum ras_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ras_policy_name(enum ras_policy p)
{
	return (unsigned)p < 4 ? policy_names[p] : "?";
}

const char *ras_route_name(enum ras_route r)
{
	static const char *const names[] = { "machine check", "GHES source 0 (sync)",
					     "GHES source 1 (async)", "GHES source 2 (polled)",
					     "dropped", "fatal" };
	return (unsigned)r < 6 ? names[r] : "?";
}

static bool has(uint32_t sources, enum ras_source_id id)
{
	return sources & (1u << id);
}

/* Asynchronous errors prefer the asynchronous source, then polling, then the sync one
 * (x86's NMI: Linux handles it asynchronously too; never arm64's SEA). */
static enum ras_route ghes_for_ao(uint32_t sources, unsigned guest)
{
	if (has(sources, RAS_SOURCE_ASYNC))
		return ROUTE_GHES_ASYNC;
	if (has(sources, RAS_SOURCE_POLLED))
		return ROUTE_GHES_POLLED;
	return has(sources, RAS_SOURCE_SYNC) && !(guest & RAS_GUEST_ARM64) ? ROUTE_GHES_SYNC : ROUTE_DROP;
}

/* Synchronous errors need a notification that interrupts now: NMI or SEA, else SCI/GSIV. */
static enum ras_route ghes_for_ar(uint32_t sources)
{
	if (has(sources, RAS_SOURCE_SYNC))
		return ROUTE_GHES_SYNC;
	return has(sources, RAS_SOURCE_ASYNC) ? ROUTE_GHES_ASYNC : ROUTE_FATAL;
}

enum ras_route ras_route(enum ras_policy p, bool action_required, uint32_t sources, unsigned guest)
{
	bool amd = guest & RAS_GUEST_AMD, arm64 = guest & RAS_GUEST_ARM64;

	switch (p) {
	case RAS_POLICY_MCE:
		/* AMD has no "action optional" machine check a guest would act on. */
		return action_required ? ROUTE_MCE : amd ? ROUTE_DROP : ROUTE_MCE;
	case RAS_POLICY_GHES:
		return action_required ? ghes_for_ar(sources) : ghes_for_ao(sources, guest);
	case RAS_POLICY_OFF:
		return action_required ? ROUTE_FATAL : ROUTE_DROP;
	case RAS_POLICY_BOTH:
	default:
		if (action_required && arm64 && ghes_for_ar(sources) != ROUTE_FATAL)
			return ghes_for_ar(sources);
		if (action_required)
			return ROUTE_MCE;
		if (ghes_for_ao(sources, guest) != ROUTE_DROP)
			return ghes_for_ao(sources, guest);
		return amd ? ROUTE_DROP : ROUTE_MCE;
	}
}
