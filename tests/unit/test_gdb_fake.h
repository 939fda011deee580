/* A small in-memory target for the gdb server's tests: RAM in a buffer, long-mode page tables
 * built by hand, and a toy "program" whose every instruction is one byte long and stores its
 * position to a data word. Forward and reverse execution move along a history of
 * FAKE_HISTORY instructions, honouring the breakpoint table the server hands it. It stands in
 * for the replayer only in protocol tests. */
#ifndef REWIND_TEST_GDB_FAKE_H
#define REWIND_TEST_GDB_FAKE_H
#include "gdb/gdb.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_RAM (4ULL << 20)
#define FAKE_HISTORY 1000
#define FAKE_PML4 0x1000ULL
/* Virtual layout: code in a 4 KiB page, data in a 2 MiB page, a high 1 GiB page. */
#define FAKE_CODE_VA 0xffffffff81000000ULL
#define FAKE_CODE_PA 0x5000ULL
#define FAKE_DATA_VA 0x0000000000400000ULL
#define FAKE_DATA_PA 0x200000ULL
#define FAKE_GIG_VA 0x0000004000000000ULL	/* 1 GiB page mapping guest-physical 0 */

struct fake {
	uint8_t *ram;
	uint64_t next_table;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	int pos;			/* instructions executed */
	struct gdb_breakpoint bps[GDB_MAX_BREAKPOINTS];
	int nbps;
	int max_watch;			/* refuse more watchpoints than this */
	bool exit_at_end;		/* a live VM: the end is an exit, not the end of history */
	bool block_until_interrupt;	/* continue runs until interrupt() */
	atomic_int interrupted;
	int resumes, set_bp_calls;
	bool detached, killed;
};

static inline int fake_read_phys(void *t, uint64_t gpa, void *buf, size_t len)
{
	struct fake *f = t;
	if (gpa > FAKE_RAM || len > FAKE_RAM - gpa)
		return -1;
	memcpy(buf, f->ram + gpa, len);
	return 0;
}

static inline int fake_write_phys(void *t, uint64_t gpa, const void *buf, size_t len)
{
	struct fake *f = t;
	if (gpa > FAKE_RAM || len > FAKE_RAM - gpa)
		return -1;
	memcpy(f->ram + gpa, buf, len);
	return 0;
}

static inline uint64_t *fake_pte(struct fake *f, uint64_t table, unsigned index)
{
	return (uint64_t *)(f->ram + table) + index;
}

/* Maps va to pa with a page of the given size (4 KiB, 2 MiB or 1 GiB), making tables as needed. */
static inline void fake_map(struct fake *f, uint64_t va, uint64_t pa, uint64_t size)
{
	uint64_t table = FAKE_PML4;
	int leaf = size == (1ULL << 30) ? 1 : size == (2ULL << 20) ? 2 : 3;
	for (int level = 0; level < leaf; level++) {
		uint64_t *e = fake_pte(f, table, (va >> (39 - 9 * level)) & 511);
		if (!(*e & 1)) {
			f->next_table += 0x1000;
			*e = f->next_table | 3;
		}
		table = *e & 0x000ffffffffff000ULL;
	}
	*fake_pte(f, table, (va >> (39 - 9 * leaf)) & 511) = pa | 3 | (leaf < 3 ? 0x80 : 0);
}

static inline void fake_sync(struct fake *f)
{
	uint64_t v = (uint64_t)f->pos;
	f->regs.rip = FAKE_CODE_VA + (uint64_t)f->pos;
	memcpy(f->ram + FAKE_DATA_PA, &v, 8);
}

static inline void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->ram = calloc(1, FAKE_RAM);
	f->next_table = 0x10000;	/* tables from 0x11000 up, clear of code and data */
	f->max_watch = 4;
	fake_map(f, FAKE_CODE_VA, FAKE_CODE_PA, 4096);
	fake_map(f, FAKE_DATA_VA, FAKE_DATA_PA, 2ULL << 20);
	fake_map(f, FAKE_GIG_VA, 0, 1ULL << 30);
	memset(f->ram + FAKE_CODE_PA, 0x90, 4096);	/* nops, for gdb's disassembler */
	f->regs.rsp = FAKE_DATA_VA + 0x1000;
	f->regs.rbp = FAKE_DATA_VA + 0x1100;
	f->regs.rax = 0x1122334455667788ULL;
	f->regs.rflags = 0x246;
	f->sregs.cs = (struct kvm_segment){ .selector = 0x10, .type = 11, .present = 1, .s = 1, .l = 1 };
	f->sregs.ss = (struct kvm_segment){ .selector = 0x18, .type = 3, .present = 1, .s = 1 };
	f->sregs.ds = f->sregs.es = f->sregs.ss;
	f->sregs.fs = (struct kvm_segment){ .selector = 0, .base = 0x7f0000001000ULL };
	f->sregs.gs = (struct kvm_segment){ .selector = 0, .base = 0xffff888000000000ULL };
	f->sregs.cr0 = 0x80050033ULL;
	f->sregs.cr2 = 0xdead000ULL;
	f->sregs.cr3 = FAKE_PML4;
	f->sregs.cr4 = 0x20 | 0x200;
	f->sregs.cr8 = 0;
	f->sregs.efer = 0x500 | 1;
	f->fpu.fcw = 0x37f;
	f->fpu.mxcsr = 0x1f80;
	f->fpu.xmm[1][0] = 0x42;
	fake_sync(f);
}

static inline void fake_free(struct fake *f)
{
	free(f->ram);
}

static inline int fake_get_regs(void *t, struct kvm_regs *r, struct kvm_sregs *s)
{
	struct fake *f = t;
	*r = f->regs;
	*s = f->sregs;
	return 0;
}

static inline int fake_set_regs(void *t, const struct kvm_regs *r, const struct kvm_sregs *s)
{
	struct fake *f = t;
	f->regs = *r;
	f->sregs = *s;
	return 0;
}

static inline int fake_get_fpu(void *t, struct kvm_fpu *fpu)
{
	*fpu = ((struct fake *)t)->fpu;
	return 0;
}

static inline int fake_set_fpu(void *t, const struct kvm_fpu *fpu)
{
	((struct fake *)t)->fpu = *fpu;
	return 0;
}

/* A step stops with SIGTRAP even on a breakpoint (as hardware does); watchpoints still report. */
static inline bool fake_break_at(struct fake *f, bool step, struct gdb_stop *stop)
{
	for (int i = 0; i < f->nbps; i++) {
		const struct gdb_breakpoint *b = &f->bps[i];
		if (!step && b->type <= GDB_BP_HARDWARE && b->addr == f->regs.rip) {
			stop->reason = b->type == GDB_BP_SOFTWARE ? GDB_STOP_SWBREAK : GDB_STOP_HWBREAK;
			return true;
		}
		/* Every instruction writes the data word. */
		if ((b->type == GDB_WATCH_WRITE || b->type == GDB_WATCH_ACCESS) &&
		    b->addr < FAKE_DATA_VA + 8 && b->addr + b->len > FAKE_DATA_VA) {
			stop->reason = b->type == GDB_WATCH_WRITE ? GDB_STOP_WATCH : GDB_STOP_AWATCH;
			stop->addr = FAKE_DATA_VA;
			return true;
		}
	}
	return false;
}

static inline int fake_resume(void *t, enum gdb_resume how, struct gdb_stop *stop)
{
	struct fake *f = t;
	bool back = how == GDB_RESUME_REVERSE_STEP || how == GDB_RESUME_REVERSE_CONTINUE;
	bool step = how == GDB_RESUME_STEP || how == GDB_RESUME_REVERSE_STEP;
	f->resumes++;
	/* The server may have moved rip (c ADDR): follow it if it stays inside the program. */
	if (f->regs.rip >= FAKE_CODE_VA && f->regs.rip <= FAKE_CODE_VA + FAKE_HISTORY)
		f->pos = (int)(f->regs.rip - FAKE_CODE_VA);
	*stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL, .signo = GDB_SIGTRAP };
	if (how == GDB_RESUME_CONTINUE && f->block_until_interrupt) {
		for (int i = 0; i < 5000 && !atomic_load(&f->interrupted); i++)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		if (!atomic_exchange(&f->interrupted, 0))
			return -ETIMEDOUT;
		stop->signo = GDB_SIGINT;
		return 0;
	}
	for (;;) {
		if (back ? f->pos == 0 : f->pos == FAKE_HISTORY) {
			if (!back && f->exit_at_end)
				*stop = (struct gdb_stop){ .reason = GDB_STOP_EXITED, .exit_status = 3 };
			else
				stop->reason = back ? GDB_STOP_REPLAY_BEGIN : GDB_STOP_REPLAY_END;
			return 0;
		}
		f->pos += back ? -1 : 1;
		fake_sync(f);
		if (fake_break_at(f, step, stop) || step)
			return 0;
	}
}

static inline void fake_interrupt(void *t)
{
	atomic_store(&((struct fake *)t)->interrupted, 1);
}

static inline int fake_set_breakpoints(void *t, const struct gdb_breakpoint *bps, int n)
{
	struct fake *f = t;
	int watches = 0;
	f->set_bp_calls++;
	for (int i = 0; i < n; i++)
		watches += bps[i].type >= GDB_WATCH_WRITE;
	if (watches > f->max_watch)
		return -ENOSPC;
	memcpy(f->bps, bps, (size_t)n * sizeof(*bps));
	f->nbps = n;
	return 0;
}

static inline int fake_monitor(void *t, const char *cmd, struct gdb_out *out)
{
	struct fake *f = t;
	if (!strcmp(cmd, "when")) {
		gdb_out_printf(out, "position %d of %d\n", f->pos, FAKE_HISTORY);
		return 0;
	}
	if (!strncmp(cmd, "goto ", 5)) {
		f->pos = atoi(cmd + 5);
		fake_sync(f);
		return 0;
	}
	if (!strcmp(cmd, "long")) {
		for (int i = 0; i < 300; i++)
			gdb_out_printf(out, "line %03d of a long answer\n", i);
		return 0;
	}
	gdb_out_printf(out, "unknown command: %s\n", cmd);
	return -EINVAL;
}

static inline void fake_detach(void *t, bool kill)
{
	struct fake *f = t;
	f->detached = true;
	f->killed = kill;
}

static const struct gdb_target_ops fake_ops = {
	.get_regs = fake_get_regs,
	.set_regs = fake_set_regs,
	.get_fpu = fake_get_fpu,
	.set_fpu = fake_set_fpu,
	.read_phys = fake_read_phys,
	.write_phys = fake_write_phys,
	.resume = fake_resume,
	.interrupt = fake_interrupt,
	.set_breakpoints = fake_set_breakpoints,
	.monitor = fake_monitor,
	.detach = fake_detach,
	.can_reverse = true,
};

#endif
