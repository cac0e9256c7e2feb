/* SPDX-License-Identifier: MIT */
/* CLOCK_MONOTONIC in nanoseconds: the one clock rasvm times things with. */
#ifndef RASVM_CLOCK_H
#define RASVM_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
