/*
 * commit.h — the commit thread: the only SQLite writer (I3), group commit
 * (DESIGN section 4) and checkpoints.
 *
 * Callers hand it operations (a function run on the commit thread inside the
 * batch transaction) and block until the batch that holds their operation is
 * durable. Per batch: BEGIN IMMEDIATE with an SQLite session on the data
 * tables; each operation inside its own savepoint (a refusal rolls back only
 * that operation); the batch changeset plus meta.applied_lsn = L in the same
 * transaction; one redo record {L, changeset} appended and fdatasync'd;
 * COMMIT; then every caller of the batch is released (I1: nobody hears
 * "done" before the record is on disk).
 *
 * If the log append or the COMMIT fails, the commit thread is failed for good:
 * every caller from then on gets CS_E_FAILED_STATE (I6) until restart, when
 * recovery replays what reached the log.
 *
 * Checkpoints run on this thread only: wal_checkpoint(TRUNCATE), and only if
 * it completed, the checkpoint file is rewritten. With circular logging,
 * generations whose every record is at or below the checkpoint are deleted
 * afterwards (I7).
 */
#ifndef CERTSRV_STORE_COMMIT_H
#define CERTSRV_STORE_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/redo.h"

/* An operation: runs on the commit thread inside the batch transaction.
 * Return 0 to keep its writes, or a negative code to have them rolled back
 * (that code is then what commit_run returns). It must not touch the
 * transaction itself (no BEGIN/COMMIT/SAVEPOINT). */
typedef int (*commit_fn)(sqlite3 *db, void *arg);

struct commit_config {
	const char *logdir;
	const char *ckpt_path;
	uint8_t lineage[REDO_LINEAGE_LEN];
	uint64_t checkpoint_interval_ms; /* checkpoint at least this often when dirty */
	uint64_t checkpoint_wal_bytes;   /* ... or when the WAL is larger than this */
	int circular;                    /* delete checkpointed generations */
	size_t max_batch;                /* operations per batch (0 = default 512) */
	/* Called once, on the commit thread, when it enters the failed state
	 * (so the program can log it); may be NULL. error is
	 * CS_E_FAILED_STATE or CS_E_INTERNAL when the redo log failed, else
	 * the error of SQLite's COMMIT or checkpoint (ca.db or its WAL could
	 * not be written or synced). */
	void (*on_failure)(int error, void *arg);
	void *on_failure_arg;
	/* Called on the commit thread when a checkpoint fails (error < 0; a
	 * checkpoint kept busy by readers does not count) after the last one
	 * succeeded, and when one succeeds again (error 0): once per episode,
	 * so the program can log it. Gets on_failure_arg; may be NULL. */
	void (*on_checkpoint)(int error, void *arg);
};

struct commit_stats {
	uint64_t applied_lsn;
	uint64_t checkpoint_lsn;
	uint32_t generation;       /* current log generation */
	uint64_t next_lsn;         /* LSN the next record will get */
	uint64_t batches;
	uint64_t operations;
	int failed;                /* 0 or the error that failed the thread */
};

struct commit;

/* The commit thread's name (/proc/PID/task/TID/comm). */
#define COMMIT_THREAD_NAME "commit"

/* Start the thread. It takes ownership of db (the writer connection) and w
 * (closed by commit_stop). checkpoint_lsn is the LSN in the checkpoint file
 * at start. */
int commit_start(sqlite3 *db, struct redo_writer *w, uint64_t checkpoint_lsn,
		 const struct commit_config *cfg, struct commit **out);
/* Run fn(db, arg) in the next batch and wait until it is durable.
 * Returns fn's result, or a batch failure (CS_E_FAILED_STATE, CS_E_SHUTDOWN). */
int commit_run(struct commit *c, commit_fn fn, void *arg);
/* Run a checkpoint now and wait for it: 0, CS_E_BUSY if readers kept it from
 * completing, or an error. */
int commit_checkpoint(struct commit *c);
void commit_get_stats(struct commit *c, struct commit_stats *st);

/* ---- online backup support (DESIGN section 5) ---- */
struct commit_backup_point {
	uint64_t lsn;          /* applied LSN (start) / last LSN of a closed generation */
	uint32_t generation;   /* current generation (start) / the closed one (roll) */
};
/* Run a full checkpoint, then pause checkpoints until commit_backup_finish:
 * ca.db is then an image at pt->lsn that nothing writes. If the WAL grows
 * past wal_limit meanwhile, checkpoints resume and commit_backup_aborted()
 * turns true. CS_E_BUSY if readers kept the checkpoint from completing. */
int commit_backup_start(struct commit *c, uint64_t wal_limit,
			struct commit_backup_point *pt);
int commit_backup_finish(struct commit *c);
int commit_backup_aborted(struct commit *c);
/* Close the current log generation and start the next; *closed says which
 * generation was closed and its last LSN. */
int commit_roll_log(struct commit *c, struct commit_backup_point *closed);
/* Checkpoint (even while paused), then delete every generation up to `upto`
 * whose records are all at or below the checkpoint (I7: the caller vouches
 * that a completed backup covered them). *deleted counts them. */
int commit_truncate_logs(struct commit *c, uint32_t upto, uint32_t *deleted);
/* Refuse new operations, finish queued ones, run a final checkpoint, stop
 * the thread, close the database and the log. Accepts NULL. */
void commit_stop(struct commit *c);

/* One checkpoint on a writer connection, outside any thread: used by
 * recovery and init. Writes the checkpoint file with (lsn, generation). */
int commit_checkpoint_now(sqlite3 *db, const char *ckpt_path,
			  const uint8_t lineage[REDO_LINEAGE_LEN], uint64_t lsn,
			  uint32_t generation);

#endif
