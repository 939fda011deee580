#include "core/digest.h"
#include "core/dirty.h"
#include "core/vm.h"

#include <string.h>

#include <xxhash.h>

/* Only architectural state that both engines define identically goes in: hidden parts of the
 * segment caches and KVM-internal fields are left out. */
struct digest_cpu {
	uint64_t gpr[16], rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint16_t sel[8];
} __attribute__((packed));

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[PAGE_SIZE];
	return !memcmp(p, zero, PAGE_SIZE);
}

/* Guest memory as its non-zero pages, each with its number. With dirty tracking running only
 * the pages ever written are read (the others are zero): touching all of RAM would fault in
 * every page, which cost a record more than the rest of a short run. Pages the dirty log names
 * without their having been written are zero too, so they change nothing. */
static void hash_memory(struct vm *vm, XXH3_state_t *st)
{
	const uint64_t *ever = vm->dirty.words ? dirty_pages(vm, DIRTY_EVER) : NULL;
	if (ever)
		dirty_collect(vm);
	for (uint64_t page = 0; page < vm->mem.size / PAGE_SIZE; page++) {
		if (ever && !(ever[page / 64] >> (page % 64) & 1))
			continue;
		const uint8_t *p = vm->mem.host + page * PAGE_SIZE;
		if (page_is_zero(p))
			continue;
		XXH3_128bits_update(st, &page, sizeof(page));
		XXH3_128bits_update(st, p, PAGE_SIZE);
	}
}

int vm_state_digest(struct vm *vm, bool with_memory, uint8_t out[16])
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int rc;
	if ((rc = vm->engine->ops->get_regs(vm->engine, &r)) ||
	    (rc = vm->engine->ops->get_sregs(vm->engine, &s)))
		return rc;
	struct digest_cpu c = {
		.gpr = { r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp,
			 r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 },
		.rip = r.rip, .rflags = r.rflags,
		.cr0 = s.cr0, .cr2 = s.cr2, .cr3 = s.cr3, .cr4 = s.cr4, .efer = s.efer,
		.sel = { s.cs.selector, s.ds.selector, s.es.selector, s.fs.selector,
			 s.gs.selector, s.ss.selector, s.tr.selector, s.ldt.selector },
	};
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		return -12;
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, &c, sizeof(c));
	for (int i = 0; i < vm->ndevices; i++) {
		uint8_t blob[4096];
		const struct device *d = &vm->devices[i];
		long n = d->save ? d->save(d->opaque, blob, sizeof(blob)) : -1;
		if (n > 0)
			XXH3_128bits_update(st, blob, (size_t)n);
	}
	if (with_memory)
		hash_memory(vm, st);
	XXH128_canonical_t canon;
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st));
	XXH3_freeState(st);
	for (int i = 0; i < 16; i++)
		out[i] = canon.digest[i];
	return 0;
}
