/*
 * handlers.c — the CA operations behind each protocol request.
 *
 * Every handler validates its fields at the edge (missing, malformed or
 * out-of-range input is refused with a precise sentence before anything is
 * stored), does the expensive work (CSR checks, signing) on the connection
 * thread, and hands only the database writes to the commit thread. The one
 * exception is the CRL: its number and entries are read and the signed CRL
 * stored in one commit-thread transaction, so numbers can never repeat or
 * miss a revocation that committed before it (one signature per publish). A reply
 * that reports success is built only after commit_run() returned 0, that is
 * after the redo record is on disk (I1).
 */
#include "daemon/handlers.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "daemon/backup.h"
#include "store/db.h"

#define MAX_PROFILE_NAME 64
#define MAX_SERIAL_TEXT 128

int
req_fail(struct req *x, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
	return code;
}

int
req_reply_ok(struct req *x)
{
	return proto_begin(x->reply, PROTO_REPLY_OK, x->req_id);
}

/* ---------------------------------------------------------------- submit */

/* Everything the commit thread needs to store an issued certificate. */
struct issue_op {
	struct db_request rq;     /* for a new request */
	struct db_cert cert;
	int64_t existing_id;      /* >0: resolve this pending request instead */
	int64_t request_id;       /* out */
};

static int
op_store_issued(sqlite3 *db, void *arg)
{
	struct issue_op *o = arg;
	int r;

	if (o->existing_id > 0) {
		r = db_resolve_request(db, o->existing_id,
				       DB_FROM(DISP_PENDING) | DB_FROM(DISP_DENIED),
				       DISP_ISSUED, o->rq.resolved_at,
				       o->rq.officer, NULL);
		o->request_id = o->existing_id;
	} else {
		r = db_insert_request(db, &o->rq, &o->request_id);
	}
	if (r < 0)
		return r;
	o->cert.request_id = o->request_id;
	return db_insert_cert(db, &o->cert);
}

struct request_op {
	struct db_request rq;
	int64_t request_id;       /* out */
};

static int
op_store_request(sqlite3 *db, void *arg)
{
	struct request_op *o = arg;

	return db_insert_request(db, &o->rq, &o->request_id);
}

static int64_t
cert_not_after(const X509 *cert)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* Sign a certificate for req and store it; fills the reply. existing_id > 0
 * resolves that pending request (officer = peer) instead of a new one. */
static int
issue_and_store(struct req *x, const struct ca_csr *req, const struct config_profile *cp,
		const struct db_request *rq, int64_t existing_id)
{
	struct ca_urls urls = { x->d->cfg->crl_url, x->d->cfg->aia_url };
	struct issue_op op;
	uint8_t serial[CA_SERIAL_LEN];
	char serial_hex[CA_SERIAL_HEX_MAX];
	X509 *cert = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char *subject = NULL;
	int r;

	memset(&op, 0, sizeof(op));
	r = ca_serial_random(serial);
	if (r < 0)
		return req_fail(x, r, "no random serial number: %s", cs_strerror(r));
	ca_serial_hex(serial, sizeof(serial), serial_hex);
	r = ca_issue(x->d->signer, req, &cp->p, &urls, serial, rq->submitted_at,
		     0, &cert, x->err, sizeof(x->err));
	if (r < 0)
		goto out;
	r = ca_cert_der(cert, &der, &der_len);
	/* The certificate's subject is the request's (ca_issue copies it). */
	if (r == 0 && !rq->subject) {
		subject = ca_name_oneline(X509_get_subject_name(cert));
		if (!subject)
			r = -ENOMEM;
	}
	if (r < 0)
		goto out;
	op.rq = *rq;
	op.rq.disposition = DISP_ISSUED;
	op.rq.resolved_at = rq->submitted_at;
	op.existing_id = existing_id;
	op.cert.serial = serial_hex;
	op.cert.subject = rq->subject ? rq->subject : subject;
	op.cert.not_before = rq->submitted_at;
	op.cert.not_after = cert_not_after(cert);
	op.cert.der = der;
	op.cert.der_len = der_len;
	r = commit_run(x->d->commit, op_store_issued, &op);
	if (r < 0) {
		if (r == CS_E_STATE)
			req_fail(x, r, "request %lld is no longer pending",
			    (long long)existing_id);
		goto out;
	}
	r = req_reply_ok(x);
	proto_put_u64(x->reply, PT_REQUEST_ID, (uint64_t)op.request_id);
	proto_put_u32(x->reply, PT_DISPOSITION, DISP_ISSUED);
	proto_put_str(x->reply, PT_SERIAL, serial_hex);
	proto_put_bytes(x->reply, PT_CERT, der, der_len);
out:
	X509_free(cert);
	free(der);
	free(subject);
	return r;
}

/* A request refused by profile policy is kept as failed (30), as AD CS does,
 * so an officer can see what was asked and why it was refused. */
static int
store_failed(struct req *x, const struct db_request *rq, const char *why)
{
	struct request_op op;
	int r;

	memset(&op, 0, sizeof(op));
	op.rq = *rq;
	op.rq.disposition = DISP_FAILED;
	op.rq.resolved_at = rq->submitted_at;
	op.rq.message = why;
	r = commit_run(x->d->commit, op_store_request, &op);
	if (r < 0)
		return r;
	return req_fail(x, CS_E_POLICY, "request %lld failed: %s",
		   (long long)op.request_id, why);
}

static int
store_pending(struct req *x, const struct db_request *rq)
{
	struct request_op op;
	int r;

	memset(&op, 0, sizeof(op));
	op.rq = *rq;
	op.rq.disposition = DISP_PENDING;
	r = commit_run(x->d->commit, op_store_request, &op);
	if (r < 0)
		return r;
	r = req_reply_ok(x);
	proto_put_u64(x->reply, PT_REQUEST_ID, (uint64_t)op.request_id);
	proto_put_u32(x->reply, PT_DISPOSITION, DISP_PENDING);
	return r;
}

static int
lookup_profile(struct req *x, const char *name,
	       const struct config_profile **cp)
{
	*cp = config_profile(x->d->cfg, name);
	if (!*cp)
		return req_fail(x, CS_E_PROFILE, "no profile named \"%s\"", name);
	if (!authz_may_use_profile(&x->c->peer, *cp))
		return req_fail(x, CS_E_PROFILE_DENIED,
			   "user %s may not use profile \"%s\"",
			   x->c->peer.name, name);
	return 0;
}

static int
h_submit(struct req *x)
{
	const struct config_profile *cp;
	const uint8_t *csr;
	size_t csr_len;
	char *profile = NULL, *subject = NULL;
	struct ca_csr *req = NULL;
	struct db_request rq;
	char why[512];
	int r;

	if (proto_get_bytes(&x->r, PT_CSR, &csr, &csr_len) < 0)
		return req_fail(x, CS_E_PROTO, "the request carries no CSR");
	r = proto_get_str(&x->r, PT_PROFILE, MAX_PROFILE_NAME, &profile);
	if (r == -ENOENT)
		profile = strdup("tls-server");
	else if (r < 0)
		return req_fail(x, CS_E_PROTO, "the profile name is malformed");
	if (!profile)
		return -ENOMEM;
	r = lookup_profile(x, profile, &cp);
	if (r < 0)
		goto out;
	r = ca_csr_parse(csr, csr_len, &req, x->err, sizeof(x->err));
	if (r < 0)
		goto out;
	subject = ca_name_oneline(ca_csr_subject(req));
	if (!subject) {
		r = -ENOMEM;
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	rq.submitted_at = time(NULL);
	rq.requester = x->c->peer.name;
	rq.profile = cp->p.name;
	rq.subject = subject;
	rq.raw_request = ca_csr_der(req, &rq.raw_request_len);
	if (cp->p.pend) {
		r = store_pending(x, &rq);
		goto out;
	}
	r = issue_and_store(x, req, cp, &rq, 0);
	if (r == CS_E_POLICY) {
		snprintf(why, sizeof(why), "%s", x->err);
		r = store_failed(x, &rq, why);
	}
out:
	free(profile);
	free(subject);
	ca_csr_free(req);
	return r;
}

/* ----------------------------------------------------------- issue, deny */

static int
get_request_id(struct req *x, int64_t *id)
{
	uint64_t v;

	if (proto_get_u64(&x->r, PT_REQUEST_ID, &v) < 0 || v == 0 ||
	    v > INT64_MAX)
		return req_fail(x, CS_E_PROTO, "the request carries no valid request id");
	*id = (int64_t)v;
	return 0;
}

static int
h_issue(struct req *x)
{
	struct db_request_row row;
	const struct config_profile *cp;
	struct db_request rq;
	struct ca_csr *req = NULL;
	sqlite3 *db;
	int64_t id = 0;
	int r;

	memset(&row, 0, sizeof(row));
	r = get_request_id(x, &id);
	if (r == 0)
		r = conn_reader(x->c, &db);
	if (r == 0)
		r = db_get_request(db, id, &row);
	if (r == CS_E_NOTFOUND)
		req_fail(x, r, "no request %lld", (long long)id);
	if (r < 0)
		goto out;
	if (row.disposition != DISP_PENDING && row.disposition != DISP_DENIED) {
		r = req_fail(x, CS_E_STATE, "request %lld is %s; only pending or denied"
			" requests can be issued", (long long)id,
			db_disposition_name(row.disposition));
		goto out;
	}
	cp = config_profile(x->d->cfg, row.profile);
	if (!cp) {
		r = req_fail(x, CS_E_PROFILE, "request %lld names profile \"%s\","
			" which no longer exists", (long long)id, row.profile);
		goto out;
	}
	r = ca_csr_parse(row.raw_request, row.raw_request_len, &req, x->err,
			 sizeof(x->err));
	if (r < 0)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.submitted_at = time(NULL);
	rq.officer = x->c->peer.name;
	r = issue_and_store(x, req, cp, &rq, id);
out:
	ca_csr_free(req);
	db_request_row_release(&row);
	return r;
}

struct resolve_op {
	int64_t id;
	int64_t when;
	const char *officer;
	int found_disposition;
};

static int
op_deny(sqlite3 *db, void *arg)
{
	struct resolve_op *o = arg;

	return db_resolve_request(db, o->id, DB_FROM(DISP_PENDING), DISP_DENIED,
				  o->when, o->officer, "denied by officer");
}

static int
h_deny(struct req *x)
{
	struct resolve_op op = { 0, time(NULL), x->c->peer.name, 0 };
	int r;

	r = get_request_id(x, &op.id);
	if (r < 0)
		return r;
	r = commit_run(x->d->commit, op_deny, &op);
	if (r == CS_E_NOTFOUND)
		return req_fail(x, r, "no request %lld", (long long)op.id);
	if (r == CS_E_STATE)
		return req_fail(x, r, "request %lld is not pending; only pending"
			   " requests can be denied", (long long)op.id);
	if (r < 0)
		return r;
	r = req_reply_ok(x);
	proto_put_u32(x->reply, PT_DISPOSITION, DISP_DENIED);
	return r;
}

/* ------------------------------------------------------ revoke, unrevoke */

static int
get_serial(struct req *x, char out[CA_SERIAL_HEX_MAX + 8])
{
	char *s = NULL;
	int r;

	r = proto_get_str(&x->r, PT_SERIAL, MAX_SERIAL_TEXT, &s);
	if (r < 0)
		return req_fail(x, CS_E_PROTO, "the request carries no serial number");
	r = ca_serial_normalize(s, out);
	if (r < 0)
		req_fail(x, CS_E_INVALID, "\"%s\" is not a serial number (hex digits,"
		    " optionally with colons)", s);
	free(s);
	return r;
}

struct revoke_op {
	const char *serial;
	int reason;          /* -1: unrevoke */
	int64_t effective;
	int64_t now;
	const char *officer;
};

static int
op_revoke(sqlite3 *db, void *arg)
{
	struct revoke_op *o = arg;

	if (o->reason < 0)
		return db_unrevoke(db, o->serial, o->officer);
	return db_revoke(db, o->serial, o->reason, o->effective, o->now,
			 o->officer);
}

#define REASON_UNUSED 7
#define REASON_REMOVE_FROM_CRL 8
#define REASON_MAX 10

static int
revoke_args(struct req *x, struct revoke_op *op)
{
	uint32_t reason = 0;
	uint64_t date = 0;
	int r;

	r = proto_get_u32(&x->r, PT_REASON, &reason);
	if (r < 0 && r != -ENOENT)
		return req_fail(x, CS_E_PROTO, "malformed reason field");
	if (reason > REASON_MAX || reason == REASON_UNUSED ||
	    reason == REASON_REMOVE_FROM_CRL)
		return req_fail(x, CS_E_INVALID, "reason %u cannot be used to revoke",
			   reason);
	r = proto_get_u64(&x->r, PT_DATE, &date);
	if (r < 0 && r != -ENOENT)
		return req_fail(x, CS_E_PROTO, "malformed date field");
	if (date > (uint64_t)INT32_MAX * 4)
		return req_fail(x, CS_E_INVALID, "revocation date out of range");
	op->reason = (int)reason;
	op->effective = r == -ENOENT ? op->now : (int64_t)date;
	return 0;
}

static int
revoke_common(struct req *x, int unrevoke)
{
	char serial[CA_SERIAL_HEX_MAX + 8];
	struct revoke_op op = { serial, -1, 0, time(NULL), x->c->peer.name };
	int r;

	r = get_serial(x, serial);
	if (r == 0 && !unrevoke)
		r = revoke_args(x, &op);
	if (r < 0)
		return r;
	r = commit_run(x->d->commit, op_revoke, &op);
	if (r == CS_E_NOTFOUND)
		return req_fail(x, r, "no certificate with serial %s", serial);
	if (r == CS_E_STATE && unrevoke)
		return req_fail(x, r, "certificate %s is not on hold (certificateHold);"
			   " only a hold can be undone", serial);
	if (r == CS_E_STATE)
		return req_fail(x, r, "certificate %s is already revoked", serial);
	if (r < 0)
		return r;
	return req_reply_ok(x);
}

static int
h_revoke(struct req *x)
{
	return revoke_common(x, 0);
}

static int
h_unrevoke(struct req *x)
{
	return revoke_common(x, 1);
}

/* ------------------------------------------------------------------- CRL */

struct crl_op {
	struct daemon *d;
	time_t now;
	struct ca_revoked *list;
	size_t n, cap;
	uint64_t number;      /* out */
	uint8_t *der;         /* out, malloc'd */
	size_t der_len;
	char err[256];
};

static int
collect_revoked(const struct db_revoked_row *row, void *arg)
{
	struct crl_op *o = arg;
	struct ca_revoked *grown;

	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		grown = realloc(o->list, o->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		o->list = grown;
	}
	o->list[o->n].serial_hex = strdup(row->serial);
	if (!o->list[o->n].serial_hex)
		return -ENOMEM;
	o->list[o->n].revoked_at = (time_t)row->effective;
	o->list[o->n].reason = row->reason;
	o->n++;
	return 0;
}

static void
crl_op_release(struct crl_op *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free((char *)o->list[i].serial_hex);
	free(o->list);
	free(o->der);
	o->list = NULL;
	o->der = NULL;
	o->n = o->cap = 0;
}

/* Runs on the commit thread: the CRL number and the entries are read and the
 * new CRL row written in one transaction, so numbers never repeat. */
static int
op_publish_crl(sqlite3 *db, void *arg)
{
	struct crl_op *o = arg;
	int r;

	crl_op_release(o);
	r = db_last_crl_number(db, &o->number, NULL);
	if (r == 0)
		r = db_each_revoked(db, o->now, collect_revoked, o);
	if (r < 0)
		return r;
	o->number++;
	r = ca_crl_build(o->d->signer, o->list, o->n, o->number, o->now,
			 o->d->cfg->crl_period_hours, &o->der, &o->der_len,
			 o->err, sizeof(o->err));
	if (r < 0)
		return r;
	return db_insert_crl(db, o->number, o->now,
			     o->now + (int64_t)o->d->cfg->crl_period_hours * 3600,
			     o->n, o->der, o->der_len);
}

static int
h_crl_publish(struct req *x)
{
	struct crl_op op;
	int r;

	memset(&op, 0, sizeof(op));
	op.d = x->d;
	op.now = time(NULL);
	pthread_mutex_lock(&x->d->crl_lock);
	r = commit_run(x->d->commit, op_publish_crl, &op);
	if (r < 0 && op.err[0])
		req_fail(x, r, "cannot build the CRL: %s", op.err);
	if (r == 0) {
		r = fio_write_atomic(x->d->crl_path, op.der, op.der_len, 0644);
		if (r < 0)
			req_fail(x, r, "CRL %llu is stored but %s could not be written: %s",
			    (unsigned long long)op.number, x->d->crl_path,
			    cs_strerror(r));
	}
	pthread_mutex_unlock(&x->d->crl_lock);
	if (r == 0) {
		r = req_reply_ok(x);
		proto_put_u64(x->reply, PT_CRL_NUMBER, op.number);
		proto_put_u64(x->reply, PT_COUNT, op.n);
	}
	crl_op_release(&op);
	return r;
}

/* ------------------------------------------------------------ reads */

static int
put_json(struct req *x, json_t *doc)
{
	char *text;
	int r;

	text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	if (strlen(text) > PROTO_MAX_PAYLOAD - 64) {
		free(text);
		return req_fail(x, CS_E_TOOBIG, "the answer is larger than the protocol"
			   " allows; narrow it with a filter");
	}
	r = req_reply_ok(x);
	proto_put_str(x->reply, PT_JSON, text);
	free(text);
	return r;
}

static int
h_view(struct req *x)
{
	uint32_t filter = VIEW_ALL;
	json_t *rows = NULL;
	sqlite3 *db;
	int r;

	r = proto_get_u32(&x->r, PT_FILTER, &filter);
	if (r < 0 && r != -ENOENT)
		return req_fail(x, CS_E_PROTO, "malformed filter field");
	if (filter > VIEW_FAILED)
		return req_fail(x, CS_E_INVALID, "unknown view filter %u", filter);
	r = conn_reader(x->c, &db);
	if (r == 0)
		r = db_view_json(db, (int)filter, &rows);
	if (r == 0)
		r = put_json(x, rows);
	json_decref(rows);
	return r;
}

static int
h_getcert(struct req *x)
{
	char serial[CA_SERIAL_HEX_MAX + 8];
	const char *by_serial = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	char *requester = NULL;
	uint64_t id = 0;
	sqlite3 *db;
	int r;

	if (proto_get_u64(&x->r, PT_REQUEST_ID, &id) < 0) {
		r = get_serial(x, serial);
		if (r < 0)
			return r;
		by_serial = serial;
	}
	r = conn_reader(x->c, &db);
	if (r == 0)
		r = db_get_cert(db, (int64_t)id, by_serial, &der, &len, &requester);
	if (r == CS_E_NOTFOUND)
		r = by_serial ? req_fail(x, r, "no certificate with serial %s", serial)
			      : req_fail(x, r, "request %llu has no certificate",
				    (unsigned long long)id);
	/* db_get_cert sets requester when it returns 0 (req_fail returns its
	 * negative code, which the analyser cannot see through the varargs). */
	if (r == 0 && !(x->c->peer.roles & (ROLE_OFFICER | ROLE_AUDITOR)) &&
	    /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	    strcmp(requester, x->c->peer.name) != 0)
		r = req_fail(x, CS_E_DENIED, "the certificate was requested by another"
			" user");
	if (r == 0) {
		r = req_reply_ok(x);
		proto_put_bytes(x->reply, PT_CERT, der, len);
	}
	free(der);
	free(requester);
	return r;
}

static json_t *
log_json(struct daemon *d)
{
	struct commit_stats st;
	uint32_t *gens = NULL;
	size_t n = 0;
	json_t *o;

	commit_get_stats(d->commit, &st);
	(void)redo_list_generations(d->paths.logdir, &gens, &n);
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}",
		      "first_generation", (json_int_t)(n ? gens[0] : 0),
		      "current_generation", (json_int_t)st.generation,
		      "generations", (json_int_t)n,
		      "next_lsn", (json_int_t)st.next_lsn,
		      "applied_lsn", (json_int_t)st.applied_lsn,
		      "checkpoint_lsn", (json_int_t)st.checkpoint_lsn,
		      "circular", d->cfg->circular_logging,
		      "failed", st.failed != 0);
	free(gens);
	return o;
}

static json_t *
backup_record_json(sqlite3 *db, int type)
{
	struct db_backup b;

	if (db_last_backup(db, type, &b) < 0)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
			 "started_at", (json_int_t)b.started_at,
			 "ended_at", (json_int_t)b.ended_at,
			 "lsn_low", (json_int_t)b.lsn_low,
			 "lsn_high", (json_int_t)b.lsn_high,
			 "gen_low", (json_int_t)b.gen_low,
			 "gen_high", (json_int_t)b.gen_high,
			 "truncated", b.truncated);
}

/* Bytes and number of the log generations no completed backup holds yet. */
static void
pending_logs(struct daemon *d, sqlite3 *db, uint64_t *bytes, uint64_t *count)
{
	struct db_backup last;
	uint32_t *gens = NULL, after = 0;
	char path[4096];
	struct stat st;
	size_t n = 0, i;

	*bytes = *count = 0;
	if (db_last_backup(db, 0, &last) == 0)
		after = last.gen_high;
	(void)redo_list_generations(d->paths.logdir, &gens, &n);
	for (i = 0; i < n; i++) {
		if (gens[i] <= after ||
		    redo_path(d->paths.logdir, gens[i], path, sizeof(path)) < 0 ||
		    stat(path, &st) < 0)
			continue;
		*bytes += (uint64_t)st.st_size;
		(*count)++;
	}
	free(gens);
}

static json_t *
backups_json(struct daemon *d, sqlite3 *db)
{
	uint64_t bytes, count;
	int active;

	pending_logs(d, db, &bytes, &count);
	pthread_mutex_lock(&d->backup_lock);
	active = d->backup_active != NULL;
	pthread_mutex_unlock(&d->backup_lock);
	return json_pack("{s:o, s:o, s:I, s:I, s:b}",
			 "last_full", backup_record_json(db, 1),
			 "last_incremental", backup_record_json(db, 2),
			 "pending_log_bytes", (json_int_t)bytes,
			 "pending_generations", (json_int_t)count,
			 "in_progress", active);
}

static int
h_status(struct req *x)
{
	json_t *counts = NULL, *doc = NULL;
	uint64_t crl_number = 0;
	int64_t crl_at = 0;
	sqlite3 *db;
	int r;

	r = conn_reader(x->c, &db);
	if (r == 0)
		r = db_counts_json(db, &counts);
	if (r == 0)
		r = db_last_crl_number(db, &crl_number, &crl_at);
	if (r < 0)
		goto out;
	doc = json_pack("{s:s, s:s, s:o, s:o, s:{s:I, s:I}, s:o}",
			"subject", x->d->ca_subject,
			"key_type", x->d->key_type,
			"counts", counts,
			"log", log_json(x->d),
			"crl", "number", (json_int_t)crl_number,
			"published_at", (json_int_t)crl_at,
			"backup", backups_json(x->d, db));
	counts = NULL; /* stolen by "o" */
	if (!doc) {
		r = -ENOMEM;
		goto out;
	}
	r = put_json(x, doc);
out:
	json_decref(counts);
	json_decref(doc);
	return r;
}

static int
h_ping(struct req *x)
{
	return req_reply_ok(x);
}

static int
h_shutdown(struct req *x)
{
	return req_reply_ok(x);
}

/* ------------------------------------------------------------- dispatch */

typedef int (*handler_fn)(struct req *x);

#define NO_ROLE 0u

static const struct {
	uint16_t type;
	unsigned roles;    /* any of these roles suffices; NO_ROLE: anyone */
	int need_all;      /* 1: only root and the daemon's user (is_admin) */
	handler_fn fn;
	const char *what;
} handlers[] = {
	{ PROTO_PING, NO_ROLE, 0, h_ping, "ping" },
	{ PROTO_STATUS, ROLE_AUDITOR | ROLE_OFFICER | ROLE_BACKUP, 0, h_status,
	  "status" },
	{ PROTO_SUBMIT, ROLE_ENROLL | ROLE_OFFICER, 0, h_submit, "submit" },
	{ PROTO_ISSUE, ROLE_OFFICER, 0, h_issue, "issue" },
	{ PROTO_DENY, ROLE_OFFICER, 0, h_deny, "deny" },
	{ PROTO_REVOKE, ROLE_OFFICER, 0, h_revoke, "revoke" },
	{ PROTO_UNREVOKE, ROLE_OFFICER, 0, h_unrevoke, "unrevoke" },
	{ PROTO_CRL_PUBLISH, ROLE_OFFICER, 0, h_crl_publish, "crl publish" },
	{ PROTO_VIEW, ROLE_AUDITOR | ROLE_OFFICER, 0, h_view, "view" },
	{ PROTO_GETCERT, ROLE_ENROLL | ROLE_OFFICER | ROLE_AUDITOR, 0, h_getcert,
	  "getcert" },
	{ PROTO_SHUTDOWN, ROLE_ALL, 1, h_shutdown, "shutdown" },
	{ PROTO_BACKUP_PREPARE, ROLE_BACKUP, 0, backup_prepare, "backup" },
	{ PROTO_BACKUP_DATABASE_NAMES, ROLE_BACKUP, 0, backup_database_names,
	  "backup" },
	{ PROTO_BACKUP_OPEN, ROLE_BACKUP, 0, backup_open, "backup" },
	{ PROTO_BACKUP_READ, ROLE_BACKUP, 0, backup_read, "backup" },
	{ PROTO_BACKUP_CLOSE, ROLE_BACKUP, 0, backup_close, "backup" },
	{ PROTO_BACKUP_LOGS, ROLE_BACKUP, 0, backup_logs, "backup" },
	{ PROTO_BACKUP_TRUNCATE, ROLE_BACKUP, 0, backup_truncate, "backup" },
	{ PROTO_BACKUP_DYNAMIC_FILES, ROLE_BACKUP, 0, backup_dynamic_files,
	  "backup" },
	{ PROTO_BACKUP_END, ROLE_BACKUP, 0, backup_end, "backup" },
	{ PROTO_RESTORE_LOCATIONS, ROLE_BACKUP, 0, backup_restore_locations,
	  "backup" },
};

int
handle_request(struct conn *c, const struct proto_hdr *h,
	       const uint8_t *payload, size_t len, struct buf *reply, int *sent)
{
	struct req x;
	size_t i;
	int r, stop = 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.d = c->d;
	x.reply = reply;
	x.req_id = h->req_id;
	proto_reader_init(&x.r, payload, len);
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].type == h->type)
			break;
	if (i == sizeof(handlers) / sizeof(handlers[0])) {
		r = req_fail(&x, CS_E_UNKNOWN_TYPE, "unknown request type %u", h->type);
	} else if ((handlers[i].need_all && !c->peer.is_admin) ||
		   (handlers[i].roles && !(c->peer.roles & handlers[i].roles))) {
		r = req_fail(&x, CS_E_DENIED, "access denied: user %s lacks the role"
			" needed for %s", c->peer.name, handlers[i].what);
	} else {
		int writes = h->type >= PROTO_SUBMIT && h->type <= PROTO_CRL_PUBLISH;

		if (writes)
			backup_ca_write_begin(c->d);
		r = handlers[i].fn(&x);
		if (writes)
			backup_ca_write_end(c->d);
		stop = r == 0 && h->type == PROTO_SHUTDOWN;
	}
	*sent = r == 0 && x.sent;
	if (r == 0 && !x.sent)
		r = proto_finish(reply);
	if (r < 0) {
		buf_reset(reply);
		proto_error_reply(reply, h->req_id, r,
				  x.err[0] ? x.err : cs_strerror(r));
	}
	return stop;
}
