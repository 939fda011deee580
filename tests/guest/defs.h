/* testos: constants shared by the kernel, the user tasks and the assembly files. */
#ifndef TESTOS_DEFS_H
#define TESTOS_DEFS_H

/* Linux GDT layout: the PVM host requires user CS/SS to match its own. */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER32_CS 0x23
#define USER_DS 0x2b
#define USER_CS 0x33
#define TSS_SEL 0x40

/* The user region: one 2 MiB page mapped U/S=1 (boot.S, linker.ld). */
#define USER_BASE 0x400000
#define USER_END 0x600000

/* The vector field of frames built by syscall_entry, and of a fault frame that trap()
   turned into one (entry.S then dispatches it as a system call). */
#define SYSCALL_VECTOR 0x100
#define SYSCALL_REENTER 0x101
#define FRAME_VECTOR 120 /* offsetof(struct frame, vector) */

#define CR0_PE 0x1
#define CR0_WP 0x10000
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_SCE 0x1
#define EFER_LME 0x100

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_U 0x4
#define PTE_PS 0x80

#define MAX_TASKS 8
#define USTACK_SIZE 16384

/* System calls: number in RAX, arguments in RDI, RSI (the Linux convention); the result
   comes back in RAX, negative on error. RCX and R11 are clobbered by the instruction. */
#define SYS_WRITE 0	    /* write(buf, len) -> len: to the console */
#define SYS_EXIT 1	    /* exit(status): ends the task */
#define SYS_YIELD 2	    /* yield() -> 0 */
#define SYS_READ_LINE 3	    /* read_line(buf, cap) -> len: blocks for a serial line */
#define SYS_TICKS 4	    /* ticks() -> timer ticks since boot */
#define SYS_RACE_STEP 5	    /* race_step(n): the race workload's racy kernel path */
#define SYS_SESSION_TOUCH 6 /* session_touch(): the panic workload's buggy kernel path */
#define SYS_FLAKY_TOUCH 7   /* flaky_touch(): the flaky workload's narrow-window kernel path */
#define NR_SYSCALLS 8

#define E_FAULT 14
#define E_INVAL 22
#define E_NOSYS 38

#endif
