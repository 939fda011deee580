/* Booting: which protocol a kernel image speaks, and what the protocols share (memory map,
 * command line, initrd placement). */
#include "core/loader.h"
#include "core/loader_priv.h"
#include "core/memory.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int loader_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return BOOT_EKERNEL;
}

int loader_memory_map(const struct guest_mem *mem, struct boot_memmap_entry *map)
{
	const struct boot_memmap_entry pc[BOOT_MEMMAP_MAX] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x400, E820_RESERVED },	/* where a BIOS keeps its EBDA */
		{ 0xf0000, 0x10000, E820_RESERVED },	/* the BIOS ROM */
		{ 0x100000, mem->size - 0x100000, E820_RAM },
	};
	memcpy(map, pc, sizeof(pc));
	return BOOT_MEMMAP_MAX;
}

int loader_check_cmdline(const struct boot_files *f, size_t max, char *err, size_t errlen)
{
	size_t len = f->cmdline ? strlen(f->cmdline) : 0;
	if (max >= BOOT_CMDLINE_MAX)
		max = BOOT_CMDLINE_MAX - 1;
	if (len > max)
		return loader_fail(err, errlen, "the command line is %zu bytes, the kernel takes at most %zu",
				   len, max);
	return 0;
}

void loader_write_cmdline(struct guest_mem *mem, const struct boot_files *f)
{
	memset(mem->host + BOOT_CMDLINE_GPA, 0, BOOT_CMDLINE_MAX);
	if (f->cmdline)
		memcpy(mem->host + BOOT_CMDLINE_GPA, f->cmdline, strlen(f->cmdline));
}

int loader_place_initrd(const struct guest_mem *mem, const struct boot_files *f, uint64_t floor,
			uint64_t ceiling, struct boot_info *out, char *err, size_t errlen)
{
	out->initrd_start = out->initrd_size = 0;
	if (!f->initrd)
		return 0;
	if (!f->initrd_len) {
		snprintf(err, errlen, "the initrd is empty");
		return BOOT_EINITRD;
	}
	uint64_t top = ceiling < mem->size ? ceiling : mem->size;
	floor = (floor + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t start = top >= f->initrd_len ? (top - f->initrd_len) & ~(PAGE_SIZE - 1) : 0;
	if (top < f->initrd_len || start < floor) {
		snprintf(err, errlen,
			 "the initrd (%zu bytes, %.1f MiB) does not fit in guest RAM: %.1f MiB are free "
			 "between the kernel's end at %.1f MiB and %.1f MiB (give the VM more with -m)",
			 f->initrd_len, f->initrd_len / 1048576.0,
			 top > floor ? (top - floor) / 1048576.0 : 0.0, floor / 1048576.0, top / 1048576.0);
		return BOOT_EINITRD;
	}
	out->initrd_start = start;
	out->initrd_size = f->initrd_len;
	return 0;
}

void loader_write_initrd(struct guest_mem *mem, const struct boot_files *f,
			 const struct boot_info *boot)
{
	if (boot->initrd_size)
		memcpy(guest_mem_ptr(mem, boot->initrd_start, boot->initrd_size), f->initrd,
		       boot->initrd_size);
}

int boot_load(struct guest_mem *mem, const struct boot_files *files, struct boot_info *out,
	      char *err, size_t errlen)
{
	char why[400];
	int rc;
	/* An ELF is PVH's; anything else must be a bzImage to be bootable. */
	if (files->kernel_len >= SELFMAG && !memcmp(files->kernel, ELFMAG, SELFMAG))
		rc = pvh_load(mem, files, out, why, sizeof(why));
	else if (linux_is_bzimage(files->kernel, files->kernel_len))
		rc = linux_load(mem, files, out, why, sizeof(why));
	else
		rc = loader_fail(why, sizeof(why),
				 "not a kernel rewind can boot: neither an ELF (no \\177ELF magic) nor a "
				 "bzImage (no Linux boot header: 0xAA55 at 0x1fe)");
	if (rc)
		snprintf(err, errlen, "%s: %s", rc == BOOT_EINITRD ? files->initrd_name : files->kernel_name,
			 why);
	return rc;
}

void boot_initial_state(const struct boot_info *boot, struct kvm_regs *regs,
			struct kvm_sregs *sregs)
{
	if (boot->protocol == BOOT_LINUX64)
		linux_initial_state(boot, regs, sregs);
	else
		pvh_initial_state(boot, regs, sregs);
}
