#include "replay/replayer.h"
#include "record/recorder.h"
#include "core/digest.h"
#include "core/host_kind.h"
#include "core/landing_search.h"
#include "core/soft_engine.h"
#include "core/vm.h"
#include "core/vm_config.h"
#include "traces/events.h"
#include "traces/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct replayer {
	struct trace_reader *reader;
	struct replay_options opt;
	struct vm *vm;
	struct vm_config_parsed cfg;
	const uint8_t *image;
	size_t image_len;

	struct trace_event next;	/* the last peek */
	bool eof;

	/* EV_ASYNC_ICOUNT: the engine runs to this instruction count, where the interrupt that
	 * follows in the trace is due; armed at position icount_pos. 0: none. */
	uint64_t icount_stop, icount_pos;
	/* EV_INSN_VALUE: values for the soft engine's RDTSC/RDRAND/RDSEED, taken in with the
	 * host events of their position and handed out in order as the guest reads them. */
	struct {
		uint8_t *kind;
		uint64_t *value;
		size_t head, len, cap;
		uint64_t pos;
	} values;

	/* Asynchronous landings are looked for on the soft engine first (kvm traces). */
	struct landing_search search;
	bool search_off;
	/* This host's kvm: no hardware breakpoint fires in CPL3 code (PVM, docs/platform.md). */
	bool no_user_breakpoints;
	bool resumed;		/* moved to a checkpoint: its guest time is not the last clock value */
	bool stop_event;	/* the trace's EV_STOP ended the replay: at an exit, like the recording */
	uint64_t searched_pos;	/* 1 + the position a soft search took a landing at; 0 none */

	uint64_t last_clock;
	uint64_t events, digests_checked, deferred;
	char report[768];
};

static void stop(struct replayer *rp, enum vm_stop_reason why, int status, const char *fmt, ...)
{
	struct vm *vm = rp->vm;
	if (vm->stop != VM_RUNNING && !vm_stopped_by_guest(vm))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rp->report, sizeof(rp->report), fmt, ap);
	va_end(ap);
	vm->stop = why;
	vm->status = status;
}

static void describe(char *buf, size_t len, uint8_t type, uint64_t pos, const uint8_t *p, size_t n)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	if (f) {
		trace_event_format(f, type, p, n);
		fclose(f);
	}
	snprintf(buf, len, "%s %s at exit %llu%s", trace_event_name(type), text ? text : "",
		 (unsigned long long)(pos >> 1), pos & 1 ? " (after its interrupt check)" : "");
	free(text);
}

/* The next event, or NULL at the end (or on a damaged chunk, which stops the replay). Its
 * payload stays valid until consume(). */
static const struct trace_event *peek(struct replayer *rp)
{
	if (rp->eof)
		return NULL;
	int rc = trace_reader_peek(rp->reader, &rp->next);
	if (rc < 0) {
		rp->eof = true;
		stop(rp, VM_STOP_ERROR, STATUS_ERROR, "the trace is damaged: %s",
		     trace_reader_error(rp->reader));
		return NULL;
	}
	if (rc == 0) {
		rp->eof = true;
		return NULL;
	}
	char why[200];
	if (trace_event_check(rp->next.type, rp->next.pos, rp->next.len, why, sizeof(why))) {
		rp->eof = true;
		stop(rp, VM_STOP_ERROR, STATUS_ERROR, "the trace is damaged: %s", why);
		return NULL;
	}
	return &rp->next;
}

static void consume(struct replayer *rp)
{
	struct trace_event ev;
	trace_reader_next(rp->reader, &ev);
	rp->events++;
}

/* The trace has nothing more to say at a point where the replay needs it. */
static void trace_ended(struct replayer *rp, const char *needed)
{
	struct vm *vm = rp->vm;
	const struct trace_file_info *info = trace_reader_info(rp->reader);
	if (vm->stop != VM_RUNNING)
		return;
	if (info->truncated) {
		stop(rp, VM_STOP_TRACE_END, STATUS_TRACE_END,
		     "replayed up to the end of the truncated trace (exit %llu, last complete chunk); "
		     "the recording was not closed",
		     (unsigned long long)vm->exits);
		return;
	}
	size_t n;
	struct run_end end;
	const void *final = trace_reader_final_blob(rp->reader, &n);
	bool have_end = run_end_decode(&end, final, n) == 0;
	uint32_t status = have_end ? end.status : 0;
	/* A recording stopped from outside (--timeout) ends wherever the host stopped it, which
	 * may be a halted guest waiting for an event that never came: running out of events is
	 * its end, not a divergence. */
	if (have_end && (vm->exits >= end.exits || end.status == STATUS_TIMEOUT)) {
		stop(rp, VM_STOP_TRACE_END, (int)status, "reached the end of the recording (exit %llu)",
		     (unsigned long long)vm->exits);
		return;
	}
	stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
	     "replay diverged at exit %llu: it needs %s, but the trace has ended",
	     (unsigned long long)vm->exits, needed);
}

static void mismatch(struct replayer *rp, uint8_t type, const void *payload, size_t len)
{
	char want[300], got[300];
	describe(got, sizeof(got), type, vm_pos(rp->vm), payload, len);
	describe(want, sizeof(want), rp->next.type, rp->next.pos, rp->next.payload, rp->next.len);
	stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
	     "replay diverged at exit %llu: the replay produced %s; the trace has %s",
	     (unsigned long long)rp->vm->exits, got, want);
}

void replayer_expect(struct replayer *rp, uint8_t type, const void *payload, size_t len)
{
	const struct trace_event *ev = peek(rp);
	if (!ev) {
		trace_ended(rp, trace_event_name(type));
		return;
	}
	if (ev->pos != vm_pos(rp->vm) || ev->type != type || ev->len != len ||
	    memcmp(ev->payload, payload, len)) {
		mismatch(rp, type, payload, len);
		return;
	}
	consume(rp);
}

static uint64_t replay_clock_read(void *ctx)
{
	struct replayer *rp = ctx;
	const struct trace_event *ev = peek(rp);
	uint64_t v;
	if (!ev) {
		trace_ended(rp, "a clock value");
		return rp->last_clock;
	}
	if (ev->type != EV_CLOCK || ev->pos != vm_pos(rp->vm) || ev_u64_decode(&v, ev->payload, ev->len)) {
		uint8_t p[8];
		mismatch(rp, EV_CLOCK, p, ev_u64_encode(p, rp->last_clock));
		return rp->last_clock;
	}
	consume(rp);
	rp->last_clock = v;
	return v;
}

static uint64_t replay_value(void *ctx, enum soft_value_kind kind, uint64_t icount, uint64_t dflt)
{
	struct replayer *rp = ctx;
	static const uint8_t kinds[] = { [SOFT_VALUE_RDTSC] = INSN_RDTSC,
					 [SOFT_VALUE_RDRAND] = INSN_RDRAND,
					 [SOFT_VALUE_RDSEED] = INSN_RDSEED };
	(void)dflt;
	if (rp->values.head == rp->values.len || rp->values.kind[rp->values.head] != kinds[kind]) {
		stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
		     "replay diverged after exit %llu: instruction %llu reads a %s value the trace "
		     "does not have there",
		     (unsigned long long)rp->vm->exits, (unsigned long long)icount,
		     kind == SOFT_VALUE_RDTSC ? "TSC" : "random");
		return dflt;
	}
	return rp->values.value[rp->values.head++];
}

static int take_value(struct replayer *rp, const struct trace_event *ev)
{
	uint8_t kind;
	uint64_t v;
	if (ev_insn_value_decode(&kind, &v, ev->payload, ev->len) || kind > INSN_RDSEED)
		return -EINVAL;
	if (!engine_is_soft(rp->vm->engine))
		return -ENOTSUP;
	if (rp->values.head == rp->values.len)
		rp->values.head = rp->values.len = 0;
	if (rp->values.len == rp->values.cap) {
		size_t cap = rp->values.cap ? 2 * rp->values.cap : 64;
		uint8_t *k = realloc(rp->values.kind, cap);
		if (k)
			rp->values.kind = k;
		uint64_t *val = realloc(rp->values.value, cap * sizeof(*val));
		if (!k || !val)
			return -ENOMEM;
		rp->values.value = val;
		rp->values.cap = cap;
	}
	rp->values.kind[rp->values.len] = kind;
	rp->values.value[rp->values.len++] = v;
	rp->values.pos = ev->pos;
	return 0;
}

/* Called at every exit and kick: is the engine still short of an armed instruction count? */
static bool icount_pending(struct replayer *rp)
{
	struct vm *vm = rp->vm;
	if (!rp->icount_stop)
		return false;
	uint64_t now = vm->engine->ops->icount(vm->engine);
	if (now >= rp->icount_stop) {
		rp->icount_stop = 0;
		return false;
	}
	if (vm_pos(vm) != rp->icount_pos)
		stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
		     "replay diverged at exit %llu: the interrupt due at instruction %llu was not "
		     "reached before this exit (instruction %llu)",
		     (unsigned long long)vm->exits, (unsigned long long)rp->icount_stop,
		     (unsigned long long)now);
	return true;
}

/* EV_ASYNC_ICOUNT: run on to the recorded count; the events after it wait until then. */
static void arm_icount(struct replayer *rp, const struct trace_event *ev)
{
	struct vm *vm = rp->vm;
	struct engine *e = vm->engine;
	uint64_t n;
	if (ev_u64_decode(&n, ev->payload, ev->len)) {
		stop(rp, VM_STOP_ERROR, STATUS_ERROR, "bad async_icount event at exit %llu",
		     (unsigned long long)vm->exits);
		return;
	}
	if (!e->ops->set_icount_stop) {
		stop(rp, VM_STOP_ERROR, STATUS_ERROR,
		     "the trace positions interrupts by instruction count, which the %s engine "
		     "cannot do",
		     e->ops->name);
		return;
	}
	uint64_t now = e->ops->icount(e);
	if (now > n) {
		stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
		     "replay diverged at exit %llu: an interrupt is due at instruction %llu, but the "
		     "guest is already at instruction %llu",
		     (unsigned long long)vm->exits, (unsigned long long)n, (unsigned long long)now);
		return;
	}
	e->ops->set_icount_stop(e, n);
	rp->icount_stop = n;
	rp->icount_pos = vm_pos(vm);
}

/* The soft search runs when nothing else needs the landing's stretch on the kvm engine: no
 * debugger (its positions count the kvm engine's steps and breakpoint hits), and no
 * `--landing-search breakpoint`, unless the landing is in user code (its RIP on a user page)
 * on a host where no breakpoint fires there: that search could never succeed. */
static bool search_on_soft(struct replayer *rp)
{
	struct vm *vm = rp->vm;
	const struct vm_debug *d = &vm->debug;
	/* A landing in user code where no breakpoint fires there: the soft search or nothing,
	 * also under a debugger that neither steps nor waits at a breakpoint in this stretch. */
	bool soft_only = rp->no_user_breakpoints && vm_user_page(vm, vm->landing.target.rip);
	bool breakpoint = rp->opt.landing_breakpoint && !soft_only;
	return !breakpoint && !rp->search_off && !engine_is_soft(vm->engine) &&
	       (!d->attached || soft_only) && !d->step && !d->nhw &&
	       d->pause_at_exit == VM_PAUSE_NONE;
}

/* EV_ASYNC_STOP, armed: the soft search may find it now. Returns true when it was taken here
 * (the events after it follow at once), as a hardware-breakpoint stop there takes it
 * (core/vm_debug.c). */
static bool search_landing(struct replayer *rp)
{
	struct vm *vm = rp->vm;
	if (!search_on_soft(rp))
		return false;
	int rc = landing_search(&rp->search, vm);
	if (rc == -ENOTSUP) {
		fprintf(stderr, "rewind replay: landings are searched with the breakpoint only: %s\n",
			rp->search.error);
		rp->search_off = true;
		return false;
	}
	if (rc < 0) {
		stop(rp, VM_STOP_ERROR, STATUS_ERROR,
		     "moving the vCPU between the soft and kvm engines after exit %llu: %s",
		     (unsigned long long)vm->exits, strerror(-rc));
		return false;
	}
	if (!rc)
		return false;
	rp->searched_pos = vm_pos(vm) + 1;
	vm_take_landing(vm);
	return vm->stop == VM_RUNNING;
}

void replayer_apply_host_events(struct replayer *rp)
{
	struct vm *vm = rp->vm;
	/* Every TSC or random value the guest reads comes from the trace (a new engine after a
	 * snapshot restore needs it again). */
	if (engine_is_soft(vm->engine))
		soft_engine_set_value_source(vm->engine, replay_value, rp);
	if (icount_pending(rp))
		return;
	if (rp->values.head < rp->values.len && rp->values.pos != vm_pos(vm)) {
		stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
		     "replay diverged at exit %llu: the guest read %zu fewer TSC/random values "
		     "than the trace has before it",
		     (unsigned long long)vm->exits, rp->values.len - rp->values.head);
		return;
	}
	while (!vm->landing.armed) {
		const struct trace_event *ev = peek(rp);
		if (!ev) {
			trace_ended(rp, "the next host event");
			return;
		}
		if (ev->pos != vm_pos(vm))
			return;
		uint64_t ns;
		switch (ev->type) {
		case EV_TIMER:
			if (ev_u64_decode(&ns, ev->payload, ev->len))
				return mismatch(rp, EV_TIMER, NULL, 0);
			rp->last_clock = ns;
			vm_advance_devices(vm, ns);
			break;
		case EV_SERIAL_RX:
			if (uart_receive(&vm->uart, ev->payload, (int)ev->len) != (int)ev->len) {
				stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
				     "replay diverged at exit %llu: the UART cannot take the %u recorded input bytes",
				     (unsigned long long)vm->exits, ev->len);
				return;
			}
			break;
		case EV_DEFERRED:
			rp->deferred++;
			break;
		case EV_STOP: {
			/* The recording was stopped here from outside: so is the replay, with the
			 * recorded status; the final state digest then says whether it is the same. */
			uint32_t status;
			uint8_t by;
			char name[48];
			if (ev_stop_decode(&status, &by, ev->payload, ev->len))
				return mismatch(rp, EV_STOP, NULL, 0);
			consume(rp);
			rp->stop_event = true;
			stop(rp, VM_STOP_TRACE_END, (int)status,
			     "the recording was stopped by the user (%s) at exit %llu; so is the replay",
			     ev_stop_by_name(by, name, sizeof(name)), (unsigned long long)vm->exits);
			return;
		}
		case EV_ASYNC_ICOUNT:
			arm_icount(rp, ev);
			consume(rp);
			return;
		case EV_INSN_VALUE: {
			int rc = take_value(rp, ev);
			if (rc) {
				stop(rp, VM_STOP_ERROR, STATUS_ERROR,
				     "cannot replay the instruction value at exit %llu: %s",
				     (unsigned long long)vm->exits,
				     rc == -ENOTSUP ? "only the soft engine reads them" : strerror(-rc));
				return;
			}
			break;
		}
		case EV_ASYNC_STOP: {
			/* Run on to the recorded point; the events after it wait for the landing. */
			int rc = landing_arm(vm, ev->payload, ev->len);
			consume(rp);
			if (rc) {
				stop(rp, VM_STOP_ERROR, STATUS_ERROR, "cannot look for the landing at exit %llu: %s",
				     (unsigned long long)vm->exits, strerror(-rc));
				return;
			}
			if (!search_landing(rp))
				return;
			continue;
		}
		default:
			return;
		}
		consume(rp);
	}
}

bool replayer_held(struct replayer *rp)
{
	const struct trace_event *ev = peek(rp);
	if (!ev || ev->type != EV_HELD || ev->pos != vm_pos(rp->vm))
		return false;
	consume(rp);
	return true;
}

void replayer_digest(struct replayer *rp, const uint8_t digest[16])
{
	const struct trace_event *ev = peek(rp);
	if (ev && ev->type == EV_DIGEST && ev->pos == vm_pos(rp->vm) && !rp->opt.verify) {
		consume(rp);
		return;
	}
	replayer_expect(rp, EV_DIGEST, digest, 16);
	rp->digests_checked++;
}

struct replayer *replayer_open(const char *path, const struct replay_options *opt,
			       struct vm_config *cfg, struct boot_files *files, char *err,
			       size_t errlen)
{
	struct replayer *rp = calloc(1, sizeof(*rp));
	if (!rp) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rp->opt = *opt;
	char msg[400];
	if (trace_reader_open(&rp->reader, path, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s", msg);
		goto fail;
	}
	const struct trace_section *c = trace_reader_find_section(rp->reader, SEC_CONFIG, "vm");
	const struct trace_section *k = trace_reader_find_section(rp->reader, SEC_IMAGE, TRACE_IMAGE_KERNEL);
	/* Traces of runs without an initrd (all traces before it existed) have no such image. */
	const struct trace_section *i = trace_reader_find_section(rp->reader, SEC_IMAGE, TRACE_IMAGE_INITRD);
	if (!c || !k) {
		snprintf(err, errlen, "the trace has no %s section", !c ? "VM configuration" : "kernel image");
		goto fail;
	}
	if (vm_config_parse(&rp->cfg, c->data, c->len, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s", msg);
		goto fail;
	}
	rp->search.recorded_on = rp->cfg.host;
	rp->no_user_breakpoints = host_kind_detect("kvm") == HOST_PVM;
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = rp->cfg.mem_size;
	cfg->engine = rp->cfg.engine;
	cfg->cmdline = rp->cfg.cmdline;
	cfg->legacy_machine = !rp->cfg.acpi_machine;
	cfg->without_pvpanic = !rp->cfg.pvpanic;
	cfg->serial_in_fd = -1; /* the trace is the only input */
	cfg->console = stdout;
	*files = (struct boot_files){
		.kernel = k->data, .kernel_len = k->len, .kernel_name = "the embedded kernel",
		.initrd = i ? i->data : NULL, .initrd_len = i ? i->len : 0,
		.initrd_name = "the embedded initrd", .cmdline = cfg->cmdline,
	};
	return rp;
fail:
	replayer_close(rp);
	return NULL;
}

bool replayer_busy(const struct replayer *rp)
{
	return rp->icount_stop != 0 || rp->searched_pos == vm_pos(rp->vm) + 1 ||
	       rp->values.head < rp->values.len;
}

const char *replayer_report(const struct replayer *rp)
{
	return rp->report;
}

uint64_t replayer_events(const struct replayer *rp)
{
	return rp->events;
}

uint64_t replayer_trace_id(const struct replayer *rp)
{
	return trace_reader_info(rp->reader)->created_ns;
}

int replayer_resume(struct replayer *rp, uint64_t events, char *err, size_t errlen)
{
	if (rp->events > events) {
		int rc = trace_reader_seek(rp->reader, 0);
		if (rc < 0) {
			snprintf(err, errlen, "rewinding the trace: %s", trace_reader_error(rp->reader));
			return -1;
		}
		rp->events = 0;
	}
	rp->eof = false;
	rp->report[0] = 0;
	rp->resumed = true;
	/* Nothing armed or queued before the move concerns the checkpoint's position. */
	rp->icount_stop = rp->icount_pos = 0;
	rp->values.head = rp->values.len = 0;
	rp->searched_pos = 0;
	while (rp->events < events) {
		if (!peek(rp)) {
			snprintf(err, errlen, "the trace ends before event %llu, where the checkpoint resumes",
				 (unsigned long long)events);
			return -1;
		}
		consume(rp);
	}
	rp->last_clock = rp->vm->clock.last;
	return 0;
}

void replayer_attach(struct replayer *rp, struct vm *vm)
{
	rp->vm = vm;
	vm->clock.read = replay_clock_read;
	vm->clock.ctx = rp;
	vm->clock.epoch_at_boot = rp->cfg.epoch;
}

static void hex(char *out, const uint8_t *d)
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* Every field of the final blob must match the replay's end: the state digest, the exit
 * status, the exit count and the guest time (docs/trace-format.md). */
static void verify_run_end(struct replayer *rp, const struct run_end *end)
{
	struct vm *vm = rp->vm;
	uint8_t d[16];
	char want[33], got[33];
	if (vm_state_digest(vm, true, d) || memcmp(d, end->digest, 16)) {
		hex(want, end->digest);
		hex(got, d);
		stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
		     "replay diverged: final state digest %s, the trace has %s", got, want);
	} else if ((uint32_t)vm->status != end->status) {
		stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
		     "replay diverged: exit status %d at the end, the trace has %u", vm->status,
		     end->status);
	} else if (vm->exits != end->exits) {
		stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
		     "replay diverged: %llu exits at the end, the trace has %llu",
		     (unsigned long long)vm->exits, (unsigned long long)end->exits);
	} else if (vm->clock.last != end->guest_ns && !rp->resumed && rp->cfg.end_is_guest_time) {
		/* A checkpoint taken while recording holds the host's time then, not the last value
		 * the guest saw: after one, guest time is only known again at the next clock event.
		 * Traces older than the `end=guest-time` configuration line hold the host's time. */
		stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
		     "replay diverged: guest time %llu ns at the end, the trace has %llu ns",
		     (unsigned long long)vm->clock.last, (unsigned long long)end->guest_ns);
	}
}

int replayer_finish(struct replayer *rp)
{
	struct vm *vm = rp->vm;
	if (vm_stopped_by_guest(vm)) {
		const struct trace_event *ev = peek(rp);
		if (ev) {
			char want[300];
			describe(want, sizeof(want), ev->type, ev->pos, ev->payload, ev->len);
			stop(rp, VM_STOP_DIVERGED, STATUS_DIVERGED,
			     "replay diverged: the guest exited at exit %llu, but the trace goes on with %s",
			     (unsigned long long)vm->exits, want);
		}
	}
	size_t n;
	struct run_end end;
	const void *final = trace_reader_final_blob(rp->reader, &n);
	const uint8_t *blob = run_end_decode(&end, final, n) ? NULL : end.digest;
	bool truncated = trace_reader_info(rp->reader)->truncated;
	/* The final state of a recording stopped from outside without a stop event (a --timeout)
	 * was taken at whatever instruction the host stopped it: not a point a replay can reach,
	 * so it is not compared. A stop event was logged at an exit: that state is compared. */
	bool stopped_outside = vm->stop == VM_STOP_TRACE_END && !truncated && !rp->stop_event;
	bool verify_final = rp->opt.verify && blob && !truncated &&
			    (vm_stopped_by_guest(vm) ||
			     (vm->stop == VM_STOP_TRACE_END && rp->stop_event));
	char got[33];
	if (verify_final)
		verify_run_end(rp, &end);
	if (!rp->report[0])
		snprintf(rp->report, sizeof(rp->report), "%s", vm->error);
	switch (vm->stop) {
	case VM_STOP_DIVERGED:
	case VM_STOP_ERROR:
		fprintf(stderr, "rewind replay: %s\n", rp->report);
		if (vm->stop == VM_STOP_DIVERGED)
			vm_dump_state(vm, stderr);
		break;
	case VM_STOP_TRACE_END:
		fprintf(stderr, "rewind replay: %s\n", rp->report);
		break;
	default:
		break;
	}
	if (rp->opt.verify && vm->stop != VM_STOP_DIVERGED && vm->stop != VM_STOP_ERROR) {
		if (verify_final) {
			hex(got, blob);
			fprintf(stderr,
				"rewind replay: verified: %llu exits, %llu events, %llu asynchronous landings "
				"(%llu found on the soft engine, %llu left to the breakpoint, %llu breakpoint "
				"hits passed over), %llu periodic digests and the final state digest %s "
				"match\n",
				(unsigned long long)vm->exits, (unsigned long long)rp->events,
				(unsigned long long)vm->landing.found, (unsigned long long)rp->search.found,
				(unsigned long long)rp->search.left, (unsigned long long)vm->landing.misses,
				(unsigned long long)rp->digests_checked, got);
		} else if (vm->stop == VM_STOP_USER) {
			fprintf(stderr,
				"rewind replay: cannot verify: the replay was stopped before its end "
				"(%llu periodic digests matched)\n",
				(unsigned long long)rp->digests_checked);
		} else if (stopped_outside) {
			fprintf(stderr,
				"rewind replay: verified up to where the recording was stopped from outside "
				"(exit %llu, status %d): %llu periodic digests match; its final state is "
				"not compared (taken at an arbitrary instruction)\n",
				(unsigned long long)vm->exits, vm->status,
				(unsigned long long)rp->digests_checked);
		} else {
			fprintf(stderr,
				"rewind replay: cannot verify: the trace is truncated, so it has no final "
				"digest (%llu periodic digests matched)\n",
				(unsigned long long)rp->digests_checked);
			vm->status = STATUS_TRACE_END;
		}
	}
	return vm->status;
}

void replayer_close(struct replayer *rp)
{
	if (!rp)
		return;
	if (rp->reader)
		trace_reader_close(rp->reader);
	landing_search_free(&rp->search);
	free(rp->values.kind);
	free(rp->values.value);
	free(rp);
}
