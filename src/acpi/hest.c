// SPDX-License-Identifier: MIT
#include "acpi/hest.h"

#include <errno.h>
#include <string.h>

#include "acpi/spec.h"

static const char *const names[RAS_SOURCES_MAX] = { "sync", "async", "polled" };

const char *ras_source_name(unsigned id)
{
	return id < RAS_SOURCES_MAX ? names[id] : "?";
}

int ras_sources_parse(const char *list, uint32_t *mask)
{
	uint32_t m = 0;

	if (!strcmp(list, "none")) {
		*mask = 0;
		return 0;
	}
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		unsigned id = 0;
		while (id < RAS_SOURCES_MAX && !(strlen(names[id]) == n && !strncmp(p, names[id], n)))
			id++;
		if (id == RAS_SOURCES_MAX)
			return -EINVAL;
		m |= 1u << id;
		p += n;
		if (*p == ',' && *++p == '\0')
			return -EINVAL; /* trailing comma */
	}
	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

int ras_sources_check(const struct ras_sources *s, const char **why)
{
	if (s->block_length < GHES_BLOCK_MIN || s->block_length > GHES_BLOCK_MAX ||
	    s->block_length % 8) {
		*why = "the error block length must be 1K to 64K and a multiple of 8 bytes";
		return -EINVAL;
	}
	if (s->poll_ms == 0 || s->poll_ms > GHES_POLL_MAX_MS) {
		*why = "the poll interval must be 1 to 3600000 ms";
		return -EINVAL;
	}
	if (s->records_max > (s->block_length - GESB_SIZE) / (GEDE_SIZE_V3 + MEM_SIZE)) {
		*why = "more records per block than fit the block";
		return -EINVAL;
	}
	return 0;
}

uint32_t ghes_records_per_block(const struct ras_sources *s)
{
	uint32_t fit = (s->block_length - GESB_SIZE) / (GEDE_SIZE_V3 + MEM_SIZE);
	return s->records_max && s->records_max < fit ? s->records_max : fit;
}

uint64_t ghes_region_size(const struct ras_sources *s)
{
	return GHES_REGION_BLOCKS + (uint64_t)RAS_SOURCES_MAX * s->block_length;
}

uint64_t ghes_address_register(uint64_t region, unsigned id)
{
	return region + 8ULL * id;
}

uint64_t ghes_ack_register(uint64_t region, unsigned id)
{
	return region + GHES_REGION_ACK_OFFSET + 8ULL * id;
}

uint64_t ghes_block(uint64_t region, const struct ras_sources *s, unsigned id)
{
	return region + GHES_REGION_BLOCKS + (uint64_t)id * s->block_length;
}

/* 18.3.2.8 GHESv2 entry for one source. */
static void put_ghes_v2(struct acpi_buf *b, const struct ras_sources *s, const struct hest_notify *n,
			uint64_t region, unsigned id)
{
	acpi_put16(b, GHES_TYPE_V2);                 /* Type */
	acpi_put16(b, (uint16_t)id);                 /* Source Id */
	acpi_put16(b, GHES_RELATED_NONE);            /* Related Source Id */
	acpi_put8(b, 0);                             /* Flags */
	acpi_put8(b, 1);                             /* Enabled */
	acpi_put32(b, 1);                            /* Number of Records To Pre-allocate */
	/* Max Sections Per Record: how many memory error entries rasvm puts into one block
	 * (--ras-block-records; QEMU writes 1). */
	acpi_put32(b, ghes_records_per_block(s));
	acpi_put32(b, s->block_length - GESB_SIZE);  /* Max Raw Data Length */
	acpi_put_gas(b, GAS_SPACE_SYSTEM_MEMORY, 64, 0, GAS_ACCESS_QWORD,
		     ghes_address_register(region, id)); /* Error Status Address */
	acpi_put8(b, n->type);                       /* Notification: Type */
	acpi_put8(b, NOTIFY_SIZE);                   /* Length */
	acpi_put16(b, 0);                            /* Configuration Write Enable */
	acpi_put32(b, n->type == NOTIFY_POLLED ? s->poll_ms : 0); /* Poll Interval */
	acpi_put32(b, n->vector);                    /* Vector */
	acpi_put32(b, 0);                            /* Switch To Polling Threshold Value */
	acpi_put32(b, 0);                            /* Switch To Polling Threshold Window */
	acpi_put32(b, 0);                            /* Error Threshold Value */
	acpi_put32(b, 0);                            /* Error Threshold Window */
	acpi_put32(b, s->block_length);              /* Error Status Block Length */
	acpi_put_gas(b, GAS_SPACE_SYSTEM_MEMORY, 64, 0, GAS_ACCESS_QWORD,
		     ghes_ack_register(region, id));  /* Read Ack Register */
	acpi_put64(b, GHES_ACK_PRESERVE);            /* Read Ack Preserve */
	acpi_put64(b, GHES_ACK_WRITE);               /* Read Ack Write */
}

size_t hest_build(struct acpi_buf *b, const struct ras_sources *s,
		  const struct hest_notify notify[RAS_SOURCES_MAX], uint64_t region)
{
	size_t start = acpi_table_begin(b, "HEST", HEST_REVISION);
	uint32_t count = 0;

	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
		count += (s->mask >> id) & 1;
	acpi_put32(b, count); /* Error Source Count */
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
		if (s->mask & (1u << id))
			put_ghes_v2(b, s, &notify[id], region, id);
	acpi_table_end(b, start);
	return start;
}
