// SPDX-License-Identifier: MIT
/*
 * Verifies the QEMU-compatibility pieces that need no VM: --qmp in QEMU's spellings (and what
 * is refused), the HMP parser against QEMU 7.2's own answers (expressions, flags, 32-bit
 * arguments, extraneous text, unknown commands), "info registers" formatting, and the
 * Prometheus text and its atomic file replacement.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "ctl/hmp.h"
#include "ctl/metrics.h"
#include "kvm/x86/regs.h"

static void test_qmp_specs(void **state)
{
	struct qmp_listen l;
	char err[256];
	(void)state;

	assert_int_equal(config_parse_qmp("/tmp/a.sock", &l, err, sizeof(err)), 0);
	assert_true(l.transport == QMP_UNIX && l.server && !l.wait);
	assert_int_equal(config_parse_qmp("unix:/tmp/a.sock,server=on,wait=off", &l, err, sizeof(err)), 0);
	assert_true(l.server && !l.wait);
	assert_string_equal(l.path, "/tmp/a.sock");
	assert_int_equal(config_parse_qmp("unix:/tmp/a.sock,server=on", &l, err, sizeof(err)), 0);
	assert_true(l.server && l.wait); /* QEMU's default for a server */
	assert_int_equal(config_parse_qmp("unix:/tmp/a.sock", &l, err, sizeof(err)), 0);
	assert_false(l.server); /* QEMU's default: connect out */
	assert_int_equal(config_parse_qmp("tcp::4445,server,nowait", &l, err, sizeof(err)), 0);
	assert_true(l.transport == QMP_TCP && l.port == 4445 && l.server && !l.wait);
	assert_string_equal(l.host, ""); /* loopback */
	assert_int_equal(config_parse_qmp("tcp:localhost:4445,server=on,wait=off", &l, err, sizeof(err)), 0);
	assert_string_equal(l.host, "");
	assert_int_equal(config_parse_qmp("tcp:[::1]:1,server=on", &l, err, sizeof(err)), 0);
	assert_string_equal(l.host, "::1");
	assert_int_equal(config_parse_qmp("tcp:0.0.0.0:65535,server=on", &l, err, sizeof(err)), 0);
	assert_string_equal(l.host, "0.0.0.0");
	static const char *const bad[] = {
		"", "tcp:host.example:1,server=on", "tcp::65536,server=on", "tcp::,server=on",
		"tcp::01,server=on", "tcp::1,server=maybe", "tcp::1,reconnect=2", "unix:/x,wait=on",
		"tcp::0", "unix:", "stdio", "mon:stdio", "telnet::4444,server", "udp::1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_parse_qmp(bad[i], &l, err, sizeof(err)), -EINVAL);
	char longpath[300];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(config_parse_qmp(longpath, &l, err, sizeof(err)), -EINVAL);
}

static void test_run_options(void **state)
{
	struct config c;
	char err[256];
	(void)state;
	char *ok[] = { "rasvm", "run", "--qmp", "/tmp/a", "-qmp", "tcp::1,server=on,wait=off", "--name",
		       "vm-1.a:b@c+d", "--metrics", "/tmp/m.prom,interval=7", NULL };
	assert_int_equal(config_parse(10, ok, &c, err, sizeof(err)), 0);
	assert_int_equal(c.qmp_count, 2);
	assert_string_equal(c.name, "vm-1.a:b@c+d");
	assert_string_equal(c.metrics_path, "/tmp/m.prom");
	assert_int_equal(c.metrics_interval, 7);
	char *noint[] = { "rasvm", "run", "--metrics", "/tmp/m.prom", NULL };
	assert_int_equal(config_parse(4, noint, &c, err, sizeof(err)), 0);
	assert_int_equal(c.metrics_interval, CONFIG_METRICS_INTERVAL_DEFAULT);
	char *badname[] = { "rasvm", "run", "--name", "a\"b", NULL };
	assert_int_equal(config_parse(4, badname, &c, err, sizeof(err)), -EINVAL);
	char *nine[] = { "rasvm", "run", "--qmp", "a", "--qmp", "b", "--qmp", "c", "--qmp", "d", "--qmp", "e",
			 "--qmp", "f", "--qmp", "g", "--qmp", "h", "--qmp", "i", NULL };
	assert_int_equal(config_parse(20, nine, &c, err, sizeof(err)), -EINVAL);
	char *interval[] = { "rasvm", "run", "--metrics", "/tmp/m,interval=3601", NULL };
	assert_int_equal(config_parse(4, interval, &c, err, sizeof(err)), -EINVAL);
}

/* QEMU 7.2's monitor gave these answers to the same lines. */
static void test_hmp_parse(void **state)
{
	struct hmp_parsed p;
	char out[512];
	static const struct { const char *line, *says; } errors[] = {
		{ "mce", "unexpected end of expression\nTry \"help mce\" for more information\n" },
		{ "mce 0 1 2", "unexpected end of expression\nTry \"help mce\" for more information\n" },
		{ "mce 0 1 abc 0 0 0", "invalid char 'a' in expression\nTry \"help mce\" for more information\n" },
		{ "mce 0x100000000 1 0x8000000000000000 0 0 0",
		  "'mce' has failed: integer is for 32-bit values\nTry \"help mce\" for more information\n" },
		{ "mce 0 1 0x8000000000000000 0 0 0 extra",
		  "mce: extraneous characters at the end of line\nTry \"help mce\" for more information\n" },
		{ "nmi 3", "nmi: extraneous characters at the end of line\nTry \"help nmi\" for more information\n" },
		{ "foo", "unknown command: 'foo'\n" },
		{ "info foo", "unknown command: 'info foo'\n" },
		{ "mce -x 0 1 2 3 4 5", "mce: unsupported option -x\n" },
		{ "mce 0 1 (1 0 0 0", "')' expected\nTry \"help mce\" for more information\n" },
		{ "mce 0 1 1/0 0 0 0", "division by zero\nTry \"help mce\" for more information\n" },
		{ "mce 0 1 99999999999999999999 0 0 0", "number too large\nTry \"help mce\" for more information\n" },
		{ "mce 0 1 $rax 0 0 0", "unknown register\nTry \"help mce\" for more information\n" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		assert_int_equal(hmp_parse(errors[i].line, &p, out, sizeof(out)), 1);
		assert_string_equal(out, errors[i].says);
	}
	assert_int_equal(hmp_parse("   ", &p, out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(hmp_parse("mce -b 1 9 0x8000000000000000+1 (2*3)|8 ~0 'a'", &p, out, sizeof(out)), 0);
	assert_true(p.flag);
	assert_int_equal(p.nums, 6);
	assert_int_equal(p.num[0], 1);
	assert_int_equal(p.num[1], 9);
	assert_true(p.num[2] == 0x8000000000000001ULL);
	assert_int_equal(p.num[3], 14);
	assert_true(p.num[4] == UINT64_MAX);
	assert_int_equal(p.num[5], 'a');
	assert_int_equal(hmp_parse("mce 0 1 010 0 -1 0 0", &p, out, sizeof(out)), 0);
	assert_int_equal(p.num[2], 8);            /* strtoull base 0: octal, as QEMU */
	assert_true(p.num[3] == (uint64_t)-1);   /* "0 -1" is one expression, as in QEMU */
	assert_int_equal(p.nums, 6);
	assert_int_equal(hmp_parse("info registers -a", &p, out, sizeof(out)), 0);
	assert_true(p.flag);
	assert_int_equal(hmp_parse("info registers 1", &p, out, sizeof(out)), 0);
	assert_int_equal(p.nums, 1);
	assert_int_equal(hmp_parse("c", &p, out, sizeof(out)), 0);
	assert_int_equal(hmp_parse("? info status", &p, out, sizeof(out)), 0);
	assert_string_equal(p.word, "info status");
	char deep[400];
	memset(deep, '(', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	memcpy(deep, "cpu ", 4);
	assert_int_equal(hmp_parse(deep, &p, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "expression nested too deeply"));
	char *huge = malloc(HMP_LINE_MAX + 2);
	memset(huge, ' ', HMP_LINE_MAX + 1);
	huge[HMP_LINE_MAX + 1] = '\0';
	assert_int_equal(hmp_parse(huge, &p, out, sizeof(out)), 1);
	free(huge);
}

static void test_regs_text(void **state)
{
	struct x86_regs r = { 0 };
	char out[4096];
	(void)state;
	r.regs.rip = 0x103402;
	r.regs.rflags = 0x246;
	r.sregs.efer = 0x500;
	r.sregs.cr0 = 0x80010033;
	r.sregs.cs = (struct kvm_segment){ .selector = 8, .limit = 0xffffffff, .type = 11, .present = 1,
					   .s = 1, .l = 1, .g = 1 };
	r.mp.mp_state = KVM_MP_STATE_HALTED;
	x86_format_regs(&r, 0, out, sizeof(out));
	assert_non_null(strstr(out, "RIP=0000000000103402 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\n"));
	assert_non_null(strstr(out, "CS =0008 0000000000000000 ffffffff 00a09b00 DPL=0 CS64 [-RA]\n"));
	assert_non_null(strstr(out, "EFER=0000000000000500\n"));
	assert_non_null(strstr(out, "XMM14="));
	r.sregs.efer = 0;
	r.sregs.cs.l = 0;
	x86_format_regs(&r, 0, out, sizeof(out));
	assert_non_null(strstr(out, "EIP=00103402 EFL=00000246"));
	assert_null(strstr(out, "XMM08="));
}

static void test_metrics(void **state)
{
	struct metrics_snapshot s = { .vm = "vm-1", .version = "v", .status = "paused", .has_ras = true,
				      .start_time = 1, .now = 2 };
	char dir[] = "/tmp/rasvm-test-metrics-XXXXXX", path[80];
	struct stat st;
	(void)state;
	s.n.received_ar = 3;
	s.n.dropped[RAS_DROP_MCE_BUSY] = 2;
	s.src[1].enabled = true;
	s.n.delivered_ghes[1] = 5;
	char *t = metrics_format(&s);
	assert_non_null(t);
	assert_non_null(strstr(t, "rasvm_host_memory_errors_total{vm=\"vm-1\",action=\"required\"} 3\n"));
	assert_non_null(strstr(t, "rasvm_ras_dropped_total{vm=\"vm-1\",reason=\"mce-busy\"} 2\n"));
	assert_non_null(strstr(t, "rasvm_ras_delivered_total{vm=\"vm-1\",path=\"ghes\",source=\"async\"} 5\n"));
	assert_non_null(strstr(t, "rasvm_guest_running{vm=\"vm-1\"} 0\n"));
	assert_non_null(strstr(t, "rasvm_guest_status{vm=\"vm-1\",status=\"paused\"} 1\n"));
	assert_non_null(strstr(t, "# TYPE rasvm_ras_lost_total counter\n"));
	assert_null(strstr(t, "source=\"sync\""));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.prom", dir);
	assert_int_equal(metrics_write_file(path, t), 0);
	assert_int_equal(metrics_write_file(path, "x 1\n"), 0); /* replaced */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(st.st_size, 4);
	snprintf(path, sizeof(path), "%s/missing/vm.prom", dir);
	assert_int_equal(metrics_write_file(path, t), -ENOENT);
	snprintf(path, sizeof(path), "%s/vm.prom", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* nothing left behind */
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qmp_specs),   cmocka_unit_test(test_run_options),
		cmocka_unit_test(test_hmp_parse),   cmocka_unit_test(test_regs_text),
		cmocka_unit_test(test_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
