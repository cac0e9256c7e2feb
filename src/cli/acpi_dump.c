// SPDX-License-Identifier: MIT
/* `rasvm acpi dump DIR`: the tables a VM with these options gets, one file each, and a text
 * description of the GHES error region; with --arch arm64 also the device tree and the EFI
 * tables of the arm64 machine. */
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
#include "platform_arm64.h"
#include "kvm/arch.h"
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

/* How each architecture notifies each source, and where its region is. */
struct region_text {
	uint64_t region;
	const char *memory;                      /* what the guest's memory map calls it */
	const char *notify[RAS_SOURCES_MAX];
	unsigned ged_irq;
};

static const struct region_text x86_text = {
	LAYOUT_ERROR_REGION, "e820 reserved",
	{ "NMI (type 4)", "SCI (type 3), raised by \\_SB.GED0 on GSI", "polled (type 0) every" },
	IRQ_GED,
};

static const struct region_text arm64_text = {
	LAYOUT_ARM64_ERROR_REGION, "EFI ACPI NVS, write-back",
	{ "SEA (type 8)", "GSIV (type 10), raised by \\_SB.GED0 on GSIV", "polled (type 0) every" },
	IRQ_ARM64_GED,
};

static void describe_region(FILE *f, const struct config *cfg, const struct region_text *t)
{
	const struct ras_sources *s = &cfg->ras;
	const uint64_t region = t->region;

	if (!s->mask) {
		fprintf(f, "no error sources (--ras-sources none): no HEST, no error region\n");
		return;
	}
	fprintf(f, "GHES error region [0x%08llx, 0x%08llx), %s, %u-byte blocks\n",
		(unsigned long long)region, (unsigned long long)(region + ghes_region_size(s)), t->memory,
		s->block_length);
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		if (!(s->mask & (1u << id))) {
			fprintf(f, "source %u %s: not published (its slots stay reserved)\n", id,
				ras_source_name(id));
			continue;
		}
		fprintf(f, "source %u %s: notification %s", id, ras_source_name(id), t->notify[id]);
		if (id == RAS_SOURCE_ASYNC)
			fprintf(f, " %u -> _EVT -> Notify(\\_SB.HED, 0x80)", t->ged_irq);
		if (id == RAS_SOURCE_POLLED)
			fprintf(f, " %u ms", s->poll_ms);
		fprintf(f, "\n  error-block-address register 0x%08llx = 0x%08llx\n",
			(unsigned long long)ghes_address_register(region, id),
			(unsigned long long)ghes_block(region, s, id));
		fprintf(f, "  read-ack register            0x%08llx = 1 (free); ack: preserve 0x%016llx, write 0x%llx\n",
			(unsigned long long)ghes_ack_register(region, id),
			(unsigned long long)GHES_ACK_PRESERVE, (unsigned long long)GHES_ACK_WRITE);
		fprintf(f, "  error status block           0x%08llx, %u bytes\n",
			(unsigned long long)ghes_block(region, s, id), s->block_length);
	}
}

/* The tables, one file each, and error-region.txt. */
static int write_tables(const struct config *cfg, const uint8_t *area, const struct acpi_tables *t,
			const struct region_text *text)
{
	if (write_file(cfg->path, "RSDP.dat", area + t->rsdp_off, RSDP_SIZE))
		return -1;
	for (unsigned i = 0; i < t->count; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%s.dat", t->table[i].sig);
		if (write_file(cfg->path, name, area + t->table[i].off, t->table[i].len))
			return -1;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/error-region.txt", cfg->path);
	FILE *f = fopen(path, "w");
	if (!f) {
		log_err("acpi dump: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	describe_region(f, cfg, text);
	return fclose(f) != 0 ? -1 : 0;
}

static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_err("acpi dump: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* The arm64 machine's firmware as it would sit in guest RAM from LAYOUT_ARM64_RAM. */
static int dump_arm64(const struct config *cfg)
{
	uint8_t *fw = calloc(1, ARM64_FIRMWARE_SIZE);
	struct arm64_firmware out;
	const struct arm64_boot boot = { 0 };
	int code = EXIT_OS;

	if (!fw)
		return EXIT_OS;
	int r = platform_arm64_build(cfg, &boot, fw, &out);
	if (r) {
		log_err("acpi dump: building the arm64 firmware failed: %s", strerror(-r));
		free(fw);
		return EXIT_INTERNAL;
	}
	const uint8_t *efi = fw + (LAYOUT_ARM64_EFI - LAYOUT_ARM64_RAM);
	if (!make_dir(cfg->path) &&
	    !write_tables(cfg, fw + (LAYOUT_ARM64_ACPI - LAYOUT_ARM64_RAM), &out.acpi, &arm64_text) &&
	    !write_file(cfg->path, "devicetree.dtb", fw + (LAYOUT_ARM64_DTB - LAYOUT_ARM64_RAM), out.dtb_len) &&
	    !write_file(cfg->path, "efi.bin", efi, out.efi_len))
		code = 0;
	free(fw);
	return code;
}

int cli_acpi_dump(const struct config *cfg)
{
	/* Without --arch: this binary's own machine. */
	if (cfg->arch == ACPI_ARCH_ARM64)
		return dump_arm64(cfg);
	if (!cfg->arch_given && arch_machine.acpi_arch == ACPI_ARCH_ARM64) {
		char err[256];
		if (config_check_machine(cfg, ACPI_ARCH_ARM64, err, sizeof(err))) {
			log_err("%s", err);
			return EXIT_USAGE;
		}
		return dump_arm64(cfg);
	}

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
	if (!make_dir(cfg->path) && !write_tables(cfg, area, &t, &x86_text))
		code = 0;
	free(area);
	return code;
}
