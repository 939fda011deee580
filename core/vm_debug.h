/* Debugging a VM: hardware breakpoints, watchpoints and single steps through the engine's
 * guest-debug interface, pauses at a given exit, and the position of every pause.
 *
 * A position is (exit index E, step n): the state right after exit E was handled is (E, 0);
 * each single step from there adds one. Stepping passes over code the engine runs natively
 * (CPL3 under the kvm engine here), so n counts CPL0 instructions. A breakpoint hit reached by
 * running freely is (E, ?): its n is found again by stepping to the same hit of the same
 * address from a position known exactly: (E, 0), or where the run started when that was in
 * exit E (`hits` counts them since the exit, and no hit is counted at a position known
 * exactly: only a run counts them, and its positions are not known). */
#ifndef REWIND_VM_DEBUG_H
#define REWIND_VM_DEBUG_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vm_exit;

/* DR1..DR2 are the debugger's; DR0 is the replayer's (asynchronous landings) and DR3 stands
 * in for a single step that would deliver an interrupt (see vm_debug_apply). */
#define VM_DEBUG_MAX_HW 2
#define VM_PAUSE_NONE UINT64_MAX

enum vm_debug_stop {
	DEBUG_STOP_NONE,
	DEBUG_STOP_STEP,	/* a single step (or on_step asked to pause) */
	DEBUG_STOP_BREAK,	/* hardware breakpoint hw[stop_bp] */
	DEBUG_STOP_WATCH,	/* hardware data breakpoint hw[stop_bp] (trap after the access) */
	DEBUG_STOP_AT_EXIT,	/* reached pause_at_exit */
	DEBUG_STOP_INTERRUPT,	/* vm_debug_interrupt() */
};

enum vm_hw_kind { HW_EXEC = 0, HW_WRITE = 1, HW_ACCESS = 3 }; /* DR7 R/W encodings */

struct vm_hw_point {
	uint64_t addr;		/* guest-virtual */
	enum vm_hw_kind kind;
	uint8_t len;		/* 1, 2, 4 or 8 for data */
};

struct vm_debug {
	bool attached;		/* debug exits are the debugger's, not a guest error */
	bool step;		/* single-step: pause (or ask on_step) after each instruction */
	/* Stepping: called at each step stop; returns true to pause there. NULL = always. */
	bool (*on_step)(struct vm *vm, void *ctx);
	void *on_step_ctx;
	struct vm_hw_point hw[VM_DEBUG_MAX_HW];
	int nhw;
	uint32_t hits[VM_DEBUG_MAX_HW];	/* breakpoint hits since the last exit */
	uint64_t pause_at_exit;		/* pause once exit E is handled; VM_PAUSE_NONE */
	atomic_bool interrupt;

	/* Position since the last exit. */
	uint64_t steps;
	bool steps_known;	/* every instruction since (E, 0) was stepped */

	/* Why the VM paused. */
	enum vm_debug_stop stop;
	int stop_bp;
	bool delivered;		/* the last step delivered an interrupt: at its handler now */

	bool step_over;		/* re-entering at a breakpoint: step past it with none armed */
	int irq_vector;		/* injected at this exit, delivered at the next entry; -1 none */
	bool dirty;		/* debug registers must be written before the next run */
};

void vm_debug_init(struct vm_debug *d);
/* Writes the debug registers when they changed: the landing breakpoint (DR0), the
 * debugger's (DR1..3), single-step. Called before every run. */
int vm_debug_apply(struct vm *vm);
/* A debug exit: the landing, a step, a breakpoint or a watchpoint. */
void vm_debug_exit(struct vm *vm, const struct vm_exit *x);
/* A deterministic exit was handled (end of its processing): positions restart. */
void vm_debug_exit_done(struct vm *vm);
/* From another thread: pause as soon as possible. */
void vm_debug_interrupt(struct vm *vm);

#endif
