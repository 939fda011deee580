/* Files rewind writes: see core/outfile.h for the promise they keep. */
#define _GNU_SOURCE /* mkostemp */
#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int outfile_temp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	if ((size_t)snprintf(tmp, tmplen, "%s.tmp-XXXXXX", path) >= tmplen) {
		snprintf(err, errlen, "%s: name too long", path);
		return -ENAMETOOLONG;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0644)) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		snprintf(err, errlen, "%s: cannot create a file beside it: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

bool outfile_same(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}
