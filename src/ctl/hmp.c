// SPDX-License-Identifier: MIT
/*
 * HMP through QMP (human-monitor-command): the commands a RAS user types at QEMU's monitor,
 * parsed as QEMU's monitor/hmp.c parses them (a command name, then arguments by type: a
 * flag such as -b, numbers that are expressions, words) and answered with QEMU's texts.
 * Everything the monitor prints is the command's "return" string, errors included, as in
 * QEMU: "unknown command: 'foo'" is a successful reply.
 */
#include "ctl/hmp.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl/protocol.h"
#include "ctl/qmp.h"
#include "kvm/arch.h"
#include "kvm/vcpu.h"
#include "ras/ras.h"
#include "text.h"
#include "vm.h"

/* ---- output ---- */


/* ---- the command tables ---- */

typedef void (*hmp_fn)(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out);

/*
 * args, one character per argument, in order: 'F' the command's flag (flag names it), 'i' a
 * 32-bit number, 'l' a 64-bit number, 'I' an optional 32-bit number, 'w' an optional word,
 * 'W' the optional rest of the line.
 */
struct hmp_cmd {
	const char *name;   /* "stop|s": the name and its alias */
	const char *args;
	char flag;
	const char *params; /* for help */
	const char *help;
	hmp_fn run;
	const struct hmp_cmd *sub; /* info's table */
};

static void cmd_help(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_info(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_cont(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_stop(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_cpu(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_gva2gpa(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_mce(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_nmi(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_quit(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void cmd_system_reset(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void info_cpus(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void info_kvm(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void info_memory(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void info_name(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void info_ras(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void info_registers(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void info_status(struct vm *, const struct hmp_parsed *, unsigned, struct text *);
static void info_version(struct vm *, const struct hmp_parsed *, unsigned, struct text *);

/* QEMU's texts (hmp-commands-info.hx), in its order: sorted by name. */
static const struct hmp_cmd info_cmds[] = {
	{ "cpus", "", 0, "", "show infos for each CPU", info_cpus, NULL },
	{ "kvm", "", 0, "", "show KVM information", info_kvm, NULL },
	{ "memory_size_summary", "", 0, "",
	  "show the amount of initially allocated and present hotpluggable (if enabled) memory in bytes.",
	  info_memory, NULL },
	{ "name", "", 0, "", "show the current VM name", info_name, NULL },
	{ "ras", "", 0, "",
	  "show guest RAS: policy, error sources, poisoned pages, counters (rasvm's own)", info_ras, NULL },
	{ "registers", "FI", 'a', "[-a|vcpu]",
	  "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)",
	  info_registers, NULL },
	{ "status", "", 0, "", "show the current VM status (running|paused)", info_status, NULL },
	{ "version", "", 0, "", "show the version of QEMU", info_version, NULL },
	{ 0 } };

static const struct hmp_cmd cmds[] = {
	{ "cont|c", "", 0, "", "resume emulation", cmd_cont, NULL },
	{ "cpu", "i", 0, "index", "set the default CPU", cmd_cpu, NULL },
	{ "gva2gpa", "l", 0, "addr",
	  "print the guest physical address corresponding to a guest virtual address", cmd_gva2gpa, NULL },
	{ "help|?", "W", 0, "[cmd]", "show the help", cmd_help, NULL },
	{ "info", "w", 0, "[subcommand]", "show various information about the system state", cmd_info,
	  info_cmds },
	{ "mce", "Fiillll", 'b', "[-b] cpu bank status mcgstatus addr misc",
	  "inject a MCE on the given CPU [and broadcast to other CPUs with -b option]", cmd_mce, NULL },
	{ "nmi", "", 0, "", "inject an NMI", cmd_nmi, NULL },
	{ "quit|q", "", 0, "", "quit the emulator", cmd_quit, NULL },
	{ "stop|s", "", 0, "", "stop emulation", cmd_stop, NULL },
	{ "system_reset", "", 0, "", "reset the system", cmd_system_reset, NULL },
	{ 0 } };

/* QEMU's compare_cmd(): name matches one of the '|'-separated names. */
static bool name_is(const char *name, size_t len, const char *names)
{
	for (const char *p = names;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == len && !memcmp(p, name, len))
			return true;
		if (!bar)
			return false;
		p = bar + 1;
	}
}

static const struct hmp_cmd *lookup(const struct hmp_cmd *table, const char *name, size_t len)
{
	for (const struct hmp_cmd *c = table; c->name; c++)
		if (name_is(name, len, c->name))
			return c;
	return NULL;
}

/* ---- QEMU's expressions (monitor/hmp.c get_expr) ---- */

struct expr {
	const char *p;
	const char *err; /* first error */
	char errbuf[64];
	unsigned depth;
};

static void skip_space(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

static void next(struct expr *e)
{
	if (*e->p) {
		e->p++;
		skip_space(&e->p);
	}
}

static uint64_t sum(struct expr *e);

static uint64_t unary(struct expr *e)
{
	uint64_t n = 0;

	if (e->err)
		return 0;
	if (++e->depth > HMP_EXPR_DEPTH) {
		e->err = "expression nested too deeply";
		return 0;
	}
	switch (*e->p) {
	case '+':
		next(e);
		n = unary(e);
		break;
	case '-':
		next(e);
		n = -unary(e);
		break;
	case '~':
		next(e);
		n = ~unary(e);
		break;
	case '(':
		next(e);
		n = sum(e);
		if (!e->err && *e->p != ')')
			e->err = "')' expected";
		next(e);
		break;
	case '\'':
		e->p++;
		if (!*e->p) {
			e->err = "character constant expected";
			break;
		}
		n = (unsigned char)*e->p++;
		if (*e->p != '\'')
			e->err = "missing terminating ' character";
		next(e);
		break;
	case '$':
		e->err = "unknown register"; /* rasvm's monitor has no $reg */
		break;
	case '\0':
		e->err = "unexpected end of expression";
		break;
	default: {
		char *end;
		errno = 0;
		n = strtoull(e->p, &end, 0);
		if (errno == ERANGE) {
			e->err = "number too large";
		} else if (end == e->p) {
			snprintf(e->errbuf, sizeof(e->errbuf), "invalid char '%c' in expression", *e->p);
			e->err = e->errbuf;
		}
		e->p = end;
		skip_space(&e->p);
		break;
	}
	}
	e->depth--;
	return n;
}

static uint64_t logic(struct expr *e)
{
	uint64_t v = unary(e);
	while (!e->err && (*e->p == '&' || *e->p == '|' || *e->p == '^')) {
		char op = *e->p;
		next(e);
		uint64_t w = unary(e);
		v = op == '&' ? v & w : op == '|' ? v | w : v ^ w;
	}
	return v;
}

static uint64_t prod(struct expr *e)
{
	uint64_t v = logic(e);
	while (!e->err && (*e->p == '*' || *e->p == '/' || *e->p == '%')) {
		char op = *e->p;
		next(e);
		uint64_t w = logic(e);
		if (e->err)
			break;
		if (op == '*') {
			v *= w;
		} else if (w == 0) {
			e->err = "division by zero";
		} else if ((int64_t)w == -1) {
			v = op == '/' ? -v : 0; /* as two's complement wraps, without INT64_MIN / -1 */
		} else {
			v = op == '/' ? (uint64_t)((int64_t)v / (int64_t)w) : (uint64_t)((int64_t)v % (int64_t)w);
		}
	}
	return v;
}

static uint64_t sum(struct expr *e)
{
	uint64_t v = prod(e);
	while (!e->err && (*e->p == '+' || *e->p == '-')) {
		char op = *e->p;
		next(e);
		uint64_t w = prod(e);
		v = op == '+' ? v + w : v - w;
	}
	return v;
}

/* ---- the parser (monitor_parse_command / monitor_parse_arguments) ---- */

#define says(...) (snprintf(out, outlen, __VA_ARGS__), 1)

static int parse_args(const struct hmp_cmd *c, const char *q, struct hmp_parsed *p, char *out,
		      size_t outlen)
{
	const char *name = c->name;
	int nlen = (int)strcspn(name, "|");

	for (const char *t = c->args; *t; t++) {
		skip_space(&q);
		switch (*t) {
		case 'F':
			if (*q == '-') {
				if (q[1] != c->flag)
					return says("%.*s: unsupported option -%c\n", nlen, name, q[1] ? q[1] : ' ');
				q += 2;
				p->flag = true;
			}
			break;
		case 'i':
		case 'l':
		case 'I': {
			if (*t == 'I' && !*q)
				break;
			struct expr e = { .p = q };
			uint64_t v = sum(&e);
			if (e.err)
				return says("%s\nTry \"help %.*s\" for more information\n", e.err, nlen, name);
			if (*t != 'l' && v >> 32)
				return says("'%.*s' has failed: integer is for 32-bit values\nTry \"help %.*s\" for more information\n",
					    nlen, name, nlen, name);
			p->num[p->nums++] = v;
			q = e.p;
			break;
		}
		case 'w': {
			size_t n = strcspn(q, " \t\r\n\f\v");
			if (n >= sizeof(p->word))
				n = sizeof(p->word) - 1;
			memcpy(p->word, q, n);
			p->word[n] = '\0';
			q += strcspn(q, " \t\r\n\f\v");
			break;
		}
		case 'W': {
			size_t n = strlen(q);
			while (n && isspace((unsigned char)q[n - 1]))
				n--;
			if (n >= sizeof(p->word))
				n = sizeof(p->word) - 1;
			memcpy(p->word, q, n);
			p->word[n] = '\0';
			q += strlen(q);
			break;
		}
		}
	}
	skip_space(&q);
	if (*q)
		return says("%.*s: extraneous characters at the end of line\nTry \"help %.*s\" for more information\n",
			    nlen, name, nlen, name);
	return 0;
}

int hmp_parse(const char *line, struct hmp_parsed *p, char *out, size_t outlen)
{
	const char *start = line, *q = line;
	const struct hmp_cmd *table = cmds;

	*p = (struct hmp_parsed){ 0 };
	if (outlen)
		out[0] = '\0';
	if (strlen(line) > HMP_LINE_MAX)
		return says("command line longer than %d bytes\n", HMP_LINE_MAX);
	for (;;) {
		skip_space(&q);
		if (!*q && table == cmds)
			return 1; /* an empty line: nothing, as in QEMU */
		const char *name = q;
		while (*q && *q != '/' && !isspace((unsigned char)*q))
			q++;
		const struct hmp_cmd *c = lookup(table, name, (size_t)(q - name));
		if (!c)
			return says("unknown command: '%.*s'\n", (int)(q - start) > 200 ? 200 : (int)(q - start), start);
		skip_space(&q);
		if (c->sub && *q) {
			table = c->sub; /* info ITEM */
			continue;
		}
		p->cmd = c;
		return parse_args(c, q, p, out, outlen);
	}
}

/* ---- the commands ---- */

/* Run a QMP command of the same name: the same checks and events as on the socket. */
static void qmp_as_hmp(struct vm *vm, const char *name, struct text *out)
{
	const struct qmp_command *c = qmp_find_command(name);
	const char *cls = "GenericError";
	char desc[256] = "";
	json_t *r = c ? c->run(vm, NULL, &cls, desc, sizeof(desc)) : NULL;
	if (!r)
		text_printf(out, "Error: %s\n", desc);
	json_decref(r);
}

static void help_line(const struct hmp_cmd *c, const char *prefix, struct text *out)
{
	text_printf(out, "%s%s %s -- %s\n", prefix, c->name, c->params, c->help);
}

static void cmd_help(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)vm, (void)cpu;
	if (!p->word[0]) {
		for (const struct hmp_cmd *c = cmds; c->name; c++)
			help_line(c, "", out);
		return;
	}
	const char *w = p->word;
	size_t n = strcspn(w, " \t");
	const struct hmp_cmd *c = lookup(cmds, w, n);
	if (c && c->sub) {
		const char *item = w + n + strspn(w + n, " \t");
		const struct hmp_cmd *s = *item ? lookup(c->sub, item, strcspn(item, " \t")) : NULL;
		if (*item && !s) {
			text_printf(out, "unknown command: '%s'\n", w);
			return;
		}
		for (s = s ? s : c->sub; s->name; s++) {
			help_line(s, "info ", out);
			if (*item)
				break;
		}
		return;
	}
	if (c)
		help_line(c, "", out);
	else
		text_printf(out, "unknown command: '%s'\n", w);
}

static void cmd_info(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)vm, (void)p, (void)cpu;
	for (const struct hmp_cmd *s = info_cmds; s->name; s++)
		help_line(s, "info ", out);
}

static void cmd_cont(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)p, (void)cpu;
	qmp_as_hmp(vm, "cont", out);
}

static void cmd_stop(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)p, (void)cpu;
	qmp_as_hmp(vm, "stop", out);
}

static void cmd_quit(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)p, (void)cpu;
	qmp_as_hmp(vm, "quit", out);
}

static void cmd_system_reset(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)p, (void)cpu;
	qmp_as_hmp(vm, "system_reset", out);
}

static void cmd_nmi(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)p, (void)cpu;
	qmp_as_hmp(vm, "inject-nmi", out);
}

/* cpu N only checks N: human-monitor-command's cpu-index is how a client picks the CPU. */
static void cmd_cpu(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)cpu;
	if (p->num[0] >= vm->ncpus)
		text_printf(out, "invalid CPU index\n");
}

struct translation {
	uint64_t gva, gpa;
};

static int translate_fn(struct vcpu *v, void *arg)
{
	struct translation *t = arg;
	return arch_vcpu_translate(v, t->gva, &t->gpa);
}

/* QEMU's hmp_gva2gpa: the address's translation on the current CPU, through its page tables
 * now (on the vCPU's own thread). */
static void cmd_gva2gpa(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	struct translation t = { .gva = p->num[0] };

	if (cpu >= vm->ncpus) {
		text_printf(out, "No cpu\n");
		return;
	}
	int r = vcpu_call(&vm->vcpu[cpu], translate_fn, &t, 1000);
	if (r == -ENOTSUP)
		text_printf(out, "gva2gpa is not supported on this machine\n");
	else if (r)
		text_printf(out, "Unmapped\n");
	else
		text_printf(out, "gpa: %#llx\n", (unsigned long long)t.gpa);
}

/* QEMU's hmp_mce and cpu_x86_inject_mce checks, in its words; a missing CPU is silently
 * ignored there too. */
static void cmd_mce(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	uint64_t cap = atomic_load(&vm->mcg_cap), banks = cap & MCG_CAP_COUNT_MASK;
	struct mce_record r = { .bank = (unsigned)p->num[1], .status = p->num[2],
				.mcg_status = p->num[3], .addr = p->num[4], .misc = p->num[5] };

	(void)cpu;
	if (p->num[0] >= vm->ncpus)
		return;
	if (!cap) {
		text_printf(out, "MCE injection not supported\n");
		return;
	}
	if (p->num[1] >= banks) {
		text_printf(out, "Invalid MCE bank number\n");
		return;
	}
	if (!(r.status & MCI_STATUS_VAL)) {
		text_printf(out, "Invalid MCE status code\n");
		return;
	}
	if (p->flag && !vm->ras->intel_broadcast) {
		text_printf(out, "Guest CPU does not support MCA broadcast\n");
		return;
	}
	if (ras_inject_mce(vm, (unsigned)p->num[0], &r, p->flag))
		text_printf(out, "CPU %u: too many machine checks already wait\n", (unsigned)p->num[0]);
}

static void info_status(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	const char *s = vm_status_name(vm);
	bool running = !strcmp(s, "running");

	(void)p, (void)cpu;
	/* hmp_info_status: the RunState in brackets unless it is plain running or paused. */
	text_printf(out, "VM status: %s", running ? "running" : "paused");
	if (!running && strcmp(s, "paused"))
		text_printf(out, " (%s)", s);
	text_printf(out, "\n");
}

static void info_version(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	json_t *v = qmp_version_info();
	json_t *q = json_object_get(v, "qemu");

	(void)vm, (void)p, (void)cpu;
	text_printf(out, "%lld.%lld.%lld (%s)\n", (long long)json_integer_value(json_object_get(q, "major")),
	    (long long)json_integer_value(json_object_get(q, "minor")),
	    (long long)json_integer_value(json_object_get(q, "micro")),
	    json_string_value(json_object_get(v, "package")));
	json_decref(v);
}

static void info_name(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)p, (void)cpu;
	if (vm->cfg && vm->cfg->name)
		text_printf(out, "%s\n", vm->cfg->name);
}

static void info_kvm(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)vm, (void)p, (void)cpu;
	text_printf(out, "kvm support: enabled\n");
}

static void info_memory(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)p, (void)cpu;
	text_printf(out, "base memory: %llu\nplugged memory: 0\n",
	    (unsigned long long)(vm->cfg ? vm->cfg->memory : vm->mem.size));
}

static int tid_fn(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	return (int)gettid();
}

int hmp_vcpu_tid(struct vm *vm, unsigned cpu)
{
	int r = cpu < vm->ncpus ? vcpu_call(&vm->vcpu[cpu], tid_fn, NULL, 1000) : -EINVAL;
	return r > 0 ? r : 0;
}

static void info_cpus(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	(void)p;
	for (unsigned i = 0; i < vm->ncpus; i++)
		text_printf(out, "%c CPU #%u: thread_id=%d\n", i == cpu ? '*' : ' ', i, hmp_vcpu_tid(vm, i));
}

static int regs_fn(struct vcpu *v, void *arg)
{
	struct hmp_regs *r = arg;
	r->text[0] = '\0';
	return arch_vcpu_dump(v, r->text, sizeof(r->text));
}

static void regs_of(struct vm *vm, unsigned i, struct text *out)
{
	struct hmp_regs *slot = qmp_regs_slot(vm, i);
	int r = slot ? vcpu_call(&vm->vcpu[i], regs_fn, slot, 1000) : -ENOMEM;

	text_printf(out, "\nCPU#%u\n", i);
	if (r) {
		text_printf(out, "registers not available: %s\n",
		    r == -EAGAIN ? "the vCPU is between boots" : strerror(-r));
		return;
	}
	text_printf(out, "%s", slot->text);
}

static void info_registers(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	if (p->flag) {
		for (unsigned i = 0; i < vm->ncpus; i++)
			regs_of(vm, i, out);
		return;
	}
	if (p->nums) {
		if (p->num[0] >= vm->ncpus) {
			text_printf(out, "CPU#%u not available\n", (unsigned)p->num[0]);
			return;
		}
		cpu = (unsigned)p->num[0];
	}
	regs_of(vm, cpu, out);
}

static void info_ras(struct vm *vm, const struct hmp_parsed *p, unsigned cpu, struct text *out)
{
	const struct qmp_command *c = qmp_find_command("query-ras");
	const char *cls;
	char desc[256];
	json_t *r = c->run(vm, NULL, &cls, desc, sizeof(desc)), *v;
	const char *key;
	size_t i;

	(void)p, (void)cpu;
	if (!r) {
		text_printf(out, "Error: %s\n", desc);
		return;
	}
	text_printf(out, "policy: %s\n", json_string_value(json_object_get(r, "policy")));
	json_array_foreach(json_object_get(r, "sources"), i, v) {
		text_printf(out, "source %lld (%s, %s): block 0x%llx %s, %lld queued of %lld, %lld records, %lld acknowledged, %lld overflowed\n",
		    (long long)json_integer_value(json_object_get(v, "id")),
		    json_string_value(json_object_get(v, "name")),
		    json_string_value(json_object_get(v, "notification")),
		    (long long)json_integer_value(json_object_get(v, "block-address")),
		    json_is_true(json_object_get(v, "free")) ? "free" : "awaiting ack",
		    (long long)json_integer_value(json_object_get(v, "queued")),
		    (long long)json_integer_value(json_object_get(v, "queue-capacity")),
		    (long long)json_integer_value(json_object_get(v, "records")),
		    (long long)json_integer_value(json_object_get(v, "records-acknowledged")),
		    (long long)json_integer_value(json_object_get(v, "overflowed")));
	}
	json_t *pages = json_object_get(r, "poisoned-pages");
	long long total = json_integer_value(json_object_get(r, "poisoned-pages-total"));
	text_printf(out, "poisoned pages: %lld\n", total);
	json_array_foreach(pages, i, v) {
		if (i == 32) {
			text_printf(out, "  ... %lld more (query-ras lists them, \"pages-from\" pages on)\n",
				    total - 32);
			break;
		}
		text_printf(out, "  0x%llx %s%s, %lld error(s), %lld report(s)\n",
		    (long long)json_integer_value(json_object_get(v, "gpa")),
		    json_string_value(json_object_get(v, "state")),
		    json_is_true(json_object_get(v, "action-required")) ? " action-required" : "",
		    (long long)json_integer_value(json_object_get(v, "errors")),
		    (long long)json_integer_value(json_object_get(v, "reports")));
	}
	text_printf(out, "counters:");
	json_object_foreach(json_object_get(r, "counters"), key, v) {
		if (json_is_integer(v))
			text_printf(out, " %s=%lld", key, (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			text_printf(out, " %s=%s", key, json_is_true(v) ? "yes" : "no");
	}
	text_printf(out, "\n");
	json_decref(r);
}

/* ---- running a line ---- */

char *hmp_run(struct vm *vm, const char *line, unsigned cpu_index)
{
	struct hmp_parsed p;
	struct text t = { 0 };
	char msg[512];

	if (hmp_parse(line, &p, msg, sizeof(msg)))
		text_printf(&t, "%s", msg);
	else
		p.cmd->run(vm, &p, cpu_index, &t);
	if (t.oom) {
		free(t.p);
		return NULL;
	}
	/* The monitor ends its lines with "\r\n" (monitor_puts). */
	size_t lf = 0;
	for (size_t i = 0; i < t.len; i++)
		lf += t.p[i] == '\n';
	char *s = malloc(t.len + lf + 1);
	if (!s) {
		free(t.p);
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < t.len; i++) {
		if (t.p[i] == '\n')
			s[o++] = '\r';
		s[o++] = t.p[i];
	}
	s[o] = '\0';
	free(t.p);
	return s;
}
