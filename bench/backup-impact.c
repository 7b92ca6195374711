/*
 * bench/backup-impact.c — what a full online backup costs the issuance of a
 * running certsrvd: certificates/s and p50/p99 latency with and without a
 * backup running at the same time.
 *
 *   backup-impact --server DIR --target TDIR [--clients N] [--seconds S]
 *                 [--csrs M] [--write-kib K] [--backup-nice N] [--discard]
 *
 * 1. Generates M P-256 CSRs in memory (not timed; default 2000), used in
 *    turn.
 * 2. Three windows of S seconds each (default 10), in this order:
 *      no backup (before)    N client threads, each on its own connection,
 *                            submit CSRs (DER) over the Unix socket and wait
 *                            for the durable reply (as bench/issue does);
 *      during full backups   the same, while one thread loops full backups
 *                            through the backup API (UTF-8 entry points,
 *                            ca.db + logs, 1 MiB reads, into TDIR/out, each
 *                            file fsync'd, the files deleted after each
 *                            backup) for the whole window;
 *      no backup (after)     the same as the first, so drift (a growing
 *                            database, a warmer cache) shows.
 * Each 1 MiB read is written with one write() (as `certsrv backup` does),
 * or in --write-kib pieces; --backup-nice runs the backup thread at that
 * nice value (the daemon's side of the transfer is not reniced).
 * --discard (a diagnostic) reads every byte through the API but writes
 * nothing, to tell the cost of the transfer from that of the writes.
 * Prints a Markdown table and the rate with backups as a percentage of the
 * mean of the two windows without. Every loop is bounded in time and count;
 * timing never fails anything: exit 0 unless a request or a backup fails.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "apibackup.h"
#include "benchutil.h"
#include "common/client.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/proto.h"

#define MB 1e6
#define MAX_RATE 50000     /* latency slots per second of window */
#define MAX_BACKUPS 10000  /* per window */

struct window {
	const char *name;
	double seconds;       /* from start to the last reply */
	double *lat;          /* latencies, seconds */
	atomic_long next;     /* requests started */
	long done;            /* latencies recorded */
	int backups;          /* full backups completed in the window */
	double backup_secs;   /* time the backup thread ran */
	double backup_cpu;    /* CPU time it used (user + system) */
	uint64_t backup_bytes;
};

static const char *server;
static char outdir[PATH_MAX];
static unsigned char **csr_der;
static int *csr_len;
static int n_csrs;
static long lat_cap;
static double deadline;
static struct window *cur;
static atomic_int failures;
static atomic_int stop_backups;
static int discard;   /* --discard: read through the API, write nothing */
static size_t write_chunk = API_READ_BUFFER; /* --write-kib: bytes per write() */
static int backup_nice;  /* --backup-nice: the backup thread's nice value */

/* ------------------------------------------------------------------ CSRs */

/* n CSRs "impact-<i>.bench.example" in DER (OpenSSL-allocated). */
static int
make_csrs(int n)
{
	char cn[64];
	int i;

	csr_der = calloc((size_t)n, sizeof(*csr_der));
	csr_len = calloc((size_t)n, sizeof(*csr_len));
	if (!csr_der || !csr_len)
		return -1;
	n_csrs = n;
	for (i = 0; i < n; i++) {
		snprintf(cn, sizeof(cn), "impact-%d.bench.example", i);
		if ((csr_len[i] = bench_make_csr(cn, &csr_der[i])) <= 0)
			return -1;
	}
	return 0;
}

static void
free_csrs(void)
{
	int i;

	for (i = 0; csr_der && i < n_csrs; i++)
		OPENSSL_free(csr_der[i]);
	free(csr_der);
	free(csr_len);
}

/* --------------------------------------------------------------- clients */

static void
note_failure(const char *what, const char *msg)
{
	if (failures++ == 0)
		fprintf(stderr, "backup-impact: %s: %s\n", what, msg);
}

/* Submit CSRs until the deadline (or the latency slots run out). */
static void *
client_main(void *arg)
{
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;
	char *msg = NULL;
	double t0;
	long i;
	int r;

	(void)arg;
	r = client_connect(server, &c);
	if (r < 0) {
		note_failure("connect", cs_strerror(r));
		return NULL;
	}
	while (bench_now_s() < deadline && (i = cur->next++) < lat_cap) {
		buf_reset(&req);
		proto_begin(&req, PROTO_SUBMIT, 0);
		proto_put_bytes(&req, PT_CSR, csr_der[i % n_csrs],
				(size_t)csr_len[i % n_csrs]);
		t0 = bench_now_s();
		r = client_call(c, &req, &reply, &msg);
		cur->lat[i] = bench_now_s() - t0;
		if (r != 0)
			note_failure("submit", msg ? msg : cs_strerror(r));
		free(msg);
		msg = NULL;
	}
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
	return NULL;
}

/* ---------------------------------------------------------------- backup */

/* One full backup through the API into outdir (see the header). */
static int
full_backup(char *buf, uint64_t *bytes)
{
	struct api_backup b = { .prog = "backup-impact", .dir = outdir, .buf = buf,
				.write_chunk = write_chunk, .discard = discard };
	int r = api_full_backup(server, &b);

	*bytes += b.bytes;
	return r;
}

/* Full backups, one after another, until told to stop. */
static void *
backup_main(void *arg)
{
	char *buf = malloc(API_READ_BUFFER);
	double t0 = bench_now_s(), cpu0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);

	(void)arg;
	/* Linux: nice applies to this thread alone. */
	if (backup_nice && setpriority(PRIO_PROCESS, (id_t)gettid(), backup_nice) < 0)
		perror("backup-impact: setpriority");
	while (buf && !stop_backups && cur->backups < MAX_BACKUPS) {
		if (full_backup(buf, &cur->backup_bytes) < 0 || bench_empty_dir(outdir) < 0) {
			failures++;
			break;
		}
		cur->backups++;
	}
	cur->backup_secs = bench_now_s() - t0;
	cur->backup_cpu = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	free(buf);
	return NULL;
}

/* ---------------------------------------------------------------- windows */

/* One window: clients for `seconds`, with the backup loop if `backup`. */
static int
run_window(struct window *w, int clients, double seconds, int backup)
{
	pthread_t *t = calloc((size_t)clients, sizeof(*t)), bt;
	double t0;
	int i;

	w->lat = calloc((size_t)lat_cap, sizeof(double));
	cur = w;
	stop_backups = 0;
	if (!t || !w->lat ||
	    (backup && pthread_create(&bt, NULL, backup_main, NULL) != 0)) {
		free(t);
		return -1;
	}
	t0 = bench_now_s();
	deadline = t0 + seconds;
	for (i = 0; i < clients; i++)
		pthread_create(&t[i], NULL, client_main, NULL);
	for (i = 0; i < clients; i++)
		pthread_join(t[i], NULL);
	w->seconds = bench_now_s() - t0;
	stop_backups = 1;
	if (backup)
		pthread_join(bt, NULL);
	free(t);
	w->done = cur->next < lat_cap ? (long)cur->next : lat_cap;
	qsort(w->lat, (size_t)w->done, sizeof(double), bench_cmp_double);
	return 0;
}

static double
per_second(const struct window *w)
{
	return w->seconds > 0 ? (double)w->done / w->seconds : 0;
}

static double
pct_ms(const struct window *w, int pct)
{
	return w->done ? w->lat[(w->done * pct) / 100] * 1e3 : 0;
}

static void
print_row(const struct window *w, int clients)
{
	printf("| %s", w->name);
	if (w->backups || w->backup_secs > 0) {
		printf(" (%d full backups, ", w->backups);
		if (discard)
			printf("read and discarded, ");
		else
			printf("%zu KiB write()s, ", write_chunk / 1024);
		if (backup_nice)
			printf("nice %d, ", backup_nice);
		printf("%.0f MB/s, backup thread %.0f%% of a core)",
		       (double)w->backup_bytes / MB / w->backup_secs,
		       100.0 * w->backup_cpu / w->backup_secs);
	}
	printf(" | %d | %.1f | %ld | %.0f | %.2f | %.2f |\n", clients,
	       w->seconds, w->done, per_second(w), pct_ms(w, 50), pct_ms(w, 99));
}

static void
print_table(struct window *w, int clients)
{
	double without = (per_second(&w[0]) + per_second(&w[2])) / 2;
	double p99 = (pct_ms(&w[0], 99) + pct_ms(&w[2], 99)) / 2;
	int i;

	printf("| what | clients | seconds | requests | per second | p50 ms | p99 ms |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (i = 0; i < 3; i++)
		print_row(&w[i], clients);
	printf("\nduring full backups: %.0f%% of the rate without (mean of before"
	       " and after; target: at least 90%%), p99 %.1fx; %d failures\n",
	       without > 0 ? 100.0 * per_second(&w[1]) / without : 0,
	       p99 > 0 ? pct_ms(&w[1], 99) / p99 : 0, (int)failures);
}

/* ------------------------------------------------------------------ main */

static int
usage(void)
{
	fprintf(stderr, "usage: backup-impact --server DIR --target TDIR"
		" [--clients N] [--seconds S] [--csrs M] [--write-kib K]"
		" [--backup-nice N] [--discard]\n");
	return 2;
}

static int
parse_int(const char *s, long lo, long hi, int *v)
{
	long x;

	if (bench_parse_long(s, lo, hi, &x) < 0)
		return -1;
	*v = (int)x;
	return 0;
}

struct args {
	int clients, seconds, ncsr, write_kib;
	const char *target;
};

/* One "--name value" option; -1 if unknown or out of range. */
static int
parse_opt(struct args *a, const char *name, const char *val)
{
	if (!strcmp(name, "--server"))
		server = val;
	else if (!strcmp(name, "--target"))
		a->target = val;
	else if (!strcmp(name, "--clients"))
		return parse_int(val, 1, 1024, &a->clients);
	else if (!strcmp(name, "--seconds"))
		return parse_int(val, 1, 3600, &a->seconds);
	else if (!strcmp(name, "--csrs"))
		return parse_int(val, 1, 1000000, &a->ncsr);
	else if (!strcmp(name, "--write-kib"))
		return parse_int(val, 4, 1024, &a->write_kib);
	else if (!strcmp(name, "--backup-nice"))
		return parse_int(val, 0, 19, &backup_nice);
	else
		return -1;
	return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	int i, r = 0;

	for (i = 1; r == 0 && i < argc; i++) {
		if (!strcmp(argv[i], "--discard"))
			discard = 1;
		else if (i + 1 < argc) {
			r = parse_opt(a, argv[i], argv[i + 1]);
			i++;
		} else {
			r = -1;
		}
	}
	return r == 0 && server && a->target ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct window w[3] = { { .name = "issuance, no backup (before)" },
			       { .name = "issuance during full backups" },
			       { .name = "issuance, no backup (after)" } };
	struct args a = { .clients = 8, .seconds = 10, .ncsr = 2000,
			  .write_kib = 1024 };
	int i, r = 0;

	if (parse_args(argc, argv, &a) < 0)
		return usage();
	write_chunk = (size_t)a.write_kib * 1024;
	if (bench_join(outdir, sizeof(outdir), a.target, "out") < 0 ||
	    fio_mkdirs(outdir, 0750) < 0 ||
	    make_csrs(a.ncsr) < 0) {
		fprintf(stderr, "backup-impact: cannot prepare %s or the CSRs\n", outdir);
		return 1;
	}
	lat_cap = (long)a.seconds * MAX_RATE;
	for (i = 0; r == 0 && i < 3; i++)
		r = run_window(&w[i], a.clients, a.seconds, i == 1);
	if (r == 0)
		print_table(w, a.clients);
	for (i = 0; i < 3; i++)
		free(w[i].lat);
	free_csrs();
	return r < 0 || failures ? 1 : 0;
}
