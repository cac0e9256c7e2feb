// SPDX-License-Identifier: MIT
#include "ctl/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctl/qmp.h"
#include "text.h"
#include "vm.h"

#ifndef RASVM_VERSION
#define RASVM_VERSION "0.0.0-dev"
#endif

struct out {
	struct text t;
	const char *vm;
};

static void head(struct out *o, const char *name, const char *type, const char *help)
{
	text_printf(&o->t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{vm="...",labels} value. labels is "" or `key="v",...` without braces. */
static void sample(struct out *o, const char *name, const char *labels, uint64_t v)
{
	text_printf(&o->t, "%s{vm=\"%s\"%s%s} %llu\n", name, o->vm, *labels ? "," : "", labels, (unsigned long long)v);
}

static void one(struct out *o, const char *name, const char *type, const char *help, uint64_t v)
{
	head(o, name, type, help);
	sample(o, name, "", v);
}

char *metrics_format(const struct metrics_snapshot *s)
{
	static const char *const statuses[] = { "prelaunch", "running", "paused", "shutdown",
						"guest-panicked", "internal-error" };
	static const char *const states[] = { "new", "reported", "acknowledged", "recovered" };
	struct out o = { .vm = s->vm };
	char l[128];

	head(&o, "rasvm_info", "gauge", "Always 1: the VM's name and rasvm's version as labels.");
	snprintf(l, sizeof(l), "version=\"%s\"", s->version);
	sample(&o, "rasvm_info", l, 1);
	head(&o, "rasvm_start_time_seconds", "gauge", "When rasvm started, in seconds since the epoch.");
	text_printf(&o.t, "rasvm_start_time_seconds{vm=\"%s\"} %.3f\n", s->vm, s->start_time);
	head(&o, "rasvm_metrics_timestamp_seconds", "gauge",
	     "When these figures were taken, in seconds since the epoch: a file that stops moving is a rasvm that stopped.");
	text_printf(&o.t, "rasvm_metrics_timestamp_seconds{vm=\"%s\"} %.3f\n", s->vm, s->now);
	one(&o, "rasvm_guest_running", "gauge", "1 while the guest runs: not paused, not stopped, not ended.",
	    !strcmp(s->status, "running"));
	head(&o, "rasvm_guest_status", "gauge", "The guest's run state (QEMU's RunState names): 1 for the current one.");
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		snprintf(l, sizeof(l), "status=\"%s\"", statuses[i]);
		sample(&o, "rasvm_guest_status", l, !strcmp(s->status, statuses[i]));
	}
	one(&o, "rasvm_guest_resets_total", "counter", "Guest resets, whoever asked (guest, system_reset, a machine check it could not take).",
	    s->guest_resets);
	one(&o, "rasvm_qmp_events_dropped_total", "counter",
	    "QMP events dropped because 4096 already waited for the control socket's thread.",
	    s->qmp_events_dropped);
	if (!s->has_ras)
		goto done;

	const struct ras_counters *n = &s->n;
	head(&o, "rasvm_host_memory_errors_total", "counter",
	     "Host memory errors (SIGBUS) under guest RAM, by action: required (a vCPU touched it) or optional (found by the host).");
	sample(&o, "rasvm_host_memory_errors_total", "action=\"required\"", n->received_ar);
	sample(&o, "rasvm_host_memory_errors_total", "action=\"optional\"", n->received_ao);
	one(&o, "rasvm_host_memory_errors_ignored_total", "counter",
	    "Action-optional host memory errors outside guest RAM, not reported to the guest.", n->outside_ram);
	one(&o, "rasvm_poisoned_pages_total", "counter", "Distinct guest pages named by host memory errors.", n->pages);
	head(&o, "rasvm_poisoned_pages", "gauge", "Guest pages in the poison table now, by state.");
	for (int i = 0; i < 4; i++) {
		snprintf(l, sizeof(l), "state=\"%s\"", states[i]);
		sample(&o, "rasvm_poisoned_pages", l, s->pages_by_state[i]);
	}
	one(&o, "rasvm_ras_reports_total", "counter",
	    "Reports of a lost page to the guest: each ends delivered, queued, overflowed, dropped or lost.", n->reports);
	head(&o, "rasvm_ras_delivered_total", "counter",
	     "Reports delivered to the guest, by path (mce: a machine check; ghes: a CPER record in the source's block, notified).");
	sample(&o, "rasvm_ras_delivered_total", "path=\"mce\",source=\"machine-check\"", n->delivered_mce);
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		if (!s->src[id].enabled)
			continue;
		snprintf(l, sizeof(l), "path=\"ghes\",source=\"%s\"", ras_source_name(id));
		sample(&o, "rasvm_ras_delivered_total", l, n->delivered_ghes[id]);
	}
	one(&o, "rasvm_ras_queued_reports", "gauge",
	    "Reports waiting now: the guest still handles the previous machine check, or has not acknowledged its GHES block.",
	    s->queued);
	one(&o, "rasvm_ras_overflowed_total", "counter", "Reports that found their queue full (--ras-queue).", n->overflowed);
	/* query-ras's keys: short, and safe as label values */
	static const char *const reasons[RAS_DROP_COUNT] = {
		[RAS_DROP_POLICY] = "policy", [RAS_DROP_MCE_BUSY] = "mce-busy",
		[RAS_DROP_MCE_DISABLED] = "mce-disabled", [RAS_DROP_BANK_DISABLED] = "bank-disabled",
		[RAS_DROP_RESET] = "reset",
	};
	head(&o, "rasvm_ras_dropped_total", "counter",
	     "Reports that could not reach the guest, by reason: policy (--ras gives no way), mce-busy (MCIP held too long), mce-disabled (CR4.MCE clear), bank-disabled, reset (before delivery).");
	for (unsigned d = 0; d < RAS_DROP_COUNT; d++) {
		snprintf(l, sizeof(l), "reason=\"%s\"", reasons[d] ? reasons[d] : "other");
		sample(&o, "rasvm_ras_dropped_total", l, n->dropped[d]);
	}
	one(&o, "rasvm_ras_lost_total", "counter", "Reports rasvm failed to handle: must stay 0.", n->lost);
	one(&o, "rasvm_ras_accounting_balanced", "gauge",
	    "1 while every report is accounted for (delivered + queued + overflowed + dropped + lost).", s->balanced);
	one(&o, "rasvm_ras_escalated_total", "counter",
	    "GHES reports of a repeated access sent again by machine check.", n->escalated);
	one(&o, "rasvm_ras_acknowledged_total", "counter", "GHES records the guest acknowledged.", n->records_acked);
	one(&o, "rasvm_ras_resets_total", "counter",
	    "Guest resets rasvm forced because the guest could not take a machine check.", n->resets);
	one(&o, "rasvm_ras_recovered_pages_total", "counter",
	    "Poisoned pages replaced by healthy memory at a guest reset.", n->recovered);
	head(&o, "rasvm_injected_errors_total", "counter",
	     "Errors a client injected raw: x-inject-mce machine checks, inject-ghes-v2-error blocks.");
	sample(&o, "rasvm_injected_errors_total", "kind=\"mce\"", n->raw_mce);
	sample(&o, "rasvm_injected_errors_total", "kind=\"ghes\"", n->raw_ghes);
	one(&o, "rasvm_injected_mce_dropped_total", "counter",
	    "Injected machine checks the guest could not take.", n->raw_mce_dropped);

	struct {
		const char *name, *type, *help;
		size_t off;
	} per_src[] = {
		{ "rasvm_ghes_queued_records", "gauge", "GHES records waiting for the source's block to be acknowledged.", 0 },
		{ "rasvm_ghes_queue_capacity", "gauge", "GHES records that may wait per source (--ras-queue).", 1 },
		{ "rasvm_ghes_blocks_total", "counter", "Status blocks written to the source and notified.", 2 },
		{ "rasvm_ghes_notifications_total", "counter", "Notifications raised by the source (NMI, SCI), reminders included.", 3 },
		{ "rasvm_ghes_blocks_acknowledged_total", "counter", "Status blocks of the source the guest acknowledged.", 4 },
		{ "rasvm_ghes_records_acknowledged_total", "counter", "Records in the acknowledged blocks of the source.", 5 },
		{ "rasvm_ghes_overflowed_total", "counter", "Records that found the source's queue full.", 6 },
	};
	for (size_t k = 0; k < sizeof(per_src) / sizeof(per_src[0]); k++) {
		head(&o, per_src[k].name, per_src[k].type, per_src[k].help);
		for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
			if (!s->src[id].enabled)
				continue;
			const uint64_t v[] = { s->src[id].queued, s->src[id].capacity, s->src[id].blocks,
					       s->src[id].notifications, s->src[id].blocks_acked,
					       s->src[id].records_acked, s->src[id].overflowed };
			snprintf(l, sizeof(l), "source=\"%s\"", ras_source_name(id));
			sample(&o, per_src[k].name, l, v[per_src[k].off]);
		}
	}
done:
	if (o.t.oom) {
		free(o.t.p);
		return NULL;
	}
	return o.t.p;
}

int metrics_write_file(const char *path, const char *text)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 8);
	int r = 0;

	if (!tmp)
		return -ENOMEM;
	/* FILE.XXXXXX beside FILE: the same file system, so the rename is atomic; and not *.prom,
	 * so a collector never reads it half written. */
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".XXXXXX", 8);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	size_t len = strlen(text), off = 0;
	while (off < len && !r) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno != EINTR)
			r = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (!r && fchmod(fd, 0644) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}

char *qmp_metrics_text(struct vm *vm)
{
	struct metrics_snapshot s = { .version = RASVM_VERSION };
	struct timeval tv;

	if (vm->cfg && vm->cfg->name)
		snprintf(s.vm, sizeof(s.vm), "%s", vm->cfg->name);
	else
		snprintf(s.vm, sizeof(s.vm), "rasvm-%d", (int)getpid());
	gettimeofday(&tv, NULL);
	s.now = (double)tv.tv_sec + tv.tv_usec / 1e6;
	s.start_time = (double)qmp_started(vm);
	s.status = vm_status_name(vm);
	s.guest_resets = qmp_resets(vm);
	s.qmp_events_dropped = qmp_events_dropped(vm);
	struct ras *ras = vm->ras;
	if (ras) {
		uint64_t reports, accounted;
		s.has_ras = true;
		pthread_mutex_lock(&ras->lock);
		s.policy = ras_policy_name(ras->policy);
		s.n = ras->n;
		s.queued = ras_mce_queued_reports(ras) + ghes_queued_reports(ras);
		s.balanced = ras_check_invariant(ras, &reports, &accounted) == 0;
		for (uint32_t i = 0; i < ras->table.capacity; i++) {
			const struct poison_entry *e = &ras->table.slot[i];
			if (e->gpa != UINT64_MAX && (unsigned)e->state < 4)
				s.pages_by_state[e->state]++;
		}
		for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
			const struct ghes_runtime *g = &ras->ghes[id];
			s.src[id].enabled = g->enabled;
			s.src[id].queued = g->count;
			s.src[id].capacity = ras->queue_cap;
			s.src[id].blocks = g->blocks;
			s.src[id].notifications = g->notifications;
			s.src[id].blocks_acked = g->blocks_acked;
			s.src[id].records_acked = g->records_acked;
			s.src[id].overflowed = g->overflowed;
		}
		pthread_mutex_unlock(&ras->lock);
	}
	return metrics_format(&s);
}
