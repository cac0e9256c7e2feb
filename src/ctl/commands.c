// SPDX-License-Identifier: MIT
/*
 * The QMP commands rasvm answers, with QEMU's names and arguments where QEMU has them.
 * Arguments arrive checked against each command's schema (protocol.c), so handlers only
 * check values.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/cper.h"
#include "acpi/spec.h"
#include "ctl/base64.h"
#include "ctl/hmp.h"
#include "ctl/protocol.h"
#include "ctl/qmp.h"
#include "errmsg.h"
#include "kvm/arch.h"
#include "kvm/vcpu.h"
#include "ras/ras.h"
#include "sandbox/sandbox.h"
#include "state/migrate.h"
#include "vm.h"

#ifndef RASVM_VERSION
#define RASVM_VERSION "0.0.0-dev"
#endif

#define FAIL(...) (errmsg(desc, desclen, 0, __VA_ARGS__), (json_t *)NULL)
/* query-ras lists at most this many poisoned pages a reply (about 100 bytes each: well
 * inside a client's 256 KiB message and QMP_OUT_MAX), and says where the rest continue. */
#define QUERY_RAS_PAGES_MAX 1024

static json_t *cmd_capabilities(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	json_t *v;
	size_t i;

	(void)vm, (void)cls;
	/* QEMU's QMPCapability has one value, oob, and rasvm does not offer it. */
	json_array_foreach(json_object_get(a, "enable"), i, v) {
		if (!json_is_string(v))
			return FAIL("Invalid parameter type for 'enable[%zu]', expected: string", i);
		if (!strcmp(json_string_value(v), "oob"))
			return FAIL("Capability 'oob' not available");
		return FAIL("Parameter 'enable[%zu]' does not accept value '%.64s'", i, json_string_value(v));
	}
	return json_object();
}

json_t *qmp_version_info(void)
{
	return json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "major", 0, "minor", 1, "micro", 0, "package",
			 "rasvm " RASVM_VERSION);
}

static json_t *cmd_query_version(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)vm, (void)a, (void)cls, (void)desc, (void)desclen;
	return qmp_version_info();
}

static json_t *cmd_query_commands(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	size_t n;
	const struct qmp_command *c = qmp_commands(&n);
	json_t *r = json_array();

	(void)vm, (void)a, (void)cls, (void)desc, (void)desclen;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(r, json_pack("{s:s}", "name", c[i].name));
	c = migrate_qmp_commands(&n); /* state/migrate_qmp.c */
	for (size_t i = 0; i < n; i++)
		json_array_append_new(r, json_pack("{s:s}", "name", c[i].name));
	return r;
}

static json_t *cmd_query_target(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)vm, (void)a, (void)cls, (void)desc, (void)desclen;
	return json_pack("{s:s}", "arch", arch_machine.name);
}

static json_t *cmd_query_kvm(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)vm, (void)a, (void)cls, (void)desc, (void)desclen;
	return json_pack("{s:b,s:b}", "enabled", 1, "present", 1);
}

static json_t *cmd_query_name(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls, (void)desc, (void)desclen;
	/* As QEMU: no "name" member when the VM has none. */
	if (vm->cfg && vm->cfg->name)
		return json_pack("{s:s}", "name", vm->cfg->name);
	return json_object();
}

static json_t *cmd_query_cpus_fast(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	json_t *r = json_array();
	char path[64];

	(void)a, (void)cls, (void)desc, (void)desclen;
	/* One socket per vCPU (QEMU's -smp N on a pc machine); the host thread that runs it. */
	for (unsigned i = 0; i < vm->ncpus; i++) {
		snprintf(path, sizeof(path), "/machine/unattached/device[%u]", i);
		json_array_append_new(r, json_pack("{s:i,s:s,s:i,s:{s:i,s:i,s:i},s:s}", "cpu-index", (int)i,
						   "qom-path", path, "thread-id", hmp_vcpu_tid(vm, i), "props",
						   "core-id", 0, "thread-id", 0, "socket-id", (int)i, "target",
						   arch_machine.name));
	}
	return r;
}

static json_t *cmd_query_memory(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls, (void)desc, (void)desclen;
	return json_pack("{s:I,s:I}", "base-memory",
			 (json_int_t)(vm->cfg ? vm->cfg->memory : vm->mem.size), "plugged-memory", (json_int_t)0);
}

static json_t *cmd_hmp(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	const char *line = json_string_value(json_object_get(a, "command-line"));
	json_t *cpu = json_object_get(a, "cpu-index");
	json_int_t idx = cpu ? json_integer_value(cpu) : 0;

	(void)cls;
	if (idx < 0 || (uint64_t)idx >= vm->ncpus)
		return FAIL("Parameter 'cpu-index' expects a CPU number");
	if (strlen(line) > HMP_LINE_MAX)
		return FAIL("Parameter 'command-line' is longer than %d bytes", HMP_LINE_MAX);
	char *out = hmp_run(vm, line, (unsigned)idx);
	if (!out)
		return FAIL("out of memory");
	json_t *r = json_string(out);
	free(out);
	return r ? r : FAIL("the monitor's output is not UTF-8");
}

/* qom-get: the little of QEMU's object tree a client looks for first (ghes_inject.py walks
 * /machine/unattached/device[N] for CPUs and reads their "type"). */
static json_t *cmd_qom_get(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	const char *path = json_string_value(json_object_get(a, "path"));
	const char *prop = json_string_value(json_object_get(a, "property"));
	static const char prefix[] = "/machine/unattached/device[";
	const char *d = path + sizeof(prefix) - 1;
	uint64_t idx = 0;
	size_t digits = 0;

	if (!strncmp(path, prefix, sizeof(prefix) - 1))
		while (d[digits] >= '0' && d[digits] <= '9' && digits < 4)
			idx = idx * 10 + (uint64_t)(d[digits++] - '0');
	if (!digits || strcmp(d + digits, "]") || (digits > 1 && d[0] == '0') || idx >= vm->ncpus) {
		*cls = "DeviceNotFound";
		return FAIL("Device '%.128s' not found", path);
	}
	/* QEMU's type of a -cpu host vCPU on this target. */
	const char *type = arch_machine.acpi_arch == ACPI_ARCH_ARM64 ? "host-arm-cpu" : "host-x86_64-cpu";
	if (!strcmp(prop, "type"))
		return json_string(type);
	return FAIL("Property '%s.%.64s' not found", type, prop);
}

static json_t *cmd_query_metrics(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls;
	char *text = qmp_metrics_text(vm);
	if (!text)
		return FAIL("out of memory");
	json_t *r = json_string(text);
	free(text);
	return r;
}

static json_t *cmd_query_status(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls, (void)desc, (void)desclen;
	const char *status = vm_status_name(vm);
	return json_pack("{s:b,s:b,s:s}", "running", !strcmp(status, "running"), "singlestep", 0,
			 "status", status);
}

static json_t *cmd_stop(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	bool changed;

	(void)a, (void)cls;
	int r = vm_pause(vm, &changed);
	if (changed)
		qmp_event(vm, "STOP", NULL);
	if (r == -ETIMEDOUT)
		return FAIL("the vCPUs did not stop within 2 s");
	return json_object();
}

static json_t *cmd_cont(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	bool changed;

	(void)a, (void)cls, (void)desc, (void)desclen;
	vm_resume(vm, &changed);
	if (changed)
		qmp_event(vm, "RESUME", NULL);
	return json_object();
}

static json_t *cmd_system_reset(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls, (void)desc, (void)desclen;
	/* As QEMU: accepted whatever the state; a VM on its way out just ends. */
	vm_reset(vm, VM_RESET_CONTROL, "reset requested through the control socket");
	return json_object();
}

static json_t *cmd_quit(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls, (void)desc, (void)desclen;
	vm_end(vm, VM_QUIT, 0, "quit requested through the control socket");
	return json_object();
}

static json_t *cmd_inject_nmi(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	(void)a, (void)cls;
	/* As QEMU on a machine without NMIs (arm64's virt). */
	if (!vm->ras || !vm->ras->ops->nmi)
		return FAIL("this feature or command is not currently supported");
	/* The default CPU, as QEMU on x86; between boots it waits for the next one. */
	vcpu_request(&vm->vcpu[0], VCPU_REQ_NMI);
	return json_object();
}

static json_t *cmd_inject_ghes(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	const char *text = json_string_value(json_object_get(a, "cper"));
	json_t *src = json_object_get(a, "source");
	unsigned id = src ? (unsigned)json_integer_value(src) : RAS_SOURCE_ASYNC;
	size_t len = strlen(text);
	uint8_t *blk = malloc(len / 4 * 3 + 3);

	(void)cls;
	if (!blk)
		return FAIL("out of memory");
	long n = base64_decode(text, len, blk, len / 4 * 3 + 3);
	if (n < 0) {
		free(blk);
		return FAIL("'cper' is not base64");
	}
	char why[192];
	int r = ghes_inject_raw(vm->ras, id, blk, (size_t)n, why, sizeof(why));
	free(blk);
	if (r == -EINVAL)
		return FAIL("the CPER record is invalid: %s", why);
	if (r == -ENOMEM)
		return FAIL("out of memory");
	if (r)
		return FAIL("%s", why);
	return json_object();
}

static json_t *cmd_inject_host_error(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	uint64_t gpa = qmp_u64(json_object_get(a, "gpa"));
	json_t *arj = json_object_get(a, "action-required"), *lsbj = json_object_get(a, "lsb");
	bool ar = arj && json_is_true(arj);
	uint64_t lsb = lsbj ? qmp_u64(lsbj) : 12;

	(void)cls;
	if (lsb < 12 || lsb > 30)
		return FAIL("'lsb' must be 12 to 30");
	json_t *srcj = json_object_get(a, "source"), *accj = json_object_get(a, "on-access");
	bool real;
	int r = ras_inject_host_error_ex(vm, gpa, ar, (unsigned)lsb, srcj ? (int)qmp_u64(srcj) : -1,
					 accj && json_is_true(accj), &real);
	if (r == -ENOENT)
		return FAIL("GHES source %llu is not published (see --ras-sources)",
			    (unsigned long long)qmp_u64(srcj));
	if (r == -EFAULT)
		return FAIL("0x%llx is not guest RAM", (unsigned long long)gpa);
	if (r == -EBUSY)
		return FAIL("0x%llx is in rasvm's GHES status blocks", (unsigned long long)gpa);
	if (r == -EEXIST)
		return FAIL("0x%llx is already poisoned", (unsigned long long)gpa);
	if (r == -EIO)
		return FAIL("the host kernel would not poison 0x%llx (memory_failure() refused it, e.g. a huge page it could not split)",
			    (unsigned long long)gpa);
	if (r)
		return FAIL("%s", strerror(-r));
	/* Which it was: the kernel's own memory failure, or rasvm's simulator. */
	return json_pack("{s:s}", "poisoned", real ? "host" : "simulated");
}

static json_t *cmd_inject_mce(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	uint64_t cpu = qmp_u64(json_object_get(a, "cpu")), bank = qmp_u64(json_object_get(a, "bank"));
	json_t *b = json_object_get(a, "broadcast");
	struct mce_record r = {
		.bank = (unsigned)bank,
		.status = qmp_u64(json_object_get(a, "status")),
		.mcg_status = qmp_u64(json_object_get(a, "mcg-status")),
		.addr = qmp_u64(json_object_get(a, "addr")),
		.misc = qmp_u64(json_object_get(a, "misc")),
	};

	(void)cls;
	if (!vm->ras || !vm->ras->ops->machine_checks)
		return FAIL("MCE injection not supported: this machine has no machine checks");
	if (cpu >= vm->ncpus)
		return FAIL("'cpu' %llu: the VM has %u vCPU(s)", (unsigned long long)cpu, vm->ncpus);
	uint64_t banks = atomic_load(&vm->mcg_cap) & MCG_CAP_COUNT_MASK;
	if (bank >= banks)
		return FAIL("'bank' %llu: the vCPUs have %llu banks", (unsigned long long)bank,
			    (unsigned long long)banks);
	if (!(r.status & MCI_STATUS_VAL))
		return FAIL("'status' lacks the VAL bit (63): KVM would refuse it");
	if (ras_inject_mce(vm, (unsigned)cpu, &r, b && json_is_true(b)))
		return FAIL("vcpu %llu: too many machine checks already wait", (unsigned long long)cpu);
	return json_object();
}

static int by_gpa(const void *x, const void *y)
{
	uint64_t a = ((const struct poison_entry *)x)->gpa, b = ((const struct poison_entry *)y)->gpa;
	return a < b ? -1 : a > b;
}

static json_t *cmd_query_ras(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	struct ras *ras = vm->ras;
	static const char *const notify[] = { "nmi", "sci", "polled" };

	(void)cls;
	pthread_mutex_lock(&ras->lock);
	json_t *sources = json_array(), *pages = json_array(), *dropped = json_object();
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		const struct ghes_runtime *g = &ras->ghes[id];
		if (!g->enabled)
			continue;
		json_array_append_new(sources,
			json_pack("{s:i,s:s,s:s,s:I,s:I,s:b,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I}", "id", id, "name",
				  ras_source_name(id), "notification", notify[id], "block-address",
				  (json_int_t)g->block_gpa, "block-length", (json_int_t)ras->sources.block_length,
				  "free", g->ack != 0, "queued", (int)g->count, "queue-capacity",
				  (int)ras->queue_cap, "records", (json_int_t)ras->n.delivered_ghes[id],
				  "blocks", (json_int_t)g->blocks, "notifications", (json_int_t)g->notifications,
				  "blocks-acknowledged", (json_int_t)g->blocks_acked,
				  "records-acknowledged", (json_int_t)g->records_acked,
				  "overflowed", (json_int_t)g->overflowed));
	}
	/* The poisoned pages in address order, a bounded page of them: a 1 GiB granule is
	 * 262144 pages, a reply no client should have to take whole (and rasvm should not build).
	 * The ones asked for are copied under the lock and sorted after it: a poller must not
	 * hold up the vCPUs' error delivery for a sort. */
	json_t *from_j = json_object_get(a, "pages-from"), *max_j = json_object_get(a, "max-pages");
	uint64_t from = from_j ? qmp_u64(from_j) : 0;
	uint64_t max = max_j ? qmp_u64(max_j) : QUERY_RAS_PAGES_MAX;
	struct poison_entry *sel = malloc((ras->table.count ? ras->table.count : 1) * sizeof(*sel));
	size_t nsel = 0, total = 0;
	for (uint32_t i = 0; sel && i < ras->table.capacity; i++) {
		const struct poison_entry *e = &ras->table.slot[i];
		if (e->gpa == UINT64_MAX)
			continue;
		total++;
		if (e->gpa >= from && nsel < ras->table.count)
			sel[nsel++] = *e;
	}
	if (!sel) {
		pthread_mutex_unlock(&ras->lock);
		json_decref(sources), json_decref(pages), json_decref(dropped);
		return FAIL("out of memory");
	}
	const struct ras_counters *n = &ras->n;
	static const char *const drop_keys[RAS_DROP_COUNT] = {
		[RAS_DROP_POLICY] = "policy", [RAS_DROP_MCE_BUSY] = "mce-busy",
		[RAS_DROP_MCE_DISABLED] = "mce-disabled", [RAS_DROP_BANK_DISABLED] = "bank-disabled",
		[RAS_DROP_RESET] = "reset",
	};
	for (unsigned d = 0; d < RAS_DROP_COUNT; d++)
		json_object_set_new(dropped, drop_keys[d], json_integer((json_int_t)n->dropped[d]));
	uint64_t reports, accounted;
	bool balanced = ras_check_invariant(ras, &reports, &accounted) == 0;
	json_t *counters = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I},s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}",
		"received", (json_int_t)(n->received_ar + n->received_ao), "action-required",
		(json_int_t)n->received_ar, "action-optional", (json_int_t)n->received_ao,
		"pages", (json_int_t)n->pages, "reports", (json_int_t)n->reports,
		"delivered-mce", (json_int_t)n->delivered_mce, "delivered-ghes", "sync",
		(json_int_t)n->delivered_ghes[0], "async", (json_int_t)n->delivered_ghes[1], "polled",
		(json_int_t)n->delivered_ghes[2], "acknowledged", (json_int_t)n->records_acked,
		"blocks-acknowledged", (json_int_t)n->blocks_acked,
		"queued", (json_int_t)(ras_mce_queued_reports(ras) + ghes_queued_reports(ras)),
		"overflowed", (json_int_t)n->overflowed, "dropped", (json_int_t)ras_dropped_total(n),
		"dropped-by-reason", dropped, "lost", (json_int_t)n->lost, "escalated",
		(json_int_t)n->escalated, "injected-mce", (json_int_t)n->raw_mce, "injected-mce-dropped",
		(json_int_t)n->raw_mce_dropped, "injected-ghes", (json_int_t)n->raw_ghes, "resets",
		(json_int_t)n->resets, "recovered", (json_int_t)n->recovered, "balanced", balanced);
	const char *policy = ras_policy_name(ras->policy);
	pthread_mutex_unlock(&ras->lock);

	qsort(sel, nsel, sizeof(*sel), by_gpa);
	for (size_t i = 0; i < nsel && i < max; i++) {
		const struct poison_entry *e = &sel[i];
		json_array_append_new(pages,
			json_pack("{s:I,s:s,s:b,s:i,s:i}", "gpa", (json_int_t)e->gpa, "state",
				  poison_state_name(e->state), "action-required", e->action_required,
				  "errors", (int)e->errors, "reports", (int)e->reports));
	}
	uint64_t next = nsel > max ? sel[max].gpa : UINT64_MAX;
	free(sel);
	json_t *ret = json_pack("{s:s,s:o,s:o,s:I,s:o}", "policy", policy, "sources", sources,
				"poisoned-pages", pages, "poisoned-pages-total", (json_int_t)total,
				"counters", counters);
	if (next != UINT64_MAX) /* more from here: ask again with "pages-from" */
		json_object_set_new(ret, "poisoned-pages-next", json_integer((json_int_t)next));
	return ret;
}

/* x-sandbox-test: a thread tries a call its kind may not make (the vCPU thread opens a file,
 * the control socket's thread starts a process); says whether the sandbox refused it. */
static int vcpu_tries_open(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	int fd = openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static json_t *cmd_sandbox_test(struct vm *vm, json_t *a, const char **cls, char *desc, size_t desclen)
{
	const char *thread = json_string_value(json_object_get(a, "thread"));
	const char *call;
	int r;

	(void)cls;
	if (!strcmp(thread, "vcpu")) {
		call = "openat";
		r = vcpu_call(&vm->vcpu[0], vcpu_tries_open, NULL, 2000);
		if (r == -EAGAIN || r == -ETIMEDOUT)
			return FAIL("vcpu 0 did not answer (between boots?)");
	} else if (!strcmp(thread, "control")) {
		call = "clone";
		pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		r = pid < 0 ? -errno : 0;
	} else {
		return FAIL("'thread' must be vcpu or control");
	}
	return json_pack("{s:s,s:s,s:s,s:I}", "thread", thread, "call", call, "result",
			 r == -EPERM ? "refused" : r ? strerror(-r) : "allowed",
			 "refused-total", (json_int_t)sandbox_refused());
}

/* Every ARG_UINT has its bounds (name, type, required, min, max): a JSON integer larger than
 * the handler's variable is refused with QEMU's words, never truncated. */
static const struct qmp_arg no_args[] = { { 0 } };
static const struct qmp_arg query_ras_args[] = {
	{ "pages-from", ARG_U64, false, 0, 0 }, /* the lowest guest physical address to list */
	{ "max-pages", ARG_UINT, false, 1, QUERY_RAS_PAGES_MAX },
	{ 0 } };
static const struct qmp_arg sandbox_test_args[] = { { "thread", ARG_STR, true, 0, 0 }, { 0 } };
static const struct qmp_arg ghes_args[] = {
	{ "cper", ARG_STR, true, 0, 0 },
	{ "source", ARG_UINT, false, 0, UINT16_MAX }, /* a HEST Source ID is 16 bits */
	{ 0 } };
static const struct qmp_arg host_error_args[] = {
	{ "gpa", ARG_U64, true, 0, 0 },
	{ "action-required", ARG_BOOL, false, 0, 0 },
	{ "lsb", ARG_UINT, false, 12, 30 }, /* a 4 KiB page to a 1 GiB one */
	{ "source", ARG_UINT, false, 0, RAS_SOURCES_MAX - 1 }, /* AO reports to this GHES source */
	{ "on-access", ARG_BOOL, false, 0, 0 }, /* AR: the guest's own access raises it */
	{ 0 } };
static const struct qmp_arg mce_args[] = {
	{ "cpu", ARG_UINT, true, 0, UINT32_MAX },
	{ "bank", ARG_UINT, true, 0, UINT8_MAX }, /* MCG_CAP.Count is 8 bits */
	{ "status", ARG_U64, true, 0, 0 },
	{ "mcg-status", ARG_U64, true, 0, 0 },
	{ "addr", ARG_U64, true, 0, 0 },
	{ "misc", ARG_U64, true, 0, 0 },
	{ "broadcast", ARG_BOOL, false, 0, 0 },
	{ 0 } };
static const struct qmp_arg caps_args[] = { { "enable", ARG_ARRAY, false, 0, 0 }, { 0 } };
static const struct qmp_arg hmp_args[] = {
	{ "command-line", ARG_STR, true, 0, 0 },
	{ "cpu-index", ARG_INT, false, 0, 0 }, /* checked against the vCPUs: QEMU's words */
	{ 0 } };
static const struct qmp_arg qom_get_args[] = {
	{ "path", ARG_STR, true, 0, 0 },
	{ "property", ARG_STR, true, 0, 0 },
	{ 0 } };

static const struct qmp_command commands[] = {
	{ "qmp_capabilities", caps_args, cmd_capabilities },
	{ "query-version", no_args, cmd_query_version },
	{ "query-status", no_args, cmd_query_status },
	{ "stop", no_args, cmd_stop },
	{ "cont", no_args, cmd_cont },
	{ "system_reset", no_args, cmd_system_reset },
	{ "quit", no_args, cmd_quit },
	{ "inject-nmi", no_args, cmd_inject_nmi },
	{ "inject-ghes-v2-error", ghes_args, cmd_inject_ghes },
	{ "x-inject-host-memory-error", host_error_args, cmd_inject_host_error },
	{ "x-inject-mce", mce_args, cmd_inject_mce },
	{ "query-ras", query_ras_args, cmd_query_ras },
	{ "x-sandbox-test", sandbox_test_args, cmd_sandbox_test },
	{ "query-commands", no_args, cmd_query_commands },
	{ "query-target", no_args, cmd_query_target },
	{ "query-kvm", no_args, cmd_query_kvm },
	{ "query-name", no_args, cmd_query_name },
	{ "query-cpus-fast", no_args, cmd_query_cpus_fast },
	{ "query-memory-size-summary", no_args, cmd_query_memory },
	{ "human-monitor-command", hmp_args, cmd_hmp },
	{ "qom-get", qom_get_args, cmd_qom_get },
	{ "query-metrics", no_args, cmd_query_metrics },
};

const struct qmp_command *qmp_commands(size_t *count)
{
	*count = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

const struct qmp_command *qmp_find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return migrate_qmp_find(name); /* state/migrate_qmp.c */
}
