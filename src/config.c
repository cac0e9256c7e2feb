// SPDX-License-Identifier: MIT
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acpi/spec.h"

static const char usage_main[] =
	"usage: rasvm COMMAND [OPTIONS]\n"
	"\n"
	"A small KVM virtual machine monitor whose guests survive host memory errors.\n"
	"\n"
	"commands:\n"
	"  run          boot a guest (the embedded test guest unless --kernel is given)\n"
	"  check-host   report what this host's KVM offers for guest RAS\n"
	"\n"
	"options:\n"
	"  -h, --help     this text; 'rasvm COMMAND --help' for a command's options\n"
	"  -V, --version  print the version\n";

static const char usage_run[] =
	"usage: rasvm run [OPTIONS]\n"
	"\n"
	"Boot a guest on KVM. Without --kernel, boots the test guest built into rasvm.\n"
	"\n"
	"options:\n"
	"  --kernel FILE       static x86_64 ELF64 executable, linked at 1 MiB or above\n"
	"  --memory SIZE       guest RAM: 512M, 2G, 65536K, or a number of MiB (default 128M,\n"
	"                      at least 8M, a multiple of 4K, at most the host's RAM)\n"
	"  --cpus N            vCPUs, 1 to 254 and at most KVM's maximum (default 1)\n"
	"  --serial MODE       where COM1 output goes: stdio (default), file:PATH, none\n"
	"  --scenario NAME     scenario for the guest to run, passed in the boot-info page\n"
	"                      (default \"boot\"; 'rasvm run --scenario list' lists the test guest's)\n"
	"  --stats FILE        write start-up time and memory figures to FILE when the VM ends\n"
	"  -v, --verbose       log test-port events (SYNC, DONE) and device events to stderr\n"
	"  -h, --help          this text\n"
	"\n"
	"exit status: the guest's own code (0-63) when it powers off through the power port;\n"
	"64 bad usage, 65 bad kernel file, 66 kernel file unreadable, 69 KVM unusable,\n"
	"70 internal error, 71 host resource error, 80 guest triple fault, 81 guest hung\n"
	"(every vCPU halted with interrupts off), 82 guest assertion failed, 83 guest exit\n"
	"code out of range, 84 guest stopped KVM (emulation failure), 130/143 SIGINT/SIGTERM.\n";

static const char usage_check_host[] =
	"usage: rasvm check-host [--json]\n"
	"\n"
	"Report the KVM API version, the capabilities guest RAS needs, whether KVM rejects\n"
	"invalid kvm_valid_regs/kvm_dirty_regs bits, whether MADV_HWPOISON works, and whether\n"
	"guest kernel code runs at hardware speed or is emulated. Exits 0 when every capability\n"
	"rasvm needs is present, 69 when one is missing or KVM cannot be opened.\n"
	"\n"
	"options:\n"
	"  --json      print one JSON object instead of text\n"
	"  -h, --help  this text\n";

const char *config_usage(enum command cmd)
{
	switch (cmd) {
	case CMD_RUN:
		return usage_run;
	case CMD_CHECK_HOST:
		return usage_check_host;
	default:
		return usage_main;
	}
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int config_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	uint64_t shift = 20; /* a bare number is MiB */

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
		if (strcasecmp(end, "") && strcasecmp(end, "B") && strcasecmp(end, "iB"))
			return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Accepts "--name VALUE" and "--name=VALUE"; *i advances past what was used. */
static bool take(int argc, char *const argv[], int *i, const char *name, const char **val,
		 int *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == '=') {
		*val = a + n + 1;
		return true;
	}
	if (a[n] != '\0')
		return false;
	if (*i + 1 >= argc) {
		*missing = 1;
		*val = NULL;
		return true;
	}
	*val = argv[++*i];
	return true;
}

static int parse_run_option(int argc, char *const argv[], int *i, struct config *c, char *err,
			    size_t errlen)
{
	const char *v;
	int missing = 0;

	if (take(argc, argv, i, "--kernel", &v, &missing)) {
		if (missing || !*v)
			return fail(err, errlen, "--kernel needs a file name");
		c->kernel = v;
	} else if (take(argc, argv, i, "--memory", &v, &missing)) {
		if (missing)
			return fail(err, errlen, "--memory needs a size, e.g. --memory 256M");
		if (config_parse_size(v, &c->memory))
			return fail(err, errlen,
				    "--memory '%s' is not a size; use e.g. 512M, 2G or 65536K", v);
	} else if (take(argc, argv, i, "--cpus", &v, &missing)) {
		if (missing)
			return fail(err, errlen, "--cpus needs a number");
		if (parse_uint(v, &c->cpus))
			return fail(err, errlen, "--cpus '%s' is not a number", v);
	} else if (take(argc, argv, i, "--serial", &v, &missing)) {
		if (missing)
			return fail(err, errlen, "--serial needs stdio, file:PATH or none");
		if (!strcmp(v, "stdio")) {
			c->serial = SERIAL_STDIO;
		} else if (!strcmp(v, "none")) {
			c->serial = SERIAL_NONE;
		} else if (!strncmp(v, "file:", 5) && v[5]) {
			c->serial = SERIAL_FILE;
			c->serial_path = v + 5;
		} else {
			return fail(err, errlen, "--serial '%s': use stdio, file:PATH or none", v);
		}
	} else if (take(argc, argv, i, "--scenario", &v, &missing)) {
		if (missing || !*v)
			return fail(err, errlen, "--scenario needs a name");
		if (strlen(v) >= sizeof(c->scenario))
			return fail(err, errlen, "--scenario name is longer than %zu characters",
				    sizeof(c->scenario) - 1);
		strcpy(c->scenario, v);
	} else if (take(argc, argv, i, "--stats", &v, &missing)) {
		if (missing || !*v)
			return fail(err, errlen, "--stats needs a file name");
		c->stats_path = v;
	} else if (!strcmp(argv[*i], "-v") || !strcmp(argv[*i], "--verbose")) {
		c->verbose = true;
	} else {
		return fail(err, errlen, "run: unknown option '%s'; see 'rasvm run --help'", argv[*i]);
	}
	return 0;
}

static int validate_run(const struct config *c, char *err, size_t errlen)
{
	if (c->memory < LAYOUT_RAM_MIN)
		return fail(err, errlen, "--memory %llu KiB is too small: rasvm needs at least %llu MiB",
			    (unsigned long long)(c->memory >> 10),
			    (unsigned long long)(LAYOUT_RAM_MIN >> 20));
	if (c->memory % 4096)
		return fail(err, errlen, "--memory must be a multiple of 4 KiB");
	if (c->cpus == 0)
		return fail(err, errlen, "--cpus 0: a VM needs at least one vCPU");
	if (c->cpus > MADT_MAX_XAPIC_ID)
		return fail(err, errlen,
			    "--cpus %u: rasvm describes vCPUs with 8-bit xAPIC ids, so at most %u",
			    c->cpus, MADT_MAX_XAPIC_ID);
	return 0;
}

int config_parse(int argc, char *const argv[], struct config *c, char *err, size_t errlen)
{
	*c = (struct config){
		.cmd = CMD_HELP,
		.help_for = CMD_HELP,
		.memory = CONFIG_DEFAULT_MEMORY,
		.cpus = CONFIG_DEFAULT_CPUS,
		.serial = SERIAL_STDIO,
		.scenario = CONFIG_DEFAULT_SCENARIO,
	};
	if (argc < 2)
		return fail(err, errlen, "no command given; try 'rasvm --help'");

	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		return 0;
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		c->cmd = CMD_VERSION;
		return 0;
	}
	if (!strcmp(cmd, "run"))
		c->cmd = CMD_RUN;
	else if (!strcmp(cmd, "check-host"))
		c->cmd = CMD_CHECK_HOST;
	else
		return fail(err, errlen, "unknown command '%s'; try 'rasvm --help'", cmd);

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			c->help_for = c->cmd;
			c->cmd = CMD_HELP;
			return 0;
		}
		int r;
		if (c->cmd == CMD_RUN) {
			r = parse_run_option(argc, argv, &i, c, err, errlen);
		} else if (!strcmp(argv[i], "--json")) {
			c->json = true;
			r = 0;
		} else {
			r = fail(err, errlen, "check-host: unknown option '%s'; see 'rasvm check-host --help'",
				 argv[i]);
		}
		if (r)
			return r;
	}
	return c->cmd == CMD_RUN ? validate_run(c, err, errlen) : 0;
}

int config_check_host(const struct config *c, uint64_t host_ram, unsigned kvm_max_vcpus, char *err,
		      size_t errlen)
{
	if (c->memory > host_ram)
		return fail(err, errlen, "--memory %llu MiB is more than this host's %llu MiB of RAM",
			    (unsigned long long)(c->memory >> 20), (unsigned long long)(host_ram >> 20));
	if (c->cpus > kvm_max_vcpus)
		return fail(err, errlen, "--cpus %u is more than KVM allows here (%u)", c->cpus,
			    kvm_max_vcpus);
	return 0;
}
