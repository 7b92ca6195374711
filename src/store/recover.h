/*
 * recover.h — crash recovery at daemon start, and creation of a new store.
 *
 * recover_open() brings DATADIR/db/ca.db up to the end of the redo log:
 * it reads the checkpoint file, opens the database, reads meta.applied_lsn,
 * and replays, in batches of many records per SQLite transaction, every
 * record above it from the checkpoint's generation onwards, checking on the
 * way that generations are contiguous, every header carries the database's
 * lineage, LSNs continue without a gap and every record passes its checks.
 * A damaged record with valid data after it, a conflict while applying a
 * changeset, a gap, or a foreign lineage stop recovery with a sentence that
 * names the file and the LSN. A torn tail in the last generation (a record
 * that was being written when the process died, never acknowledged) is cut
 * off. Recovery ends with a checkpoint.
 */
#ifndef CERTSRV_STORE_RECOVER_H
#define CERTSRV_STORE_RECOVER_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/redo.h"

struct store_paths {
	char *datadir;
	char *db_path;   /* DATADIR/db/ca.db */
	char *logdir;    /* DATADIR/logs */
	char *ckpt_path; /* DATADIR/logs/ca.chk */
};
/* Fill paths for a data directory (strings malloc'd; release with
 * store_paths_release). */
int store_paths_init(struct store_paths *p, const char *datadir);
void store_paths_release(struct store_paths *p);

struct recover_info {
	uint8_t lineage[REDO_LINEAGE_LEN];
	uint64_t checkpoint_lsn;  /* at start */
	uint64_t applied_lsn;     /* after replay */
	uint64_t next_lsn;        /* for the log writer */
	uint32_t generation;      /* the last generation: the writer continues it */
	uint64_t replayed;        /* records applied by this recovery */
	int truncated_tail;       /* a torn tail was cut off */
	int stopped;              /* replay stopped at a point-in-time target */
	uint64_t max_crl_skipped; /* highest CRL number in records not applied */
	int64_t max_request_skipped; /* highest request id in records not applied */
};

/* Recover and return the writer connection in *db (caller owns it).
 * On error, a sentence in err. */
int recover_open(const struct store_paths *p, sqlite3 **db,
		 struct recover_info *info, char *err, size_t errlen);

/* Create a new, empty store in a data directory whose db/ and logs/
 * directories exist and are empty: a fresh lineage id, generation 1 holding
 * the schema record (LSN 1), ca.db with that schema applied, and ca.chk. */
int store_create(const struct store_paths *p, uint8_t lineage[REDO_LINEAGE_LEN],
		 char *err, size_t errlen);

struct replay_source;

/* Replay an explicit list of log files (a backup set's logs, then live
 * ones) onto db, as recover_open does for the live directory: every file's
 * header must carry info->lineage and continue the LSN chain, the first
 * must start at or before info->applied_lsn + 1; records at or below
 * info->applied_lsn are skipped. With limits, replay stops after the last
 * record at or before the target (info->stopped), and the records not
 * applied are still read and checked. On return info->applied_lsn,
 * next_lsn, generation (the last file's) and replayed are updated. Damage
 * in any file is an error, but for the torn tail of the last file when it
 * is live. */
struct replay_source {
	const char *path;
	uint32_t gen;
	int live;                 /* a live generation: the last one's torn
				     tail may be cut off */
	int scan_only;            /* read and check it, apply nothing of it */
};
struct replay_limits {
	uint64_t until_lsn;       /* 0: none */
	int64_t until_time;       /* seconds since the epoch; 0: none */
	/* Called before each file (index i of n); may be NULL. */
	void (*progress)(const struct replay_source *file, size_t i, size_t n,
			 void *arg);
	void *progress_arg;
};
int recover_replay(sqlite3 *db, const struct replay_source *files, size_t n,
		   const struct replay_limits *limits, struct recover_info *info,
		   char *err, size_t errlen);

/* Apply one record to a writer connection inside the caller's transaction
 * (schema SQL or changeset). A changeset conflict is CS_E_CORRUPT. */
int recover_apply_record(sqlite3 *db, const struct redo_record *rec);

#endif
