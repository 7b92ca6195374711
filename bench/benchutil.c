/*
 * benchutil.c — helpers shared by the benchmark programs of bench/ (see
 * benchutil.h). The certsrvd child is only ever signalled by the pid this
 * module got from fork(), and every wait for it is bounded in time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "benchutil.h"
#include "bulkfill.h"
#include "common/client.h"
#include "common/errors.h"
#include "common/proto.h"
#include "store/db.h"

/* ------------------------------------------------------------ basics */

double
bench_clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_now_s(void)
{
	return bench_clock_s(CLOCK_MONOTONIC);
}

int
bench_join(char *out, size_t n, const char *a, const char *b)
{
	int k = snprintf(out, n, "%s/%s", a, b);

	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

int
bench_parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end || *v < lo || *v > hi ? -1 : 0;
}

int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
bench_sibling_program(const char *name, char *out, size_t n)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int k;

	snprintf(out, n, "%s", name);
	if (len <= 0)
		return;
	self[len] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	k = snprintf(out, n, "%s/../%s", self, name);
	if (k < 0 || (size_t)k >= n)
		snprintf(out, n, "%s", name);
}

void
bench_opts_init(struct bench_opts *c)
{
	bench_sibling_program("certsrvd", c->certsrvd, sizeof(c->certsrvd));
	c->size_mb = 1024;
	c->runs = 3;
	c->max_seconds = 600;
}

int
bench_opts_parse(struct bench_opts *c, const char *name, const char *val)
{
	long v;

	if (!strcmp(name, "--certsrvd"))
		return realpath(val, c->certsrvd) ? 1 : -1;
	if (strcmp(name, "--size-mb") && strcmp(name, "--runs") &&
	    strcmp(name, "--max-seconds"))
		return 0;
	if (!strcmp(name, "--size-mb") && bench_parse_long(val, 1, 1L << 22, &v) == 0)
		c->size_mb = v;
	else if (!strcmp(name, "--runs") &&
		 bench_parse_long(val, 1, BENCH_MAX_RUNS, &v) == 0)
		c->runs = (int)v;
	else if (!strcmp(name, "--max-seconds") &&
		 bench_parse_long(val, 1, 86400, &v) == 0)
		c->max_seconds = (double)v;
	else
		return -1;
	return 1;
}

/* ------------------------------------------------------------- files */

uint64_t
bench_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int
bench_fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int
bench_empty_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return -errno;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		r = bench_join(path, sizeof(path), dir, e->d_name);
		if (r == 0 && unlink(path) < 0)
			r = -errno;
	}
	closedir(d);
	return r;
}

int
bench_run_command(const char *prog, char *const argv[], const char *log)
{
	pid_t pid = fork();
	int status = 0, fd;

	if (pid == 0) {
		fd = open(log ? log : "/dev/null",
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			if (log)
				dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: %s %s failed (status %d%s%s)\n", prog, argv[0],
			argv[1] ? argv[1] : "", status, log ? ", see " : "",
			log ? log : "");
		return -1;
	}
	return 0;
}

/* --------------------------------------------------- a certsrvd child */

/* The daemon bench_daemon_start started and has not reaped yet, or 0. */
static volatile sig_atomic_t daemon_pid;

/* Interrupted: stop the daemon we started (by its pid), then die. */
static void
on_signal(int sig)
{
	if (daemon_pid > 0)
		kill((pid_t)daemon_pid, SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
bench_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int
bench_daemon_answers(const char *datadir, int op)
{
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;
	int r = client_connect(datadir, &c);

	if (r == 0) {
		proto_begin(&req, (uint16_t)op, 0);
		r = client_call(c, &req, &reply, NULL);
	}
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
	return r == 0;
}

/* The child: stdout and stderr to the log, then certsrvd. Never returns. */
static void
exec_daemon(const struct bench_daemon *d)
{
	int fd = open(d->log, O_WRONLY | O_CREAT | O_CLOEXEC |
		      (d->append_log ? O_APPEND : O_TRUNC), 0644);

	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	execl(d->certsrvd, d->certsrvd, "--data-dir", d->datadir, (char *)NULL);
	_exit(127);
}

pid_t
bench_daemon_start(const struct bench_daemon *d, double *secs)
{
	double t0 = bench_now_s();
	pid_t pid;
	int status;

	pid = fork();
	if (pid == 0)
		exec_daemon(d);
	if (pid < 0)
		return -1;
	daemon_pid = pid;
	while (bench_now_s() - t0 < d->start_timeout_s) {
		if (bench_daemon_answers(d->datadir, d->probe)) {
			if (secs)
				*secs = bench_now_s() - t0;
			return pid;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			daemon_pid = 0;
			fprintf(stderr, "%s: certsrvd exited at start (see %s)\n",
				d->prog, d->log);
			return -1;
		}
		usleep(d->poll_us);
	}
	fprintf(stderr, "%s: certsrvd did not answer in %.0f s\n", d->prog,
		d->start_timeout_s);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	daemon_pid = 0;
	return -1;
}

void
bench_daemon_stop(const struct bench_daemon *d, pid_t pid)
{
	double t0 = bench_now_s();
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (bench_now_s() - t0 < d->stop_timeout_s) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			daemon_pid = 0;
			return;
		}
		usleep(20 * 1000);
	}
	fprintf(stderr, "%s: certsrvd %d ignored SIGTERM; killing it\n", d->prog,
		(int)pid);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	daemon_pid = 0;
}

/* -------------------------------------------------------- certificates */

/* subjectAltName DNS:dns on req; 1 if added. */
static int
add_san(X509_REQ *req, const char *dns)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	char san[128];
	int ok = 0, k;

	k = snprintf(san, sizeof(san), "DNS:%s", dns);
	X509V3_set_ctx_nodb(&ctx);
	ext = k > 0 && (size_t)k < sizeof(san)
		      ? X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name, san)
		      : NULL;
	if (exts && ext && sk_X509_EXTENSION_push(exts, ext) > 0) {
		ext = NULL;
		ok = X509_REQ_add_extensions(req, exts) == 1;
	}
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok;
}

X509_REQ *
bench_make_req(const char *cn)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();

	if (!key || !req || X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
				       MBSTRING_ASC, (const unsigned char *)cn,
				       -1, -1, 0) != 1 ||
	    !add_san(req, cn) || X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		X509_REQ_free(req);
		req = NULL;
	}
	EVP_PKEY_free(key);
	return req;
}

int
bench_make_csr(const char *cn, unsigned char **der)
{
	X509_REQ *req = bench_make_req(cn);
	int len = -1;

	*der = NULL;
	if (req)
		len = i2d_X509_REQ(req, der);
	X509_REQ_free(req);
	if (len <= 0) {
		OPENSSL_free(*der);
		*der = NULL;
		len = -1;
	}
	return len;
}

int
bench_submit_one(const char *prog, const char *datadir, const char *cn)
{
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;
	unsigned char *der = NULL;
	char *msg = NULL;
	int len = bench_make_csr(cn, &der), r;

	r = len > 0 ? client_connect(datadir, &c) : CS_E_INTERNAL;
	if (r == 0) {
		proto_begin(&req, PROTO_SUBMIT, 0);
		proto_put_bytes(&req, PT_CSR, der, (size_t)len);
		r = client_call(c, &req, &reply, &msg);
	}
	if (r != 0)
		fprintf(stderr, "%s: submit failed: %s\n", prog,
			msg ? msg : cs_strerror(r));
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
	free(msg);
	OPENSSL_free(der);
	return r;
}

int
bench_count_certs(const char *dbpath, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int r = db_open_reader(dbpath, &db);

	*n = 0;
	if (r == 0)
		r = db_error(sqlite3_prepare_v2(db, "SELECT count(*) FROM certificates",
						-1, &st, NULL));
	if (r == 0 && sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	db_close(db);
	return r;
}

int
bench_fill_db(const char *prog, const char *dbpath, int64_t want,
	      double max_seconds, int64_t *rows)
{
	sqlite3 *db = NULL;
	int r;

	*rows = 0;
	r = db_open_writer(dbpath, 0, &db);
	if (r == 0)
		r = db_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144");
	if (r == 0)
		r = bulk_fill(db, want, max_seconds, rows);
	if (r == 0)
		r = db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	db_close(db);
	if (r == 0)
		r = bench_fsync_path(dbpath);
	if (r < 0)
		fprintf(stderr, "%s: bulk fill failed: %s\n", prog, cs_strerror(r));
	return r;
}
