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
 * Prints a Markdown table. Timing never fails anything: exit 0 unless a
 * request fails.
 */
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
#include "common/client.h"
#include "common/errors.h"
#include "common/proto.h"

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
 * before the run are used (the "one CSR verify + one sign"). */
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

int
main(int argc, char **argv)
{
	int clients = 8, count = 4000, cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	double secs, verify_secs, decode_secs;
	int i, daemon_only = 0;

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
	if (daemon_only) {
		secs = run_threads(clients, client_main);
		qsort(latencies, (size_t)count, sizeof(double), bench_cmp_double);
		printf("certsrvd submit (durable): %d requests, %d clients: %.0f/s,"
		       " p50 %.2f ms, p99 %.2f ms, %d failures\n", count, clients,
		       count / secs, latencies[count / 2] * 1e3,
		       latencies[(count * 99) / 100] * 1e3, (int)failures);
		return failures ? 1 : 0;
	}
	make_template();
	/* Pre-decoded CSRs have their public key cached by OpenSSL: warm it. */
	(void)limit_seconds(cores, 0);
	verify_secs = limit_seconds(cores, 0);
	decode_secs = limit_seconds(cores, 1);
	secs = run_threads(clients, client_main);
	qsort(latencies, (size_t)count, sizeof(double), bench_cmp_double);
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
	return failures ? 1 : 0;
}
