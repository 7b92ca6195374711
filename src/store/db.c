/*
 * db.c — the CA database: schema, connection setup and queries.
 *
 * Guarantees: every connection is opened in WAL mode with synchronous=NORMAL
 * and wal_autocheckpoint=0 (checkpoints are the commit thread's business);
 * readers are SQLITE_OPEN_READONLY; write functions read their preconditions
 * before writing, so a refused operation leaves the transaction untouched.
 */
#include "store/db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/proto.h"

static void cache_drop(sqlite3 *db);

const char db_schema_sql[] =
	"CREATE TABLE meta (\n"
	"  key TEXT PRIMARY KEY,\n"
	"  value NOT NULL\n"
	");\n"
	"CREATE TABLE requests (\n"
	"  request_id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"  submitted_at INTEGER NOT NULL,\n"
	"  resolved_at INTEGER,\n"
	"  disposition INTEGER NOT NULL,\n"
	"  message TEXT,\n"
	"  requester TEXT NOT NULL,\n"
	"  officer TEXT,\n"
	"  profile TEXT NOT NULL,\n"
	"  subject TEXT NOT NULL,\n"
	"  raw_request BLOB NOT NULL\n"
	");\n"
	"CREATE INDEX requests_disposition ON requests(disposition);\n"
	"CREATE TABLE certificates (\n"
	"  request_id INTEGER PRIMARY KEY REFERENCES requests(request_id),\n"
	"  serial TEXT NOT NULL UNIQUE,\n"
	"  subject TEXT NOT NULL,\n"
	"  not_before INTEGER NOT NULL,\n"
	"  not_after INTEGER NOT NULL,\n"
	"  raw_cert BLOB NOT NULL,\n"
	"  revoked_at INTEGER,\n"
	"  revoked_effective INTEGER,\n"
	"  revoked_reason INTEGER\n"
	");\n"
	"CREATE INDEX certificates_revoked ON certificates(revoked_effective)\n"
	"  WHERE revoked_effective IS NOT NULL;\n"
	"CREATE TABLE backups (\n"
	"  backup_id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"  type INTEGER NOT NULL,\n"
	"  started_at INTEGER NOT NULL,\n"
	"  ended_at INTEGER NOT NULL,\n"
	"  lsn_low INTEGER NOT NULL,\n"
	"  lsn_high INTEGER NOT NULL,\n"
	"  gen_low INTEGER NOT NULL,\n"
	"  gen_high INTEGER NOT NULL,\n"
	"  truncated INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE crls (\n"
	"  crl_number INTEGER PRIMARY KEY,\n"
	"  this_update INTEGER NOT NULL,\n"
	"  next_update INTEGER NOT NULL,\n"
	"  entries INTEGER NOT NULL,\n"
	"  raw_crl BLOB NOT NULL\n"
	");\n";

const char *
db_disposition_name(int disposition)
{
	switch (disposition) {
	case DISP_PENDING: return "pending";
	case DISP_ISSUED: return "issued";
	case DISP_REVOKED: return "revoked";
	case DISP_FAILED: return "failed";
	case DISP_DENIED: return "denied";
	default: return "unknown";
	}
}

int
db_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: return CS_E_CORRUPT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return CS_E_BUSY;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_IOERR: return -EIO;
	case SQLITE_CANTOPEN: return -ENOENT;
	case SQLITE_READONLY:
	case SQLITE_PERM: return -EACCES;
	case SQLITE_CONSTRAINT: return CS_E_EXISTS;
	default: return CS_E_INTERNAL;
	}
}

int
db_exec(sqlite3 *db, const char *sql)
{
	return db_error(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

static int
configure(sqlite3 *db)
{
	int r;

	sqlite3_busy_timeout(db, DB_BUSY_MS);
	sqlite3_extended_result_codes(db, 1);
	r = db_exec(db, "PRAGMA journal_mode=WAL");
	if (r == 0)
		r = db_exec(db, "PRAGMA synchronous=NORMAL");
	if (r == 0)
		r = db_exec(db, "PRAGMA wal_autocheckpoint=0");
	if (r == 0)
		r = db_exec(db, "PRAGMA foreign_keys=ON");
	return r;
}

static int
open_db(const char *path, int flags, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int r;

	*out = NULL;
	r = db_error(sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL));
	if (r == 0)
		r = configure(db);
	if (r < 0) {
		db_close(db);
		return r;
	}
	*out = db;
	return 0;
}

int
db_open_writer(const char *path, int create, sqlite3 **out)
{
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);

	return open_db(path, flags, out);
}

int
db_open_reader(const char *path, sqlite3 **out)
{
	/* journal_mode=WAL on a read-only connection is a no-op once the file
	 * is in WAL mode, which the writer guarantees before readers exist. */
	return open_db(path, SQLITE_OPEN_READONLY, out);
}

void
db_close(sqlite3 *db)
{
	if (!db)
		return;
	cache_drop(db);
	sqlite3_close_v2(db);
}

/*
 * Prepared statements are cached per connection, keyed by the address of
 * their SQL text (always a string literal), so the hot paths never parse SQL.
 * A connection is used by one thread at a time; the lock only guards the list
 * of caches. Statements are reset (never finalized) after use, which also
 * ends any read transaction they held; db_close() finalizes them.
 */
#define STMT_CACHE_SLOTS 48

struct stmt_cache {
	sqlite3 *db;
	const char *sql[STMT_CACHE_SLOTS];
	sqlite3_stmt *st[STMT_CACHE_SLOTS];
	struct stmt_cache *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stmt_cache *caches;

static struct stmt_cache *
cache_of(sqlite3 *db)
{
	struct stmt_cache *c;

	pthread_mutex_lock(&cache_lock);
	for (c = caches; c && c->db != db; c = c->next)
		;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (c) {
			c->db = db;
			c->next = caches;
			caches = c;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return c;
}

static void
cache_drop(sqlite3 *db)
{
	struct stmt_cache **pp, *c = NULL;
	int i;

	pthread_mutex_lock(&cache_lock);
	for (pp = &caches; *pp; pp = &(*pp)->next) {
		if ((*pp)->db == db) {
			c = *pp;
			*pp = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	if (!c)
		return;
	for (i = 0; i < STMT_CACHE_SLOTS; i++)
		sqlite3_finalize(c->st[i]);
	free(c);
}

/* The cached statement for sql (a string literal) on db. */
static int
prep(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	struct stmt_cache *c = cache_of(db);
	int i, r;

	*st = NULL;
	if (!c)
		return -ENOMEM;
	for (i = 0; i < STMT_CACHE_SLOTS && c->sql[i]; i++) {
		if (c->sql[i] == sql) {
			*st = c->st[i];
			return 0;
		}
	}
	if (i == STMT_CACHE_SLOTS)
		return CS_E_INTERNAL;   /* more distinct statements than slots */
	r = db_error(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT,
					st, NULL));
	if (r < 0)
		return r;
	c->sql[i] = sql;
	c->st[i] = *st;
	return 0;
}

/* Done with a cached statement: reset it and drop its bindings. */
static void
release(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Step a statement that returns no row, then release it. */
static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	release(st);
	return rc == SQLITE_DONE ? 0 : db_error(rc);
}

int
db_run(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prep(db, sql, &st);
	return r < 0 ? r : step_done(st);
}

int
db_meta_get_u64(sqlite3 *db, const char *key, uint64_t *v)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = prep(db, "SELECT value FROM meta WHERE key = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = rc == SQLITE_DONE ? CS_E_NOTFOUND : db_error(rc);
	release(st);
	return r;
}

int
db_meta_set_u64(sqlite3 *db, const char *key, uint64_t v)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prep(db, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
		     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)v);
	return step_done(st);
}

int
db_meta_get_lineage(sqlite3 *db, uint8_t lineage[REDO_LINEAGE_LEN])
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = prep(db, "SELECT value FROM meta WHERE key = 'lineage'", &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == REDO_LINEAGE_LEN &&
	    sqlite3_column_type(st, 0) == SQLITE_BLOB)
		memcpy(lineage, sqlite3_column_blob(st, 0), REDO_LINEAGE_LEN);
	else if (rc == SQLITE_ROW)
		r = CS_E_CORRUPT;
	else
		r = rc == SQLITE_DONE ? CS_E_NOTFOUND : db_error(rc);
	release(st);
	return r;
}

int
db_meta_set_lineage(sqlite3 *db, const uint8_t lineage[REDO_LINEAGE_LEN])
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prep(db, "INSERT INTO meta(key, value) VALUES ('lineage', ?1) "
		     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st);
	if (r < 0)
		return r;
	sqlite3_bind_blob(st, 1, lineage, REDO_LINEAGE_LEN, SQLITE_STATIC);
	return step_done(st);
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int
db_insert_request(sqlite3 *db, const struct db_request *q, int64_t *request_id)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prep(db, "INSERT INTO requests(submitted_at, resolved_at, disposition,"
		     " message, requester, officer, profile, subject, raw_request)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, q->submitted_at);
	if (q->resolved_at)
		sqlite3_bind_int64(st, 2, q->resolved_at);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int(st, 3, q->disposition);
	bind_text_or_null(st, 4, q->message);
	sqlite3_bind_text(st, 5, q->requester, -1, SQLITE_STATIC);
	bind_text_or_null(st, 6, q->officer);
	sqlite3_bind_text(st, 7, q->profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, q->subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, q->raw_request, (int)q->raw_request_len,
			  SQLITE_STATIC);
	r = step_done(st);
	if (r == 0)
		*request_id = sqlite3_last_insert_rowid(db);
	return r;
}

int
db_insert_cert(sqlite3 *db, const struct db_cert *c)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prep(db, "INSERT INTO certificates(request_id, serial, subject,"
		     " not_before, not_after, raw_cert)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, c->request_id);
	sqlite3_bind_text(st, 2, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->not_before);
	sqlite3_bind_int64(st, 5, c->not_after);
	sqlite3_bind_blob(st, 6, c->der, (int)c->der_len, SQLITE_STATIC);
	return step_done(st);
}

/* Disposition of a request: 0 and *disp, CS_E_NOTFOUND, or an error. */
static int
request_disposition(sqlite3 *db, int64_t id, int *disp)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = prep(db, "SELECT disposition FROM requests WHERE request_id = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*disp = sqlite3_column_int(st, 0);
	else
		r = rc == SQLITE_DONE ? CS_E_NOTFOUND : db_error(rc);
	release(st);
	return r;
}

int
db_resolve_request(sqlite3 *db, int64_t request_id, uint64_t allowed_from,
		   int disposition, int64_t when, const char *officer,
		   const char *message)
{
	sqlite3_stmt *st = NULL;
	int r, cur = 0;

	r = request_disposition(db, request_id, &cur);
	if (r < 0)
		return r;
	if (cur < 8 || cur > 40 || !(allowed_from & DB_FROM(cur)))
		return CS_E_STATE;
	r = prep(db, "UPDATE requests SET disposition = ?2, resolved_at = ?3,"
		     " officer = ?4, message = ?5 WHERE request_id = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, request_id);
	sqlite3_bind_int(st, 2, disposition);
	sqlite3_bind_int64(st, 3, when);
	bind_text_or_null(st, 4, officer);
	bind_text_or_null(st, 5, message);
	return step_done(st);
}

/* Request id and current revocation reason (-1 = not revoked) of a serial. */
static int
cert_state(sqlite3 *db, const char *serial, int64_t *id, int *reason)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = prep(db, "SELECT request_id, revoked_reason FROM certificates"
		     " WHERE serial = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*reason = sqlite3_column_type(st, 1) == SQLITE_NULL
				  ? -1 : sqlite3_column_int(st, 1);
	} else {
		r = rc == SQLITE_DONE ? CS_E_NOTFOUND : db_error(rc);
	}
	release(st);
	return r;
}

static int
set_revocation(sqlite3 *db, int64_t id, int reason, int64_t effective,
	       int64_t now, const char *officer)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prep(db, "UPDATE certificates SET revoked_at = ?2,"
		     " revoked_effective = ?3, revoked_reason = ?4"
		     " WHERE request_id = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if (reason < 0) {
		sqlite3_bind_null(st, 2);
		sqlite3_bind_null(st, 3);
		sqlite3_bind_null(st, 4);
	} else {
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, effective);
		sqlite3_bind_int(st, 4, reason);
	}
	r = step_done(st);
	if (r < 0)
		return r;
	r = prep(db, "UPDATE requests SET disposition = ?2, officer = ?3"
		     " WHERE request_id = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, reason < 0 ? DISP_ISSUED : DISP_REVOKED);
	bind_text_or_null(st, 3, officer);
	return step_done(st);
}

#define REASON_HOLD 6

int
db_revoke(sqlite3 *db, const char *serial, int reason, int64_t effective,
	  int64_t now, const char *officer)
{
	int64_t id = 0;
	int cur = -1, r;

	r = cert_state(db, serial, &id, &cur);
	if (r < 0)
		return r;
	if (cur >= 0 && !(cur == REASON_HOLD && reason != REASON_HOLD))
		return CS_E_STATE;
	return set_revocation(db, id, reason, effective, now, officer);
}

int
db_unrevoke(sqlite3 *db, const char *serial, const char *officer)
{
	int64_t id = 0;
	int cur = -1, r;

	r = cert_state(db, serial, &id, &cur);
	if (r < 0)
		return r;
	if (cur != REASON_HOLD)
		return CS_E_STATE;
	return set_revocation(db, id, -1, 0, 0, officer);
}

int
db_insert_crl(sqlite3 *db, uint64_t number, int64_t this_update,
	      int64_t next_update, uint64_t entries, const uint8_t *der,
	      size_t len)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prep(db, "INSERT INTO crls(crl_number, this_update, next_update,"
		     " entries, raw_crl) VALUES (?1, ?2, ?3, ?4, ?5)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)number);
	sqlite3_bind_int64(st, 2, this_update);
	sqlite3_bind_int64(st, 3, next_update);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)entries);
	sqlite3_bind_blob(st, 5, der, (int)len, SQLITE_STATIC);
	return step_done(st);
}

int
db_last_crl_number(sqlite3 *db, uint64_t *number, int64_t *published_at)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	*number = 0;
	if (published_at)
		*published_at = 0;
	/* After a point-in-time restore, meta.crl_number_floor holds the
	 * highest number seen in the history that was cut off. */
	r = prep(db, "SELECT max(coalesce((SELECT max(crl_number) FROM crls), 0),"
		     " coalesce((SELECT value FROM meta"
		     " WHERE key = 'crl_number_floor'), 0)),"
		     " coalesce((SELECT this_update FROM crls"
		     " ORDER BY crl_number DESC LIMIT 1), 0)", &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*number = (uint64_t)sqlite3_column_int64(st, 0);
		if (published_at)
			*published_at = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		r = db_error(rc);
	}
	release(st);
	return r;
}

int
db_each_revoked(sqlite3 *db, int64_t now,
		int (*fn)(const struct db_revoked_row *row, void *ctx), void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct db_revoked_row row;
	int r, rc;

	r = prep(db, "SELECT serial, revoked_effective, revoked_reason"
		     " FROM certificates WHERE revoked_effective IS NOT NULL"
		     " AND revoked_effective <= ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.serial = (const char *)sqlite3_column_text(st, 0);
		row.effective = sqlite3_column_int64(st, 1);
		row.reason = sqlite3_column_int(st, 2);
		r = fn(&row, ctx);
		if (r)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_error(rc);
	release(st);
	return r;
}

static char *
column_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return strdup(s ? (const char *)s : "");
}

int
db_get_request(sqlite3 *db, int64_t request_id, struct db_request_row *out)
{
	sqlite3_stmt *st = NULL;
	int r, rc, n;

	memset(out, 0, sizeof(*out));
	r = prep(db, "SELECT disposition, profile, requester, raw_request"
		     " FROM requests WHERE request_id = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, request_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CS_E_NOTFOUND : db_error(rc);
		goto out;
	}
	out->request_id = request_id;
	out->disposition = sqlite3_column_int(st, 0);
	out->profile = column_strdup(st, 1);
	out->requester = column_strdup(st, 2);
	n = sqlite3_column_bytes(st, 3);
	out->raw_request = malloc(n > 0 ? (size_t)n : 1);
	if (!out->profile || !out->requester || !out->raw_request) {
		r = -ENOMEM;
		goto out;
	}
	if (n > 0)
		memcpy(out->raw_request, sqlite3_column_blob(st, 3), (size_t)n);
	out->raw_request_len = (size_t)n;
out:
	release(st);
	if (r < 0)
		db_request_row_release(out);
	return r;
}

void
db_request_row_release(struct db_request_row *r)
{
	if (!r)
		return;
	free(r->profile);
	free(r->requester);
	free(r->raw_request);
	memset(r, 0, sizeof(*r));
}

int
db_get_cert(sqlite3 *db, int64_t request_id, const char *serial,
	    uint8_t **der, size_t *len, char **requester)
{
	sqlite3_stmt *st = NULL;
	int r, rc, n;

	*der = NULL;
	*len = 0;
	if (requester)
		*requester = NULL;
	r = prep(db, serial
		     ? "SELECT c.raw_cert, q.requester FROM certificates c"
		       " JOIN requests q USING (request_id) WHERE c.serial = ?2"
		     : "SELECT c.raw_cert, q.requester FROM certificates c"
		       " JOIN requests q USING (request_id) WHERE c.request_id = ?1",
		 &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, request_id);
	if (serial)
		sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CS_E_NOTFOUND : db_error(rc);
		goto out;
	}
	n = sqlite3_column_bytes(st, 0);
	*der = malloc(n > 0 ? (size_t)n : 1);
	if (requester)
		*requester = column_strdup(st, 1);
	if (!*der || (requester && !*requester)) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(*der, sqlite3_column_blob(st, 0), (size_t)n);
	*len = (size_t)n;
out:
	release(st);
	if (r < 0) {
		free(*der);
		*der = NULL;
		if (requester) {
			free(*requester);
			*requester = NULL;
		}
	}
	return r;
}

static json_t *
column_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	default:
		return json_string((const char *)sqlite3_column_text(st, i));
	}
}

static const char *const view_where[] = {
	[VIEW_ALL] = "",
	[VIEW_ISSUED] = " WHERE q.disposition = 20",
	[VIEW_REVOKED] = " WHERE q.disposition = 21",
	[VIEW_PENDING] = " WHERE q.disposition = 9",
	[VIEW_DENIED] = " WHERE q.disposition = 31",
	[VIEW_FAILED] = " WHERE q.disposition = 30",
};

int
db_view_json(sqlite3 *db, int filter, json_t **out)
{
	static const char *const cols[] = {
		"request_id", "disposition", "profile", "requester", "subject",
		"submitted_at", "resolved_at", "serial", "not_before",
		"not_after", "revoked_effective", "revoked_reason",
	};
	char sql[512];
	sqlite3_stmt *st = NULL;
	json_t *rows = NULL, *row;
	int r, rc;
	size_t i;

	*out = NULL;
	if (filter < 0 || filter > VIEW_FAILED)
		return CS_E_INVALID;
	snprintf(sql, sizeof(sql),
		 "SELECT q.request_id, q.disposition, q.profile, q.requester,"
		 " q.subject, q.submitted_at, q.resolved_at, c.serial,"
		 " c.not_before, c.not_after, c.revoked_effective,"
		 " c.revoked_reason FROM requests q"
		 " LEFT JOIN certificates c USING (request_id)%s"
		 " ORDER BY q.request_id", view_where[filter]);
	r = db_error(sqlite3_prepare_v2(db, sql, -1, &st, NULL));
	if (r < 0)
		return r;
	rows = json_array();
	if (!rows) {
		r = -ENOMEM;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_object();
		if (!row || json_array_append_new(rows, row) < 0) {
			r = -ENOMEM;
			goto out;
		}
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
			const char *name = cols[i];

			if (strcmp(name, "revoked_effective") == 0)
				name = "revoked_at";
			if (json_object_set_new(row, name, column_json(st, (int)i)) < 0) {
				r = -ENOMEM;
				goto out;
			}
		}
		json_object_set_new(row, "disposition_name",
				    json_string(db_disposition_name(
					    sqlite3_column_int(st, 1))));
	}
	if (rc != SQLITE_DONE)
		r = db_error(rc);
out:
	sqlite3_finalize(st);
	if (r < 0)
		json_decref(rows);
	else
		*out = rows;
	return r;
}

int
db_counts_json(sqlite3 *db, json_t **out)
{
	static const int disps[] = { DISP_ISSUED, DISP_REVOKED, DISP_PENDING,
				     DISP_DENIED, DISP_FAILED };
	sqlite3_stmt *st = NULL;
	json_t *obj;
	int r, rc;
	size_t i;

	*out = NULL;
	obj = json_object();
	if (!obj)
		return -ENOMEM;
	for (i = 0; i < sizeof(disps) / sizeof(disps[0]); i++)
		json_object_set_new(obj, db_disposition_name(disps[i]),
				    json_integer(0));
	r = prep(db, "SELECT disposition, count(*) FROM requests"
		     " GROUP BY disposition", &st);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(obj,
				    db_disposition_name(sqlite3_column_int(st, 0)),
				    json_integer(sqlite3_column_int64(st, 1)));
	if (rc != SQLITE_DONE)
		r = db_error(rc);
out:
	release(st);
	if (r < 0)
		json_decref(obj);
	else
		*out = obj;
	return r;
}

int
db_insert_backup(sqlite3 *db, const struct db_backup *b)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prep(db, "INSERT INTO backups(type, started_at, ended_at, lsn_low,"
		     " lsn_high, gen_low, gen_high, truncated)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, b->type);
	sqlite3_bind_int64(st, 2, b->started_at);
	sqlite3_bind_int64(st, 3, b->ended_at);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)b->lsn_low);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)b->lsn_high);
	sqlite3_bind_int64(st, 6, b->gen_low);
	sqlite3_bind_int64(st, 7, b->gen_high);
	sqlite3_bind_int(st, 8, b->truncated);
	return step_done(st);
}

int
db_last_backup(sqlite3 *db, int type, struct db_backup *out)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = prep(db, "SELECT type, started_at, ended_at, lsn_low, lsn_high,"
		     " gen_low, gen_high, truncated FROM backups"
		     " WHERE ?1 = 0 OR type = ?1 ORDER BY backup_id DESC LIMIT 1",
		 &st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, type);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->type = sqlite3_column_int(st, 0);
		out->started_at = sqlite3_column_int64(st, 1);
		out->ended_at = sqlite3_column_int64(st, 2);
		out->lsn_low = (uint64_t)sqlite3_column_int64(st, 3);
		out->lsn_high = (uint64_t)sqlite3_column_int64(st, 4);
		out->gen_low = (uint32_t)sqlite3_column_int64(st, 5);
		out->gen_high = (uint32_t)sqlite3_column_int64(st, 6);
		out->truncated = sqlite3_column_int(st, 7);
	} else {
		r = rc == SQLITE_DONE ? CS_E_NOTFOUND : db_error(rc);
	}
	release(st);
	return r;
}
