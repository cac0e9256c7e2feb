// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: any byte string as a snapshot or migration stream. Read as a restore
 * reads it: the preamble, the header (and the compatibility check against a made-up host and
 * against its own machine), then, for a machine small enough, every record through the same
 * loaders on an offline VM (guest RAM, the RAS state, vCPU and VM images, the serial port).
 * Nothing may read or write outside what it was given, allocate without a bound, or leave
 * the RAS accounting unbalanced after a load it accepted. The header text alone is parsed
 * too, and what parses must format and parse back to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ras/ras.h"
#include "state/header.h"
#include "state/load.h"
#include "state/offline.h"
#include "state/sections.h"
#include "state/stream.h"

static char text[HEADER_TEXT_MAX];

static void round_trip(const struct state_header *h)
{
	struct state_header again;
	char why[200];

	if (header_format(h, text, sizeof(text)))
		return;
	if (header_parse(text, strlen(text), &again, why, sizeof(why)))
		abort();
	again.ignored = h->ignored;
	if (memcmp(h, &again, sizeof(again)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state_header h;
	static struct offline_vm o;
	struct state_in in;
	struct compat c;
	char why[200];

	if (size > (1u << 20))
		return 0;
	/* The header text on its own (query-migrate-compat's argument). */
	if (header_parse((const char *)data, size, &h, why, sizeof(why)) == 0)
		round_trip(&h);

	/* The whole stream. */
	uint8_t *copy = malloc(size ? size : 1); /* exactly size bytes: ASan sees any overrun */
	memcpy(copy, data, size);
	in_init_mem(&in, copy, size);
	if (state_read_header(&in, &h) == 0) {
		round_trip(&h);
		struct state_host host = { .vendor = "GenuineIntel", .xsave_size = 4096, .mcg_cap_supported = ~0ULL,
					   .mce_banks = 32, .max_vcpus = 8, .ram = 1ULL << 30 };
		state_compat(&h, state_sections, state_nsections, &host, NULL, &c);
		state_compat(&h, state_sections, state_nsections, &host, &h, &c);
		/* Small machines only: the fuzzer should spend its time in the loaders. */
		if (h.memory <= (64u << 20) && h.cpus <= 4 && offline_vm_init(&o, &h, why, sizeof(why)) == 0) {
			struct state_load l;
			if (state_load_init(&l, &o.vm, &h) == 0) {
				if (state_load_records(&l, &in) == 0) {
					uint64_t reports, accounted;
					if (ras_check_invariant(o.vm.ras, &reports, &accounted))
						abort();
				}
				state_load_free(&l);
			}
		}
		offline_vm_free(&o);
	}
	in_free(&in);
	free(copy);
	return 0;
}
