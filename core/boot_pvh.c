/* The PVH boot ABI (Xen's arch-x86/hvm/start_info.h): an ELF kernel with a
 * XEN_ELFNOTE_PHYS32_ENTRY note, loaded at its physical addresses, entered in 32-bit protected
 * mode with EBX = the hvm_start_info. */
#include "core/loader.h"
#include "core/loader_priv.h"
#include "core/memory.h"

#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u
/* Version 1 has the memory map; the module list is in version 0 already. */
#define HVM_START_VERSION 1
/* Linux's PVH entry reads the initrd from a module below 4 GiB. */
#define PVH_INITRD_CEILING (4ULL << 30)

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* A program header or note, normalised from ELF32 or ELF64. */
struct segment {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static int read_segment(const uint8_t *image, size_t len, bool is64, uint64_t phoff, int i,
			struct segment *s)
{
	size_t entsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint64_t at = phoff + (uint64_t)i * entsize;
	if (at > len || entsize > len - at)
		return -1;
	if (is64) {
		Elf64_Phdr p;
		memcpy(&p, image + at, sizeof(p));
		*s = (struct segment){ p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz };
	} else {
		Elf32_Phdr p;
		memcpy(&p, image + at, sizeof(p));
		*s = (struct segment){ p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz };
	}
	return 0;
}

/* Looks for the PVH entry note in one PT_NOTE segment. ELF32 and ELF64 notes share a layout. */
static bool find_pvh_note(const uint8_t *image, const struct segment *s, uint64_t *entry)
{
	uint64_t off = s->offset, end = s->offset + s->filesz;
	while (off + sizeof(Elf32_Nhdr) <= end) {
		Elf32_Nhdr n;
		memcpy(&n, image + off, sizeof(n));
		uint64_t name = off + sizeof(n);
		uint64_t desc = name + ((n.n_namesz + 3ULL) & ~3ULL);
		uint64_t next = desc + ((n.n_descsz + 3ULL) & ~3ULL);
		if (next > end)
			return false;
		if (n.n_type == XEN_ELFNOTE_PHYS32_ENTRY && n.n_namesz == 4 &&
		    !memcmp(image + name, "Xen", 4) && (n.n_descsz == 4 || n.n_descsz == 8)) {
			uint64_t v = 0;
			memcpy(&v, image + desc, n.n_descsz);
			*entry = n.n_descsz == 4 ? (uint32_t)v : v;
			return true;
		}
		off = next;
	}
	return false;
}

static int check_load_segment(const struct guest_mem *mem, const struct segment *s, int i,
			      char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return loader_fail(err, errlen, "segment %d has file size above memory size", i);
	if (s->paddr < 0x100000 && s->memsz)
		return loader_fail(err, errlen,
			           "segment %d loads at 0x%llx, below 1 MiB where rewind puts the boot information",
			           i, (unsigned long long)s->paddr);
	if (!guest_mem_ptr(mem, s->paddr, s->memsz))
		return loader_fail(err, errlen, "segment %d (0x%llx..0x%llx) does not fit in %llu MiB of guest RAM",
			           i, (unsigned long long)s->paddr, (unsigned long long)(s->paddr + s->memsz),
			           (unsigned long long)(mem->size >> 20));
	return 0;
}

static void write_start_info(struct guest_mem *mem, const struct boot_files *files,
			     const struct boot_info *boot)
{
	struct boot_memmap_entry map[BOOT_MEMMAP_MAX];
	int n = loader_memory_map(mem, map);
	struct hvm_memmap_entry entries[BOOT_MEMMAP_MAX];
	for (int i = 0; i < n; i++)
		entries[i] = (struct hvm_memmap_entry){ map[i].addr, map[i].size, map[i].type, 0 };
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = BOOT_CMDLINE_GPA,
		.memmap_paddr = BOOT_MEMMAP_GPA,
		.memmap_entries = (uint32_t)n,
		.rsdp_paddr = files->acpi_rsdp,
	};
	if (boot->initrd_size) {
		struct hvm_modlist_entry initrd = { boot->initrd_start, boot->initrd_size, 0, 0 };
		si.nr_modules = 1;
		si.modlist_paddr = BOOT_MODLIST_GPA;
		memcpy(mem->host + BOOT_MODLIST_GPA, &initrd, sizeof(initrd));
	}
	memcpy(mem->host + BOOT_START_INFO_GPA, &si, sizeof(si));
	memcpy(mem->host + BOOT_MEMMAP_GPA, entries, n * sizeof(entries[0]));
}

int pvh_load(struct guest_mem *mem, const struct boot_files *files, struct boot_info *out,
	     char *err, size_t errlen)
{
	const uint8_t *image = files->kernel;
	size_t len = files->kernel_len;
	if (len < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG))
		return loader_fail(err, errlen, "not an ELF file (no \\177ELF magic)");
	bool is64 = image[EI_CLASS] == ELFCLASS64;
	if (!is64 && image[EI_CLASS] != ELFCLASS32)
		return loader_fail(err, errlen, "unknown ELF class %d", image[EI_CLASS]);
	if (image[EI_DATA] != ELFDATA2LSB)
		return loader_fail(err, errlen, "not a little-endian ELF");
	uint64_t phoff;
	int phnum, machine;
	if (is64) {
		Elf64_Ehdr h;
		if (len < sizeof(h))
			return loader_fail(err, errlen, "ELF header truncated (%zu bytes)", len);
		memcpy(&h, image, sizeof(h));
		phoff = h.e_phoff, phnum = h.e_phnum, machine = h.e_machine;
	} else {
		Elf32_Ehdr h;
		if (len < sizeof(h))
			return loader_fail(err, errlen, "ELF header truncated (%zu bytes)", len);
		memcpy(&h, image, sizeof(h));
		phoff = h.e_phoff, phnum = h.e_phnum, machine = h.e_machine;
	}
	if (machine != EM_X86_64 && machine != EM_386)
		return loader_fail(err, errlen, "ELF is for machine %d, not x86", machine);
	int rc = loader_check_cmdline(files, BOOT_CMDLINE_MAX - 1, err, errlen);
	if (rc)
		return rc;

	/* Validate every segment before writing any of them; the PVH note first, since an ELF
	 * without one is simply not a kernel rewind can boot. */
	uint64_t entry = 0, lo = UINT64_MAX, hi = 0;
	bool have_entry = false;
	int nload = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < phnum; i++) {
			struct segment s;
			if (read_segment(image, len, is64, phoff, i, &s))
				return loader_fail(err, errlen, "program header %d lies outside the file", i);
			if (s.type != (pass ? PT_LOAD : PT_NOTE))
				continue;
			if (s.offset > len || s.filesz > len - s.offset)
				return loader_fail(err, errlen,
					           "segment %d (offset 0x%llx, size 0x%llx) lies outside the file", i,
					           (unsigned long long)s.offset, (unsigned long long)s.filesz);
			if (pass == 0)
				have_entry = have_entry || find_pvh_note(image, &s, &entry);
			else if (check_load_segment(mem, &s, i, err, errlen))
				return -1;
			else if (s.memsz) {
				lo = s.paddr < lo ? s.paddr : lo;
				hi = s.paddr + s.memsz > hi ? s.paddr + s.memsz : hi;
				nload++;
			}
		}
		if (!have_entry)
			return loader_fail(err, errlen, "ELF has no PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY note)");
	}
	if (!nload)
		return loader_fail(err, errlen, "ELF has no loadable segment");
	if (entry < lo || entry >= hi)
		return loader_fail(err, errlen, "PVH entry 0x%llx is outside the loaded image",
			           (unsigned long long)entry);

	*out = (struct boot_info){ .protocol = BOOT_PVH, .entry = entry, .kernel_start = lo,
				   .kernel_end = hi };
	if ((rc = loader_place_initrd(mem, files, hi, PVH_INITRD_CEILING, out, err, errlen)))
		return rc;

	for (int i = 0; i < phnum; i++) {
		struct segment s;
		read_segment(image, len, is64, phoff, i, &s);
		if (s.type != PT_LOAD)
			continue;
		uint8_t *dst = guest_mem_ptr(mem, s.paddr, s.memsz);
		memcpy(dst, image + s.offset, s.filesz);
		memset(dst + s.filesz, 0, s.memsz - s.filesz);
	}
	loader_write_initrd(mem, files, out);
	loader_write_cmdline(mem, files);
	write_start_info(mem, files, out);
	return 0;
}

void pvh_initial_state(const struct boot_info *boot, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment data = code;
	data.selector = 0x10;
	data.type = 0x3;
	struct kvm_segment tss = {
		.base = 0, .limit = 0x67, .selector = 0x18, .type = 0xb, .present = 1, .s = 0,
	};

	memset(regs, 0, sizeof(*regs));
	regs->rip = boot->entry;
	regs->rbx = BOOT_START_INFO_GPA;
	regs->rflags = 0x2;

	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = tss;
	sregs->ldt = (struct kvm_segment){ .selector = 0, .type = 0x2, .present = 1, .limit = 0xffff };
	sregs->cr0 = 0x11; /* PE | ET */
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;
	sregs->apic_base = 0;
	memset(sregs->interrupt_bitmap, 0, sizeof(sregs->interrupt_bitmap));
}
