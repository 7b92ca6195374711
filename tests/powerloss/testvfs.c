/*
 * testvfs.c — a test-only SQLite VFS wrapper, loaded into a real certsrvd
 * with LD_PRELOAD (build/tests/libpowerloss.so). Its constructor registers
 * it as the default VFS over the default one ("unix"); certsrvd opens every
 * connection with the default VFS, so the product is unchanged.
 *
 * For the main database and its WAL (ca.db, ca.db-wal) it does two things:
 *  - POWERLOSS_JOURNAL=DIR: every xWrite, xTruncate and xSync is appended
 *    to the power-loss journal (pjournal.h) before it runs, with the old
 *    bytes, so tests/powerloss/powercut can later rebuild the file as a
 *    power cut could leave it. The -shm is not a durable file (SQLite
 *    rebuilds the wal-index from the WAL when the first connection opens):
 *    it is not journaled and powercut deletes it.
 *  - TESTVFS_FAIL=WHAT:N:ERR[,...]: the Nth call of WHAT fails once, where
 *    WHAT is db-write, db-sync, db-trunc, wal-write, wal-sync or wal-trunc
 *    and ERR is EIO or ENOSPC; mapped as SQLite's unix VFS maps them
 *    (write: SQLITE_IOERR_WRITE / SQLITE_FULL; sync: SQLITE_IOERR_FSYNC;
 *    truncate: SQLITE_IOERR_TRUNCATE). Each injected fault prints one line
 *    "testvfs: injected ..." to stderr, so a test can prove it fired.
 * Every other file and every other method is passed through untouched.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "pjournal.h"

enum tv_kind { TV_OTHER, TV_DB, TV_WAL };
enum tv_op { TV_WRITE, TV_SYNC, TV_TRUNC, TV_NOPS };

struct tv_file {
	sqlite3_file base;
	sqlite3_file *real;      /* the wrapped file, right after this struct */
	char *path;              /* tracked files only */
	int kind;
	int pad;
};

static sqlite3_vfs *orig_vfs;
static sqlite3_vfs tv_vfs;
static const sqlite3_io_methods tv_io;

/* Fault plan: fail_at[kind][op] = N (0: never), fail_err the errno. */
static long fail_at[3][TV_NOPS];
static int fail_err[3][TV_NOPS];
static atomic_long calls[3][TV_NOPS];

static const char *const kind_name[] = { "other", "ca.db", "ca.db-wal" };
static const char *const op_name[] = { "write", "sync", "truncate" };

#define REAL(f) (((struct tv_file *)(f))->real)

/* 0, or the SQLite error of the fault injected into this call. */
static int
injected(struct tv_file *f, int op)
{
	long n;
	int e;

	if (f->kind == TV_OTHER || !fail_at[f->kind][op])
		return 0;
	n = atomic_fetch_add(&calls[f->kind][op], 1) + 1;
	if (n != fail_at[f->kind][op])
		return 0;
	e = fail_err[f->kind][op];
	fprintf(stderr, "testvfs: injected %s on %s #%ld of %s\n",
		e == ENOSPC ? "ENOSPC" : "EIO", op_name[op], n, kind_name[f->kind]);
	if (op == TV_SYNC)
		return SQLITE_IOERR_FSYNC;
	if (op == TV_TRUNC)
		return SQLITE_IOERR_TRUNCATE;
	return e == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
}

static int
journaled(const struct tv_file *f)
{
	return f->path && pj_enabled();
}

static sqlite3_int64
real_size(struct tv_file *f)
{
	sqlite3_int64 sz = 0;

	if (f->real->pMethods->xFileSize(f->real, &sz) != SQLITE_OK)
		sz = 0;
	return sz;
}

/* Old bytes of [off, off + len) clipped to the file's size, into a new buffer. */
static uint8_t *
read_old(struct tv_file *f, sqlite3_int64 off, sqlite3_int64 size, size_t *len)
{
	uint8_t *b;

	if (off >= size) {
		*len = 0;
		return NULL;
	}
	if ((sqlite3_int64)*len > size - off)
		*len = (size_t)(size - off);
	b = malloc(*len ? *len : 1);
	if (b && f->real->pMethods->xRead(f->real, b, (int)*len, off) != SQLITE_OK)
		memset(b, 0, *len);
	return b;
}

static int
tv_close(sqlite3_file *file)
{
	struct tv_file *f = (struct tv_file *)file;
	int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

	free(f->path);
	f->path = NULL;
	return rc;
}

static int
tv_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int
tv_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	struct tv_file *f = (struct tv_file *)file;
	struct pj_rec r;
	uint8_t *old;
	size_t old_len = (size_t)amt;
	sqlite3_int64 size;
	int rc = injected(f, TV_WRITE);

	if (rc)
		return rc;
	if (!journaled(f))
		return f->real->pMethods->xWrite(f->real, buf, amt, off);
	pj_lock();
	size = real_size(f);
	old = read_old(f, off, size, &old_len);
	r = (struct pj_rec){ .type = PJ_WRITE, .off = (uint64_t)off,
			     .old_size = (uint64_t)size, .path = f->path,
			     .path2 = "", .saved = "", .old_data = old,
			     .old_len = old_len, .new_data = buf,
			     .new_len = (size_t)amt };
	pj_append(&r);
	free(old);
	rc = f->real->pMethods->xWrite(f->real, buf, amt, off);
	pj_unlock();
	return rc;
}

static int
tv_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct tv_file *f = (struct tv_file *)file;
	struct pj_rec r;
	uint8_t *old;
	sqlite3_int64 old_size;
	size_t old_len;
	int rc = injected(f, TV_TRUNC);

	if (rc)
		return rc;
	if (!journaled(f))
		return f->real->pMethods->xTruncate(f->real, size);
	pj_lock();
	old_size = real_size(f);
	old_len = old_size > size ? (size_t)(old_size - size) : 0;
	old = read_old(f, size, old_size, &old_len);
	r = (struct pj_rec){ .type = PJ_TRUNC, .off = (uint64_t)size,
			     .old_size = (uint64_t)old_size, .path = f->path,
			     .path2 = "", .saved = "", .old_data = old,
			     .old_len = old_len };
	pj_append(&r);
	free(old);
	rc = f->real->pMethods->xTruncate(f->real, size);
	pj_unlock();
	return rc;
}

static int
tv_sync(sqlite3_file *file, int flags)
{
	struct tv_file *f = (struct tv_file *)file;
	struct pj_rec r;
	int rc = injected(f, TV_SYNC);

	if (rc)
		return rc;
	if (!journaled(f))
		return f->real->pMethods->xSync(f->real, flags);
	pj_lock();
	r = (struct pj_rec){ .type = PJ_SYNC, .path = f->path, .path2 = "",
			     .saved = "" };
	pj_append(&r);
	rc = f->real->pMethods->xSync(f->real, flags);
	pj_unlock();
	return rc;
}

static int
tv_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
tv_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
tv_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
tv_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
tv_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
tv_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
tv_device_chars(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
tv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, p);
}

static int
tv_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
tv_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
tv_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
tv_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

static int
tv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods tv_io = {
	3, tv_close, tv_read, tv_write, tv_truncate, tv_sync, tv_file_size,
	tv_lock, tv_unlock, tv_check_reserved, tv_file_control, tv_sector_size,
	tv_device_chars, tv_shm_map, tv_shm_lock, tv_shm_barrier, tv_shm_unmap,
	tv_fetch, tv_unfetch,
};

static int
tv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
	int *out_flags)
{
	struct tv_file *f = (struct tv_file *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = orig_vfs->xOpen(orig_vfs, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		f->base.pMethods = NULL;
		return rc;
	}
	if (name && (flags & SQLITE_OPEN_MAIN_DB))
		f->kind = TV_DB;
	else if (name && (flags & SQLITE_OPEN_WAL))
		f->kind = TV_WAL;
	if (name && f->kind != TV_OTHER)
		f->path = strdup(name);
	f->base.pMethods = &tv_io;
	return SQLITE_OK;
}

static int
tv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return orig_vfs->xDelete(orig_vfs, name, sync_dir);
}

static int
tv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return orig_vfs->xAccess(orig_vfs, name, flags, out);
}

static int
tv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return orig_vfs->xFullPathname(orig_vfs, name, n, out);
}

/* Parse TESTVFS_FAIL=WHAT:N:ERR[,WHAT:N:ERR...]; an unknown entry aborts
 * (a typo must not make a fault test pass by injecting nothing). */
static void
parse_faults(const char *spec)
{
	char *copy = strdup(spec), *tok, *save = NULL;
	char what[16], err[16];
	int kind, op;
	long n;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		/* NOLINTNEXTLINE(cert-err34-c): a test knob; n < 1 is refused */
		if (sscanf(tok, "%3[a-z]-%8[a-z]:%ld:%15s", what, what + 4, &n, err) != 4 ||
		    n < 1)
			goto bad;
		kind = !strcmp(what, "db") ? TV_DB : !strcmp(what, "wal") ? TV_WAL : -1;
		op = !strcmp(what + 4, "write") ? TV_WRITE :
		     !strcmp(what + 4, "sync") ? TV_SYNC :
		     !strcmp(what + 4, "trunc") ? TV_TRUNC : -1;
		if (kind < 0 || op < 0 || (strcmp(err, "EIO") && strcmp(err, "ENOSPC")))
			goto bad;
		fail_at[kind][op] = n;
		fail_err[kind][op] = strcmp(err, "EIO") ? ENOSPC : EIO;
	}
	free(copy);
	return;
bad:
	fprintf(stderr, "testvfs: bad TESTVFS_FAIL entry '%s'\n", tok);
	abort();
}

__attribute__((constructor)) static void
tv_register(void)
{
	const char *spec = getenv("TESTVFS_FAIL");

	if (spec && *spec)
		parse_faults(spec);
	orig_vfs = sqlite3_vfs_find(NULL);
	if (!orig_vfs) {
		fprintf(stderr, "testvfs: no default SQLite VFS\n");
		abort();
	}
	tv_vfs = *orig_vfs;
	tv_vfs.zName = "powerloss";
	tv_vfs.szOsFile = (int)sizeof(struct tv_file) + orig_vfs->szOsFile;
	tv_vfs.pNext = NULL;
	tv_vfs.xOpen = tv_open;
	tv_vfs.xDelete = tv_delete;
	tv_vfs.xAccess = tv_access;
	tv_vfs.xFullPathname = tv_full_pathname;
	if (sqlite3_vfs_register(&tv_vfs, 1) != SQLITE_OK) {
		fprintf(stderr, "testvfs: cannot register the VFS\n");
		abort();
	}
}
