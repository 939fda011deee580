/* The run loop: one switch on the exit reason, the same for every engine. After each exit the
 * loop takes in what the host delivered (serial input, due timers) and injects a pending
 * interrupt if the guest can take one. Exits are numbered (vm->exits): that index is the
 * deterministic position record/replay builds on. */
#include "core/crash.h"
#include "core/digest.h"
#include "core/guest_panic.h"
#include "core/soft_engine.h"
#include "core/vm.h"
#include "core/waker.h"
#include "record/recorder.h"
#include "replay/replayer.h"
#include "traces/events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void vm_crash(struct vm *vm, const char *fmt, const char *detail)
{
	vm->stop = VM_STOP_CRASH;
	vm->status = STATUS_GUEST_CRASH;
	snprintf(vm->error, sizeof(vm->error), fmt, detail);
}

static void handle_io(struct vm *vm, const struct vm_exit *x)
{
	for (uint32_t i = 0; i < x->io.count; i++) {
		uint8_t *data = x->io.data + (size_t)i * x->io.size;
		uint64_t value = 0;
		if (x->io.write) {
			memcpy(&value, data, x->io.size);
			bus_write(&vm->bus, BUS_PIO, x->io.port, value, x->io.size);
		} else {
			value = bus_read(&vm->bus, BUS_PIO, x->io.port, x->io.size);
			memcpy(data, &value, x->io.size);
		}
	}
}

void vm_serve_mmio(void *ctx, uint64_t gpa, uint8_t *data, int size, bool write)
{
	struct vm *vm = ctx;
	uint64_t value = 0;
	if (size > 8)
		size = 8;
	if (write) {
		memcpy(&value, data, (size_t)size);
		bus_write(&vm->bus, BUS_MMIO, gpa, value, size);
	} else {
		value = bus_read(&vm->bus, BUS_MMIO, gpa, size);
		memcpy(data, &value, (size_t)size);
	}
}

static void handle_mmio(struct vm *vm, const struct vm_exit *x)
{
	vm_serve_mmio(vm, x->mmio.addr, x->mmio.data, x->mmio.size, x->mmio.write);
}

/* Record and replay compare a state digest every this many exits. */
#define DIGEST_EVERY_EXITS 4096

void vm_advance_devices(struct vm *vm, uint64_t now)
{
	vm->clock.last = now;
	for (int i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].advance)
			vm->devices[i].advance(vm->devices[i].opaque, now);
}

static void vm_update_deadline(struct vm *vm)
{
	uint64_t next = DEADLINE_NONE;
	/* Replaying, the trace says when timers fired: a kick from host time would only cut into
	 * a landing search or a single step. */
	for (int i = 0; i < vm->ndevices && !vm->rep; i++) {
		if (!vm->devices[i].next_deadline)
			continue;
		uint64_t d = vm->devices[i].next_deadline(vm->devices[i].opaque);
		next = d < next ? d : next;
	}
	/* The waker sleeps until the deadline it last saw: tell it about any change. */
	uint64_t old = atomic_exchange(&vm->host.deadline_ns, next);
	if (next != old)
		waker_poke(vm);
}

/* Host events the waker flagged, taken in at this exit. */
static void vm_take_host_events(struct vm *vm)
{
	struct vm_host_events *h = &vm->host;
	if (atomic_exchange(&h->timer_due, false)) {
		/* Not through vm->clock: this read is logged as a timer event, not a device's. */
		uint64_t now = host_now_ns() - vm->clock_origin_ns;
		if (vm->rec) {
			uint8_t p[8];
			recorder_event(vm->rec, EV_TIMER, vm_pos(vm), p, ev_u64_encode(p, now));
		}
		vm_advance_devices(vm, now);
	}
	pthread_mutex_lock(&h->lock);
	if (h->rx_len && uart_rts(&vm->uart)) {
		int n = uart_receive(&vm->uart, h->rx, h->rx_len);
		if (n && vm->rec)
			recorder_event(vm->rec, EV_SERIAL_RX, vm_pos(vm), h->rx, n);
		memmove(h->rx, h->rx + n, h->rx_len - n);
		h->rx_len -= n;
		if (n)
			waker_poke(vm); /* room in the buffer again */
	}
	pthread_mutex_unlock(&h->lock);
	vm_update_deadline(vm);
}

static void vm_request_window(struct vm *vm, bool on)
{
	vm->irq_window = on;
	vm->engine->ops->request_irq_window(vm->engine, on);
}

/* An interrupt is pending but the guest cannot take it now. Recording and replaying, no
 * interrupt window is requested: on this host the window exit comes whenever the emulator next
 * looks, not where IF became 1 (docs/platform.md). The interrupt waits for the next exit, or,
 * when the guest runs a grace period without one, for an asynchronous landing (the waker kicks
 * then): each exit starts the grace period again. */
static void irq_wait_start(struct vm *vm)
{
	atomic_store(&vm->host.grace_ns, chaos_grace_ns(&vm->chaos, WAKER_GRACE_NS));
	/* A waker asleep until the next timer would kick a whole tick late: wake it to count
	 * the grace period (a later start only moves its kick later, which it sees then). */
	if (!atomic_exchange(&vm->host.irq_waiting_since, host_now_ns()))
		waker_poke(vm);
}

static void irq_wait_end(struct vm *vm)
{
	atomic_store(&vm->host.irq_waiting_since, 0);
}

static void vm_wait_for_window(struct vm *vm)
{
	if (!vm->rec && !vm->rep) {
		vm_request_window(vm, true);
		return;
	}
	vm_request_window(vm, false);
	if (vm->rec)
		irq_wait_start(vm);
}

/* Recording with --chaos: the guest could take the pending interrupt here; passing over this
 * point leaves it waiting, for a later exit or a kick after a (drawn) grace period. */
static bool vm_chaos_holds(struct vm *vm)
{
	if (!vm->rec || !vm->chaos.on || !chaos_hold(&vm->chaos, host_now_ns()))
		return false;
	irq_wait_start(vm);
	return true;
}

/* At an exit: chaos passing over it is logged, as replay delivers at exits by itself. */
static bool vm_held_at_exit(struct vm *vm)
{
	if (vm->rep)
		return replayer_held(vm->rep);
	if (!vm_chaos_holds(vm))
		return false;
	uint8_t n = (uint8_t)vm->chaos.passed;
	recorder_event(vm->rec, EV_HELD, vm_pos(vm), &n, 1);
	return true;
}

static void vm_deliver_irq(struct vm *vm, uint8_t kind)
{
	const struct engine_ops *ops = vm->engine->ops;
	if (!pic_pending(&vm->pic)) {
		chaos_done(&vm->chaos);
		irq_wait_end(vm);
		vm_request_window(vm, false);
		return;
	}
	if (!ops->interruptible(vm->engine)) {
		vm_wait_for_window(vm);
		return;
	}
	if (kind == IRQ_AT_EXIT && vm_held_at_exit(vm))
		return;
	int vector = pic_ack(&vm->pic);
	int rc = ops->inject_irq(vm->engine, (uint8_t)vector);
	if (rc) {
		vm->stop = VM_STOP_ERROR;
		vm->status = STATUS_ERROR;
		snprintf(vm->error, sizeof(vm->error), "injecting vector %d: %s", vector, strerror(-rc));
		return;
	}
	vm->irqs_injected++;
	chaos_done(&vm->chaos);
	vm->irq_this_exit = true;
	vm->debug.irq_vector = vector;
	vm->debug.dirty |= vm->debug.step || vm->debug.step_over;
	vm->async_irqs += kind == IRQ_ASYNC;
	vm->deferral_logged = false;
	irq_wait_end(vm);
	uint8_t p[2];
	size_t n = ev_irq_encode(p, (uint8_t)vector, kind);
	if (vm->rec)
		recorder_event(vm->rec, EV_IRQ, vm_pos(vm), p, n);
	else if (vm->rep)
		replayer_expect(vm->rep, EV_IRQ, p, n);
	if (pic_pending(&vm->pic))
		vm_wait_for_window(vm);
	else
		vm_request_window(vm, false);
}

/* Recording, at a kick: an interrupt that has waited a grace period for an exit is delivered
 * here, at an asynchronous landing, in CPL0 and CPL3 code alike, as `run` delivers it at a
 * kick. Replay finds the point again from its landing signature: with a hardware breakpoint
 * where one fires, and on the soft engine where none does (CPL3 code on PVM, which runs it
 * natively; core/landing_search.c). A guest that cannot take the interrupt (IF=0, an
 * interrupt shadow; at CPL3 also KVM's IF quirk, docs/platform.md) is kicked again a grace
 * period later. Only an interrupt whose landing signature cannot be taken (no memory, no
 * dirty log) waits for the next exit: a deferral, counted once per interrupt. */
/* An engine that counts instructions (soft) needs none of this: the kick's instruction count
 * is the position (EV_ASYNC_ICOUNT), and replay stops the engine at that count. */
static void vm_record_kick(struct vm *vm)
{
	struct engine *e = vm->engine;
	if (!pic_pending(&vm->pic)) {
		irq_wait_end(vm);
		return;
	}
	if (e->ops->icount) {
		/* The instruction count names this point exactly, at CPL0 and CPL3 alike: deliver
		 * now. Not interruptible: the waker kicks again after a grace period. */
		if (!e->ops->interruptible(e)) {
			irq_wait_start(vm);
			return;
		}
		if (vm_chaos_holds(vm))
			return;
		uint8_t p[8];
		recorder_event(vm->rec, EV_ASYNC_ICOUNT, vm_pos(vm), p, ev_u64_encode(p, e->ops->icount(e)));
		vm_deliver_async_irq(vm);
		return;
	}
	uint64_t since = atomic_load(&vm->host.irq_waiting_since);
	if (!since) {
		irq_wait_start(vm);
		return;
	}
	if (host_now_ns() - since < atomic_load(&vm->host.grace_ns))
		return;
	uint8_t *sig;
	long n;
	if (!vm->engine->ops->interruptible(vm->engine)) {
		irq_wait_start(vm);
		return;
	}
	if (vm_chaos_holds(vm))
		return;
	if ((n = landing_record(vm, &sig)) > 0) {
		recorder_event(vm->rec, EV_ASYNC_STOP, vm_pos(vm), sig, (size_t)n);
		free(sig);
		vm_deliver_async_irq(vm);
		return;
	}
	irq_wait_end(vm);
	if (vm->deferral_logged)
		return;
	vm->deferred++;
	vm->deferral_logged = true;
	uint8_t v = 0;
	recorder_event(vm->rec, EV_DEFERRED, vm_pos(vm), &v, 1);
}

void vm_deliver_async_irq(struct vm *vm)
{
	landing_taken(vm);
	vm_deliver_irq(vm, IRQ_ASYNC);
}

void vm_take_landing(struct vm *vm)
{
	vm->landing.armed = false;
	vm->landing.found++;
	vm->debug.dirty = true; /* the landing breakpoint goes */
	int rc = landing_restore_rf(vm);
	if (rc) {
		vm->stop = VM_STOP_ERROR;
		vm->status = STATUS_ERROR;
		snprintf(vm->error, sizeof(vm->error), "setting RF at the landing: %s", strerror(-rc));
		return;
	}
	vm_deliver_async_irq(vm);
}

static void vm_log_digest(struct vm *vm)
{
	uint8_t d[16];
	if (vm->exits % DIGEST_EVERY_EXITS || vm_state_digest(vm, false, d))
		return;
	if (vm->rec)
		recorder_event(vm->rec, EV_DIGEST, vm_pos(vm), d, sizeof(d));
	else
		replayer_digest(vm->rep, d);
}

/* After an exit: take in the host's events, then decide about interrupts. Recording and
 * replaying, interrupts are delivered at exits only, and host events that arrive at kicks
 * are logged in phase 1 of the exit before them. */
static void vm_quiet_point(struct vm *vm)
{
	if (vm->quiet_point && vm->stop == VM_RUNNING && !vm->irq_this_exit && !vm->landing.armed &&
	    !(vm->rep && replayer_busy(vm->rep)))
		vm->quiet_point(vm, vm->quiet_ctx);
}

/* What asked for a stop, as the trace's EV_STOP names it. */
static uint8_t stop_by_code(int by)
{
	return by == VM_STOP_BY_ESCAPE ? EV_STOP_BY_ESCAPE : (uint8_t)by;
}

/* A stop asked from outside (a signal, the escape key) takes effect at an exit, never at a
 * kick, so it has a position: recording, it is logged there (the last event), and the replay
 * stops at the same exit with the same status and final state. Returns whether it stopped. */
static bool vm_take_stop_request(struct vm *vm)
{
	int by = atomic_load(&vm->host.stop_request);
	if (!by)
		return false;
	vm->stop = VM_STOP_USER;
	vm->status = vm_stop_status(by);
	if (vm->rec) {
		uint8_t p[5];
		size_t n = ev_stop_encode(p, (uint32_t)vm->status, stop_by_code(by));
		recorder_event(vm->rec, EV_STOP, vm_pos(vm), p, n);
	}
	return true;
}

static void vm_after_exit(struct vm *vm, bool kicked)
{
	vm->irq_this_exit = false;
	/* Wall time, the user's limit: it stops a replay as it stops a run. */
	if (atomic_load(&vm->host.timed_out)) {
		vm->stop = VM_STOP_TIMEOUT;
		vm->status = STATUS_TIMEOUT;
		return;
	}
	if (!kicked && vm_take_stop_request(vm))
		return;
	if (vm->rep)
		replayer_apply_host_events(vm->rep);
	else
		vm_take_host_events(vm);
	if (vm->stop != VM_RUNNING)
		return;
	if (!vm->rec && !vm->rep) {
		vm_deliver_irq(vm, kicked ? IRQ_ASYNC : IRQ_AT_EXIT);
		vm_quiet_point(vm);
		return;
	}
	if (kicked) {
		if (vm->rec)
			vm_record_kick(vm);
		return;
	}
	vm_log_digest(vm);
	vm_deliver_irq(vm, IRQ_AT_EXIT);
	vm->phase = 1;
	if (vm->rep && vm->stop == VM_RUNNING)
		replayer_apply_host_events(vm->rep);
	if (vm->rec)
		recorder_tick(vm->rec);
	vm_quiet_point(vm);
}

/* HLT: sleep until something can wake the guest. With IF=0 nothing ever can. */
static void vm_halt(struct vm *vm)
{
	struct kvm_regs regs;
	if (vm->engine->ops->get_regs(vm->engine, &regs) == 0 && !(regs.rflags & (1u << 9))) {
		vm_crash(vm, "guest halted with interrupts disabled%s", "");
		return;
	}
	if (vm->rep)
		return; /* what woke the guest is in the trace at this position */
	struct vm_host_events *h = &vm->host;
	pthread_mutex_lock(&h->lock);
	while (!pic_pending(&vm->pic) && !atomic_load(&h->timer_due) && !atomic_load(&h->timed_out) &&
	       !atomic_load(&h->stop_request) &&
	       !(h->rx_len && uart_rts(&vm->uart) && uart_rx_ready(&vm->uart))) {
		if (atomic_load(&h->deadline_ns) == DEADLINE_NONE && vm->cfg.serial_in_fd < 0 &&
		    vm->cfg.timeout <= 0) {
			pthread_mutex_unlock(&h->lock);
			vm_crash(vm, "guest halted with no timer, input or timeout that could wake it%s", "");
			return;
		}
		pthread_cond_wait(&h->cond, &h->lock);
	}
	pthread_mutex_unlock(&h->lock);
}

static bool between_exits(enum exit_reason r)
{
	return r == EXIT_KICKED || r == EXIT_DEBUG || r == EXIT_INSN_LIMIT;
}

static void vm_handle_exit(struct vm *vm, const struct vm_exit *x)
{
	/* Kicks, debug stops and instruction-count stops come at points between exits: they
	 * get no index. */
	if (!between_exits(x->reason)) {
		if (vm->landing.armed) {
			vm->stop = VM_STOP_DIVERGED;
			vm->status = STATUS_DIVERGED;
			snprintf(vm->error, sizeof(vm->error),
				 "replay diverged after exit %llu: the asynchronous landing at RIP 0x%llx "
				 "was not found before the next exit",
				 (unsigned long long)vm->exits, (unsigned long long)vm->landing.target.rip);
			return;
		}
		vm->exits++;
		vm->phase = 0;
	}
	switch (x->reason) {
	case EXIT_IO:
		handle_io(vm, x);
		break;
	case EXIT_MMIO:
		handle_mmio(vm, x);
		break;
	case EXIT_HLT:
		vm_halt(vm);
		break;
	case EXIT_IRQ_WINDOW:
		break;
	case EXIT_KICKED:
		if (atomic_exchange(&vm->debug.interrupt, false)) {
			vm->debug.stop = DEBUG_STOP_INTERRUPT;
			vm->stop = VM_STOP_PAUSED;
		}
		break;
	case EXIT_SHUTDOWN:
		vm_crash(vm, "guest shut down: triple fault, or an instruction this host cannot run%s",
			 " (see docs/platform.md)");
		break;
	case EXIT_DEBUG:
		vm_debug_exit(vm, x);
		break;
	case EXIT_INSN_LIMIT:
		/* Only a replayer arms the engine's instruction-count stop (EV_ASYNC_ICOUNT): the
		 * recorded interrupt is due here; the replayer then takes the events after it. */
		if (vm->rep)
			vm_deliver_async_irq(vm);
		else
			vm_crash(vm, "instruction limit reached with no one waiting for it%s", "");
		break;
	case EXIT_FAIL:
		vm_crash(vm, "%s", x->fail.what);
		break;
	}
}

static void crash_report_vm(void *ctx, FILE *out)
{
	vm_dump_state(ctx, out);
}

/* Recording under an engine that answers RDTSC/RDRAND/RDSEED itself: every value is logged
 * (replay answers the guest from the trace, replay/replayer.c). */
static uint64_t vm_record_value(void *ctx, enum soft_value_kind kind, uint64_t icount, uint64_t dflt)
{
	struct vm *vm = ctx;
	static const uint8_t kinds[] = { [SOFT_VALUE_RDTSC] = INSN_RDTSC,
					 [SOFT_VALUE_RDRAND] = INSN_RDRAND,
					 [SOFT_VALUE_RDSEED] = INSN_RDSEED };
	uint8_t p[9];
	(void)icount;
	recorder_event(vm->rec, EV_INSN_VALUE, vm_pos(vm), p, ev_insn_value_encode(p, kinds[kind], dflt));
	return dflt;
}

/* The instruction count at the guest's exit: replay checks it against the recording's. */
static void vm_log_icount(struct vm *vm)
{
	struct engine *e = vm->engine;
	uint8_t p[8];
	if (!e->ops->icount || !vm_stopped_by_guest(vm))
		return;
	size_t n = ev_u64_encode(p, e->ops->icount(e));
	if (vm->rec)
		recorder_event(vm->rec, EV_ICOUNT, vm_pos(vm), p, n);
	else if (vm->rep)
		replayer_expect(vm->rep, EV_ICOUNT, p, n);
}

int vm_begin(struct vm *vm)
{
	int rc;
	if (vm->rec && engine_is_soft(vm->engine))
		soft_engine_set_value_source(vm->engine, vm_record_value, vm);
	if ((vm->rec || vm->rep) && (rc = dirty_init(vm)))
		return rc;
	if (!vm->started) {
		/* Before the first exit the guest is, like after any exit, past its interrupt
		 * decision: host events that arrive now are logged in phase 1 of exit 0. */
		vm->started = true;
		vm->phase = 1;
		if (vm->rep)
			replayer_apply_host_events(vm->rep);
	}
	return 0;
}

int vm_run(struct vm *vm)
{
	crash_set_reporter(crash_report_vm, vm);
	int rc = waker_start(vm);
	if (rc) {
		fprintf(stderr, "rewind: cannot start the waker thread: %s\n", strerror(-rc));
		return STATUS_ERROR;
	}
	if ((rc = vm_begin(vm))) {
		fprintf(stderr, "rewind: cannot track dirty pages: %s\n", strerror(-rc));
		waker_stop(vm);
		return STATUS_ERROR;
	}
	vm_update_deadline(vm);
	struct vm_exit exit;
	while (vm->stop == VM_RUNNING) {
		if ((rc = vm_debug_apply(vm)) == 0)
			rc = vm->engine->ops->run(vm->engine, &exit);
		if (rc) {
			vm->stop = VM_STOP_ERROR;
			vm->status = STATUS_ERROR;
			snprintf(vm->error, sizeof(vm->error), "%s engine: running the vCPU: %s",
				 vm->engine->ops->name, strerror(-rc));
			break;
		}
		bool between = exit.reason == EXIT_KICKED || exit.reason == EXIT_INSN_LIMIT;
		if (!between && vm->debug.irq_vector >= 0) {
			vm->debug.irq_vector = -1; /* the entry delivered it */
			vm->debug.dirty |= vm->debug.step || vm->debug.step_over;
		}
		vm_handle_exit(vm, &exit);
		if (vm->stop != VM_RUNNING || exit.reason == EXIT_DEBUG)
			continue;
		vm_after_exit(vm, between);
		if (!between)
			vm_debug_exit_done(vm);
	}
	vm_log_icount(vm);
	/* A debugger reads the state next: let an `in` take its value first. */
	if (vm->stop == VM_STOP_PAUSED && vm->engine->ops->complete_io)
		vm->engine->ops->complete_io(vm->engine);
	waker_stop(vm);
	fflush(vm->cfg.console);
	switch (vm->stop) {
	case VM_STOP_DIVERGED:
	case VM_STOP_TRACE_END:
	case VM_STOP_PAUSED:
		break; /* the replayer or the debugger reports these */
	case VM_STOP_CRASH:
	case VM_STOP_ERROR:
		fprintf(stderr, "rewind: %s\n", vm->error);
		vm_dump_state(vm, stderr);
		break;
	case VM_STOP_TIMEOUT:
		fprintf(stderr, "rewind: timeout: the guest did not finish within %g s (stopped after exit %llu)\n",
			vm->cfg.timeout, (unsigned long long)vm->exits);
		break;
	case VM_STOP_RESET:
		fprintf(stderr, "rewind: the guest reset the machine\n");
		break;
	case VM_STOP_GUEST_PANIC:
		guest_panic_report(vm, stderr);
		break;
	case VM_STOP_USER: {
		char name[48];
		uint8_t by = stop_by_code(atomic_load(&vm->host.stop_request));
		fprintf(stderr, "rewind: stopped by the user (%s) at exit %llu\n",
			ev_stop_by_name(by, name, sizeof(name)), (unsigned long long)vm->exits);
		break;
	}
	default:
		break;
	}
	crash_set_reporter(NULL, NULL);
	return vm->status;
}
