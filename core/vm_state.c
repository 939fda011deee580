#include "core/vm_state.h"
#include "core/dirty.h"
#include "core/vm.h"
#include "core/vm_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* MSRs a guest kernel sets and expects to keep; EFER travels in sregs. */
static const uint32_t saved_msrs[] = {
	0x00000174, 0x00000175, 0x00000176, /* SYSENTER_CS/ESP/EIP */
	0x00000277,			    /* PAT */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR LSTAR CSTAR SFMASK */
	0xc0000100, 0xc0000101, 0xc0000102, /* FS_BASE GS_BASE KERNEL_GS_BASE */
};
#define NSAVED_MSRS (sizeof(saved_msrs) / sizeof(saved_msrs[0]))
#define DEVICE_BLOB_MAX 4096

static int fail(char *err, size_t errlen, const char *what, int rc)
{
	snprintf(err, errlen, "%s: %s", what, strerror(rc < 0 ? -rc : rc));
	return -1;
}

int vcpu_state_read(struct engine *e, struct vcpu_state *v)
{
	const struct engine_ops *ops = e->ops;
	int rc;
	if ((rc = ops->get_regs(e, &v->regs)) || (rc = ops->get_sregs(e, &v->sregs)) ||
	    (rc = ops->get_fpu(e, &v->fpu)) || (rc = ops->get_events(e, &v->events)))
		return rc;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[NSAVED_MSRS];
	} m;
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = NSAVED_MSRS;
	for (size_t i = 0; i < NSAVED_MSRS; i++)
		m.e[i].index = saved_msrs[i];
	if ((rc = ops->get_msrs(e, &m.h)))
		return rc;
	v->nmsrs = NSAVED_MSRS;
	memcpy(v->msrs, m.e, sizeof(m.e));
	return 0;
}

int vcpu_state_write(struct engine *e, const struct vcpu_state *v)
{
	const struct engine_ops *ops = e->ops;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[VCPU_MAX_MSRS];
	} m;
	int rc;
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = v->nmsrs;
	memcpy(m.e, v->msrs, v->nmsrs * sizeof(m.e[0]));
	/* sregs first: it sets the mode the other state is interpreted in. */
	if ((rc = ops->set_sregs(e, &v->sregs)) || (rc = ops->set_msrs(e, &m.h)) ||
	    (rc = ops->set_regs(e, &v->regs)) || (rc = ops->set_fpu(e, &v->fpu)) ||
	    (rc = ops->set_events(e, &v->events)))
		return rc;
	return 0;
}

int vm_state_capture(struct vm *vm, struct pagestore *ps, const struct memimage *prev,
		     struct snapshot *snap, char *err, size_t errlen)
{
	const struct engine_ops *ops = vm->engine->ops;
	struct engine *e = vm->engine;
	int rc;
	memset(snap, 0, sizeof(*snap));
	/* The time the stopped machine stands at: copying its memory takes host time (a full
	 * first checkpoint ~75 ms here) that must not show as guest time on restore. */
	snap->guest_ns = vm_guest_ns(vm);
	if (ops->complete_io && (rc = ops->complete_io(e)))
		return fail(err, errlen, "completing the last I/O instruction", rc);
	if ((rc = vcpu_state_read(e, &snap->vcpu)))
		return fail(err, errlen, "reading the vCPU state", rc);

	snap->devices = calloc(vm->ndevices, sizeof(*snap->devices));
	if (!snap->devices)
		return fail(err, errlen, "saving the devices", -ENOMEM);
	for (int i = 0; i < vm->ndevices; i++) {
		const struct device *d = &vm->devices[i];
		struct snapshot_device *sd = &snap->devices[snap->ndevices];
		if (!d->save)
			continue;
		sd->data = malloc(DEVICE_BLOB_MAX);
		long n = sd->data ? d->save(d->opaque, sd->data, DEVICE_BLOB_MAX) : -1;
		if (n < 0) {
			snprintf(err, errlen, "saving device %s failed", d->name);
			vm_state_release(snap);
			return -1;
		}
		snprintf(sd->name, sizeof(sd->name), "%s", d->name);
		sd->len = (size_t)n;
		snap->ndevices++;
	}

	/* Incremental: the caller has collected the dirty log since prev. */
	const uint64_t *dirty = prev ? dirty_pages(vm, DIRTY_CHECKPOINT) : NULL;
	if ((rc = memimage_capture(ps, &vm->mem, prev, dirty, &snap->mem))) {
		vm_state_release(snap);
		return fail(err, errlen, "capturing guest memory", rc);
	}
	if (vm->dirty.words)
		dirty_reset(vm, DIRTY_CHECKPOINT);
	return 0;
}

void vm_state_release(struct snapshot *snap)
{
	for (uint32_t i = 0; i < snap->ndevices; i++)
		free(snap->devices[i].data);
	free(snap->devices);
	snap->devices = NULL;
	snap->ndevices = 0;
	memimage_free(&snap->mem);
}

static const struct device *find_device(struct vm *vm, const char *name)
{
	for (int i = 0; i < vm->ndevices; i++)
		if (!strcmp(vm->devices[i].name, name))
			return &vm->devices[i];
	return NULL;
}

int vm_state_restore(struct vm *vm, const struct pagestore *ps, const struct snapshot *snap,
		     char *err, size_t errlen)
{
	int rc;
	if (snap->mem.npages != vm->mem.size / PAGE_SIZE) {
		snprintf(err, errlen, "the snapshot has %llu pages of memory, the VM %llu",
			 (unsigned long long)snap->mem.npages,
			 (unsigned long long)(vm->mem.size / PAGE_SIZE));
		return -1;
	}
	for (uint32_t i = 0; i < snap->ndevices; i++) {
		if (!find_device(vm, snap->devices[i].name)) {
			snprintf(err, errlen, "the snapshot has a device '%s' this VM lacks",
				 snap->devices[i].name);
			return -1;
		}
	}
	if ((rc = memimage_restore(ps, &snap->mem, &vm->mem, NULL, NULL)))
		return fail(err, errlen, "restoring guest memory", rc);
	for (uint64_t page = 0; page < snap->mem.npages; page++)
		if (snap->mem.refs[page] != PAGE_REF_ZERO)
			dirty_mark_written(vm, page);
	for (uint32_t i = 0; i < snap->ndevices; i++) {
		const struct snapshot_device *sd = &snap->devices[i];
		const struct device *d = find_device(vm, sd->name);
		if (d->load && d->load(d->opaque, sd->data, sd->len)) {
			snprintf(err, errlen, "device %s refused its saved state", sd->name);
			return -1;
		}
	}
	if ((rc = vcpu_state_write(vm->engine, &snap->vcpu)))
		return fail(err, errlen, "setting the vCPU state", rc);
	return 0;
}
