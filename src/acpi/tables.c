// SPDX-License-Identifier: MIT
#include "acpi/tables.h"

#include <errno.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/spec.h"
#include "acpi/tables_arch.h"

static void note_table(struct acpi_tables *t, const struct acpi_buf *b, size_t off)
{
	if (b->overflow || t->count == ACPI_MAX_TABLES)
		return; /* acpi_build fails with -ENOSPC */
	struct acpi_table_ref *r = &t->table[t->count++];

	memcpy(r->sig, b->data + off, 4);
	r->sig[4] = '\0';
	r->off = off;
	r->len = b->len - off;
}

static size_t build_dsdt(const struct acpi_platform *p, struct acpi_buf *b)
{
	size_t start = acpi_table_begin(b, "DSDT", DSDT_REVISION);
	size_t sb = aml_scope_begin(b, "\\_SB");

	if (p->arch == ACPI_ARCH_ARM64) {
		acpi_arm64_dsdt_devices(p, b);
	} else {
		size_t com1 = aml_device_begin(b, "COM1");
		aml_name_eisaid(b, "_HID", "PNP0501"); /* 16550A-compatible UART */
		aml_name_int(b, "_UID", 0);
		size_t crs = aml_crs_begin(b);
		aml_res_io(b, p->com1_port, 8);
		aml_res_irq(b, p->com1_irq);
		aml_crs_end(b, crs);
		aml_end(b, com1);
	}
	if (p->ras.mask) {
		/* 18.3.2.7.2: GHES sources notified by SCI/GPIO/GSIV signal through one Hardware
		 * Error Device; Linux's GHES driver listens for its Notify 0x80. */
		size_t hed = aml_device_begin(b, "HED");
		aml_name_eisaid(b, "_HID", "PNP0C33");
		aml_name_int(b, "_UID", 0);
		aml_end(b, hed);
	}
	if (p->ras.mask & (1u << RAS_SOURCE_ASYNC)) {
		/* 5.6.9 Generic Event Device: its interrupt runs _EVT, which notifies the HED. */
		size_t ged = aml_device_begin(b, "GED0");
		aml_name_string(b, "_HID", "ACPI0013");
		aml_name_int(b, "_UID", 0);
		size_t crs = aml_crs_begin(b);
		aml_res_ext_irq(b, p->ged_gsi, true, false);
		aml_crs_end(b, crs);
		size_t evt = aml_method_begin(b, "_EVT", 1);
		aml_notify(b, "\\_SB.HED", 0x80); /* 5.6.6: 0x80 = hardware error */
		aml_end(b, evt);
		aml_end(b, ged);
	}
	if (p->ras.mask)
		aml_osc_apei(b); /* "APEI firmware first mode is enabled" */
	aml_end(b, sb);
	if (p->arch == ACPI_ARCH_X86 && p->sleep_control_port) {
		/* 7.4.2 \_S5: the SLP_TYP that powers off through the FADT's sleep control
		 * register (two values, SLP_TYPa and SLP_TYPb, as OSes expect). */
		const uint64_t s5[] = { p->s5_type, p->s5_type };
		aml_name_package(b, "\\_S5", s5, 2);
	}
	acpi_table_end(b, start);
	return start;
}

/* x86's FADT fields: the SCI, no VGA or CMOS RTC, the reset port, the sleep registers. */
static void fadt_x86(const struct acpi_platform *p, struct acpi_buf *b, size_t start)
{
	acpi_set16(b, start + FADT_OFF_SCI_INT, p->sci_irq);
	acpi_set16(b, start + FADT_OFF_IAPC_BOOT_ARCH,
		   FADT_IAPC_VGA_NOT_PRESENT | FADT_IAPC_CMOS_RTC_NOT_PRESENT);
	acpi_set32(b, start + FADT_OFF_FLAGS, FADT_FLAG_HW_REDUCED_ACPI |
					      (p->reset_port ? FADT_FLAG_RESET_REG_SUP : 0));
	if (p->reset_port) {
		/* A one-byte I/O register; hardware-reduced platforms reset through it. */
		size_t len = b->len;
		b->len = start + FADT_OFF_RESET_REG;
		acpi_put_gas(b, GAS_SPACE_SYSTEM_IO, 8, 0, GAS_ACCESS_BYTE, p->reset_port);
		acpi_put8(b, p->reset_value);
		b->len = len;
	}
	if (p->sleep_control_port) {
		/* Hardware-reduced power-off (4.8.3.7): one-byte I/O registers. */
		size_t len = b->len;
		b->len = start + FADT_OFF_SLEEP_CONTROL_REG;
		acpi_put_gas(b, GAS_SPACE_SYSTEM_IO, 8, 0, GAS_ACCESS_BYTE, p->sleep_control_port);
		acpi_put_gas(b, GAS_SPACE_SYSTEM_IO, 8, 0, GAS_ACCESS_BYTE, p->sleep_status_port);
		b->len = len;
	}
}

static size_t build_fadt(const struct acpi_platform *p, struct acpi_buf *b, uint64_t dsdt)
{
	size_t start = acpi_table_begin(b, "FACP", FADT_REVISION);

	acpi_put_zeros(b, FADT_SIZE - ACPI_HDR_SIZE);
	/* FIRMWARE_CTRL stays 0: a hardware-reduced platform has no FACS. The 32-bit DSDT
	 * field is set as well as X_DSDT since the DSDT lies below 4 GiB. */
	acpi_set32(b, start + FADT_OFF_DSDT, (uint32_t)dsdt);
	if (p->arch == ACPI_ARCH_ARM64) {
		/* No SCI, no PC-AT legacy, no reset register: Linux resets through PSCI. */
		acpi_set32(b, start + FADT_OFF_FLAGS, FADT_FLAG_HW_REDUCED_ACPI);
		acpi_set16(b, start + FADT_OFF_ARM_BOOT_ARCH, FADT_ARM_PSCI_COMPLIANT | FADT_ARM_PSCI_USE_HVC);
	} else {
		fadt_x86(p, b, start);
	}
	acpi_set8(b, start + FADT_OFF_MINOR_REVISION, FADT_MINOR_REVISION);
	acpi_set64(b, start + FADT_OFF_X_DSDT, dsdt);
	/* Hypervisor Vendor Identity: "RASVM" in the low bytes. */
	acpi_set64(b, start + FADT_OFF_HYPERVISOR_ID, 0x4d56534152ULL);
	acpi_table_end(b, start);
	return start;
}

static size_t build_madt(const struct acpi_platform *p, struct acpi_buf *b)
{
	size_t start = acpi_table_begin(b, "APIC", MADT_REVISION);

	acpi_put32(b, (uint32_t)p->lapic_addr); /* Local Interrupt Controller Address */
	acpi_put32(b, MADT_FLAG_PCAT_COMPAT);   /* Flags */
	for (uint32_t i = 0; i < p->cpus; i++) {
		acpi_put8(b, MADT_TYPE_LAPIC);  /* Type */
		acpi_put8(b, MADT_LAPIC_SIZE);  /* Length */
		acpi_put8(b, (uint8_t)i);       /* ACPI Processor UID */
		acpi_put8(b, (uint8_t)i);       /* APIC ID */
		acpi_put32(b, MADT_LAPIC_ENABLED); /* Flags */
	}
	acpi_put8(b, MADT_TYPE_IOAPIC);         /* Type */
	acpi_put8(b, MADT_IOAPIC_SIZE);         /* Length */
	acpi_put8(b, p->ioapic_id);             /* I/O APIC ID */
	acpi_put8(b, 0);                        /* Reserved */
	acpi_put32(b, (uint32_t)p->ioapic_addr); /* I/O APIC Address */
	acpi_put32(b, 0);                       /* Global System Interrupt Base */
	/* The PIT's IRQ 0 arrives on IOAPIC pin 2, as on every PC since the 8259 cascade. */
	acpi_put8(b, MADT_TYPE_ISO);            /* Type */
	acpi_put8(b, MADT_ISO_SIZE);            /* Length */
	acpi_put8(b, 0);                        /* Bus: ISA */
	acpi_put8(b, 0);                        /* Source: IRQ 0 */
	acpi_put32(b, 2);                       /* Global System Interrupt */
	acpi_put16(b, 0);                       /* Flags: conforms to the bus */
	acpi_put8(b, MADT_TYPE_LAPIC_NMI);      /* Type */
	acpi_put8(b, MADT_LAPIC_NMI_SIZE);      /* Length */
	acpi_put8(b, MADT_ALL_PROCESSORS);      /* ACPI Processor UID */
	acpi_put16(b, 0);                       /* Flags: conforms to the bus */
	acpi_put8(b, 1);                        /* Local APIC LINT# */
	acpi_table_end(b, start);
	return start;
}

static int check_x86(const struct acpi_platform *p)
{
	if (p->cpus > MADT_MAX_XAPIC_ID || p->ioapic_id < p->cpus || p->com1_irq > 15)
		return -EINVAL;
	return 0;
}

int acpi_build(const struct acpi_platform *p, struct acpi_buf *b, struct acpi_tables *out)
{
	const char *why;
	const bool arm64 = p->arch == ACPI_ARCH_ARM64;

	if (p->cpus == 0 || (b->gpa % RSDP_ALIGN) != 0 ||
	    (p->arch != ACPI_ARCH_X86 && !arm64) || (arm64 ? acpi_arm64_check(p) : check_x86(p)) ||
	    (p->ras.mask && (p->ras.mask >> RAS_SOURCES_MAX || ras_sources_check(&p->ras, &why))))
		return -EINVAL;
	memset(out, 0, sizeof(*out));

	/* 5.2.5.3 RSDP; the XSDT address and checksums are patched once the XSDT exists. */
	size_t rsdp = acpi_put_id(b, RSDP_SIGNATURE, 8); /* Signature */
	acpi_put8(b, 0);                  /* Checksum */
	acpi_put_id(b, ACPI_OEM_ID, 6);   /* OEMID */
	acpi_put8(b, RSDP_REVISION);      /* Revision */
	acpi_put32(b, 0);                 /* RsdtAddress: no RSDT */
	acpi_put32(b, RSDP_SIZE);         /* Length */
	acpi_put64(b, 0);                 /* XsdtAddress */
	acpi_put8(b, 0);                  /* Extended Checksum */
	acpi_put_zeros(b, 3);             /* Reserved */
	out->rsdp_off = rsdp;

	acpi_align(b, 16);
	size_t dsdt = build_dsdt(p, b);
	note_table(out, b, dsdt);
	acpi_align(b, 16);
	size_t fadt = build_fadt(p, b, acpi_gpa_of(b, dsdt));
	note_table(out, b, fadt);
	acpi_align(b, 16);
	size_t madt = arm64 ? acpi_arm64_madt(p, b) : build_madt(p, b);
	note_table(out, b, madt);
	acpi_align(b, 16);
	if (arm64) {
		note_table(out, b, acpi_arm64_gtdt(p, b));
		acpi_align(b, 16);
		note_table(out, b, acpi_arm64_spcr(p, b));
		acpi_align(b, 16);
	}
	if (p->ras.mask) {
		/* Linux's ghes.c handles only SEA as synchronous: on x86 a GHES record never kills
		 * a task (machine checks do that), on arm64 the SEA source's records do. */
		const struct hest_notify notify[RAS_SOURCES_MAX] = {
			[RAS_SOURCE_SYNC] = { arm64 ? NOTIFY_SEA : NOTIFY_NMI, 0 },
			[RAS_SOURCE_ASYNC] = { arm64 ? NOTIFY_GSIV : NOTIFY_SCI, arm64 ? p->ged_gsi : 0 },
			[RAS_SOURCE_POLLED] = { NOTIFY_POLLED, 0 },
		};
		note_table(out, b, hest_build(b, &p->ras, notify, p->error_region));
		acpi_align(b, 16);
	}

	/* 5.2.8 XSDT: every table but the DSDT, which the FADT points to. */
	size_t xsdt = acpi_table_begin(b, "XSDT", XSDT_REVISION);
	for (unsigned i = 0; i < out->count; i++)
		if (strcmp(out->table[i].sig, "DSDT"))
			acpi_put64(b, acpi_gpa_of(b, out->table[i].off));
	acpi_table_end(b, xsdt);
	note_table(out, b, xsdt);

	if (acpi_buf_error(b))
		return acpi_buf_error(b);
	acpi_set64(b, rsdp + RSDP_OFF_XSDT_ADDRESS, acpi_gpa_of(b, xsdt));
	acpi_set8(b, rsdp + RSDP_OFF_CHECKSUM, acpi_checksum(b->data + rsdp, RSDP_V1_SIZE));
	acpi_set8(b, rsdp + RSDP_OFF_EXT_CHECKSUM, acpi_checksum(b->data + rsdp, RSDP_SIZE));
	return acpi_buf_error(b);
}
