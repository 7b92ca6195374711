/*
 * redo.h — the redo log: generation-numbered, append-only files of
 * checksummed records (DESIGN section 4, invariants I1, I2, I5, I6).
 *
 * File DATADIR/logs/caXXXXXXXX.log (8 uppercase hex digits, from 00000001).
 * All integers little-endian; byte layout in docs/formats.md.
 *
 *   header (64 bytes): magic "CSRVLOG\0" | version u32 | header length u32 |
 *          generation u32 | reserved u32 | first LSN u64 | lineage [16] |
 *          created (µs since epoch) u64 | reserved [4] | crc32c u32 (of bytes 0..59)
 *   record: payload length u32 | type u16 | flags u16 | LSN u64 | time (µs) u64 |
 *          payload [length] | crc32c u32 (of everything before it in the record)
 *
 * Writer: one per data directory, used by the commit thread only. Every
 * append is followed by fdatasync() before it returns (I1). Any write or sync
 * error puts the writer into a sticky failed state: every later call returns
 * CS_E_FAILED_STATE until the process restarts and recovery runs (I6); an
 * fsync is never retried.
 *
 * Reader: validates the header, then yields records while each one passes its
 * checks (length bound, crc, LSN = previous + 1). The end of the log is the
 * first record that fails. If any valid record can be found after a failed
 * one, the file is corrupt (CS_E_CORRUPT) — a damaged record in the middle is
 * never mistaken for a torn tail (I5).
 */
#ifndef CERTSRV_STORE_REDO_H
#define CERTSRV_STORE_REDO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REDO_MAGIC "CSRVLOG"   /* 7 chars + NUL = 8 bytes on disk */
#define REDO_VERSION 1
#define REDO_HDR_LEN 64
#define REDO_REC_HDR_LEN 24    /* length, type, flags, LSN, time */
#define REDO_REC_TRAILER_LEN 4 /* crc32c */
#define REDO_MAX_PAYLOAD (64u * 1024u * 1024u)
#define REDO_LINEAGE_LEN 16

enum redo_type {
	REDO_SCHEMA = 1,    /* payload: SQL text that creates or migrates the schema */
	REDO_CHANGESET = 2, /* payload: an SQLite session changeset */
};

struct redo_file_hdr {
	uint32_t version;
	uint32_t generation;
	uint64_t first_lsn;
	uint8_t lineage[REDO_LINEAGE_LEN];
	uint64_t created_us;
};

struct redo_record {
	uint64_t lsn;
	uint64_t time_us;
	uint16_t type;
	uint16_t flags;
	const uint8_t *payload; /* borrowed: valid until the next reader call */
	uint32_t len;
	off_t offset;           /* where the record starts in the file */
};

/* "DIR/caXXXXXXXX.log" into out (size n). Returns 0 or -ENAMETOOLONG. */
int redo_path(const char *logdir, uint32_t gen, char *out, size_t n);
/* Parse a file name "caXXXXXXXX.log": 1 and *gen if it is one, else 0. */
int redo_parse_name(const char *name, uint32_t *gen);
/* All generations present in logdir, ascending, malloc'd (caller frees).
 * An empty directory gives *n = 0 and *gens = NULL. */
int redo_list_generations(const char *logdir, uint32_t **gens, size_t *n);

/* ---- writer ---- */
struct redo_writer;

/* Open generation `gen` in logdir for appending. If the file exists it must
 * end with a valid record (recovery truncates a torn tail first) and its
 * header must carry `lineage`; appends continue at its end with next_lsn.
 * If it does not exist it is created (header with first LSN = next_lsn),
 * synced, and the directory synced. max_file_bytes: roll to the next
 * generation before an append when the file already holds at least this
 * many bytes and one record. */
int redo_writer_open(const char *logdir, const uint8_t lineage[REDO_LINEAGE_LEN],
		     uint32_t gen, uint64_t next_lsn, uint64_t max_file_bytes,
		     struct redo_writer **out);
/* Append one record with the next LSN, fdatasync, return its LSN in *lsn.
 * On failure the writer is failed for good (see above). */
int redo_append(struct redo_writer *w, uint16_t type, uint64_t time_us,
		const void *payload, size_t len, uint64_t *lsn);
/* Close the current generation and start the next one (empty, header only).
 * Fails the writer on I/O error. */
int redo_roll(struct redo_writer *w);
uint32_t redo_writer_generation(const struct redo_writer *w);
uint64_t redo_writer_next_lsn(const struct redo_writer *w);
/* 0 if healthy, else the error that failed it. */
int redo_writer_error(const struct redo_writer *w);
void redo_writer_close(struct redo_writer *w);

/* ---- reader ---- */
struct redo_reader;

/* Open a log file and check its header: CS_E_CORRUPT if magic, version,
 * length or crc is wrong, -errno if it cannot be read. *hdr may be NULL. */
int redo_reader_open(const char *path, struct redo_reader **out,
		     struct redo_file_hdr *hdr);
/* Next record: 1 and *rec, 0 at the end of the log, CS_E_CORRUPT if a record
 * fails its checks and valid data follows it, or -errno. */
int redo_reader_next(struct redo_reader *r, struct redo_record *rec);
/* After redo_reader_next returned 0: the offset just past the last valid
 * record, and whether bytes follow it (a torn tail). */
off_t redo_reader_end(const struct redo_reader *r);
int redo_reader_has_tail(const struct redo_reader *r);
void redo_reader_close(struct redo_reader *r);

/* Encode a file header into 64 bytes / decode and check one (CS_E_CORRUPT). */
void redo_hdr_encode(uint8_t out[REDO_HDR_LEN], const struct redo_file_hdr *h);
int redo_hdr_decode(const uint8_t in[REDO_HDR_LEN], struct redo_file_hdr *h);

#endif
