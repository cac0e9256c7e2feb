// SPDX-License-Identifier: MIT
#include "kvm/mem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "rasvm/layout.h"

uint8_t *mem_map_ram(uint64_t size)
{
	if (size == 0 || size > UINT64_MAX - MEM_RAM_ALIGN) {
		errno = EINVAL;
		return NULL;
	}
	/* Over-reserve by the alignment (address space only) and give back both ends. */
	size_t len = (size_t)(size + MEM_RAM_ALIGN);
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint8_t *ram = (uint8_t *)(((uintptr_t)p + MEM_RAM_ALIGN - 1) & ~(uintptr_t)(MEM_RAM_ALIGN - 1));
	if (ram > p)
		munmap(p, (size_t)(ram - p));
	if (p + len > ram + size)
		munmap(ram + size, (size_t)(p + len - (ram + size)));
	return ram;
}

void mem_unmap_ram(uint8_t *hva, uint64_t size)
{
	if (hva)
		munmap(hva, (size_t)size);
}

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

void mem_layout_at(struct guest_mem *m, uint8_t *hva, uint64_t size, uint64_t gpa)
{
	m->size = size;
	m->low_size = size;
	m->hva = hva;
	m->nregions = 1;
	m->region[0] = (struct mem_region){ .gpa = gpa, .size = size, .hva = hva };
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

int page_bits_init(struct page_bits *b, uint64_t pages)
{
	size_t bytes = (size_t)((pages + 63) / 64 * 8);
	void *p = mmap(NULL, bytes ? bytes : 8, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -ENOMEM;
	*b = (struct page_bits){ .word = p, .pages = pages, .bytes = bytes ? bytes : 8 };
	return 0;
}

void page_bits_free(struct page_bits *b)
{
	if (b->word)
		munmap((void *)b->word, b->bytes);
	*b = (struct page_bits){ 0 };
}

bool page_bits_test(const struct page_bits *b, uint64_t page)
{
	return b->word && page < b->pages &&
	       (atomic_load_explicit(&b->word[page / 64], memory_order_acquire) >> (page % 64) & 1);
}

bool page_bits_set(struct page_bits *b, uint64_t page)
{
	if (!b->word || page >= b->pages)
		return false;
	uint64_t bit = 1ULL << (page % 64);
	return atomic_fetch_or_explicit(&b->word[page / 64], bit, memory_order_acq_rel) & bit;
}

void page_bits_clear_all(struct page_bits *b)
{
	/* Back to untouched zero pages: clearing stays as cheap as the map is sparse. */
	if (b->word && madvise((void *)b->word, b->bytes, MADV_DONTNEED) < 0)
		memset((void *)b->word, 0, b->bytes);
}

uint64_t page_bits_next(const struct page_bits *b, uint64_t page)
{
	while (b->word && page < b->pages) {
		uint64_t w = atomic_load(&b->word[page / 64]) >> (page % 64);
		if (w)
			return page + (uint64_t)__builtin_ctzll(w) < b->pages ? page + (uint64_t)__builtin_ctzll(w) : b->pages;
		page = (page / 64 + 1) * 64;
	}
	return b->pages;
}

int mem_track_init(struct guest_mem *m)
{
	if (page_bits_init(&m->bad, m->size / 4096))
		return -ENOMEM;
	if (page_bits_init(&m->written, m->size / 4096)) {
		page_bits_free(&m->bad);
		return -ENOMEM;
	}
	return 0;
}

void mem_track_free(struct guest_mem *m)
{
	page_bits_free(&m->bad);
	page_bits_free(&m->written);
}

/* Index of the page holding gpa in the host mapping, or UINT64_MAX if gpa is not RAM. */
static uint64_t page_index(const struct guest_mem *m, uint64_t gpa)
{
	const uint8_t *h = mem_gpa_to_hva(m, gpa, 1);
	return h ? (uint64_t)(h - m->hva) / 4096 : UINT64_MAX;
}

void mem_mark_bad(struct guest_mem *m, uint64_t gpa)
{
	uint64_t i = page_index(m, gpa);
	if (i != UINT64_MAX)
		page_bits_set(&m->bad, i);
}

bool mem_is_bad(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (!len)
		return false;
	if (len - 1 > UINT64_MAX - gpa)
		return true; /* wraps: no such range of RAM, treat as untouchable */
	uint64_t first = gpa & ~0xfffULL, last = (gpa + (len - 1)) & ~0xfffULL;
	for (uint64_t p = first;; p += 4096) {
		uint64_t i = page_index(m, p);
		if (i != UINT64_MAX && page_bits_test(&m->bad, i))
			return true;
		if (p == last)
			return false;
	}
}

void mem_clear_bad(struct guest_mem *m)
{
	page_bits_clear_all(&m->bad);
}

int mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, size_t len)
{
	const uint8_t *h = mem_gpa_to_hva(m, gpa, len);

	if (!h)
		return -EFAULT;
	if (mem_is_bad(m, gpa, len))
		return -EHWPOISON;
	memcpy(dst, h, len);
	return 0;
}

void mem_zero(const struct guest_mem *m, uint8_t *hva, size_t len)
{
	uintptr_t start = (uintptr_t)hva, end = start + len;
	uintptr_t first = (start + 4095) & ~(uintptr_t)4095, last = end & ~(uintptr_t)4095;

	if (!m->anon_private || first >= last || madvise((void *)first, last - first, MADV_DONTNEED) < 0) {
		memset(hva, 0, len);
		return;
	}
	memset(hva, 0, first - start);
	memset((void *)last, 0, end - last);
}

int mem_write(struct guest_mem *m, uint64_t gpa, const void *src, size_t len)
{
	uint8_t *h = mem_gpa_to_hva(m, gpa, len);

	if (!h)
		return -EFAULT;
	if (mem_is_bad(m, gpa, len))
		return -EHWPOISON;
	memcpy(h, src, len);
	if (len && atomic_load(&m->track_written))
		for (uint64_t p = (uint64_t)(h - m->hva) / 4096; p <= (uint64_t)(h + len - 1 - m->hva) / 4096; p++)
			page_bits_set(&m->written, p);
	return 0;
}
