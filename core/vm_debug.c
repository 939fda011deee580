#include "core/vm_debug.h"
#include "core/vm.h"
#include "replay/replayer.h"
#include "traces/events.h"

#include <string.h>

#define DR6_BS (1ULL << 14)
#define DR7_ENABLE(i) (1ULL << (2 * (i)))
#define DR7_RW(i, rw) ((uint64_t)(rw) << (16 + 4 * (i)))
#define DR7_LEN(i, len) ((uint64_t)(len) << (18 + 4 * (i)))

void vm_debug_init(struct vm_debug *d)
{
	memset(d, 0, sizeof(*d));
	d->pause_at_exit = VM_PAUSE_NONE;
	d->steps_known = true;
	d->irq_vector = -1;
}

/* The handler an interrupt vector enters: the 64-bit IDT gate's offset. */
static int idt_handler(struct vm *vm, int vector, uint64_t *rip)
{
	struct kvm_sregs s;
	uint8_t gate[16];
	if (vm->engine->ops->get_sregs(vm->engine, &s) || (uint64_t)vector * 16 + 15 > s.idt.limit ||
	    vm_read_virt(vm, s.idt.base + (uint64_t)vector * 16, gate, sizeof(gate)))
		return -1;
	*rip = (uint64_t)gate[0] | (uint64_t)gate[1] << 8 | (uint64_t)gate[6] << 16 |
	       (uint64_t)gate[7] << 24 | (uint64_t)gate[8] << 32 | (uint64_t)gate[9] << 40 |
	       (uint64_t)gate[10] << 48 | (uint64_t)gate[11] << 56;
	return 0;
}

static uint64_t dr7_len(uint8_t len)
{
	switch (len) {
	case 2: return 1;
	case 8: return 2;
	case 4: return 3;
	default: return 0;
	}
}

int vm_debug_apply(struct vm *vm)
{
	struct vm_debug *d = &vm->debug;
	bool step = d->step || d->step_over;
	if (!step)
		d->steps_known = false; /* running freely from here */
	if (!d->dirty)
		return 0;
	d->dirty = false;
	struct kvm_guest_debug dbg;
	memset(&dbg, 0, sizeof(dbg));
	uint64_t dr7 = 0;
	/* Single-stepping into an interrupt would push RFLAGS with the trap flag set: the iretq
	 * back to native CPL3 code would then raise #DB in the guest. The step that delivers an
	 * interrupt is a breakpoint at its handler instead (the same stop). */
	uint64_t handler;
	if (step && d->irq_vector >= 0 && idt_handler(vm, d->irq_vector, &handler) == 0) {
		dbg.arch.debugreg[3] = handler;
		dr7 |= DR7_ENABLE(3);
		step = false;
	}
	/* Stepping over a breakpoint means arming none for that one instruction. */
	if (vm->landing.armed && !d->step_over) {
		dbg.arch.debugreg[0] = vm->landing.target.rip;
		dr7 |= DR7_ENABLE(0);
	}
	if (!d->step && !d->step_over) {
		for (int i = 0; i < d->nhw; i++) {
			const struct vm_hw_point *p = &d->hw[i];
			dbg.arch.debugreg[i + 1] = p->addr;
			dr7 |= DR7_ENABLE(i + 1) | DR7_RW(i + 1, p->kind);
			if (p->kind != HW_EXEC)
				dr7 |= DR7_LEN(i + 1, dr7_len(p->len));
		}
	}
	dbg.arch.debugreg[7] = dr7;
	if (dr7 || step)
		dbg.control = KVM_GUESTDBG_ENABLE | (dr7 ? KVM_GUESTDBG_USE_HW_BP : 0) |
			      (step ? KVM_GUESTDBG_SINGLESTEP : 0);
	return vm->engine->ops->set_guest_debug(vm->engine, &dbg);
}

static void pause(struct vm *vm, enum vm_debug_stop why, int bp)
{
	vm->debug.stop = why;
	vm->debug.stop_bp = bp;
	vm->stop = VM_STOP_PAUSED;
}

/* Replay: the guest stands at the recorded landing? Deliver the interrupt there. */
static bool take_landing(struct vm *vm, uint64_t dr6)
{
	struct landing *l = &vm->landing;
	if (!l->armed || !((dr6 & 1) || (dr6 & DR6_BS)) || !landing_matches(vm))
		return false;
	vm_take_landing(vm);
	if (vm->stop == VM_RUNNING && vm->rep)
		replayer_apply_host_events(vm->rep);
	return true;
}

void vm_debug_exit(struct vm *vm, const struct vm_exit *x)
{
	struct vm_debug *d = &vm->debug;
	uint64_t dr6 = x->debug.dr6;
	/* DR3 only stands in for a step into an interrupt handler. */
	bool stepped = (dr6 & DR6_BS) || (dr6 & 8);
	d->delivered = dr6 & 8;
	if (dr6 & 8)
		d->dirty = true;
	bool stepping_over = d->step_over;
	if (d->step_over) {
		d->step_over = false;
		d->dirty = true;
	}
	if (stepped && d->steps_known)
		d->steps++;
	bool landed = take_landing(vm, dr6);
	if (vm->stop != VM_RUNNING)
		return;
	if (!landed && vm->landing.armed && (dr6 & 1)) {
		/* Re-entering at a breakpoint fires it again (docs/platform.md): step past it. */
		vm->landing.misses++;
		d->step_over = d->dirty = true;
	}
	if (stepped && d->step) {
		if (!d->on_step || d->on_step(vm, d->on_step_ctx))
			pause(vm, DEBUG_STOP_STEP, -1);
		return;
	}
	if (x->debug.phys) {
		pause(vm, DEBUG_STOP_PHYS_WATCH, -1);
		return;
	}
	for (int i = 0; i < d->nhw && !(dr6 & DR6_BS); i++) {
		if (!(dr6 & (2ULL << i)))
			continue;
		if (d->hw[i].kind == HW_EXEC) {
			d->hits[i]++;
			d->step_over = d->dirty = true;
		}
		pause(vm, d->hw[i].kind == HW_EXEC ? DEBUG_STOP_BREAK : DEBUG_STOP_WATCH, i);
		return;
	}
	if (!landed && !stepping_over && !vm->landing.armed && !d->attached) {
		vm->stop = VM_STOP_CRASH;
		vm->status = STATUS_GUEST_CRASH;
		snprintf(vm->error, sizeof(vm->error), "debug exit with no debugger attached");
	}
}

void vm_debug_exit_done(struct vm *vm)
{
	struct vm_debug *d = &vm->debug;
	d->steps = 0;
	d->steps_known = true;
	d->delivered = false;
	memset(d->hits, 0, sizeof(d->hits));
	if (vm->stop != VM_RUNNING)
		return;
	if (d->pause_at_exit == vm->exits)
		pause(vm, DEBUG_STOP_AT_EXIT, -1);
	else if (d->step && (!d->on_step || d->on_step(vm, d->on_step_ctx)))
		pause(vm, DEBUG_STOP_STEP, -1); /* the stepped instruction made this exit */
}

void vm_debug_interrupt(struct vm *vm)
{
	atomic_store(&vm->debug.interrupt, true);
	vm->engine->ops->kick(vm->engine);
}
