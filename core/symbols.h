/* Function and object symbols of the guest kernel, for naming guest addresses in crash
 * reports and exit reports: from the kernel's ELF (the test kernel, a vmlinux), or from a
 * symbol file given with --symbols (a vmlinux, or a System.map / /proc/kallsyms text). */
#ifndef REWIND_SYMBOLS_H
#define REWIND_SYMBOLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbol {
	uint64_t addr, size;	/* size 0: unknown (a System.map line) */
	const char *name;	/* points into the symbol table's own copy of the strings */
	bool code;		/* a function: an ELF STT_FUNC, a System.map type t, T, w or W */
};

struct symbols {
	struct symbol *sym;	/* sorted by address */
	size_t n;
	char *strings;
};

/* Reads the ELF64 .symtab of image; an image without one gives an empty table. */
int symbols_load(struct symbols *s, const uint8_t *image, size_t len);
/* Reads the symbol file at path: an ELF with a .symtab, or "ADDRESS TYPE NAME" lines
 * (System.map, /proc/kallsyms; a fourth "[module]" word is allowed). Returns 0, or -1 with a
 * message naming the file and what is wrong with it (missing, unreadable, no symbols, a bad
 * line) in err. */
int symbols_load_file(struct symbols *s, const char *path, char *err, size_t errlen);
void symbols_free(struct symbols *s);
/* The symbol called name, or NULL. */
const struct symbol *symbols_find(const struct symbols *s, const char *name);
/* The symbol covering addr (at or below it and, when sized, reaching it), or NULL. */
const struct symbol *symbols_at(const struct symbols *s, uint64_t addr);
/* Writes "name+0xoff" for addr into buf, or "?" when no symbol covers it. */
const char *symbols_describe(const struct symbols *s, uint64_t addr, char *buf, size_t len);

#endif
