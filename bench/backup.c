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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
#include "bulkfill.h"
#include "store/db.h"

#define READ_BUFFER (1024u * 1024u)
#define MB 1e6
#define START_TIMEOUT_S 120.0  /* certsrvd start-up (recovery) */
#define STOP_TIMEOUT_S 60.0
#define MAX_RUNS 10

struct opts {
	char datadir[PATH_MAX];
	char target[PATH_MAX];
	char certsrvd[PATH_MAX];
	long size_mb;
	int runs;
	double max_seconds;   /* measured rounds stop after this */
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

/* ---------------------------------------------------------------- helpers */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
join(char *out, size_t n, const char *a, const char *b)
{
	int k = snprintf(out, n, "%s/%s", a, b);

	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

static int
parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end || *v < lo || *v > hi ? -1 : 0;
}

static uint64_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* fsync one file by path (the output of another program). */
static int
fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Remove every regular file of outdir (the previous run's output). */
static int
empty_outdir(void)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(outdir);
	int r = 0;

	if (!d)
		return -errno;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		r = join(path, sizeof(path), outdir, e->d_name);
		if (r == 0 && unlink(path) < 0)
			r = -errno;
	}
	closedir(d);
	return r;
}

/* ----------------------------------------------------------------- daemon */

static volatile sig_atomic_t daemon_pid;

/* Interrupted: stop the daemon we started (by pid), then die. */
static void
on_signal(int sig)
{
	if (daemon_pid > 0)
		kill((pid_t)daemon_pid, SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static pid_t
daemon_start(void)
{
	char log[PATH_MAX];
	double t0 = now_s();
	BOOL on = FALSE;
	pid_t pid;
	int fd, status;

	if (join(log, sizeof(log), o.target, "certsrvd.log") < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl(o.certsrvd, o.certsrvd, "--data-dir", o.datadir, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	daemon_pid = pid;
	while (now_s() - t0 < START_TIMEOUT_S) {
		if (CertSrvIsServerOnline(o.datadir, &on) == S_OK && on)
			return pid;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			daemon_pid = 0;
			fprintf(stderr, "backup: certsrvd exited at start (see %s)\n", log);
			return -1;
		}
		usleep(50 * 1000);
	}
	fprintf(stderr, "backup: certsrvd did not answer in %.0f s\n", START_TIMEOUT_S);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	daemon_pid = 0;
	return -1;
}

/* Stop the daemon we started, by its pid: SIGTERM, then SIGKILL. */
static void
daemon_stop(pid_t pid)
{
	double t0 = now_s();
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (now_s() - t0 < STOP_TIMEOUT_S) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			daemon_pid = 0;
			return;
		}
		usleep(20 * 1000);
	}
	fprintf(stderr, "backup: certsrvd %d ignored SIGTERM; killing it\n", (int)pid);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	daemon_pid = 0;
}

/* ------------------------------------------------- one real certificate */

#define BULK_NAME "bulk.bench.example"

/* The tls-server profile wants a DNS subject alternative name. */
static int
add_san(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int ok = 0;

	X509V3_set_ctx_nodb(&ctx);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name,
				   "DNS:" BULK_NAME);
	if (exts && ext && sk_X509_EXTENSION_push(exts, ext) > 0) {
		ext = NULL;
		ok = X509_REQ_add_extensions(req, exts) == 1;
	}
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok;
}

/* A P-256 CSR in DER (malloc'd by OpenSSL; OPENSSL_free it); length or -1. */
static int
make_csr(unsigned char **der)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	int len = -1;

	*der = NULL;
	if (key && req && X509_REQ_set_pubkey(req, key) == 1 &&
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
				       MBSTRING_ASC,
				       (const unsigned char *)BULK_NAME,
				       -1, -1, 0) == 1 &&
	    add_san(req) && X509_REQ_sign(req, key, EVP_sha256()) > 0)
		len = i2d_X509_REQ(req, der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return len;
}

/* Submit one CSR to the running daemon; 0 if a certificate was issued. */
static int
submit_one(void)
{
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;
	unsigned char *der = NULL;
	char *msg = NULL;
	int len = make_csr(&der), r;

	r = len > 0 ? client_connect(o.datadir, &c) : CS_E_INTERNAL;
	if (r == 0) {
		proto_begin(&req, PROTO_SUBMIT, 0);
		proto_put_bytes(&req, PT_CSR, der, (size_t)len);
		r = client_call(c, &req, &reply, &msg);
	}
	if (r != 0)
		fprintf(stderr, "backup: submit failed: %s\n", msg ? msg : cs_strerror(r));
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
	free(msg);
	OPENSSL_free(der);
	return r;
}

static int
count_certs(int64_t *n)
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

/* Make sure the database holds at least one certificate issued by certsrvd. */
static int
ensure_real_row(void)
{
	int64_t n = 0;
	pid_t pid;
	int r = count_certs(&n);

	if (r < 0 || n > 0)
		return r;
	pid = daemon_start();
	if (pid < 0)
		return -1;
	r = submit_one();
	daemon_stop(pid);
	return r;
}

/* Step 2 of the header: the bulk fill (benchmark only, no redo records). */
static int
fill_database(void)
{
	int64_t want = (int64_t)o.size_mb * 1024 * 1024, rows = 0;
	sqlite3 *db = NULL;
	double t0 = now_s();
	int r;

	if ((int64_t)file_size(dbpath) >= want) {
		printf("ca.db already holds %.0f MB: no fill\n\n",
		       (double)file_size(dbpath) / MB);
		return 0;
	}
	r = db_open_writer(dbpath, 0, &db);
	if (r == 0)
		r = db_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144");
	if (r == 0)
		r = bulk_fill(db, want, o.fill_seconds, &rows);
	if (r == 0)
		r = db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	db_close(db);
	if (r == 0)
		r = fsync_path(dbpath);
	if (r < 0) {
		fprintf(stderr, "backup: bulk fill failed: %s\n", cs_strerror(r));
		return r;
	}
	printf("bulk fill (benchmark only, no redo log): %" PRId64 " certificate"
	       " rows in %.1f s; ca.db = %.0f MB\n\n", rows, now_s() - t0,
	       (double)file_size(dbpath) / MB);
	return 0;
}

/* ------------------------------------------------------------ API backup */

static int
api_fail(const char *what, HRESULT hr)
{
	fprintf(stderr, "backup: %s failed: 0x%08X %s\n", what, (unsigned)hr,
		CertSrvGetErrorMessage(hr));
	return -1;
}

/* Largest write() of the API's output: 64 KiB as `certsrv backup` writes,
 * or READ_BUFFER (one write() per CertSrvBackupRead) for the diagnostic. */
static size_t write_chunk;

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

/* Read the open file into fd with a 1 MiB buffer, timing reads and writes. */
static int
api_pump(HCSBC h, int fd, char *buf, struct split *sp)
{
	DWORD got = 0;
	HRESULT hr;
	double t;

	for (;;) {
		t = now_s();
		hr = CertSrvBackupRead(h, buf, READ_BUFFER, &got);
		sp->read += now_s() - t;
		if (hr != S_OK)
			return api_fail("CertSrvBackupRead", hr);
		if (got == 0)
			return 0;
		t = now_s();
		if (write_chunked(fd, buf, got) < 0) {
			perror("backup: write");
			return -1;
		}
		sp->write += now_s() - t;
		sp->bytes += got;
	}
}

/* Copy one listed file (name without its tag) to dir/basename, fsync'd. */
static int
api_copy_file(HCSBC h, const char *dir, const char *name, char *buf,
	      struct split *sp)
{
	const char *base = strrchr(name, '/');
	char path[PATH_MAX];
	LARGE_INTEGER size;
	HRESULT hr;
	double t;
	int fd, r;

	if (join(path, sizeof(path), dir, base ? base + 1 : name) < 0)
		return -1;
	hr = CertSrvBackupOpenFile(h, name, READ_BUFFER, &size);
	if (hr != S_OK)
		return api_fail("CertSrvBackupOpenFile", hr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	r = fd < 0 ? -1 : api_pump(h, fd, buf, sp);
	t = now_s();
	if (r == 0 && fsync(fd) < 0)
		r = -1;
	sp->sync += now_s() - t;
	if (fd >= 0)
		close(fd);
	hr = CertSrvBackupClose(h);
	return r == 0 && hr == S_OK ? 0 : -1;
}

/* Every entry of a tagged list (skipping the one-byte tag). */
static int
api_copy_list(HCSBC h, const char *list, const char *dir, char *buf,
	      struct split *sp)
{
	const char *e;
	int r = 0;

	for (e = list; r == 0 && *e; e += strlen(e) + 1)
		r = api_copy_file(h, dir, e + 1, buf, sp);
	return r;
}

/* One full backup of the database and its logs into dir. */
static int
api_backup(const char *server, const char *dir, char *buf, struct split *sp)
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
	r = hr == S_OK ? api_copy_list(h, list, dir, buf, sp)
		       : api_fail("CertSrvBackupGetDatabaseNames", hr);
	CertSrvBackupFree(list);
	list = NULL;
	if (r == 0) {
		hr = CertSrvBackupGetBackupLogs(h, &list, &cb);
		r = hr == S_OK ? api_copy_list(h, list, dir, buf, sp)
			       : api_fail("CertSrvBackupGetBackupLogs", hr);
	}
	CertSrvBackupFree(list);
	hr = CertSrvBackupEnd(h);
	if (r == 0 && hr != S_OK)
		r = api_fail("CertSrvBackupEnd", hr);
	return r;
}

/* --------------------------------------------------------------- methods */

static int
run_api(struct split *sp)
{
	char *buf = malloc(READ_BUFFER);
	int r;

	if (!buf)
		return -1;
	write_chunk = 64 * 1024;
	r = api_backup(o.datadir, outdir, buf, sp);
	free(buf);
	return r;
}

/* The same, each 1 MiB read written as one write() (see BENCHMARKS.md:
 * large writes are slow on this kind of virtual machine). */
static int
run_api_1m(struct split *sp)
{
	char *buf = malloc(READ_BUFFER);
	int r;

	if (!buf)
		return -1;
	write_chunk = READ_BUFFER;
	r = api_backup(o.datadir, outdir, buf, sp);
	free(buf);
	return r;
}

/* Run a command (stdout to /dev/null) and wait for it; 0 if it exited 0. */
static int
run_command(char *const argv[])
{
	pid_t pid = fork();
	int status = 0, fd;

	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "backup: %s failed (status %d)\n", argv[0], status);
		return -1;
	}
	return 0;
}

/* A peer: the command writes `out`, then we fsync it. */
static int
run_peer(char *const argv[], const char *out, struct split *sp)
{
	double t = now_s();
	int r = run_command(argv);

	sp->read = now_s() - t;
	t = now_s();
	if (r == 0)
		r = fsync_path(out);
	sp->sync = now_s() - t;
	sp->bytes = file_size(out);
	return r;
}

static int
run_cp(struct split *sp)
{
	char out[PATH_MAX];
	char *argv[] = { "cp", dbpath, out, NULL };

	return join(out, sizeof(out), outdir, "ca.db") < 0 ? -1
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

	if (join(out, sizeof(out), outdir, "ca.db") < 0 ||
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

	if (join(out, sizeof(out), outdir, "ca.db") < 0 || strchr(out, '\''))
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
	double times[MAX_RUNS]; /* every measured run, for the spread */
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

	return empty_outdir() < 0 ? -1 : r;
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
	t0 = now_s();
	r = m->run(&sp);

	sp.total = now_s() - t0;
	if (r == 0 && keep) {
		if (!m->measured || sp.total < m->best.total)
			m->best = sp;
		m->times[m->measured++] = sp.total;
	}
	if (empty_outdir() < 0 && r == 0)
		r = -1;
	return r;
}

/* The warm-up round, then up to o.runs rounds within o.max_seconds. */
static int
measure_all(int *rounds)
{
	double t0 = now_s();
	size_t i;
	int r = 0, k;

	for (i = 0; r == 0 && i < N_METHODS; i++)
		r = measure(&methods[i], 0);
	/* A user-space write() of fresh page cache right after VACUUM INTO is
	 * slow on this kind of virtual machine (BENCHMARKS.md), even after
	 * settle(). So VACUUM INTO ends every round, and the others take
	 * turns at starting one: each of them follows it at most once in the
	 * first N_METHODS - 1 rounds. */
	for (k = 0; r == 0 && k < o.runs; k++) {
		if (k > 0 && now_s() - t0 > o.max_seconds)
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

/* Default certsrvd: ../certsrvd next to this program (build/bench/..). */
static void
default_certsrvd(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(o.certsrvd, sizeof(o.certsrvd), "certsrvd");
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash) {
		*slash = '\0';
		snprintf(o.certsrvd, sizeof(o.certsrvd), "%.*s/../certsrvd",
			 PATH_MAX - 16, self);
	}
}

static int
parse_opt(const char *name, const char *val)
{
	long v;

	if (!strcmp(name, "--data-dir"))
		return realpath(val, o.datadir) ? 0 : -1;
	if (!strcmp(name, "--target"))
		return snprintf(o.target, sizeof(o.target), "%s", val) <
				       (int)sizeof(o.target) ? 0 : -1;
	if (!strcmp(name, "--certsrvd"))
		return realpath(val, o.certsrvd) ? 0 : -1;
	if (!strcmp(name, "--size-mb") && parse_long(val, 1, 1L << 22, &v) == 0)
		o.size_mb = v;
	else if (!strcmp(name, "--runs") && parse_long(val, 1, MAX_RUNS, &v) == 0)
		o.runs = (int)v;
	else if (!strcmp(name, "--only"))
		o.only = val;
	else if (!strcmp(name, "--max-seconds") &&
		 parse_long(val, 1, 86400, &v) == 0)
		o.max_seconds = (double)v;
	else
		return -1;
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	int i;

	o.size_mb = 1024;
	o.runs = 3;
	o.max_seconds = 600;
	o.fill_seconds = 900;
	default_certsrvd();
	for (i = 1; i + 1 < argc; i += 2)
		if (parse_opt(argv[i], argv[i + 1]) < 0)
			return -1;
	if (i != argc || !o.datadir[0] || !o.target[0])
		return -1;
	if (join(dbpath, sizeof(dbpath), o.datadir, "db/ca.db") < 0 ||
	    join(outdir, sizeof(outdir), o.target, "out") < 0)
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
	catch_signals();
	if (ensure_real_row() < 0 || fill_database() < 0)
		return 1;
	pid = daemon_start();
	if (pid < 0)
		return 1;
	r = measure_all(&rounds);
	daemon_stop(pid);
	if (r < 0)
		return 1;
	print_tables(rounds);
	return 0;
}
