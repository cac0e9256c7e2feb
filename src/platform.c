// SPDX-License-Identifier: MIT
#include "platform.h"

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
