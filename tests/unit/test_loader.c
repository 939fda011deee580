/* The boot loaders (PVH ELF, Linux bzImage) and the boot information they write. Images are
 * built in memory; the layouts checked are the ABIs' (Xen's hvm/start_info.h, Linux's
 * Documentation/arch/x86/boot.rst and zero-page.rst), spelled out here as offsets. */
#include "core/loader.h"
#include "core/memory.h"
#include "core/pagewalk.h"
#include "tests/unit/check.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

struct image {
	uint8_t b[8192];
	size_t len;
};

/* An ELF64 with one PT_LOAD of 0x100 bytes at paddr (memsz 0x1000) and a PT_NOTE with the PVH
 * entry note (omitted when entry == 0). */
static void build(struct image *im, uint64_t paddr, uint64_t entry, uint16_t machine)
{
	memset(im, 0, sizeof(*im));
	Elf64_Ehdr *h = (Elf64_Ehdr *)im->b;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = machine;
	h->e_phoff = sizeof(*h);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(im->b + sizeof(*h));
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = paddr,
			      .p_vaddr = paddr, .p_filesz = 0x100, .p_memsz = 0x1000 };
	for (int i = 0; i < 0x100; i++)
		im->b[0x1000 + i] = (uint8_t)(i + 1);
	uint8_t *note = im->b + 0x800;
	Elf64_Nhdr n = { .n_namesz = 4, .n_descsz = 4, .n_type = 18 };
	memcpy(note, &n, sizeof(n));
	memcpy(note + sizeof(n), "Xen", 4);
	uint32_t e32 = (uint32_t)entry;
	memcpy(note + sizeof(n) + 4, &e32, 4);
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x800,
			      .p_filesz = entry ? sizeof(n) + 8 : 0 };
	im->len = 0x1100;
}

static struct guest_mem mem16(void)
{
	struct guest_mem m;
	guest_mem_init(&m, 16 << 20);
	return m;
}

static int pvh(struct guest_mem *m, const uint8_t *k, size_t len, const char *cmdline,
	       struct boot_info *bi, char *err, size_t errlen)
{
	struct boot_files f = { .kernel = k, .kernel_len = len, .kernel_name = "k", .cmdline = cmdline };
	return pvh_load(m, &f, bi, err, errlen);
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

TEST(loads_segment_and_zeroes_bss)
{
	struct image im;
	struct guest_mem m = mem16();
	struct boot_info bi;
	char err[200];
	build(&im, 0x100000, 0x100010, EM_X86_64);
	memset(m.host + 0x100000, 0xaa, 0x2000);
	CHECK_EQ(pvh(&m, im.b, im.len, "workload=hello", &bi, err, sizeof(err)), 0);
	CHECK_EQ(bi.entry, 0x100010);
	CHECK_EQ(m.host[0x100000], 1);
	CHECK_EQ(m.host[0x1000fe], 0xff);
	CHECK_EQ(m.host[0x100100], 0);
	CHECK_EQ(m.host[0x100fff], 0);
	CHECK_EQ(m.host[0x101000], 0xaa);
	guest_mem_free(&m);
}

TEST(start_info_cmdline_and_memory_map)
{
	struct image im;
	struct guest_mem m = mem16();
	struct boot_info bi;
	char err[200];
	build(&im, 0x100000, 0x100000, EM_X86_64);
	CHECK_EQ(pvh(&m, im.b, im.len, "workload=race x=1", &bi, err, sizeof(err)), 0);
	uint32_t u32[2];
	uint64_t u64;
	memcpy(u32, m.host + BOOT_START_INFO_GPA, 8);
	CHECK_EQ(u32[0], 0x336ec578);
	CHECK_EQ(u32[1], 1);
	memcpy(&u64, m.host + BOOT_START_INFO_GPA + 24, 8);
	CHECK_EQ(u64, BOOT_CMDLINE_GPA);
	CHECK(!strcmp((char *)m.host + BOOT_CMDLINE_GPA, "workload=race x=1"));
	memcpy(&u64, m.host + BOOT_START_INFO_GPA + 40, 8);
	CHECK_EQ(u64, BOOT_MEMMAP_GPA);
	uint32_t entries;
	memcpy(&entries, m.host + BOOT_START_INFO_GPA + 48, 4);
	CHECK_EQ(entries, 4);
	/* Last entry: RAM from 1 MiB to the end of memory. */
	uint64_t addr, size;
	uint32_t type;
	memcpy(&addr, m.host + BOOT_MEMMAP_GPA + 3 * 24, 8);
	memcpy(&size, m.host + BOOT_MEMMAP_GPA + 3 * 24 + 8, 8);
	memcpy(&type, m.host + BOOT_MEMMAP_GPA + 3 * 24 + 16, 4);
	CHECK_EQ(addr, 0x100000);
	CHECK_EQ(addr + size, 16 << 20);
	CHECK_EQ(type, 1);
	/* The first 640 KiB is RAM too, but the low entries never overlap the kernel. */
	memcpy(&addr, m.host + BOOT_MEMMAP_GPA + 24, 8);
	CHECK_EQ(addr, 0x9fc00);
	guest_mem_free(&m);
}

static int load_err(struct image *im, size_t len, char *err, size_t errlen)
{
	struct guest_mem m = mem16();
	struct boot_info bi;
	int rc = pvh(&m, im->b, len, "", &bi, err, errlen);
	guest_mem_free(&m);
	return rc;
}

TEST(refuses_bad_images)
{
	struct image im;
	char err[200];
	build(&im, 0x100000, 0, EM_X86_64);
	CHECK_EQ(load_err(&im, im.len, err, sizeof(err)), -1);
	CHECK(strstr(err, "no PVH entry"));

	build(&im, 0x100000, 0x100000, EM_X86_64);
	im.b[0] = 'X';
	CHECK_EQ(load_err(&im, im.len, err, sizeof(err)), -1);
	CHECK(strstr(err, "not an ELF"));

	build(&im, 0x100000, 0x100000, EM_AARCH64);
	CHECK_EQ(load_err(&im, im.len, err, sizeof(err)), -1);
	CHECK(strstr(err, "not x86"));

	build(&im, 0xfff000, 0xfff000, EM_X86_64); /* 0x1000 bytes at 16 MiB - 4 KiB: fits */
	CHECK_EQ(load_err(&im, im.len, err, sizeof(err)), 0);
	build(&im, 0x1000000, 0x1000000, EM_X86_64); /* just past the end of RAM */
	CHECK_EQ(load_err(&im, im.len, err, sizeof(err)), -1);
	CHECK(strstr(err, "does not fit"));

	build(&im, 0x100000, 0x200000, EM_X86_64);
	CHECK_EQ(load_err(&im, im.len, err, sizeof(err)), -1);
	CHECK(strstr(err, "outside the loaded image"));

	build(&im, 0x100000, 0x100000, EM_X86_64);
	CHECK_EQ(load_err(&im, 0x1080, err, sizeof(err)), -1); /* segment cut short */
	CHECK(strstr(err, "outside the file"));
}

TEST(truncated_at_every_offset_never_crashes)
{
	struct image im;
	char err[200];
	build(&im, 0x100000, 0x100000, EM_X86_64);
	for (size_t len = 0; len < im.len; len++)
		CHECK_EQ(load_err(&im, len, err, sizeof(err)), -1);
	CHECK_EQ(load_err(&im, im.len, err, sizeof(err)), 0);
}

TEST(initial_state_is_pvh_protected_mode)
{
	struct boot_info bi = { .entry = 0x100123, .kernel_start = 0x100000, .kernel_end = 0x200000 };
	struct kvm_regs r;
	struct kvm_sregs s;
	memset(&s, 0xff, sizeof(s));
	pvh_initial_state(&bi, &r, &s);
	CHECK_EQ(r.rip, 0x100123);
	CHECK_EQ(r.rbx, BOOT_START_INFO_GPA);
	CHECK_EQ(r.rflags, 2);
	CHECK_EQ(s.cr0 & 0x80000001, 1);
	CHECK_EQ(s.cs.db, 1);
	CHECK_EQ(s.cs.l, 0);
	CHECK_EQ(s.cs.limit, 0xffffffff);
	CHECK_EQ(s.efer, 0);
	CHECK_EQ(s.tr.type, 0xb);
}

TEST(pvh_initrd_is_module_0)
{
	struct image im;
	struct guest_mem m = mem16();
	struct boot_info bi;
	char err[200];
	uint8_t initrd[5000];
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 7);
	build(&im, 0x100000, 0x100000, EM_X86_64);
	struct boot_files f = { .kernel = im.b, .kernel_len = im.len, .kernel_name = "k",
				.initrd = initrd, .initrd_len = sizeof(initrd), .initrd_name = "i" };
	CHECK_EQ(pvh_load(&m, &f, &bi, err, sizeof(err)), 0);
	const uint8_t *si = m.host + BOOT_START_INFO_GPA;
	CHECK_EQ(u32_at(si + 12), 1);			/* nr_modules */
	uint64_t modlist = u64_at(si + 16);		/* modlist_paddr */
	CHECK(modlist && modlist + 32 <= 0x100000);
	uint64_t paddr = u64_at(m.host + modlist), size = u64_at(m.host + modlist + 8);
	CHECK_EQ(size, sizeof(initrd));
	CHECK_EQ(u64_at(m.host + modlist + 16), 0);	/* no module command line */
	CHECK_EQ(paddr % 4096, 0);
	CHECK(paddr >= 0x101000 && paddr + size <= m.size);	/* above the kernel, in RAM */
	CHECK(!memcmp(m.host + paddr, initrd, sizeof(initrd)));
	CHECK_EQ(bi.initrd_start, paddr);
	/* The module list must not overlap the memory map or the start info. */
	CHECK(modlist >= BOOT_MEMMAP_GPA + u32_at(si + 48) * 24 || modlist + 32 <= BOOT_START_INFO_GPA);
	guest_mem_free(&m);

	m = mem16();
	f.initrd = NULL;
	CHECK_EQ(pvh_load(&m, &f, &bi, err, sizeof(err)), 0);
	CHECK_EQ(u32_at(m.host + BOOT_START_INFO_GPA + 12), 0);
	CHECK_EQ(bi.initrd_size, 0);
	guest_mem_free(&m);
}

/* A bzImage as the boot protocol describes one: boot sector and setup_sects sectors of setup
 * code with the setup header at 0x1f1, then the protected-mode kernel. */
#define BZ_SETUP_SECTS 4
#define BZ_PAYLOAD 0x3000
#define BZ_LOAD 0x1000000ULL	/* pref_address: 16 MiB, where Debian's kernels want to be */
#define BZ_INIT_SIZE 0x200000	/* 2 MiB */
struct bzimage {
	uint8_t b[(BZ_SETUP_SECTS + 1) * 512 + BZ_PAYLOAD];
	size_t len;
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void build_bz(struct bzimage *bz, uint16_t version)
{
	memset(bz, 0, sizeof(*bz));
	uint8_t *b = bz->b;
	b[0x1f1] = BZ_SETUP_SECTS;
	put16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;		/* jump over the header: it ends at 0x202 + 0x6a = 0x26c */
	b[0x201] = 0x6a;
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, version);
	b[0x211] = 0x01;		/* loadflags: LOADED_HIGH */
	put32(b + 0x214, 0x100000);	/* code32_start */
	put32(b + 0x22c, 0x7fffffff);	/* initrd_addr_max */
	put32(b + 0x230, 0x200000);	/* kernel_alignment */
	b[0x234] = 1;			/* relocatable_kernel */
	put16(b + 0x236, 0x1);		/* xloadflags: XLF_KERNEL_64 */
	put32(b + 0x238, 2047);		/* cmdline_size */
	put64(b + 0x258, BZ_LOAD);	/* pref_address */
	put32(b + 0x260, BZ_INIT_SIZE);	/* init_size */
	put32(b + 0x268, 0x1234);	/* kernel_info_offset, 2.15: copied, not interpreted */
	for (int i = 0; i < BZ_PAYLOAD; i++)
		b[(BZ_SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i ^ 0x5a);
	bz->len = sizeof(bz->b);
}

static struct guest_mem mem32(void)
{
	struct guest_mem m;
	guest_mem_init(&m, 32 << 20);
	return m;
}

static int bz_load(struct guest_mem *m, const struct bzimage *bz, const uint8_t *initrd,
		   size_t ilen, const char *cmdline, struct boot_info *bi, char *err, size_t errlen)
{
	struct boot_files f = { .kernel = bz->b, .kernel_len = bz->len, .kernel_name = "bz",
				.initrd = initrd, .initrd_len = ilen, .initrd_name = "rd",
				.cmdline = cmdline };
	return boot_load(m, &f, bi, err, errlen);
}

TEST(bzimage_zero_page)
{
	struct bzimage bz;
	struct guest_mem m = mem32();
	struct boot_info bi;
	char err[300];
	uint8_t initrd[6000];
	memset(initrd, 0xc3, sizeof(initrd));
	build_bz(&bz, 0x020f);
	CHECK_EQ(bz_load(&m, &bz, initrd, sizeof(initrd), "console=ttyS0 rdinit=/init", &bi, err,
			 sizeof(err)), 0);
	CHECK_EQ(bi.protocol, BOOT_LINUX64);
	/* The protected-mode kernel: file offset (setup_sects + 1) * 512, at pref_address. */
	CHECK(!memcmp(m.host + BZ_LOAD, bz.b + (BZ_SETUP_SECTS + 1) * 512, BZ_PAYLOAD));
	const uint8_t *bp = m.host + BOOT_PARAMS_GPA;
	/* The setup header is copied from 0x1f1 to its end (0x202 + byte at 0x201). */
	CHECK_EQ(bp[0x1f1], BZ_SETUP_SECTS);
	CHECK(!memcmp(bp + 0x202, "HdrS", 4));
	CHECK_EQ(u32_at(bp + 0x268), 0x1234);
	CHECK_EQ(u32_at(bp + 0x26c), 0);		/* and nothing past it */
	CHECK_EQ(bp[0x210], 0xff);			/* type_of_loader: undefined */
	CHECK_EQ(u32_at(bp + 0x214), BZ_LOAD);		/* code32_start: where it was loaded */
	CHECK_EQ(bp[0x1fa] | bp[0x1fb] << 8, 0xffff);	/* vid_mode: normal */
	/* cmd_line_ptr (+ ext_cmd_line_ptr << 32) */
	uint64_t cmdline = u32_at(bp + 0x228) | (uint64_t)u32_at(bp + 0x0c8) << 32;
	CHECK(cmdline && cmdline < 0xa0000);
	CHECK(!strcmp((char *)m.host + cmdline, "console=ttyS0 rdinit=/init"));
	/* ramdisk_image, ramdisk_size (+ ext_ fields at 0x0c0, 0x0c4) */
	uint64_t rd = u32_at(bp + 0x218) | (uint64_t)u32_at(bp + 0x0c0) << 32;
	uint64_t rdsize = u32_at(bp + 0x21c) | (uint64_t)u32_at(bp + 0x0c4) << 32;
	CHECK_EQ(rdsize, sizeof(initrd));
	CHECK_EQ(rd % 4096, 0);
	CHECK(rd >= BZ_LOAD + BZ_INIT_SIZE);		/* clear of what the kernel uses to start */
	CHECK(rd + rdsize - 1 <= 0x7fffffff && rd + rdsize <= m.size);
	CHECK(!memcmp(m.host + rd, initrd, sizeof(initrd)));
	/* e820_entries at 0x1e8, e820_table at 0x2d0: {u64 addr, u64 size, u32 type}, packed. */
	CHECK_EQ(bp[0x1e8], 4);
	const uint8_t *e = bp + 0x2d0;
	CHECK_EQ(u64_at(e), 0);
	CHECK_EQ(u32_at(e + 16), 1);
	CHECK_EQ(u64_at(e + 20 + 0), 0x9fc00);
	CHECK_EQ(u32_at(e + 20 + 16), 2);
	CHECK_EQ(u64_at(e + 3 * 20), 0x100000);
	CHECK_EQ(u64_at(e + 3 * 20) + u64_at(e + 3 * 20 + 8), 32 << 20);
	CHECK_EQ(u32_at(e + 3 * 20 + 16), 1);
	CHECK_EQ(u64_at(e + 4 * 20), 0);		/* the rest of the table is zero */
	guest_mem_free(&m);
}

/* The ACPI RSDP's address reaches the kernel: hvm_start_info.rsdp_paddr at 32 (PVH, version
 * 1) and boot_params.acpi_rsdp_addr at 0x070 (Linux 5.0+); 0 when the machine has none. */
TEST(acpi_rsdp_in_both_protocols)
{
	struct image im;
	struct bzimage bz;
	struct boot_info bi;
	char err[300];
	build(&im, 0x100000, 0x100000, EM_X86_64);
	build_bz(&bz, 0x020f);
	for (uint64_t rsdp = 0; rsdp <= 0xf0000; rsdp += 0xf0000) {
		struct guest_mem m = mem32();
		struct boot_files f = { .kernel = im.b, .kernel_len = im.len, .kernel_name = "k",
					.acpi_rsdp = rsdp };
		CHECK_EQ(boot_load(&m, &f, &bi, err, sizeof(err)), 0);
		CHECK_EQ(u64_at(m.host + BOOT_START_INFO_GPA + 32), rsdp);
		guest_mem_free(&m);
		m = mem32();
		f = (struct boot_files){ .kernel = bz.b, .kernel_len = bz.len, .kernel_name = "bz",
					 .acpi_rsdp = rsdp };
		CHECK_EQ(boot_load(&m, &f, &bi, err, sizeof(err)), 0);
		CHECK_EQ(u64_at(m.host + BOOT_PARAMS_GPA + 0x070), rsdp);
		guest_mem_free(&m);
	}
}

static int read_phys(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct guest_mem *m = opaque;
	const void *p = guest_mem_ptr(m, gpa, len);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

TEST(bzimage_entry_state_is_the_64_bit_protocol)
{
	struct bzimage bz;
	struct guest_mem m = mem32();
	struct boot_info bi;
	char err[300];
	build_bz(&bz, 0x020c);
	CHECK_EQ(bz_load(&m, &bz, NULL, 0, NULL, &bi, err, sizeof(err)), 0);
	struct kvm_regs r;
	struct kvm_sregs s;
	memset(&s, 0xff, sizeof(s));
	boot_initial_state(&bi, &r, &s);
	CHECK_EQ(r.rip, BZ_LOAD + 0x200);		/* startup_64 */
	CHECK_EQ(r.rsi, BOOT_PARAMS_GPA);
	CHECK_EQ(r.rflags & 0x200, 0);			/* interrupts disabled */
	/* 64-bit mode with paging: CR0.PG+PE, CR4.PAE, EFER.LME+LMA, CS.L */
	CHECK_EQ(s.cr0 & 0x80000001, 0x80000001);
	CHECK_EQ(s.cr4 & 0x20, 0x20);
	CHECK_EQ(s.efer & 0x500, 0x500);
	CHECK_EQ(s.cs.selector, 0x10);			/* __BOOT_CS */
	CHECK_EQ(s.cs.l, 1);
	CHECK_EQ(s.cs.db, 0);
	CHECK_EQ(s.ds.selector, 0x18);			/* __BOOT_DS */
	CHECK_EQ(s.es.selector, 0x18);
	CHECK_EQ(s.ss.selector, 0x18);
	/* The GDT in memory holds what the segment registers say: flat code (exec/read) at 0x10,
	 * flat data (read/write) at 0x18. */
	CHECK(s.gdt.limit >= 0x1f);
	uint64_t cs = u64_at(m.host + s.gdt.base + 0x10), ds = u64_at(m.host + s.gdt.base + 0x18);
	CHECK_EQ((cs >> 40) & 0x9a, 0x9a);		/* present, code, readable */
	CHECK_EQ((cs >> 53) & 1, 1);			/* L */
	CHECK_EQ(cs & 0xffff, 0xffff);
	CHECK_EQ((ds >> 40) & 0x92, 0x92);		/* present, data, writable */
	CHECK_EQ((ds >> 55) & 1, 1);			/* G: 4 GiB */
	/* Identity mapping of the kernel through init_size, boot_params and the command line. */
	struct pagewalk_cpu cpu = { s.cr0, s.cr3, s.cr4, s.efer };
	const uint64_t va[] = { BZ_LOAD, BZ_LOAD + 0x200, BZ_LOAD + BZ_INIT_SIZE - 1, BOOT_PARAMS_GPA,
				BOOT_CMDLINE_GPA, (32 << 20) - 1 };
	for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		struct pagewalk w;
		CHECK_EQ(pagewalk(&cpu, read_phys, &m, va[i], &w), 0);
		CHECK_EQ(w.gpa, va[i]);
		CHECK_EQ(w.entry[w.levels - 1] & 2, 2);	/* writable: the decompressor writes there */
	}
	guest_mem_free(&m);
}

TEST(bzimage_refusals)
{
	struct bzimage bz;
	struct guest_mem m = mem32();
	struct boot_info bi;
	char err[300];
	build_bz(&bz, 0x020b);
	CHECK_EQ(bz_load(&m, &bz, NULL, 0, NULL, &bi, err, sizeof(err)), BOOT_EKERNEL);
	CHECK(!strncmp(err, "bz: ", 4) && strstr(err, "2.11 is too old"));
	build_bz(&bz, 0x020f);
	memcpy(bz.b + 0x202, "HdrX", 4);
	CHECK_EQ(bz_load(&m, &bz, NULL, 0, NULL, &bi, err, sizeof(err)), BOOT_EKERNEL);
	CHECK(strstr(err, "older than 2.00"));
	build_bz(&bz, 0x020f);
	bz.b[0x236] = 0;
	CHECK_EQ(bz_load(&m, &bz, NULL, 0, NULL, &bi, err, sizeof(err)), BOOT_EKERNEL);
	CHECK(strstr(err, "no 64-bit entry"));
	build_bz(&bz, 0x020f);
	put32(bz.b + 0x260, (16 << 20) + 4096);	/* from 16 MiB: a page past 32 MiB of RAM */
	CHECK_EQ(bz_load(&m, &bz, NULL, 0, NULL, &bi, err, sizeof(err)), BOOT_EKERNEL);
	CHECK(strstr(err, "needs guest RAM"));
	build_bz(&bz, 0x020f);
	put32(bz.b + 0x238, 10);			/* cmdline_size */
	CHECK_EQ(bz_load(&m, &bz, NULL, 0, "console=ttyS0", &bi, err, sizeof(err)), BOOT_EKERNEL);
	CHECK(strstr(err, "at most 10"));
	build_bz(&bz, 0x020f);
	bz.len = 0x300;					/* cut inside the setup code */
	CHECK_EQ(bz_load(&m, &bz, NULL, 0, NULL, &bi, err, sizeof(err)), BOOT_EKERNEL);
	CHECK(strstr(err, "inconsistent"));
	/* Neither format. */
	build_bz(&bz, 0x020f);
	put16(bz.b + 0x1fe, 0);
	CHECK_EQ(bz_load(&m, &bz, NULL, 0, NULL, &bi, err, sizeof(err)), BOOT_EKERNEL);
	CHECK(strstr(err, "neither an ELF"));
	guest_mem_free(&m);
}

TEST(initrd_that_does_not_fit_names_the_initrd)
{
	struct bzimage bz;
	struct guest_mem m = mem32();
	struct boot_info bi;
	char err[300];
	/* 32 MiB of RAM, the kernel up to 18 MiB: 14 MiB are left, so 14 MiB fit and 14 MiB and
	 * a page do not. */
	size_t fits = (14 << 20), too_big = fits + 4096;
	uint8_t *initrd = calloc(1, too_big);
	CHECK(initrd);
	build_bz(&bz, 0x020f);
	CHECK_EQ(bz_load(&m, &bz, initrd, fits, NULL, &bi, err, sizeof(err)), 0);
	CHECK_EQ(bi.initrd_start, BZ_LOAD + BZ_INIT_SIZE);
	CHECK_EQ(bz_load(&m, &bz, initrd, too_big, NULL, &bi, err, sizeof(err)), BOOT_EINITRD);
	CHECK(!strncmp(err, "rd: ", 4) && strstr(err, "does not fit"));
	/* The same through PVH. */
	struct image im;
	build(&im, 0x100000, 0x100000, EM_X86_64);
	struct boot_files f = { .kernel = im.b, .kernel_len = im.len, .kernel_name = "k",
				.initrd = initrd, .initrd_len = 32 << 20, .initrd_name = "rd" };
	CHECK_EQ(boot_load(&m, &f, &bi, err, sizeof(err)), BOOT_EINITRD);
	CHECK(!strncmp(err, "rd: ", 4) && strstr(err, "does not fit"));
	free(initrd);
	guest_mem_free(&m);
}

RUN_TESTS(T(acpi_rsdp_in_both_protocols), T(loads_segment_and_zeroes_bss), T(start_info_cmdline_and_memory_map), T(refuses_bad_images),
	  T(truncated_at_every_offset_never_crashes), T(initial_state_is_pvh_protected_mode),
	  T(pvh_initrd_is_module_0), T(bzimage_zero_page), T(bzimage_entry_state_is_the_64_bit_protocol),
	  T(bzimage_refusals), T(initrd_that_does_not_fit_names_the_initrd))
