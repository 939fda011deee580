#include "core/memory.h"

#include <errno.h>
#include <sys/mman.h>

int guest_mem_init(struct guest_mem *mem, uint64_t size)
{
	mem->size = size;
	mem->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	if (mem->host == MAP_FAILED) {
		mem->host = NULL;
		return -errno;
	}
	return 0;
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	mem->host = NULL;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (gpa > mem->size || len > mem->size - gpa)
		return NULL;
	return mem->host + gpa;
}
