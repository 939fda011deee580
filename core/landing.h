/* Asynchronous landings: a point between two exits, named by its landing signature (RIP, the
 * general registers, RFLAGS, and a hash of the pages written since the previous landing).
 * The recorder takes a signature where it delivers an interrupt asynchronously; the replayer
 * runs from the exit before it with a hardware breakpoint at RIP and stops where the whole
 * signature matches: the same registers and memory are the same machine state. */
#ifndef REWIND_LANDING_H
#define REWIND_LANDING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traces/events.h"

struct vm;

struct landing {
	bool armed;		/* replay: looking for `target` */
	bool stepping;		/* replay: stepping over a breakpoint that did not match */
	struct ev_async_stop target;
	uint64_t found, misses;
};

/* The signature of the current state; returns 0 or -errno. */
int landing_signature(struct vm *vm, struct ev_async_stop *sig);
/* The landing just taken: pages written before it no longer count. */
void landing_taken(struct vm *vm);

/* Replay: look for sig from here on (hardware breakpoint at its RIP). */
int landing_arm(struct vm *vm, const struct ev_async_stop *sig);
/* Replay, at a debug exit while armed: true when the guest stands exactly at the target (the
 * breakpoint is then removed); false after arranging to step over a non-matching hit. */
bool landing_check(struct vm *vm);

#endif
