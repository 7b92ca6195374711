/*
 * redo.c — the redo log: file naming, header codec, the append-only writer
 * and the validating reader (byte layout in redo.h and docs/formats.md).
 *
 * Guarantees:
 * - Every append is one write() of the whole record followed by fdatasync()
 *   before the call returns (I1). A failed, short or unsynced write puts the
 *   writer in a sticky failed state: every later call returns
 *   CS_E_FAILED_STATE and fsync is never retried (I6).
 * - Generations are created with O_CREAT|O_EXCL (mode 0640), their header is
 *   synced and the directory synced before any record goes in. A rolled
 *   generation is never written again (I5). LSNs are contiguous across
 *   generations because a new generation's first LSN is the next LSN (I2).
 * - The reader holds the whole file in memory (at most 1 GiB). It yields a
 *   record only if its length is within bounds, its crc verifies and its LSN
 *   is the previous one + 1 (the header's first LSN for the first record).
 *   At the first record that fails, it scans every later byte offset (and
 *   the failed offset itself) for a record whose length fits, whose crc
 *   verifies and whose LSN is above the last good one; if there is one the
 *   file is corrupt (CS_E_CORRUPT), otherwise that point is the end of the
 *   log and any bytes after it are a torn tail (I5).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "store/redo.h"

#define REDO_MAX_FILE ((size_t)1 << 30) /* reader refuses larger files */
#define REDO_REC_OVERHEAD (REDO_REC_HDR_LEN + REDO_REC_TRAILER_LEN)
#define REDO_FILE_MODE 0640

/* Header field offsets. */
#define H_MAGIC 0
#define H_VERSION 8
#define H_HDRLEN 12
#define H_GEN 16
#define H_RSV1 20
#define H_FIRST_LSN 24
#define H_LINEAGE 32
#define H_CREATED 48
#define H_RSV2 56
#define H_CRC 60

/* Record header field offsets. */
#define R_LEN 0
#define R_TYPE 4
#define R_FLAGS 6
#define R_LSN 8
#define R_TIME 16

/* ---- little-endian helpers ---- */

/* ---- names ---- */

int redo_path(const char *logdir, uint32_t gen, char *out, size_t n)
{
	int len;

	len = snprintf(out, n, "%s/ca%08X.log", logdir, (unsigned)gen);
	if (len < 0 || (size_t)len >= n)
		return -ENAMETOOLONG;
	return 0;
}

static int hex_upper_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int redo_parse_name(const char *name, uint32_t *gen)
{
	uint32_t v = 0;
	int i, d;

	if (strlen(name) != 14 || strncmp(name, "ca", 2) != 0 ||
	    strcmp(name + 10, ".log") != 0)
		return 0;
	for (i = 2; i < 10; i++) {
		d = hex_upper_value(name[i]);
		if (d < 0)
			return 0;
		v = (v << 4) | (uint32_t)d;
	}
	if (gen)
		*gen = v;
	return 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Append g to the growable array *v of *n elements (capacity *cap). */
static int gens_push(uint32_t **v, size_t *n, size_t *cap, uint32_t g)
{
	uint32_t *nv;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 16;
		nv = realloc(*v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = g;
	return 0;
}

int redo_list_generations(const char *logdir, uint32_t **gens, size_t *n)
{
	uint32_t *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	uint32_t g;
	int fd, rc = 0;

	*gens = NULL;
	*n = 0;
	fd = open(logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			rc = errno ? -errno : 0;
			break;
		}
		if (!redo_parse_name(de->d_name, &g))
			continue;
		rc = gens_push(&v, &cnt, &cap, g);
		if (rc)
			break;
	}
	closedir(d);
	if (rc) {
		free(v);
		return rc;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u32);
	*gens = v;
	*n = cnt;
	return 0;
}

/* ---- header codec ---- */

void redo_hdr_encode(uint8_t out[REDO_HDR_LEN], const struct redo_file_hdr *h)
{
	memset(out, 0, REDO_HDR_LEN);
	memcpy(out + H_MAGIC, REDO_MAGIC, sizeof(REDO_MAGIC));
	le32_store(out + H_VERSION, h->version);
	le32_store(out + H_HDRLEN, REDO_HDR_LEN);
	le32_store(out + H_GEN, h->generation);
	le64_store(out + H_FIRST_LSN, h->first_lsn);
	memcpy(out + H_LINEAGE, h->lineage, REDO_LINEAGE_LEN);
	le64_store(out + H_CREATED, h->created_us);
	le32_store(out + H_CRC, crc32c(0, out, H_CRC));
}

int redo_hdr_decode(const uint8_t in[REDO_HDR_LEN], struct redo_file_hdr *h)
{
	if (memcmp(in + H_MAGIC, REDO_MAGIC, sizeof(REDO_MAGIC)) != 0)
		return CS_E_CORRUPT;
	if (le32_load(in + H_CRC) != crc32c(0, in, H_CRC))
		return CS_E_CORRUPT;
	if (le32_load(in + H_VERSION) != REDO_VERSION ||
	    le32_load(in + H_HDRLEN) != REDO_HDR_LEN)
		return CS_E_CORRUPT;
	h->version = le32_load(in + H_VERSION);
	h->generation = le32_load(in + H_GEN);
	h->first_lsn = le64_load(in + H_FIRST_LSN);
	memcpy(h->lineage, in + H_LINEAGE, REDO_LINEAGE_LEN);
	h->created_us = le64_load(in + H_CREATED);
	return 0;
}

/* ---- reader ---- */

enum reader_state { RD_OK = 0, RD_END = 1 };

struct redo_reader {
	uint8_t *data;     /* whole file */
	size_t size;
	size_t pos;        /* start of the next record */
	uint64_t next_lsn; /* LSN the next record must carry */
	int state;         /* RD_OK, RD_END, or a negative error (sticky) */
};

/* Size of the record at p if its length fits in avail and its crc
 * verifies, else 0. Fills rec (without offset) when it returns non-zero. */
static size_t rec_parse(const uint8_t *p, size_t avail, struct redo_record *rec)
{
	uint32_t len;
	size_t body;

	if (avail < REDO_REC_OVERHEAD)
		return 0;
	len = le32_load(p + R_LEN);
	if (len > REDO_MAX_PAYLOAD || len > avail - REDO_REC_OVERHEAD)
		return 0;
	body = REDO_REC_HDR_LEN + (size_t)len;
	if (le32_load(p + body) != crc32c(0, p, body))
		return 0;
	rec->len = len;
	rec->type = le16_load(p + R_TYPE);
	rec->flags = le16_load(p + R_FLAGS);
	rec->lsn = le64_load(p + R_LSN);
	rec->time_us = le64_load(p + R_TIME);
	rec->payload = p + REDO_REC_HDR_LEN;
	return body + REDO_REC_TRAILER_LEN;
}

/* 1 if a record with a fitting length, a good crc and an LSN >= min_lsn
 * starts at any offset from `from` on, else 0. The LSN is checked before
 * the crc because it is cheap. */
static int valid_record_after(const struct redo_reader *r, size_t from,
			      uint64_t min_lsn)
{
	struct redo_record rec;
	const uint8_t *p;
	size_t off;

	for (off = from; off + REDO_REC_OVERHEAD <= r->size; off++) {
		p = r->data + off;
		if (le64_load(p + R_LSN) < min_lsn)
			continue;
		if (rec_parse(p, r->size - off, &rec))
			return 1;
	}
	return 0;
}

int redo_reader_open(const char *path, struct redo_reader **out,
		     struct redo_file_hdr *hdr)
{
	struct redo_reader *r = NULL;
	struct redo_file_hdr h;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = fio_read_all(path, REDO_MAX_FILE, &r->data, &r->size);
	if (rc == -EFBIG)
		rc = CS_E_TOOBIG;
	if (rc)
		goto fail;
	if (r->size < REDO_HDR_LEN) {
		rc = CS_E_CORRUPT;
		goto fail;
	}
	rc = redo_hdr_decode(r->data, &h);
	if (rc)
		goto fail;
	r->pos = REDO_HDR_LEN;
	r->next_lsn = h.first_lsn;
	if (hdr)
		*hdr = h;
	*out = r;
	return 0;
fail:
	redo_reader_close(r);
	return rc;
}

int redo_reader_next(struct redo_reader *r, struct redo_record *rec)
{
	struct redo_record cur;
	size_t n;

	if (r->state == RD_END)
		return 0;
	if (r->state < 0)
		return r->state;
	n = rec_parse(r->data + r->pos, r->size - r->pos, &cur);
	if (n && cur.lsn == r->next_lsn) {
		cur.offset = (off_t)r->pos;
		*rec = cur;
		r->pos += n;
		r->next_lsn++;
		return 1;
	}
	/* The record at pos failed: end of log, unless valid data follows. */
	if (valid_record_after(r, r->pos, r->next_lsn)) {
		r->state = CS_E_CORRUPT;
		return CS_E_CORRUPT;
	}
	r->state = RD_END;
	return 0;
}

off_t redo_reader_end(const struct redo_reader *r)
{
	return (off_t)r->pos;
}

int redo_reader_has_tail(const struct redo_reader *r)
{
	return r->size > r->pos;
}

void redo_reader_close(struct redo_reader *r)
{
	if (!r)
		return;
	free(r->data);
	free(r);
}

/* ---- writer ---- */

struct redo_writer {
	char *logdir;
	uint8_t lineage[REDO_LINEAGE_LEN];
	uint32_t gen;
	uint64_t next_lsn;
	uint64_t max_file_bytes;
	int fd;           /* current generation, O_APPEND */
	uint64_t size;    /* bytes in the current generation */
	int has_records;  /* current generation holds at least one record */
	int err;          /* 0, or the error that failed the writer (sticky) */
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One write() of len bytes: 0, -errno, or -EIO if it was short. A write
 * interrupted before it wrote anything is repeated. */
static int write_once(int fd, const void *data, size_t len)
{
	ssize_t n;

	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

/* Create generation gen with first LSN first_lsn: header written and
 * synced, directory synced. Returns the descriptor in *fdp. On failure the
 * half-made file is removed. */
static int gen_create(const struct redo_writer *w, uint32_t gen,
		      uint64_t first_lsn, int *fdp)
{
	uint8_t raw[REDO_HDR_LEN];
	struct redo_file_hdr h;
	char path[PATH_MAX];
	int fd, rc;

	rc = redo_path(w->logdir, gen, path, sizeof(path));
	if (rc)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
		  REDO_FILE_MODE);
	if (fd < 0)
		return -errno;
	memset(&h, 0, sizeof(h));
	h.version = REDO_VERSION;
	h.generation = gen;
	h.first_lsn = first_lsn;
	memcpy(h.lineage, w->lineage, REDO_LINEAGE_LEN);
	h.created_us = now_us();
	redo_hdr_encode(raw, &h);
	rc = write_once(fd, raw, sizeof(raw));
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc)
		rc = fio_fsync_dir(w->logdir);
	if (rc) {
		close(fd);
		unlink(path);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* Check an existing generation and position the writer at its end. */
static int gen_resume(struct redo_writer *w, const char *path)
{
	struct redo_reader *r = NULL;
	struct redo_file_hdr h;
	struct redo_record rec;
	uint64_t expect;
	int rc, fd;

	rc = redo_reader_open(path, &r, &h);
	if (rc)
		return rc;
	if (memcmp(h.lineage, w->lineage, REDO_LINEAGE_LEN) != 0) {
		rc = CS_E_LINEAGE;
		goto out;
	}
	if (h.generation != w->gen) {
		rc = CS_E_CORRUPT;
		goto out;
	}
	while ((rc = redo_reader_next(r, &rec)) == 1)
		;
	if (rc)
		goto out;
	if (redo_reader_has_tail(r)) {
		rc = CS_E_CORRUPT;
		goto out;
	}
	expect = r->next_lsn; /* last LSN + 1, or first_lsn if empty */
	if (w->next_lsn != expect) {
		rc = CS_E_GAP;
		goto out;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	w->fd = fd;
	w->size = (uint64_t)redo_reader_end(r);
	w->has_records = w->size > REDO_HDR_LEN;
out:
	redo_reader_close(r);
	return rc;
}

int redo_writer_open(const char *logdir, const uint8_t lineage[REDO_LINEAGE_LEN],
		     uint32_t gen, uint64_t next_lsn, uint64_t max_file_bytes,
		     struct redo_writer **out)
{
	struct redo_writer *w;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	if (gen == 0)
		return CS_E_INVALID;
	rc = redo_path(logdir, gen, path, sizeof(path));
	if (rc)
		return rc;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->gen = gen;
	w->next_lsn = next_lsn;
	w->max_file_bytes = max_file_bytes;
	memcpy(w->lineage, lineage, REDO_LINEAGE_LEN);
	w->logdir = strdup(logdir);
	if (!w->logdir) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = gen_resume(w, path);
	if (rc == -ENOENT) {
		rc = gen_create(w, gen, next_lsn, &w->fd);
		w->size = REDO_HDR_LEN;
		w->has_records = 0;
	}
	if (rc)
		goto fail;
	*out = w;
	return 0;
fail:
	redo_writer_close(w);
	return rc;
}

/* Record the error that fails the writer for good; returns it. */
static int writer_fail(struct redo_writer *w, int rc)
{
	w->err = rc;
	return rc;
}

/* Start generation gen+1; the caller has checked w->err. */
static int writer_roll(struct redo_writer *w)
{
	int fd = -1, rc;

	if (w->gen == UINT32_MAX)
		return CS_E_TOOBIG;
	rc = gen_create(w, w->gen + 1, w->next_lsn, &fd);
	if (rc)
		return writer_fail(w, rc);
	close(w->fd); /* every byte in it is already synced */
	w->fd = fd;
	w->gen++;
	w->size = REDO_HDR_LEN;
	w->has_records = 0;
	return 0;
}

int redo_roll(struct redo_writer *w)
{
	if (w->err)
		return CS_E_FAILED_STATE;
	return writer_roll(w);
}

/* Lay out one record in buf (REDO_REC_OVERHEAD + len bytes). */
static void rec_encode(uint8_t *buf, uint16_t type, uint64_t lsn,
		       uint64_t time_us, const void *payload, size_t len)
{
	size_t body = REDO_REC_HDR_LEN + len;

	le32_store(buf + R_LEN, (uint32_t)len);
	le16_store(buf + R_TYPE, type);
	le16_store(buf + R_FLAGS, 0);
	le64_store(buf + R_LSN, lsn);
	le64_store(buf + R_TIME, time_us);
	if (len)
		memcpy(buf + REDO_REC_HDR_LEN, payload, len);
	le32_store(buf + body, crc32c(0, buf, body));
}

int redo_append(struct redo_writer *w, uint16_t type, uint64_t time_us,
		const void *payload, size_t len, uint64_t *lsn)
{
	size_t total = REDO_REC_OVERHEAD + len;
	uint8_t *buf = NULL;
	int rc;

	if (w->err)
		return CS_E_FAILED_STATE;
	if (len > REDO_MAX_PAYLOAD)
		return CS_E_TOOBIG;
	if (len && !payload)
		return CS_E_INVALID;
	if (w->has_records && w->size >= w->max_file_bytes) {
		rc = writer_roll(w);
		if (rc)
			return rc;
	}
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	rec_encode(buf, type, w->next_lsn, time_us, payload, len);
	rc = write_once(w->fd, buf, total);
	if (rc) {
		rc = writer_fail(w, rc);
		goto out;
	}
	w->size += total;
	if (fdatasync(w->fd) < 0) {
		rc = writer_fail(w, -errno);
		goto out;
	}
	w->has_records = 1;
	if (lsn)
		*lsn = w->next_lsn;
	w->next_lsn++;
out:
	free(buf);
	return rc;
}

uint32_t redo_writer_generation(const struct redo_writer *w)
{
	return w->gen;
}

uint64_t redo_writer_next_lsn(const struct redo_writer *w)
{
	return w->next_lsn;
}

int redo_writer_error(const struct redo_writer *w)
{
	return w->err;
}

void redo_writer_close(struct redo_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->logdir);
	free(w);
}
