/*
 * db.h — the CA database: schema, connections, and every query.
 *
 * The database is SQLite in WAL mode with synchronous=NORMAL and
 * wal_autocheckpoint=0 on every connection (DESIGN section 4). Exactly one
 * connection writes or checkpoints: the commit thread's, opened with
 * db_open_writer() (I3). Everyone else reads through db_open_reader(), whose
 * connections are read-only at the SQLite level.
 *
 * Tables: meta (not replicated by the redo log: applied_lsn, lineage),
 * requests, certificates, crls. The data-modifying functions below run on the
 * commit thread inside its batch transaction; each checks its preconditions
 * with reads before it writes, so a refusal (CS_E_NOTFOUND, CS_E_STATE) has
 * written nothing.
 */
#ifndef CERTSRV_STORE_DB_H
#define CERTSRV_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>

#include <jansson.h>

#include "store/redo.h"

/* How long a connection waits for a lock held by another one. */
#define DB_BUSY_MS 5000

/* Dispositions, as in AD CS. */
enum db_disposition {
	DISP_PENDING = 9,
	DISP_ISSUED = 20,
	DISP_REVOKED = 21,
	DISP_FAILED = 30,
	DISP_DENIED = 31,
};
const char *db_disposition_name(int disposition);

/* The schema, applied as the REDO_SCHEMA record at LSN 1. */
extern const char db_schema_sql[];
#define DB_SCHEMA_VERSION 1

/* Open the writer connection (creates the file if create != 0). */
int db_open_writer(const char *path, int create, sqlite3 **out);
/* Open a read-only connection. */
int db_open_reader(const char *path, sqlite3 **out);
/* sqlite3_close_v2 that accepts NULL. */
void db_close(sqlite3 *db);

/* Map an SQLite result code to our codes (SQLITE_CORRUPT -> CS_E_CORRUPT...). */
int db_error(int sqlite_rc);

/* Run SQL text (any number of statements), parsed every time. */
int db_exec(sqlite3 *db, const char *sql);
/* Run one statement whose text is a string literal, through the
 * connection's statement cache (for hot paths: BEGIN, SAVEPOINT...). */
int db_run(sqlite3 *db, const char *sql);
int db_meta_get_u64(sqlite3 *db, const char *key, uint64_t *v);
int db_meta_set_u64(sqlite3 *db, const char *key, uint64_t v);
int db_meta_get_lineage(sqlite3 *db, uint8_t lineage[REDO_LINEAGE_LEN]);
int db_meta_set_lineage(sqlite3 *db, const uint8_t lineage[REDO_LINEAGE_LEN]);

/* ---- writes (commit thread, inside a transaction) ---- */
struct db_request {
	int64_t submitted_at;
	int64_t resolved_at;     /* 0 = NULL */
	int disposition;
	const char *message;     /* may be NULL */
	const char *requester;
	const char *officer;     /* may be NULL */
	const char *profile;
	const char *subject;
	const uint8_t *raw_request;
	size_t raw_request_len;
};
int db_insert_request(sqlite3 *db, const struct db_request *r, int64_t *request_id);

struct db_cert {
	int64_t request_id;
	const char *serial;      /* canonical uppercase hex */
	const char *subject;
	int64_t not_before;
	int64_t not_after;
	const uint8_t *der;
	size_t der_len;
};
int db_insert_cert(sqlite3 *db, const struct db_cert *c);
/* Resolve a pending (or, for reissue, denied) request: sets disposition,
 * resolved_at, officer. CS_E_NOTFOUND / CS_E_STATE if the request is not in
 * one of the `allowed_from` dispositions (bit set by disposition: use
 * DB_FROM(DISP_x)). */
#define DB_FROM(d) (1ull << ((d) - 8))
int db_resolve_request(sqlite3 *db, int64_t request_id, uint64_t allowed_from,
		       int disposition, int64_t when, const char *officer,
		       const char *message);
/* Revoke an issued certificate: CS_E_NOTFOUND, or CS_E_STATE if already
 * revoked (unless it is on hold and reason is not hold: then the reason and
 * date are updated, as AD CS allows). */
int db_revoke(sqlite3 *db, const char *serial, int reason, int64_t effective,
	      int64_t now, const char *officer);
/* Undo a certificateHold revocation: CS_E_NOTFOUND or CS_E_STATE. */
int db_unrevoke(sqlite3 *db, const char *serial, const char *officer);
int db_insert_crl(sqlite3 *db, uint64_t number, int64_t this_update,
		  int64_t next_update, uint64_t entries, const uint8_t *der,
		  size_t len);

/* ---- reads (any connection) ---- */
/* Highest CRL number so far (0 if none), or the floor a point-in-time
 * restore left in meta.crl_number_floor if that is higher. */
int db_last_crl_number(sqlite3 *db, uint64_t *number, int64_t *published_at);

struct db_revoked_row {
	const char *serial;
	int64_t effective;
	int reason;
};
/* Calls fn for every revoked certificate whose effective date is <= now and
 * (expired ones included: a CRL never drops an entry). fn returning non-zero stops
 * the walk and is returned. Rows are borrowed for the duration of the call. */
int db_each_revoked(sqlite3 *db, int64_t now,
		    int (*fn)(const struct db_revoked_row *row, void *ctx),
		    void *ctx);

struct db_request_row {
	int64_t request_id;
	int disposition;
	char *profile;        /* malloc'd */
	char *requester;      /* malloc'd */
	uint8_t *raw_request; /* malloc'd */
	size_t raw_request_len;
};
/* Load a request; free with db_request_row_release. CS_E_NOTFOUND. */
int db_get_request(sqlite3 *db, int64_t request_id, struct db_request_row *out);
void db_request_row_release(struct db_request_row *r);

/* A certificate's DER by request id or by serial (exactly one of them:
 * serial NULL means by id). *der malloc'd, caller frees. Also returns the
 * requester so handlers can check ownership. CS_E_NOTFOUND. */
int db_get_cert(sqlite3 *db, int64_t request_id, const char *serial,
		uint8_t **der, size_t *len, char **requester);

/* Rows for `certsrv view`: filter is a VIEW_* of proto.h. New reference in
 * *out (caller json_decref's). */
int db_view_json(sqlite3 *db, int filter, json_t **out);
/* Counts by disposition into an object {"issued": n, ...}. */
int db_counts_json(sqlite3 *db, json_t **out);

/* ---- backup history (written only by a backup session that read
 * everything it listed) ---- */
struct db_backup {
	int type;             /* 1 full, 2 logs only (CSBACKUP_TYPE_*) */
	int64_t started_at;
	int64_t ended_at;
	uint64_t lsn_low;     /* full: the image's LSN; logs only: first LSN */
	uint64_t lsn_high;    /* last LSN in the set's last generation */
	uint32_t gen_low;
	uint32_t gen_high;
	int truncated;        /* TruncateLogs ran */
};
int db_insert_backup(sqlite3 *db, const struct db_backup *b);
/* The most recent backup of a type (0: any type): CS_E_NOTFOUND if none. */
int db_last_backup(sqlite3 *db, int type, struct db_backup *out);

#endif
