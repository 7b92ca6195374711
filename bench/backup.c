/*
 * bench/backup.c — speed of a full online backup through the backup API
 * (libcertadm), next to `cp`, `sqlite3 .backup` and `sqlite3 VACUUM INTO` of
 * the same database to the same disk, measured in the same run.
 *
 *   backup --data-dir DIR --target TDIR [--size-mb N] [--runs N]
 *          [--max-seconds S] [--certsrvd PATH] [--only api|api1m|cp|backup|vacuum|dd]
 *
 * DIR is an initialised CA whose certsrvd is NOT running. The program:
 * 1. Makes sure the database holds one real certificate: if it has none, it
 *    starts certsrvd, submits one P-256 CSR through the normal code path, and
 *    stops it.
 * 2. Fills ca.db to at least --size-mb MiB (default 1024) with copies of that
 *    row (the real request and certificate DER; distinct request ids and
 *    serials), in ONE SQLite transaction with synchronous=OFF on a writer
 *    connection from db_open_writer(), then PRAGMA wal_checkpoint(TRUNCATE)
 *    and an fsync of ca.db so no dirty page is written back during the
 *    measurements. This bulk path exists for the benchmark only: it bypasses
 *    the redo log on purpose. meta.applied_lsn is untouched, so recovery and
 *    later backups stay consistent; the image is simply larger than what the
 *    logs describe.
 * 3. Starts certsrvd (fork/exec, waits for it to answer), and measures:
 *      API   a full backup (UTF-8 entry points): Prepare, GetDatabaseNames,
 *            OpenFile/Read (1 MiB buffer)/Close of each file into
 *            TDIR/out, GetBackupLogs and the same for each log, End; each
 *            1 MiB read written as 64 KiB write()s and each file fsync'd
 *            when written, as `certsrv backup` does; and the same with
 *            each read written as one 1 MiB write() (BENCHMARKS.md: large
 *            writes are slow on this kind of virtual machine);
 *      cp    `cp ca.db TDIR/out/ca.db`, then an fsync of the copy;
 *      .backup  `sqlite3 -readonly ca.db ".backup 'X'"`, then an fsync;
 *      VACUUM INTO  `sqlite3 -readonly ca.db "VACUUM INTO 'X'"`, then an
 *            fsync. (The sqlite3 CLI reads the live WAL database, as users
 *            do today; -readonly so it never checkpoints, see DESIGN I3.)
 *      dd    with --only dd, a diagnostic: `dd if=ca.db of=X ibs=1M
 *            obs=64k` + fsync, the same read()/write() sizes as the API's caller
 *            without the API: what copying the file through user space
 *            costs here. Not in the default rounds: interleaved with the
 *            others its time swings 3x (BENCHMARKS.md).
 *    One warm-up round of all of them, then --runs rounds (default 3) in
 *    the order of measure_all(); the best time of each is kept, and every
 *    time is printed. TDIR/out is emptied after every run, and every run
 *    is preceded by the same untimed cp + fsync + delete (see settle()).
 * 4. Stops certsrvd by its process id (also on SIGINT/SIGTERM/SIGHUP).
 * Prints Markdown tables (MB = 10^6 bytes). Timing never fails anything:
 * exit 0 unless a step fails. Loops are bounded in rows and in time.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apibackup.h"
#include "benchutil.h"
#include "common/fileio.h"
#include "common/proto.h"

#define MB 1e6
#define START_TIMEOUT_S 120.0  /* certsrvd start-up (recovery) */
#define STOP_TIMEOUT_S 60.0

struct opts {
	char datadir[PATH_MAX];
	char target[PATH_MAX];
	struct bench_opts common; /* --max-seconds: measured rounds stop after it */
	double fill_seconds;  /* the bulk fill stops after this */
	const char *only;     /* measure only this method (for profiling) */
};

/* Where the time of one run went. */
struct split {
	double total;  /* whole run */
	double read;   /* API: in CertSrvBackupRead; peers: the command */
	double write;  /* API: in write() */
	double sync;   /* fsync of the output(s) */
	uint64_t bytes;
};

static struct opts o;
static char dbpath[PATH_MAX];
static char outdir[PATH_MAX];

/* ----------------------------------------------------------------- daemon */

/* certsrvd on DIR, its output appended to TDIR/certsrvd.log; up when it
 * answers a ping (what CertSrvIsServerOnline asks). */
static char daemon_log[PATH_MAX];
static struct bench_daemon certsrvd_run = {
	.prog = "backup", .certsrvd = o.common.certsrvd, .datadir = o.datadir,
	.log = daemon_log, .append_log = 1, .probe = PROTO_PING,
	.poll_us = 50 * 1000, .start_timeout_s = START_TIMEOUT_S,
	.stop_timeout_s = STOP_TIMEOUT_S,
};

/* ------------------------------------------------- one real certificate */

#define BULK_NAME "bulk.bench.example"

/* Make sure the database holds at least one certificate issued by certsrvd. */
static int
ensure_real_row(void)
{
	int64_t n = 0;
	pid_t pid;
	int r = bench_count_certs(dbpath, &n);

	if (r < 0 || n > 0)
		return r;
	pid = bench_daemon_start(&certsrvd_run, NULL);
	if (pid < 0)
		return -1;
	r = bench_submit_one("backup", o.datadir, BULK_NAME);
	bench_daemon_stop(&certsrvd_run, pid);
	return r;
}

/* Step 2 of the header: the bulk fill (benchmark only, no redo records). */
static int
fill_database(void)
{
	int64_t want = (int64_t)o.common.size_mb * 1024 * 1024, rows = 0;
	double t0 = bench_now_s();

	if ((int64_t)bench_file_size(dbpath) >= want) {
		printf("ca.db already holds %.0f MB: no fill\n\n",
		       (double)bench_file_size(dbpath) / MB);
		return 0;
	}
	if (bench_fill_db("backup", dbpath, want, o.fill_seconds, &rows) < 0)
		return -1;
	printf("bulk fill (benchmark only, no redo log): %" PRId64 " certificate"
	       " rows in %.1f s; ca.db = %.0f MB\n\n", rows, bench_now_s() - t0,
	       (double)bench_file_size(dbpath) / MB);
	return 0;
}

/* --------------------------------------------------------------- methods */

/* A full backup through the API into outdir, each 1 MiB read written as
 * write()s of at most `chunk` bytes: 64 KiB as `certsrv backup` writes, or
 * API_READ_BUFFER (one write() per CertSrvBackupRead) for the diagnostic
 * (BENCHMARKS.md: large writes are slow on this kind of virtual machine). */
static int
run_api_chunks(struct split *sp, size_t chunk)
{
	struct api_backup b = { .prog = "backup", .dir = outdir,
				.write_chunk = chunk };
	int r;

	b.buf = malloc(API_READ_BUFFER);
	if (!b.buf)
		return -1;
	r = api_full_backup(o.datadir, &b);
	free(b.buf);
	sp->read = b.read;
	sp->write = b.write;
	sp->sync = b.sync;
	sp->bytes = b.bytes;
	return r;
}

static int
run_api(struct split *sp)
{
	return run_api_chunks(sp, 64 * 1024);
}

static int
run_api_1m(struct split *sp)
{
	return run_api_chunks(sp, API_READ_BUFFER);
}

/* A peer: the command writes `out`, then we fsync it. */
static int
run_peer(char *const argv[], const char *out, struct split *sp)
{
	double t = bench_now_s();
	int r = bench_run_command("backup", argv, NULL);

	sp->read = bench_now_s() - t;
	t = bench_now_s();
	if (r == 0)
		r = bench_fsync_path(out);
	sp->sync = bench_now_s() - t;
	sp->bytes = bench_file_size(out);
	return r;
}

static int
run_cp(struct split *sp)
{
	char out[PATH_MAX];
	char *argv[] = { "cp", dbpath, out, NULL };

	return bench_join(out, sizeof(out), outdir, "ca.db") < 0 ? -1
							  : run_peer(argv, out, sp);
}

/* The floor of any copy through user space: 1 MiB read()s and 64 KiB
 * write()s, as the API's caller does, without the API. */
static int
run_dd(struct split *sp)
{
	char out[PATH_MAX], in_arg[PATH_MAX + 4], out_arg[PATH_MAX + 4];
	char *argv[] = { "dd", in_arg, out_arg, "ibs=1M", "obs=64k", "status=none",
			 NULL };

	if (bench_join(out, sizeof(out), outdir, "ca.db") < 0 ||
	    snprintf(in_arg, sizeof(in_arg), "if=%s", dbpath) >= (int)sizeof(in_arg) ||
	    snprintf(out_arg, sizeof(out_arg), "of=%s", out) >= (int)sizeof(out_arg))
		return -1;
	return run_peer(argv, out, sp);
}

/* sqlite3 -readonly ca.db "<sql with 'out'>" */
static int
run_sqlite(const char *fmt_backup, struct split *sp)
{
	char out[PATH_MAX], sql[PATH_MAX + 32];
	char *argv[] = { "sqlite3", "-readonly", dbpath, sql, NULL };
	int k;

	if (bench_join(out, sizeof(out), outdir, "ca.db") < 0 || strchr(out, '\''))
		return -1;
	k = fmt_backup ? snprintf(sql, sizeof(sql), ".backup '%s'", out)
		       : snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", out);
	if (k < 0 || (size_t)k >= sizeof(sql))
		return -1;
	return run_peer(argv, out, sp);
}

static int
run_dot_backup(struct split *sp)
{
	return run_sqlite(".backup", sp);
}

static int
run_vacuum_into(struct split *sp)
{
	return run_sqlite(NULL, sp);
}

struct method {
	const char *key;  /* for --only */
	int reference;    /* measured only with --only (a diagnostic) */
	const char *name;
	int (*run)(struct split *sp);
	struct split best;
	double times[BENCH_MAX_RUNS]; /* every measured run, for the spread */
	int measured;
};

static struct method methods[] = {
	{ .key = "api", .name = "backup API (libcertadm, full: ca.db + logs;"
	  " 64 KiB write()s)", .run = run_api },
	{ .key = "api1m", .name = "backup API, each 1 MiB read written as"
	  " one write()", .run = run_api_1m },
	{ .key = "cp", .name = "`cp ca.db X` + fsync", .run = run_cp },
	{ .key = "backup", .name = "`sqlite3 ca.db \".backup X\"` + fsync", .run = run_dot_backup },
	{ .key = "dd", .name = "reference: `dd if=ca.db of=X ibs=1M obs=64k` + fsync"
	  " (user-space copy)", .run = run_dd, .reference = 1 },
	/* Last in every round: see measure_all(). */
	{ .key = "vacuum", .name = "`sqlite3 ca.db \"VACUUM INTO 'X'\"` + fsync",
	  .run = run_vacuum_into },
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

/* One run of method m; keeps it if it is the best so far (when `keep`). */
/* What ran just before changes how fast fresh page cache can be written
 * on this kind of virtual machine (BENCHMARKS.md): every measured run is
 * preceded by the same untimed cp + fsync + delete, so each method starts
 * from the same state. */
static int
settle(void)
{
	struct split sp = { 0 };
	int r = run_cp(&sp);

	return bench_empty_dir(outdir) < 0 ? -1 : r;
}

static int
measure(struct method *m, int keep)
{
	struct split sp = { 0 };
	double t0;
	int r;

	if (o.only ? strcmp(o.only, m->key) != 0 : m->reference)
		return 0;
	if (settle() < 0)
		return -1;
	t0 = bench_now_s();
	r = m->run(&sp);

	sp.total = bench_now_s() - t0;
	if (r == 0 && keep) {
		if (!m->measured || sp.total < m->best.total)
			m->best = sp;
		m->times[m->measured++] = sp.total;
	}
	if (bench_empty_dir(outdir) < 0 && r == 0)
		r = -1;
	return r;
}

/* The warm-up round, then up to o.common.runs rounds within o.common.max_seconds. */
static int
measure_all(int *rounds)
{
	double t0 = bench_now_s();
	size_t i;
	int r = 0, k;

	for (i = 0; r == 0 && i < N_METHODS; i++)
		r = measure(&methods[i], 0);
	/* A user-space write() of fresh page cache right after VACUUM INTO is
	 * slow on this kind of virtual machine (BENCHMARKS.md), even after
	 * settle(). So VACUUM INTO ends every round, and the others take
	 * turns at starting one: each of them follows it at most once in the
	 * first N_METHODS - 1 rounds. */
	for (k = 0; r == 0 && k < o.common.runs; k++) {
		if (k > 0 && bench_now_s() - t0 > o.common.max_seconds)
			break;
		for (i = 0; r == 0 && i + 1 < N_METHODS; i++)
			r = measure(&methods[(i + (size_t)k + 1) % (N_METHODS - 1)], 1);
		if (r == 0)
			r = measure(&methods[N_METHODS - 1], 1);
	}
	*rounds = k;
	return r;
}

static double
rate(const struct split *sp)
{
	return sp->total > 0 ? (double)sp->bytes / MB / sp->total : 0;
}

static void
print_row(const struct method *m)
{
	int i;

	printf("| %s | %.0f | %.2f | %.0f | %.2f |", m->name,
	       (double)m->best.bytes / MB, m->best.total, rate(&m->best),
	       m->best.sync);
	for (i = 0; i < m->measured; i++)
		printf(" %.2f", m->times[i]);
	printf(" |\n");
}

static void
print_split(const struct method *m)
{
	const struct split *sp = &m->best;

	if (m->measured)
		printf("| %s | %.2f | %.2f | %.2f | %.2f |\n", m->name, sp->read,
		       sp->write, sp->sync,
		       sp->total - sp->read - sp->write - sp->sync);
}

static void
print_tables(int rounds)
{
	const struct split *api = &methods[0].best, *cp = &methods[2].best;
	size_t i;

	printf("| what | MB written | best of %d, s | MB/s | of which fsync, s |"
	       " every run, s |\n", rounds);
	printf("|---|---|---|---|---|---|\n");
	for (i = 0; i < N_METHODS; i++)
		if (methods[i].measured)
			print_row(&methods[i]);
	printf("\n");
	if (methods[0].measured && methods[2].measured && rate(cp) > 0)
		printf("backup API / cp: %.2fx (target: at least 0.90x);"
		       " with 1 MiB write()s: %.2fx\n\n", rate(api) / rate(cp),
		       rate(&methods[1].best) / rate(cp));
	if (methods[0].measured && methods[4].measured && rate(&methods[4].best) > 0)
		printf("backup API / dd (the same bytes through read() and write()"
		       " without the API): %.2fx\n\n",
		       rate(api) / rate(&methods[4].best));
	if (!methods[0].measured && !methods[1].measured)
		return;
	printf("Where the best backup API runs' time went:\n\n");
	printf("| run | CertSrvBackupRead, s | write(), s | fsync, s |"
	       " Prepare/lists/End/open/close, s |\n");
	printf("|---|---|---|---|---|\n");
	print_split(&methods[0]);
	print_split(&methods[1]);
}

/* ---------------------------------------------------------------- main */

static int
usage(void)
{
	fprintf(stderr, "usage: backup --data-dir DIR --target TDIR [--size-mb N]"
		" [--runs N] [--max-seconds S] [--certsrvd PATH]"
		" [--only api|api1m|cp|backup|vacuum|dd]\n");
	return 2;
}

static int
parse_opt(const char *name, const char *val)
{
	int r = bench_opts_parse(&o.common, name, val);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (!strcmp(name, "--data-dir"))
		return realpath(val, o.datadir) ? 0 : -1;
	if (!strcmp(name, "--target"))
		return snprintf(o.target, sizeof(o.target), "%s", val) <
				       (int)sizeof(o.target) ? 0 : -1;
	if (!strcmp(name, "--only")) {
		o.only = val;
		return 0;
	}
	return -1;
}

static int
parse_args(int argc, char **argv)
{
	int i;

	bench_opts_init(&o.common);
	o.fill_seconds = 900;
	for (i = 1; i + 1 < argc; i += 2)
		if (parse_opt(argv[i], argv[i + 1]) < 0)
			return -1;
	if (i != argc || !o.datadir[0] || !o.target[0])
		return -1;
	if (bench_join(dbpath, sizeof(dbpath), o.datadir, "db/ca.db") < 0 ||
	    bench_join(outdir, sizeof(outdir), o.target, "out") < 0 ||
	    bench_join(daemon_log, sizeof(daemon_log), o.target, "certsrvd.log") < 0)
		return -1;
	return fio_mkdirs(outdir, 0750) < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	pid_t pid;
	int r, rounds = 0;

	if (parse_args(argc, argv) < 0)
		return usage();
	bench_catch_signals();
	if (ensure_real_row() < 0 || fill_database() < 0)
		return 1;
	pid = bench_daemon_start(&certsrvd_run, NULL);
	if (pid < 0)
		return 1;
	r = measure_all(&rounds);
	bench_daemon_stop(&certsrvd_run, pid);
	if (r < 0)
		return 1;
	print_tables(rounds);
	return 0;
}
