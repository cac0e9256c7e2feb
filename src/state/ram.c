// SPDX-License-Identifier: MIT
/* Guest RAM in the stream (see ram.h). */
#include "state/ram.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "le.h"
#include "ras/sim.h"
#include "rasvm/layout.h"
#include "state/stream.h"
#include "vm.h"

#define PAGE 4096ULL
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)

static int fail(struct ram_out *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ram_out *r, int err, const char *fmt, ...)
{
	va_list ap;

	if (!r->err) {
		r->err = err;
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
	}
	return r->err;
}

int ram_out_init(struct ram_out *r, struct vm *vm, struct state_out *o)
{
	memset(r, 0, sizeof(*r));
	r->vm = vm;
	r->o = o;
	r->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (page_bits_init(&r->has_data, vm->mem.size / PAGE) ||
	    page_bits_init(&r->poison_sent, vm->mem.size / PAGE)) {
		ram_out_free(r);
		return -ENOMEM;
	}
	return 0;
}

void ram_out_free(struct ram_out *r)
{
	if (r->pagemap >= 0)
		close(r->pagemap);
	r->pagemap = -1;
	page_bits_free(&r->has_data);
	page_bits_free(&r->poison_sent);
}

uint64_t ram_page_hash(const void *page)
{
	const uint8_t *p = page;
	uint64_t h = 0;

	/* Multiply-xor over the words: 0 for zeros, and any one word changed changes it. */
	for (unsigned i = 0; i < PAGE; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

static bool page_zero(const uint8_t *p)
{
	uint64_t acc = 0;
	for (unsigned i = 0; i < PAGE; i += 64) {
		uint64_t w[8];
		memcpy(w, p + i, 64);
		acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
		if (acc)
			return false;
	}
	return true;
}

unsigned ram_read_pages(struct vm *vm, uint64_t first, unsigned npages, uint8_t *dst)
{
	struct iovec local = { dst, npages * PAGE };
	struct iovec remote = { vm->mem.hva + first * PAGE, npages * PAGE };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	return n <= 0 ? 0 : (unsigned)((uint64_t)n / PAGE);
}

static uint64_t gpa_of(const struct vm *vm, uint64_t idx)
{
	uint64_t gpa = 0;
	mem_hva_to_gpa(&vm->mem, vm->mem.hva + idx * PAGE, &gpa);
	return gpa;
}

static bool in_error_region(uint64_t gpa)
{
	return gpa >= LAYOUT_ERROR_REGION && gpa < LAYOUT_ERROR_REGION_END;
}

/* Is the page bad for rasvm to read? rasvm's own GHES pages never are: it replaced any that
 * went bad (ras.c firmware_page) and writes them itself. */
static bool bad_page(const struct vm *vm, uint64_t idx)
{
	return page_bits_test(&vm->mem.bad, idx) && !in_error_region(gpa_of(vm, idx));
}

/* Read page idx (of a batch) into dst, giving rasvm's map time to learn that the page went
 * bad: the simulator marks a page a moment after taking it away, and a host's early SIGBUS
 * (action optional) reaches the map once the main thread has handled it. 1 read, 0 bad. A
 * page that stays unreadable is lost all the same: it goes as poisoned (counted in
 * unreadable), and the destination reports it when the guest next touches it. */
static int read_one(struct ram_out *r, uint64_t idx, uint8_t *dst)
{
	for (int tries = 0; tries < 250; tries++) {
		if (bad_page(r->vm, idx))
			return 0;
		if (ram_read_pages(r->vm, idx, 1, dst) == 1)
			return 1;
		if (tries % 10 == 9)
			vm_wake(r->vm); /* the main thread drains the SIGBUS queue */
		nanosleep(&(struct timespec){ .tv_nsec = tries < 50 ? 200000 : 4000000 }, NULL);
	}
	r->unreadable++;
	return 0;
}

struct record {
	uint8_t *idx_out, *data;
	unsigned count, ndata;
};

static void entry(struct record *rec, uint64_t gpa, enum ram_kind kind)
{
	le_put(rec->idx_out + 8 * rec->count++, gpa | kind, 8);
}

/* A page read into src (at or after the next data slot): data, or zero. */
static void take(struct ram_out *r, struct record *rec, uint64_t idx, uint8_t *src)
{
	uint64_t gpa = gpa_of(r->vm, idx);
	bool zero = page_zero(src);

	if (r->hash)
		r->hash[idx] = zero ? 0 : ram_page_hash(src);
	if (zero) {
		if (!page_bits_test(&r->has_data, idx))
			return; /* the destination has zeros there already */
		entry(rec, gpa, RAM_ZERO);
		r->zero_pages++;
		atomic_fetch_and(&r->has_data.word[idx / 64], ~(1ULL << (idx % 64)));
		return;
	}
	/* Keep the data dense: slots only ever move down over zero pages. */
	uint8_t *slot = rec->data + (size_t)rec->ndata * PAGE;
	if (slot != src)
		memmove(slot, src, PAGE);
	rec->ndata++;
	entry(rec, gpa, RAM_DATA);
	r->data_pages++;
	page_bits_set(&r->has_data, idx);
}

/* Is page i of the batch one to read (not bad, not known untouched)? */
static bool readable(struct ram_out *r, unsigned i, const uint64_t *pm, bool have_pm)
{
	return (r->force || !bad_page(r->vm, r->batch[i])) &&
	       !(have_pm && !(pm[i] & (PM_PRESENT | PM_SWAPPED)));
}

/* Write the batch out as one RAMP record (none when nothing in it needs sending). */
static int flush_batch(struct ram_out *r)
{
	unsigned n = r->nbatch;
	struct vm *vm = r->vm;
	uint64_t pm[RAM_PAGES_PER_RECORD];
	bool have_pm = false;

	r->nbatch = 0;
	if (!n || r->err)
		return r->err;
	/* Presence from pagemap (one read per run of neighbouring pages): a page never touched
	 * (or given back) is zero without a read. */
	if (r->pagemap >= 0 && !r->force) {
		have_pm = true;
		for (unsigned i = 0, run; i < n && have_pm; i += run) {
			for (run = 1; i + run < n && r->batch[i + run] == r->batch[i] + run; run++)
				;
			off_t off = (off_t)(((uintptr_t)vm->mem.hva / PAGE + r->batch[i]) * 8);
			have_pm = pread(r->pagemap, &pm[i], run * 8, off) == (ssize_t)(run * 8);
		}
	}
	out_begin(r->o, TAG_RAM, RAMP_VERSION, 0);
	uint8_t *hdr = out_reserve(r->o, 8 + (size_t)n * 8);
	uint8_t *data = out_reserve(r->o, (size_t)n * PAGE);
	if (!hdr || !data)
		return fail(r, r->o->err ? r->o->err : -ENOMEM, "%s", r->o->why);
	struct record rec = { .idx_out = hdr + 8, .data = data };
	for (unsigned i = 0; i < n;) {
		uint64_t idx = r->batch[i];
		if (!readable(r, i, pm, have_pm)) {
			if (!r->force && bad_page(vm, idx)) {
				page_bits_set(&r->poison_sent, idx);
				entry(&rec, gpa_of(vm, idx), RAM_POISONED);
				r->poisoned_pages++;
			} else if (page_bits_test(&r->has_data, idx)) {
				entry(&rec, gpa_of(vm, idx), RAM_ZERO);
				r->zero_pages++;
				atomic_fetch_and(&r->has_data.word[idx / 64], ~(1ULL << (idx % 64)));
				if (r->hash)
					r->hash[idx] = 0;
			}
			i++;
			continue;
		}
		/* A run of neighbouring pages in one read, into the free slots. */
		unsigned run = 1;
		while (i + run < n && r->batch[i + run] == idx + run && readable(r, i + run, pm, have_pm))
			run++;
		uint8_t *base = data + (size_t)rec.ndata * PAGE;
		unsigned got = ram_read_pages(vm, idx, run, base);
		for (unsigned k = 0; k < got; k++)
			take(r, &rec, r->batch[i + k], base + (size_t)k * PAGE);
		i += got;
		if (got == run)
			continue;
		/* Page i could not be read: bad by now (or about to be marked so), or an error. */
		uint8_t *slot = data + (size_t)rec.ndata * PAGE;
		int k = read_one(r, r->batch[i], slot);
		if (k) {
			take(r, &rec, r->batch[i], slot);
		} else {
			page_bits_set(&r->poison_sent, r->batch[i]);
			entry(&rec, gpa_of(vm, r->batch[i]), RAM_POISONED);
			r->poisoned_pages++;
		}
		i++;
	}
	if (!rec.count) {
		out_abandon(r->o);
		return 0;
	}
	le_put(hdr, rec.count, 4);
	le_put(hdr + 4, 0, 4);
	/* The index was reserved for n entries and the data for n pages: close the gaps (none
	 * when every page of the batch went with its bytes). */
	if (rec.idx_out + 8 * (size_t)rec.count != data)
		memmove(rec.idx_out + 8 * (size_t)rec.count, data, (size_t)rec.ndata * PAGE);
	out_unreserve(r->o, (size_t)(n - rec.count) * 8 + (size_t)(n - rec.ndata) * PAGE);
	out_end(r->o);
	r->records++;
	if (r->progress && r->records % 16 == 0)
		r->progress(r->progress_arg, r);
	return r->o->err ? fail(r, r->o->err, "%s", r->o->why) : 0;
}

static int add(struct ram_out *r, uint64_t idx)
{
	r->batch[r->nbatch++] = idx;
	return r->nbatch == RAM_PAGES_PER_RECORD ? flush_batch(r) : 0;
}

#define SCAN_CHUNK 4096 /* pages whose pagemap entries are read at once (32 KiB) */

int ram_send_all(struct ram_out *r)
{
	struct vm *vm = r->vm;
	/* On the heap, once per scan: as thread-local storage it was 32 KiB that glibc zeroes
	 * for every thread rasvm starts (each vCPU's, at start-up: 8 page faults on the way to
	 * the guest's first instruction). */
	uint64_t *pm = malloc(SCAN_CHUNK * sizeof(*pm));

	if (!pm)
		return fail(r, -ENOMEM, "out of memory for the RAM scan");

	for (unsigned i = 0; i < vm->mem.nregions && !r->err; i++) {
		const struct mem_region *reg = &vm->mem.region[i];
		uint64_t base = (uint64_t)(reg->hva - vm->mem.hva) / PAGE, pages = reg->size / PAGE;
		for (uint64_t p = 0; p < pages && !r->err; p += SCAN_CHUNK) {
			uint64_t k = pages - p < SCAN_CHUNK ? pages - p : SCAN_CHUNK;
			off_t off = (off_t)(((uintptr_t)vm->mem.hva / PAGE + base + p) * 8);
			bool have = r->pagemap >= 0 && pread(r->pagemap, pm, k * 8, off) == (ssize_t)(k * 8);
			for (uint64_t j = 0; j < k && !r->err; j++) {
				uint64_t idx = base + p + j;
				/* Untouched pages the destination holds nothing for cost nothing. */
				if (have && !(pm[j] & (PM_PRESENT | PM_SWAPPED)) && !page_bits_test(&vm->mem.bad, idx) &&
				    !page_bits_test(&r->has_data, idx))
					continue;
				add(r, idx);
			}
		}
	}
	free(pm);
	return flush_batch(r);
}

int ram_send_set(struct ram_out *r, const struct page_bits *pages)
{
	for (uint64_t p = page_bits_next(pages, 0); p < pages->pages && !r->err; p = page_bits_next(pages, p + 1)) {
		uint64_t gpa;
		if (mem_hva_to_gpa(&r->vm->mem, r->vm->mem.hva + p * PAGE, &gpa))
			add(r, p);
	}
	return flush_batch(r);
}

int ram_send_poisoned(struct ram_out *r, uint64_t *count)
{
	const struct page_bits *bad = &r->vm->mem.bad;
	uint64_t before = r->poisoned_pages;

	for (uint64_t p = page_bits_next(bad, 0); p < bad->pages && !r->err; p = page_bits_next(bad, p + 1))
		if (!page_bits_test(&r->poison_sent, p) && bad_page(r->vm, p))
			add(r, p);
	flush_batch(r);
	if (count)
		*count = r->poisoned_pages - before;
	return r->err;
}

int ram_send_range(struct ram_out *r, uint64_t gpa, uint64_t len)
{
	flush_batch(r);
	r->force = true;
	for (uint64_t g = gpa & ~(PAGE - 1); g < gpa + len && !r->err; g += PAGE) {
		uint8_t *h = mem_gpa_to_hva(&r->vm->mem, g, PAGE);
		if (h)
			add(r, (uint64_t)(h - r->vm->mem.hva) / PAGE);
	}
	flush_batch(r);
	r->force = false;
	return r->err;
}

/* ---- The destination ---- */

int ram_in_init(struct ram_in *r, struct vm *vm)
{
	memset(r, 0, sizeof(*r));
	r->vm = vm;
	return page_bits_init(&r->poisoned, vm->mem.size / PAGE);
}

void ram_in_free(struct ram_in *r)
{
	page_bits_free(&r->poisoned);
}

int ram_load_record(struct ram_in *r, struct state_in *in)
{
	uint8_t hdr[8], idx[RAM_PAGES_PER_RECORD * 8];

	if (in->version != RAMP_VERSION)
		return in_fail(in, "RAMP record version %u: this rasvm reads version %u", in->version,
			       RAMP_VERSION);
	if (in->flags & STATE_MORE)
		return in_fail(in, "RAMP record flagged as continued: RAM records stand alone");
	if (in_raw(in, hdr, 8))
		return -1;
	uint32_t count = (uint32_t)le_get(hdr, 4);
	if (count == 0 || count > RAM_PAGES_PER_RECORD || le_get(hdr + 4, 4))
		return in_fail(in, "RAMP record %llu: %u pages (1 to %u allowed) or reserved bits set",
			       (unsigned long long)in->records, count, RAM_PAGES_PER_RECORD);
	if (in_raw(in, idx, (size_t)count * 8))
		return -1;
	uint64_t ndata = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t e = le_get(idx + 8 * i, 8), gpa = e & ~(PAGE - 1), kind = e & (PAGE - 1);
		if (kind > RAM_POISONED)
			return in_fail(in, "RAMP record %llu: page 0x%llx of unknown kind %llu",
				       (unsigned long long)in->records, (unsigned long long)gpa,
				       (unsigned long long)kind);
		if (!mem_gpa_to_hva(&r->vm->mem, gpa, PAGE))
			return in_fail(in, "RAMP record %llu: 0x%llx is not guest RAM of this VM",
				       (unsigned long long)in->records, (unsigned long long)gpa);
		ndata += kind == RAM_DATA;
	}
	if (in->left != ndata * PAGE)
		return in_fail(in, "RAMP record %llu: %zu bytes of data for %llu pages of data",
			       (unsigned long long)in->records, in->left, (unsigned long long)ndata);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t e = le_get(idx + 8 * i, 8), gpa = e & ~(PAGE - 1);
		uint8_t *h = mem_gpa_to_hva(&r->vm->mem, gpa, PAGE);
		switch (e & (PAGE - 1)) {
		case RAM_DATA:
			/* Straight into guest RAM: the VM has not run, and a damaged record (its CRC
			 * checked below) fails the load before it does. */
			if (in_raw(in, h, PAGE))
				return -1;
			r->data_pages++;
			break;
		case RAM_ZERO:
			memset(h, 0, PAGE);
			r->zero_pages++;
			break;
		default:
			page_bits_set(&r->poisoned, (uint64_t)(h - r->vm->mem.hva) / PAGE);
			r->poisoned_pages++;
			break;
		}
	}
	return in_crc_check(in);
}

unsigned ram_apply_poison(struct ram_in *r)
{
	struct vm *vm = r->vm;
	unsigned failed = 0;

	for (uint64_t p = page_bits_next(&r->poisoned, 0); p < r->poisoned.pages;
	     p = page_bits_next(&r->poisoned, p + 1)) {
		uint64_t gpa;
		if (!mem_hva_to_gpa(&vm->mem, vm->mem.hva + p * PAGE, &gpa) || in_error_region(gpa))
			continue; /* never sent so; and rasvm replaces its own pages */
		/* What the simulator does to a page it takes away (ras/sim.c), without the signal:
		 * PROT_NONE, and in rasvm's bad-page map, so rasvm never reads it either. */
		if (sim_poison(vm, gpa, false, 12))
			failed++;
	}
	return failed;
}
