/* Boot loaders: put a kernel (and an initrd) into guest memory with the boot information its
 * boot protocol specifies, and give the vCPU state it is entered with. Two protocols, told
 * apart by the image's magic:
 * - PVH (core/boot_pvh.c): an ELF kernel with a XEN_ELFNOTE_PHYS32_ENTRY note, loaded at its
 *   physical addresses and entered in 32-bit protected mode with EBX pointing at an
 *   hvm_start_info (command line, memory map, the initrd as module 0), per the Xen PVH ABI.
 * - Linux (core/boot_linux.c): a bzImage, per the Linux x86 boot protocol's 64-bit entry:
 *   the protected-mode kernel loaded at its preferred address, a zero page (boot_params) with
 *   the e820 map, command line and initrd, and startup_64 (load address + 0x200) entered in
 *   long mode on identity page tables, RSI = boot_params. */
#ifndef REWIND_LOADER_H
#define REWIND_LOADER_H
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem;

/* Where the loader puts the boot information: below 64 KiB, under any kernel (which loads at
 * >= 1 MiB). PVH uses the first four, Linux the boot_params page, the command line, the GDT
 * and the page tables. */
#define BOOT_START_INFO_GPA 0x7000ULL	/* PVH hvm_start_info */
#define BOOT_MEMMAP_GPA 0x7100ULL	/* PVH memory map */
#define BOOT_MODLIST_GPA 0x7200ULL	/* PVH module list: the initrd */
#define BOOT_PARAMS_GPA 0x7000ULL	/* Linux boot_params (the zero page), 4 KiB */
#define BOOT_CMDLINE_GPA 0x8000ULL	/* both: the command line */
#define BOOT_CMDLINE_MAX 4096
#define BOOT_GDT_GPA 0x9000ULL		/* Linux: __BOOT_CS 0x10, __BOOT_DS 0x18 */
#define BOOT_PML4_GPA 0xa000ULL		/* Linux: then the PDPT and four page directories */
#define BOOT_STACK_GPA 0x7000ULL	/* Linux: RSP at entry, growing down below the zero page */

/* What to boot. Names are for messages: the user's paths, or "the embedded kernel". */
struct boot_files {
	const uint8_t *kernel;
	size_t kernel_len;
	const char *kernel_name;
	const uint8_t *initrd;	/* NULL: none */
	size_t initrd_len;
	const char *initrd_name;
	const char *cmdline;	/* NULL: empty */
	uint64_t acpi_rsdp;	/* where the ACPI RSDP is, for the boot information; 0: none */
};

enum boot_protocol { BOOT_PVH, BOOT_LINUX64 };

struct boot_info {
	enum boot_protocol protocol;
	uint64_t entry;		/* PVH: the 32-bit entry; Linux: startup_64 */
	uint64_t kernel_start;	/* lowest and highest physical byte the kernel occupies */
	uint64_t kernel_end;	/* (Linux: load address + init_size) */
	uint64_t initrd_start;	/* where the initrd was put, and its size (0: none) */
	uint64_t initrd_size;
};

/* Loads the kernel (PVH ELF or bzImage) and the initrd and writes the boot information. Every
 * check happens before guest memory is written. Returns 0, or -1 with a one-line reason in
 * err that starts with the name of the file at fault. */
int boot_load(struct guest_mem *mem, const struct boot_files *files, struct boot_info *out,
	      char *err, size_t errlen);
/* The vCPU state the kernel's boot protocol specifies at its entry point. */
void boot_initial_state(const struct boot_info *boot, struct kvm_regs *regs,
			struct kvm_sregs *sregs);

/* The two protocols, for boot_load and the tests. They return 0, or BOOT_EKERNEL or
 * BOOT_EINITRD for the file at fault, with a reason in err that does not name it. */
enum { BOOT_EKERNEL = -1, BOOT_EINITRD = -2 };
int pvh_load(struct guest_mem *mem, const struct boot_files *files, struct boot_info *out,
	     char *err, size_t errlen);
void pvh_initial_state(const struct boot_info *boot, struct kvm_regs *regs, struct kvm_sregs *sregs);
int linux_load(struct guest_mem *mem, const struct boot_files *files, struct boot_info *out,
	       char *err, size_t errlen);
void linux_initial_state(const struct boot_info *boot, struct kvm_regs *regs,
			 struct kvm_sregs *sregs);
/* Is this a bzImage (a Linux x86 setup header, "HdrS" at 0x202)? */
int linux_is_bzimage(const uint8_t *image, size_t len);

#endif
