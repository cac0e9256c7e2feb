// SPDX-License-Identifier: MIT
/* Verifies command-line parsing: sizes, every run option, and a message for each bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static char err[256];

#define PARSE(c, ...)                                                                     \
	({                                                                                \
		char *argv_[] = { "rasvm", __VA_ARGS__ };                                 \
		err[0] = '\0';                                                            \
		config_parse((int)(sizeof(argv_) / sizeof(argv_[0])), argv_, (c), err,   \
			     sizeof(err));                                                \
	})

static void test_sizes(void **state)
{
	uint64_t b;
	(void)state;
	assert_int_equal(config_parse_size("512M", &b), 0);
	assert_int_equal(b, 512ULL << 20);
	assert_int_equal(config_parse_size("2G", &b), 0);
	assert_int_equal(b, 2ULL << 30);
	assert_int_equal(config_parse_size("65536K", &b), 0);
	assert_int_equal(b, 64ULL << 20);
	assert_int_equal(config_parse_size("64MiB", &b), 0);
	assert_int_equal(b, 64ULL << 20);
	assert_int_equal(config_parse_size("1gb", &b), 0);
	assert_int_equal(b, 1ULL << 30);
	assert_int_equal(config_parse_size("1GiBs", &b), -EINVAL); /* only B or iB after the unit */
	assert_int_equal(config_parse_size("256", &b), 0); /* bare number = MiB, as QEMU's -m */
	assert_int_equal(b, 256ULL << 20);
	assert_int_equal(config_parse_size("", &b), -EINVAL);
	assert_int_equal(config_parse_size("-1G", &b), -EINVAL);
	assert_int_equal(config_parse_size("12X", &b), -EINVAL);
	assert_int_equal(config_parse_size("1Gx", &b), -EINVAL);
	assert_int_equal(config_parse_size("abc", &b), -EINVAL);
	assert_int_equal(config_parse_size("99999999999999999999", &b), -EINVAL);
	assert_int_equal(config_parse_size("17179869184T", &b), -EINVAL); /* overflows 64 bits */
}

static void test_run_defaults(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(&c, "run"), 0);
	assert_int_equal(c.cmd, CMD_RUN);
	assert_null(c.kernel);
	assert_int_equal(c.memory, CONFIG_DEFAULT_MEMORY);
	assert_int_equal(c.cpus, 1);
	assert_int_equal(c.serial, SERIAL_STDIO);
	assert_string_equal(c.scenario, "boot");
	assert_false(c.verbose);
}

static void test_run_options(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(&c, "run", "--kernel", "k.elf", "--memory=1G", "--cpus", "4",
			       "--serial", "file:/tmp/x", "--scenario", "exit:3", "-v", "--stats", "s"),
			 0);
	assert_string_equal(c.kernel, "k.elf");
	assert_int_equal(c.memory, 1ULL << 30);
	assert_int_equal(c.cpus, 4);
	assert_int_equal(c.serial, SERIAL_FILE);
	assert_string_equal(c.serial_path, "/tmp/x");
	assert_string_equal(c.scenario, "exit:3");
	assert_true(c.verbose);
	assert_string_equal(c.stats_path, "s");
	assert_int_equal(PARSE(&c, "run", "--serial", "none"), 0);
	assert_int_equal(c.serial, SERIAL_NONE);
	assert_null(c.initrd);
	assert_null(c.cmdline);
	assert_int_equal(c.boot, LOADER_BOOT_DEFAULT);
}

/* A Linux kernel's options: the files are checked when they are loaded, not here. */
static void test_linux_options(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(&c, "run", "--kernel", "bzImage", "--initrd", "initrd.cpio",
			       "--cmdline", "console=ttyS0 -v", "--boot", "pvh"),
			 0);
	assert_string_equal(c.initrd, "initrd.cpio");
	assert_string_equal(c.cmdline, "console=ttyS0 -v");
	assert_int_equal(c.boot, LOADER_BOOT_PVH);
	assert_int_equal(PARSE(&c, "run", "--kernel", "vmlinux", "--boot=64", "--cmdline="), 0);
	assert_int_equal(c.boot, LOADER_BOOT_64);
	assert_string_equal(c.cmdline, "");
	assert_int_equal(PARSE(&c, "run", "--kernel", "vmlinux", "--boot", "16"), -EINVAL);
	assert_non_null(strstr(err, "--boot '16': use 64 or pvh"));
	assert_int_equal(PARSE(&c, "run", "--kernel", "vmlinux", "--initrd"), -EINVAL);
	assert_non_null(strstr(err, "--initrd needs a file name"));
	assert_int_equal(PARSE(&c, "run", "--kernel", "vmlinux", "--cmdline"), -EINVAL);
	assert_non_null(strstr(err, "--cmdline needs a string"));
	/* Without --kernel, the embedded test guest takes none of them. */
	assert_int_equal(PARSE(&c, "run", "--initrd", "i"), -EINVAL);
	assert_non_null(strstr(err, "--initrd is for a Linux kernel"));
	assert_int_equal(PARSE(&c, "run", "--cmdline", "quiet"), -EINVAL);
	assert_non_null(strstr(err, "--cmdline is for a Linux kernel"));
	assert_int_equal(PARSE(&c, "run", "--boot", "pvh"), -EINVAL);
	assert_non_null(strstr(err, "--boot is for a Linux kernel"));
	assert_int_equal(PARSE(&c, "demo", "--cmdline", "quiet"), -EINVAL);
}

/* Each bad input fails with a message that names the option. */
static void test_run_errors(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(&c, "run", "--bogus"), -EINVAL);
	assert_non_null(strstr(err, "--bogus"));
	assert_int_equal(PARSE(&c, "run", "--cpus", "0"), -EINVAL);
	assert_non_null(strstr(err, "--cpus 0"));
	assert_int_equal(PARSE(&c, "run", "--cpus", "255"), -EINVAL);
	assert_non_null(strstr(err, "254"));
	assert_int_equal(PARSE(&c, "run", "--cpus", "four"), -EINVAL);
	assert_non_null(strstr(err, "four"));
	assert_int_equal(PARSE(&c, "run", "--cpus"), -EINVAL);
	assert_non_null(strstr(err, "--cpus needs"));
	assert_int_equal(PARSE(&c, "run", "--memory", "lots"), -EINVAL);
	assert_non_null(strstr(err, "lots"));
	assert_int_equal(PARSE(&c, "run", "--memory", "4M"), -EINVAL);
	assert_non_null(strstr(err, "too small"));
	assert_int_equal(PARSE(&c, "run", "--memory", "16386K"), -EINVAL);
	assert_non_null(strstr(err, "multiple of 4 KiB"));
	assert_int_equal(PARSE(&c, "run", "--serial", "tty"), -EINVAL);
	assert_non_null(strstr(err, "tty"));
	assert_int_equal(PARSE(&c, "run", "--serial", "file:"), -EINVAL);
	assert_int_equal(PARSE(&c, "run", "--kernel"), -EINVAL);
	assert_int_equal(PARSE(&c, "run", "--scenario",
			       "0123456789012345678901234567890123456789012345678901234567890123456789"),
			 -EINVAL);
	assert_non_null(strstr(err, "longer than 63"));
	assert_int_equal(PARSE(&c, "frobnicate"), -EINVAL);
	assert_non_null(strstr(err, "frobnicate"));
	assert_int_equal(PARSE(&c, "check-host", "--xml"), -EINVAL);
	char *argv0[] = { "rasvm" };
	assert_int_equal(config_parse(1, argv0, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no command"));
}

static void test_help_and_version(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(&c, "--help"), 0);
	assert_int_equal(c.cmd, CMD_HELP);
	assert_int_equal(c.help_for, CMD_HELP);
	assert_int_equal(PARSE(&c, "run", "--cpus", "2", "--help"), 0);
	assert_int_equal(c.cmd, CMD_HELP);
	assert_int_equal(c.help_for, CMD_RUN);
	assert_non_null(strstr(config_usage(CMD_RUN), "--memory"));
	assert_non_null(strstr(config_usage(CMD_CHECK_HOST), "--json"));
	assert_non_null(strstr(config_usage(CMD_HELP), "check-host"));
	assert_int_equal(PARSE(&c, "-V"), 0);
	assert_int_equal(c.cmd, CMD_VERSION);
	assert_int_equal(PARSE(&c, "check-host", "--json"), 0);
	assert_int_equal(c.cmd, CMD_CHECK_HOST);
	assert_true(c.json);
}

static void test_host_limits(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(&c, "run", "--memory", "8G", "--cpus", "8"), 0);
	assert_int_equal(config_check_host(&c, 16ULL << 30, 1024, err, sizeof(err)), 0);
	assert_int_equal(config_check_host(&c, 4ULL << 30, 1024, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "host's 4096 MiB"));
	assert_int_equal(config_check_host(&c, 16ULL << 30, 4, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "KVM allows here (4)"));
}

static void test_firmware_commands(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(&c, "acpi", "dump", "out", "--cpus", "3", "--ras-sources", "sync,polled",
			       "--ras-block-size", "8K", "--ras-poll-ms", "50"), 0);
	assert_int_equal(c.cmd, CMD_ACPI_DUMP);
	assert_string_equal(c.path, "out");
	assert_int_equal(c.cpus, 3);
	assert_int_equal(c.ras.mask, (1u << RAS_SOURCE_SYNC) | (1u << RAS_SOURCE_POLLED));
	assert_int_equal(c.ras.block_length, 8192);
	assert_int_equal(c.ras.poll_ms, 50);
	assert_int_equal(PARSE(&c, "run"), 0);
	assert_int_equal(c.ras.mask, RAS_SOURCES_DEFAULT);
	assert_int_equal(c.ras.block_length, 4096);
	assert_int_equal(PARSE(&c, "run", "--ras-block-size", "2048"), 0); /* bare number: bytes */
	assert_int_equal(c.ras.block_length, 2048);
	assert_int_equal(PARSE(&c, "run", "--ras-block-size", "128K"), -EINVAL);
	assert_non_null(strstr(err, "1K to 64K"));
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "b"), -EINVAL);
	assert_non_null(strstr(err, "unexpected 'b'"));
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "--kernel", "k"), -EINVAL);
	/* --arch arm64: its own limits (123 redistributors, 64 MiB, 64 KiB multiples). */
	assert_int_equal(PARSE(&c, "acpi", "dump", "a"), 0);
	assert_int_equal(c.arch, ACPI_ARCH_X86);
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "--arch", "arm64", "--cpus", "123"), 0);
	assert_int_equal(c.arch, ACPI_ARCH_ARM64);
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "--arch", "arm64", "--cpus", "124"), -EINVAL);
	assert_non_null(strstr(err, "1 to 123 vCPUs"));
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "--arch", "arm64", "--memory", "32M"), -EINVAL);
	assert_non_null(strstr(err, "at least 64 MiB"));
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "--arch", "arm64", "--memory", "65540K"), -EINVAL);
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "--arch", "riscv"), -EINVAL);
	assert_non_null(strstr(err, "use x86 or arm64"));
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "--arch"), -EINVAL);
	assert_int_equal(PARSE(&c, "acpi", "dump", "a", "--arch", "x86", "--cpus", "200"), 0);
	assert_int_equal(PARSE(&c, "run", "--arch", "arm64"), -EINVAL); /* no arm64 run yet */

	assert_int_equal(PARSE(&c, "cper", "encode", "--gpa", "0x1000", "--gpa=4096", "--severity",
			       "fatal", "--type", "scrub-uncorrected", "--lsb", "21", "-o", "f"), 0);
	assert_int_equal(c.cmd, CMD_CPER_ENCODE);
	assert_int_equal(c.cper_count, 2);
	assert_int_equal(c.cper_gpa[0], 0x1000);
	assert_int_equal(c.cper_gpa[1], 4096);
	assert_int_equal(c.cper_severity, 1);
	assert_int_equal(c.cper_type, 14);
	assert_int_equal(c.cper_lsb, 21);
	assert_int_equal(PARSE(&c, "cper", "encode", "--gpa", "1", "--type", "7", "-o", "f"), 0);
	assert_int_equal(c.cper_type, 7);
	assert_int_equal(c.cper_severity, 0);
	assert_int_equal(PARSE(&c, "cper", "encode", "--gpa", "0x", "-o", "f"), -EINVAL);
	/* Decimal unless 0x: "010" is ten, not octal eight; "09" is nine, not an error. */
	assert_int_equal(PARSE(&c, "cper", "encode", "--gpa", "010", "--gpa", "09", "--gpa", "0X1f", "-o", "f"), 0);
	assert_int_equal(c.cper_gpa[0], 10);
	assert_int_equal(c.cper_gpa[1], 9);
	assert_int_equal(c.cper_gpa[2], 31);
	assert_int_equal(PARSE(&c, "cper", "encode", "--gpa", "0x-1", "-o", "f"), -EINVAL);
	assert_int_equal(PARSE(&c, "cper", "encode", "--gpa", "0x 1", "-o", "f"), -EINVAL);
	assert_int_equal(PARSE(&c, "run", "--poison", "010,ao"), 0);
	assert_int_equal(c.poison[0].gpa, 10);
	assert_int_equal(PARSE(&c, "cper", "encode", "--gpa", "1", "--lsb", "5", "-o", "f"), -EINVAL);
	assert_int_equal(PARSE(&c, "cper", "decode", "f", "--block-length", "4K", "--source", "2"), 0);
	assert_int_equal(c.cmd, CMD_CPER_DECODE);
	assert_int_equal(c.block_length, 4096);
	assert_int_equal(c.source_id, 2);
	assert_int_equal(PARSE(&c, "cper", "decode", "--source", "70000", "f"), -EINVAL);
	assert_int_equal(PARSE(&c, "cper", "decode"), -EINVAL);
	assert_int_equal(PARSE(&c, "cper", "frob"), -EINVAL);
	assert_non_null(strstr(err, "encode or decode"));
	assert_int_equal(PARSE(&c, "cper", "decode", "--help"), 0);
	assert_int_equal(c.help_for, CMD_CPER_DECODE);
}

static void test_ctl_and_qmp(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(&c, "ctl", "/tmp/s", "query-ras"), 0);
	assert_int_equal(c.cmd, CMD_CTL);
	assert_string_equal(c.path, "/tmp/s");
	assert_string_equal(c.ctl_command, "query-ras");
	assert_null(c.ctl_args);
	assert_int_equal(PARSE(&c, "ctl", "/tmp/s", "x-inject-mce", "{\"cpu\": 0}"), 0);
	assert_string_equal(c.ctl_args, "{\"cpu\": 0}");
	assert_int_equal(PARSE(&c, "ctl", "/tmp/s", "--watch", "5"), 0);
	assert_int_equal(c.ctl_watch, 5);
	assert_int_equal(PARSE(&c, "ctl", "/tmp/s"), -EINVAL);
	assert_int_equal(PARSE(&c, "ctl", "/tmp/s", "--watch", "0"), -EINVAL);
	assert_int_equal(PARSE(&c, "ctl", "/tmp/s", "a", "{}", "extra"), -EINVAL);
	assert_int_equal(PARSE(&c, "run", "--qmp", "/tmp/q"), 0);
	assert_int_equal(c.qmp_count, 1);
	assert_string_equal(c.qmp[0].path, "/tmp/q");
	assert_true(c.qmp[0].server);
	assert_false(c.qmp[0].wait); /* rasvm's own spelling: listen, never wait */
	assert_int_equal(PARSE(&c, "run", "--qmp"), -EINVAL);
	assert_int_equal(PARSE(&c, "run", "--poison", "0x1000,ao,lsb=21"), 0);
	assert_int_equal(c.poison_count, 1);
	assert_true(c.poison[0].action_optional);
	assert_int_equal(c.poison[0].lsb, 21);
	assert_int_equal(PARSE(&c, "run", "--ras", "mce", "--ras-queue", "16"), 0);
	assert_int_equal(c.ras_policy, RAS_POLICY_MCE);
	assert_int_equal(c.ras_queue, 16);
	assert_int_equal(PARSE(&c, "demo", "--cpus", "3"), 0);
	assert_int_equal(c.cmd, CMD_RUN);
	assert_string_equal(c.scenario, "demo");
	assert_true(c.guest_poison);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_run_defaults),
		cmocka_unit_test(test_run_options),
		cmocka_unit_test(test_run_errors),
		cmocka_unit_test(test_linux_options),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_host_limits),
		cmocka_unit_test(test_firmware_commands),
		cmocka_unit_test(test_ctl_and_qmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
