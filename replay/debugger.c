#include "replay/debugger.h"
#include "core/checkpoints.h"
#include "core/insn_access.h"
#include "core/soft_engine.h"
#include "core/vm.h"
#include "core/x86.h"
#include "replay/replayer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CHECKPOINT_EXITS 500
#define DEFAULT_BUDGET (512ULL << 20)
#define MAX_WATCH 4

struct pos {
	uint64_t exits, steps;
};

static int pos_cmp(struct pos a, struct pos b)
{
	if (a.exits != b.exits)
		return a.exits < b.exits ? -1 : 1;
	return a.steps < b.steps ? -1 : a.steps > b.steps;
}

struct watch {
	uint64_t va, gpa;
	uint32_t len;
	enum gdb_bp_type type;
};

/* A breakpoint or watchpoint stop found while scanning for reverse-continue. One found by
 * running freely is known as the `count`-th hit of `bp` since exit at.exits. */
struct hit {
	struct pos at;
	enum gdb_stop_reason reason;
	uint64_t addr;
	uint64_t bp;
	uint32_t count;
};

struct debugger {
	bool live;		/* a running VM, not a replay: forwards only */
	char *path;
	struct replayer *rp;
	struct vm *vm;
	struct checkpoint_set ck;
	uint64_t every, budget, next_checkpoint, frontier;

	struct gdb_breakpoint bps[GDB_MAX_BREAKPOINTS];
	int nbps;
	struct watch watch[MAX_WATCH];
	int nwatch;

	/* Where the VM stands. Known exactly, or as the `hit_count`-th stop at `hit_addr` since
	 * exit here.exits (a breakpoint reached by running freely), or only by its registers
	 * (an interrupt from gdb). */
	struct pos here;
	bool here_known;
	uint64_t hit_addr;
	uint32_t hit_count;
	struct kvm_regs here_regs;
	bool at_end;		/* the recording ends here (the guest exited, or the trace ends) */
	bool step_into_interrupts; /* `monitor step-into-interrupts on`: steps enter handlers */
	bool broken;		/* the replay diverged: nothing can run any more */
	int exit_status;
	char error[512];
};

/* ---- moving the replay ---- */

static void take_checkpoint(struct vm *vm, void *ctx)
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
static int run(struct debugger *d)
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

static void debug_mode(struct debugger *d, bool step, bool (*on_step)(struct vm *, void *),
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

static int restore(struct debugger *d, size_t k)
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
static long checkpoint_before(const struct debugger *d, struct pos p, bool strict)
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
static int goto_exit(struct debugger *d, uint64_t exits)
{
	if (d->at_end || !d->here_known || d->here.exits > exits ||
	    (d->here.exits == exits && d->here.steps)) {
		long best = checkpoint_before(d, (struct pos){ exits, 0 }, false);
		int rc = best < 0 ? -ERANGE : restore(d, (size_t)best);
		if (rc)
			return rc;
	}
	if (d->here.exits == exits)
		return 0;
	debug_mode(d, false, NULL, NULL, false);
	d->vm->debug.pause_at_exit = exits;
	int rc = run(d);
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
static int step_n(struct debugger *d, uint64_t n)
{
	debug_mode(d, true, NULL, NULL, false);
	for (uint64_t i = 0; i < n && !d->at_end; i++) {
		int rc = run(d);
		if (rc)
			return rc;
	}
	return 0;
}

static int goto_pos(struct debugger *d, struct pos p)
{
	int rc = 0;
	if (d->at_end || !d->here_known || pos_cmp(d->here, p) > 0 || d->here.exits != p.exits)
		rc = goto_exit(d, p.exits);
	if (!rc && d->here.steps < p.steps)
		rc = step_n(d, p.steps - d->here.steps);
	if (!rc && pos_cmp(d->here, p)) {
		snprintf(d->error, sizeof(d->error), "position %llu.%llu is past the end of the recording",
			 (unsigned long long)p.exits, (unsigned long long)p.steps);
		rc = -ERANGE;
	}
	return rc;
}

/* ---- stepping scans: every instruction from an exit, with a callback at each stop ---- */

struct scan {
	struct debugger *d;
	struct pos end;		/* pause here */
	bool stop_on_end;
	/* relocation: the count-th stop at addr, or the stop whose registers are regs */
	uint64_t addr;
	uint32_t count, seen;
	const struct kvm_regs *regs;
	/* reverse-continue: breakpoint and watchpoint stops before `end` */
	bool collect;
	struct hit *hits;
	size_t nhits, cap;
	uint64_t values[MAX_WATCH];
	bool reads;			/* read or access watchpoints: decode each instruction */
	struct insn_accesses next;	/* the memory the instruction at the last stop accesses */
	struct pos prev;
	/* forward continue by steps (watchpoints): the stop that ended it */
	bool forward;
	struct hit found;
};

static uint64_t read_value(struct debugger *d, const struct watch *w)
{
	uint64_t v = 0;
	const void *p = guest_mem_ptr(&d->vm->mem, w->gpa, w->len);
	if (p)
		memcpy(&v, p, w->len);
	return v;
}

static bool add_hit(struct scan *s, struct pos at, enum gdb_stop_reason reason, uint64_t addr)
{
	if (s->nhits == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct hit *h = realloc(s->hits, cap * sizeof(*h));
		if (!h)
			return false;
		s->hits = h;
		s->cap = cap;
	}
	s->hits[s->nhits++] = (struct hit){ .at = at, .reason = reason, .addr = addr };
	return true;
}

static enum gdb_stop_reason watch_reason(enum gdb_bp_type t)
{
	return t == GDB_WATCH_READ ? GDB_STOP_RWATCH : t == GDB_WATCH_ACCESS ? GDB_STOP_AWATCH : GDB_STOP_WATCH;
}

static enum gdb_stop_reason bp_reason(struct debugger *d, uint64_t rip)
{
	for (int i = 0; i < d->nbps; i++)
		if (d->bps[i].addr == rip && d->bps[i].type <= GDB_BP_HARDWARE)
			return d->bps[i].type == GDB_BP_SOFTWARE ? GDB_STOP_SWBREAK : GDB_STOP_HWBREAK;
	return GDB_STOP_SIGNAL;
}

/* Decodes what the instruction the VM stands at will access (none when unknown: reads by
 * an instruction the decoder does not model go unseen; writes are still seen by value). */
static void decode_next(struct debugger *d, const struct kvm_regs *r, struct insn_accesses *acc)
{
	struct kvm_sregs sregs;
	uint8_t code[15];
	size_t n = 0x1000 - (r->rip & 0xfff); /* the rest of its page, then the next if mapped */
	acc->n = 0;
	if (n > sizeof(code))
		n = sizeof(code);
	if (vm_read_virt(d->vm, r->rip, code, n))
		return;
	if (n < sizeof(code) && !vm_read_virt(d->vm, r->rip + n, code + n, sizeof(code) - n))
		n = sizeof(code);
	if (d->vm->engine->ops->get_sregs(d->vm->engine, &sregs) ||
	    !insn_access_decode(code, (int)n, r, &sregs, acc))
		acc->n = 0;
}

/* Whether the step just made hit watchpoint w: its value changed (a write, by any means),
 * or, for read and access watchpoints, the instruction that ran accessed it. */
static bool watch_hit(const struct watch *w, bool changed, const struct insn_accesses *ran)
{
	switch (w->type) {
	case GDB_WATCH_READ:
		return ran && insn_access_hits(ran, w->va, w->len, INSN_READ);
	case GDB_WATCH_ACCESS:
		return changed || (ran && insn_access_hits(ran, w->va, w->len, INSN_READ | INSN_WRITE));
	default:
		return changed;
	}
}

static bool on_scan_step(struct vm *vm, void *ctx)
{
	struct scan *s = ctx;
	struct debugger *d = s->d;
	struct pos here = { vm->exits, vm->debug.steps };
	struct kvm_regs r;
	if (vm->engine->ops->get_regs(vm->engine, &r))
		return true;
	if (s->regs) {
		if (!memcmp(&r, s->regs, sizeof(r)))
			return true;
	} else if (s->addr && r.rip == s->addr && ++s->seen == s->count) {
		return true;
	}
	/* Watchpoints: the instruction just stepped wrote (changed the value) or accessed the
	 * watched bytes. Going forward, stop after it; going back, the stop is before it. A step
	 * that delivered an interrupt ran no instruction. */
	struct insn_accesses ran = s->next;
	if (s->reads)
		decode_next(d, &r, &s->next);
	for (int i = 0; i < d->nwatch; i++) {
		uint64_t v = read_value(d, &d->watch[i]);
		bool changed = v != s->values[i];
		s->values[i] = v;
		if (!watch_hit(&d->watch[i], changed, s->reads && !vm->debug.delivered ? &ran : NULL))
			continue;
		struct hit h = { .at = s->forward ? here : s->prev, .reason = watch_reason(d->watch[i].type),
				 .addr = d->watch[i].va };
		if (s->forward) {
			s->found = h;
			return true;
		}
		if (s->collect && !add_hit(s, h.at, h.reason, h.addr))
			return true;
	}
	for (int i = 0; i < d->nbps; i++) {
		if (d->bps[i].type > GDB_BP_HARDWARE || d->bps[i].addr != r.rip)
			continue;
		enum gdb_stop_reason reason = d->bps[i].type == GDB_BP_SOFTWARE ? GDB_STOP_SWBREAK : GDB_STOP_HWBREAK;
		if (s->forward) {
			s->found = (struct hit){ .at = here, .reason = reason };
			return true;
		}
		if (s->collect && pos_cmp(here, s->end) < 0 && !add_hit(s, here, reason, 0))
			return true;
	}
	bool at_end = s->stop_on_end && !pos_cmp(here, s->end);
	if (!at_end)
		s->prev = here;
	return at_end;
}

static void scan_begin(struct debugger *d, struct scan *s)
{
	for (int i = 0; i < d->nwatch; i++) {
		s->values[i] = read_value(d, &d->watch[i]);
		s->reads |= d->watch[i].type != GDB_WATCH_WRITE;
	}
	struct kvm_regs r;
	if (s->reads && !d->vm->engine->ops->get_regs(d->vm->engine, &r))
		decode_next(d, &r, &s->next);
	s->prev = d->here;
	debug_mode(d, true, on_scan_step, s, false);
}

/* Whether a breakpoint at addr fires where the VM stands, at an exit, when it runs on: not
 * when an interrupt is due first. Running freely it fires there; a scan that steps sees only
 * the stops after its start, so it counts this one itself. */
static bool breakpoint_at_start(struct debugger *d, uint64_t addr)
{
	struct kvm_regs r;
	return d->vm->debug.irq_vector < 0 && !d->vm->engine->ops->get_regs(d->vm->engine, &r) &&
	       r.rip == addr;
}

/* Makes d->here exact: steps from the exit before it to the same stop again. */
static int locate(struct debugger *d)
{
	if (d->here_known)
		return 0;
	struct pos from = { d->here.exits, 0 };
	struct kvm_regs regs = d->here_regs;
	struct scan s = { .d = d, .addr = d->hit_addr, .count = d->hit_count };
	if (!d->hit_count)
		s.regs = &regs;
	int rc = goto_exit(d, from.exits);
	if (rc)
		return rc;
	scan_begin(d, &s);
	if ((!s.regs && !s.addr) || (s.addr && breakpoint_at_start(d, s.addr) && s.count == 1))
		return 0;
	s.seen = s.addr && breakpoint_at_start(d, s.addr);
	rc = run(d);
	if (!rc && (d->at_end || d->here.exits != from.exits)) {
		snprintf(d->error, sizeof(d->error), "cannot find the current position again");
		rc = -EIO;
	}
	return rc;
}

/* Stop events (breakpoints, watchpoints) strictly between the checkpoint `from` and `end`. */
static int scan_back(struct debugger *d, size_t from, struct pos end, struct scan *s)
{
	int rc = restore(d, from);
	if (rc)
		return rc;
	s->end = end;
	s->stop_on_end = true;
	s->collect = true;
	scan_begin(d, s);
	if (!pos_cmp(d->here, end))
		return 0;
	rc = run(d);
	if (!rc && pos_cmp(d->here, end) && !d->at_end) {
		snprintf(d->error, sizeof(d->error), "the scan did not come back to %llu.%llu",
			 (unsigned long long)end.exits, (unsigned long long)end.steps);
		rc = -EIO;
	}
	return rc;
}

/* ---- interrupts in a step ----
 *
 * A single step that delivers an interrupt enters its handler. gdb, stepping a line, would
 * then stop in the handler's code, or going back stop in its return path: an interrupt is not
 * a call it knows how to step over. So, like QEMU's gdb stub by default, a step takes an
 * interrupt whole: it runs the handler until it returns to the instruction it came before,
 * then executes that instruction. Going back is the inverse: the step back from the
 * instruction after such a return goes to the stop before the interrupt. Breakpoints and
 * watchpoints still stop inside handlers; `monitor step-into-interrupts on` steps into them. */

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
	uint8_t b[4];
	if (vm_read_virt(d->vm, r->rip, b, sizeof(b)))
		return false;
	int i = 0;
	while (i < 3 && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0x2e || b[i] == 0x3e))
		i++;
	return (b[i] & 0xf8) == 0x48 && i < 3 && b[i + 1] == 0xcf && frame_at(d, r->rsp, rp);
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
static int step_once(struct debugger *d)
{
	struct kvm_regs at, r;
	struct return_watch w = { .d = d };
	if (d->vm->engine->ops->get_regs(d->vm->engine, &at))
		return -EIO;
	for (;;) {
		int rc = step_n(d, 1);
		if (rc || d->at_end || d->step_into_interrupts ||
		    d->vm->engine->ops->get_regs(d->vm->engine, &r) || !delivered_from(d, &r, &w.to) ||
		    !at_point(&at, w.to))
			return rc;
		/* The interrupt came before the instruction at `at`: run it to its return. */
		w.returning = false;
		debug_mode(d, true, on_return_step, &w, false);
		if ((rc = run(d)) || d->at_end || d->vm->debug.stop != DEBUG_STOP_STEP ||
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
	int rc = goto_exit(d, first);
	if (rc || (rc = d->vm->engine->ops->get_regs(d->vm->engine, &r)))
		return rc;
	s->cur = back_stop_here(d, &r);
	s->nopen = 0;
	if (!pos_cmp(d->here, s->end))
		return 0;
	debug_mode(d, true, on_back_step, s, false);
	rc = run(d);
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
			if ((rc = goto_pos(d, s.cur.from)))
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

/* ---- gdb target ---- */

static int dbg_get_regs(void *t, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	struct debugger *d = t;
	struct engine *e = d->vm->engine;
	int rc = e->ops->get_regs(e, regs);
	return rc ? rc : e->ops->get_sregs(e, sregs);
}

static int dbg_get_fpu(void *t, struct kvm_fpu *fpu)
{
	struct debugger *d = t;
	return d->vm->engine->ops->get_fpu(d->vm->engine, fpu);
}

static int dbg_read_phys(void *t, uint64_t gpa, void *buf, size_t len)
{
	struct debugger *d = t;
	const void *p = guest_mem_ptr(&d->vm->mem, gpa, len);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

static void record_free_stop(struct debugger *d)
{
	struct vm *vm = d->vm;
	vm->engine->ops->get_regs(vm->engine, &d->here_regs);
	d->hit_addr = 0;
	d->hit_count = 0;
	if (vm->debug.stop == DEBUG_STOP_BREAK) {
		d->hit_addr = vm->debug.hw[vm->debug.stop_bp].addr;
		d->hit_count = vm->debug.hits[vm->debug.stop_bp];
	}
}

/* Whether the watchpoints can be the CPU's data breakpoints: only the soft engine checks
 * them (the kvm engine's never fire on this host: docs/platform.md), x86 has no read-only
 * kind, and each must be 1, 2, 4 or 8 bytes, aligned. */
static bool data_breakpoints(struct debugger *d, int nexec)
{
	if (!engine_is_soft(d->vm->engine) || nexec + d->nwatch > VM_DEBUG_MAX_HW)
		return false;
	for (int i = 0; i < d->nwatch; i++) {
		const struct watch *w = &d->watch[i];
		if (w->type == GDB_WATCH_READ || (w->len & (w->len - 1)) || w->va % w->len)
			return false;
	}
	return true;
}

static int forward_continue(struct debugger *d, struct gdb_stop *stop)
{
	struct kvm_regs r;
	d->vm->engine->ops->get_regs(d->vm->engine, &r);
	int nexec = 0;
	for (int i = 0; i < d->nbps; i++)
		nexec += d->bps[i].type <= GDB_BP_HARDWARE;
	bool data = d->nwatch && data_breakpoints(d, nexec);
	if ((d->nwatch && !data) || nexec > VM_DEBUG_MAX_HW) {
		/* Watchpoints, and breakpoints beyond the hardware's, are software here: step and
		 * compare after every instruction. */
		struct scan s = { .d = d, .forward = true };
		scan_begin(d, &s);
		int rc = run(d);
		if (rc || d->at_end)
			return rc;
		if (d->vm->debug.stop == DEBUG_STOP_INTERRUPT) {
			record_free_stop(d);
			stop->signo = GDB_SIGINT;
			return 0;
		}
		stop->reason = s.found.reason;
		stop->addr = s.found.addr;
		return 0;
	}
	debug_mode(d, false, NULL, NULL, true);
	struct vm_debug *g = &d->vm->debug;
	for (int i = 0; data && i < d->nwatch; i++)
		g->hw[g->nhw++] = (struct vm_hw_point){
			d->watch[i].va, d->watch[i].type == GDB_WATCH_WRITE ? HW_WRITE : HW_ACCESS,
			(uint8_t)d->watch[i].len };
	/* A continue that starts on a breakpoint leaves it first. */
	for (int i = 0; i < g->nhw; i++)
		g->step_over |= g->hw[i].kind == HW_EXEC && g->hw[i].addr == r.rip;
	int rc = run(d);
	if (rc || d->at_end)
		return rc;
	record_free_stop(d);
	if (g->stop == DEBUG_STOP_INTERRUPT) {
		stop->signo = GDB_SIGINT;
	} else if (g->stop == DEBUG_STOP_WATCH) {
		const struct watch *w = &d->watch[g->stop_bp - (g->nhw - d->nwatch)];
		stop->reason = watch_reason(w->type);
		stop->addr = w->va;
	} else {
		stop->reason = bp_reason(d, d->here_regs.rip);
	}
	return 0;
}

static int reverse_step(struct debugger *d, struct gdb_stop *stop)
{
	struct pos p = d->here, before;
	if (!p.exits && !p.steps) {
		stop->reason = GDB_STOP_REPLAY_BEGIN;
		return 0;
	}
	int rc = stop_before(d, &before);
	return rc ? rc : goto_pos(d, before);
}

/* Breakpoint hits strictly between the checkpoint `from` and `end`, when the hardware can
 * watch every breakpoint and there are no watchpoints: the VM runs freely with breakpoints
 * armed up to end's exit, and only that exit's own steps are stepped. Returns 0, 1 when it
 * cannot be done that way, or an error. */
static int scan_back_free(struct debugger *d, size_t from, struct pos end, struct scan *s)
{
	int nexec = 0;
	for (int i = 0; i < d->nbps; i++)
		nexec += d->bps[i].type <= GDB_BP_HARDWARE;
	if (d->nwatch || nexec > VM_DEBUG_MAX_HW)
		return 1;
	int rc = restore(d, from);
	struct vm_debug *g = &d->vm->debug;
	debug_mode(d, false, NULL, NULL, true);
	g->pause_at_exit = end.exits;
	while (!rc && d->here.exits < end.exits) {
		if ((rc = run(d)))
			break;
		if (d->at_end && d->here.exits == end.exits)
			break;	/* `end` is the end of the recording */
		if (d->at_end || g->stop == DEBUG_STOP_INTERRUPT) {
			snprintf(d->error, sizeof(d->error), "the scan %s before %llu.%llu",
				 d->at_end ? "reached the end" : "was interrupted",
				 (unsigned long long)end.exits, (unsigned long long)end.steps);
			return -EIO;
		}
		if (g->stop != DEBUG_STOP_BREAK)
			continue;
		uint64_t bp = g->hw[g->stop_bp].addr;
		if (!add_hit(s, (struct pos){ d->vm->exits, 0 }, bp_reason(d, bp), 0))
			return -ENOMEM;
		s->hits[s->nhits - 1].bp = bp;
		s->hits[s->nhits - 1].count = g->hits[g->stop_bp];
	}
	if (rc || !end.steps)
		return rc;
	/* The last exit's steps: the start itself first. */
	for (int i = 0; i < g->nhw; i++)
		if (breakpoint_at_start(d, g->hw[i].addr) &&
		    !add_hit(s, d->here, bp_reason(d, g->hw[i].addr), 0))
			return -ENOMEM;
	s->end = end;
	s->stop_on_end = true;
	s->collect = true;
	scan_begin(d, s);
	rc = run(d);
	if (!rc && pos_cmp(d->here, end)) {
		snprintf(d->error, sizeof(d->error), "the scan did not come back to %llu.%llu",
			 (unsigned long long)end.exits, (unsigned long long)end.steps);
		rc = -EIO;
	}
	return rc;
}

/* Goes to a hit: exactly, or by finding the count-th hit of its breakpoint since its exit. */
static int goto_hit(struct debugger *d, const struct hit *h)
{
	if (!h->count)
		return goto_pos(d, h->at);
	d->here = h->at;
	d->here_known = false;
	d->hit_addr = h->bp;
	d->hit_count = h->count;
	return locate(d);
}

static int reverse_continue(struct debugger *d, struct gdb_stop *stop)
{
	struct pos end = d->here;
	for (;;) {
		long best = checkpoint_before(d, end, true);
		if (best < 0) {
			stop->reason = GDB_STOP_REPLAY_BEGIN;
			return goto_pos(d, (struct pos){ 0, 0 });
		}
		struct pos from = { d->ck.v[best].exits, 0 };
		struct scan s = { .d = d };
		int rc = scan_back_free(d, (size_t)best, end, &s);
		if (rc == 1)
			rc = scan_back(d, (size_t)best, end, &s);
		if (!rc && s.nhits) {
			struct hit h = s.hits[s.nhits - 1];
			rc = goto_hit(d, &h);
			stop->reason = h.reason;
			stop->addr = h.addr;
		}
		free(s.hits);
		if (rc || s.nhits)
			return rc;
		if (!from.exits) {
			stop->reason = GDB_STOP_REPLAY_BEGIN;
			return goto_pos(d, from);
		}
		end = from;
	}
}

static int resume(struct debugger *d, enum gdb_resume how, struct gdb_stop *stop)
{
	memset(stop, 0, sizeof(*stop));
	if (d->broken)
		return -EIO;
	d->error[0] = 0;
	int rc = 0;
	switch (how) {
	case GDB_RESUME_CONTINUE:
	case GDB_RESUME_STEP:
		if (d->at_end)
			break;
		if (how == GDB_RESUME_CONTINUE) {
			rc = forward_continue(d, stop);
		} else {
			rc = step_once(d);
			record_free_stop(d);
		}
		break;
	case GDB_RESUME_REVERSE_STEP:
	case GDB_RESUME_REVERSE_CONTINUE:
		if (d->live)
			return -ENOSYS;
		rc = locate(d);
		if (!rc)
			rc = how == GDB_RESUME_REVERSE_STEP ? reverse_step(d, stop) : reverse_continue(d, stop);
		if (!rc && d->here_known)
			record_free_stop(d);
		return rc;
	}
	if (!rc && d->at_end) {
		/* A live guest is gone; a recording has simply no more history. */
		stop->reason = d->live ? GDB_STOP_EXITED : GDB_STOP_REPLAY_END;
		stop->exit_status = d->exit_status & 0xff;
	}
	return rc;
}

static int dbg_resume(void *t, enum gdb_resume how, struct gdb_stop *stop)
{
	struct debugger *d = t;
	int rc = resume(d, how, stop);
	if (rc && d->error[0])
		fprintf(stderr, "rewind debug: %s\n", d->error); /* gdb itself only sees Enn */
	return rc;
}

static void dbg_interrupt(void *t)
{
	struct debugger *d = t;
	vm_debug_interrupt(d->vm);
}

static int dbg_set_breakpoints(void *t, const struct gdb_breakpoint *bps, int n)
{
	struct debugger *d = t;
	int nwatch = 0;
	struct watch watch[MAX_WATCH];
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (dbg_get_regs(d, &regs, &sregs))
		return -EIO;
	for (int i = 0; i < n; i++) {
		if (bps[i].type <= GDB_BP_HARDWARE)
			continue;
		/* Watchpoints are checked after each step (docs/gdb.md): up to 8 bytes each. */
		if (nwatch == MAX_WATCH || !bps[i].len || bps[i].len > 8)
			return -ENOSPC;
		uint64_t gpa;
		if (gdb_translate(&debugger_target_ops, d, &sregs, bps[i].addr, &gpa) ||
		    !guest_mem_ptr(&d->vm->mem, gpa, bps[i].len))
			return -EFAULT;
		watch[nwatch++] = (struct watch){ bps[i].addr, gpa, (uint32_t)bps[i].len, bps[i].type };
	}
	memcpy(d->bps, bps, n * sizeof(*bps));
	d->nbps = n;
	memcpy(d->watch, watch, sizeof(watch));
	d->nwatch = nwatch;
	return 0;
}

static int parse_pos(const char *s, struct pos *p)
{
	char *end;
	p->exits = strtoull(s, &end, 10);
	p->steps = 0;
	if (end == s)
		return -1;
	if (*end == '.') {
		const char *q = end + 1;
		p->steps = strtoull(q, &end, 10);
		if (end == q)
			return -1;
	}
	return *end ? -1 : 0;
}

static int dbg_monitor(void *t, const char *cmd, struct gdb_out *out)
{
	struct debugger *d = t;
	int rc;
	if (!strcmp(cmd, "step-into-interrupts on") || !strcmp(cmd, "step-into-interrupts off")) {
		d->step_into_interrupts = !strcmp(cmd + 21, "on");
		gdb_out_printf(out, "steps %s interrupt handlers\n",
			       d->step_into_interrupts ? "go into" : "take whole");
		return 0;
	}
	if (d->live) {
		gdb_out_printf(out, "exit %llu, guest time %.6f s (a live VM: no history to move in)\n",
			       (unsigned long long)d->vm->exits, vm_guest_ns(d->vm) / 1e9);
		return strcmp(cmd, "when") && strcmp(cmd, "info") ? -EINVAL : 0;
	}
	if (d->broken && strcmp(cmd, "info"))
		return gdb_out_printf(out, "%s: the session cannot go on\n", d->error), -EIO;
	if (!strcmp(cmd, "when")) {
		if ((rc = locate(d)))
			return gdb_out_printf(out, "%s\n", d->error), rc;
		gdb_out_printf(out, "position %llu.%llu (exit %llu, step %llu), guest time %.6f s%s\n",
			       (unsigned long long)d->here.exits, (unsigned long long)d->here.steps,
			       (unsigned long long)d->here.exits, (unsigned long long)d->here.steps,
			       d->vm->clock.last / 1e9, d->at_end ? ", end of the recording" : "");
		return 0;
	}
	if (!strncmp(cmd, "goto ", 5)) {
		struct pos p;
		if (parse_pos(cmd + 5, &p))
			return gdb_out_printf(out, "usage: monitor goto EXIT[.STEP]\n"), -EINVAL;
		if ((rc = goto_pos(d, p)))
			return gdb_out_printf(out, "%s\n", d->error), rc;
		record_free_stop(d);
		gdb_out_printf(out, "at %llu.%llu; run `maintenance flush register-cache`\n",
			       (unsigned long long)p.exits, (unsigned long long)p.steps);
		return 0;
	}
	if (!strcmp(cmd, "checkpoint")) {
		if (d->at_end || !d->here_known || d->here.steps || d->vm->irq_this_exit)
			return gdb_out_printf(out, "checkpoints are taken at exits with no interrupt in "
						   "flight: `monitor goto EXIT` first\n"), -EINVAL;
		if (checkpoints_take(&d->ck, d->vm, replayer_events(d->rp)))
			return gdb_out_printf(out, "%s\n", d->ck.error), -EIO;
		gdb_out_printf(out, "checkpoint %zu at exit %llu\n", d->ck.n - 1,
			       (unsigned long long)d->here.exits);
		return 0;
	}
	if (!strcmp(cmd, "info")) {
		struct pagestore_stats st;
		pagestore_stats(&d->ck.ps, &st);
		gdb_out_printf(out, "trace %s\nposition %llu.%llu%s\n%zu checkpoints: ", d->path,
			       (unsigned long long)d->here.exits, (unsigned long long)d->here.steps,
			       d->here_known ? "" : " (step not yet known)", d->ck.n);
		for (size_t i = 0; i < d->ck.n; i++)
			gdb_out_printf(out, "%s%llu", i ? ", " : "", (unsigned long long)d->ck.v[i].exits);
		gdb_out_printf(out, "\npage store %llu unique pages, %llu bytes (budget %llu); a checkpoint "
				    "every %llu exits\n",
			       (unsigned long long)st.unique_pages, (unsigned long long)st.bytes_stored,
			       (unsigned long long)d->budget, (unsigned long long)d->every);
		return 0;
	}
	gdb_out_printf(out, "monitor commands: when, goto EXIT[.STEP], checkpoint, info, "
			    "step-into-interrupts on|off\n");
	return -EINVAL;
}

/* The same target, live (forwards only) or on a recording. */
#define DEBUGGER_OPS(reverse)                          \
	{                                              \
		.get_regs = dbg_get_regs,              \
		.get_fpu = dbg_get_fpu,                \
		.read_phys = dbg_read_phys,            \
		.resume = dbg_resume,                  \
		.interrupt = dbg_interrupt,            \
		.set_breakpoints = dbg_set_breakpoints, \
		.monitor = dbg_monitor,                \
		.can_reverse = (reverse),              \
	}
const struct gdb_target_ops debugger_live_ops = DEBUGGER_OPS(false);
const struct gdb_target_ops debugger_target_ops = DEBUGGER_OPS(true);

struct debugger *debugger_open(const char *trace_path, const struct debugger_options *opt,
			       char *err, size_t errlen)
{
	struct debugger *d = calloc(1, sizeof(*d));
	struct vm_config cfg;
	const uint8_t *image;
	size_t len;
	struct replay_options ropt = { 0 };
	if (!d || !(d->vm = calloc(1, sizeof(*d->vm))) || !(d->path = strdup(trace_path))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->every = opt->checkpoint_exits ? opt->checkpoint_exits : DEFAULT_CHECKPOINT_EXITS;
	d->budget = opt->budget_bytes ? opt->budget_bytes : DEFAULT_BUDGET;
	d->rp = replayer_open(trace_path, &ropt, &cfg, &image, &len, err, errlen);
	if (!d->rp)
		goto fail;
	FILE *devnull = fopen("/dev/null", "w");
	cfg.console = devnull ? devnull : stdout; /* the guest's console is the trace's, not gdb's */
	if (vm_create(d->vm, &cfg, err, errlen))
		goto fail;
	replayer_attach(d->rp, d->vm);
	d->vm->rep = d->rp;
	if (vm_boot(d->vm, image, len, err, errlen))
		goto fail;
	int rc = checkpoints_load(&d->ck, trace_path, replayer_trace_id(d->rp), err, errlen);
	if (rc < 0)
		goto fail;
	if (rc == 0 && checkpoints_init(&d->ck, 0, replayer_trace_id(d->rp))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = vm_begin(d->vm))) {
		snprintf(err, errlen, "tracking dirty pages: %s", strerror(-rc));
		goto fail;
	}
	/* Position (0, 0), before the first instruction: where going back ends. */
	if (checkpoints_take(&d->ck, d->vm, replayer_events(d->rp))) {
		snprintf(err, errlen, "checkpoint at the start: %s", d->ck.error);
		goto fail;
	}
	d->vm->debug.attached = true;
	d->vm->quiet_point = take_checkpoint;
	d->vm->quiet_ctx = d;
	d->next_checkpoint = d->every;
	d->here_known = true;
	return d;
fail:
	debugger_close(d);
	return NULL;
}

struct debugger *debugger_attach_live(struct vm *vm)
{
	struct debugger *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->live = true;
	d->vm = vm;
	d->here_known = true;
	vm->debug.attached = true;
	return d;
}

void debugger_close(struct debugger *d)
{
	if (!d)
		return;
	if (d->live) {
		vm_debug_init(&d->vm->debug); /* the VM runs on without a debugger */
		d->vm->debug.dirty = true;   /* which clears the engine's debug registers */
		free(d);
		return;
	}
	if (d->vm) {
		FILE *console = d->vm->cfg.console;
		if (d->vm->engine)
			vm_destroy(d->vm);
		if (console && console != stdout)
			fclose(console);
		free(d->vm);
	}
	if (d->ck.v || d->ck.ps.npages)
		checkpoints_free(&d->ck);
	if (d->rp)
		replayer_close(d->rp);
	free(d->path);
	free(d);
}
