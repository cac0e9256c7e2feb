/* SPDX-License-Identifier: MIT */
/*
 * Command line -> plain struct. Parsing has no side effects and needs no host: limits that
 * depend on the host (its RAM, KVM's vCPU maximum) are checked by config_check_host() once
 * those are known.
 */
#ifndef RASVM_CONFIG_H
#define RASVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi/hest.h"
#include "acpi/tables.h"
#include "loader/loader.h"
#include "ras/policy.h"
#include "rasvm/layout.h"

enum command {
	CMD_RUN,
	CMD_DEMO,        /* a run of the test guest's demo scenario (becomes CMD_RUN) */
	CMD_CHECK_HOST,
	CMD_ACPI_DUMP,   /* acpi dump DIR */
	CMD_CPER_ENCODE, /* cper encode --gpa ADDR ... -o FILE */
	CMD_CPER_DECODE, /* cper decode FILE */
	CMD_CTL,         /* ctl PATH COMMAND [JSON] | ctl PATH --watch SECONDS */
	CMD_SNAPSHOT_CHECK,   /* snapshot check FILE [--json] */
	CMD_SNAPSHOT_RESTORE, /* snapshot restore FILE [run options] (state/cli.c) */
	CMD_HELP,        /* --help, for the program or one command */
	CMD_VERSION,
};

#define RAS_QUEUE_DEFAULT_RECORDS 1024
#define RAS_QUEUE_MAX_RECORDS 65536

/* --poison requests kept (each names one page; the guest's own requests are not limited). */
#define CONFIG_POISON_MAX 1024

struct poison_request {
	uint64_t gpa;
	bool action_optional;
	unsigned lsb; /* the host granule: 12 (4 KiB) to 30 */
};

/* The most error data entries one Generic Error Status Block can count (bits 13:4). */
#define CONFIG_CPER_MAX_RECORDS 1023

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };

/* --qmp, as QEMU spells its -qmp: PATH (rasvm's own: a Unix socket rasvm listens on),
 * unix:PATH[,server=on|off][,wait=on|off] or tcp:[HOST]:PORT[,server=on|off][,wait=on|off]. */
#define CONFIG_QMP_MAX 8
#define CONFIG_QMP_PATH_MAX 107 /* sun_path holds 108 bytes with the NUL */
enum qmp_transport { QMP_UNIX, QMP_TCP };
struct qmp_listen {
	enum qmp_transport transport;
	char path[CONFIG_QMP_PATH_MAX + 1]; /* unix */
	char host[48];     /* tcp: a numeric IPv4 or IPv6 address; "" (or localhost) is loopback */
	uint16_t port;     /* tcp: 0 lets the kernel choose (the log says which) */
	bool server;       /* false: connect out to a listening client (QEMU's server=off) */
	bool wait;         /* server: hold the guest until the first client connects */
};

/* --name: what query-name, info name and the metrics' vm label say. */
#define CONFIG_NAME_MAX 64
/* --metrics FILE[,interval=SECONDS] */
#define CONFIG_METRICS_INTERVAL_DEFAULT 15
#define CONFIG_METRICS_INTERVAL_MAX 3600

#define CONFIG_DEFAULT_MEMORY (128ULL << 20)
#define CONFIG_DEFAULT_CPUS 1
#define CONFIG_DEFAULT_SCENARIO "boot"
/* The sanitizers' runtimes make system calls of their own (and fork a symbolizer on a
 * report): their builds start unconfined; --sandbox on still asks for it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CONFIG_SANDBOX_DEFAULT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CONFIG_SANDBOX_DEFAULT 0
#endif
#endif
#ifndef CONFIG_SANDBOX_DEFAULT
#define CONFIG_SANDBOX_DEFAULT 1 /* SANDBOX_ON */
#endif

struct config {
	enum command cmd;
	enum command help_for;     /* with CMD_HELP: which command's help (CMD_HELP = general) */
	const char *kernel;        /* NULL: the embedded test guest */
	const char *initrd;        /* --initrd: for a Linux kernel, NULL without */
	const char *cmdline;       /* --cmdline: for a Linux kernel, NULL without */
	enum loader_boot boot;     /* --boot: how a Linux kernel is entered */
	uint64_t memory;           /* bytes */
	unsigned cpus;
	enum serial_mode serial;
	const char *serial_path;   /* with SERIAL_FILE */
	char scenario[BOOTINFO_SCENARIO_LEN];
	bool verbose;              /* log test-port and device events to stderr */
	bool start_paused;         /* -S: hold the vCPUs until cont */
	int sandbox;               /* --sandbox: enum sandbox_mode (off, on, strict) */
	const char *stats_path;    /* write run statistics (bench) here */
	bool json;                 /* check-host --json */
	struct ras_sources ras;    /* --ras-sources, --ras-block-size, --ras-poll-ms */
	enum ras_policy ras_policy; /* --ras */
	uint32_t ras_queue;        /* --ras-queue: GHES records waiting per source */
	uint32_t ras_pace_ms;      /* --ras-pace-ms: least time from an ack to the next async block */
	bool guest_poison;         /* --guest-poison: honour UCALL_POISON */
	bool guest_poison_host;    /* --guest-poison=host: by the host kernel (MADV_HWPOISON), not the simulator */
	unsigned qmp_count;        /* --qmp: the control sockets */
	struct qmp_listen qmp[CONFIG_QMP_MAX];
	const char *name;          /* --name, NULL without */
	const char *metrics_path;  /* --metrics FILE: RAS counters for Prometheus, NULL without */
	unsigned metrics_interval; /* seconds between rewrites */
	char metrics_file[4096];   /* metrics_path points here */
	const char *incoming;      /* --incoming URI: restore or receive instead of booting */
	int rest_argc;             /* snapshot restore: the run options after FILE */
	char *const *rest_argv;
	const char *ctl_command;   /* ctl: the QMP command, its JSON arguments */
	const char *ctl_args;
	unsigned ctl_watch;        /* ctl --watch: seconds to print events for */
	unsigned poison_count;     /* --poison GPA[,ao] */
	struct poison_request poison[CONFIG_POISON_MAX];
	const char *path;          /* acpi dump DIR, cper encode -o FILE, cper decode FILE */
	enum acpi_arch arch;       /* acpi dump --arch: which machine's firmware */
	bool arch_given;           /* --arch was given; else the binary's own machine's */
	/* cper encode: one memory error record per --gpa, all in one status block */
	unsigned cper_count;
	uint64_t cper_gpa[CONFIG_CPER_MAX_RECORDS];
	uint32_t cper_severity;
	uint8_t cper_type;
	unsigned cper_lsb;         /* address mask from a host granule of 2^lsb bytes */
	/* cper decode */
	uint64_t block_length;     /* 0: the file's size */
	unsigned source_id;
};

/* 0, or -EINVAL with a message naming the problem in err. */
int config_parse(int argc, char *const argv[], struct config *c, char *err, size_t errlen);
/* Parse "512M", "2G", "1048576K", "64MiB"; a bare number means MiB (as in QEMU's -m). */
int config_parse_size(const char *s, uint64_t *bytes);
/* Check the limits of the machine this binary runs (kvm/arch.h arch_machine): config_parse
 * checks x86's; arm64 has its own (vCPUs, RAM, one boot protocol). 0 or -EINVAL. */
int config_check_machine(const struct config *c, enum acpi_arch arch, char *err, size_t errlen);
/* Check limits that depend on the host: its RAM and KVM's vCPU maximum. */
int config_check_host(const struct config *c, uint64_t host_ram, unsigned kvm_max_vcpus, char *err,
		      size_t errlen);

/* One --qmp value into *l; 0 or -EINVAL with the reason in err. */
int config_parse_qmp(const char *spec, struct qmp_listen *l, char *err, size_t errlen);

/* Help text for a command (CMD_HELP: the overview). */
const char *config_usage(enum command cmd);

#endif
