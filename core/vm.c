/* Creating, booting and tearing down the machine. The run loop is in core/vcpu_loop.c. */
#define _GNU_SOURCE /* pipe2 */
#include "core/vm.h"
#include "core/acpi_tables.h"
#include "core/waker.h"
#include "core/pagewalk.h"
#include "core/soft_engine.h"
#include "core/x86.h"
#include "record/recorder.h"
#include "replay/replayer.h"
#include "traces/events.h"


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t host_clock_read(void *ctx)
{
	struct vm *vm = ctx;
	return host_now_ns() - vm->clock_origin_ns;
}

uint64_t vm_guest_ns(const struct vm *vm)
{
	if (vm->rep)
		return vm->clock.last;
	return host_now_ns() - vm->clock_origin_ns;
}

static void console_tx(void *ctx, uint8_t byte)
{
	struct vm *vm = ctx;
	if (vm->rec)
		recorder_event(vm->rec, EV_CONSOLE, vm_pos(vm), &byte, 1);
	else if (vm->rep)
		replayer_expect(vm->rep, EV_CONSOLE, &byte, 1);
	fputc(byte, vm->cfg.console);
	if (byte == '\n')
		fflush(vm->cfg.console);
}

static void guest_exit(void *ctx, uint32_t value)
{
	struct vm *vm = ctx;
	uint8_t p[4];
	size_t n = ev_u32_encode(p, value & 0xff);
	if (vm->rec)
		recorder_event(vm->rec, EV_EXIT, vm_pos(vm), p, n);
	else if (vm->rep)
		replayer_expect(vm->rep, EV_EXIT, p, n);
	if (vm->stop != VM_RUNNING)
		return; /* the replay diverged */
	vm->stop = VM_STOP_GUEST_EXIT;
	vm->status = value & 0xff;
}

static void guest_reset(void *ctx)
{
	struct vm *vm = ctx;
	vm->stop = VM_STOP_RESET;
	vm->status = STATUS_GUEST_RESET;
}

/* pvpanic: a panic stops the VM (as QEMU's -action panic=exit-failure does) and vm_run reports
 * it from the guest's state. "Crash loaded" says a kdump kernel takes the panic over: the
 * guest goes on. */
static void guest_panic_event(void *ctx, uint8_t event)
{
	struct vm *vm = ctx;
	if (event != PVPANIC_PANICKED)
		return;
	/* Logged, as a guest exit is: the replay meets it at the same exit, and a replay whose
	 * guest did not panic there has diverged. */
	if (vm->rec)
		recorder_event(vm->rec, EV_PANIC, vm_pos(vm), &event, 1);
	else if (vm->rep)
		replayer_expect(vm->rep, EV_PANIC, &event, 1);
	if (vm->stop != VM_RUNNING)
		return; /* the replay diverged */
	vm->stop = VM_STOP_GUEST_PANIC;
	vm->status = STATUS_GUEST_PANIC;
}

/* ACPI S5: the guest shut the machine down, as a run that ended well. */
static void guest_power_off(void *ctx)
{
	guest_exit(ctx, 0);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int vm_add_devices(struct vm *vm)
{
	int rc;
	if ((rc = pic_init(&vm->pic, &vm->bus, NULL, NULL)) ||
	    (rc = pit_init(&vm->pit, &vm->bus, &vm->clock, pic_line(&vm->pic, 0))) ||
	    (rc = uart_init(&vm->uart, &vm->bus, 0x3f8, pic_line(&vm->pic, 4), console_tx, vm)) ||
	    (rc = rtc_init(&vm->rtc, &vm->bus, &vm->clock, pic_line(&vm->pic, 8))) ||
	    (rc = debug_exit_init(&vm->debug_exit, &vm->bus, guest_exit, vm)) ||
	    (rc = port80_init(&vm->port80, &vm->bus)) ||
	    (rc = reset_init(&vm->reset, &vm->bus, guest_reset, vm)))
		return rc;
	vm->devices[vm->ndevices++] = pic_device(&vm->pic);
	vm->devices[vm->ndevices++] = pit_device(&vm->pit);
	vm->devices[vm->ndevices++] = uart_device(&vm->uart);
	vm->devices[vm->ndevices++] = rtc_device(&vm->rtc);
	vm->devices[vm->ndevices++] = debug_exit_device(&vm->debug_exit);
	vm->devices[vm->ndevices++] = port80_device(&vm->port80);
	vm->devices[vm->ndevices++] = reset_device(&vm->reset);
	if (vm->cfg.legacy_machine)
		return 0;
	if ((rc = acpi_pm_init(&vm->acpi_pm, &vm->bus, guest_power_off, vm)) ||
	    (rc = pci_host_init(&vm->pci_host, &vm->bus)))
		return rc;
	vm->devices[vm->ndevices++] = acpi_pm_device(&vm->acpi_pm);
	vm->devices[vm->ndevices++] = pci_host_device(&vm->pci_host);
	if (vm->cfg.without_pvpanic)
		return 0;
	if ((rc = pvpanic_init(&vm->pvpanic, &vm->bus, guest_panic_event, vm)))
		return rc;
	vm->devices[vm->ndevices++] = pvpanic_device(&vm->pvpanic);
	return 0;
}

static struct engine *create_engine(struct vm *vm, char *err, size_t errlen)
{
	if (!strcmp(vm->cfg.engine, "kvm"))
		return kvm_engine_create(&vm->mem, &vm->cpuid, err, (int)errlen);
	if (!strcmp(vm->cfg.engine, "soft")) {
		struct engine *e = soft_engine_create(&vm->mem, &vm->cpuid, err, (int)errlen);
		if (e)
			soft_engine_set_mmio_handler(e, vm_serve_mmio, vm);
		return e;
	}
	snprintf(err, errlen, "unknown engine '%s' (kvm or soft)", vm->cfg.engine);
	return NULL;
}

int vm_new_engine(struct vm *vm, char *err, size_t errlen)
{
	struct engine *e = create_engine(vm, err, errlen);
	if (!e)
		return -1;
	vm->engine->ops->destroy(vm->engine);
	vm->engine = e;
	vm->debug.dirty = true;
	vm->irq_window = false;
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, char *err, size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->cfg.host = host_kind_detect(cfg->engine);
	vm->cfg.serial_in_fd = cfg->serial_in_fd;
	pthread_mutex_init(&vm->host.lock, NULL);
	pthread_cond_init(&vm->host.cond, NULL);
	atomic_init(&vm->host.deadline_ns, DEADLINE_NONE);
	atomic_init(&vm->host.grace_ns, WAKER_GRACE_NS);
	if (cfg->chaos)
		chaos_init(&vm->chaos, cfg->chaos_seed);
	if (pipe2(vm->host.wake_pipe, O_CLOEXEC | O_NONBLOCK))
		return fail(err, errlen, "cannot create the waker's pipe: %s", strerror(errno));
	vm->host.wake_pipe_open = true;
	vm_debug_init(&vm->debug);

	int rc = guest_mem_init(&vm->mem, cfg->mem_size);
	if (rc)
		return fail(err, errlen, "cannot allocate %llu MiB of guest RAM: %s",
			    (unsigned long long)(cfg->mem_size >> 20), strerror(-rc));
	cpuid_model_default(&vm->cpuid);
	vm->engine = create_engine(vm, err, errlen);
	if (!vm->engine)
		return -1;

	bus_init(&vm->bus, stderr);
	vm->clock_origin_ns = host_now_ns();
	vm->clock.read = host_clock_read;
	vm->clock.ctx = vm;
	vm->clock.epoch_at_boot = time(NULL);
	rc = vm_add_devices(vm);
	if (rc)
		return fail(err, errlen, "cannot set up the devices: %s", strerror(-rc));
	return 0;
}

int vm_boot(struct vm *vm, const struct boot_files *files, char *err, size_t errlen)
{
	struct boot_files f = *files;
	f.cmdline = vm->cfg.cmdline;
	if (!vm->cfg.legacy_machine) {
		int rc = acpi_tables_install(&vm->mem, !vm->cfg.without_pvpanic);
		if (rc)
			return fail(err, errlen, "cannot write the ACPI tables: %s", strerror(-rc));
		f.acpi_rsdp = ACPI_RSDP_GPA;
	}
	if (boot_load(&vm->mem, &f, &vm->boot, err, errlen))
		return -1;
	int rc = symbols_load(&vm->syms, f.kernel, f.kernel_len);
	if (rc)
		return fail(err, errlen, "%s: reading the kernel's symbols: %s", f.kernel_name, strerror(-rc));
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	const struct engine_ops *ops = vm->engine->ops;
	if ((rc = ops->get_sregs(vm->engine, &sregs)))
		return fail(err, errlen, "reading the initial vCPU state: %s", strerror(-rc));
	boot_initial_state(&vm->boot, &regs, &sregs);
	if ((rc = ops->set_sregs(vm->engine, &sregs)) || (rc = ops->set_regs(vm->engine, &regs)))
		return fail(err, errlen, "setting the vCPU state at the kernel's entry: %s", strerror(-rc));
	return 0;
}

int vm_load_symbols(struct vm *vm, const char *path, char *err, size_t errlen)
{
	struct symbols syms;
	if (symbols_load_file(&syms, path, err, errlen))
		return -1;
	symbols_free(&vm->syms);
	vm->syms = syms;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	waker_stop(vm);
	if (vm->engine)
		vm->engine->ops->destroy(vm->engine);
	vm->engine = NULL;
	symbols_free(&vm->syms);
	dirty_free(&vm->dirty);
	landing_free(&vm->landing);
	guest_mem_free(&vm->mem);
	pthread_mutex_destroy(&vm->host.lock);
	pthread_cond_destroy(&vm->host.cond);
	if (vm->host.wake_pipe_open) {
		close(vm->host.wake_pipe[0]);
		close(vm->host.wake_pipe[1]);
		vm->host.wake_pipe_open = false;
	}
}

bool vm_request_stop(struct vm *vm, int by)
{
	int none = 0;
	if (!atomic_compare_exchange_strong(&vm->host.stop_request, &none, by))
		return false;
	waker_poke(vm); /* the waker wakes a halted vCPU */
	return true;
}

int vm_stop_status(int by)
{
	return by == VM_STOP_BY_ESCAPE ? STATUS_STOPPED_BY_ESCAPE : STATUS_STOPPED_BY_SIGNAL + by;
}

static int read_phys(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct vm *vm = opaque;
	const void *p = guest_mem_ptr(&vm->mem, gpa, len);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

int vm_read_virt(struct vm *vm, uint64_t va, void *buf, size_t len)
{
	struct kvm_sregs s;
	if (vm->engine->ops->get_sregs(vm->engine, &s))
		return -1;
	struct pagewalk_cpu cpu = { s.cr0, s.cr3, s.cr4, s.efer };
	return pagewalk_copy(&cpu, read_phys, NULL, vm, va, buf, len) == (long)len ? 0 : -1;
}

bool vm_user_page(struct vm *vm, uint64_t va)
{
	struct kvm_sregs s;
	struct pagewalk w;
	if (vm->engine->ops->get_sregs(vm->engine, &s) || !(s.cr0 & CR0_PG))
		return false;
	struct pagewalk_cpu cpu = { s.cr0, s.cr3, s.cr4, s.efer };
	if (pagewalk(&cpu, read_phys, vm, va, &w))
		return false;
	for (int i = 0; i < w.levels; i++)
		if (!(w.entry[i] & PTE_USER))
			return false;
	return true;
}

static void dump_segment(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "%-3s %04x base %016llx limit %08x type %x dpl %d %s%s%s\n", name, s->selector,
		(unsigned long long)s->base, s->limit, s->type, s->dpl, s->present ? "P" : "-",
		s->l ? " L" : "", s->db ? " D" : "");
}

void vm_dump_state(struct vm *vm, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	char sym[160];
	if (!vm->engine || vm->engine->ops->get_regs(vm->engine, &r) ||
	    vm->engine->ops->get_sregs(vm->engine, &s)) {
		fprintf(out, "  (vCPU state unavailable)\n");
		return;
	}
	fprintf(out, "RIP %016llx  %s\n", (unsigned long long)r.rip,
		symbols_describe(&vm->syms, r.rip, sym, sizeof(sym)));
	uint8_t code[16];
	if (vm_read_virt(vm, r.rip, code, sizeof(code)) == 0) {
		fprintf(out, "code at RIP:");
		for (size_t i = 0; i < sizeof(code); i++)
			fprintf(out, " %02x", code[i]);
		fprintf(out, "\n");
	}
	fprintf(out, "RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n", r.rax, r.rbx, r.rcx, r.rdx);
	fprintf(out, "RSI %016llx RDI %016llx RBP %016llx RSP %016llx\n", r.rsi, r.rdi, r.rbp, r.rsp);
	fprintf(out, "R8  %016llx R9  %016llx R10 %016llx R11 %016llx\n", r.r8, r.r9, r.r10, r.r11);
	fprintf(out, "R12 %016llx R13 %016llx R14 %016llx R15 %016llx\n", r.r12, r.r13, r.r14, r.r15);
	fprintf(out, "RFLAGS %08llx  CR0 %08llx CR2 %016llx CR3 %016llx CR4 %08llx EFER %llx\n",
		r.rflags, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	dump_segment(out, "CS", &s.cs);
	dump_segment(out, "SS", &s.ss);
	dump_segment(out, "DS", &s.ds);
	dump_segment(out, "TR", &s.tr);
	fprintf(out, "GDT %016llx/%x IDT %016llx/%x  exits %llu  interrupts injected %llu\n",
		s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit, (unsigned long long)vm->exits,
		(unsigned long long)vm->irqs_injected);
}
