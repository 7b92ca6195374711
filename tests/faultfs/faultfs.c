/*
 * faultfs.c — an LD_PRELOAD shim that injects I/O failures into the redo log
 * of a real certsrvd, for the tests of invariant I6 (a failed log write or
 * fsync puts the writer in a sticky failed state and nothing unsynced is
 * acknowledged). Test-only: never linked into the product.
 *
 * Environment:
 *   FAULTFS_LOG_FDATASYNC=N  the Nth fdatasync() on a log file fails with EIO
 *   FAULTFS_LOG_WRITE=N      the Nth write() to a log file fails with ENOSPC
 * Counting covers only files named DIR/logs/caXXXXXXXX.log.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long fdatasync_calls;
static atomic_long write_calls;

static int
is_log_fd(int fd)
{
	char link[64], path[4096];
	ssize_t n;
	const char *base;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	base = strrchr(path, '/');
	return base && strlen(base) == 15 && strncmp(base, "/ca", 3) == 0 &&
	       strcmp(base + 11, ".log") == 0 && strstr(path, "/logs/") != NULL;
}

/* 1 if this call is the one configured to fail. */
static int
should_fail(const char *var, atomic_long *counter)
{
	const char *v = getenv(var);
	long n;

	if (!v)
		return 0;
	n = strtol(v, NULL, 10);
	return atomic_fetch_add(counter, 1) + 1 == n;
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (is_log_fd(fd) && should_fail("FAULTFS_LOG_FDATASYNC", &fdatasync_calls)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (!real)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (is_log_fd(fd) && should_fail("FAULTFS_LOG_WRITE", &write_calls)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, len);
}
