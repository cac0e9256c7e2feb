/* SPDX-License-Identifier: MIT */
/*
 * The control socket: a QMP-compatible server on Unix and TCP sockets (rasvm run --qmp, as
 * QEMU's -qmp), its own thread, several clients; the same thread keeps the --metrics file.
 * Commands: src/ctl/commands.c; HMP: src/ctl/hmp.c; protocol pieces: src/ctl/protocol.c;
 * metrics: src/ctl/metrics.c; the client: src/ctl/client.c (rasvm ctl).
 */
#ifndef RASVM_CTL_QMP_H
#define RASVM_CTL_QMP_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

struct vm;
struct qmp_listen;
struct hmp_regs;

/* The --qmp sockets and --metrics of vm->cfg (nothing without either): see below. */
int qmp_start(struct vm *vm);
/* Open each socket (a Unix socket with mode 0600, a stale one replaced, anything else
 * refused; TCP on loopback unless an address is given; server=off connects out) and start
 * the thread; then wait for a client on each wait=on socket (SIGINT/SIGTERM end the wait).
 * metrics_path (may be NULL) is rewritten every metrics_interval seconds. 0 or -errno with
 * the reason logged. */
int qmp_start_listeners(struct vm *vm, const struct qmp_listen *listen, unsigned count,
			const char *metrics_path, unsigned metrics_interval);
/* Stop the thread, close every client, remove the socket. */
void qmp_stop(struct vm *vm);
/* Send an event to every client that finished capabilities negotiation. Any thread; never
 * blocks on a client (a client that does not read is dropped). Steals data. */
void qmp_event(struct vm *vm, const char *name, json_t *data);
/* Events qmp_event() had to drop because QMP_EVENTS_MAX were already waiting for the server
 * thread (it also logs them: at once, then at most every 10 s, and at the end); 0 without
 * a control socket. */
uint64_t qmp_events_dropped(struct vm *vm);

/* RESET events sent so far (every guest reset); when the control thread started. */
uint64_t qmp_resets(struct vm *vm);
time_t qmp_started(struct vm *vm);
/* Where vcpu_call() may read vCPU cpu's registers for the control thread: lives as long as
 * the control socket (so a call that timed out cannot write into freed memory); NULL without. */
struct hmp_regs *qmp_regs_slot(struct vm *vm, unsigned cpu);
/* {"qemu": {"major", "minor", "micro"}, "package"}: the greeting's and query-version's. */
json_t *qmp_version_info(void);
/* The Prometheus text of the RAS counters (malloc'd): query-metrics and --metrics. */
char *qmp_metrics_text(struct vm *vm);

/* One command, for the server and the tests: the reply to a parsed request. */
struct qmp_command {
	const char *name;
	const struct qmp_arg *args;
	/* Returns the "return" value, or NULL with *cls and desc set. */
	json_t *(*run)(struct vm *vm, json_t *args, const char **cls, char *desc, size_t desclen);
};
const struct qmp_command *qmp_find_command(const char *name);
/* The table, for query-commands: *count entries. */
const struct qmp_command *qmp_commands(size_t *count);

#endif
