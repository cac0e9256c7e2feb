/*
 * init-spin: the init for hosts whose KVM cannot run guest system calls (this project's
 * development machines, see shared/reference/LINUX-HERE.md). It makes NO system call at all:
 * built -nostdlib -static -ffreestanding, entered at _start, never returns or exits.
 *
 * It owns one page at a FIXED virtual address, INIT_SPIN_PAGE_VA = 0x600000: the linker
 * puts the section .rasvm_page there (tests/linux/mkinitrd links with
 * -Wl,--section-start=.rasvm_page=0x600000). It writes the 16-byte marker
 * "RASVM-INIT-PAGE!" at the start of that page (the write makes it a private, dirty,
 * anonymous page of init), then reads the whole page forever. A host memory error on the
 * page's guest-physical frame is therefore consumed by init: an action-required machine
 * check at CPL3. The host finds that frame by translating 0x600000 in init's address space
 * (KVM_TRANSLATE while the vCPU is in user mode) or by scanning guest memory for the marker.
 *
 * Linux's answer to losing init's page is "Kernel panic - not syncing: Attempted to kill
 * init!" (killing init is fatal): that line is what a test asserts.
 */

#define INIT_SPIN_PAGE_VA 0x600000UL /* must match mkinitrd's --section-start */

/* 4 KiB, page aligned, in its own section placed at INIT_SPIN_PAGE_VA. */
static volatile unsigned char page[4096]
	__attribute__((section(".rasvm_page"), aligned(4096), used));

static const char marker[16] = "RASVM-INIT-PAGE!"; /* exactly 16 bytes, no NUL */

__attribute__((noreturn, used)) void _start(void)
{
	for (int i = 0; i < 16; i++)
		page[i] = (unsigned char)marker[i];

	/* Read every 8-byte word of the page, forever (volatile: each pass really loads). */
	volatile unsigned long *words = (volatile unsigned long *)page;
	unsigned long sum = 0;
	for (;;)
		for (unsigned i = 0; i < sizeof(page) / sizeof(*words); i++)
			sum += words[i];
}
