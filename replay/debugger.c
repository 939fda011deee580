/* The debugger as a gdb target: resuming forwards and backwards, the breakpoint table,
 * monitor commands, opening a recording or attaching to a live VM. How it moves the replay is
 * in debug_positions.c, debug_events.c and debug_steps.c (replay/debug_internal.h). */
#include "replay/debugger.h"
#include "replay/debug_internal.h"
#include "replay/replayer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CHECKPOINT_EXITS 500
#define DEFAULT_BUDGET (512ULL << 20)
static int target_get_regs(void *t, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	struct debugger *d = t;
	struct engine *e = d->vm->engine;
	int rc = e->ops->get_regs(e, regs);
	return rc ? rc : e->ops->get_sregs(e, sregs);
}

static int target_get_fpu(void *t, struct kvm_fpu *fpu)
{
	struct debugger *d = t;
	return d->vm->engine->ops->get_fpu(d->vm->engine, fpu);
}

static int target_read_phys(void *t, uint64_t gpa, void *buf, size_t len)
{
	struct debugger *d = t;
	const void *p = guest_mem_ptr(&d->vm->mem, gpa, len);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
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
			rc = dbg_forward_continue(d, stop);
		} else {
			rc = dbg_step(d);
			dbg_record_stop(d);
		}
		break;
	case GDB_RESUME_REVERSE_STEP:
	case GDB_RESUME_REVERSE_CONTINUE:
		if (d->live)
			return -ENOSYS;
		rc = dbg_locate(d);
		if (!rc)
			rc = how == GDB_RESUME_REVERSE_STEP ? dbg_reverse_step(d, stop) : dbg_reverse_continue(d, stop);
		if (!rc && d->here_known)
			dbg_record_stop(d);
		return rc;
	}
	if (!rc && d->at_end) {
		/* A live guest is gone; a recording has simply no more history. */
		stop->reason = d->live ? GDB_STOP_EXITED : GDB_STOP_REPLAY_END;
		stop->exit_status = d->exit_status & 0xff;
	}
	return rc;
}

static int target_resume(void *t, enum gdb_resume how, struct gdb_stop *stop)
{
	struct debugger *d = t;
	int rc = resume(d, how, stop);
	if (rc && d->error[0])
		fprintf(stderr, "rewind debug: %s\n", d->error); /* gdb itself only sees Enn */
	return rc;
}

static void target_interrupt(void *t)
{
	struct debugger *d = t;
	vm_debug_interrupt(d->vm);
}

static int target_set_breakpoints(void *t, const struct gdb_breakpoint *bps, int n)
{
	struct debugger *d = t;
	int nwatch = 0;
	struct watch watch[MAX_WATCH];
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (target_get_regs(d, &regs, &sregs))
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

static int target_monitor(void *t, const char *cmd, struct gdb_out *out)
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
		if ((rc = dbg_locate(d)))
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
		if ((rc = dbg_goto_pos(d, p)))
			return gdb_out_printf(out, "%s\n", d->error), rc;
		dbg_record_stop(d);
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
				    "every %llu exits\nsearches for breakpoints and watchpoints stepped "
				    "%llu times\n",
			       (unsigned long long)st.unique_pages, (unsigned long long)st.bytes_stored,
			       (unsigned long long)d->budget, (unsigned long long)d->every,
			       (unsigned long long)d->scanned);
		return 0;
	}
	gdb_out_printf(out, "monitor commands: when, goto EXIT[.STEP], checkpoint, info, "
			    "step-into-interrupts on|off\n");
	return -EINVAL;
}

/* The same target, live (forwards only) or on a recording. */
#define DEBUGGER_OPS(reverse)                            \
	{                                                \
		.get_regs = target_get_regs,               \
		.get_fpu = target_get_fpu,                 \
		.read_phys = target_read_phys,             \
		.resume = target_resume,                   \
		.interrupt = target_interrupt,             \
		.set_breakpoints = target_set_breakpoints, \
		.monitor = target_monitor,                 \
		.can_reverse = (reverse),                  \
	}
const struct gdb_target_ops debugger_live_ops = DEBUGGER_OPS(false);
const struct gdb_target_ops debugger_target_ops = DEBUGGER_OPS(true);

struct debugger *debugger_open(const char *trace_path, const struct debugger_options *opt,
			       char *err, size_t errlen)
{
	struct debugger *d = calloc(1, sizeof(*d));
	struct vm_config cfg;
	struct boot_files files;
	struct replay_options ropt = { 0 };
	if (!d || !(d->vm = calloc(1, sizeof(*d->vm))) || !(d->path = strdup(trace_path))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->every = opt->checkpoint_exits ? opt->checkpoint_exits : DEFAULT_CHECKPOINT_EXITS;
	d->budget = opt->budget_bytes ? opt->budget_bytes : DEFAULT_BUDGET;
	d->rp = replayer_open(trace_path, &ropt, &cfg, &files, err, errlen);
	if (!d->rp)
		goto fail;
	FILE *devnull = fopen("/dev/null", "w");
	cfg.console = devnull ? devnull : stdout; /* the guest's console is the trace's, not gdb's */
	if (vm_create(d->vm, &cfg, err, errlen))
		goto fail;
	replayer_attach(d->rp, d->vm);
	d->vm->rep = d->rp;
	if (vm_boot(d->vm, &files, err, errlen))
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
	d->vm->quiet_point = dbg_take_checkpoint;
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
