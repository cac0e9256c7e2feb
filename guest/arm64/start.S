/* SPDX-License-Identifier: MIT */
/*
 * The arm64 test guest's entry: the Image header (booting.rst), the boot vCPU's entry (x0 =
 * the device tree, EL1, MMU off, every exception masked), the entry of vCPUs started with
 * PSCI CPU_ON (x0 = the context id: the vCPU index), the exception vectors, the EL0 task's
 * entry and return, and a kernel read an SEA can end early.
 */
#include "guest.h"

#define FRAME_SIZE 304 /* struct trap_frame: x0-x30, sp_el0, elr, spsr, esr, far, kind; 16-aligned */

	.section .text.head, "ax"
	.globl _start
_start:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	_image_size		/* image_size: the whole image, bss included */
	.quad	0xa			/* flags: little-endian, 4 KiB pages, placed anywhere */
	.quad	0, 0, 0			/* res2-res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 (no PE header) */

primary_entry:
	mov	x19, x0
	adrp	x1, stacks
	add	x1, x1, :lo12:stacks
	add	x1, x1, #(1 << GUEST_STACK_SHIFT)
	mov	sp, x1
	adrp	x1, vectors
	add	x1, x1, :lo12:vectors
	msr	vbar_el1, x1
	isb
	msr	daifclr, #4		/* SErrors on, now that the vectors take them (as Linux) */
	mov	x0, x19
	bl	boot_main
1:	wfi
	b	1b

	.globl secondary_entry
secondary_entry:
	mov	x19, x0
	adrp	x1, stacks
	add	x1, x1, :lo12:stacks
	add	x2, x19, #1
	lsl	x2, x2, #GUEST_STACK_SHIFT
	add	x1, x1, x2
	mov	sp, x1
	adrp	x1, vectors
	add	x1, x1, :lo12:vectors
	msr	vbar_el1, x1
	isb
	msr	daifclr, #4		/* SErrors on, now that the vectors take them (as Linux) */
	mov	x0, x19
	bl	secondary_main
1:	wfi
	b	1b

/* ---- exception vectors (D1.10.2): 16 entries of 128 bytes, 2 KiB aligned ---- */
	.macro	ventry kind
	.balign	128
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x1, #\kind
	b	trap_common
	.endm

	.text
	.balign	2048
	.globl vectors
vectors:
	ventry	8	/* current EL with SP_EL0: sync (never used: the guest runs EL1h) */
	ventry	9
	ventry	10
	ventry	11
	ventry	0	/* current EL with SP_ELx: sync */
	ventry	1	/* IRQ */
	ventry	2	/* FIQ */
	ventry	3	/* SError */
	ventry	4	/* lower EL, AArch64: sync (svc, aborts from the EL0 task) */
	ventry	5	/* IRQ */
	ventry	6	/* FIQ */
	ventry	7	/* SError */
	ventry	12	/* lower EL, AArch32: never */
	ventry	13
	ventry	14
	ventry	15

trap_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x2, sp_el0
	str	x2, [sp, #248]
	mrs	x2, elr_el1
	str	x2, [sp, #256]
	mrs	x2, spsr_el1
	str	x2, [sp, #264]
	mrs	x2, esr_el1
	str	x2, [sp, #272]
	mrs	x2, far_el1
	str	x2, [sp, #280]
	str	x1, [sp, #288]
	mov	x0, sp
	bl	trap_dispatch
	/* trap_dispatch may have changed where to go back to (a killed task, a fixup). */
	ldr	x2, [sp, #248]
	msr	sp_el0, x2
	ldr	x2, [sp, #256]
	msr	elr_el1, x2
	ldr	x2, [sp, #264]
	msr	spsr_el1, x2
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME_SIZE
	eret

/* ---- the EL0 task ---- */

/* uint64_t task_enter(uint64_t pc, uint64_t sp, uint64_t arg): run the task at EL0 until it
 * exits or is killed; task_end() sends the exception return to task_return with the status. */
	.globl task_enter
task_enter:
	adrp	x9, task_ctx
	add	x9, x9, :lo12:task_ctx
	stp	x19, x20, [x9, #0]
	stp	x21, x22, [x9, #16]
	stp	x23, x24, [x9, #32]
	stp	x25, x26, [x9, #48]
	stp	x27, x28, [x9, #64]
	stp	x29, x30, [x9, #80]
	mov	x10, sp
	str	x10, [x9, #96]
	msr	sp_el0, x1
	msr	elr_el1, x0
	msr	spsr_el1, xzr		/* EL0t, interrupts unmasked */
	mov	x0, x2
	isb
	eret

	.globl task_return
task_return:
	adrp	x9, task_ctx
	add	x9, x9, :lo12:task_ctx
	ldp	x19, x20, [x9, #0]
	ldp	x21, x22, [x9, #16]
	ldp	x23, x24, [x9, #32]
	ldp	x25, x26, [x9, #48]
	ldp	x27, x28, [x9, #64]
	ldp	x29, x30, [x9, #80]
	ldr	x10, [x9, #96]
	mov	sp, x10
	ret

/* The task's code, copied to USER_BASE: dirty its data page (x0), have it poisoned, read it. */
	.globl user_task_start, user_task_end
	.balign	4
user_task_start:
	mov	x19, x0
	mov	x1, #0x5a
	str	x1, [x19]
	mov	x0, x19
	mov	x8, #SYS_POISON
	svc	#0
	ldr	x1, [x19]		/* the SEA comes here */
	mov	x0, x1
	mov	x8, #SYS_EXIT
	svc	#0
1:	b	1b
user_task_end:

/* uint64_t checked_read(const volatile uint64_t *p) */
	.globl checked_read, checked_read_fault
checked_read:
	ldr	x0, [x0]
	ret
checked_read_fault:
	mov	x0, #-1
	ret

	.bss
	.balign	4096
	.globl stacks
stacks:
	.skip	GUEST_MAX_CPUS << GUEST_STACK_SHIFT
	.balign	16
task_ctx:
	.skip	112

	.section .note.GNU-stack, "", %progbits
