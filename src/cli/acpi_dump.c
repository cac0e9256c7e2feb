// SPDX-License-Identifier: MIT
/* `rasvm acpi dump DIR`: the tables a VM with these options gets, one file each, and a text
 * description of the GHES error region. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acpi/spec.h"
#include "cli/offline.h"
#include "exitcode.h"
#include "log.h"
#include "platform.h"
#include "rasvm/layout.h"

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		log_err("acpi dump: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void describe_region(FILE *f, const struct config *cfg)
{
	const struct ras_sources *s = &cfg->ras;
	static const char *const notify[RAS_SOURCES_MAX] = {
		"NMI (type 4)", "SCI (type 3), raised by \\_SB.GED0 on GSI", "polled (type 0) every" };

	if (!s->mask) {
		fprintf(f, "no error sources (--ras-sources none): no HEST, no error region\n");
		return;
	}
	fprintf(f, "GHES error region [0x%08llx, 0x%08llx), e820 reserved, %u-byte blocks\n",
		(unsigned long long)LAYOUT_ERROR_REGION,
		(unsigned long long)(LAYOUT_ERROR_REGION + ghes_region_size(s)), s->block_length);
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		if (!(s->mask & (1u << id))) {
			fprintf(f, "source %u %s: not published (its slots stay reserved)\n", id,
				ras_source_name(id));
			continue;
		}
		fprintf(f, "source %u %s: notification %s", id, ras_source_name(id), notify[id]);
		if (id == RAS_SOURCE_ASYNC)
			fprintf(f, " %u -> _EVT -> Notify(\\_SB.HED, 0x80)", IRQ_GED);
		if (id == RAS_SOURCE_POLLED)
			fprintf(f, " %u ms", s->poll_ms);
		fprintf(f, "\n  error-block-address register 0x%08llx = 0x%08llx\n",
			(unsigned long long)ghes_address_register(LAYOUT_ERROR_REGION, id),
			(unsigned long long)ghes_block(LAYOUT_ERROR_REGION, s, id));
		fprintf(f, "  read-ack register            0x%08llx = 1 (free); ack: preserve 0x%016llx, write 0x%llx\n",
			(unsigned long long)ghes_ack_register(LAYOUT_ERROR_REGION, id),
			(unsigned long long)GHES_ACK_PRESERVE, (unsigned long long)GHES_ACK_WRITE);
		fprintf(f, "  error status block           0x%08llx, %u bytes\n",
			(unsigned long long)ghes_block(LAYOUT_ERROR_REGION, s, id), s->block_length);
	}
}

int cli_acpi_dump(const struct config *cfg)
{
	size_t size = LAYOUT_ACPI_END - LAYOUT_ACPI_BASE;
	uint8_t *area = calloc(1, size);
	struct acpi_tables t;
	int code = EXIT_OS;

	if (!area)
		return EXIT_OS;
	int r = platform_build_acpi(cfg, area, &t);
	if (r) {
		log_err("acpi dump: building the tables failed: %s", strerror(-r));
		free(area);
		return EXIT_INTERNAL;
	}
	if (mkdir(cfg->path, 0755) < 0 && errno != EEXIST) {
		log_err("acpi dump: cannot create %s: %s", cfg->path, strerror(errno));
		goto out;
	}
	if (write_file(cfg->path, "RSDP.dat", area + t.rsdp_off, RSDP_SIZE))
		goto out;
	for (unsigned i = 0; i < t.count; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%s.dat", t.table[i].sig);
		if (write_file(cfg->path, name, area + t.table[i].off, t.table[i].len))
			goto out;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/error-region.txt", cfg->path);
	FILE *f = fopen(path, "w");
	if (!f) {
		log_err("acpi dump: cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	describe_region(f, cfg);
	if (fclose(f) != 0)
		goto out;
	code = 0;
out:
	free(area);
	return code;
}
