/*
 * restore.c — `certsrv restore` (see restore.h for the steps and the
 * guarantees). The work is split in the phases of the documented scenario:
 *
 *   checks     nothing is written: daemon state, verify.h on every set, the
 *              target (--force, same CA, staged logs), the options;
 *   prepare    --stop, the layout of a brand-new data directory,
 *              CertSrvRestorePrepare(CSRESTORE_TYPE_FULL);
 *   place      image to db/ (temp + fsync + rename, after -wal/-shm are
 *              gone) and every set's logs to restore/logs/ (fsync'd);
 *   register   CertSrvRestoreRegister + RegisterComplete per set;
 *   finish     dynamic files, [restore] options, CertSrvRestoreEnd.
 */
#include "cli/restore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <certsrv/certbcli.h>
#include <openssl/x509.h>

#include "ca/keys.h"
#include "cli/verify.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/restorereg.h"
#include "store/redo.h"

#define HR_OFFLINE ((HRESULT)0x800706BAu)
#define DYNAMIC_MAX (64u * 1024u * 1024u)
#define STAGED "restore/logs"
#define IMAGE_TMP "db/.ca.db.restoring"

struct rrun {
	const struct cli *c;
	const struct restore_opts *o;
	struct verify_result vr;
	char datadir[PATH_MAX];  /* absolute; canonical once it exists */
	int fresh;               /* missing or empty before the restore */
	int created;             /* this run created files in a fresh dir */
	int online;              /* certsrvd answered */
	HCSBC hbc;
	int registered;          /* a registration was written */
	const char *dyn_set;     /* whose Dynamic/ is restored, or NULL */
};

/* datadir "/" rel into out (PATH_MAX). */
static void
dpath(char *out, const char *dir, const char *rel)
{
	/* Callers keep dir below PATH_MAX - 256 (checked on entry), so this
	 * never truncates; if it did, the empty path would fail to open. */
	if (snprintf(out, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX)
		out[0] = '\0';
}

static int
api_fail(const struct rrun *r, const char *fn, HRESULT hr)
{
	cli_err(r->c, "%s: %s (0x%08X)", fn, CertSrvGetErrorMessage(hr),
		(unsigned)hr);
	return hr == HR_OFFLINE ? EXIT_OFFLINE : EXIT_FAIL;
}

/* ---------------------------------------------------------------- options */

static int
parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;
	long long v;

	if (*s >= '0' && *s <= '9' && !strchr(s, '-')) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end || v <= 0)
			return -1;
		*out = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	*out = (int64_t)timegm(&tm);
	return *out > 0 ? 0 : -1;
}

static int
usage(const struct cli *c)
{
	cli_err(c, "usage: certsrv restore FULLDIR [INCRDIR...] [--data-dir DIR]"
		" [--until TIME|--until-lsn N] [--no-roll-forward] [--force] [--stop]");
	return EXIT_USAGE;
}

int
cli_restore_parse_args(const struct cli *c, int argc, char **argv,
		       struct restore_opts *o)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "until", required_argument, NULL, 't' },
		{ "until-lsn", required_argument, NULL, 'l' },
		{ "no-roll-forward", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "stop", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long lsn;
	char *end;
	int opt;

	memset(o, 0, sizeof(*o));
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'd') {
			o->datadir = optarg;
		} else if (opt == 't') {
			if (parse_time(optarg, &o->until_time) < 0) {
				cli_err(c, "--until takes YYYY-MM-DDTHH:MM:SSZ (UTC) or"
					" seconds since the epoch, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
		} else if (opt == 'l') {
			errno = 0;
			lsn = strtoull(optarg, &end, 10);
			if (errno || *end || lsn == 0 || optarg[0] == '-') {
				cli_err(c, "--until-lsn takes an LSN (1 or more), not"
					" \"%s\"", optarg);
				return EXIT_USAGE;
			}
			o->until_lsn = lsn;
		} else if (opt == 'n') {
			o->no_roll_forward = 1;
		} else if (opt == 'f') {
			o->force = 1;
		} else if (opt == 's') {
			o->stop = 1;
		} else {
			return usage(c);
		}
	}
	if (optind >= argc)
		return usage(c);
	if (o->until_time && o->until_lsn) {
		cli_err(c, "--until and --until-lsn exclude each other");
		return EXIT_USAGE;
	}
	o->sets = argv + optind;
	o->n_sets = (size_t)(argc - optind);
	return EXIT_OK;
}

/* ------------------------------------------------------------- the target */

/* 1 if dir is missing or empty, 0 if it holds anything, <0 on error. */
static int
dir_fresh(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int fresh = 1;

	if (!d)
		return errno == ENOENT ? 1 : -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fresh = 0;
	closedir(d);
	return fresh;
}

/* r->datadir: absolute (canonical when it exists), and r->fresh. */
static int
resolve_target(struct rrun *r)
{
	const char *dir = r->o->datadir ? r->o->datadir : cli_datadir(r->c);
	char cwd[PATH_MAX], *real;
	int f, k = -1;

	real = realpath(dir, NULL);
	if (real)
		k = snprintf(r->datadir, sizeof(r->datadir), "%s", real);
	else if (dir[0] == '/')
		k = snprintf(r->datadir, sizeof(r->datadir), "%s", dir);
	else if (getcwd(cwd, sizeof(cwd)))
		k = snprintf(r->datadir, sizeof(r->datadir), "%s/%s", cwd, dir);
	free(real);
	if (k < 0 || k > PATH_MAX - 256) {
		cli_err(r->c, "%s: %s", dir, k < 0 ? strerror(errno)
						   : "path too long");
		return EXIT_FAIL;
	}
	f = dir_fresh(r->datadir);
	if (f < 0) {
		cli_err(r->c, "%s: %s", r->datadir, strerror(-f));
		return EXIT_FAIL;
	}
	r->fresh = f;
	return EXIT_OK;
}

/* Is certsrvd running there? Refused unless --stop. */
static int
check_daemon(struct rrun *r)
{
	BOOL online = FALSE;
	HRESULT hr;

	if (r->fresh)
		return EXIT_OK;
	hr = CertSrvIsServerOnline(r->datadir, &online);
	r->online = SUCCEEDED(hr) && online;
	if (r->online && !r->o->stop) {
		cli_err(r->c, "certsrvd is running; stop it or use --stop");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* The public key of a PEM certificate file, or NULL. */
static X509 *
load_cert(const char *path)
{
	char err[256];
	X509 *x = NULL;

	if (fio_exists(path) != 1 || ca_cert_load_pem(path, &x, err, sizeof(err)) < 0)
		return NULL;
	return x;
}

/* The last set that has Dynamic/: its files are the ones restored. */
static void
pick_dynamic_set(struct rrun *r)
{
	char path[PATH_MAX];
	size_t i;

	for (i = r->vr.n; i-- > 0;) {
		dpath(path, r->vr.sets[i].dir, "Dynamic");
		if (fio_exists(path) == 1) {
			r->dyn_set = r->vr.sets[i].dir;
			return;
		}
	}
}

/* The target's CA certificate must carry the key of the sets' CA. */
static int
check_same_ca(struct rrun *r)
{
	char mine[PATH_MAX], theirs[PATH_MAX];
	X509 *a, *b;
	int rc = EXIT_OK;

	if (!r->dyn_set)
		return EXIT_OK;
	dpath(mine, r->datadir, "ca/ca.crt");
	dpath(theirs, r->dyn_set, "Dynamic/ca/ca.crt");
	a = load_cert(mine);
	b = load_cert(theirs);
	if (a && b && EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) != 1) {
		cli_err(r->c, "%s belongs to another CA than the backup (%s has"
			" another key): restore into a new data directory instead",
			r->datadir, theirs);
		rc = EXIT_FAIL;
	}
	X509_free(a);
	X509_free(b);
	return rc;
}

/* No staged log of the same name with other bytes may be in the way. */
static int
check_staging(struct rrun *r)
{
	char dir[PATH_MAX], staged[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	const struct verify_set *s;
	uint32_t g;
	size_t i;

	dpath(staged, r->datadir, STAGED);
	for (i = 0; i < r->vr.n; i++) {
		s = &r->vr.sets[i];
		dpath(dir, s->dir, "DataBase");
		for (g = s->gen_low; g >= s->gen_low && g <= s->gen_high; g++) {
			if (redo_path(dir, g, src, sizeof(src)) < 0 ||
			    redo_path(staged, g, dst, sizeof(dst)) < 0)
				return EXIT_FAIL;
			if (fio_exists(dst) == 1 && verify_same_file(src, dst) != 1) {
				cli_err(r->c, "%s already exists with other content (left"
					" by an earlier restore?): remove %s and try"
					" again; nothing was changed", dst, staged);
				return EXIT_FAIL;
			}
		}
	}
	return EXIT_OK;
}

static int
check_target(struct rrun *r)
{
	char path[PATH_MAX];
	int rc = EXIT_OK;

	if (r->fresh)
		return EXIT_OK;
	dpath(path, r->datadir, "certsrv.conf");
	if (fio_exists(path) != 1) {
		dpath(path, r->datadir, "db");
		if (fio_exists(path) != 1) {
			cli_err(r->c, "%s is not empty and is not a certsrv data"
				" directory (no certsrv.conf, no db/); refusing to"
				" restore into it", r->datadir);
			return EXIT_FAIL;
		}
	}
	dpath(path, r->datadir, "db/ca.db");
	if (fio_exists(path) == 1 && !r->o->force) {
		cli_err(r->c, "%s exists: this replaces the CA's database; add"
			" --force to go ahead", path);
		return EXIT_FAIL;
	}
	rc = check_same_ca(r);
	return rc == EXIT_OK ? check_staging(r) : rc;
}

static int
check_options(struct rrun *r)
{
	if (r->o->until_lsn && r->o->until_lsn < r->vr.image_lsn) {
		cli_err(r->c, "--until-lsn %llu is before the image of %s (LSN %llu):"
			" a full backup cannot go back before itself",
			(unsigned long long)r->o->until_lsn, r->vr.sets[0].dir,
			(unsigned long long)r->vr.image_lsn);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Every check; nothing is written. */
static int
run_checks(struct rrun *r)
{
	int rc = resolve_target(r);

	if (rc == EXIT_OK)
		rc = check_daemon(r);
	if (rc == EXIT_OK) {
		printf("verifying %zu backup set%s:\n", r->o->n_sets,
		       r->o->n_sets > 1 ? "s" : "");
		rc = verify_sets(r->c, r->o->sets, r->o->n_sets, 0, stdout, &r->vr);
		if (rc != EXIT_OK)
			cli_err(r->c, "refusing to restore: the backup does not verify;"
				" nothing was changed in %s", r->datadir);
	}
	if (rc == EXIT_OK)
		pick_dynamic_set(r);
	if (rc == EXIT_OK)
		rc = check_target(r);
	return rc == EXIT_OK ? check_options(r) : rc;
}

/* ---------------------------------------------------------------- prepare */

static int
stop_daemon(struct rrun *r)
{
	HRESULT hr;

	if (!r->online)
		return EXIT_OK;
	hr = CertSrvServerControl(r->datadir, CSCONTROL_SHUTDOWN, NULL, NULL);
	if (FAILED(hr))
		return api_fail(r, "CertSrvServerControl(CSCONTROL_SHUTDOWN)", hr);
	printf("stopped certsrvd of %s\n", r->datadir);
	return EXIT_OK;
}

static int
make_fresh(struct rrun *r)
{
	char *real;
	int e;

	if (!r->fresh)
		return EXIT_OK;
	e = cli_make_layout(r->datadir);
	r->created = 1;
	if (e < 0) {
		cli_err(r->c, "cannot create %s: %s", r->datadir, cs_strerror(e));
		return EXIT_FAIL;
	}
	real = realpath(r->datadir, NULL);
	if (real) {
		snprintf(r->datadir, sizeof(r->datadir), "%s", real);
		free(real);
	}
	printf("created the data directory %s\n", r->datadir);
	return EXIT_OK;
}

static int
prepare(struct rrun *r)
{
	HRESULT hr;
	int rc = stop_daemon(r);

	if (rc == EXIT_OK)
		rc = make_fresh(r);
	if (rc != EXIT_OK)
		return rc;
	hr = CertSrvRestorePrepare(r->datadir, CSRESTORE_TYPE_FULL, &r->hbc);
	return FAILED(hr) ? api_fail(r, "CertSrvRestorePrepare", hr) : EXIT_OK;
}

/* ------------------------------------------------------------------ place */

static int
io_fail(const struct rrun *r, const char *path, int e)
{
	cli_err(r->c, "%s: %s", path, cs_strerror(e));
	return EXIT_FAIL;
}

/* One log into the staging directory: a copy by temp file + rename, or
 * nothing if the same bytes are already there. */
static int
stage_log(struct rrun *r, const char *src, const char *dst)
{
	char tmp[PATH_MAX + 8];
	int e = fio_exists(dst) == 1 ? verify_same_file(src, dst) : 0;

	if (e == 1)
		return EXIT_OK;
	if (e == 0 && fio_exists(dst) == 1) {
		cli_err(r->c, "%s already exists with other content; refusing to"
			" replace it", dst);
		return EXIT_FAIL;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	e = e < 0 ? e : verify_copy_file(src, tmp, 0600, 1);
	if (e == 0 && rename(tmp, dst) < 0)
		e = -errno;
	if (e < 0)
		unlink(tmp);
	return e < 0 ? io_fail(r, dst, e) : EXIT_OK;
}

static int
stage_logs(struct rrun *r)
{
	char dir[PATH_MAX], staged[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	const struct verify_set *s;
	uint32_t g;
	size_t i;
	int rc = EXIT_OK, e;

	dpath(staged, r->datadir, STAGED);
	e = fio_mkdirs(staged, 0700);
	if (e < 0)
		return io_fail(r, staged, e);
	for (i = 0; rc == EXIT_OK && i < r->vr.n; i++) {
		s = &r->vr.sets[i];
		dpath(dir, s->dir, "DataBase");
		for (g = s->gen_low; rc == EXIT_OK && g >= s->gen_low &&
				     g <= s->gen_high; g++) {
			if (redo_path(dir, g, src, sizeof(src)) < 0 ||
			    redo_path(staged, g, dst, sizeof(dst)) < 0)
				return io_fail(r, dir, -ENAMETOOLONG);
			rc = stage_log(r, src, dst);
		}
	}
	e = rc == EXIT_OK ? fio_fsync_dir(staged) : 0;
	return e < 0 ? io_fail(r, staged, e) : rc;
}

/* The image: a temp copy, fsync'd; then the old database's -wal and -shm
 * go (SQLite would apply them to the image), and the copy is renamed over
 * the old database. */
static int
place_image(struct rrun *r)
{
	static const char *const old[] = { "db/ca.db-wal", "db/ca.db-shm" };
	char src[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX], path[PATH_MAX];
	size_t i;
	int e;

	dpath(src, r->vr.sets[0].dir, "DataBase/ca.db");
	dpath(tmp, r->datadir, IMAGE_TMP);
	dpath(dst, r->datadir, "db/ca.db");
	e = verify_copy_file(src, tmp, 0640, 1);
	for (i = 0; e == 0 && i < sizeof(old) / sizeof(old[0]); i++) {
		dpath(path, r->datadir, old[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			e = -errno;
	}
	if (e == 0 && rename(tmp, dst) < 0)
		e = -errno;
	if (e == 0)
		e = fio_fsync_parent(dst);
	if (e < 0) {
		unlink(tmp);
		return io_fail(r, dst, e);
	}
	printf("placed %s/DataBase/ca.db (LSN %llu) at %s\n", r->vr.sets[0].dir,
	       (unsigned long long)r->vr.image_lsn, dst);
	return EXIT_OK;
}

/* --------------------------------------------------------------- register */

static int
register_set(struct rrun *r, size_t i)
{
	const struct verify_set *s = &r->vr.sets[i];
	char logs[PATH_MAX], staged[PATH_MAX], db[PATH_MAX];
	CSEDB_RSTMAP map;
	HRESULT hr;

	dpath(logs, r->datadir, "logs");
	dpath(staged, r->datadir, STAGED);
	dpath(db, r->datadir, "db/ca.db");
	map.pszDatabaseName = s->saved_db ? s->saved_db : db;
	map.pszNewDatabaseName = db;
	hr = CertSrvRestoreRegister(r->hbc, logs, logs, i == 0 ? &map : NULL,
				    i == 0 ? 1 : 0, staged, s->gen_low, s->gen_high);
	if (FAILED(hr))
		return api_fail(r, "CertSrvRestoreRegister", hr);
	r->registered = 1;
	hr = CertSrvRestoreRegisterComplete(r->hbc, S_OK);
	if (FAILED(hr))
		return api_fail(r, "CertSrvRestoreRegisterComplete", hr);
	return EXIT_OK;
}

static int
register_all(struct rrun *r)
{
	size_t i;
	int rc = EXIT_OK;

	for (i = 0; rc == EXIT_OK && i < r->vr.n; i++)
		rc = register_set(r, i);
	return rc;
}

/* ---------------------------------------------------------- dynamic files */

/* Which dynamic files come back, and with which mode (0: not restored). */
static mode_t
dynamic_mode(const char *rel)
{
	if (!strcmp(rel, "certsrv.conf"))
		return 0640;
	if (!strcmp(rel, "ca/ca.crt"))
		return 0644;
	if (!strncmp(rel, "certenroll/", 11) && !strstr(rel, "/../") &&
	    !strstr(rel, "/./"))
		return 0644;
	return 0;
}

static int
restore_one_dynamic(const struct cli *c, const char *src, const char *dst,
		    const char *rel, mode_t mode, FILE *out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int e;

	if (fio_exists(dst) == 1 && verify_same_file(src, dst) == 1) {
		if (out)
			fprintf(out, "  unchanged %s\n", rel);
		return 0;
	}
	e = fio_read_all(src, DYNAMIC_MAX, &data, &len);
	if (e == 0)
		e = fio_write_atomic(dst, data, len, mode);
	free(data);
	if (e < 0) {
		cli_err(c, "%s: %s", e == -ENOENT || e == -EFBIG ? src : dst,
			cs_strerror(e));
		return -1;
	}
	if (out)
		fprintf(out, "  restored  %s\n", rel);
	return 0;
}

/* mkdir -p of the directory that holds path. */
static int
make_parent(const struct cli *c, const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int e;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	e = fio_mkdirs(dir, 0755);
	if (e < 0)
		cli_err(c, "%s: %s", dir, cs_strerror(e));
	return e < 0 ? -1 : 0;
}

/* When root restores into a data directory that belongs to a service user,
 * a dynamic file it placed, and each directory above it up to the data
 * directory, go to that user (certsrvd, running as it, reads them and
 * writes CRLs into certenroll/). */
static int
give_dynamic(const struct cli *c, const char *datadir, const char *child)
{
	char rel[PATH_MAX];
	char *slash;
	uid_t uid;
	gid_t gid;
	int e;

	e = fio_datadir_owner(datadir, &uid, &gid);
	snprintf(rel, sizeof(rel), "%s", child);
	while (e > 0) {
		e = fio_give_beneath(datadir, rel, uid, gid);
		slash = strrchr(rel, '/');
		if (e < 0 || !slash)
			break;
		*slash = '\0';
		e = 1;
	}
	if (e < 0)
		cli_err(c, "%s/%s: cannot give it to the data directory's owner: %s",
			datadir, rel, cs_strerror(e));
	return e < 0 ? -1 : 0;
}

/* Walk setdir/Dynamic/rel recursively. */
static int
walk_dynamic(const struct cli *c, const char *setdir, const char *datadir,
	     const char *rel, FILE *out)
{
	char dir[PATH_MAX], child[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	struct dirent *e;
	struct stat st;
	mode_t mode;
	DIR *d;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/Dynamic%s%s", setdir, *rel ? "/" : "", rel);
	d = opendir(dir);
	if (!d && errno == ENOENT)
		return 0;
	if (!d) {
		cli_err(c, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		dpath(src, dir, e->d_name);
		if (lstat(src, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			r = walk_dynamic(c, setdir, datadir, child, out);
			continue;
		}
		mode = S_ISREG(st.st_mode) ? dynamic_mode(child) : 0;
		if (!mode) {
			if (out)
				fprintf(out, "  skipped   %s (%s)\n", child,
					strcmp(child, "ca/ca.key") ? "not a dynamic file"
					: "the private key is never restored");
			continue;
		}
		dpath(dst, datadir, child);
		r = make_parent(c, dst);
		if (r == 0)
			r = restore_one_dynamic(c, src, dst, child, mode, out);
		if (r == 0)
			r = give_dynamic(c, datadir, child);
	}
	closedir(d);
	return r;
}

int
cli_restore_dynamic(const struct cli *c, const char *setdir, const char *datadir,
		    FILE *out)
{
	return walk_dynamic(c, setdir, datadir, "", out);
}

/* ----------------------------------------------------------------- finish */

static int
want_options(const struct rrun *r, const struct restore_state *st)
{
	return st->roll_forward == !r->o->no_roll_forward &&
	       st->until_time == r->o->until_time && st->until_lsn == r->o->until_lsn;
}

/* Write the [restore] options into the registration if they differ. */
static int
apply_options(struct rrun *r, int *rewritten)
{
	struct restore_state st;
	char err[512] = "";
	int e;

	*rewritten = 0;
	e = restorereg_load(r->datadir, &st, err, sizeof(err));
	if (e == 0 && !want_options(r, &st)) {
		st.roll_forward = !r->o->no_roll_forward;
		st.until_time = r->o->until_time;
		st.until_lsn = r->o->until_lsn;
		e = restorereg_save(r->datadir, &st);
		*rewritten = e == 0;
	}
	restorereg_release(&st);
	if (e < 0) {
		cli_err(r->c, "cannot write the restore options into %s/restore/"
			"restore.env: %s", r->datadir, err[0] ? err : cs_strerror(e));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
finish(struct rrun *r)
{
	HRESULT hr;
	int rc = EXIT_OK, again = 0;

	if (r->dyn_set) {
		printf("dynamic files from %s/Dynamic:\n", r->dyn_set);
		if (cli_restore_dynamic(r->c, r->dyn_set, r->datadir, stdout) < 0)
			return EXIT_FAIL;
	}
	rc = apply_options(r, &again);
	if (rc != EXIT_OK)
		return rc;
	/* CertSrvRestoreEnd keeps the options this restore wrote. */
	hr = CertSrvRestoreEnd(r->hbc);
	r->hbc = NULL;
	if (FAILED(hr))
		return api_fail(r, "CertSrvRestoreEnd", hr);
	return EXIT_OK;
}

/* --------------------------------------------------------------- summary */

static void
print_summary(const struct rrun *r)
{
	char key[PATH_MAX], when[32];
	const struct verify_set *s;
	struct tm tm;
	time_t t;
	size_t i;

	printf("registered the restore of %s:\n", r->datadir);
	for (i = 0; i < r->vr.n; i++) {
		s = &r->vr.sets[i];
		printf("  %-11s %s: generations %08X..%08X, LSN %llu..%llu\n",
		       i ? "incremental" : "full", s->dir, s->gen_low, s->gen_high,
		       (unsigned long long)s->lsn_low, (unsigned long long)s->lsn_high);
	}
	printf("  image at LSN %llu; roll-forward through the live logs: %s\n",
	       (unsigned long long)r->vr.image_lsn, r->o->no_roll_forward ? "no" : "yes");
	if (r->o->until_lsn)
		printf("  stop after LSN %llu (inclusive)\n",
		       (unsigned long long)r->o->until_lsn);
	if (r->o->until_time) {
		t = (time_t)r->o->until_time;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("  stop after the last record committed at or before %s"
		       " (inclusive)\n", when);
	}
	dpath(key, r->datadir, "ca/ca.key");
	if (fio_exists(key) != 1)
		cli_err(r->c, "%s is missing: key backup is a separate feature not"
			" built yet, so no backup holds the CA key; put the CA's"
			" private key there (mode 0600) — certsrvd cannot start"
			" without it", key);
	printf("start certsrvd to carry out the restore\n");
}

/* ----------------------------------------------------------------- driver */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	if (ftw->level > 0)
		(void)(flag == FTW_DP ? rmdir(path) : unlink(path));
	return 0;
}

/* After a failure: never end a restore that holds a registration (certsrvd
 * would carry out half of it); a fresh directory goes back to empty. */
static void
abandon(struct rrun *r)
{
	if (r->hbc && !r->registered) {
		(void)CertSrvRestoreEnd(r->hbc);
		r->hbc = NULL;
	}
	if (r->registered) {
		cli_err(r->c, "the restore is registered but not finished: certsrvd"
			" will not start until `certsrv restore` succeeds (or %s/"
			"restore/restore.env is removed)", r->datadir);
		return;
	}
	if (r->created)
		nftw(r->datadir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
cli_restore_run(const struct cli *c, const struct restore_opts *o)
{
	struct rrun r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.o = o;
	rc = run_checks(&r);
	if (rc == EXIT_OK)
		rc = prepare(&r);
	if (rc == EXIT_OK)
		rc = stage_logs(&r);
	if (rc == EXIT_OK)
		rc = place_image(&r);
	if (rc == EXIT_OK)
		rc = register_all(&r);
	if (rc == EXIT_OK)
		rc = finish(&r);
	if (rc == EXIT_OK)
		print_summary(&r);
	else
		abandon(&r);
	verify_result_release(&r.vr);
	return rc;
}

int
cmd_restore(struct cli *c, int argc, char **argv)
{
	struct restore_opts o;
	int rc = cli_restore_parse_args(c, argc, argv, &o);

	return rc == EXIT_OK ? cli_restore_run(c, &o) : rc;
}
