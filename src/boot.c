// SPDX-License-Identifier: MIT
/*
 * The boot narrative, in order: what needs no KVM first (kernel file, guest RAM, loading,
 * tables), then KVM, the vCPU array, the lifecycle, RAS, devices, the control socket; then
 * boots (a KVM VM and vCPU threads each) until the VM ends; and the unwinding in reverse with
 * labels named after what they undo. How a run ends or restarts is decided in vm.c.
 */
#include "boot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dev/device.h"
#include "exitcode.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "kvm/vcpu.h"
#include "loader/loader.h"
#include "log.h"
#include "ctl/qmp.h"
#include "ras/ras.h"
#include "ras/sigbus.h"
#include "ras/sim.h"
#include "sandbox/sandbox.h"
#include "rasvm/layout.h"
#include "state/migrate.h"
#include "stats.h"
#include "vm.h"

/* The test guest, embedded by src/guest_image.S. */
extern const uint8_t guest_image_start[], guest_image_end[];

/* The main thread's watchdog tick: how often it looks for a hung guest. */
#define WATCHDOG_TICK_MS 250

/* The kernel image: the embedded guest, or a file mapped read-only; and the initrd. */
struct image {
	const uint8_t *data;
	size_t len;
	bool mapped;
	const uint8_t *initrd; /* --initrd, mapped; NULL without */
	size_t initrd_len;
};

static int image_open(const struct config *cfg, struct image *img)
{
	char err[PATH_MAX + 128];
	int r = 0;

	*img = (struct image){ .data = guest_image_start,
			       .len = (size_t)(guest_image_end - guest_image_start) };
	if (cfg->kernel) {
		r = loader_map_file("--kernel", cfg->kernel, cfg->memory, &img->data, &img->len, err,
				    sizeof(err));
		img->mapped = r == 0;
	}
	if (!r && cfg->initrd)
		r = loader_map_file("--initrd", cfg->initrd, cfg->memory, &img->initrd,
				    &img->initrd_len, err, sizeof(err));
	if (!r)
		return 0;
	log_err("%s", err);
	if (img->mapped)
		loader_unmap_file(img->data, img->len);
	return r == -ENOEXEC ? EXIT_BAD_KERNEL : EXIT_NO_INPUT;
}

static void image_close(struct image *img)
{
	if (img->mapped)
		loader_unmap_file(img->data, img->len);
	loader_unmap_file(img->initrd, img->initrd_len);
}

static uint64_t host_ram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
}

static int outcome_exit_code(enum vm_outcome o, int exit_code)
{
	switch (o) {
	case VM_POWER_OFF: return exit_code;
	case VM_TRIPLE_FAULT: return EXIT_GUEST_TRIPLE_FAULT;
	case VM_HUNG: return EXIT_GUEST_HUNG;
	case VM_ASSERT: return EXIT_GUEST_ASSERT;
	case VM_BAD_EXIT_CODE: return EXIT_GUEST_BAD_CODE;
	case VM_KVM_ERROR: return EXIT_GUEST_KVM_ERROR;
	case VM_SIGNAL: return exit_code;
	case VM_HOST_MEMORY: return EXIT_HOST_MEMORY;
	case VM_QUIT: return 0;
	default: return EXIT_INTERNAL;
	}
}

/* The main thread's part while vCPUs run: wait until an end or reset is asked, taking
 * signals, action-optional host errors and the hang watchdog on the way. */
static void supervise(struct vm *vm)
{
	while (!vm_leaving(vm)) {
		int sig = vm_wait(vm, WATCHDOG_TICK_MS);
		/* Action-optional host memory errors are handled here, off the signal path. */
		ras_drain(vm, NULL);
		if (sig == SIGINT || sig == SIGTERM)
			vm_end(vm, VM_SIGNAL, sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM,
			       "stopped by %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
		if (!vm_leaving(vm) && !vm_is_paused(vm) && vcpus_hung(vm, now_ns()))
			vm_end(vm, VM_HUNG, 0,
			       "guest hung: every vCPU halted with interrupts disabled (vcpu 0 at rip 0x%llx)",
			       (unsigned long long)atomic_load(&vm->vcpu[0].last_rip));
	}
}

/* Everything a boot puts into guest RAM: firmware, the kernel, what its boot protocol needs. */
static int load_guest(struct vm *vm, const struct image *img)
{
	const struct config *cfg = vm->cfg;
	char err[256];
	struct loader_input in = {
		.kernel = img->data, .kernel_len = img->len,
		.initrd = img->initrd, .initrd_len = img->initrd_len,
		.cmdline = cfg->cmdline, .cmdline_len = cfg->cmdline ? strlen(cfg->cmdline) : 0,
		.boot = cfg->boot,
	};
	int r = arch_load_guest(vm, &in, err, sizeof(err));

	if (r == -ENOEXEC) {
		log_err("%s: %s", cfg->kernel ? cfg->kernel : "embedded guest", err);
		return EXIT_BAD_KERNEL;
	}
	if (r) {
		log_err("loading the guest failed: %s", err[0] ? err : strerror(-r));
		return r == -ENOMEM ? EXIT_OS : EXIT_INTERNAL;
	}
	log_debug("loaded %s, entry 0x%llx", vm->boot.format, (unsigned long long)vm->boot.entry);
	if (img->mapped)
		loader_release_file(img->data, img->len);
	loader_release_file(img->initrd, img->initrd_len);
	return 0;
}

/* Once the vCPUs stopped for good: why, and where they were when it went wrong. */
static void log_end(struct vm *vm)
{
	char why[256];
	enum vm_outcome o = vm_outcome(vm, NULL, why, sizeof(why));

	if (o == VM_OUTCOME_NONE)
		return; /* a reset: run_boots says why */
	if (o == VM_POWER_OFF || o == VM_QUIT) {
		log_debug("%s", why);
		return;
	}
	log_err("%s", why);
	if (o != VM_SIGNAL)
		vcpus_report(vm);
}

/* One boot of the guest on a fresh KVM VM, run until an end or a reset is asked; the KVM VM
 * is gone afterwards. Returns 0, or an exit code when the boot could not even start. */
static int run_once(struct vm *vm)
{
	int code = EXIT_INTERNAL, r;

	r = kvm_vm_create(vm);
	if (r)
		return r == -ENOTSUP ? EXIT_NO_KVM : EXIT_INTERNAL;
	if (vcpus_create(vm))
		goto destroy_vcpus;
	devices_reset(vm);
	/* --incoming: the snapshot or stream replaces what this boot set up, before any thread. */
	if (migrate_incoming_pending(vm) && (code = migrate_incoming_load(vm)))
		goto destroy_vcpus;
	/* Nothing starts if an end was asked while the machine was built (a signal, quit). */
	if (!vm_boot_begin(vm)) {
		log_end(vm);
		code = 0;
		goto destroy_vcpus;
	}
	if (vcpus_start(vm)) {
		vm_end(vm, VM_INTERNAL, 0, "cannot start the vCPU threads");
		vcpus_stop(vm);
		code = EXIT_OS;
		goto destroy_vcpus;
	}
	supervise(vm);
	migrate_stop(vm); /* an outgoing migration lets go of the vCPUs first */
	vcpus_stop(vm);
	log_end(vm);
	code = 0;
destroy_vcpus:
	if (code && code != EXIT_OS)
		vm_end(vm, VM_INTERNAL, 0, "the VM could not be built");
	vcpus_destroy(vm);
	kvm_vm_destroy(vm);
	return code;
}

/* --poison: the simulated host has lost these pages by the time the guest first runs. */
static void poison_at_start(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg->poison_count; i++) {
		const struct poison_request *p = &vm->cfg->poison[i];
		int r = sim_poison(vm, p->gpa, p->action_optional, p->lsb);
		if (r)
			log_err("--poison 0x%llx: %s", (unsigned long long)p->gpa,
				r == -EFAULT ? "not guest RAM (the whole granule must be)"
				: r == -EBUSY ? "rasvm's GHES status blocks cannot be poisoned by the simulator"
					      : strerror(-r));
	}
}

/* Boots until the VM ends: each reset replaces the poisoned pages, reloads the guest and
 * starts a new KVM VM. Returns the exit code. */
static int run_boots(struct vm *vm, const struct image *img)
{
	enum vm_reset_cause cause;
	char reason[256];
	int code;

	for (;;) {
		code = run_once(vm);
		if (code || !vm_boot_finish(vm, &cause, reason, sizeof(reason)))
			break;
		log_info("%s", reason);
		ras_reset(vm);
		vm->resets++;
		qmp_event(vm, "RESET", json_pack("{s:b,s:s}", "guest", cause != VM_RESET_CONTROL,
						  "reason", cause == VM_RESET_CONTROL ? "host-qmp-system-reset"
						  : "guest-reset"));
		if ((code = load_guest(vm, img)))
			break;
	}
	int guest_code;
	enum vm_outcome o = vm_outcome(vm, &guest_code, NULL, 0);
	if (code)
		return code;
	qmp_event(vm, "SHUTDOWN", json_pack("{s:b,s:s}", "guest", o == VM_POWER_OFF,
					    "reason", o == VM_POWER_OFF ? "guest-shutdown"
					    : o == VM_QUIT ? "host-qmp-quit"
					    : o == VM_SIGNAL ? "host-signal" : "guest-panic"));
	return outcome_exit_code(o, guest_code);
}

int boot_run(const struct config *cfg)
{
	struct vm vm = { .cfg = cfg, .kvm_fd = -1, .vm_fd = -1, .ncpus = cfg->cpus,
			 .life = { .wake_fd = -1, .signal_fd = -1 } };
	struct image img;
	char err[256];
	uint8_t *ram = NULL;
	int code, r;
	sigset_t mask, old;

	log_verbose = cfg->verbose;
	/* SIGINT/SIGTERM are taken through a signalfd by the main thread only: blocked in every
	 * thread (the others inherit the mask). */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	/* A shell starts background jobs with SIGINT ignored, and an ignored signal is dropped
	 * when sent even though it is blocked here: take both back, as QEMU does, so `kill -INT`
	 * stops a VM however it was started. Blocked, the default action never runs. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);

	if (config_check_machine(cfg, arch_machine.acpi_arch, err, sizeof(err)) ||
	    config_check_host(cfg, host_ram(), UINT_MAX /* KVM's limit is checked once it is open */, err, sizeof(err))) {
		log_err("%s", err);
		code = EXIT_USAGE;
		goto out;
	}
	code = image_open(cfg, &img);
	if (code)
		goto out;

	/* Guest RAM: reserved lazily, so only what the guest touches becomes resident. */
	ram = mem_map_ram(cfg->memory);
	if (!ram) {
		log_err("cannot reserve %llu MiB of guest RAM: %s",
			(unsigned long long)(cfg->memory >> 20), strerror(errno));
		code = EXIT_OS;
		goto close_image;
	}
	/* The machine's RAM regions; the GHES register page traps to rasvm (see ras/ghes.c). */
	if (arch_mem_layout(cfg, &vm.mem, ram)) {
		code = EXIT_INTERNAL;
		goto unmap_ram;
	}
	vm.mem.anon_private = true; /* the mmap above: a page given back reads as zeros */
	if (mem_track_init(&vm.mem) || sim_init(&vm)) {
		code = EXIT_OS;
		goto free_tracking;
	}
	/* A bad kernel file is reported before KVM is even opened. With --incoming, guest RAM
	 * comes from the stream instead (the kernel file is kept for resets). */
	code = cfg->incoming ? 0 : load_guest(&vm, &img);
	if (code)
		goto free_tracking;

	vm.kvm_fd = kvm_open();
	if (vm.kvm_fd < 0) {
		code = EXIT_NO_KVM;
		goto free_tracking;
	}
	if (config_check_host(cfg, host_ram(), kvm_max_vcpus(vm.kvm_fd), err, sizeof(err))) {
		log_err("%s", err);
		code = EXIT_USAGE;
		goto close_kvm;
	}
	/* The first boot's KVM VM is built meanwhile, on a helper thread. */
	kvm_vm_prepare(&vm);
	code = EXIT_INTERNAL;
	if (arch_init(&vm))
		goto close_kvm;
	if (vcpus_alloc(&vm)) {
		code = EXIT_OS;
		goto exit_arch;
	}
	if (vm_life_init(&vm)) {
		code = EXIT_OS;
		goto free_vcpus;
	}
	/* Files libraries open on first use, opened now rather than once the sandbox forbids it:
	 * jansson seeds its hash tables from /dev/urandom, glibc's gmtime_r (the CPER time
	 * stamps) reads /etc/localtime. And glibc's malloc opens /sys and /proc files when it
	 * makes a thread its own arena and when it shrinks one: one arena for every thread
	 * (rasvm allocates little, and rarely, once running) avoids both. */
	json_object_seed(0);
	tzset();
	mallopt(M_ARENA_MAX, 1);
	if (migrate_init(&vm)) {
		code = EXIT_OS;
		goto destroy_life;
	}
	if (vcpu_signals_init() || sigbus_init(&vm) || sandbox_init((enum sandbox_mode)cfg->sandbox))
		goto destroy_life;
	if (ras_init(&vm, &arch_ras_ops)) {
		log_err("cannot set up guest RAS: out of memory");
		code = EXIT_OS;
		goto exit_ras;
	}
	if (devices_init(&vm)) {
		code = EXIT_OS;
		goto exit_ras;
	}
	if (qmp_start(&vm)) {
		code = EXIT_OS;
		goto exit_devices;
	}
	struct stats_files stats = { .statm = -1 };
	if (cfg->stats_path)
		stats_open(cfg->stats_path, &stats);
	/* --incoming: the stream's header is checked before the first boot (and its file or
	 * socket opened before the sandbox forbids it); its pages say what is poisoned. */
	code = cfg->incoming ? migrate_incoming_open(&vm) : 0;
	if (!cfg->incoming)
		poison_at_start(&vm);
	/* The VM is built: from here on the main thread (and the vCPU threads it starts, which
	 * narrow it further) keeps to its allow-list; the unconfined helper is gone first. */
	kvm_vm_prepare_wait(&vm);
	if (!code && (r = sandbox_enter(SANDBOX_MAIN))) {
		log_err("--sandbox: the kernel refused the filter (%s); --sandbox off runs without", strerror(-r));
		code = EXIT_OS;
		goto stop_qmp;
	}
	if (!code)
		code = run_boots(&vm, &img);
	ras_drain(&vm, NULL);
	ras_summary(&vm);
	if (sandbox_refused())
		log_warn("sandbox: %llu system call(s) refused during the run", (unsigned long long)sandbox_refused());
	stats_write(&stats, &vm);
stop_qmp:
	qmp_stop(&vm);
	migrate_exit(&vm);
exit_devices:
	devices_exit(&vm);
exit_ras:
	ras_exit(&vm);
	migrate_exit(&vm);
destroy_life:
	vm_life_destroy(&vm);
free_vcpus:
	vcpus_free(&vm);
exit_arch:
	kvm_vm_prepare_discard(&vm); /* before arch_exit: the helper may use the arch's state */
	arch_exit(&vm);
close_kvm:
	kvm_vm_prepare_discard(&vm);
	close(vm.kvm_fd);
free_tracking:
	sim_exit(&vm);
	mem_track_free(&vm.mem);
unmap_ram:
	mem_unmap_ram(ram, cfg->memory);
close_image:
	image_close(&img);
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return code;
}
