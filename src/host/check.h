/* SPDX-License-Identifier: MIT */
/* `rasvm check-host`: what this host's KVM offers for guest RAS, probed, not assumed. Each
 * architecture has its own (src/kvm/x86/check.c, src/kvm/arm64/check.c). */
#ifndef RASVM_HOST_CHECK_H
#define RASVM_HOST_CHECK_H

#include <stdbool.h>

/* Print the report (text or JSON); returns 0, or EXIT_NO_KVM when something required is missing. */
int host_check(bool json);

/* A probe's answer in the report: > 0 yes, 0 no, < 0 not probed. */
static inline const char *check_yn(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "not probed";
}

#endif
