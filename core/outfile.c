/* Files rewind writes: see core/outfile.h for the promise they keep. */
#define _GNU_SOURCE /* mkostemp */
#include "core/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The unfinished outputs, where a signal handler can find them: it has no other way in. A
 * slot is taken by storing its path, last; and freed by clearing it, first. */
struct unfinished {
	_Atomic(const char *) path;
	bool (*ours)(const char *name);	/* a directory: the names of rewind's files in it */
};
#define MAX_UNFINISHED 8 /* a checkpoint directory and the file being written in it: 2 */
static struct unfinished unfinished[MAX_UNFINISHED];

static int not_regular(const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: not a regular file (rewind replaces only regular files)", path);
	return -EEXIST;
}

int outfile_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISREG(st.st_mode) ? 0 : not_regular(path, err, errlen);
	if (errno == ENOENT)
		return 0;
	int e = errno;
	snprintf(err, errlen, "%s: %s", path, strerror(e));
	return -e;
}

int outfile_open(const char *path, bool *created, char *err, size_t errlen)
{
	*created = true;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		*created = false;
		/* Checked before opening, as opening a device or a FIFO already acts on it, and
		 * again after, in case the name was replaced in between. */
		int rc = outfile_check(path, err, errlen);
		if (rc)
			return rc;
		fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
			close(fd);
			return not_regular(path, err, errlen);
		}
		if (fd >= 0 && (fcntl(fd, F_SETFL, 0) || ftruncate(fd, 0))) {
			int e = errno;
			close(fd);
			errno = e;
			fd = -1;
		}
	}
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

static struct unfinished *free_slot(void)
{
	for (int i = 0; i < MAX_UNFINISHED; i++)
		if (!atomic_load(&unfinished[i].path))
			return &unfinished[i];
	return NULL;
}

/* Creating an output and marking it unfinished is one step for a signal handler on this
 * thread: it sees the output marked, or not there at all. */
static void block_signals(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

int outfile_temp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	if ((size_t)snprintf(tmp, tmplen, "%s.tmp-XXXXXX", path) >= tmplen) {
		snprintf(err, errlen, "%s: name too long", path);
		return -ENAMETOOLONG;
	}
	sigset_t old;
	block_signals(&old);
	struct unfinished *u = free_slot();
	int fd = u ? mkostemp(tmp, O_CLOEXEC) : -1;
	int e = u ? errno : EMFILE;
	if (fd >= 0 && fchmod(fd, 0644)) {
		e = errno;
		close(fd);
		unlink(tmp);
		fd = -1;
	}
	if (fd >= 0) {
		u->ours = NULL;
		atomic_store(&u->path, tmp);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a file beside it: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

int outfile_temp_dir(const char *path, bool (*ours)(const char *name), char *err, size_t errlen)
{
	sigset_t old;
	block_signals(&old);
	struct unfinished *u = free_slot();
	int rc = u ? mkdir(path, 0755) : -1;
	int e = u ? errno : EMFILE;
	if (rc == 0) {
		u->ours = ours;
		atomic_store(&u->path, path);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	return rc ? -e : 0;
}

void outfile_finished(const char *path)
{
	for (int i = 0; i < MAX_UNFINISHED; i++) {
		const char *p = atomic_load(&unfinished[i].path);
		if (p && !strcmp(p, path))
			atomic_store(&unfinished[i].path, NULL);
	}
}

void outfile_remove_dir(const char *path, bool (*ours)(const char *name))
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	_Alignas(struct dirent64) char buf[4096];
	ssize_t n;
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *e = (const struct dirent64 *)(buf + off);
			if (ours(e->d_name))
				unlinkat(fd, e->d_name, 0);
			off += e->d_reclen;
		}
	}
	close(fd);
	rmdir(path);
}

void outfile_remove_unfinished(void)
{
	/* Files first: a directory here may hold one. */
	for (int dirs = 0; dirs <= 1; dirs++) {
		for (int i = 0; i < MAX_UNFINISHED; i++) {
			const char *p = atomic_load(&unfinished[i].path);
			bool is_dir = unfinished[i].ours != NULL;
			if (!p || is_dir != dirs)
				continue;
			if (is_dir)
				outfile_remove_dir(p, unfinished[i].ours);
			else
				unlink(p);
		}
	}
}

bool outfile_same(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}
