#include "core/landing.h"
#include "core/dirty.h"
#include "core/vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* RF and TF differ between a kicked stop and a breakpoint stop at the same point. */
#define RFLAGS_IGNORED ((1ULL << 16) | (1ULL << 8))

int landing_signature(struct vm *vm, struct ev_async_stop *sig)
{
	struct kvm_regs r;
	int rc = vm->engine->ops->get_regs(vm->engine, &r);
	if (!rc)
		rc = dirty_collect(vm);
	if (rc)
		return rc;
	memset(sig, 0, sizeof(*sig));
	sig->rip = r.rip;
	const uint64_t regs[16] = { r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp,
				    r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 };
	memcpy(sig->regs, regs, sizeof(regs));
	sig->rflags = r.rflags & ~RFLAGS_IGNORED;

	XXH3_state_t *st = XXH3_createState();
	if (!st)
		return -ENOMEM;
	XXH3_128bits_reset(st);
	const uint64_t *dirty = dirty_pages(vm, DIRTY_LANDING);
	for (size_t w = 0; w < vm->dirty.words; w++) {
		for (uint64_t bits = dirty[w]; bits; bits &= bits - 1) {
			uint64_t page = w * 64 + (uint64_t)__builtin_ctzll(bits);
			XXH3_128bits_update(st, &page, sizeof(page));
			XXH3_128bits_update(st, vm->mem.host + page * PAGE_SIZE, PAGE_SIZE);
		}
	}
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	XXH3_freeState(st);
	memcpy(sig->dirty_hash, c.digest, 16);
	return 0;
}

void landing_taken(struct vm *vm)
{
	dirty_reset(vm, DIRTY_LANDING);
}

static int set_debug(struct vm *vm, uint32_t control, uint64_t bp)
{
	struct kvm_guest_debug dbg;
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = control;
	if (control & KVM_GUESTDBG_USE_HW_BP) {
		dbg.arch.debugreg[0] = bp;
		dbg.arch.debugreg[7] = 0x1; /* L0: execute breakpoint on DR0 */
	}
	return vm->engine->ops->set_guest_debug(vm->engine, &dbg);
}

int landing_arm(struct vm *vm, const struct ev_async_stop *sig)
{
	struct landing *l = &vm->landing;
	l->target = *sig;
	l->armed = true;
	l->stepping = false;
	return set_debug(vm, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, sig->rip);
}

bool landing_check(struct vm *vm)
{
	struct landing *l = &vm->landing;
	if (l->stepping) {
		/* Stepped past the breakpoint: arm it again for the next pass. */
		l->stepping = false;
		set_debug(vm, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, l->target.rip);
		return false;
	}
	struct ev_async_stop here;
	if (landing_signature(vm, &here) == 0 && !memcmp(&here, &l->target, sizeof(here))) {
		l->armed = false;
		l->found++;
		set_debug(vm, 0, 0);
		return true;
	}
	/* Re-entering at a breakpoint fires it again (docs/platform.md): step over it first. */
	l->misses++;
	l->stepping = true;
	set_debug(vm, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, 0);
	return false;
}
