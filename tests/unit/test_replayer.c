/* The replayer's event checks, each against a trace written for it: an event the replay
 * produces at another position, of another type or with another payload than the trace has
 * there is a divergence (never consumed as if it matched); so is a differing periodic digest
 * under --verify, a clock read where the trace has no clock value, a guest exit before the
 * trace ends, and an interrupt due at an instruction count the guest has passed or does not
 * reach. No guest runs: the VM is only a position (exit, phase) and, for instruction counts,
 * an engine that counts. The end-to-end cases (a real replay ending in another state) are in
 * tests/integration/divergence.sh. */
#include "tests/unit/check.h"
#include "core/engine.h"
#include "core/vm.h"
#include "record/recorder.h"
#include "replay/replayer.h"
#include "traces/events.h"
#include "traces/trace.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct event {
	uint8_t type;
	uint64_t pos;
	const void *payload;
	size_t len;
};

static struct vm vm;	/* static: it holds every device */
static char dir[64];

static void remove_dir(void)
{
	rmdir(dir);
}

/* The fake engine of the instruction-count cases: `count` instructions retired so far. */
static uint64_t count, stop_at;
static uint64_t fake_icount(struct engine *e)
{
	(void)e;
	return count;
}
static int fake_set_icount_stop(struct engine *e, uint64_t icount)
{
	(void)e;
	stop_at = icount;
	return 0;
}
static const struct engine_ops counting_ops = {
	.name = "counting", .icount = fake_icount, .set_icount_stop = fake_set_icount_stop,
};
static struct engine counting = { .ops = &counting_ops };

/* A replayer over a trace of `events`, attached to a fresh VM at exit `exit`, phase 0. */
static struct replayer *replay_of(const struct event *events, size_t n, bool verify, uint64_t exit)
{
	static const char config[] = "mem=4194304\nengine=kvm\nepoch=0\ncmdline=\n";
	static const uint8_t image[64];
	const struct trace_section sec[] = {
		{ .type = SEC_CONFIG, .name = "vm", .data = config, .len = sizeof(config) - 1 },
		{ .type = SEC_IMAGE, .name = "kernel", .data = image, .len = sizeof(image) },
	};
	char path[96], err[400];
	if (!dir[0]) {
		strcpy(dir, "/tmp/rewind-replayer-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
	}
	snprintf(path, sizeof(path), "%s/t.rwd", dir);
	struct trace_writer *w = trace_writer_open(path, sec, 2, err, sizeof(err));
	if (!w)
		abort();
	for (size_t i = 0; i < n; i++)
		if (trace_write_event(w, events[i].type, events[i].pos, events[i].payload, events[i].len))
			abort();
	uint8_t end[RUN_END_SIZE] = { 0 };
	if (trace_writer_close(w, end, sizeof(end)))
		abort();

	struct replay_options opt = { .verify = verify };
	struct vm_config cfg;
	struct boot_files files;
	struct replayer *rp = replayer_open(path, &opt, &cfg, &files, err, sizeof(err));
	unlink(path);
	if (!rp)
		abort();
	memset(&vm, 0, sizeof(vm));
	vm.exits = exit;
	vm.rep = rp;
	replayer_attach(rp, &vm);
	return rp;
}

static bool diverged(struct replayer *rp, const char *says)
{
	return vm.stop == VM_STOP_DIVERGED && vm.status == STATUS_DIVERGED &&
	       strstr(replayer_report(rp), says);
}

/* The trace holds `recorded`; at exit 5 the replay produces a console byte `byte`. Returns
 * whether the replay diverged saying `says` (NULL: whether it went on), the event unconsumed. */
static bool console_byte(struct event recorded, const char *byte, const char *says)
{
	struct replayer *rp = replay_of(&recorded, 1, false, 5);
	replayer_expect(rp, EV_CONSOLE, byte, 1);
	bool ok = says ? diverged(rp, says) && replayer_events(rp) == 0
		       : vm.stop == VM_RUNNING && replayer_events(rp) == 1;
	replayer_close(rp);
	return ok;
}

/* The control: the event the trace has, where it has it, is taken. */
TEST(the_recorded_event_is_consumed)
{
	CHECK(console_byte((struct event){ EV_CONSOLE, 10, "a", 1 }, "a", NULL));
}

TEST(an_event_recorded_at_another_exit_diverges)
{
	CHECK(console_byte((struct event){ EV_CONSOLE, 12, "a", 1 }, "a",
			   "at exit 5; the trace has console len=1 \"a\" at exit 6"));
}

/* Serial input and console output both carry bytes: only the type tells them apart. */
TEST(an_event_of_another_type_diverges)
{
	CHECK(console_byte((struct event){ EV_SERIAL_RX, 10, "a", 1 }, "a", "the trace has serial_rx"));
}

TEST(an_event_with_another_payload_diverges)
{
	CHECK(console_byte((struct event){ EV_CONSOLE, 10, "a", 1 }, "b",
			   "the replay produced console len=1 \"b\""));
}

/* Without --verify a periodic digest is passed over; with it, one that differs diverges. */
TEST(a_differing_periodic_digest_diverges_under_verify)
{
	static const uint8_t recorded[16] = { 1 }, replayed[16] = { 2 };
	struct event ev[] = { { EV_DIGEST, 10, recorded, 16 } };
	struct replayer *rp = replay_of(ev, 1, false, 5);
	replayer_digest(rp, replayed);
	CHECK_EQ(vm.stop, VM_RUNNING);
	CHECK_EQ(replayer_events(rp), 1);
	replayer_close(rp);

	rp = replay_of(ev, 1, true, 5);
	replayer_digest(rp, replayed);
	CHECK(diverged(rp, "the replay produced digest"));
	replayer_close(rp);
}

/* The trace holds an event of `type` carrying the time 1234 at `pos`; the guest reads the
 * clock at exit 5. Returns whether the read got 1234 and the replay went on (says NULL), or
 * got something else and diverged saying `says`. */
static bool clock_read(uint8_t type, uint64_t pos, const char *says)
{
	uint8_t v[8];
	ev_u64_encode(v, 1234);
	struct event ev = { type, pos, v, 8 };
	struct replayer *rp = replay_of(&ev, 1, false, 5);
	uint64_t got = vm.clock.read(vm.clock.ctx);
	bool ok = says ? got != 1234 && diverged(rp, says) : got == 1234 && vm.stop == VM_RUNNING;
	replayer_close(rp);
	return ok;
}

TEST(a_clock_read_takes_the_recorded_value)
{
	CHECK(clock_read(EV_CLOCK, 10, NULL));
}

/* A timer event carries a time of the same size as a clock value: not one to hand out. */
TEST(a_clock_read_where_the_trace_has_a_timer_diverges)
{
	CHECK(clock_read(EV_TIMER, 10, "the trace has timer"));
}

TEST(a_clock_read_at_another_exit_diverges)
{
	CHECK(clock_read(EV_CLOCK, 12, "the trace has clock"));
}

TEST(a_guest_exit_before_the_trace_ends_diverges)
{
	uint8_t status[4];
	ev_u32_encode(status, 0);
	struct event ev[] = { { EV_EXIT, 10, status, 4 }, { EV_CONSOLE, 12, "a", 1 } };
	struct replayer *rp = replay_of(ev, 2, false, 5);
	replayer_expect(rp, EV_EXIT, status, 4);
	CHECK_EQ(vm.stop, VM_RUNNING);
	vm.stop = VM_STOP_GUEST_EXIT;
	CHECK_EQ(replayer_finish(rp), STATUS_DIVERGED);
	CHECK(diverged(rp, "the guest exited at exit 5, but the trace goes on with console"));
	replayer_close(rp);
}

/* EV_ASYNC_ICOUNT at exit 5: an interrupt due at instruction `due`, with the engine at `now`
 * (the trace goes on after it). */
static struct replayer *interrupt_due(uint64_t due, uint64_t now)
{
	uint8_t v[8];
	ev_u64_encode(v, due);
	struct event ev[] = { { EV_ASYNC_ICOUNT, 10, v, 8 }, { EV_CONSOLE, 20, "a", 1 } };
	struct replayer *rp = replay_of(ev, 2, false, 5);
	vm.engine = &counting;
	count = now;
	stop_at = 0;
	replayer_apply_host_events(rp);
	return rp;
}

TEST(an_interrupt_due_by_instruction_count_runs_the_engine_to_it)
{
	struct replayer *rp = interrupt_due(200, 100);
	CHECK_EQ(vm.stop, VM_RUNNING);
	CHECK_EQ(stop_at, 200);
	count = 200; /* reached, before the next exit */
	vm.exits++;
	replayer_apply_host_events(rp);
	CHECK_EQ(vm.stop, VM_RUNNING);
	replayer_close(rp);
}

TEST(an_interrupt_due_at_a_passed_instruction_count_diverges)
{
	struct replayer *rp = interrupt_due(50, 100);
	CHECK(diverged(rp, "an interrupt is due at instruction 50, but the guest is already at instruction 100"));
	replayer_close(rp);
}

TEST(an_interrupt_due_by_count_not_reached_by_the_next_exit_diverges)
{
	struct replayer *rp = interrupt_due(200, 100);
	CHECK_EQ(vm.stop, VM_RUNNING);
	count = 150;
	vm.exits++;
	replayer_apply_host_events(rp);
	CHECK(diverged(rp, "the interrupt due at instruction 200 was not reached before this exit"));
	replayer_close(rp);
}

RUN_TESTS(T(the_recorded_event_is_consumed), T(an_event_recorded_at_another_exit_diverges),
	  T(an_event_of_another_type_diverges), T(an_event_with_another_payload_diverges),
	  T(a_differing_periodic_digest_diverges_under_verify),
	  T(a_clock_read_takes_the_recorded_value),
	  T(a_clock_read_where_the_trace_has_a_timer_diverges),
	  T(a_clock_read_at_another_exit_diverges), T(a_guest_exit_before_the_trace_ends_diverges),
	  T(an_interrupt_due_by_instruction_count_runs_the_engine_to_it),
	  T(an_interrupt_due_at_a_passed_instruction_count_diverges),
	  T(an_interrupt_due_by_count_not_reached_by_the_next_exit_diverges))
