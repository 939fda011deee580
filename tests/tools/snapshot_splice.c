/* snapshot_splice STATE POSITION OUT: writes OUT with the machine state of snapshot STATE and
 * the position (exit count, whole-state digest) of snapshot POSITION, every checksum and the
 * memory digest valid: a snapshot whose state is not the one its digest was taken of, as a
 * restore that brought back less than it saved would leave. `rewind restore` must refuse it
 * (tests/integration/snapshots.sh). Both snapshots must embed their pages (`run -S`). */
#include "core/pagestore.h"
#include "core/snapshot.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	char err[512];
	struct pagestore ps;
	struct snapshot state, pos;
	if (argc != 4) {
		fprintf(stderr, "usage: snapshot_splice STATE POSITION OUT\n");
		return 2;
	}
	if (pagestore_init(&ps) || snapshot_read(argv[1], &ps, &state, err, sizeof(err)) ||
	    snapshot_read(argv[2], &ps, &pos, err, sizeof(err))) {
		fprintf(stderr, "snapshot_splice: %s\n", err);
		return 1;
	}
	state.position = pos.position;
	state.position_len = pos.position_len;
	if (snapshot_write(argv[3], &state, &ps, NULL, err, sizeof(err))) {
		fprintf(stderr, "snapshot_splice: %s\n", err);
		return 1;
	}
	return 0;
}
