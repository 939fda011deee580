/* libFuzzer target: any byte string read as a snapshot or as a page-store file must give an
 * error or a snapshot, never a crash, a leak, undefined behaviour or a hang. Pages inside a
 * file sit at any alignment (what once made is_zero_page load misaligned words). */
#include "tests/fuzz/fuzz_file.h"
#include "core/pagestore.h"
#include "core/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256], store[4096];
	int fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	struct pagestore ps;
	struct snapshot snap;
	if (pagestore_init(&ps) == 0) {
		if (snapshot_read(path, &ps, &snap, err, sizeof(err)) == 0)
			snapshot_free(&snap);
		pagestore_free(&ps);
	}
	snapshot_store_path(path, store, sizeof(store), err, sizeof(err));
	/* the same bytes as a store file */
	if (pagestore_load(&ps, path, err, sizeof(err)) == 0)
		pagestore_free(&ps);
	close(fd);
	return 0;
}
