/* Guest physical memory: one anonymous mapping from guest physical 0. */
#ifndef REWIND_MEMORY_H
#define REWIND_MEMORY_H
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096ULL

struct guest_mem {
	uint8_t *host;	  /* host address of guest physical 0 */
	uint64_t size;	  /* bytes of RAM, a multiple of PAGE_SIZE */
};

int guest_mem_init(struct guest_mem *mem, uint64_t size);
void guest_mem_free(struct guest_mem *mem);
/* Host pointer to [gpa, gpa+len), or NULL when the range is not all RAM. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

#endif
