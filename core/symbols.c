#include "core/symbols.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_addr(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Section headers and symbols, normalised from ELF32 or ELF64. */
struct elf_view {
	const uint8_t *image;
	size_t len;
	bool is64;
};

static void section(const struct elf_view *v, uint64_t shoff, int i, Elf64_Shdr *out)
{
	if (v->is64) {
		memcpy(out, v->image + shoff + (uint64_t)i * sizeof(Elf64_Shdr), sizeof(*out));
		return;
	}
	Elf32_Shdr sh;
	memcpy(&sh, v->image + shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
	*out = (Elf64_Shdr){ .sh_type = sh.sh_type, .sh_link = sh.sh_link, .sh_offset = sh.sh_offset,
			     .sh_size = sh.sh_size };
}

static Elf64_Sym symbol(const struct elf_view *v, uint64_t off)
{
	Elf64_Sym sym;
	if (v->is64) {
		memcpy(&sym, v->image + off, sizeof(sym));
		return sym;
	}
	Elf32_Sym s32;
	memcpy(&s32, v->image + off, sizeof(s32));
	return (Elf64_Sym){ .st_name = s32.st_name, .st_info = s32.st_info, .st_value = s32.st_value,
			    .st_size = s32.st_size };
}

int symbols_load(struct symbols *s, const uint8_t *image, size_t len)
{
	memset(s, 0, sizeof(*s));
	if (len < sizeof(Elf64_Ehdr) || memcmp(image, ELFMAG, SELFMAG))
		return 0;
	struct elf_view v = { image, len, image[EI_CLASS] == ELFCLASS64 };
	uint64_t shoff;
	unsigned shnum, shentsize;
	if (v.is64) {
		Elf64_Ehdr h;
		memcpy(&h, image, sizeof(h));
		shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize;
	} else {
		Elf32_Ehdr h;
		memcpy(&h, image, sizeof(h));
		shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize;
	}
	size_t symsize = v.is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	if (shentsize != (v.is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) || shoff > len ||
	    (uint64_t)shnum * shentsize > len - shoff)
		return 0;
	for (unsigned i = 0; i < shnum; i++) {
		Elf64_Shdr sh, strsh;
		section(&v, shoff, (int)i, &sh);
		if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= shnum)
			continue;
		section(&v, shoff, (int)sh.sh_link, &strsh);
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset || strsh.sh_offset > len ||
		    strsh.sh_size > len - strsh.sh_offset || !strsh.sh_size)
			return 0;
		size_t nsyms = sh.sh_size / symsize;
		s->sym = calloc(nsyms ? nsyms : 1, sizeof(*s->sym));
		s->strings = malloc(strsh.sh_size + 1);
		if (!s->sym || !s->strings) {
			symbols_free(s);
			return -ENOMEM;
		}
		memcpy(s->strings, image + strsh.sh_offset, strsh.sh_size);
		s->strings[strsh.sh_size] = 0;
		for (size_t j = 0; j < nsyms; j++) {
			Elf64_Sym sym = symbol(&v, sh.sh_offset + j * symsize);
			int type = ELF64_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) || !sym.st_value ||
			    sym.st_name >= strsh.sh_size || !s->strings[sym.st_name])
				continue;
			s->sym[s->n++] = (struct symbol){ sym.st_value, sym.st_size, s->strings + sym.st_name };
		}
		qsort(s->sym, s->n, sizeof(*s->sym), by_addr);
		return 0;
	}
	return 0;
}

void symbols_free(struct symbols *s)
{
	free(s->sym);
	free(s->strings);
	memset(s, 0, sizeof(*s));
}

const char *symbols_describe(const struct symbols *s, uint64_t addr, char *buf, size_t len)
{
	/* The last symbol at or below addr; sized symbols must also cover it. */
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->sym[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || (s->sym[lo - 1].size && addr - s->sym[lo - 1].addr >= s->sym[lo - 1].size)) {
		snprintf(buf, len, "?");
		return buf;
	}
	const struct symbol *sym = &s->sym[lo - 1];
	snprintf(buf, len, "%s+0x%llx", sym->name, (unsigned long long)(addr - sym->addr));
	return buf;
}
