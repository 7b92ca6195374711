/*
 * logshim.c — the power-loss journal for the redo log and checkpoint files:
 * an LD_PRELOAD interposer (part of build/tests/libpowerloss.so, next to
 * testvfs.c) of open, write, pwrite, ftruncate, fsync, fdatasync, rename
 * and unlink. Test-only.
 *
 * Active when POWERLOSS_JOURNAL=DIR and POWERLOSS_DIR=DATADIR (absolute,
 * symlink-free) are set. It tracks the files directly in DATADIR/logs/
 * (caXXXXXXXX.log, ca.chk and the temp files of its atomic replace) and the
 * directory itself, and appends to the journal (pjournal.h), before each
 * call runs:
 *   write/pwrite  offset, old size, old bytes it overwrites, new bytes
 *   ftruncate     new size, old size, the old tail it cuts
 *   fsync/fdatasync on a file: SYNC; on DATADIR/logs: DIRSYNC
 *   open(O_CREAT) of a file that did not exist: CREATE
 *   rename/unlink: the name(s), plus a hard link (in DIR) to the file that
 *   is replaced or removed, so powercut can bring it back
 * Once a file DIR/kill-ns holding N exists (the test writes it when the
 * daemon is ready), the process SIGKILLs itself right after the Nth
 * journaled create, rename or unlink from then on (before the product can
 * fsync the directory), so that a power cut hits the window in which a
 * name is not yet durable (a random kill almost never does).
 * Files created by mkostemp() (libc-internal open) are not seen as created;
 * powercut treats them as existing, empty, from the start. A journaled
 * rename or unlink that then fails aborts the process: its journal would
 * claim an operation that did not happen.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pjournal.h"

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*fd_fn)(int);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*open_fn)(const char *, int, ...);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*unlink_fn)(const char *);

/* The next definition of a libc function (the real one). */
#define REAL_FN(name, type) \
	static type real_##name; \
	if (!real_##name) \
		real_##name = (type)dlsym(RTLD_NEXT, #name)

static void namespace_done(void);

/* DATADIR/logs, or "" when the shim is inactive. */
static const char *
logs_dir(void)
{
	static char dir[4096];
	static int done;
	const char *d;

	if (!done) {
		d = getenv("POWERLOSS_DIR");
		if (d && *d && pj_enabled())
			snprintf(dir, sizeof(dir), "%s/logs", d);
		done = 1;
	}
	return dir;
}

/* 1: a file directly in DATADIR/logs; 2: the directory itself; else 0. */
static int
tracked(const char *path)
{
	const char *dir = logs_dir();
	size_t n = strlen(dir);

	if (!n || strncmp(path, dir, n) != 0)
		return 0;
	if (path[n] == '\0')
		return 2;
	if (path[n] != '/' || strchr(path + n + 1, '/') ||
	    strstr(path + n, " (deleted)"))
		return 0;
	return 1;
}

static int
fd_path(int fd, char *out, size_t outsz)
{
	char link[64];
	ssize_t n;

	if (!*logs_dir())
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, outsz - 1);
	if (n <= 0)
		return 0;
	out[n] = '\0';
	return tracked(out);
}

static int
arg_path(const char *path, char *out, size_t outsz)
{
	char cwd[4096];

	if (!*logs_dir() || !path)
		return 0;
	if (path[0] == '/') {
		if ((size_t)snprintf(out, outsz, "%s", path) >= outsz)
			return 0;
	} else if (!getcwd(cwd, sizeof(cwd)) ||
		   (size_t)snprintf(out, outsz, "%s/%s", cwd, path) >= outsz) {
		return 0;
	}
	return tracked(out);
}

static void
journal_simple(uint32_t type, const char *path, const char *path2, const char *saved)
{
	struct pj_rec r = { .type = type, .path = path, .path2 = path2,
			    .saved = saved };

	pj_append(&r);
}

/* Old bytes of [off, off + len) of path, clipped to size; NULL if none. */
static uint8_t *
old_bytes(const char *path, uint64_t off, uint64_t size, size_t *len)
{
	uint8_t *b;
	ssize_t n;
	int fd;

	if (off >= size) {
		*len = 0;
		return NULL;
	}
	if (*len > size - off)
		*len = (size_t)(size - off);
	b = calloc(1, *len ? *len : 1);
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (b && fd >= 0) {
		n = pread(fd, b, *len, (off_t)off);
		(void)n;
	}
	if (fd >= 0)
		close(fd);
	return b;
}

/* Journal a write of len bytes at off (-1: the current position or, with
 * O_APPEND, the end). */
static void
journal_write(int fd, const char *path, const void *buf, size_t len, off_t off)
{
	struct stat st;
	struct pj_rec r;
	uint8_t *old;
	size_t old_len = len;

	if (fstat(fd, &st) < 0)
		st.st_size = 0;
	if (off < 0)
		off = (fcntl(fd, F_GETFL) & O_APPEND) ? st.st_size : lseek(fd, 0, SEEK_CUR);
	old = old_bytes(path, (uint64_t)off, (uint64_t)st.st_size, &old_len);
	r = (struct pj_rec){ .type = PJ_WRITE, .off = (uint64_t)off,
			     .old_size = (uint64_t)st.st_size, .path = path,
			     .path2 = "", .saved = "", .old_data = old,
			     .old_len = old_len, .new_data = buf, .new_len = len };
	pj_append(&r);
	free(old);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	char path[4096];
	ssize_t n;

	REAL_FN(write, write_fn);
	if (fd_path(fd, path, sizeof(path)) != 1)
		return real_write(fd, buf, len);
	pj_lock();
	journal_write(fd, path, buf, len, -1);
	n = real_write(fd, buf, len);
	pj_unlock();
	return n;
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	char path[4096];
	ssize_t n;

	REAL_FN(pwrite, pwrite_fn);
	if (fd_path(fd, path, sizeof(path)) != 1)
		return real_pwrite(fd, buf, len, off);
	pj_lock();
	journal_write(fd, path, buf, len, off);
	n = real_pwrite(fd, buf, len, off);
	pj_unlock();
	return n;
}

int
ftruncate(int fd, off_t size)
{
	char path[4096];
	struct stat st;
	struct pj_rec r;
	uint8_t *old;
	size_t old_len;
	int rc;

	REAL_FN(ftruncate, ftruncate_fn);
	if (fd_path(fd, path, sizeof(path)) != 1)
		return real_ftruncate(fd, size);
	pj_lock();
	if (fstat(fd, &st) < 0)
		st.st_size = 0;
	old_len = st.st_size > size ? (size_t)(st.st_size - size) : 0;
	old = old_bytes(path, (uint64_t)size, (uint64_t)st.st_size, &old_len);
	r = (struct pj_rec){ .type = PJ_TRUNC, .off = (uint64_t)size,
			     .old_size = (uint64_t)st.st_size, .path = path,
			     .path2 = "", .saved = "", .old_data = old,
			     .old_len = old_len };
	pj_append(&r);
	free(old);
	rc = real_ftruncate(fd, size);
	pj_unlock();
	return rc;
}

static int
sync_common(int fd, int (*real)(int))
{
	char path[4096];
	int t = fd_path(fd, path, sizeof(path)), rc;

	if (!t)
		return real(fd);
	pj_lock();
	journal_simple(t == 2 ? PJ_DIRSYNC : PJ_SYNC, path, "", "");
	rc = real(fd);
	pj_unlock();
	return rc;
}

int
fsync(int fd)
{
	REAL_FN(fsync, fd_fn);
	return sync_common(fd, real_fsync);
}

int
fdatasync(int fd)
{
	REAL_FN(fdatasync, fd_fn);
	return sync_common(fd, real_fdatasync);
}

int
open(const char *file, int flags, ...)
{
	char path[4096];
	struct stat st;
	mode_t mode = 0;
	va_list ap;
	int fd, created;

	REAL_FN(open, open_fn);
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!(flags & O_CREAT) || arg_path(file, path, sizeof(path)) != 1)
		return real_open(file, flags, mode);
	pj_lock();
	created = stat(path, &st) < 0 && errno == ENOENT;
	if (created)
		journal_simple(PJ_CREATE, path, "", "");
	fd = real_open(file, flags, mode);
	if (fd >= 0 && created)
		namespace_done();
	pj_unlock();
	return fd;
}

/* Count a journaled namespace operation once DIR/kill-ns exists; SIGKILL
 * at the one it names. Called under pj_lock(). */
static void
namespace_done(void)
{
	static long count, target;
	char path[4200];
	FILE *f;

	if (!target) {
		snprintf(path, sizeof(path), "%s/kill-ns", getenv("POWERLOSS_JOURNAL"));
		f = fopen(path, "r");
		if (!f)
			return;
		/* NOLINTNEXTLINE(cert-err34-c): written by powercut; < 1 refused */
		if (fscanf(f, "%ld", &target) != 1 || target < 1)
			target = 0;
		fclose(f);
		if (!target)
			return;
	}
	if (++count == target)
		kill(getpid(), SIGKILL);
}

static void
failed_after_journal(const char *what, const char *path)
{
	fprintf(stderr, "logshim: journaled %s of %s failed (%s); aborting\n",
		what, path, strerror(errno));
	abort();
}

int
rename(const char *from, const char *to)
{
	char a[4096], b[4096], saved[4200];
	int ta, tb, rc;

	REAL_FN(rename, rename_fn);
	ta = arg_path(from, a, sizeof(a));
	tb = arg_path(to, b, sizeof(b));
	if (ta != 1 && tb != 1)
		return real_rename(from, to);
	pj_lock();
	pj_save(b, saved, sizeof(saved));
	journal_simple(PJ_RENAME, a, b, saved);
	rc = real_rename(from, to);
	if (rc < 0)
		failed_after_journal("rename", a);
	namespace_done();
	pj_unlock();
	return rc;
}

int
unlink(const char *file)
{
	char path[4096], saved[4200];
	int rc;

	REAL_FN(unlink, unlink_fn);
	if (arg_path(file, path, sizeof(path)) != 1)
		return real_unlink(file);
	pj_lock();
	pj_save(path, saved, sizeof(saved));
	if (!saved[0]) {        /* nothing to remove: nothing to journal */
		pj_unlock();
		return real_unlink(file);
	}
	journal_simple(PJ_UNLINK, path, "", saved);
	rc = real_unlink(file);
	if (rc < 0)
		failed_after_journal("unlink", path);
	namespace_done();
	pj_unlock();
	return rc;
}
