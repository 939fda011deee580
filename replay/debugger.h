/* The debugger: a recorded run under gdb, forwards and backwards. It drives a replay of the
 * trace through positions (core/vm_debug.h): going back restores the nearest checkpoint and
 * replays forward to the wanted position. Checkpoints are taken as the session first moves
 * through the run, every `checkpoint_exits` exits, within a memory budget, besides any the
 * trace already has (TRACE.ckpt/).
 *
 * Under the kvm engine on this host, breakpoints and steps see kernel (CPL0) code only:
 * user code runs natively and no debug stop fires in it (docs/gdb.md). */
#ifndef REWIND_DEBUGGER_H
#define REWIND_DEBUGGER_H
#include <stddef.h>
#include <stdint.h>

#include "gdb/gdb.h"

struct debugger;

struct debugger_options {
	uint64_t checkpoint_exits;	/* distance between checkpoints; 0 = default */
	uint64_t budget_bytes;		/* page-store bytes for checkpoints; 0 = default */
};

struct debugger *debugger_open(const char *trace_path, const struct debugger_options *opt,
			       char *err, size_t errlen);
/* A live VM (vm_start()ed, not yet run) under gdb: forwards only, with debugger_live_ops. */
struct vm;
struct debugger *debugger_attach_live(struct vm *vm);
void debugger_close(struct debugger *d);

extern const struct gdb_target_ops debugger_target_ops;
extern const struct gdb_target_ops debugger_live_ops;

#endif
