/* The soft landing search: replaying a kvm trace, the stretch from the current point to an
 * armed asynchronous landing runs on the soft engine, which stops at the landing's RIP only
 * where the whole signature matches (core/landing.c), at the cost of a predicate call instead
 * of two VM exits per arrival at that RIP. The matched state then goes back to the kvm engine,
 * which delivers the interrupt there as after a hardware-breakpoint landing.
 *
 * What the stretch wrote is found among the landing's pages: the recorder listed every page
 * written since the previous landing, and the stretch is a part of that interval, so a
 * faithful stretch writes no other page. Those pages are copied before the stretch; afterwards
 * the ones that changed are marked in the dirty accumulators (the kvm engine's log never sees
 * the soft engine's writes).
 *
 * The search gives the stretch back to the hardware breakpoint (core/vm_debug.c) when:
 *  - it ran its instruction budget (user code, native under kvm, is slower here): the state it
 *    reached goes to kvm, which searches on from there;
 *  - it stopped at anything else before the landing (port I/O, MMIO, HLT, an instruction or
 *    event the soft engine cannot run), or it changed a page table (kvm keeps shadow copies of
 *    the guest's tables, on this host and on any without two-dimensional paging, updated as
 *    it sees guest writes: it does not see the soft engine's): the pages it changed are put
 *    back and kvm, untouched, searches from where the search began, so a landing that is
 *    truly not there is reported exactly as without the search;
 *  - an event is queued in the kvm vCPU (an interrupt injected at this exit), which the soft
 *    engine would have to deliver the way kvm does; or paging is in a mode other than off or
 *    4-level long mode (the tables it can check). */
#ifndef REWIND_LANDING_SEARCH_H
#define REWIND_LANDING_SEARCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/host_kind.h"

struct vm;
struct engine;

struct landing_search {
	/* The host the trace was recorded on: the soft engine does what its SYSCALL did (PVM:
	 * stays at CPL3, docs/platform.md). A trace that does not say (HOST_UNKNOWN, older
	 * traces) never has a stretch run across a SYSCALL. */
	enum host_kind recorded_on;
	struct engine *soft;	/* created at the first search, kept for the VM's life */
	uint8_t *saved;		/* the landing's pages as they were before the stretch */
	size_t saved_cap;	/* pages */
	uint32_t *changed;	/* the stretch changed these of the landing's pages */
	uint32_t nchanged;
	uint32_t *stale;	/* pages the predicate matched with other accessed/dirty bits */
	uint8_t *stale_bytes;	/* ... and what it matched them as */
	uint32_t nstale;
	uint64_t *visited;	/* page tables looked at: one bit per guest page */
	uint64_t found;		/* landings the soft engine found */
	uint64_t left;		/* landings it left to the hardware breakpoint, whole or in part */
	char error[160];	/* why the soft engine could not be created (-ENOTSUP) */
};

/* With vm->landing armed under the kvm engine: looks for it on the soft engine. Returns 1 when
 * the kvm vCPU now stands at the landing (the caller takes it: disarm, deliver), 0 when the
 * landing is still to be found with the hardware breakpoint from the kvm vCPU's state,
 * -ENOTSUP when no soft engine can be made for this VM (ls->error; the VM is untouched), or
 * another -errno when the state could not be moved (the kvm vCPU's state is then undefined). */
int landing_search(struct landing_search *ls, struct vm *vm);
void landing_search_free(struct landing_search *ls);

#endif
