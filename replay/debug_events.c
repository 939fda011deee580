/* Breakpoint and watchpoint events: continuing forwards to the next one and backwards to the
 * last one before here, by running with hardware breakpoints where they suffice and by
 * stepping and comparing otherwise (software watchpoints: docs/gdb.md). Also finding a stop
 * reached by running freely again, exactly. */
#include "replay/debug_internal.h"
#include "core/insn_access.h"
#include "core/soft_engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A breakpoint or watchpoint stop found while scanning for reverse-continue. One found by
 * running freely is known as the `count`-th hit of `bp` since exit at.exits. */
struct hit {
	struct pos at;
	enum gdb_stop_reason reason;
	uint64_t addr;
	uint64_t bp;
	uint32_t count;
};

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
	uint8_t code[DBG_CODE_MAX];
	size_t n = dbg_read_code(d, r->rip, code);
	acc->n = 0;
	if (!n || d->vm->engine->ops->get_sregs(d->vm->engine, &sregs) ||
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
	dbg_mode(d, true, on_scan_step, s, false);
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
int dbg_locate(struct debugger *d)
{
	if (d->here_known)
		return 0;
	struct pos from = d->count_from;
	struct kvm_regs regs = d->here_regs;
	struct scan s = { .d = d, .addr = d->hit_addr, .count = d->hit_count };
	if (!d->hit_count)
		s.regs = &regs;
	bool counted_at_start = d->count_from_hit;
	int rc = dbg_goto_pos(d, from);
	if (rc)
		return rc;
	scan_begin(d, &s);
	bool at_start = s.addr && counted_at_start && breakpoint_at_start(d, s.addr);
	if ((!s.regs && !s.addr) || (at_start && s.count == 1))
		return 0;
	s.seen = at_start;
	rc = dbg_run(d);
	if (!rc && (d->at_end || d->here.exits != from.exits)) {
		snprintf(d->error, sizeof(d->error), "cannot find the current position again");
		rc = -EIO;
	}
	return rc;
}

/* Stop events (breakpoints, watchpoints) strictly between the checkpoint `from` and `end`. */
static int scan_back(struct debugger *d, size_t from, struct pos end, struct scan *s)
{
	int rc = dbg_restore(d, from);
	if (rc)
		return rc;
	s->end = end;
	s->stop_on_end = true;
	s->collect = true;
	scan_begin(d, s);
	if (!pos_cmp(d->here, end))
		return 0;
	rc = dbg_run(d);
	if (!rc && pos_cmp(d->here, end) && !d->at_end) {
		snprintf(d->error, sizeof(d->error), "the scan did not come back to %llu.%llu",
			 (unsigned long long)end.exits, (unsigned long long)end.steps);
		rc = -EIO;
	}
	return rc;
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

static bool same_points(const struct vm_hw_point *a, int na, const struct vm_hw_point *b, int nb)
{
	for (int i = 0; na == nb && i < na; i++)
		if (a[i].addr != b[i].addr || a[i].kind != b[i].kind || a[i].len != b[i].len)
			return false;
	return na == nb;
}

/* Arms the breakpoints, and the watchpoints when they are data breakpoints, for a free run. */
static void arm_free_run(struct debugger *d, bool data)
{
	dbg_mode(d, false, NULL, NULL, true);
	struct vm_debug *g = &d->vm->debug;
	for (int i = 0; data && i < d->nwatch; i++)
		g->hw[g->nhw++] = (struct vm_hw_point){
			d->watch[i].va, d->watch[i].type == GDB_WATCH_WRITE ? HW_WRITE : HW_ACCESS,
			(uint8_t)d->watch[i].len };
}

int dbg_forward_continue(struct debugger *d, struct gdb_stop *stop)
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
		int rc = dbg_run(d);
		if (rc || d->at_end)
			return rc;
		if (d->vm->debug.stop == DEBUG_STOP_INTERRUPT) {
			dbg_record_stop(d);
			stop->signo = GDB_SIGINT;
			return 0;
		}
		stop->reason = s.found.reason;
		stop->addr = s.found.addr;
		return 0;
	}
	struct vm_debug *g = &d->vm->debug;
	struct vm_hw_point counted[VM_DEBUG_MAX_HW];
	int ncounted = g->nhw;
	memcpy(counted, g->hw, sizeof(counted));
	arm_free_run(d, data);
	/* The hits of this run are counted from where it starts, which must then be exact (no
	 * hits are counted yet at a known position: it was reached by restoring, stepping or an
	 * exit). From a stop not located yet, the counts go on from where that run started, and
	 * are right only for the breakpoints that run counted. */
	if (!d->here_known && !same_points(g->hw, g->nhw, counted, ncounted)) {
		int rc = dbg_locate(d);
		if (rc)
			return rc;
		arm_free_run(d, data);
	}
	if (d->here_known) {
		d->count_from = d->here;
		d->count_from_hit = false;
	}
	/* A continue that starts on a breakpoint leaves it first. */
	for (int i = 0; i < g->nhw; i++)
		g->step_over |= g->hw[i].kind == HW_EXEC && g->hw[i].addr == r.rip;
	int rc = dbg_run(d);
	if (rc || d->at_end)
		return rc;
	dbg_record_stop(d);
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
	int rc = dbg_restore(d, from);
	struct vm_debug *g = &d->vm->debug;
	dbg_mode(d, false, NULL, NULL, true);
	g->pause_at_exit = end.exits;
	while (!rc && d->here.exits < end.exits) {
		if ((rc = dbg_run(d)))
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
	rc = dbg_run(d);
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
		return dbg_goto_pos(d, h->at);
	d->here = h->at;
	d->here_known = false;
	d->hit_addr = h->bp;
	d->hit_count = h->count;
	d->count_from = h->at;
	d->count_from_hit = true;
	return dbg_locate(d);
}

int dbg_reverse_continue(struct debugger *d, struct gdb_stop *stop)
{
	struct pos end = d->here;
	for (;;) {
		long best = dbg_checkpoint_before(d, end, true);
		if (best < 0) {
			stop->reason = GDB_STOP_REPLAY_BEGIN;
			return dbg_goto_pos(d, (struct pos){ 0, 0 });
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
			return dbg_goto_pos(d, from);
		}
		end = from;
	}
}
