/* testos: a preemptive round-robin scheduler of CPL3 tasks. A task that is not running
   is one saved struct frame on its own kernel stack; switching returns another frame. */
#include "kernel.h"

#define KSTACK_SIZE 8192
#define IDLE (-1)

enum task_state { TASK_UNUSED, TASK_READY, TASK_BLOCKED, TASK_DEAD };

struct task {
	struct frame *frame; /* saved context while switched out */
	u64 kstack_top;
	enum task_state state;
	enum wait_reason waiting;
	long exit_status;
	u64 user_ticks; /* timer ticks that interrupted this task's user code */
};

struct sched {
	struct task tasks[MAX_TASKS];
	int ntasks, alive;
	int current; /* a task index, or IDLE */
	int need_switch;
	struct frame *idle_frame;
};

static struct sched sched;
static u8 kstacks[MAX_TASKS][KSTACK_SIZE] __attribute__((aligned(16)));
static u8 idle_stack[4096] __attribute__((aligned(16)));

/* In the user region (u_lib.c): the CPL3 trampoline that calls entry(arg) then exits. */
extern void u_task_start(long (*entry)(long), long arg);
extern u8 u_stacks[MAX_TASKS][USTACK_SIZE];

static struct frame *frame_at_top(u64 top)
{
	return (struct frame *)(top - sizeof(struct frame));
}

int task_create(long (*entry)(long), long arg)
{
	if (sched.ntasks == MAX_TASKS)
		return -1;
	int id = sched.ntasks++;
	struct task *t = &sched.tasks[id];
	t->kstack_top = (u64)kstacks[id] + KSTACK_SIZE;
	t->frame = frame_at_top(t->kstack_top);
	t->frame->rip = (u64)u_task_start;
	t->frame->cs = USER_CS;
	t->frame->rflags = 0x202; /* IF */
	/* As if called: RSP+8 is 16-byte aligned at a function's first instruction. */
	t->frame->rsp = (u64)u_stacks[id] + sizeof(u_stacks[id]) - 8;
	t->frame->ss = USER_DS;
	t->frame->rdi = (u64)entry;
	t->frame->rsi = (u64)arg;
	t->state = TASK_READY;
	sched.alive++;
	return id;
}

static int pick_next(void)
{
	int n = sched.ntasks;
	int start = sched.current == IDLE ? n - 1 : sched.current;

	/* i == n is the current task itself: it keeps running if no one else can. */
	for (int i = 1; i <= n; i++) {
		int id = (start + i) % n;
		if (sched.tasks[id].state == TASK_READY)
			return id;
	}
	return IDLE;
}

static struct frame *resume(int id)
{
	sched.current = id;
	if (id == IDLE)
		return sched.idle_frame;
	cpu_set_kernel_stack(sched.tasks[id].kstack_top);
	return sched.tasks[id].frame;
}

void sched_start(void)
{
	struct frame *idle = frame_at_top((u64)idle_stack + sizeof(idle_stack));

	idle->rip = (u64)idle_loop;
	idle->cs = KERNEL_CS;
	idle->rflags = 0x202;
	idle->rsp = (u64)idle_stack + sizeof(idle_stack) - sizeof(struct frame);
	idle->ss = KERNEL_DS;
	sched.idle_frame = idle;
	sched.current = IDLE;
	if (!sched.alive)
		current_workload->finish();
	trap_resume(resume(pick_next()));
}

/* Called on the way out of every trap and system call with the frame to return to. Only
   user frames and the idle loop are switched away from: kernel code that enabled
   interrupts (the racy system calls) is never preempted. */
struct frame *sched_switch(struct frame *f)
{
	if (!sched.need_switch || ((f->cs & 3) == 0 && sched.current != IDLE))
		return f;
	sched.need_switch = 0;
	if (sched.current == IDLE)
		sched.idle_frame = f;
	else
		sched.tasks[sched.current].frame = f;
	if (!sched.alive)
		current_workload->finish();
	return resume(pick_next());
}

void sched_tick(const struct frame *f)
{
	if ((f->cs & 3) == 3)
		sched.tasks[sched.current].user_ticks++;
	if ((f->cs & 3) == 3 || sched.current == IDLE)
		sched.need_switch = 1;
}

u64 task_user_ticks(int id)
{
	return sched.tasks[id].user_ticks;
}

void sched_yield(void)
{
	sched.need_switch = 1;
}

void sched_block(enum wait_reason why)
{
	sched.tasks[sched.current].state = TASK_BLOCKED;
	sched.tasks[sched.current].waiting = why;
	sched.need_switch = 1;
}

void sched_wake(enum wait_reason why)
{
	for (int i = 0; i < sched.ntasks; i++) {
		struct task *t = &sched.tasks[i];
		if (t->state == TASK_BLOCKED && t->waiting == why) {
			t->state = TASK_READY;
			t->waiting = WAIT_NONE;
		}
	}
	if (sched.current == IDLE)
		sched.need_switch = 1;
}

void sched_exit(long status)
{
	struct task *t = &sched.tasks[sched.current];

	t->state = TASK_DEAD;
	t->exit_status = status;
	sched.alive--;
	sched.need_switch = 1;
}

long task_exit_status(int id)
{
	return sched.tasks[id].exit_status;
}
