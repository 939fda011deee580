/* Chaos recording: where a pending interrupt is delivered, varied from a seeded generator
 * within what hardware could do, so that interleavings rare in a plain run become common.
 * Nothing here needs replaying: the trace logs where each interrupt went (docs/chaos.md). */
#ifndef REWIND_CHAOS_H
#define REWIND_CHAOS_H
#include <stdbool.h>
#include <stdint.h>

/* Bounds: a pending interrupt is passed over at no more than this many points where the guest
 * could take it, and never for longer than CHAOS_MAX_HOLD_NS of host time after the first. */
#define CHAOS_MAX_SKIPS 7
#define CHAOS_MAX_HOLD_NS 2000000ULL
/* The grace period before an interrupt waiting for an exit is delivered asynchronously:
 * drawn from [MIN, MAX] instead of the fixed WAKER_GRACE_NS. */
#define CHAOS_MIN_GRACE_NS 50000ULL
#define CHAOS_MAX_GRACE_NS 2000000ULL

struct chaos {
	bool on;
	uint64_t seed;
	uint64_t rng;		/* splitmix64 state */
	bool planned;		/* the pending interrupt has its plan: */
	unsigned skips_left;	/* deliverable points still to pass over */
	unsigned passed;	/* points passed over so far */
	uint64_t hold_until_ns;	/* and no later than this host time */
	uint64_t held;		/* points passed over, over the whole run */
};

void chaos_init(struct chaos *c, uint64_t seed);
/* Uniform in [0, n). */
uint64_t chaos_below(struct chaos *c, uint64_t n);
/* The guest could take the pending interrupt now (host time now_ns): true to pass over
 * this point. Off, it never holds. */
bool chaos_hold(struct chaos *c, uint64_t now_ns);
/* The pending interrupt was delivered (or went away): the next one gets a new plan. */
void chaos_done(struct chaos *c);
/* The grace period for an interrupt that starts waiting for an exit now. */
uint64_t chaos_grace_ns(struct chaos *c, uint64_t dflt);

#endif
