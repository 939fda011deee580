/* Guest page-table walker: translates a guest-virtual address to guest-physical the way the
 * MMU would for the vCPU's current CR0/CR3/CR4/EFER, reading the tables through a callback so it
 * never touches memory outside guest RAM. It only reads: accessed/dirty bits are left alone, and
 * permission bits (R/W, U/S, NX) are not checked, because a debugger may look at any mapped page.
 * Modes: paging off (identity), 32-bit (4 KiB and 4 MiB PSE pages), PAE, 4-level and 5-level
 * long mode (4 KiB, 2 MiB and 1 GiB pages). */
#ifndef REWIND_PAGEWALK_H
#define REWIND_PAGEWALK_H
#include <stddef.h>
#include <stdint.h>

#define PAGEWALK_MAX_LEVELS 5

struct pagewalk_cpu {
	uint64_t cr0, cr3, cr4, efer;
};

/* Reads len bytes of guest-physical memory; returns 0, or -1 when the range is not all RAM. */
typedef int (*pagewalk_read_fn)(void *opaque, uint64_t gpa, void *buf, size_t len);

struct pagewalk {
	uint64_t gpa;		/* the translation of va */
	uint64_t page_size;	/* size of the page that maps va (4 KiB when paging is off) */
	int levels;		/* table entries read, top level first */
	uint64_t entry[PAGEWALK_MAX_LEVELS];
	uint64_t entry_gpa[PAGEWALK_MAX_LEVELS];
};

/* Returns 0 with *w filled, or:
 *   -EFAULT  an entry on the way is not present, or has a reserved page-size bit;
 *   -EINVAL  va is not canonical for the paging mode;
 *   -EIO     a table (or the PAE PDPT) lies outside guest RAM.
 * On error *w still holds the entries read so far (for crash reports). */
int pagewalk(const struct pagewalk_cpu *cpu, pagewalk_read_fn read, void *opaque, uint64_t va,
	     struct pagewalk *w);

/* Copies guest-virtual [va, va+len) into buf, or buf into it when write is set, one page at a
 * time. Returns the number of bytes done before the first unmapped or non-RAM page (so 0 when
 * va itself is unmapped), or a negative errno when nothing could be done and the reason is known. */
typedef int (*pagewalk_write_fn)(void *opaque, uint64_t gpa, const void *buf, size_t len);
long pagewalk_copy(const struct pagewalk_cpu *cpu, pagewalk_read_fn read, pagewalk_write_fn write,
		   void *opaque, uint64_t va, void *buf, size_t len);

#endif
