#include "core/dirty.h"
#include "core/vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int dirty_init(struct vm *vm)
{
	struct dirty_log *d = &vm->dirty;
	if (d->scratch)
		return 0; /* already tracking */
	d->words = (vm->mem.size / PAGE_SIZE + 63) / 64;
	d->scratch = calloc(d->words, sizeof(uint64_t));
	for (int u = 0; u < DIRTY_USERS; u++)
		d->acc[u] = calloc(d->words, sizeof(uint64_t));
	for (int u = 0; u < DIRTY_USERS; u++)
		if (!d->acc[u] || !d->scratch)
			return -ENOMEM;
	/* What the loader wrote: boot information and kernel below the kernel's end, the initrd. */
	for (uint64_t page = 0; page * PAGE_SIZE < vm->boot.kernel_end; page++)
		dirty_mark_written(vm, page);
	for (uint64_t at = vm->boot.initrd_start; at < vm->boot.initrd_start + vm->boot.initrd_size;
	     at += PAGE_SIZE)
		dirty_mark_written(vm, at / PAGE_SIZE);
	if (vm->engine->ops->get_dirty_log)
		return vm->engine->ops->get_dirty_log(vm->engine, d->scratch);
	return 0;
}

void dirty_mark_written(struct vm *vm, uint64_t page)
{
	if (vm->dirty.acc[DIRTY_EVER] && page / 64 < vm->dirty.words)
		vm->dirty.acc[DIRTY_EVER][page / 64] |= 1ULL << (page % 64);
}

void dirty_mark_guest_write(struct vm *vm, uint64_t page)
{
	if (!vm->dirty.scratch || page / 64 >= vm->dirty.words)
		return;
	for (int u = 0; u < DIRTY_USERS; u++)
		vm->dirty.acc[u][page / 64] |= 1ULL << (page % 64);
}

void dirty_free(struct dirty_log *d)
{
	for (int u = 0; u < DIRTY_USERS; u++) {
		free(d->acc[u]);
		d->acc[u] = NULL;
	}
	free(d->scratch);
	d->scratch = NULL;
}

int dirty_collect(struct vm *vm)
{
	struct dirty_log *d = &vm->dirty;
	if (!vm->engine->ops->get_dirty_log)
		return 0;
	int rc = vm->engine->ops->get_dirty_log(vm->engine, d->scratch);
	if (rc)
		return rc;
	for (int u = 0; u < DIRTY_USERS; u++)
		for (size_t i = 0; i < d->words; i++)
			d->acc[u][i] |= d->scratch[i];
	return 0;
}

const uint64_t *dirty_pages(struct vm *vm, enum dirty_user user)
{
	return vm->dirty.acc[user];
}

void dirty_reset(struct vm *vm, enum dirty_user user)
{
	memset(vm->dirty.acc[user], 0, vm->dirty.words * sizeof(uint64_t));
}
