/*
 * backup.c — `certsrv backup TARGET|-o - [--incremental] [--keep-log]
 * [--progress] [--force]` (see backup.h for the guarantees; the set format
 * and manifest are in docs/formats.md, "Backup set").
 *
 * Structure: a "sink" puts the files of the set either into a directory
 * (each file created exclusively, written, fsync'd; directories fsync'd at
 * the end; manifest.json by temp file + rename) or into a pax tar stream on
 * stdout (libarchive, unblocked, each member's size announced from
 * OpenFile's size and streamed as it is read: no temporary file). Every byte
 * goes through the sink, the manifest builder (SHA-256, log checks) and the
 * progress line, once.
 */
#include "cli/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <certsrv/certbcli.h>

#include "cli/manifest.h"
#include "common/errors.h"
#include "common/fileio.h"

#define READ_SIZE (1024u * 1024u) /* per CertSrvBackupRead, and the hint */
/* Largest write() into the set: on some virtual machines a 1 MiB write()
 * into fresh page cache costs several times as much as 16 of 64 KiB
 * (BENCHMARKS.md, "online backup"). */
#define WRITE_SIZE (64u * 1024u)
#define DIR_MODE 0750
#define FILE_MODE 0640
#define HR_OFFLINE ((HRESULT)0x800706BAu)
#define PROGRESS_PERIOD 0.1 /* seconds between redraws: at most 10/s */
#define PROGRESS_WIDTH 72

/* --------------------------------------------------------------- helpers */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "123 B", "4.5 KiB", "12.3 MiB", "1.2 GiB" */
static void
human(double bytes, char *out, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (bytes >= 1024.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		bytes /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%.0f B", bytes);
	else
		snprintf(out, n, "%.1f %s", bytes, unit[u]);
}

/* out = a "/" b; -ENAMETOOLONG if it does not fit. */
static int
join(char *out, size_t n, const char *a, const char *b)
{
	int k = snprintf(out, n, "%s/%s", a, b);

	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ------------------------------------------------------------- progress */

struct progress {
	int on;
	int shown;     /* a line is on screen */
	double start;  /* when the backup started */
	double last;   /* last redraw */
	uint64_t done, total;
};

static void
progress_clear(struct progress *p)
{
	if (!p->shown)
		return;
	fprintf(stderr, "\r%*s\r", PROGRESS_WIDTH, "");
	fflush(stderr);
	p->shown = 0;
}

static void
progress_draw(struct progress *p)
{
	double t = now_s(), rate, elapsed = t - p->start;
	char done[32], total[32], eta[32] = "--:--";
	long left;

	if (!p->on || t - p->last < PROGRESS_PERIOD)
		return;
	p->last = t;
	rate = elapsed > 0 ? (double)p->done / elapsed : 0;
	if (rate > 0 && p->total >= p->done) {
		left = (long)((double)(p->total - p->done) / rate + 0.5);
		snprintf(eta, sizeof(eta), "%ld:%02ld", left / 60, left % 60);
	}
	human((double)p->done, done, sizeof(done));
	human((double)p->total, total, sizeof(total));
	fprintf(stderr, "\rbackup: %s / %s  %.1f MiB/s  ETA %s%*s", done, total,
		rate / (1024.0 * 1024.0), eta, 8, "");
	fflush(stderr);
	p->shown = 1;
}

/* ----------------------------------------------------------------- sink */

struct sink {
	const char *root;    /* directory mode: the set's directory */
	struct archive *ar;  /* tar mode */
	int fd;              /* directory mode: the file being written */
	uint64_t written;    /* its bytes so far, */
	struct fio_behind wb; /* and its write-behind */
	char path[PATH_MAX]; /* that file, for messages */
	char **dirs;         /* directories to fsync at the end */
	size_t n_dirs;
	time_t mtime;        /* tar members' time */
};

static int
sink_note_dir(struct sink *s, const char *dir)
{
	char **grown;
	size_t i;

	for (i = 0; i < s->n_dirs; i++)
		if (!strcmp(s->dirs[i], dir))
			return 0;
	grown = realloc(s->dirs, (s->n_dirs + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->dirs = grown;
	s->dirs[s->n_dirs] = strdup(dir);
	return s->dirs[s->n_dirs++] ? 0 : -ENOMEM;
}

/* Note the directories from root to rel's parent, create them. */
static int
sink_make_parents(struct sink *s, const char *rel)
{
	char dir[PATH_MAX];
	const char *slash = rel;
	int r = 0;

	while (r == 0 && (slash = strchr(slash, '/')) != NULL) {
		if ((size_t)(slash - rel) + strlen(s->root) + 2 > sizeof(dir))
			return -ENAMETOOLONG;
		snprintf(dir, sizeof(dir), "%s/%.*s", s->root, (int)(slash - rel),
			 rel);
		r = sink_note_dir(s, dir);
		if (r == 0 && mkdir(dir, DIR_MODE) < 0 && errno != EEXIST)
			r = -errno;
		slash++;
	}
	return r;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* --force: remove an earlier set, manifest first (so it never describes a
 * half-removed set). */
static int
remove_old_set(const char *root)
{
	static const char *const trees[] = { "DataBase", "Dynamic" };
	char path[PATH_MAX];
	size_t i;
	int r;

	r = join(path, sizeof(path), root, MANIFEST_NAME);
	if (r == 0 && unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0)
		r = fio_fsync_dir(root);
	for (i = 0; r == 0 && i < sizeof(trees) / sizeof(trees[0]); i++) {
		r = join(path, sizeof(path), root, trees[i]);
		if (r == 0 && fio_exists(path) == 1 &&
		    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
			r = errno ? -errno : -EIO;
	}
	return r == 0 ? fio_fsync_dir(root) : r;
}

static int
sink_open_dir(struct sink *s, const char *root, int force)
{
	int r;

	s->root = root;
	r = fio_mkdirs(root, DIR_MODE);
	if (r == 0 && force)
		r = remove_old_set(root);
	if (r == 0)
		r = sink_note_dir(s, root);
	return r;
}

static int
sink_open_tar(struct sink *s)
{
	s->ar = archive_write_new();
	if (!s->ar)
		return -ENOMEM;
	/* Unblocked: every byte reaches stdout as soon as it is written, so
	 * "stored" means "handed to stdout" before logs are truncated. */
	if (archive_write_set_format_pax_restricted(s->ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(s->ar, 0) != ARCHIVE_OK ||
	    archive_write_open_fd(s->ar, STDOUT_FILENO) != ARCHIVE_OK)
		return CS_E_INTERNAL;
	return 0;
}

static int
tar_error(struct sink *s)
{
	int e = archive_errno(s->ar);

	snprintf(s->path, sizeof(s->path), "stdout (tar): %s",
		 archive_error_string(s->ar) ? archive_error_string(s->ar)
					     : "write error");
	return e > 0 ? -e : -EIO;
}

static int
sink_begin_tar(struct sink *s, const char *rel, uint64_t size)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, rel);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, FILE_MODE);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, s->mtime, 0);
	archive_entry_set_uid(e, getuid());
	archive_entry_set_gid(e, getgid());
	if (archive_write_header(s->ar, e) != ARCHIVE_OK)
		r = tar_error(s);
	archive_entry_free(e);
	return r;
}

/* Start the member rel (relative to the set's root) of `size` bytes. */
static int
sink_begin(struct sink *s, const char *rel, uint64_t size)
{
	int r;

	if (s->ar) {
		snprintf(s->path, sizeof(s->path), "stdout (tar member %s)", rel);
		return sink_begin_tar(s, rel, size);
	}
	r = join(s->path, sizeof(s->path), s->root, rel);
	if (r == 0)
		r = sink_make_parents(s, rel);
	if (r < 0)
		return r;
	s->fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     FILE_MODE);
	s->written = 0;
	memset(&s->wb, 0, sizeof(s->wb));
	return s->fd < 0 ? -errno : 0;
}

/* Write len bytes in pieces of at most WRITE_SIZE (the tar stream is
 * unblocked, so each piece is one write() there too). */
static int
sink_write(struct sink *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;
	int r = 0;

	for (; r == 0 && len > 0; p += n, len -= n) {
		n = len < WRITE_SIZE ? len : WRITE_SIZE;
		if (!s->ar) {
			r = fio_write_full(s->fd, p, n);
			s->written += n;
			fio_write_behind(s->fd, &s->wb, s->written);
		} else if (archive_write_data(s->ar, p, n) != (la_ssize_t)n)
			r = tar_error(s);
	}
	return r;
}

/* Finish the current member: fsync'd (directory) or completed (tar). */
static int
sink_end(struct sink *s)
{
	int r = 0;

	if (s->ar)
		return archive_write_finish_entry(s->ar) == ARCHIVE_OK ? 0
								  : tar_error(s);
	if (fsync(s->fd) < 0)
		r = -errno;
	if (close(s->fd) < 0 && r == 0)
		r = -errno;
	s->fd = -1;
	return r;
}

/* Every byte so far is durable, as far as this program can make it. */
static int
sink_sync(struct sink *s)
{
	struct stat st;
	size_t i;
	int r = 0;

	/* Every file was fsync'd when it ended; their names are durable only
	 * once their directories are (before TruncateLogs deletes the only
	 * other copy of the logs). */
	for (i = s->n_dirs; !s->ar && r == 0 && i-- > 0;) {
		snprintf(s->path, sizeof(s->path), "%s", s->dirs[i]);
		r = fio_fsync_dir(s->dirs[i]);
	}
	if (!s->ar)
		return r;
	snprintf(s->path, sizeof(s->path), "stdout");
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    fsync(STDOUT_FILENO) < 0)
		return -errno;
	return 0;
}

/* The last member: manifest.json; then close the set. */
static int
sink_finish(struct sink *s, const char *text, size_t len)
{
	size_t i;
	int r = 0;

	if (s->ar) {
		r = sink_begin(s, MANIFEST_NAME, len);
		if (r == 0)
			r = sink_write(s, text, len);
		if (r == 0)
			r = sink_end(s);
		if (r == 0 && archive_write_close(s->ar) != ARCHIVE_OK)
			r = tar_error(s);
		return r == 0 ? sink_sync(s) : r;
	}
	for (i = s->n_dirs; r == 0 && i-- > 0;) {
		snprintf(s->path, sizeof(s->path), "%s", s->dirs[i]);
		r = fio_fsync_dir(s->dirs[i]);
	}
	if (r == 0)
		r = join(s->path, sizeof(s->path), s->root, MANIFEST_NAME);
	return r == 0 ? fio_write_atomic(s->path, text, len, FILE_MODE) : r;
}

/* Release everything; a failed tar stream is left without its end marker. */
static void
sink_close(struct sink *s, int ok)
{
	size_t i;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->ar) {
		if (!ok)
			archive_write_fail(s->ar);
		archive_write_free(s->ar);
		s->ar = NULL;
	}
	for (i = 0; i < s->n_dirs; i++)
		free(s->dirs[i]);
	free(s->dirs);
	s->dirs = NULL;
	s->n_dirs = 0;
}

/* ------------------------------------------------------------ the backup */

enum { L_LOCATIONS, L_DATABASES, L_LOGS, L_DYNAMIC, L_COUNT };

struct run {
	const struct cli *c;
	const struct backup_opts *o;
	HCSBC hbc;
	struct sink sink;
	struct manifest *mf;
	struct progress pg;
	FILE *out;                /* summary lines */
	uint8_t *buf;
	char *lists[L_COUNT];     /* CertSrvBackupFree'd at the end */
	char datadir[PATH_MAX];
	uint64_t size;            /* of the file being transferred */
	int started;              /* the sink was opened: TARGET may hold files */
	int truncating;           /* TruncateLogs was called: DataBase/ is complete */
	unsigned n_files;
	uint64_t bytes;
};

static int
api_fail(struct run *r, const char *step, HRESULT hr)
{
	progress_clear(&r->pg);
	cli_err(r->c, "%s: %s (0x%08X)", step, CertSrvGetErrorMessage(hr),
		(unsigned)hr);
	return hr == HR_OFFLINE ? EXIT_OFFLINE : EXIT_FAIL;
}

/* An API call on a file: "CertSrvBackupRead(ca.db)". */
static int
api_fail_on(struct run *r, const char *fn, const char *file, HRESULT hr)
{
	char step[PATH_MAX + 64];

	snprintf(step, sizeof(step), "%s(%s)", fn, base_name(file));
	return api_fail(r, step, hr);
}

static int
sink_fail(struct run *r, int code)
{
	progress_clear(&r->pg);
	cli_err(r->c, "%s: %s", r->sink.path, cs_strerror(code));
	return EXIT_FAIL;
}

static int
manifest_fail(struct run *r)
{
	progress_clear(&r->pg);
	cli_err(r->c, "%s", manifest_error(r->mf));
	return EXIT_FAIL;
}

static int
file_begin(struct run *r, const char *rel, uint64_t size, enum mf_kind kind)
{
	int e = sink_begin(&r->sink, rel, size);

	if (e < 0)
		return sink_fail(r, e);
	if (manifest_file_begin(r->mf, rel, size, kind) < 0)
		return manifest_fail(r);
	r->size = size;
	r->pg.total += size;
	progress_draw(&r->pg);
	return EXIT_OK;
}

static int
file_data(struct run *r, const void *data, size_t len)
{
	int e = sink_write(&r->sink, data, len);

	if (e < 0)
		return sink_fail(r, e);
	if (manifest_file_data(r->mf, data, len) < 0)
		return manifest_fail(r);
	r->pg.done += len;
	progress_draw(&r->pg);
	return EXIT_OK;
}

/* The member is complete and durable, its name too (sink_sync). */
static int
file_end(struct run *r, const char *rel)
{
	int e = sink_end(&r->sink);

	if (e == 0)
		e = sink_sync(&r->sink);

	if (e < 0)
		return sink_fail(r, e);
	if (manifest_file_end(r->mf) < 0)
		return manifest_fail(r);
	progress_clear(&r->pg);
	fprintf(r->out, "  %-40s %12llu bytes\n", rel, (unsigned long long)r->size);
	fflush(r->out);
	r->n_files++;
	r->bytes += r->size;
	return EXIT_OK;
}

/* A whole file from memory (certbkxp.dat). */
static int
put_buffer(struct run *r, const char *rel, const void *data, size_t len)
{
	int rc = file_begin(r, rel, len, MF_DATA);

	if (rc == EXIT_OK)
		rc = file_data(r, data, len);
	return rc == EXIT_OK ? file_end(r, rel) : rc;
}

/* Steps 7-9 for one listed file (tag already stripped): into DataBase/. */
static int
transfer_listed(struct run *r, const char *name, enum mf_kind kind)
{
	char rel[PATH_MAX];
	LARGE_INTEGER size;
	DWORD got = 0;
	HRESULT hr;
	int rc;

	if (join(rel, sizeof(rel), "DataBase", base_name(name)) < 0) {
		cli_err(r->c, "%s: name too long", name);
		return EXIT_FAIL;
	}
	hr = CertSrvBackupOpenFile(r->hbc, name, READ_SIZE, &size);
	if (FAILED(hr))
		return api_fail_on(r, "CertSrvBackupOpenFile", name, hr);
	if (size.QuadPart < 0) {
		cli_err(r->c, "%s: the server announced a negative size", name);
		rc = EXIT_FAIL;
	} else {
		rc = file_begin(r, rel, (uint64_t)size.QuadPart, kind);
	}
	while (rc == EXIT_OK) {
		hr = CertSrvBackupRead(r->hbc, r->buf, READ_SIZE, &got);
		if (FAILED(hr))
			rc = api_fail_on(r, "CertSrvBackupRead", name, hr);
		else if (got == 0)
			break;
		else
			rc = file_data(r, r->buf, got);
	}
	if (rc == EXIT_OK)
		rc = file_end(r, rel);
	/* Closed only once stored: the server counts a file as backed up at
	 * Close, so a session whose file could not be stored (full disk,
	 * failed fsync) ends with the file open and is not recorded. */
	if (rc != EXIT_OK)
		return rc;
	hr = CertSrvBackupClose(r->hbc);
	return FAILED(hr) ? api_fail_on(r, "CertSrvBackupClose", name, hr) : EXIT_OK;
}

/* A list a successful call returned must exist. */
static int
have_list(struct run *r, const char *list, const char *fn)
{
	if (list)
		return EXIT_OK;
	cli_err(r->c, "%s succeeded but returned no list", fn);
	return EXIT_FAIL;
}

/* Every entry of a tagged list ("szz", each entry one tag byte + path). */
static int
transfer_list(struct run *r, const char *list, enum mf_kind kind)
{
	const char *e;
	int rc = EXIT_OK;

	for (e = list; rc == EXIT_OK && *e; e += strlen(e) + 1)
		rc = transfer_listed(r, e + 1, kind);
	return rc;
}

/* The data directory is the parent of the database's "db" directory. */
static int
datadir_from_database(struct run *r, const char *dbpath)
{
	char *slash;

	snprintf(r->datadir, sizeof(r->datadir), "%s", dbpath);
	slash = strrchr(r->datadir, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(r->datadir, '/');
	if (!slash || slash == r->datadir) {
		cli_err(r->c, "the server named an unexpected database path %s",
			dbpath);
		return EXIT_FAIL;
	}
	*slash = '\0';
	return EXIT_OK;
}

/* Steps 5-9: the restore map, then every database file. */
static int
step_database(struct run *r)
{
	DWORD cb = 0;
	HRESULT hr;
	int rc;

	hr = CertSrvRestoreGetDatabaseLocations(r->hbc, &r->lists[L_LOCATIONS], &cb);
	if (FAILED(hr))
		return api_fail(r, "CertSrvRestoreGetDatabaseLocations", hr);
	if (have_list(r, r->lists[L_LOCATIONS], "CertSrvRestoreGetDatabaseLocations"))
		return EXIT_FAIL;
	rc = put_buffer(r, "DataBase/certbkxp.dat", r->lists[L_LOCATIONS], cb);
	if (rc != EXIT_OK)
		return rc;
	hr = CertSrvBackupGetDatabaseNames(r->hbc, &r->lists[L_DATABASES], &cb);
	if (FAILED(hr))
		return api_fail(r, "CertSrvBackupGetDatabaseNames", hr);
	if (have_list(r, r->lists[L_DATABASES], "CertSrvBackupGetDatabaseNames"))
		return EXIT_FAIL;
	if (!r->lists[L_DATABASES][0]) {
		cli_err(r->c, "the server listed no database file");
		return EXIT_FAIL;
	}
	rc = datadir_from_database(r, r->lists[L_DATABASES] + 1);
	return rc == EXIT_OK ? transfer_list(r, r->lists[L_DATABASES], MF_DATA) : rc;
}

/* Step 10: roll and list the logs; steps 7-9 for each. */
static int
step_logs(struct run *r)
{
	DWORD cb = 0;
	HRESULT hr;

	hr = CertSrvBackupGetBackupLogs(r->hbc, &r->lists[L_LOGS], &cb);
	if (FAILED(hr))
		return api_fail(r, "CertSrvBackupGetBackupLogs", hr);
	if (have_list(r, r->lists[L_LOGS], "CertSrvBackupGetBackupLogs"))
		return EXIT_FAIL;
	return transfer_list(r, r->lists[L_LOGS], MF_LOG);
}

/* Step 11: every database and log file is stored; truncate. */
static int
step_truncate(struct run *r)
{
	HRESULT hr;
	int e = sink_sync(&r->sink);

	if (e < 0)
		return sink_fail(r, e);
	r->truncating = 1;
	hr = CertSrvBackupTruncateLogs(r->hbc);
	return FAILED(hr) ? api_fail(r, "CertSrvBackupTruncateLogs", hr) : EXIT_OK;
}

/* Copy one dynamic file to Dynamic/<path relative to the data directory>. */
static int
copy_dynamic(struct run *r, int fd, const char *rel_in_datadir, uint64_t size)
{
	char rel[PATH_MAX];
	uint64_t left = size;
	size_t want, got = 0;
	int rc, e;

	if (join(rel, sizeof(rel), "Dynamic", rel_in_datadir) < 0) {
		cli_err(r->c, "%s: name too long", rel_in_datadir);
		return EXIT_FAIL;
	}
	rc = file_begin(r, rel, size, strcmp(rel_in_datadir, "ca/ca.crt")
					      ? MF_DATA : MF_CA_CERT);
	while (rc == EXIT_OK && left > 0) {
		want = left < READ_SIZE ? (size_t)left : READ_SIZE;
		e = fio_read_full(fd, r->buf, want, &got);
		if (e < 0 || got == 0) {
			progress_clear(&r->pg);
			cli_err(r->c, "%s/%s: %s", r->datadir, rel_in_datadir,
				e < 0 ? cs_strerror(e) : "shrank while being copied");
			return EXIT_FAIL;
		}
		rc = file_data(r, r->buf, got);
		left -= got;
	}
	return rc == EXIT_OK ? file_end(r, rel) : rc;
}

static int
transfer_dynamic(struct run *r, const char *path)
{
	size_t dl = strlen(r->datadir);
	const char *rel = NULL;
	struct stat st;
	int fd, rc;

	if (!path)
		return EXIT_FAIL;
	if (!strncmp(path, r->datadir, dl) && path[dl] == '/')
		rel = path + dl + 1;
	if (!rel || !manifest_safe_relpath(rel)) {
		cli_err(r->c, "the dynamic file \"%s\" is not inside the data"
			" directory %s", path, r->datadir);
		return EXIT_FAIL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cli_err(r->c, "%s: %s", path, fd < 0 || errno ? strerror(errno)
						  : "not a regular file");
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	rc = copy_dynamic(r, fd, rel, (uint64_t)st.st_size);
	close(fd);
	return rc;
}

/* Incremental sets learn the data directory from certsrv.conf's place. */
static int
datadir_from_dynamic(struct run *r, const char *list)
{
	const char *e;

	for (e = list; *e; e += strlen(e) + 1) {
		if (strcmp(base_name(e), "certsrv.conf"))
			continue;
		snprintf(r->datadir, sizeof(r->datadir), "%.*s",
			 (int)(base_name(e) - e - 1), e);
		return EXIT_OK;
	}
	cli_err(r->c, "the dynamic file list does not hold certsrv.conf");
	return EXIT_FAIL;
}

/* Steps 12-13. */
static int
step_dynamic(struct run *r)
{
	const char *list;
	DWORD cb = 0;
	HRESULT hr;
	size_t at;
	int rc = EXIT_OK;

	hr = CertSrvBackupGetDynamicFileList(r->hbc, &r->lists[L_DYNAMIC], &cb);
	if (FAILED(hr))
		return api_fail(r, "CertSrvBackupGetDynamicFileList", hr);
	if (have_list(r, r->lists[L_DYNAMIC], "CertSrvBackupGetDynamicFileList"))
		return EXIT_FAIL;
	list = r->lists[L_DYNAMIC];
	if (!r->datadir[0])
		rc = datadir_from_dynamic(r, list);
	for (at = 0; rc == EXIT_OK && list[at]; at += strlen(list + at) + 1)
		rc = transfer_dynamic(r, list + at);
	return rc;
}

static int
session_steps(struct run *r)
{
	int rc = EXIT_OK;

	if (!r->o->incremental)
		rc = step_database(r);
	if (rc == EXIT_OK)
		rc = step_logs(r);
	if (rc == EXIT_OK && !r->o->keep_log)
		rc = step_truncate(r);
	if (rc == EXIT_OK)
		rc = step_dynamic(r);
	return rc;
}

/* manifest.json, last. */
static int
write_manifest(struct run *r)
{
	char *text = NULL;
	size_t len = 0;
	int e;

	if (manifest_render(r->mf, &text, &len) < 0)
		return manifest_fail(r);
	e = sink_finish(&r->sink, text, len);
	free(text);
	return e < 0 ? sink_fail(r, e) : EXIT_OK;
}

static void
print_summary(struct run *r)
{
	double secs = now_s() - r->pg.start;
	char size[32], rate[32];
	uint32_t low, high;

	manifest_generations(r->mf, &low, &high);
	human((double)r->bytes, size, sizeof(size));
	human(secs > 0 ? (double)r->bytes / secs : 0, rate, sizeof(rate));
	fprintf(r->out, "%s backup of %s: %u files, %s in %.1f s (%s/s),"
		" generations %08X..%08X, logs %s\n",
		r->o->incremental ? "incremental" : "full",
		manifest_subject(r->mf), r->n_files, size, secs, rate, low, high,
		r->o->keep_log ? "kept" : "truncated");
	fflush(r->out);
}

/* Everything after a successful Prepare; always ends the session. */
static int
run_session(struct run *r)
{
	HRESULT hr;
	int rc = EXIT_OK, e;

	if (manifest_new(r->o->incremental ? "incremental" : "full", time(NULL),
			 &r->mf) < 0) {
		cli_err(r->c, "out of memory");
		rc = EXIT_FAIL;
	}
	r->sink.mtime = time(NULL);
	if (rc == EXIT_OK) {
		snprintf(r->sink.path, sizeof(r->sink.path), "%s",
			 r->o->to_stdout ? "stdout" : r->o->target);
		e = r->o->to_stdout ? sink_open_tar(&r->sink)
				    : sink_open_dir(&r->sink, r->o->target,
						    r->o->force);
		rc = e < 0 ? sink_fail(r, e) : EXIT_OK;
		r->started = rc == EXIT_OK;
	}
	if (rc == EXIT_OK)
		rc = session_steps(r);
	/* Step 14: always end the session. */
	hr = CertSrvBackupEnd(r->hbc);
	r->hbc = NULL;
	if (FAILED(hr) && rc == EXIT_OK)
		rc = api_fail(r, "CertSrvBackupEnd", hr);
	if (rc == EXIT_OK)
		rc = write_manifest(r);
	progress_clear(&r->pg);
	sink_close(&r->sink, rc == EXIT_OK);
	if (rc == EXIT_OK)
		print_summary(r);
	else if (!r->o->to_stdout && r->truncating)
		cli_err(r->c, "%s holds an incomplete set (no %s), but its database"
			" and log files are complete and the server may have"
			" truncated those logs and recorded the backup: keep it,"
			" a restore needs it (certsrv restore accepts it without"
			" a manifest)", r->o->target, MANIFEST_NAME);
	else if (!r->o->to_stdout && r->started)
		cli_err(r->c, "%s holds an incomplete set (no %s)", r->o->target,
			MANIFEST_NAME);
	return rc;
}

/* A non-empty target is refused, unless --force and it holds only a
 * backup set. Nothing is changed here. */
static int
check_target(const struct cli *c, const struct backup_opts *o)
{
	static const char *const set[] = { "DataBase", "Dynamic", MANIFEST_NAME };
	struct dirent *de;
	DIR *d = opendir(o->target);
	int rc = EXIT_OK;
	size_t i;

	if (!d && errno == ENOENT)
		return EXIT_OK;
	if (!d) {
		cli_err(c, "%s: %s", o->target, strerror(errno));
		return EXIT_FAIL;
	}
	while (rc == EXIT_OK && (de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			if (!strcmp(de->d_name, set[i]))
				break;
		if (!o->force) {
			cli_err(c, "%s is not empty; refusing to write a backup set"
				" there (--force replaces an earlier backup set)",
				o->target);
			rc = EXIT_FAIL;
		} else if (i == sizeof(set) / sizeof(set[0])) {
			cli_err(c, "%s holds \"%s\", which is not part of a backup"
				" set; refusing to replace it even with --force",
				o->target, de->d_name);
			rc = EXIT_FAIL;
		}
	}
	closedir(d);
	return rc;
}

int
backup_run(const struct cli *c, const struct backup_opts *o)
{
	struct run r;
	BOOL online = FALSE;
	HRESULT hr;
	int rc, i;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.o = o;
	r.sink.fd = -1;
	r.out = o->to_stdout ? stderr : stdout;
	r.pg.on = o->progress || isatty(STDERR_FILENO);
	rc = o->to_stdout ? EXIT_OK : check_target(c, o);
	if (rc != EXIT_OK)
		return rc;
	if (o->to_stdout)
		signal(SIGPIPE, SIG_IGN); /* a closed pipe is an error, not a kill */
	r.buf = malloc(READ_SIZE);
	if (!r.buf) {
		cli_err(c, "out of memory");
		return EXIT_FAIL;
	}
	/* Step 3: the service must be online. */
	hr = CertSrvIsServerOnline(o->server, &online);
	if (FAILED(hr) || !online)
		rc = api_fail(&r, "CertSrvIsServerOnline", FAILED(hr) ? hr : HR_OFFLINE);
	/* Step 4: start the session. */
	if (rc == EXIT_OK) {
		hr = CertSrvBackupPrepare(o->server, 0, o->incremental
					  ? CSBACKUP_TYPE_LOGS_ONLY : CSBACKUP_TYPE_FULL,
					  &r.hbc);
		rc = FAILED(hr) ? api_fail(&r, "CertSrvBackupPrepare", hr) : EXIT_OK;
	}
	r.pg.start = now_s();
	if (rc == EXIT_OK)
		rc = run_session(&r);
	/* Step 15: free every list. */
	for (i = 0; i < L_COUNT; i++)
		CertSrvBackupFree(r.lists[i]);
	manifest_free(r.mf);
	free(r.buf);
	return rc;
}

/* ------------------------------------------------------------ arguments */

static int
usage(const struct cli *c)
{
	cli_err(c, "usage: certsrv backup TARGET|-o - [--incremental] [--keep-log]"
		" [--progress] [--force]");
	return EXIT_USAGE;
}

int
backup_parse_args(const struct cli *c, int argc, char **argv,
		  struct backup_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "incremental", no_argument, NULL, 'i' },
		{ "keep-log", no_argument, NULL, 'k' },
		{ "progress", no_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->server = c->server;
	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (opt == 'o' && !strcmp(optarg, "-"))
			o->to_stdout = 1;
		else if (opt == 'i')
			o->incremental = 1;
		else if (opt == 'k')
			o->keep_log = 1;
		else if (opt == 'p')
			o->progress = 1;
		else if (opt == 'f')
			o->force = 1;
		else
			return usage(c);
	}
	if (o->to_stdout == (optind < argc) || argc - optind > 1 ||
	    (o->to_stdout && o->force))
		return usage(c);
	o->target = o->to_stdout ? NULL : argv[optind];
	if (o->to_stdout && isatty(STDOUT_FILENO)) {
		cli_err(c, "refusing to write a tar stream to a terminal;"
			" redirect stdout to a file or a pipe");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
cmd_backup(struct cli *c, int argc, char **argv)
{
	struct backup_opts o;
	int rc = backup_parse_args(c, argc, argv, &o);

	return rc == EXIT_OK ? backup_run(c, &o) : rc;
}
