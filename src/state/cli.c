// SPDX-License-Identifier: MIT
/*
 * rasvm snapshot check FILE: reads the whole snapshot as a restore would (every record's
 * CRC, every section through its own loader, on an offline VM: offline.c), then asks this
 * host's KVM whether it can run the guest described; says why not.
 * rasvm snapshot restore FILE [run options]: `rasvm run --incoming file:FILE` with the
 * machine the snapshot's header describes, the options after FILE on top.
 */
#include "state/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/hest.h"
#include "boot.h"
#include "exitcode.h"
#include "log.h"
#include "ras/ras.h"
#include "state/load.h"
#include "state/offline.h"
#include "state/sections.h"

static int open_snapshot(const char *path, struct state_in *in, struct state_header *h, int *code)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_err("%s: %s", path, strerror(errno));
		*code = EXIT_NO_INPUT;
		return -1;
	}
	if (in_init_fd(in, fd)) {
		close(fd);
		*code = EXIT_OS;
		return -1;
	}
	if (state_read_header(in, h)) {
		*code = in->err == -EBADMSG ? EXIT_BAD_KERNEL : EXIT_NO_INPUT;
		return -1;
	}
	return 0;
}

static const char *sources(uint32_t mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
		if (mask & (1u << id))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", ras_source_name(id));
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

int state_cli_check(const struct config *cfg)
{
	struct state_in in = { .fd = -1 };
	struct state_header *h = calloc(1, sizeof(*h));
	struct offline_vm *o = calloc(1, sizeof(*o));
	struct compat *c = calloc(1, sizeof(*c));
	struct state_load l;
	bool loaded = false, intact = false, host_known = false;
	char damage[512] = "", name[5], list[32];
	int code = EXIT_BAD_KERNEL;
	struct stat st;

	if (!h || !o || !c) {
		free(h), free(o), free(c);
		return EXIT_OS;
	}
	if (open_snapshot(cfg->path, &in, h, &code)) {
		snprintf(damage, sizeof(damage), "%s", in.why);
		goto report;
	}
	/* Every section through its loader, as a restore would. */
	if (offline_vm_init(o, h, damage, sizeof(damage)) == 0 && state_load_init(&l, &o->vm, h) == 0) {
		loaded = true;
		intact = state_load_records(&l, &in) == 0;
		if (!intact)
			snprintf(damage, sizeof(damage), "%s", in.why);
	}
	/* And this host. */
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm >= 0) {
		struct state_host host;
		state_host_from_kvm(kvm, -1, &host);
		state_compat(h, state_sections, state_nsections, &host, NULL, c);
		host_known = true;
		close(kvm);
	} else {
		state_compat(h, state_sections, state_nsections, NULL, NULL, c);
	}
report:
	if (!damage[0] && !intact)
		snprintf(damage, sizeof(damage), "not read");
	bool ok = intact && c->ok && host_known;
	code = ok ? 0 : !intact || !c->ok ? (code == EXIT_NO_INPUT ? EXIT_NO_INPUT : EXIT_BAD_KERNEL) : EXIT_NO_KVM;
	if (cfg->json) {
		json_t *j = json_pack("{s:s,s:I,s:b,s:b}", "file", cfg->path, "size",
				      (json_int_t)(stat(cfg->path, &st) == 0 ? st.st_size : -1), "intact", intact,
				      "compatible", c->ok && intact);
		if (h->format) {
			json_object_set_new(j, "format", json_integer(h->format));
			json_object_set_new(j, "writer", json_string(h->writer));
			json_object_set_new(j, "cpus", json_integer(h->cpus));
			json_object_set_new(j, "memory", json_integer((json_int_t)h->memory));
			json_object_set_new(j, "scenario", json_string(h->scenario));
		}
		if (intact) {
			json_t *secs = json_object();
			for (unsigned i = 0; i < state_nsections && i < 16; i++)
				json_object_set_new(secs, state_tag_name(state_sections[i].tag, name),
						    json_integer((json_int_t)l.sections[i]));
			json_object_set_new(j, "records", secs);
			json_object_set_new(j, "pages", json_pack("{s:I,s:I,s:I}", "data", (json_int_t)l.ram.data_pages,
								  "zero", (json_int_t)l.ram.zero_pages, "poisoned",
								  (json_int_t)l.ram.poisoned_pages));
			json_object_set_new(j, "poison-table", json_integer(o->vm.ras->table.count));
		}
		json_t *reasons = json_array();
		if (!intact)
			json_array_append_new(reasons, json_string(damage));
		for (unsigned i = 0; i < c->n; i++)
			json_array_append_new(reasons, json_string(c->reason[i]));
		if (!host_known)
			json_array_append_new(reasons, json_string("not checked against this host: /dev/kvm is not usable"));
		json_object_set_new(j, "reasons", reasons);
		char *s = json_dumps(j, JSON_INDENT(2));
		if (s)
			puts(s);
		free(s);
		json_decref(j);
	} else {
		if (stat(cfg->path, &st) == 0)
			printf("snapshot: %s (%lld bytes)\n", cfg->path, (long long)st.st_size);
		else
			printf("snapshot: %s (cannot be read)\n", cfg->path);
		if (h->format) {
			printf("written by: %s, format %u\n", h->writer[0] ? h->writer : "?", h->format);
			printf("guest: %u vCPU(s), %llu MiB, %s signature 0x%08x, scenario '%s'%s%s\n", h->cpus,
			       (unsigned long long)(h->memory >> 20), h->vendor, h->signature, h->scenario,
			       h->kernel[0] ? ", kernel " : "", h->kernel);
			printf("RAS: sources %s, block %u, poll %u ms, policy %s, queue %u; MCG_CAP 0x%llx\n",
			       sources(h->ras_sources, list, sizeof(list)), h->ras_block, h->ras_poll_ms, h->ras_policy,
			       h->ras_queue, (unsigned long long)h->mcg_cap);
		}
		if (intact) {
			printf("records:");
			for (unsigned i = 0; i < state_nsections && i < 16; i++)
				printf(" %s %llu", state_tag_name(state_sections[i].tag, name), (unsigned long long)l.sections[i]);
			printf("\npages: %llu with data, %llu zero, %llu poisoned; poison table: %u page(s)\n",
			       (unsigned long long)l.ram.data_pages, (unsigned long long)l.ram.zero_pages,
			       (unsigned long long)l.ram.poisoned_pages, o->vm.ras->table.count);
			printf("intact: yes (every record's CRC and every section checked)\n");
		} else {
			printf("intact: no: %s\n", damage);
		}
		printf("compatible: %s\n", ok ? "yes" : c->ok && intact ? "not known (no /dev/kvm)" : "no");
		for (unsigned i = 0; i < c->n; i++)
			printf("  - %s\n", c->reason[i]);
	}
	if (loaded)
		state_load_free(&l);
	offline_vm_free(o);
	if (in.fd >= 0)
		close(in.fd);
	in_free(&in);
	free(h), free(o), free(c);
	return code;
}

int state_cli_restore(const struct config *cfg)
{
	struct state_in in = { .fd = -1 };
	struct state_header *h = calloc(1, sizeof(*h));
	struct config *run = calloc(1, sizeof(*run));
	char **argv = calloc((size_t)cfg->rest_argc + 40, sizeof(char *));
	char mem[32], cpus[16], block[16], poll[16], queue[16], list[32], err[256];
	char *incoming = malloc(strlen(cfg->path) + 6);
	int n = 0, code;

	if (!h || !run || !argv || !incoming) {
		code = EXIT_OS;
		goto out;
	}
	if (open_snapshot(cfg->path, &in, h, &code)) {
		log_err("%s: %s", cfg->path, in.why);
		goto out;
	}
	/* The snapshot's machine first; the user's options after FILE come on top of it. */
	snprintf(mem, sizeof(mem), "%lluK", (unsigned long long)(h->memory >> 10));
	snprintf(cpus, sizeof(cpus), "%u", h->cpus);
	snprintf(block, sizeof(block), "%u", h->ras_block);
	snprintf(poll, sizeof(poll), "%u", h->ras_poll_ms);
	snprintf(queue, sizeof(queue), "%u", h->ras_queue);
	char *fixed[] = { "rasvm", "run", "--memory", mem, "--cpus", cpus, "--ras-sources",
			  (char *)sources(h->ras_sources, list, sizeof(list)), "--ras-block-size", block,
			  "--ras-poll-ms", poll, "--ras", h->ras_policy, "--ras-queue", queue, "--scenario",
			  h->scenario[0] ? h->scenario : "boot" };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[n++] = fixed[i];
	if (h->guest_poison)
		argv[n++] = "--guest-poison";
	if (h->kernel[0]) {
		argv[n++] = "--kernel";
		argv[n++] = h->kernel;
		argv[n++] = "--boot";
		argv[n++] = h->boot[0] ? h->boot : "64";
		if (h->initrd[0]) {
			argv[n++] = "--initrd";
			argv[n++] = h->initrd;
		}
		if (h->cmdline[0]) {
			argv[n++] = "--cmdline";
			argv[n++] = h->cmdline;
		}
	}
	for (int i = 0; i < cfg->rest_argc; i++)
		argv[n++] = cfg->rest_argv[i];
	sprintf(incoming, "file:%s", cfg->path);
	argv[n++] = "--incoming";
	argv[n++] = incoming;
	if (config_parse(n, argv, run, err, sizeof(err))) {
		log_err("%s", err);
		code = EXIT_USAGE;
		goto out;
	}
	if (run->cmd == CMD_HELP) {
		fputs(config_usage(CMD_SNAPSHOT_RESTORE), stdout);
		code = 0;
		goto out;
	}
	if (in.fd >= 0)
		close(in.fd);
	in.fd = -1;
	code = boot_run(run);
out:
	if (in.fd >= 0)
		close(in.fd);
	in_free(&in);
	free(h);
	free(run);
	free(argv);
	free(incoming);
	return code;
}
