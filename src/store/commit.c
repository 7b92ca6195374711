/*
 * commit.c — the commit thread: group commit into SQLite + the redo log,
 * and checkpoints. See commit.h for the protocol and its guarantees.
 */
#include "store/commit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "store/ckpt.h"

#define DEFAULT_MAX_BATCH 512
#define CHECKPOINT_BUSY_MS 200

/* A control operation runs alone on the commit thread, outside any batch
 * transaction, with access to the commit state (checkpoints, log rolls,
 * backup pauses). */
typedef int (*control_fn)(struct commit *c, void *arg);

struct op {
	commit_fn fn;        /* a write operation, or NULL for ... */
	control_fn ctl;      /* ... a control operation */
	void *arg;
	int result;
	int done;
	pthread_cond_t wake;  /* signalled when done is set */
	struct op *next;
};

struct commit {
	sqlite3 *db;
	struct redo_writer *w;
	struct commit_config cfg;
	char *logdir;
	char *ckpt_path;
	char *wal_path;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;     /* the thread waits here for work */
	struct op *head, *tail;
	int stopping;
	int failed;              /* sticky: 0 or the error */

	/* Written by the thread under the lock; read by stats under it. */
	uint64_t applied_lsn;
	uint32_t generation;
	uint64_t next_lsn;
	uint64_t checkpoint_lsn;
	uint64_t last_checkpoint_ms;
	int backup_paused;        /* checkpoints paused for a backup */
	int backup_aborted;       /* ... and the WAL outgrew the pause's limit */
	int checkpoint_failing;   /* the last checkpoint failed (reported) */
	uint64_t backup_wal_limit;
	uint64_t batches;
	uint64_t operations;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t
now_us_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* wal_checkpoint(TRUNCATE): 0, CS_E_BUSY (readers in the way), or the
 * error of writing or syncing ca.db or its WAL. */
static int
checkpoint_wal(sqlite3 *db)
{
	int rc, nlog = 0, nckpt = 0;

	/* Wait only briefly for readers: a busy checkpoint is retried later,
	 * while a long wait would stall every commit behind it. */
	sqlite3_busy_timeout(db, CHECKPOINT_BUSY_MS);
	rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
				       &nlog, &nckpt);
	sqlite3_busy_timeout(db, DB_BUSY_MS);
	if (rc == SQLITE_BUSY)
		return CS_E_BUSY;
	return rc == SQLITE_OK ? 0 : db_error(rc);
}

static int
write_checkpoint_file(const char *ckpt_path,
		      const uint8_t lineage[REDO_LINEAGE_LEN], uint64_t lsn,
		      uint32_t generation)
{
	struct ckpt c;

	memset(&c, 0, sizeof(c));
	c.lsn = lsn;
	c.generation = generation;
	memcpy(c.lineage, lineage, REDO_LINEAGE_LEN);
	c.time_us = now_us_wall();
	return ckpt_write(ckpt_path, &c);
}

int
commit_checkpoint_now(sqlite3 *db, const char *ckpt_path,
		      const uint8_t lineage[REDO_LINEAGE_LEN], uint64_t lsn,
		      uint32_t generation)
{
	int r = checkpoint_wal(db);

	return r < 0 ? r : write_checkpoint_file(ckpt_path, lineage, lsn, generation);
}

static void set_failed(struct commit *c, int r);

/* Delete every generation up to `upto` and below the current one whose
 * records are all at or below the checkpoint (I7). Callers decide the other
 * half of I7: circular logging, or a completed backup that covered them. */
static int
delete_checkpointed_generations(struct commit *c, uint32_t upto, uint32_t *count)
{
	char path[4096];
	struct redo_reader *r = NULL;
	struct redo_file_hdr h;
	uint32_t *gens = NULL, cur = redo_writer_generation(c->w);
	size_t n = 0, i;
	int rv;

	rv = redo_list_generations(c->logdir, &gens, &n);
	if (rv < 0)
		return rv;
	for (i = 0; i + 1 < n && gens[i + 1] <= cur && gens[i] <= upto; i++) {
		/* Records of gens[i] end right before the first of gens[i+1]. */
		rv = redo_path(c->logdir, gens[i + 1], path, sizeof(path));
		if (rv == 0)
			rv = redo_reader_open(path, &r, &h);
		redo_reader_close(r);
		r = NULL;
		if (rv != 0 || h.first_lsn - 1 > c->checkpoint_lsn)
			break;
		rv = redo_path(c->logdir, gens[i], path, sizeof(path));
		if (rv == 0 && unlink(path) < 0)
			rv = -errno;
		if (rv < 0)
			break;
		if (count)
			(*count)++;
	}
	free(gens);
	if (rv == 0)
		rv = fio_fsync_dir(c->logdir);
	return rv;
}

/* Report the first failed checkpoint of an episode and the success that
 * ends it (on_checkpoint). */
static int
note_checkpoint(struct commit *c, int r)
{
	if (r == CS_E_BUSY || (r < 0) == c->checkpoint_failing)
		return r;
	c->checkpoint_failing = r < 0;
	if (c->cfg.on_checkpoint)
		c->cfg.on_checkpoint(r < 0 ? r : 0, c->cfg.on_failure_arg);
	return r;
}

/* A checkpoint on the commit thread. */
static int
run_checkpoint(struct commit *c)
{
	int r;

	r = checkpoint_wal(c->db);
	/* Writing or syncing ca.db (or the WAL) failed: the kernel may have
	 * dropped the pages, so never retry (I6); recovery at restart redoes
	 * the checkpoint from the WAL and the redo log. */
	if (r < 0 && r != CS_E_BUSY)
		set_failed(c, r);
	if (r == 0)
		r = write_checkpoint_file(c->ckpt_path, c->cfg.lineage,
					  c->applied_lsn, redo_writer_generation(c->w));
	if (r < 0)
		return note_checkpoint(c, r);
	pthread_mutex_lock(&c->lock);
	c->checkpoint_lsn = c->applied_lsn;
	pthread_mutex_unlock(&c->lock);
	c->last_checkpoint_ms = now_ms();
	if (c->cfg.circular && !c->backup_paused)
		r = delete_checkpointed_generations(c, UINT32_MAX, NULL);
	return note_checkpoint(c, r);
}

static int
wal_bigger_than(const struct commit *c, uint64_t limit)
{
	struct stat st;

	return stat(c->wal_path, &st) == 0 && (uint64_t)st.st_size > limit;
}

static int
wal_too_big(const struct commit *c)
{
	return wal_bigger_than(c, c->cfg.checkpoint_wal_bytes);
}

/* While a backup streams ca.db, checkpoints wait — unless the WAL outgrows
 * the backup's limit: then the backup is aborted (it sees the flag at its
 * next call) and checkpoints resume. 1 if checkpoints must still wait. */
static int
checkpoints_paused(struct commit *c)
{
	if (!c->backup_paused)
		return 0;
	if (!wal_bigger_than(c, c->backup_wal_limit))
		return 1;
	pthread_mutex_lock(&c->lock);
	c->backup_paused = 0;
	c->backup_aborted = 1;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void
maybe_checkpoint(struct commit *c)
{
	if (c->applied_lsn == c->checkpoint_lsn || checkpoints_paused(c))
		return;
	if (now_ms() - c->last_checkpoint_ms < c->cfg.checkpoint_interval_ms &&
	    !wal_too_big(c))
		return;
	/* A busy checkpoint is simply retried later. */
	(void)run_checkpoint(c);
}

static int
session_filter(void *ctx, const char *table)
{
	(void)ctx;
	return strcmp(table, "meta") != 0;
}

/* Run one operation inside its own savepoint. */
static void
apply_op(struct commit *c, struct op *o)
{
	o->result = db_run(c->db, "SAVEPOINT op");
	if (o->result < 0)
		return;
	o->result = o->fn(c->db, o->arg);
	if (o->result < 0)
		(void)db_run(c->db, "ROLLBACK TO op");
	(void)db_run(c->db, "RELEASE op");
}

/* Enter the sticky failed state (I6). */
static void
set_failed(struct commit *c, int r)
{
	pthread_mutex_lock(&c->lock);
	c->failed = r;
	pthread_mutex_unlock(&c->lock);
	if (c->cfg.on_failure)
		c->cfg.on_failure(r, c->cfg.on_failure_arg);
}

/* Log the batch's changeset and commit. 0, or the error that must fail the
 * whole batch (and, for log/commit errors, the thread). */
static int
log_and_commit(struct commit *c, sqlite3_session *s)
{
	void *cs = NULL;
	int n = 0, r;
	uint64_t lsn = redo_writer_next_lsn(c->w), got = 0;

	r = db_error(sqlite3session_changeset(s, &n, &cs));
	if (r < 0)
		goto out;
	if (n == 0) {           /* nothing changed: nothing to log */
		r = db_run(c->db, "COMMIT");
		goto out;
	}
	r = db_meta_set_u64(c->db, "applied_lsn", lsn);
	if (r < 0)
		goto out;
	r = redo_append(c->w, REDO_CHANGESET, now_us_wall(), cs, (size_t)n, &got);
	if (r == 0 && got != lsn)
		r = CS_E_INTERNAL;
	if (r < 0) {
		set_failed(c, r == CS_E_INTERNAL ? r : CS_E_FAILED_STATE);
		goto out;
	}
	r = db_run(c->db, "COMMIT");
	if (r < 0) {
		/* The record is durable but the database refused it: only a
		 * restart (recovery replays the record) can reconcile them. */
		set_failed(c, r);
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	c->applied_lsn = lsn;
	c->generation = redo_writer_generation(c->w);
	c->next_lsn = redo_writer_next_lsn(c->w);
	pthread_mutex_unlock(&c->lock);
out:
	sqlite3_free(cs);
	return r;
}

static int
run_batch(struct commit *c, struct op *batch)
{
	sqlite3_session *s = NULL;
	struct op *o;
	int r, any_ok = 0;

	r = db_run(c->db, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = db_error(sqlite3session_create(c->db, "main", &s));
	if (r == 0) {
		sqlite3session_table_filter(s, session_filter, NULL);
		r = db_error(sqlite3session_attach(s, NULL));
	}
	if (r < 0)
		goto fail;
	for (o = batch; o; o = o->next) {
		apply_op(c, o);
		any_ok |= o->result == 0;
	}
	if (!any_ok) {
		r = db_run(c->db, "ROLLBACK");
		goto out;
	}
	r = log_and_commit(c, s);
	if (r == 0)
		goto out;
fail:
	(void)db_run(c->db, "ROLLBACK");
out:
	sqlite3session_delete(s);
	return r;
}

/* Take up to max_batch queued operations (checkpoint requests stop the
 * batch so they run between batches). Caller holds the lock. */
static struct op *
take_batch(struct commit *c)
{
	struct op *first = c->head, *o = first, *last = NULL;
	size_t n = 0;

	if (!first)
		return NULL;
	if (!first->fn) {
		c->head = first->next;
		first->next = NULL;
		goto out;
	}
	do {
		last = o;
		o = o->next;
		n++;
	} while (o && o->fn && n < c->cfg.max_batch);
	last->next = NULL;
	c->head = o;
out:
	if (!c->head)
		c->tail = NULL;
	return first;
}

static void
finish_batch(struct commit *c, struct op *batch, int batch_error)
{
	struct op *o, *next;
	uint64_t n = 0;

	pthread_mutex_lock(&c->lock);
	for (o = batch; o; o = next) {
		next = o->next;
		if (batch_error < 0 && o->result == 0)
			o->result = c->failed ? CS_E_FAILED_STATE : batch_error;
		o->done = 1;
		/* Wake exactly this caller: no thundering herd of the callers
		 * whose operations are in later batches. */
		pthread_cond_signal(&o->wake);
		n++;
	}
	c->batches++;
	c->operations += n;
	pthread_mutex_unlock(&c->lock);
}

static void
process(struct commit *c, struct op *batch)
{
	int r;

	if (c->failed) {
		r = CS_E_FAILED_STATE;
	} else if (batch->ctl) {
		r = batch->ctl(c, batch->arg);
		batch->result = r;
	} else {
		r = run_batch(c, batch);
	}
	finish_batch(c, batch, r);
}

static void *
commit_main(void *arg)
{
	struct commit *c = arg;
	struct op *batch;
	struct timespec until;

	/* Named so that operators (top -H) and bench/issue can tell it from
	 * the connection threads; a failure to name it changes nothing. */
	(void)pthread_setname_np(pthread_self(), COMMIT_THREAD_NAME);
	pthread_mutex_lock(&c->lock);
	for (;;) {
		batch = take_batch(c);
		if (!batch && c->stopping)
			break;
		if (!batch) {
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&c->wake, &c->lock, &until);
			if (!c->head && !c->failed) {
				pthread_mutex_unlock(&c->lock);
				maybe_checkpoint(c);
				pthread_mutex_lock(&c->lock);
			}
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		process(c, batch);
		if (!c->failed)
			maybe_checkpoint(c);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static int
enqueue_and_wait(struct commit *c, struct op *o)
{
	pthread_mutex_lock(&c->lock);
	if (c->stopping) {
		pthread_mutex_unlock(&c->lock);
		return CS_E_SHUTDOWN;
	}
	if (c->tail)
		c->tail->next = o;
	else
		c->head = o;
	c->tail = o;
	pthread_cond_signal(&c->wake);
	while (!o->done)
		pthread_cond_wait(&o->wake, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return o->result;
}

/* Queue a write (fn) or control (ctl) operation and wait for its result. */
static int
run_op(struct commit *c, commit_fn fn, control_fn ctl, void *arg)
{
	struct op o = { .fn = fn, .ctl = ctl, .arg = arg };
	int r;

	pthread_cond_init(&o.wake, NULL);
	r = enqueue_and_wait(c, &o);
	pthread_cond_destroy(&o.wake);
	return r;
}

int
commit_run(struct commit *c, commit_fn fn, void *arg)
{
	return run_op(c, fn, NULL, arg);
}

static int
ctl_checkpoint(struct commit *c, void *arg)
{
	(void)arg;
	if (checkpoints_paused(c))
		return CS_E_BUSY;
	return run_checkpoint(c);
}

int
commit_checkpoint(struct commit *c)
{
	return run_op(c, NULL, ctl_checkpoint, NULL);
}

/* ---- backup support ---- */

struct backup_start {
	uint64_t wal_limit;
	struct commit_backup_point *pt;
};

static int
ctl_backup_start(struct commit *c, void *arg)
{
	struct backup_start *b = arg;
	int r, tries;

	if (c->backup_paused)
		return CS_E_BACKUP_IN_PROGRESS;
	/* A full checkpoint first: from then on ca.db holds everything up to
	 * the applied LSN and nothing writes it while checkpoints wait. */
	for (tries = 0; tries < 10; tries++) {
		r = run_checkpoint(c);
		if (r != CS_E_BUSY)
			break;
	}
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->lock);
	c->backup_paused = 1;
	c->backup_aborted = 0;
	c->backup_wal_limit = b->wal_limit;
	b->pt->lsn = c->applied_lsn;
	b->pt->generation = c->generation;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int
commit_backup_start(struct commit *c, uint64_t wal_limit,
		    struct commit_backup_point *pt)
{
	struct backup_start b = { wal_limit, pt };

	return run_op(c, NULL, ctl_backup_start, &b);
}

static int
ctl_backup_finish(struct commit *c, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&c->lock);
	c->backup_paused = 0;
	c->backup_aborted = 0;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int
commit_backup_finish(struct commit *c)
{
	return run_op(c, NULL, ctl_backup_finish, NULL);
}

int
commit_backup_aborted(struct commit *c)
{
	int a;

	pthread_mutex_lock(&c->lock);
	a = c->backup_aborted;
	pthread_mutex_unlock(&c->lock);
	return a;
}

static int
ctl_roll(struct commit *c, void *arg)
{
	struct commit_backup_point *closed = arg;
	int r;

	closed->generation = redo_writer_generation(c->w);
	closed->lsn = redo_writer_next_lsn(c->w) - 1;
	r = redo_roll(c->w);
	if (r < 0) {
		set_failed(c, CS_E_FAILED_STATE);
		return r;
	}
	pthread_mutex_lock(&c->lock);
	c->generation = redo_writer_generation(c->w);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int
commit_roll_log(struct commit *c, struct commit_backup_point *closed)
{
	return run_op(c, NULL, ctl_roll, closed);
}

struct truncate_args {
	uint32_t upto;
	uint32_t deleted;
};

static int
ctl_truncate(struct commit *c, void *arg)
{
	struct truncate_args *t = arg;
	int r;

	/* The backup has read everything it listed: ca.db may change again. */
	r = run_checkpoint(c);
	if (r == 0)
		r = delete_checkpointed_generations(c, t->upto, &t->deleted);
	return r;
}

int
commit_truncate_logs(struct commit *c, uint32_t upto, uint32_t *deleted)
{
	struct truncate_args t = { upto, 0 };
	int r;

	r = run_op(c, NULL, ctl_truncate, &t);
	if (deleted)
		*deleted = t.deleted;
	return r;
}

void
commit_get_stats(struct commit *c, struct commit_stats *st)
{
	pthread_mutex_lock(&c->lock);
	st->applied_lsn = c->applied_lsn;
	st->checkpoint_lsn = c->checkpoint_lsn;
	st->generation = c->generation;
	st->next_lsn = c->next_lsn;
	st->batches = c->batches;
	st->operations = c->operations;
	st->failed = c->failed;
	pthread_mutex_unlock(&c->lock);
}

static void
commit_free(struct commit *c)
{
	db_close(c->db);
	redo_writer_close(c->w);
	free(c->logdir);
	free(c->ckpt_path);
	free(c->wal_path);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake);
	free(c);
}

static int
init_conds(struct commit *c)
{
	pthread_condattr_t attr;
	int r;

	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	r = -pthread_cond_init(&c->wake, &attr);
	pthread_condattr_destroy(&attr);
	return r;
}

int
commit_start(sqlite3 *db, struct redo_writer *w, uint64_t checkpoint_lsn,
	     const struct commit_config *cfg, struct commit **out)
{
	struct commit *c;
	uint64_t applied = 0;
	int r;

	*out = NULL;
	r = db_meta_get_u64(db, "applied_lsn", &applied);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	if (!c->cfg.max_batch)
		c->cfg.max_batch = DEFAULT_MAX_BATCH;
	c->logdir = strdup(cfg->logdir);
	c->ckpt_path = strdup(cfg->ckpt_path);
	c->wal_path = NULL;
	if (asprintf(&c->wal_path, "%s-wal", sqlite3_db_filename(db, "main")) < 0)
		c->wal_path = NULL;
	c->cfg.logdir = c->logdir;
	c->cfg.ckpt_path = c->ckpt_path;
	c->applied_lsn = applied;
	c->generation = redo_writer_generation(w);
	c->next_lsn = redo_writer_next_lsn(w);
	c->checkpoint_lsn = checkpoint_lsn;
	c->last_checkpoint_ms = now_ms();
	c->db = db;
	c->w = w;
	r = init_conds(c);
	if (r == 0 && (!c->logdir || !c->ckpt_path || !c->wal_path))
		r = -ENOMEM;
	if (r == 0)
		r = -pthread_create(&c->thread, NULL, commit_main, c);
	if (r < 0) {
		c->db = NULL;   /* ownership passes only on success */
		c->w = NULL;
		commit_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void
commit_stop(struct commit *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	if (!c->failed && c->applied_lsn != c->checkpoint_lsn)
		(void)run_checkpoint(c);
	commit_free(c);
}
