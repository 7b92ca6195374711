/*
 * fileio.c — file I/O helpers that never leave half-written files behind.
 *
 * Guarantees: every descriptor is opened with O_CLOEXEC and closed before
 * return; EINTR is retried; short reads/writes are looped over.
 * fio_write_atomic() writes a temp file in the target's directory, fsyncs it,
 * renames it over the target and fsyncs the directory, so after a crash the
 * path holds either the old or the new bytes; on failure the temp file is
 * removed and the target is untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"

int fio_write_full(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fio_read_full(int fd, void *data, size_t len, size_t *got)
{
	uint8_t *p = data;
	size_t done = 0;
	ssize_t n;
	int r = 0;

	while (done < len) {
		n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	if (got != NULL)
		*got = done;
	return r;
}

int fio_pread_full(int fd, void *data, size_t len, off_t off, size_t *got)
{
	uint8_t *p = data;
	size_t done = 0;
	ssize_t n;
	int r = 0;

	if (off < 0) {
		r = -EINVAL;
		goto out;
	}
	while (done < len) {
		n = pread(fd, p + done, len - done, off + (off_t)done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
out:
	if (got != NULL)
		*got = done;
	return r;
}

/* Close, retrying nothing (Linux always releases the descriptor). */
static int fio_close(int fd)
{
	if (close(fd) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static int fio_fsync(int fd)
{
	while (fsync(fd) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Write data to a temp file next to path, fsync it, then move it into place:
 * rename() (replaces path) or, with exclusive, link() (fails with -EEXIST if
 * path exists) followed by removing the temp name; finally fsync the
 * directory. On failure the temp file is removed and path is untouched. */
static int place_file(const char *path, const void *data, size_t len,
		      mode_t mode, int exclusive)
{
	char *tmp = NULL;
	size_t plen;
	int fd = -1;
	int r;

	if (path == NULL || *path == '\0')
		return -EINVAL;
	plen = strlen(path);
	tmp = malloc(plen + sizeof(".tmp.XXXXXX"));
	if (tmp == NULL)
		return -ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto fail;
	}
	r = fio_write_full(fd, data, len);
	if (r < 0)
		goto fail;
	r = fio_fsync(fd);
	if (r < 0)
		goto fail;
	r = fio_close(fd);
	fd = -1;
	if (r < 0)
		goto fail;
	if ((exclusive ? link(tmp, path) : rename(tmp, path)) < 0) {
		r = -errno;
		goto fail;
	}
	if (exclusive)
		unlink(tmp);
	r = fio_fsync_parent(path);
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return r;
}

int fio_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return place_file(path, data, len, mode, 0);
}

int fio_write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	return place_file(path, data, len, mode, 1);
}

int fio_read_all(const char *path, size_t max, uint8_t **out, size_t *len)
{
	uint8_t *data = NULL, *nd;
	size_t cap, used = 0, got, want;
	struct stat st;
	int fd, r;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (max > SIZE_MAX - 2)
		max = SIZE_MAX - 2;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	/* Size the buffer from stat, but never trust it: read until EOF, and
	 * reading max + 1 bytes proves the file too large. */
	if (st.st_size > 0 && (uint64_t)st.st_size < max)
		cap = (size_t)st.st_size + 1;
	else if (st.st_size > 0)
		cap = max + 1;
	else
		cap = max + 1 < 4096 ? max + 1 : 4096;
	data = malloc(cap + 1);
	if (data == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		want = cap - used;
		r = fio_read_full(fd, data + used, want, &got);
		if (r < 0)
			goto out;
		used += got;
		if (got < want)
			break;
		if (cap == max + 1) {
			r = -EFBIG;
			goto out;
		}
		cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
		nd = realloc(data, cap + 1);
		if (nd == NULL) {
			r = -ENOMEM;
			goto out;
		}
		data = nd;
	}
	data[used] = 0;
	*out = data;
	data = NULL;
	if (len != NULL)
		*len = used;
out:
	free(data);
	close(fd);
	return r;
}

int fio_fsync_dir(const char *dir)
{
	int fd, r;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fio_fsync(fd);
	close(fd);
	return r;
}

int fio_fsync_parent(const char *path)
{
	const char *slash;
	char *dir;
	size_t n;
	int r;

	slash = strrchr(path, '/');
	if (slash == NULL)
		return fio_fsync_dir(".");
	n = (size_t)(slash - path);
	if (n == 0)
		return fio_fsync_dir("/");
	dir = strndup(path, n);
	if (dir == NULL)
		return -ENOMEM;
	r = fio_fsync_dir(dir);
	free(dir);
	return r;
}

/* Create one directory; an existing directory is fine. A new one is made
 * durable: its entry in the parent is fsync'd (a power cut must not take
 * away a directory that a later fsync'd file lives in). */
static int fio_mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return fio_fsync_parent(path);
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int fio_mkdirs(const char *path, mode_t mode)
{
	char *copy;
	char *p;
	int r = 0;

	if (path == NULL || *path == '\0')
		return -EINVAL;
	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		r = fio_mkdir_one(copy, mode);
		*p = '/';
		if (r < 0)
			goto out;
	}
	r = fio_mkdir_one(copy, mode);
out:
	free(copy);
	return r;
}

int fio_datadir_owner(const char *datadir, uid_t *uid, gid_t *gid)
{
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(datadir, &st) < 0)
		return -errno;
	if (st.st_uid == 0)
		return 0;
	*uid = st.st_uid;
	*gid = st.st_gid;
	return 1;
}

/* Open the next component of a path below dfd, never through a symbolic
 * link: a directory on the way, or (last) the target itself. */
static int open_component(int dfd, const char *name, int last)
{
	int fd;

	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	do
		fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
			    (last ? 0 : O_DIRECTORY));
	while (fd < 0 && errno == EINTR);
	if (fd >= 0)
		return fd;
	/* O_NOFOLLOW on a symbolic link: ELOOP for the last component,
	 * ENOTDIR with O_DIRECTORY for the others. */
	if (errno == ENOTDIR && !last) {
		struct stat st;

		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			return -ELOOP;
		return -ENOTDIR;
	}
	return -errno;
}

/* What may be given away: a directory, or a regular file with one link. */
static int giveable(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return 0;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	return st->st_nlink == 1 ? 0 : -EMLINK;
}

int fio_give_beneath(const char *datadir, const char *rel, uid_t uid, gid_t gid)
{
	char *copy = NULL, *name, *slash;
	struct stat st;
	int dfd, fd, r = 0;

	if (rel == NULL || rel[0] == '/' || rel[0] == '\0')
		return -EINVAL;
	copy = strdup(rel);
	if (copy == NULL)
		return -ENOMEM;
	dfd = open(datadir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (dfd < 0) {
		r = -errno;
		goto out;
	}
	for (name = copy;; name = slash + 1) {
		slash = strchr(name, '/');
		if (slash)
			*slash = '\0';
		fd = open_component(dfd, name, slash == NULL);
		close(dfd);
		dfd = fd;
		if (fd < 0 || !slash)
			break;
	}
	if (dfd < 0) {
		r = dfd;
		goto out;
	}
	if (fstat(dfd, &st) < 0) {
		r = -errno;
		goto out;
	}
	r = giveable(&st);
	if (r == 0 && (st.st_uid != uid || st.st_gid != gid) &&
	    fchown(dfd, uid, gid) < 0)
		r = -errno;
out:
	if (dfd >= 0)
		close(dfd);
	free(copy);
	return r;
}

char *fio_join(const char *dir, const char *name)
{
	size_t dl, nl, sep;
	char *s;

	dl = strlen(dir);
	nl = strlen(name);
	sep = (dl > 0 && dir[dl - 1] == '/') ? 0 : 1;
	if (dl == 0)
		sep = 0;
	s = malloc(dl + sep + nl + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, dir, dl);
	if (sep)
		s[dl] = '/';
	memcpy(s + dl + sep, name, nl + 1);
	return s;
}

/* 1 if path exists (following symlinks), 0 if not, or a negative errno. */
int fio_exists(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return -errno;
}

void fio_write_behind(int fd, struct fio_behind *wb, uint64_t written)
{
	if (written < wb->started || written - wb->started < FIO_WRITE_BEHIND)
		return;
	(void)sync_file_range(fd, (off_t)wb->started, (off_t)(written - wb->started),
			      SYNC_FILE_RANGE_WRITE);
	if (wb->started > wb->waited)
		(void)sync_file_range(fd, (off_t)wb->waited,
				      (off_t)(wb->started - wb->waited),
				      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				      SYNC_FILE_RANGE_WAIT_AFTER);
	wb->waited = wb->started;
	wb->started = written;
}
