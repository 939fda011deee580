/* What the protocol loaders (core/boot_pvh.c, core/boot_linux.c) share: the machine's memory
 * map, the command line, and where the initrd goes. core/loader.c has the code. */
#ifndef REWIND_LOADER_PRIV_H
#define REWIND_LOADER_PRIV_H
#include "core/loader.h"

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2
#define BOOT_MEMMAP_MAX 4

struct boot_memmap_entry {
	uint64_t addr, size;
	uint32_t type;
};

/* Formats a reason into err and returns BOOT_EKERNEL. */
int loader_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The machine's memory map as both protocols report it (PC layout: low RAM, EBDA and BIOS
 * holes, RAM from 1 MiB up). Fills map[BOOT_MEMMAP_MAX] and returns the entry count. */
int loader_memory_map(const struct guest_mem *mem, struct boot_memmap_entry *map);
/* The command line, or "". BOOT_EKERNEL when it is longer than `max` bytes (the kernel's limit). */
int loader_check_cmdline(const struct boot_files *f, size_t max, char *err, size_t errlen);
void loader_write_cmdline(struct guest_mem *mem, const struct boot_files *f);
/* Chooses where the initrd goes: as high as possible (where a kernel expects it and least in
 * the way of its own use of memory), page aligned, above `floor` (the end of what the kernel
 * occupies while it starts) and ending at or below `ceiling`. Writes nothing. Returns 0 and
 * sets out->initrd_*, also with no initrd (both 0), or BOOT_EINITRD with the reason. */
int loader_place_initrd(const struct guest_mem *mem, const struct boot_files *f, uint64_t floor,
			uint64_t ceiling, struct boot_info *out, char *err, size_t errlen);
void loader_write_initrd(struct guest_mem *mem, const struct boot_files *f,
			 const struct boot_info *boot);

#endif
