// SPDX-License-Identifier: MIT
/* One user task at a time on vCPU 0: code copied into the user region, run at CPL3 until it
 * exits by syscall or a RAS handler kills it. */
#include "guest.h"

extern const char user_task_start[], user_task_end[], task_return[];
uint64_t task_enter(uint64_t rip, uint64_t rsp, uint64_t arg);

/* Resume the kernel at task_return (start.S) with status in RAX instead of the task. */
void task_end(struct trap_frame *f, uint64_t status)
{
	f->rip = (uint64_t)task_return;
	f->cs = 0x08;
	f->ss = 0x10;
	f->rsp = (uint64_t)f; /* any kernel stack: task_return switches to the saved one */
	f->rflags = 0x2;
	f->rax = status;
}

/* #UD from user mode on a UD2 is a system call (see start.S); anything else is a bug. */
static void syscall(struct trap_frame *f)
{
	const uint8_t *ip = (const uint8_t *)f->rip;
	if ((f->cs & 3) != 3 || ip[0] != 0x0f || ip[1] != 0x0b) {
		char msg[80];
		snprintf(msg, sizeof(msg), "invalid opcode at rip 0x%lx cs 0x%lx", f->rip, f->cs);
		ucall_assert(__FILE__, __LINE__, msg);
	}
	f->rip += 2;
	switch (f->rax) {
	case SYS_POISON:
		f->rax = (uint64_t)ucall_poison(f->rdi, 0);
		break;
	case SYS_EXIT:
		ras.task_value = f->rsi;
		ras.task_running = 0;
		task_end(f, TASK_EXITED);
		break;
	default:
		f->rax = (uint64_t)-1;
		break;
	}
}

int task_run(void)
{
	size_t len = (size_t)(user_task_end - user_task_start);

	trap_set_handler(6 /* #UD */, syscall);
	memcpy((void *)USER_BASE, user_task_start, len);
	ras.task_running = 1;
	return (int)task_enter(USER_BASE, USER_STACK_TOP, USER_DATA);
}
