/*
 * recover.c — crash recovery and store creation (see recover.h).
 *
 * Guarantees: recovery never skips a record it cannot read unless it is the
 * torn tail of the last generation; it never applies a record from another
 * lineage or out of LSN order; a failure leaves the database at a consistent
 * earlier LSN (each replay transaction records its own applied_lsn), so
 * running recovery again after fixing the cause resumes where it stopped.
 */
#include "store/recover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "store/ckpt.h"
#include "store/commit.h"

#define REPLAY_BATCH 2000

int
store_paths_init(struct store_paths *p, const char *datadir)
{
	memset(p, 0, sizeof(*p));
	p->datadir = strdup(datadir);
	p->db_path = fio_join(datadir, "db/ca.db");
	p->logdir = fio_join(datadir, "logs");
	p->ckpt_path = fio_join(datadir, "logs/ca.chk");
	if (!p->datadir || !p->db_path || !p->logdir || !p->ckpt_path) {
		store_paths_release(p);
		return -ENOMEM;
	}
	return 0;
}

void
store_paths_release(struct store_paths *p)
{
	free(p->datadir);
	free(p->db_path);
	free(p->logdir);
	free(p->ckpt_path);
	memset(p, 0, sizeof(*p));
}

static int
fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int
conflict_abort(void *ctx, int reason, sqlite3_changeset_iter *it)
{
	(void)it;
	*(int *)ctx = reason;
	return SQLITE_CHANGESET_ABORT;
}

int
recover_apply_record(sqlite3 *db, const struct redo_record *rec)
{
	char *sql;
	int r, conflict = 0;

	switch (rec->type) {
	case REDO_SCHEMA:
		sql = strndup((const char *)rec->payload, rec->len);
		if (!sql)
			return -ENOMEM;
		r = db_exec(db, sql);
		free(sql);
		return r;
	case REDO_CHANGESET:
		r = sqlite3changeset_apply(db, (int)rec->len, (void *)rec->payload,
					   NULL, conflict_abort, &conflict);
		if (conflict || r == SQLITE_ABORT || r == SQLITE_CONSTRAINT)
			return CS_E_CORRUPT;
		return db_error(r);
	default:
		return CS_E_CORRUPT;
	}
}

/* State carried through the replay of all generations. */
struct replay {
	sqlite3 *db;
	const struct store_paths *p;
	struct recover_info *info;
	const struct replay_limits *limits; /* NULL: replay everything */
	uint64_t expect;      /* LSN the next record must have (0: first file) */
	int in_txn;
	unsigned pending;     /* records applied in the open transaction */
	/* Consecutive changesets are merged and applied as one, so SQLite
	 * prepares its statements once per batch instead of once per record.
	 * info->applied_lsn moves only when the group is in the database. */
	sqlite3_changegroup *group;
	uint64_t group_first, group_last, group_records;
	char *err;
	size_t errlen;
};

/* Past the point-in-time target? (Records are applied up to and including
 * the target; the first one beyond it stops the replay.) */
static int
beyond_target(const struct replay *rp, const struct redo_record *rec)
{
	const struct replay_limits *l = rp->limits;

	if (!l)
		return 0;
	return (l->until_lsn && rec->lsn > l->until_lsn) ||
	       (l->until_time && rec->time_us / 1000000u > (uint64_t)l->until_time);
}

/* Remember the highest CRL number and request id that a record not applied
 * carried, so the restored CA never reuses them (PITR). */
static void
note_skipped(struct replay *rp, const struct redo_record *rec)
{
	sqlite3_changeset_iter *it = NULL;
	sqlite3_value *v;
	const char *table;
	int ncol, op, ind;

	if (rec->type != REDO_CHANGESET ||
	    sqlite3changeset_start(&it, (int)rec->len, (void *)rec->payload) != SQLITE_OK)
		return;
	while (sqlite3changeset_next(it) == SQLITE_ROW) {
		if (sqlite3changeset_op(it, &table, &ncol, &op, &ind) != SQLITE_OK ||
		    op != SQLITE_INSERT || sqlite3changeset_new(it, 0, &v) != SQLITE_OK ||
		    !v)
			continue;
		if (!strcmp(table, "crls") &&
		    (uint64_t)sqlite3_value_int64(v) > rp->info->max_crl_skipped)
			rp->info->max_crl_skipped = (uint64_t)sqlite3_value_int64(v);
		else if (!strcmp(table, "requests") &&
			 sqlite3_value_int64(v) > rp->info->max_request_skipped)
			rp->info->max_request_skipped = sqlite3_value_int64(v);
	}
	sqlite3changeset_finalize(it);
}

/* Apply the merged changesets waiting in the group. */
static int
apply_group(struct replay *rp)
{
	void *cs = NULL;
	int n = 0, r, conflict = 0;

	if (!rp->group)
		return 0;
	r = db_error(sqlite3changegroup_output(rp->group, &n, &cs));
	if (r == 0 && n > 0) {
		r = sqlite3changeset_apply(rp->db, n, cs, NULL, conflict_abort,
					   &conflict);
		r = conflict || r == SQLITE_ABORT || r == SQLITE_CONSTRAINT
			    ? CS_E_CORRUPT : db_error(r);
	}
	sqlite3_free(cs);
	sqlite3changegroup_delete(rp->group);
	rp->group = NULL;
	if (r < 0)
		return fail(rp->err, rp->errlen, r, "records LSN %llu..%llu cannot"
			    " be applied to the database (%s)",
			    (unsigned long long)rp->group_first,
			    (unsigned long long)rp->group_last, cs_strerror(r));
	rp->info->applied_lsn = rp->group_last;
	rp->info->replayed += rp->group_records;
	rp->group_records = 0;
	return 0;
}

static int
replay_flush(struct replay *rp)
{
	int r;

	if (!rp->in_txn)
		return 0;
	r = apply_group(rp);
	if (r == 0)
		r = db_meta_set_u64(rp->db, "applied_lsn", rp->info->applied_lsn);
	if (r == 0)
		r = db_exec(rp->db, "COMMIT");
	if (r < 0)
		(void)db_exec(rp->db, "ROLLBACK");
	rp->in_txn = 0;
	rp->pending = 0;
	return r;
}

static int
replay_one(struct replay *rp, const struct redo_record *rec, const char *path)
{
	int r;

	if (!rp->in_txn) {
		r = db_exec(rp->db, "BEGIN IMMEDIATE");
		if (r < 0)
			return r;
		rp->in_txn = 1;
	}
	if (rec->type == REDO_CHANGESET) {
		r = rp->group ? 0 : db_error(sqlite3changegroup_new(&rp->group));
		if (r == 0)
			r = sqlite3changegroup_add(rp->group, (int)rec->len,
						   (void *)rec->payload) == SQLITE_OK
				    ? 0 : CS_E_CORRUPT;
		if (r < 0)
			return fail(rp->err, rp->errlen, r, "%s: record LSN %llu"
				    " holds an unreadable changeset", path,
				    (unsigned long long)rec->lsn);
		if (!rp->group_records++)
			rp->group_first = rec->lsn;
		rp->group_last = rec->lsn;
	} else {
		/* Anything else (schema SQL) applies in order, alone. */
		r = apply_group(rp);
		if (r == 0)
			r = recover_apply_record(rp->db, rec);
		if (r < 0)
			return fail(rp->err, rp->errlen, r, "%s: record LSN %llu"
				    " cannot be applied to the database (%s)", path,
				    (unsigned long long)rec->lsn, cs_strerror(r));
		rp->info->applied_lsn = rec->lsn;
		rp->info->replayed++;
	}
	if (++rp->pending >= REPLAY_BATCH)
		return replay_flush(rp);
	return 0;
}

static int
cut_tail(const char *path, off_t end)
{
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, end) < 0 || fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int
check_header(struct replay *rp, const struct redo_file_hdr *h, uint32_t gen,
	     const char *path)
{
	if (h->generation != gen)
		return fail(rp->err, rp->errlen, CS_E_CORRUPT,
			    "%s: header says generation %u", path, h->generation);
	if (memcmp(h->lineage, rp->info->lineage, REDO_LINEAGE_LEN) != 0)
		return fail(rp->err, rp->errlen, CS_E_LINEAGE,
			    "%s belongs to another database lineage", path);
	if (rp->expect == 0 && h->first_lsn > rp->info->applied_lsn + 1)
		return fail(rp->err, rp->errlen, CS_E_GAP,
			    "%s starts at LSN %llu but the database needs LSN %llu next",
			    path, (unsigned long long)h->first_lsn,
			    (unsigned long long)rp->info->applied_lsn + 1);
	if (rp->expect != 0 && h->first_lsn != rp->expect)
		return fail(rp->err, rp->errlen, CS_E_GAP,
			    "%s starts at LSN %llu, expected %llu",
			    path, (unsigned long long)h->first_lsn,
			    (unsigned long long)rp->expect);
	return 0;
}

/* Replay one log file. may_cut: it is the last generation of a live log
 * directory, whose torn tail (a batch never acknowledged) is cut off; in any
 * other file a damaged end is an error. */
static int
replay_file(struct replay *rp, const char *path, uint32_t gen, int may_cut,
	    int scan_only)
{
	struct redo_reader *rd = NULL;
	struct redo_file_hdr h;
	struct redo_record rec;
	int r;

	r = redo_reader_open(path, &rd, &h);
	if (r < 0) {
		r = fail(rp->err, rp->errlen, r, "%s: %s", path, cs_strerror(r));
		goto out;
	}
	r = check_header(rp, &h, gen, path);
	if (r < 0)
		goto out;
	rp->expect = h.first_lsn;
	while ((r = redo_reader_next(rd, &rec)) == 1) {
		rp->expect = rec.lsn + 1;
		if (rec.lsn <= rp->info->applied_lsn)
			continue;
		if (scan_only) {
			note_skipped(rp, &rec);
			continue;
		}
		if (rp->info->stopped || beyond_target(rp, &rec)) {
			rp->info->stopped = 1;
			note_skipped(rp, &rec);
			continue;
		}
		r = replay_one(rp, &rec, path);
		if (r < 0)
			goto out;
	}
	if (r < 0) {
		r = fail(rp->err, rp->errlen, r,
			 "%s: damaged record after LSN %llu with valid records after it",
			 path, (unsigned long long)rp->expect - 1);
		goto out;
	}
	if (redo_reader_has_tail(rd)) {
		if (!may_cut) {
			r = fail(rp->err, rp->errlen, CS_E_CORRUPT,
				 "%s: damaged or truncated after LSN %llu",
				 path, (unsigned long long)rp->expect - 1);
			goto out;
		}
		r = cut_tail(path, redo_reader_end(rd));
		rp->info->truncated_tail = 1;
	}
out:
	redo_reader_close(rd);
	return r;
}

/* A crash between creating a generation and syncing its header can leave a
 * last file shorter than a header. It never held a record: remove it, so the
 * writer continues the generation before it. */
static int
drop_unstarted_last(struct replay *rp, const uint32_t *chain, size_t *count,
		    size_t start)
{
	char path[4096];
	struct stat st;
	int r;

	if (*count - start < 2)
		return 0;
	r = redo_path(rp->p->logdir, chain[*count - start - 1], path, sizeof(path));
	if (r < 0 || stat(path, &st) < 0 || st.st_size >= REDO_HDR_LEN)
		return r;
	if (unlink(path) < 0)
		return fail(rp->err, rp->errlen, -errno, "%s: %s", path,
			    strerror(errno));
	(*count)--;
	return fio_fsync_dir(rp->p->logdir);
}

/* Generations from `first` to the last one, checked to be contiguous. */
static int
chain_from(struct replay *rp, uint32_t first, uint32_t **chain, size_t *n)
{
	uint32_t *gens = NULL;
	size_t count = 0, i, start;
	int r;

	*chain = NULL;
	*n = 0;
	r = redo_list_generations(rp->p->logdir, &gens, &count);
	if (r < 0)
		return fail(rp->err, rp->errlen, r, "%s: %s", rp->p->logdir,
			    cs_strerror(r));
	for (start = 0; start < count && gens[start] != first; start++)
		;
	if (start == count) {
		free(gens);
		return fail(rp->err, rp->errlen, CS_E_GAP,
			    "log generation %08X named by the checkpoint is missing",
			    first);
	}
	for (i = start + 1; i < count; i++) {
		if (gens[i] != gens[i - 1] + 1) {
			r = fail(rp->err, rp->errlen, CS_E_GAP,
				 "log generation %08X is missing", gens[i - 1] + 1);
			free(gens);
			return r;
		}
	}
	r = drop_unstarted_last(rp, gens + start, &count, start);
	if (r < 0) {
		free(gens);
		return r;
	}
	memmove(gens, gens + start, (count - start) * sizeof(*gens));
	*chain = gens;
	*n = count - start;
	return 0;
}

static int
read_start_state(const struct store_paths *p, sqlite3 *db, struct ckpt *ck,
		 struct recover_info *info, char *err, size_t errlen)
{
	int r;

	r = ckpt_read(p->ckpt_path, ck);
	if (r < 0)
		return fail(err, errlen, r, "%s: %s", p->ckpt_path, cs_strerror(r));
	r = db_meta_get_u64(db, "applied_lsn", &info->applied_lsn);
	if (r == 0)
		r = db_meta_get_lineage(db, info->lineage);
	if (r < 0)
		return fail(err, errlen, r, "%s: cannot read its meta table: %s",
			    p->db_path, cs_strerror(r));
	if (memcmp(ck->lineage, info->lineage, REDO_LINEAGE_LEN) != 0)
		return fail(err, errlen, CS_E_LINEAGE,
			    "%s and %s belong to different database lineages",
			    p->ckpt_path, p->db_path);
	if (info->applied_lsn < ck->lsn)
		return fail(err, errlen, CS_E_CORRUPT,
			    "%s holds LSN %llu but the checkpoint says %llu was written:"
			    " the database is an older copy (if a restore was"
			    " interrupted, run certsrv restore again)",
			    p->db_path, (unsigned long long)info->applied_lsn,
			    (unsigned long long)ck->lsn);
	info->checkpoint_lsn = ck->lsn;
	return 0;
}

static int
replay_all(struct replay *rp, uint32_t first_gen)
{
	uint32_t *chain = NULL;
	size_t n = 0, i;
	int r;

	char path[4096];

	r = chain_from(rp, first_gen, &chain, &n);
	for (i = 0; r == 0 && i < n; i++) {
		r = redo_path(rp->p->logdir, chain[i], path, sizeof(path));
		if (r == 0)
			r = replay_file(rp, path, chain[i], i + 1 == n, 0);
	}
	if (r == 0)
		r = replay_flush(rp);
	else if (rp->in_txn)
		(void)replay_flush(rp);  /* keep what was applied before the error */
	if (r == 0) {
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): n >= 1 */
		rp->info->generation = chain[n - 1];
		rp->info->next_lsn = rp->expect;
	}
	free(chain);
	return r;
}

int
recover_replay(sqlite3 *db, const struct replay_source *files, size_t n,
	       const struct replay_limits *limits, struct recover_info *info,
	       char *err, size_t errlen)
{
	struct replay rp;
	size_t i;
	int r = 0;

	memset(&rp, 0, sizeof(rp));
	rp.db = db;
	rp.info = info;
	rp.limits = limits;
	rp.err = err;
	rp.errlen = errlen;
	for (i = 0; r == 0 && i < n; i++) {
		if (limits && limits->progress)
			limits->progress(&files[i], i, n, limits->progress_arg);
		r = replay_file(&rp, files[i].path, files[i].gen,
				files[i].live && i + 1 == n, files[i].scan_only);
		if (r == 0)
			info->generation = files[i].gen;
	}
	if (r == 0)
		r = replay_flush(&rp);
	else if (rp.in_txn)
		(void)replay_flush(&rp);
	if (r == 0)
		info->next_lsn = n ? rp.expect : info->applied_lsn + 1;
	return r;
}

int
recover_open(const struct store_paths *p, sqlite3 **dbp,
	     struct recover_info *info, char *err, size_t errlen)
{
	struct replay rp;
	struct ckpt ck;
	sqlite3 *db = NULL;
	int r;

	*dbp = NULL;
	memset(info, 0, sizeof(*info));
	if (!fio_exists(p->db_path))
		return fail(err, errlen, -ENOENT, "%s does not exist (restore it from"
			    " a backup: certsrv restore)", p->db_path);
	r = db_open_writer(p->db_path, 0, &db);
	if (r < 0) {
		r = fail(err, errlen, r, "%s: %s", p->db_path, cs_strerror(r));
		goto out;
	}
	r = read_start_state(p, db, &ck, info, err, errlen);
	if (r < 0)
		goto out;
	memset(&rp, 0, sizeof(rp));
	rp.db = db;
	rp.p = p;
	rp.info = info;
	rp.err = err;
	rp.errlen = errlen;
	r = replay_all(&rp, ck.generation);
	if (r < 0)
		goto out;
	if (info->next_lsn <= info->applied_lsn) {
		r = fail(err, errlen, CS_E_GAP,
			 "%s holds LSN %llu but the log ends at LSN %llu",
			 p->db_path, (unsigned long long)info->applied_lsn,
			 (unsigned long long)info->next_lsn - 1);
		goto out;
	}
	r = commit_checkpoint_now(db, p->ckpt_path, info->lineage,
				  info->applied_lsn, info->generation);
	if (r < 0)
		r = fail(err, errlen, r, "checkpoint after recovery failed: %s",
			 cs_strerror(r));
out:
	if (r < 0)
		db_close(db);
	else
		*dbp = db;
	return r;
}

int
store_create(const struct store_paths *p, uint8_t lineage[REDO_LINEAGE_LEN],
	     char *err, size_t errlen)
{
	struct redo_writer *w = NULL;
	struct redo_record rec;
	sqlite3 *db = NULL;
	uint64_t lsn = 0;
	int r;

	if (getrandom(lineage, REDO_LINEAGE_LEN, 0) != REDO_LINEAGE_LEN)
		return fail(err, errlen, -EIO, "no random bytes for the lineage id");
	r = redo_writer_open(p->logdir, lineage, 1, 1, 1u << 20, &w);
	if (r == 0)
		r = redo_append(w, REDO_SCHEMA, 0, db_schema_sql,
				strlen(db_schema_sql), &lsn);
	redo_writer_close(w);
	if (r < 0)
		return fail(err, errlen, r, "%s: cannot write the first log: %s",
			    p->logdir, cs_strerror(r));
	r = db_open_writer(p->db_path, 1, &db);
	if (r == 0)
		r = db_exec(db, "BEGIN IMMEDIATE");
	if (r == 0) {
		memset(&rec, 0, sizeof(rec));
		rec.lsn = lsn;
		rec.type = REDO_SCHEMA;
		rec.payload = (const uint8_t *)db_schema_sql;
		rec.len = (uint32_t)strlen(db_schema_sql);
		r = recover_apply_record(db, &rec);
	}
	if (r == 0)
		r = db_meta_set_lineage(db, lineage);
	if (r == 0)
		r = db_meta_set_u64(db, "applied_lsn", lsn);
	if (r == 0)
		r = db_meta_set_u64(db, "schema_version", DB_SCHEMA_VERSION);
	if (r == 0)
		r = db_exec(db, "COMMIT");
	if (r == 0)
		r = commit_checkpoint_now(db, p->ckpt_path, lineage, lsn, 1);
	db_close(db);
	if (r < 0)
		return fail(err, errlen, r, "%s: cannot create the database: %s",
			    p->db_path, cs_strerror(r));
	return 0;
}
