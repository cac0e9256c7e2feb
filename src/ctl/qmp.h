/* SPDX-License-Identifier: MIT */
/*
 * The control socket: a QMP-compatible server on a Unix socket (rasvm run --qmp PATH), its
 * own thread, several clients. Commands: src/ctl/commands.c; protocol pieces:
 * src/ctl/protocol.c; the client: src/ctl/client.c (rasvm ctl).
 */
#ifndef RASVM_CTL_QMP_H
#define RASVM_CTL_QMP_H

#include <jansson.h>
#include <stdint.h>

struct vm;

/* Create the socket (mode 0600; a stale socket is replaced, anything else refused) and start
 * the thread. 0 or -errno with the reason logged. */
int qmp_start(struct vm *vm, const char *path);
/* Stop the thread, close every client, remove the socket. */
void qmp_stop(struct vm *vm);
/* Send an event to every client that finished capabilities negotiation. Any thread; never
 * blocks on a client (a client that does not read is dropped). Steals data. */
void qmp_event(struct vm *vm, const char *name, json_t *data);
/* Events qmp_event() had to drop because QMP_EVENTS_MAX were already waiting for the server
 * thread (it also logs them: at once, then at most every 10 s, and at the end); 0 without
 * a control socket. */
uint64_t qmp_events_dropped(struct vm *vm);

/* One command, for the server and the tests: the reply to a parsed request. */
struct qmp_command {
	const char *name;
	const struct qmp_arg *args;
	/* Returns the "return" value, or NULL with *cls and desc set. */
	json_t *(*run)(struct vm *vm, json_t *args, const char **cls, char *desc, size_t desclen);
};
const struct qmp_command *qmp_find_command(const char *name);

#endif
