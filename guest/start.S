/* SPDX-License-Identifier: MIT */
/*
 * Entry of every vCPU (64-bit mode, interrupts off, RDI = vCPU index, RSI = boot info; see
 * include/rasvm/layout.h). The first instruction that reaches the host is a SYNC(0) on the
 * test port: it marks "the guest runs" for the start-up benchmark.
 */
#include "rasvm/layout.h"
#include "guest.h"

/*
 * Multiboot 1 header (Multiboot Specification 0.6.96, 3.1): flags bit 1 asks for the memory
 * map, bit 16 says the address fields below are valid, so a loader needs no ELF support
 * (QEMU refuses ELF64 otherwise).
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010002
	.section .multiboot, "a"
	.balign 4
multiboot_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
	.long	multiboot_header	/* header_addr */
	.long	0x100000		/* load_addr: the start of the text segment */
	.long	_edata			/* load_end_addr */
	.long	_end			/* bss_end_addr */
	.long	multiboot_entry		/* entry_addr */

/*
 * Multiboot entry: 32-bit protected mode, paging off, EBX = multiboot information. Build
 * identity page tables for 4 GiB, enter long mode, make the boot-info page rasvm would have
 * given (multiboot.c), then continue at _start as vCPU 0.
 */
	.section .text.entry, "ax"
	.code32
	.globl multiboot_entry
multiboot_entry:
	cli
	/* First instruction after the firmware: a mark (QEMU's isa-debugcon can time it). */
	mov	$'M', %al
	outb	%al, $PORT_MARK
	mov	%ebx, %esi
	/* 2048 page-directory entries of 2 MiB, present + writable + PS */
	mov	$mb_pd, %edi
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$21, %eax
	or	$0x83, %eax
	mov	%eax, (%edi,%ecx,8)
	inc	%ecx
	cmp	$2048, %ecx
	jne	1b
	xor	%ecx, %ecx
2:	mov	%ecx, %eax
	shl	$12, %eax
	add	$mb_pd + 3, %eax
	mov	%eax, mb_pdpt(,%ecx,8)
	inc	%ecx
	cmp	$4, %ecx
	jne	2b
	movl	$mb_pdpt + 3, mb_pml4
	mov	$mb_pml4, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax		/* PAE */
	mov	%eax, %cr4
	mov	$0xc0000080, %ecx	/* EFER */
	rdmsr
	or	$0x100, %eax		/* LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax	/* PG | PE */
	mov	%eax, %cr0
	lgdt	mb_gdt_ptr
	ljmp	$0x08, $multiboot_entry64

	.code64
multiboot_entry64:
	mov	$0x10, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	lea	guest_stacks + (1 << GUEST_STACK_SHIFT), %rsp
	mov	%esi, %edi
	call	multiboot_boot_info
	xor	%edi, %edi
	mov	$LAYOUT_BOOT_INFO, %esi
	jmp	_start

	.section .rodata
	.balign 8
mb_gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff	/* 0x10: data */
mb_gdt_ptr:
	.word	3 * 8 - 1
	.long	mb_gdt

	.section .bss
	.balign 4096
mb_pml4:	.skip 4096
mb_pdpt:	.skip 4096
mb_pd:		.skip 4 * 4096

	.section .text.entry, "ax"
	.globl _start
	.code64
_start:
	mov	$ucall_start, %eax
	mov	$PORT_TEST, %dx
	outl	%eax, %dx

	/* One stack per vCPU; an index the guest was not built for stops here. */
	cmp	$GUEST_MAX_CPUS, %rdi
	jae	1f
	mov	%rdi, %rax
	inc	%rax
	shl	$GUEST_STACK_SHIFT, %rax
	lea	guest_stacks(%rax), %rsp
	xor	%ebp, %ebp
	call	guest_main
1:	cli
	hlt
	jmp	1b

	.section .data
	.balign 8
ucall_start:
	.long	UCALL_SYNC, 0
	.quad	0, label_start, 0
label_start:
	.asciz	"start"

	.section .bss
	.balign 4096
	.globl guest_stacks
guest_stacks:
	.skip	GUEST_MAX_CPUS << GUEST_STACK_SHIFT
	.balign 8
task_kernel_rsp:
	.skip	8

/*
 * Exception and interrupt entry: every vector pushes a dummy error code when the CPU does
 * not, then its number, saves the general registers into a struct trap_frame and calls
 * trap_dispatch(frame). A handler that returns resumes what the frame says, so a handler
 * can also end a user task by rewriting the frame (see task.c).
 */
	.text
	.macro	VECTOR n
	.balign	16
	.if (\n == 2 || \n == 18)
	/* The first instruction of the NMI and #MC handlers stamps the time on the host's
	 * mark port: the end of the error-to-handler latency rasvm measures. */
	push	%rax
	mov	$\n, %al
	outb	%al, $PORT_MARK
	pop	%rax
	.endif
	.if (\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	trap_common
	.endm

	.globl	trap_vectors
	.balign	16
trap_vectors:
	.altmacro
	.set	vec, 0
	.rept	256
	VECTOR	%vec
	.set	vec, vec + 1
	.endr
	.noaltmacro

trap_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	cld
	call	trap_dispatch
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp	/* vector and error code */
	iretq

/*
 * uint64_t checked_read(const uint64_t *p): a kernel read that survives a machine check on
 * p: the #MC handler resumes at checked_read_fault (ras.kernel_fixup), which returns ~0.
 */
	.globl	checked_read, checked_read_fault
checked_read:
	mov	(%rdi), %rax
	ret
checked_read_fault:
	mov	$-1, %rax
	ret

/*
 * uint64_t task_enter(uint64_t rip, uint64_t rsp, uint64_t arg): run user code at CPL3 with
 * arg in RDI until a trap handler ends it by resuming at task_return with the result in RAX.
 */
	.globl	task_enter, task_return
task_enter:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, task_kernel_rsp(%rip)
	pushq	$USER_SEL_DATA		/* SS */
	push	%rsi			/* RSP */
	pushq	$0x2			/* RFLAGS: interrupts stay off in tasks */
	pushq	$USER_SEL_CODE		/* CS */
	push	%rdi			/* RIP */
	mov	%rdx, %rdi
	xor	%esi, %esi
	xor	%edx, %edx
	iretq
task_return:
	mov	task_kernel_rsp(%rip), %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

/*
 * The user task, copied to the user region (position independent): dirty its data page
 * (RDI), ask the kernel to have the page poisoned (system call 1), read it back (the machine
 * check or NMI lands here), and exit (system call 2) only if it survives. System calls are
 * UD2 with the number in EAX: on nested KVM without hardware help for ring 0, KVM emulates
 * the ring transition of INT n and refuses it in long mode (#UD), while exceptions work.
 */
	.globl	user_task_start, user_task_end
user_task_start:
	movabs	$0x5a5a5a5a5a5a5a5a, %rax
	mov	%rax, (%rdi)
	mov	$SYS_POISON, %eax
	ud2
	mov	(%rdi), %rax
	mov	%rax, %rsi
	mov	$SYS_EXIT, %eax
	ud2
1:	jmp	1b
user_task_end:

	.section .note.GNU-stack, "", @progbits
