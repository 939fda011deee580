/* testos: exceptions (all fatal: report and exit 3), the 8259A PIC pair, the 8254 PIT. */
#include "kernel.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI 0x20
#define PIC_READ_ISR 0x0b

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_HZ 1193182
#define PIT_CH0_LOHI_MODE2 0x34

#define IRQ_TIMER 0
#define IRQ_CASCADE 2
#define IRQ_COM1 4

#define BACKTRACE_DEPTH 16
#define VEC_GP 13
#define VEC_PF 14

static u64 tick_count;

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection", "reserved", "reserved",
	"reserved", "reserved", "reserved", "reserved", "hypervisor injection",
	"VMM communication", "security", "reserved",
};

void pic_init(void)
{
	outb(PIC1_CMD, 0x11); /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, IRQ_BASE);     /* ICW2: IRQ0-7 -> 0x20.. */
	outb(PIC2_DATA, IRQ_BASE + 8); /* IRQ8-15 -> 0x28.. */
	outb(PIC1_DATA, 1 << IRQ_CASCADE); /* ICW3: slave on IRQ2 */
	outb(PIC2_DATA, IRQ_CASCADE);
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, (u8)~(1 << IRQ_TIMER | 1 << IRQ_CASCADE | 1 << IRQ_COM1));
	outb(PIC2_DATA, 0xff);
}

void pit_init(void)
{
	u16 divisor = (PIT_HZ + TIMER_HZ / 2) / TIMER_HZ;

	outb(PIT_CMD, PIT_CH0_LOHI_MODE2);
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
}

u64 ticks(void)
{
	return READ_ONCE(tick_count);
}

/* IRQ7/IRQ15 also arrive spuriously; a real one has its in-service bit set. */
static int irq_spurious(unsigned irq)
{
	if (irq == 7) {
		outb(PIC1_CMD, PIC_READ_ISR);
		return !(inb(PIC1_CMD) & 0x80);
	}
	if (irq == 15) {
		outb(PIC2_CMD, PIC_READ_ISR);
		if (!(inb(PIC2_CMD) & 0x80)) {
			outb(PIC1_CMD, PIC_EOI); /* the master did see the cascade */
			return 1;
		}
	}
	return 0;
}

static void irq_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

static void print_addr(const char *prefix, u64 addr)
{
	u64 off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		kprintf("%s0x%016lx <%s+0x%lx>\n", prefix, addr, name, off);
	else
		kprintf("%s0x%016lx\n", prefix, addr);
}

/* Frames are followed only inside the region the faulting code ran in, so a corrupt
   RBP ends the walk instead of faulting again. */
static void backtrace(u64 rip, u64 rbp, u64 lo, u64 hi)
{
	kprintf("  backtrace:\n");
	print_addr("    ", rip);
	for (int depth = 0; depth < BACKTRACE_DEPTH; depth++) {
		if (rbp < lo || rbp + 16 > hi || rbp % 8)
			break;
		u64 ret = ((u64 *)rbp)[1];
		u64 next = ((u64 *)rbp)[0];
		if (!ret)
			break;
		print_addr("    ", ret);
		if (next <= rbp)
			break;
		rbp = next;
	}
}

void panic_frame(const struct frame *f, const char *what)
{
	int user = (f->cs & 3) == 3;

	cli();
	kprintf("PANIC: %s (vector %lu, error 0x%lx) in %s mode\n", what, f->vector, f->error,
		user ? "user" : "kernel");
	print_addr("  rip ", f->rip);
	kprintf("  cr2 0x%016lx\n", read_cr2());
	if (user)
		backtrace(f->rip, f->rbp, USER_BASE, USER_END);
	else
		backtrace(f->rip, f->rbp, (u64)__kernel_start, (u64)__kernel_end);
	kexit(3);
}

/* The syscall instruction jumped to syscall_entry without leaving CPL3 (the PVM host does
   this): fetching it faults, as it is a supervisor page; were it not, its cli would. A
   user task that jumps there itself gets a system call too, which grants it nothing. */
static int syscall_stayed_in_user(const struct frame *f)
{
	if ((f->cs & 3) != 3 || f->rip != (u64)syscall_entry)
		return 0;
	return f->vector == VEC_GP || (f->vector == VEC_PF && read_cr2() == f->rip);
}

struct frame *trap(struct frame *f)
{
	if (syscall_stayed_in_user(f))
		return syscall_reenter(f);
	if (f->vector < 32)
		panic_frame(f, exception_names[f->vector]);

	unsigned irq = f->vector - IRQ_BASE;
	if (irq_spurious(irq))
		return f;
	switch (irq) {
	case IRQ_TIMER:
		tick_count++;
		if (current_workload->tick)
			current_workload->tick();
		sched_tick(f);
		break;
	case IRQ_COM1:
		uart_irq();
		break;
	}
	irq_eoi(irq);
	return sched_switch(f);
}
