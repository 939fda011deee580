#include "core/symbols.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
			s->sym[s->n++] = (struct symbol){ sym.st_value, sym.st_size, s->strings + sym.st_name,
							  type == STT_FUNC };
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

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* System.map types of code: text, weak (an undefined weak symbol has no address). */
static bool code_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

/* "ADDRESS TYPE NAME" lines, as nm and the kernel write them. Absolute (A), undefined (U) and
 * zero-address symbols name no place in the kernel and are skipped. The text gives no sizes:
 * each symbol is taken to reach the next address, the last one to cover its own byte. */
static int load_map(struct symbols *s, const char *path, const char *text, size_t len, char *err,
		    size_t errlen)
{
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	s->sym = calloc(lines + 1, sizeof(*s->sym));
	s->strings = malloc(len + 1);
	if (!s->sym || !s->strings)
		return fail(err, errlen, "%s: %s", path, strerror(ENOMEM));
	memcpy(s->strings, text, len);
	s->strings[len] = 0;
	char *p = s->strings, *end = s->strings + len;
	for (size_t lineno = 1; p < end; lineno++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line = p;
		if (nl)
			*nl = 0;
		p = nl ? nl + 1 : end;
		char *addr_end, *save;
		char *addr = strtok_r(line, " \t", &save), *type = strtok_r(NULL, " \t", &save);
		char *name = strtok_r(NULL, " \t", &save), *module = strtok_r(NULL, " \t", &save);
		if (!addr && !nl)
			break; /* the end of a file without a final newline */
		errno = 0;
		uint64_t a = addr ? strtoull(addr, &addr_end, 16) : 0;
		if (!addr || errno || *addr_end || !type || strlen(type) != 1 || !name ||
		    (module && (module[0] != '[' || strtok_r(NULL, " \t", &save))))
			return fail(err, errlen, "%s: line %zu is not \"ADDRESS TYPE NAME\" (a System.map "
					    "or /proc/kallsyms line)", path, lineno);
		if (a && strchr("AaUu", type[0]) == NULL)
			s->sym[s->n++] = (struct symbol){ a, 0, name, code_type(type[0]) };
	}
	qsort(s->sym, s->n, sizeof(*s->sym), by_addr);
	for (size_t i = 0, next = 0; i < s->n; i++) {
		while (next < s->n && s->sym[next].addr <= s->sym[i].addr)
			next++;
		s->sym[i].size = next < s->n ? s->sym[next].addr - s->sym[i].addr : 1;
	}
	return 0;
}

int symbols_load_file(struct symbols *s, const char *path, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return fail(err, errlen, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode) || !st.st_size) {
		close(fd);
		return fail(err, errlen, "%s: %s", path, st.st_size ? "not a regular file" : "empty");
	}
	/* A vmlinux with debug info is hundreds of MB: map it, read only the symbol table. */
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return fail(err, errlen, "%s: %s", path, strerror(e));
	size_t len = (size_t)st.st_size;
	int rc;
	if (len >= SELFMAG && !memcmp(map, ELFMAG, SELFMAG)) {
		rc = symbols_load(s, map, len);
		if (rc)
			rc = fail(err, errlen, "%s: %s", path, strerror(-rc));
		else if (!s->n)
			rc = fail(err, errlen, "%s: an ELF file without a symbol table (stripped?)", path);
	} else if (memchr(map, 0, len)) {
		rc = fail(err, errlen, "%s: neither an ELF file nor a text symbol map", path);
	} else {
		rc = load_map(s, path, map, len, err, errlen);
		if (!rc && !s->n)
			rc = fail(err, errlen, "%s: no symbol with an address in it", path);
	}
	munmap(map, len);
	if (rc)
		symbols_free(s);
	return rc;
}

const struct symbol *symbols_find(const struct symbols *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->sym[i].name, name))
			return &s->sym[i];
	return NULL;
}

const struct symbol *symbols_at(const struct symbols *s, uint64_t addr)
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
	if (lo == 0 || (s->sym[lo - 1].size && addr - s->sym[lo - 1].addr >= s->sym[lo - 1].size))
		return NULL;
	return &s->sym[lo - 1];
}

const char *symbols_describe(const struct symbols *s, uint64_t addr, char *buf, size_t len)
{
	const struct symbol *sym = symbols_at(s, addr);
	if (!sym)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s+0x%llx", sym->name, (unsigned long long)(addr - sym->addr));
	return buf;
}
