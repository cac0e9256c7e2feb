// SPDX-License-Identifier: MIT
#include "kvm/mem.h"

#include <errno.h>

#include "rasvm/layout.h"

void mem_layout(struct guest_mem *m, uint8_t *hva, uint64_t size)
{
	uint64_t low = size < LAYOUT_MMIO_HOLE ? size : LAYOUT_MMIO_HOLE;

	m->size = size;
	m->low_size = low;
	m->hva = hva;
	m->nregions = 1;
	m->region[0] = (struct mem_region){ .gpa = 0, .size = low, .hva = hva };
	if (size > low) {
		m->region[1] = (struct mem_region){
			.gpa = LAYOUT_HIGH_RAM, .size = size - low, .hva = hva + low };
		m->nregions = 2;
	}
}

int mem_punch(struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa % 4096 || len % 4096 || len == 0 || m->nregions == MEM_MAX_REGIONS)
		return -EINVAL;
	for (unsigned i = 0; i < m->nregions; i++) {
		struct mem_region *r = &m->region[i];
		if (gpa <= r->gpa || gpa - r->gpa >= r->size || len >= r->size - (gpa - r->gpa))
			continue; /* a hole must leave RAM on both sides */
		struct mem_region tail = { .gpa = gpa + len, .size = r->gpa + r->size - (gpa + len),
					   .hva = r->hva + (gpa + len - r->gpa) };
		r->size = gpa - r->gpa;
		for (unsigned j = m->nregions; j > i + 1; j--)
			m->region[j] = m->region[j - 1];
		m->region[i + 1] = tail;
		m->nregions++;
		return 0;
	}
	return -EINVAL;
}

void *mem_gpa_to_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct mem_region *r = &m->region[i];

		/* Written so that no sum can overflow: gpa and len come from the guest. */
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

bool mem_hva_to_gpa(const struct guest_mem *m, const void *hva, uint64_t *gpa)
{
	const uint8_t *p = hva;

	for (unsigned i = 0; i < m->nregions; i++) {
		const struct mem_region *r = &m->region[i];

		if (p >= r->hva && (uint64_t)(p - r->hva) < r->size) {
			*gpa = r->gpa + (uint64_t)(p - r->hva);
			return true;
		}
	}
	return false;
}

static unsigned add(struct e820_entry *e, unsigned n, unsigned max, uint64_t addr, uint64_t size,
		    uint32_t type)
{
	if (n < max)
		e[n] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
	return n + 1;
}

unsigned mem_e820(const struct guest_mem *m, struct e820_entry *e, unsigned max)
{
	unsigned n = 0;

	/* Below 1 MiB: conventional RAM, then the legacy BIOS area that holds the ACPI tables. */
	n = add(e, n, max, 0, LAYOUT_LOW_RAM_END, E820_RAM);
	n = add(e, n, max, LAYOUT_FW_RESERVED, LAYOUT_KERNEL_MIN - LAYOUT_FW_RESERVED, E820_RESERVED);
	n = add(e, n, max, LAYOUT_KERNEL_MIN, m->low_size - LAYOUT_KERNEL_MIN, E820_RAM);
	if (m->size > m->low_size)
		n = add(e, n, max, LAYOUT_HIGH_RAM, m->size - m->low_size, E820_RAM);
	return n;
}
