/* The soft engine's interface beyond struct engine_ops: exact instruction counting, stops at
 * a count, an address or a predicate, and the source of the values the guest must not get from
 * the host (RDTSC, RDRAND, RDSEED). See docs/soft-engine.md. */
#ifndef REWIND_SOFT_ENGINE_H
#define REWIND_SOFT_ENGINE_H
#include "core/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Guest-visible TSC ticks per retired instruction when no value source overrides RDTSC. */
#define SOFT_TSC_PER_INSN 4ULL

enum soft_value_kind {
	SOFT_VALUE_RDTSC,	/* also RDTSCP and RDMSR of IA32_TSC */
	SOFT_VALUE_RDRAND,
	SOFT_VALUE_RDSEED,
};

/* Supplies (and may log, or replay) a value the guest reads. `icount` is the number of
 * instructions retired before the reading one; `dflt` is what the engine would answer on its
 * own (a pure function of icount and the TSC offset the guest set). */
typedef uint64_t (*soft_value_fn)(void *ctx, enum soft_value_kind kind, uint64_t icount,
				  uint64_t dflt);

/* Serves an MMIO access at once: size bytes at data (the value to write, or the buffer a read
 * fills). With one set, the engine serves every MMIO access through it, in place, instead of
 * exiting: inside a block it counts whole it cannot stop before the instruction (Unicorn does
 * not restore the instruction's state there). Without one, MMIO exits (EXIT_MMIO), and an
 * access from inside a block counted whole fails the run. */
typedef void (*soft_mmio_fn)(void *ctx, uint64_t gpa, uint8_t *data, int size, bool write);

/* Where soft_engine_run_until() stops, besides the exits run() has. All fields optional. */
struct soft_stop {
	uint64_t icount;	/* stop with EXIT_INSN_LIMIT when the count reaches this; 0: none */
	bool at_addr;		/* stop with EXIT_DEBUG before executing the instruction at addr */
	uint64_t addr;
	/* With at_addr: stop there only when pred() is true on the state at that point (it may
	 * read the state with the engine's get_* ops); a false answer runs on. */
	bool (*pred)(struct engine *e, void *ctx);
	void *ctx;
	/* With at_addr: stop there only where RAX..R15 hold these 16 values, in struct kvm_regs'
	 * order (tested before pred, and far faster: a hot loop passes the address often); NULL:
	 * whatever they hold. */
	const uint64_t *gprs;
	/* Stop with EXIT_FAIL at a SYSCALL instead of applying it: for a stretch that stands in
	 * for a host whose SYSCALL does something else (docs/platform.md: PVM's stays at CPL3). */
	bool fail_at_syscall;
};

/* What SYSCALL does: the manual's, or the one of the host a kvm recording ran on. */
enum soft_syscall_model {
	SOFT_SYSCALL_ARCH,	/* CPL0 at LSTAR with STAR's flat CS and SS (the default) */
	/* PVM's (docs/platform.md): RCX, R11, RFLAGS and RIP as the manual says, but CS and SS
	 * stay, so the guest is still at CPL3 and the fetch at LSTAR takes a #PF (error code
	 * P|U, CR2 = LSTAR) into the kernel through the IDT. */
	SOFT_SYSCALL_PVM,
};

int soft_engine_run_until(struct engine *e, const struct soft_stop *stop, struct vm_exit *exit);
void soft_engine_set_mmio_handler(struct engine *e, soft_mmio_fn fn, void *ctx);
/* soft_engine_create with Unicorn's code buffer of code_buffer bytes (the default is 512 MiB
 * of address space): for tests that make the engine flush it often. */
struct engine *soft_engine_create_sized(struct guest_mem *mem, const struct cpuid_model *cpuid,
					size_t code_buffer, char *err, int errlen);
/* How many times the engine flushed Unicorn's code buffer. */
uint64_t soft_engine_flushes(struct engine *e);
/* Instructions retired since creation (or since soft_engine_set_icount). */
uint64_t soft_engine_icount(struct engine *e);
/* Translation blocks counted whole (at their start, without a per-instruction hook). */
uint64_t soft_engine_whole_blocks(struct engine *e);
/* Positions are relative: a restored snapshot sets the count it was taken at. */
void soft_engine_set_icount(struct engine *e, uint64_t icount);
void soft_engine_set_value_source(struct engine *e, soft_value_fn fn, void *ctx);
/* The VMM wrote guest code behind the engine's back (loader, DMA into code pages): forget
 * the translations of guest-physical [gpa, gpa+len), whatever virtual addresses ran them. */
void soft_engine_invalidate(struct engine *e, uint64_t gpa, uint64_t len);
void soft_engine_set_syscall_model(struct engine *e, enum soft_syscall_model m);
/* Names the Unicorn this binary runs the soft engine on ("Unicorn 2.1.1"). */
void soft_engine_version(char *buf, int len);
/* Guest-physical bytes to watch cheaply: [gpa, gpa+len), written (or, with reads, accessed)
 * by an instruction. */
struct soft_phys_watch {
	uint64_t gpa;
	uint32_t len;
	bool reads;
};
#define SOFT_MAX_PHYS_WATCH 4
/* Arms n physical watches (0 disarms them). Unlike data breakpoints (set_guest_debug), which
 * make every instruction run under the per-instruction hook to stop right after the one that
 * hit, these leave blocks counted whole: a hit stops the run (EXIT_DEBUG with debug.phys) at
 * the next instruction or block start, in the same exit, up to a block late. For finding
 * cheaply where to look exactly (reverse-continue: replay/debug_events.c). Accesses the engine
 * makes itself (interrupt frames) and the part of a page-crossing write beyond its first
 * page are not seen. 0, or -ENOSPC / -ENOMEM. */
int soft_engine_watch_phys(struct engine *e, const struct soft_phys_watch *w, int n);
/* True when e is a soft engine (so the calls above are valid on it). */
bool engine_is_soft(const struct engine *e);

#endif
