// SPDX-License-Identifier: MIT
/* `rasvm cper encode` and `rasvm cper decode`: the CPER library on files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acpi/cper.h"
#include "acpi/spec.h"
#include "cli/offline.h"
#include "exitcode.h"
#include "log.h"

/* Larger than any error status block (64 KiB) by far; bigger files are not CPER blocks. */
#define DECODE_MAX_FILE (1u << 20)

int cli_cper_encode(const struct config *cfg)
{
	size_t cap = GESB_SIZE + (size_t)cfg->cper_count * (GEDE_SIZE_V3 + MEM_SIZE);
	uint8_t *buf = malloc(cap);
	struct cper_writer w;
	/* SOURCE_DATE_EPOCH (reproducible-builds.org) pins the timestamp, for golden files. */
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	time_t now = epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
	struct tm tm;
	int code = EXIT_OS;

	if (!buf)
		return EXIT_OS;
	gmtime_r(&now, &tm);
	struct cper_time t = { .year = (unsigned)tm.tm_year + 1900, .month = (unsigned)tm.tm_mon + 1,
			       .day = (unsigned)tm.tm_mday, .hour = (unsigned)tm.tm_hour,
			       .minute = (unsigned)tm.tm_min, .second = (unsigned)tm.tm_sec,
			       .precise = true };
	cper_begin(&w, buf, cap);
	for (unsigned i = 0; i < cfg->cper_count; i++) {
		struct cper_mem_error e = {
			.physical_address = cfg->cper_gpa[i],
			.address_mask = ~((1ULL << cfg->cper_lsb) - 1),
			.error_type = cfg->cper_type,
		};
		cper_add_memory(&w, cfg->cper_severity, &e, &t);
	}
	int len = cper_finish(&w);
	if (len < 0) {
		log_err("cper encode: %s", strerror(-len));
		free(buf);
		return EXIT_INTERNAL;
	}
	FILE *f = fopen(cfg->path, "wb");
	if (!f || fwrite(buf, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0) {
		log_err("cper encode: cannot write %s: %s", cfg->path, strerror(errno));
	} else {
		printf("%s: %d bytes, %u memory error record(s)\n", cfg->path, len, cfg->cper_count);
		code = 0;
	}
	free(buf);
	return code;
}

int cli_cper_decode(const struct config *cfg)
{
	FILE *f = fopen(cfg->path, "rb");
	if (!f) {
		log_err("cper decode: cannot open %s: %s", cfg->path, strerror(errno));
		return EXIT_NO_INPUT;
	}
	uint8_t *buf = malloc(DECODE_MAX_FILE + 1);
	size_t len = buf ? fread(buf, 1, DECODE_MAX_FILE + 1, f) : 0;
	fclose(f);
	if (!buf)
		return EXIT_OS;
	if (len > DECODE_MAX_FILE) {
		log_err("cper decode: %s is larger than %u bytes; a GHES status block is at most 64 KiB",
			cfg->path, DECODE_MAX_FILE);
		free(buf);
		return EXIT_BAD_KERNEL;
	}
	struct cper_block_info info;
	char why[256];
	int r = cper_check(buf, len, cfg->block_length ? cfg->block_length : len, &info, why, sizeof(why));
	if (r) {
		log_err("cper decode: %s: invalid: %s", cfg->path, why);
		free(buf);
		return EXIT_BAD_KERNEL;
	}
	size_t need = cper_format(buf, &info, 1, cfg->source_id, NULL, 0) + 1;
	char *text = malloc(need);
	if (text) {
		cper_format(buf, &info, 1, cfg->source_id, text, need);
		fputs(text, stdout);
	}
	if ((info.block_status >> GESB_ENTRY_COUNT_SHIFT & GESB_ENTRY_COUNT_MAX) != info.entries)
		log_warn("cper decode: block_status counts %u entries, the block holds %u",
			 info.block_status >> GESB_ENTRY_COUNT_SHIFT & GESB_ENTRY_COUNT_MAX, info.entries);
	free(text);
	free(buf);
	return text ? 0 : EXIT_OS;
}
