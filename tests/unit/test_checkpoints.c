/* Checkpoint directories on disk: what a new set replaces and what it leaves. Runs without a
 * VM: an empty set still writes its directory and store. */
#include "core/checkpoints.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int save_set(const char *trace)
{
	struct checkpoint_set set;
	char err[512];
	if (checkpoints_init(&set, 1000000, 0))
		return -1;
	int rc = checkpoints_save(&set, trace, 0, err, sizeof(err));
	if (rc)
		printf("  checkpoints_save: %s\n", err);
	checkpoints_free(&set);
	return rc;
}

/* A set made read-only (by its owner, who is not root: root ignores the mode) is still replaced
 * whole: no FILE.ckpt.old/ stays behind. */
TEST(read_only_set_is_replaced_whole)
{
	char dir[] = "/tmp/rewind-ckpt-XXXXXX", trace[64], path[96];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(trace, sizeof(trace), "%s/t.rwd", dir);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* As root, become nobody (owning the directory) so that permissions apply. */
		if (geteuid() == 0 && (chown(dir, 65534, 65534) || setgid(65534) || setuid(65534)))
			_exit(2);
		snprintf(path, sizeof(path), "%s.ckpt", trace);
		if (save_set(trace) || chmod(path, 0555) || save_set(trace))
			_exit(3);
		snprintf(path, sizeof(path), "%s.ckpt.old", trace);
		_exit(access(path, F_OK) == 0 ? 4 : 0);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

RUN_TESTS(T(read_only_set_is_replaced_whole))
