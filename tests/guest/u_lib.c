/* testos: the user-side runtime: task start, system-call wrappers, printing. */
#include <stdarg.h>

#include "user.h"

uint8_t u_stacks[MAX_TASKS][USTACK_SIZE] __attribute__((aligned(16)));

static long syscall2(long nr, long a, long b)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Every task starts here (the kernel's initial frame points at it). */
void u_task_start(long (*entry)(long), long arg)
{
	u_exit(entry(arg));
}

long u_write(const void *buf, size_t len)
{
	return syscall2(SYS_WRITE, (long)buf, (long)len);
}

void u_exit(long status)
{
	syscall2(SYS_EXIT, status, 0);
	__builtin_unreachable();
}

long u_yield(void)
{
	return syscall2(SYS_YIELD, 0, 0);
}

long u_read_line(char *buf, size_t cap)
{
	return syscall2(SYS_READ_LINE, (long)buf, (long)cap);
}

uint64_t u_ticks(void)
{
	return (uint64_t)syscall2(SYS_TICKS, 0, 0);
}

long u_race_step(long n)
{
	return syscall2(SYS_RACE_STEP, n, 0);
}

long u_session_touch(void)
{
	return syscall2(SYS_SESSION_TOUCH, 0, 0);
}

long u_flaky_touch(void)
{
	return syscall2(SYS_FLAKY_TOUCH, 0, 0);
}

long u_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	size_t n = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return u_write(buf, n);
}

int u_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}
