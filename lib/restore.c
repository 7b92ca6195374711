/*
 * restore.c — restore sessions: preparation checks, the registration file
 * (through src/common/restorereg.h) and the local location list (see
 * restore.h).
 *
 * Invariants: c->datadir is the canonical absolute data directory; c->st is
 * what DATADIR/restore/restore.env holds after the last successful save of
 * this context (or the fresh state a CSRESTORE_TYPE_FULL restore will write
 * first); a change whose save fails is undone in c->st before returning, so
 * a failed call leaves both the file and the context as they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certsrv/certbcli.h"
#include "common/buf.h"
#include "common/client.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/restorereg.h"
#include "control.h"
#include "restore.h"

#define RESTORE_DB_DIR "db"
#define RESTORE_DB_NAME "ca.db"
#define RESTORE_DB_REL RESTORE_DB_DIR "/" RESTORE_DB_NAME
#define RESTORE_LOG_REL "logs"
#define RESTORE_SUBDIR "restore"

struct restore_ctx {
	char *datadir; /* canonical, absolute */
	struct restore_state st;
	int file_is_ours; /* restore.env belongs to this restore: continued
			     from it, or written by this handle */
};

void restore_ctx_free(struct restore_ctx *c)
{
	if (c == NULL)
		return;
	restorereg_release(&c->st);
	free(c->datadir);
	free(c);
}

/* The [restore] options (roll-forward, point-in-time target) belong to
 * whoever set them in the file (certsrv restore): a save from this handle
 * keeps what the file says instead of the handle's copy. */
static void keep_file_options(struct restore_ctx *c)
{
	struct restore_state disk;
	char err[64];

	/* A fresh (CSRESTORE_TYPE_FULL) restore replaces an older file whole,
	 * with the default options. */
	if (!c->file_is_ours ||
	    restorereg_load(c->datadir, &disk, err, sizeof(err)) != 0) {
		c->file_is_ours = 1;
		return;
	}
	c->st.roll_forward = disk.roll_forward;
	c->st.until_time = disk.until_time;
	c->st.until_lsn = disk.until_lsn;
	restorereg_release(&disk);
}

/* The internal code for a failed lookup of a directory the caller named. */
static int restore_dir_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return -ENOTDIR; /* ERROR_PATH_NOT_FOUND */
	case EPERM:
		return -EACCES;
	default:
		return -e;
	}
}

/* 0 if the caller may create and replace files in dir. */
static int restore_writable(const char *dir)
{
	if (access(dir, W_OK | X_OK) == 0)
		return 0;
	return restore_dir_errno(errno);
}

int restore_prepare(const char *server, uint32_t flags, struct restore_ctx **out)
{
	struct restore_ctx *c = NULL;
	char *dir = NULL, *sub = NULL;
	char err[256];
	struct stat sb;
	int r;

	*out = NULL;
	if ((flags & ~(uint32_t)CSRESTORE_TYPE_FULL) != 0)
		return CS_E_INVALID;
	r = client_data_dir(server, &dir);
	if (r < 0)
		goto out;
	if (dir == NULL) {
		r = CS_E_INVALID; /* "unix:PATH" designates no data directory */
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		r = -ENOMEM;
		goto out;
	}
	restorereg_init(&c->st);
	c->datadir = realpath(dir, NULL);
	if (c->datadir == NULL) {
		r = restore_dir_errno(errno);
		goto out;
	}
	if (stat(c->datadir, &sb) < 0) {
		r = restore_dir_errno(errno);
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		r = -ENOTDIR;
		goto out;
	}
	r = control_daemon_running(c->datadir, CONTROL_PING_MS);
	if (r < 0)
		goto out;
	if (r > 0) {
		r = -ETXTBSY; /* ERROR_SHARING_VIOLATION: the CA is online */
		goto out;
	}
	r = restore_writable(c->datadir);
	if (r < 0)
		goto out;
	sub = fio_join(c->datadir, RESTORE_SUBDIR);
	if (sub == NULL) {
		r = -ENOMEM;
		goto out;
	}
	r = fio_exists(sub);
	if (r > 0)
		r = restore_writable(sub);
	if (r < 0)
		goto out;
	if ((flags & CSRESTORE_TYPE_FULL) == 0) {
		r = restorereg_load(c->datadir, &c->st, err, sizeof(err));
		if (r == -ENOENT)
			r = 0; /* nothing registered yet: an empty state */
		if (r < 0)
			goto out;
		c->file_is_ours = 1;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	restore_ctx_free(c);
	free(dir);
	free(sub);
	return r;
}

/* An optional path: NULL or "" (none) or absolute. */
static int restore_optional_path(const char *p)
{
	return p == NULL || p[0] == '\0' || p[0] == '/';
}

static int restore_check_args(const struct restore_reg_args *a)
{
	if (a->nmap < 0 || a->nmap > 1)
		return CS_E_INVALID;
	if (a->nmap == 1 &&
	    (!a->have_map || a->map_from == NULL || a->map_from[0] != '/' ||
	     a->map_to == NULL || a->map_to[0] != '/'))
		return CS_E_INVALID;
	if (a->gen_low == 0 || a->gen_low > a->gen_high)
		return CS_E_INVALID;
	if (!restore_optional_path(a->checkpoint) ||
	    !restore_optional_path(a->log_path) ||
	    !restore_optional_path(a->backup_log_path))
		return CS_E_INVALID;
	return 0;
}

/* 1 if a registration with a restore map (a full one) exists. */
static int restore_has_full(const struct restore_state *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		if (st->regs[i].map_to != NULL)
			return 1;
	}
	return 0;
}

/* If path (absolute) designates DATADIR/db/ca.db — the real path of its
 * directory is the real path of DATADIR/db and its file name is ca.db —
 * set *canon to the canonical DATADIR/db/ca.db (malloc'd). Else
 * CS_E_INVALID (also when either directory does not resolve). */
static int restore_resolve_db(const struct restore_ctx *c, const char *path,
			      char **canon)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL, *rdir = NULL, *dbdir = NULL, *want = NULL;
	int r = CS_E_INVALID;

	*canon = NULL;
	if (slash == NULL || strcmp(slash + 1, RESTORE_DB_NAME) != 0)
		goto out;
	dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	dbdir = fio_join(c->datadir, RESTORE_DB_DIR);
	if (dir == NULL || dbdir == NULL) {
		r = -ENOMEM;
		goto out;
	}
	rdir = realpath(dir, NULL);
	if (rdir != NULL)
		want = realpath(dbdir, NULL);
	if (rdir == NULL || want == NULL) {
		r = errno == ENOMEM ? -ENOMEM : CS_E_INVALID;
		goto out;
	}
	if (strcmp(rdir, want) != 0)
		goto out;
	*canon = fio_join(c->datadir, RESTORE_DB_REL);
	r = *canon != NULL ? 0 : -ENOMEM;
out:
	free(dir);
	free(rdir);
	free(dbdir);
	free(want);
	return r;
}

/* Free the strings of a registration and zero it. */
static void restore_clear_reg(struct restore_registration *reg)
{
	free(reg->checkpoint);
	free(reg->log_path);
	free(reg->backup_log_path);
	free(reg->map_from);
	free(reg->map_to);
	memset(reg, 0, sizeof(*reg));
}

int restore_register(struct restore_ctx *c, const struct restore_reg_args *a)
{
	struct restore_state *st = &c->st;
	struct restore_registration *reg = NULL;
	char *canon = NULL;
	int old_ended = st->ended;
	int r;

	r = restore_check_args(a);
	if (r < 0)
		goto out;
	if (st->n > 0 && !st->regs[st->n - 1].complete) {
		r = CS_E_SEQUENCE; /* the interlock */
		goto out;
	}
	if (a->nmap == 1 && st->n > 0) {
		r = CS_E_SEQUENCE; /* a full backup is the first registration */
		goto out;
	}
	if (a->nmap == 0 && !restore_has_full(st)) {
		r = CS_E_MISSING_FULL;
		goto out;
	}
	if (st->n >= RESTOREREG_MAX) {
		r = CS_E_TOOBIG;
		goto out;
	}
	if (a->nmap == 1) {
		r = restore_resolve_db(c, a->map_to, &canon);
		if (r < 0)
			goto out;
	}
	reg = &st->regs[st->n];
	memset(reg, 0, sizeof(*reg));
	if (restorereg_set(&reg->checkpoint, a->checkpoint) < 0 ||
	    restorereg_set(&reg->log_path, a->log_path) < 0 ||
	    restorereg_set(&reg->backup_log_path, a->backup_log_path) < 0 ||
	    (a->nmap == 1 && restorereg_set(&reg->map_from, a->map_from) < 0)) {
		r = -ENOMEM;
		goto out;
	}
	reg->map_to = canon; /* NULL for an incremental */
	canon = NULL;
	reg->gen_low = a->gen_low;
	reg->gen_high = a->gen_high;
	st->n++;
	st->ended = 0;
	keep_file_options(c);
	r = restorereg_save(c->datadir, st);
	if (r < 0) {
		st->n--;
		st->ended = old_ended;
		goto out;
	}
	reg = NULL; /* kept */
out:
	if (reg != NULL)
		restore_clear_reg(reg);
	free(canon);
	return r;
}

int restore_complete(struct restore_ctx *c, int32_t status)
{
	struct restore_registration *reg;
	int r;

	if (c->st.n == 0 || c->st.regs[c->st.n - 1].complete)
		return CS_E_SEQUENCE;
	reg = &c->st.regs[c->st.n - 1];
	reg->complete = 1;
	reg->status = status;
	keep_file_options(c);
	r = restorereg_save(c->datadir, &c->st);
	if (r < 0) {
		reg->complete = 0;
		reg->status = 0;
	}
	return r;
}

/* Give `path` (absolute) to uid:gid when it lies inside the data directory;
 * a path elsewhere is the caller's and stays as it is. A file that is not
 * there is not an error. */
static int restore_give(const struct restore_ctx *c, const char *path,
			uid_t uid, gid_t gid)
{
	size_t n = strlen(c->datadir);
	int r;

	if (path == NULL || strncmp(path, c->datadir, n) != 0 || path[n] != '/')
		return 0;
	r = fio_give_beneath(c->datadir, path + n + 1, uid, gid);
	if (r == -ENOENT)
		return 0;
	/* A symbolic link on the way, other hard links, a "." or "..":
	 * root will not hand it over (E_ACCESSDENIED, not a bad argument). */
	return r == -ELOOP || r == -EMLINK || r == -EINVAL ? -EACCES : r;
}

/* The logs gen_low..gen_high of a registered log directory. */
static int restore_give_logs(const struct restore_ctx *c, const char *dir,
			     const struct restore_registration *reg,
			     uid_t uid, gid_t gid)
{
	char path[4096];
	uint32_t g;
	int r;

	r = restore_give(c, dir, uid, gid);
	for (g = reg->gen_low; r == 0 && dir && g >= reg->gen_low &&
			       g <= reg->gen_high; g++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/ca%08X.log", dir,
				     (unsigned)g) >= sizeof(path))
			return -ENAMETOOLONG;
		r = restore_give(c, path, uid, gid);
	}
	return r;
}

/* When root runs a restore into a data directory that belongs to another
 * user (certsrvd running as a service user), what the restore placed there
 * is given to that user, or certsrvd could not read it: DATADIR/restore,
 * restore.env, and each registration's database image and logs that lie
 * inside the data directory. 0 or the first error. */
static int restore_give_to_owner(const struct restore_ctx *c)
{
	const struct restore_registration *reg;
	uid_t uid;
	gid_t gid;
	size_t i;
	int r;

	r = fio_datadir_owner(c->datadir, &uid, &gid);
	if (r <= 0)
		return r;
	r = fio_give_beneath(c->datadir, RESTORE_SUBDIR, uid, gid);
	if (r == 0)
		r = fio_give_beneath(c->datadir, RESTORE_SUBDIR "/restore.env",
				     uid, gid);
	for (i = 0; r == 0 && i < c->st.n; i++) {
		reg = &c->st.regs[i];
		r = restore_give(c, reg->map_to, uid, gid);
		if (r == 0)
			r = restore_give_logs(c, reg->log_path, reg, uid, gid);
		if (r == 0)
			r = restore_give_logs(c, reg->backup_log_path, reg, uid, gid);
		if (r == 0)
			r = restore_give(c, reg->checkpoint, uid, gid);
	}
	return r;
}

int restore_end(struct restore_ctx *c)
{
	int old = c->st.ended;
	int r;

	if (c->st.n == 0)
		return 0;
	c->st.ended = 1;
	keep_file_options(c);
	r = restorereg_save(c->datadir, &c->st);
	if (r < 0) {
		c->st.ended = old;
		return r;
	}
	return restore_give_to_owner(c);
}

/* Append one PT_LIST entry: tag, datadir/rel, NUL. */
static int restore_list_add(struct buf *b, uint8_t tag, const char *datadir,
			    const char *rel)
{
	char *path = fio_join(datadir, rel);

	if (path == NULL)
		return -ENOMEM;
	buf_put_u8(b, tag);
	buf_append_str(b, path);
	buf_put_u8(b, 0);
	free(path);
	return b->oom ? -ENOMEM : 0;
}

int restore_locations(const struct restore_ctx *c, enum lists_flavour flavour,
		      void **out, uint32_t *cb)
{
	struct buf b = BUF_INIT;
	int r;

	*out = NULL;
	*cb = 0;
	r = restore_list_add(&b, CSBFT_CERTSERVER_DATABASE, c->datadir,
			     RESTORE_DB_REL);
	if (r == 0)
		r = restore_list_add(&b, CSBFT_LOG_DIR, c->datadir, RESTORE_LOG_REL);
	if (r == 0)
		r = restore_list_add(&b, CSBFT_CHECKPOINT_DIR, c->datadir,
				     RESTORE_LOG_REL);
	if (r == 0)
		r = lists_build(b.data, b.len, LISTS_TAGGED, flavour, out, cb);
	buf_release(&b);
	return r;
}
