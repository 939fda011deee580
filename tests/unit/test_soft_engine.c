/* The soft engine on a tiny guest (tests/unit/soft_guest.S): 32-bit entry, long mode, CPL3,
 * SYSCALL, #PF, port I/O, MMIO, HLT, CPUID, RDTSC/RDRAND, injected interrupts, exact counts,
 * address and predicate stops, kick. Everything that needs no soft-only API goes through
 * struct engine, and guests are created by an engine factory, so the kvm engine can be run
 * on the same guest for differential tests. */
#include "core/cpuid.h"
#include "core/engine.h"
#include "core/memory.h"
#include "core/soft_engine.h"
#include "tests/unit/check.h"
#include "tests/unit/soft_guest.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RAM_SIZE (8ULL << 20)
#define RESULTS 0x8000ULL
#define KSTACK 0x9000ULL
#define PF_PAGE 0x1ff000ULL
#define DIFF_CODE 0x40000ULL	/* free identity-mapped memory the differential tests write code to */
#define PF_MAGIC 0x1122334455667788ULL
#define MMIO_VALUE 0xcafebabeU
#define IN_VALUE 0xab

typedef struct engine *(*engine_factory)(struct guest_mem *mem, const struct cpuid_model *cpuid,
					 char *err, int errlen);

struct guest {
	struct guest_mem mem;
	struct cpuid_model cpuid;
	struct engine *e;
	char err[256];
};

static uint64_t *q(struct guest *g, uint64_t gpa)
{
	return (uint64_t *)(g->mem.host + gpa);
}

static void build_memory(struct guest *g)
{
	memcpy(g->mem.host + 0x1000, soft_guest, soft_guest_len);
	/* Identity 0-8 MiB (4 KiB pages in the first 2 MiB, one absent), the higher half
	 * 0xffffffff80000000 -> 0, and a 2 MiB MMIO window at 0xd0000000. */
	*q(g, 0x10000) = 0x11000 | 7;
	*q(g, 0x10000 + 511 * 8) = 0x14000 | 3;
	*q(g, 0x11000) = 0x12000 | 7;
	*q(g, 0x11000 + 3 * 8) = 0x15000 | 3;
	*q(g, 0x12000) = 0x13000 | 7;
	for (uint64_t i = 1; i < 4; i++)
		*q(g, 0x12000 + i * 8) = (i << 21) | 0x87;
	for (uint64_t i = 0; i < 512; i++)
		*q(g, 0x13000 + i * 8) = (i << 12) | 7;
	*q(g, 0x13000 + (PF_PAGE >> 12) * 8) = 0;
	*q(g, 0x14000 + 510 * 8) = 0x12000 | 3;
	*q(g, 0x15000 + 0x80 * 8) = 0xd0000000ULL | 0x83;
	*q(g, PF_PAGE) = PF_MAGIC;
}

/* The state a PVH loader leaves: flat 32-bit protected mode, paging off. */
static int set_entry_state(struct guest *g)
{
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x38, .type = 0xb,
				    .present = 1, .db = 1, .s = 1, .g = 1 };
	struct kvm_segment data = code;
	data.selector = 0x18;
	data.type = 0x3;
	if (g->e->ops->get_sregs(g->e, &sr))
		return -1;
	sr.cs = code;
	sr.ss = sr.ds = sr.es = sr.fs = sr.gs = data;
	sr.gdt.base = SG_GDT;
	sr.gdt.limit = (uint16_t)(SG_GDT_END - SG_GDT - 1);
	sr.cr0 = 0x11;
	sr.cr3 = sr.cr4 = 0;
	sr.efer = 0;
	if (g->e->ops->set_sregs(g->e, &sr))
		return -1;
	memset(&r, 0, sizeof(r));
	r.rip = SG_ENTRY32;
	r.rflags = 2;
	return g->e->ops->set_regs(g->e, &r);
}

static int guest_create(struct guest *g, engine_factory make)
{
	memset(g, 0, sizeof(*g));
	if (guest_mem_init(&g->mem, RAM_SIZE))
		return -1;
	build_memory(g);
	cpuid_model_default(&g->cpuid);
	g->e = make(&g->mem, &g->cpuid, g->err, sizeof(g->err));
	if (!g->e) {
		printf("  engine: %s\n", g->err);
		return -1;
	}
	return set_entry_state(g);
}

static void guest_destroy(struct guest *g)
{
	if (g->e)
		g->e->ops->destroy(g->e);
	guest_mem_free(&g->mem);
}

static bool is_step(const struct vm_exit *x, int step)
{
	return x->reason == EXIT_IO && x->io.port == 0x80 && x->io.write && x->io.size == 1 &&
	       x->io.data[0] == step;
}

/* Runs to the next step marker, answering the guest's other I/O as the tests expect. */
static int run_to_step(struct guest *g, int step)
{
	struct vm_exit x;
	for (int guard = 0; guard < 32; guard++) {
		if (g->e->ops->run(g->e, &x))
			return -1;
		if (is_step(&x, step))
			return 0;
		if (x.reason == EXIT_IO && x.io.port == 0x80 && x.io.write && x.io.data[0] < step)
			continue;	/* an earlier step */
		if (x.reason == EXIT_HLT)
			continue;
		if (x.reason == EXIT_MMIO && !x.mmio.write) {
			memcpy(x.mmio.data, &(uint32_t){ MMIO_VALUE }, 4);
			continue;
		}
		if (x.reason == EXIT_MMIO)
			continue;
		if (x.reason == EXIT_IO && !x.io.write && x.io.port == 0x60) {
			x.io.data[0] = IN_VALUE;
			continue;
		}
		printf("  unexpected exit %d (port %#x data %#x) waiting for step %d%s%s\n", x.reason,
		       x.io.port, x.reason == EXIT_IO ? x.io.data[0] : 0, step,
		       x.reason == EXIT_FAIL || x.reason == EXIT_SHUTDOWN ? ": " : "",
		       x.reason == EXIT_FAIL || x.reason == EXIT_SHUTDOWN ? x.fail.what : "");
		return -1;
	}
	return -1;
}

static struct engine *make_soft(struct guest_mem *mem, const struct cpuid_model *cpuid, char *err,
				int errlen)
{
	return soft_engine_create(mem, cpuid, err, errlen);
}

/* A code buffer small enough that the random sequences below fill it many times over. */
static struct engine *make_soft_small_buffer(struct guest_mem *mem, const struct cpuid_model *cpuid,
					     char *err, int errlen)
{
	return soft_engine_create_sized(mem, cpuid, 1u << 20, err, errlen);
}

TEST(boot_protected_to_long_mode_and_cpl3)
{
	struct guest g;
	struct vm_exit x;
	struct kvm_regs r;
	struct kvm_sregs sr;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;

	CHECK(run_to_step(&g, 1) == 0);
	e->ops->get_sregs(e, &sr);
	CHECK_EQ(sr.cs.selector, 0x10);
	CHECK(sr.cs.l);
	CHECK(sr.efer & (1 << 10));
	CHECK(sr.cr0 & 0x80000000u);
	CHECK_EQ(sr.cr3, 0x10000);
	CHECK_EQ(sr.tr.selector, 0x40);
	CHECK_EQ(sr.tr.base, SG_TSS);

	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_HLT);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rflags & 0x200, 0);

	/* MMIO read: reported before it retires, completed with the VMM's value. */
	uint64_t before = soft_engine_icount(e);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_MMIO);
	CHECK_EQ(x.mmio.addr, 0xd0000000ULL);
	CHECK_EQ(x.mmio.size, 4);
	CHECK(!x.mmio.write);
	CHECK_EQ(soft_engine_icount(e), before + 1);	/* only the mov ebx before it */
	memcpy(x.mmio.data, &(uint32_t){ MMIO_VALUE }, 4);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_MMIO);
	CHECK_EQ(x.mmio.addr, 0xd0000010ULL);
	CHECK(x.mmio.write);
	CHECK_EQ(*(uint32_t *)x.mmio.data, 0x1234);
	CHECK(run_to_step(&g, 2) == 0);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.r8, MMIO_VALUE);
	CHECK_EQ(r.r9, *q(&g, 0x1000));	/* read through 0xffffffff80001000 */

	CHECK(run_to_step(&g, 3) == 0);
	e->ops->get_sregs(e, &sr);
	CHECK_EQ(sr.cs.selector, 0x33);
	CHECK_EQ(sr.cs.dpl, 3);
	CHECK_EQ(sr.ss.selector, 0x2b);

	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_IO);
	CHECK_EQ(x.io.port, 0x60);
	CHECK(!x.io.write);
	CHECK_EQ(x.io.size, 1);
	x.io.data[0] = IN_VALUE;

	CHECK(run_to_step(&g, 4) == 0);
	e->ops->get_sregs(e, &sr);
	e->ops->get_regs(e, &r);
	CHECK_EQ(sr.cs.selector, 0x10);
	CHECK_EQ(sr.ss.selector, 0x18);
	CHECK_EQ(r.rflags & 0x300, 0);	/* SFMASK cleared IF and TF */
	CHECK_EQ(*q(&g, RESULTS + 0x100), 42);
	CHECK_EQ(*q(&g, RESULTS + 0x108), SG_AFTER_SYSCALL);
	CHECK_EQ(*q(&g, RESULTS + 0x110), 0x3202);

	CHECK(run_to_step(&g, 5) == 0);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.r15, IN_VALUE);
	CHECK_EQ((uint32_t)r.rbx, 0x756e6547);	/* "Genu" from the model, not the host */
	CHECK_EQ((uint32_t)r.rdx, 0x49656e69);
	CHECK_EQ((uint32_t)r.rcx, 0x6c65746e);

	CHECK(run_to_step(&g, 6) == 0);
	e->ops->get_sregs(e, &sr);
	CHECK_EQ(sr.cs.selector, 0x10);
	CHECK_EQ(*q(&g, RESULTS + 0x00), PF_PAGE);		/* CR2 */
	CHECK_EQ(*q(&g, RESULTS + 0x08), 4);			/* user, read, not present */
	CHECK_EQ(*q(&g, RESULTS + 0x10), SG_PF_INSN);
	CHECK_EQ(*q(&g, RESULTS + 0x18), 0x33);
	CHECK_EQ(*q(&g, RESULTS + 0x20), 0x13246);	/* RF (a fault), ZF PF from xor eax,eax */
	CHECK_EQ(*q(&g, RESULTS + 0x28), 0x7000);
	CHECK_EQ(*q(&g, RESULTS + 0x30), 0x2b);
	CHECK_EQ(*q(&g, RESULTS + 0x38), KSTACK - 7 * 8);	/* on TSS.RSP0: frame, error, rax */

	CHECK(run_to_step(&g, 7) == 0);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.r14, PF_MAGIC);

	/* SYSCALL, then SYSRET (emulated: Unicorn's model lacks EFER.SCE) back to CPL3. */
	CHECK(run_to_step(&g, 8) == 0);
	CHECK(run_to_step(&g, 9) == 0);
	e->ops->get_regs(e, &r);
	e->ops->get_sregs(e, &sr);
	CHECK_EQ(sr.cs.selector, 0x33);
	CHECK_EQ(sr.cs.dpl, 3);
	CHECK(sr.cs.l);
	CHECK_EQ(sr.ss.selector, 0x2b);
	CHECK_EQ(r.rcx, SG_AFTER_SYSRET);
	CHECK_EQ(r.rflags & ~0xffULL, r.r11 & ~0xffULL);
	CHECK_EQ(r.rflags & 0x200, 0x200);
	guest_destroy(&g);
}

struct value_log {
	int n;
	enum soft_value_kind kind[4];
	uint64_t icount[4];
};

static uint64_t log_value(void *ctx, enum soft_value_kind kind, uint64_t icount, uint64_t dflt)
{
	struct value_log *l = ctx;
	(void)dflt;
	if (l->n < 4) {
		l->kind[l->n] = kind;
		l->icount[l->n] = icount;
	}
	l->n++;
	return kind == SOFT_VALUE_RDTSC ? 0x0123456789abcdefULL : 0x5555aaaa5555aaaaULL;
}

TEST(rdtsc_rdrand_from_the_value_source)
{
	struct guest g;
	struct kvm_regs r;
	struct value_log log = { 0 };
	CHECK(guest_create(&g, make_soft) == 0);
	CHECK(run_to_step(&g, 7) == 0);
	uint64_t at7 = soft_engine_icount(g.e);
	/* Default: a function of the instruction count, never the host's TSC. */
	CHECK(run_to_step(&g, 8) == 0);
	g.e->ops->get_regs(g.e, &r);
	CHECK_EQ(r.r13, at7 * SOFT_TSC_PER_INSN);
	guest_destroy(&g);

	CHECK(guest_create(&g, make_soft) == 0);
	soft_engine_set_value_source(g.e, log_value, &log);
	CHECK(run_to_step(&g, 8) == 0);
	g.e->ops->get_regs(g.e, &r);
	CHECK_EQ(r.r13, 0x0123456789abcdefULL);
	CHECK_EQ(r.rsi, 0x5555aaaa5555aaaaULL);
	CHECK_EQ(r.rflags & 1, 1);	/* RDRAND's CF: a value was ready */
	CHECK_EQ(log.n, 2);
	CHECK_EQ(log.kind[0], SOFT_VALUE_RDTSC);
	CHECK_EQ(log.kind[1], SOFT_VALUE_RDRAND);
	CHECK_EQ(log.icount[0], at7);
	CHECK_EQ(log.icount[1], at7 + 4);
	guest_destroy(&g);
}

TEST(injected_interrupt_in_cpl3_returns_with_iretq)
{
	struct guest g;
	struct vm_exit x;
	struct kvm_regs r;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 9) == 0);
	struct soft_stop st = { .icount = soft_engine_icount(e) + 1000 };
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
	CHECK(e->ops->interruptible(e));
	e->ops->get_regs(e, &r);
	uint64_t r12 = r.r12;
	uint64_t rip = r.rip;
	CHECK(e->ops->inject_irq(e, 0x20) == 0);
	/* Delivered when the next run starts, as KVM does: one at a time. */
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, rip);
	CHECK(!e->ops->interruptible(e));
	CHECK(e->ops->inject_irq(e, 0x21) == -EBUSY);
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP };
	dbg.arch.debugreg[0] = SG_IRQ_HANDLER;
	dbg.arch.debugreg[7] = 1;
	CHECK(e->ops->set_guest_debug(e, &dbg) == 0);
	CHECK(e->ops->run(e, &x) == 0);	/* a breakpoint on the handler's first instruction */
	CHECK_EQ(x.reason, EXIT_DEBUG);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, SG_IRQ_HANDLER);
	CHECK_EQ(r.rflags & 0x200, 0);	/* interrupt gate */
	dbg.control = 0;
	CHECK(e->ops->set_guest_debug(e, &dbg) == 0);
	st.icount = soft_engine_icount(e) + 1000;
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
	CHECK_EQ(*q(&g, RESULTS + 0x40), 1);
	CHECK_EQ(*q(&g, RESULTS + 0x58), 0x33);
	CHECK(*q(&g, RESULTS + 0x50) >= SG_USER_LOOP && *q(&g, RESULTS + 0x50) < SG_SYSCALL_ENTRY);
	CHECK_EQ(*q(&g, RESULTS + 0x48), KSTACK - 6 * 8);
	e->ops->get_regs(e, &r);
	CHECK(r.r12 > r12);
	CHECK_EQ(r.rflags & 0x200, 0x200);
	guest_destroy(&g);
}

TEST(irq_window_after_sti_shadow)
{
	struct guest g;
	struct vm_exit x;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 4) == 0);	/* in the syscall handler, IF=0 */
	CHECK(!e->ops->interruptible(e));
	CHECK(e->ops->inject_irq(e, 0x20) == -EBUSY);
	e->ops->request_irq_window(e, true);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_IRQ_WINDOW);	/* back at CPL3 after iretq */
	CHECK(e->ops->interruptible(e));
	struct kvm_sregs sr;
	e->ops->get_sregs(e, &sr);
	CHECK_EQ(sr.cs.selector, 0x33);
	e->ops->request_irq_window(e, false);
	guest_destroy(&g);
}

static bool same_machine(struct guest *a, struct guest *b)
{
	struct kvm_regs ra, rb;
	struct kvm_sregs sa, sb;
	a->e->ops->get_regs(a->e, &ra);
	b->e->ops->get_regs(b->e, &rb);
	a->e->ops->get_sregs(a->e, &sa);
	b->e->ops->get_sregs(b->e, &sb);
	return !memcmp(&ra, &rb, sizeof(ra)) && !memcmp(&sa, &sb, sizeof(sa)) &&
	       !memcmp(a->mem.host, b->mem.host, RAM_SIZE);
}

/* The stop replay arms through the engine's ops (set_icount_stop, then run) falls at exactly
 * that instruction count, where the recording delivered its interrupt: one late would deliver
 * it after another instruction, which no digest need see. */
TEST(run_stops_at_exactly_the_instruction_count_set)
{
	struct guest g;
	struct vm_exit x;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 9) == 0);
	uint64_t target = soft_engine_icount(e) + 1000;
	CHECK(e->ops->set_icount_stop(e, target) == 0);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
	CHECK_EQ(e->ops->icount(e), target);
	guest_destroy(&g);
}

TEST(exact_instruction_counts_are_deterministic)
{
	struct guest a, b;
	struct vm_exit x;
	CHECK(guest_create(&a, make_soft) == 0);
	CHECK(guest_create(&b, make_soft) == 0);
	CHECK(run_to_step(&a, 9) == 0);
	CHECK(run_to_step(&b, 9) == 0);
	CHECK_EQ(soft_engine_icount(a.e), soft_engine_icount(b.e));
	CHECK(same_machine(&a, &b));

	/* One engine in one stretch, the other in odd slices: same count, same state. */
	uint64_t target = soft_engine_icount(a.e) + 123457;
	struct soft_stop st = { .icount = target };
	CHECK(soft_engine_run_until(a.e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
	CHECK_EQ(soft_engine_icount(a.e), target);
	while (soft_engine_icount(b.e) < target) {
		uint64_t next = soft_engine_icount(b.e) + 997;
		st.icount = next < target ? next : target;
		CHECK(soft_engine_run_until(b.e, &st, &x) == 0);
		CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
		CHECK_EQ(soft_engine_icount(b.e), st.icount);
	}
	CHECK(same_machine(&a, &b));
	/* The loop is 3 instructions: r12 counts its iterations. */
	struct kvm_regs r;
	a.e->ops->get_regs(a.e, &r);
	CHECK(r.r12 >= 123457 / 3 - 1 && r.r12 <= 123457 / 3 + 1);
	guest_destroy(&a);
	guest_destroy(&b);
}

static bool r12_is_100(struct engine *e, void *ctx)
{
	struct kvm_regs r;
	(void)ctx;
	e->ops->get_regs(e, &r);
	return r.r12 == 100;
}

TEST(stop_at_address_and_predicate)
{
	struct guest g;
	struct vm_exit x;
	struct kvm_regs r;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 9) == 0);
	struct soft_stop st = { .at_addr = true, .addr = SG_USER_LOOP };
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	CHECK_EQ(x.debug.pc, SG_USER_LOOP);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, SG_USER_LOOP);
	CHECK_EQ(r.r12, 0);
	uint64_t base = soft_engine_icount(e);

	st.pred = r12_is_100;
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, SG_USER_LOOP);
	CHECK_EQ(r.r12, 100);
	CHECK_EQ(soft_engine_icount(e), base + 300);
	guest_destroy(&g);
}

/* A stop in the middle of a block counted whole: the block stays counted whole (no
 * per-instruction hook on the loop), the stop comes exactly before the instruction, and only
 * where the general registers asked for hold. */
TEST(stop_inside_a_block_counted_whole)
{
	struct guest g;
	struct vm_exit x;
	struct kvm_regs r;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 9) == 0);
	struct soft_stop st = { .at_addr = true, .addr = SG_USER_LOOP };
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.r12, 0);
	uint64_t base = soft_engine_icount(e), whole = soft_engine_whole_blocks(e);

	/* After the inc of pass 100000: r11 holds the sum of 1..99999. */
	const uint64_t n = 100000;
	struct kvm_regs want = r;
	want.r12 = n;
	want.r11 = r.r11 + (n - 1) * n / 2;
	st.addr = SG_USER_LOOP + 3;	/* the add after inc */
	st.gprs = (const uint64_t *)&want.rax;	/* RAX..R15 lead struct kvm_regs */
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	CHECK_EQ(x.debug.pc, SG_USER_LOOP + 3);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, SG_USER_LOOP + 3);
	CHECK_EQ(r.r12, n);
	CHECK_EQ(r.r11, want.r11);
	CHECK_EQ(soft_engine_icount(e), base + 3 * (n - 1) + 1);
	CHECK(soft_engine_whole_blocks(e) - whole >= n - 2);

	/* Without registers, with a predicate: it is asked at every pass, and a false answer
	 * runs on from right there. */
	base = soft_engine_icount(e);
	st.gprs = NULL;
	st.pred = r12_is_100;
	CHECK(e->ops->set_regs(e, &(struct kvm_regs){ .rip = r.rip, .rflags = r.rflags, .rsp = r.rsp, .r12 = 90 }) == 0);
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, SG_USER_LOOP + 3);
	CHECK_EQ(r.r12, 100);
	CHECK_EQ(soft_engine_icount(e), base + 30);
	guest_destroy(&g);
}

/* A block counted whole that was translated before a stop address in it was given (by a run
 * without stops, so no hook): it is translated again with the stop's hook, and stops. */
TEST(stop_address_in_a_block_translated_before)
{
	struct guest g;
	struct vm_exit x;
	struct kvm_regs r;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 9) == 0);
	/* xor %r12d, %r12d, then 1000 passes of the loop: whole blocks, ending at a block's end. */
	struct soft_stop st = { .icount = soft_engine_icount(e) + 1 + 3 * 1000 };
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, SG_USER_LOOP);
	CHECK_EQ(r.r12, 1000);
	uint64_t base = soft_engine_icount(e);

	struct kvm_regs want = r;	/* after the inc of the 10th pass from here */
	want.r12 = 1010;
	want.r11 = r.r11 + 9 * 1005;
	st = (struct soft_stop){ .icount = base + 1000, .at_addr = true, .addr = SG_USER_LOOP + 3,
				 .gprs = (const uint64_t *)&want.rax };
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, SG_USER_LOOP + 3);
	CHECK_EQ(r.r12, 1010);
	CHECK_EQ(soft_engine_icount(e), base + 3 * 9 + 1);
	guest_destroy(&g);
}

TEST(single_step_and_hardware_breakpoint)
{
	struct guest g;
	struct vm_exit x;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 9) == 0);
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };
	CHECK(e->ops->set_guest_debug(e, &dbg) == 0);
	uint64_t n = soft_engine_icount(e);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	CHECK(x.debug.dr6 & (1 << 14));
	CHECK_EQ(soft_engine_icount(e), n + 1);

	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	dbg.arch.debugreg[1] = SG_USER_LOOP + 3;	/* the add after inc */
	dbg.arch.debugreg[7] = 1 << 2;			/* L1, execute */
	CHECK(e->ops->set_guest_debug(e, &dbg) == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(e->ops->run(e, &x) == 0);
		CHECK_EQ(x.reason, EXIT_DEBUG);
		CHECK_EQ(x.debug.pc, SG_USER_LOOP + 3);
		CHECK(x.debug.dr6 & 2);
	}
	guest_destroy(&g);
}

static void *kicker(void *arg)
{
	struct engine *e = arg;
	usleep(20000);
	e->ops->kick(e);
	return NULL;
}

TEST(kick_stops_a_running_guest)
{
	struct guest g;
	struct vm_exit x;
	pthread_t t;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 9) == 0);
	uint64_t n = soft_engine_icount(e);
	CHECK(pthread_create(&t, NULL, kicker, e) == 0);
	CHECK(e->ops->run(e, &x) == 0);
	pthread_join(t, NULL);
	CHECK_EQ(x.reason, EXIT_KICKED);
	CHECK(soft_engine_icount(e) > n);
	/* The stop is at an instruction boundary inside the loop; it runs on from there. */
	struct kvm_regs r;
	e->ops->get_regs(e, &r);
	CHECK(r.rip >= SG_USER_LOOP && r.rip < SG_SYSCALL_ENTRY);
	struct soft_stop st = { .icount = soft_engine_icount(e) + 10 };
	CHECK(soft_engine_run_until(e, &st, &x) == 0);
	CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
	/* A kick while not running makes the next run return at once. */
	e->ops->kick(e);
	n = soft_engine_icount(e);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_KICKED);
	CHECK_EQ(soft_engine_icount(e), n);
	guest_destroy(&g);
}

/* State moved out of one engine and into a fresh one continues identically. */
TEST(state_moves_between_engines)
{
	struct guest a, b;
	struct kvm_regs r;
	struct kvm_sregs sr;
	struct kvm_fpu fpu;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[8];
	} m = { .h.nmsrs = 5 };
	uint32_t idx[5] = { 0xc0000081, 0xc0000082, 0xc0000084, 0xc0000102, 0x10 };
	for (int i = 0; i < 5; i++)
		m.e[i].index = idx[i];
	CHECK(guest_create(&a, make_soft) == 0);
	CHECK(guest_create(&b, make_soft) == 0);
	CHECK(run_to_step(&a, 3) == 0);	/* CPL3 */
	memcpy(b.mem.host, a.mem.host, RAM_SIZE);
	a.e->ops->get_regs(a.e, &r);
	a.e->ops->get_sregs(a.e, &sr);
	a.e->ops->get_fpu(a.e, &fpu);
	a.e->ops->get_msrs(a.e, &m.h);
	CHECK(b.e->ops->set_sregs(b.e, &sr) == 0);
	CHECK(b.e->ops->set_regs(b.e, &r) == 0);
	CHECK(b.e->ops->set_fpu(b.e, &fpu) == 0);
	CHECK(b.e->ops->set_msrs(b.e, &m.h) == 0);
	soft_engine_set_icount(b.e, soft_engine_icount(a.e));
	struct kvm_sregs sb;
	b.e->ops->get_sregs(b.e, &sb);
	CHECK(!memcmp(&sr, &sb, sizeof(sr)));
	CHECK(run_to_step(&a, 9) == 0);
	CHECK(run_to_step(&b, 9) == 0);
	CHECK_EQ(soft_engine_icount(a.e), soft_engine_icount(b.e));
	CHECK(same_machine(&a, &b));
	guest_destroy(&a);
	guest_destroy(&b);
}

TEST(complete_io_retires_a_pending_in)
{
	struct guest g;
	struct vm_exit x;
	struct kvm_regs r;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 3) == 0);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_IO);
	CHECK(!x.io.write);
	x.io.data[0] = IN_VALUE;
	uint64_t n = soft_engine_icount(e);
	e->ops->get_regs(e, &r);
	uint64_t in_rip = r.rip;
	CHECK(e->ops->complete_io(e) == 0);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rip, in_rip + 2);
	CHECK_EQ(r.rax & 0xff, IN_VALUE);
	CHECK_EQ(soft_engine_icount(e), n + 1);
	CHECK(e->ops->complete_io(e) == 0);	/* nothing pending: no effect */
	CHECK_EQ(soft_engine_icount(e), n + 1);
	/* The in does not exit again. */
	CHECK(e->ops->run(e, &x) == 0);
	CHECK(is_step(&x, 4));
	guest_destroy(&g);
}

TEST(dirty_log_names_written_pages)
{
	struct guest g;
	uint64_t bitmap[RAM_SIZE / PAGE_SIZE / 64];
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	g.mem.host[0x30000] = 1;	/* a VMM write (DMA) counts too */
	CHECK(e->ops->get_dirty_log(e, bitmap) == 0);
	CHECK_EQ(bitmap[0], 1ULL << 0x30);
	CHECK(run_to_step(&g, 5) == 0);
	CHECK(e->ops->get_dirty_log(e, bitmap) == 0);
	CHECK(run_to_step(&g, 6) == 0);	/* the #PF handler writes results and a PTE */
	CHECK(e->ops->get_dirty_log(e, bitmap) == 0);
	CHECK(bitmap[0] & (1ULL << (RESULTS >> 12)));
	CHECK(bitmap[0] & (1ULL << 0x13));
	CHECK(bitmap[0] & (1ULL << ((KSTACK - 1) >> 12)));
	CHECK(!(bitmap[0] & (1ULL << 0x10)));		/* PML4: only read */
	CHECK(!(bitmap[PF_PAGE >> 18] & (1ULL << ((PF_PAGE >> 12) % 64))));
	guest_destroy(&g);
}

/* PVM, this project's kvm, has quirks the comparison masks (docs/guest.md, PLATFORM.md): it
 * reports IOPL 0 at CPL3 whatever the guest set (so saved RFLAGS images differ too); after
 * SYSCALL its sregs still say CPL3 and, back at CPL3, its RFLAGS say IF=0; CPUID at CPL3
 * answers the host's values, not the model's. */
#define IOPL 0x3000ULL

static void mask_quirks(struct kvm_regs *r, struct kvm_sregs *sr, uint8_t *results, int step)
{
	r->rflags &= ~IOPL;
	r->r11 &= ~IOPL;	/* SYSCALL's copy of RFLAGS */
	*(uint64_t *)(results + 0x20) &= ~IOPL;		/* the #PF frame's RFLAGS */
	*(uint64_t *)(results + 0x110) &= ~IOPL;	/* the syscall handler's R11 */
	*(uint64_t *)(results + 0xf00 - 24) &= ~IOPL;	/* ... and its iretq frame's RFLAGS */
	*(uint64_t *)(results + 0xfe8) &= ~IOPL;	/* a fault frame's RFLAGS on the kernel stack */
	if (step == 4)
		sr->cs.selector = sr->ss.selector = 0;
	if (step >= 5) {
		r->rflags &= ~0x200ULL;
		r->rbx = r->rcx = r->rdx = 0;
		*(uint64_t *)(results + 0x20) &= ~0x200ULL;	/* the IF quirk in the #PF frame */
		*(uint64_t *)(results + 0xfe8) &= ~(IOPL | 0x200ULL);	/* same, on the stack */
	}
}

static bool same_as_kvm(struct guest *a, struct guest *b, int step)
{
	struct kvm_regs r[2];
	struct kvm_sregs sr[2];
	uint8_t results[2][PAGE_SIZE];
	struct guest *g[2] = { a, b };
	bool same = true;
	for (int i = 0; i < 2; i++) {
		g[i]->e->ops->get_regs(g[i]->e, &r[i]);
		g[i]->e->ops->get_sregs(g[i]->e, &sr[i]);
		memcpy(results[i], g[i]->mem.host + RESULTS, PAGE_SIZE);
		mask_quirks(&r[i], &sr[i], results[i], step);
	}
	const uint64_t *x = (const uint64_t *)&r[0], *y = (const uint64_t *)&r[1];
	for (size_t i = 0; i < sizeof(r[0]) / 8; i++)
		if (x[i] != y[i]) {
			printf("  step %d: regs word %zu: soft %#llx, kvm %#llx\n", step, i,
			       (unsigned long long)x[i], (unsigned long long)y[i]);
			same = false;
		}
	if (sr[0].cs.selector != sr[1].cs.selector || sr[0].ss.selector != sr[1].ss.selector ||
	    sr[0].cr0 != sr[1].cr0 || sr[0].cr2 != sr[1].cr2 || sr[0].cr3 != sr[1].cr3 ||
	    sr[0].cr4 != sr[1].cr4 || sr[0].efer != sr[1].efer) {
		printf("  step %d: sregs differ (cs %#x/%#x ss %#x/%#x efer %#llx/%#llx)\n", step,
		       sr[0].cs.selector, sr[1].cs.selector, sr[0].ss.selector, sr[1].ss.selector,
		       (unsigned long long)sr[0].efer, (unsigned long long)sr[1].efer);
		same = false;
	}
	for (int i = 0; i < (int)PAGE_SIZE; i += 8)
		if (memcmp(results[0] + i, results[1] + i, 8)) {
			printf("  step %d: results+%#x: soft %#llx, kvm %#llx\n", step, i,
			       *(unsigned long long *)(results[0] + i),
			       *(unsigned long long *)(results[1] + i));
			same = false;
		}
	for (uint64_t p = 0; p < RAM_SIZE; p += PAGE_SIZE)
		if (p != RESULTS && memcmp(a->mem.host + p, b->mem.host + p, PAGE_SIZE)) {
			printf("  step %d: page %#llx differs\n", step, (unsigned long long)p);
			same = false;
		}
	return same;
}

/* The first differential test: the same guest under soft and kvm, registers, control
 * registers and all of RAM compared at every step before RDTSC (which kvm cannot trap).
 * Skipped where the kvm engine cannot be created. */
TEST(soft_matches_kvm_step_by_step)
{
	struct guest s, k;
	CHECK(guest_create(&s, make_soft) == 0);
	if (guest_create(&k, kvm_engine_create)) {
		printf("  kvm engine unavailable (%s): comparison not run\n", k.err);
		guest_destroy(&k);
		guest_destroy(&s);
		return;
	}
	for (int step = 1; step <= 7; step++) {
		CHECK(run_to_step(&s, step) == 0);
		CHECK(run_to_step(&k, step) == 0);
		CHECK(same_as_kvm(&s, &k, step));
	}
	guest_destroy(&s);
	guest_destroy(&k);
}

/* LSTAR through the higher-half alias of the guest's code: the same bytes, supervisor-only
 * (its PDPT entry has no U bit), as a real kernel's entry is. */
#define LSTAR_SUPERVISOR (0xffffffff80000000ULL + SG_SYSCALL_ENTRY)

static int set_lstar(struct guest *g, uint64_t lstar)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[1];
	} m = { .h.nmsrs = 1, .e[0] = { .index = 0xc0000082, .data = lstar } };
	return g->e->ops->set_msrs(g->e, &m.h);
}

/* Both engines at the guest's CPL3 step, with the guest's kernel entry supervisor-only, and
 * the soft engine standing in for this host. 1 ready; 0 no kvm engine here (skip) and -1
 * failed, both with the guests destroyed. */
static int pvm_pair(struct guest *s, struct guest *k)
{
	int ready = -1;
	memset(k, 0, sizeof(*k));
	if (guest_create(s, make_soft))
		goto out;
	soft_engine_set_syscall_model(s->e, SOFT_SYSCALL_PVM);
	if (guest_create(k, kvm_engine_create)) {
		printf("  kvm engine unavailable (%s): comparison not run\n", k->err);
		ready = 0;
		goto out;
	}
	if (!run_to_step(s, 3) && !run_to_step(k, 3) && !set_lstar(s, LSTAR_SUPERVISOR) &&
	    !set_lstar(k, LSTAR_SUPERVISOR))
		return 1;
out:
	guest_destroy(k);
	guest_destroy(s);
	return ready;
}

/* PVM's SYSCALL (docs/platform.md) against this host's kvm, where that is what kvm does: the
 * guest's SYSCALL, at CPL3 with its kernel entry supervisor-only, reaches the kernel through a
 * #PF at LSTAR from CPL3, and the handler's iretq back to LSTAR faults the same way again. Same
 * registers, segments, control registers, fault frame and RAM on both engines, twice. */
TEST(pvm_syscall_matches_kvm)
{
	struct guest s, k;
	int ready = pvm_pair(&s, &k);
	CHECK(ready >= 0);
	if (!ready)
		return;
	for (int fault = 0; fault < 2; fault++) {
		CHECK(run_to_step(&s, 6) == 0);
		CHECK(run_to_step(&k, 6) == 0);
		CHECK(same_as_kvm(&s, &k, 3));
		/* The one difference the landing search makes up for (core/landing_search.c): this
		 * host's iretq to CPL3 kept the kernel's DS and ES, the manual's nulls them. */
		struct kvm_sregs ss, ks;
		s.e->ops->get_sregs(s.e, &ss);
		k.e->ops->get_sregs(k.e, &ks);
		CHECK_EQ(ss.ds.selector, 0);
		CHECK_EQ(ks.ds.selector, 0x18);
		CHECK_EQ(*q(&s, RESULTS + 0x00), LSTAR_SUPERVISOR);	/* CR2 */
		CHECK_EQ(*q(&s, RESULTS + 0x08) & 7, 5);		/* present, user, read */
		CHECK_EQ(*q(&s, RESULTS + 0x10), LSTAR_SUPERVISOR);	/* RIP */
		CHECK_EQ(*q(&s, RESULTS + 0x18), 0x33);			/* CS: still CPL3 */
		CHECK_EQ(*q(&s, RESULTS + 0x20) & 0x10200, 0x10000);	/* RF set, IF masked */
	}
	guest_destroy(&s);
	guest_destroy(&k);
}

/* SYSRET from CPL0 back to CPL3 (the kernel reached through PVM's #PF entry) does on this
 * host what the manual says (measured 2026-12-07; docs/platform.md), as on the soft engine. */
TEST(pvm_sysret_matches_kvm)
{
	static const uint8_t sysretq[] = { 0x48, 0x0f, 0x07 };
	struct guest s, k;
	int ready = pvm_pair(&s, &k);
	CHECK(ready >= 0);
	if (!ready)
		return;
	struct guest *g[2] = { &s, &k };
	for (int i = 0; i < 2; i++) {
		struct kvm_regs r;
		CHECK(run_to_step(g[i], 6) == 0);	/* CPL0, in the #PF handler */
		memcpy(g[i]->mem.host + DIFF_CODE, sysretq, sizeof(sysretq));
		g[i]->e->ops->get_regs(g[i]->e, &r);
		r.rip = DIFF_CODE;
		r.rcx = SG_AFTER_SYSRET;
		r.r11 = 0x246;
		CHECK(g[i]->e->ops->set_regs(g[i]->e, &r) == 0);
		CHECK(run_to_step(g[i], 9) == 0);
	}
	CHECK(same_as_kvm(&s, &k, 3));
	struct kvm_sregs sr;
	s.e->ops->get_sregs(s.e, &sr);
	CHECK_EQ(sr.cs.selector, 0x33);
	guest_destroy(&s);
	guest_destroy(&k);
}

/* ---- random instruction sequences at CPL3: kvm (native) against soft ---- */

#define DIFF_DATA 0x50000ULL	/* rbx points here: [rbx + disp8] stays in this page */
#define DIFF_STACK 0x61000ULL	/* rsp: pushes and pops are balanced */
#define DIFF_SEQS 400

struct gen {
	uint64_t rng;
	uint8_t *p;
	size_t n;
};

static uint64_t rnd(struct gen *g)
{
	uint64_t x = (g->rng += 0x9e3779b97f4a7c15ULL);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void emit(struct gen *g, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		g->p[g->n++] = (uint8_t)va_arg(ap, int);
	va_end(ap);
}

static void emit64(struct gen *g, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		g->p[g->n++] = (uint8_t)(v >> (8 * i));
}

/* A register the sequence may overwrite: not RSP (4) nor RBX (3, the data pointer). */
static int reg(struct gen *g)
{
	static const int ok[] = { 0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	return ok[rnd(g) % 14];
}

static void rex(struct gen *g, bool w, int r, int x, int b, bool always)
{
	uint8_t v = (uint8_t)(0x40 | (w ? 8 : 0) | ((r >> 3) << 2) | ((x >> 3) << 1) | (b >> 3));
	if (v != 0x40 || always)
		emit(g, 1, v);
}

/* op r/m, r with both registers (mod 3). */
static void op_rr(struct gen *g, bool w, int op, int r, int rm)
{
	rex(g, w, r, 0, rm, false);
	emit(g, 2, op, 0xc0 | ((r & 7) << 3) | (rm & 7));
}

/* op with [rbx + disp8], disp8 a multiple of 8 in [0, 0x78] (a signed byte: no higher). */
static void op_rm(struct gen *g, bool w, int op, int r)
{
	rex(g, w, r, 0, 3, false);
	emit(g, 3, op, 0x43 | ((r & 7) << 3), (int)(rnd(g) % 16) * 8);
}

static void op0f_rr(struct gen *g, bool w, int op, int r, int rm)
{
	rex(g, w, r, 0, rm, false);
	emit(g, 3, 0x0f, op, 0xc0 | ((r & 7) << 3) | (rm & 7));
}

/* One instruction (or a short idiom) from the families the differential test covers. Every
 * flag a later instruction reads is defined: only CF (ADC, SBB, RCL, RCR) and the flags CMP
 * sets right before SETcc/CMOVcc are read. */
static void gen_insn(struct gen *g)
{
	static const uint8_t alu[] = { 0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39 };
	bool w = rnd(g) & 1;
	int r = reg(g), r2 = reg(g);
	switch (rnd(g) % 20) {
	case 0:	/* ALU r, r */
		op_rr(g, w, alu[rnd(g) % 8], r, r2);
		break;
	case 1:	/* ALU r, imm8 / imm32 */
		if (rnd(g) & 1) {
			op_rr(g, w, 0x83, (int)(rnd(g) % 8), r);
			emit(g, 1, (int)rnd(g));
		} else {
			op_rr(g, w, 0x81, (int)(rnd(g) % 8), r);
			emit64(g, rnd(g), 4);
		}
		break;
	case 2:	/* ALU [mem], r and r, [mem] */
		op_rm(g, w, alu[rnd(g) % 8] | (rnd(g) & 2), r);
		break;
	case 3:	/* shifts and rotates by an immediate (/6 is an alias, left out) */
		op_rr(g, w, 0xc1, (int)"\0\1\2\3\4\5\7"[rnd(g) % 7], r);
		emit(g, 1, (int)(rnd(g) % 64));
		break;
	case 4:	/* ... by CL */
		op_rr(g, w, 0xd3, (int)"\0\1\2\3\4\5\7"[rnd(g) % 7], r);
		break;
	case 5:	/* MUL/IMUL rdx:rax, IMUL r, r, IMUL r, r, imm8 */
		switch (rnd(g) % 3) {
		case 0: op_rr(g, w, 0xf7, 4 + (int)(rnd(g) & 1), r); break;
		case 1: op0f_rr(g, w, 0xaf, r, r2); break;
		default: op_rr(g, w, 0x6b, r, r2); emit(g, 1, (int)rnd(g)); break;
		}
		break;
	case 6: {	/* DIV/IDIV by a small positive divisor; CLC defines CF again */
		do
			r = reg(g);
		while (r == 0 || r == 2);
		op_rr(g, w, 0x83, 4, r);	/* and r, 0x7f */
		emit(g, 1, 0x7f);
		op_rr(g, w, 0x83, 1, r);	/* or r, 1 */
		emit(g, 1, 1);
		bool sign = rnd(g) & 1;
		if (sign)
			emit(g, w ? 2 : 1, w ? 0x48 : 0x99, 0x99);	/* cqo / cdq */
		else
			op_rr(g, false, 0x31, 2, 2);	/* xor edx, edx */
		op_rr(g, w, 0xf7, sign ? 7 : 6, r);
		emit(g, 1, 0xf8);
		break;
	}
	case 7:	/* INC DEC (FF /0 /1), NOT NEG (F7 /2 /3) */
		if (rnd(g) & 1)
			op_rr(g, w, 0xff, (int)(rnd(g) & 1), r);
		else
			op_rr(g, w, 0xf7, 2 + (int)(rnd(g) & 1), r);
		break;
	case 8: {	/* string instructions, with and without REP */
		static const uint8_t ops[] = { 0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad, 0xa6, 0xae };
		emit(g, 4, 0x48, 0x8d, 0x73, (int)(rnd(g) % 16) * 8);	/* lea rsi, [rbx+d] */
		emit(g, 4, 0x48, 0x8d, 0x7b, (int)(rnd(g) % 16) * 8);	/* lea rdi, [rbx+d] */
		emit(g, 1, 0xb9);					/* mov ecx, n */
		emit64(g, rnd(g) % 9, 4);
		emit(g, 1, 0xfc);					/* cld */
		uint8_t op = ops[rnd(g) % 8];
		if (rnd(g) % 4)
			emit(g, 1, (op == 0xa6 || op == 0xae) && (rnd(g) & 1) ? 0xf2 : 0xf3);
		if ((op & 1) && (rnd(g) & 1))
			emit(g, 1, 0x48);
		emit(g, 1, op);
		break;
	}
	case 9:	/* STC CLC CMC */
		emit(g, 1, (int)"\xf9\xf8\xf5"[rnd(g) % 3]);
		break;
	case 10:	/* balanced stack traffic */
		if (rnd(g) & 1) {
			rex(g, false, 0, 0, r, false);
			emit(g, 1, 0x50 | (r & 7));
		} else {
			emit(g, 2, 0x6a, (int)rnd(g));
		}
		rex(g, false, 0, 0, r2, false);
		emit(g, 1, 0x58 | (r2 & 7));
		break;
	case 11:	/* MOV r, imm64 / imm32 */
		rex(g, w, 0, 0, r, false);
		emit(g, 1, 0xb8 | (r & 7));
		emit64(g, rnd(g), w ? 8 : 4);
		break;
	case 12:	/* MOVZX, MOVSX, MOVSXD */
		switch (rnd(g) % 3) {
		case 0: op0f_rr(g, w, 0xb6 | (rnd(g) & 1), r, r2 & ~4); break;
		case 1: op0f_rr(g, w, 0xbe | (rnd(g) & 1), r, r2 & ~4); break;
		default: op_rr(g, true, 0x63, r, r2); break;
		}
		break;
	case 13: {	/* LEA r, [base + index*scale + disp8] */
		int base = reg(g), index = reg(g);
		rex(g, w, r, index, base, false);
		emit(g, 4, 0x8d, 0x44 | ((r & 7) << 3),
		     (int)((rnd(g) % 4) << 6 | (index & 7) << 3 | (base & 7)), (int)rnd(g));
		break;
	}
	case 14:	/* XCHG, BSWAP, BT/BTS/BTR/BTC */
		switch (rnd(g) % 3) {
		case 0: op_rr(g, w, 0x87, r, r2); break;
		case 1: rex(g, w, 0, 0, r, false); emit(g, 2, 0x0f, 0xc8 | (r & 7)); break;
		default: op0f_rr(g, w, (int)"\xa3\xab\xb3\xbb"[rnd(g) % 4], r2, r); break;
		}
		break;
	case 15: {	/* CMP, then SETcc or CMOVcc on its flags */
		int cc = (int)(rnd(g) % 16);
		op_rr(g, w, 0x39, r, r2);
		if (rnd(g) & 1) {
			rex(g, false, 0, 0, r, true);	/* REX: SIL/DIL, never AH..BH */
			emit(g, 3, 0x0f, 0x90 | cc, 0xc0 | (r & 7));
		} else {
			op0f_rr(g, w, 0x40 | cc, r2, r);
		}
		break;
	}
	case 16:	/* ADC/SBB r, imm8, RCL/RCR by 1 */
		if (rnd(g) & 1) {
			op_rr(g, w, 0x83, 2 + (int)(rnd(g) & 1), r);
			emit(g, 1, (int)rnd(g));
		} else {
			op_rr(g, w, 0xd1, 2 + (int)(rnd(g) & 1), r);
		}
		break;
	case 17:	/* read-modify-write on memory: INC/DEC/NOT/NEG/SHL by 1 */
		switch (rnd(g) % 3) {
		case 0: op_rm(g, w, 0xff, (int)(rnd(g) & 1)); break;
		case 1: op_rm(g, w, 0xf7, 2 + (int)(rnd(g) & 1)); break;
		default: op_rm(g, w, 0xd1, 4 + (int)(rnd(g) & 1)); break;
		}
		break;
	case 18:	/* XADD, CMPXCHG with memory */
		rex(g, w, r, 0, 3, false);
		emit(g, 4, 0x0f, (rnd(g) & 1) ? 0xc1 : 0xb1, 0x43 | ((r & 7) << 3),
		     (int)(rnd(g) % 16) * 8);
		break;
	default:	/* MOV between registers and memory */
		op_rm(g, w, 0x89 | (rnd(g) & 2), r);
		break;
	}
}

/* Writes sequence i into the guests' shared layout: code, data, registers. */
static void gen_sequence(uint64_t seed, uint8_t *code, uint8_t *data, struct kvm_regs *r,
			 size_t *len)
{
	struct gen g = { .rng = seed, .p = code, .n = 0 };
	int n = 8 + (int)(rnd(&g) % 32);
	for (int i = 0; i < n; i++)
		gen_insn(&g);
	emit(&g, 3, 0x48, 0x01, 0xc8);	/* add rax, rcx: every arithmetic flag defined */
	emit(&g, 2, 0xe6, 0x80);	/* out %al, $0x80: the end */
	*len = g.n;
	for (size_t i = 0; i < PAGE_SIZE; i += 8) {
		uint64_t v = rnd(&g);
		memcpy(data + i, &v, 8);
	}
	__u64 *gpr[] = { &r->rax, &r->rcx, &r->rdx, &r->rbp, &r->rsi, &r->rdi, &r->r8, &r->r9,
			    &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
	for (size_t i = 0; i < sizeof(gpr) / sizeof(gpr[0]); i++)
		*gpr[i] = (rnd(&g) & 1) ? rnd(&g) : rnd(&g) % 300;
	r->rbx = DIFF_DATA;
	r->rsp = DIFF_STACK - 0x100;
	r->rip = DIFF_CODE;
	r->rflags = 0x3202 | (rnd(&g) & 0x8d5);	/* IOPL 3, IF, random arithmetic flags */
}

/* Runs one sequence from the current CPL3 state; 0 when it reached its final OUT. */
static int run_sequence(struct guest *g, const uint8_t *code, size_t len, const uint8_t *data,
			const struct kvm_regs *start)
{
	struct vm_exit x;
	memcpy(g->mem.host + DIFF_CODE, code, len);
	memcpy(g->mem.host + DIFF_DATA, data, PAGE_SIZE);
	memset(g->mem.host + DIFF_STACK - PAGE_SIZE, 0, PAGE_SIZE);
	if (engine_is_soft(g->e))
		soft_engine_invalidate(g->e, DIFF_CODE, len);
	if (g->e->ops->set_regs(g->e, start) || g->e->ops->run(g->e, &x))
		return -1;
	if (x.reason != EXIT_IO || x.io.port != 0x80) {
		printf("  exit %d (port %#x) instead of the final out\n", x.reason, x.io.port);
		return -1;
	}
	return 0;
}

static bool same_result(struct guest *s, struct guest *k, uint64_t seed)
{
	struct kvm_regs r[2];
	s->e->ops->get_regs(s->e, &r[0]);
	k->e->ops->get_regs(k->e, &r[1]);
	for (int i = 0; i < 2; i++)
		r[i].rflags &= ~(IOPL | (1ULL << 16));	/* PVM's IOPL; RF */
	bool same = true;
	const uint64_t *a = (const uint64_t *)&r[0], *b = (const uint64_t *)&r[1];
	for (size_t i = 0; i < sizeof(r[0]) / 8; i++)
		if (a[i] != b[i]) {
			printf("  sequence %#llx: regs word %zu: soft %#llx, kvm %#llx\n",
			       (unsigned long long)seed, i, (unsigned long long)a[i],
			       (unsigned long long)b[i]);
			same = false;
		}
	if (memcmp(s->mem.host + DIFF_DATA, k->mem.host + DIFF_DATA, PAGE_SIZE) ||
	    memcmp(s->mem.host + DIFF_STACK - PAGE_SIZE, k->mem.host + DIFF_STACK - PAGE_SIZE,
		   PAGE_SIZE)) {
		printf("  sequence %#llx: memory differs\n", (unsigned long long)seed);
		same = false;
	}
	return same;
}

/* Random sequences of integer ALU, shift and rotate, multiply and divide, string, flag and
 * stack instructions, run under kvm and under soft from the same registers and memory, in
 * the mode the guest reached at `step` (3: CPL3, which kvm runs natively here; 2: CPL0,
 * which this host's kvm emulates): the same registers, flags and memory after each. Every
 * `one_every`-th sequence also runs under a second soft engine one instruction per run, which
 * must retire the same number of instructions as the engine that counts whole blocks and end
 * in the same state. */
static void random_sequences(engine_factory make, int step, uint64_t seed0, int nseqs,
			     int one_every, uint64_t *flushes)
{
	struct guest s, k, one;
	uint8_t code[4096], data[PAGE_SIZE];
	struct kvm_regs start;
	CHECK(guest_create(&s, make) == 0);
	CHECK(guest_create(&one, make_soft) == 0);
	CHECK(run_to_step(&s, step) == 0);
	CHECK(run_to_step(&one, step) == 0);
	bool have_kvm = guest_create(&k, kvm_engine_create) == 0 && run_to_step(&k, step) == 0;
	if (!have_kvm)
		printf("  kvm engine unavailable (%s): soft against itself only\n", k.err);
	uint64_t whole0 = soft_engine_whole_blocks(s.e);
	int bad = 0;
	for (int i = 0; i < nseqs && bad < 5; i++) {
		size_t len;
		uint64_t seed = seed0 + (uint64_t)i;
		memset(&start, 0, sizeof(start));
		gen_sequence(seed, code, data, &start, &len);
		uint64_t n0 = soft_engine_icount(s.e);
		CHECK(run_sequence(&s, code, len, data, &start) == 0);
		uint64_t counted = soft_engine_icount(s.e) - n0;
		if (have_kvm) {
			CHECK(run_sequence(&k, code, len, data, &start) == 0);
			bad += !same_result(&s, &k, seed);
		}
		if (i % one_every)
			continue;
		/* Count it again, one instruction per run. */
		memcpy(one.mem.host + DIFF_CODE, code, len);
		memcpy(one.mem.host + DIFF_DATA, data, PAGE_SIZE);
		memset(one.mem.host + DIFF_STACK - PAGE_SIZE, 0, PAGE_SIZE);
		soft_engine_invalidate(one.e, DIFF_CODE, len);
		CHECK(one.e->ops->set_regs(one.e, &start) == 0);
		uint64_t m0 = soft_engine_icount(one.e);
		struct vm_exit x = { .reason = EXIT_INSN_LIMIT };
		while (x.reason == EXIT_INSN_LIMIT) {
			struct soft_stop st = { .icount = soft_engine_icount(one.e) + 1 };
			CHECK(soft_engine_run_until(one.e, &st, &x) == 0);
		}
		CHECK_EQ(x.reason, EXIT_IO);
		CHECK_EQ(soft_engine_icount(one.e) - m0, counted);
		bad += !same_result(&s, &one, seed);
	}
	CHECK_EQ(bad, 0);
	/* The engine under test did count blocks whole in this mode. */
	CHECK(soft_engine_whole_blocks(s.e) - whole0 >= (uint64_t)nseqs);
	*flushes = soft_engine_flushes(s.e);
	if (have_kvm)
		guest_destroy(&k);
	guest_destroy(&one);
	guest_destroy(&s);
}

TEST(random_sequences_match_kvm)
{
	uint64_t flushes;
	random_sequences(make_soft, 3, 0x5eed0000, DIFF_SEQS, 4, &flushes);
}

/* Kernel code is counted in whole blocks too (Linux runs there): the same sequences at
 * CPL0, each also counted one instruction per run. */
TEST(random_kernel_sequences_counted_whole)
{
	uint64_t flushes;
	random_sequences(make_soft, 2, 0x6eed0000, DIFF_SEQS / 2, 1, &flushes);
}

/* Unicorn 2.1.1 crashes after flushing a full code buffer in the middle of a run; the engine
 * flushes it between runs before it can fill. A 1 MiB buffer, filled many times over by
 * sequences of new code: the same results, and the engine did the flushing. */
TEST(small_code_buffer_flushed_between_runs)
{
	uint64_t flushes = 0;
	random_sequences(make_soft_small_buffer, 2, 0x7eed0000, DIFF_SEQS, 8, &flushes);
	CHECK(flushes > 4);
}

/* Puts code at DIFF_CODE and the vCPU (in whatever mode it is) at its start, with a stack. */
static int start_code(struct guest *g, const uint8_t *code, size_t len)
{
	struct kvm_regs r;
	memcpy(g->mem.host + DIFF_CODE, code, len);
	soft_engine_invalidate(g->e, DIFF_CODE, len);
	if (g->e->ops->get_regs(g->e, &r))
		return -1;
	r.rip = DIFF_CODE;
	r.rsp = DIFF_STACK - 0x100;
	return g->e->ops->set_regs(g->e, &r);
}

/* A soft guest in CPL0 long mode, at the start of code (start_code). */
static int cpl0_guest_at(struct guest *g, const uint8_t *code, size_t len)
{
	if (guest_create(g, make_soft) || run_to_step(g, 2))
		return -1;
	return start_code(g, code, len);
}

struct mmio_log {
	int reads, writes;
	uint64_t write_gpa, write_value;
};

static void serve_mmio(void *ctx, uint64_t gpa, uint8_t *data, int size, bool write)
{
	struct mmio_log *log = ctx;
	if (write) {
		log->writes++;
		log->write_gpa = gpa;
		log->write_value = 0;
		memcpy(&log->write_value, data, (size_t)size);
	} else {
		log->reads++;
		memcpy(data, &(uint32_t){ MMIO_VALUE }, (size_t)(size < 4 ? size : 4));
	}
}

/* A kernel driver's MMIO inside a block counted whole: the engine cannot stop before the
 * instruction there, so the access is served in place by the handler; the count and the
 * state are those of the same code run one instruction per run (with MMIO exits). */
TEST(kernel_mmio_inside_a_block_counted_whole)
{
	static const uint8_t code[] = {
		0xb9, 0x00, 0x00, 0x00, 0xd0,		/* mov $0xd0000000, %ecx */
		0x31, 0xdb,				/* xor %ebx, %ebx */
		0x8b, 0x01,				/* mov (%rcx), %eax */
		0x83, 0xc0, 0x01,			/* add $1, %eax */
		0x89, 0x41, 0x10,			/* mov %eax, 0x10(%rcx) */
		0xff, 0xc3,				/* inc %ebx */
		0xeb, 0x00,				/* jmp 1f: the block ends */
		0xe6, 0x80,				/* 1: out %al, $0x80 */
	};
	struct guest g, one;
	struct kvm_regs r, r1;
	struct vm_exit x;
	struct mmio_log log = { 0 };
	CHECK(guest_create(&g, make_soft) == 0);
	CHECK(guest_create(&one, make_soft) == 0);
	CHECK(run_to_step(&g, 2) == 0);	/* CPL0, long mode */
	CHECK(run_to_step(&one, 2) == 0);
	soft_engine_set_mmio_handler(g.e, serve_mmio, &log);
	CHECK(start_code(&g, code, sizeof(code)) == 0);
	CHECK(start_code(&one, code, sizeof(code)) == 0);
	uint64_t n0 = soft_engine_icount(g.e), w0 = soft_engine_whole_blocks(g.e);
	CHECK(g.e->ops->run(g.e, &x) == 0);
	CHECK(x.reason == EXIT_IO && x.io.port == 0x80);
	CHECK(soft_engine_whole_blocks(g.e) > w0);
	CHECK_EQ(log.reads, 1);
	CHECK_EQ(log.writes, 1);
	CHECK_EQ(log.write_gpa, 0xd0000010ULL);
	CHECK_EQ(log.write_value, MMIO_VALUE + 1);
	/* One instruction per run, MMIO by exits. */
	uint64_t m0 = soft_engine_icount(one.e);
	x.reason = EXIT_INSN_LIMIT;
	while (x.reason == EXIT_INSN_LIMIT || x.reason == EXIT_MMIO) {
		if (x.reason == EXIT_MMIO && !x.mmio.write)
			memcpy(x.mmio.data, &(uint32_t){ MMIO_VALUE }, 4);
		struct soft_stop st = { .icount = soft_engine_icount(one.e) + 1 };
		CHECK(soft_engine_run_until(one.e, &st, &x) == 0);
	}
	CHECK(x.reason == EXIT_IO && x.io.port == 0x80);
	CHECK_EQ(soft_engine_icount(one.e) - m0, soft_engine_icount(g.e) - n0);
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	CHECK(one.e->ops->get_regs(one.e, &r1) == 0);
	CHECK_EQ(r.rax, (uint64_t)MMIO_VALUE + 1);
	CHECK_EQ(r.rbx, 1);
	CHECK(memcmp(&r, &r1, sizeof(r)) == 0);
	guest_destroy(&one);
	guest_destroy(&g);
}

/* STI ends a block (Unicorn ends it there) that is counted whole in kernel code; its shadow
 * still covers the next instruction: an interrupt window opens only after it. */
TEST(sti_ending_a_whole_block_keeps_its_shadow)
{
	static const uint8_t code[] = {
		0xfa,				/* cli */
		0xb8, 0x01, 0x00, 0x00, 0x00,	/* mov $1, %eax */
		0xfb,				/* sti: the block ends */
		0x90,				/* nop: in the shadow */
		0x90,				/* nop: the window opens before it */
		0xe6, 0x80,			/* out %al, $0x80 */
	};
	struct guest g;
	struct kvm_regs r;
	struct vm_exit x;
	CHECK(cpl0_guest_at(&g, code, sizeof(code)) == 0);
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	r.rflags = 2;	/* IF clear: no window before the STI */
	CHECK(g.e->ops->set_regs(g.e, &r) == 0);
	uint64_t n0 = soft_engine_icount(g.e), w0 = soft_engine_whole_blocks(g.e);
	g.e->ops->request_irq_window(g.e, true);
	CHECK(g.e->ops->run(g.e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_IRQ_WINDOW);
	CHECK(soft_engine_whole_blocks(g.e) > w0);	/* cli..sti ran as one block */
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	CHECK_EQ(r.rip, DIFF_CODE + 8);
	CHECK_EQ(soft_engine_icount(g.e) - n0, 4);
	guest_destroy(&g);
}

/* Self-modifying code: two blocks in one page run, then both are rewritten, one store
 * after the other, and run again. Unicorn 2.1.1 checks only the first store to a page for
 * translations to drop unless a memory hook exists; the engine keeps one (measured: Linux's
 * alternatives patching otherwise ran stale code). */
TEST(code_rewritten_twice_in_one_page_runs_new)
{
	static const uint8_t code[] = {
		0xe8, 0x1f, 0x00, 0x00, 0x00,		/* call a */
		0xe8, 0x20, 0x00, 0x00, 0x00,		/* call b */
		0xc6, 0x05, 0x14, 0x00, 0x00, 0x00, 0x11, /* movb $0x11, a+1(%rip) */
		0xc6, 0x05, 0x13, 0x00, 0x00, 0x00, 0x22, /* movb $0x22, b+1(%rip) */
		0xe8, 0x07, 0x00, 0x00, 0x00,		/* call a */
		0xe8, 0x08, 0x00, 0x00, 0x00,		/* call b */
		0xe6, 0x80,				/* out %al, $0x80 */
		0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3,	/* a: mov $1, %eax; ret */
		0xbb, 0x02, 0x00, 0x00, 0x00, 0xc3,	/* b: mov $2, %ebx; ret */
	};
	struct guest g;
	struct kvm_regs r;
	struct vm_exit x;
	CHECK(cpl0_guest_at(&g, code, sizeof(code)) == 0);
	CHECK(g.e->ops->run(g.e, &x) == 0);
	CHECK(x.reason == EXIT_IO && x.io.port == 0x80);
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	CHECK_EQ(r.rax, 0x11);
	CHECK_EQ(r.rbx, 0x22);
	guest_destroy(&g);
}

/* A block counted whole that rewrites a later instruction of itself: Unicorn (QEMU's precise
 * self-modifying-code handling) abandons the block at the store, without an exception, and
 * runs the rest anew from a block of one instruction. The count must not take the abandoned
 * rest twice: the same code storing outside itself counts the same. */
static uint64_t count_to_out(const uint8_t *code, size_t len, uint64_t *rbx)
{
	struct guest g;
	struct kvm_regs r;
	struct vm_exit x;
	uint64_t n = 0;
	if (cpl0_guest_at(&g, code, len) == 0) {
		uint64_t n0 = soft_engine_icount(g.e);
		if (g.e->ops->run(g.e, &x) == 0 && x.reason == EXIT_IO && x.io.port == 0x80 &&
		    g.e->ops->get_regs(g.e, &r) == 0) {
			n = soft_engine_icount(g.e) - n0;
			*rbx = r.rbx;
		}
	}
	guest_destroy(&g);
	return n;
}

TEST(block_rewriting_itself_counted_once)
{
	uint8_t code[] = {
		0xb8, 0x01, 0x00, 0x00, 0x00,		    /* mov $1, %eax */
		0xc6, 0x05, 0x06, 0x00, 0x00, 0x00, 0x02,   /* movb $2, x+1(%rip) */
		0x90, 0x90, 0x90, 0x90, 0x90,		    /* nop x5 */
		0xbb, 0x05, 0x00, 0x00, 0x00,		    /* x: mov $5, %ebx */
		0x90,					    /* nop */
		0xeb, 0x00,				    /* jmp .+2: the block ends */
		0xe6, 0x80,				    /* out %al, $0x80 */
	};
	uint64_t rbx = 0, rbx_outside = 0;
	uint64_t n = count_to_out(code, sizeof(code), &rbx);
	CHECK_EQ(rbx, 2);
	code[7] = 0x40;	/* the same store, to a byte past the code */
	uint64_t n_outside = count_to_out(code, sizeof(code), &rbx_outside);
	CHECK_EQ(rbx_outside, 5);
	CHECK(n_outside > 0);
	CHECK_EQ(n, n_outside);
}

/* Every instruction the CPUID model advertises runs on Unicorn 2.1 (measured; see "Known
 * limits" in docs/soft-engine.md): POPCNT, which Unicorn 2.0 refused, retires with its result. */
TEST(advertised_instructions_run)
{
	struct guest g;
	struct kvm_regs r;
	struct vm_exit x;
	/* mov %rcx,%rax; popcnt %rcx,%rax; out %al,$0x80 */
	static const uint8_t code[] = { 0x48, 0x89, 0xc8, 0xf3, 0x48, 0x0f, 0xb8, 0xc1, 0xe6, 0x80 };
	uint32_t leaf1[4];
	CHECK(guest_create(&g, make_soft) == 0);
	cpuid_lookup(&g.cpuid, 1, 0, leaf1);
	CHECK(leaf1[2] & (1u << 23));
	CHECK(run_to_step(&g, 3) == 0);
	memcpy(g.mem.host + DIFF_CODE, code, sizeof(code));
	soft_engine_invalidate(g.e, DIFF_CODE, sizeof(code));
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	r.rip = DIFF_CODE;
	r.rcx = 0xf0f0000000000f07ULL;
	CHECK(g.e->ops->set_regs(g.e, &r) == 0);
	uint64_t n = soft_engine_icount(g.e);
	CHECK(g.e->ops->run(g.e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_IO);
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	CHECK_EQ(r.rax, 15);
	CHECK_EQ(soft_engine_icount(g.e), n + 3);
	guest_destroy(&g);
}

/* The CPUID model advertises NX and the guest sets EFER.NXE: a fetch from a page whose PTE has
 * the NX bit is a #PF with P, U (CPL3) and I/D in the error code, at the fetched address. */
TEST(fetch_from_an_nx_page_faults)
{
	struct guest g;
	struct kvm_regs r;
	static const uint8_t code[] = { 0x90, 0xb0, 0x42, 0xe6, 0x80 };	/* nop; mov $0x42,%al; out */
	uint32_t ext1[4];
	CHECK(guest_create(&g, make_soft) == 0);
	cpuid_lookup(&g.cpuid, 0x80000001, 0, ext1);
	CHECK(ext1[3] & (1u << 20));
	CHECK(run_to_step(&g, 3) == 0);	/* CPL3 */
	memcpy(g.mem.host + DIFF_CODE, code, sizeof(code));
	*q(&g, 0x13000 + (DIFF_CODE >> 12) * 8) |= 1ULL << 63;
	soft_engine_invalidate(g.e, DIFF_CODE, sizeof(code));
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	r.rip = DIFF_CODE;
	CHECK(g.e->ops->set_regs(g.e, &r) == 0);
	CHECK(run_to_step(&g, 6) == 0);	/* in the #PF handler */
	CHECK_EQ(*q(&g, RESULTS + 0x00), DIFF_CODE);	/* CR2 */
	CHECK_EQ(*q(&g, RESULTS + 0x08), 0x15);		/* I/D, user, present */
	CHECK_EQ(*q(&g, RESULTS + 0x10), DIFF_CODE);	/* the faulting RIP */
	guest_destroy(&g);
}

/* Writes that fault: the #PF error code says write (and user, and present for a read-only
 * page). The read-modify-write reads the page first: the write is what faults. */
TEST(write_fault_error_code_says_write)
{
	static const struct {
		uint8_t code[10];
		uint64_t ro_page, cr2, err;
	} cases[] = {
		/* mov %eax, PF_PAGE (not present); out %al, $0x80 */
		{ { 0x89, 0x04, 0x25, 0x00, 0xf0, 0x1f, 0x00, 0xe6, 0x80 }, 0, PF_PAGE, 6 },
		/* addl $1, DIFF_CODE+0x1000 (read-only); out %al, $0x80 */
		{ { 0x83, 0x04, 0x25, 0x00, 0x10, 0x04, 0x00, 0x01, 0xe6, 0x80 }, DIFF_CODE + 0x1000,
		  DIFF_CODE + 0x1000, 7 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guest g;
		struct kvm_regs r;
		CHECK(guest_create(&g, make_soft) == 0);
		CHECK(run_to_step(&g, 3) == 0);	/* CPL3 */
		memcpy(g.mem.host + DIFF_CODE, cases[i].code, sizeof(cases[i].code));
		if (cases[i].ro_page)
			*q(&g, 0x13000 + (cases[i].ro_page >> 12) * 8) &= ~2ULL;
		soft_engine_invalidate(g.e, DIFF_CODE, sizeof(cases[i].code));
		CHECK(g.e->ops->get_regs(g.e, &r) == 0);
		r.rip = DIFF_CODE;
		CHECK(g.e->ops->set_regs(g.e, &r) == 0);
		CHECK(run_to_step(&g, 6) == 0);	/* in the #PF handler */
		CHECK_EQ(*q(&g, RESULTS + 0x00), cases[i].cr2);
		CHECK_EQ(*q(&g, RESULTS + 0x08), cases[i].err);
		CHECK_EQ(*q(&g, RESULTS + 0x10), DIFF_CODE);
		guest_destroy(&g);
	}
}

/* MMIO reached through a virtual address (the higher half) whose physical address is not a
 * mapped virtual one: serving it leaves the guest's CR2 alone (Unicorn unmaps the serving region
 * by translating its physical address as a virtual one, see identity_mmu). */
TEST(mmio_through_a_remapped_window_leaves_cr2)
{
	struct guest g;
	struct kvm_regs r;
	struct kvm_sregs sr;
	struct vm_exit x;
	/* mov 0xffffffff40000010, %eax; mov $0x43, %al; out %al, $0x80 */
	static const uint8_t code[] = { 0xa1, 0x10, 0x00, 0x00, 0x40, 0xff, 0xff, 0xff, 0xff,
					0xb0, 0x43, 0xe6, 0x80 };
	CHECK(guest_create(&g, make_soft) == 0);
	*q(&g, 0x16000) = 0xfec00000ULL | 0x83;	/* 2 MiB at 0xfec00000, not mapped at itself */
	*q(&g, 0x14000 + 509 * 8) = 0x16000 | 3;	/* virtual 0xffffffff40000000 */
	CHECK(run_to_step(&g, 2) == 0);	/* CPL0, long mode */
	CHECK(start_code(&g, code, sizeof(code)) == 0);
	CHECK(g.e->ops->get_sregs(g.e, &sr) == 0);
	uint64_t cr2 = sr.cr2;
	CHECK(g.e->ops->run(g.e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_MMIO);
	CHECK_EQ(x.mmio.addr, 0xfec00010ULL);
	memcpy(x.mmio.data, &(uint32_t){ MMIO_VALUE }, 4);
	CHECK(g.e->ops->run(g.e, &x) == 0);
	CHECK(is_step(&x, 0x43));
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	CHECK_EQ(r.rax & ~0xffULL, MMIO_VALUE & ~0xffULL);
	CHECK(g.e->ops->get_sregs(g.e, &sr) == 0);
	CHECK_EQ(sr.cr2, cr2);
	guest_destroy(&g);
}

/* Code the VMM rewrites behind the engine is dropped by its physical address, whatever virtual
 * address ran it: here the higher half's alias of DIFF_CODE, at CPL0. */
TEST(rewritten_code_is_dropped_by_physical_address)
{
	struct guest g;
	struct kvm_regs r;
	struct vm_exit x;
	uint8_t code[] = { 0xb0, 0x41, 0xe6, 0x80 };	/* mov $0x41,%al; out %al,$0x80 */
	CHECK(guest_create(&g, make_soft) == 0);
	CHECK(run_to_step(&g, 2) == 0);	/* CPL0, long mode */
	CHECK(g.e->ops->get_regs(g.e, &r) == 0);
	r.rip = 0xffffffff80000000ULL + DIFF_CODE;
	for (int i = 0; i < 2; i++) {
		code[1] = (uint8_t)(0x41 + i);
		memcpy(g.mem.host + DIFF_CODE, code, sizeof(code));
		soft_engine_invalidate(g.e, DIFF_CODE, sizeof(code));
		CHECK(g.e->ops->set_regs(g.e, &r) == 0);
		CHECK(g.e->ops->run(g.e, &x) == 0);
		CHECK(is_step(&x, 0x41 + i));
	}
	guest_destroy(&g);
}

/* ---- data breakpoints (DR7 R/W 01 and 11) on the guest's watch_code ---- */

#define WVAR (RESULTS + 0x200)
#define WVAR_ALIAS (0xffffffff80000000ULL + WVAR)
#define DR6_BS (1ULL << 14)

/* DR7 for one data breakpoint: rw 1 write, 3 read or write; len in bytes. */
static uint64_t dr7_data(int slot, int rw, int len)
{
	static const uint64_t len_bits[9] = { [1] = 0, [2] = 1, [4] = 3, [8] = 2 };
	return (1ULL << (2 * slot)) | (uint64_t)rw << (16 + 4 * slot) |
	       len_bits[len] << (18 + 4 * slot);
}

static int set_watch(struct engine *e, uint32_t control, int slot, uint64_t addr, int rw, int len)
{
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP | control };
	dbg.arch.debugreg[slot] = addr;
	dbg.arch.debugreg[7] = dr7_data(slot, rw, len);
	return e->ops->set_guest_debug(e, &dbg);
}

/* Restarts watch_code; returns the count at its start. */
static uint64_t restart_watch_code(struct guest *g)
{
	struct kvm_regs r;
	g->e->ops->get_regs(g->e, &r);
	r.rip = SG_WATCH_CODE;
	g->e->ops->set_regs(g->e, &r);
	return soft_engine_icount(g->e);
}

/* A trap the run must report: after the instruction that ends at pc, `n` instructions into
 * watch_code (a rep stosb iteration that hit reports at the stosb itself). */
struct hit {
	uint64_t pc, n;
};

/* Runs watch_code from its start to its end, expecting exactly these hits in `slot`. */
static int expect_hits(struct guest *g, int slot, const struct hit *hits, int nhits)
{
	struct engine *e = g->e;
	struct vm_exit x;
	struct kvm_regs r;
	uint64_t base = restart_watch_code(g);
	for (int i = 0; i <= nhits; i++) {
		if (e->ops->run(e, &x))
			return -1;
		e->ops->get_regs(e, &r);
		uint64_t n = soft_engine_icount(e) - base;
		if (i == nhits) {
			if (is_step(&x, 0x20))
				return 0;
			printf("  slot %d: exit %d at %#llx (+%llu) after the last hit\n", slot, x.reason,
			       (unsigned long long)r.rip, (unsigned long long)n);
			return -1;
		}
		if (x.reason != EXIT_DEBUG || (x.debug.dr6 & (0xfULL | DR6_BS)) != 1ULL << slot ||
		    x.debug.pc != hits[i].pc || r.rip != hits[i].pc || n != hits[i].n) {
			printf("  slot %d hit %d: exit %d dr6 %#llx pc %#llx rip %#llx +%llu, expected "
			       "pc %#llx +%llu\n", slot, i, x.reason, (unsigned long long)x.debug.dr6,
			       (unsigned long long)x.debug.pc, (unsigned long long)r.rip,
			       (unsigned long long)n, (unsigned long long)hits[i].pc,
			       (unsigned long long)hits[i].n);
			return -1;
		}
	}
	return -1;
}

/* In CPL3 user code (blocks otherwise counted whole), after a pass with nothing armed. */
TEST(data_watchpoints_trap_after_the_access)
{
	struct guest g;
	struct vm_exit x;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	*q(&g, 0x10000 + 511 * 8) |= 4;	/* the higher half, for user code too */
	*q(&g, 0x14000 + 510 * 8) |= 4;
	CHECK(run_to_step(&g, 9) == 0);
	CHECK(expect_hits(&g, 0, NULL, 0) == 0);	/* translated without hooks */

	static const struct hit writes[] = {
		{ SG_W_AFTER_STORE, 2 }, { SG_W_AFTER_RMW, 5 }, { SG_W_AFTER_LOOP, 157 },
		{ SG_W_STOS, 163 }, { SG_W_STOS, 164 }, { SG_W_STOS, 165 }, { SG_W_STOS, 166 },
	};
	CHECK(set_watch(e, 0, 1, WVAR, 1, 4) == 0);
	CHECK(expect_hits(&g, 1, writes, 7) == 0);
	CHECK_EQ(*(uint32_t *)(g.mem.host + WVAR), 0x01010101);	/* the stosb stored al = 1 */

	static const struct hit accesses[] = {
		{ SG_W_AFTER_STORE, 2 }, { SG_W_AFTER_LOAD, 3 }, { SG_W_AFTER_RMW, 5 },
		{ SG_W_AFTER_LOOP, 157 }, { SG_W_STOS, 163 }, { SG_W_STOS, 164 }, { SG_W_STOS, 165 },
		{ SG_W_STOS, 166 },
	};
	CHECK(set_watch(e, 0, 3, WVAR, 3, 4) == 0);
	CHECK(expect_hits(&g, 3, accesses, 8) == 0);

	/* 8 bytes: the next dword too, and the last stosb iterations. */
	static const struct hit quad[] = {
		{ SG_W_AFTER_STORE, 2 }, { SG_W_AFTER_LOAD, 3 }, { SG_W_AFTER_NEXT, 4 },
		{ SG_W_AFTER_RMW, 5 }, { SG_W_AFTER_LOOP, 157 }, { SG_W_STOS, 163 },
		{ SG_W_STOS, 164 }, { SG_W_STOS, 165 }, { SG_W_STOS, 166 }, { SG_W_STOS, 167 },
		{ SG_W_STOS, 168 },	/* see below */
	};
	CHECK(set_watch(e, 0, 2, WVAR, 3, 8) == 0);
	CHECK(expect_hits(&g, 2, quad, 11) == 0);

	/* 1 byte inside the dword; and an unaligned address ignores its low bits, as DR7 does. */
	static const struct hit byte1[] = {
		{ SG_W_AFTER_STORE, 2 }, { SG_W_AFTER_RMW, 5 }, { SG_W_AFTER_LOOP, 157 },
		{ SG_W_STOS, 164 },
	};
	CHECK(set_watch(e, 0, 0, WVAR + 1, 1, 1) == 0);
	CHECK(expect_hits(&g, 0, byte1, 4) == 0);
	/* The last stosb iteration reports at the stosb with RCX = 0: QEMU ends a rep with one
	 * more pass through the instruction, which counts (docs/soft-engine.md) and has not run. */
	static const struct hit next[] = {
		{ SG_W_AFTER_NEXT, 4 }, { SG_W_STOS, 167 }, { SG_W_STOS, 168 },
	};
	CHECK(set_watch(e, 0, 1, WVAR + 6, 1, 4) == 0);
	CHECK(expect_hits(&g, 1, next, 3) == 0);

	/* Linear addresses: the same bytes through the higher half are another breakpoint. */
	static const struct hit alias[] = { { SG_W_AFTER_ALIAS, 171 } };
	CHECK(set_watch(e, 0, 2, WVAR_ALIAS + 2, 3, 2) == 0);
	CHECK(expect_hits(&g, 2, alias, 1) == 0);

	/* Never touched: never fires. Disarmed: nothing either. */
	CHECK(set_watch(e, 0, 3, WVAR + 0x40, 3, 8) == 0);
	CHECK(expect_hits(&g, 3, NULL, 0) == 0);
	struct kvm_guest_debug off = { .control = 0 };
	CHECK(e->ops->set_guest_debug(e, &off) == 0);
	CHECK(expect_hits(&g, 0, NULL, 0) == 0);

	/* I/O breakpoints (R/W 10) are not supported, and change nothing. */
	CHECK(set_watch(e, 0, 0, 0x80, 2, 1) == -EOPNOTSUPP);
	restart_watch_code(&g);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK(is_step(&x, 0x20));
	guest_destroy(&g);
}

/* In CPL0 code, with single steps: a step that hits reports both DR6 bits. */
TEST(data_watchpoint_with_single_step_in_cpl0)
{
	struct guest g;
	struct vm_exit x;
	struct kvm_regs r;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 1) == 0);
	uint64_t base = restart_watch_code(&g);
	CHECK(set_watch(e, KVM_GUESTDBG_SINGLESTEP, 0, WVAR, 3, 4) == 0);
	CHECK(e->ops->run(e, &x) == 0);		/* mov $WVAR, %ebx */
	CHECK_EQ(x.reason, EXIT_DEBUG);
	CHECK_EQ(x.debug.dr6 & (0xf | DR6_BS), DR6_BS);
	CHECK(e->ops->run(e, &x) == 0);		/* movl $1, (%rbx) */
	CHECK_EQ(x.reason, EXIT_DEBUG);
	CHECK_EQ(x.debug.dr6 & (0xf | DR6_BS), DR6_BS | 1);
	CHECK_EQ(x.debug.pc, SG_W_AFTER_STORE);
	CHECK_EQ(soft_engine_icount(e), base + 2);
	CHECK_EQ(*(uint32_t *)(g.mem.host + WVAR), 1);	/* it completed */
	CHECK(set_watch(e, 0, 0, WVAR, 3, 4) == 0);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	CHECK_EQ(x.debug.dr6 & (0xf | DR6_BS), 1);
	CHECK_EQ(x.debug.pc, SG_W_AFTER_LOAD);
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rax, 1);
	CHECK_EQ(soft_engine_icount(e), base + 3);
	static const struct hit writes[] = {
		{ SG_W_AFTER_STORE, 2 }, { SG_W_AFTER_RMW, 5 }, { SG_W_AFTER_LOOP, 157 },
		{ SG_W_STOS, 163 }, { SG_W_STOS, 164 }, { SG_W_STOS, 165 }, { SG_W_STOS, 166 },
	};
	CHECK(set_watch(e, 0, 1, WVAR, 1, 4) == 0);
	CHECK(expect_hits(&g, 1, writes, 7) == 0);
	guest_destroy(&g);
}

/* Runs watch_code with physical watches armed: each stop must be a physical watch's, and
 * between two stops (from the start, up to the last) must lie at least one of the exact hits
 * (`hits`: instruction counts into watch_code after which a data breakpoint on the same bytes
 * traps), none after the last. Returns the number of stops, or -1; *first: the count at the
 * first stop. */
static int expect_phys_stops(struct guest *g, const uint64_t *hits, int nhits, uint64_t *first)
{
	struct engine *e = g->e;
	struct vm_exit x;
	uint64_t base = restart_watch_code(g), prev = 0;
	int stops = 0, next = 0;
	for (;;) {
		if (e->ops->run(e, &x))
			return -1;
		uint64_t n = soft_engine_icount(e) - base;
		if (is_step(&x, 0x20))
			return next == nhits ? stops : -1;
		if (x.reason != EXIT_DEBUG || !x.debug.phys || (x.debug.dr6 & 0xf) ||
		    next == nhits || hits[next] <= prev || hits[next] > n) {
			printf("  stop %d: exit %d phys %d at +%llu; next exact hit +%llu\n", stops,
			       x.reason, x.debug.phys, (unsigned long long)n,
			       (unsigned long long)(next < nhits ? hits[next] : 0));
			return -1;
		}
		while (next < nhits && hits[next] <= n)
			next++;
		if (!stops)
			*first = n;
		prev = n;
		stops++;
	}
}

/* Physical watches leave kernel blocks counted whole: a hit stops the run at the next block
 * start (or, under the code hook, the next instruction), never before the access and never
 * without one. Reads count only when asked for; other linear addresses of the same bytes hit. */
TEST(physical_watch_stops_at_most_a_block_late)
{
	struct guest g;
	uint64_t first;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	CHECK(run_to_step(&g, 1) == 0);		/* CPL0 */
	CHECK(expect_phys_stops(&g, NULL, 0, &first) == 0);	/* translated without the hooks */
	/* The first hits come before the 150-instruction loop, the next after it: the first stop
	 * must come before the loop ends (+157). */
	static const uint64_t writes[] = { 2, 5, 157, 163, 164, 165, 166 };
	struct soft_phys_watch w = { WVAR, 4, false };
	CHECK(soft_engine_watch_phys(e, &w, 1) == 0);
	uint64_t whole = soft_engine_whole_blocks(e);
	int stops = expect_phys_stops(&g, writes, 7, &first);
	CHECK(stops > 0 && stops < 7);		/* some hits share a block */
	CHECK(first < 157);
	CHECK(soft_engine_whole_blocks(e) > whole);
	static const uint64_t accesses[] = { 2, 3, 5, 157, 163, 164, 165, 166, 171 };
	w.reads = true;
	CHECK(soft_engine_watch_phys(e, &w, 1) == 0);
	CHECK(expect_phys_stops(&g, accesses, 9, &first) > 0);
	CHECK(first < 157);
	/* One byte inside the dword: the dword stores that start before it reach it. */
	static const uint64_t byte1[] = { 2, 5, 157, 164 };
	w = (struct soft_phys_watch){ WVAR + 1, 1, false };
	CHECK(soft_engine_watch_phys(e, &w, 1) == 0);
	CHECK(expect_phys_stops(&g, byte1, 4, &first) > 0);
	CHECK(first < 157);
	CHECK(soft_engine_watch_phys(e, NULL, 0) == 0);
	CHECK(expect_phys_stops(&g, NULL, 0, &first) == 0);
	CHECK(soft_engine_watch_phys(e, &w, SOFT_MAX_PHYS_WATCH + 1) == -ENOSPC);
	guest_destroy(&g);
}

/* Runs the guest to its MMIO read at 0xd0000000 with an access watchpoint on it in `slot`;
 * answers the read. Returns the instruction count before the read, or 0 on failure. */
static uint64_t watch_the_mmio_read(struct guest *g, int slot, struct vm_exit *x)
{
	struct engine *e = g->e;
	if (run_to_step(g, 1) || e->ops->run(e, x) || x->reason != EXIT_HLT ||
	    set_watch(e, 0, slot, 0xd0000000ULL, 3, 4))
		return 0;
	uint64_t n = soft_engine_icount(e);
	if (e->ops->run(e, x) || x->reason != EXIT_MMIO || soft_engine_icount(e) != n + 1)
		return 0;
	memcpy(x->mmio.data, &(uint32_t){ MMIO_VALUE }, 4);
	return n;
}

/* An MMIO read exits before it retires; the breakpoint reports once it completes. */
TEST(data_watchpoint_on_an_mmio_read)
{
	struct guest g;
	struct vm_exit x;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	uint64_t n = watch_the_mmio_read(&g, 2, &x);
	CHECK(n != 0);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	CHECK_EQ(x.debug.dr6 & 0xf, 4);
	CHECK_EQ(soft_engine_icount(e), n + 2);
	struct kvm_regs r;
	e->ops->get_regs(e, &r);
	CHECK_EQ(r.rax, MMIO_VALUE);
	CHECK_EQ(x.debug.pc, r.rip);
	CHECK(e->ops->run(e, &x) == 0);	/* the MMIO write at +0x10: not watched */
	CHECK_EQ(x.reason, EXIT_MMIO);
	CHECK(x.mmio.write);
	guest_destroy(&g);
}

/* complete_io retires the instruction without stopping; the hit it made stops the next run. */
TEST(data_watchpoint_hit_by_complete_io_reports_next)
{
	struct guest g;
	struct vm_exit x;
	CHECK(guest_create(&g, make_soft) == 0);
	struct engine *e = g.e;
	uint64_t n = watch_the_mmio_read(&g, 1, &x);
	CHECK(n != 0);
	n++; /* the read exited: counted, not retired */
	CHECK(e->ops->complete_io(e) == 0);
	CHECK_EQ(soft_engine_icount(e), n + 1);
	CHECK(e->ops->run(e, &x) == 0);
	CHECK_EQ(x.reason, EXIT_DEBUG);
	CHECK_EQ(x.debug.dr6 & 0xf, 2);
	CHECK_EQ(soft_engine_icount(e), n + 1);
	guest_destroy(&g);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Informational: prints the engine's speed on the 3-instruction CPL3 loop. */
TEST(speed_report)
{
	struct guest g;
	struct vm_exit x;
	CHECK(guest_create(&g, make_soft) == 0);
	CHECK(run_to_step(&g, 9) == 0);
	uint64_t n = 30000000;
	struct soft_stop st = { .icount = soft_engine_icount(g.e) + n };
	double t0 = now();
	CHECK(soft_engine_run_until(g.e, &st, &x) == 0);
	double t1 = now();
	CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
	printf("  soft engine, exact counting: %.1f M instructions/s\n", (double)n / (t1 - t0) / 1e6);
	st.at_addr = true;
	st.addr = SG_SYSCALL_ENTRY;	/* never reached: costs one compare per instruction */
	st.icount = soft_engine_icount(g.e) + n;
	t0 = now();
	CHECK(soft_engine_run_until(g.e, &st, &x) == 0);
	t1 = now();
	CHECK_EQ(x.reason, EXIT_INSN_LIMIT);
	printf("  soft engine, count + address stop: %.1f M instructions/s\n",
	       (double)n / (t1 - t0) / 1e6);
	guest_destroy(&g);
}

RUN_TESTS(T(boot_protected_to_long_mode_and_cpl3), T(rdtsc_rdrand_from_the_value_source),
	  T(injected_interrupt_in_cpl3_returns_with_iretq), T(irq_window_after_sti_shadow),
	  T(run_stops_at_exactly_the_instruction_count_set), T(exact_instruction_counts_are_deterministic), T(stop_at_address_and_predicate), T(stop_inside_a_block_counted_whole),
	  T(stop_address_in_a_block_translated_before),
	  T(single_step_and_hardware_breakpoint), T(kick_stops_a_running_guest),
	  T(state_moves_between_engines), T(complete_io_retires_a_pending_in),
	  T(dirty_log_names_written_pages), T(soft_matches_kvm_step_by_step),
	  T(pvm_syscall_matches_kvm), T(pvm_sysret_matches_kvm),
	  T(random_sequences_match_kvm), T(random_kernel_sequences_counted_whole),
	  T(small_code_buffer_flushed_between_runs),
	  T(code_rewritten_twice_in_one_page_runs_new), T(kernel_mmio_inside_a_block_counted_whole),
	  T(sti_ending_a_whole_block_keeps_its_shadow), T(block_rewriting_itself_counted_once),
	  T(advertised_instructions_run), T(fetch_from_an_nx_page_faults),
	  T(write_fault_error_code_says_write), T(mmio_through_a_remapped_window_leaves_cr2),
	  T(rewritten_code_is_dropped_by_physical_address),
	  T(data_watchpoints_trap_after_the_access), T(data_watchpoint_with_single_step_in_cpl0),
	  T(data_watchpoint_on_an_mmio_read),
	  T(data_watchpoint_hit_by_complete_io_reports_next),
	  T(physical_watch_stops_at_most_a_block_late),
	  T(speed_report))
