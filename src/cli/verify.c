/*
 * verify.c — `certsrv verify-backup` and the checks `certsrv restore` runs
 * first (see verify.h for the list of checks and the guarantees).
 *
 * Invariants:
 *  - a set is only ever read: files are opened O_RDONLY and the image is
 *    opened through SQLite's immutable URI mode, which creates no -wal or
 *    -shm file and takes no lock;
 *  - the first failed check stops everything and leaves one sentence,
 *    starting with the path of the bad file, in vctx.why;
 *  - the trial restore works only inside its own mkdtemp directory, which
 *    is removed whatever happens.
 */
#include "cli/verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cli/locations.h"
#include "cli/manifest.h"
#include "common/buf.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/restorereg.h"
#include "store/db.h"
#include "store/recover.h"
#include "store/restore.h"

#define COPY_CHUNK (1024u * 1024u)
#define MANIFEST_MAX (64u * 1024u * 1024u)
#define LOCATIONS_MAX (64u * 1024u)

struct vctx {
	const struct cli *c;
	FILE *out;
	struct verify_result *res;
	char why[3 * PATH_MAX];
	int chain_started;       /* a log was checked */
	uint64_t next_lsn;       /* the LSN the next log must start at */
	uint32_t next_gen;       /* the generation the next set must start at */
	char key_id[96];         /* of the first manifest that names one */
	json_t *mf;              /* the current set's manifest, or NULL */
};

static int
vfail(struct vctx *v, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first failure: "FILE: why". Always returns -1. */
static int
vfail(struct vctx *v, const char *file, const char *fmt, ...)
{
	size_t k;
	va_list ap;

	if (v->why[0])
		return -1;
	snprintf(v->why, sizeof(v->why), "%s: ", file);
	k = strlen(v->why);
	va_start(ap, fmt);
	vsnprintf(v->why + k, sizeof(v->why) - k, fmt, ap);
	va_end(ap);
	return -1;
}

static void
say(struct vctx *v, const char *mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One check line: "  ok  what". */
static void
say(struct vctx *v, const char *mark, const char *fmt, ...)
{
	va_list ap;

	if (!v->out)
		return;
	fprintf(v->out, "  %-4s", mark);
	va_start(ap, fmt);
	vfprintf(v->out, fmt, ap);
	va_end(ap);
	fputc('\n', v->out);
	fflush(v->out);
}

/* dir "/" rel into out (PATH_MAX). */
static void
spath(char *out, const char *dir, const char *rel)
{
	/* Callers keep dir below PATH_MAX - 256 (checked on entry), so this
	 * never truncates; if it did, the empty path would fail to open. */
	if (snprintf(out, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX)
		out[0] = '\0';
}

/* ------------------------------------------------------------ file helpers */

int
verify_copy_file(const char *src, const char *dst, mode_t mode, int sync)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	int in = -1, out = -1, r = 0;
	size_t got = 0;

	if (!buf)
		return -ENOMEM;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		r = -errno;
	if (r == 0) {
		out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			   mode);
		if (out < 0)
			r = -errno;
	}
	while (r == 0) {
		r = fio_read_full(in, buf, COPY_CHUNK, &got);
		if (r < 0 || got == 0)
			break;
		r = fio_write_full(out, buf, got);
	}
	if (r == 0 && sync && fsync(out) < 0)
		r = -errno;
	if (out >= 0 && close(out) < 0 && r == 0)
		r = -errno;
	if (in >= 0)
		close(in);
	free(buf);
	return r;
}

int
verify_same_file(const char *a, const char *b)
{
	uint8_t *x = malloc(2 * (size_t)COPY_CHUNK);
	size_t ga = 0, gb = 0;
	int fa = -1, fb = -1, r = 1;
	struct stat sa, sb;

	if (!x)
		return -ENOMEM;
	fa = open(a, O_RDONLY | O_CLOEXEC);
	fb = open(b, O_RDONLY | O_CLOEXEC);
	if (fa < 0 || fb < 0 || fstat(fa, &sa) < 0 || fstat(fb, &sb) < 0)
		r = -errno;
	else if (sa.st_size != sb.st_size)
		r = 0;
	while (r == 1) {
		if (fio_read_full(fa, x, COPY_CHUNK, &ga) < 0 ||
		    fio_read_full(fb, x + COPY_CHUNK, COPY_CHUNK, &gb) < 0) {
			r = -EIO;
			break;
		}
		if (ga != gb || memcmp(x, x + COPY_CHUNK, ga) != 0)
			r = 0;
		if (ga == 0 || ga < COPY_CHUNK)
			break;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	free(x);
	return r;
}

/* SHA-256 of a file in lowercase hex. */
static int
sha256_file(const char *path, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(COPY_CHUNK);
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	size_t got = 0;
	int fd = -1, r = 0;

	if (!md || !buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		r = -ENOMEM;
	if (r == 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		r = -errno;
	while (r == 0) {
		r = fio_read_full(fd, buf, COPY_CHUNK, &got);
		if (r < 0 || got == 0)
			break;
		if (EVP_DigestUpdate(md, buf, got) != 1)
			r = CS_E_INTERNAL;
	}
	if (r == 0 && (EVP_DigestFinal_ex(md, d, &dl) != 1 || dl != 32))
		r = CS_E_INTERNAL;
	if (r == 0)
		buf_hex(d, dl, out);
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(md);
	return r;
}

/* -------------------------------------------------------- (a) the manifest */

/* One entry of "files" (its form checked by manifest_parse): present, with
 * its size and SHA-256. */
static int
check_listed(struct vctx *v, const struct verify_set *s, json_t *f, json_t *seen)
{
	const char *rel = json_string_value(json_object_get(f, "path"));
	const char *want = json_string_value(json_object_get(f, "sha256"));
	json_t *size = json_object_get(f, "size");
	char path[PATH_MAX], got[65];
	struct stat st;

	if (json_object_set_new(seen, rel, json_true()) < 0)
		return vfail(v, s->dir, "out of memory");
	spath(path, s->dir, rel);
	if (lstat(path, &st) < 0)
		return vfail(v, path, "listed in manifest.json but %s",
			     errno == ENOENT ? "missing" : strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vfail(v, path, "not a regular file");
	if ((json_int_t)st.st_size != json_integer_value(size))
		return vfail(v, path, "%lld bytes, manifest.json says %lld: changed"
			     " after the backup", (long long)st.st_size,
			     (long long)json_integer_value(size));
	if (sha256_file(path, got) < 0)
		return vfail(v, path, "cannot be read: %s", strerror(errno));
	if (strcmp(got, want))
		return vfail(v, path, "its SHA-256 differs from the one in"
			     " manifest.json: changed after the backup");
	return 0;
}

/* Every file under set/rel (recursively) must be listed in seen. */
static int
check_unlisted(struct vctx *v, const struct verify_set *s, const char *rel,
	       json_t *seen)
{
	char dir[PATH_MAX], child[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int r = 0;

	spath(dir, s->dir, rel);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : vfail(v, dir, "%s", strerror(errno));
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", rel, e->d_name);
		spath(path, s->dir, child);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			r = check_unlisted(v, s, child, seen);
		else if (!json_object_get(seen, child))
			r = vfail(v, path, "not listed in manifest.json: the set"
				  " holds a file its backup did not write");
	}
	closedir(d);
	return r;
}

static int
check_files(struct vctx *v, struct verify_set *s, json_t *root)
{
	json_t *files = json_object_get(root, "files"), *seen = json_object(), *f;
	size_t i;
	int r = seen ? 0 : -1;

	if (!seen)
		return vfail(v, s->dir, "out of memory");
	json_array_foreach(files, i, f) {
		if (r == 0)
			r = check_listed(v, s, f, seen);
	}
	if (r == 0)
		r = check_unlisted(v, s, "DataBase", seen);
	if (r == 0)
		r = check_unlisted(v, s, "Dynamic", seen);
	if (r == 0)
		say(v, "ok", "files: %zu listed, every size and SHA-256 matches,"
		    " nothing unlisted", json_array_size(files));
	json_decref(seen);
	return r;
}

/* The manifest names the CA of the sets checked before (key id) and, once
 * the image was read (have_image), the image's lineage. */
static int
check_manifest_identity(struct vctx *v, const struct verify_set *s, int have_image)
{
	const char *lin = json_string_value(json_object_get(v->mf, "lineage"));
	const char *kid = json_string_value(json_object_get(v->mf, "key_id"));
	char path[PATH_MAX], mine[2 * REDO_LINEAGE_LEN + 1];

	spath(path, s->dir, MANIFEST_NAME);
	if (kid && v->key_id[0] && strcmp(kid, v->key_id))
		return vfail(v, path, "a backup of another CA: key id %s, the full"
			     " set's is %s", kid, v->key_id);
	if (kid && !v->key_id[0])
		snprintf(v->key_id, sizeof(v->key_id), "%s", kid);
	buf_hex(v->res->lineage, REDO_LINEAGE_LEN, mine);
	if (have_image && (!lin || strcmp(lin, mine)))
		return vfail(v, path, "a backup of another database history: lineage"
			     " %s, the image's is %s", lin ? lin : "(none)", mine);
	return 0;
}

/* (a): sets s->has_manifest and s->full (from the manifest's type). */
static int
check_manifest(struct vctx *v, struct verify_set *s)
{
	char path[PATH_MAX], why[512];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	spath(path, s->dir, MANIFEST_NAME);
	r = fio_exists(path);
	if (r == 0) {
		say(v, "--", "no manifest: checked from the files themselves");
		return 0;
	}
	r = r < 0 ? r : fio_read_all(path, MANIFEST_MAX, &data, &len);
	if (r < 0)
		return vfail(v, path, "cannot be read: %s", cs_strerror(r));
	r = manifest_parse(data, len, &v->mf, why, sizeof(why));
	free(data);
	if (r < 0)
		return vfail(v, path, "%s", r == CS_E_CORRUPT ? why : cs_strerror(r));
	s->has_manifest = 1;
	if (check_manifest_identity(v, s, v->chain_started) < 0)
		return -1;
	say(v, "ok", "manifest.json: %s version %d, %s set, self checksum matches",
	    MANIFEST_FORMAT, MANIFEST_VERSION,
	    json_string_value(json_object_get(v->mf, "type")));
	s->full = !strcmp(json_string_value(json_object_get(v->mf, "type")), "full");
	return check_files(v, s, v->mf);
}

/* The manifest says the same as the files: lineage, generations, LSNs, and
 * the same CA as the other sets. */
static int
check_manifest_agrees(struct vctx *v, const struct verify_set *s)
{
	static const char *const keys[] = { "gen_low", "gen_high", "lsn_low",
					     "lsn_high" };
	uint64_t have[4] = { s->gen_low, s->gen_high, s->lsn_low, s->lsn_high };
	char path[PATH_MAX];
	json_t *x;
	size_t i;

	if (!v->mf)
		return 0;
	spath(path, s->dir, MANIFEST_NAME);
	for (i = 0; i < 4; i++) {
		x = json_object_get(v->mf, keys[i]);
		if (!json_is_integer(x) || (uint64_t)json_integer_value(x) != have[i])
			return vfail(v, path, "says %s %lld, the logs of the set give"
				     " %llu", keys[i], json_is_integer(x)
				     ? (long long)json_integer_value(x) : -1LL,
				     (unsigned long long)have[i]);
	}
	return check_manifest_identity(v, s, 1);
}

/* ----------------------------------------------- (b) certbkxp.dat, ca.db */

/* A file of DataBase/ must be a regular file of the set itself: a symbolic
 * link is refused (never followed out of the set), manifest or not. */
static int
check_regular(struct vctx *v, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0 || S_ISREG(st.st_mode))
		return 0;   /* missing: the caller says what was expected */
	return vfail(v, path, "not a regular file (a backup set holds no"
		     " symbolic links)");
}

static int
check_locations(struct vctx *v, struct verify_set *s)
{
	char path[PATH_MAX];
	const char *why = "";
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	spath(path, s->dir, "DataBase/certbkxp.dat");
	if (check_regular(v, path) < 0)
		return -1;
	r = fio_read_all(path, LOCATIONS_MAX, &data, &len);
	if (r == -ENOENT)
		return vfail(v, path, "missing: a full set needs the restore map"
			     " saved at backup time (CertSrvRestoreGetDatabaseLocations)");
	if (r < 0)
		return vfail(v, path, "cannot be read: %s", cs_strerror(r));
	r = locations_parse(data, len, &s->saved_db, &s->locations_utf16, &why);
	free(data);
	if (r == CS_E_CORRUPT)
		return vfail(v, path, "not a locations list (%s): %s",
			     s->locations_utf16 ? "UTF-16" : "UTF-8", why);
	if (r < 0)
		return vfail(v, path, "cannot be read: %s", cs_strerror(r));
	say(v, "ok", "DataBase/certbkxp.dat: locations list (%s), database was %s",
	    s->locations_utf16 ? "UTF-16" : "UTF-8", s->saved_db);
	return 0;
}

/* "file:" URI of a path, with '%', '?' and '#' escaped. */
static void
file_uri(const char *path, char *out, size_t n)
{
	size_t k = (size_t)snprintf(out, n, "file:");

	for (; *path && k + 4 < n; path++) {
		if (*path == '%' || *path == '?' || *path == '#')
			k += (size_t)snprintf(out + k, n - k, "%%%02X",
					      (unsigned char)*path);
		else
			out[k++] = *path;
	}
	snprintf(out + k, n - k, "?immutable=1");
}

static int
quick_check(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	const char *res;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    (res = (const char *)sqlite3_column_text(st, 0)) && !strcmp(res, "ok"))
		ok = 1;
	sqlite3_finalize(st);
	return ok;
}

static int
check_image(struct vctx *v, const struct verify_set *s)
{
	char path[PATH_MAX], uri[3 * PATH_MAX + 32], lin[2 * REDO_LINEAGE_LEN + 1];
	sqlite3 *db = NULL;
	int r;

	spath(path, s->dir, "DataBase/ca.db");
	if (check_regular(v, path) < 0)
		return -1;
	if (fio_exists(path) != 1)
		return vfail(v, path, "missing: a full set holds the database image");
	file_uri(path, uri, sizeof(uri));
	r = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (r == SQLITE_OK)
		r = db_meta_get_u64(db, "applied_lsn", &v->res->image_lsn);
	if (r == 0)
		r = db_meta_get_lineage(db, v->res->lineage);
	if (r != 0 && db && (sqlite3_errcode(db) == SQLITE_CORRUPT ||
			     sqlite3_errcode(db) == SQLITE_NOTADB))
		r = vfail(v, path, "damaged: SQLite says \"%s\"", sqlite3_errmsg(db));
	else if (r != 0)
		r = vfail(v, path, "not a certsrv database image (%s)",
			  db ? sqlite3_errmsg(db) : "cannot open");
	else if (!quick_check(db))
		r = vfail(v, path, "damaged: SQLite's PRAGMA quick_check fails");
	sqlite3_close_v2(db);
	if (r < 0)
		return r;
	buf_hex(v->res->lineage, REDO_LINEAGE_LEN, lin);
	say(v, "ok", "DataBase/ca.db: database image at LSN %llu, lineage %s,"
	    " quick_check ok", (unsigned long long)v->res->image_lsn, lin);
	return 0;
}

/* ------------------------------------------------------------- (c) logs */

/* Why a log does not end exactly after its last good record. */
static int
describe_tail(struct vctx *v, const char *path, off_t end, uint64_t expect)
{
	uint8_t h[REDO_REC_HDR_LEN];
	size_t got = 0;
	struct stat st;
	uint64_t left, len, lsn;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 ||
	    fio_pread_full(fd, h, sizeof(h), end, &got) < 0) {
		if (fd >= 0)
			close(fd);
		return vfail(v, path, "cannot be read: %s", strerror(errno));
	}
	close(fd);
	left = (uint64_t)(st.st_size - end);
	if (got < sizeof(h) || left < REDO_REC_HDR_LEN + REDO_REC_TRAILER_LEN)
		return vfail(v, path, "truncated: it ends inside a record at offset"
			     " %lld (%llu stray bytes after LSN %llu)",
			     (long long)end, (unsigned long long)left,
			     (unsigned long long)expect - 1);
	len = le32_load(h);
	lsn = le64_load(h + 8);
	if (len <= REDO_MAX_PAYLOAD &&
	    len + REDO_REC_HDR_LEN + REDO_REC_TRAILER_LEN > left)
		return vfail(v, path, "truncated: the record at offset %lld announces"
			     " %llu bytes but only %llu remain in the file",
			     (long long)end, (unsigned long long)len,
			     (unsigned long long)(left - REDO_REC_HDR_LEN -
						  REDO_REC_TRAILER_LEN));
	if (lsn != expect)
		return vfail(v, path, "the record at offset %lld carries LSN %llu"
			     " where %llu was expected (damaged)", (long long)end,
			     (unsigned long long)lsn, (unsigned long long)expect);
	return vfail(v, path, "the record LSN %llu at offset %lld fails its crc32c"
		     " (damaged)", (unsigned long long)lsn, (long long)end);
}

/* The header of one log: valid, its generation, the lineage, and where its
 * LSNs start. */
static int
check_log_header(struct vctx *v, const char *path, uint32_t gen,
		 const struct redo_file_hdr *h)
{
	char a[2 * REDO_LINEAGE_LEN + 1], b[2 * REDO_LINEAGE_LEN + 1];

	if (h->generation != gen)
		return vfail(v, path, "its header says generation %08X: the file is"
			     " named for another generation", h->generation);
	if (memcmp(h->lineage, v->res->lineage, REDO_LINEAGE_LEN)) {
		buf_hex(h->lineage, REDO_LINEAGE_LEN, a);
		buf_hex(v->res->lineage, REDO_LINEAGE_LEN, b);
		return vfail(v, path, "a log of another CA or of another history:"
			     " lineage %s, the database image's is %s", a, b);
	}
	if (!v->chain_started && h->first_lsn > v->res->image_lsn + 1)
		return vfail(v, path, "starts at LSN %llu, but the image holds LSNs"
			     " up to %llu only: records %llu..%llu are in no log",
			     (unsigned long long)h->first_lsn,
			     (unsigned long long)v->res->image_lsn,
			     (unsigned long long)v->res->image_lsn + 1,
			     (unsigned long long)h->first_lsn - 1);
	if (v->chain_started && h->first_lsn != v->next_lsn)
		return vfail(v, path, "starts at LSN %llu where %llu was expected:"
			     " the logs do not continue each other",
			     (unsigned long long)h->first_lsn,
			     (unsigned long long)v->next_lsn);
	return 0;
}

static int
check_log(struct vctx *v, struct verify_set *s, const char *path, uint32_t gen,
	  int first_in_set)
{
	struct redo_reader *rd = NULL;
	struct redo_record rec;
	struct redo_file_hdr h;
	uint64_t next;
	int r;

	r = redo_reader_open(path, &rd, &h);
	if (r == CS_E_CORRUPT)
		return vfail(v, path, "not a valid log header (magic, version,"
			     " length or crc32c fails)");
	if (r < 0)
		return vfail(v, path, "cannot be read: %s", cs_strerror(r));
	r = check_log_header(v, path, gen, &h);
	next = h.first_lsn;
	if (first_in_set)
		s->lsn_low = h.first_lsn;
	while (r == 0 && (r = redo_reader_next(rd, &rec)) == 1) {
		next = rec.lsn + 1;
		s->records++;
		r = 0;
	}
	if (r == CS_E_CORRUPT)
		r = vfail(v, path, "the record at offset %lld (LSN %llu) fails its"
			  " checks and valid records follow it: damaged",
			  (long long)redo_reader_end(rd), (unsigned long long)next);
	else if (r < 0 && !v->why[0])
		r = vfail(v, path, "%s", cs_strerror(r));
	else if (r == 0 && redo_reader_has_tail(rd))
		r = describe_tail(v, path, redo_reader_end(rd), next);
	redo_reader_close(rd);
	if (r < 0)
		return -1;
	v->chain_started = 1;
	v->next_lsn = next;
	return 0;
}

/* The set's generations: present, contiguous, continuing the last set. */
static int
check_generations(struct vctx *v, const struct verify_set *s, const uint32_t *gens,
		  size_t n)
{
	char path[PATH_MAX], name[32];
	size_t i;

	spath(path, s->dir, "DataBase");
	if (n == 0)
		return vfail(v, path, "holds no log file (caXXXXXXXX.log): every"
			     " backup set holds at least one");
	if (v->next_gen && gens[0] > v->next_gen) {
		snprintf(name, sizeof(name), "DataBase/ca%08X.log", v->next_gen);
		spath(path, s->dir, name);
		return vfail(v, path, "missing: the previous set ends at generation"
			     " %08X, this one starts at %08X", v->next_gen - 1, gens[0]);
	}
	if (v->next_gen && gens[0] < v->next_gen) {
		snprintf(name, sizeof(name), "DataBase/ca%08X.log", gens[0]);
		spath(path, s->dir, name);
		return vfail(v, path, "generation %08X was already in the previous"
			     " set (which ends at %08X): not the set that follows it",
			     gens[0], v->next_gen - 1);
	}
	for (i = 1; i < n; i++) {
		if (gens[i] == gens[i - 1] + 1)
			continue;
		snprintf(name, sizeof(name), "DataBase/ca%08X.log", gens[i - 1] + 1);
		spath(path, s->dir, name);
		return vfail(v, path, "missing: the set holds generations %08X and"
			     " %08X but not those in between", gens[i - 1], gens[i]);
	}
	return 0;
}

static int
check_logs(struct vctx *v, struct verify_set *s)
{
	char dir[PATH_MAX], path[PATH_MAX];
	uint32_t *gens = NULL;
	size_t n = 0, i;
	int r;

	spath(dir, s->dir, "DataBase");
	r = redo_list_generations(dir, &gens, &n);
	if (r < 0)
		return vfail(v, dir, "cannot be listed: %s", cs_strerror(r));
	r = check_generations(v, s, gens, n);
	for (i = 0; r == 0 && i < n; i++) {
		if (redo_path(dir, gens[i], path, sizeof(path)) < 0)
			r = vfail(v, dir, "path too long");
		else if (check_regular(v, path) < 0)
			r = -1;
		else
			r = check_log(v, s, path, gens[i], i == 0);
	}
	if (r == 0) {
		s->gen_low = gens[0];
		s->gen_high = gens[n - 1];
		s->lsn_high = v->next_lsn - 1;
		v->next_gen = gens[n - 1] + 1;
		say(v, "ok", "logs %08X..%08X: %llu records, LSN %llu..%llu, headers,"
		    " lineage, crc32c and LSN chain ok", s->gen_low, s->gen_high,
		    (unsigned long long)s->records, (unsigned long long)s->lsn_low,
		    (unsigned long long)s->lsn_high);
	}
	free(gens);
	return r;
}

/* ------------------------------------------------------------- one set */

static int
check_kind(struct vctx *v, struct verify_set *s, size_t index)
{
	char path[PATH_MAX];

	if (!s->has_manifest) {
		spath(path, s->dir, "DataBase/ca.db");
		s->full = fio_exists(path) == 1;
	}
	if (index == 0 && !s->full)
		return vfail(v, s->dir, "an incremental set (no database image)"
			     " cannot come first: give its full backup first"
			     " (FULLDIR INCRDIR...)");
	if (index > 0 && s->full)
		return vfail(v, s->dir, "a full set can only come first: restore one"
			     " full backup and the incrementals that follow it");
	return 0;
}

static int
check_set(struct vctx *v, struct verify_set *s, size_t index)
{
	int r;

	if (v->out)
		fprintf(v->out, "%s:\n", s->dir);
	json_decref(v->mf);
	v->mf = NULL;
	r = check_manifest(v, s);
	if (r == 0)
		r = check_kind(v, s, index);
	if (r == 0 && s->full)
		r = check_locations(v, s);
	if (r == 0 && s->full)
		r = check_image(v, s);
	if (r == 0)
		r = check_logs(v, s);
	if (r == 0)
		r = check_manifest_agrees(v, s);
	return r;
}

/* ------------------------------------------------------- (d) trial restore */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* Replace the trial directory's paths in a sentence by the sets' files. */
static void
name_set_files(const struct vctx *v, const char *tmp, char *msg, size_t n)
{
	char out[sizeof(v->why)], name[32];
	size_t tl = strlen(tmp), k = 0, i;
	const char *p = msg, *hit;
	unsigned gen;

	while ((hit = strstr(p, tmp)) != NULL && k < sizeof(out) - 1) {
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%.*s",
				      (int)(hit - p), p);
		p = hit + tl;
		if (!strncmp(p, "/db/ca.db", 9)) {
			k += (size_t)snprintf(out + k, sizeof(out) - k,
					      "%s/DataBase/ca.db", v->res->sets[0].dir);
			p += 9;
		/* NOLINTNEXTLINE(cert-err34-c): 8 hex digits fit an unsigned */
		} else if (sscanf(p, "/restore/logs/ca%8X.log", &gen) == 1) {
			for (i = v->res->n; i-- > 1 && v->res->sets[i].gen_low > gen;)
				;
			snprintf(name, sizeof(name), "ca%08X.log", gen);
			k += (size_t)snprintf(out + k, sizeof(out) - k, "%s/DataBase/%s",
					      v->res->sets[i].dir, name);
			p += strlen("/restore/logs/") + strlen(name);
		} else {
			k += (size_t)snprintf(out + k, sizeof(out) - k, "(trial directory)");
		}
		if (k >= sizeof(out))
			k = sizeof(out) - 1;
	}
	snprintf(out + k, sizeof(out) - k, "%s", p);
	snprintf(msg, n, "%s", out);
}

static int
trial_layout(struct vctx *v, const char *tmp)
{
	static const char *const dirs[] = { "db", "logs", "restore", "restore/logs" };
	char path[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	const struct verify_set *s;
	size_t i;
	uint32_t g;
	int r = 0;

	for (i = 0; r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		spath(path, tmp, dirs[i]);
		r = mkdir(path, 0700) < 0 ? -errno : 0;
	}
	spath(src, v->res->sets[0].dir, "DataBase/ca.db");
	spath(dst, tmp, "db/ca.db");
	if (r == 0)
		r = verify_copy_file(src, dst, 0600, 0);
	for (i = 0; r == 0 && i < v->res->n; i++) {
		s = &v->res->sets[i];
		for (g = s->gen_low; r == 0 && g >= s->gen_low && g <= s->gen_high; g++) {
			spath(path, s->dir, "DataBase");
			spath(dst, tmp, "restore/logs");
			if (redo_path(path, g, src, sizeof(src)) < 0 ||
			    redo_path(dst, g, path, sizeof(path)) < 0)
				r = -ENAMETOOLONG;
			else
				r = verify_copy_file(src, path, 0600, 0);
		}
	}
	return r < 0 ? vfail(v, tmp, "cannot lay out the trial restore: %s",
			     cs_strerror(r)) : 0;
}

/* The registration a restore of these sets writes, without roll-forward. */
static int
trial_registration(const struct vctx *v, const char *tmp, struct restore_state *st)
{
	char logs[PATH_MAX], staged[PATH_MAX], db[PATH_MAX];
	struct restore_registration *reg;
	size_t i;
	int r = 0;

	restorereg_init(st);
	st->roll_forward = 0;
	st->ended = 1;
	spath(logs, tmp, "logs");
	spath(staged, tmp, "restore/logs");
	spath(db, tmp, "db/ca.db");
	for (i = 0; r == 0 && i < v->res->n; i++) {
		reg = &st->regs[st->n++];
		reg->gen_low = v->res->sets[i].gen_low;
		reg->gen_high = v->res->sets[i].gen_high;
		reg->complete = 1;
		r = restorereg_set(&reg->checkpoint, logs);
		if (r == 0)
			r = restorereg_set(&reg->log_path, logs);
		if (r == 0)
			r = restorereg_set(&reg->backup_log_path, staged);
		if (r == 0 && i == 0)
			r = restorereg_set(&reg->map_from, v->res->sets[0].saved_db
					   ? v->res->sets[0].saved_db : db);
		if (r == 0 && i == 0)
			r = restorereg_set(&reg->map_to, db);
	}
	return r == 0 ? restorereg_save(tmp, st) : r;
}

static int
count_certificates(const char *db_path, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int r = db_open_reader(db_path, &db);

	if (r == 0 && sqlite3_prepare_v2(db, "SELECT count(*) FROM certificates",
					 -1, &st, NULL) != SQLITE_OK)
		r = CS_E_INTERNAL;
	if (r == 0 && sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	db_close(db);
	return r;
}

static int
trial_run(struct vctx *v, const char *tmp)
{
	struct restore_state st;
	struct restore_outcome out;
	struct store_paths sp;
	char err[sizeof(v->why)] = "";
	int r;

	memset(&sp, 0, sizeof(sp));
	r = trial_registration(v, tmp, &st);
	if (r < 0) {
		restorereg_release(&st);
		return vfail(v, v->res->sets[0].dir, "cannot write a registration"
			     " for these sets: %s", cs_strerror(r));
	}
	r = store_paths_init(&sp, tmp);
	if (r == 0)
		r = restore_run(&sp, &st, &out, NULL, NULL, err, sizeof(err));
	if (r < 0) {
		name_set_files(v, tmp, err, sizeof(err));
		vfail(v, "trial restore", "%s", err[0] ? err : cs_strerror(r));
	}
	if (r == 0 && count_certificates(sp.db_path, &v->res->trial_certs) < 0)
		r = vfail(v, "trial restore", "cannot read the restored database");
	if (r == 0) {
		v->res->trial_done = 1;
		v->res->trial_lsn = out.applied_lsn;
		v->res->trial_replayed = out.replayed;
	}
	store_paths_release(&sp);
	restorereg_release(&st);
	return r < 0 ? -1 : 0;
}

static int
trial_restore(struct vctx *v)
{
	const char *base = getenv("TMPDIR");
	char tmp[PATH_MAX];
	int r;

	if (!base || base[0] != '/')
		base = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/certsrv-verify.XXXXXX", base);
	if (!mkdtemp(tmp))
		return vfail(v, tmp, "cannot create the trial directory: %s",
			     strerror(errno));
	if (v->out)
		fprintf(v->out, "trial restore in %s:\n", tmp);
	r = trial_layout(v, tmp);
	if (r == 0)
		r = trial_run(v, tmp);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (r == 0)
		say(v, "ok", "restored to LSN %llu (%llu records replayed onto the"
		    " image at LSN %llu), %lld certificates, integrity_check ok,"
		    " serials unique", (unsigned long long)v->res->trial_lsn,
		    (unsigned long long)v->res->trial_replayed,
		    (unsigned long long)v->res->image_lsn,
		    (long long)v->res->trial_certs);
	return r;
}

/* ---------------------------------------------------------------- entry */

void
verify_result_release(struct verify_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->n; i++) {
		free(res->sets[i].dir);
		free(res->sets[i].saved_db);
	}
	free(res->sets);
	memset(res, 0, sizeof(*res));
}

int
verify_sets(const struct cli *c, char *const *dirs, size_t n, int trial,
	    FILE *out, struct verify_result *res)
{
	struct vctx v;
	size_t i;
	int r = 0;

	memset(res, 0, sizeof(*res));
	memset(&v, 0, sizeof(v));
	v.c = c;
	v.out = out;
	v.res = res;
	res->sets = calloc(n ? n : 1, sizeof(*res->sets));
	if (!res->sets) {
		cli_err(c, "out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; r == 0 && i < n; i++) {
		res->n++;
		if (strlen(dirs[i]) > PATH_MAX - 256) {
			r = vfail(&v, dirs[i], "path too long");
			break;
		}
		res->sets[i].dir = strdup(dirs[i]);
		r = res->sets[i].dir ? check_set(&v, &res->sets[i], i)
				     : vfail(&v, dirs[i], "out of memory");
	}
	json_decref(v.mf);
	if (r == 0 && trial)
		r = trial_restore(&v);
	if (r < 0) {
		cli_err(c, "%s", v.why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------- the command */

int
cmd_verify_backup(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-trial", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_result res;
	int o, trial = 1, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'n')
			return EXIT_USAGE;
		trial = 0;
	}
	if (optind >= argc) {
		cli_err(c, "usage: certsrv verify-backup FULLDIR [INCRDIR...]"
			" [--no-trial]");
		return EXIT_USAGE;
	}
	rc = verify_sets(c, argv + optind, (size_t)(argc - optind), trial, stdout,
			 &res);
	if (rc == EXIT_OK)
		printf("the backup set%s would restore: image at LSN %llu, logs up to"
		       " LSN %llu, generations %08X..%08X%s\n",
		       res.n > 1 ? "s" : "", (unsigned long long)res.image_lsn,
		       (unsigned long long)res.sets[res.n - 1].lsn_high,
		       res.sets[0].gen_low, res.sets[res.n - 1].gen_high,
		       trial ? "" : " (no trial restore)");
	else
		printf("verification FAILED; these sets would not restore\n");
	verify_result_release(&res);
	return rc;
}
