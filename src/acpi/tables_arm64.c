// SPDX-License-Identifier: MIT
/* The arm64 machine's own tables: MADT with GICv3, GTDT, SPCR, and its DSDT devices. */
#include "acpi/tables_arch.h"

#include <errno.h>
#include <stdio.h>

#include "acpi/aml.h"
#include "acpi/spec.h"

#define GIC_PPI_FIRST 16 /* GIC INTIDs 16-31 are PPIs, 32-1019 SPIs */
#define GIC_SPI_FIRST 32
#define GIC_SPI_END   1020

static int is_ppi(uint32_t gsiv) { return gsiv >= GIC_PPI_FIRST && gsiv < GIC_SPI_FIRST; }
static int is_spi(uint32_t gsiv) { return gsiv >= GIC_SPI_FIRST && gsiv < GIC_SPI_END; }

int acpi_arm64_check(const struct acpi_platform *p)
{
	const struct acpi_arm64 *a = &p->arm64;

	if (!a->mpidr || (uint64_t)a->gicr_size < (uint64_t)p->cpus * GICR_FRAMES_SIZE)
		return -EINVAL;
	for (uint32_t i = 0; i < p->cpus; i++) {
		/* Linux skips a GICC with bits outside the affinity fields, or a repeated MPIDR. */
		if (a->mpidr[i] & ~GICC_MPIDR_AFFINITY)
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (a->mpidr[j] == a->mpidr[i])
				return -EINVAL;
	}
	if (!is_ppi(a->timer_phys_gsiv) || !is_ppi(a->timer_virt_gsiv) || !is_ppi(a->timer_hyp_gsiv) ||
	    (a->timer_sec_gsiv && !is_ppi(a->timer_sec_gsiv)) ||
	    (a->vgic_maint_gsiv && !is_ppi(a->vgic_maint_gsiv)) || (a->pmu_gsiv && !is_ppi(a->pmu_gsiv)))
		return -EINVAL;
	if (!is_spi(a->uart_gsiv) || !a->uart_size || a->uart_base + a->uart_size > 1ULL << 32)
		return -EINVAL; /* Memory32Fixed holds a 32-bit base */
	if ((p->ras.mask & (1u << RAS_SOURCE_ASYNC)) && (!is_spi(p->ged_gsi) || p->ged_gsi == a->uart_gsiv))
		return -EINVAL;
	return 0;
}

void acpi_arm64_dsdt_devices(const struct acpi_platform *p, struct acpi_buf *b)
{
	const struct acpi_arm64 *a = &p->arm64;

	/* 8.4 Processor devices, matched to the MADT GICCs by _UID = ACPI Processor UID. */
	for (uint32_t i = 0; i < p->cpus; i++) {
		char name[8];
		snprintf(name, sizeof(name), "C%03X", (unsigned)i & 0xfff);
		size_t cpu = aml_device_begin(b, name);
		aml_name_string(b, "_HID", "ACPI0007");
		aml_name_int(b, "_UID", i);
		aml_end(b, cpu);
	}
	/* The PL011: ARMH0011 is Arm's ACPI id for it; Linux binds its SBSA UART driver. */
	size_t uart = aml_device_begin(b, "COM0");
	aml_name_string(b, "_HID", "ARMH0011");
	aml_name_int(b, "_UID", 0);
	size_t crs = aml_crs_begin(b);
	aml_res_mem32_fixed(b, (uint32_t)a->uart_base, a->uart_size);
	aml_res_ext_irq(b, a->uart_gsiv, false, false); /* level, active high: GIC SPIs are */
	aml_crs_end(b, crs);
	aml_end(b, uart);
}

/* 5.2.12.14 GICC for vCPU i. */
static void put_gicc(const struct acpi_arm64 *a, struct acpi_buf *b, uint32_t i)
{
	acpi_put8(b, MADT_TYPE_GICC);      /* Type */
	acpi_put8(b, GICC_SIZE);           /* Length */
	acpi_put16(b, 0);                  /* Reserved */
	acpi_put32(b, i);                  /* CPU Interface Number */
	acpi_put32(b, i);                  /* ACPI Processor UID */
	acpi_put32(b, GICC_ENABLED);       /* Flags: enabled; performance and VGIC interrupts level */
	acpi_put32(b, 0);                  /* Parking Protocol Version: PSCI is used */
	acpi_put32(b, a->pmu_gsiv);        /* Performance Interrupt GSIV */
	acpi_put64(b, 0);                  /* Parked Address */
	acpi_put64(b, 0);                  /* Physical Base Address: GICv3 CPU interface is sysregs */
	acpi_put64(b, 0);                  /* GICV */
	acpi_put64(b, 0);                  /* GICH */
	acpi_put32(b, a->vgic_maint_gsiv); /* VGIC Maintenance interrupt */
	acpi_put64(b, 0);                  /* GICR Base Address: the GICR structure has them */
	acpi_put64(b, a->mpidr[i]);        /* MPIDR */
	acpi_put8(b, 0);                   /* Processor Power Efficiency Class */
	acpi_put8(b, 0);                   /* Reserved */
	acpi_put16(b, 0);                  /* SPE overflow Interrupt */
}

size_t acpi_arm64_madt(const struct acpi_platform *p, struct acpi_buf *b)
{
	const struct acpi_arm64 *a = &p->arm64;
	size_t start = acpi_table_begin(b, "APIC", MADT_REVISION_ARM64);

	acpi_put32(b, 0);                  /* Local Interrupt Controller Address: none on arm64 */
	acpi_put32(b, 0);                  /* Flags: no PC-AT 8259s */
	for (uint32_t i = 0; i < p->cpus; i++)
		put_gicc(a, b, i);
	acpi_put8(b, MADT_TYPE_GICD);      /* Type */
	acpi_put8(b, GICD_SIZE);           /* Length */
	acpi_put16(b, 0);                  /* Reserved */
	acpi_put32(b, 0);                  /* GIC ID */
	acpi_put64(b, a->gicd_base);       /* Physical Base Address */
	acpi_put32(b, 0);                  /* System Vector Base: must be 0 */
	acpi_put8(b, GICD_VERSION_3);      /* GIC version */
	acpi_put_zeros(b, 3);              /* Reserved */
	/* One redistributor region for every vCPU, exactly as long as they need: Linux maps
	 * and walks it (GICR_TYPER.Last ends the walk). */
	acpi_put8(b, MADT_TYPE_GICR);      /* Type */
	acpi_put8(b, GICR_SIZE);           /* Length */
	acpi_put16(b, 0);                  /* Reserved */
	acpi_put64(b, a->gicr_base);       /* Discovery Range Base Address */
	acpi_put32(b, p->cpus * GICR_FRAMES_SIZE); /* Discovery Range Length */
	acpi_table_end(b, start);
	return start;
}

size_t acpi_arm64_gtdt(const struct acpi_platform *p, struct acpi_buf *b)
{
	const struct acpi_arm64 *a = &p->arm64;
	/* The architected timers' outputs are level-sensitive, active high (GIC PPIs cannot be
	 * active low), and KVM keeps a vCPU's timers running whatever the vCPU does: always-on,
	 * so Linux needs no broadcast timer. */
	const uint32_t flags = GTDT_TIMER_ALWAYS_ON;
	size_t start = acpi_table_begin(b, "GTDT", GTDT_REVISION);

	acpi_put64(b, GTDT_NO_BASE);          /* CntControlBase Physical Address */
	acpi_put32(b, 0);                     /* Reserved */
	acpi_put32(b, a->timer_sec_gsiv);     /* Secure EL1 Timer GSIV */
	acpi_put32(b, a->timer_sec_gsiv ? flags : 0); /* Secure EL1 Timer Flags */
	acpi_put32(b, a->timer_phys_gsiv);    /* Non-Secure EL1 Timer GSIV */
	acpi_put32(b, flags);                 /* Non-Secure EL1 Timer Flags */
	acpi_put32(b, a->timer_virt_gsiv);    /* Virtual EL1 Timer GSIV */
	acpi_put32(b, flags);                 /* Virtual EL1 Timer Flags */
	acpi_put32(b, a->timer_hyp_gsiv);     /* EL2 Timer GSIV */
	acpi_put32(b, flags);                 /* EL2 Timer Flags */
	acpi_put64(b, GTDT_NO_BASE);          /* CntReadBase Physical Address */
	acpi_put32(b, 0);                     /* Platform Timer Count */
	acpi_put32(b, 0);                     /* Platform Timer Offset: no platform timers */
	acpi_table_end(b, start);
	return start;
}

size_t acpi_arm64_spcr(const struct acpi_platform *p, struct acpi_buf *b)
{
	const struct acpi_arm64 *a = &p->arm64;
	size_t start = acpi_table_begin(b, "SPCR", SPCR_REVISION);

	/* Linux (drivers/acpi/spcr.c) makes "pl011,mmio32,<base>,115200" of this for earlycon
	 * and the console: the PL011's registers are 32 bits wide, as its SBSA driver uses them. */
	acpi_put8(b, SPCR_INTERFACE_PL011);   /* Interface Type */
	acpi_put_zeros(b, 3);                 /* Reserved */
	acpi_put_gas(b, GAS_SPACE_SYSTEM_MEMORY, 32, 0, GAS_ACCESS_DWORD, a->uart_base); /* Base Address */
	acpi_put8(b, SPCR_INTERRUPT_GIC);     /* Interrupt Type */
	acpi_put8(b, 0);                      /* IRQ: no PC-AT interrupt */
	acpi_put32(b, a->uart_gsiv);          /* Global System Interrupt */
	acpi_put8(b, SPCR_BAUD_115200);       /* Configured Baud Rate */
	acpi_put8(b, 0);                      /* Parity: none */
	acpi_put8(b, SPCR_STOP_BITS_1);       /* Stop Bits */
	acpi_put8(b, 0);                      /* Flow Control: none */
	acpi_put8(b, SPCR_TERMINAL_VT100);    /* Terminal Type */
	acpi_put8(b, 0);                      /* Language: reserved */
	acpi_put16(b, 0xffff);                /* PCI Device ID: not a PCI device */
	acpi_put16(b, 0xffff);                /* PCI Vendor ID */
	acpi_put8(b, 0);                      /* PCI Bus Number */
	acpi_put8(b, 0);                      /* PCI Device Number */
	acpi_put8(b, 0);                      /* PCI Function Number */
	acpi_put32(b, 0);                     /* PCI Flags */
	acpi_put8(b, 0);                      /* PCI Segment */
	acpi_put32(b, 0);                     /* Reserved */
	acpi_table_end(b, start);
	return start;
}
