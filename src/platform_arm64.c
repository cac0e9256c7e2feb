// SPDX-License-Identifier: MIT
#include "platform_arm64.h"

#include <errno.h>
#include <string.h>

void platform_arm64_describe(const struct config *cfg, uint64_t *mpidr, struct acpi_platform *p,
			     struct fdt_machine *m)
{
	for (unsigned i = 0; i < cfg->cpus; i++)
		mpidr[i] = ARM64_KVM_MPIDR(i);
	*p = (struct acpi_platform){
		.arch = ACPI_ARCH_ARM64,
		.cpus = cfg->cpus,
		.ras = cfg->ras,
		.error_region = LAYOUT_ARM64_ERROR_REGION,
		.ged_gsi = IRQ_ARM64_GED,
		.arm64 = {
			.mpidr = mpidr,
			.gicd_base = LAYOUT_ARM64_GICD,
			.gicr_base = LAYOUT_ARM64_GICR,
			.gicr_size = (uint32_t)(LAYOUT_ARM64_GICR_END - LAYOUT_ARM64_GICR),
			.timer_sec_gsiv = 0, /* no secure state in a guest; optional in the GTDT */
			.timer_phys_gsiv = IRQ_ARM64_TIMER_PHYS,
			.timer_virt_gsiv = IRQ_ARM64_TIMER_VIRT,
			.timer_hyp_gsiv = IRQ_ARM64_TIMER_HYP,
			.uart_base = LAYOUT_ARM64_UART,
			.uart_size = (uint32_t)LAYOUT_ARM64_UART_SIZE,
			.uart_gsiv = IRQ_ARM64_UART,
		},
	};
	*m = (struct fdt_machine){
		.ram = { LAYOUT_ARM64_RAM, cfg->memory },
		.cpus = cfg->cpus,
		.mpidr = mpidr,
		.gicd = { LAYOUT_ARM64_GICD, LAYOUT_ARM64_GICD_SIZE },
		.gicr = { LAYOUT_ARM64_GICR, (uint64_t)cfg->cpus * LAYOUT_ARM64_GICR_STRIDE },
		/* The binding's interrupts are positional: the secure timer is listed, though a
		 * guest never sees it. */
		.timer_intid = { IRQ_ARM64_TIMER_SEC, IRQ_ARM64_TIMER_PHYS, IRQ_ARM64_TIMER_VIRT,
				 IRQ_ARM64_TIMER_HYP },
		.uart = { LAYOUT_ARM64_UART, LAYOUT_ARM64_UART_SIZE },
		.uart_intid = IRQ_ARM64_UART,
		.uart_clock_hz = LAYOUT_ARM64_UART_CLOCK,
		.devices = { LAYOUT_ARM64_DEVICES, LAYOUT_ARM64_DEVICES_SIZE },
	};
}

unsigned platform_arm64_memmap(const struct config *cfg, struct efi_mem_range map[3])
{
	/* ACPI and EFI tables: reclaim memory Linux reserves and maps cacheable. The error
	 * region: NVS, so Linux never uses it as RAM and keeps it out of the linear map, yet
	 * write-back, so the GHES driver maps it cacheable (acpi_os_ioremap and the fixmap both
	 * follow the attribute; Device memory would fault on its unaligned copies and would
	 * not be coherent with rasvm's own cacheable writes). The rest is RAM; Linux reserves
	 * the device tree, its own image and the initrd in it. */
	map[0] = (struct efi_mem_range){ LAYOUT_ARM64_ACPI, LAYOUT_ARM64_EFI_END - LAYOUT_ARM64_ACPI,
					 EFI_ACPI_RECLAIM_MEMORY, EFI_MEMORY_WB };
	map[1] = (struct efi_mem_range){ LAYOUT_ARM64_ERROR_REGION,
					 LAYOUT_ARM64_ERROR_REGION_END - LAYOUT_ARM64_ERROR_REGION,
					 EFI_ACPI_MEMORY_NVS, EFI_MEMORY_WB };
	map[2] = (struct efi_mem_range){ LAYOUT_ARM64_DTB,
					 LAYOUT_ARM64_RAM + cfg->memory - LAYOUT_ARM64_DTB,
					 EFI_CONVENTIONAL_MEMORY, EFI_MEMORY_WB };
	return 3;
}

int platform_arm64_build(const struct config *cfg, const struct arm64_boot *boot, uint8_t *fw,
			 struct arm64_firmware *out)
{
	uint64_t mpidr[LAYOUT_ARM64_MAX_CPUS];
	struct acpi_platform p;
	struct fdt_machine m;
	struct efi_mem_range map[3];
	struct acpi_buf b;
	int r;

	if (cfg->cpus == 0 || cfg->cpus > LAYOUT_ARM64_MAX_CPUS || cfg->memory < LAYOUT_ARM64_RAM_MIN ||
	    cfg->memory % 0x10000 ||
	    LAYOUT_ARM64_ERROR_REGION + ghes_region_size(&cfg->ras) > LAYOUT_ARM64_ERROR_REGION_END)
		return -EINVAL;
	if (boot->initrd.size && (boot->initrd.base < LAYOUT_ARM64_KERNEL ||
				  boot->initrd.base + boot->initrd.size > LAYOUT_ARM64_RAM + cfg->memory))
		return -EINVAL; /* in RAM, above the firmware */
	memset(out, 0, sizeof(*out));
	platform_arm64_describe(cfg, mpidr, &p, &m);

	acpi_buf_init(&b, fw + (LAYOUT_ARM64_ACPI - LAYOUT_ARM64_RAM),
		      LAYOUT_ARM64_ACPI_END - LAYOUT_ARM64_ACPI, LAYOUT_ARM64_ACPI);
	r = acpi_build(&p, &b, &out->acpi);
	if (r)
		return r;

	struct efi_firmware f = { .rsdp = LAYOUT_ARM64_ACPI + out->acpi.rsdp_off, .map = map,
				  .map_count = platform_arm64_memmap(cfg, map) };
	acpi_buf_init(&b, fw + (LAYOUT_ARM64_EFI - LAYOUT_ARM64_RAM), LAYOUT_ARM64_EFI_END - LAYOUT_ARM64_EFI,
		      LAYOUT_ARM64_EFI);
	r = efi_build(&f, &b, &out->efi);
	if (r)
		return r;
	out->efi_len = b.len;

	/* Outside the EFI map's view (a device-tree boot), the firmware's ranges stay reserved. */
	const struct fdt_range reserved[2] = {
		{ LAYOUT_ARM64_ACPI, LAYOUT_ARM64_EFI_END - LAYOUT_ARM64_ACPI },
		{ LAYOUT_ARM64_ERROR_REGION, LAYOUT_ARM64_ERROR_REGION_END - LAYOUT_ARM64_ERROR_REGION },
	};
	m.reserved = reserved;
	m.reserved_count = 2;
	m.chosen_only = boot->stub_tree;
	m.bootargs = boot->bootargs;
	m.initrd = boot->initrd;
	m.efi = true;
	m.efi_system_table = out->efi.system_table;
	m.efi_mmap = out->efi.mmap;
	m.efi_mmap_size = out->efi.mmap_size;
	m.efi_desc_size = out->efi.desc_size;
	m.efi_desc_version = out->efi.desc_version;
	return fdt_build(&m, fw + (LAYOUT_ARM64_DTB - LAYOUT_ARM64_RAM), LAYOUT_ARM64_DTB_END - LAYOUT_ARM64_DTB,
			 &out->dtb_len);
}
