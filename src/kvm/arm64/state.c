// SPDX-License-Identifier: MIT
/*
 * Snapshots and migration on arm64: not implemented yet. The stream's vCPU, interrupt
 * controller and timer sections (src/state/, kvm/x86/cpu_state.c) are x86's; an arm64 VM
 * would need its own (KVM_GET_ONE_REG for every register, the vGICv3's state through its
 * device attributes, the timer). Until then every way in says so clearly: --incoming and
 * `rasvm snapshot` fail with a message and exit 64, and the control socket's migration
 * commands are not offered (CommandNotFound, as QEMU answers for what it lacks).
 */
#include <errno.h>
#include <stdio.h>

#include "exitcode.h"
#include "log.h"
#include "state/cli.h"
#include "state/migrate.h"

#define WHY "snapshots and migration are x86-only in this rasvm (docs/arm64.md)"

int migrate_init(struct vm *vm) { (void)vm; return 0; }
void migrate_stop(struct vm *vm) { (void)vm; }
void migrate_exit(struct vm *vm) { (void)vm; }
void migrate_cancel(struct vm *vm) { (void)vm; }
bool migrate_incoming_pending(struct vm *vm) { (void)vm; return false; }
int migrate_incoming_load(struct vm *vm) { (void)vm; return EXIT_USAGE; }

int migrate_start(struct vm *vm, const char *uri, char *why, size_t len)
{
	(void)vm, (void)uri;
	snprintf(why, len, WHY);
	return -ENOTSUP;
}

json_t *migrate_query(struct vm *vm)
{
	(void)vm;
	return json_pack("{s:s}", "status", "none");
}

int migrate_set_parameters(struct vm *vm, json_t *args, char *why, size_t len)
{
	(void)vm, (void)args;
	snprintf(why, len, WHY);
	return -ENOTSUP;
}

json_t *migrate_parameters(struct vm *vm)
{
	(void)vm;
	return json_object();
}

int migrate_incoming_open(struct vm *vm)
{
	(void)vm;
	log_err("--incoming: " WHY);
	return EXIT_USAGE;
}

const struct qmp_command *migrate_qmp_find(const char *name)
{
	(void)name;
	return NULL;
}

const struct qmp_command *migrate_qmp_commands(size_t *count)
{
	*count = 0;
	return NULL;
}

int state_cli_check(const struct config *cfg)
{
	(void)cfg;
	log_err("snapshot check: " WHY);
	return EXIT_USAGE;
}

int state_cli_restore(const struct config *cfg)
{
	(void)cfg;
	log_err("snapshot restore: " WHY);
	return EXIT_USAGE;
}
