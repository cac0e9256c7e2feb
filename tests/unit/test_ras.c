// SPDX-License-Identifier: MIT
/*
 * Verifies the pure parts of guest RAS: the routing policy as a table, the machine-check
 * encodings (the values RAS-FACTS.md gives for Intel and AMD), and the poison table
 * (growth, lookup by any address in the page, states, clearing).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "acpi/hest.h"
#include "ras/mce.h"
#include "ras/poison.h"
#include "ras/policy.h"

#define ALL RAS_SOURCES_DEFAULT
#define SYNC (1u << RAS_SOURCE_SYNC)
#define ASYNC (1u << RAS_SOURCE_ASYNC)
#define POLLED (1u << RAS_SOURCE_POLLED)

static void test_policy_table(void **state)
{
	static const struct {
		enum ras_policy p;
		int ar, amd;
		uint32_t sources;
		enum ras_route want;
	} t[] = {
		/* default: AR by machine check, AO by GHES, async first */
		{ RAS_POLICY_BOTH, 1, 0, ALL, ROUTE_MCE },
		{ RAS_POLICY_BOTH, 0, 0, ALL, ROUTE_GHES_ASYNC },
		{ RAS_POLICY_BOTH, 0, 0, SYNC | POLLED, ROUTE_GHES_POLLED },
		{ RAS_POLICY_BOTH, 0, 0, SYNC, ROUTE_GHES_SYNC },
		{ RAS_POLICY_BOTH, 0, 0, 0, ROUTE_MCE },   /* no GHES: Intel AO machine check */
		{ RAS_POLICY_BOTH, 0, 1, 0, ROUTE_DROP },  /* AMD has no AO machine check */
		{ RAS_POLICY_BOTH, 1, 1, 0, ROUTE_MCE },
		{ RAS_POLICY_MCE, 0, 0, ALL, ROUTE_MCE },
		{ RAS_POLICY_MCE, 0, 1, ALL, ROUTE_DROP },
		{ RAS_POLICY_MCE, 1, 1, ALL, ROUTE_MCE },
		{ RAS_POLICY_GHES, 1, 0, ALL, ROUTE_GHES_SYNC },
		{ RAS_POLICY_GHES, 1, 0, ASYNC | POLLED, ROUTE_GHES_ASYNC },
		{ RAS_POLICY_GHES, 1, 0, POLLED, ROUTE_FATAL }, /* polling is too late for AR */
		{ RAS_POLICY_GHES, 0, 0, SYNC, ROUTE_GHES_SYNC },
		{ RAS_POLICY_OFF, 1, 0, ALL, ROUTE_FATAL },
		{ RAS_POLICY_OFF, 0, 0, ALL, ROUTE_DROP },
		/* arm64 (2): AR by the SEA source by default, AO never to it */
		{ RAS_POLICY_BOTH, 1, 2, ALL, ROUTE_GHES_SYNC },
		{ RAS_POLICY_BOTH, 1, 2, ASYNC | POLLED, ROUTE_GHES_ASYNC },
		{ RAS_POLICY_BOTH, 1, 2, POLLED, ROUTE_MCE },   /* a bare SEA */
		{ RAS_POLICY_BOTH, 0, 2, ALL, ROUTE_GHES_ASYNC },
		{ RAS_POLICY_BOTH, 0, 2, SYNC | POLLED, ROUTE_GHES_POLLED },
		{ RAS_POLICY_BOTH, 0, 2, SYNC, ROUTE_MCE },     /* an SError, not an SEA record */
		{ RAS_POLICY_GHES, 0, 2, SYNC, ROUTE_DROP },
		{ RAS_POLICY_GHES, 1, 2, ALL, ROUTE_GHES_SYNC },
		{ RAS_POLICY_MCE, 0, 2, ALL, ROUTE_MCE },
		{ RAS_POLICY_OFF, 1, 2, ALL, ROUTE_FATAL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ras_route r = ras_route(t[i].p, t[i].ar, t[i].sources, (unsigned)t[i].amd);
		if (r != t[i].want)
			fail_msg("row %zu: %s %s guest=%d sources=%x -> %s, want %s", i,
				 ras_policy_name(t[i].p), t[i].ar ? "AR" : "AO", t[i].amd, t[i].sources,
				 ras_route_name(r), ras_route_name(t[i].want));
	}
	enum ras_policy p;
	assert_int_equal(ras_policy_parse("ghes", &p), 0);
	assert_int_equal(p, RAS_POLICY_GHES);
	assert_int_equal(ras_policy_parse("GHES", &p), -EINVAL);
}

static void test_mce_encodings(void **state)
{
	struct mce_record r;
	(void)state;
	mce_encode(true, false, 0x400a1234, 12, &r);
	assert_int_equal(r.status, 0xBD80000000000134ULL);
	assert_int_equal(r.mcg_status, MCG_STATUS_MCIP | MCG_STATUS_EIPV | MCG_STATUS_RIPV);
	assert_int_equal(r.addr, 0x400a1000);
	assert_int_equal(r.misc, 0x8c); /* physical address mode, LSB 12 */
	assert_int_equal(r.bank, 9);
	mce_encode(false, false, 0x5000, 12, &r);
	assert_int_equal(r.status, 0xBD000000000000C0ULL);
	assert_int_equal(r.mcg_status, MCG_STATUS_MCIP | MCG_STATUS_RIPV);
	mce_encode(true, true, 0x5000, 12, &r); /* AMD: VAL|UC|EN|MISCV|ADDRV|POISON */
	assert_int_equal(r.status, MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN | MCI_STATUS_MISCV |
					   MCI_STATUS_ADDRV | MCI_STATUS_POISON);
	assert_int_equal(r.mcg_status, MCG_STATUS_MCIP | MCG_STATUS_EIPV | MCG_STATUS_RIPV);
	/* AMD action optional: a deferred error (APM Vol. 2 9.3.1.1): UC clear, the program goes
	 * on (RIPV), no MCIP (KVM only logs it in the bank). */
	mce_encode(false, true, 0x5000, 12, &r);
	assert_int_equal(r.status, MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_MISCV | MCI_STATUS_ADDRV |
					   MCI_STATUS_DEFERRED | MCI_STATUS_POISON);
	assert_int_equal(r.mcg_status, MCG_STATUS_RIPV);
	mce_encode(true, false, 0x12345678, 21, &r);
	assert_int_equal(r.addr, 0x12200000);
	assert_int_equal(r.misc, 0x80 | 21);
	mce_encode_broadcast(&r);
	assert_int_equal(r.bank, 1);
	assert_int_equal(r.status, MCI_STATUS_VAL | MCI_STATUS_UC);
	assert_int_equal(r.mcg_status, MCG_STATUS_MCIP | MCG_STATUS_RIPV);
}

/* Which guests get AMD encodings and which broadcast: CPUID vendor, family, model. */
static void test_guest_cpu(void **state)
{
	static const struct {
		uint32_t vendor, eax;
		bool amd, broadcast;
	} t[] = {
		{ 0x756e6547, 0x00050654, false, true },  /* Intel family 6 model 0x55 (Skylake-SP) */
		{ 0x756e6547, 0x000006e8, false, true },  /* Intel family 6 model 14: the first */
		{ 0x756e6547, 0x000006d8, false, false }, /* Intel family 6 model 13: before it */
		{ 0x756e6547, 0x00000f41, false, true },  /* Intel family 15 (NetBurst): later family */
		{ 0x68747541, 0x00a20f10, true, false },  /* AMD family 0x19 */
		{ 0x6f677948, 0x00900f01, true, false },  /* Hygon family 0x18: AMD's encodings */
		{ 0, 0x00050654, false, false },          /* an unknown vendor: neither */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool amd, bc;
		mce_guest_cpu(t[i].vendor, t[i].eax, &amd, &bc);
		if (amd != t[i].amd || bc != t[i].broadcast)
			fail_msg("row %zu: amd %d broadcast %d, want %d %d", i, amd, bc, t[i].amd, t[i].broadcast);
	}
}

/* SDM 16.3.1.5: local only with all three of LMCE_P, FEATURE_CONTROL locked with LMCE_ON,
 * and MCG_EXT_CTL.LMCE_EN; any one missing means the broadcast. */
static void test_lmce_rule(void **state)
{
	const uint64_t cap = 10 | MCG_SER_P | MCG_LMCE_P;
	const uint64_t fc = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_LMCE_ON;
	(void)state;
	assert_true(mce_lmce_enabled(cap, fc, MCG_EXT_CTL_LMCE_EN));
	assert_true(mce_lmce_enabled(cap, fc | (1ULL << 2), MCG_EXT_CTL_LMCE_EN)); /* + VMX bits */
	assert_false(mce_lmce_enabled(cap & ~MCG_LMCE_P, fc, MCG_EXT_CTL_LMCE_EN));
	assert_false(mce_lmce_enabled(cap, FEATURE_CONTROL_LMCE_ON, MCG_EXT_CTL_LMCE_EN)); /* unlocked */
	assert_false(mce_lmce_enabled(cap, FEATURE_CONTROL_LOCKED, MCG_EXT_CTL_LMCE_EN));
	assert_false(mce_lmce_enabled(cap, fc, 0));
	assert_false(mce_lmce_enabled(cap, fc, 2)); /* a reserved bit is not LMCE_EN */
}

static void test_poison_table(void **state)
{
	struct poison_table t;
	bool created;
	(void)state;
	poison_init(&t);
	assert_null(poison_find(&t, 0x1000));
	struct poison_entry *e = poison_get(&t, 0x1234, &created);
	assert_non_null(e);
	assert_true(created);
	assert_int_equal(e->gpa, 0x1000);
	assert_int_equal(e->state, POISON_NEW);
	e->state = POISON_REPORTED;
	assert_ptr_equal(poison_get(&t, 0x1fff, &created), e); /* any address in the page */
	assert_false(created);
	for (uint64_t i = 0; i < 5000; i++) /* well past the first capacity: growth */
		assert_non_null(poison_get(&t, 0x100000 + i * 4096, &created));
	assert_int_equal(t.count, 5001);
	assert_int_equal(poison_find(&t, 0x1000)->state, POISON_REPORTED);
	assert_non_null(poison_find(&t, 0x100000 + 4999 * 4096 + 7));
	assert_null(poison_find(&t, 0x100000 + 5000 * 4096));
	assert_string_equal(poison_state_name(POISON_ACKNOWLEDGED), "acknowledged");
	poison_clear(&t);
	assert_int_equal(t.count, 0);
	assert_null(poison_find(&t, 0x1000));
	poison_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_mce_encodings),
		cmocka_unit_test(test_lmce_rule),
		cmocka_unit_test(test_guest_cpu),
		cmocka_unit_test(test_poison_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
