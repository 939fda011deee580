/* Asynchronous landings: a point between two exits, named by its landing signature: RIP, the
 * general registers, RFLAGS, and the contents (a hash per page) of every page written since
 * the previous landing. The recorder takes a signature where it delivers an interrupt
 * asynchronously; the replayer runs from the exit before it with a hardware breakpoint at RIP
 * and stops where the registers and all those pages match: the same registers and memory are
 * the same machine state.
 *
 * The recorder lists the pages from KVM's dirty log, which may also name pages that were only
 * mapped writable, never written (the log follows the shadow MMU). Extra pages do no harm: the
 * replay compares their contents, which are right at the right point. So replay needs no dirty
 * log, and a replay resumed from a checkpoint (with a cold MMU) matches the same way. */
#ifndef REWIND_LANDING_H
#define REWIND_LANDING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traces/events.h"

struct vm;
struct engine;

struct landing {
	bool armed;		/* replay: looking for `target` (hardware breakpoint DR0) */
	struct ev_async_stop target;
	struct ev_page_hash *pages;	/* target's pages (the payload is not kept) */
	size_t cap;
	uint64_t found, misses;
};

/* Record: the signature of the current state, written to the trace as EV_ASYNC_STOP payload
 * into *payload (allocated; the caller frees it). Returns its length, or -errno. */
long landing_record(struct vm *vm, uint8_t **payload);
/* Record: the landing just taken: pages written before it no longer count. */
void landing_taken(struct vm *vm);

/* Replay: look for the signature in payload from here on (hardware breakpoint at its RIP; the
 * run loop's debug code, core/vm_debug.c, arms it and steps over hits that do not match). */
int landing_arm(struct vm *vm, const uint8_t *payload, size_t len);
/* Replay: the guest stands exactly at the target. */
bool landing_matches(struct vm *vm);
/* The same test on another engine's vCPU over the VM's memory (the soft landing search). */
bool landing_matches_on(struct vm *vm, struct engine *e);
/* Its registers alone (RIP, general registers, RFLAGS but the bits in `flags`). */
bool landing_registers_match(struct vm *vm, struct engine *e, uint64_t flags);
/* Replay, at the landing: RF as recorded. kvm on PVM leaves RF set where a fault it handled
 * itself (a shadow page fault) stopped the guest, and kicks land there now and then: the
 * interrupt frame keeps it, and a later landing hashes that stack page. Returns 0 or -errno. */
int landing_restore_rf(struct vm *vm);
/* Are `bytes` what the target's i-th page held? */
bool landing_page_is(const struct vm *vm, uint32_t i, const uint8_t *bytes);
void landing_free(struct landing *l);

#endif
