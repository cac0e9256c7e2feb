/* SPDX-License-Identifier: MIT */
/*
 * Entry of every vCPU (64-bit mode, interrupts off, RDI = vCPU index, RSI = boot info; see
 * include/rasvm/layout.h). The first instruction that reaches the host is a SYNC(0) on the
 * test port: it marks "the guest runs" for the start-up benchmark.
 */
#include "rasvm/layout.h"
#include "guest.h"

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

/*
 * Exception and interrupt entry: every vector pushes a dummy error code when the CPU does
 * not, then its number, saves the general registers into a struct trap_frame and calls
 * trap_dispatch(frame). A handler that returns resumes the interrupted code.
 */
	.text
	.macro	VECTOR n
	.balign	16
vector_\n:
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
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	VECTOR	\n
	.endr

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

	.section .note.GNU-stack, "", @progbits
