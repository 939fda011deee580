/* testos: the workloads, chosen by workload=NAME. Each creates its CPL3 tasks (u_work.c)
   and reports when they have all exited. race and panic contain deliberate kernel bugs. */
#include "kernel.h"
#include "tasks.h"

const struct workload *current_workload;

static void hello_start(void)
{
	struct rtc_time t;

	rtc_read(&t);
	kprintf("hello: testos is up; RTC says %04u-%02u-%02u %02u:%02u:%02u\n", t.year, t.month,
		t.day, t.hour, t.minute, t.second);
	task_create(u_hello_main, 0);
}

static void hello_finish(void)
{
	kexit((int)task_exit_status(0));
}

/* scale=N divides every task's work by N (shorter runs for record/replay tests). */
static void compute_start(void)
{
	u64 div;
	if (cmdline_u64("scale=", 1, &div) || !div || div > 1000000) {
		kprintf("compute: bad scale= (1 to 1000000)\n");
		kexit(2);
	}
	for (long i = 0; i < COMPUTE_TASKS; i++)
		task_create(u_compute_main, i | (long)(div << 8));
}

/* The tasks' results in task order: the same whatever the interleaving was. */
static void compute_finish(void)
{
	u64 sum = 0xcbf29ce484222325ULL;

	for (int i = 0; i < COMPUTE_TASKS; i++)
		sum = (sum ^ (u64)task_exit_status(i)) * 0x100000001b3ULL;
	kprintf("compute: %d tasks finished, results digest 0x%016lx\n", COMPUTE_TASKS, sum);
	u64 report;
	if (!cmdline_u64("preemption=", 0, &report) && report) {
		u64 total = 0;
		kprintf("compute: timer ticks in user code per task:");
		for (int i = 0; i < COMPUTE_TASKS; i++) {
			kprintf(" %lu", task_user_ticks(i));
			total += task_user_ticks(i);
		}
		kprintf(", %lu in all\n", total);
	}
	kexit(0);
}

static void echo_start(void)
{
	kprintf("echo: type lines, \"quit\" ends\n");
	task_create(u_echo_main, 0);
}

static void echo_finish(void)
{
	kexit((int)task_exit_status(0));
}

/*
 * race: the system call and the timer interrupt both add to race.counter without
 * excluding each other. An interrupt that lands between the system call's load and its
 * store loses the timer's increment; how many are lost depends on where interrupts land.
 */
struct race {
	u64 counter;	   /* the shared, unprotected value */
	u64 task_adds;	   /* increments done by the system call */
	u64 timer_adds;	   /* increments done by the timer interrupt */
	int running;
	u64 loops;	   /* loops=1: the window holds loops_run() */
};

static struct race race;

/* race loops=N (tests/integration/landing.sh): the no-exit window is two loops that pass the
 * same RIPs N * LOOP_PASSES times, long enough (~0.1 ms each at N = 1 where kernel code is
 * emulated, as under PVM; a host that runs it natively needs a larger N) that interrupts
 * waiting for an exit land in them. In the first only memory tells one pass from the next (its counter is
 * added to and compared in place), in the second only a register does. The timer adds up the
 * passes it landed in, so a replay that delivers an interrupt in another pass than the
 * recording did ends in another state. */
static struct {
	u64 count;  /* the first loop's pass */
	u64 landed; /* the passes interrupts landed in */
	int ticked; /* a tick came: the second loop adds its pass */
} loops;

#define LOOP_PASSES 65536

static void loops_run(void)
{
	u64 passes = race.loops * LOOP_PASSES;

	loops.count = 0;
	__asm__ volatile("1: addq $1, %0\n\tcmpq %1, %0\n\tjb 1b" : "+m"(loops.count) : "r"(passes));
	for (u64 k = 0; k < passes; k++) {
		__asm__ volatile("" : "+r"(k));
		if (READ_ONCE(loops.ticked)) {
			loops.landed += k;
			loops.ticked = 0;
		}
	}
}

static void loops_tick(void)
{
	loops.landed += loops.count;
	loops.ticked = 1;
}

/* ticks=N lengthens (or shortens) the run: N timer ticks of racing, RACE_TICKS by default
   (benchmarks want a recording of many seconds). */
static void race_start(void)
{
	u64 ticks;

	if (cmdline_u64("ticks=", RACE_TICKS, &ticks) || !ticks ||
	    cmdline_u64("loops=", 0, &race.loops) || race.loops > 100000) {
		kprintf("race: bad ticks= (a number of timer ticks, at least 1) or loops= (0 to 100000)\n");
		kexit(2);
	}
	kprintf("race: a system call and the timer interrupt increment one counter unlocked\n");
	task_create(u_race_main, (long)ticks);
}

static void race_tick(void)
{
	if (!race.running)
		return;
	race.counter++;
	race.timer_adds++;
	if (race.loops)
		loops_tick();
}

/* Once per system call the window also holds a few milliseconds of kernel code that does no
 * I/O: an interrupt that lands there arrives between two VM exits, which a recorder must
 * find again by its landing signature. The counter lives in memory (volatile), so only the
 * memory tells one pass of the loop from the next. */
static void race_spin(void)
{
	if (race.loops) {
		loops_run();
		return;
	}
	for (volatile u64 k = 0; k < 2000; k++)
		;
}

void sys_race_step(struct frame *f)
{
	u64 n = f->rdi > 256 ? 256 : f->rdi;

	race.running = 1;
	sti();
	for (u64 i = 0; i < n; i++) {
		io_delay(); /* an interrupt here is harmless */
		u64 v = READ_ONCE(race.counter);
		io_delay(); /* one here loses the timer's increment */
		if (i == 0)
			race_spin();
		WRITE_ONCE(race.counter, v + 1);
		race.task_adds++;
	}
	cli();
	f->rax = 0;
}

static void race_finish(void)
{
	u64 expected = race.task_adds + race.timer_adds;

	race.running = 0;
	kprintf("race: counter %lu, expected %lu (%lu by the task, %lu by the timer): %lu lost\n",
		race.counter, expected, race.task_adds, race.timer_adds, expected - race.counter);
	kexit(0);
}

/*
 * panic: a use-after-free. The system call checks active_session, does I/O, then reads
 * through the global again instead of the pointer it checked; the timer interrupt
 * expires (NULLs) the session in between. The NULL store below is the corrupting write.
 */
struct session {
	u64 id;
	u64 uses;
};

struct session *active_session;
static struct session session_slot;

static void panic_start(void)
{
	kprintf("panic: a system call races the timer for a session pointer\n");
	task_create(u_panic_main, 0);
}

static void panic_tick(void)
{
	if (active_session)
		active_session = NULL; /* sessions expire at the next tick */
}

void sys_session_touch(struct frame *f)
{
	if (!active_session) {
		session_slot.id = 1;
		active_session = &session_slot;
	}
	sti();
	if (active_session) {
		io_delay();
		f->rax = ++active_session->uses;
	}
	cli();
}

/*
 * flaky: the panic workload's bug with a narrow window. The system call checks the session
 * between two port writes and uses it after the second, so only an interrupt taken at that
 * second write lands between check and use. Most ticks fall in the user task's work and are
 * taken harmlessly; the bug fires in a few runs in a hundred. It is what `rewind hunt` is
 * tested on. ticks=N sets the length (FLAKY_TICKS).
 */
static struct session *flaky_session;

static void flaky_start(void)
{
	u64 ticks;

	if (cmdline_u64("ticks=", FLAKY_TICKS, &ticks) || !ticks) {
		kprintf("flaky: bad ticks= (a number of timer ticks, at least 1)\n");
		kexit(2);
	}
	kprintf("flaky: a system call races the timer in a narrow window\n");
	task_create(u_flaky_main, (long)ticks);
}

static void flaky_tick(void)
{
	flaky_session = NULL;
}

void sys_flaky_touch(struct frame *f)
{
	if (!flaky_session) {
		session_slot.id = 2;
		flaky_session = &session_slot;
	}
	sti();
	io_delay(); /* an interrupt here is harmless: the check comes after it */
	if (flaky_session) {
		io_delay(); /* one here expires the session between the check and the use */
		f->rax = ++flaky_session->uses;
	}
	cli();
}

static void flaky_finish(void)
{
	kprintf("flaky: the bug did not fire\n");
	kexit(0);
}

static void panic_finish(void)
{
	kprintf("panic: the bug did not fire\n");
	kexit(1);
}

/*
 * diverge: a kernel that breaks the rule of docs/design.md and reads the TSC, which the kvm
 * engine can neither trap nor record. Each run reads another value, so the replay of a
 * recording reaches a state the recording never had, with every event still matching: only
 * the digests can tell, and replay --verify must report the divergence
 * (tests/integration/divergence.sh). Where the value stays decides which digest sees it:
 *   keep=memory   (default) in memory only: the final state digest alone covers memory;
 *   keep=register in a register across 3 x 4096 exits, then cleared: the periodic digests
 *                 (registers and devices, every 4096 exits) see it, the final one does not;
 *   keep=device   in the RTC's CMOS RAM: device state, covered by the final digest.
 * read=rdrand reads RDRAND instead and read=none nothing (the value is 0): under the soft
 * engine, which records both, a trace spliced from two such runs replays one guest against
 * the other's values (tests/tools/trace_splice.c).
 */
static volatile u64 diverge_value;

static u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static u64 rdrand(void)
{
	u64 v;

	__asm__ volatile("rdrand %0" : "=r"(v) : : "cc");
	return v;
}

static u64 nothing(void)
{
	return 0;
}

static int word_is(const char *w, size_t len, const char *s)
{
	size_t i = 0;

	while (i < len && s[i] && w[i] == s[i])
		i++;
	return i == len && !s[i];
}

static void diverge_usage(void)
{
	kprintf("diverge: bad keep= (memory, register, device) or read= (tsc, rdrand, none)\n");
	kexit(2);
}

static void diverge_start(void)
{
	size_t len, rlen;
	const char *keep = cmdline_value("keep=", &len);
	const char *read = cmdline_value("read=", &rlen);
	u64 (*value)(void) = rdtsc;

	if (read && word_is(read, rlen, "rdrand"))
		value = rdrand;
	else if (read && word_is(read, rlen, "none"))
		value = nothing;
	else if (read && !word_is(read, rlen, "tsc"))
		diverge_usage();
	cli(); /* an interrupt frame would put the register case's value in memory */
	if (!keep || word_is(keep, len, "memory")) {
		diverge_value = value();
	} else if (word_is(keep, len, "register")) {
		register u64 v __asm__("r12") = value();
		for (int i = 0; i < 3 * 4096; i++)
			__asm__ volatile("outb %%al, $0x80" : : "a"(0), "r"(v));
		__asm__ volatile("xor %%r12d, %%r12d" : : : "r12");
	} else if (word_is(keep, len, "device")) {
		u64 v = value();
		for (int i = 0; i < 8; i++) {
			outb(0x70, (u8)(0x40 + i)); /* CMOS RAM, past the clock's registers */
			outb(0x71, (u8)(v >> (8 * i)));
		}
	} else {
		diverge_usage();
	}
	kprintf("diverge: the value was read\n");
	kexit(0);
}

static const struct workload workloads[] = {
	{ "hello", hello_start, NULL, hello_finish },
	{ "compute", compute_start, NULL, compute_finish },
	{ "echo", echo_start, NULL, echo_finish },
	{ "race", race_start, race_tick, race_finish },
	{ "panic", panic_start, panic_tick, panic_finish },
	{ "flaky", flaky_start, flaky_tick, flaky_finish },
	{ "diverge", diverge_start, NULL, NULL }, /* start exits */
	{ "poweroff", poweroff_start, NULL, NULL }, /* start powers off */
	{ "pvpanic", pvpanic_start, NULL, NULL }, /* start reports a panic to the VMM */
};

const struct workload *workload_find(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++) {
		const char *w = workloads[i].name;
		size_t j = 0;
		while (j < len && w[j] && w[j] == name[j])
			j++;
		if (j == len && !w[j])
			return &workloads[i];
	}
	return NULL;
}

void workload_list(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		kprintf(" %s", workloads[i].name);
	kprintf("\n");
}
