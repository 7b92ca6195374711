/*
 * powercut.c — turns a data directory left by a SIGKILLed certsrvd (run
 * under build/tests/libpowerloss.so) into a state a power cut at that
 * moment could legally have left on disk. Test-only.
 *
 *   powercut --journal FILE --data-dir DIR --seed N
 *            [--drop-all] [--drop-synced-log]
 *
 * From the journal (pjournal.h) it first decides what was durable:
 *  - a write or truncation is durable if a later fsync/fdatasync/xSync of
 *    the same file follows it (files are followed through renames);
 *  - a create, rename or unlink in a directory is durable if a later fsync
 *    of that directory follows it.
 * Everything else is lost, kept or torn, chosen at random from the seed:
 * each unsynced write is kept, dropped, or torn (each 512-byte sector of it
 * kept or not); each unsynced truncation kept or dropped; of the unsynced
 * namespace operations of a directory a random prefix survives (directory
 * metadata is journaled in order by the file systems we run on).
 * Then it rewinds every journaled operation, newest first, using the old
 * bytes, old sizes and saved links (which gives the files as they were when
 * the daemon started), and re-applies in order the durable ones and the
 * chosen subset, so overlapping writes end up exactly as the kernel could
 * have written them. Finally it deletes db/ca.db-shm (shared memory, not
 * durable data: SQLite rebuilds it from the WAL).
 *
 * --drop-all drops every unsynced operation (the harshest legal cut).
 * --drop-synced-log also drops the last durable write to a redo log file:
 * an ILLEGAL state, for the negative self-test of the test's oracle.
 * Prints one summary line; exits 0, or 1 with a message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pjournal.h"

#define SECTOR 512u

enum fate { F_KEEP, F_DROP, F_TORN };

struct cut {
	struct pj_rec *r;
	size_t n;
	int *id;            /* file identity of content records */
	int *durable;
	int *fate;
	uint64_t rng;
	unsigned long kept, torn, dropped, ns_unsynced, ns_kept;
};

struct name { const char *path; int id; };

static uint64_t
rnd(struct cut *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static int
is_content(uint32_t t)
{
	return t == PJ_WRITE || t == PJ_TRUNC || t == PJ_SYNC;
}

static int
is_namespace(uint32_t t)
{
	return t == PJ_CREATE || t == PJ_RENAME || t == PJ_UNLINK;
}

/* Index of path in names (-1 if absent). */
static int
name_find(struct name *names, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i].path && !strcmp(names[i].path, path))
			return (int)i;
	return -1;
}

/* Give every content record the identity of the file it touched,
 * following renames; a create or an unknown name starts a new identity. */
static int
assign_ids(struct cut *c)
{
	struct name *names = calloc(c->n * 2 + 1, sizeof(*names));
	size_t nn = 0, i;
	int next = 0, k;

	if (!names)
		return -ENOMEM;
	for (i = 0; i < c->n; i++) {
		struct pj_rec *r = &c->r[i];

		c->id[i] = -1;
		k = name_find(names, nn, r->path);
		if (r->type == PJ_CREATE || (k < 0 && r->type != PJ_UNLINK)) {
			if (k >= 0)
				names[k].path = NULL;
			names[nn] = (struct name){ r->path, next++ };
			k = (int)nn++;
		}
		if (is_content(r->type)) {
			c->id[i] = names[k].id;
		} else if (r->type == PJ_RENAME) {
			int t = name_find(names, nn, r->path2);

			if (t >= 0)
				names[t].path = NULL;
			names[k].path = r->path2;
		} else if (r->type == PJ_UNLINK && k >= 0) {
			names[k].path = NULL;
		}
	}
	free(names);
	return 0;
}

static int
same_dir(const char *a, const char *dir)
{
	const char *s = strrchr(a, '/');
	size_t n = s ? (size_t)(s - a) : 0;

	return strlen(dir) == n && !strncmp(a, dir, n);
}

/* durable[i]: content followed by a sync of its file, namespace operation
 * followed by a sync of its directory. One pass from the newest record. */
static int
mark_durable(struct cut *c)
{
	char *synced_id = calloc(c->n + 1, 1);
	const char **dirs = calloc(c->n + 1, sizeof(*dirs));
	size_t i = c->n, nd = 0, k;

	if (!synced_id || !dirs) {
		free(synced_id);
		free(dirs);
		return -ENOMEM;
	}
	while (i-- > 0) {
		struct pj_rec *r = &c->r[i];
		int in_a = 0, in_b = !r->path2[0];

		c->durable[i] = 0;
		if (r->type == PJ_SYNC) {
			synced_id[c->id[i]] = 1;
		} else if (r->type == PJ_DIRSYNC) {
			dirs[nd++] = r->path;
		} else if (is_content(r->type)) {
			c->durable[i] = synced_id[c->id[i]] != 0;
		} else if (is_namespace(r->type)) {
			for (k = 0; k < nd; k++) {
				in_a |= same_dir(r->path, dirs[k]);
				in_b |= r->path2[0] && same_dir(r->path2, dirs[k]);
			}
			c->durable[i] = in_a && in_b;
		}
	}
	free(synced_id);
	free(dirs);
	return 0;
}

static void
choose_fates(struct cut *c, int drop_all)
{
	size_t i, j, cutoff;

	for (i = 0; i < c->n; i++) {
		struct pj_rec *r = &c->r[i];

		c->fate[i] = F_KEEP;
		if (c->durable[i] || r->type == PJ_SYNC || r->type == PJ_DIRSYNC)
			continue;
		if (is_namespace(r->type)) {
			c->fate[i] = -1;     /* decided per directory below */
			continue;
		}
		if (drop_all)
			c->fate[i] = F_DROP;
		else if (r->type == PJ_WRITE)
			c->fate[i] = (int)(rnd(c) % 3);   /* keep, drop, torn */
		else
			c->fate[i] = (int)(rnd(c) % 2);   /* keep, drop */
		c->kept += c->fate[i] == F_KEEP;
		c->dropped += c->fate[i] == F_DROP;
		c->torn += c->fate[i] == F_TORN;
	}
	/* Unsynced namespace operations: per directory, a prefix survives. */
	for (i = 0; i < c->n; i++) {
		size_t count = 0, seen = 0;
		const char *s;
		char dir[4096];

		if (c->fate[i] != -1)
			continue;
		s = strrchr(c->r[i].path, '/');
		snprintf(dir, sizeof(dir), "%.*s", s ? (int)(s - c->r[i].path) : 0,
			 c->r[i].path);
		for (j = i; j < c->n; j++)
			count += c->fate[j] == -1 && same_dir(c->r[j].path, dir);
		cutoff = drop_all ? 0 : (size_t)(rnd(c) % (count + 1));
		for (j = i; j < c->n; j++) {
			if (c->fate[j] != -1 || !same_dir(c->r[j].path, dir))
				continue;
			c->fate[j] = seen++ < cutoff ? F_KEEP : F_DROP;
		}
		c->ns_unsynced += count;
		c->ns_kept += cutoff;
	}
}

/* The negative self-test: lose the last durable redo log write. */
static int
drop_last_synced_log(struct cut *c)
{
	size_t i = c->n, len;

	while (i-- > 0) {
		len = strlen(c->r[i].path);
		if (c->r[i].type == PJ_WRITE && c->durable[i] && len > 4 &&
		    !strcmp(c->r[i].path + len - 4, ".log") && c->r[i].off > 0) {
			c->fate[i] = F_DROP;
			printf("dropped the synced log write at %s:%llu (%zu bytes)\n",
			       c->r[i].path, (unsigned long long)c->r[i].off,
			       c->r[i].new_len);
			return 0;
		}
	}
	fprintf(stderr, "powercut: no synced log write to drop\n");
	return -1;
}

static int
pwrite_full(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Open an existing file for writing; -1 (and no error) if it is gone. */
static int
open_existing(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 && errno != ENOENT)
		fprintf(stderr, "powercut: %s: %s\n", path, strerror(errno));
	return fd;
}

static int
undo(const struct pj_rec *r)
{
	int fd, rc = 0;

	switch (r->type) {
	case PJ_WRITE:
	case PJ_TRUNC:
		fd = open_existing(r->path);
		if (fd < 0)
			return 0;
		if (r->type == PJ_TRUNC)
			rc = ftruncate(fd, (off_t)r->old_size);
		if (rc == 0 && r->old_len)
			rc = pwrite_full(fd, r->old_data, r->old_len, r->off);
		if (rc == 0 && r->type == PJ_WRITE)
			rc = ftruncate(fd, (off_t)r->old_size);
		close(fd);
		return rc;
	case PJ_CREATE:
		return unlink(r->path) < 0 && errno != ENOENT ? -1 : 0;
	case PJ_RENAME:
		if (rename(r->path2, r->path) < 0 && errno != ENOENT)
			return -1;
		if (r->saved[0] && link(r->saved, r->path2) < 0)
			return -1;
		return 0;
	case PJ_UNLINK:
		if (r->saved[0] && link(r->saved, r->path) < 0 && errno != EEXIST)
			return -1;
		return 0;
	default:
		return 0;
	}
}

/* Write the kept sectors of a torn write. */
static int
redo_torn(struct cut *c, int fd, const struct pj_rec *r)
{
	uint64_t s = r->off, end = r->off + r->new_len, e;

	for (; s < end; s = e) {
		e = (s / SECTOR + 1) * SECTOR;
		if (e > end)
			e = end;
		if ((rnd(c) & 1) &&
		    pwrite_full(fd, r->new_data + (s - r->off), (size_t)(e - s), s) < 0)
			return -1;
	}
	return 0;
}

static int
redo(struct cut *c, const struct pj_rec *r, int fate)
{
	int fd, rc = 0;

	if (fate == F_DROP)
		return 0;
	switch (r->type) {
	case PJ_WRITE:
	case PJ_TRUNC:
		fd = open_existing(r->path);
		if (fd < 0)
			return 0;      /* its directory entry was lost */
		if (r->type == PJ_TRUNC)
			rc = ftruncate(fd, (off_t)r->off);
		else if (fate == F_TORN)
			rc = redo_torn(c, fd, r);
		else
			rc = pwrite_full(fd, r->new_data, r->new_len, r->off);
		close(fd);
		return rc;
	case PJ_CREATE:
		fd = open(r->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	case PJ_RENAME:
		return rename(r->path, r->path2) < 0 && errno != ENOENT ? -1 : 0;
	case PJ_UNLINK:
		return unlink(r->path) < 0 && errno != ENOENT ? -1 : 0;
	default:
		return 0;
	}
}

static int
apply(struct cut *c)
{
	size_t i;

	for (i = c->n; i-- > 0;) {
		if (undo(&c->r[i]) < 0) {
			fprintf(stderr, "powercut: undo of record %zu (%s): %s\n", i,
				c->r[i].path, strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < c->n; i++) {
		if (redo(c, &c->r[i], c->fate[i]) < 0) {
			fprintf(stderr, "powercut: redo of record %zu (%s): %s\n", i,
				c->r[i].path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: powercut --journal FILE --data-dir DIR --seed N"
			" [--drop-all] [--drop-synced-log]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *journal = NULL, *datadir = NULL;
	struct cut c = { 0 };
	int drop_all = 0, drop_synced = 0, i, rv = 1;
	unsigned long long seed = 1;
	void *blob = NULL;
	char shm[4096];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--journal") && i + 1 < argc)
			journal = argv[++i];
		else if (!strcmp(argv[i], "--data-dir") && i + 1 < argc)
			datadir = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--drop-all"))
			drop_all = 1;
		else if (!strcmp(argv[i], "--drop-synced-log"))
			drop_synced = 1;
		else
			usage();
	}
	if (!journal || !datadir)
		usage();
	if (pj_read(journal, &c.r, &c.n, &blob) < 0) {
		fprintf(stderr, "powercut: cannot read %s: %s\n", journal, strerror(errno));
		return 1;
	}
	c.rng = seed * 2654435761u + 0x9E3779B97F4A7C15ull;
	c.id = calloc(c.n + 1, sizeof(int));
	c.durable = calloc(c.n + 1, sizeof(int));
	c.fate = calloc(c.n + 1, sizeof(int));
	if (!c.id || !c.durable || !c.fate || assign_ids(&c) < 0) {
		fprintf(stderr, "powercut: out of memory\n");
		goto out;
	}
	if (mark_durable(&c) < 0)
		goto out;
	choose_fates(&c, drop_all);
	if (drop_synced && drop_last_synced_log(&c) < 0)
		goto out;
	if (apply(&c) < 0)
		goto out;
	snprintf(shm, sizeof(shm), "%s/db/ca.db-shm", datadir);
	if (unlink(shm) < 0 && errno != ENOENT) {
		fprintf(stderr, "powercut: %s: %s\n", shm, strerror(errno));
		goto out;
	}
	printf("seed %llu: %zu records; unsynced writes kept %lu, torn %lu,"
	       " dropped %lu; unsynced namespace operations %lu, kept %lu\n",
	       seed, c.n, c.kept, c.torn, c.dropped, c.ns_unsynced, c.ns_kept);
	rv = 0;
out:
	free(c.id);
	free(c.durable);
	free(c.fate);
	free(c.r);
	free(blob);
	return rv;
}
