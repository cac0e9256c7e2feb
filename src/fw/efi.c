// SPDX-License-Identifier: MIT
#include "fw/efi.h"

#include <errno.h>
#include <string.h>

#include "acpi/cper.h"

/* 4.2 EFI_TABLE_HEADER: 24 bytes */
#define HDR_OFF_SIGNATURE         0  /* u64 */
#define HDR_OFF_REVISION          8  /* u32 */
#define HDR_OFF_HEADER_SIZE       12 /* u32 bytes of the whole table, header included */
#define HDR_OFF_CRC32             16 /* u32 over HeaderSize bytes with this field 0 */
#define HDR_SIZE                  24
/* 4.3 EFI_SYSTEM_TABLE (64-bit): 120 bytes */
#define ST_SIGNATURE              0x5453595320494249ULL /* "IBI SYST" */
#define ST_REVISION               ((2u << 16) | 80)    /* 2.80: the first with EFI_RT_PROPERTIES_TABLE */
#define ST_OFF_FIRMWARE_VENDOR    24 /* CHAR16 * */
#define ST_OFF_FIRMWARE_REVISION  32 /* u32, then 4 bytes of padding */
#define ST_OFF_CON_IN_HANDLE      40 /* six handles and protocol pointers */
#define ST_OFF_RUNTIME_SERVICES   88 /* EFI_RUNTIME_SERVICES * */
#define ST_OFF_BOOT_SERVICES      96 /* EFI_BOOT_SERVICES * */
#define ST_OFF_TABLE_ENTRIES      104 /* UINTN NumberOfTableEntries */
#define ST_OFF_CONFIG_TABLE       112 /* EFI_CONFIGURATION_TABLE * */
#define ST_SIZE                   120
_Static_assert(ST_OFF_CON_IN_HANDLE + 6 * 8 == ST_OFF_RUNTIME_SERVICES, "4.3 six console fields");
_Static_assert(ST_OFF_CONFIG_TABLE + 8 == ST_SIZE, "4.3 the 64-bit system table is 120 bytes");
#define FIRMWARE_REVISION         1
/* 4.6 EFI_CONFIGURATION_TABLE: EFI_GUID VendorGuid, VOID *VendorTable */
#define CONFIG_ENTRY_SIZE         24
#define ACPI_20_TABLE_GUID        "8868E871-E4F1-11D3-BC22-0080C73C8881" /* 4.6.1 */
#define RT_PROPERTIES_TABLE_GUID  "EB66918A-7EEF-402A-842E-931D21C38AE9" /* 4.6.2 */
/* 4.6.2 EFI_RT_PROPERTIES_TABLE: u16 Version, u16 Length, u32 RuntimeServicesSupported */
#define RT_PROPERTIES_VERSION     1
#define RT_PROPERTIES_SIZE        8

static const uint16_t vendor[] = { 'r', 'a', 's', 'v', 'm', 0 }; /* CHAR16, UCS-2 */

uint32_t efi_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static int check_map(const struct efi_firmware *f)
{
	if (!f->map || !f->map_count)
		return -EINVAL;
	for (unsigned i = 0; i < f->map_count; i++) {
		const struct efi_mem_range *r = &f->map[i];
		if (!r->size || r->base % EFI_PAGE_SIZE || r->size % EFI_PAGE_SIZE || r->base + r->size < r->base)
			return -EINVAL;
		if (i && r->base < f->map[i - 1].base + f->map[i - 1].size)
			return -EINVAL;
	}
	return 0;
}

static void put_guid(struct acpi_buf *b, const char *text)
{
	struct cper_guid g = { { 0 } };

	cper_guid_parse(text, &g);
	acpi_put_bytes(b, g.b, sizeof(g.b));
}

int efi_build(const struct efi_firmware *f, struct acpi_buf *b, struct efi_tables *out)
{
	unsigned entries = f->rsdp ? 2 : 1;

	if (check_map(f) || b->gpa % 8)
		return -EINVAL;
	memset(out, 0, sizeof(*out));

	/* 4.3 the system table; vendor and configuration table addresses are patched below. */
	acpi_align(b, 8);
	size_t st = acpi_put64(b, ST_SIGNATURE);  /* Hdr.Signature */
	acpi_put32(b, ST_REVISION);                /* Hdr.Revision */
	acpi_put32(b, ST_SIZE);                    /* Hdr.HeaderSize */
	acpi_put32(b, 0);                          /* Hdr.CRC32, computed last */
	acpi_put32(b, 0);                          /* Hdr.Reserved */
	acpi_put64(b, 0);                          /* FirmwareVendor */
	acpi_put32(b, FIRMWARE_REVISION);          /* FirmwareRevision */
	acpi_put32(b, 0);                          /* (padding to 8 bytes) */
	acpi_put_zeros(b, 6 * 8);                  /* ConsoleInHandle, ConIn, ConsoleOutHandle,
						      ConOut, StandardErrorHandle, StdErr: none */
	acpi_put64(b, 0);                          /* RuntimeServices: none */
	acpi_put64(b, 0);                          /* BootServices: exited */
	acpi_put64(b, entries);                    /* NumberOfTableEntries */
	acpi_put64(b, 0);                          /* ConfigurationTable */

	acpi_align(b, 8);
	size_t vend = b->len;
	for (size_t i = 0; i < sizeof(vendor) / sizeof(vendor[0]); i++)
		acpi_put16(b, vendor[i]);

	/* 4.6 configuration tables: where the RSDP is, and that there are no runtime services. */
	acpi_align(b, 8);
	size_t config = b->len;
	if (f->rsdp) {
		put_guid(b, ACPI_20_TABLE_GUID);
		acpi_put64(b, f->rsdp);
	}
	put_guid(b, RT_PROPERTIES_TABLE_GUID);
	size_t rt_ptr = acpi_put64(b, 0);
	size_t rt = acpi_put16(b, RT_PROPERTIES_VERSION); /* Version */
	acpi_put16(b, RT_PROPERTIES_SIZE);               /* Length */
	acpi_put32(b, 0);                                /* RuntimeServicesSupported: none */

	/* 7.2 the memory map, EFI_MEMORY_DESCRIPTOR version 1 */
	acpi_align(b, 8);
	size_t mmap = b->len;
	for (unsigned i = 0; i < f->map_count; i++) {
		const struct efi_mem_range *r = &f->map[i];
		acpi_put32(b, r->type);                 /* Type */
		acpi_put32(b, 0);                       /* (padding) */
		acpi_put64(b, r->base);                 /* PhysicalStart */
		acpi_put64(b, 0);                       /* VirtualStart: never mapped for runtime */
		acpi_put64(b, r->size / EFI_PAGE_SIZE); /* NumberOfPages */
		acpi_put64(b, r->attribute);            /* Attribute */
	}
	if (acpi_buf_error(b))
		return acpi_buf_error(b);

	acpi_set64(b, st + ST_OFF_FIRMWARE_VENDOR, acpi_gpa_of(b, vend));
	acpi_set64(b, st + ST_OFF_CONFIG_TABLE, acpi_gpa_of(b, config));
	acpi_set64(b, rt_ptr, acpi_gpa_of(b, rt));
	acpi_set32(b, st + HDR_OFF_CRC32, efi_crc32(b->data + st, ST_SIZE));

	out->system_table = acpi_gpa_of(b, st);
	out->mmap = acpi_gpa_of(b, mmap);
	out->mmap_size = f->map_count * EFI_MEMDESC_SIZE;
	out->desc_size = EFI_MEMDESC_SIZE;
	out->desc_version = EFI_MEMORY_DESCRIPTOR_VERSION;
	out->system_table_off = st;
	out->mmap_off = mmap;
	return 0;
}
