// SPDX-License-Identifier: MIT
/*
 * The control socket's migration commands, with QEMU's names and arguments where QEMU has
 * them: migrate, migrate_cancel, query-migrate, migrate-set-parameters,
 * query-migrate-parameters; and query-migrate-compat, rasvm's answer to the VFIO seed's
 * migration_version attribute: this VM's own header text, and whether it could take a stream
 * that another VM's header describes, with every reason why not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/protocol.h"
#include "ctl/qmp.h"
#include "errmsg.h"
#include "state/header.h"
#include "state/migrate.h"
#include "state/sections.h"
#include "vm.h"

#define FAIL(...) (errmsg(desc, desclen, 0, __VA_ARGS__), (json_t *)NULL)

static json_t *cmd_migrate(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	json_t *resume = json_object_get(a, "resume");

	(void)cls;
	if (resume && json_is_true(resume))
		return FAIL("rasvm has no postcopy to resume");
	if (migrate_start(vm, json_string_value(json_object_get(a, "uri")), desc, desclen))
		return NULL;
	return json_object();
}

static json_t *cmd_migrate_cancel(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls, (void)desc, (void)desclen;
	migrate_cancel(vm);
	return json_object();
}

static json_t *cmd_query_migrate(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls, (void)desc, (void)desclen;
	return migrate_query(vm);
}

static json_t *cmd_set_parameters(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)cls;
	if (migrate_set_parameters(vm, a, desc, desclen))
		return NULL;
	return json_object();
}

static json_t *cmd_query_parameters(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls, (void)desc, (void)desclen;
	return migrate_parameters(vm);
}

static json_t *cmd_query_compat(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	struct state_header own, *other;
	char *text = malloc(HEADER_TEXT_MAX);
	const char *version = json_string_value(json_object_get(a, "version"));

	(void)cls;
	if (!text)
		return FAIL("out of memory");
	state_header_from_vm(vm, &own);
	if (header_format(&own, text, HEADER_TEXT_MAX)) {
		free(text);
		return FAIL("this VM's header does not fit %u bytes", HEADER_TEXT_MAX);
	}
	json_t *ret = json_pack("{s:s}", "version", text);
	free(text);
	if (!version)
		return ret;
	other = malloc(sizeof(*other));
	if (!other) {
		json_decref(ret);
		return FAIL("out of memory");
	}
	char why[200];
	json_t *reasons = json_array();
	bool ok;
	if (header_parse(version, strlen(version), other, why, sizeof(why))) {
		ok = false;
		json_array_append_new(reasons, json_string(why));
	} else {
		struct compat *c = malloc(sizeof(*c));
		if (!c) {
			free(other);
			json_decref(ret);
			json_decref(reasons);
			return FAIL("out of memory");
		}
		state_compat_vm(vm, other, c);
		ok = c->ok;
		for (unsigned i = 0; i < c->n; i++)
			json_array_append_new(reasons, json_string(c->reason[i]));
		free(c);
	}
	free(other);
	json_object_set_new(ret, "compatible", json_boolean(ok));
	json_object_set_new(ret, "reasons", reasons);
	return ret;
}

static const struct qmp_arg no_args[] = { { 0 } };
static const struct qmp_arg migrate_args[] = {
	{ "uri", ARG_STR, true, 0, 0 },
	{ "detach", ARG_BOOL, false, 0, 0 }, /* QEMU ignores it too: migrate never blocks */
	{ "resume", ARG_BOOL, false, 0, 0 },
	{ 0 } };
static const struct qmp_arg parameter_args[] = {
	{ "downtime-limit", ARG_UINT, false, 0, 2000000 },  /* ms, QEMU's bound */
	{ "max-bandwidth", ARG_U64, false, 0, INT64_MAX },  /* bytes per second, 0: unlimited */
	{ "x-max-rounds", ARG_UINT, false, 1, 100000 },     /* pre-copy rounds before stop-and-copy */
	{ "x-dirty-tracking", ARG_STR, false, 0, 0 },       /* auto, kvm, hash */
	{ 0 } };
static const struct qmp_arg compat_args[] = { { "version", ARG_STR, false, 0, 0 }, { 0 } };

static const struct qmp_command commands[] = {
	{ "migrate", migrate_args, cmd_migrate },
	{ "migrate_cancel", no_args, cmd_migrate_cancel },
	{ "query-migrate", no_args, cmd_query_migrate },
	{ "migrate-set-parameters", parameter_args, cmd_set_parameters },
	{ "query-migrate-parameters", no_args, cmd_query_parameters },
	{ "query-migrate-compat", compat_args, cmd_query_compat },
};

const struct qmp_command *migrate_qmp_commands(size_t *count)
{
	*count = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

const struct qmp_command *migrate_qmp_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}
