// SPDX-License-Identifier: MIT
/*
 * CPER throughput: memory error records encoded (one record per block, as rasvm writes them
 * into a GHES block), checked with Linux's rules, and checked plus printed as Linux prints
 * them, per second; each over about half a second, median of five rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "acpi/cper.h"

static uint8_t block[4096];
static char text[4096];
static volatile size_t sink;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void encode(unsigned long n)
{
	static const struct cper_time t = { 2026, 11, 21, 12, 0, 0, true };
	struct cper_writer w;
	struct cper_mem_error e = { .physical_address = n << 12, .address_mask = ~0xfffULL, .error_type = 3 };

	cper_begin(&w, block, sizeof(block));
	cper_add_memory(&w, 0, &e, &t);
	sink += (size_t)cper_finish(&w);
}

static void check(unsigned long n)
{
	struct cper_block_info info;
	char why[128];

	(void)n;
	if (cper_check(block, sizeof(block), sizeof(block), &info, why, sizeof(why)))
		abort();
	sink += info.length;
}

static void check_and_print(unsigned long n)
{
	struct cper_block_info info;
	char why[128];

	(void)n;
	if (cper_check(block, sizeof(block), sizeof(block), &info, why, sizeof(why)))
		abort();
	sink += cper_format(block, &info, 1, 0, text, sizeof(text));
}

/* Operations per second: median of five rounds of half a second. */
static void report(const char *what, void (*op)(unsigned long))
{
	double rate[5];

	for (int round = 0; round < 5; round++) {
		unsigned long n = 0;
		double t0 = now(), t1;
		do {
			for (int i = 0; i < 1000; i++)
				op(n++);
		} while ((t1 = now()) - t0 < 0.5);
		rate[round] = (double)n / (t1 - t0);
	}
	qsort(rate, 5, sizeof(double), cmp);
	printf("%s: %.2f M/s (min %.2f, max %.2f)\n", what, rate[2] / 1e6, rate[0] / 1e6, rate[4] / 1e6);
}

int main(void)
{
	report("CPER memory records encoded", encode);
	report("CPER records checked with Linux's rules", check);
	report("CPER records checked and printed as Linux does", check_and_print);
	return 0;
}
