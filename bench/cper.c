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

static volatile size_t sink;

int main(void)
{
	static uint8_t block[4096];
	static char text[4096];
	const struct cper_time t = { 2026, 11, 21, 12, 0, 0, true };
	double enc[5], chk[5], dec[5];

	for (int round = 0; round < 5; round++) {
		unsigned long n = 0;
		double t0 = now(), t1;
		do {
			for (int i = 0; i < 1000; i++, n++) {
				struct cper_writer w;
				struct cper_mem_error e = { .physical_address = n << 12,
							    .address_mask = ~0xfffULL, .error_type = 3 };
				cper_begin(&w, block, sizeof(block));
				cper_add_memory(&w, 0, &e, &t);
				sink += (size_t)cper_finish(&w);
			}
		} while ((t1 = now()) - t0 < 0.5);
		enc[round] = (double)n / (t1 - t0);

		n = 0;
		t0 = now();
		do {
			for (int i = 0; i < 1000; i++, n++) {
				struct cper_block_info info;
				char why[128];
				if (cper_check(block, sizeof(block), sizeof(block), &info, why, sizeof(why)))
					return 1;
				sink += info.length;
			}
		} while ((t1 = now()) - t0 < 0.5);
		chk[round] = (double)n / (t1 - t0);

		n = 0;
		t0 = now();
		do {
			for (int i = 0; i < 1000; i++, n++) {
				struct cper_block_info info;
				char why[128];
				if (cper_check(block, sizeof(block), sizeof(block), &info, why, sizeof(why)))
					return 1;
				sink += cper_format(block, &info, 1, 0, text, sizeof(text));
			}
		} while ((t1 = now()) - t0 < 0.5);
		dec[round] = (double)n / (t1 - t0);
	}
	qsort(enc, 5, sizeof(double), cmp);
	qsort(chk, 5, sizeof(double), cmp);
	qsort(dec, 5, sizeof(double), cmp);
	printf("CPER memory records encoded: %.2f M/s (min %.2f, max %.2f)\n", enc[2] / 1e6, enc[0] / 1e6, enc[4] / 1e6);
	printf("CPER records checked with Linux's rules: %.2f M/s (min %.2f, max %.2f)\n", chk[2] / 1e6,
	       chk[0] / 1e6, chk[4] / 1e6);
	printf("CPER records checked and printed as Linux does: %.2f M/s (min %.2f, max %.2f)\n",
	       dec[2] / 1e6, dec[0] / 1e6, dec[4] / 1e6);
	return 0;
}
