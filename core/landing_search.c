#include "core/landing_search.h"
#include "core/dirty.h"
#include "core/soft_engine.h"
#include "core/vm.h"
#include "core/vm_state.h"
#include "core/x86.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Instructions one search runs before kvm takes over. Kernel code runs some hundred times
 * faster here than kvm emulates it on this host, user code several times slower than kvm runs
 * it natively: the budget bounds what a stretch through long user code can lose (~10 ms). */
#define SEARCH_BUDGET (1ULL << 22)

#define PTE_PRESENT 1ULL
#define PTE_ACCESSED (1ULL << 5)
#define PTE_DIRTY (1ULL << 6)
#define PTE_LARGE (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL


static int save_pages(struct landing_search *ls, struct vm *vm)
{
	const struct landing *l = &vm->landing;
	if (l->target.npages > ls->saved_cap) {
		uint8_t *p = realloc(ls->saved, (size_t)l->target.npages * PAGE_SIZE);
		if (p)
			ls->saved = p;
		uint32_t *c = realloc(ls->changed, l->target.npages * sizeof(*c));
		if (c)
			ls->changed = c;
		uint32_t *st = realloc(ls->stale, l->target.npages * sizeof(*st));
		if (st)
			ls->stale = st;
		uint8_t *sb = realloc(ls->stale_bytes, (size_t)l->target.npages * PAGE_SIZE);
		if (sb)
			ls->stale_bytes = sb;
		if (!p || !c || !st || !sb)
			return -ENOMEM;
		ls->saved_cap = l->target.npages;
	}
	for (uint32_t i = 0; i < l->target.npages; i++)
		memcpy(ls->saved + (size_t)i * PAGE_SIZE, vm->mem.host + l->pages[i].page * PAGE_SIZE,
		       PAGE_SIZE);
	return 0;
}

/* The landing's pages the stretch changed: their indexes into ls->changed. */
static void find_changed(struct landing_search *ls, struct vm *vm)
{
	const struct landing *l = &vm->landing;
	ls->nchanged = 0;
	for (uint32_t i = 0; i < l->target.npages; i++)
		if (memcmp(vm->mem.host + l->pages[i].page * PAGE_SIZE,
			   ls->saved + (size_t)i * PAGE_SIZE, PAGE_SIZE))
			ls->changed[ls->nchanged++] = i;
}

/* Puts the changed pages back as they were before the stretch. */
static void undo_changes(struct landing_search *ls, struct vm *vm)
{
	for (uint32_t i = 0; i < ls->nchanged; i++) {
		uint32_t k = ls->changed[i];
		memcpy(vm->mem.host + vm->landing.pages[k].page * PAGE_SIZE,
		       ls->saved + (size_t)k * PAGE_SIZE, PAGE_SIZE);
	}
}

/* Did the stretch change the table that is the landing's k-th page beyond accessed and
 * dirty bits? Those the soft engine's page walker sets as a CPU does; kvm's shadow entries
 * stay valid under them (a shadow entry kept read-only for a dirty bit faults once more and
 * finds the bit set). Any other change would leave kvm's shadow tables stale. */
static bool table_rewritten(struct landing_search *ls, struct vm *vm, uint32_t k)
{
	const uint64_t *now = (const uint64_t *)(vm->mem.host + vm->landing.pages[k].page * PAGE_SIZE);
	const uint64_t *was = (const uint64_t *)(ls->saved + (size_t)k * PAGE_SIZE);
	for (int i = 0; i < 512; i++)
		if ((now[i] ^ was[i]) & ~(PTE_ACCESSED | PTE_DIRTY))
			return true;
	return false;
}

struct search_ctx {
	struct landing_search *ls;
	struct vm *vm;
};

/* At most this many accessed/dirty bits of one page are tried in every combination. */
#define AD_BITS_TRIED 8

/* The landing's i-th page differs from its copy before the stretch by accessed and dirty bits
 * alone: is it, with other A/D bits set in the entries that changed, what the recording had?
 * Then those bytes go to ls->stale_bytes[slot]. */
static bool recorded_with_other_ad_bits(struct landing_search *ls, struct vm *vm, uint32_t i,
					uint32_t slot)
{
	const uint64_t *now = (const uint64_t *)(vm->mem.host + vm->landing.pages[i].page * PAGE_SIZE);
	const uint64_t *was = (const uint64_t *)(ls->saved + (size_t)i * PAGE_SIZE);
	uint64_t *cand = (uint64_t *)(ls->stale_bytes + (size_t)slot * PAGE_SIZE);
	struct {
		int entry;
		uint64_t bit;
	} diff[AD_BITS_TRIED];
	int n = 0;
	for (int e = 0; e < 512; e++) {
		uint64_t bits = now[e] ^ was[e];
		/* kvm may have set the dirty bit of an entry the soft engine only accessed (seen:
		 * PVM's on a writable 2 MiB user page at a new task's first instruction). */
		if (bits & PTE_ACCESSED)
			bits |= PTE_DIRTY & ~was[e];
		for (; bits; bits &= bits - 1) {
			if (n == AD_BITS_TRIED)
				return false;
			diff[n].entry = e;
			diff[n++].bit = bits & -bits;
		}
	}
	for (uint32_t subset = 0; subset < (1u << n); subset++) {
		memcpy(cand, was, PAGE_SIZE);
		for (int b = 0; b < n; b++)
			cand[diff[b].entry] |= subset & (1u << b) ? diff[b].bit : 0;
		if (landing_page_is(vm, i, (const uint8_t *)cand))
			return true;
	}
	return false;
}

/* The landing predicate, with what the soft engine does its own way left out:
 *  - the flags an instruction leaves undefined (the recording's OF after `shl $17` was 0,
 *    Unicorn's 1): no part of where a program is; taken from the recording at the landing;
 *  - accessed and dirty bits Unicorn's page walker set where kvm's had not yet (a landing on
 *    a new task's first user instruction: Unicorn walks the tables to translate the block
 *    before it runs; kvm's had set a dirty bit there instead): a page that differs from its copy
 *    before the stretch by such bits alone, and that with other A/D bits in the entries that
 *    changed is what the recording had, matches as that (written at the landing).
 * With both, the state handed to kvm is exactly the recorded one. */
static bool at_landing(struct engine *e, void *ctx)
{
	struct search_ctx *c = ctx;
	struct landing_search *ls = c->ls;
	struct vm *vm = c->vm;
	if (!landing_registers_match(vm, e, RFLAGS_ARITH))
		return false;
	ls->nstale = 0;
	for (uint32_t i = 0; i < vm->landing.target.npages; i++) {
		if (landing_page_is(vm, i, vm->mem.host + vm->landing.pages[i].page * PAGE_SIZE))
			continue;
		if (table_rewritten(ls, vm, i) || !recorded_with_other_ad_bits(ls, vm, i, ls->nstale))
			return false;
		ls->stale[ls->nstale++] = i;
	}
	return true;
}

/* At the landing: the pages at_landing matched with other A/D bits become what it matched. */
static void put_back_stale(struct landing_search *ls, struct vm *vm)
{
	for (uint32_t j = 0; j < ls->nstale; j++)
		memcpy(vm->mem.host + vm->landing.pages[ls->stale[j]].page * PAGE_SIZE,
		       ls->stale_bytes + (size_t)j * PAGE_SIZE, PAGE_SIZE);
}

/* Is the 4-level table at `table` (guest-physical), or one below it, a page the stretch
 * changed? Each table is looked at once (`visited`), so shared and recursive entries cost
 * nothing more. */
static bool table_changed(struct landing_search *ls, struct vm *vm, uint64_t table, int level)
{
	uint64_t page = table / PAGE_SIZE;
	if (table + PAGE_SIZE > vm->mem.size || (ls->visited[page / 64] & (1ULL << (page % 64))))
		return false;
	ls->visited[page / 64] |= 1ULL << (page % 64);
	for (uint32_t i = 0; i < ls->nchanged; i++)
		if (vm->landing.pages[ls->changed[i]].page == page && table_rewritten(ls, vm, ls->changed[i]))
			return true;
	if (level == 1)
		return false;
	const uint64_t *e = (const uint64_t *)(vm->mem.host + table);
	for (int i = 0; i < 512; i++)
		if ((e[i] & PTE_PRESENT) && !(level < 4 && (e[i] & PTE_LARGE)) &&
		    table_changed(ls, vm, e[i] & PTE_ADDR, level - 1))
			return true;
	return false;
}

/* Paging modes the search runs in: off, or 4-level long mode (the tables it can check). */
static bool paging_supported(const struct kvm_sregs *s)
{
	return !(s->cr0 & CR0_PG) || ((s->efer & EFER_LMA) && !(s->cr4 & CR4_LA57));
}

/* kvm's shadow page tables follow the guest's through the guest writes kvm sees: a table
 * the soft engine rewrote would leave them stale. */
static bool tables_changed(struct landing_search *ls, struct vm *vm, const struct kvm_sregs *s)
{
	if (!(s->cr0 & CR0_PG))
		return false;
	memset(ls->visited, 0, (vm->mem.size / PAGE_SIZE + 63) / 64 * sizeof(uint64_t));
	return table_changed(ls, vm, s->cr3 & PTE_ADDR, 4);
}

/* kvm runs CPL3 code natively on this host and no breakpoint fires in it (docs/platform.md):
 * a stretch out of budget there stays on the soft engine, which can find a landing in user
 * code, and one in the kernel too. */
static bool in_user_code(struct engine *soft)
{
	struct kvm_sregs s;
	return soft->ops->get_sregs(soft, &s) == 0 && (s.cs.selector & 3);
}

/* PVM's iretq to CPL3 keeps DS, ES, FS and GS where the manual, and the soft engine, null a
 * kernel data selector (docs/platform.md; pvm_syscall_matches_kvm): a selector the stretch
 * nulled is one kvm would still hold. In 64-bit mode none of them changes how code runs. */
static void keep_pvm_data_segments(struct kvm_sregs *now, const struct kvm_sregs *before)
{
	struct kvm_segment *n[] = { &now->ds, &now->es, &now->fs, &now->gs };
	const struct kvm_segment *b[] = { &before->ds, &before->es, &before->fs, &before->gs };
	for (int i = 0; i < 4; i++)
		if (!(n[i]->selector & ~3) && (b[i]->selector & ~3))
			*n[i] = *b[i];
}

/* Runs the stretch on the soft engine from state v. Returns 1 at the landing, 0 out of
 * budget (both with v the state reached, the pages it changed marked dirty), -1 when kvm must
 * search from where it stands (memory as it was). */
static int run_stretch(struct landing_search *ls, struct vm *vm, struct vcpu_state *v)
{
	struct search_ctx ctx = { ls, vm };
	struct soft_stop st = {
		.icount = soft_engine_icount(ls->soft) + SEARCH_BUDGET,
		.at_addr = true,
		.addr = vm->landing.target.rip,
		.gprs = vm->landing.target.regs,
		.pred = at_landing,
		.ctx = &ctx,
		/* Where the recording's host is not known, neither is what its SYSCALL did (PVM's
		 * stays at CPL3 and enters the kernel through a fault, the manual's enters CPL0:
		 * the same registers by other paths through memory), so a stretch across one is
		 * kvm's to run. */
		.fail_at_syscall = ls->recorded_on == HOST_UNKNOWN,
	};
	struct vm_exit x;
	struct kvm_sregs before = v->sregs;
	if (save_pages(ls, vm) || vcpu_state_write(ls->soft, v))
		return -1;
	bool ran;
	while ((ran = soft_engine_run_until(ls->soft, &st, &x) == 0) && x.reason == EXIT_INSN_LIMIT &&
	       in_user_code(ls->soft))
		st.icount += SEARCH_BUDGET;
	if (ran && x.reason == EXIT_DEBUG)
		put_back_stale(ls, vm);
	find_changed(ls, vm);
	if (!ran || (x.reason != EXIT_DEBUG && x.reason != EXIT_INSN_LIMIT) ||
	    vcpu_state_read(ls->soft, v) || !paging_supported(&v->sregs) ||
	    (ls->nchanged && (tables_changed(ls, vm, &before) || tables_changed(ls, vm, &v->sregs)))) {
		undo_changes(ls, vm);
		return -1;
	}
	for (uint32_t i = 0; i < ls->nchanged; i++)
		dirty_mark_guest_write(vm, vm->landing.pages[ls->changed[i]].page);
	/* The soft engine has no local APIC: kvm keeps its own. RF stays as the soft engine has
	 * it (exact, after an IRET too); at the landing the replayer puts the recorded one. */
	v->sregs.apic_base = before.apic_base;
	if (ls->recorded_on == HOST_PVM)
		keep_pvm_data_segments(&v->sregs, &before);
	if (x.reason == EXIT_DEBUG)
		v->regs.rflags = (v->regs.rflags & ~RFLAGS_ARITH) |
				 (vm->landing.target.rflags & RFLAGS_ARITH);
	return x.reason == EXIT_DEBUG;
}

int landing_search(struct landing_search *ls, struct vm *vm)
{
	struct engine *k = vm->engine;
	struct vcpu_state v;
	int rc;
	if (k->ops->complete_io && (rc = k->ops->complete_io(k)))
		return rc;
	if ((rc = vcpu_state_read(k, &v)))
		return rc;
	if (v.events.interrupt.injected || v.events.exception.injected || v.events.nmi.injected ||
	    v.events.nmi.pending || !paging_supported(&v.sregs)) {
		ls->left++;
		return 0;
	}
	if (landing_matches_on(vm, k)) {
		ls->found++;
		return 1;
	}
	if (!ls->soft) {
		if (!ls->visited &&
		    !(ls->visited = calloc((vm->mem.size / PAGE_SIZE + 63) / 64, sizeof(uint64_t))))
			return -ENOMEM;
		ls->soft = soft_engine_create(&vm->mem, &vm->cpuid, ls->error, sizeof(ls->error));
		if (!ls->soft)
			return -ENOTSUP;
		if (ls->recorded_on == HOST_PVM)
			soft_engine_set_syscall_model(ls->soft, SOFT_SYSCALL_PVM);
	}
	int found = run_stretch(ls, vm, &v);
	if (found < 0) {
		ls->left++;
		return 0;
	}
	if ((rc = vcpu_state_write(k, &v)))
		return rc;
	/* kvm answers `interruptible` from its last run: a run that returns before entering the
	 * guest brings that up to date with the state just written. */
	if (k->ops->complete_io && (rc = k->ops->complete_io(k)))
		return rc;
	ls->found += found;
	ls->left += !found;
	return found;
}

void landing_search_free(struct landing_search *ls)
{
	if (ls->soft)
		ls->soft->ops->destroy(ls->soft);
	ls->soft = NULL;
	free(ls->saved);
	free(ls->changed);
	free(ls->stale);
	free(ls->stale_bytes);
	ls->stale = NULL;
	ls->stale_bytes = NULL;
	free(ls->visited);
	ls->saved = NULL;
	ls->changed = NULL;
	ls->visited = NULL;
	ls->saved_cap = 0;
}
