/* The guest's console at a host terminal, and the signals that stop a VM.
 *
 * A terminal on stdin is put in raw mode as QEMU's -nographic does: keys reach the guest as
 * typed (Enter is CR, Ctrl-C is 0x03), with the escape key Ctrl-A in front of rewind's own
 * commands (core/console_escape.h). `--console raw` keeps Ctrl-C a signal instead and has no
 * escape key. SIGINT, SIGTERM and SIGHUP ask the VM to stop at the guest's next exit, so a
 * recording ends closed and verifiable; a second one aborts at once, leaving no snapshot or
 * checkpoint half-written. */
#include "cli/cli.h"
#include "core/outfile.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* The one way from a signal handler to the VM it stops (lock-free: safe in a handler, on any
 * thread), and the thread that runs it and writes the outputs. */
static _Atomic(struct vm *) signal_vm;
static pthread_t signal_thread;

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

/* Async-signal-safe: tcsetattr is. */
static void terminal_restore(struct vm *vm)
{
	if (vm->terminal.raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &vm->terminal.saved);
		vm->terminal.raw = false;
	}
}

static void on_stop_signal(int sig)
{
	int saved_errno = errno;
	struct vm *vm = atomic_load(&signal_vm);
	/* Taken where the outputs are written: an abort then stops the writing where it is,
	 * and removes what was written (core/outfile.h) with nothing going on behind it. */
	if (vm && !pthread_equal(pthread_self(), signal_thread)) {
		pthread_kill(signal_thread, sig);
		errno = saved_errno;
		return;
	}
	if (vm && vm_request_stop(vm, sig)) {
		static const char msg[] = "\nrewind: stopping at the guest's next exit "
					  "(a second signal aborts at once)\n";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		errno = saved_errno;
		return;
	}
	/* The second one: die of it now, as without this handler, with the terminal back and
	 * no snapshot or checkpoint left half-written. */
	if (vm)
		terminal_restore(vm);
	outfile_remove_unfinished();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* QEMU's stdio settings (chardev/char-stdio.c): no line editing, echo, flow control or CR
 * translation on input; output processing stays, so the guest's LF still starts a line. */
static void terminal_make_raw(struct vm *vm, enum console_mode mode)
{
	if (tcgetattr(STDIN_FILENO, &vm->terminal.saved))
		return;
	struct termios t = vm->terminal.saved;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
	if (mode == CONSOLE_ESCAPE) {
		t.c_lflag &= ~ISIG; /* Ctrl-C, Ctrl-Z, Ctrl-\ are keys for the guest */
	} else {
		/* Only Ctrl-C stays a signal: suspending or dumping rewind is no use to anyone. */
		t.c_cc[VQUIT] = _POSIX_VDISABLE;
		t.c_cc[VSUSP] = _POSIX_VDISABLE;
	}
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		vm->terminal.raw = true;
}

void console_attach(struct vm *vm, enum console_mode mode)
{
	if (vm->cfg.serial_in_fd == STDIN_FILENO && isatty(STDIN_FILENO)) {
		vm->cfg.console_escape = mode == CONSOLE_ESCAPE;
		terminal_make_raw(vm, mode);
	}
	signal_thread = pthread_self();
	atomic_store(&signal_vm, vm);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART; /* a trace or snapshot write must not fail with EINTR */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSTOP_SIGNALS; i++)
		sigaction(stop_signals[i], &sa, NULL);
}

void console_detach(struct vm *vm)
{
	if (atomic_load(&signal_vm) != vm)
		return;
	for (size_t i = 0; i < NSTOP_SIGNALS; i++)
		signal(stop_signals[i], SIG_DFL);
	atomic_store(&signal_vm, NULL);
	terminal_restore(vm);
}
