// SPDX-License-Identifier: MIT
#include "fw/mptable.h"

#include <errno.h>
#include <string.h>

#include "acpi/buf.h"

/* Intel MultiProcessor Specification 1.4, chapter 4. */
#define MP_SPEC_REV          4      /* 4.1, 4.2 SPEC_REV: version 1.4 */
#define MP_CONFIG_HEADER     44     /* 4.2 Table 4-2: the base configuration table header */
#define MP_PROCESSOR_SIZE    20     /* 4.3.1 Table 4-4 */
#define MP_ENTRY_SIZE        8      /* 4.3.2-4.3.5: bus, I/O APIC, I/O and local interrupt entries */
#define MP_TYPE_PROCESSOR    0      /* 4.3 Table 4-3: entry types, in the order they must appear */
#define MP_TYPE_BUS          1
#define MP_TYPE_IOAPIC       2
#define MP_TYPE_IO_INTERRUPT 3
#define MP_TYPE_LOCAL_INTERRUPT 4
#define MP_CPU_ENABLED       0x01   /* 4.3.1 CPU FLAGS: EN */
#define MP_CPU_BOOT          0x02   /* 4.3.1 CPU FLAGS: BP, the bootstrap processor */
#define MP_IOAPIC_ENABLED    0x01   /* 4.3.3 I/O APIC FLAGS: EN */
#define MP_INT               0      /* 4.3.4 Table 4-12: a vectored interrupt from the I/O APIC */
#define MP_NMI               1
#define MP_EXTINT            3      /* the 8259's interrupt, the vector comes from the PIC */
#define MP_FLAGS_CONFORM     0      /* 4.3.4: polarity and trigger conform to the bus (ISA: high, edge) */
#define MP_ALL_LAPICS        0xff   /* 4.3.5 DESTINATION LOCAL APIC ID: every local APIC */
#define MP_ISA_BUS           0      /* the one bus rasvm describes, its id */
#define MP_ISA_IRQS          16
#define MP_ISA_CASCADE       2      /* the slave 8259's line: no device; the PIT's IRQ 0 takes its pin */
#define MP_MAX_APIC_ID       254    /* 8-bit APIC ids, 0xFF is "all" */
/* What KVM's in-kernel devices report in their version registers (arch/x86/kvm/lapic.c
 * APIC_VERSION, ioapic.h IOAPIC_VERSION_ID): Linux warns about version 0. */
#define KVM_LAPIC_VERSION    0x14
#define KVM_IOAPIC_VERSION   0x11

/* The ISA IRQs the table routes (all but the cascade), and the local interrupts. */
#define MP_IO_INTERRUPTS     (MP_ISA_IRQS - 1)
#define MP_LOCAL_INTERRUPTS  2

size_t mptable_config_size(uint32_t cpus)
{
	return MP_CONFIG_HEADER + (size_t)cpus * MP_PROCESSOR_SIZE +
	       (1 + 1 + MP_IO_INTERRUPTS + MP_LOCAL_INTERRUPTS) * MP_ENTRY_SIZE;
}

static void put_interrupt(struct acpi_buf *b, uint8_t type, uint8_t kind, uint8_t bus_irq,
			  uint8_t dest, uint8_t pin)
{
	acpi_put8(b, type);
	acpi_put8(b, kind);             /* INTERRUPT TYPE */
	acpi_put16(b, MP_FLAGS_CONFORM); /* PO, EL */
	acpi_put8(b, MP_ISA_BUS);       /* SOURCE BUS ID */
	acpi_put8(b, bus_irq);          /* SOURCE BUS IRQ */
	acpi_put8(b, dest);             /* DESTINATION I/O APIC ID, or LOCAL APIC ID */
	acpi_put8(b, pin);              /* INTIN#, or LINTIN# */
}

long mptable_build(const struct acpi_platform *p, uint8_t *config, size_t cap, uint64_t config_gpa,
		   uint8_t floating[MP_FLOATING_SIZE])
{
	if (p->cpus == 0 || p->cpus > MP_MAX_APIC_ID || p->ioapic_id < p->cpus ||
	    p->ioapic_id > MP_MAX_APIC_ID || config_gpa + cap > 0x100000000ULL ||
	    p->lapic_addr > UINT32_MAX || p->ioapic_addr > UINT32_MAX)
		return -EINVAL;
	size_t len = mptable_config_size(p->cpus);
	if (len > cap)
		return -ENOSPC;

	struct acpi_buf b;
	acpi_buf_init(&b, config, cap, config_gpa);
	/* 4.2 the header; BASE TABLE LENGTH and CHECKSUM are patched once the entries are in. */
	acpi_put_bytes(&b, "PCMP", 4);
	acpi_put16(&b, 0);                       /* BASE TABLE LENGTH */
	acpi_put8(&b, MP_SPEC_REV);
	acpi_put8(&b, 0);                        /* CHECKSUM */
	acpi_put_id(&b, "RASVM", 8);             /* OEM ID */
	acpi_put_id(&b, "rasvm", 12);            /* PRODUCT ID */
	acpi_put32(&b, 0);                       /* OEM TABLE POINTER: none */
	acpi_put16(&b, 0);                       /* OEM TABLE SIZE */
	acpi_put16(&b, (uint16_t)(p->cpus + 2 + MP_IO_INTERRUPTS + MP_LOCAL_INTERRUPTS)); /* ENTRY COUNT */
	acpi_put32(&b, (uint32_t)p->lapic_addr); /* ADDRESS OF LOCAL APIC */
	acpi_put16(&b, 0);                       /* EXTENDED TABLE LENGTH: none */
	acpi_put8(&b, 0);                        /* EXTENDED TABLE CHECKSUM */
	acpi_put8(&b, 0);                        /* reserved */
	/* 4.3.1: the vCPUs, APIC ids 0..cpus-1 as in the MADT; vCPU 0 boots. The signature and
	 * feature words are left 0: the vCPU's CPUID is the authority, and Linux reads neither. */
	for (uint32_t i = 0; i < p->cpus; i++) {
		acpi_put8(&b, MP_TYPE_PROCESSOR);
		acpi_put8(&b, (uint8_t)i);       /* LOCAL APIC ID */
		acpi_put8(&b, KVM_LAPIC_VERSION); /* LOCAL APIC VERSION # */
		acpi_put8(&b, MP_CPU_ENABLED | (i == 0 ? MP_CPU_BOOT : 0));
		acpi_put32(&b, 0);               /* CPU SIGNATURE */
		acpi_put32(&b, 0);               /* FEATURE FLAGS */
		acpi_put_zeros(&b, 8);           /* reserved */
	}
	/* 4.3.2: one ISA bus (Table 4-8's bus type strings are space-padded). */
	acpi_put8(&b, MP_TYPE_BUS);
	acpi_put8(&b, MP_ISA_BUS);
	acpi_put_id(&b, "ISA", 6);
	/* 4.3.3: KVM's in-kernel I/O APIC. */
	acpi_put8(&b, MP_TYPE_IOAPIC);
	acpi_put8(&b, p->ioapic_id);
	acpi_put8(&b, KVM_IOAPIC_VERSION);
	acpi_put8(&b, MP_IOAPIC_ENABLED);
	acpi_put32(&b, (uint32_t)p->ioapic_addr);
	/* 4.3.4: ISA IRQ n on pin n, but the PIT's IRQ 0 on pin 2: the routing the MADT's
	 * interrupt source override states, so both tables describe one machine. */
	for (uint8_t irq = 0; irq < MP_ISA_IRQS; irq++) {
		if (irq == MP_ISA_CASCADE)
			continue;
		put_interrupt(&b, MP_TYPE_IO_INTERRUPT, MP_INT, irq, p->ioapic_id,
			      irq == 0 ? MP_ISA_CASCADE : irq);
	}
	/* 4.3.5: the 8259 on LINT0 and NMI on LINT1 of every local APIC (5.1's default
	 * configurations, and the MADT's local APIC NMI entry). */
	put_interrupt(&b, MP_TYPE_LOCAL_INTERRUPT, MP_EXTINT, 0, MP_ALL_LAPICS, 0);
	put_interrupt(&b, MP_TYPE_LOCAL_INTERRUPT, MP_NMI, 0, MP_ALL_LAPICS, 1);
	if (acpi_buf_error(&b) || b.len != len)
		return -ENOSPC; /* never: len was checked against cap */
	acpi_set16(&b, 4, (uint16_t)len);
	acpi_set8(&b, 7, acpi_checksum(config, len));

	/* 4.1 Table 4-1: the floating pointer. */
	struct acpi_buf f;
	acpi_buf_init(&f, floating, MP_FLOATING_SIZE, 0);
	acpi_put_bytes(&f, "_MP_", 4);
	acpi_put32(&f, (uint32_t)config_gpa);  /* PHYSICAL ADDRESS POINTER */
	acpi_put8(&f, 1);                      /* LENGTH, in 16-byte units */
	acpi_put8(&f, MP_SPEC_REV);
	acpi_put8(&f, 0);                      /* CHECKSUM */
	acpi_put8(&f, 0);                      /* FEATURE 1: 0, a configuration table is present */
	acpi_put8(&f, 0);                      /* FEATURE 2: IMCRP clear, virtual wire mode */
	acpi_put_zeros(&f, 3);                 /* FEATURE 3-5: reserved */
	acpi_set8(&f, 10, acpi_checksum(floating, MP_FLOATING_SIZE));
	return (long)len;
}
