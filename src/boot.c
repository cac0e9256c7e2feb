// SPDX-License-Identifier: MIT
/*
 * The boot narrative, in order: what needs no KVM first (kernel file, guest RAM, loading,
 * tables), then KVM (VM, vCPUs), devices, run, and the unwinding in reverse with labels
 * named after what they undo.
 */
#include "boot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acpi/hest.h"
#include "bootinfo.h"
#include "dev/device.h"
#include "exitcode.h"
#include "kvm/kvm.h"
#include "kvm/vcpu.h"
#include "kvm/x86/cpu.h"
#include "loader/loader.h"
#include "log.h"
#include "ctl/qmp.h"
#include "platform.h"
#include "ras/ras.h"
#include "ras/sigbus.h"
#include "ras/sim.h"
#include "rasvm/layout.h"
#include "stats.h"
#include "vm.h"

/* The test guest, embedded by src/guest_image.S. */
extern const uint8_t guest_image_start[], guest_image_end[];

/* A hang is reported when every vCPU was halted with interrupts off this many ticks running. */
#define WATCHDOG_TICK_MS 250
#define HANG_TICKS 4

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool vm_end(struct vm *vm, enum vm_outcome outcome, int exit_code, const char *fmt, ...)
{
	va_list ap;
	bool won = false;

	pthread_mutex_lock(&vm->lock);
	if (vm->outcome == VM_RUNNING) {
		won = true;
		vm->outcome = outcome;
		/* No guest instruction runs after the end, as on hardware: a vCPU that ended the
		 * run must not re-enter the guest while the main thread is still on its way to
		 * vcpus_stop() (on a loaded host that takes milliseconds, and a guest touching
		 * a poisoned page would take the same error again and again meanwhile). */
		atomic_store(&vm->stopping, true);
		vm->exit_code = exit_code;
		va_start(ap, fmt);
		vsnprintf(vm->reason, sizeof(vm->reason), fmt, ap);
		va_end(ap);
		/* The main thread ends runs itself too (signals, hangs); it needs no wake-up. */
		if (!pthread_equal(pthread_self(), vm->main_thread))
			pthread_kill(vm->main_thread, SIG_MAIN_WAKE);
	}
	pthread_mutex_unlock(&vm->lock);
	return won;
}

/* The ACPI tables, and the GHES status blocks they point to, emptied. */
static int build_firmware(struct vm *vm, uint64_t *rsdp)
{
	const struct config *cfg = vm->cfg;
	struct acpi_tables t;
	uint8_t *area = mem_gpa_to_hva(&vm->mem, LAYOUT_ACPI_BASE, LAYOUT_ACPI_END - LAYOUT_ACPI_BASE);
	int r = platform_build_acpi(cfg, area, &t);

	if (r) {
		log_err("building the ACPI tables failed: %s", strerror(-r));
		return r;
	}
	*rsdp = LAYOUT_ACPI_BASE + t.rsdp_off;
	/* The status blocks start empty on every boot; the registers are rasvm's (ras/ghes.c). */
	uint64_t blocks = ghes_region_size(&cfg->ras) - GHES_REGION_BLOCKS;
	uint8_t *b = mem_gpa_to_hva(&vm->mem, LAYOUT_ERROR_REGION + GHES_REGION_BLOCKS, blocks);
	if (cfg->ras.mask && b)
		memset(b, 0, blocks);
	return 0;
}

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

static int outcome_exit_code(const struct vm *vm)
{
	switch (vm->outcome) {
	case VM_POWER_OFF: return vm->exit_code;
	case VM_TRIPLE_FAULT: return EXIT_GUEST_TRIPLE_FAULT;
	case VM_HUNG: return EXIT_GUEST_HUNG;
	case VM_ASSERT: return EXIT_GUEST_ASSERT;
	case VM_BAD_EXIT_CODE: return EXIT_GUEST_BAD_CODE;
	case VM_KVM_ERROR: return EXIT_GUEST_KVM_ERROR;
	case VM_SIGNAL: return vm->exit_code;
	case VM_HOST_MEMORY: return EXIT_HOST_MEMORY;
	case VM_QUIT: return 0;
	default: return EXIT_INTERNAL;
	}
}

/* True when every vCPU has been halted with interrupts off for HANG_TICKS probes. */
static bool all_hung(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (atomic_load(&vm->vcpu[i].halted_noirq_ticks) < HANG_TICKS)
			return false;
	return true;
}

/* The main thread's part while vCPUs run: wait for the end, a signal, or a hang. */
static void supervise(struct vm *vm)
{
	sigset_t set;
	struct timespec tick = { .tv_sec = 0, .tv_nsec = WATCHDOG_TICK_MS * 1000000L };

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIG_MAIN_WAKE);
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &tick);
		/* Action-optional host memory errors are handled here, off the signal path. */
		ras_drain(vm, NULL);
		if (sig == SIGINT || sig == SIGTERM)
			vm_end(vm, VM_SIGNAL, sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM,
			       "stopped by %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
		pthread_mutex_lock(&vm->lock);
		bool running = vm->outcome == VM_RUNNING;
		pthread_mutex_unlock(&vm->lock);
		if (!running)
			return;
		if (sig < 0 && all_hung(vm)) {
			vm_end(vm, VM_HUNG, 0,
			       "guest hung: every vCPU halted with interrupts disabled for %d ms (vcpu 0 at rip 0x%llx)",
			       WATCHDOG_TICK_MS * HANG_TICKS, (unsigned long long)vm->vcpu[0].last_rip);
			return;
		}
		if (sig < 0)
			for (unsigned i = 0; i < vm->ncpus; i++)
				vcpu_request(&vm->vcpu[i], VCPU_REQ_HANG_PROBE);
	}
}

/* Everything a boot puts into guest RAM: the kernel, boot page tables, firmware, boot info. */
static int load_guest(struct vm *vm, const struct image *img)
{
	const struct config *cfg = vm->cfg;
	char err[256];
	uint64_t rsdp;

	if (build_firmware(vm, &rsdp))
		return EXIT_INTERNAL;
	struct loader_input in = {
		.kernel = img->data, .kernel_len = img->len,
		.initrd = img->initrd, .initrd_len = img->initrd_len,
		.cmdline = cfg->cmdline, .cmdline_len = cfg->cmdline ? strlen(cfg->cmdline) : 0,
		.rsdp = rsdp, .boot = cfg->boot,
	};
	int r = loader_load(&in, &vm->mem, &vm->boot, err, sizeof(err));
	if (r) {
		log_err("%s: %s", cfg->kernel ? cfg->kernel : "embedded guest", err);
		return r == -ENOMEM ? EXIT_OS : EXIT_BAD_KERNEL;
	}
	log_debug("loaded %s, entry 0x%llx", vm->boot.format, (unsigned long long)vm->boot.entry);
	x86_write_boot_tables(&vm->mem);
	if (bootinfo_write(&vm->mem, vm->ncpus, cfg->scenario, rsdp, vm->resets))
		return EXIT_INTERNAL;
	return 0;
}

/* One boot of the guest on a fresh KVM VM, run until it ends; the VM is gone afterwards.
 * The first boot's guest was loaded before KVM was opened; a reset loads it again. */
static int run_once(struct vm *vm, const struct image *img, bool first)
{
	int code = first ? 0 : load_guest(vm, img), r;

	if (code)
		return code;
	r = kvm_vm_create(vm);
	if (r)
		return r == -ENOTSUP ? EXIT_NO_KVM : EXIT_INTERNAL;
	code = EXIT_INTERNAL;
	pthread_rwlock_wrlock(&vm->vcpu_lock);
	r = x86_vm_init(vm) || vcpus_create(vm);
	pthread_rwlock_unlock(&vm->vcpu_lock);
	if (r)
		goto destroy_vcpus;
	if (first && ras_init(vm)) {
		log_err("cannot set up guest RAS: out of memory");
		goto destroy_vcpus;
	}
	/* --poison: the simulated host has lost these pages by the time the guest runs. */
	for (unsigned i = 0; first && i < vm->cfg->poison_count; i++) {
		const struct poison_request *p = &vm->cfg->poison[i];
		if ((r = sim_poison(vm, p->gpa, p->action_optional, p->lsb)))
			log_err("--poison 0x%llx: %s", (unsigned long long)p->gpa,
				r == -EFAULT ? "not guest RAM"
				: r == -EBUSY ? "rasvm's GHES status blocks cannot be poisoned by the simulator"
					      : strerror(-r));
	}
	/* Stopping again only if something (a signal, the control socket) ended the run already. */
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->stopping, vm->outcome != VM_RUNNING);
	pthread_mutex_unlock(&vm->lock);
	if (vcpus_start(vm)) {
		vcpus_stop(vm);
		code = EXIT_OS;
		goto destroy_vcpus;
	}
	supervise(vm);
	vcpus_stop(vm);
	code = outcome_exit_code(vm);
	if (vm->outcome == VM_RESET) {
		log_info("%s", vm->reason);
	} else if (vm->outcome == VM_POWER_OFF || vm->outcome == VM_QUIT) {
		log_debug("%s", vm->reason);
	} else {
		log_err("%s", vm->reason);
		vcpus_report(vm);
	}
destroy_vcpus:
	pthread_rwlock_wrlock(&vm->vcpu_lock);
	vcpus_destroy(vm);
	x86_vm_exit(vm);
	pthread_rwlock_unlock(&vm->vcpu_lock);
	kvm_vm_destroy(vm);
	return code;
}

int boot_run(const struct config *cfg)
{
	struct vm vm = { .cfg = cfg, .kvm_fd = -1, .vm_fd = -1, .ncpus = cfg->cpus };
	struct image img;
	char err[256];
	uint8_t *ram = NULL;
	int code;
	sigset_t mask, old;

	log_verbose = cfg->verbose;
	pthread_mutex_init(&vm.lock, NULL);
	pthread_mutex_init(&vm.sim_lock, NULL);
	pthread_mutex_init(&vm.pause_lock, NULL);
	pthread_cond_init(&vm.pause_cond, NULL);
	pthread_rwlock_init(&vm.vcpu_lock, NULL);
	vm.main_thread = pthread_self();
	/* SIGINT/SIGTERM/SIG_MAIN_WAKE are taken with sigtimedwait() by the main thread only. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIG_MAIN_WAKE);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	/* A shell starts background jobs with SIGINT ignored, and an ignored signal is dropped
	 * when sent even though it is blocked here: take both back, as QEMU does, so `kill -INT`
	 * stops a VM however it was started. Blocked, the default action never runs. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);

	if (config_check_host(cfg, host_ram(), UINT_MAX /* KVM's limit is checked once it is open */, err, sizeof(err))) {
		log_err("%s", err);
		code = EXIT_USAGE;
		goto out;
	}
	code = image_open(cfg, &img);
	if (code)
		goto out;

	/* Guest RAM: reserved lazily, so only what the guest touches becomes resident. */
	ram = mmap(NULL, cfg->memory, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		log_err("cannot reserve %llu MiB of guest RAM: %s",
			(unsigned long long)(cfg->memory >> 20), strerror(errno));
		code = EXIT_OS;
		goto close_image;
	}
	mem_layout(&vm.mem, ram, cfg->memory);
	/* The GHES register page traps to rasvm (see ras/ghes.c): not RAM for KVM. */
	if (cfg->ras.mask && mem_punch(&vm.mem, LAYOUT_ERROR_REGION, 4096)) {
		code = EXIT_INTERNAL;
		goto unmap_ram;
	}
	/* A bad kernel file is reported before KVM is even opened. */
	code = load_guest(&vm, &img);
	if (code)
		goto unmap_ram;

	vm.kvm_fd = kvm_open();
	if (vm.kvm_fd < 0) {
		code = EXIT_NO_KVM;
		goto unmap_ram;
	}
	if (config_check_host(cfg, host_ram(), kvm_max_vcpus(vm.kvm_fd), err, sizeof(err))) {
		log_err("%s", err);
		code = EXIT_USAGE;
		goto close_kvm;
	}
	if (vcpu_signals_init() || sigbus_init(&vm)) {
		code = EXIT_INTERNAL;
		goto close_kvm;
	}
	if (devices_init(&vm)) {
		code = EXIT_OS;
		goto close_kvm;
	}
	if (cfg->qmp_path && qmp_start(&vm, cfg->qmp_path)) {
		code = EXIT_OS;
		goto exit_devices;
	}
	for (bool first = true;; first = false) {
		code = run_once(&vm, &img, first);
		if (vm.outcome != VM_RESET)
			break;
		ras_reset(&vm);
		vm.resets++;
		vm.outcome = VM_RUNNING;
		qmp_event(&vm, "RESET", json_pack("{s:b,s:s}", "guest", !strstr(vm.reason, "control socket"),
						  "reason", strstr(vm.reason, "control socket") ? "host-qmp-system-reset"
						  : "guest-reset"));
	}
	qmp_event(&vm, "SHUTDOWN", json_pack("{s:b,s:s}", "guest", vm.outcome == VM_POWER_OFF,
					     "reason", vm.outcome == VM_POWER_OFF ? "guest-shutdown"
					     : vm.outcome == VM_QUIT ? "host-qmp-quit"
					     : vm.outcome == VM_SIGNAL ? "host-signal" : "guest-panic"));
	ras_drain(&vm, NULL);
	ras_summary(&vm);
	if (cfg->stats_path)
		stats_write(cfg->stats_path, &vm);
	qmp_stop(&vm);
exit_devices:
	devices_exit(&vm);
	ras_exit(&vm);
	sim_exit(&vm);
close_kvm:
	close(vm.kvm_fd);
unmap_ram:
	munmap(ram, cfg->memory);
close_image:
	image_close(&img);
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_destroy(&vm.sim_lock);
	pthread_mutex_destroy(&vm.pause_lock);
	pthread_cond_destroy(&vm.pause_cond);
	pthread_rwlock_destroy(&vm.vcpu_lock);
	pthread_mutex_destroy(&vm.lock);
	return code;
}
