/* The debugger's internals, shared by its files:
 *   debugger.c         the gdb target: resume, breakpoints, monitor commands, open and close
 *   debug_positions.c  where the VM stands, and moving it to a position (checkpoints, steps)
 *   debug_events.c     breakpoint and watchpoint events: continue forwards and backwards
 *   debug_steps.c      gdb's single steps forwards and backwards, which take an interrupt whole
 * A position is (exit, step): core/vm_debug.h. */
#ifndef REWIND_DEBUG_INTERNAL_H
#define REWIND_DEBUG_INTERNAL_H
#include "core/checkpoints.h"
#include "core/vm.h"
#include "gdb/gdb.h"

#define MAX_WATCH 4

struct pos {
	uint64_t exits, steps;
};

static inline int pos_cmp(struct pos a, struct pos b)
{
	if (a.exits != b.exits)
		return a.exits < b.exits ? -1 : 1;
	return a.steps < b.steps ? -1 : a.steps > b.steps;
}

struct watch {
	uint64_t va, gpa;
	uint32_t len;
	enum gdb_bp_type type;
};

struct debugger {
	bool live;		/* a running VM, not a replay: forwards only */
	char *path;
	struct replayer *rp;
	struct vm *vm;
	struct checkpoint_set ck;
	uint64_t every, budget, next_checkpoint, frontier;

	struct gdb_breakpoint bps[GDB_MAX_BREAKPOINTS];
	int nbps;
	struct watch watch[MAX_WATCH];
	int nwatch;

	/* Where the VM stands. Known exactly, or as the `hit_count`-th stop at `hit_addr` after
	 * `count_from` (a breakpoint reached by running freely), or only by its registers, the
	 * first stop after count_from with here_regs (an interrupt from gdb, a watchpoint).
	 * count_from is exact, in exit here.exits: where the free run started, or the start of
	 * the exit it ran into. A breakpoint at count_from itself is among the hits only in the
	 * latter case (`count_from_hit`): a run leaves the breakpoint it starts on. */
	struct pos here;
	bool here_known;
	uint64_t hit_addr;
	uint32_t hit_count;
	struct pos count_from;
	bool count_from_hit;
	struct kvm_regs here_regs;
	bool at_end;		/* the recording ends here (the guest exited, or the trace ends) */
	bool step_into_interrupts; /* `monitor step-into-interrupts on`: steps enter handlers */
	bool broken;		/* the replay diverged: nothing can run any more */
	int exit_status;
	char error[512];
};

/* debug_positions.c */
/* The quiet-point hook: takes the on-demand checkpoints of the first pass. */
void dbg_take_checkpoint(struct vm *vm, void *ctx);
/* Runs the VM until it pauses or the recording ends. 0, or -EIO after recording why. */
int dbg_run(struct debugger *d);
/* What the next run does: step (calling on_step at each stop), and arm the breakpoints. */
void dbg_mode(struct debugger *d, bool step, bool (*on_step)(struct vm *, void *), void *ctx,
	      bool breakpoints);
int dbg_restore(struct debugger *d, size_t k);
long dbg_checkpoint_before(const struct debugger *d, struct pos p, bool strict);
int dbg_goto_exit(struct debugger *d, uint64_t exits);
int dbg_step_n(struct debugger *d, uint64_t n);
int dbg_goto_pos(struct debugger *d, struct pos p);
/* After a stop: what identifies it until its position is made exact (dbg_locate). */
void dbg_record_stop(struct debugger *d);
/* The instruction bytes at rip (guest-virtual): how many could be read, up to the longest
 * x86 instruction; 0 when rip is unmapped. */
#define DBG_CODE_MAX 15
size_t dbg_read_code(struct debugger *d, uint64_t rip, uint8_t code[DBG_CODE_MAX]);

/* debug_events.c */
int dbg_locate(struct debugger *d);
int dbg_forward_continue(struct debugger *d, struct gdb_stop *stop);
int dbg_reverse_continue(struct debugger *d, struct gdb_stop *stop);

/* debug_steps.c */
int dbg_step(struct debugger *d);
int dbg_reverse_step(struct debugger *d, struct gdb_stop *stop);

#endif
