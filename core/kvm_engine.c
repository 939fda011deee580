/* The kvm engine: hardware (or, on PVM hosts, kernel-emulated) virtualization via /dev/kvm.
 * No in-kernel irqchip or PIT: interrupts come from rewind's own devices and are injected with
 * KVM_INTERRUPT, so that guest time and interrupt positions stay under the VMM's control. */
#include "core/cpuid.h"
#include "core/engine.h"
#include "core/memory.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

struct kvm_engine {
	struct engine base;
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	bool window_requested;
	uint64_t syscall_msrs[4];	/* as last written back; see kvm_sync_syscall_msrs */
	bool irq_queued;	/* KVM_INTERRUPT since the last KVM_RUN: run->ready_* is stale */
	pthread_t vcpu_thread;
};

#define KE(e) ((struct kvm_engine *)(e))

/* Kicks are SIGUSR1 sent to the vCPU thread. The thread keeps SIGUSR1 blocked and KVM unblocks
 * it only inside KVM_RUN (KVM_SET_SIGNAL_MASK), so a kick sent while the VMM handles an exit
 * stays pending and makes the next KVM_RUN return at once: no kick is lost, and no global
 * state is needed in a signal handler. */
#define KICK_SIGNAL SIGUSR1

static void kick_handler(int sig)
{
	(void)sig;
}

static int kvm_setup_kick_signal(struct kvm_engine *k)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL))
		return -errno;

	sigset_t block, during_run;
	sigemptyset(&block);
	sigaddset(&block, KICK_SIGNAL);
	if (pthread_sigmask(SIG_BLOCK, &block, &during_run))
		return -EINVAL;
	sigdelset(&during_run, KICK_SIGNAL);
	struct {
		struct kvm_signal_mask h;
		uint8_t set[8]; /* the kernel's sigset is 64 bits */
	} mask;
	mask.h.len = 8;
	memcpy(mask.set, &during_run, 8);
	if (ioctl(k->vcpu_fd, KVM_SET_SIGNAL_MASK, &mask) < 0)
		return -errno;
	k->vcpu_thread = pthread_self();
	return 0;
}

/* Consumes the pending kick after KVM_RUN returned EINTR, so the next run enters the guest. */
static void kvm_drain_kick(void)
{
	sigset_t set;
	struct timespec zero = { 0, 0 };
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	while (sigtimedwait(&set, NULL, &zero) == KICK_SIGNAL)
		;
}

static void fail_exit(struct vm_exit *exit, uint32_t hw, const char *fmt, unsigned long long a,
		      unsigned long long b)
{
	exit->reason = EXIT_FAIL;
	exit->fail.hw_reason = hw;
	snprintf(exit->fail.what, sizeof(exit->fail.what), fmt, a, b);
}

/* PVM quirk (docs/platform.md): STAR/LSTAR/CSTAR/SFMASK written by the guest's own (emulated)
 * wrmsr are stored, but `syscall` from CPL3 keeps using the values last set through
 * KVM_SET_MSRS: the guest's syscall lands at LSTAR still in user mode and faults. Writing the
 * guest's values back through KVM_SET_MSRS whenever they change makes `syscall` work. A guest
 * can only change them at CPL0, which always exits soon, so checking at exits suffices. */
static const uint32_t syscall_msr_index[4] = { 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084 };

static void kvm_sync_syscall_msrs(struct kvm_engine *k)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[4];
	} m;
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 4;
	for (int i = 0; i < 4; i++)
		m.e[i].index = syscall_msr_index[i];
	if (ioctl(k->vcpu_fd, KVM_GET_MSRS, &m) != 4)
		return;
	bool changed = false;
	for (int i = 0; i < 4; i++)
		changed |= m.e[i].data != k->syscall_msrs[i];
	if (!changed || ioctl(k->vcpu_fd, KVM_SET_MSRS, &m) != 4)
		return;
	for (int i = 0; i < 4; i++)
		k->syscall_msrs[i] = m.e[i].data;
}

static int kvm_run_vcpu(struct engine *e, struct vm_exit *exit)
{
	struct kvm_engine *k = KE(e);
	struct kvm_run *run = k->run;

	memset(exit, 0, sizeof(*exit));
	run->request_interrupt_window = k->window_requested;
	int rc = ioctl(k->vcpu_fd, KVM_RUN, 0);
	k->irq_queued = false;
	if (rc < 0) {
		if (errno == EINTR) {
			kvm_drain_kick();
			exit->reason = EXIT_KICKED;
			return 0;
		}
		return -errno;
	}
	kvm_sync_syscall_msrs(k);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->reason = EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		exit->reason = EXIT_MMIO;
		exit->mmio.addr = run->mmio.phys_addr;
		exit->mmio.size = run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		exit->mmio.data = run->mmio.data;
		break;
	case KVM_EXIT_HLT:
		exit->reason = EXIT_HLT;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		exit->reason = EXIT_IRQ_WINDOW;
		break;
	case KVM_EXIT_INTR:
		exit->reason = EXIT_KICKED;
		break;
	case KVM_EXIT_DEBUG:
		exit->reason = EXIT_DEBUG;
		exit->debug.dr6 = run->debug.arch.dr6;
		exit->debug.pc = run->debug.arch.pc;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		fail_exit(exit, run->exit_reason, "VM entry failed (hardware reason 0x%llx, cpu %llu)",
			  run->fail_entry.hardware_entry_failure_reason, run->fail_entry.cpu);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		fail_exit(exit, run->exit_reason, "KVM internal error (suberror %llu, %llu data words)",
			  run->internal.suberror, run->internal.ndata);
		break;
	default:
		fail_exit(exit, run->exit_reason, "unexpected KVM exit reason %llu (hardware %llx)",
			  run->exit_reason, run->hw.hardware_exit_reason);
		break;
	}
	return 0;
}

/* KVM completes a pending in/out/MMIO read on the next KVM_RUN; immediate_exit makes that run
 * return before entering the guest (the documented way to get a consistent state). */
static int kvm_complete_io(struct engine *e)
{
	struct kvm_engine *k = KE(e);
	k->run->immediate_exit = 1;
	int rc = ioctl(k->vcpu_fd, KVM_RUN, 0);
	k->run->immediate_exit = 0;
	if (rc < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static void kvm_kick(struct engine *e)
{
	pthread_kill(KE(e)->vcpu_thread, KICK_SIGNAL);
}

#define KVM_IOCTL_GET(name, req, type)                                  \
	static int name(struct engine *e, type *out)                    \
	{                                                               \
		return ioctl(KE(e)->vcpu_fd, req, out) < 0 ? -errno : 0; \
	}
#define KVM_IOCTL_SET(name, req, type)                                  \
	static int name(struct engine *e, const type *in)               \
	{                                                               \
		return ioctl(KE(e)->vcpu_fd, req, in) < 0 ? -errno : 0;  \
	}
KVM_IOCTL_GET(kvm_get_regs, KVM_GET_REGS, struct kvm_regs)
KVM_IOCTL_SET(kvm_set_regs, KVM_SET_REGS, struct kvm_regs)
KVM_IOCTL_GET(kvm_get_sregs, KVM_GET_SREGS, struct kvm_sregs)
KVM_IOCTL_SET(kvm_set_sregs, KVM_SET_SREGS, struct kvm_sregs)
KVM_IOCTL_GET(kvm_get_fpu, KVM_GET_FPU, struct kvm_fpu)
KVM_IOCTL_SET(kvm_set_fpu, KVM_SET_FPU, struct kvm_fpu)
KVM_IOCTL_GET(kvm_get_events, KVM_GET_VCPU_EVENTS, struct kvm_vcpu_events)
KVM_IOCTL_SET(kvm_set_events, KVM_SET_VCPU_EVENTS, struct kvm_vcpu_events)
KVM_IOCTL_SET(kvm_set_guest_debug, KVM_SET_GUEST_DEBUG, struct kvm_guest_debug)

static int kvm_get_msrs(struct engine *e, struct kvm_msrs *msrs)
{
	int n = ioctl(KE(e)->vcpu_fd, KVM_GET_MSRS, msrs);
	if (n < 0)
		return -errno;
	return n == (int)msrs->nmsrs ? 0 : -EINVAL;
}

static int kvm_set_msrs(struct engine *e, const struct kvm_msrs *msrs)
{
	int n = ioctl(KE(e)->vcpu_fd, KVM_SET_MSRS, msrs);
	if (n < 0)
		return -errno;
	return n == (int)msrs->nmsrs ? 0 : -EINVAL;
}

/* PVM quirk (docs/platform.md): after the guest has used `syscall`, KVM reports IF=0 at CPL3
 * while the guest runs with IF=1, and never opens an interrupt window. CPL3 code cannot run
 * with IF=0 unless IOPL=3, so at CPL3 with IOPL<3 the real IF is 1: write it back. */
static void kvm_fix_user_if(struct kvm_engine *k)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &sregs) < 0 || (sregs.cs.selector & 3) != 3)
		return;
	if (ioctl(k->vcpu_fd, KVM_GET_REGS, &regs) < 0 || ((regs.rflags >> 12) & 3) == 3)
		return;
	regs.rflags |= 1u << 9;
	(void)ioctl(k->vcpu_fd, KVM_SET_REGS, &regs);
}

static bool kvm_interruptible(struct engine *e)
{
	struct kvm_engine *k = KE(e);
	return !k->irq_queued && k->run->ready_for_interrupt_injection && k->run->if_flag;
}

static int kvm_inject_irq(struct engine *e, uint8_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };
	if (ioctl(KE(e)->vcpu_fd, KVM_INTERRUPT, &irq) < 0)
		return -errno;
	KE(e)->irq_queued = true;
	return 0;
}

static void kvm_request_irq_window(struct engine *e, bool on)
{
	struct kvm_engine *k = KE(e);
	k->window_requested = on;
	if (on && !k->irq_queued && !k->run->if_flag)
		kvm_fix_user_if(k);
}

static int kvm_get_dirty_log(struct engine *e, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };
	return ioctl(KE(e)->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0;
}

static void kvm_destroy(struct engine *e)
{
	struct kvm_engine *k = KE(e);
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	free(k);
}

static const struct engine_ops kvm_ops = {
	.name = "kvm",
	.run = kvm_run_vcpu,
	.kick = kvm_kick,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.get_sregs = kvm_get_sregs,
	.set_sregs = kvm_set_sregs,
	.get_msrs = kvm_get_msrs,
	.set_msrs = kvm_set_msrs,
	.get_fpu = kvm_get_fpu,
	.set_fpu = kvm_set_fpu,
	.get_events = kvm_get_events,
	.set_events = kvm_set_events,
	.interruptible = kvm_interruptible,
	.inject_irq = kvm_inject_irq,
	.request_irq_window = kvm_request_irq_window,
	.set_guest_debug = kvm_set_guest_debug,
	.complete_io = kvm_complete_io,
	.get_dirty_log = kvm_get_dirty_log,
	.destroy = kvm_destroy,
};

static int kvm_set_cpuid(struct kvm_engine *k, const struct cpuid_model *model)
{
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
	} c;
	memset(&c, 0, sizeof(c));
	c.h.nent = model->nent;
	memcpy(c.e, model->entries, model->nent * sizeof(c.e[0]));
	return ioctl(k->vcpu_fd, KVM_SET_CPUID2, &c) < 0 ? -errno : 0;
}

struct engine *kvm_engine_create(struct guest_mem *mem, const struct cpuid_model *cpuid,
				 char *err, int errlen)
{
	struct kvm_engine *k = calloc(1, sizeof(*k));
	const char *step = "allocating the engine";
	int rc = -ENOMEM;
	if (!k)
		goto fail;
	k->base.ops = &kvm_ops;
	k->base.mem = mem;
	k->vm_fd = k->vcpu_fd = -1;

	step = "opening /dev/kvm";
	k->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm_fd < 0) {
		rc = -errno;
		goto fail;
	}
	step = "checking the KVM API version (want 12)";
	rc = ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0);
	if (rc != KVM_API_VERSION) {
		rc = rc < 0 ? -errno : -ENOTSUP;
		goto fail;
	}
	step = "checking KVM_CAP_IMMEDIATE_EXIT";
	if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		rc = -ENOTSUP;
		goto fail;
	}
	step = "creating the VM";
	k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Intel VMX needs a TSS area below 4 GiB; other backends ignore or refuse it. */
	if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
		(void)ioctl(k->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	step = "mapping guest memory";
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = 0,
		.memory_size = mem->size,
		.userspace_addr = (uintptr_t)mem->host,
	};
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		rc = -errno;
		goto fail;
	}
	step = "creating the vCPU";
	k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
	if (k->vcpu_fd < 0) {
		rc = -errno;
		goto fail;
	}
	step = "mapping the vCPU run area";
	int sz = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) {
		rc = sz < 0 ? -errno : -EINVAL;
		goto fail;
	}
	k->run_size = sz;
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		rc = -errno;
		goto fail;
	}
	step = "setting the CPUID model";
	rc = kvm_set_cpuid(k, cpuid);
	if (rc)
		goto fail;
	step = "setting up the kick signal";
	rc = kvm_setup_kick_signal(k);
	if (rc)
		goto fail;
	return &k->base;
fail:
	snprintf(err, errlen, "kvm engine: %s: %s", step, strerror(-rc));
	if (k)
		kvm_destroy(&k->base);
	return NULL;
}

