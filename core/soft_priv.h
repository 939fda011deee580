/* Internals shared by the soft engine's files: soft_engine.c (Unicorn glue, hooks, run loop),
 * soft_state.c (architectural state in and out of Unicorn) and soft_x86.c (the system layer
 * Unicorn lacks: page walks, descriptors, IDT delivery, SYSCALL). */
#ifndef REWIND_SOFT_PRIV_H
#define REWIND_SOFT_PRIV_H
#include "core/engine.h"
#include "core/soft_engine.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

/* The engine relies on Unicorn 2.1: its MMU translates (UC_TLB_CPU), its code buffer can be
 * sized, and it honours NX. Unicorn 2.0 runs virtual addresses as physical ones. */
#if UC_API_MAJOR < 2 || (UC_API_MAJOR == 2 && UC_API_MINOR < 1)
#error "the soft engine needs Unicorn >= 2.1 (libunicorn-dev from Debian trixie: run sh tests/deps.sh)"
#endif

#define SOFT_NSEGS 6	/* CS SS DS ES FS GS, in that order */

/* Why the last uc_emu_start() returned, as the hooks saw it. */
enum soft_why {
	WHY_NONE,	/* Unicorn returned on its own: HLT, an error, or nothing to report */
	WHY_LIMIT,	/* the instruction limit was reached */
	WHY_ADDR,	/* the run_until address was reached */
	WHY_BP,		/* a hardware breakpoint address was reached */
	WHY_KICK,
	WHY_WINDOW,	/* the guest became interruptible while a window was requested */
	WHY_IO,		/* s->exit holds a port I/O exit */
	WHY_MMIO,	/* s->exit holds an MMIO exit */
	WHY_EXC,	/* an exception or software interrupt to deliver: exc_* */
	WHY_SYSCALL,	/* a SYSCALL retired; its effect is ours to apply */
	WHY_FAIL,	/* s->exit holds an EXIT_FAIL */
	WHY_SYSRET,	/* a SYSRET to emulate, as SYSCALL is */
	WHY_RETRANSLATE,	/* a block must run with the code hook: its range is now covered */
	WHY_FLUSH,	/* Unicorn's code buffer is to be flushed between runs (flush_at) */
	WHY_WATCH,	/* the instruction that just retired hit a data breakpoint: watch_hit */
	WHY_STOP_HOOK,	/* a block counted whole holds the stop address: translate it again */
};

/* A DR7 data breakpoint: the linear bytes [addr, addr+len), and whether reads hit it too. */
struct soft_watch {
	uint64_t addr, len;
	bool reads;
	int slot;	/* its DR0-DR3 number: the DR6 bit a hit sets */
};

/* A translation block of user code as the block hook sees it: its bytes (compared on every
 * use, so code the guest rewrites is scanned again) and where its instructions begin. */
enum { MODE64_USER = 1, MODE64_KERNEL = 2 };

struct soft_block {
	uint64_t pc;
	uint32_t size;
	uint16_t n;		/* instructions */
	bool whole;		/* counted whole: decoded, no special instruction, matches Unicorn */
	bool ends_in_sti;	/* its last instruction is STI: the next one runs in its shadow */
	uint32_t checked;	/* code_gen when its bytes were last compared with the guest's */
	uint32_t stop_hook_gen;	/* holding the stop address: translated again since hook_stop was
				 * put there (the engine's stop_hook_gen) */
	uint16_t *off;		/* n offsets of instruction starts */
	uint8_t *bytes;		/* size bytes */
};

struct soft {
	struct engine base;
	uc_engine *uc;
	uc_context *reset_ctx;	/* Unicorn's state right after uc_open: CPL0, 64-bit, no paging */
	const struct cpuid_model *cpuid;
	uint8_t *scratch;	/* host side of the loader's scratch pages (mapped only while used) */
	uint64_t scratch_gpa;

	uint64_t icount;	/* retired instructions */
	uint64_t limit;		/* never let icount pass this */
	uint64_t run_stop;	/* set_icount_stop(): run() stops here; 0: none */
	bool stop_at_addr;
	uint64_t stop_addr;
	/* soft_stop.gprs (soft_kvm_regs' order), compared in stop_order: the registers that
	 * differed when the run began first (the ones a loop changes tell a wrong pass soonest) */
	const uint64_t *stop_gprs;
	uint8_t stop_order[16];
	/* The code hook on the stop address alone (hook_stop): a block counted whole that holds
	 * it runs without the per-instruction hook, and stops there. Kept while the address is. */
	bool have_stop_hook;
	uint64_t stop_hook_addr;
	uc_hook stop_hook;
	uint32_t stop_hook_gen;	/* bumped when it moves */
	uint64_t resume_rip, resume_icount;	/* the first instruction of a run never stops on an address */
	bool irq_pending;	/* injected: delivered when the next run starts, as KVM does */
	uint8_t irq_vector;
	bool entered_handler;	/* an injected interrupt was delivered; no instruction ran since */
	int nbp;
	uint64_t bp[4];
	int bp_slot[4];
	bool single_step;
	/* Data breakpoints. While any is armed, memory hooks see every access and every
	 * instruction runs under the code hook (watch_code_hook covers all addresses), so a hit
	 * stops right after the instruction that made it. */
	int nwatch;
	struct soft_watch watch[4];
	uc_hook watch_mem_hook, watch_code_hook;
	uint64_t watch_hit;	/* DR6 B0-B3 of the accesses of the instruction that last ran */
	bool watch_defer;	/* complete_io: a hit is reported by the next run instead */
	/* Physical watches (soft_engine_watch_phys): a memory hook on those bytes alone, blocks
	 * still counted whole; phys_hit stops the run at the next instruction or block start. */
	int nphys;
	struct soft_phys_watch phys[SOFT_MAX_PHYS_WATCH];
	uc_hook phys_hook[SOFT_MAX_PHYS_WATCH];
	bool phys_hit;
	atomic_int kicked;

	enum soft_why why;
	bool stopping;		/* uc_emu_stop() was called: the next code hooks are not instructions */
	bool in_tramp;		/* the loader's own code is running */
	bool probing;		/* re-running a faulting instruction to learn its access type */
	struct vm_exit exit;
	uint64_t cur_rip;	/* the instruction the code hook last saw start */
	uint32_t cur_size;
	uint64_t cur_icount;	/* icount after that instruction was counted */
	uint64_t hlt_next, hlt_icount;
	uint64_t shadow_icount;	/* icount right after an STI / MOV SS: the interrupt shadow */
	uint32_t exc_vector;
	bool exc_retired;	/* the instruction completed (INT n, INT3, a trap), RIP is past it */
	int tramp_vector;
	uint64_t tramp_stop;

	/* IN whose value the VMM supplies: the instruction is rolled back and re-run. */
	struct {
		bool pending, ready;
		uint16_t port;
		uint64_t rip, rax, rcx, rdi;
	} in;
	/* MMIO access the VMM answers: the instruction is re-run against a temporary region. */
	struct {
		bool pending, serving, served;
		uint64_t gpa, va;
		uint8_t size;
		bool write;
	} mmio;
	uint8_t iodata[8];
	uint8_t mmiodata[8];

	bool window;

	/* Where the code hook reads instruction bytes from: one cached guest page. */
	uint64_t code_va;
	const uint8_t *code_host;
	bool code_stale;

	soft_value_fn vfn;
	void *vctx;
	soft_mmio_fn mmio_fn;		/* MMIO from inside a block counted whole */
	void *mmio_ctx;
	struct soft_mmio_page {		/* pages mapped for it: served in place from then on */
		struct soft *s;
		uint64_t base;
	} **mmio_pages;
	int nmmio_pages;
	int64_t tsc_offset;
	bool sysret64;	/* the SYSRET to emulate has REX.W */
	enum soft_syscall_model syscall_model;

	uint64_t *page_hash;	/* per RAM page, for get_dirty_log */

	/* Block counting (see soft_engine.c, "counting"). A block of 64-bit user code without
	 * special instructions is counted whole when it starts (blk); everything else runs with
	 * the per-instruction code hook, which Unicorn only calls in translations made while a
	 * hook covered their addresses: the covered ranges. */
#define SOFT_RECENT 1024
#define SOFT_TRANSLATED 1024
	struct soft_block **blocks;	/* hash table by (pc, size) */
	struct soft_block *recent[SOFT_RECENT];	/* the last block seen per pc hash */
	uc_tb translated[SOFT_TRANSLATED];	/* the last translation Unicorn reported per pc hash */
	uint64_t translated_insns;	/* instructions Unicorn translated since its buffer was empty */
	uint64_t flush_at;		/* ... at which the engine flushes it (soft_engine.c) */
	uint64_t flushes;
	uint32_t nblocks, block_cap;
	const struct soft_block *blk;	/* the block counted whole now running, or NULL */
	uint64_t blk_base;		/* icount at its start */
	int mode64;			/* 64-bit mode: MODE64_USER, MODE64_KERNEL, 0 (other), -1 not known */
	struct soft_range {
		uint64_t start, end;
		uc_hook hook;
	} *ranges, temp;		/* temp: for a stop inside a block, dropped after the run */
	int nranges, range_cap;
	bool have_temp;
	uint64_t cover_addr, cover_size;	/* WHY_RETRANSLATE: what to cover */
	bool cover_temp;
	bool block_stop;		/* the block hook stopped the run, at block_stop_pc */
	uint64_t block_stop_pc;
	uint32_t pg_gen;		/* code page cache generation (paging or code changed) */
	uint32_t code_gen;		/* bumped per run and when Unicorn may have translated anew */
	struct {
		uint64_t va;
		const uint8_t *host;
		uint32_t gen;
	} pg[64];
	uint64_t whole_blocks, exact_insns;	/* statistics for docs/soft-engine.md */

	struct kvm_segment seg_shadow[SOFT_NSEGS];	/* hidden parts as last loaded by us */
};

static inline struct soft *to_soft(struct engine *e)
{
	return (struct soft *)e;
}

/* soft_state.c */
int soft_get_regs(struct soft *s, struct kvm_regs *r);
int soft_set_regs(struct soft *s, const struct kvm_regs *r);
int soft_get_sregs(struct soft *s, struct kvm_sregs *sr);
/* Loads a complete register and system state, hidden segment parts and CPL included. */
int soft_load_state(struct soft *s, const struct kvm_regs *r, const struct kvm_sregs *sr,
		    char *why, int whylen);
int soft_get_fpu(struct soft *s, struct kvm_fpu *f);
int soft_set_fpu(struct soft *s, const struct kvm_fpu *f);
int soft_get_msrs(struct soft *s, struct kvm_msrs *m);
int soft_set_msrs(struct soft *s, const struct kvm_msrs *m);
/* Unicorn's ids of struct kvm_regs' fields, in its order: RAX..R15, RIP, RFLAGS. */
extern const int soft_kvm_regs[18];
uint64_t soft_reg(struct soft *s, int id);
void soft_set_reg(struct soft *s, int id, uint64_t v);
uint64_t soft_msr(struct soft *s, uint32_t index);
uint64_t soft_tsc(struct soft *s);

/* soft_x86.c */
#define ACC_WRITE 1
#define ACC_USER 2
#define ACC_FETCH 4
/* Linear to guest physical under the current paging mode; on a fault returns -1 and the #PF
 * error code the access would get. `check` false: walk without permission checks. */
int soft_translate(struct soft *s, uint64_t la, int acc, bool check, uint64_t *gpa, uint32_t *pferr);
int soft_read_linear(struct soft *s, uint64_t la, void *buf, uint64_t len, int acc);
int soft_write_linear(struct soft *s, uint64_t la, const void *buf, uint64_t len, int acc);
uint64_t soft_seg_to_desc(const struct kvm_segment *seg);
void soft_desc_to_seg(uint64_t desc, uint16_t sel, struct kvm_segment *seg);
/* Reads the descriptor `sel` names from the guest's GDT or LDT. */
int soft_read_desc(struct soft *s, const struct kvm_sregs *sr, uint16_t sel, uint64_t *desc);
enum soft_event {
	EV_EXTERNAL,	/* an interrupt, or a trap: RIP is where to return */
	EV_SOFT_INT,	/* INT n / INT3: the gate's DPL is checked */
	EV_FAULT,	/* a fault: RIP is the faulting instruction, the pushed RFLAGS has RF */
};
/* Delivers vector through the IDT (64-bit long mode). err < 0: no error code. Returns 0, or
 * -1 with `why` when the guest cannot take it (the caller reports a shutdown). */
int soft_deliver(struct soft *s, uint8_t vector, int64_t err, enum soft_event ev, char *why,
		 int whylen);
/* SYSCALL as s->syscall_model says, and SYSRET. 0, or -1 with `why`. */
int soft_do_syscall(struct soft *s, char *why, int whylen);
int soft_do_sysret(struct soft *s, bool rex_w, char *why, int whylen);
int soft_cpl(struct soft *s);

#endif
