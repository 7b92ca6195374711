/*
 * faultfs.c — an LD_PRELOAD shim that injects I/O failures into a real
 * certsrvd (or certsrv) for the fault-injection tests: redo log writes and
 * syncs (invariant I6), the checkpoint file, backup streaming (sendfile and
 * reads on the server, the set's files on the client). Test-only: never
 * linked into the product.
 *
 * Environment:
 *   FAULTFS_RULES="RULE[;RULE...]"  RULE is OP:GLOB:N:ERR
 *       OP    write | read | fsync | fdatasync | sendfile | rename
 *       GLOB  fnmatch(3) pattern (no flags: '*' also matches '/') applied to
 *             the file's path (/proc/self/fd/FD for descriptors; for
 *             sendfile the file read from; for rename the new name)
 *       N     the Nth matching call fails; "N+" fails the Nth and every
 *             later one (a disk that stays full)
 *       ERR   EIO | ENOSPC | EDQUOT | ENOMEM
 *   FAULTFS_ARM=PATH   rules count and fire only while PATH exists, so a
 *       test can start the daemon cleanly and arm the fault at the moment
 *       it wants (unset: always armed).
 *   FAULTFS_LOG_FDATASYNC=N  the Nth fdatasync() on a log file fails with EIO
 *   FAULTFS_LOG_WRITE=N      the Nth write() to a log file fails with ENOSPC
 *       (the first knobs; same as the rules fdatasync:LOG:N:EIO and
 *       write:LOG:N:ENOSPC, LOG = DIR/logs/caXXXXXXXX.log).
 * Every rule that fires writes one line "faultfs: OP PATH -> ERR" to stderr
 * (the daemon's log), so a test can see that the fault really happened.
 * Guarantees: a call that does not fail is passed to libc unchanged; the
 * counters are atomic (the daemon's threads call concurrently).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_RULES 16
#define LOG_GLOB "*/logs/ca\?\?\?\?\?\?\?\?.log"

enum op { OP_WRITE, OP_READ, OP_FSYNC, OP_FDATASYNC, OP_SENDFILE, OP_RENAME };

struct rule {
	enum op op;
	char glob[512];
	long n;
	int from_n_on;
	int err;
	atomic_long calls;
};

static struct rule rules[MAX_RULES];
static int n_rules;
static const char *arm_path;

static const char *const op_names[] = { "write", "read", "fsync", "fdatasync",
					"sendfile", "rename" };

static int
parse_op(const char *s, size_t len, enum op *op)
{
	size_t i;

	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strlen(op_names[i]) == len && !strncmp(s, op_names[i], len)) {
			*op = (enum op)i;
			return 0;
		}
	return -1;
}

static int
parse_err(const char *s)
{
	if (!strcmp(s, "EIO"))
		return EIO;
	if (!strcmp(s, "ENOSPC"))
		return ENOSPC;
	if (!strcmp(s, "EDQUOT"))
		return EDQUOT;
	if (!strcmp(s, "ENOMEM"))
		return ENOMEM;
	return 0;
}

static void
add_rule(enum op op, const char *glob, long n, int from_n_on, int err)
{
	struct rule *r;

	if (n_rules == MAX_RULES || n < 1 || !err ||
	    strlen(glob) >= sizeof(rules[0].glob))
		return;
	r = &rules[n_rules++];
	r->op = op;
	snprintf(r->glob, sizeof(r->glob), "%s", glob);
	r->n = n;
	r->from_n_on = from_n_on;
	r->err = err;
	atomic_init(&r->calls, 0);
}

/* One RULE "OP:GLOB:N[+]:ERR"; a malformed rule is reported and ignored. */
static void
parse_rule(char *s)
{
	char *c1 = strchr(s, ':'), *c3 = strrchr(s, ':'), *c2, *end;
	enum op op;
	long n;
	int err;

	if (!c1 || c3 == c1)
		goto bad;
	*c3 = '\0';
	c2 = strrchr(s, ':');
	if (c2 == c1 || parse_op(s, (size_t)(c1 - s), &op) < 0)
		goto bad;
	*c2 = '\0';
	n = strtol(c2 + 1, &end, 10);
	err = parse_err(c3 + 1);
	if ((*end != '\0' && strcmp(end, "+") != 0) || !err)
		goto bad;
	add_rule(op, c1 + 1, n, *end == '+', err);
	return;
bad:
	fprintf(stderr, "faultfs: ignoring malformed rule \"%s\"\n", s);
}

__attribute__((constructor)) static void
faultfs_init(void)
{
	const char *v;
	char *copy, *tok, *save = NULL;

	arm_path = getenv("FAULTFS_ARM");
	v = getenv("FAULTFS_LOG_FDATASYNC");
	if (v)
		add_rule(OP_FDATASYNC, LOG_GLOB, strtol(v, NULL, 10), 0, EIO);
	v = getenv("FAULTFS_LOG_WRITE");
	if (v)
		add_rule(OP_WRITE, LOG_GLOB, strtol(v, NULL, 10), 0, ENOSPC);
	v = getenv("FAULTFS_RULES");
	if (!v || !(copy = strdup(v)))
		return;
	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
		parse_rule(tok);
	free(copy);
}

static int
fd_path(int fd, char *path, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, size - 1);
	if (n <= 0)
		return -1;
	path[n] = '\0';
	return 0;
}

/* The error the call (op on path) must fail with, or 0. */
static int
fault_for(enum op op, const char *path)
{
	long k;
	int i, e = 0;

	if (arm_path && access(arm_path, F_OK) != 0)
		return 0;
	for (i = 0; i < n_rules; i++) {
		if (rules[i].op != op || fnmatch(rules[i].glob, path, 0) != 0)
			continue;
		k = atomic_fetch_add(&rules[i].calls, 1) + 1;
		if (!e && (k == rules[i].n || (rules[i].from_n_on && k > rules[i].n)))
			e = rules[i].err;
	}
	if (e)
		fprintf(stderr, "faultfs: %s %s -> %s\n", op_names[op], path,
			strerror(e));
	return e;
}

static int
fd_fault(enum op op, int fd)
{
	char path[4096];

	if (n_rules == 0 || fd_path(fd, path, sizeof(path)) < 0)
		return 0;
	return fault_for(op, path);
}

/* The libc function this shim wraps, looked up once. */
#define REAL(name)                                                           \
	static __typeof__(&(name)) real;                                     \
	if (!real)                                                           \
		real = (__typeof__(&(name)))dlsym(RTLD_NEXT, #name)

int
fdatasync(int fd)
{
	REAL(fdatasync);
	int e = fd_fault(OP_FDATASYNC, fd);

	if (e) {
		errno = e;
		return -1;
	}
	return real(fd);
}

int
fsync(int fd)
{
	REAL(fsync);
	int e = fd_fault(OP_FSYNC, fd);

	if (e) {
		errno = e;
		return -1;
	}
	return real(fd);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	REAL(write);
	int e = fd_fault(OP_WRITE, fd);

	if (e) {
		errno = e;
		return -1;
	}
	return real(fd, buf, len);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	REAL(read);
	int e = fd_fault(OP_READ, fd);

	if (e) {
		errno = e;
		return -1;
	}
	return real(fd, buf, len);
}

ssize_t
sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	REAL(sendfile);
	int e = fd_fault(OP_SENDFILE, in_fd);

	if (e) {
		errno = e;
		return -1;
	}
	return real(out_fd, in_fd, offset, count);
}

ssize_t sendfile64(int out_fd, int in_fd, off_t *offset, size_t count);

ssize_t
sendfile64(int out_fd, int in_fd, off_t *offset, size_t count)
{
	return sendfile(out_fd, in_fd, offset, count);
}

int
rename(const char *from, const char *to)
{
	REAL(rename);
	int e = n_rules ? fault_for(OP_RENAME, to) : 0;

	if (e) {
		errno = e;
		return -1;
	}
	return real(from, to);
}
