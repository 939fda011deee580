/* The Linux x86 boot protocol, 64-bit entry (Documentation/arch/x86/boot.rst, "64-bit Boot
 * Protocol", and zero-page.rst): a bzImage's protected-mode kernel is loaded at its preferred
 * address, the setup header is copied into a zeroed boot_params and filled in, and startup_64
 * (load address + 0x200) is entered in long mode with the boot memory identity-mapped, a GDT
 * holding flat __BOOT_CS (0x10) and __BOOT_DS (0x18), interrupts off, RSI = boot_params.
 * The 16-bit setup code is never run: nothing here is a BIOS. */
#include "core/loader.h"
#include "core/loader_priv.h"
#include "core/memory.h"
#include "core/x86.h"

#include <stdbool.h>
#include <string.h>

/* Setup header fields, at their offsets in the image and in boot_params alike (boot.rst). */
enum {
	HDR_SETUP_SECTS = 0x1f1,	/* u8; 0 means 4 */
	HDR_VID_MODE = 0x1fa,		/* u16 */
	HDR_BOOT_FLAG = 0x1fe,		/* u16 0xAA55 */
	HDR_JUMP = 0x200,		/* 0xEB, then the header's length - 0x202... */
	HDR_MAGIC = 0x202,		/* "HdrS" */
	HDR_VERSION = 0x206,		/* u16, (major << 8) + minor */
	HDR_TYPE_OF_LOADER = 0x210,	/* u8 */
	HDR_LOADFLAGS = 0x211,		/* u8 */
	HDR_CODE32_START = 0x214,	/* u32 */
	HDR_RAMDISK_IMAGE = 0x218,	/* u32 */
	HDR_RAMDISK_SIZE = 0x21c,	/* u32 */
	HDR_CMD_LINE_PTR = 0x228,	/* u32 */
	HDR_INITRD_ADDR_MAX = 0x22c,	/* u32, the highest byte an initrd may occupy */
	HDR_KERNEL_ALIGNMENT = 0x230,	/* u32 */
	HDR_XLOADFLAGS = 0x236,		/* u16, 2.12+ */
	HDR_CMDLINE_SIZE = 0x238,	/* u32, 2.06+ */
	HDR_PREF_ADDRESS = 0x258,	/* u64, 2.10+ */
	HDR_INIT_SIZE = 0x260,		/* u32, 2.10+ */
	HDR_MIN_END = 0x264,		/* every field above lies below this */
};

/* boot_params fields outside the setup header (zero-page.rst). */
enum {
	BP_ACPI_RSDP_ADDR = 0x070,	/* u64, read by Linux 5.0+ (protocol 2.14) */
	BP_EXT_RAMDISK_IMAGE = 0x0c0,	/* u32, high half of ramdisk_image */
	BP_EXT_RAMDISK_SIZE = 0x0c4,
	BP_EXT_CMD_LINE_PTR = 0x0c8,
	BP_E820_ENTRIES = 0x1e8,	/* u8 */
	BP_E820_TABLE = 0x2d0,		/* struct boot_e820_entry[128]: u64 addr, u64 size, u32 type */
	BP_E820_ENTRY_SIZE = 20,
	BP_SIZE = 0x1000,
};

#define LOADED_HIGH 0x01		/* loadflags: a bzImage, protected-mode code at >= 1 MiB */
#define XLF_KERNEL_64 0x01		/* xloadflags: has the 64-bit entry at + 0x200 */
#define LOADER_UNDEFINED 0xff		/* type_of_loader for a loader without an assigned id */
#define VID_MODE_NORMAL 0xffff
#define STARTUP_64_OFFSET 0x200
/* xloadflags and the 64-bit entry came with 2.12 (Linux 3.8). */
#define MIN_PROTOCOL 0x020c

/* Identity map of the first 4 GiB in 2 MiB pages: PML4, PDPT, four page directories. The
 * protocol asks for the kernel, boot_params and the command line; all of RAM is simpler. */
#define PDPT_GPA (BOOT_PML4_GPA + 0x1000)
#define PD_GPA (BOOT_PML4_GPA + 0x2000)
#define PT_P 0x1ULL
#define PT_RW 0x2ULL
#define PT_PS 0x80ULL

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* x86 host, x86 guest: both little-endian */
}

int linux_is_bzimage(const uint8_t *image, size_t len)
{
	return len >= HDR_BOOT_FLAG + 2 && le16(image + HDR_BOOT_FLAG) == 0xaa55;
}

/* What the setup header says, checked. */
struct bzimage {
	uint16_t version;
	size_t setup_len;	/* boot sector + setup code: where the protected-mode kernel starts */
	size_t header_end;	/* end of the setup header, as the jump at 0x200 gives it */
	uint64_t load;		/* where the protected-mode kernel goes */
	uint64_t init_size;	/* memory it needs from there while it decompresses itself */
	uint32_t cmdline_size;
	uint64_t initrd_ceiling;/* one past the highest byte an initrd may occupy */
};

static int parse_header(const struct guest_mem *mem, const uint8_t *im, size_t len, struct bzimage *b,
			char *err, size_t errlen)
{
	if (len < HDR_MIN_END || memcmp(im + HDR_MAGIC, "HdrS", 4))
		return loader_fail(err, errlen,
				   "has a boot sector but no Linux setup header (\"HdrS\" at 0x202): "
				   "boot protocol older than 2.00, or not a Linux kernel");
	b->version = le16(im + HDR_VERSION);
	if (b->version < MIN_PROTOCOL)
		return loader_fail(err, errlen,
				   "boot protocol %u.%02u is too old: rewind needs 2.12 or later "
				   "(the 64-bit entry point, Linux 3.8 and later)",
				   b->version >> 8, b->version & 0xff);
	if (!(im[HDR_LOADFLAGS] & LOADED_HIGH))
		return loader_fail(err, errlen, "is a zImage (loaded low), not a bzImage");
	if (!(le16(im + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return loader_fail(err, errlen,
				   "has no 64-bit entry point (xloadflags bit 0 clear: a 32-bit kernel?)");
	unsigned sects = im[HDR_SETUP_SECTS] ? im[HDR_SETUP_SECTS] : 4;
	b->setup_len = (sects + 1) * 512ULL;
	b->header_end = 0x202 + (size_t)im[HDR_JUMP + 1];
	if (b->setup_len >= len || b->header_end > b->setup_len || b->header_end < HDR_MIN_END)
		return loader_fail(err, errlen,
				   "setup header inconsistent with the file: %zu bytes of setup, header "
				   "ends at 0x%zx, file is %zu bytes",
				   b->setup_len, b->header_end, len);
	b->load = le64(im + HDR_PREF_ADDRESS);
	b->init_size = le32(im + HDR_INIT_SIZE);
	uint32_t align = le32(im + HDR_KERNEL_ALIGNMENT);
	uint64_t payload = len - b->setup_len;
	if (b->init_size < payload)
		b->init_size = payload;
	if (b->load < 0x100000 || (align && b->load % align))
		return loader_fail(err, errlen, "preferred load address 0x%llx is below 1 MiB or not "
				   "aligned to 0x%x", (unsigned long long)b->load, align);
	if (!guest_mem_ptr(mem, b->load, b->init_size))
		return loader_fail(err, errlen,
				   "needs guest RAM up to %.1f MiB (loaded at %.1f MiB, %.1f MiB while "
				   "it starts), the VM has %llu MiB",
				   (b->load + b->init_size) / 1048576.0, b->load / 1048576.0,
				   b->init_size / 1048576.0, (unsigned long long)(mem->size >> 20));
	b->cmdline_size = le32(im + HDR_CMDLINE_SIZE);
	b->initrd_ceiling = (uint64_t)le32(im + HDR_INITRD_ADDR_MAX) + 1;
	return 0;
}

static void write_boot_params(struct guest_mem *mem, const uint8_t *im, const struct bzimage *b,
			      const struct boot_files *files, const struct boot_info *boot)
{
	uint8_t *bp = mem->host + BOOT_PARAMS_GPA;
	memset(bp, 0, BP_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, im + HDR_SETUP_SECTS, b->header_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[HDR_VID_MODE] = VID_MODE_NORMAL & 0xff;
	bp[HDR_VID_MODE + 1] = VID_MODE_NORMAL >> 8;
	/* Loaded elsewhere than 1 MiB: code32_start says where (boot.rst, code32_start). */
	put32(bp + HDR_CODE32_START, (uint32_t)b->load);
	put32(bp + HDR_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_GPA);
	put32(bp + BP_EXT_CMD_LINE_PTR, (uint32_t)(BOOT_CMDLINE_GPA >> 32));
	put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)boot->initrd_start);
	put32(bp + HDR_RAMDISK_SIZE, (uint32_t)boot->initrd_size);
	put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(boot->initrd_start >> 32));
	put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)(boot->initrd_size >> 32));
	put32(bp + BP_ACPI_RSDP_ADDR, (uint32_t)files->acpi_rsdp);
	put32(bp + BP_ACPI_RSDP_ADDR + 4, (uint32_t)(files->acpi_rsdp >> 32));

	struct boot_memmap_entry map[BOOT_MEMMAP_MAX];
	int n = loader_memory_map(mem, map);
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
		memcpy(e, &map[i].addr, 8);
		memcpy(e + 8, &map[i].size, 8);
		put32(e + 16, map[i].type);
	}
}

/* The GDT the protocol requires, and identity page tables for long mode. */
static void write_gdt_and_page_tables(struct guest_mem *mem)
{
	const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffULL,	/* 0x10 __BOOT_CS: 64-bit code, present, exec/read, accessed */
		0x00cf93000000ffffULL,	/* 0x18 __BOOT_DS: flat data, present, read/write, accessed */
		0x00008b0000000067ULL,	/* 0x20 a busy 64-bit TSS at 0 (two slots); never used */
		0,
	};
	memcpy(mem->host + BOOT_GDT_GPA, gdt, sizeof(gdt));
	uint64_t *pml4 = (uint64_t *)(mem->host + BOOT_PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(mem->host + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(mem->host + PD_GPA);
	memset(pml4, 0, 6 * PAGE_SIZE);
	pml4[0] = PDPT_GPA | PT_P | PT_RW;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (PD_GPA + i * PAGE_SIZE) | PT_P | PT_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PT_P | PT_RW | PT_PS;
}

int linux_load(struct guest_mem *mem, const struct boot_files *files, struct boot_info *out,
	       char *err, size_t errlen)
{
	const uint8_t *im = files->kernel;
	struct bzimage b = { 0 };
	int rc = parse_header(mem, im, files->kernel_len, &b, err, errlen);
	if (rc || (rc = loader_check_cmdline(files, b.cmdline_size, err, errlen)))
		return rc;
	*out = (struct boot_info){
		.protocol = BOOT_LINUX64,
		.entry = b.load + STARTUP_64_OFFSET,
		.kernel_start = b.load,
		.kernel_end = b.load + b.init_size,
	};
	if ((rc = loader_place_initrd(mem, files, out->kernel_end, b.initrd_ceiling, out, err, errlen)))
		return rc;

	memcpy(guest_mem_ptr(mem, b.load, b.init_size), im + b.setup_len, files->kernel_len - b.setup_len);
	loader_write_initrd(mem, files, out);
	loader_write_cmdline(mem, files);
	write_boot_params(mem, im, &b, files, out);
	write_gdt_and_page_tables(mem);
	return 0;
}

void linux_initial_state(const struct boot_info *boot, struct kvm_regs *regs,
			 struct kvm_sregs *sregs)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 0xb,
		.present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = 0x18, .type = 0x3,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	memset(regs, 0, sizeof(*regs));
	regs->rip = boot->entry;
	regs->rsi = BOOT_PARAMS_GPA;
	regs->rsp = BOOT_STACK_GPA;
	regs->rflags = 0x2; /* interrupts off */

	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = (struct kvm_segment){ .selector = 0x20, .limit = 0x67, .type = 0xb, .present = 1 };
	sregs->ldt = (struct kvm_segment){ .selector = 0, .type = 0x2, .present = 1, .limit = 0xffff };
	sregs->gdt = (struct kvm_dtable){ .base = BOOT_GDT_GPA, .limit = 6 * 8 - 1 };
	sregs->idt = (struct kvm_dtable){ .base = 0, .limit = 0 };
	sregs->cr0 = CR0_PE | CR0_ET | CR0_PG;
	sregs->cr3 = BOOT_PML4_GPA;
	sregs->cr4 = CR4_PAE;
	sregs->efer = EFER_LME | EFER_LMA;
	sregs->apic_base = 0;
	memset(sregs->interrupt_bitmap, 0, sizeof(sregs->interrupt_bitmap));
}
