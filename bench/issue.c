/*
 * bench/issue.c — issuance throughput of a running certsrvd, next to what
 * this machine's OpenSSL can do for the same cryptographic work.
 *
 *   issue --server DIR [--clients N] [--count M]
 *
 * 1. Generates M P-256 CSRs in memory (not timed).
 * 2. certsrvd: N client threads, each on its own connection, submit the CSRs
 *    (DER) and wait for the durable reply; prints certificates/s and p50/p99
 *    latency.
 * 3. OpenSSL limits, one thread per core, for the same M requests: (a) one
 *    CSR signature verification + one certificate signature (P-256, SHA-256)
 *    per request, on CSRs decoded beforehand; (b) the same plus decoding the
 *    DER CSR, which any CA must do with what it receives. Each is measured
 *    before and after the daemon run and the faster run is kept.
 *    --daemon-only skips them (for profiling the daemon alone).
 * 4. Where certsrvd's CPU goes: its CPU time per certificate during the run
 *    (from /proc; the daemon's pid is in DIR/run/certsrvd.lock), split into
 *    the commit thread (SQLite, changesets, redo log, fsync) and the
 *    connection threads (socket, CSR intake, certificate building, signing);
 *    and the CA work alone — ca_csr_parse + ca_issue + DER, the daemon's own
 *    functions with the CA's own key, on one thread, nothing else. From
 *    these, the ceiling: the rate certsrvd would reach if its connection
 *    threads did nothing but the CA work and cost no socket or scheduling,
 *    with the commit thread as measured.
 * Prints a Markdown table. Timing never fails anything: exit 0 unless a
 * request fails.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "benchutil.h"
#include "ca/csr.h"
#include "ca/issue.h"
#include "ca/keys.h"
#include "ca/profile.h"
#include "ca/serial.h"
#include "common/client.h"
#include "common/errors.h"
#include "common/proto.h"
#include "store/commit.h"

struct csr {
	X509_REQ *req;
	unsigned char *der;
	int len;
};

static struct csr *csrs;
static int n_csrs;
static const char *server;
static double *latencies;
static _Atomic int next_index;
static _Atomic int failures;

/* M new CSRs, each kept decoded and in DER; -1 if one cannot be made. */
static int
make_csrs(int n)
{
	char cn[64];
	int i;

	csrs = calloc((size_t)n, sizeof(*csrs));
	if (!csrs)
		return -1;
	n_csrs = n;
	for (i = 0; i < n; i++) {
		snprintf(cn, sizeof(cn), "bench-%d.example.com", i);
		csrs[i].req = bench_make_req(cn);
		csrs[i].der = NULL;
		csrs[i].len = csrs[i].req ? i2d_X509_REQ(csrs[i].req, &csrs[i].der) : -1;
		if (csrs[i].len <= 0)
			return -1;
	}
	return 0;
}

static void *
client_main(void *arg)
{
	struct cs_client *c = NULL;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	char *msg = NULL;
	double t0;
	int i;

	(void)arg;
	int r = client_connect(server, &c);

	if (r < 0) {
		if (failures++ == 0)
			fprintf(stderr, "issue: cannot connect to %s: %s\n", server,
				cs_strerror(r));
		return NULL;
	}
	while ((i = next_index++) < n_csrs) {
		buf_reset(&req);
		proto_begin(&req, PROTO_SUBMIT, 0);
		proto_put_bytes(&req, PT_CSR, csrs[i].der, (size_t)csrs[i].len);
		t0 = bench_now_s();
		if (client_call(c, &req, &reply, &msg) != 0) {
			if (failures++ == 0)
				fprintf(stderr, "issue: request failed: %s\n",
					msg ? msg : "transport error");
			free(msg);
			msg = NULL;
		}
		latencies[i] = bench_now_s() - t0;
	}
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
	return NULL;
}

static double
run_threads(int n, void *(*fn)(void *))
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	double t0 = bench_now_s();
	int i;

	next_index = 0;
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fn, NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
	return bench_now_s() - t0;
}

/* The OpenSSL-only limit: verify the CSR, sign a certificate. */
static EVP_PKEY *ca_key;
static X509 *template_cert;

/* One OpenSSL-only request: verify the CSR's signature and sign one
 * certificate (P-256, SHA-256). With `decode`, the DER CSR is decoded first,
 * as any CA must do with what it receives; without it the CSR objects decoded
 * before the run are used (the issue's "one CSR verify + one sign"). */
static int limit_decodes;

static void *
openssl_main(void *arg)
{
	X509 *x = X509_dup(template_cert);   /* this thread's own, not timed */
	X509_REQ *req;
	int i;

	(void)arg;
	while ((i = next_index++) < n_csrs) {
		const unsigned char *p = csrs[i].der;

		req = limit_decodes ? d2i_X509_REQ(NULL, &p, csrs[i].len)
				    : csrs[i].req;
		if (!req || X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1)
			failures++;
		if (limit_decodes)
			X509_REQ_free(req);
		/* A new serial makes a new certificate to sign. */
		if (!x || ASN1_INTEGER_set(X509_get_serialNumber(x), i + 1) != 1 ||
		    X509_sign(x, ca_key, EVP_sha256()) <= 0)
			failures++;
	}
	X509_free(x);
	return NULL;
}

/* The best of two runs (before and after the daemon's): the comparison never
 * flatters certsrvd. */
static double
limit_seconds(int cores, int decode)
{
	limit_decodes = decode;
	return run_threads(cores, openssl_main);
}

static void
make_template(void)
{
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	template_cert = X509_new();
	X509_set_version(template_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(template_cert), 12345);
	X509_set_pubkey(template_cert, X509_REQ_get0_pubkey(csrs[0].req));
	X509_set_subject_name(template_cert, X509_REQ_get_subject_name(csrs[0].req));
	X509_set_issuer_name(template_cert, X509_REQ_get_subject_name(csrs[0].req));
	X509_gmtime_adj(X509_getm_notBefore(template_cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(template_cert), 86400);
	X509_sign(template_cert, ca_key, EVP_sha256()); /* so it can be copied */
}

/* ------------------------------------------- where certsrvd's CPU goes */

/* CPU seconds (user + system) in a /proc stat file; -1 if unreadable. */
static double
stat_cpu_s(const char *path)
{
	unsigned long long utime, stime;
	char line[1024], *p;
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	/* After "(comm)": state, then fields 4..13, then utime and stime. */
	if (p)
		n = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			   &utime, &stime);
	return n == 2 ? (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK) : -1;
}

struct daemon_cpu {
	double total;   /* the whole process, exited threads included */
	double commit;  /* the thread named COMMIT_THREAD_NAME */
	double main;    /* the main thread (accepts, signals) */
};

/* certsrvd's pid from DIR/run/certsrvd.lock; 0 if unknown. */
static long
daemon_pid(void)
{
	char path[PATH_MAX];
	long pid = 0;
	FILE *f;

	if (bench_join(path, sizeof(path), server, "run/certsrvd.lock") < 0 ||
	    !(f = fopen(path, "r")))
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

/* A snapshot of the daemon's CPU; -1 if /proc cannot tell. */
static int
daemon_cpu(long pid, struct daemon_cpu *out)
{
	char path[PATH_MAX], comm[32];
	struct dirent *e;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	out->total = stat_cpu_s(path);
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", pid, pid);
	out->main = stat_cpu_s(path);
	out->commit = -1;
	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	if (pid <= 0 || !(d = opendir(path)))
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/comm", pid, e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    strcmp(comm, COMMIT_THREAD_NAME "\n") == 0) {
			snprintf(path, sizeof(path), "/proc/%ld/task/%s/stat", pid,
				 e->d_name);
			out->commit = stat_cpu_s(path);
		}
		fclose(f);
	}
	closedir(d);
	return out->total < 0 || out->main < 0 || out->commit < 0 ? -1 : 0;
}

/* The CA work of one submission, with the daemon's own functions and the
 * CA's own key, on this thread only: CPU seconds per request over all the
 * CSRs, or -1 (with a message) if it cannot be done. */
static double
ca_work_seconds(void)
{
	char path[PATH_MAX], err[256];
	struct ca_signer *signer = NULL;
	struct ca_profile profile;
	EVP_PKEY *key = NULL;
	X509 *cacert = NULL;
	double t0, secs = -1;
	int i, r;

	r = bench_join(path, sizeof(path), server, "ca/ca.key");
	if (r == 0)
		r = ca_key_load(path, &key, err, sizeof(err));
	if (r == 0)
		r = bench_join(path, sizeof(path), server, "ca/ca.crt");
	if (r == 0)
		r = ca_cert_load_pem(path, &cacert, err, sizeof(err));
	if (r == 0)
		r = ca_signer_new(key, cacert, &signer);
	if (r == 0)
		r = ca_profile_builtin("tls-server", &profile);
	if (r < 0) {
		fprintf(stderr, "issue: cannot load the CA of %s: %s\n", server,
			cs_strerror(r));
		goto out;
	}
	t0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < n_csrs; i++) {
		uint8_t serial[CA_SERIAL_LEN], *der = NULL;
		struct ca_csr *req = NULL;
		X509 *cert = NULL;
		size_t len = 0;

		r = ca_csr_parse(csrs[i].der, (size_t)csrs[i].len, &req, err,
				 sizeof(err));
		if (r == 0)
			r = ca_serial_random(serial);
		if (r == 0)
			r = ca_issue(signer, req, &profile, NULL, serial, time(NULL),
				     0, &cert, err, sizeof(err));
		if (r == 0)
			r = ca_cert_der(cert, &der, &len);
		X509_free(cert);
		free(der);
		ca_csr_free(req);
		if (r < 0) {
			fprintf(stderr, "issue: CA work failed: %s\n", err);
			goto out;
		}
	}
	secs = (bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - t0) / n_csrs;
out:
	ca_signer_free(signer);
	X509_free(cacert);
	EVP_PKEY_free(key);
	return secs;
}

/* The rows that say where certsrvd's CPU went (per certificate, in µs). */
static void
print_breakdown(const struct daemon_cpu *a, const struct daemon_cpu *b,
		double ca_work, double verify_secs, int count, int cores)
{
	double total = (b->total - a->total) / count * 1e6;
	double commit = (b->commit - a->commit) / count * 1e6;
	double mainth = (b->main - a->main) / count * 1e6;
	double ceiling = cores / (ca_work + commit * 1e-6);

	printf("\nWhere certsrvd's CPU goes, per certificate: %.0f µs in all ="
	       " connection threads %.0f + commit thread %.0f + main thread %.0f.\n",
	       total, total - commit - mainth, commit, mainth);
	printf("The CA work alone (ca_csr_parse + ca_issue + DER, one thread): %.0f µs.\n",
	       ca_work * 1e6);
	if (verify_secs > 0)
		printf("Ceiling (connection threads doing only the CA work, no socket"
		       " or scheduling; commit thread as measured): %.0f/s = %.0f%%"
		       " of verify+sign.\n", ceiling,
		       100.0 * verify_secs * ceiling / count);
	else
		printf("Ceiling (connection threads doing only the CA work, no socket"
		       " or scheduling; commit thread as measured): %.0f/s.\n",
		       ceiling);
}

int
main(int argc, char **argv)
{
	int clients = 8, count = 4000, cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	double secs, verify_secs, decode_secs, ca_work;
	struct daemon_cpu cpu0, cpu1;
	int i, daemon_only = 0, have_cpu;
	long pid;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--daemon-only"))
			daemon_only = 1;
		else if (!strcmp(argv[i], "--server") && i + 1 < argc)
			server = argv[++i];
		else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
			clients = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: issue --server DIR [--clients N] [--count M] [--daemon-only]\n");
			return 2;
		}
	}
	if (!server || clients < 1 || count < 1) {
		fprintf(stderr, "usage: issue --server DIR [--clients N] [--count M] [--daemon-only]\n");
		return 2;
	}
	if (make_csrs(count) < 0) {
		fprintf(stderr, "issue: cannot make %d CSRs\n", count);
		return 1;
	}
	latencies = calloc((size_t)count, sizeof(double));
	verify_secs = decode_secs = -1;
	if (!daemon_only) {
		make_template();
		/* Pre-decoded CSRs have their public key cached by OpenSSL: warm it. */
		(void)limit_seconds(cores, 0);
		verify_secs = limit_seconds(cores, 0);
		decode_secs = limit_seconds(cores, 1);
	}
	pid = daemon_pid();
	have_cpu = daemon_cpu(pid, &cpu0) == 0;
	secs = run_threads(clients, client_main);
	have_cpu = have_cpu && daemon_cpu(pid, &cpu1) == 0;
	qsort(latencies, (size_t)count, sizeof(double), bench_cmp_double);
	ca_work = ca_work_seconds();
	if (daemon_only) {
		printf("certsrvd submit (durable): %d requests, %d clients: %.0f/s,"
		       " p50 %.2f ms, p99 %.2f ms, %d failures\n", count, clients,
		       count / secs, latencies[count / 2] * 1e3,
		       latencies[(count * 99) / 100] * 1e3, (int)failures);
		if (have_cpu && ca_work > 0)
			print_breakdown(&cpu0, &cpu1, ca_work, -1, count, cores);
		return failures ? 1 : 0;
	}
	verify_secs = fmin(verify_secs, limit_seconds(cores, 0));
	decode_secs = fmin(decode_secs, limit_seconds(cores, 1));

	printf("| what | requests | clients/threads | per second | p50 ms | p99 ms |\n");
	printf("|---|---|---|---|---|---|\n");
	printf("| certsrvd submit (durable) | %d | %d | %.0f | %.2f | %.2f |\n",
	       count, clients, count / secs, latencies[count / 2] * 1e3,
	       latencies[(count * 99) / 100] * 1e3);
	printf("| OpenSSL limit: verify + sign | %d | %d | %.0f | - | - |\n",
	       count, cores, count / verify_secs);
	printf("| OpenSSL limit: decode DER + verify + sign | %d | %d | %.0f | - | - |\n",
	       count, cores, count / decode_secs);
	printf("\ncertsrvd: %.0f%% of verify+sign, %.0f%% of decode+verify+sign;"
	       " %d failures\n", 100.0 * verify_secs / secs,
	       100.0 * decode_secs / secs, (int)failures);
	if (have_cpu && ca_work > 0)
		print_breakdown(&cpu0, &cpu1, ca_work, verify_secs, count, cores);
	else
		printf("(where certsrvd's CPU goes: not measured; /proc or the CA's"
		       " files could not be read)\n");
	return failures ? 1 : 0;
}
