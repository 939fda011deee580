/* The PVH ELF loader and the boot information it writes. Images are built in memory. */
#include "core/loader.h"
#include "core/memory.h"
#include "tests/unit/check.h"

#include <elf.h>
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

TEST(loads_segment_and_zeroes_bss)
{
	struct image im;
	struct guest_mem m = mem16();
	struct boot_info bi;
	char err[200];
	build(&im, 0x100000, 0x100010, EM_X86_64);
	memset(m.host + 0x100000, 0xaa, 0x2000);
	CHECK_EQ(pvh_load(&m, im.b, im.len, "workload=hello", &bi, err, sizeof(err)), 0);
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
	CHECK_EQ(pvh_load(&m, im.b, im.len, "workload=race x=1", &bi, err, sizeof(err)), 0);
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
	int rc = pvh_load(&m, im->b, len, "", &bi, err, errlen);
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
	struct boot_info bi = { 0x100123, 0x100000, 0x200000 };
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

RUN_TESTS(T(loads_segment_and_zeroes_bss), T(start_info_cmdline_and_memory_map), T(refuses_bad_images),
	  T(truncated_at_every_offset_never_crashes), T(initial_state_is_pvh_protected_mode))
