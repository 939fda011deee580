/* Function and object symbols of the guest kernel's ELF, for naming guest addresses in
 * crash reports and exit reports. */
#ifndef REWIND_SYMBOLS_H
#define REWIND_SYMBOLS_H
#include <stddef.h>
#include <stdint.h>

struct symbol {
	uint64_t addr, size;
	const char *name;	/* points into the symbol table's own copy of the strings */
};

struct symbols {
	struct symbol *sym;	/* sorted by address */
	size_t n;
	char *strings;
};

/* Reads the ELF64 .symtab of image; an image without one gives an empty table. */
int symbols_load(struct symbols *s, const uint8_t *image, size_t len);
void symbols_free(struct symbols *s);
/* Writes "name+0xoff" for addr into buf, or "?" when no symbol covers it. */
const char *symbols_describe(const struct symbols *s, uint64_t addr, char *buf, size_t len);

#endif
