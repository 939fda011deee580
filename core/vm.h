/* The virtual machine: guest RAM, one vCPU engine, the device bus and the legacy devices,
 * guest time, and the run loop. The life of a VM: vm_create() → vm_boot() → vm_run() →
 * vm_destroy(). */
#ifndef REWIND_VM_H
#define REWIND_VM_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <termios.h>

#include "core/chaos.h"
#include "core/console_escape.h"
#include "core/cpuid.h"
#include "core/dirty.h"
#include "core/engine.h"
#include "core/host_kind.h"
#include "core/landing.h"
#include "core/loader.h"
#include "core/memory.h"
#include "core/symbols.h"
#include "core/vclock.h"
#include "core/vm_debug.h"
#include "devices/acpi_pm.h"
#include "devices/bus.h"
#include "devices/debug_exit.h"
#include "devices/device.h"
#include "devices/pci_host.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/port80.h"
#include "devices/pvpanic.h"
#include "devices/reset.h"
#include "devices/rtc.h"
#include "devices/uart.h"

/* Exit statuses of rewind itself; every other status is the guest's debug-exit value. */
enum {
	STATUS_GUEST_PANIC = 121,	/* the guest kernel said it panicked (pvpanic) */
	STATUS_TRACE_END = 122,		/* replay reached the end of a truncated trace */
	STATUS_GUEST_RESET = 123,	/* the guest reset the machine */
	STATUS_TIMEOUT = 124,		/* --timeout expired */
	STATUS_ERROR = 125,		/* bad usage or input, or a rewind/host error */
	STATUS_GUEST_CRASH = 126,	/* triple fault, unexpected exit, halted forever */
	STATUS_DIVERGED = 127,		/* replay diverged from the trace */
	/* Stopped from outside at an exit, the trace closed: 128 + the signal's number, as a
	 * shell reports a process that signal killed (130 SIGINT, 129 SIGHUP, 143 SIGTERM);
	 * the console's escape key (Ctrl-A x) counts as Ctrl-C. */
	STATUS_STOPPED_BY_SIGNAL = 128,
	STATUS_STOPPED_BY_ESCAPE = 130,
};

struct vm_config {
	uint64_t mem_size;
	const char *engine;		/* "kvm" or "soft" */
	const char *cmdline;
	double timeout;			/* seconds of wall time; 0 = none */
	int serial_in_fd;		/* fd feeding the UART, -1 = none */
	FILE *console;			/* where guest UART output goes */
	bool console_escape;		/* serial_in_fd is a terminal: Ctrl-A is the escape key */
	bool chaos;			/* record: vary where interrupts land (core/chaos.h) */
	/* The machine as it was before its ACPI tables, PM registers and PCI configuration
	 * ports: what traces and snapshots written before them replay on (vm_config.h). */
	bool legacy_machine;
	/* The ACPI machine as it was before the pvpanic device (devices/pvpanic.c, in the DSDT):
	 * what traces and snapshots written before it replay on. */
	bool without_pvpanic;
	uint64_t chaos_seed;
	enum host_kind host;		/* what runs the engine here: set by vm_create */
};

enum vm_stop_reason {
	VM_RUNNING,
	VM_STOP_GUEST_EXIT,	/* debug-exit port */
	VM_STOP_GUEST_PANIC,	/* pvpanic: the guest kernel panicked */
	VM_STOP_RESET,
	VM_STOP_TIMEOUT,
	VM_STOP_CRASH,
	VM_STOP_ERROR,
	VM_STOP_DIVERGED,	/* replay: the guest did something the trace did not record */
	VM_STOP_TRACE_END,	/* replay: the trace has no more to say */
	VM_STOP_SNAPSHOT,	/* stopped after writing a snapshot, as asked */
	VM_STOP_PAUSED,		/* a debugger's stop (vm->debug.stop); vm_run can go on */
	VM_STOP_USER,		/* asked from outside (vm_request_stop): a signal, the escape key */
};

/* What asked for a stop (vm_request_stop): a signal's number, or this. */
enum { VM_STOP_BY_ESCAPE = 0x100 };

struct recorder;
struct replayer;

/* Inputs that arrive from the host asynchronously; the waker thread fills them and kicks. */
struct vm_host_events {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t rx[4096];	/* serial bytes read but not yet given to the UART */
	int rx_len;
	bool rx_eof;
	atomic_bool timer_due;
	/* Recording: host ns since an interrupt waits for an exit (0: none); the waker kicks
	 * the vCPU once a grace period for as long as it waits. */
	atomic_uint_fast64_t irq_waiting_since;
	atomic_uint_fast64_t grace_ns;	/* how long it waits before a kick (WAKER_GRACE_NS) */
	atomic_bool timed_out;
	/* A stop asked from outside the guest (vm_request_stop): 0, a signal number or
	 * VM_STOP_BY_ESCAPE; set once. The run loop stops at the guest's next exit. */
	atomic_int stop_request;
	struct console_escape escape;	/* the escape key's state, when cfg.console_escape */
	atomic_bool stop;
	atomic_uint_fast64_t deadline_ns;	/* next device deadline, guest (= host) ns */
	pthread_t thread;
	bool thread_started;
	/* Wakes the waker when the deadline moves earlier, at a stop request and at stop.
	 * Non-blocking, open from vm_create to vm_destroy: a signal handler may write to it. */
	int wake_pipe[2];
	bool wake_pipe_open;
};

struct vm {
	struct vm_config cfg;
	struct guest_mem mem;
	struct cpuid_model cpuid;
	struct engine *engine;
	struct bus bus;
	struct vclock clock;
	uint64_t clock_origin_ns;	/* host CLOCK_MONOTONIC at guest time 0 */

	struct pic pic;
	struct pit pit;
	struct uart uart;
	struct rtc rtc;
	struct debug_exit debug_exit;
	struct port80 port80;
	struct reset_ctl reset;
	struct acpi_pm acpi_pm;
	struct pci_host pci_host;
	struct pvpanic pvpanic;
	struct device devices[12];
	int ndevices;

	struct symbols syms;
	struct boot_info boot;
	struct vm_host_events host;

	/* Record/replay (NULL when just running): see record/recorder.h, replay/replayer.h. */
	struct recorder *rec;
	struct replayer *rep;

	uint64_t exits;		/* deterministic exits so far: the exit index */
	int phase;		/* 0 at an exit, 1 at kicked exits after its interrupt decision */
	uint64_t deferred;	/* interrupts held back from an asynchronous point to an exit */
	bool deferral_logged;
	uint64_t async_irqs;		/* interrupts delivered at asynchronous landings */
	struct landing landing;
	struct chaos chaos;
	struct dirty_log dirty;
	struct vm_debug debug;
	bool started;		/* vm_run has run: later calls continue */
	bool irq_this_exit;	/* an interrupt was injected at this exit and may still be queued */
	bool irq_window;	/* an interrupt window is requested from the engine */

	/* Called after an exit when nothing is in flight (no interrupt queued at this exit, no
	 * landing being looked for): where snapshots and checkpoints are taken. May be NULL. */
	void (*quiet_point)(struct vm *vm, void *ctx);
	void *quiet_ctx;
	/* The host terminal on stdin, while the CLI keeps it raw for the console (cli/console.c):
	 * here so that a signal's abort can restore it. */
	struct {
		bool raw;
		struct termios saved;
	} terminal;

	uint64_t irqs_injected;
	enum vm_stop_reason stop;
	int status;		/* process exit status once stopped */
	char error[256];	/* why, for VM_STOP_CRASH / VM_STOP_ERROR */
};

/* Asks the VM to stop at the guest's next exit; `by` is a signal number or
 * VM_STOP_BY_ESCAPE. Callable from a signal handler (async-signal-safe). Returns false when a
 * stop was asked before: the caller may then give up waiting. */
bool vm_request_stop(struct vm *vm, int by);
/* The process exit status of a stop asked `by`. */
int vm_stop_status(int by);

/* Creates the machine (RAM, engine, devices). Returns 0, or -1 with err filled. */
int vm_create(struct vm *vm, const struct vm_config *cfg, char *err, size_t errlen);
/* Loads the kernel (PVH ELF or bzImage) and the initrd with the configured command line (the
 * one in files is ignored) and sets the vCPU at the kernel's entry. Messages name the file. */
int vm_boot(struct vm *vm, const struct boot_files *files, char *err, size_t errlen);
/* Runs until the guest exits or the VM stops; returns the process exit status. Called again
 * after a debugger's pause (VM_STOP_PAUSED, reset to VM_RUNNING), it goes on. */
int vm_run(struct vm *vm);
/* What vm_run does first, once: the state before the first instruction (position (0, 0)). */
int vm_begin(struct vm *vm);
/* Names guest addresses (reports) with the symbols of the file at path (symbols_load_file)
 * instead of the kernel image's own. Returns 0, or -1 with err filled. */
int vm_load_symbols(struct vm *vm, const char *path, char *err, size_t errlen);
/* Replaces the vCPU by a new one of the same engine (state to be restored next): nothing
 * from the old one, such as an interrupt queued but not yet delivered, carries over. */
int vm_new_engine(struct vm *vm, char *err, size_t errlen);
void vm_destroy(struct vm *vm);
/* The guest ended the run itself, at an exit (debug-exit, ACPI power-off, pvpanic): a
 * recording's own end, which a replay reaches and verifies. */
static inline bool vm_stopped_by_guest(const struct vm *vm)
{
	return vm->stop == VM_STOP_GUEST_EXIT || vm->stop == VM_STOP_GUEST_PANIC;
}
/* The position events are logged at: exit index and phase. */
static inline uint64_t vm_pos(const struct vm *vm)
{
	return vm->exits * 2 + (uint64_t)vm->phase;
}
/* An MMIO access reaches the bus: at an MMIO exit, or served in place by the soft engine
 * (soft_mmio_fn; ctx is the vm). Not an exit: no position of its own. */
void vm_serve_mmio(void *ctx, uint64_t gpa, uint8_t *data, int size, bool write);
/* Delivers the pending interrupt at an asynchronous landing (record and replay). */
void vm_deliver_async_irq(struct vm *vm);
/* Replay: the guest stands at the armed landing (found by breakpoint or soft search):
 * disarm it and deliver its interrupt. */
void vm_take_landing(struct vm *vm);
/* Guest time now: the host's clock when running or recording, the trace's when replaying. */
uint64_t vm_guest_ns(const struct vm *vm);
/* Guest time moved to now_ns: every timer device catches up. */
void vm_advance_devices(struct vm *vm, uint64_t now_ns);
/* Reads guest-virtual memory through the guest's page tables. 0, or -1 when unmapped. */
int vm_read_virt(struct vm *vm, uint64_t va, void *buf, size_t len);
/* Is va mapped for user code (U/S set at every level) in the vCPU's current page tables? */
bool vm_user_page(struct vm *vm, uint64_t va);
/* Registers, segments, control registers and the symbol at RIP. */
void vm_dump_state(struct vm *vm, FILE *out);

#endif
