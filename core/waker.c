/* The waker: the one host thread besides the vCPU. It turns host events — serial input
 * arriving, the next device timer falling due, the wall-clock timeout, a stop request — into
 * flags on vm->host and a kick of the vCPU; the console's escape commands are taken out of
 * the input here. It decides nothing the guest can observe: the run loop
 * consumes the flags at exits, where record/replay can log them. */
#define _GNU_SOURCE /* ppoll */
#include "core/waker.h"
#include "core/vm.h"
#include "core/console_escape.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

uint64_t host_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Wakes a vCPU halted in vm_halt (and kicks one that runs) to look at vm->host again. */
static void waker_wake_vcpu(struct vm *vm)
{
	struct vm_host_events *h = &vm->host;
	pthread_mutex_lock(&h->lock);
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	vm->engine->ops->kick(vm->engine);
}

/* The console's escape commands in what was just read: they act here and go no further. */
static int waker_filter_escape(struct vm *vm, uint8_t *buf, int n)
{
	unsigned commands;
	n = (int)console_escape_filter(&vm->host.escape, buf, (size_t)n, &commands);
	if (commands & CONSOLE_HELP)
		fputs(console_escape_help, stderr);
	if (commands & CONSOLE_QUIT)
		vm_request_stop(vm, VM_STOP_BY_ESCAPE);
	return n;
}

static void waker_read_input(struct vm *vm)
{
	struct vm_host_events *h = &vm->host;
	pthread_mutex_lock(&h->lock);
	int room = (int)sizeof(h->rx) - h->rx_len;
	if (room > 0) {
		ssize_t n = read(vm->cfg.serial_in_fd, h->rx + h->rx_len, room);
		if (n > 0 && vm->cfg.console_escape)
			h->rx_len += waker_filter_escape(vm, h->rx + h->rx_len, (int)n);
		else if (n > 0)
			h->rx_len += n;
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			h->rx_eof = true;
	}
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	vm->engine->ops->kick(vm->engine);
}

static void *waker_main(void *arg)
{
	struct vm *vm = arg;
	struct vm_host_events *h = &vm->host;
	uint64_t timeout_at = vm->cfg.timeout > 0 ? host_now_ns() + (uint64_t)(vm->cfg.timeout * 1e9) : 0;
	uint64_t last_kick = 0;
	bool stop_passed_on = false;

	while (!atomic_load(&h->stop)) {
		if (!stop_passed_on && atomic_load(&h->stop_request)) {
			stop_passed_on = true;
			waker_wake_vcpu(vm);
		}
		uint64_t now = host_now_ns();
		uint64_t guest_now = now - vm->clock_origin_ns;
		uint64_t deadline = atomic_load(&h->deadline_ns);
		if (deadline != DEADLINE_NONE && guest_now >= deadline && !atomic_load(&h->timer_due)) {
			atomic_store(&h->timer_due, true);
			waker_wake_vcpu(vm);
		}
		if (timeout_at && now >= timeout_at) {
			atomic_store(&h->timed_out, true);
			waker_wake_vcpu(vm);
			timeout_at = 0;
		}

		/* Sleep until the earliest of: deadline, timeout, input, a wake-up. A due timer the
		 * loop has not consumed yet needs no more kicks: poll at a slow rate meanwhile. */
		uint64_t wait_ns = 100000000;
		if (deadline != DEADLINE_NONE && !atomic_load(&h->timer_due))
			wait_ns = deadline > guest_now ? deadline - guest_now : 0;
		/* An interrupt waiting for an exit: a kick once its grace period is over, then one
		 * a grace period (the vCPU decides at each whether it can land it). */
		uint64_t since = atomic_load(&h->irq_waiting_since);
		if (since) {
			uint64_t grace = atomic_load(&h->grace_ns);
			uint64_t due = since + grace;
			if (due < last_kick + grace)
				due = last_kick + grace;
			if (now >= due) {
				vm->engine->ops->kick(vm->engine);
				last_kick = now;
				due = now + grace;
			}
			if (wait_ns > due - now)
				wait_ns = due - now;
		}
		if (timeout_at && timeout_at - now < wait_ns)
			wait_ns = timeout_at - now;
		struct pollfd fds[2] = { { h->wake_pipe[0], POLLIN, 0 }, { -1, POLLIN, 0 } };
		bool want_input = vm->cfg.serial_in_fd >= 0 && !h->rx_eof;
		if (want_input) {
			pthread_mutex_lock(&h->lock);
			want_input = h->rx_len < (int)sizeof(h->rx);
			pthread_mutex_unlock(&h->lock);
		}
		if (want_input)
			fds[1].fd = vm->cfg.serial_in_fd;
		struct timespec ts = { wait_ns / 1000000000ULL, wait_ns % 1000000000ULL };
		int n = ppoll(fds, 2, &ts, NULL);
		if (n <= 0)
			continue;
		if (fds[0].revents & POLLIN) {
			char buf[64];
			(void)!read(h->wake_pipe[0], buf, sizeof(buf));
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
			waker_read_input(vm);
	}
	return NULL;
}

int waker_start(struct vm *vm)
{
	struct vm_host_events *h = &vm->host;
	/* vm_run runs again after a pause (gdb): the previous waker_stop() left this set, and a
	 * waker that exits at once would leave the guest with no timers and no --timeout. */
	atomic_store(&h->stop, false);
	/* The kick signal is for the vCPU thread only. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = pthread_create(&h->thread, NULL, waker_main, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	h->thread_started = true;
	return 0;
}

void waker_poke(struct vm *vm)
{
	(void)!write(vm->host.wake_pipe[1], "", 1);
}

void waker_stop(struct vm *vm)
{
	struct vm_host_events *h = &vm->host;
	if (!h->thread_started)
		return;
	atomic_store(&h->stop, true);
	waker_poke(vm);
	pthread_join(h->thread, NULL);
	h->thread_started = false;
}
