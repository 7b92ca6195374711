/*
 * fuzz_server.c — fuzz harness of the server side of the protocol: every
 * request type's payload decoding and handling in certsrvd
 * (src/daemon/handlers.c, src/daemon/backup.c), on a real store.
 *
 * Once per process, the harness builds a real CA in a data directory of
 * its own (on /dev/shm when it exists, so the redo log's fdatasync is
 * cheap): BASE/certsrv-fuzz-server while it holds the lock file next to
 * it, so that seeds can open the files a backup lists, else a temporary
 * one. It is made with the product's own functions, as `certsrv init` and
 * certsrvd's start-up do: key and self-signed root (ca_key_generate,
 * ca_make_root), store_create, config_load of a configuration file,
 * recover_open, redo_writer_open, commit_start (the commit thread runs),
 * ca_signer_new. Nothing is stubbed.
 *
 * Each input is one connection: its bytes are read frame after frame with
 * proto_recv (at most MAX_FRAMES), exactly as the connection loop of
 * src/daemon/server.c does, and each frame goes to handle_request() for a
 * peer holding every role (root), so every handler runs and decodes its
 * fields: SUBMIT (CSR, profile), ISSUE, DENY, REVOKE (serial, reason,
 * date), UNREVOKE, CRL_PUBLISH, VIEW (filter), GETCERT (id or serial),
 * STATUS, PING, SHUTDOWN (which only answers: nothing is stopped here), and
 * the backup calls (flags, grbit, path, length) with their state machine.
 * The connection's socket is one end of a socket pair whose other end a
 * thread drains, so bulk data sent with sendfile() flows. At the end the
 * connection's backup session is aborted and its reader closed, as when a
 * client goes away.
 *
 * Checks: every reply the handler leaves to the caller is one complete
 * frame (magic, version, the request's id, type OK or ERR, a length equal
 * to its payload, fields that validate, an ERR with a negative PT_STATUS).
 * Any broken promise aborts; sanitizers catch the rest. The store keeps
 * what the inputs did (it is a CA that keeps running). Builds with the
 * replay main (make check) or clang -fsanitize=fuzzer.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "common/proto.h"
#include "daemon/backup.h"
#include "daemon/handlers.h"
#include "daemon/server.h"
#include "store/db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 16

static const char fuzz_conf[] =
	"[ca]\n"
	"crl_period_hours = 168\n"
	"[store]\n"
	"log_file_size_kb = 1024\n"
	"circular_logging = false\n"
	"checkpoint_interval_sec = 60\n"
	"backup_max_wal_mb = 64\n";

static struct daemon g_d;
static char g_dir[256];
static int g_ready;

static void check(int cond)
{
	if (!cond)
		abort();
}

static void die(const char *what, int r, const char *err)
{
	fprintf(stderr, "fuzz_server: set-up: %s: %s\n", what,
		err && err[0] ? err : cs_strerror(r));
	abort();
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static void teardown(void)
{
	if (!g_ready)
		return;
	commit_stop(g_d.commit);
	ca_signer_free(g_d.signer);
	config_free(g_d.cfg);
	free(g_d.crl_path);
	free(g_d.socket_path);
	free(g_d.ca_subject);
	close(g_d.stop_fd);
	close(g_d.db_fd);
	store_paths_release(&g_d.paths);
	nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The CA: key, root certificate (also in certenroll/, as init does). */
static void make_ca(EVP_PKEY **key, X509 **root)
{
	char err[512] = "", *pub;
	int r;

	r = ca_key_generate(CA_KEY_EC_P256, key);
	if (r < 0)
		die("ca_key_generate", r, NULL);
	r = ca_make_root(*key, "CN=Fuzz Root", 3650, root, err, sizeof(err));
	if (r < 0)
		die("ca_make_root", r, err);
	pub = fio_join(g_dir, "certenroll/ca.crt");
	r = pub ? ca_cert_save_pem(pub, *root) : -ENOMEM;
	free(pub);
	if (r < 0)
		die("ca_cert_save_pem", r, NULL);
}

/* The store, opened as certsrvd opens it, with its commit thread. */
static void open_store(void)
{
	uint8_t lineage[REDO_LINEAGE_LEN];
	struct commit_config cc;
	struct redo_writer *w = NULL;
	sqlite3 *db = NULL;
	char err[1024] = "";
	int r;

	r = store_create(&g_d.paths, lineage, err, sizeof(err));
	if (r < 0)
		die("store_create", r, err);
	r = recover_open(&g_d.paths, &db, &g_d.rinfo, err, sizeof(err));
	if (r < 0)
		die("recover_open", r, err);
	r = redo_writer_open(g_d.paths.logdir, g_d.rinfo.lineage,
			     g_d.rinfo.generation, g_d.rinfo.next_lsn,
			     g_d.cfg->log_file_bytes, &w);
	if (r < 0)
		die("redo_writer_open", r, NULL);
	memset(&cc, 0, sizeof(cc));
	cc.logdir = g_d.paths.logdir;
	cc.ckpt_path = g_d.paths.ckpt_path;
	memcpy(cc.lineage, g_d.rinfo.lineage, sizeof(cc.lineage));
	cc.checkpoint_interval_ms = g_d.cfg->checkpoint_interval_ms;
	cc.checkpoint_wal_bytes = 64u << 20;
	cc.circular = g_d.cfg->circular_logging;
	g_d.db_fd = open(g_d.paths.db_path, O_RDONLY | O_CLOEXEC);
	if (g_d.db_fd < 0)
		die("open ca.db", -errno, NULL);
	r = commit_start(db, w, g_d.rinfo.applied_lsn, &cc, &g_d.commit);
	if (r < 0)
		die("commit_start", r, NULL);
}

/* The data directory: BASE/certsrv-fuzz-server when this process can take
 * the lock next to it (so seeds can name the files a backup lists), else a
 * fresh BASE/fuzz-server.XXXXXX (another harness process holds the fixed
 * one). A fixed directory left by an earlier process is removed first. */
static void make_datadir(void)
{
	const char *base = getenv("TMPDIR");
	char lock[300];
	struct stat st;
	int fd;

	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (!base || base[0] != '/')
		base = "/tmp";
	snprintf(lock, sizeof(lock), "%s/certsrv-fuzz-server.lock", base);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		/* Kept open (and locked) until the process exits. */
		snprintf(g_dir, sizeof(g_dir), "%s/certsrv-fuzz-server", base);
		nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		check(mkdir(g_dir, 0700) == 0);
		/* cppcheck-suppress resourceLeak ; fd stays open: it holds the lock */
		return;
	}
	if (fd >= 0)
		close(fd);
	snprintf(g_dir, sizeof(g_dir), "%s/fuzz-server.XXXXXX", base);
	check(mkdtemp(g_dir) != NULL);
}

static void setup(void)
{
	static const char *const dirs[] = { "ca", "db", "logs", "certenroll",
					    "restore", "run" };
	char err[512] = "", *conf, *p;
	EVP_PKEY *key = NULL;
	X509 *root = NULL;
	size_t i;
	int r;

	make_datadir();
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		p = fio_join(g_dir, dirs[i]);
		check(p != NULL && fio_mkdirs(p, 0700) == 0);
		free(p);
	}
	memset(&g_d, 0, sizeof(g_d));
	g_d.listen_fd = -1;
	g_d.db_fd = -1;
	g_d.stop_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&g_d.crl_lock, NULL);
	pthread_mutex_init(&g_d.backup_lock, NULL);
	pthread_mutex_init(&g_d.conns_lock, NULL);
	pthread_cond_init(&g_d.conns_idle, NULL);
	for (i = 0; i < SERVER_MAX_CONNS; i++)
		g_d.conn_fds[i] = -1;
	check(store_paths_init(&g_d.paths, g_dir) == 0);
	g_d.crl_path = fio_join(g_dir, "certenroll/ca.crl");
	g_d.socket_path = fio_join(g_dir, "run/certsrvd.sock");
	conf = fio_join(g_dir, "certsrv.conf");
	check(g_d.crl_path && g_d.socket_path && conf && g_d.stop_fd >= 0);
	r = fio_write_atomic(conf, fuzz_conf, strlen(fuzz_conf), 0640);
	if (r == 0)
		r = config_load(conf, &g_d.cfg, err, sizeof(err));
	free(conf);
	if (r < 0)
		die("config", r, err);
	make_ca(&key, &root);
	open_store();
	r = ca_signer_new(key, root, &g_d.signer);
	if (r < 0)
		die("ca_signer_new", r, NULL);
	g_d.ca_subject = ca_name_oneline(X509_get_subject_name(root));
	check(g_d.ca_subject != NULL);
	g_d.key_type = "ec-p256";
	EVP_PKEY_free(key);
	X509_free(root);
	g_ready = 1;
	atexit(teardown);
}

/* The far end of the connection: read and drop until EOF. */
static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char sink[65536];
	ssize_t n;

	do
		n = read(fd, sink, sizeof(sink));
	while (n > 0 || (n < 0 && errno == EINTR));
	return NULL;
}

/* A reply left to the caller is one complete, valid frame for req_id. */
static void check_reply(const struct buf *out, uint32_t req_id)
{
	struct proto_reader rd;
	struct proto_hdr h;
	uint32_t status;

	check(out->len >= PROTO_HDR_LEN && !out->oom);
	check(proto_hdr_decode(out->data, &h) == 0);
	check(h.req_id == req_id);
	check(h.type == PROTO_REPLY_OK || h.type == PROTO_REPLY_ERR);
	check(h.len == out->len - PROTO_HDR_LEN);
	check(proto_validate(out->data + PROTO_HDR_LEN, h.len) == 0);
	if (h.type == PROTO_REPLY_ERR) {
		proto_reader_init(&rd, out->data + PROTO_HDR_LEN, h.len);
		check(proto_get_u32(&rd, PT_STATUS, &status) == 0);
		check(status >= 0x80000000u);
	}
}

/* Serve the frames of fd on connection c, as server.c's loop does. */
static void serve(struct conn *c, int fd)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct proto_hdr h;
	int i, r, stop, sent;

	for (i = 0; i < MAX_FRAMES; i++) {
		r = proto_recv(fd, &h, &in);
		if (r < 0)
			break;
		buf_reset(&out);
		sent = 0;
		stop = handle_request(c, &h, in.data, in.len, &out, &sent);
		if (!sent)
			check_reply(&out, h.req_id);
		if (stop)
			break;
	}
	buf_release(&in);
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn c;
	pthread_t th;
	int sp[2], fd;

	if (!g_ready)
		setup();
	fd = memfd_create("fuzz_server", MFD_CLOEXEC);
	check(fd >= 0);
	check(fio_write_full(fd, data, size) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
	check(pthread_create(&th, NULL, drain, &sp[1]) == 0);

	memset(&c, 0, sizeof(c));
	c.d = &g_d;
	c.fd = sp[0];
	c.slot = 0;
	c.peer.uid = 0;
	snprintf(c.peer.name, sizeof(c.peer.name), "root");
	c.peer.roles = ROLE_ALL;
	c.peer.is_admin = 1;
	serve(&c, fd);
	backup_session_abort(&c);
	db_close(c.reader);

	close(sp[0]);
	check(pthread_join(th, NULL) == 0);
	close(sp[1]);
	close(fd);
	return 0;
}
