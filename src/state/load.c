// SPDX-License-Identifier: MIT
#include "state/load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev/serial.h"
#include "state/sections.h"
#include "vm.h"

int state_read_header(struct state_in *in, struct state_header *h)
{
	uint32_t format;
	char why[200];

	if (in_preamble(in, &format) || in_header(in))
		return -1;
	if (in->tag != TAG_HEAD || in->length > HEADER_TEXT_MAX || (in->flags & STATE_MORE))
		return in_fail(in, "the stream does not begin with its header");
	if (in_payload(in))
		return -1;
	if (header_parse((const char *)in->pay, in->pay_len, h, why, sizeof(why)))
		return in_fail(in, "bad header: %s", why);
	return 0;
}

int state_load_init(struct state_load *l, struct vm *vm, const struct state_header *h)
{
	memset(l, 0, sizeof(*l));
	l->vm = vm;
	l->h = h;
	l->img = calloc(vm->ncpus, sizeof(*l->img));
	l->seen_cpu = calloc(vm->ncpus, sizeof(*l->seen_cpu));
	if (!l->img || !l->seen_cpu || ram_in_init(&l->ram, vm) || ras_load_init(&l->rl, vm->ncpus)) {
		state_load_free(l);
		return -ENOMEM;
	}
	return 0;
}

void state_load_free(struct state_load *l)
{
	for (unsigned i = 0; l->img && i < l->vm->ncpus; i++)
		cpu_state_image_free(&l->img[i]);
	free(l->img);
	free(l->seen_cpu);
	l->img = NULL;
	l->seen_cpu = NULL;
	ram_in_free(&l->ram);
	ras_load_free(&l->rl);
}

/* The header listed this section at this version (a record of another one is damage). */
static bool listed(const struct state_header *h, uint32_t tag, uint16_t version)
{
	for (unsigned i = 0; i < h->nsections; i++)
		if (h->section[i].tag == tag)
			return h->section[i].version == version;
	return false;
}

static int mach(struct state_load *l, struct state_in *in)
{
	uint64_t cap;

	if (in->version != MACH_VERSION)
		return in_fail(in, "MACH version %u: this rasvm reads version %u", in->version, MACH_VERSION);
	if (in_section_begin(in) || in_u32(in, &l->resets) || in_u64(in, &cap) || in_section_end(in))
		return -1;
	if (cap != l->h->mcg_cap)
		return in_fail(in, "MACH: MCG_CAP 0x%llx, the header said 0x%llx", (unsigned long long)cap,
			       (unsigned long long)l->h->mcg_cap);
	return 0;
}

int state_load_records(struct state_load *l, struct state_in *in)
{
	struct vm *vm = l->vm;
	char name[5];

	for (;;) {
		if (in_header(in))
			return -1;
		uint32_t tag = in->tag;
		state_tag_name(tag, name);
		for (unsigned i = 0; i < state_nsections; i++)
			if (state_sections[i].tag == tag && i < 16)
				l->sections[i]++;
		if (tag == TAG_DONE) {
			uint64_t count, before = in->records - 1;
			if (in->version != 1 || in_section_begin(in) || in_u64(in, &count) || in_section_end(in))
				return in_fail(in, "the stream's DONE record is damaged");
			if (count != before)
				return in_fail(in, "the stream holds %llu records, its end says %llu: records are missing",
					       (unsigned long long)before, (unsigned long long)count);
			break;
		}
		if (!listed(l->h, tag, in->version))
			return in_fail(in, "record %llu: section %s version %u, which the header does not list",
				       (unsigned long long)in->records, name, in->version);
		int r;
		bool dup = false;
		if (tag == TAG_RAM) {
			r = ram_load_record(&l->ram, in);
		} else if (tag == TAG_VCPU) {
			if (in->instance >= vm->ncpus)
				return in_fail(in, "VCPU %u: this VM has %u vCPUs", in->instance, vm->ncpus);
			dup = l->seen_cpu[in->instance];
			l->seen_cpu[in->instance] = true;
			cpu_state_image_free(&l->img[in->instance]);
			r = cpu_state_read(in, &l->img[in->instance]);
		} else if (tag == TAG_IRQC || tag == TAG_PIT2 || tag == TAG_CLCK) {
			bool *s = tag == TAG_IRQC ? &l->seen_irqc : tag == TAG_PIT2 ? &l->seen_pit : &l->seen_clck;
			dup = *s;
			*s = true;
			r = vm_state_read(in, &l->vmimg);
		} else if (tag == TAG_SERL) {
			dup = l->seen_serl;
			l->seen_serl = true;
			r = serial_state_load(&vm->serial, in);
		} else if (tag == TAG_RASS) {
			dup = l->seen_rass;
			l->seen_rass = true;
			r = ras_state_load(vm, in, &l->rl);
		} else if (tag == TAG_MACH) {
			dup = l->seen_mach;
			l->seen_mach = true;
			r = mach(l, in);
		} else {
			r = in_fail(in, "record %llu: section %s unknown to this rasvm", (unsigned long long)in->records, name);
		}
		if (!r && dup)
			r = in_fail(in, "section %s (instance %u) appears twice", name, in->instance);
		if (r)
			return -1;
		if (l->progress && in->records % 64 == 0)
			l->progress(l->arg, in, &l->ram);
	}
	const char *missing = !l->seen_mach ? "MACH" : !l->seen_irqc ? "IRQC" : !l->seen_pit ? "PIT2"
			      : !l->seen_clck ? "CLCK" : !l->seen_serl ? "SERL" : !l->seen_rass ? "RASS" : NULL;
	for (unsigned i = 0; !missing && i < vm->ncpus; i++)
		if (!l->seen_cpu[i])
			missing = "VCPU";
	if (missing)
		return in_fail(in, "the stream ended without its %s section", missing);
	return 0;
}
