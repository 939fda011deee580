/* Dirty-page tracking over the engine's dirty log. Reading KVM's log clears it, so one reader
 * collects it for everyone: each user owns an accumulator of the pages written since it last
 * reset it (landing signatures, incremental checkpoints). */
#ifndef REWIND_DIRTY_H
#define REWIND_DIRTY_H
#include <stddef.h>
#include <stdint.h>

struct vm;

/* DIRTY_EVER is never reset: pages the guest (or rewind, loading or restoring) may have made
 * non-zero; every other page is still zero, so digests need not read it. */
enum dirty_user { DIRTY_LANDING, DIRTY_CHECKPOINT, DIRTY_EVER, DIRTY_USERS };

struct dirty_log {
	uint64_t *acc[DIRTY_USERS];	/* one bit per guest page */
	uint64_t *scratch;		/* the engine's log as read */
	size_t words;
};

/* Allocates the accumulators and clears the engine's log: tracking starts now (a no-op when
 * it already runs). */
int dirty_init(struct vm *vm);
void dirty_free(struct dirty_log *d);
/* Reads the engine's log into every accumulator. */
int dirty_collect(struct vm *vm);
/* The user's pages written since its last reset (collect first). */
const uint64_t *dirty_pages(struct vm *vm, enum dirty_user user);
void dirty_reset(struct vm *vm, enum dirty_user user);
/* Marks a page written behind the engine's back (loading, restoring): for DIRTY_EVER. */
void dirty_mark_written(struct vm *vm, uint64_t page);
/* Marks a page the guest wrote while another engine than the one whose log is read ran it
 * (core/landing_search.c): for every user, as if the log had it. */
void dirty_mark_guest_write(struct vm *vm, uint64_t page);

#endif
