/* SPDX-License-Identifier: MIT */
/*
 * Snapshots and live migration: the engine (migrate.c), one for every URI.
 *
 * Outgoing (QMP migrate, a thread of its own): the header first (for a socket, the
 * destination checks it and answers before anything else moves); then pre-copy rounds of
 * guest RAM while the guest runs, KVM's dirty log (or content hashes) telling what changed;
 * then the last round with the vCPUs held (vm_migration_freeze): the pages still dirty, every
 * vCPU's state (captured on its own thread), the interrupt controllers, PIT and clock, the
 * serial port, and the RAS state taken under its lock with the GHES blocks and the
 * pages known bad; DONE. A socket's destination answers once it has loaded everything; only
 * then is the migration complete (the source stays paused: postmigrate). A failure at any
 * point resumes the guest where it ran.
 *
 * Incoming (--incoming URI): the stream is opened and its header checked before the VM's
 * first boot (migrate_incoming_open, from boot.c), the rest is loaded into the new VM's
 * memory and vCPUs before their threads start (migrate_incoming_load, from run_once); a
 * stream that is refused, damaged or cut short ends rasvm with the reason, and no guest
 * instruction runs.
 */
#ifndef RASVM_STATE_MIGRATE_H
#define RASVM_STATE_MIGRATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* For the whole run (boot.c): 0 or -ENOMEM. */
int migrate_init(struct vm *vm);
/* Stop an outgoing migration, if one runs, and wait for its thread (boot.c, after the vCPUs
 * were asked to stop for an end or a reset, before they are: the thread uses them). */
void migrate_stop(struct vm *vm);
void migrate_exit(struct vm *vm);

/* QMP migrate: 0, or -errno with why (a URI rasvm does not take, one already running...). */
int migrate_start(struct vm *vm, const char *uri, char *why, size_t len);
/* QMP migrate_cancel. */
void migrate_cancel(struct vm *vm);
/* QMP query-migrate (QEMU's MigrationInfo names, plus rasvm's poisoned-page count). */
json_t *migrate_query(struct vm *vm);
/* QMP migrate-set-parameters / query-migrate-parameters. 0 or -EINVAL with why. */
int migrate_set_parameters(struct vm *vm, json_t *args, char *why, size_t len);
json_t *migrate_parameters(struct vm *vm);

/* --incoming: wait for the stream and check its header (exit code, 0 to go on). */
int migrate_incoming_open(struct vm *vm);
/* The rest of it, into the VM whose vCPUs exist and have no threads yet (exit code). */
int migrate_incoming_load(struct vm *vm);
/* Whether a load is still to come (run_once's first boot). */
bool migrate_incoming_pending(struct vm *vm);

/* The control socket's migration commands (migrate_qmp.c), for ctl/commands.c. */
struct qmp_command;
const struct qmp_command *migrate_qmp_find(const char *name);
const struct qmp_command *migrate_qmp_commands(size_t *count);

/* URIs: file:PATH, unix:PATH, tcp:HOST:PORT. */
enum mig_transport { MIG_FILE, MIG_UNIX, MIG_TCP };
int migrate_parse_uri(const char *uri, enum mig_transport *t, char *target, size_t len, char *why,
		      size_t whylen);

#endif
