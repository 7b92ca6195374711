/*
 * main.c — certsrvd: the certificate authority service.
 *
 * Start-up order: take the data directory's lock (one daemon per directory),
 * read the configuration, load the CA key and certificate (a bad key fails
 * before anything is touched), recover the store (replay the redo log past
 * the database), start the commit thread, listen.
 * Shutdown (SIGTERM, SIGINT or a shutdown request): stop accepting, let
 * requests in flight finish, checkpoint, exit 0. Logs go to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>

#include "common/client.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/restorereg.h"
#include "daemon/server.h"
#include "store/restore.h"

/* Allocations of this size or more are mmap'd (see main). */
#define DAEMON_MMAP_THRESHOLD (1 << 20)

static void
logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("certsrvd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: certsrvd [--data-dir DIR]\n"
		   "Runs the certificate authority of DIR in the foreground\n"
		   "(default: $CERTSRV_DATA_DIR, else %s).\n",
		CERTSRV_DEFAULT_DATA_DIR);
}

/* Take DATADIR/run/certsrvd.lock; the fd stays open (and locked) for the
 * life of the process. */
static int
take_lock(const char *datadir, int *lock_fd)
{
	char *run = fio_join(datadir, "run"), *path = fio_join(datadir,
							      "run/certsrvd.lock");
	char pid[32] = "";
	ssize_t n;
	int fd = -1, r = 0;

	if (!run || !path) {
		r = -ENOMEM;
		goto out;
	}
	r = fio_mkdirs(run, 0755);
	if (r < 0) {
		logmsg("%s: %s", run, cs_strerror(r));
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		logmsg("%s: %s", path, cs_strerror(r));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		logmsg("another certsrvd (pid %s) is already running on %s",
		       pid[0] ? pid : "?", datadir);
		close(fd);
		fd = -1;
		goto out;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
		r = -errno;
out:
	free(run);
	free(path);
	*lock_fd = fd;
	return r;
}

static const char *
describe_key(EVP_PKEY *key, char *buf, size_t len)
{
	char group[64] = "";

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
						   group, sizeof(group), NULL) != 1)
			snprintf(group, sizeof(group), "unknown curve");
		if (!strcmp(group, "prime256v1"))
			return "ec-p256";
		if (!strcmp(group, "secp384r1"))
			return "ec-p384";
		snprintf(buf, len, "ec-%s", group);
		return buf;
	case EVP_PKEY_RSA:
		snprintf(buf, len, "rsa%d", EVP_PKEY_get_bits(key));
		return buf;
	case EVP_PKEY_ED25519:
		return "ed25519";
	default:
		return "unknown";
	}
}

static int
load_ca(struct daemon *d, char *keytype, size_t keytype_len)
{
	char *key_path = fio_join(d->paths.datadir, "ca/ca.key");
	char *crt_path = fio_join(d->paths.datadir, "ca/ca.crt");
	char err[512] = "";
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r = -ENOMEM;

	if (!key_path || !crt_path)
		goto out;
	r = ca_key_load(key_path, &key, err, sizeof(err));
	if (r < 0) {
		logmsg("CA key %s: %s", key_path, err[0] ? err : cs_strerror(r));
		goto out;
	}
	r = ca_cert_load_pem(crt_path, &cert, err, sizeof(err));
	if (r < 0) {
		logmsg("CA certificate %s: %s", crt_path,
		       err[0] ? err : cs_strerror(r));
		goto out;
	}
	if (X509_check_private_key(cert, key) != 1) {
		r = CS_E_CONFIG;
		logmsg("%s does not match the key in %s", crt_path, key_path);
		goto out;
	}
	r = ca_signer_new(key, cert, &d->signer);
	d->ca_subject = ca_name_oneline(X509_get_subject_name(cert));
	d->key_type = describe_key(key, keytype, keytype_len);
	if (r == 0 && !d->ca_subject)
		r = -ENOMEM;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	free(key_path);
	free(crt_path);
	return r;
}

static void
log_failure(int error, void *arg)
{
	(void)arg;
	if (error == CS_E_FAILED_STATE || error == CS_E_INTERNAL)
		logmsg("the redo log writer failed (%s); every change is refused"
		       " until certsrvd is restarted and recovery runs",
		       cs_strerror(error));
	else
		logmsg("the database write failed (%s): ca.db and its WAL may not"
		       " hold what the redo log holds; every change is refused until"
		       " certsrvd is restarted and recovery replays the log",
		       cs_strerror(error));
}

static void
log_checkpoint(int error, void *arg)
{
	(void)arg;
	if (error < 0)
		logmsg("checkpoint failed (%s); every acknowledged change is"
		       " still in the redo log", cs_strerror(error));
	else
		logmsg("checkpoints work again");
}

/* One line per replayed generation, for an operator watching a terminal. */
static void
restore_progress(const struct replay_source *file, size_t i, size_t n, void *arg)
{
	(void)arg;
	logmsg("restore: generation %08X (%zu of %zu)%s%s", file->gen, i + 1, n,
	       file->live ? ", live log" : ", from the backup",
	       file->scan_only ? ", read only" : "");
}

/* A restore registration: refuse to start while it is incomplete; carry it
 * out when it is complete (DESIGN section 6). 0 when there is none. */
static int
run_registered_restore(struct daemon *d)
{
	struct restore_state st;
	struct restore_outcome out;
	char err[1024] = "";
	int r;

	r = restorereg_load(d->paths.datadir, &st, err, sizeof(err));
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		logmsg("%s/restore/restore.env is unreadable (%s); fix it or remove"
		       " it to abandon the restore", d->paths.datadir,
		       err[0] ? err : cs_strerror(r));
		return r;
	}
	if (!restorereg_ready(&st, err, sizeof(err))) {
		logmsg("a restore is registered but incomplete: %s. Finish it"
		       " (certsrv restore, or CertSrvRestoreRegisterComplete and"
		       " CertSrvRestoreEnd), or remove %s/restore/restore.env to"
		       " abandon it; certsrvd will not start until then",
		       err, d->paths.datadir);
		restorereg_release(&st);
		return CS_E_STATE;
	}
	logmsg("restoring: %zu registered backup set(s)%s", st.n,
	       st.roll_forward ? ", then the live logs that continue them" : "");
	r = restore_run(&d->paths, &st, &out,
			isatty(STDERR_FILENO) ? restore_progress : NULL, NULL, err,
			sizeof(err));
	restorereg_release(&st);
	if (r < 0) {
		logmsg("restore failed, nothing was removed: %s", err);
		return r;
	}
	logmsg("restored: image at LSN %llu, %llu records replayed%s, now at LSN"
	       " %llu%s%s", (unsigned long long)out.image_lsn,
	       (unsigned long long)out.replayed,
	       out.rolled_forward ? " (backup and live logs)" : "",
	       (unsigned long long)out.applied_lsn,
	       out.stopped ? "; stopped at the point-in-time target" : "",
	       out.new_lineage ? "; a new lineage starts here: take a full backup" : "");
	return 0;
}

static int
open_store(struct daemon *d)
{
	struct commit_config cc;
	struct redo_writer *w = NULL;
	sqlite3 *db = NULL;
	char err[1024] = "";
	int r;

	r = recover_open(&d->paths, &db, &d->rinfo, err, sizeof(err));
	if (r < 0) {
		logmsg("recovery failed: %s", err[0] ? err : cs_strerror(r));
		return r;
	}
	logmsg("store at LSN %llu (replayed %llu records%s), log generation %08X",
	       (unsigned long long)d->rinfo.applied_lsn,
	       (unsigned long long)d->rinfo.replayed,
	       d->rinfo.truncated_tail ? ", cut a torn tail" : "",
	       d->rinfo.generation);
	r = redo_writer_open(d->paths.logdir, d->rinfo.lineage, d->rinfo.generation,
			     d->rinfo.next_lsn, d->cfg->log_file_bytes, &w);
	if (r < 0) {
		logmsg("cannot open the log for writing: %s", cs_strerror(r));
		db_close(db);
		return r;
	}
	memset(&cc, 0, sizeof(cc));
	cc.logdir = d->paths.logdir;
	cc.ckpt_path = d->paths.ckpt_path;
	memcpy(cc.lineage, d->rinfo.lineage, sizeof(cc.lineage));
	cc.checkpoint_interval_ms = d->cfg->checkpoint_interval_ms;
	cc.checkpoint_wal_bytes = 64u << 20;
	cc.circular = d->cfg->circular_logging;
	cc.on_failure = log_failure;
	cc.on_checkpoint = log_checkpoint;
	/* The backup reads ca.db through this descriptor, opened once and kept
	 * until exit: closing any descriptor of the file would drop SQLite's
	 * POSIX locks on it (I4). */
	d->db_fd = open(d->paths.db_path, O_RDONLY | O_CLOEXEC);
	if (d->db_fd < 0) {
		r = -errno;
		logmsg("%s: %s", d->paths.db_path, cs_strerror(r));
		db_close(db);
		redo_writer_close(w);
		return r;
	}
	r = commit_start(db, w, d->rinfo.applied_lsn, &cc, &d->commit);
	if (r < 0) {
		logmsg("cannot start the commit thread: %s", cs_strerror(r));
		db_close(db);
		redo_writer_close(w);
	}
	return r;
}

static int
signal_fd(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Block before any thread starts, so every thread inherits the mask
	 * and the signals are read only through the signalfd. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int
init_daemon(struct daemon *d, const char *datadir)
{
	char *conf;
	char err[512] = "";
	int i, r;

	memset(d, 0, sizeof(*d));
	d->listen_fd = -1;
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&d->crl_lock, NULL);
	pthread_mutex_init(&d->backup_lock, NULL);
	d->db_fd = -1;
	pthread_mutex_init(&d->conns_lock, NULL);
	pthread_cond_init(&d->conns_idle, NULL);
	for (i = 0; i < SERVER_MAX_CONNS; i++)
		d->conn_fds[i] = -1;
	r = store_paths_init(&d->paths, datadir);
	if (r < 0)
		return r;
	d->crl_path = fio_join(datadir, "certenroll/ca.crl");
	d->socket_path = fio_join(datadir, "run/certsrvd.sock");
	conf = fio_join(datadir, "certsrv.conf");
	if (!d->crl_path || !d->socket_path || !conf || d->stop_fd < 0) {
		free(conf);
		return -ENOMEM;
	}
	r = config_load(conf, &d->cfg, err, sizeof(err));
	if (r < 0)
		logmsg("configuration: %s", err);
	free(conf);
	return r;
}

static void
release_daemon(struct daemon *d)
{
	commit_stop(d->commit);
	ca_signer_free(d->signer);
	config_free(d->cfg);
	store_paths_release(&d->paths);
	free(d->crl_path);
	free(d->socket_path);
	free(d->ca_subject);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	/* Last: SQLite's connection is closed by now (I4). */
	if (d->db_fd >= 0)
		close(d->db_fd);
}

static const char *
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = getenv("CERTSRV_DATA_DIR");
	int c;

	if (!dir || !*dir)
		dir = CERTSRV_DEFAULT_DATA_DIR;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	return dir;
}

int
main(int argc, char **argv)
{
	static struct daemon d;
	const char *datadir = parse_args(argc, argv);
	char keytype[32], *absdir;
	int lock_fd = -1, sig_fd = -1, r;

	/* Buffers of a megabyte or more (a log generation read whole to be
	 * checked for a backup, a large changeset) come from mmap and go back
	 * to the system when freed. glibc otherwise raises its mmap threshold
	 * after the first such free and keeps later ones in the arena of
	 * whichever connection thread used them: RSS rose by megabytes with
	 * every full backup (11 -> 75 MiB in 22 minutes of `make soak`). */
	(void)mallopt(M_MMAP_THRESHOLD, DAEMON_MMAP_THRESHOLD);

	/* Absolute paths everywhere: the backup API hands them to clients. */
	absdir = realpath(datadir, NULL);
	if (!absdir) {
		logmsg("%s: %s", datadir, strerror(errno));
		return 1;
	}
	datadir = absdir;

	r = take_lock(datadir, &lock_fd);
	if (r < 0)
		goto out;
	sig_fd = signal_fd();
	if (sig_fd < 0) {
		r = -errno;
		logmsg("signalfd: %s", strerror(errno));
		goto out;
	}
	r = init_daemon(&d, datadir);
	if (r == 0)
		r = load_ca(&d, keytype, sizeof(keytype));
	if (r == 0)
		r = run_registered_restore(&d);
	if (r == 0)
		r = open_store(&d);
	if (r == 0) {
		r = server_listen(&d);
		if (r < 0)
			logmsg("cannot listen on %s: %s", d.socket_path,
			       cs_strerror(r));
	}
	if (r == 0) {
		logmsg("ready on %s", d.socket_path);
		r = server_run(&d, sig_fd);
		logmsg("stopping");
	}
	if (r > 0) {
		/* Requests still running use the daemon's state, so nothing may
		 * be freed. Every acknowledged change is already in the log;
		 * checkpoint (after the queued commits) and leave at once. */
		logmsg("%d requests did not finish within a minute; exiting anyway", r);
		(void)commit_checkpoint(d.commit);
		fflush(stderr);
		_exit(1);
	}
	release_daemon(&d);
	if (r == 0)
		logmsg("stopped cleanly");
out:
	if (sig_fd >= 0)
		close(sig_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	free(absdir);
	return r == 0 ? 0 : 1;
}
