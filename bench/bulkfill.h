/*
 * bulkfill.h — benchmark-only bulk fill of a CA database: copies of one real
 * request and certificate, with new request ids and serials, inserted in
 * one SQLite transaction. Bypasses the redo log on purpose (benchmarks need
 * a large image fast); meta.applied_lsn is left alone, so recovery stays
 * consistent and the image is simply larger than what the logs describe.
 * Shared by bench/backup.c, bench/backup-impact.c, bench/restore.c and
 * tests/soak/soakfill.c.
 */
#ifndef CERTSRV_BENCH_BULKFILL_H
#define CERTSRV_BENCH_BULKFILL_H

#include <stdint.h>

#include "store/db.h"

/* One request and its certificate, copied out of the database. */
struct bulk_row {
	int64_t submitted_at, resolved_at, not_before, not_after, max_id;
	int disposition;
	char *requester, *profile, *subject, *cert_subject;
	void *raw_request, *raw_cert;
	int raw_request_len, raw_cert_len;
};

/* The first certificate of db and its request, copied (free with
 * bulk_row_release); max_id is the highest request id. CS_E_NOTFOUND if the
 * database holds no certificate. */
int bulk_row_load(sqlite3 *db, struct bulk_row *t);
void bulk_row_release(struct bulk_row *t);
/* The serial of copy `id`: 16 bytes, positive, "7EB0" + 28 hex digits of
 * the id (ids never repeat, so serials do not either). */
void bulk_serial(int64_t id, char out[40]);
/* Insert copies of the first certificate into db (a writer connection)
 * until the file reaches `want` bytes or max_seconds pass, in one
 * transaction; *rows receives the number of copies. */
int bulk_fill(sqlite3 *db, int64_t want, double max_seconds, int64_t *rows);
/* The same, for `count` copies (or until max_seconds pass); used by the soak
 * test (tests/soak/) to build a database of a given number of certificates. */
int bulk_fill_rows(sqlite3 *db, int64_t count, double max_seconds,
		   int64_t *rows);

#endif
