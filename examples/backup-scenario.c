/*
 * backup-scenario.c — the sixteen documented steps of "Backing Up
 * Certificate Services", literally, against libcertadm: load the library,
 * resolve every function by name, and back up a running CA while it keeps
 * issuing. Uses the UTF-16 ("W") entry points, as ported Windows code does.
 *
 *   backup-scenario [--incremental] [--truncate] SERVER DIR
 *
 * Writes the backup set of DESIGN section 10 into DIR (which must be empty
 * or absent):
 *   DIR/DataBase/ca.db             the database image (full backups)
 *   DIR/DataBase/caXXXXXXXX.log    the log generations of the set
 *   DIR/DataBase/certbkxp.dat      the raw RestoreGetDatabaseLocations list
 *                                  (UTF-16, as this program uses the W API)
 *   DIR/Dynamic/...                copies of the dynamic files, by their
 *                                  path relative to the CA's data directory
 * Every file is written and fsync'd before the next step. Exit status 0 only
 * if every step succeeded; the failing step and its HRESULT are printed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include <certsrv/certbcli.h>

#define READ_BUFFER (512 * 1024) /* the size the documentation's sample uses */
/* Largest write(): on some virtual machines one large write() into fresh
 * page cache costs several times as much as the same bytes in 64 KiB
 * pieces (BENCHMARKS.md, "online backup"). */
#define WRITE_PIECE (64 * 1024)

/* Every function of the scenario, resolved by name (step 2). */
static struct {
	FNCERTSRVISSERVERONLINEW *IsServerOnline;
	FNCERTSRVBACKUPPREPAREW *BackupPrepare;
	FNCERTSRVRESTOREGETDATABASELOCATIONSW *RestoreGetDatabaseLocations;
	FNCERTSRVBACKUPGETDATABASENAMESW *BackupGetDatabaseNames;
	FNCERTSRVBACKUPOPENFILEW *BackupOpenFile;
	FNCERTSRVBACKUPREAD *BackupRead;
	FNCERTSRVBACKUPCLOSE *BackupClose;
	FNCERTSRVBACKUPGETBACKUPLOGSW *BackupGetBackupLogs;
	FNCERTSRVBACKUPTRUNCATELOGS *BackupTruncateLogs;
	FNCERTSRVBACKUPGETDYNAMICFILELISTW *BackupGetDynamicFileList;
	FNCERTSRVBACKUPEND *BackupEnd;
	FNCERTSRVBACKUPFREE *BackupFree;
	const char *(*GetErrorMessage)(HRESULT hr);
} api;

static int
fail(const char *step, HRESULT hr)
{
	fprintf(stderr, "backup-scenario: %s failed: 0x%08X %s\n", step,
		(unsigned)hr, api.GetErrorMessage ? api.GetErrorMessage(hr) : "");
	return 1;
}

/* UTF-16 (host order) to UTF-8, malloc'd; NULL on invalid input. */
static char *
to_utf8(const WCHAR *w)
{
	size_t n = 0, cap = 16, k;
	char *out = malloc(cap), *grown;
	mbstate_t st;

	memset(&st, 0, sizeof(st));
	for (; out; w++) {
		if (cap - n < MB_LEN_MAX + 1) {
			cap *= 2;
			grown = realloc(out, cap);
			if (!grown)
				break;
			out = grown;
		}
		k = c16rtomb(out + n, *w, &st);
		if (k == (size_t)-1)
			break;
		n += k;
		if (*w == 0)
			return out;
	}
	free(out);
	return NULL;
}

/* UTF-8 to UTF-16, malloc'd; NULL on invalid input. */
static WCHAR *
to_utf16(const char *s)
{
	size_t len = strlen(s), n = 0;
	WCHAR *out = calloc(len + 1, sizeof(*out));
	const char *p = s, *end = s + len;
	mbstate_t st;
	size_t k;

	memset(&st, 0, sizeof(st));
	while (out && p < end) {
		k = mbrtoc16(&out[n], p, (size_t)(end - p), &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			free(out);
			return NULL;
		}
		if (k != (size_t)-3)
			p += k;
		n++;
	}
	return out;
}

static size_t
wlen(const WCHAR *w)
{
	size_t n = 0;

	while (w[n])
		n++;
	return n;
}

/* out = a "/" b; -1 if it does not fit. */
static int
join(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s/%s", a, b);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Write all len bytes to fd, at most WRITE_PIECE per write(): 0 or -1
 * (errno set). */
static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len < WRITE_PIECE ? len : WRITE_PIECE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write len bytes to path and make them durable. */
static int
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	int ok;

	if (fd < 0)
		return -1;
	ok = write_all(fd, data, len) == 0 && fsync(fd) == 0;
	return (close(fd) == 0 && ok) ? 0 : -1;
}

static int
mkdirs(const char *path)
{
	char tmp[4096], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* Steps 7, 8 and 9 for one listed file: open it (tag stripped), read it in
 * a loop into DIR/DataBase/<its name>, close it. */
static int
back_up_file(HCSBC hbc, const WCHAR *tagged, const char *database_dir,
	     void *buffer)
{
	char *name = to_utf8(tagged + 1), target[4096];
	LARGE_INTEGER size;
	DWORD got = 0;
	HRESULT hr;
	int fd = -1, rc = 1;
	long long total = 0;

	if (!name)
		return fail("converting a file name", (HRESULT)0x80070057);
	if (join(target, sizeof(target), database_dir, basename(name)) < 0) {
		fprintf(stderr, "backup-scenario: path too long\n");
		goto out;
	}

	/* Step 7: CertSrvBackupOpenFile. */
	hr = api.BackupOpenFile(hbc, tagged + 1, READ_BUFFER, &size);
	if (FAILED(hr)) {
		rc = fail("CertSrvBackupOpenFile", hr);
		goto out;
	}
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		fprintf(stderr, "backup-scenario: %s: %s\n", target, strerror(errno));
		goto close;
	}
	/* Step 8: CertSrvBackupRead in a loop, storing the bytes. */
	for (;;) {
		hr = api.BackupRead(hbc, buffer, READ_BUFFER, &got);
		if (FAILED(hr)) {
			rc = fail("CertSrvBackupRead", hr);
			goto close;
		}
		if (got == 0)
			break;
		if (write_all(fd, buffer, got) < 0) {
			fprintf(stderr, "backup-scenario: %s: %s\n", target,
				strerror(errno));
			goto close;
		}
		total += got;
	}
	if (total != size.QuadPart || fsync(fd) < 0) {
		fprintf(stderr, "backup-scenario: %s: got %lld of %lld bytes\n",
			target, total, (long long)size.QuadPart);
		goto close;
	}
	rc = 0;
close:
	/* Step 9: CertSrvBackupClose. */
	hr = api.BackupClose(hbc);
	if (FAILED(hr) && rc == 0)
		rc = fail("CertSrvBackupClose", hr);
	printf("  %-40s %lld bytes\n", basename(name), total);
out:
	if (fd >= 0)
		close(fd);
	free(name);
	return rc;
}

/* Steps 7-9 for every entry of a tagged list. */
static int
back_up_list(HCSBC hbc, const WCHAR *list, const char *database_dir,
	     void *buffer)
{
	const WCHAR *e;

	for (e = list; *e; e += wlen(e) + 1)
		if (back_up_file(hbc, e, database_dir, buffer))
			return 1;
	return 0;
}

/* Step 13 for one dynamic file: copy it by other means, to
 * DIR/Dynamic/<its path relative to the data directory>. */
static int
copy_dynamic(const char *path, const char *datadir, const char *dynamic_dir)
{
	size_t dl = strlen(datadir);
	const char *rel = strncmp(path, datadir, dl) == 0 && path[dl] == '/'
				  ? path + dl + 1 : path + 1;
	char target[4096], dir[4096], buf[65536];
	int in, rc = -1;
	ssize_t n;
	FILE *out;

	if (join(target, sizeof(target), dynamic_dir, rel) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s", target);
	if (mkdirs(dirname(dir)) < 0)
		return -1;
	in = open(path, O_RDONLY | O_CLOEXEC);
	out = in >= 0 ? fopen(target, "wxe") : NULL;
	while (out && (n = read(in, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			break;
	if (out && fflush(out) == 0 && fsync(fileno(out)) == 0)
		rc = 0;
	if (out && fclose(out) != 0)
		rc = -1;
	if (in >= 0)
		close(in);
	printf("  %-40s copied\n", rel);
	return rc;
}

static int
resolve(void *lib)
{
#define RESOLVE(field, name)                                              \
	do {                                                              \
		*(void **)&api.field = dlsym(lib, name);                  \
		if (!api.field) {                                         \
			fprintf(stderr, "backup-scenario: %s: %s\n", name, \
				dlerror());                               \
			return 1;                                         \
		}                                                         \
	} while (0)
	RESOLVE(IsServerOnline, "CertSrvIsServerOnlineW");
	RESOLVE(BackupPrepare, "CertSrvBackupPrepareW");
	RESOLVE(RestoreGetDatabaseLocations, "CertSrvRestoreGetDatabaseLocationsW");
	RESOLVE(BackupGetDatabaseNames, "CertSrvBackupGetDatabaseNamesW");
	RESOLVE(BackupOpenFile, "CertSrvBackupOpenFileW");
	RESOLVE(BackupRead, "CertSrvBackupRead");
	RESOLVE(BackupClose, "CertSrvBackupClose");
	RESOLVE(BackupGetBackupLogs, "CertSrvBackupGetBackupLogsW");
	RESOLVE(BackupTruncateLogs, "CertSrvBackupTruncateLogs");
	RESOLVE(BackupGetDynamicFileList, "CertSrvBackupGetDynamicFileListW");
	RESOLVE(BackupEnd, "CertSrvBackupEnd");
	RESOLVE(BackupFree, "CertSrvBackupFree");
	RESOLVE(GetErrorMessage, "CertSrvGetErrorMessage");
#undef RESOLVE
	return 0;
}

struct options {
	int incremental;
	int truncate;
	const char *server;
	const char *dir;
};

/* The data directory: the database is DATADIR/db/ca.db. */
static void
datadir_of(const WCHAR *db_entry, char *out, size_t len)
{
	char *db = to_utf8(db_entry + 1);

	/* dirname() works in place: take the result from the copy. */
	snprintf(out, len, "%s", db ? dirname(dirname(db)) : "/");
	free(db);
}

static int
scenario(const struct options *o, void *buffer)
{
	WCHAR *server = to_utf16(o->server), *locations = NULL, *dbnames = NULL,
	      *logs = NULL, *dynamic = NULL, *e;
	char database_dir[4096], dynamic_dir[4096], path[4096], datadir[4096] = "";
	DWORD cb = 0;
	BOOL online = 0;
	HCSBC hbc = NULL;
	HRESULT hr;
	int rc = 1;

	if (!server || join(database_dir, sizeof(database_dir), o->dir, "DataBase") ||
	    join(dynamic_dir, sizeof(dynamic_dir), o->dir, "Dynamic") ||
	    mkdirs(database_dir) < 0 || mkdirs(dynamic_dir) < 0) {
		fprintf(stderr, "backup-scenario: cannot create %s\n", o->dir);
		goto out;
	}

	/* Step 3: CertSrvIsServerOnline — the service must be online. */
	hr = api.IsServerOnline(server, &online);
	if (FAILED(hr) || !online) {
		rc = fail("CertSrvIsServerOnline (the CA must be running)", hr);
		goto out;
	}

	/* Step 4: CertSrvBackupPrepare — start the session. */
	hr = api.BackupPrepare(server, 0, o->incremental ? CSBACKUP_TYPE_LOGS_ONLY
							  : CSBACKUP_TYPE_FULL, &hbc);
	if (FAILED(hr)) {
		rc = fail("CertSrvBackupPrepare", hr);
		goto out;
	}
	printf("%s backup of %s\n", o->incremental ? "incremental" : "full",
	       o->server);

	if (!o->incremental) {
		/* Step 5: CertSrvRestoreGetDatabaseLocations — save the restore
		 * map with the backup, byte for byte. */
		hr = api.RestoreGetDatabaseLocations(hbc, &locations, &cb);
		if (FAILED(hr)) {
			rc = fail("CertSrvRestoreGetDatabaseLocations", hr);
			goto end;
		}
		if (join(path, sizeof(path), database_dir, "certbkxp.dat") < 0 ||
		    write_file(path, locations, cb) < 0) {
			fprintf(stderr, "backup-scenario: %s: %s\n", path,
				strerror(errno));
			goto end;
		}

		/* Step 6: CertSrvBackupGetDatabaseNames; steps 7-9 for each. */
		hr = api.BackupGetDatabaseNames(hbc, &dbnames, &cb);
		if (FAILED(hr)) {
			rc = fail("CertSrvBackupGetDatabaseNames", hr);
			goto end;
		}
		datadir_of(dbnames, datadir, sizeof(datadir));
		if (back_up_list(hbc, dbnames, database_dir, buffer))
			goto end;
	}

	/* Step 10: CertSrvBackupGetBackupLogs; steps 7-9 for each log. */
	hr = api.BackupGetBackupLogs(hbc, &logs, &cb);
	if (FAILED(hr)) {
		rc = fail("CertSrvBackupGetBackupLogs", hr);
		goto end;
	}
	if (back_up_list(hbc, logs, database_dir, buffer))
		goto end;

	/* Step 11: CertSrvBackupTruncateLogs — optional, only now that every
	 * file of steps 6 and 10 is stored. */
	if (o->truncate) {
		hr = api.BackupTruncateLogs(hbc);
		if (FAILED(hr)) {
			rc = fail("CertSrvBackupTruncateLogs", hr);
			goto end;
		}
		printf("  logs truncated\n");
	}

	/* Step 12: CertSrvBackupGetDynamicFileList; step 13: copy them. */
	hr = api.BackupGetDynamicFileList(hbc, &dynamic, &cb);
	if (FAILED(hr)) {
		rc = fail("CertSrvBackupGetDynamicFileList", hr);
		goto end;
	}
	for (e = dynamic; *e; e += wlen(e) + 1) {
		char *p = to_utf8(e);

		if (!datadir[0] && p) {
			/* Incremental sets: the first entry is certsrv.conf,
			 * which lives in the data directory itself. */
			char *copy = strdup(p);

			snprintf(datadir, sizeof(datadir), "%s",
				 copy ? dirname(copy) : "/");
			free(copy);
		}
		if (!p || copy_dynamic(p, datadir, dynamic_dir) < 0) {
			fprintf(stderr, "backup-scenario: cannot copy %s\n",
				p ? p : "a dynamic file");
			free(p);
			goto end;
		}
		free(p);
	}
	rc = 0;
end:
	/* Step 14: CertSrvBackupEnd. */
	hr = api.BackupEnd(hbc);
	if (FAILED(hr) && rc == 0)
		rc = fail("CertSrvBackupEnd", hr);
out:
	/* Step 15: CertSrvBackupFree for every returned list. */
	api.BackupFree(locations);
	api.BackupFree(dbnames);
	api.BackupFree(logs);
	api.BackupFree(dynamic);
	free(server);
	return rc;
}

static int
parse(int argc, char **argv, struct options *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--incremental"))
			o->incremental = 1;
		else if (!strcmp(argv[i], "--truncate"))
			o->truncate = 1;
		else
			return -1;
	}
	if (argc - i != 2)
		return -1;
	o->server = argv[i];
	o->dir = argv[i + 1];
	return 0;
}

int
main(int argc, char **argv)
{
	struct options o;
	void *lib, *buffer;
	int rc;

	if (parse(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: backup-scenario [--incremental] [--truncate]"
				" SERVER DIR\n");
		return 2;
	}
	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		fprintf(stderr, "backup-scenario: no C.UTF-8 locale\n");
		return 1;
	}
	/* Step 1: load the library into memory. */
	lib = dlopen("libcertadm.so.1", RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "backup-scenario: %s\n", dlerror());
		return 1;
	}
	/* Step 2: resolve every function by name. */
	buffer = malloc(READ_BUFFER);
	rc = !buffer || resolve(lib) ? 1 : scenario(&o, buffer);
	free(buffer);
	/* Step 16: unload the library. */
	dlclose(lib);
	return rc;
}
