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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <certsrv/certbcli.h>

#include "common/client.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/proto.h"

#define READ_BUFFER (1024u * 1024u)
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
static size_t write_chunk = READ_BUFFER; /* --write-kib: bytes per write() */
static int backup_nice;  /* --backup-nice: the backup thread's nice value */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* ------------------------------------------------------------------ CSRs */

static int
add_san(X509_REQ *req, const char *dns)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	char san[128];
	int ok = 0;

	snprintf(san, sizeof(san), "DNS:%s", dns);
	X509V3_set_ctx_nodb(&ctx);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name, san);
	if (exts && ext && sk_X509_EXTENSION_push(exts, ext) > 0) {
		ext = NULL;
		ok = X509_REQ_add_extensions(req, exts) == 1;
	}
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok;
}

/* CSR number i in DER (OpenSSL-allocated); its length or -1. */
static int
make_csr(int i, unsigned char **der)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	char cn[64];
	int len = -1;

	*der = NULL;
	snprintf(cn, sizeof(cn), "impact-%d.bench.example", i);
	if (key && req && X509_REQ_set_pubkey(req, key) == 1 &&
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
				       MBSTRING_ASC, (const unsigned char *)cn,
				       -1, -1, 0) == 1 &&
	    add_san(req, cn) && X509_REQ_sign(req, key, EVP_sha256()) > 0)
		len = i2d_X509_REQ(req, der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return len;
}

static int
make_csrs(int n)
{
	int i;

	csr_der = calloc((size_t)n, sizeof(*csr_der));
	csr_len = calloc((size_t)n, sizeof(*csr_len));
	if (!csr_der || !csr_len)
		return -1;
	for (i = 0; i < n; i++)
		if ((csr_len[i] = make_csr(i, &csr_der[i])) <= 0)
			return -1;
	n_csrs = n;
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
	while (now_s() < deadline && (i = cur->next++) < lat_cap) {
		buf_reset(&req);
		proto_begin(&req, PROTO_SUBMIT, 0);
		proto_put_bytes(&req, PT_CSR, csr_der[i % n_csrs],
				(size_t)csr_len[i % n_csrs]);
		t0 = now_s();
		r = client_call(c, &req, &reply, &msg);
		cur->lat[i] = now_s() - t0;
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

static int
api_fail(const char *what, HRESULT hr)
{
	fprintf(stderr, "backup-impact: %s failed: 0x%08X %s\n", what,
		(unsigned)hr, CertSrvGetErrorMessage(hr));
	return -1;
}

static int
write_chunked(int fd, const char *buf, size_t len)
{
	size_t off, n;
	int r = 0;

	for (off = 0; r == 0 && off < len; off += n) {
		n = len - off < write_chunk ? len - off : write_chunk;
		r = fio_write_full(fd, buf + off, n);
	}
	return r;
}

/* Read the open file into fd with a 1 MiB buffer; *bytes grows. */
static int
api_pump(HCSBC h, int fd, char *buf, uint64_t *bytes)
{
	DWORD got = 0;
	HRESULT hr;

	for (;;) {
		hr = CertSrvBackupRead(h, buf, READ_BUFFER, &got);
		if (hr != S_OK)
			return api_fail("CertSrvBackupRead", hr);
		if (got == 0)
			return 0;
		if (!discard && write_chunked(fd, buf, got) < 0) {
			perror("backup-impact: write");
			return -1;
		}
		*bytes += got;
	}
}

/* Copy one listed file (name without its tag) to outdir, fsync'd. */
static int
api_copy_file(HCSBC h, const char *name, char *buf, uint64_t *bytes)
{
	const char *base = strrchr(name, '/');
	char path[PATH_MAX];
	LARGE_INTEGER size;
	HRESULT hr;
	int fd, r, k;

	base = base ? base + 1 : name;
	k = snprintf(path, sizeof(path), "%s/%s", outdir, base);
	if (k < 0 || (size_t)k >= sizeof(path))
		return -1;
	hr = CertSrvBackupOpenFile(h, name, READ_BUFFER, &size);
	if (hr != S_OK)
		return api_fail("CertSrvBackupOpenFile", hr);
	fd = discard ? -1 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	r = fd < 0 && !discard ? -1 : api_pump(h, fd, buf, bytes);
	if (r == 0 && fd >= 0 && fsync(fd) < 0)
		r = -1;
	if (fd >= 0)
		close(fd);
	hr = CertSrvBackupClose(h);
	return r == 0 && hr == S_OK ? 0 : -1;
}

static int
api_copy_list(HCSBC h, const char *list, char *buf, uint64_t *bytes)
{
	const char *e;
	int r = 0;

	for (e = list; r == 0 && *e; e += strlen(e) + 1)
		r = api_copy_file(h, e + 1, buf, bytes);
	return r;
}

/* One full backup (database and logs) into outdir. */
static int
api_backup(char *buf, uint64_t *bytes)
{
	char *list = NULL;
	DWORD cb = 0;
	HCSBC h = NULL;
	HRESULT hr;
	int r;

	hr = CertSrvBackupPrepare(server, 0, CSBACKUP_TYPE_FULL, &h);
	if (hr != S_OK)
		return api_fail("CertSrvBackupPrepare", hr);
	hr = CertSrvBackupGetDatabaseNames(h, &list, &cb);
	r = hr == S_OK ? api_copy_list(h, list, buf, bytes)
		       : api_fail("CertSrvBackupGetDatabaseNames", hr);
	CertSrvBackupFree(list);
	list = NULL;
	if (r == 0) {
		hr = CertSrvBackupGetBackupLogs(h, &list, &cb);
		r = hr == S_OK ? api_copy_list(h, list, buf, bytes)
			       : api_fail("CertSrvBackupGetBackupLogs", hr);
	}
	CertSrvBackupFree(list);
	hr = CertSrvBackupEnd(h);
	if (r == 0 && hr != S_OK)
		r = api_fail("CertSrvBackupEnd", hr);
	return r;
}

/* Remove every file of outdir (the previous backup). */
static int
empty_outdir(void)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(outdir);
	int r = 0, k;

	if (!d)
		return -errno;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		k = snprintf(path, sizeof(path), "%s/%s", outdir, e->d_name);
		if (k < 0 || (size_t)k >= sizeof(path) || unlink(path) < 0)
			r = -1;
	}
	closedir(d);
	return r;
}

/* Full backups, one after another, until told to stop. */
static void *
backup_main(void *arg)
{
	char *buf = malloc(READ_BUFFER);
	double t0 = now_s(), cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);

	(void)arg;
	/* Linux: nice applies to this thread alone. */
	if (backup_nice && setpriority(PRIO_PROCESS, (id_t)gettid(), backup_nice) < 0)
		perror("backup-impact: setpriority");
	while (buf && !stop_backups && cur->backups < MAX_BACKUPS) {
		if (api_backup(buf, &cur->backup_bytes) < 0 || empty_outdir() < 0) {
			failures++;
			break;
		}
		cur->backups++;
	}
	cur->backup_secs = now_s() - t0;
	cur->backup_cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	free(buf);
	return NULL;
}

/* ---------------------------------------------------------------- windows */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

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
	t0 = now_s();
	deadline = t0 + seconds;
	for (i = 0; i < clients; i++)
		pthread_create(&t[i], NULL, client_main, NULL);
	for (i = 0; i < clients; i++)
		pthread_join(t[i], NULL);
	w->seconds = now_s() - t0;
	stop_backups = 1;
	if (backup)
		pthread_join(bt, NULL);
	free(t);
	w->done = cur->next < lat_cap ? (long)cur->next : lat_cap;
	qsort(w->lat, (size_t)w->done, sizeof(double), cmp_double);
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
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || end == s || *end || x < lo || x > hi)
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
	int i, r = 0, k;

	if (parse_args(argc, argv, &a) < 0)
		return usage();
	write_chunk = (size_t)a.write_kib * 1024;
	k = snprintf(outdir, sizeof(outdir), "%s/out", a.target);
	if (k < 0 || (size_t)k >= sizeof(outdir) || fio_mkdirs(outdir, 0750) < 0 ||
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
