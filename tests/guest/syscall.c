/* testos: system-call dispatch. Handlers read their arguments from the frame and store
   the result in f->rax, or rewind f->rip to restart the call after blocking. */
#include "kernel.h"

#define SYSCALL_INSN_LEN 2
#define WRITE_MAX 4096
#define LINE_MAX 256

#define RFLAGS_FIXED 0x2
#define RFLAGS_IF 0x200
#define USER_RFLAGS_KEPT 0xcd5 /* the arithmetic flags and DF */

typedef void (*syscall_fn)(struct frame *f);

int user_range_ok(u64 addr, u64 len)
{
	return addr >= USER_BASE && len <= USER_END - addr && addr < USER_END;
}

static void sys_write(struct frame *f)
{
	u64 buf = f->rdi, len = f->rsi;

	if (len > WRITE_MAX) {
		f->rax = -(u64)E_INVAL;
		return;
	}
	if (!user_range_ok(buf, len)) {
		f->rax = -(u64)E_FAULT;
		return;
	}
	console_write((const char *)buf, len);
	f->rax = len;
}

static void sys_exit(struct frame *f)
{
	sched_exit((long)f->rdi);
}

static void sys_yield(struct frame *f)
{
	sched_yield();
	f->rax = 0;
}

/* Without a complete line the task blocks and, once woken, executes the same syscall
   instruction again: no kernel state has to survive the wait. */
static void sys_read_line(struct frame *f)
{
	u64 buf = f->rdi, cap = f->rsi;

	if (cap == 0 || cap > LINE_MAX || !user_range_ok(buf, cap)) {
		f->rax = -(u64)(cap == 0 || cap > LINE_MAX ? E_INVAL : E_FAULT);
		return;
	}
	int n = console_read_line((char *)buf, cap);
	if (n >= 0) {
		f->rax = (u64)n;
		return;
	}
	f->rip -= SYSCALL_INSN_LEN;
	sched_block(WAIT_RX);
}

static void sys_ticks(struct frame *f)
{
	f->rax = ticks();
}

static const syscall_fn syscalls[NR_SYSCALLS] = {
	[SYS_WRITE] = sys_write,
	[SYS_EXIT] = sys_exit,
	[SYS_YIELD] = sys_yield,
	[SYS_READ_LINE] = sys_read_line,
	[SYS_TICKS] = sys_ticks,
	[SYS_RACE_STEP] = sys_race_step,
	[SYS_SESSION_TOUCH] = sys_session_touch,
	[SYS_FLAKY_TOUCH] = sys_flaky_touch,
};

/*
 * The syscall instruction left the CPU at CPL3 at syscall_entry, whose first instruction
 * then faulted into the kernel. RCX and R11 still hold what syscall put there, so the
 * fault frame, which sits where syscall_entry builds its frame, becomes that frame;
 * entry.S then dispatches it.
 */
struct frame *syscall_reenter(struct frame *f)
{
	f->vector = SYSCALL_REENTER;
	f->error = 0;
	f->rip = f->rcx;
	f->rflags = (f->r11 & USER_RFLAGS_KEPT) | RFLAGS_IF | RFLAGS_FIXED;
	return f;
}

struct frame *syscall_dispatch(struct frame *f)
{
	if (f->rax < NR_SYSCALLS)
		syscalls[f->rax](f);
	else
		f->rax = -(u64)E_NOSYS;
	return sched_switch(f);
}
