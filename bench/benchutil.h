/*
 * benchutil.h — what the benchmark programs of bench/ (issue, backup,
 * backup-impact, restore) share: clocks, paths and options, small file
 * operations, running a command, a certsrvd child started and stopped by
 * its process id only, P-256 CSRs with a DNS name, one submission, the
 * certificate count of a database and the bulk fill of one.
 *
 * Benchmark-only code. Messages go to stderr, prefixed with the calling
 * program's name (`prog`); stdout is left to the programs' tables. Every
 * wait is bounded in time; nothing here judges a timing. Functions return
 * 0 or a negative value unless said otherwise; returned memory belongs to
 * the caller as stated at each function.
 */
#ifndef CERTSRV_BENCH_BENCHUTIL_H
#define CERTSRV_BENCH_BENCHUTIL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/x509.h>

/* ------------------------------------------------------------ basics */

/* Seconds on clock `id` (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID...). */
double bench_clock_s(clockid_t id);
/* Seconds on the monotonic clock. */
double bench_now_s(void);
/* out = "a/b"; -ENAMETOOLONG if that does not fit in n bytes. */
int bench_join(char *out, size_t n, const char *a, const char *b);
/* A whole decimal number in [lo, hi] into *v (written even on failure);
 * -1 if s is not one. */
int bench_parse_long(const char *s, long lo, long hi, long *v);
/* qsort comparator of doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);
/* out = "<directory of this program>/../name" (where the build puts
 * certsrv and certsrvd next to bench/), or plain `name` (found through
 * PATH) when that directory is unknown or the path does not fit. */
void bench_sibling_program(const char *name, char *out, size_t n);

/* Options that bench/backup and bench/restore both take, with the same
 * bounds and defaults (each program says what its --max-seconds bounds). */
#define BENCH_MAX_RUNS 10
struct bench_opts {
	char certsrvd[PATH_MAX];  /* --certsrvd PATH: default ../certsrvd */
	long size_mb;             /* --size-mb N (1..2^22): 1024 */
	int runs;                 /* --runs N (1..BENCH_MAX_RUNS): 3 */
	double max_seconds;       /* --max-seconds S (1..86400): 600 */
};

/* The defaults. */
void bench_opts_init(struct bench_opts *c);
/* One "name value" pair: 1 if it was one of these options, 0 if name is
 * none of them, -1 if its value is wrong. */
int bench_opts_parse(struct bench_opts *c, const char *name, const char *val);

/* ------------------------------------------------------------- files */

/* Size of a file in bytes; 0 if it cannot be stat'd. */
uint64_t bench_file_size(const char *path);
/* fsync one file by path (the output of another program); 0 or -errno. */
int bench_fsync_path(const char *path);
/* Remove every entry of dir whose name does not start with '.' (the
 * files of a previous run; not recursive). */
int bench_empty_dir(const char *dir);
/* Run argv (argv[0] searched in PATH) and wait for it; 0 if it exited 0.
 * Its stdout, and then its stderr too, go to `log` (created or truncated),
 * or stdout to /dev/null when log is NULL. A failure is reported on stderr
 * as "prog: argv[0] argv[1] failed (...)". */
int bench_run_command(const char *prog, char *const argv[], const char *log);

/* --------------------------------------------------- a certsrvd child */

/* How to run one certsrvd: all fields set by the caller; the strings are
 * borrowed and must outlive the daemon's run. */
struct bench_daemon {
	const char *prog;        /* the calling program, for messages */
	const char *certsrvd;    /* program to execute */
	const char *datadir;     /* its --data-dir */
	const char *log;         /* its stdout and stderr */
	int append_log;          /* append to log (else truncate it) */
	int probe;               /* request it must answer to be up:
				  * PROTO_PING or PROTO_STATUS */
	unsigned poll_us;        /* between two probes */
	double start_timeout_s;  /* bound of the start (recovery included) */
	double stop_timeout_s;   /* SIGTERM, then SIGKILL after this */
};

/* On SIGINT, SIGTERM or SIGHUP: SIGTERM to the certsrvd started by
 * bench_daemon_start (if one runs), then die of the signal. */
void bench_catch_signals(void);
/* 1 if the certsrvd of datadir answers request `op` (a PROTO_* with no
 * fields), else 0. */
int bench_daemon_answers(const char *datadir, int op);
/* Fork and execute certsrvd, wait until it answers d->probe; *secs (if not
 * NULL) = seconds from the fork until then. Returns its pid, or -1 (it
 * exited, or did not answer in time and was killed). One daemon at a time:
 * its pid is what the signal handler stops. */
pid_t bench_daemon_start(const struct bench_daemon *d, double *secs);
/* Stop the daemon that bench_daemon_start(d) returned, by its pid: SIGTERM,
 * SIGKILL after d->stop_timeout_s; reaped either way. pid <= 0: nothing. */
void bench_daemon_stop(const struct bench_daemon *d, pid_t pid);

/* -------------------------------------------------------- certificates */

/* A new P-256 request for CN=cn with the subject alternative name DNS:cn
 * (the tls-server profile wants one), signed with SHA-256; NULL on failure.
 * The caller owns it (X509_REQ_free). */
X509_REQ *bench_make_req(const char *cn);
/* The same, encoded: *der is allocated by OpenSSL (the caller frees it with
 * OPENSSL_free); returns its length, or -1 with *der NULL. */
int bench_make_csr(const char *cn, unsigned char **der);
/* Submit one new CSR for cn (DER, over the Unix socket) to the certsrvd of
 * datadir; 0 if the request was answered (a certificate was issued). */
int bench_submit_one(const char *prog, const char *datadir, const char *cn);
/* *n = the number of rows of the certificates table of dbpath (a reader
 * connection); *n = 0 on failure. */
int bench_count_certs(const char *dbpath, int64_t *n);
/* The bulk fill of a stopped CA's ca.db (bulkfill.h, benchmark only: no
 * redo records) until it reaches `want` bytes or max_seconds pass: one
 * transaction on a writer connection with synchronous=OFF, then
 * wal_checkpoint(TRUNCATE) and an fsync of dbpath. *rows = copies added. */
int bench_fill_db(const char *prog, const char *dbpath, int64_t want,
		  double max_seconds, int64_t *rows);

#endif
