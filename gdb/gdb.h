/* The GDB remote serial protocol server. It serves one gdb at a time over TCP (127.0.0.1 only)
 * or a Unix socket, for any target that implements struct gdb_target_ops: the replayer of a
 * recorded trace (forwards and backwards) or a live VM.
 *
 * The server owns the protocol, the register layout and target description, guest-virtual
 * memory access (it walks the guest's page tables itself, see core/pagewalk.h) and the table of
 * breakpoints and watchpoints. The target only moves execution and answers physical memory and
 * register reads. Breakpoints are never written into guest memory: the target is given the
 * table and stops where it says, so a replay stays exact. See docs/gdb.md. */
#ifndef REWIND_GDB_H
#define REWIND_GDB_H
#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* gdb's own signal numbers (the ones a stop reply carries). */
#define GDB_SIGINT 2
#define GDB_SIGILL 4
#define GDB_SIGTRAP 5
#define GDB_SIGSEGV 11

enum gdb_resume {
	GDB_RESUME_CONTINUE,
	GDB_RESUME_STEP,	    /* one instruction */
	GDB_RESUME_REVERSE_CONTINUE,
	GDB_RESUME_REVERSE_STEP,    /* back to the state before the previous instruction */
};

enum gdb_stop_reason {
	GDB_STOP_SIGNAL,	/* a step finished (SIGTRAP), interrupt() (SIGINT), a guest fault... */
	GDB_STOP_SWBREAK,	/* a type-0 breakpoint at RIP; RIP is the breakpoint address */
	GDB_STOP_HWBREAK,	/* a type-1 breakpoint at RIP */
	GDB_STOP_WATCH,		/* write watchpoint hit; addr = data address (guest-virtual) */
	GDB_STOP_RWATCH,	/* read watchpoint */
	GDB_STOP_AWATCH,	/* access watchpoint */
	GDB_STOP_REPLAY_BEGIN,	/* reverse execution reached the start of the history */
	GDB_STOP_REPLAY_END,	/* forward execution reached the end of the history */
	GDB_STOP_EXITED,	/* the guest is gone: exit_status is its exit status (W packet) */
	GDB_STOP_TERMINATED,	/* the guest died (triple fault...): signo says how (X packet) */
};

struct gdb_stop {
	enum gdb_stop_reason reason;
	int signo;		/* gdb signal number; 0 means SIGTRAP */
	uint64_t addr;		/* watchpoints: the data address that triggered */
	int exit_status;	/* GDB_STOP_EXITED, 0..255 */
};

enum gdb_bp_type {		/* the Z packet's type digit */
	GDB_BP_SOFTWARE = 0,
	GDB_BP_HARDWARE = 1,
	GDB_WATCH_WRITE = 2,
	GDB_WATCH_READ = 3,
	GDB_WATCH_ACCESS = 4,
};

/* Addresses are guest-virtual, as gdb sees them: a target that watches physical memory
 * translates with gdb_translate(). len is gdb's "kind": the watched length for watchpoints,
 * the instruction length gdb guessed (1 on x86) for breakpoints. */
struct gdb_breakpoint {
	enum gdb_bp_type type;
	uint64_t addr;
	uint64_t len;
};

#define GDB_MAX_BREAKPOINTS 64

/* Output of a monitor command: the target appends text with gdb_out_printf(); gdb prints it. */
struct gdb_out;
void gdb_out_printf(struct gdb_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct gdb_target_ops {
	/* Architectural state. The server reads both structs before any register or memory access
	 * (memory access needs CR0/CR3/CR4/EFER) and calls set_regs (NULL: registers are
	 * read-only) only when a write from gdb really changed something. */
	int (*get_regs)(void *t, struct kvm_regs *regs, struct kvm_sregs *sregs);
	int (*set_regs)(void *t, const struct kvm_regs *regs, const struct kvm_sregs *sregs);
	/* Optional (NULL: x87/SSE registers read as zero and cannot be written). */
	int (*get_fpu)(void *t, struct kvm_fpu *fpu);
	int (*set_fpu)(void *t, const struct kvm_fpu *fpu);

	/* Guest-physical memory; return 0, or -1 unless all of [gpa, gpa+len) is RAM. */
	int (*read_phys)(void *t, uint64_t gpa, void *buf, size_t len);
	/* Optional (NULL: memory writes answer an error, e.g. for a read-only trace). */
	int (*write_phys)(void *t, uint64_t gpa, const void *buf, size_t len);

	/* Runs until the target stops and fills *stop; returns 0, or a negative errno when it
	 * cannot run at all (the server then answers gdb with an error, or an empty reply for
	 * -ENOSYS so gdb says the target does not support it). The breakpoint table last given
	 * to set_breakpoints() is in force. A step reports a SIGTRAP stop (or the watchpoint it
	 * triggered, or the end of the history); a continue in either direction that starts on a
	 * breakpoint does not stop there before moving. */
	int (*resume)(void *t, enum gdb_resume how, struct gdb_stop *stop);
	/* Ctrl-C from gdb. Called from another thread, and only while resume() runs: it must make
	 * resume() return soon with a SIGINT stop. A request that races with resume() returning
	 * for another reason may be lost, or may stop the next resume() at once. */
	void (*interrupt)(void *t);

	/* The complete table after every change (and n = 0 when the session ends). The array is
	 * the server's and stays valid until the next call. Returning a negative errno (such as
	 * -ENOSPC for more hardware watchpoints than the target has) refuses the change: the
	 * server keeps the previous table and gdb gets an error. */
	int (*set_breakpoints)(void *t, const struct gdb_breakpoint *bps, int n);

	/* "monitor CMD" in gdb; cmd is NUL-terminated. Returns 0, or a negative errno after
	 * writing why to out (gdb then prints an error). Optional. */
	int (*monitor)(void *t, const char *cmd, struct gdb_out *out);

	/* Optional: the state gdb finds when it connects ('?'); NULL means stopped with SIGTRAP. */
	int (*initial_stop)(void *t, struct gdb_stop *stop);
	/* Optional: gdb detached (kill = false) or killed the session (kill = true). */
	void (*detach)(void *t, bool kill);

	/* True when resume() can go backwards: the server then offers ReverseStep/ReverseContinue. */
	bool can_reverse;
};

/* Translates a guest-virtual address with the paging state in sregs (see core/pagewalk.h for
 * the error codes). For targets that watch or break on physical addresses. */
int gdb_translate(const struct gdb_target_ops *ops, void *t, const struct kvm_sregs *sregs,
		  uint64_t va, uint64_t *gpa);

struct gdb_server {
	int listen_fd;
	uint16_t port;		/* TCP port actually bound (0 for a Unix socket) */
	char path[108];		/* Unix socket path, removed by gdb_server_close() */
	FILE *log;		/* protocol errors and connection messages, NULL for none */
};

/* Listens on 127.0.0.1:port (0 picks a free port: read server->port). Returns 0 or -errno. */
int gdb_server_listen_tcp(struct gdb_server *s, uint16_t port, FILE *log);
/* Listens on a Unix socket at path (an existing socket file there is replaced). */
int gdb_server_listen_unix(struct gdb_server *s, const char *path, FILE *log);

enum gdb_session_end {
	GDB_END_DETACH,		/* gdb sent D */
	GDB_END_KILL,		/* gdb sent k or vKill */
	GDB_END_CLOSED,		/* the connection closed or failed */
};

/* Waits for one gdb, serves it until it detaches, kills or goes away, and returns how it ended
 * (or a negative errno if accepting failed). A second gdb that connects meanwhile is refused. */
int gdb_server_serve(struct gdb_server *s, const struct gdb_target_ops *ops, void *t);
void gdb_server_close(struct gdb_server *s);

#endif
