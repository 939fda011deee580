/* The vCPU engine interface. An engine runs the one vCPU until an exit and holds its
 * architectural state in KVM's own structures, so state moves between engines unchanged.
 * Engines: kvm (core/kvm_engine.c) and soft (core/soft_engine.c). */
#ifndef REWIND_ENGINE_H
#define REWIND_ENGINE_H
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct guest_mem;
struct cpuid_model;

enum exit_reason {
	EXIT_IO,	  /* port I/O: the run loop dispatches it to the bus */
	EXIT_MMIO,	  /* MMIO outside RAM: dispatched to the bus */
	EXIT_HLT,	  /* guest halted with interrupts enabled, or disabled (check regs) */
	EXIT_IRQ_WINDOW,  /* the guest can now take the interrupt we asked a window for */
	EXIT_KICKED,	  /* the engine's kick op stopped the run (timer, input, user request) */
	EXIT_DEBUG,	  /* breakpoint, watchpoint or single-step */
	EXIT_SHUTDOWN,	  /* triple fault or an instruction the backend cannot run */
	EXIT_INSN_LIMIT,  /* the instruction count set_icount_stop() asked for was reached */
	EXIT_FAIL,	  /* anything else the engine could not handle: see fail_* */
};

struct vm_exit {
	enum exit_reason reason;
	union {
		struct {
			uint16_t port;
			uint8_t size;	  /* 1, 2 or 4 */
			bool write;
			uint32_t count;	  /* > 1 for rep ins/outs */
			uint8_t *data;	  /* count * size bytes, owned by the engine */
		} io;
		struct {
			uint64_t addr;
			uint8_t size;
			bool write;
			uint8_t *data;
		} mmio;
		struct {
			uint64_t dr6, pc;
			/* A physical watch hit (soft_engine_watch_phys): this stop may be up
			 * to a translation block after the instruction that made it. */
			bool phys;
		} debug;
		struct {
			uint32_t hw_reason;	/* backend's own reason code (e.g. KVM_EXIT_*) */
			char what[96];		/* human-readable explanation */
		} fail;
	};
};

struct engine;

struct engine_ops {
	const char *name;
	/* Runs until an exit; returns 0 with *exit filled, or -errno on an engine error. */
	int (*run)(struct engine *e, struct vm_exit *exit);
	/* Asynchronously stops run() with EXIT_KICKED; callable from any thread/signal context. */
	void (*kick)(struct engine *e);

	int (*get_regs)(struct engine *e, struct kvm_regs *regs);
	int (*set_regs)(struct engine *e, const struct kvm_regs *regs);
	int (*get_sregs)(struct engine *e, struct kvm_sregs *sregs);
	int (*set_sregs)(struct engine *e, const struct kvm_sregs *sregs);
	/* msrs->nmsrs entries with their index set; values filled / applied. */
	int (*get_msrs)(struct engine *e, struct kvm_msrs *msrs);
	int (*set_msrs)(struct engine *e, const struct kvm_msrs *msrs);
	int (*get_fpu)(struct engine *e, struct kvm_fpu *fpu);
	int (*set_fpu)(struct engine *e, const struct kvm_fpu *fpu);
	int (*get_events)(struct engine *e, struct kvm_vcpu_events *ev);
	int (*set_events)(struct engine *e, const struct kvm_vcpu_events *ev);

	/* True when an external interrupt can be injected now (IF=1, no interrupt shadow). */
	bool (*interruptible)(struct engine *e);
	int (*inject_irq)(struct engine *e, uint8_t vector);
	/* Ask for an EXIT_IRQ_WINDOW as soon as the guest becomes interruptible. */
	void (*request_irq_window)(struct engine *e, bool on);

	/* Debug: KVM_GUESTDBG_* flags and up to 4 hardware breakpoints (addr, type as in DR7). */
	int (*set_guest_debug)(struct engine *e, const struct kvm_guest_debug *dbg);

	/* Finishes an I/O exit's instruction (an `in` takes its value on the next run) without
	 * running guest code, so the state read next is whole: before snapshots. May be NULL
	 * when the engine's state is always whole between runs. */
	int (*complete_io)(struct engine *e);

	/* Pages written since the last call, one bit per 4 KiB page of RAM (may be NULL). */
	int (*get_dirty_log)(struct engine *e, uint64_t *bitmap);

	/* Engines that count retired instructions exactly (soft; NULL for kvm): the count since
	 * boot, and a stop: run() returns EXIT_INSN_LIMIT, before executing anything more, once
	 * the count reaches `icount` (at once when it already has). The stop is reported once
	 * and then disarmed; 0 disarms it. Record/replay positions asynchronous events by it. */
	uint64_t (*icount)(struct engine *e);
	int (*set_icount_stop)(struct engine *e, uint64_t icount);
	/* Sets the count (restoring a checkpoint); NULL when icount is. */
	void (*set_icount)(struct engine *e, uint64_t icount);

	void (*destroy)(struct engine *e);
};

struct engine {
	const struct engine_ops *ops;
	struct guest_mem *mem;
};

/* Engines are created by name ("kvm", "soft"); on failure *err says why. */
struct engine *kvm_engine_create(struct guest_mem *mem, const struct cpuid_model *cpuid,
				 char *err, int errlen);
struct engine *soft_engine_create(struct guest_mem *mem, const struct cpuid_model *cpuid,
				  char *err, int errlen);

#endif
