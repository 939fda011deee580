#include "core/guest_panic.h"

#include <inttypes.h>
#include <string.h>

#include "core/vm.h"

/* x86-64 Linux (Documentation/arch/x86/x86_64/mm.rst): the kernel image is mapped in the 1 GiB
 * from __START_KERNEL_map, in 2 MiB pages; modules follow it, up to the fixmap. */
#define KERNEL_MAP_START 0xffffffff80000000ULL
#define KERNEL_MAP_END 0xffffffffc0000000ULL
#define MODULES_END 0xffffffffff000000ULL
#define KERNEL_ALIGN (2ULL << 20)
/* A kernel stack is THREAD_SIZE (16 KiB on x86-64 without KASAN), aligned to its size. */
#define STACK_SIZE (16ULL << 10)
#define MAX_FRAMES 40
#define LINUX_BANNER "Linux version "

struct panic_view {
	struct vm *vm;
	const struct symbols *syms;
	int64_t offset;			/* KASLR: running address - linked address */
	uint64_t text_start, text_end;	/* kernel code, running addresses */
	bool linux_layout;		/* the symbols are a Linux kernel's: modules may be on the stack */
};

static const struct symbol *sym_at(const struct panic_view *v, uint64_t addr)
{
	return symbols_at(v->syms, addr - (uint64_t)v->offset);
}

/* name+offset of addr; of a return address (ret), the function of the call before it: a call
 * to a function that does not return (panic) may be the last instruction of its function, so
 * the return address lies past its end. As Linux's %pB prints it. */
static const char *describe_at(const struct panic_view *v, uint64_t addr, bool ret, char *buf,
			       size_t len)
{
	const struct symbol *s = sym_at(v, ret ? addr - 1 : addr);
	if (s && s->code)
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, addr - (uint64_t)v->offset - s->addr);
	else if (v->linux_layout && addr >= KERNEL_MAP_END && addr < MODULES_END)
		snprintf(buf, len, "0x%" PRIx64 " (in a module: no symbols)", addr);
	else
		snprintf(buf, len, "0x%" PRIx64, addr);
	return buf;
}

static const char *describe(const struct panic_view *v, uint64_t addr, char *buf, size_t len)
{
	return describe_at(v, addr, false, buf, len);
}

/* The kernel image's first mapped 2 MiB page is _text (Linux clears the mappings below it at
 * boot, cleanup_highmap), so its distance from the linked _text is the KASLR offset. */
static bool find_kaslr_offset(struct panic_view *v, uint64_t linked_text, int64_t *offset)
{
	uint8_t byte;
	for (uint64_t va = KERNEL_MAP_START; va < KERNEL_MAP_END; va += KERNEL_ALIGN) {
		if (vm_read_virt(v->vm, va, &byte, 1) == 0) {
			*offset = (int64_t)(va - (linked_text & ~(KERNEL_ALIGN - 1)));
			return true;
		}
	}
	return false;
}

/* Works out where the symbols' kernel runs and says so. False when the symbols do not
 * describe the running kernel: then nothing is named. */
static bool place_symbols(struct panic_view *v, FILE *out)
{
	const struct symbols *s = v->syms;
	const struct symbol *text = symbols_find(s, "_text"), *banner = symbols_find(s, "linux_banner");
	v->linux_layout = text && banner;
	if (!s->n) {
		fprintf(out, "  no kernel symbols (a bzImage has none: give --symbols vmlinux or System.map)\n");
		return false;
	}
	if (!v->linux_layout) {
		fprintf(out, "  symbols: the kernel's own, at the addresses it was linked at\n");
	} else if (find_kaslr_offset(v, text->addr, &v->offset)) {
		fprintf(out, "  symbols: KASLR offset 0x%" PRIx64 "%s (the kernel's mapping of _text)\n",
			(uint64_t)v->offset, v->offset ? "" : ": not randomized (nokaslr)");
	} else {
		fprintf(out, "  symbols: the kernel image is not mapped where Linux maps it; not used\n");
		return false;
	}
	char got[sizeof(LINUX_BANNER) - 1];
	if (banner && (vm_read_virt(v->vm, banner->addr + (uint64_t)v->offset, got, sizeof(got)) ||
		       memcmp(got, LINUX_BANNER, sizeof(got)))) {
		fprintf(out, "  symbols: they are not the running kernel's (no \"%s\" at linux_banner); "
			     "not used\n", LINUX_BANNER);
		return false;
	}
	const struct symbol *stext = symbols_find(s, "_stext"), *etext = symbols_find(s, "_etext");
	if (stext && etext) {
		v->text_start = stext->addr + (uint64_t)v->offset;
		v->text_end = etext->addr + (uint64_t)v->offset;
	} else {
		v->text_start = UINT64_MAX;
		for (size_t i = 0; i < s->n; i++) {
			if (!s->sym[i].code)
				continue;
			v->text_start = s->sym[i].addr < v->text_start ? s->sym[i].addr : v->text_start;
			v->text_end = s->sym[i].addr + s->sym[i].size;
		}
	}
	return true;
}

enum call_kind { NO_CALL, DIRECT_CALL, INDIRECT_CALL };

/* Whether a call instruction ends at ret, and for a direct one (E8 rel32) its target. An
 * indirect call (FF /2, with or without a REX prefix, register or memory operand of 0 to 4
 * displacement bytes) has no target to check; nor has a call to a retpoline thunk. */
static enum call_kind call_before(const struct panic_view *v, uint64_t ret, uint64_t *target)
{
	uint8_t b[7];
	if (vm_read_virt(v->vm, ret - sizeof(b), b, sizeof(b)))
		return NO_CALL;
	if (b[2] == 0xe8) {
		int32_t rel;
		memcpy(&rel, b + 3, 4);
		*target = ret + (uint64_t)(int64_t)rel;
		const struct symbol *s = sym_at(v, *target);
		if (s && !strncmp(s->name, "__x86_indirect_thunk_", 21))
			return INDIRECT_CALL;
		return DIRECT_CALL;
	}
	static const int lengths[] = { 2, 3, 6, 7 };
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		const uint8_t *c = b + sizeof(b) - lengths[i];
		if ((c[0] & 0xf0) == 0x40 && lengths[i] > 2)
			c++; /* REX */
		if (c[0] == 0xff && (c[1] & 0x38) == 0x10)
			return INDIRECT_CALL;
	}
	return NO_CALL;
}

static bool in_text(const struct panic_view *v, uint64_t addr)
{
	return (addr >= v->text_start && addr < v->text_end) ||
	       (v->linux_layout && addr >= KERNEL_MAP_END && addr < MODULES_END);
}

/* A direct call to the start of the function that holds addr, or whose cold part (GCC's
 * NAME.cold, never called itself) holds it. */
static bool calls_into(const struct panic_view *v, enum call_kind kind, uint64_t target, uint64_t addr)
{
	const struct symbol *callee = sym_at(v, target), *holder = sym_at(v, addr);
	if (kind != DIRECT_CALL || !callee || !holder || target - (uint64_t)v->offset != callee->addr)
		return false;
	size_t n = strlen(callee->name);
	return callee == holder ||
	       (!strncmp(holder->name, callee->name, n) && !strcmp(holder->name + n, ".cold"));
}

struct frame {
	uint64_t ret, target;
	enum call_kind kind;
	bool reliable;
};

static int scan_stack(const struct panic_view *v, uint64_t rsp, struct frame *f, int max)
{
	uint64_t end = (rsp | (STACK_SIZE - 1)) + 1;
	int n = 0;
	for (uint64_t at = rsp & ~7ULL; at < end && n < max; at += 8) {
		uint64_t word;
		if (vm_read_virt(v->vm, at, &word, sizeof(word)))
			break;
		if (!in_text(v, word))
			continue;
		f[n].kind = call_before(v, word, &f[n].target);
		if (f[n].kind == NO_CALL)
			continue;
		f[n].ret = word;
		f[n].reliable = false;
		n++;
	}
	return n;
}

/* How far past an indirect call the frame that calls its function may be (locals and saved
 * registers in between may look like return addresses). */
#define INDIRECT_LOOKAHEAD 4

/* A frame is on the call chain when its direct call leads into the function of the chain's
 * last frame (RIP's at first). An indirect call cannot say where it went: its frame is on the
 * chain when it comes right after the chain's last frame and a frame soon after calls its
 * function directly. Anything else is stale data or an unproven frame: '?'. */
static void mark_chain(const struct panic_view *v, uint64_t rip, struct frame *f, int n)
{
	uint64_t anchor = rip;
	bool adjacent = true; /* no frame between the chain's last one and this one */
	for (int i = 0; i < n; i++) {
		f[i].reliable = calls_into(v, f[i].kind, f[i].target, anchor);
		for (int j = i + 1; !f[i].reliable && adjacent && f[i].kind == INDIRECT_CALL && j < n &&
				    j <= i + INDIRECT_LOOKAHEAD; j++)
			f[i].reliable = calls_into(v, f[j].kind, f[j].target, f[i].ret - 1);
		adjacent = f[i].reliable;
		if (f[i].reliable)
			anchor = f[i].ret - 1; /* the call instruction's own function */
	}
}

void guest_panic_report(struct vm *vm, FILE *out)
{
	struct kvm_regs r;
	fprintf(out, "rewind: the guest kernel panicked (pvpanic) at exit %" PRIu64 ", guest time %.6f s\n",
		vm->exits, (double)vm->clock.last / 1e9);
	if (vm->engine->ops->get_regs(vm->engine, &r)) {
		fprintf(out, "  (vCPU state unavailable)\n");
		return;
	}
	struct panic_view v = { .vm = vm, .syms = &vm->syms };
	struct symbols none = { 0 };
	char name[160];
	bool named = place_symbols(&v, out);
	if (!named)
		v.syms = &none; /* name nothing rather than something wrong */
	fprintf(out, "  RIP %016llx %s (the pvpanic notifier's write)\n", r.rip,
		describe(&v, r.rip, name, sizeof(name)));
	if (!named)
		return;
	struct frame f[MAX_FRAMES];
	int n = scan_stack(&v, r.rsp, f, MAX_FRAMES);
	mark_chain(&v, r.rip, f, n);
	const struct symbol *panic = symbols_find(v.syms, "panic");
	for (int i = 0; panic && i < n; i++) {
		if (f[i].kind == DIRECT_CALL && f[i].target - (uint64_t)v.offset == panic->addr) {
			uint64_t call = f[i].ret - 5;
			fprintf(out, "  panic() called at %016" PRIx64 " %s\n", call,
				describe(&v, call, name, sizeof(name)));
			break;
		}
	}
	fprintf(out, "  call trace (a scan of the kernel stack from RSP %016llx; '?': not proven "
		     "by the chain of calls):\n", r.rsp);
	fprintf(out, "    %s\n", describe(&v, r.rip, name, sizeof(name)));
	for (int i = 0; i < n; i++)
		fprintf(out, "    %s%s\n", f[i].reliable ? "" : "? ",
			describe_at(&v, f[i].ret, true, name, sizeof(name)));
}
