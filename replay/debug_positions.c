/* Where the debugger's VM stands, and moving it to a position: restoring the nearest
 * checkpoint, running to an exit, stepping the rest. Checkpoints are taken on the first pass
 * through the recording, within the page-store budget. */
#include "replay/debug_internal.h"
#include "replay/replayer.h"

#include <errno.h>
#include <stdio.h>

void dbg_take_checkpoint(struct vm *vm, void *ctx)
{
	struct debugger *d = ctx;
	if (vm->exits <= d->frontier || vm->exits < d->next_checkpoint || d->ck.error[0])
		return;
	d->frontier = vm->exits;
	if (checkpoints_take(&d->ck, vm, replayer_events(vm->rep)))
		return;
	struct pagestore_stats st;
	pagestore_stats(&d->ck.ps, &st);
	if (st.bytes_stored > d->budget)
		d->every *= 2; /* over budget: thin out the checkpoints still to come */
	d->next_checkpoint = vm->exits + d->every;
}

/* Runs the VM until it pauses or the recording ends. Returns 0, or -EIO after recording why
 * (a divergence or a damaged trace: the session cannot go on). */
int dbg_run(struct debugger *d)
{
	struct vm *vm = d->vm;
	vm->stop = VM_RUNNING;
	vm->debug.stop = DEBUG_STOP_NONE;
	vm_run(vm);
	switch (vm->stop) {
	case VM_STOP_PAUSED:
		d->here = (struct pos){ vm->exits, vm->debug.steps };
		d->here_known = vm->debug.steps_known;
		return 0;
	case VM_STOP_GUEST_EXIT:
	case VM_STOP_TRACE_END:
	case VM_STOP_RESET:
	case VM_STOP_TIMEOUT:
	case VM_STOP_USER:
		d->here = (struct pos){ vm->exits, 0 };
		d->here_known = true;
		d->at_end = true;
		d->exit_status = vm->status;
		return 0;
	default:
		snprintf(d->error, sizeof(d->error), "the %s stopped: %s", d->live ? "VM" : "replay",
			 vm->error[0] || d->live ? vm->error : replayer_report(d->rp));
		d->broken = true;
		return -EIO;
	}
}

void dbg_mode(struct debugger *d, bool step, bool (*on_step)(struct vm *, void *),
		       void *ctx, bool breakpoints)
{
	struct vm_debug *g = &d->vm->debug;
	g->step = step;
	g->on_step = on_step;
	g->on_step_ctx = ctx;
	g->pause_at_exit = VM_PAUSE_NONE;
	g->nhw = 0;
	for (int i = 0; breakpoints && i < d->nbps && g->nhw < VM_DEBUG_MAX_HW; i++)
		if (d->bps[i].type == GDB_BP_SOFTWARE || d->bps[i].type == GDB_BP_HARDWARE)
			g->hw[g->nhw++] = (struct vm_hw_point){ d->bps[i].addr, HW_EXEC, 1 };
	g->dirty = true;
}

int dbg_restore(struct debugger *d, size_t k)
{
	struct vm *vm = d->vm;
	char err[400];
	if (vm_new_engine(vm, err, sizeof(err)) ||
	    checkpoints_restore(&d->ck, k, vm, err, sizeof(err)) ||
	    replayer_resume(d->rp, d->ck.v[k].events, err, sizeof(err))) {
		snprintf(d->error, sizeof(d->error), "restoring checkpoint %zu: %s", k, err);
		return -EIO;
	}
	vm->landing.armed = false;
	vm_debug_init(&vm->debug);
	vm->debug.attached = true;
	vm->debug.dirty = true;
	d->here = (struct pos){ vm->exits, 0 };
	d->here_known = true;
	d->at_end = false;
	return 0;
}

/* The latest checkpoint at or before (exits, 0) (strictly before when `strict`); -1: none. */
long dbg_checkpoint_before(const struct debugger *d, struct pos p, bool strict)
{
	long best = -1;
	for (size_t i = 0; i < d->ck.n; i++) {
		int c = pos_cmp((struct pos){ d->ck.v[i].exits, 0 }, p);
		if ((c < 0 || (c == 0 && !strict)) && (best < 0 || d->ck.v[i].exits > d->ck.v[best].exits))
			best = (long)i;
	}
	return best;
}

/* Puts the VM at (exits, 0), from a checkpoint when it is past it. */
int dbg_goto_exit(struct debugger *d, uint64_t exits)
{
	if (d->at_end || !d->here_known || d->here.exits > exits ||
	    (d->here.exits == exits && d->here.steps)) {
		long best = dbg_checkpoint_before(d, (struct pos){ exits, 0 }, false);
		int rc = best < 0 ? -ERANGE : dbg_restore(d, (size_t)best);
		if (rc)
			return rc;
	}
	if (d->here.exits == exits)
		return 0;
	dbg_mode(d, false, NULL, NULL, false);
	d->vm->debug.pause_at_exit = exits;
	int rc = dbg_run(d);
	if (rc)
		return rc;
	if (d->at_end || d->here.exits != exits) {
		snprintf(d->error, sizeof(d->error), "exit %llu is past the end of the recording",
			 (unsigned long long)exits);
		return -ERANGE;
	}
	return 0;
}

/* Steps the VM n instructions (fewer if the recording ends). */
int dbg_step_n(struct debugger *d, uint64_t n)
{
	dbg_mode(d, true, NULL, NULL, false);
	for (uint64_t i = 0; i < n && !d->at_end; i++) {
		int rc = dbg_run(d);
		if (rc)
			return rc;
	}
	return 0;
}

int dbg_goto_pos(struct debugger *d, struct pos p)
{
	int rc = 0;
	if (d->at_end || !d->here_known || pos_cmp(d->here, p) > 0 || d->here.exits != p.exits)
		rc = dbg_goto_exit(d, p.exits);
	if (!rc && d->here.steps < p.steps)
		rc = dbg_step_n(d, p.steps - d->here.steps);
	if (!rc && pos_cmp(d->here, p)) {
		snprintf(d->error, sizeof(d->error), "position %llu.%llu is past the end of the recording",
			 (unsigned long long)p.exits, (unsigned long long)p.steps);
		rc = -ERANGE;
	}
	return rc;
}

void dbg_record_stop(struct debugger *d)
{
	struct vm *vm = d->vm;
	vm->engine->ops->get_regs(vm->engine, &d->here_regs);
	d->hit_addr = 0;
	d->hit_count = 0;
	if (vm->exits != d->count_from.exits) { /* hits counted since this exit's start */
		d->count_from = (struct pos){ vm->exits, 0 };
		d->count_from_hit = true;
	}
	if (vm->debug.stop == DEBUG_STOP_BREAK) {
		d->hit_addr = vm->debug.hw[vm->debug.stop_bp].addr;
		d->hit_count = vm->debug.hits[vm->debug.stop_bp];
	}
}

size_t dbg_read_code(struct debugger *d, uint64_t rip, uint8_t code[DBG_CODE_MAX])
{
	size_t n = 0x1000 - (rip & 0xfff); /* the rest of its page, then the next if mapped */
	if (n > DBG_CODE_MAX)
		n = DBG_CODE_MAX;
	if (vm_read_virt(d->vm, rip, code, n))
		return 0;
	if (n < DBG_CODE_MAX && !vm_read_virt(d->vm, rip + n, code + n, DBG_CODE_MAX - n))
		n = DBG_CODE_MAX;
	return n;
}
