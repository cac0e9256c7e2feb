// SPDX-License-Identifier: MIT
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "acpi/spec.h"
#include "errmsg.h"
#include "rasvm/layout_arm64.h"

static const char usage_main[] =
	"usage: rasvm COMMAND [OPTIONS]\n"
	"\n"
	"A small KVM virtual machine monitor whose guests survive host memory errors.\n"
	"\n"
	"commands:\n"
	"  demo         boot the test guest, lose memory under it, watch it recover\n"
	"  run          boot a guest (the embedded test guest unless --kernel is given)\n"
	"  check-host   report what this host's KVM offers for guest RAS\n"
	"  acpi dump    write the ACPI tables a VM would get, and the error region's map\n"
	"  cper encode  write a UEFI CPER memory error record (Generic Error Status Block)\n"
	"  cper decode  check a CPER record as Linux does and print what Linux would print\n"
	"  ctl          send a command to a running rasvm's control socket (--qmp)\n"
	"  snapshot     check a snapshot, or restore one (docs/migration.md)\n"
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
	"  --kernel FILE       a static x86_64 ELF64 executable linked at 1 MiB or above, or a\n"
	"                      Linux kernel: a vmlinux, or a bzImage (rasvm decompresses its\n"
	"                      gzip, bzip2, lzma, xz, lzo, lz4 or zstd payload itself)\n"
	"  --initrd FILE       initial ramdisk for a Linux kernel, placed high in RAM below 3 GiB\n"
	"  --cmdline STRING    Linux kernel command line (at most the kernel's cmdline_size)\n"
	"  --boot MODE         how a Linux kernel is entered: 64 (default: the 64-bit boot\n"
	"                      protocol at startup_64, a zero page in RSI) or pvh (the PVH\n"
	"                      ELF note: 32-bit, paging off, hvm_start_info in EBX)\n"
	"  --memory SIZE       guest RAM: 512M, 2G, 65536K, or a number of MiB (default 128M,\n"
	"                      at least 8M, a multiple of 4K, at most the host's RAM)\n"
	"  --cpus N            vCPUs, 1 to 254 and at most KVM's maximum (default 1)\n"
	"  --serial MODE       where COM1 output goes: stdio (default), file:PATH, none\n"
	"  --scenario NAME     scenario for the guest to run, passed in the boot-info page\n"
	"                      (default \"boot\"; 'rasvm run --scenario list' lists the test guest's)\n"
	"  --ras-sources LIST  GHESv2 error sources to publish in the HEST: any of sync (NMI),\n"
	"                      async (SCI via the GED), polled, comma-separated, or none\n"
	"                      (default sync,async,polled; ids 0, 1, 2 whatever is chosen)\n"
	"  --ras-block-size SIZE  bytes per error status block, 1K to 64K (default 4K)\n"
	"  --ras-poll-ms N     poll interval of the polled source (default 1000)\n"
	"  --ras-block-records N  memory-error records per status block (default 1, as\n"
	"                      firmware writes: Linux queues at most 16 per CPU; more than one\n"
	"                      only for guests that take them)\n"
	"  --ras POLICY        how host memory errors reach the guest: both (default: action\n"
	"                      required by machine check, action optional by GHES), mce, ghes,\n"
	"                      off (an error the guest touches then stops the VM)\n"
	"  --ras-queue N       GHES records that may wait per source for the guest's ack\n"
	"                      (default 1024, at most 65536; more are counted as overflowed)\n"
	"  --ras-pace-ms N     after the guest acknowledges a block of the GSIV or polled source,\n"
	"                      wait N ms before writing the next, 8 records a block at most\n"
	"                      (default 0: at once; Linux queues at most 16 pages per CPU for\n"
	"                      recovery and drops the rest)\n"
	"  --poison GPA[,ao][,lsb=N]  the simulated host loses the guest page at GPA (or with\n"
	"                      lsb=21 the whole 2 MiB granule) before the guest runs; the guest's\n"
	"                      next access reports it (action required), or with ,ao the host\n"
	"                      reports it at once (action optional). Repeatable\n"
	"  --guest-poison[=sim|host]  let the guest ask for its own pages to be poisoned through\n"
	"                      the test port (the test guest's RAS scenarios and rasvm demo use it):\n"
	"                      by the simulator (sim, the default), or by the host kernel itself\n"
	"                      (host: MADV_HWPOISON, where check-host says it works)\n"
	"  --qmp PATH          serve the QEMU Machine Protocol on a Unix socket at PATH (mode\n"
	"                      0600; see docs/qmp.md and 'rasvm ctl'). QEMU's spellings work too:\n"
	"                      unix:PATH[,server=on|off][,wait=on|off] and\n"
	"                      tcp:[HOST]:PORT[,server=on|off][,wait=on|off] (HOST numeric or\n"
	"                      localhost; empty is loopback). As in QEMU, server=off (the\n"
	"                      default with unix: and tcp:) connects out to a listening client\n"
	"                      and wait=on (the default with server=on) holds the guest until a\n"
	"                      client connects. QMP has no authentication: a TCP socket is for\n"
	"                      trusted hosts only. Up to 8 --qmp; -qmp is the same\n"
	"  --name NAME         the VM's name (query-name, info name, the metrics' vm label):\n"
	"                      1-64 of A-Z a-z 0-9 . _ - : @ +\n"
	"  --metrics FILE[,interval=SECONDS]  keep FILE a Prometheus text file of the RAS\n"
	"                      counters (rewritten atomically every SECONDS, default 15, and at\n"
	"                      exit); see docs/fleet.md\n"
	"  --sandbox MODE      on (default): confine every thread to the system calls its work\n"
	"                      needs once the VM is built, refusing others with EPERM; strict: a\n"
	"                      refused call ends rasvm (exit 70); off: for debugging. The default\n"
	"                      comes from $RASVM_SANDBOX when set (see docs/sandbox.md)\n"
	"  --incoming URI      instead of booting, restore a snapshot (file:PATH) or wait for a\n"
	"                      live migration (unix:PATH, tcp:HOST:PORT); the machine options\n"
	"                      must match the source's (docs/migration.md)\n"
	"  -S, --paused        build the VM but start no guest code until the control socket's\n"
	"                      cont (QEMU's -S); query-status says prelaunch until then\n"
	"  --stats FILE        write start-up time and memory figures to FILE when the VM ends\n"
	"  -v, --verbose       log test-port events (SYNC, DONE) and device events to stderr\n"
	"  -h, --help          this text\n"
	"\n"
	"exit status: the guest's own code (0-63) when it powers off through the power port;\n"
	"64 bad usage, 65 bad kernel, initrd or command line, 66 kernel or initrd file\n"
	"unreadable, 69 KVM unusable, 70 internal error, 71 host resource error,\n"
	"80 guest triple fault, 81 guest hung (every vCPU halted with interrupts off),\n"
	"82 guest assertion failed, 83 guest exit code out of range, 84 guest stopped KVM\n"
	"(emulation failure), 85 host memory error that could not be survived or reported,\n"
	"130/143 SIGINT/SIGTERM.\n";

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

static const char usage_demo[] =
	"usage: rasvm demo [--cpus N] [--memory SIZE] [--ras POLICY] [--ras-sources LIST] [-v]\n"
	"\n"
	"Boot the embedded test guest and show guest RAS end to end: a task's page goes bad under\n"
	"it (action required: machine check by default), then the host finds another bad page\n"
	"(action optional: a GHES record and the GED interrupt). The guest prints what Linux\n"
	"prints and recovers; rasvm then prints its summary (errors, how each was delivered,\n"
	"acknowledged, lost). Takes the options of 'rasvm run' that shape the machine and RAS;\n"
	"the host poison simulator stands in for failing hardware. Exit status as 'rasvm run'.\n";

static const char usage_ctl[] =
	"usage: rasvm ctl PATH COMMAND [JSON-ARGUMENTS]\n"
	"       rasvm ctl PATH --watch SECONDS\n"
	"\n"
	"Connect to the QMP socket a 'rasvm run --qmp PATH' serves, negotiate capabilities, run\n"
	"COMMAND with the arguments object, print what it returns as JSON and exit 0; on a QMP\n"
	"error print the class and description and exit 1 (66 when nothing listens at PATH).\n"
	"--watch prints the events that arrive for SECONDS, one JSON object per line.\n"
	"Commands: docs/qmp.md, e.g.\n"
	"  rasvm ctl /tmp/vm.qmp query-ras\n"
	"  rasvm ctl /tmp/vm.qmp x-inject-host-memory-error '{\"gpa\": 4198400}'\n";

static const char usage_snapshot[] =
	"usage: rasvm snapshot check FILE [--json]\n"
	"       rasvm snapshot restore FILE [run options]\n"
	"\n"
	"Snapshots are written by the control socket's migrate command with a file: URI\n"
	"(stop first for a VM that stays put: 'rasvm ctl SOCK stop', then\n"
	"'rasvm ctl SOCK migrate \'{\"uri\": \"file:/path\"}\'').\n"
	"\n"
	"check    read the whole file (every record's CRC, every section) and say whether this\n"
	"         rasvm on this host can restore it, and if not every reason why (format or\n"
	"         section too new, CPU features missing here, too much memory...). Exits 0\n"
	"         when it can, 65 when it cannot or the file is damaged, 66 when unreadable.\n"
	"restore  'rasvm run --incoming file:FILE' with the machine the snapshot describes\n"
	"         (memory, vCPUs, RAS sources and policy, scenario, kernel); run options after\n"
	"         FILE come on top (--qmp, --serial, -S...). Exit status as 'rasvm run', and\n"
	"         65 when the snapshot is refused.\n";

static const char usage_acpi_dump[] =
	"usage: rasvm acpi dump DIR [--arch x86|arm64] [--cpus N] [--memory SIZE]\n"
	"                           [--ras-sources LIST] [--ras-block-size SIZE] [--ras-poll-ms N]\n"
	"                           [--ras-block-records N]\n"
	"\n"
	"Write every ACPI table a VM with these options gets as DIR/SIG.dat (RSDP.dat too),\n"
	"and DIR/error-region.txt describing the GHES error region: per source its\n"
	"notification, block-address register, read-ack register and status block.\n"
	"With --arch arm64, the arm64 machine's firmware (docs/memory-map-arm64.md), up to\n"
	"123 vCPUs: also DIR/devicetree.dtb and DIR/efi.bin, the EFI system table,\n"
	"configuration tables and memory map as they sit at LAYOUT_ARM64_EFI.\n"
	"DIR is created if needed. Disassemble with: iasl -d DIR/*.dat; dtc -I dtb DIR/devicetree.dtb\n";

static const char usage_cper_encode[] =
	"usage: rasvm cper encode --gpa ADDR [--gpa ADDR...] [--severity SEV] [--type TYPE]\n"
	"                         [--lsb N] -o FILE\n"
	"\n"
	"Write one Generic Error Status Block holding a UEFI memory error section (revision\n"
	"0x300 entry with the current time) for each --gpa, as rasvm puts it into a GHES block.\n"
	"\n"
	"options:\n"
	"  --gpa ADDR      guest physical address of the lost memory (hex 0x... or decimal)\n"
	"  --severity SEV  recoverable (default), fatal, corrected or none\n"
	"  --type TYPE     memory error type: a number 0-255 or unknown, single-bit,\n"
	"                  multi-bit (default), scrub-uncorrected\n"
	"  --lsb N         the error covers 2^N bytes (the host granule; default 12): the\n"
	"                  physical address mask reported is ~(2^N - 1)\n"
	"  -o FILE         where to write the block\n";

static const char usage_cper_decode[] =
	"usage: rasvm cper decode FILE [--block-length N] [--source ID]\n"
	"\n"
	"Check a Generic Error Status Block with every check Linux's GHES driver applies and\n"
	"print the lines Linux would print. Exits 0 when valid, 65 naming the failed check.\n"
	"\n"
	"options:\n"
	"  --block-length N  the source's error status block length (default: the file size)\n"
	"  --source ID       source id for the first line (default 0)\n";

const char *config_usage(enum command cmd)
{
	switch (cmd) {
	case CMD_RUN:
		return usage_run;
	case CMD_DEMO:
		return usage_demo;
	case CMD_CHECK_HOST:
		return usage_check_host;
	case CMD_ACPI_DUMP:
		return usage_acpi_dump;
	case CMD_CPER_ENCODE:
		return usage_cper_encode;
	case CMD_CPER_DECODE:
		return usage_cper_decode;
	case CMD_CTL:
		return usage_ctl;
	case CMD_SNAPSHOT_CHECK:
	case CMD_SNAPSHOT_RESTORE:
		return usage_snapshot;
	default:
		return usage_main;
	}
}

#define fail(err, errlen, ...) errmsg(err, errlen, -EINVAL, __VA_ARGS__)

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

/* Decimal, or hex with 0x; never octal ("010" is ten); no sign or space. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	int base = 10;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	}
	if (!isxdigit((unsigned char)s[0]) || (base == 10 && !isdigit((unsigned char)s[0])))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A byte count: plain bytes (4096, 0x1000), or with a unit (4K, 64KiB). */
static int parse_bytes(const char *s, uint64_t *out)
{
	return parse_u64(s, out) && config_parse_size(s, out) ? -EINVAL : 0;
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

/* Options that shape the machine, shared by `run` and `acpi dump`; 1 when not one of them. */
static int parse_machine_option(int argc, char *const argv[], int *i, struct config *c, char *err,
				size_t errlen)
{
	const char *v;
	int missing = 0;
	uint64_t n;

	if (take(argc, argv, i, "--memory", &v, &missing)) {
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
	} else if (take(argc, argv, i, "--ras-sources", &v, &missing)) {
		if (missing || ras_sources_parse(v, &c->ras.mask))
			return fail(err, errlen,
				    "--ras-sources '%s': use a comma-separated list of sync, async, polled, or none",
				    missing ? "" : v);
	} else if (take(argc, argv, i, "--ras-block-size", &v, &missing)) {
		/* Sizes here are bytes unless suffixed (4K, 64K): blocks are small. */
		if (missing || parse_bytes(v, &n) || n > UINT32_MAX)
			return fail(err, errlen, "--ras-block-size '%s' is not a size; use e.g. 4K",
				    missing ? "" : v);
		c->ras.block_length = (uint32_t)n;
	} else if (take(argc, argv, i, "--ras-block-records", &v, &missing)) {
		if (missing || parse_u64(v, &n) || n == 0 || n > UINT32_MAX)
			return fail(err, errlen, "--ras-block-records '%s' is not a number of records",
				    missing ? "" : v);
		c->ras.records_max = (uint32_t)n;
	} else if (take(argc, argv, i, "--ras-poll-ms", &v, &missing)) {
		if (missing || parse_u64(v, &n) || n > UINT32_MAX)
			return fail(err, errlen, "--ras-poll-ms '%s' is not a number of milliseconds",
				    missing ? "" : v);
		c->ras.poll_ms = (uint32_t)n;
	} else {
		return 1;
	}
	return 0;
}

/* GPA[,ao][,lsb=N]: N from 12 (a page) to 30 (a 1 GiB page). */
static int parse_poison(const char *v, struct config *c, char *err, size_t errlen)
{
	char buf[64], *save = NULL;
	struct poison_request p = { .lsb = 12 };
	uint64_t n;

	if (strlen(v) >= sizeof(buf))
		return fail(err, errlen, "--poison '%s' is too long", v);
	strcpy(buf, v);
	char *addr = strtok_r(buf, ",", &save);
	if (!addr || parse_u64(addr, &p.gpa))
		return fail(err, errlen, "--poison '%s': '%s' is not an address", v, addr ? addr : "");
	for (char *t; (t = strtok_r(NULL, ",", &save));) {
		if (!strcmp(t, "ao"))
			p.action_optional = true;
		else if (!strncmp(t, "lsb=", 4) && !parse_u64(t + 4, &n) && n >= 12 && n <= 30)
			p.lsb = (unsigned)n;
		else
			return fail(err, errlen, "--poison '%s': '%s' is neither ao nor lsb=12..30", v, t);
	}
	if (c->poison_count == CONFIG_POISON_MAX)
		return fail(err, errlen, "more than %u --poison options", CONFIG_POISON_MAX);
	c->poison[c->poison_count++] = p;
	return 0;
}

static bool on_off(const char *v, bool *b)
{
	if (!strcmp(v, "on"))
		*b = true;
	else if (!strcmp(v, "off"))
		*b = false;
	else
		return false;
	return true;
}

int config_parse_qmp(const char *spec, struct qmp_listen *l, char *err, size_t errlen)
{
	static const char *const other[] = { "stdio", "pty", "vc", "null", "none", "mon:", "telnet:",
					     "websocket:", "udp:", "file:", "pipe:", "chardev:", "fd:" };
	char buf[256], *save = NULL;
	bool wait_given = false;

	*l = (struct qmp_listen){ .transport = QMP_UNIX };
	if (!*spec)
		return fail(err, errlen, "--qmp needs a socket: PATH, unix:PATH or tcp:HOST:PORT");
	if (strncmp(spec, "unix:", 5) && strncmp(spec, "tcp:", 4)) {
		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
			size_t n = strlen(other[i]);
			if (!strncmp(spec, other[i], n) && (other[i][n - 1] == ':' || !spec[n] || spec[n] == ','))
				return fail(err, errlen,
					    "--qmp '%.64s': rasvm serves QMP only on unix: and tcp: sockets", spec);
		}
		/* rasvm's own spelling: a bare PATH it listens on at once. */
		if (strlen(spec) > CONFIG_QMP_PATH_MAX)
			return fail(err, errlen, "--qmp: the socket path is longer than %d bytes",
				    CONFIG_QMP_PATH_MAX);
		strcpy(l->path, spec);
		l->server = true;
		return 0;
	}
	if (strlen(spec) >= sizeof(buf))
		return fail(err, errlen, "--qmp '%.64s...' is too long", spec);
	strcpy(buf, spec);
	char *addr = strtok_r(buf, ",", &save);
	if (!strncmp(addr, "unix:", 5)) {
		addr += 5;
		if (!*addr)
			return fail(err, errlen, "--qmp '%s': unix: needs a path", spec);
		if (strlen(addr) > CONFIG_QMP_PATH_MAX)
			return fail(err, errlen, "--qmp: the socket path is longer than %d bytes",
				    CONFIG_QMP_PATH_MAX);
		strcpy(l->path, addr);
	} else {
		l->transport = QMP_TCP;
		addr += 4;
		char *colon = strrchr(addr, ':');
		uint64_t port;
		if (!colon || parse_u64(colon + 1, &port) || port > 65535 || (colon[1] == '0' && colon[2]))
			return fail(err, errlen, "--qmp '%s': use tcp:[HOST]:PORT with a port 0-65535", spec);
		*colon = '\0';
		l->port = (uint16_t)port;
		size_t n = strlen(addr);
		if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
			addr[n - 1] = '\0';
			addr++;
		}
		uint8_t bin[16];
		if (!strcmp(addr, "localhost"))
			addr = "";
		if (*addr && inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
			return fail(err, errlen,
				    "--qmp '%s': '%.48s' is not a numeric address (rasvm looks no names up; localhost is loopback)",
				    spec, addr);
		strcpy(l->host, addr);
	}
	for (char *t; (t = strtok_r(NULL, ",", &save));) {
		bool b;
		if (!strncmp(t, "server=", 7) && on_off(t + 7, &b))
			l->server = b;
		else if (!strcmp(t, "server"))
			l->server = true; /* QEMU's old short form */
		else if (!strncmp(t, "wait=", 5) && on_off(t + 5, &b))
			l->wait = b, wait_given = true;
		else if (!strcmp(t, "nowait") || !strcmp(t, "wait"))
			l->wait = !strcmp(t, "wait"), wait_given = true;
		else
			return fail(err, errlen,
				    "--qmp '%s': rasvm does not support '%.32s' (it takes server=on|off and wait=on|off)",
				    spec, t);
	}
	if (!l->server && wait_given)
		return fail(err, errlen,
			    "--qmp '%s': 'wait' option is incompatible with socket in client connect mode", spec);
	if (l->server && !wait_given)
		l->wait = true; /* QEMU's default for a server socket */
	if (!l->server && l->transport == QMP_TCP && l->port == 0)
		return fail(err, errlen, "--qmp '%s': a client connection needs a port", spec);
	return 0;
}

/* --name: safe in a file name, a log line and a Prometheus label without escaping. */
static bool name_ok(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > CONFIG_NAME_MAX)
		return false;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-:@+", *p))
			return false;
	return true;
}

static int parse_metrics(const char *v, struct config *c, char *err, size_t errlen)
{
	char *path = c->metrics_file;
	const char *opt = strstr(v, ",interval=");
	size_t n = opt ? (size_t)(opt - v) : strlen(v);
	uint64_t s;

	if (n == 0 || n >= sizeof(c->metrics_file))
		return fail(err, errlen, "--metrics needs FILE[,interval=SECONDS]");
	if (opt && (parse_u64(opt + 10, &s) || s == 0 || s > CONFIG_METRICS_INTERVAL_MAX))
		return fail(err, errlen, "--metrics '%s': interval must be 1 to %d seconds", v,
			    CONFIG_METRICS_INTERVAL_MAX);
	memcpy(path, v, n);
	path[n] = '\0';
	c->metrics_path = path;
	c->metrics_interval = opt ? (unsigned)s : CONFIG_METRICS_INTERVAL_DEFAULT;
	return 0;
}

/* on, off, strict; -1 otherwise. */
static int parse_sandbox(const char *v)
{
	return !strcmp(v, "off") ? 0 : !strcmp(v, "on") ? 1 : !strcmp(v, "strict") ? 2 : -1;
}

static int parse_run_option(int argc, char *const argv[], int *i, struct config *c, char *err,
			    size_t errlen)
{
	const char *v;
	int missing = 0;
	int r = parse_machine_option(argc, argv, i, c, err, errlen);

	if (r <= 0)
		return r;
	if (take(argc, argv, i, "--ras", &v, &missing)) {
		if (missing || ras_policy_parse(v, &c->ras_policy))
			return fail(err, errlen, "--ras '%s': use both, mce, ghes or off", missing ? "" : v);
	} else if (take(argc, argv, i, "--ras-queue", &v, &missing)) {
		uint64_t n;
		if (missing || parse_u64(v, &n) || n == 0 || n > RAS_QUEUE_MAX_RECORDS)
			return fail(err, errlen, "--ras-queue '%s': use 1 to %u", missing ? "" : v,
				    RAS_QUEUE_MAX_RECORDS);
		c->ras_queue = (uint32_t)n;
	} else if (take(argc, argv, i, "--ras-pace-ms", &v, &missing)) {
		uint64_t n;
		if (missing || parse_u64(v, &n) || n > 10000)
			return fail(err, errlen, "--ras-pace-ms '%s': use 0 to 10000", missing ? "" : v);
		c->ras_pace_ms = (uint32_t)n;
	} else if (take(argc, argv, i, "--poison", &v, &missing)) {
		if (missing)
			return fail(err, errlen, "--poison needs GPA[,ao][,lsb=N]");
		int r = parse_poison(v, c, err, errlen);
		if (r)
			return r;
	} else if (take(argc, argv, i, "--qmp", &v, &missing) || take(argc, argv, i, "-qmp", &v, &missing)) {
		if (missing || !*v)
			return fail(err, errlen, "--qmp needs a socket: PATH, unix:PATH or tcp:HOST:PORT");
		if (c->qmp_count == CONFIG_QMP_MAX)
			return fail(err, errlen, "more than %d --qmp options", CONFIG_QMP_MAX);
		int r = config_parse_qmp(v, &c->qmp[c->qmp_count], err, errlen);
		if (r)
			return r;
		c->qmp_count++;
	} else if (take(argc, argv, i, "--name", &v, &missing) || take(argc, argv, i, "-name", &v, &missing)) {
		if (missing || !name_ok(v))
			return fail(err, errlen, "--name '%.80s': use 1 to %d of A-Z a-z 0-9 . _ - : @ +",
				    missing ? "" : v, CONFIG_NAME_MAX);
		c->name = v;
	} else if (take(argc, argv, i, "--metrics", &v, &missing)) {
		if (missing)
			return fail(err, errlen, "--metrics needs FILE[,interval=SECONDS]");
		int r = parse_metrics(v, c, err, errlen);
		if (r)
			return r;
	} else if (take(argc, argv, i, "--incoming", &v, &missing)) {
		if (missing || (strncmp(v, "file:", 5) && strncmp(v, "unix:", 5) && strncmp(v, "tcp:", 4)) ||
		    !strchr(v, ':')[1])
			return fail(err, errlen, "--incoming '%s': use file:PATH, unix:PATH or tcp:HOST:PORT",
				    missing ? "" : v);
		c->incoming = v;
	} else if (!strcmp(argv[*i], "--guest-poison") || !strcmp(argv[*i], "--guest-poison=sim")) {
		c->guest_poison = true;
	} else if (!strcmp(argv[*i], "--guest-poison=host")) {
		c->guest_poison = c->guest_poison_host = true;
	} else if (take(argc, argv, i, "--kernel", &v, &missing)) {
		if (missing || !*v)
			return fail(err, errlen, "--kernel needs a file name");
		c->kernel = v;
	} else if (take(argc, argv, i, "--initrd", &v, &missing)) {
		if (missing || !*v)
			return fail(err, errlen, "--initrd needs a file name");
		c->initrd = v;
	} else if (take(argc, argv, i, "--cmdline", &v, &missing)) {
		if (missing)
			return fail(err, errlen, "--cmdline needs a string, e.g. --cmdline \"console=ttyS0\"");
		c->cmdline = v;
	} else if (take(argc, argv, i, "--boot", &v, &missing)) {
		if (missing || (strcmp(v, "64") && strcmp(v, "pvh")))
			return fail(err, errlen, "--boot '%s': use 64 or pvh", missing ? "" : v);
		c->boot = strcmp(v, "64") ? LOADER_BOOT_PVH : LOADER_BOOT_64;
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
	} else if (!strcmp(argv[*i], "-S") || !strcmp(argv[*i], "--paused")) {
		c->start_paused = true;
	} else if (take(argc, argv, i, "--sandbox", &v, &missing)) {
		int m = missing ? -1 : parse_sandbox(v);
		if (m < 0)
			return fail(err, errlen, "--sandbox takes on, off or strict");
		c->sandbox = m;
	} else {
		return fail(err, errlen, "run: unknown option '%s'; see 'rasvm run --help'", argv[*i]);
	}
	return 0;
}

static const char *const severities[] = { "recoverable", "fatal", "corrected", "none" };

static int parse_cper_encode_option(int argc, char *const argv[], int *i, struct config *c,
				    char *err, size_t errlen)
{
	const char *v;
	int missing = 0;
	uint64_t n;

	if (take(argc, argv, i, "--gpa", &v, &missing)) {
		if (missing || parse_u64(v, &n))
			return fail(err, errlen, "--gpa '%s' is not an address", missing ? "" : v);
		if (c->cper_count == CONFIG_CPER_MAX_RECORDS)
			return fail(err, errlen, "more than %u --gpa: a status block counts at most %u entries",
				    CONFIG_CPER_MAX_RECORDS, CONFIG_CPER_MAX_RECORDS);
		c->cper_gpa[c->cper_count++] = n;
	} else if (take(argc, argv, i, "--severity", &v, &missing)) {
		unsigned s = 0;
		while (!missing && s < 4 && strcmp(v, severities[s]))
			s++;
		if (missing || s == 4)
			return fail(err, errlen, "--severity '%s': use recoverable, fatal, corrected or none",
				    missing ? "" : v);
		c->cper_severity = s;
	} else if (take(argc, argv, i, "--type", &v, &missing)) {
		static const struct { const char *name; uint8_t type; } types[] = {
			{ "unknown", 0 }, { "single-bit", 2 }, { "multi-bit", 3 }, { "scrub-uncorrected", 14 } };
		size_t t = 0;
		while (!missing && t < sizeof(types) / sizeof(types[0]) && strcmp(v, types[t].name))
			t++;
		if (!missing && t < sizeof(types) / sizeof(types[0]))
			c->cper_type = types[t].type;
		else if (!missing && !parse_u64(v, &n) && n <= 255)
			c->cper_type = (uint8_t)n;
		else
			return fail(err, errlen,
				    "--type '%s': use 0-255 or unknown, single-bit, multi-bit, scrub-uncorrected",
				    missing ? "" : v);
	} else if (take(argc, argv, i, "--lsb", &v, &missing)) {
		if (missing || parse_uint(v, &c->cper_lsb) || c->cper_lsb < 6 || c->cper_lsb > 52)
			return fail(err, errlen, "--lsb '%s': use 6 to 52 (12 for 4 KiB, 21 for 2 MiB)",
				    missing ? "" : v);
	} else if (take(argc, argv, i, "-o", &v, &missing) || take(argc, argv, i, "--output", &v, &missing)) {
		if (missing || !*v)
			return fail(err, errlen, "-o needs a file name");
		c->path = v;
	} else {
		return fail(err, errlen, "cper encode: unknown option '%s'; see 'rasvm cper encode --help'",
			    argv[*i]);
	}
	return 0;
}

static int parse_cper_decode_option(int argc, char *const argv[], int *i, struct config *c,
				    char *err, size_t errlen)
{
	const char *v;
	int missing = 0;
	uint64_t n;

	if (take(argc, argv, i, "--block-length", &v, &missing)) {
		if (missing || parse_bytes(v, &n) || n == 0)
			return fail(err, errlen, "--block-length '%s' is not a size", missing ? "" : v);
		c->block_length = n;
	} else if (take(argc, argv, i, "--source", &v, &missing)) {
		if (missing || parse_uint(v, &c->source_id) || c->source_id > 0xffff)
			return fail(err, errlen, "--source '%s': use 0-65535", missing ? "" : v);
	} else if (argv[*i][0] != '-' && !c->path) {
		c->path = argv[*i];
	} else {
		return fail(err, errlen, "cper decode: unexpected '%s'; see 'rasvm cper decode --help'",
			    argv[*i]);
	}
	return 0;
}

static int validate_machine(const struct config *c, char *err, size_t errlen)
{
	const char *why;

	if (c->cpus == 0)
		return fail(err, errlen, "--cpus 0: a VM needs at least one vCPU");
	if (c->cpus > MADT_MAX_XAPIC_ID)
		return fail(err, errlen,
			    "--cpus %u: rasvm describes vCPUs with 8-bit xAPIC ids, so at most %u",
			    c->cpus, MADT_MAX_XAPIC_ID);
	if (ras_sources_check(&c->ras, &why))
		return fail(err, errlen, "--ras-block-size %u / --ras-poll-ms %u / --ras-block-records %u: %s",
			    c->ras.block_length, c->ras.poll_ms, c->ras.records_max, why);
	if (LAYOUT_ERROR_REGION + ghes_region_size(&c->ras) > LAYOUT_ERROR_REGION_END)
		return fail(err, errlen, "--ras-block-size %u: the error region would not fit its %llu KiB",
			    c->ras.block_length,
			    (unsigned long long)((LAYOUT_ERROR_REGION_END - LAYOUT_ERROR_REGION) >> 10));
	return 0;
}

static int validate_arm64(const struct config *c, char *err, size_t errlen)
{
	const char *why;

	if (c->cpus == 0 || c->cpus > LAYOUT_ARM64_MAX_CPUS)
		return fail(err, errlen, "--cpus %u: the arm64 machine has redistributors for 1 to %u vCPUs",
			    c->cpus, LAYOUT_ARM64_MAX_CPUS);
	if (c->memory < LAYOUT_ARM64_RAM_MIN || c->memory % 0x10000)
		return fail(err, errlen, "--memory: the arm64 machine needs at least %llu MiB, a multiple of 64 KiB",
			    (unsigned long long)(LAYOUT_ARM64_RAM_MIN >> 20));
	if (ras_sources_check(&c->ras, &why))
		return fail(err, errlen, "--ras-block-size %u / --ras-poll-ms %u / --ras-block-records %u: %s",
			    c->ras.block_length, c->ras.poll_ms, c->ras.records_max, why);
	if (LAYOUT_ARM64_ERROR_REGION + ghes_region_size(&c->ras) > LAYOUT_ARM64_ERROR_REGION_END)
		return fail(err, errlen, "--ras-block-size %u: the error region would not fit its %llu KiB",
			    c->ras.block_length,
			    (unsigned long long)((LAYOUT_ARM64_ERROR_REGION_END - LAYOUT_ARM64_ERROR_REGION) >> 10));
	return 0;
}

static int validate_run(const struct config *c, char *err, size_t errlen)
{
	if (!c->kernel && (c->initrd || c->cmdline || c->boot != LOADER_BOOT_DEFAULT))
		return fail(err, errlen, "%s is for a Linux kernel: give one with --kernel FILE (the embedded test guest takes none)",
			    c->initrd ? "--initrd" : c->cmdline ? "--cmdline" : "--boot");
	if (c->ras_policy == RAS_POLICY_GHES && !c->ras.mask)
		return fail(err, errlen, "--ras ghes needs GHES sources; --ras-sources is none");
	if (c->memory < LAYOUT_RAM_MIN)
		return fail(err, errlen, "--memory %llu KiB is too small: rasvm needs at least %llu MiB",
			    (unsigned long long)(c->memory >> 10),
			    (unsigned long long)(LAYOUT_RAM_MIN >> 20));
	if (c->memory % 4096)
		return fail(err, errlen, "--memory must be a multiple of 4 KiB");
	if (c->incoming && c->poison_count)
		return fail(err, errlen, "--poison with --incoming: the snapshot says which pages are poisoned");
	return validate_machine(c, err, errlen);
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
		.ras = { .mask = RAS_SOURCES_DEFAULT, .block_length = GHES_BLOCK_DEFAULT,
			 .poll_ms = GHES_POLL_DEFAULT_MS, .records_max = GHES_RECORDS_DEFAULT },
		.ras_queue = RAS_QUEUE_DEFAULT_RECORDS,
		.sandbox = CONFIG_SANDBOX_DEFAULT,
		.cper_type = 3, /* multi-bit ECC: what a lost page usually is */
		.cper_lsb = 12,
	};
	if (argc < 2)
		return fail(err, errlen, "no command given; try 'rasvm --help'");
	/* The default mode from the environment (a test suite asks for strict); --sandbox wins. */
	const char *env = getenv("RASVM_SANDBOX");
	if (env && *env) {
		c->sandbox = parse_sandbox(env);
		if (c->sandbox < 0)
			return fail(err, errlen, "RASVM_SANDBOX='%.16s': use on, off or strict", env);
	}

	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		return 0;
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		c->cmd = CMD_VERSION;
		return 0;
	}
	int first = 2;
	const char *sub = argc > 2 ? argv[2] : "";
	if (!strcmp(cmd, "run")) {
		c->cmd = CMD_RUN;
	} else if (!strcmp(cmd, "demo")) {
		c->cmd = CMD_DEMO;
	} else if (!strcmp(cmd, "check-host")) {
		c->cmd = CMD_CHECK_HOST;
	} else if (!strcmp(cmd, "acpi") && !strcmp(sub, "dump")) {
		c->cmd = CMD_ACPI_DUMP;
		first = 3;
	} else if (!strcmp(cmd, "cper") && !strcmp(sub, "encode")) {
		c->cmd = CMD_CPER_ENCODE;
		first = 3;
	} else if (!strcmp(cmd, "cper") && !strcmp(sub, "decode")) {
		c->cmd = CMD_CPER_DECODE;
		first = 3;
	} else if (!strcmp(cmd, "ctl")) {
		c->cmd = CMD_CTL;
	} else if (!strcmp(cmd, "snapshot") && (!strcmp(sub, "check") || !strcmp(sub, "restore"))) {
		c->cmd = !strcmp(sub, "check") ? CMD_SNAPSHOT_CHECK : CMD_SNAPSHOT_RESTORE;
		first = 3;
	} else if (!strcmp(cmd, "snapshot") && (!strcmp(sub, "-h") || !strcmp(sub, "--help"))) {
		c->help_for = CMD_SNAPSHOT_CHECK;
		return 0;
	} else if (!strcmp(cmd, "acpi") || !strcmp(cmd, "cper") || !strcmp(cmd, "snapshot")) {
		return fail(err, errlen, "'%s' needs a subcommand: %s", cmd,
			    !strcmp(cmd, "acpi") ? "dump DIR" : !strcmp(cmd, "cper") ? "encode or decode"
								: "check FILE or restore FILE");
	} else {
		return fail(err, errlen, "unknown command '%s'; try 'rasvm --help'", cmd);
	}

	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			c->help_for = c->cmd;
			c->cmd = CMD_HELP;
			return 0;
		}
		int r;
		switch (c->cmd) {
		case CMD_RUN:
			r = parse_run_option(argc, argv, &i, c, err, errlen);
			break;
		case CMD_DEMO:
			r = parse_machine_option(argc, argv, &i, c, err, errlen);
			if (r == 1 && (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))) {
				c->verbose = true;
				r = 0;
			} else if (r == 1 && !strncmp(argv[i], "--ras", 5) && argv[i][5] != '-') {
				r = parse_run_option(argc, argv, &i, c, err, errlen);
			} else if (r == 1) {
				r = fail(err, errlen, "demo: unknown option '%s'; see 'rasvm demo --help'", argv[i]);
			}
			break;
		case CMD_ACPI_DUMP:
			r = parse_machine_option(argc, argv, &i, c, err, errlen);
			if (r == 1 && !strcmp(argv[i], "--arch")) {
				const char *a = i + 1 < argc ? argv[++i] : "";
				if (!strcmp(a, "x86"))
					c->arch = ACPI_ARCH_X86, c->arch_given = true, r = 0;
				else if (!strcmp(a, "arm64"))
					c->arch = ACPI_ARCH_ARM64, c->arch_given = true, r = 0;
				else
					r = fail(err, errlen, "--arch '%s': use x86 or arm64", a);
			} else if (r == 1 && argv[i][0] != '-' && !c->path) {
				c->path = argv[i];
				r = 0;
			} else if (r == 1) {
				r = fail(err, errlen, "acpi dump: unexpected '%s'; see 'rasvm acpi dump --help'",
					 argv[i]);
			}
			break;
		case CMD_CPER_ENCODE:
			r = parse_cper_encode_option(argc, argv, &i, c, err, errlen);
			break;
		case CMD_CPER_DECODE:
			r = parse_cper_decode_option(argc, argv, &i, c, err, errlen);
			break;
		case CMD_SNAPSHOT_CHECK:
			r = !strcmp(argv[i], "--json") ? (c->json = true, 0)
			    : argv[i][0] != '-' && !c->path ? (c->path = argv[i], 0)
			    : fail(err, errlen, "snapshot check: unexpected '%s'; see 'rasvm snapshot --help'", argv[i]);
			break;
		case CMD_SNAPSHOT_RESTORE:
			if (argv[i][0] == '-' || c->path) {
				r = fail(err, errlen, "snapshot restore: the file comes first: rasvm snapshot restore FILE [run options]");
				break;
			}
			/* The run options after FILE are parsed with the snapshot's machine (state/cli.c). */
			c->path = argv[i];
			c->rest_argc = argc - i - 1;
			c->rest_argv = argv + i + 1;
			i = argc;
			r = 0;
			break;
		case CMD_CTL:
			r = 0;
			if (!strcmp(argv[i], "--watch")) {
				unsigned s;
				if (i + 1 >= argc || parse_uint(argv[i + 1], &s) || s == 0 || s > 86400)
					r = fail(err, errlen, "--watch needs a number of seconds, 1 to 86400");
				else
					c->ctl_watch = s, i++;
			} else if (!c->path) {
				c->path = argv[i];
			} else if (!c->ctl_command) {
				c->ctl_command = argv[i];
			} else if (!c->ctl_args) {
				c->ctl_args = argv[i];
			} else {
				r = fail(err, errlen, "ctl: unexpected '%s'; see 'rasvm ctl --help'", argv[i]);
			}
			break;
		default:
			r = !strcmp(argv[i], "--json") ? (c->json = true, 0)
				: fail(err, errlen, "check-host: unknown option '%s'; see 'rasvm check-host --help'",
				       argv[i]);
			break;
		}
		if (r)
			return r;
	}
	switch (c->cmd) {
	case CMD_DEMO:
		/* The demo is a run of the test guest's demo scenario with guest poisoning on. */
		c->cmd = CMD_RUN;
		c->guest_poison = true;
		strcpy(c->scenario, "demo");
		if (c->cpus == CONFIG_DEFAULT_CPUS)
			c->cpus = 2;
		return validate_run(c, err, errlen);
	case CMD_RUN:
		return validate_run(c, err, errlen);
	case CMD_ACPI_DUMP:
		if (!c->path)
			return fail(err, errlen, "acpi dump needs a directory: rasvm acpi dump DIR");
		return c->arch == ACPI_ARCH_ARM64 ? validate_arm64(c, err, errlen) : validate_machine(c, err, errlen);
	case CMD_CPER_ENCODE:
		if (!c->cper_count)
			return fail(err, errlen, "cper encode needs at least one --gpa ADDR");
		if (!c->path)
			return fail(err, errlen, "cper encode needs -o FILE");
		return 0;
	case CMD_CPER_DECODE:
		if (!c->path)
			return fail(err, errlen, "cper decode needs a file: rasvm cper decode FILE");
		return 0;
	case CMD_SNAPSHOT_CHECK:
	case CMD_SNAPSHOT_RESTORE:
		if (!c->path)
			return fail(err, errlen, "snapshot %s needs a file: rasvm snapshot %s FILE",
				    c->cmd == CMD_SNAPSHOT_CHECK ? "check" : "restore",
				    c->cmd == CMD_SNAPSHOT_CHECK ? "check" : "restore");
		return 0;
	case CMD_CTL:
		if (!c->path || (!c->ctl_command && !c->ctl_watch))
			return fail(err, errlen, "ctl needs a socket path and a command: rasvm ctl PATH COMMAND [JSON]");
		if (c->ctl_watch && c->ctl_command)
			return fail(err, errlen, "ctl: --watch takes no command");
		return 0;
	default:
		return 0;
	}
}

int config_check_machine(const struct config *c, enum acpi_arch arch, char *err, size_t errlen)
{
	/* config_parse checked x86's limits, which arm64's are within (fewer vCPUs, more RAM). */
	if (arch != ACPI_ARCH_ARM64)
		return 0;
	if (c->boot != LOADER_BOOT_DEFAULT)
		return fail(err, errlen, "--boot chooses an x86 boot protocol; an arm64 Image has one (booting.rst)");
	return validate_arm64(c, err, errlen);
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
