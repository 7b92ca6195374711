/*
 * gen_redo_corpus.c — writes the seed corpus of fuzz_redo into a directory:
 * a valid log of 3 records, a header-only log, a torn tail, a corrupt middle
 * record, garbage after the last record and an LSN gap. Output is
 * deterministic (fixed lineage and times), each file well under 2 KiB.
 *
 *   gcc <flags> -o /tmp/gen tests/fuzz/gen_redo_corpus.c \
 *       src/store/redo.c src/common/{crc32c,fileio,buf,errors}.c
 *   /tmp/gen tests/fuzz/corpus/redo
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/crc32c.h"
#include "common/fileio.h"
#include "store/redo.h"

#define MAX_LOG 1024

struct log {
	uint8_t b[MAX_LOG];
	size_t len;
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void log_init(struct log *l, uint64_t first_lsn)
{
	struct redo_file_hdr h;
	int i;

	memset(&h, 0, sizeof(h));
	h.version = REDO_VERSION;
	h.generation = 1;
	h.first_lsn = first_lsn;
	for (i = 0; i < REDO_LINEAGE_LEN; i++)
		h.lineage[i] = (uint8_t)(0x11 * i);
	h.created_us = 1700000000000000ull;
	redo_hdr_encode(l->b, &h);
	l->len = REDO_HDR_LEN;
}

static void log_add(struct log *l, uint64_t lsn, const char *payload)
{
	size_t n = strlen(payload), body = REDO_REC_HDR_LEN + n;
	uint8_t *p = l->b + l->len;

	put_le(p, n, 4);
	put_le(p + 4, REDO_CHANGESET, 2);
	put_le(p + 6, 0, 2);
	put_le(p + 8, lsn, 8);
	put_le(p + 16, 1700000000000000ull + lsn, 8);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, not a string */
	memcpy(p + REDO_REC_HDR_LEN, payload, n);
	put_le(p + body, crc32c(0, p, body), 4);
	l->len += body + REDO_REC_TRAILER_LEN;
}

static void valid3(struct log *l)
{
	log_init(l, 1);
	log_add(l, 1, "INSERT request 1");
	log_add(l, 2, "INSERT certificate 1");
	log_add(l, 3, "REVOKE 1");
}

static int emit(const char *dir, const char *name, const struct log *l)
{
	char path[512];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = fio_write_atomic(path, l->b, l->len, 0644);
	if (rc)
		fprintf(stderr, "%s: error %d\n", path, rc);
	return rc;
}

int main(int argc, char **argv)
{
	struct log l;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	valid3(&l);
	rc |= emit(argv[1], "valid3.log", &l);

	log_init(&l, 1);
	rc |= emit(argv[1], "header_only.log", &l);

	valid3(&l);
	l.len -= 5;
	rc |= emit(argv[1], "torn_tail.log", &l);

	valid3(&l);
	l.b[REDO_HDR_LEN + 28 + 16 + REDO_REC_HDR_LEN + 3] ^= 0x04;
	rc |= emit(argv[1], "corrupt_middle.log", &l);

	valid3(&l);
	memcpy(l.b + l.len, "\x13\x00\x00\x00garbage-after-end", 21);
	l.len += 21;
	rc |= emit(argv[1], "garbage_tail.log", &l);

	log_init(&l, 7);
	log_add(&l, 7, "first");
	log_add(&l, 9, "gap");
	log_add(&l, 10, "after gap");
	rc |= emit(argv[1], "lsn_gap.log", &l);
	return rc ? 1 : 0;
}
