// SPDX-License-Identifier: MIT
/* From a host memory error to a report the guest can act on; see ras.h for the map. */
#include "ras/ras.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "ctl/qmp.h"
#include "kvm/vcpu.h"
#include "log.h"
#include "ras/sigbus.h"
#include "ras/sim.h"
#include "vm.h"

#define PAGE 4096ULL

/* CPUID vendor and family decide the machine-check encoding and broadcast. */
static void guest_cpu(struct ras *ras, const struct kvm_cpuid2 *c)
{
	for (unsigned i = 0; c && i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 0)
			ras->amd_guest = e->ebx == 0x68747541; /* "Auth"enticAMD */
		if (e->function == 1)
			ras->intel_broadcast = ((e->eax >> 8) & 0xf) == 6;
	}
	if (ras->amd_guest)
		ras->intel_broadcast = false;
}

int ras_init(struct vm *vm)
{
	struct ras *ras = calloc(1, sizeof(*ras));

	if (!ras)
		return -ENOMEM;
	ras->vm = vm;
	pthread_mutex_init(&ras->lock, NULL);
	ras->policy = vm->cfg->ras_policy;
	ras->sources = vm->cfg->ras;
	ras->queue_cap = vm->cfg->ras_queue;
	poison_init(&ras->table);
	guest_cpu(ras, vm->cpuid);
	vm->ras = ras;
	return ghes_init(ras);
}

void ras_exit(struct vm *vm)
{
	struct ras *ras = vm->ras;
	if (!ras)
		return;
	ghes_exit(ras);
	free(ras->timing.latency.ns);
	free(ras->timing.marks.ns);
	poison_free(&ras->table);
	pthread_mutex_destroy(&ras->lock);
	free(ras);
	vm->ras = NULL;
}

void ras_reset(struct vm *vm)
{
	struct ras *ras = vm->ras;

	pthread_mutex_lock(&ras->lock);
	for (uint32_t i = 0; i < ras->table.capacity; i++) {
		struct poison_entry *e = &ras->table.slot[i];
		uint8_t *hva = e->gpa != UINT64_MAX ? mem_gpa_to_hva(&vm->mem, e->gpa, PAGE) : NULL;
		/* A fresh anonymous page in place of the bad one. */
		if (!hva)
			continue;
		if (mmap(hva, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) == MAP_FAILED) {
			log_err("reset: cannot replace the poisoned page at 0x%llx: %s",
				(unsigned long long)e->gpa, strerror(errno));
			continue;
		}
		e->state = POISON_RECOVERED;
		ras->n.recovered++;
	}
	if (ras->table.count)
		log_info("reset: %u poisoned guest page(s) replaced by healthy memory", ras->table.count);
	poison_clear(&ras->table);
	ghes_reset(ras);
	pthread_mutex_unlock(&ras->lock);
	sim_reset(vm);
}

/* Queue a machine check for a vCPU's own thread to inject. */
static void queue_mce(struct vcpu *v, const struct mce_record *r, bool primary)
{
	if (v->pending_mce_count == VCPU_PENDING_MCE) {
		v->vm->ras->n.lost++;
		log_err("vcpu %u: too many machine checks waiting; one lost", v->index);
		return;
	}
	v->pending_mce[v->pending_mce_count++] = (struct pending_mce){ .record = *r, .primary = primary };
	vcpu_request(v, VCPU_REQ_MCE);
}

/* Inject now (on v's thread). Returns false when the guest had to be reset. */
static bool inject_mce(struct ras *ras, struct vcpu *v, const struct mce_record *r)
{
	const char *why = "";

	switch (mce_inject(v->fd, r, &why)) {
	case MCE_INJECTED:
		return true;
	case MCE_DROPPED_BUSY:
		ras->n.dropped++;
		log_warn("vcpu %u: action-optional machine check for 0x%llx dropped: the guest is still handling one (MCIP)",
			 v->index, (unsigned long long)r->addr);
		return true;
	case MCE_NEEDS_RESET:
		/* Count the reset once: other errors may still arrive before the VM stops. */
		if (vm_end(ras->vm, VM_RESET, 0, "resetting the guest: vcpu %u: %s", v->index, why))
			ras->n.resets++;
		return false;
	default:
		ras->n.lost++;
		log_err("vcpu %u: KVM_X86_SET_MCE failed for 0x%llx", v->index, (unsigned long long)r->addr);
		return true;
	}
}

/* A page's own machine check, on v's thread. An Intel family-6 CPU signals it to every CPU
 * (the others see the broadcast) unless the guest turned on local machine checks, which
 * apply to action-required errors only (SDM 16.3.1.5; QEMU decides the same way). */
static bool inject_primary(struct ras *ras, struct vcpu *v, struct mce_record r)
{
	struct vm *vm = ras->vm;
	bool local = (r.status & MCI_STATUS_AR) && mce_vcpu_lmce_enabled(v->fd, vm->mcg_cap);

	if (local)
		r.mcg_status |= MCG_STATUS_LMCES;
	if (!inject_mce(ras, v, &r))
		return false;
	if (!ras->intel_broadcast || local)
		return true;
	mce_encode_broadcast(&r);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (&vm->vcpu[i] != v)
			queue_mce(&vm->vcpu[i], &r, false);
	return true;
}

/* Deliver one page by machine check: to the vCPU that touched it (AR) or vCPU 0 (AO). */
static void deliver_mce(struct ras *ras, struct vcpu *self, struct vcpu *target, uint64_t gpa,
			bool ar)
{
	struct mce_record r;

	mce_encode(ar, ras->amd_guest, gpa, 12, &r);
	if (target == self) {
		if (!inject_primary(ras, self, r))
			return; /* the guest is being reset instead */
	} else {
		queue_mce(target, &r, true);
	}
	ras->n.via_mce++;
}

/* MEMORY_FAILURE, with QEMU's schema, for the control socket. */
static void memory_failure_event(struct ras *ras, const char *recipient, const char *action,
				 bool ar, bool recursive)
{
	qmp_event(ras->vm, "MEMORY_FAILURE",
		  json_pack("{s:s,s:s,s:{s:b,s:b}}", "recipient", recipient, "action", action, "flags",
			    "action-required", ar, "recursive", recursive));
}

static void deliver(struct ras *ras, struct vcpu *vcpu, struct poison_entry *e, bool ar)
{
	enum ras_route route = ras_route(ras->policy, ar, ras->sources.mask, ras->amd_guest);
	struct vm *vm = ras->vm;

	/* Between boots (a reset, or the end of the run) there is no vCPU to interrupt: GHES
	 * records still go into their blocks, but a machine check has nowhere to go. */
	if (!vm->vcpu && route == ROUTE_MCE) {
		ras->n.dropped++;
		log_warn("host memory error at guest page 0x%llx arrived with no vCPU running: not reported; the page stays poisoned",
			 (unsigned long long)e->gpa);
		return;
	}

	log_debug("host memory error (%s) at guest page 0x%llx -> %s",
		  ar ? "action required" : "action optional", (unsigned long long)e->gpa,
		  ras_route_name(route));
	uint64_t resets = ras->n.resets, dropped = ras->n.dropped;
	switch (route) {
	case ROUTE_MCE:
		deliver_mce(ras, vcpu, ar && vcpu ? vcpu : &vm->vcpu[0], e->gpa, ar);
		e->state = POISON_REPORTED;
		e->reports++;
		e->via |= POISON_VIA_MCE;
		memory_failure_event(ras, "guest",
				     ras->n.resets != resets ? "reset" : ras->n.dropped != dropped ? "ignore" : "inject",
				     ar, ras->n.resets != resets || ras->n.dropped != dropped);
		break;
	case ROUTE_GHES_SYNC:
	case ROUTE_GHES_ASYNC:
	case ROUTE_GHES_POLLED:
		ghes_submit(ras, RAS_SOURCE_SYNC + (unsigned)(route - ROUTE_GHES_SYNC), e->gpa, ar,
			    ar ? vcpu : NULL);
		memory_failure_event(ras, "guest", "inject", ar, false);
		break;
	case ROUTE_DROP:
		memory_failure_event(ras, "guest", "ignore", ar, false);
		ras->n.dropped++;
		log_warn("action-optional error at guest page 0x%llx not reported (--ras %s): the page stays poisoned",
			 (unsigned long long)e->gpa, ras_policy_name(ras->policy));
		break;
	case ROUTE_FATAL:
		memory_failure_event(ras, "guest", "fatal", ar, false);
		vm_end(vm, VM_HOST_MEMORY, 0,
		       "guest touched poisoned page 0x%llx and --ras %s gives no way to tell it",
		       (unsigned long long)e->gpa, ras_policy_name(ras->policy));
		break;
	}
}

void ras_host_error(struct vm *vm, struct vcpu *vcpu, int code, void *addr, unsigned lsb,
		    uint64_t t_ns)
{
	struct ras *ras = vm->ras;
	bool ar = code == BUS_MCEERR_AR;
	uint64_t hit_gpa = 0;
	bool hit_in_ram = mem_hva_to_gpa(&vm->mem, addr, &hit_gpa);

	if (lsb < 12 || lsb > 30)
		lsb = 12; /* the kernel reports at least a page; clamp nonsense */
	uint64_t span = 1ULL << lsb;
	uint8_t *start = (uint8_t *)((uintptr_t)addr & ~(uintptr_t)(span - 1));

	pthread_mutex_lock(&ras->lock);
	ar ? ras->n.received_ar++ : ras->n.received_ao++;
	if (!ras->timing.first_error_ns)
		ras->timing.first_error_ns = t_ns;
	if (!ras->timing.pending_ns)
		ras->timing.pending_ns = t_ns;
	unsigned pages = 0;
	/* Every guest page in the granule is lost; the one touched gets the AR report, the
	 * others are reported as action optional. */
	for (uint64_t off = 0; off < span; off += PAGE) {
		uint64_t gpa;
		if (!mem_hva_to_gpa(&vm->mem, start + off, &gpa))
			continue;
		bool created;
		struct poison_entry *e = poison_get(&ras->table, gpa, &created);
		pages++;
		if (!e) {
			ras->n.lost++;
			log_err("poison table full: error at guest page 0x%llx lost", (unsigned long long)gpa);
			continue;
		}
		ras->n.pages += created;
		e->errors++;
		bool this_ar = ar && hit_in_ram && (hit_gpa & ~(PAGE - 1)) == gpa;
		e->action_required = this_ar;
		deliver(ras, vcpu, e, this_ar);
	}
	if (!pages) {
		ras->n.outside_ram++;
		memory_failure_event(ras, "hypervisor", "ignore", ar, false);
		log_warn("host memory error (action optional) at %p, outside guest RAM: ignored", addr);
	}
	pthread_mutex_unlock(&ras->lock);
}

void ras_drain(struct vm *vm, struct vcpu *vcpu)
{
	struct sigbus_ring *ring = vcpu ? &vcpu->sigbus : sigbus_process_ring();
	struct sigbus_event ev;

	while (sigbus_pop(ring, &ev))
		ras_host_error(vm, ev.code == BUS_MCEERR_AR ? vcpu : NULL, ev.code, ev.addr, ev.lsb,
			       ev.t_ns);
	uint64_t lost = atomic_exchange(&ring->overflow, 0);
	if (lost && vm->ras) {
		pthread_mutex_lock(&vm->ras->lock);
		vm->ras->n.lost += lost;
		pthread_mutex_unlock(&vm->ras->lock);
		log_err("%llu host memory error signal(s) arrived faster than rasvm could queue them",
			(unsigned long long)lost);
	}
}

/* Pending machine checks and NMIs for this vCPU, on its thread. */
void ras_vcpu_requests(struct vcpu *v, unsigned req)
{
	struct ras *ras = v->vm->ras;

	if ((req & VCPU_REQ_MCE) && ras) {
		pthread_mutex_lock(&ras->lock);
		for (unsigned i = 0; i < v->pending_mce_count; i++) {
			const struct pending_mce *p = &v->pending_mce[i];
			if (!(p->primary ? inject_primary(ras, v, p->record) : inject_mce(ras, v, &p->record)))
				break;
		}
		v->pending_mce_count = 0;
		pthread_mutex_unlock(&ras->lock);
	}
	if (req & VCPU_REQ_NMI) {
		if (ioctl(v->fd, KVM_NMI, 0) < 0)
			log_err("vcpu %u: KVM_NMI failed", v->index);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void ras_stats(struct ras *ras, FILE *f)
{
	struct ras_timing *t = &ras->timing;

	pthread_mutex_lock(&ras->lock);
	fprintf(f, "ras_errors %llu\n", (unsigned long long)(ras->n.received_ar + ras->n.received_ao));
	fprintf(f, "ras_acknowledged %llu\n", (unsigned long long)ras->n.acknowledged);
	fprintf(f, "ras_lost %llu\n", (unsigned long long)ras->n.lost);
	fprintf(f, "ras_overflowed %llu\n", (unsigned long long)ras->n.overflowed);
	fprintf(f, "ras_first_error_ns %llu\n", (unsigned long long)t->first_error_ns);
	fprintf(f, "ras_last_ack_ns %llu\n", (unsigned long long)t->last_ack_ns);
	const struct ns_series *lat = &t->latency;
	fprintf(f, "ras_latency_samples %u\n", lat->count);
	for (uint32_t i = 0; i < t->marks.count; i++)
		fprintf(f, "ras_mark_ns %llu\n", (unsigned long long)t->marks.ns[i]);
	if (lat->count) {
		qsort(lat->ns, lat->count, sizeof(*lat->ns), cmp_u64);
		fprintf(f, "ras_latency_median_ns %llu\n", (unsigned long long)lat->ns[lat->count / 2]);
		fprintf(f, "ras_latency_p99_ns %llu\n",
			(unsigned long long)lat->ns[(lat->count * 99ULL) / 100]);
		fprintf(f, "ras_latency_max_ns %llu\n", (unsigned long long)lat->ns[lat->count - 1]);
	}
	pthread_mutex_unlock(&ras->lock);
}

int ras_inject_host_error(struct vm *vm, uint64_t gpa, bool ar, unsigned lsb)
{
	int r = sim_poison(vm, gpa, !ar, lsb);

	if (r || !ar)
		return r;
	pthread_rwlock_rdlock(&vm->vcpu_lock);
	if (vm->vcpu) {
		atomic_store(&vm->vcpu[0].touch_gpa, gpa);
		vcpu_request(&vm->vcpu[0], VCPU_REQ_SIM_TOUCH);
	}
	pthread_rwlock_unlock(&vm->vcpu_lock);
	return 0;
}

int ras_inject_mce(struct vm *vm, unsigned cpu, const struct mce_record *r, bool broadcast)
{
	struct ras *ras = vm->ras;
	struct mce_record b;

	if (cpu >= vm->ncpus)
		return -EINVAL;
	mce_encode_broadcast(&b);
	pthread_rwlock_rdlock(&vm->vcpu_lock);
	pthread_mutex_lock(&ras->lock);
	for (unsigned i = 0; vm->vcpu && i < vm->ncpus; i++) {
		if (i == cpu)
			queue_mce(&vm->vcpu[i], r, false); /* raw, as given: no LMCE decision */
		else if (broadcast)
			queue_mce(&vm->vcpu[i], &b, false);
	}
	pthread_mutex_unlock(&ras->lock);
	pthread_rwlock_unlock(&vm->vcpu_lock);
	return 0;
}

/* Keep v unless the series is full (or out of memory: a benchmark figure, not RAS state). */
static void series_add(struct ns_series *s, uint64_t v)
{
	if (s->count == s->cap && s->cap < RAS_LATENCY_SAMPLES_MAX) {
		uint32_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *p = realloc(s->ns, cap * sizeof(*p));
		if (p)
			s->ns = p, s->cap = cap;
	}
	if (s->count < s->cap)
		s->ns[s->count++] = v;
}

void ras_mark(struct vm *vm, uint64_t t_ns)
{
	struct ras *ras = vm->ras;
	struct ras_timing *t = &ras->timing;

	pthread_mutex_lock(&ras->lock);
	series_add(&t->marks, t_ns);
	if (t->pending_ns && t->pending_ns < t_ns)
		series_add(&t->latency, t_ns - t->pending_ns);
	t->pending_ns = 0;
	pthread_mutex_unlock(&ras->lock);
}

void ras_summary(struct vm *vm)
{
	struct ras *ras = vm->ras;
	if (!ras)
		return;
	pthread_mutex_lock(&ras->lock);
	const struct ras_counters *n = &ras->n;
	uint64_t ghes = n->via_ghes[0] + n->via_ghes[1] + n->via_ghes[2];
	if (n->received_ar + n->received_ao + n->lost == 0) {
		pthread_mutex_unlock(&ras->lock);
		return;
	}
	uint32_t queued = 0;
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
		queued += ras->ghes[id].count;
	log_info("RAS summary: %llu host memory error(s): %llu action required, %llu action optional; %llu guest page(s) poisoned",
		 (unsigned long long)(n->received_ar + n->received_ao), (unsigned long long)n->received_ar,
		 (unsigned long long)n->received_ao, (unsigned long long)n->pages);
	log_info("RAS summary: delivered %llu by machine check, %llu by GHES (sync %llu, async %llu, polled %llu); acknowledged %llu",
		 (unsigned long long)n->via_mce, (unsigned long long)ghes,
		 (unsigned long long)n->via_ghes[0], (unsigned long long)n->via_ghes[1],
		 (unsigned long long)n->via_ghes[2], (unsigned long long)n->acknowledged);
	log_info("RAS summary: queued %u, overflowed %llu, dropped %llu, outside guest RAM %llu, resets %llu, recovered %llu, lost %llu",
		 queued, (unsigned long long)n->overflowed, (unsigned long long)n->dropped,
		 (unsigned long long)n->outside_ram, (unsigned long long)n->resets,
		 (unsigned long long)n->recovered, (unsigned long long)n->lost);
	unsigned shown = 0;
	for (uint32_t i = 0; i < ras->table.capacity && shown < 16; i++) {
		const struct poison_entry *e = &ras->table.slot[i];
		if (e->gpa == UINT64_MAX)
			continue;
		shown++;
		log_info("RAS summary: page 0x%llx %s (%s, %u error(s), reported %u time(s)%s%s)",
			 (unsigned long long)e->gpa, poison_state_name(e->state),
			 e->action_required ? "action required" : "action optional", e->errors, e->reports,
			 e->via & POISON_VIA_MCE ? ", machine check" : "",
			 e->via & ~POISON_VIA_MCE ? ", GHES" : "");
	}
	if (ras->table.count > shown)
		log_info("RAS summary: ... and %u more page(s)", ras->table.count - shown);
	pthread_mutex_unlock(&ras->lock);
}
