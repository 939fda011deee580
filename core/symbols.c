#include "core/symbols.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_addr(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int symbols_load(struct symbols *s, const uint8_t *image, size_t len)
{
	memset(s, 0, sizeof(*s));
	Elf64_Ehdr h;
	if (len < sizeof(h) || memcmp(image, ELFMAG, SELFMAG) || image[EI_CLASS] != ELFCLASS64)
		return 0;
	memcpy(&h, image, sizeof(h));
	if (h.e_shentsize != sizeof(Elf64_Shdr) || h.e_shoff > len ||
	    (uint64_t)h.e_shnum * sizeof(Elf64_Shdr) > len - h.e_shoff)
		return 0;
	const uint8_t *shdrs = image + h.e_shoff;
	for (int i = 0; i < h.e_shnum; i++) {
		Elf64_Shdr sh, strsh;
		memcpy(&sh, shdrs + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= h.e_shnum)
			continue;
		memcpy(&strsh, shdrs + sh.sh_link * sizeof(sh), sizeof(sh));
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset || strsh.sh_offset > len ||
		    strsh.sh_size > len - strsh.sh_offset || !strsh.sh_size)
			return 0;
		size_t nsyms = sh.sh_size / sizeof(Elf64_Sym);
		s->sym = calloc(nsyms ? nsyms : 1, sizeof(*s->sym));
		s->strings = malloc(strsh.sh_size + 1);
		if (!s->sym || !s->strings) {
			symbols_free(s);
			return -ENOMEM;
		}
		memcpy(s->strings, image + strsh.sh_offset, strsh.sh_size);
		s->strings[strsh.sh_size] = 0;
		for (size_t j = 0; j < nsyms; j++) {
			Elf64_Sym sym;
			memcpy(&sym, image + sh.sh_offset + j * sizeof(sym), sizeof(sym));
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
