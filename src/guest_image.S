/* SPDX-License-Identifier: MIT */
/* The test guest's ELF file, built from guest/ by the same Makefile, embedded read-only. */
#define STR2(x) #x
#define STR(x) STR2(x)
	.section .rodata.guest_image, "a"
	.balign 64
	.globl guest_image_start, guest_image_end
guest_image_start:
	.incbin STR(GUEST_ELF)
guest_image_end:
	.section .note.GNU-stack, "", @progbits
