/* Boot loaders. PVH: an ELF kernel with a XEN_ELFNOTE_PHYS32_ENTRY note is loaded at its
 * physical addresses and entered in 32-bit protected mode with EBX pointing at an
 * hvm_start_info (command line, memory map), as the Xen PVH boot ABI specifies. */
#ifndef REWIND_LOADER_H
#define REWIND_LOADER_H
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem;

/* Where the loader puts the boot information (below the kernel, which links at >= 1 MiB). */
#define BOOT_START_INFO_GPA 0x7000ULL
#define BOOT_MEMMAP_GPA 0x7100ULL
#define BOOT_CMDLINE_GPA 0x8000ULL
#define BOOT_CMDLINE_MAX 4096

struct boot_info {
	uint64_t entry;		/* 32-bit PVH entry point */
	uint64_t kernel_start;	/* lowest and highest physical byte loaded */
	uint64_t kernel_end;
};

/* Loads the PVH ELF image (bytes, len) into guest memory and writes the start info.
 * Returns 0, or -1 with a one-line reason in err. */
int pvh_load(struct guest_mem *mem, const uint8_t *image, size_t len, const char *cmdline,
	     struct boot_info *out, char *err, size_t errlen);
/* The vCPU state the PVH ABI specifies at the entry point. */
void pvh_initial_state(const struct boot_info *boot, struct kvm_regs *regs, struct kvm_sregs *sregs);

#endif
