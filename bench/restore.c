/*
 * bench/restore.c — how long a restore takes: a full backup of a large CA
 * database plus an incremental holding many log records, restored into a
 * new data directory and recovered, next to `sqlite3 .restore` of the same
 * database image, measured in the same run (issue 4).
 *
 *   restore --work DIR [--size-mb N] [--records N] [--writers N] [--runs N]
 *           [--max-seconds S] [--certsrv PATH] [--certsrvd PATH]
 *           [--measure-only]
 *
 * DIR must not hold a CA yet (DIR/ca is created). The program:
 * 1. Setup (not timed).
 *    a. `certsrv --data-dir DIR/ca init`; starts certsrvd (fork/exec, waits
 *       until it answers a status call), submits one P-256 CSR through the
 *       normal code path, stops it by its pid.
 *    b. Fills ca.db to at least --size-mb MiB (default 1024) with copies of
 *       that row as bench/backup does: the real request and certificate DER,
 *       new request ids and serials, ONE SQLite transaction with
 *       synchronous=OFF on a db_open_writer() connection, then
 *       wal_checkpoint(TRUNCATE) and an fsync. Benchmark only: it bypasses
 *       the redo log on purpose (meta.applied_lsn is untouched, so the image
 *       is simply larger than what the logs describe).
 *    c. Starts certsrvd, `certsrv backup DIR/full --keep-log`, stops it.
 *    d. With certsrvd stopped, writes --records log records (default
 *       100,000) through the store's real commit path, in process: the
 *       daemon's sequence recover_open + redo_writer_open (16 MiB
 *       generations, as certsrv.conf says) + commit_start, then --writers
 *       threads (default 1) call commit_run until that many records were
 *       appended. Each operation stores one issuance as certsrvd does
 *       (db_insert_request + db_insert_cert: the real request and
 *       certificate DER, a new id and serial); each batch is one record,
 *       appended and fdatasync'd. With one writer every record holds exactly
 *       one issuance; with more, the commit thread groups them.
 *    e. Starts certsrvd, `certsrv backup DIR/incr --incremental --keep-log`,
 *       stops it; counts the incremental's records with the redo reader.
 * 2. Restore, in-process recovery (timed). A new data directory DIR/restored
 *    holding only certsrv.conf and ca/ (the key is never in a backup) and
 *    empty db/ and logs/:
 *      copies  `certsrv --data-dir DIR/restored restore DIR/full DIR/incr
 *              --force --no-roll-forward`: verifies both sets (SHA-256 of
 *              every file, every log record), copies the image and the logs,
 *              fsync, writes the registration;
 *      recovery  restore_run() — what certsrvd runs at start for a
 *              registered restore — called here on the registration, timed
 *              in phases: opening the image and planning; the replay (from
 *              the progress callback before the first log file to the
 *              start of PRAGMA integrity_check, seen through an
 *              sqlite3_trace_v2 hook installed on restore_run's connection by
 *              sqlite3_auto_extension); the checks (integrity_check and the
 *              duplicate-serial query); the new lineage, the writer's new
 *              generation, the checkpoint and the cleanup. Replay rate =
 *              records replayed (from restore_run's outcome) / replay time.
 *    Then certsrvd is started on the restored directory (time until it
 *    answers a status call: recover_open with nothing left to replay), the
 *    certificate count is checked against the source CA, and it is stopped.
 * 3. Restore through certsrvd (timed, end to end as an operator runs it):
 *    the same copies into a new DIR/restored, then certsrvd is started and
 *    timed until it answers a status call (it carries out the registration:
 *    restore_run, then recover_open); the records replayed are read from its
 *    log line "restored: ...".
 * 4. Peer: `sqlite3 NEW ".restore IMAGE"` of the full backup's image into a
 *    new file, then an fsync of it; --runs times (default 3), best kept.
 * Every copy goes to the same disk; the image is in the page cache for every
 * method (it was just written). Prints Markdown tables (MB = 10^6 bytes).
 * Timing never fails anything: exit 0 unless a step fails. Every loop is
 * bounded in count and time. certsrvd is only ever stopped by its pid (also
 * on SIGINT/SIGTERM/SIGHUP). --measure-only skips step 1 and reuses
 * DIR/ca, DIR/full and DIR/incr from an earlier run (a diagnostic).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "bulkfill.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/proto.h"
#include "common/restorereg.h"
#include "store/commit.h"
#include "store/db.h"
#include "store/recover.h"
#include "store/redo.h"
#include "store/restore.h"

#define MB 1e6
#define START_TIMEOUT_S 600.0    /* certsrvd start-up (a restore included) */
#define STOP_TIMEOUT_S 60.0
#define MAX_WRITERS 16
#define LOG_FILE_BYTES (16u * 1024u * 1024u) /* certsrv.conf's default */
#define MAX_LOG_FILES 100000u

struct opts {
	char work[PATH_MAX];
	char certsrv[PATH_MAX];
	struct bench_opts common; /* --max-seconds: bound of the record writing
				   * and of the fill */
	long records;
	int writers;
	int measure_only;
};

static struct opts o;
/* DIR/ca, its database, the two backup sets, the restore target. */
static char srcdir[PATH_MAX], srcdb[PATH_MAX], fulldir[PATH_MAX],
	incrdir[PATH_MAX], target[PATH_MAX], peerdir[PATH_MAX];

/* ---------------------------------------------------------------- helpers */

/* Total size of the regular files of one directory (not recursive). */
static uint64_t
dir_bytes(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	uint64_t total = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && bench_join(path, sizeof(path), dir, e->d_name) == 0)
			total += bench_file_size(path);
	closedir(d);
	return total;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf dir (0 if it did not exist). */
static int
rm_tree(const char *dir)
{
	if (fio_exists(dir) != 1)
		return 0;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* Copy a small file (a key, a configuration) with its mode. */
static int
copy_small(const char *from, const char *to, mode_t mode)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r = fio_read_all(from, 16u << 20, &data, &len);

	if (r == 0)
		r = fio_write_atomic(to, data, len, mode);
	free(data);
	if (r < 0)
		fprintf(stderr, "restore: copy %s -> %s: %s\n", from, to, cs_strerror(r));
	return r;
}

/* ----------------------------------------------------------------- daemon */

/* certsrvd on datadir, its output to log (truncated); up when it answers a
 * status call, polled often so that its start-up time is measured closely. */
static struct bench_daemon
certsrvd_on(const char *datadir, const char *log)
{
	struct bench_daemon d = {
		.prog = "restore", .certsrvd = o.common.certsrvd, .datadir = datadir,
		.log = log, .probe = PROTO_STATUS, .poll_us = 2 * 1000,
		.start_timeout_s = START_TIMEOUT_S,
		.stop_timeout_s = STOP_TIMEOUT_S,
	};

	return d;
}

/* ------------------------------------------------------- the bulk fill */

/* The name (CN and DNS SAN) of step 1a's one real certificate. */
#define BULK_NAME "restore.bench.example"

/* Step 1b (benchmark only, no redo records). */
static int
fill_database(void)
{
	int64_t want = (int64_t)o.common.size_mb * 1024 * 1024, rows = 0;
	double t0 = bench_now_s();

	if (bench_fill_db("restore", srcdb, want, o.common.max_seconds, &rows) < 0)
		return -1;
	printf("bulk fill (benchmark only, no redo log): %" PRId64 " certificate"
	       " rows in %.1f s; ca.db = %.0f MB\n", rows, bench_now_s() - t0,
	       (double)bench_file_size(srcdb) / MB);
	return 0;
}

/* ------------------------------------------ log records, real commit path */

struct writers {
	struct commit *c;
	const struct bulk_row *t;
	uint64_t base_lsn;        /* applied LSN before the first operation */
	uint64_t want;            /* records to append */
	long max_ops;             /* bound per thread */
	double deadline;
	atomic_int stop;
	atomic_int error;
	atomic_long ops;
};

/* One issuance, as certsrvd's op_store_issued stores it. */
static int
op_issue(sqlite3 *db, void *arg)
{
	const struct bulk_row *t = arg;
	struct db_request rq;
	struct db_cert cert;
	char serial[40];
	int64_t id = 0, now = (int64_t)time(NULL);
	int r;

	memset(&rq, 0, sizeof(rq));
	rq.submitted_at = now;
	rq.resolved_at = now;
	rq.disposition = t->disposition;
	rq.requester = t->requester;
	rq.profile = t->profile;
	rq.subject = t->subject;
	rq.raw_request = t->raw_request;
	rq.raw_request_len = (size_t)t->raw_request_len;
	r = db_insert_request(db, &rq, &id);
	if (r < 0)
		return r;
	bulk_serial(id, serial);
	memset(&cert, 0, sizeof(cert));
	cert.request_id = id;
	cert.serial = serial;
	cert.subject = t->cert_subject;
	cert.not_before = t->not_before;
	cert.not_after = t->not_after;
	cert.der = t->raw_cert;
	cert.der_len = (size_t)t->raw_cert_len;
	return db_insert_cert(db, &cert);
}

static void *
writer_main(void *arg)
{
	struct writers *w = arg;
	struct commit_stats st;
	long i;
	int r;

	for (i = 0; i < w->max_ops && !atomic_load(&w->stop); i++) {
		r = commit_run(w->c, op_issue, (void *)w->t);
		if (r != 0) {
			atomic_store(&w->error, r);
			atomic_store(&w->stop, 1);
			break;
		}
		atomic_fetch_add(&w->ops, 1);
		commit_get_stats(w->c, &st);
		if (st.applied_lsn - w->base_lsn >= w->want || bench_now_s() > w->deadline)
			atomic_store(&w->stop, 1);
	}
	return NULL;
}

/* Open the store as certsrvd does and run the writer threads. */
static int
write_records(const struct bulk_row *t)
{
	struct store_paths p;
	struct recover_info info;
	struct commit_config cc;
	struct commit_stats st;
	struct redo_writer *rw = NULL;
	struct commit *c = NULL;
	struct writers w;
	pthread_t th[MAX_WRITERS];
	sqlite3 *db = NULL;
	char err[1024] = "";
	double t0 = bench_now_s();
	int i, started = 0, r;

	r = store_paths_init(&p, srcdir);
	if (r == 0)
		r = recover_open(&p, &db, &info, err, sizeof(err));
	if (r == 0)
		r = redo_writer_open(p.logdir, info.lineage, info.generation,
				     info.next_lsn, LOG_FILE_BYTES, &rw);
	memset(&cc, 0, sizeof(cc));
	cc.logdir = p.logdir;
	cc.ckpt_path = p.ckpt_path;
	memcpy(cc.lineage, info.lineage, REDO_LINEAGE_LEN);
	cc.checkpoint_interval_ms = 60000;     /* certsrv.conf's defaults */
	cc.checkpoint_wal_bytes = 64u << 20;   /* as certsrvd */
	cc.circular = 0;
	if (r == 0) {
		r = commit_start(db, rw, info.applied_lsn, &cc, &c);
		db = NULL;
		rw = NULL;
	}
	if (r < 0) {
		fprintf(stderr, "restore: cannot open the store: %s\n",
			err[0] ? err : cs_strerror(r));
		db_close(db);
		redo_writer_close(rw);
		store_paths_release(&p);
		return r;
	}
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.t = t;
	w.base_lsn = info.applied_lsn;
	w.want = (uint64_t)o.records;
	w.max_ops = o.records + 1;
	w.deadline = t0 + o.common.max_seconds;
	for (i = 0; i < o.writers; i++) {
		if (pthread_create(&th[i], NULL, writer_main, &w) != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	commit_get_stats(c, &st);
	commit_stop(c);
	store_paths_release(&p);
	r = atomic_load(&w.error);
	if (r < 0 || started == 0) {
		fprintf(stderr, "restore: commit failed: %s\n",
			cs_strerror(r < 0 ? r : CS_E_INTERNAL));
		return r < 0 ? r : CS_E_INTERNAL;
	}
	printf("log records through the commit path (certsrvd stopped): %ld"
	       " issuances from %d thread%s in %" PRIu64 " records (LSN %" PRIu64
	       "..%" PRIu64 ") in %.1f s: %.0f records/s\n",
	       atomic_load(&w.ops), started, started > 1 ? "s" : "",
	       st.applied_lsn - w.base_lsn, w.base_lsn + 1, st.applied_lsn,
	       bench_now_s() - t0, (double)(st.applied_lsn - w.base_lsn) / (bench_now_s() - t0));
	if (st.applied_lsn - w.base_lsn < w.want)
		printf("note: stopped at the %.0f s bound before %" PRIu64 " records\n",
		       o.common.max_seconds, w.want);
	return 0;
}

/* ----------------------------------------------------------------- setup */

/* Steps 1c and 1e: certsrvd on the source, `argv` (a `certsrv backup` into
 * setdir), certsrvd stopped; prints `what`, the set's size and the time. */
static int
backup_set(char *const argv[], const char *setdir, const char *log,
	   const char *what)
{
	struct bench_daemon d = certsrvd_on(srcdir, log);
	char dbdir[PATH_MAX];
	double t0;
	pid_t pid;
	int r;

	pid = bench_daemon_start(&d, NULL);
	if (pid < 0)
		return -1;
	t0 = bench_now_s();
	r = bench_run_command("restore", argv, NULL);
	bench_daemon_stop(&d, pid);
	if (r < 0 || bench_join(dbdir, sizeof(dbdir), setdir, "DataBase") < 0)
		return -1;
	printf("%s: %.0f MB in %.1f s\n", what, (double)dir_bytes(dbdir) / MB,
	       bench_now_s() - t0);
	return 0;
}

/* Step 1d: the records, copies of the source's first certificate. */
static int
add_records(void)
{
	struct bulk_row t = { 0 };
	sqlite3 *db = NULL;
	int r = db_open_reader(srcdb, &db);

	if (r == 0)
		r = bulk_row_load(db, &t);
	db_close(db);
	if (r == 0)
		r = write_records(&t);
	bulk_row_release(&t);
	return r;
}

/* Step 1: CA, one real certificate, fill, full backup, records, incremental. */
static int
setup(void)
{
	char log[PATH_MAX];
	char *init_argv[] = { o.certsrv, "--data-dir", srcdir, "init", "--subject",
			      "CN=Restore Bench Root", NULL };
	char *full_argv[] = { o.certsrv, "--data-dir", srcdir, "backup", fulldir,
			      "--keep-log", NULL };
	char *incr_argv[] = { o.certsrv, "--data-dir", srcdir, "backup", incrdir,
			      "--incremental", "--keep-log", NULL };
	struct bench_daemon d = certsrvd_on(srcdir, log);
	pid_t pid;
	int r;

	if (fio_exists(srcdir) == 1) {
		fprintf(stderr, "restore: %s exists: give an empty --work directory"
			" (or --measure-only)\n", srcdir);
		return -1;
	}
	if (bench_run_command("restore", init_argv, NULL) < 0 ||
	    bench_join(log, sizeof(log), o.work, "certsrvd-setup.log") < 0)
		return -1;
	/* a. one real certificate */
	pid = bench_daemon_start(&d, NULL);
	if (pid < 0)
		return -1;
	r = bench_submit_one("restore", srcdir, BULK_NAME);
	bench_daemon_stop(&d, pid);
	/* b. the bulk fill */
	if (r == 0)
		r = fill_database();
	/* c. the full backup; d. the records; e. the incremental */
	if (r == 0)
		r = backup_set(full_argv, fulldir, log,
			       "full backup (`certsrv backup --keep-log`)");
	if (r == 0)
		r = add_records();
	if (r == 0)
		r = backup_set(incr_argv, incrdir, log, "incremental backup"
			       " (`certsrv backup --incremental --keep-log`)");
	return r != 0 ? -1 : 0;
}

/* Count the records of a backup set's logs with the redo reader. */
static int
count_set_records(const char *setdir, uint64_t *n, uint64_t *lo, uint64_t *hi,
		  uint32_t *ngens)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct redo_reader *rd = NULL;
	struct redo_record rec;
	uint32_t *gens = NULL;
	size_t count = 0, i;
	uint64_t k;
	int r;

	*n = *lo = *hi = 0;
	r = bench_join(dir, sizeof(dir), setdir, "DataBase");
	if (r == 0)
		r = redo_list_generations(dir, &gens, &count);
	for (i = 0; r == 0 && i < count && i < MAX_LOG_FILES; i++) {
		r = redo_path(dir, gens[i], path, sizeof(path));
		if (r == 0)
			r = redo_reader_open(path, &rd, NULL);
		/* a generation holds far fewer records than its byte bound */
		for (k = 0; r == 0 && k < LOG_FILE_BYTES; k++) {
			r = redo_reader_next(rd, &rec);
			if (r != 1)
				break;
			r = 0;
			if (*n == 0)
				*lo = rec.lsn;
			*hi = rec.lsn;
			++*n;
		}
		redo_reader_close(rd);
		rd = NULL;
	}
	*ngens = (uint32_t)count;
	free(gens);
	if (r < 0)
		fprintf(stderr, "restore: reading the logs of %s: %s\n", setdir,
			cs_strerror(r));
	return r < 0 ? r : 0;
}

/* --------------------------------------------------------- the restores */

/* A new data directory for the restore: the layout of `certsrv init`, the
 * source's certsrv.conf and ca/ (ca.key is never in a backup). */
static int
prepare_target(void)
{
	static const struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
		{ "ca", 0700 }, { "db", 0750 }, { "logs", 0750 },
		{ "certenroll", 0755 }, { "restore", 0700 }, { "run", 0755 },
	};
	static const struct {
		const char *path;
		mode_t mode;
	} files[] = {
		{ "certsrv.conf", 0640 }, { "ca/ca.key", 0600 }, { "ca/ca.crt", 0644 },
	};
	char a[PATH_MAX], b[PATH_MAX];
	size_t i;
	int r = rm_tree(target);

	if (r == 0)
		r = fio_mkdirs(target, 0755);
	for (i = 0; r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		r = bench_join(a, sizeof(a), target, dirs[i].path);
		if (r == 0)
			r = fio_mkdirs(a, dirs[i].mode);
	}
	for (i = 0; r == 0 && i < sizeof(files) / sizeof(files[0]); i++) {
		r = bench_join(a, sizeof(a), srcdir, files[i].path);
		if (r == 0)
			r = bench_join(b, sizeof(b), target, files[i].path);
		if (r == 0)
			r = copy_small(a, b, files[i].mode);
	}
	if (r < 0)
		fprintf(stderr, "restore: cannot prepare %s\n", target);
	return r;
}

/* `certsrv restore FULL INCR --force --no-roll-forward` into the target. */
static int
run_restore_cli(double *secs)
{
	char log[PATH_MAX];
	char *argv[] = { o.certsrv, "--data-dir", target, "restore", fulldir,
			 incrdir, "--force", "--no-roll-forward", NULL };
	double t0;
	int r;

	if (bench_join(log, sizeof(log), o.work, "certsrv-restore.log") < 0)
		return -1;
	t0 = bench_now_s();
	r = bench_run_command("restore", argv, log);
	*secs = bench_now_s() - t0;
	return r;
}

/* Phases of restore_run, seen from outside: the progress callback (before
 * each log file) and statements traced on its connection. */
static double t_first_file, t_integrity, t_lineage;

static void
on_progress(const struct replay_source *file, size_t i, size_t n, void *arg)
{
	(void)file;
	(void)n;
	(void)arg;
	if (i == 0 && t_first_file == 0)
		t_first_file = bench_now_s();
}

static int
on_trace(unsigned type, void *ctx, void *stmt, void *x)
{
	const char *sql = x;

	(void)ctx;
	(void)stmt;
	if (type != SQLITE_TRACE_STMT || !sql)
		return 0;
	if (sql[0] == 'P' && t_integrity == 0 &&
	    !strncmp(sql, "PRAGMA integrity_check", 22))
		t_integrity = bench_now_s();
	else if (sql[0] == 'I' && t_integrity != 0 && t_lineage == 0 &&
		 !strncmp(sql, "INSERT INTO meta", 16) && strstr(sql, "'lineage'"))
		t_lineage = bench_now_s();
	return 0;
}

/* An auto-extension: runs for every connection opened while registered. */
static int
hook_connection(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
	(void)errmsg;
	(void)api;
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_trace, NULL);
	return SQLITE_OK;
}

struct recovery {
	double total, open, replay, checks, finish;
	struct restore_outcome out;
};

/* Step 2's recovery: the registration carried out by restore_run here. */
static int
run_recovery(struct recovery *rc)
{
	struct restore_state st;
	struct store_paths p;
	char err[1024] = "";
	double t0, t1, t_end;
	int r;

	memset(rc, 0, sizeof(*rc));
	t_first_file = t_integrity = t_lineage = 0;
	r = store_paths_init(&p, target);
	if (r < 0)
		return r;
	r = restorereg_load(target, &st, err, sizeof(err));
	if (r == 0 && !restorereg_ready(&st, err, sizeof(err)))
		r = CS_E_STATE;
	if (r == 0) {
		sqlite3_auto_extension((void (*)(void))hook_connection);
		t0 = bench_now_s();
		r = restore_run(&p, &st, &rc->out, on_progress, NULL, err, sizeof(err));
		t_end = bench_now_s();
		sqlite3_cancel_auto_extension((void (*)(void))hook_connection);
		t1 = t_first_file ? t_first_file : t0;
		rc->total = t_end - t0;
		rc->open = t1 - t0;
		if (t_integrity) {
			rc->replay = t_integrity - t1;
			rc->checks = (t_lineage ? t_lineage : t_end) - t_integrity;
			rc->finish = t_lineage ? t_end - t_lineage : 0;
		} else {
			rc->replay = t_end - t1;  /* phases not seen: all of it */
		}
	}
	restorereg_release(&st);
	store_paths_release(&p);
	if (r < 0)
		fprintf(stderr, "restore: restore_run failed: %s\n",
			err[0] ? err : cs_strerror(r));
	return r;
}

/* The number after "restored: image at LSN X, " in certsrvd's log. */
static uint64_t
replayed_in_log(const char *log)
{
	unsigned long long lsn = 0, n = 0;
	char line[2048];
	const char *s;
	FILE *f = fopen(log, "r");
	int lines = 0;

	if (!f)
		return 0;
	while (lines++ < 100000 && fgets(line, sizeof(line), f))
		if ((s = strstr(line, "restored: image at LSN ")) != NULL)
			(void)sscanf(s, "restored: image at LSN %llu, %llu", &lsn, &n);
	fclose(f);
	return (uint64_t)n;
}

struct results {
	int64_t src_certs;
	uint64_t incr_records, incr_lo, incr_hi;
	uint32_t incr_gens;
	uint64_t image_bytes, logs_bytes;
	double verify;             /* `certsrv verify-backup --no-trial` alone */
	double copies_a;           /* certsrv restore before the in-process run */
	struct recovery rec;
	double start_after_a;      /* certsrvd start on the recovered directory */
	int64_t certs_a;
	double copies_b, start_b;  /* through certsrvd */
	uint64_t replayed_b;
	int64_t certs_b;
	double peer[BENCH_MAX_RUNS];
	int peer_runs;
	uint64_t peer_bytes;
};

/* Start certsrvd on the target; time until it answers; count certificates. */
static int
start_target(const char *logname, double *secs, int64_t *certs, uint64_t *replayed)
{
	char log[PATH_MAX], db[PATH_MAX];
	struct bench_daemon d;
	pid_t pid;
	int r;

	if (bench_join(log, sizeof(log), o.work, logname) < 0 ||
	    bench_join(db, sizeof(db), target, "db/ca.db") < 0)
		return -1;
	d = certsrvd_on(target, log);
	pid = bench_daemon_start(&d, secs);
	if (pid < 0)
		return -1;
	r = bench_count_certs(db, certs);
	bench_daemon_stop(&d, pid);
	if (replayed)
		*replayed = replayed_in_log(log);
	return r;
}

static int
measure_restores(struct results *res)
{
	char *verify_argv[] = { o.certsrv, "verify-backup", fulldir, incrdir,
				"--no-trial", NULL };
	double t0;
	int r;

	/* Verification alone, for the split of `certsrv restore`. */
	t0 = bench_now_s();
	r = bench_run_command("restore", verify_argv, NULL);
	res->verify = bench_now_s() - t0;
	/* Step 2: copies, then restore_run here, then a plain start. */
	if (r == 0)
		r = prepare_target();
	if (r == 0)
		r = run_restore_cli(&res->copies_a);
	if (r == 0)
		r = run_recovery(&res->rec);
	if (r == 0)
		r = start_target("certsrvd-after-recovery.log", &res->start_after_a,
				 &res->certs_a, NULL);
	/* Step 3: copies, then certsrvd carries out the registration. */
	if (r == 0)
		r = prepare_target();
	if (r == 0)
		r = run_restore_cli(&res->copies_b);
	if (r == 0)
		r = start_target("certsrvd-restore.log", &res->start_b, &res->certs_b,
				 &res->replayed_b);
	if (r == 0)
		r = rm_tree(target);
	return r;
}

/* Step 4: sqlite3 NEW ".restore IMAGE" + fsync, best of o.common.runs. */
static int
measure_peer(struct results *res)
{
	char image[PATH_MAX], out[PATH_MAX], cmd[PATH_MAX + 16], path[PATH_MAX];
	char *argv[] = { "sqlite3", out, cmd, NULL };
	static const char *const extra[] = { "", "-wal", "-shm", "-journal" };
	double t0;
	size_t i;
	int k, r = 0;

	if (bench_join(image, sizeof(image), fulldir, "DataBase/ca.db") < 0 ||
	    bench_join(out, sizeof(out), peerdir, "ca.db") < 0 || strchr(image, '\'') ||
	    snprintf(cmd, sizeof(cmd), ".restore '%s'", image) >= (int)sizeof(cmd) ||
	    fio_mkdirs(peerdir, 0755) < 0)
		return -1;
	for (k = 0; r == 0 && k < o.common.runs; k++) {
		for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
			if (snprintf(path, sizeof(path), "%s%s", out, extra[i]) <
			    (int)sizeof(path))
				(void)unlink(path);
		t0 = bench_now_s();
		r = bench_run_command("restore", argv, NULL);
		if (r == 0)
			r = bench_fsync_path(out);
		res->peer[k] = bench_now_s() - t0;
		res->peer_bytes = bench_file_size(out);
		res->peer_runs = k + 1;
	}
	(void)rm_tree(peerdir);
	return r;
}

/* ---------------------------------------------------------------- report */

static double
best_of(const double *v, int n)
{
	double b = n > 0 ? v[0] : 0;
	int i;

	for (i = 1; i < n; i++)
		if (v[i] < b)
			b = v[i];
	return b;
}

static double
per_s(double n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

static void
print_tables(const struct results *res)
{
	const struct recovery *rc = &res->rec;
	double copy_part = res->copies_a - res->verify, peer = best_of(res->peer,
								       res->peer_runs);
	double total_a = res->copies_a + rc->total;
	int i;

	printf("\nbackup sets: full = ca.db %.0f MB + logs; incremental = %" PRIu64
	       " records (LSN %" PRIu64 "..%" PRIu64 ") in %u generation%s, %.0f MB"
	       " (counted with the redo reader)\n\n", (double)res->image_bytes / MB,
	       res->incr_records, res->incr_lo, res->incr_hi, res->incr_gens,
	       res->incr_gens == 1 ? "" : "s", (double)res->logs_bytes / MB);
	printf("| what | seconds | note |\n");
	printf("|---|---|---|\n");
	printf("| `certsrv restore FULL INCR --force --no-roll-forward` (verify,"
	       " copy image + logs, fsync, register) | %.2f | of which about %.2f s"
	       " verification (`certsrv verify-backup --no-trial` alone) and %.2f s"
	       " the rest |\n", res->copies_a, res->verify,
	       copy_part > 0 ? copy_part : 0);
	printf("| recovery: restore_run (what certsrvd runs at start) | %.2f |"
	       " image LSN %" PRIu64 ", now at LSN %" PRIu64 " |\n", rc->total,
	       rc->out.image_lsn, rc->out.applied_lsn);
	printf("| &nbsp;&nbsp;open the image, plan the logs | %.2f | |\n", rc->open);
	printf("| &nbsp;&nbsp;replay | %.2f | **%" PRIu64 " records, %.0f records/s**"
	       " (issuance records: request + certificate rows) |\n",
	       rc->replay, rc->out.replayed, per_s((double)rc->out.replayed, rc->replay));
	printf("| &nbsp;&nbsp;checks: PRAGMA integrity_check, unique serials | %.2f | |\n",
	       rc->checks);
	printf("| &nbsp;&nbsp;new lineage, new log generation, checkpoint, cleanup |"
	       " %.2f | |\n", rc->finish);
	printf("| **restore + recovery** | **%.2f** | |\n", total_a);
	printf("| then certsrvd start on the restored CA until it answers status"
	       " | %.2f | nothing left to replay; %" PRId64 " certificates (source:"
	       " %" PRId64 ") |\n", res->start_after_a, res->certs_a, res->src_certs);
	printf("| end to end through certsrvd: `certsrv restore` + certsrvd start"
	       " until it answers status | %.2f | %.2f + %.2f s; %" PRIu64
	       " records replayed; %" PRId64 " certificates |\n",
	       res->copies_b + res->start_b, res->copies_b, res->start_b,
	       res->replayed_b, res->certs_b);
	printf("| `sqlite3 NEW \".restore IMAGE\"` + fsync (same image, %.0f MB),"
	       " best of %d | %.2f | every run:", (double)res->peer_bytes / MB,
	       res->peer_runs, peer);
	for (i = 0; i < res->peer_runs; i++)
		printf(" %.2f", res->peer[i]);
	printf(" |\n\n");
	if (peer > 0)
		printf("restore + recovery / sqlite3 .restore: %.1fx; the copies alone"
		       " (`certsrv restore`): %.1fx\n", total_a / peer,
		       res->copies_a / peer);
}

/* ---------------------------------------------------------------- main */

static int
usage(void)
{
	fprintf(stderr, "usage: restore --work DIR [--size-mb N] [--records N]"
		" [--writers N] [--runs N] [--max-seconds S] [--certsrv PATH]"
		" [--certsrvd PATH] [--measure-only]\n");
	return 2;
}

static int
parse_opt(const char *name, const char *val)
{
	long v;
	int r = bench_opts_parse(&o.common, name, val);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (!strcmp(name, "--certsrv"))
		return realpath(val, o.certsrv) ? 0 : -1;
	if (!strcmp(name, "--work")) {
		if (fio_mkdirs(val, 0755) < 0)
			return -1;
		return realpath(val, o.work) ? 0 : -1;
	}
	if (!strcmp(name, "--records") && bench_parse_long(val, 1, 100000000, &v) == 0)
		o.records = v;
	else if (!strcmp(name, "--writers") && bench_parse_long(val, 1, MAX_WRITERS, &v) == 0)
		o.writers = (int)v;
	else
		return -1;
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	int i;

	bench_opts_init(&o.common);
	o.records = 100000;
	o.writers = 1;
	/* Default certsrv: ../certsrv next to this program, as certsrvd. */
	bench_sibling_program("certsrv", o.certsrv, sizeof(o.certsrv));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--measure-only"))
			o.measure_only = 1;
		else if (i + 1 >= argc || parse_opt(argv[i], argv[i + 1]) < 0)
			return -1;
		else
			i++;
	}
	if (!o.work[0] ||
	    bench_join(srcdir, sizeof(srcdir), o.work, "ca") < 0 ||
	    bench_join(srcdb, sizeof(srcdb), srcdir, "db/ca.db") < 0 ||
	    bench_join(fulldir, sizeof(fulldir), o.work, "full") < 0 ||
	    bench_join(incrdir, sizeof(incrdir), o.work, "incr") < 0 ||
	    bench_join(target, sizeof(target), o.work, "restored") < 0 ||
	    bench_join(peerdir, sizeof(peerdir), o.work, "sqlite-restore") < 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct results res;
	char dbdir[PATH_MAX];

	if (parse_args(argc, argv) < 0)
		return usage();
	bench_catch_signals();
	memset(&res, 0, sizeof(res));
	if (!o.measure_only && setup() < 0)
		return 1;
	if (count_set_records(incrdir, &res.incr_records, &res.incr_lo, &res.incr_hi,
			      &res.incr_gens) < 0 ||
	    bench_count_certs(srcdb, &res.src_certs) < 0 ||
	    bench_join(dbdir, sizeof(dbdir), incrdir, "DataBase") < 0)
		return 1;
	res.logs_bytes = dir_bytes(dbdir);
	if (bench_join(dbdir, sizeof(dbdir), fulldir, "DataBase/ca.db") < 0)
		return 1;
	res.image_bytes = bench_file_size(dbdir);
	printf("records in the incremental backup (redo reader): %" PRIu64 "\n",
	       res.incr_records);
	if (measure_restores(&res) < 0 || measure_peer(&res) < 0)
		return 1;
	print_tables(&res);
	return 0;
}
