/*
 * pjournal.c — writer and reader of the power-loss journal (see pjournal.h).
 * Test-only. The writer uses raw system calls so that the shims' own
 * interposers never see the journal's I/O.
 *
 * Record layout (host byte order, the journal never leaves the machine):
 *   u32 magic, u32 type, u64 off, u64 old_size, u64 old_len, u64 new_len,
 *   u32 path_len, u32 path2_len, u32 saved_len, u32 zero,
 *   then path, path2, saved (each with its NUL), old bytes, new bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pjournal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PJ_MAGIC 0x314a5250u  /* "PRJ1" */

struct pj_hdr {
	uint32_t magic, type;
	uint64_t off, old_size, old_len, new_len;
	uint32_t path_len, path2_len, saved_len, zero;
};

static pthread_mutex_t pj_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int pj_fd = -1;
static unsigned long pj_saved_count;
static unsigned long pj_records;

int
pj_enabled(void)
{
	const char *d = getenv("POWERLOSS_JOURNAL");

	return d && *d;
}

void
pj_lock(void)
{
	pthread_mutex_lock(&pj_mutex);
}

void
pj_unlock(void)
{
	pthread_mutex_unlock(&pj_mutex);
}

static void
pj_die(const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "powerloss journal: %s: %s\n", what,
			 strerror(errno));

	if (n > 0)
		(void)syscall(SYS_write, 2, msg, (size_t)n);
	abort();
}

static int
journal_fd(void)
{
	char path[4096];

	if (pj_fd >= 0)
		return pj_fd;
	snprintf(path, sizeof(path), "%s/journal", getenv("POWERLOSS_JOURNAL"));
	pj_fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (pj_fd < 0)
		pj_die(path);
	return pj_fd;
}

/* POWERLOSS_KILL_AT=N: SIGKILL this process right after the Nth record is
 * journaled, before its operation runs. Called under pj_lock(). A value
 * that is not a positive number aborts (a typo must not test nothing). */
static void
kill_at_record(void)
{
	const char *v = getenv("POWERLOSS_KILL_AT");
	char *end;
	unsigned long target;

	pj_records++;
	if (!v || !*v)
		return;
	errno = 0;
	target = strtoul(v, &end, 10);
	if (errno || *end || target == 0) {
		errno = EINVAL;
		pj_die("POWERLOSS_KILL_AT is not a positive number");
	}
	if (pj_records == target)
		(void)syscall(SYS_kill, getpid(), SIGKILL);
}

void
pj_append(const struct pj_rec *r)
{
	struct pj_hdr h;
	size_t pl = strlen(r->path) + 1, p2l = strlen(r->path2) + 1;
	size_t sl = strlen(r->saved) + 1, total;
	uint8_t *buf, *p;
	long n;

	memset(&h, 0, sizeof(h));
	h.magic = PJ_MAGIC;
	h.type = r->type;
	h.off = r->off;
	h.old_size = r->old_size;
	h.old_len = r->old_len;
	h.new_len = r->new_len;
	h.path_len = (uint32_t)pl;
	h.path2_len = (uint32_t)p2l;
	h.saved_len = (uint32_t)sl;
	total = sizeof(h) + pl + p2l + sl + r->old_len + r->new_len;
	buf = malloc(total);
	if (!buf)
		pj_die("out of memory");
	p = buf;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, r->path, pl);
	p += pl;
	memcpy(p, r->path2, p2l);
	p += p2l;
	memcpy(p, r->saved, sl);
	p += sl;
	if (r->old_len)
		memcpy(p, r->old_data, r->old_len);
	p += r->old_len;
	if (r->new_len)
		memcpy(p, r->new_data, r->new_len);
	n = syscall(SYS_write, journal_fd(), buf, total);
	free(buf);
	if (n != (long)total)
		pj_die("short write");
	kill_at_record();
}

void
pj_save(const char *path, char *out, size_t outsz)
{
	struct stat st;

	out[0] = '\0';
	if (stat(path, &st) < 0)
		return;
	snprintf(out, outsz, "%s/saved.%lu", getenv("POWERLOSS_JOURNAL"),
		 ++pj_saved_count);
	if (link(path, out) < 0)
		pj_die(path);
}

/* ---- reader ---- */

static int
read_file(const char *file, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
	}
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int
pj_read(const char *file, struct pj_rec **recs, size_t *n, void **blob)
{
	uint8_t *data = NULL, *p;
	size_t len = 0, cap = 0, count = 0, left;
	struct pj_rec *out = NULL, *tmp;
	struct pj_hdr h;
	int rc;

	rc = read_file(file, &data, &len);
	if (rc < 0)
		return rc;
	for (p = data, left = len; left >= sizeof(h);) {
		size_t body;

		memcpy(&h, p, sizeof(h));
		if (h.magic != PJ_MAGIC)
			break;
		body = (size_t)h.path_len + h.path2_len + h.saved_len + h.old_len + h.new_len;
		if (body > left - sizeof(h))
			break;   /* cut short by the kill: never started */
		if (count == cap) {
			cap = cap ? cap * 2 : 256;
			tmp = realloc(out, cap * sizeof(*out));
			if (!tmp) {
				free(out);
				free(data);
				return -ENOMEM;
			}
			out = tmp;
		}
		p += sizeof(h);
		out[count] = (struct pj_rec){ .type = h.type, .off = h.off,
					      .old_size = h.old_size };
		out[count].path = (const char *)p;
		p += h.path_len;
		out[count].path2 = (const char *)p;
		p += h.path2_len;
		out[count].saved = (const char *)p;
		p += h.saved_len;
		out[count].old_data = p;
		out[count].old_len = h.old_len;
		p += h.old_len;
		out[count].new_data = p;
		out[count].new_len = h.new_len;
		p += h.new_len;
		left -= sizeof(h) + body;
		count++;
	}
	*recs = out;
	*n = count;
	*blob = data;
	return 0;
}
