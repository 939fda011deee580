#include "core/pagewalk.h"

#include "core/x86.h"

#include <errno.h>
#include <string.h>

#define PTE_P (1ULL << 0)
#define PTE_PS (1ULL << 7)
/* Bits 51:12 hold the next table or page frame (MAXPHYADDR is at most 52). */
#define PTE_ADDR 0x000ffffffffff000ULL

/* One paging mode as a table: how many levels, where each level's index sits in va, and at
 * which levels a set PS bit ends the walk with a large page. */
struct paging_mode {
	int levels;
	int entry_size;		/* 4 (32-bit paging) or 8 */
	int index_bits;		/* bits of va per level below the top */
	int top_shift;		/* shift of the top level's index */
	int top_bits;
	unsigned large_ok;	/* bit n set: PS at level n (0 = top) maps a large page */
	unsigned ps_reserved;	/* bit n set: PS at level n is a reserved bit: the walk faults */
	int va_bits;		/* canonical width in long mode, 0 otherwise */
};

/* Without CR4.PSE the PDE's PS bit is ignored, not reserved. */
static const struct paging_mode mode_32 = { 2, 4, 10, 22, 10, 1u << 0, 0, 0 };
static const struct paging_mode mode_32_nopse = { 2, 4, 10, 22, 10, 0, 0, 0 };
static const struct paging_mode mode_pae = { 3, 8, 9, 30, 2, 1u << 1, 1u << 0, 0 };
static const struct paging_mode mode_4level = { 4, 8, 9, 39, 9, (1u << 1) | (1u << 2), 1u << 0, 48 };
static const struct paging_mode mode_5level = { 5, 8, 9, 48, 9, (1u << 2) | (1u << 3),
						(1u << 0) | (1u << 1), 57 };

static const struct paging_mode *paging_mode(const struct pagewalk_cpu *cpu)
{
	if (cpu->efer & EFER_LMA)
		return (cpu->cr4 & CR4_LA57) ? &mode_5level : &mode_4level;
	if (cpu->cr4 & CR4_PAE)
		return &mode_pae;
	return (cpu->cr4 & CR4_PSE) ? &mode_32 : &mode_32_nopse;
}

static int canonical(uint64_t va, int bits)
{
	int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == va;
}

/* The frame of a 4 MiB page in 32-bit paging: bits 31:22 of the PDE, plus PSE-36's bits 20:13
 * as physical bits 39:32. */
static uint64_t pse_frame(uint64_t pde)
{
	return (pde & 0xffc00000ULL) | ((pde & 0x001fe000ULL) << 19);
}

int pagewalk(const struct pagewalk_cpu *cpu, pagewalk_read_fn read, void *opaque, uint64_t va,
	     struct pagewalk *w)
{
	memset(w, 0, sizeof(*w));
	if (!(cpu->cr0 & CR0_PG)) {
		w->gpa = va;
		w->page_size = 4096;
		return 0;
	}
	const struct paging_mode *m = paging_mode(cpu);
	if (m->va_bits) {
		if (!canonical(va, m->va_bits))
			return -EINVAL;
	} else {
		va &= 0xffffffffULL;
	}

	uint64_t table = m->entry_size == 4 ? (cpu->cr3 & 0xfffff000ULL)
			 : m->levels == 3   ? (cpu->cr3 & 0xffffffe0ULL)
					    : (cpu->cr3 & PTE_ADDR);
	int shift = m->top_shift, bits = m->top_bits;
	for (int level = 0; level < m->levels; level++) {
		uint64_t index = (va >> shift) & ((1ULL << bits) - 1);
		uint64_t egpa = table + index * (uint64_t)m->entry_size, e = 0;
		if (m->entry_size == 4) {
			uint32_t e32;
			if (read(opaque, egpa, &e32, 4))
				return -EIO;
			e = e32;
		} else if (read(opaque, egpa, &e, 8)) {
			return -EIO;
		}
		w->entry[level] = e;
		w->entry_gpa[level] = egpa;
		w->levels = level + 1;
		if (!(e & PTE_P))
			return -EFAULT;

		uint64_t size = 1ULL << shift;
		int last = level == m->levels - 1;
		if ((e & PTE_PS) && (m->ps_reserved & (1u << level)))
			return -EFAULT;
		if ((e & PTE_PS) && (m->large_ok & (1u << level))) {
			uint64_t frame = m->entry_size == 4 ? pse_frame(e) : (e & PTE_ADDR & ~(size - 1));
			w->gpa = frame | (va & (size - 1));
			w->page_size = size;
			return 0;
		}
		uint64_t next = m->entry_size == 4 ? (e & 0xfffff000ULL) : (e & PTE_ADDR);
		if (last) {
			w->gpa = next | (va & (size - 1));
			w->page_size = size;
			return 0;
		}
		table = next;
		shift -= m->index_bits;
		bits = m->index_bits;
	}
	return -EFAULT;	/* not reached: the last level always returns */
}

long pagewalk_copy(const struct pagewalk_cpu *cpu, pagewalk_read_fn read, pagewalk_write_fn write,
		   void *opaque, uint64_t va, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		struct pagewalk w;
		uint64_t cur = va + done;
		int rc = pagewalk(cpu, read, opaque, cur, &w);
		if (rc)
			return done ? (long)done : rc;
		uint64_t in_page = w.page_size - (w.gpa & (w.page_size - 1));
		size_t n = len - done < in_page ? len - done : (size_t)in_page;
		uint8_t *p = (uint8_t *)buf + done;
		if (write ? write(opaque, w.gpa, p, n) : read(opaque, w.gpa, p, n))
			return done ? (long)done : -EIO;
		done += n;
	}
	return (long)done;
}
