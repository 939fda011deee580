/* testos: descriptor tables, the TSS, system-call MSRs, and leaving the VM. */
#include "kernel.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084

/* Flags cleared on syscall entry, as Linux does: TF, DF, IF, IOPL, NT, AC. */
#define SFMASK_BITS 0x47700

#define DEBUG_EXIT_PORT 0xf4

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));

struct idt_gate {
	u16 offset0;
	u16 selector;
	u8 ist;
	u8 type;
	u16 offset1;
	u32 offset2;
	u32 reserved;
} __attribute__((packed));

struct cpu {
	struct tss tss;
	struct idt_gate idt[NR_VECTORS];
	u8 df_stack[4096] __attribute__((aligned(16)));
};

static struct cpu cpu;
extern u64 gdt[];

struct table_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

static void tss_init(void)
{
	u64 base = (u64)&cpu.tss, limit = sizeof(cpu.tss) - 1;

	/* No I/O bitmap: with IOPL 0, user port access faults. */
	cpu.tss.iomap_base = sizeof(cpu.tss);
	/* A double fault gets a known-good stack so it can still report. */
	cpu.tss.ist[0] = (u64)cpu.df_stack + sizeof(cpu.df_stack);
	gdt[TSS_SEL / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89UL << 40 |
			   ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[TSS_SEL / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}

static void idt_init(void)
{
	for (unsigned v = 0; v < NR_VECTORS; v++) {
		u64 addr = trap_stubs[v];
		cpu.idt[v] = (struct idt_gate){
			.offset0 = addr & 0xffff,
			.selector = KERNEL_CS,
			.ist = v == 8 ? 1 : 0,
			.type = 0x8e, /* present, DPL0, interrupt gate: IF cleared on entry */
			.offset1 = (addr >> 16) & 0xffff,
			.offset2 = addr >> 32,
		};
	}
	struct table_ptr p = { sizeof(cpu.idt) - 1, (u64)cpu.idt };
	__asm__ volatile("lidt %0" : : "m"(p));
}

void cpu_init(void)
{
	tss_init();
	idt_init();
	/* sysret selectors (unused: we return with iretq) follow Linux: 0x23 + 16 = 0x33. */
	wrmsr(MSR_STAR, (u64)USER32_CS << 48 | (u64)KERNEL_CS << 32);
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	wrmsr(MSR_SFMASK, SFMASK_BITS);
}

void cpu_set_kernel_stack(u64 top)
{
	cpu.tss.rsp[0] = top;
	syscall_kstack = top;
}

void kexit(int status)
{
	cli();
	kprintf("testos: exit %d\n", status);
	outb(DEBUG_EXIT_PORT, (u8)status);
	/* Only reached without a debug-exit device. */
	for (;;)
		__asm__ volatile("hlt");
}
