/* testos: shared kernel definitions (types, port I/O, layout, the trap frame). */
#ifndef TESTOS_KERNEL_H
#define TESTOS_KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#include "defs.h"

#define IRQ_BASE 0x20
#define NR_VECTORS 48

#define TIMER_HZ 100

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NORETURN __attribute__((noreturn))

/* Everything an entry stub saves; the lowest address is the last register pushed. */
struct frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* the iretq frame */
};
_Static_assert(offsetof(struct frame, vector) == FRAME_VECTOR, "entry.S frame layout");

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }

static inline u64 read_cr2(void)
{
	u64 v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

/* fmt.c */
#include "fmt.h"

/* console.c: COM1 */
void uart_init(void);
void uart_irq(void);
void console_write(const char *s, size_t n);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int console_read_line(char *dst, size_t cap); /* -1 when no full line was typed yet */

/* cpu.c */
void cpu_init(void);
void cpu_set_kernel_stack(u64 top);
NORETURN void kexit(int status);

/* trap.c */
void pic_init(void);
void pit_init(void);
u64 ticks(void);
NORETURN void panic_frame(const struct frame *f, const char *what);
struct frame *trap(struct frame *f);

/* rtc.c */
struct rtc_time {
	unsigned year, month, day, hour, minute, second;
};
void rtc_read(struct rtc_time *t);

/* sched.c */
enum wait_reason { WAIT_NONE, WAIT_RX };
int task_create(long (*entry)(long), long arg);
NORETURN void sched_start(void);
struct frame *sched_switch(struct frame *f);
void sched_tick(const struct frame *f);
void sched_yield(void);
void sched_block(enum wait_reason why);
void sched_wake(enum wait_reason why);
void sched_exit(long status);
long task_exit_status(int id);
/* Timer ticks that interrupted task id in user code: each one preempted it. */
u64 task_user_ticks(int id);

/* syscall.c */
struct frame *syscall_dispatch(struct frame *f);
struct frame *syscall_reenter(struct frame *f);
int user_range_ok(u64 addr, u64 len);

/* main.c: the value of the command-line word KEY=VALUE (key with its '='), or NULL; *len
   gets its length. */
const char *cmdline_value(const char *key, size_t *len);
/* main.c: KEY=N on the kernel command line (key with its '='); -1 when N is not a number. */
int cmdline_u64(const char *key, u64 def, u64 *out);

/* The first GiB is identity-mapped (boot.S). */
#define IDENTITY_MAPPED (1UL << 30)

/* main.c: the ACPI RSDP's address from the PVH start info (version 1), or 0. */
extern u64 boot_rsdp;
/* acpi.c: the poweroff workload; never returns. */
void poweroff_start(void);
void pvpanic_start(void);

/* workloads.c */
struct workload {
	const char *name;
	void (*start)(void);  /* creates the tasks; runs before the scheduler starts */
	void (*tick)(void);   /* called from the timer interrupt, may be NULL */
	void (*finish)(void); /* called when every task has exited; must not return */
};
const struct workload *workload_find(const char *name, size_t len);
extern const struct workload *current_workload;
void workload_list(void);
void sys_race_step(struct frame *f);
void sys_session_touch(struct frame *f);
void sys_flaky_touch(struct frame *f);

/* Symbols of the linker script and entry.S. */
extern char __kernel_start[], __kernel_end[];
extern u64 trap_stubs[NR_VECTORS];
extern u64 syscall_kstack;
void syscall_entry(void);
void idle_loop(void);
NORETURN void trap_resume(struct frame *f);
void io_delay(void);

/* ksyms: the text symbol table embedded by the second link pass. */
const char *ksym_lookup(u64 addr, u64 *offset);

#endif
