/* SPDX-License-Identifier: MIT */
/*
 * The RAS counters as Prometheus text (exposition format 0.0.4, what node_exporter's textfile
 * collector reads): for rasvm run --metrics FILE and the query-metrics command. Names follow
 * Prometheus conventions: the rasvm_ prefix, _total on counters, labels for what a counter is
 * split by (vm, action, path, source, reason, state). docs/fleet.md lists them.
 */
#ifndef RASVM_CTL_METRICS_H
#define RASVM_CTL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "acpi/hest.h"
#include "ras/ras.h"

/* Everything the text says, copied under the locks, then formatted without them. */
struct metrics_snapshot {
	char vm[72];                  /* the vm label: --name, else rasvm-PID */
	const char *version;
	const char *status;           /* QEMU's RunState name */
	double start_time, now;       /* seconds since the epoch */
	uint64_t guest_resets;        /* every reset (RESET events) */
	uint64_t qmp_events_dropped;
	bool has_ras;
	const char *policy;
	struct ras_counters n;
	uint64_t queued;              /* reports waiting now (machine checks and GHES) */
	bool balanced;
	uint64_t pages_by_state[4];   /* enum poison_state */
	struct {
		bool enabled;
		uint64_t queued, capacity, blocks, notifications, blocks_acked, records_acked,
			overflowed;
	} src[RAS_SOURCES_MAX];
};

/* The text for a snapshot (malloc'd, NULL when out of memory). */
char *metrics_format(const struct metrics_snapshot *s);
/* Replace path with text atomically: a temporary file in the same directory, renamed over
 * it (readable by all: a collector runs as another user). 0 or -errno. */
int metrics_write_file(const char *path, const char *text);

#endif
