/* gdb's single steps, forwards and backwards.
 *
 * A single step that delivers an interrupt enters its handler. gdb, stepping a line, would
 * then stop in the handler's code, or going back stop in its return path: an interrupt is not
 * a call it knows how to step over. So, like QEMU's gdb stub by default, a step takes an
 * interrupt whole: it runs the handler until it returns to the instruction it came before,
 * then executes that instruction. Going back is the inverse: the step back from the
 * instruction after such a return goes to the stop before the interrupt. Breakpoints and
 * watchpoints still stop inside handlers; `monitor step-into-interrupts on` steps into them. */
#include "replay/debug_internal.h"
#include "core/insn_access.h"
#include "core/x86.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Where an interrupt returns: the interrupted RIP and RSP. */
struct resume_point {
	uint64_t rip, rsp;
};

/* The 64-bit interrupt frame at rsp (RIP, CS, RFLAGS, RSP, SS): pushed by a delivery, popped
 * by IRETQ. Other modes are not followed (steps then go into handlers). */
static bool frame_at(struct debugger *d, uint64_t rsp, struct resume_point *rp)
{
	struct kvm_sregs sregs;
	uint64_t frame[4];
	if (d->vm->engine->ops->get_sregs(d->vm->engine, &sregs) || !(sregs.efer & EFER_LMA) ||
	    vm_read_virt(d->vm, rsp, frame, sizeof(frame)))
		return false;
	*rp = (struct resume_point){ frame[0], frame[3] };
	return true;
}

/* The stop the VM stands at is a handler entered by the last step: where it returns to. */
static bool delivered_from(struct debugger *d, const struct kvm_regs *r, struct resume_point *rp)
{
	return d->vm->debug.delivered && frame_at(d, r->rsp, rp);
}

/* The instruction at r->rip is IRETQ: where it returns to. */
static bool iretq_to(struct debugger *d, const struct kvm_regs *r, struct resume_point *rp)
{
	uint8_t code[DBG_CODE_MAX];
	struct insn64 in;
	size_t n = dbg_read_code(d, r->rip, code);
	return n && insn_decode64(code, (int)n, &in) && in.op == 0xcf && (in.rex & 8) &&
	       frame_at(d, r->rsp, rp);
}

static bool same_point(struct resume_point a, struct resume_point b)
{
	return a.rip == b.rip && a.rsp == b.rsp;
}

static bool at_point(const struct kvm_regs *r, struct resume_point rp)
{
	return same_point((struct resume_point){ r->rip, r->rsp }, rp);
}

/* Runs an interrupt to its return: pauses at the stop after the IRETQ to `to`. That stop is
 * at `to`, or one instruction past it: on this host a step over IRETQ to CPL0 code also runs
 * the instruction it returns to (docs/platform.md). */
struct return_watch {
	struct debugger *d;
	struct resume_point to;
	bool returning;
};

static bool on_return_step(struct vm *vm, void *ctx)
{
	struct return_watch *w = ctx;
	struct kvm_regs r;
	struct resume_point rp;
	if (w->returning || vm->engine->ops->get_regs(vm->engine, &r))
		return true;
	w->returning = iretq_to(w->d, &r, &rp) && same_point(rp, w->to);
	return false;
}

/* gdb's single step: one instruction, with any interrupt delivered before it taken whole. */
int dbg_step(struct debugger *d)
{
	struct kvm_regs at, r;
	struct return_watch w = { .d = d };
	if (d->vm->engine->ops->get_regs(d->vm->engine, &at))
		return -EIO;
	for (;;) {
		int rc = dbg_step_n(d, 1);
		if (rc || d->at_end || d->step_into_interrupts ||
		    d->vm->engine->ops->get_regs(d->vm->engine, &r) || !delivered_from(d, &r, &w.to) ||
		    !at_point(&at, w.to))
			return rc;
		/* The interrupt came before the instruction at `at`: run it to its return. */
		w.returning = false;
		dbg_mode(d, true, on_return_step, &w, false);
		if ((rc = dbg_run(d)) || d->at_end || d->vm->debug.stop != DEBUG_STOP_STEP ||
		    d->vm->engine->ops->get_regs(d->vm->engine, &r) || !at_point(&r, w.to))
			return rc;
	}
}

/* A stop seen by a backward scan: where, and whether it follows the return from an interrupt
 * taken whole (then `from` is the stop before that interrupt, and `at_resume` tells whether
 * the instruction the interrupt came before is still to run). */
struct back_stop {
	struct pos at;
	struct resume_point regs;
	bool iretq, after_iretq, returned, at_resume;
	struct resume_point iretq_to;
	struct pos from;
};

#define MAX_NESTED_INTERRUPTS 16

struct back_scan {
	struct debugger *d;
	struct pos end;
	struct back_stop prev, cur;
	struct {
		struct pos from;
		struct resume_point to;
	} open[MAX_NESTED_INTERRUPTS];	/* interrupts delivered and not yet returned */
	int nopen;
};

static struct back_stop back_stop_here(struct debugger *d, const struct kvm_regs *r)
{
	struct back_stop x = { .at = { d->vm->exits, d->vm->debug.steps }, .regs = { r->rip, r->rsp } };
	x.iretq = iretq_to(d, r, &x.iretq_to);
	return x;
}

/* Whether x, the stop after s->cur, is the return from an interrupt delivered in view. */
static void back_stop_returns(struct back_scan *s, struct back_stop *x)
{
	x->after_iretq = s->cur.iretq;
	for (int i = s->nopen - 1; i >= 0 && s->cur.iretq; i--) {
		if (same_point(s->open[i].to, s->cur.iretq_to)) {
			x->returned = true;
			x->at_resume = same_point(x->regs, s->open[i].to);
			x->from = s->open[i].from;
			s->nopen = i;
			return;
		}
	}
}

static void back_scan_push(struct back_scan *s, struct back_stop x)
{
	s->prev = s->cur;
	s->cur = x;
}

static bool on_back_step(struct vm *vm, void *ctx)
{
	struct back_scan *s = ctx;
	struct kvm_regs r;
	struct resume_point rp;
	if (vm->engine->ops->get_regs(vm->engine, &r))
		return true;
	struct back_stop x = back_stop_here(s->d, &r);
	if (delivered_from(s->d, &r, &rp) && same_point(rp, s->cur.regs)) {
		if (s->nopen == MAX_NESTED_INTERRUPTS)
			memmove(s->open, s->open + 1, sizeof(s->open) - sizeof(s->open[0]));
		else
			s->nopen++;
		s->open[s->nopen - 1].from = s->cur.at;
		s->open[s->nopen - 1].to = rp;
	} else {
		back_stop_returns(s, &x);
	}
	back_scan_push(s, x);
	return !pos_cmp(x.at, s->end);
}

/* Scans from (first, 0) to s->end. */
static int back_scan_run(struct debugger *d, uint64_t first, struct back_scan *s)
{
	struct kvm_regs r;
	int rc = dbg_goto_exit(d, first);
	if (rc || (rc = d->vm->engine->ops->get_regs(d->vm->engine, &r)))
		return rc;
	s->cur = back_stop_here(d, &r);
	s->nopen = 0;
	if (!pos_cmp(d->here, s->end))
		return 0;
	dbg_mode(d, true, on_back_step, s, false);
	rc = dbg_run(d);
	if (!rc && pos_cmp(d->here, s->end)) {
		snprintf(d->error, sizeof(d->error), "the scan did not come back to %llu.%llu",
			 (unsigned long long)s->end.exits, (unsigned long long)s->end.steps);
		rc = -EIO;
	}
	return rc;
}

/* The stop before p (where the VM stands) for gdb: the previous instruction's, or, after an
 * interrupt taken whole, the stop before the interrupt. An interrupt's handler may span
 * exits: the scan starts a few exits back and goes further back while the return it sees
 * has no delivery in view. Within an exit the scan ends at the stop before p and p is judged
 * from its registers, so the usual step back replays once. */
static int stop_before(struct debugger *d, struct pos *out)
{
	struct pos p = d->here;
	struct kvm_regs r;
	if (d->vm->engine->ops->get_regs(d->vm->engine, &r))
		return -EIO;
	struct back_stop at_p = { .at = p, .regs = { r.rip, r.rsp } };
	uint64_t first = p.steps ? p.exits : p.exits - 1;
	for (uint64_t back = 4;; back *= 4) {
		struct back_scan s = { .d = d, .end = p };
		if (p.steps)
			s.end.steps--;
		int rc = back_scan_run(d, first, &s);
		if (rc)
			return rc;
		if (p.steps) {
			struct back_stop x = at_p;
			back_stop_returns(&s, &x);
			back_scan_push(&s, x);
		}
		if (d->step_into_interrupts) {
			*out = s.prev.at;
			return 0;
		}
		if (s.cur.returned && s.cur.at_resume) { /* p is where an interrupt returned to */
			if ((rc = dbg_goto_pos(d, s.cur.from)))
				return rc;
			return stop_before(d, out);
		}
		if ((s.cur.returned && !s.cur.at_resume) || (s.prev.returned && s.prev.at_resume)) {
			*out = s.cur.returned ? s.cur.from : s.prev.from;
			return 0;
		}
		/* A return whose delivery is not in view: look further back. */
		bool unmatched = (s.cur.after_iretq && !s.cur.returned) ||
				 (s.prev.after_iretq && !s.prev.returned);
		if (!unmatched || !first || back > 256) {
			*out = s.prev.at;
			return 0;
		}
		first = first > back ? first - back : 0;
	}
}

int dbg_reverse_step(struct debugger *d, struct gdb_stop *stop)
{
	struct pos p = d->here, before;
	if (!p.exits && !p.steps) {
		stop->reason = GDB_STOP_REPLAY_BEGIN;
		return 0;
	}
	int rc = stop_before(d, &before);
	return rc ? rc : dbg_goto_pos(d, before);
}
