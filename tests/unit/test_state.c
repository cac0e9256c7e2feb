// SPDX-License-Identifier: MIT
/*
 * Verifies the snapshot and migration format without KVM: records and sections (a section
 * longer than a record spans several and reads back whole; every flipped bit and every
 * truncation of a stream is refused with a reason, never a crash); the compatibility header
 * (text round trip, bounded parsing, and each reason the check gives: format or section too
 * new, a section unknown or missing, CPU vendor and features, XSAVE size, machine-check
 * banks, memory, vCPUs, RAS configuration); guest RAM (data, untouched pages skipped, a page
 * rasvm knows bad sent as poisoned and never read, zero pages sent only where the destination
 * holds older bytes); and the RAS state with pages in every state, queued machine checks
 * and GHES records, a block awaiting its acknowledgement and the vCPUs' pending requests,
 * carried into a second VM exactly, after which the records still waiting are delivered.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <cmocka.h>

#include "acpi/spec.h"
#include "kvm/vcpu.h"
#include "le.h"
#include "ras/ras.h"
#include "ras/ras_state.h"
#include "rasvm/layout.h"
#include "state/header.h"
#include "state/offline.h"
#include "state/ram.h"
#include "state/sections.h"
#include "state/stream.h"

#define PAGE 4096u
#define TAG_TEST STATE_TAG('T', 'E', 'S', 'T')

/* ---- Records and sections ---- */

static void test_section_spans_records(void **state)
{
	struct state_out o;
	struct state_in in;
	size_t big = 3 * STATE_SECTION_CHUNK + 123;
	uint8_t *p = malloc(big), *q = malloc(big);

	(void)state;
	for (size_t i = 0; i < big; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(out_init(&o, -1), 0);
	out_preamble(&o);
	out_begin(&o, TAG_TEST, 3, 9);
	out_u32(&o, 0xdeadbeef);
	out_bytes(&o, p, big);
	out_u64(&o, 0x0123456789abcdefULL);
	out_end(&o);
	assert_int_equal(o.err, 0);
	assert_true(o.records >= 4); /* cut into records of about STATE_SECTION_CHUNK */

	in_init_mem(&in, o.buf, o.len);
	uint32_t fmt, v32;
	uint64_t v64;
	assert_int_equal(in_preamble(&in, &fmt), 0);
	assert_int_equal(fmt, STATE_FORMAT);
	assert_int_equal(in_header(&in), 0);
	assert_int_equal(in.tag, TAG_TEST);
	assert_int_equal(in.version, 3);
	assert_int_equal(in.instance, 9);
	assert_int_equal(in_section_begin(&in), 0);
	assert_int_equal(in_u32(&in, &v32), 0);
	assert_int_equal(v32, 0xdeadbeef);
	assert_int_equal(in_bytes(&in, q, big), 0);
	assert_memory_equal(p, q, big);
	assert_int_equal(in_u64(&in, &v64), 0);
	assert_true(v64 == 0x0123456789abcdefULL);
	assert_int_equal(in_section_end(&in), 0);
	in_free(&in);
	out_free(&o);
	free(p);
	free(q);
}

/* A small stream of two sections; read it all, 0 or -1. */
static int read_all(const uint8_t *b, size_t n, char *why, size_t wl)
{
	struct state_in in;
	uint32_t fmt, v;
	uint8_t buf[100];
	int r = -1;

	in_init_mem(&in, b, n);
	if (in_preamble(&in, &fmt) || in_header(&in) || in.tag != TAG_TEST || in_section_begin(&in) ||
	    in_bytes(&in, buf, sizeof(buf)) || in_section_end(&in) || in_header(&in) || in.tag != TAG_DONE ||
	    in_section_begin(&in) || in_u32(&in, &v) || in_section_end(&in))
		goto out;
	r = 0;
out:
	snprintf(why, wl, "%s", in.why[0] ? in.why : r ? "a record of another section" : "");
	in_free(&in);
	return r;
}
static void test_every_damage_refused(void **state)
{
	struct state_out o;
	uint8_t payload[100];
	char why[256];

	(void)state;
	memset(payload, 0x5a, sizeof(payload));
	assert_int_equal(out_init(&o, -1), 0);
	out_preamble(&o);
	out_begin(&o, TAG_TEST, 1, 0);
	out_bytes(&o, payload, sizeof(payload));
	out_end(&o);
	out_begin(&o, TAG_DONE, 1, 0);
	out_u32(&o, 1);
	out_end(&o);
	assert_int_equal(read_all(o.buf, o.len, why, sizeof(why)), 0);
	/* Every bit flipped, one at a time. */
	for (size_t bit = 0; bit < o.len * 8; bit++) {
		o.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		int r = read_all(o.buf, o.len, why, sizeof(why));
		o.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (r == 0)
			fail_msg("bit %zu flipped and the stream still reads", bit);
		assert_true(why[0] != '\0');
	}
	/* Every truncation. */
	for (size_t n = 0; n < o.len; n++) {
		if (read_all(o.buf, n, why, sizeof(why)) == 0)
			fail_msg("cut to %zu of %zu bytes and the stream still reads", n, o.len);
		assert_true(why[0] != '\0');
	}
	out_free(&o);
}

static void test_preamble(void **state)
{
	struct state_in in;
	uint32_t fmt;
	uint8_t p[16];

	(void)state;
	memcpy(p, STATE_MAGIC, 8);
	le_put(p + 8, STATE_FORMAT + 1, 4);
	le_put(p + 12, 0, 4);
	in_init_mem(&in, p, sizeof(p));
	assert_int_equal(in_preamble(&in, &fmt), -1);
	assert_non_null(strstr(in.why, "newer than this rasvm reads"));
	in_free(&in);
	memcpy(p, "ELF\x7f....", 8);
	in_init_mem(&in, p, sizeof(p));
	assert_int_equal(in_preamble(&in, &fmt), -1);
	assert_non_null(strstr(in.why, "not a rasvm snapshot"));
	in_free(&in);
	in_init_mem(&in, p, 3);
	assert_int_equal(in_preamble(&in, &fmt), -1);
	assert_non_null(strstr(in.why, "not a rasvm snapshot"));
	in_free(&in);
	/* A record longer than any record may be is refused before anything is read. */
	uint8_t s[16 + STATE_REC_HDR] = { 0 };
	memcpy(s, STATE_MAGIC, 8);
	le_put(s + 8, STATE_FORMAT, 4);
	le_put(s + 16, TAG_TEST, 4);
	le_put(s + 16 + 12, 0xffffffffu, 4);
	in_init_mem(&in, s, sizeof(s));
	assert_int_equal(in_preamble(&in, &fmt), 0);
	assert_int_equal(in_header(&in), -1);
	assert_non_null(strstr(in.why, "more than any record may hold"));
	in_free(&in);
}

/* ---- The header ---- */

static void layout_regions(struct state_header *h)
{
	struct guest_mem m;
	mem_layout(&m, (uint8_t *)0x7f0000000000ULL, h->memory); /* the layout only: never dereferenced */
	if (h->ras_sources)
		assert_int_equal(mem_punch(&m, LAYOUT_ERROR_REGION, 4096), 0);
	h->nregions = m.nregions;
	for (unsigned i = 0; i < m.nregions; i++) {
		h->region[i].gpa = m.region[i].gpa;
		h->region[i].size = m.region[i].size;
	}
}

static void make_header(struct state_header *h, uint64_t memory, unsigned cpus)
{
	memset(h, 0, sizeof(*h));
	h->format = STATE_FORMAT;
	strcpy(h->writer, "rasvm test;=%");
	for (unsigned i = 0; i < state_nsections; i++)
		h->section[h->nsections++] = (struct header_section){ state_sections[i].tag, state_sections[i].version };
	strcpy(h->vendor, "GenuineIntel");
	h->signature = 0x906ea;
	h->features[CPUW_1_ECX] = (1u << 20) | (1u << 28); /* sse4.2 avx */
	h->features[CPUW_7_0_EBX] = 1u << 5;               /* avx2 */
	h->xsave_size = 4096;
	h->mcg_cap = 0x100010a; /* 10 banks, CTL_P, SER_P */
	h->cpus = cpus;
	h->memory = memory;
	h->ras_sources = 7;
	h->ras_block = 4096;
	h->ras_poll_ms = 1000;
	h->ras_queue = 64;
	strcpy(h->ras_policy, "both");
	strcpy(h->scenario, "hold");
	strcpy(h->cmdline, "console=ttyS0 x=1;y=2 %");
	layout_regions(h);
}

static struct state_host host_like(const struct state_header *h)
{
	struct state_host host = { .xsave_size = 4096, .mcg_cap_supported = MCG_CTL_P | MCG_SER_P | MCG_LMCE_P,
				   .mce_banks = 32, .max_vcpus = 288, .ram = 64ULL << 30 };
	strcpy(host.vendor, h->vendor);
	memcpy(host.features, h->features, sizeof(host.features));
	return host;
}

static void test_header_round_trip(void **state)
{
	struct state_header h, back;
	char text[HEADER_TEXT_MAX], why[200];

	(void)state;
	make_header(&h, 128 << 20, 2);
	assert_int_equal(header_format(&h, text, sizeof(text)), 0);
	assert_int_equal(header_parse(text, strlen(text), &back, why, sizeof(why)), 0);
	assert_memory_equal(&h, &back, sizeof(h));
	/* A newer writer's extra key is ignored, and counted. */
	strcat(text, ";x-future=1");
	assert_int_equal(header_parse(text, strlen(text), &back, why, sizeof(why)), 0);
	assert_int_equal(back.ignored, 1);
	/* Malformed ones name the problem. */
	static const struct { const char *text, *why; } bad[] = {
		{ "", "lacks rasvm-migration" },
		{ "cpus=1", "must begin with rasvm-migration" },
		{ "rasvm-migration=1", "lacks sections" },
		{ "rasvm-migration=1;rasvm-migration=1", "given twice" },
		{ "rasvm-migration=0", "not a format version" },
		{ "rasvm-migration=99999999999", "not a format version" },
		{ "rasvm-migration=1;sections=VCPU", "not TAG.VERSION" },
		{ "rasvm-migration=1;sections=VCPU.1,VCPU.1", "listed twice" },
		{ "rasvm-migration=1;sections=vcpu.1", "not TAG.VERSION" },
		{ "rasvm-migration=1;memory=4095", "whole number of 4 KiB" },
		{ "rasvm-migration=1;regions=0x1:0x1000", "page-aligned" },
		{ "rasvm-migration=1;regions=0xfffffffffffff000:0x2000", "page-aligned" },
		{ "rasvm-migration=1;cpu-features=9.ecx:1", "unknown or too long" },
		{ "rasvm-migration=1;cpu-vendor=Intel", "12-character" },
		{ "rasvm-migration=1;kernel=%zz", "bad escape" },
		{ "rasvm-migration=1;kernel=a%00b", "bad escape" },
		{ "rasvm-migration=1;noequals", "is not KEY=VALUE" },
		{ "not a header", "must begin with rasvm-migration" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = header_parse(bad[i].text, strlen(bad[i].text), &back, why, sizeof(why));
		if (r != -EINVAL || !strstr(why, bad[i].why))
			fail_msg("'%s': %d '%s', expected '%s'", bad[i].text, r, why, bad[i].why);
	}
	/* An embedded NUL, and a header too long to be one. */
	assert_int_equal(header_parse("rasvm-migration=1\0x", 19, &back, why, sizeof(why)), -EINVAL);
	char *huge = malloc(HEADER_TEXT_MAX + 2);
	memset(huge, 'a', HEADER_TEXT_MAX + 1);
	assert_int_equal(header_parse(huge, HEADER_TEXT_MAX + 1, &back, why, sizeof(why)), -EINVAL);
	free(huge);
}

static bool has_reason(const struct compat *c, const char *text)
{
	for (unsigned i = 0; i < c->n; i++)
		if (strstr(c->reason[i], text))
			return true;
	return false;
}

static void test_compat_reasons(void **state)
{
	struct state_header h, local;
	struct state_host host;
	struct compat c;

	(void)state;
	make_header(&h, 128 << 20, 2);
	local = h;
	host = host_like(&h);
	state_compat(&h, state_sections, state_nsections, &host, &local, &c);
	assert_true(c.ok);
	assert_int_equal(c.n, 0);

	struct state_header t = h;
	t.format = STATE_FORMAT + 1;
	state_compat(&t, state_sections, state_nsections, &host, &local, &c);
	assert_false(c.ok);
	assert_true(has_reason(&c, "format version 2 is newer"));

	t = h;
	t.section[t.nsections++] = (struct header_section){ STATE_TAG('G', 'P', 'U', '0'), 1 };
	t.section[0].version = 7;
	state_compat(&t, state_sections, state_nsections, &host, &local, &c);
	assert_true(has_reason(&c, "section GPU0 is unknown"));
	assert_true(has_reason(&c, "section MACH version 7 is newer than this rasvm reads (1)"));

	t = h;
	t.nsections--; /* RASS is the last one */
	state_compat(&t, state_sections, state_nsections, &host, &local, &c);
	assert_true(has_reason(&c, "section RASS is missing"));

	struct state_host hh = host;
	hh.features[CPUW_7_0_EBX] = 0;
	hh.features[CPUW_1_ECX] &= ~(1u << 28);
	strcpy(hh.vendor, "AuthenticAMD");
	hh.xsave_size = 2048;
	hh.mce_banks = 6;
	hh.mcg_cap_supported = MCG_CTL_P;
	state_compat(&h, state_sections, state_nsections, &hh, &local, &c);
	assert_true(has_reason(&c, "CPU vendor differs"));
	assert_true(has_reason(&c, "CPUID 7.0.ebx avx2"));
	assert_true(has_reason(&c, "CPUID 1.ecx avx"));
	assert_true(has_reason(&c, "XSAVE state is 4096 bytes"));
	assert_true(has_reason(&c, "10 machine-check banks"));
	assert_true(has_reason(&c, "MCG_CAP 0x100010a has bits"));

	struct state_header l = local;
	l.memory = 256 << 20;
	layout_regions(&l);
	l.cpus = 4;
	l.ras_sources = 3;
	strcpy(l.ras_policy, "mce");
	l.ras_queue = 8;
	state_compat(&h, state_sections, state_nsections, &host, &l, &c);
	assert_true(has_reason(&c, "memory size differs: the snapshot's guest has 128 MiB, this VM 256 MiB"));
	assert_true(has_reason(&c, "vCPU count differs"));
	assert_true(has_reason(&c, "GHES sources differ"));
	assert_true(has_reason(&c, "--ras policy differs"));
	assert_true(has_reason(&c, "--ras-queue differs"));

	/* snapshot check / restore: the machine comes from the snapshot, the host bounds it. */
	hh = host;
	hh.ram = 64 << 20;
	hh.max_vcpus = 1;
	state_compat(&h, state_sections, state_nsections, &hh, NULL, &c);
	assert_true(has_reason(&c, "more than this host's 64 MiB"));
	assert_true(has_reason(&c, "this host's KVM allows 1"));
}

static void test_cpu_words(void **state)
{
	struct cpuid_leaf l[] = {
		{ 0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 },
		{ 1, 0, 0x906ea, 0, (1u << 31) | (1u << 27) | (1u << 20), 1u << 7 },
		{ 7, 0, 0, 1u << 5, 1u << 4, 0 },
	};
	char vendor[13];
	uint32_t sig, w[CPUW_COUNT];

	(void)state;
	header_cpu_words(l, 3, vendor, &sig, w);
	assert_string_equal(vendor, "GenuineIntel");
	assert_int_equal(sig, 0x906ea);
	assert_int_equal(w[CPUW_1_ECX], 1u << 20); /* hypervisor and OSXSAVE are not features */
	assert_int_equal(w[CPUW_1_EDX], 1u << 7);
	assert_int_equal(w[CPUW_7_0_EBX], 1u << 5);
	assert_int_equal(w[CPUW_7_0_ECX], 0);      /* OSPKE follows CR4 */
}

/* ---- RAM and the RAS state, between two offline VMs ---- */

static struct state_header hdr;
static struct offline_vm *src, *dst;

/* Guest behaviour for the source: machine checks go in, NMIs and interrupts are counted. */
static bool busy[2];
static unsigned nmis, irqs;
static enum mce_result inject(struct vcpu *v, const struct mce_record *r)
{
	(void)r;
	return busy[v->index] ? MCE_BUSY : MCE_INJECTED;
}
static bool no_lmce(struct vcpu *v) { (void)v; return false; }
static int nmi(struct vcpu *v) { (void)v; nmis++; return 0; }
static int irq(struct vm *vm, unsigned gsi) { (void)vm, (void)gsi; irqs++; return 0; }
static int rip(struct vcpu *v, uint64_t *r) { *r = 0x401000 + v->index; return 0; }
static const struct ras_ops ops = { .inject_mce = inject, .lmce_enabled = no_lmce, .nmi = nmi,
				    .notify_sync = nmi, .irq_pulse = irq, .rip = rip, .machine_checks = true };

static int setup_vms(void **state)
{
	char why[200];

	(void)state;
	make_header(&hdr, 32 << 20, 2);
	src = calloc(1, sizeof(*src));
	dst = calloc(1, sizeof(*dst));
	if (offline_vm_init(src, &hdr, why, sizeof(why)) || offline_vm_init(dst, &hdr, why, sizeof(why)))
		fail_msg("offline VM: %s", why);
	src->vm.ras->ops = &ops;
	dst->vm.ras->ops = &ops;
	return 0;
}

static int teardown_vms(void **state)
{
	(void)state;
	offline_vm_free(src);
	offline_vm_free(dst);
	free(src);
	free(dst);
	return 0;
}

static void host_error(struct vm *vm, int vcpu, bool ar, uint64_t gpa)
{
	ras_host_error(vm, vcpu >= 0 ? &vm->vcpu[vcpu] : NULL, ar ? BUS_MCEERR_AR : BUS_MCEERR_AO,
		       mem_gpa_to_hva(&vm->mem, gpa, 1), 12, now_ns());
}

static void guest_ack(struct vm *vm, unsigned id)
{
	uint8_t v[8];
	le_put(v, 1, 8);
	assert_true(ghes_mmio(vm, &vm->vcpu[0], LAYOUT_ERROR_REGION + GHES_REGION_ACK_OFFSET + 8 * id, true, v, 8));
}

static const struct poison_entry *page(struct vm *vm, uint64_t gpa)
{
	const struct poison_entry *e = poison_find(&vm->ras->table, gpa);
	assert_non_null(e);
	return e;
}

static void balanced(struct vm *vm)
{
	uint64_t r, a;
	assert_int_equal(ras_check_invariant(vm->ras, &r, &a), 0);
}

/* Read every record of buf into dst. */
static void load_into(struct vm *vm, const struct state_out *o, struct ram_in *ram, struct ras_load *rl)
{
	struct state_in in;

	in_init_mem(&in, o->buf, o->len);
	while (in.mem_pos < in.mem_len) {
		assert_int_equal(in_header(&in), 0);
		int r = in.tag == TAG_RAM ? ram_load_record(ram, &in) : ras_state_load(vm, &in, rl);
		if (r)
			fail_msg("%s", in.why);
	}
	in_free(&in);
}

static void test_ram_and_ras_carried(void **state)
{
	struct vm *s = &src->vm, *d = &dst->vm;
	struct state_out o;
	struct ram_out ro;
	struct ram_in ri;
	struct ras_load rl;

	(void)state;
	/* Guest RAM: a few pages written, one known bad (never read: PROT_NONE here). */
	for (unsigned i = 0; i < 8; i++)
		memset(mem_gpa_to_hva(&s->mem, 0x800000 + i * PAGE, PAGE), 0x40 + i, PAGE);
	memset(mem_gpa_to_hva(&s->mem, 0x900000, PAGE), 0, PAGE); /* touched, zero */

	/* Errors in every state. */
	host_error(s, -1, false, 0x700000);        /* GHES async: written, notified... */
	guest_ack(s, RAS_SOURCE_ASYNC);            /* ...acknowledged */
	host_error(s, 0, true, 0x701000);          /* AR on vCPU 0: a machine check queued (new) */
	host_error(s, -1, false, 0x702000);        /* written, block awaiting its ack (reported) */
	host_error(s, -1, false, 0x703000);        /* queued behind it (new) */
	host_error(s, -1, false, 0x704000);        /* queued too */
	busy[1] = true;
	struct mce_record raw = { .bank = 9, .status = MCI_STATUS_VAL | MCI_STATUS_UC, .mcg_status = MCG_STATUS_MCIP };
	assert_int_equal(ras_inject_mce(s, 1, &raw, false), 0);
	assert_int_equal(page(s, 0x700000)->state, POISON_ACKNOWLEDGED);
	assert_int_equal(page(s, 0x701000)->state, POISON_NEW);
	assert_int_equal(page(s, 0x702000)->state, POISON_REPORTED);
	assert_int_equal(page(s, 0x703000)->state, POISON_NEW);
	assert_true(atomic_load(&s->vcpu[0].requests) & VCPU_REQ_RAS);
	balanced(s);
	/* The page poisoned by rasvm's own map is made unreadable: a read would fault. */
	uint8_t *bad = mem_gpa_to_hva(&s->mem, 0x701000, PAGE);
	assert_int_equal(mprotect(bad, PAGE, PROT_NONE), 0);

	assert_int_equal(out_init(&o, -1), 0);
	assert_int_equal(ram_out_init(&ro, s, &o), 0);
	assert_int_equal(ram_send_all(&ro), 0);
	uint64_t fresh;
	assert_int_equal(ram_send_poisoned(&ro, &fresh), 0);
	assert_int_equal(fresh, 0); /* sent with the first round already */
	assert_int_equal(ro.data_pages, 9); /* and the async source's block, holding its record */
	assert_int_equal(ro.poisoned_pages, 5);
	pthread_mutex_lock(&s->ras->lock);
	ras_state_save(s, &o);
	pthread_mutex_unlock(&s->ras->lock);
	assert_int_equal(o.err, 0);

	assert_int_equal(ram_in_init(&ri, d), 0);
	assert_int_equal(ras_load_init(&rl, d->ncpus), 0);
	load_into(d, &o, &ri, &rl);
	for (unsigned i = 0; i < 8; i++) {
		uint8_t want[PAGE];
		memset(want, 0x40 + i, PAGE);
		assert_memory_equal(mem_gpa_to_hva(&d->mem, 0x800000 + i * PAGE, PAGE), want, PAGE);
	}
	assert_int_equal(ri.data_pages, 9);
	assert_int_equal(ri.poisoned_pages, 5);
	assert_true(page_bits_test(&ri.poisoned, 0x701000 / PAGE));

	/* The RAS state, exactly. */
	assert_memory_equal(&s->ras->n, &d->ras->n, sizeof(s->ras->n));
	assert_int_equal(d->ras->table.count, 5);
	for (uint64_t g = 0x700000; g < 0x705000; g += PAGE) {
		const struct poison_entry *a = page(s, g), *b = page(d, g);
		assert_int_equal(a->state, b->state);
		assert_int_equal(a->errors, b->errors);
		assert_int_equal(a->reports, b->reports);
		assert_int_equal(a->via, b->via);
		assert_int_equal(a->action_required, b->action_required);
	}
	for (unsigned v = 0; v < 2; v++) {
		assert_int_equal(s->ras->vcpu[v].q.count, d->ras->vcpu[v].q.count);
		assert_int_equal(rl.requests[v], atomic_load(&s->vcpu[v].requests) &
						   (VCPU_REQ_NMI | VCPU_REQ_RAS | VCPU_REQ_IRQ_GED | VCPU_REQ_SIM_TOUCH));
	}
	assert_int_equal(d->ras->vcpu[1].q.item[d->ras->vcpu[1].q.head].kind, MCE_RAW);
	const struct ghes_runtime *ga = &s->ras->ghes[RAS_SOURCE_ASYNC], *gb = &d->ras->ghes[RAS_SOURCE_ASYNC];
	assert_int_equal(gb->ack, 0);
	assert_int_equal(gb->count, 2);
	assert_int_equal(gb->in_block_count, 1);
	assert_true(gb->in_block[0] == 0x702000);
	assert_true(ga->blocks == gb->blocks && ga->notifications == gb->notifications &&
		    ga->blocks_acked == gb->blocks_acked);
	balanced(d);

	/* On the destination, what waited is delivered: the guest acknowledges, the queued
	 * records go out; vCPU 0 takes its machine check. */
	ras_state_resume(d, &rl);
	guest_ack(d, RAS_SOURCE_ASYNC);
	assert_int_equal(page(d, 0x702000)->state, POISON_ACKNOWLEDGED);
	assert_int_equal(page(d, 0x703000)->state, POISON_REPORTED);
	assert_int_equal(page(d, 0x704000)->state, POISON_REPORTED);
	guest_ack(d, RAS_SOURCE_ASYNC);
	ras_vcpu_work(&d->vcpu[0], VCPU_REQ_RAS);
	assert_int_equal(page(d, 0x701000)->state, POISON_REPORTED);
	assert_int_equal(d->ras->n.delivered_mce, 1);
	assert_int_equal(d->ras->n.lost, 0);
	balanced(d);

	mprotect(bad, PAGE, PROT_READ | PROT_WRITE);
	ras_load_free(&rl);
	ram_in_free(&ri);
	ram_out_free(&ro);
	out_free(&o);
}

/* A second round sends a page that became zero as zero (the destination holds bytes for it),
 * and a page that went bad after it was sent as poisoned. */
static void test_ram_later_rounds(void **state)
{
	struct vm *s = &src->vm, *d = &dst->vm;
	struct state_out o;
	struct ram_out ro;
	struct ram_in ri;
	struct page_bits set;

	(void)state;
	uint8_t *a = mem_gpa_to_hva(&s->mem, 0xa00000, PAGE), *b = mem_gpa_to_hva(&s->mem, 0xa01000, PAGE);
	memset(a, 0x11, PAGE);
	memset(b, 0x22, PAGE);
	assert_int_equal(out_init(&o, -1), 0);
	assert_int_equal(ram_out_init(&ro, s, &o), 0);
	assert_int_equal(ram_send_all(&ro), 0);
	memset(a, 0, PAGE);                   /* zeroed by the guest */
	mem_mark_bad(&s->mem, 0xa01000);      /* gone bad after it was sent */
	assert_int_equal(page_bits_init(&set, s->mem.size / PAGE), 0);
	page_bits_set(&set, (uint64_t)(a - s->mem.hva) / PAGE);
	uint64_t z = ro.zero_pages;
	assert_int_equal(ram_send_set(&ro, &set), 0);
	assert_int_equal(ro.zero_pages, z + 1);
	uint64_t fresh;
	assert_int_equal(ram_send_poisoned(&ro, &fresh), 0);
	assert_true(fresh >= 1);
	assert_int_equal(ram_in_init(&ri, d), 0);
	struct ras_load rl = { 0 };
	load_into(d, &o, &ri, &rl);
	uint8_t zero[PAGE] = { 0 };
	assert_memory_equal(mem_gpa_to_hva(&d->mem, 0xa00000, PAGE), zero, PAGE);
	assert_true(page_bits_test(&ri.poisoned, 0xa01000 / PAGE));
	page_bits_free(&set);
	ram_in_free(&ri);
	ram_out_free(&ro);
	out_free(&o);
}

/* Hostile RAS sections: counts beyond what this VM could hold are refused before any
 * allocation for them, and nothing half-loaded stays. */
static void test_ras_bounds(void **state)
{
	struct vm *d = &dst->vm;
	struct state_out o;
	struct state_in in;
	struct ras_load rl;

	(void)state;
	assert_int_equal(ras_load_init(&rl, d->ncpus), 0);
	assert_int_equal(out_init(&o, -1), 0);
	out_begin(&o, TAG_RASS, RASS_VERSION, 0);
	out_u32(&o, (uint32_t)d->ras->policy);
	out_u32(&o, d->ras->sources.mask);
	out_u32(&o, d->ras->sources.block_length);
	out_u32(&o, d->ras->queue_cap);
	out_u8(&o, 0);
	out_u8(&o, 1);
	out_u32(&o, (uint32_t)(sizeof(struct ras_counters) / 8)); /* every counter */
	for (unsigned i = 0; i < sizeof(struct ras_counters) / 8; i++)
		out_u64(&o, 0);
	out_u32(&o, 0xffffffffu); /* four billion poisoned pages */
	out_end(&o);
	in_init_mem(&in, o.buf, o.len);
	assert_int_equal(in_header(&in), 0);
	assert_int_equal(ras_state_load(d, &in, &rl), -1);
	assert_non_null(strstr(in.why, "poisoned pages in a guest of"));
	assert_int_equal(d->ras->table.count, 0);
	in_free(&in);
	out_free(&o);
	ras_load_free(&rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_section_spans_records),
		cmocka_unit_test(test_every_damage_refused),
		cmocka_unit_test(test_preamble),
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_compat_reasons),
		cmocka_unit_test(test_cpu_words),
		cmocka_unit_test_setup_teardown(test_ram_and_ras_carried, setup_vms, teardown_vms),
		cmocka_unit_test_setup_teardown(test_ram_later_rounds, setup_vms, teardown_vms),
		cmocka_unit_test_setup_teardown(test_ras_bounds, setup_vms, teardown_vms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
