/*
 * bulkfill.c — the benchmarks' bulk fill of a CA database (see bulkfill.h).
 */
#include "bulkfill.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"

#define FILL_CHECK_ROWS 1024 /* rows between two size checks */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


void
bulk_row_release(struct bulk_row *t)
{
	free(t->requester);
	free(t->profile);
	free(t->subject);
	free(t->cert_subject);
	free(t->raw_request);
	free(t->raw_cert);
	memset(t, 0, sizeof(*t));
}

static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return strdup(s ? (const char *)s : "");
}

static void *
col_blob(sqlite3_stmt *st, int i, int *len)
{
	const void *p = sqlite3_column_blob(st, i);
	void *copy;

	*len = sqlite3_column_bytes(st, i);
	copy = malloc(*len > 0 ? (size_t)*len : 1);
	if (copy && *len > 0)
		memcpy(copy, p, (size_t)*len);
	return copy;
}

int
bulk_row_load(sqlite3 *db, struct bulk_row *t)
{
	static const char sql[] =
		"SELECT r.submitted_at, coalesce(r.resolved_at, r.submitted_at),"
		" r.disposition, r.requester, r.profile, r.subject, r.raw_request,"
		" c.subject, c.not_before, c.not_after, c.raw_cert,"
		" (SELECT max(request_id) FROM requests)"
		" FROM certificates c JOIN requests r USING (request_id)"
		" ORDER BY c.request_id LIMIT 1";
	sqlite3_stmt *st = NULL;
	int r = db_error(sqlite3_prepare_v2(db, sql, -1, &st, NULL));

	if (r == 0 && sqlite3_step(st) != SQLITE_ROW)
		r = CS_E_NOTFOUND;
	if (r == 0) {
		t->submitted_at = sqlite3_column_int64(st, 0);
		t->resolved_at = sqlite3_column_int64(st, 1);
		t->disposition = sqlite3_column_int(st, 2);
		t->requester = col_text(st, 3);
		t->profile = col_text(st, 4);
		t->subject = col_text(st, 5);
		t->raw_request = col_blob(st, 6, &t->raw_request_len);
		t->cert_subject = col_text(st, 7);
		t->not_before = sqlite3_column_int64(st, 8);
		t->not_after = sqlite3_column_int64(st, 9);
		t->raw_cert = col_blob(st, 10, &t->raw_cert_len);
		t->max_id = sqlite3_column_int64(st, 11);
		if (!t->requester || !t->profile || !t->subject || !t->raw_request ||
		    !t->cert_subject || !t->raw_cert)
			r = -ENOMEM;
	}
	sqlite3_finalize(st);
	return r;
}

void
bulk_serial(int64_t id, char out[40])
{
	snprintf(out, 40, "7EB0%028" PRIX64, (uint64_t)id);
}

/* -------------------------------------------------------------- bulk fill */

struct filler {
	sqlite3 *db;
	sqlite3_stmt *req, *cert, *pages;
	const struct bulk_row *t;
	int64_t page_size;
};

static int
filler_prepare(struct filler *f)
{
	static const char req_sql[] =
		"INSERT INTO requests (request_id, submitted_at, resolved_at,"
		" disposition, requester, profile, subject, raw_request)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	static const char cert_sql[] =
		"INSERT INTO certificates (request_id, serial, subject, not_before,"
		" not_after, raw_cert) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	const struct bulk_row *t = f->t;
	sqlite3_stmt *ps = NULL;
	int r;

	r = db_error(sqlite3_prepare_v2(f->db, req_sql, -1, &f->req, NULL));
	if (r == 0)
		r = db_error(sqlite3_prepare_v2(f->db, cert_sql, -1, &f->cert, NULL));
	if (r == 0)
		r = db_error(sqlite3_prepare_v2(f->db, "PRAGMA page_count", -1,
						&f->pages, NULL));
	if (r == 0)
		r = db_error(sqlite3_prepare_v2(f->db, "PRAGMA page_size", -1, &ps,
						NULL));
	if (r == 0 && sqlite3_step(ps) == SQLITE_ROW)
		f->page_size = sqlite3_column_int64(ps, 0);
	sqlite3_finalize(ps);
	if (r < 0)
		return r;
	sqlite3_bind_int64(f->req, 2, t->submitted_at);
	sqlite3_bind_int64(f->req, 3, t->resolved_at);
	sqlite3_bind_int(f->req, 4, t->disposition);
	sqlite3_bind_text(f->req, 5, t->requester, -1, SQLITE_STATIC);
	sqlite3_bind_text(f->req, 6, t->profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(f->req, 7, t->subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(f->req, 8, t->raw_request, t->raw_request_len, SQLITE_STATIC);
	sqlite3_bind_text(f->cert, 3, t->cert_subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(f->cert, 4, t->not_before);
	sqlite3_bind_int64(f->cert, 5, t->not_after);
	sqlite3_bind_blob(f->cert, 6, t->raw_cert, t->raw_cert_len, SQLITE_STATIC);
	return 0;
}

static void
filler_release(struct filler *f)
{
	sqlite3_finalize(f->req);
	sqlite3_finalize(f->cert);
	sqlite3_finalize(f->pages);
}

static int
step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(rc);
}

static int
insert_copy(struct filler *f, int64_t id)
{
	char serial[40];
	int r;

	bulk_serial(id, serial);
	sqlite3_bind_int64(f->req, 1, id);
	r = step_reset(f->req);
	if (r == 0) {
		sqlite3_bind_int64(f->cert, 1, id);
		sqlite3_bind_text(f->cert, 2, serial, -1, SQLITE_TRANSIENT);
		r = step_reset(f->cert);
	}
	return r;
}

static int64_t
filler_bytes(struct filler *f)
{
	int64_t pages = 0;

	if (sqlite3_step(f->pages) == SQLITE_ROW)
		pages = sqlite3_column_int64(f->pages, 0);
	sqlite3_reset(f->pages);
	return pages * f->page_size;
}

/* Insert copies until the database reaches `want` bytes or max_rows
 * copies are in, bounded in time. */
static int
fill_rows(struct filler *f, int64_t want, int64_t max_rows,
	  double max_seconds, int64_t *rows)
{
	int64_t id = f->t->max_id;
	double t0 = now_s();
	int r = 0;

	for (*rows = 0; r == 0 && *rows < max_rows; ++*rows) {
		if (*rows % FILL_CHECK_ROWS == 0 &&
		    (filler_bytes(f) >= want || now_s() - t0 > max_seconds))
			break;
		r = insert_copy(f, ++id);
	}
	return r;
}

/* One transaction of fill_rows. */
static int
fill_tx(sqlite3 *db, int64_t want, int64_t max_rows, double max_seconds,
	int64_t *rows)
{
	struct filler f = { .db = db };
	struct bulk_row t = { 0 };
	int r = bulk_row_load(db, &t);

	f.t = &t;
	*rows = 0;
	if (r == 0)
		r = filler_prepare(&f);
	if (r == 0)
		r = db_exec(db, "BEGIN IMMEDIATE");
	if (r == 0)
		r = fill_rows(&f, want, max_rows, max_seconds, rows);
	if (r == 0)
		r = db_exec(db, "COMMIT");
	else
		(void)db_exec(db, "ROLLBACK");
	if (r == 0 && want < INT64_MAX && filler_bytes(&f) < want)
		fprintf(stderr, "bench: fill stopped at its bound before %"
			PRId64 " bytes\n", want);
	filler_release(&f);
	bulk_row_release(&t);
	return r;
}

int
bulk_fill(sqlite3 *db, int64_t want, double max_seconds, int64_t *rows)
{
	return fill_tx(db, want, want / 256 + FILL_CHECK_ROWS, max_seconds, rows);
}

int
bulk_fill_rows(sqlite3 *db, int64_t count, double max_seconds, int64_t *rows)
{
	return fill_tx(db, INT64_MAX, count, max_seconds, rows);
}
