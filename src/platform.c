// SPDX-License-Identifier: MIT
#include "platform.h"

#include <errno.h>

#include "fw/mptable.h"
#include "le.h"
#include "rasvm/layout.h"

void platform_describe(const struct config *cfg, struct acpi_platform *p)
{
	*p = (struct acpi_platform){
		.cpus = cfg->cpus,
		.lapic_addr = LAYOUT_LAPIC,
		.ioapic_addr = LAYOUT_IOAPIC,
		.ioapic_id = (uint8_t)cfg->cpus, /* the first id after the local APICs */
		.sci_irq = IRQ_SCI,
		.com1_port = PORT_COM1,
		.com1_irq = IRQ_COM1,
		.ras = cfg->ras,
		.error_region = LAYOUT_ERROR_REGION,
		.ged_gsi = IRQ_GED,
		.reset_port = PORT_RESET,
		.reset_value = RESET_VALUE,
		.sleep_control_port = PORT_SLEEP_CONTROL,
		.sleep_status_port = PORT_SLEEP_STATUS,
		.s5_type = S5_SLEEP_TYPE,
	};
}

int platform_build_acpi(const struct config *cfg, uint8_t *area, struct acpi_tables *t)
{
	struct acpi_platform p;
	struct acpi_buf b;

	platform_describe(cfg, &p);
	acpi_buf_init(&b, area, LAYOUT_ACPI_END - LAYOUT_ACPI_BASE, LAYOUT_ACPI_BASE);
	return acpi_build(&p, &b, t);
}

int platform_write_mptable(const struct config *cfg, struct guest_mem *mem)
{
	struct acpi_platform p;
	uint8_t *config = mem_gpa_to_hva(mem, LAYOUT_MP_CONFIG, LAYOUT_EBDA - LAYOUT_MP_CONFIG);
	uint8_t *ebda = mem_gpa_to_hva(mem, LAYOUT_EBDA, MP_FLOATING_SIZE);
	uint8_t *bda_ebda = mem_gpa_to_hva(mem, LAYOUT_BDA_EBDA_SEGMENT, 2);
	uint8_t *bda_base_kb = mem_gpa_to_hva(mem, LAYOUT_BDA_BASE_MEMORY_KB, 2);

	if (!config || !ebda || !bda_ebda || !bda_base_kb)
		return -EINVAL; /* never: --memory is at least LAYOUT_RAM_MIN */
	platform_describe(cfg, &p);
	long r = mptable_build(&p, config, LAYOUT_EBDA - LAYOUT_MP_CONFIG, LAYOUT_MP_CONFIG, ebda);
	if (r < 0)
		return (int)r;
	/* The BIOS data area words that place the EBDA (so the floating pointer is in "the first
	 * kilobyte of the EBDA", MP spec 4.1) and end conventional memory where the e820 map does:
	 * Linux reserves from the lower of the two to 1 MiB (arch/x86/kernel/ebda.c). */
	le_put(bda_ebda, LAYOUT_EBDA >> 4, 2);
	le_put(bda_base_kb, LAYOUT_LOW_RAM_END >> 10, 2);
	return 0;
}
