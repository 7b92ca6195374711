/*
 * test_redo.c — unit tests of the redo log (src/store/redo.c): naming,
 * header codec, writer (append, roll, reopen, sticky failure) and reader
 * (clean end, torn tail, corruption in the middle), on real files in a
 * temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/crc32c.h"
#include "common/errors.h"
#include "store/redo.h"

static const uint8_t LINEAGE[REDO_LINEAGE_LEN] = {
	0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

struct fixture {
	char dir[64];
	char path1[PATH_MAX]; /* generation 1 */
};

/* ---- helpers ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_redo.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(redo_path(f->dir, 1, f->path1, sizeof(f->path1)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d;

	d = opendir(f->dir);
	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static size_t payload_len(uint64_t lsn)
{
	return (size_t)((lsn * 37) % 120);
}

static void payload_fill(uint64_t lsn, uint8_t *out, size_t len)
{
	size_t j;

	for (j = 0; j < len; j++)
		out[j] = (uint8_t)(lsn * 31 + j);
}

/* Append records first..last with the deterministic payload of each LSN. */
static void append_range(struct redo_writer *w, uint64_t first, uint64_t last)
{
	uint8_t buf[128];
	uint64_t lsn, got;
	size_t len;

	for (lsn = first; lsn <= last; lsn++) {
		len = payload_len(lsn);
		payload_fill(lsn, buf, len);
		assert_int_equal(redo_append(w, REDO_CHANGESET, lsn * 1000, buf,
					     len, &got), 0);
		assert_int_equal(got, lsn);
	}
}

/* Write a generation-1 log holding LSNs 1..n (no roll). */
static void make_log(const struct fixture *f, uint64_t n)
{
	struct redo_writer *w = NULL;

	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 1, UINT64_MAX, &w), 0);
	append_range(w, 1, n);
	redo_writer_close(w);
}

struct scan {
	int rc;          /* last return of redo_reader_next */
	uint64_t count;
	uint64_t last_lsn;
	off_t end;
	int tail;
};

/* Read a whole file, checking each record's payload; fills *s. */
static void scan_file(const char *path, struct scan *s)
{
	struct redo_reader *r = NULL;
	struct redo_record rec;
	uint8_t expect[128];

	memset(s, 0, sizeof(*s));
	assert_int_equal(redo_reader_open(path, &r, NULL), 0);
	while ((s->rc = redo_reader_next(r, &rec)) == 1) {
		assert_int_equal(rec.len, payload_len(rec.lsn));
		payload_fill(rec.lsn, expect, rec.len);
		assert_memory_equal(rec.payload, expect, rec.len);
		s->count++;
		s->last_lsn = rec.lsn;
	}
	if (s->rc == 0) {
		s->end = redo_reader_end(r);
		s->tail = redo_reader_has_tail(r);
	}
	redo_reader_close(r);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Offset where the record with LSN lsn starts (reading a clean file). */
static off_t record_offset(const char *path, uint64_t lsn)
{
	struct redo_reader *r = NULL;
	struct redo_record rec;
	off_t off = -1;

	assert_int_equal(redo_reader_open(path, &r, NULL), 0);
	while (redo_reader_next(r, &rec) == 1) {
		if (rec.lsn == lsn) {
			off = rec.offset;
			break;
		}
	}
	redo_reader_close(r);
	assert_true(off >= 0);
	return off;
}

static void patch(const char *path, off_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static void peek(const char *path, off_t off, void *data, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static void flip_bit(const char *path, off_t off, int bit)
{
	uint8_t b;

	peek(path, off, &b, 1);
	b ^= (uint8_t)(1u << bit);
	patch(path, off, &b, 1);
}

static void le64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le32_put(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Give the record with LSN `lsn` the LSN `new_lsn`, with a valid crc. */
static void rewrite_lsn(const char *path, uint64_t lsn, uint64_t new_lsn)
{
	off_t off = record_offset(path, lsn);
	size_t body = REDO_REC_HDR_LEN + payload_len(lsn);
	uint8_t rec[REDO_REC_HDR_LEN + 128 + 4];

	peek(path, off, rec, body);
	le64_put(rec + 8, new_lsn);
	le32_put(rec + body, crc32c(0, rec, body));
	patch(path, off, rec, body + 4);
}

/* ---- names ---- */

static void test_path_and_parse_name(void **state)
{
	char small[8], path[PATH_MAX];
	uint32_t gen = 0;

	(void)state;
	assert_int_equal(redo_path("/d", 0x1A2B, path, sizeof(path)), 0);
	assert_string_equal(path, "/d/ca00001A2B.log");
	assert_int_equal(redo_path("/d", 1, small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(redo_parse_name("ca00001A2B.log", &gen), 1);
	assert_int_equal(gen, 0x1A2B);
	assert_int_equal(redo_parse_name("caFFFFFFFF.log", &gen), 1);
	assert_int_equal(gen, 0xFFFFFFFFu);
	assert_int_equal(redo_parse_name("ca00001a2b.log", &gen), 0);
	assert_int_equal(redo_parse_name("ca0001A2B.log", &gen), 0);
	assert_int_equal(redo_parse_name("ca000001A2B.log", &gen), 0);
	assert_int_equal(redo_parse_name("ca00001A2B.log.tmp", &gen), 0);
	assert_int_equal(redo_parse_name("cb00001A2B.log", &gen), 0);
	assert_int_equal(redo_parse_name("ca00001A2G.log", &gen), 0);
	assert_int_equal(redo_parse_name("ca.chk", &gen), 0);
}

static void test_list_generations_sorted_and_filtered(void **state)
{
	static const char *const names[] = {
		"ca00000003.log", "ca00000001.log", "ca0000000A.log",
		"ca0000000a.log", "ca.chk", "ca00000002.log.tmp", "notes",
	};
	struct fixture *f = *state;
	char p[PATH_MAX];
	uint32_t *gens = NULL;
	size_t i, n = 0;
	int fd;

	assert_int_equal(redo_list_generations(f->dir, &gens, &n), 0);
	assert_int_equal(n, 0);
	assert_null(gens);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(redo_list_generations(f->dir, &gens, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(gens[0], 1);
	assert_int_equal(gens[1], 3);
	assert_int_equal(gens[2], 10);
	free(gens);
	snprintf(p, sizeof(p), "%s/missing", f->dir);
	assert_int_equal(redo_list_generations(p, &gens, &n), -ENOENT);
}

/* ---- header codec ---- */

static void test_header_round_trip(void **state)
{
	struct redo_file_hdr h = { 0 }, back;
	uint8_t raw[REDO_HDR_LEN];

	(void)state;
	h.version = REDO_VERSION;
	h.generation = 0xDEADBEEF;
	h.first_lsn = 0x0102030405060708ull;
	memcpy(h.lineage, LINEAGE, sizeof(LINEAGE));
	h.created_us = 1700000000123456ull;
	redo_hdr_encode(raw, &h);
	assert_memory_equal(raw, "CSRVLOG\0", 8);
	assert_int_equal(raw[16], 0xEF); /* generation, little-endian */
	assert_int_equal(raw[24], 0x08); /* first LSN, little-endian */
	assert_memory_equal(raw + 32, LINEAGE, REDO_LINEAGE_LEN);
	assert_int_equal(redo_hdr_decode(raw, &back), 0);
	assert_int_equal(back.version, REDO_VERSION);
	assert_int_equal(back.generation, h.generation);
	assert_int_equal(back.first_lsn, h.first_lsn);
	assert_memory_equal(back.lineage, h.lineage, REDO_LINEAGE_LEN);
	assert_int_equal(back.created_us, h.created_us);
}

static void test_header_decode_rejects_damage(void **state)
{
	struct redo_file_hdr h = { 0 }, back;
	uint8_t raw[REDO_HDR_LEN], bad[REDO_HDR_LEN];
	int i;

	(void)state;
	h.version = REDO_VERSION;
	h.generation = 7;
	h.first_lsn = 42;
	redo_hdr_encode(raw, &h);
	for (i = 0; i < REDO_HDR_LEN * 8; i++) {
		memcpy(bad, raw, sizeof(raw));
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(redo_hdr_decode(bad, &back), CS_E_CORRUPT);
	}
	/* A wrong version with a matching crc is refused too. */
	h.version = REDO_VERSION + 1;
	redo_hdr_encode(bad, &h);
	assert_int_equal(redo_hdr_decode(bad, &back), CS_E_CORRUPT);
}

/* ---- writer + reader ---- */

static void test_append_and_read_across_rolls(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;
	struct redo_file_hdr h;
	struct redo_reader *r;
	struct redo_record rec;
	uint8_t expect[128];
	char p[PATH_MAX];
	uint32_t *gens = NULL;
	uint64_t next = 1;
	size_t i, n = 0;
	int rc;

	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 1, 400, &w), 0);
	append_range(w, 1, 300);
	assert_int_equal(redo_writer_next_lsn(w), 301);
	assert_int_equal(redo_writer_error(w), 0);
	redo_writer_close(w);

	assert_int_equal(redo_list_generations(f->dir, &gens, &n), 0);
	assert_true(n >= 5);
	for (i = 0; i < n; i++) {
		assert_int_equal(gens[i], i + 1);
		assert_int_equal(redo_path(f->dir, gens[i], p, sizeof(p)), 0);
		assert_int_equal(redo_reader_open(p, &r, &h), 0);
		assert_int_equal(h.generation, gens[i]);
		assert_int_equal(h.first_lsn, next);
		assert_memory_equal(h.lineage, LINEAGE, REDO_LINEAGE_LEN);
		while ((rc = redo_reader_next(r, &rec)) == 1) {
			assert_int_equal(rec.lsn, next);
			assert_int_equal(rec.type, REDO_CHANGESET);
			assert_int_equal(rec.time_us, next * 1000);
			assert_int_equal(rec.len, payload_len(next));
			payload_fill(next, expect, rec.len);
			assert_memory_equal(rec.payload, expect, rec.len);
			next++;
		}
		assert_int_equal(rc, 0);
		assert_false(redo_reader_has_tail(r));
		assert_int_equal(redo_reader_end(r), file_size(p));
		/* A rolled generation started its last record below the limit. */
		if (i + 1 < n)
			assert_true(file_size(p) - (off_t)(REDO_REC_HDR_LEN + 4 +
					payload_len(next - 1)) < 400);
		redo_reader_close(r);
	}
	assert_int_equal(next, 301);
	free(gens);
}

static void test_files_created_mode_0640(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;
	mode_t old = umask(0);
	struct stat st;

	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 1, UINT64_MAX, &w), 0);
	umask(old);
	assert_int_equal(stat(f->path1, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, REDO_HDR_LEN);
	redo_writer_close(w);
}

static void test_header_only_file_reads_empty(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;
	struct scan s;

	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 77, UINT64_MAX, &w), 0);
	redo_writer_close(w);
	assert_int_equal(file_size(f->path1), REDO_HDR_LEN);
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.end, REDO_HDR_LEN);
	assert_false(s.tail);
	/* Reopening it continues at its first LSN. */
	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 77, UINT64_MAX, &w), 0);
	assert_int_equal(redo_writer_next_lsn(w), 77);
	redo_writer_close(w);
	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 78, UINT64_MAX, &w),
			 CS_E_GAP);
	assert_null(w);
}

static void test_roll_on_demand_makes_header_only_generation(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;
	struct redo_file_hdr h;
	struct redo_reader *r;
	char p[PATH_MAX];
	struct scan s;

	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 1, UINT64_MAX, &w), 0);
	append_range(w, 1, 3);
	assert_int_equal(redo_roll(w), 0);
	assert_int_equal(redo_writer_generation(w), 2);
	assert_int_equal(redo_roll(w), 0); /* generation 2 stays header-only */
	assert_int_equal(redo_writer_generation(w), 3);
	append_range(w, 4, 5);
	redo_writer_close(w);

	assert_int_equal(redo_path(f->dir, 2, p, sizeof(p)), 0);
	assert_int_equal(file_size(p), REDO_HDR_LEN);
	assert_int_equal(redo_reader_open(p, &r, &h), 0);
	assert_int_equal(h.first_lsn, 4);
	redo_reader_close(r);
	assert_int_equal(redo_path(f->dir, 3, p, sizeof(p)), 0);
	scan_file(p, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.last_lsn, 5);
}

static void test_reopen_continues_lsn_sequence(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;
	struct scan s;

	make_log(f, 10);
	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 11, UINT64_MAX, &w), 0);
	assert_int_equal(redo_writer_generation(w), 1);
	assert_int_equal(redo_writer_next_lsn(w), 11);
	append_range(w, 11, 15);
	redo_writer_close(w);
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.count, 15);
	assert_int_equal(s.last_lsn, 15);
	assert_false(s.tail);
}

static void test_reopen_wrong_lineage(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;
	uint8_t other[REDO_LINEAGE_LEN];

	make_log(f, 3);
	memcpy(other, LINEAGE, sizeof(other));
	other[15] ^= 1;
	assert_int_equal(redo_writer_open(f->dir, other, 1, 4, UINT64_MAX, &w),
			 CS_E_LINEAGE);
	assert_null(w);
}

static void test_reopen_wrong_next_lsn(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;

	make_log(f, 3);
	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 5, UINT64_MAX, &w),
			 CS_E_GAP);
	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 3, UINT64_MAX, &w),
			 CS_E_GAP);
	assert_null(w);
}

static void test_reopen_with_torn_tail_refused(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;

	make_log(f, 3);
	assert_int_equal(truncate(f->path1, file_size(f->path1) - 2), 0);
	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 3, UINT64_MAX, &w),
			 CS_E_CORRUPT);
	assert_null(w);
}

static void test_torn_tail_ends_at_previous_record(void **state)
{
	struct fixture *f = *state;
	off_t full, last_off;
	struct scan s;
	off_t k;

	make_log(f, 6);
	full = file_size(f->path1);
	last_off = record_offset(f->path1, 6);
	/* Cut the last record by every possible amount. */
	for (k = 1; k < full - last_off; k++) {
		assert_int_equal(truncate(f->path1, full - k), 0);
		scan_file(f->path1, &s);
		assert_int_equal(s.rc, 0);
		assert_int_equal(s.count, 5);
		assert_int_equal(s.last_lsn, 5);
		assert_int_equal(s.end, last_off);
		assert_true(s.tail);
	}
	/* Without any of it there is no tail at all. */
	assert_int_equal(truncate(f->path1, last_off), 0);
	scan_file(f->path1, &s);
	assert_int_equal(s.count, 5);
	assert_false(s.tail);
}

static void test_garbage_tail_ends_cleanly(void **state)
{
	struct fixture *f = *state;
	uint8_t junk[3000];
	off_t full;
	struct scan s;
	size_t i;
	int round;

	make_log(f, 4);
	full = file_size(f->path1);
	srand(1234);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rand();
		assert_int_equal(truncate(f->path1, full), 0);
		patch(f->path1, full, junk, 1 + (size_t)rand() % sizeof(junk));
		scan_file(f->path1, &s);
		assert_int_equal(s.rc, 0);
		assert_int_equal(s.count, 4);
		assert_int_equal(s.end, full);
		assert_true(s.tail);
	}
	/* Zeros, as left by a crash that extended the file, are a tail too. */
	memset(junk, 0, sizeof(junk));
	assert_int_equal(truncate(f->path1, full), 0);
	patch(f->path1, full, junk, sizeof(junk));
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.count, 4);
	assert_true(s.tail);
}

static void test_flipped_bit_in_middle_is_corrupt(void **state)
{
	struct fixture *f = *state;
	off_t off;
	struct scan s;

	make_log(f, 8);
	off = record_offset(f->path1, 4);
	flip_bit(f->path1, off + REDO_REC_HDR_LEN + 1, 3); /* in the payload */
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, CS_E_CORRUPT);
	assert_int_equal(s.count, 3);
}

static void test_flipped_bit_in_last_record_is_tail(void **state)
{
	struct fixture *f = *state;
	off_t off;
	struct scan s;

	make_log(f, 8);
	off = record_offset(f->path1, 8);
	flip_bit(f->path1, off + 9, 0); /* in its LSN */
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.count, 7);
	assert_int_equal(s.end, off);
	assert_true(s.tail);
}

static void test_flipped_bit_in_header_fails_open(void **state)
{
	struct fixture *f = *state;
	struct redo_reader *r = NULL;
	struct redo_writer *w = NULL;

	make_log(f, 2);
	flip_bit(f->path1, 40, 5); /* in the lineage */
	assert_int_equal(redo_reader_open(f->path1, &r, NULL), CS_E_CORRUPT);
	assert_null(r);
	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 3, UINT64_MAX, &w),
			 CS_E_CORRUPT);
	assert_null(w);
}

static void test_short_file_fails_open(void **state)
{
	struct fixture *f = *state;
	struct redo_reader *r = NULL;

	make_log(f, 0);
	assert_int_equal(truncate(f->path1, REDO_HDR_LEN - 1), 0);
	assert_int_equal(redo_reader_open(f->path1, &r, NULL), CS_E_CORRUPT);
	assert_int_equal(truncate(f->path1, 0), 0);
	assert_int_equal(redo_reader_open(f->path1, &r, NULL), CS_E_CORRUPT);
	assert_null(r);
}

static void test_missing_file_is_enoent(void **state)
{
	struct fixture *f = *state;
	struct redo_reader *r = NULL;

	assert_int_equal(redo_reader_open(f->path1, &r, NULL), -ENOENT);
	assert_null(r);
}

static void test_lsn_gap_with_records_after_is_corrupt(void **state)
{
	struct fixture *f = *state;
	struct scan s;

	make_log(f, 8);
	rewrite_lsn(f->path1, 5, 6); /* 1 2 3 4 6 6 7 8 */
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, CS_E_CORRUPT);
	assert_int_equal(s.count, 4);
}

static void test_lsn_gap_in_last_record_is_corrupt(void **state)
{
	struct fixture *f = *state;
	struct scan s;

	/* A record with a good crc cannot be a torn write: a jump ahead is
	 * corruption even at the end of the file. */
	make_log(f, 5);
	rewrite_lsn(f->path1, 5, 9);
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, CS_E_CORRUPT);
	assert_int_equal(s.count, 4);
}

static void test_first_record_must_carry_first_lsn(void **state)
{
	struct fixture *f = *state;
	struct scan s;

	make_log(f, 3);
	rewrite_lsn(f->path1, 1, 0); /* below first_lsn: not a valid record */
	scan_file(f->path1, &s);
	/* Records 2 and 3 still follow with LSNs above the last good one. */
	assert_int_equal(s.rc, CS_E_CORRUPT);
	assert_int_equal(s.count, 0);
}

static void test_oversized_length_field(void **state)
{
	struct fixture *f = *state;
	uint8_t len[4];
	off_t off;
	struct scan s;

	/* In the last record: the end of the log. */
	make_log(f, 5);
	off = record_offset(f->path1, 5);
	le32_put(len, REDO_MAX_PAYLOAD + 1);
	patch(f->path1, off, len, sizeof(len));
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.count, 4);
	assert_int_equal(s.end, off);
	assert_true(s.tail);
	/* In a middle record: corruption. */
	off = record_offset(f->path1, 2);
	le32_put(len, 0xFFFFFFFFu);
	patch(f->path1, off, len, sizeof(len));
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, CS_E_CORRUPT);
	assert_int_equal(s.count, 1);
}

static void test_reader_is_sticky_after_end_and_corrupt(void **state)
{
	struct fixture *f = *state;
	struct redo_reader *r = NULL;
	struct redo_record rec;

	make_log(f, 2);
	assert_int_equal(redo_reader_open(f->path1, &r, NULL), 0);
	assert_int_equal(redo_reader_next(r, &rec), 1);
	assert_int_equal(redo_reader_next(r, &rec), 1);
	assert_int_equal(redo_reader_next(r, &rec), 0);
	assert_int_equal(redo_reader_next(r, &rec), 0);
	redo_reader_close(r);
	flip_bit(f->path1, REDO_HDR_LEN + 2, 1); /* length of record 1 */
	assert_int_equal(redo_reader_open(f->path1, &r, NULL), 0);
	assert_int_equal(redo_reader_next(r, &rec), CS_E_CORRUPT);
	assert_int_equal(redo_reader_next(r, &rec), CS_E_CORRUPT);
	redo_reader_close(r);
}

static void test_append_rejects_oversized_payload(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;
	uint8_t one = 1;
	uint64_t lsn;

	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 1, 1, UINT64_MAX, &w), 0);
	/* The length is checked before the payload is touched. */
	assert_int_equal(redo_append(w, REDO_CHANGESET, 0, &one,
				     (size_t)REDO_MAX_PAYLOAD + 1, &lsn), CS_E_TOOBIG);
	assert_int_equal(redo_writer_error(w), 0);
	assert_int_equal(redo_append(w, REDO_SCHEMA, 0, &one, 1, &lsn), 0);
	assert_int_equal(lsn, 1);
	redo_writer_close(w);
}

/* In a child: append records 1..3 under a file size limit that cuts record
 * 3, then check the sticky state. Exit code 0 when every check held. */
static int child_write_failure(const char *dir, off_t limit)
{
	struct redo_writer *w = NULL;
	struct rlimit rl;
	uint8_t buf[128];
	uint64_t lsn;
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	if (redo_writer_open(dir, LINEAGE, 1, 1, UINT64_MAX, &w) != 0)
		return 10;
	memset(buf, 0xAB, sizeof(buf));
	if (redo_append(w, REDO_CHANGESET, 1, buf, 100, &lsn) != 0 ||
	    redo_append(w, REDO_CHANGESET, 2, buf, 100, &lsn) != 0)
		return 11;
	rl.rlim_cur = rl.rlim_max = (rlim_t)limit;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 12;
	rc = redo_append(w, REDO_CHANGESET, 3, buf, 100, &lsn);
	if (rc == 0 || rc == CS_E_FAILED_STATE)
		return 13;
	if (redo_writer_error(w) != rc)
		return 14;
	if (redo_append(w, REDO_CHANGESET, 4, buf, 1, &lsn) != CS_E_FAILED_STATE)
		return 15;
	if (redo_roll(w) != CS_E_FAILED_STATE)
		return 16;
	if (redo_writer_error(w) != rc || redo_writer_next_lsn(w) != 3)
		return 17;
	redo_writer_close(w);
	return 0;
}

static int run_child(int (*fn)(const char *, off_t), const char *dir, off_t arg)
{
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(dir, arg));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_write_failure_is_sticky(void **state)
{
	struct fixture *f = *state;
	off_t rec = REDO_REC_HDR_LEN + 100 + REDO_REC_TRAILER_LEN;
	off_t limit = REDO_HDR_LEN + 2 * rec + 50; /* record 3 is cut */
	struct redo_reader *r;
	struct redo_record rc;
	int n = 0, ret;

	assert_int_equal(run_child(child_write_failure, f->dir, limit), 0);
	/* Only the records fully written are in the log; the rest is a tail. */
	assert_int_equal(file_size(f->path1), limit);
	assert_int_equal(redo_reader_open(f->path1, &r, NULL), 0);
	while ((ret = redo_reader_next(r, &rc)) == 1)
		n++;
	assert_int_equal(ret, 0);
	assert_int_equal(n, 2);
	assert_int_equal(redo_reader_end(r), REDO_HDR_LEN + 2 * rec);
	assert_true(redo_reader_has_tail(r));
	redo_reader_close(r);
}

/* In a child: a roll that cannot write the new header fails the writer. */
static int child_roll_failure(const char *dir, off_t limit)
{
	struct redo_writer *w = NULL;
	struct rlimit rl;
	uint8_t b = 0, buf[128];
	uint64_t lsn;
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	payload_fill(1, buf, payload_len(1));
	if (redo_writer_open(dir, LINEAGE, 1, 1, 1, &w) != 0 ||
	    redo_append(w, REDO_CHANGESET, 1, buf, payload_len(1), &lsn) != 0)
		return 10;
	rl.rlim_cur = rl.rlim_max = (rlim_t)limit;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 12;
	/* max_file_bytes is 1: this append must roll first, and the roll fails. */
	rc = redo_append(w, REDO_CHANGESET, 2, &b, 1, &lsn);
	if (rc == 0 || rc == CS_E_FAILED_STATE || redo_writer_error(w) != rc)
		return 13;
	if (redo_roll(w) != CS_E_FAILED_STATE ||
	    redo_append(w, REDO_CHANGESET, 3, &b, 1, &lsn) != CS_E_FAILED_STATE)
		return 14;
	if (redo_writer_generation(w) != 1)
		return 15;
	redo_writer_close(w);
	return 0;
}

static void test_roll_failure_is_sticky(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	struct scan s;

	assert_int_equal(run_child(child_roll_failure, f->dir, 16), 0);
	scan_file(f->path1, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.count, 1);
	assert_false(s.tail);
	/* The half-made generation 2 was removed. */
	assert_int_equal(redo_path(f->dir, 2, p, sizeof(p)), 0);
	assert_int_equal(access(p, F_OK), -1);
}

static void test_writer_open_generation_mismatch(void **state)
{
	struct fixture *f = *state;
	struct redo_writer *w = NULL;
	char p[PATH_MAX];

	make_log(f, 2);
	/* Generation 1's file renamed to generation 2's name. */
	assert_int_equal(redo_path(f->dir, 2, p, sizeof(p)), 0);
	assert_int_equal(rename(f->path1, p), 0);
	assert_int_equal(redo_writer_open(f->dir, LINEAGE, 2, 3, UINT64_MAX, &w),
			 CS_E_CORRUPT);
	assert_null(w);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_path_and_parse_name),
		T(test_list_generations_sorted_and_filtered),
		T(test_header_round_trip),
		T(test_header_decode_rejects_damage),
		T(test_append_and_read_across_rolls),
		T(test_files_created_mode_0640),
		T(test_header_only_file_reads_empty),
		T(test_roll_on_demand_makes_header_only_generation),
		T(test_reopen_continues_lsn_sequence),
		T(test_reopen_wrong_lineage),
		T(test_reopen_wrong_next_lsn),
		T(test_reopen_with_torn_tail_refused),
		T(test_torn_tail_ends_at_previous_record),
		T(test_garbage_tail_ends_cleanly),
		T(test_flipped_bit_in_middle_is_corrupt),
		T(test_flipped_bit_in_last_record_is_tail),
		T(test_flipped_bit_in_header_fails_open),
		T(test_short_file_fails_open),
		T(test_missing_file_is_enoent),
		T(test_lsn_gap_with_records_after_is_corrupt),
		T(test_lsn_gap_in_last_record_is_corrupt),
		T(test_first_record_must_carry_first_lsn),
		T(test_oversized_length_field),
		T(test_reader_is_sticky_after_end_and_corrupt),
		T(test_append_rejects_oversized_payload),
		T(test_write_failure_is_sticky),
		T(test_roll_failure_is_sticky),
		T(test_writer_open_generation_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
