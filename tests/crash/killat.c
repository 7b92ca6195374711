/*
 * killat.c — an LD_PRELOAD shim for the kill loop (tests/crash/30-kill-loop.sh):
 * it kills the process with SIGKILL at an exact durability point, so a test
 * can crash certsrvd at every step of a sequence (restore recovery, a
 * checkpoint...) instead of at a random moment. Test-only: never linked into
 * the product.
 *
 * A "point" is a call to one of fsync, fdatasync, ftruncate, rename, unlink,
 * remove, link: the calls that move durable state from one step to the next.
 *
 * Environment:
 *   KILLAT_N=N          the Nth point (1-based, counted over every thread)
 *                       raises SIGKILL instead of running the call (the call
 *                       never happens); unset or 0: nothing is killed.
 *   KILLAT_AFTER=1      kill right after the Nth call returned instead (the
 *                       step happened, nothing after it did).
 *   KILLAT_MATCH=GLOB   count only the points whose "OP PATH" matches this
 *                       fnmatch(3) pattern, e.g. "unlink *logs/ca*.log"
 *                       (every point is still traced).
 *   KILLAT_TRACE=PATH   append one line "N OP PATH" per point to PATH before
 *                       it runs (O_APPEND, one write per line), so a test
 *                       can count the points of an uninterrupted run and
 *                       name the one a kill hit.
 *
 * Guarantees: every call is passed to libc unchanged except the one that
 * kills; the counter is atomic; the shim allocates nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long points, matched;

static long
env_long(const char *name)
{
	const char *s = getenv(name);

	return s ? strtol(s, NULL, 10) : 0;
}

static void
fd_path(int fd, char *out, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	if (n < 0)
		n = 0;
	out[n] = '\0';
}

static void
trace(long n, const char *op, const char *path)
{
	const char *file = getenv("KILLAT_TRACE");
	char line[4200];
	int fd, len;

	if (!file)
		return;
	len = snprintf(line, sizeof(line), "%ld %s %s\n", n, op, path);
	if (len < 0 || (size_t)len >= sizeof(line))
		return;
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)len) < 0) {
		/* nothing to do: the trace is best effort */
	}
	close(fd);
}

/* Called before each point: counts it, traces it, kills if it is the one.
 * Returns the point's number for after(). */
static long
before(const char *op, const char *path)
{
	const char *glob = getenv("KILLAT_MATCH");
	long n = atomic_fetch_add(&points, 1) + 1;
	char what[4200];

	trace(n, op, path);
	if (glob) {
		snprintf(what, sizeof(what), "%s %s", op, path);
		if (fnmatch(glob, what, 0) != 0)
			return 0;
		n = atomic_fetch_add(&matched, 1) + 1;
	}
	if (n == env_long("KILLAT_N") && env_long("KILLAT_AFTER") == 0)
		raise(SIGKILL);
	return n;
}

static void
after(long n)
{
	if (n > 0 && n == env_long("KILLAT_N") && env_long("KILLAT_AFTER") != 0)
		raise(SIGKILL);
}

#define NEXT(type, name) ((type)dlsym(RTLD_NEXT, name))

int
fsync(int fd)
{
	char path[4096];
	long n;
	int r;

	fd_path(fd, path, sizeof(path));
	n = before("fsync", path);
	r = NEXT(int (*)(int), "fsync")(fd);
	after(n);
	return r;
}

int
fdatasync(int fd)
{
	char path[4096];
	long n;
	int r;

	fd_path(fd, path, sizeof(path));
	n = before("fdatasync", path);
	r = NEXT(int (*)(int), "fdatasync")(fd);
	after(n);
	return r;
}

int
ftruncate(int fd, off_t len)
{
	char path[4096];
	long n;
	int r;

	fd_path(fd, path, sizeof(path));
	n = before("ftruncate", path);
	r = NEXT(int (*)(int, off_t), "ftruncate")(fd, len);
	after(n);
	return r;
}

int
rename(const char *from, const char *to)
{
	long n = before("rename", to);
	int r = NEXT(int (*)(const char *, const char *), "rename")(from, to);

	after(n);
	return r;
}

int
link(const char *from, const char *to)
{
	long n = before("link", to);
	int r = NEXT(int (*)(const char *, const char *), "link")(from, to);

	after(n);
	return r;
}

int
unlink(const char *path)
{
	long n = before("unlink", path);
	int r = NEXT(int (*)(const char *), "unlink")(path);

	after(n);
	return r;
}

int
remove(const char *path)
{
	long n = before("remove", path);
	int r = NEXT(int (*)(const char *), "remove")(path);

	after(n);
	return r;
}
