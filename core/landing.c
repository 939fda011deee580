#include "core/landing.h"
#include "core/dirty.h"
#include "core/vm.h"
#include "core/x86.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* RF and TF differ between a kicked stop and a breakpoint stop at the same point: a match
 * leaves them out. RF is recorded (traces before 2026-12-08 have it clear) and put back when
 * the landing is taken (landing_restore_rf). TF is not the guest's here. */
#define RFLAGS_IGNORED (RFLAGS_RF | RFLAGS_TF)

static int registers(struct engine *e, struct ev_async_stop *sig)
{
	struct kvm_regs r;
	int rc = e->ops->get_regs(e, &r);
	if (rc)
		return rc;
	memset(sig, 0, sizeof(*sig));
	sig->rip = r.rip;
	const uint64_t regs[16] = { r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp,
				    r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 };
	memcpy(sig->regs, regs, sizeof(regs));
	sig->rflags = r.rflags & ~RFLAGS_TF;
	return 0;
}

static uint64_t page_hash(struct vm *vm, uint64_t page)
{
	return XXH3_64bits(vm->mem.host + page * PAGE_SIZE, PAGE_SIZE);
}

long landing_record(struct vm *vm, uint8_t **payload)
{
	struct ev_async_stop sig;
	int rc = registers(vm->engine, &sig);
	if (!rc)
		rc = dirty_collect(vm);
	if (rc)
		return rc;
	const uint64_t *dirty = dirty_pages(vm, DIRTY_LANDING);
	uint32_t n = 0;
	for (size_t w = 0; w < vm->dirty.words; w++)
		n += (uint32_t)__builtin_popcountll(dirty[w]);
	struct ev_page_hash *pages = malloc((n ? n : 1) * sizeof(*pages));
	*payload = malloc(EV_ASYNC_STOP_SIZE(n));
	if (!pages || !*payload) {
		free(pages);
		free(*payload);
		return -ENOMEM;
	}
	for (size_t w = 0; w < vm->dirty.words; w++)
		for (uint64_t bits = dirty[w]; bits; bits &= bits - 1) {
			uint64_t page = w * 64 + (uint64_t)__builtin_ctzll(bits);
			pages[sig.npages++] = (struct ev_page_hash){ page, page_hash(vm, page) };
		}
	size_t len = ev_async_stop_encode(*payload, &sig, pages);
	free(pages);
	return (long)len;
}

void landing_taken(struct vm *vm)
{
	dirty_reset(vm, DIRTY_LANDING);
}

int landing_arm(struct vm *vm, const uint8_t *payload, size_t len)
{
	struct landing *l = &vm->landing;
	if (ev_async_stop_decode(&l->target, payload, len))
		return -EINVAL;
	if (l->target.npages > l->cap) {
		struct ev_page_hash *p = realloc(l->pages, l->target.npages * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->pages = p;
		l->cap = l->target.npages;
	}
	for (uint32_t i = 0; i < l->target.npages; i++) {
		l->pages[i] = ev_async_stop_page(&l->target, i);
		if (l->pages[i].page >= vm->mem.size / PAGE_SIZE)
			return -EINVAL;
	}
	l->target.pages = NULL;
	l->armed = true;
	vm->debug.dirty = true;
	return 0;
}

bool landing_matches(struct vm *vm)
{
	return landing_matches_on(vm, vm->engine);
}


bool landing_registers_match(struct vm *vm, struct engine *e, uint64_t flags)
{
	const struct landing *l = &vm->landing;
	struct ev_async_stop here;
	return !registers(e, &here) && here.rip == l->target.rip &&
	       !((here.rflags ^ l->target.rflags) & ~(flags | RFLAGS_IGNORED)) &&
	       !memcmp(here.regs, l->target.regs, sizeof(here.regs));
}

bool landing_matches_on(struct vm *vm, struct engine *e)
{
	const struct landing *l = &vm->landing;
	if (!landing_registers_match(vm, e, 0))
		return false;
	for (uint32_t i = 0; i < l->target.npages; i++)
		if (page_hash(vm, l->pages[i].page) != l->pages[i].hash)
			return false;
	return true;
}

int landing_restore_rf(struct vm *vm)
{
	struct engine *e = vm->engine;
	struct kvm_regs r;
	int rc = e->ops->get_regs(e, &r);
	if (rc || !((r.rflags ^ vm->landing.target.rflags) & RFLAGS_RF))
		return rc;
	r.rflags ^= RFLAGS_RF;
	return e->ops->set_regs(e, &r);
}

bool landing_page_is(const struct vm *vm, uint32_t i, const uint8_t *bytes)
{
	return XXH3_64bits(bytes, PAGE_SIZE) == vm->landing.pages[i].hash;
}

void landing_free(struct landing *l)
{
	free(l->pages);
	l->pages = NULL;
	l->cap = 0;
}
