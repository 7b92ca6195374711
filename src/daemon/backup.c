/*
 * backup.c — online backup sessions (DESIGN section 5).
 *
 * Guarantees:
 *  - A full session starts with a complete checkpoint and keeps checkpoints
 *    paused until it ends, so ca.db is an image at the session's start LSN
 *    that nothing writes; it is streamed straight from the daemon's
 *    long-lived descriptor (I4), and its size and mtime are checked again
 *    when the file is closed: a change fails the backup.
 *  - Log generations are listed only after the current one is rolled (so
 *    every listed file is closed and immutable, I5) and only after the whole
 *    chain was checked record by record: a damaged log fails the backup
 *    instead of producing a set that cannot restore.
 *  - Only listed paths can be opened; the key is never listed. A log is
 *    opened without following a symbolic link and must still be the very
 *    file that was listed and checked (same device and inode).
 *  - Logs are truncated only when every listed file was read to its end
 *    and closed (a file the client could not store is never closed),
 *    and only generations this backup covered and the checkpoint passed (I7).
 *  - Only a session that read and closed everything it listed is recorded in the
 *    backup history; an aborted one leaves no trace. A session that
 *    truncates is recorded before any generation is deleted, so a crash
 *    before End never leaves deleted generations no recorded backup covers.
 */
#include "daemon/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "store/redo.h"

#define CSBACKUP_TYPE_FULL 1
#define CSBACKUP_TYPE_LOGS_ONLY 2
#define TAG_DATABASE 'D'
#define TAG_LOG '!'
#define TAG_LOG_DIR 0x82
#define TAG_CHECKPOINT_DIR 0x83

struct listed {
	char *path;
	int is_db;
	off_t size;
	dev_t dev;       /* a log: the file checked when it was listed */
	ino_t ino;
	int done;        /* read to its end and closed */
};

struct backup_session {
	int type;
	time_t started;
	struct commit_backup_point start;  /* full: the image's LSN */
	uint32_t gen_low, gen_high;        /* the log set */
	uint64_t lsn_low, lsn_high;
	struct stat db_stat;               /* ca.db at prepare */
	struct listed *files;
	size_t n_files;
	int db_listed;
	int logs_listed;
	int truncated;
	int recorded;                      /* in the backup history */
	int paused;                        /* checkpoints wait for this session */
	int broken;                        /* a check failed: cannot complete */
	int open_idx;                      /* -1: no file open */
	int open_fd;                       /* a log's fd (ca.db uses d->db_fd) */
	off_t offset;
	uint64_t pace_rate;                /* MB/s now (0: not paced) ... */
	int64_t pace_start_ns;             /* ... since this clock ... */
	uint64_t paced_bytes;              /* ... and the bytes sent since */
};

/* ------------------------------------------------------------- helpers */

static struct backup_session *
session_of(struct req *x, int *r)
{
	if (!x->c->backup)
		*r = req_fail(x, CS_E_SEQUENCE, "no backup session: call"
			      " CertSrvBackupPrepare first");
	return x->c->backup;
}

static int
check_aborted(struct req *x, struct backup_session *bs)
{
	if (!bs->paused || !commit_backup_aborted(x->d->commit))
		return 0;
	bs->broken = 1;
	return req_fail(x, CS_E_TOOBIG, "the backup was aborted: the database's"
			" WAL grew past backup_max_wal_mb while checkpoints"
			" waited for it; end the session and start again");
}

static int
add_listed(struct backup_session *bs, const char *path, int is_db, off_t size)
{
	struct listed *grown;

	grown = realloc(bs->files, (bs->n_files + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	bs->files = grown;
	grown[bs->n_files].path = strdup(path);
	if (!grown[bs->n_files].path)
		return -ENOMEM;
	grown[bs->n_files].is_db = is_db;
	grown[bs->n_files].size = size;
	grown[bs->n_files].done = 0;
	bs->n_files++;
	return 0;
}

/* Append one PT_LIST entry: tag byte (0: none), path, NUL. */
static void
list_add(struct buf *list, uint8_t tag, const char *path)
{
	buf_put_u8(list, tag);
	buf_append(list, path, strlen(path) + 1);
}

static int
reply_list(struct req *x, struct buf *list)
{
	int r = list->oom ? -ENOMEM : req_reply_ok(x);

	if (r == 0)
		r = proto_put_bytes(x->reply, PT_LIST, list->data, list->len);
	buf_release(list);
	return r;
}

static void
close_open_file(struct backup_session *bs)
{
	if (bs->open_fd >= 0)
		close(bs->open_fd);
	bs->open_fd = -1;
	bs->open_idx = -1;
}

static void
session_free(struct daemon *d, struct backup_session *bs)
{
	size_t i;

	if (!bs)
		return;
	close_open_file(bs);
	if (bs->paused)
		(void)commit_backup_finish(d->commit);
	pthread_mutex_lock(&d->backup_lock);
	if (d->backup_active == bs)
		d->backup_active = NULL;
	pthread_mutex_unlock(&d->backup_lock);
	for (i = 0; i < bs->n_files; i++)
		free(bs->files[i].path);
	free(bs->files);
	free(bs);
}

void
backup_session_abort(struct conn *c)
{
	session_free(c->d, c->backup);
	c->backup = NULL;
}

/* ------------------------------------------------------------- prepare */

/* 1 if the log file carries this CA's current lineage. */
static int
same_lineage(struct req *x, const char *path)
{
	struct redo_reader *rd = NULL;
	struct redo_file_hdr h;
	int same;

	same = redo_reader_open(path, &rd, &h) == 0 &&
	       memcmp(h.lineage, x->d->rinfo.lineage, REDO_LINEAGE_LEN) == 0;
	redo_reader_close(rd);
	return same;
}

/* A logs-only set continues the last backup: it needs a completed full
 * backup, no circular logging, and the generation after the last backed-up
 * one still on disk. */
static int
prepare_logs_only(struct req *x, struct backup_session *bs)
{
	struct db_backup last, full;
	char path[4096];
	sqlite3 *db;
	int r;

	if (x->d->cfg->circular_logging)
		return req_fail(x, CS_E_BACKUP_SEQUENCE, "incremental (logs-only)"
				" backups are impossible with circular logging:"
				" log generations are deleted at checkpoints");
	r = conn_reader(x->c, &db);
	if (r == 0)
		r = db_last_backup(db, CSBACKUP_TYPE_FULL, &full);
	if (r == CS_E_NOTFOUND)
		return req_fail(x, CS_E_MISSING_FULL, "no full backup of this CA was"
				" completed yet; take a full backup first");
	if (r == 0)
		r = db_last_backup(db, 0, &last);
	if (r != 0)
		return r;
	bs->gen_low = last.gen_high + 1;
	bs->lsn_low = last.lsn_high + 1;
	r = redo_path(x->d->paths.logdir, bs->gen_low, path, sizeof(path));
	if (r == 0 && !fio_exists(path))
		return req_fail(x, CS_E_MISSING_FULL, "log generation %08X, which"
				" follows the last backup, no longer exists; take a"
				" full backup", bs->gen_low);
	if (r == 0 && !same_lineage(x, path))
		return req_fail(x, CS_E_MISSING_FULL, "the CA's history forked at"
				" a restore after the last backup (log generation"
				" %08X belongs to the old history); take a full"
				" backup", bs->gen_low);
	return r;
}

static int
prepare_full(struct req *x, struct backup_session *bs)
{
	uint64_t limit = x->d->cfg->backup_max_wal_mb * 1024u * 1024u;
	int r;

	r = commit_backup_start(x->d->commit, limit, &bs->start);
	if (r == CS_E_BUSY)
		return req_fail(x, r, "readers kept the checkpoint that starts a"
				" full backup from completing; try again");
	if (r < 0)
		return r;
	bs->paused = 1;
	if (fstat(x->d->db_fd, &bs->db_stat) < 0)
		return -errno;   /* session_free resumes the checkpoints */
	bs->gen_low = bs->start.generation;
	bs->lsn_low = bs->start.lsn;
	return 0;
}

/* Claim the CA's single backup slot for bs. */
static int
claim_slot(struct req *x, struct backup_session *bs)
{
	int r = 0;

	pthread_mutex_lock(&x->d->backup_lock);
	if (x->d->backup_active)
		r = CS_E_BACKUP_IN_PROGRESS;
	else
		x->d->backup_active = bs;
	pthread_mutex_unlock(&x->d->backup_lock);
	if (r < 0)
		req_fail(x, r, "another backup of this CA is in progress");
	return r;
}

int
backup_prepare(struct req *x)
{
	struct backup_session *bs;
	uint32_t flags = 0, grbit = 0;
	int r;

	if (x->c->backup)
		return req_fail(x, CS_E_SEQUENCE, "this connection already has a"
				" backup session; end it first");
	if (proto_get_u32(&x->r, PT_FLAGS, &flags) < 0 ||
	    (flags != CSBACKUP_TYPE_FULL && flags != CSBACKUP_TYPE_LOGS_ONLY))
		return req_fail(x, CS_E_INVALID, "the backup type must be"
				" CSBACKUP_TYPE_FULL or CSBACKUP_TYPE_LOGS_ONLY");
	r = proto_get_u32(&x->r, PT_GRBIT, &grbit);
	if ((r < 0 && r != -ENOENT) || (r == 0 && grbit != 0))
		return req_fail(x, CS_E_INVALID, "grbitJet must be 0");
	bs = calloc(1, sizeof(*bs));
	if (!bs)
		return -ENOMEM;
	bs->type = (int)flags;
	bs->started = time(NULL);
	bs->open_idx = -1;
	bs->open_fd = -1;
	r = claim_slot(x, bs);
	if (r < 0) {
		free(bs);
		return r;
	}
	r = flags == CSBACKUP_TYPE_FULL ? prepare_full(x, bs)
					: prepare_logs_only(x, bs);
	if (r < 0) {
		session_free(x->d, bs);
		return r;
	}
	x->c->backup = bs;
	return req_reply_ok(x);
}

/* ------------------------------------------------------- database names */

int
backup_database_names(struct req *x)
{
	struct backup_session *bs;
	struct buf list = BUF_INIT;
	int r = 0;

	bs = session_of(x, &r);
	if (!bs)
		return r;
	if (bs->type != CSBACKUP_TYPE_FULL)
		return req_fail(x, CS_E_BACKUP_SEQUENCE, "a logs-only (incremental)"
				" backup has no database files");
	if (bs->logs_listed)
		return req_fail(x, CS_E_SEQUENCE, "the database files must be"
				" listed before the logs");
	r = check_aborted(x, bs);
	if (r == 0 && !bs->db_listed) {
		r = add_listed(bs, x->d->paths.db_path, 1, bs->db_stat.st_size);
		bs->db_listed = r == 0;
	}
	if (r < 0)
		return r;
	list_add(&list, TAG_DATABASE, x->d->paths.db_path);
	return reply_list(x, &list);
}

/* ------------------------------------------------------- open/read/close */

static int
find_listed(struct backup_session *bs, const char *path)
{
	size_t i;

	for (i = 0; i < bs->n_files; i++)
		if (strcmp(bs->files[i].path, path) == 0)
			return (int)i;
	return -1;
}

/* Open a listed log into bs->open_fd: never through a symbolic link, and
 * only if it is still the file that was checked when it was listed. */
static int
open_listed_log(struct req *x, struct backup_session *bs,
		const struct listed *f)
{
	struct stat st;

	bs->open_fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (bs->open_fd < 0 && errno == ELOOP)
		return req_fail(x, CS_E_CORRUPT, "%s was replaced by a symbolic"
				" link after it was listed", f->path);
	if (bs->open_fd < 0)
		return req_fail(x, -errno, "%s: %s", f->path, strerror(errno));
	if (fstat(bs->open_fd, &st) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino)
		return 0;
	close(bs->open_fd);
	bs->open_fd = -1;
	bs->broken = 1;
	return req_fail(x, CS_E_CORRUPT, "%s is not the file that was listed;"
			" this backup is not usable", f->path);
}

int
backup_open(struct req *x)
{
	struct backup_session *bs;
	struct listed *f;
	char *path = NULL;
	int r = 0, idx;

	bs = session_of(x, &r);
	if (!bs)
		return r;
	if (bs->open_idx >= 0)
		return req_fail(x, CS_E_SEQUENCE, "a file is already open; close it"
				" first");
	if (proto_get_str(&x->r, PT_PATH, 4096, &path) < 0)
		return req_fail(x, CS_E_INVALID, "the request names no file");
	idx = find_listed(bs, path);
	if (idx < 0) {
		r = req_fail(x, CS_E_NOTFOUND, "%s was not listed by this backup"
			     " session", path);
		goto out;
	}
	f = &bs->files[idx];
	if (f->is_db && bs->logs_listed) {
		r = req_fail(x, CS_E_SEQUENCE, "database files cannot be opened"
			     " after the logs were listed");
		goto out;
	}
	r = check_aborted(x, bs);
	if (r == 0 && !f->is_db)
		r = open_listed_log(x, bs, f);
	if (r < 0)
		goto out;
	bs->open_idx = idx;
	bs->offset = 0;
	r = req_reply_ok(x);
	proto_put_u64(x->reply, PT_SIZE, (uint64_t)f->size);
out:
	free(path);
	return r;
}

/* Write the reply frame for n bytes of PT_DATA, then the bytes themselves
 * straight from the file with sendfile(). */
static int
send_data(struct req *x, int file_fd, off_t off, size_t n)
{
	uint8_t head[PROTO_HDR_LEN + 6];
	struct proto_hdr h = { PROTO_MAGIC, PROTO_VERSION, PROTO_REPLY_OK,
			       x->req_id, (uint32_t)(n + 6) };
	ssize_t w;

	proto_hdr_encode(head, &h);
	be16_store(head + PROTO_HDR_LEN, PT_DATA);
	be32_store(head + PROTO_HDR_LEN + 2, (uint32_t)n);
	if (send(x->c->fd, head, sizeof(head), MSG_NOSIGNAL | (n ? MSG_MORE : 0)) !=
	    (ssize_t)sizeof(head))
		return -EPIPE;
	while (n > 0) {
		w = sendfile(x->c->fd, file_fd, &off, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		n -= (size_t)w;
	}
	return 0;
}

#define PACE_MAX_BURST_NS 100000000LL /* credit an idle client at most 0.1 s */
#define PACE_BUSY_NS 250000000LL      /* busy: a CA write within 0.25 s */

static int64_t
monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
backup_ca_write_begin(struct daemon *d)
{
	atomic_fetch_add(&d->ca_writes_in_flight, 1);
}

void
backup_ca_write_end(struct daemon *d)
{
	atomic_store(&d->last_ca_write_ns, monotonic_ns());
	atomic_fetch_sub(&d->ca_writes_in_flight, 1);
}

/* The rate a session streams at now: backup_busy_rate_mb while the CA
 * serves writes (one in flight — a commit slowed down by the backup's own
 * I/O still counts — or one ended within PACE_BUSY_NS), else
 * backup_max_rate_mb; the lower of the two when both apply; 0 = unpaced. */
static uint64_t
pace_rate(struct daemon *d, int64_t now)
{
	uint64_t max = d->cfg->backup_max_rate_mb, busy = d->cfg->backup_busy_rate_mb;
	int busy_now = atomic_load(&d->ca_writes_in_flight) > 0 ||
		       now - atomic_load(&d->last_ca_write_ns) < PACE_BUSY_NS;

	if (busy && busy_now && (max == 0 || busy < max))
		return busy;
	return max;
}

/* Keep the session at or under its rate (10^6 bytes/s): before sending n
 * more bytes, sleep until the bytes already sent are due. A client that
 * paused (storing a file) gets at most PACE_MAX_BURST_NS of credit, so the
 * stream never bursts; a change of rate starts a new reckoning. Only this
 * connection's thread waits. */
static void
pace(struct backup_session *bs, struct daemon *d, size_t n)
{
	int64_t now = monotonic_ns(), due;
	uint64_t rate_mb = pace_rate(d, now);
	struct timespec until;

	if (rate_mb != bs->pace_rate) {
		bs->pace_rate = rate_mb;
		bs->paced_bytes = 0;
	}
	if (rate_mb == 0)
		return;
	if (bs->paced_bytes == 0)
		bs->pace_start_ns = now;
	due = bs->pace_start_ns + (int64_t)(bs->paced_bytes * 1000u / rate_mb);
	if (now - due > PACE_MAX_BURST_NS) {
		bs->pace_start_ns += now - due - PACE_MAX_BURST_NS;
		due = now - PACE_MAX_BURST_NS;
	}
	bs->paced_bytes += n;
	if (due <= now)
		return;
	until.tv_sec = (time_t)(due / 1000000000LL);
	until.tv_nsec = (long)(due % 1000000000LL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

int
backup_read(struct req *x)
{
	struct backup_session *bs;
	struct listed *f;
	uint32_t want = 0;
	size_t n;
	int r = 0, fd;

	bs = session_of(x, &r);
	if (!bs)
		return r;
	if (bs->open_idx < 0)
		return req_fail(x, CS_E_SEQUENCE, "no file is open");
	if (proto_get_u32(&x->r, PT_LENGTH, &want) < 0 || want == 0 ||
	    want > PROTO_MAX_READ)
		return req_fail(x, CS_E_INVALID, "a read must ask for 1 to %u"
				" bytes", PROTO_MAX_READ);
	r = check_aborted(x, bs);
	if (r < 0)
		return r;
	f = &bs->files[bs->open_idx];
	n = (size_t)(f->size - bs->offset);
	if (n > want)
		n = want;
	fd = f->is_db ? x->d->db_fd : bs->open_fd;
	/* Past the reply header the connection is committed to this reply:
	 * a failure now can only end the connection (and the session). */
	x->sent = 1;
	pace(bs, x->d, n);
	r = send_data(x, fd, bs->offset, n);
	if (r < 0) {
		shutdown(x->c->fd, SHUT_RDWR);
		return 0;
	}
	bs->offset += (off_t)n;
	return 0;
}

/* ca.db must be exactly as it was when the session started. */
static int
db_unchanged(struct req *x, struct backup_session *bs)
{
	struct stat st;

	if (fstat(x->d->db_fd, &st) < 0)
		return -errno;
	if (st.st_size == bs->db_stat.st_size &&
	    st.st_mtim.tv_sec == bs->db_stat.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == bs->db_stat.st_mtim.tv_nsec)
		return 0;
	bs->broken = 1;
	return req_fail(x, CS_E_CORRUPT, "%s changed while it was being backed"
			" up; this backup is not usable", bs->files[bs->open_idx].path);
}

int
backup_close(struct req *x)
{
	struct backup_session *bs;
	int r = 0;

	bs = session_of(x, &r);
	if (!bs)
		return r;
	if (bs->open_idx < 0)
		return req_fail(x, CS_E_SEQUENCE, "no file is open");
	if (bs->files[bs->open_idx].is_db) {
		r = db_unchanged(x, bs);
		if (r == 0)
			r = check_aborted(x, bs);
	}
	/* A file counts as backed up once the client closes it after reading
	 * it to its end: a client that fails to store it (full disk, failed
	 * fsync) ends the session without closing it, and the session is then
	 * not recorded. */
	if (r == 0 && bs->offset == bs->files[bs->open_idx].size)
		bs->files[bs->open_idx].done = 1;
	close_open_file(bs);
	return r < 0 ? r : req_reply_ok(x);
}

/* ---------------------------------------------------------------- logs */

/* Check one closed generation record by record. *expect: the LSN its first
 * record must have (0: the first file of the set, any start at or before
 * `first_needed`); on return, the LSN the next generation must start with. */
static int
check_generation(struct req *x, const char *path, uint32_t gen,
		 uint64_t *expect, uint64_t first_needed)
{
	struct redo_reader *rd = NULL;
	struct redo_file_hdr h;
	struct redo_record rec;
	uint64_t next;
	int r;

	r = redo_reader_open(path, &rd, &h);
	if (r < 0)
		return req_fail(x, r, "%s: %s", path, cs_strerror(r));
	if (h.generation != gen ||
	    memcmp(h.lineage, x->d->rinfo.lineage, REDO_LINEAGE_LEN) != 0)
		r = req_fail(x, CS_E_LINEAGE, "%s: wrong generation or lineage in"
			     " its header", path);
	else if ((*expect && h.first_lsn != *expect) ||
		 (!*expect && h.first_lsn > first_needed))
		r = req_fail(x, CS_E_GAP, "%s starts at LSN %llu, expected %llu",
			     path, (unsigned long long)h.first_lsn,
			     (unsigned long long)(*expect ? *expect : first_needed));
	next = h.first_lsn;
	if (r == 0)
		while ((r = redo_reader_next(rd, &rec)) == 1)
			next = rec.lsn + 1;
	if (r == 0 && redo_reader_has_tail(rd))
		r = CS_E_CORRUPT;
	if (r < 0 && !x->err[0])
		req_fail(x, r, "%s is damaged after LSN %llu; the backup stops here"
			 " rather than produce a set that cannot restore", path,
			 (unsigned long long)next - 1);
	redo_reader_close(rd);
	*expect = next;
	return r;
}

static int
list_generations(struct req *x, struct backup_session *bs, uint32_t high,
		 struct buf *list)
{
	char path[4096];
	struct stat st;
	uint64_t expect = 0;
	/* A full set continues the image (at lsn_low); a logs-only set starts
	 * right after the last backup (its lsn_low is the first LSN needed). */
	uint64_t first_needed = bs->type == CSBACKUP_TYPE_FULL ? bs->lsn_low + 1
							       : bs->lsn_low;
	uint32_t g;
	int r = 0;

	for (g = bs->gen_low; r == 0 && g <= high; g++) {
		r = redo_path(x->d->paths.logdir, g, path, sizeof(path));
		if (r == 0 && lstat(path, &st) < 0)
			r = req_fail(x, CS_E_GAP, "log generation %08X is missing",
				     g);
		if (r == 0 && !S_ISREG(st.st_mode))
			r = req_fail(x, CS_E_CORRUPT, "%s is not a regular file",
				     path);
		if (r == 0)
			r = check_generation(x, path, g, &expect, first_needed);
		if (r == 0)
			r = add_listed(bs, path, 0, st.st_size);
		if (r == 0) {
			bs->files[bs->n_files - 1].dev = st.st_dev;
			bs->files[bs->n_files - 1].ino = st.st_ino;
			list_add(list, TAG_LOG, path);
		}
	}
	return r;
}

int
backup_logs(struct req *x)
{
	struct commit_backup_point closed;
	struct backup_session *bs;
	struct buf list = BUF_INIT;
	int r = 0;

	bs = session_of(x, &r);
	if (!bs)
		return r;
	if (bs->open_idx >= 0)
		return req_fail(x, CS_E_SEQUENCE, "close the open file before"
				" listing the logs");
	if (bs->logs_listed)
		return req_fail(x, CS_E_SEQUENCE, "the logs were already listed");
	r = check_aborted(x, bs);
	if (r == 0)
		r = commit_roll_log(x->d->commit, &closed);
	if (r != 0)
		return r;
	/* No database file can be opened from now on: ca.db may change again. */
	if (bs->paused) {
		(void)commit_backup_finish(x->d->commit);
		bs->paused = 0;
	}
	bs->gen_high = closed.generation;
	bs->lsn_high = closed.lsn;
	bs->logs_listed = 1;
	r = list_generations(x, bs, closed.generation, &list);
	if (r < 0) {
		bs->broken = 1;
		buf_release(&list);
		return r;
	}
	return reply_list(x, &list);
}

/* ------------------------------------------------------------ history */

struct history_op {
	struct db_backup b;
};

static int
op_record_backup(sqlite3 *db, void *arg)
{
	return db_insert_backup(db, &((struct history_op *)arg)->b);
}

/* Add the session to the backup history, once. */
static int
record_history(struct req *x, struct backup_session *bs, int truncated)
{
	struct history_op op;
	int r;

	if (bs->recorded)
		return 0;
	memset(&op, 0, sizeof(op));
	op.b.type = bs->type;
	op.b.started_at = bs->started;
	op.b.ended_at = time(NULL);
	op.b.lsn_low = bs->lsn_low;
	op.b.lsn_high = bs->lsn_high;
	op.b.gen_low = bs->gen_low;
	op.b.gen_high = bs->gen_high;
	op.b.truncated = truncated;
	r = commit_run(x->d->commit, op_record_backup, &op);
	if (r == 0)
		bs->recorded = 1;
	return r;
}

/* ------------------------------------------------------------ truncate */

static int
everything_read(const struct backup_session *bs)
{
	size_t i;

	for (i = 0; i < bs->n_files; i++)
		if (!bs->files[i].done)
			return 0;
	return bs->logs_listed && !bs->broken &&
	       (bs->type != CSBACKUP_TYPE_FULL || bs->db_listed);
}

int
backup_truncate(struct req *x)
{
	struct backup_session *bs;
	uint32_t deleted = 0;
	int r = 0;

	bs = session_of(x, &r);
	if (!bs)
		return r;
	if (bs->open_idx >= 0 || !everything_read(bs))
		return req_fail(x, CS_E_SEQUENCE, "logs can be truncated only after"
				" every listed file was read to its end and closed");
	if (bs->truncated)
		return req_fail(x, CS_E_SEQUENCE, "the logs were already truncated");
	r = check_aborted(x, bs);
	if (r < 0)
		return r;
	/* Recorded before anything is deleted: a crash between the deletion
	 * and End must not leave deleted generations that no recorded backup
	 * covers (the next incremental continues right after this one). */
	r = record_history(x, bs, 1);
	if (r == 0)
		r = commit_truncate_logs(x->d->commit, bs->gen_high, &deleted);
	if (r < 0)
		return r;
	bs->truncated = 1;
	return req_reply_ok(x);
}

/* ------------------------------------------------------- dynamic files */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of certenroll/, sorted, into list. */
static int
list_certenroll(const char *datadir, struct buf *list)
{
	char *dir = fio_join(datadir, "certenroll"), **names = NULL, **grown;
	struct dirent *e;
	size_t n = 0, i;
	DIR *d;
	int r = 0;

	d = dir ? opendir(dir) : NULL;
	if (!d) {
		free(dir);
		return dir ? -errno : -ENOMEM;
	}
	while (r == 0 && (e = readdir(d))) {
		if (e->d_type != DT_REG)
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = fio_join(dir, e->d_name))) {
			names = grown ? grown : names;
			r = -ENOMEM;
			break;
		}
		names = grown;
		n++;
	}
	closedir(d);
	if (n > 1)  /* names is NULL when n is 0: not a valid qsort argument */
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		if (r == 0)
			list_add(list, 0, names[i]);
		free(names[i]);
	}
	free(names);
	free(dir);
	return r;
}

int
backup_dynamic_files(struct req *x)
{
	static const char *const fixed[] = { "certsrv.conf", "ca/ca.crt" };
	struct buf list = BUF_INIT;
	char *p;
	size_t i;
	int r = 0;

	if (!session_of(x, &r))
		return r;
	for (i = 0; r == 0 && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		p = fio_join(x->d->paths.datadir, fixed[i]);
		if (!p)
			r = -ENOMEM;
		else
			list_add(&list, 0, p);
		free(p);
	}
	if (r == 0)
		r = list_certenroll(x->d->paths.datadir, &list);
	if (r < 0) {
		buf_release(&list);
		return r;
	}
	return reply_list(x, &list);
}

/* --------------------------------------------------- restore locations */

int
backup_restore_locations(struct req *x)
{
	struct buf list = BUF_INIT;
	int r = 0;

	if (!session_of(x, &r))
		return r;
	list_add(&list, TAG_DATABASE, x->d->paths.db_path);
	list_add(&list, TAG_LOG_DIR, x->d->paths.logdir);
	list_add(&list, TAG_CHECKPOINT_DIR, x->d->paths.logdir);
	return reply_list(x, &list);
}

/* ----------------------------------------------------------------- end */

int
backup_end(struct req *x)
{
	struct backup_session *bs;
	int r = 0;

	bs = session_of(x, &r);
	if (!bs)
		return r;
	close_open_file(bs);
	if (everything_read(bs) && !bs->recorded && !check_aborted(x, bs))
		r = record_history(x, bs, bs->truncated);
	x->err[0] = '\0';
	backup_session_abort(x->c);
	return r < 0 ? r : req_reply_ok(x);
}
