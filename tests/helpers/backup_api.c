/*
 * backup_api.c — test program: the backup API's contract against a real
 * certsrvd, through libcertadm (linked, as backup software would). Prints
 * TAP. Modes:
 *
 *   backup_api order DATADIR     call-order rules, error codes, path tricks,
 *                                list formats, bytes against the disk
 *   backup_api flavours DATADIR  the W and UTF-8 entry points give the same
 *                                lists and the same bytes
 *   backup_api prepare SERVER full|incr
 *                                one Prepare + End; prints the HRESULT as
 *                                "hr 0x%08X"; exit 0 only on S_OK
 *   backup_api hang DATADIR      Prepare, open ca.db, read one block, then
 *                                wait to be killed (a client dying mid-read)
 *   backup_api stall DATADIR FLAG
 *                                the same, but once the file FLAG exists it
 *                                reads again and prints "read hr 0x%08X"
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <certsrv/certbcli.h>

static int n_test, n_fail;

static void
ok(int cond, const char *what, HRESULT hr)
{
	n_test++;
	if (!cond)
		n_fail++;
	printf("%sok %d - %s", cond ? "" : "not ", n_test, what);
	if (!cond)
		printf(" (got 0x%08X %s)", (unsigned)hr, CertSrvGetErrorMessage(hr));
	printf("\n");
}

/* Evaluates the call once. */
static void
IS(HRESULT got, unsigned want, const char *what)
{
	ok(got == (HRESULT)want, what, got);
}

static char *
join(const char *a, const char *b)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		abort();
	return s;
}

/* The whole file at path (daemon running: ca.db is immutable while a full
 * session holds checkpoints). */
static unsigned char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		abort();
	b = malloc((size_t)st.st_size + 1);
	if (!b || read(fd, b, (size_t)st.st_size) != st.st_size)
		abort();
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

/* Read the open file to its end in chunks of `chunk`: malloc'd bytes. */
static unsigned char *
read_all(HCSBC h, size_t chunk, size_t *len, HRESULT *hr)
{
	unsigned char *out = NULL, *grown, *buf = malloc(chunk);
	DWORD got = 0;

	*len = 0;
	for (;;) {
		*hr = CertSrvBackupRead(h, buf, (DWORD)chunk, &got);
		if (FAILED(*hr) || got == 0)
			break;
		grown = realloc(out, *len + got);
		if (!grown)
			abort();
		out = grown;
		memcpy(out + *len, buf, got);
		*len += got;
	}
	free(buf);
	return out;
}

/* Number of entries of a UTF-8 list and whether every one has tag (0: no
 * tag check); checks the double NUL at cb-2..cb-1. */
static int
list_ok(const char *list, DWORD cb, char tag, int *count)
{
	const char *e;

	*count = 0;
	if (cb < 2 || list[cb - 1] != 0 || list[cb - 2] != 0)
		return 0;
	for (e = list; *e; e += strlen(e) + 1) {
		if (tag && *e != tag)
			return 0;
		(*count)++;
	}
	return (DWORD)(e - list + 1) == cb;
}

static void
test_order(const char *dir)
{
	char *dbnames = NULL, *logs = NULL, *dyn = NULL, *locs = NULL, *e;
	char *db = join(dir, "db/ca.db"), *key = join(dir, "ca/ca.key");
	char *trick1 = join(dir, "db/../ca/ca.key"), *trick2 = join(dir, "db/./ca.db");
	unsigned char *got, *disk, buf[64];
	HCSBC h = NULL, h2 = NULL;
	LARGE_INTEGER size, other;
	DWORD cb = 0, n = 0;
	size_t got_len, disk_len;
	int count;
	HRESULT hr;

	IS(CertSrvBackupPrepare(dir, 0, CSBACKUP_TYPE_FULL, &h), S_OK, "Prepare(FULL)");
	IS(CertSrvBackupPrepare(dir, 0, CSBACKUP_TYPE_FULL, &h2), 0xC80001F9,
	   "a second concurrent Prepare fails with JET_errBackupInProgress");
	IS(CertSrvBackupRead(h, buf, sizeof(buf), &n), E_UNEXPECTED, "Read before OpenFile");
	IS(CertSrvBackupClose(h), E_UNEXPECTED, "Close with no file open");
	IS(CertSrvBackupTruncateLogs(h), E_UNEXPECTED, "TruncateLogs before the logs were listed");
	IS(CertSrvBackupOpenFile(h, db, 0, &size), HRESULT_FROM_WIN32(2),
	   "OpenFile of the database before GetDatabaseNames listed it");
	hr = CertSrvRestoreGetDatabaseLocations(h, &locs, &cb);
	IS(hr, S_OK, "RestoreGetDatabaseLocations");
	ok(hr == S_OK && list_ok(locs, cb, 0, &count) && count == 3 && locs[0] == 'D' &&
	   (unsigned char)locs[strlen(locs) + 1] == 0x82,
	   "the locations list: 'D' database, 0x82 log directory, 0x83 checkpoint directory", hr);
	hr = CertSrvBackupGetDatabaseNames(h, &dbnames, &cb);
	IS(hr, S_OK, "GetDatabaseNames");
	ok(hr == S_OK && list_ok(dbnames, cb, 'D', &count) && count == 1 &&
	   strcmp(dbnames + 1, db) == 0 && cb == strlen(dbnames) + 2,
	   "one 'D' entry naming ca.db; double NUL; the byte count includes both NULs", hr);
	IS(CertSrvBackupOpenFile(h, "/etc/passwd", 0, &size), HRESULT_FROM_WIN32(2),
	   "OpenFile of a path never listed (/etc/passwd)");
	IS(CertSrvBackupOpenFile(h, key, 0, &size), HRESULT_FROM_WIN32(2),
	   "OpenFile of the CA key");
	IS(CertSrvBackupOpenFile(h, trick1, 0, &size), HRESULT_FROM_WIN32(2),
	   "OpenFile of db/../ca/ca.key");
	IS(CertSrvBackupOpenFile(h, trick2, 0, &size), HRESULT_FROM_WIN32(2),
	   "OpenFile of db/./ca.db (only the listed spelling opens)");
	IS(CertSrvBackupOpenFile(h, "ca.db", 0, &size), HRESULT_FROM_WIN32(2),
	   "OpenFile of a relative name");
	IS(CertSrvBackupOpenFile(h, db, 0, &size), S_OK, "OpenFile of the listed database");
	disk = slurp(db, &disk_len);
	ok(size.QuadPart == (int64_t)disk_len,
	   "OpenFile reports the file's size", S_OK);
	IS(CertSrvBackupOpenFile(h, db, 0, &other), E_UNEXPECTED, "a second OpenFile while one is open");
	got = read_all(h, 1000, &got_len, &hr);
	ok(hr == S_OK && got_len == disk_len && memcmp(got, disk, disk_len) == 0,
	   "Read in 1000-byte calls returns exactly the bytes on disk", hr);
	IS(CertSrvBackupRead(h, buf, sizeof(buf), &n), S_OK, "Read at the end succeeds");
	ok(n == 0,
	   "... with 0 bytes, every time", S_OK);
	free(got);
	free(disk);
	IS(CertSrvBackupClose(h), S_OK, "Close");
	hr = CertSrvBackupGetBackupLogs(h, &logs, &cb);
	IS(hr, S_OK, "GetBackupLogs");
	ok(hr == S_OK && list_ok(logs, cb, '!', &count) && count >= 1,
	   "every log entry is tagged '!'; double NUL; byte count", hr);
	IS(CertSrvBackupOpenFile(h, db, 0, &size), E_UNEXPECTED,
	   "no database file may be opened after GetBackupLogs");
	IS(CertSrvBackupGetDatabaseNames(h, &e, &cb), E_UNEXPECTED,
	   "GetDatabaseNames after GetBackupLogs");
	IS(CertSrvBackupTruncateLogs(h), E_UNEXPECTED,
	   "TruncateLogs before every listed log was read");
	for (e = logs; hr == S_OK && *e; e += strlen(e) + 1) {
		hr = CertSrvBackupOpenFile(h, e + 1, 0, &size);
		if (hr == S_OK) {
			free(read_all(h, 4096, &got_len, &hr));
			CertSrvBackupClose(h);
		}
	}
	IS(hr, S_OK, "every log reads to its end");
	IS(CertSrvBackupTruncateLogs(h), S_OK, "TruncateLogs once everything was read");
	IS(CertSrvBackupTruncateLogs(h), E_UNEXPECTED, "a second TruncateLogs");
	hr = CertSrvBackupGetDynamicFileList(h, &dyn, &cb);
	ok(hr == S_OK && list_ok(dyn, cb, 0, &count) && count >= 3 &&
	   strstr(dyn, "certsrv.conf") && !memmem(dyn, cb, "ca.key", 6),
	   "GetDynamicFileList: untagged, holds certsrv.conf and the CA certificate, never the key", hr);
	IS(CertSrvBackupEnd(h), S_OK, "End");
	IS(CertSrvBackupPrepare(dir, 0, CSBACKUP_TYPE_FULL, &h2), S_OK,
	   "after End another session can start");
	IS(CertSrvBackupEnd(h2), S_OK, "End of the second session");
	IS(CertSrvBackupPrepare(dir, 0, CSBACKUP_TYPE_LOGS_ONLY, &h2), S_OK,
	   "Prepare(LOGS_ONLY) after a completed full backup");
	IS(CertSrvBackupGetDatabaseNames(h2, &e, &cb), 0xC8000209,
	   "GetDatabaseNames in a logs-only session fails with JET_errInvalidBackupSequence");
	IS(CertSrvBackupEnd(h2), S_OK, "End of the logs-only session");
	IS(CertSrvBackupPrepare(dir, 0, 7, &h2), E_INVALIDARG, "Prepare with an unknown type");
	CertSrvBackupFree(locs);
	CertSrvBackupFree(dbnames);
	CertSrvBackupFree(logs);
	CertSrvBackupFree(dyn);
	free(db);
	free(key);
	free(trick1);
	free(trick2);
}

/* ---- W vs UTF-8 ---- */

static char *
w_to_utf8_list(const WCHAR *w, DWORD cb, DWORD *out_cb)
{
	iconv_t cd = iconv_open("UTF-8", "UTF-16LE");
	char *in = (char *)w, *out = calloc(cb + 1, 2), *o = out;
	size_t inl = cb, outl = cb * 2;
	const WCHAR *p = w;

	/* Tags are single code units, not characters: map them byte-wise. */
	if (cd == (iconv_t)-1 || !out)
		abort();
	(void)in;
	(void)inl;
	while ((size_t)((const char *)p - (const char *)w) < cb) {
		if (*p > 0 && *p < 0x100 && (p == w || p[-1] == 0)) {
			*o++ = (char)*p++;   /* a tag at the start of an entry */
			outl--;
			continue;
		}
		if (*p == 0) {
			*o++ = 0;
			p++;
			continue;
		}
		{
			char *ip = (char *)p;
			size_t il = 2;

			iconv(cd, &ip, &il, &o, &outl);
			p++;
		}
	}
	iconv_close(cd);
	*out_cb = (DWORD)(o - out);
	return out;
}

static WCHAR *
to_w(const char *s)
{
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
	size_t len = strlen(s), outl = (len + 1) * 4;
	WCHAR *out = calloc(len + 1, 4);
	char *in = (char *)s, *o = (char *)out;

	if (cd == (iconv_t)-1 || !out)
		abort();
	iconv(cd, &in, &len, &o, &outl);
	iconv_close(cd);
	return out;
}

static void
test_flavours(const char *dir)
{
	WCHAR *wdir = to_w(dir), *wlist = NULL, *wname;
	char *list = NULL, *converted;
	unsigned char *a, *b, *disk;
	size_t a_len, b_len, disk_len;
	LARGE_INTEGER size;
	HCSBC h = NULL;
	DWORD cb = 0, wcb = 0, ccb = 0;
	HRESULT hr;
	char *db = join(dir, "db/ca.db");

	/* UTF-8 session */
	IS(CertSrvBackupPrepare(dir, 0, CSBACKUP_TYPE_FULL, &h), S_OK, "UTF-8 Prepare");
	CertSrvBackupGetDatabaseNames(h, &list, &cb);
	CertSrvBackupOpenFile(h, list + 1, 0, &size);
	disk = slurp(db, &disk_len);
	a = read_all(h, 65536, &a_len, &hr);
	CertSrvBackupClose(h);
	CertSrvBackupEnd(h);
	ok(a_len == disk_len && memcmp(a, disk, a_len) == 0,
	   "UTF-8 OpenFile/Read: the database's bytes", hr);
	free(disk);
	/* W session */
	IS(CertSrvBackupPrepareW(wdir, 0, CSBACKUP_TYPE_FULL, &h), S_OK, "W Prepare");
	hr = CertSrvBackupGetDatabaseNamesW(h, &wlist, &wcb);
	converted = w_to_utf8_list(wlist, wcb, &ccb);
	ok(hr == S_OK && ccb == cb && memcmp(converted, list, cb) == 0,
	   "GetDatabaseNamesW lists the same entries as GetDatabaseNames", hr);
	ok(wcb == 2 * (DWORD)(strlen(list) + 2),
	   "... and its byte count is in bytes of UTF-16 (both final NULs)", hr);
	wname = wlist + 1;
	IS(CertSrvBackupOpenFileW(h, wname, 0, &size), S_OK, "OpenFileW");
	disk = slurp(db, &disk_len);
	b = read_all(h, 65536, &b_len, &hr);
	ok(b_len == disk_len && memcmp(b, disk, b_len) == 0,
	   "W OpenFile/Read: the database's bytes", hr);
	CertSrvBackupClose(h);
	CertSrvBackupFree(list);
	list = NULL;
	CertSrvBackupFree(wlist);
	wlist = NULL;
	free(converted);
	hr = CertSrvBackupGetDynamicFileListW(h, &wlist, &wcb);
	converted = w_to_utf8_list(wlist, wcb, &ccb);
	CertSrvBackupEnd(h);
	IS(CertSrvBackupPrepare(dir, 0, CSBACKUP_TYPE_FULL, &h), S_OK, "UTF-8 Prepare again");
	CertSrvBackupGetDynamicFileList(h, &list, &cb);
	ok(ccb == cb && memcmp(converted, list, cb) == 0,
	   "GetDynamicFileListW and GetDynamicFileList give the same list", hr);
	CertSrvBackupEnd(h);
	CertSrvBackupFree(list);
	CertSrvBackupFree(wlist);
	free(converted);
	free(a);
	free(b);
	free(disk);
	free(wdir);
	free(db);
}

static int
prepare_once(const char *server, const char *type)
{
	HCSBC h = NULL;
	HRESULT hr;

	hr = CertSrvBackupPrepare(server, 0, strcmp(type, "incr") == 0
			? CSBACKUP_TYPE_LOGS_ONLY : CSBACKUP_TYPE_FULL, &h);
	printf("hr 0x%08X %s\n", (unsigned)hr, CertSrvGetErrorMessage(hr));
	if (hr == S_OK)
		CertSrvBackupEnd(h);
	return hr == S_OK ? 0 : 1;
}

static int
open_and_read_one(const char *dir, HCSBC *h)
{
	char *list = NULL;
	unsigned char buf[4096];
	LARGE_INTEGER size;
	DWORD cb, n;
	int rc = 1;

	if (CertSrvBackupPrepare(dir, 0, CSBACKUP_TYPE_FULL, h) == S_OK &&
	    CertSrvBackupGetDatabaseNames(*h, &list, &cb) == S_OK &&
	    CertSrvBackupOpenFile(*h, list + 1, 0, &size) == S_OK &&
	    CertSrvBackupRead(*h, buf, sizeof(buf), &n) == S_OK)
		rc = 0;
	CertSrvBackupFree(list);
	printf("reading\n");
	fflush(stdout);
	return rc;
}

static int
hang(const char *dir)
{
	HCSBC h = NULL;

	if (open_and_read_one(dir, &h))
		return 1;
	for (;;)
		pause();
}

static int
stall(const char *dir, const char *flag)
{
	unsigned char buf[4096];
	HCSBC h = NULL;
	DWORD n;
	HRESULT hr;

	if (open_and_read_one(dir, &h))
		return 1;
	while (access(flag, F_OK) != 0)
		usleep(50000);
	hr = CertSrvBackupRead(h, buf, sizeof(buf), &n);
	printf("read hr 0x%08X\n", (unsigned)hr);
	CertSrvBackupEnd(h);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "order"))
		test_order(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "flavours"))
		test_flavours(argv[2]);
	else if (argc == 4 && !strcmp(argv[1], "prepare"))
		return prepare_once(argv[2], argv[3]);
	else if (argc == 3 && !strcmp(argv[1], "hang"))
		return hang(argv[2]);
	else if (argc == 4 && !strcmp(argv[1], "stall"))
		return stall(argv[2], argv[3]);
	else {
		fprintf(stderr, "usage: backup_api order|flavours DATADIR | prepare SERVER full|incr | hang DATADIR\n");
		return 2;
	}
	printf("1..%d\n", n_test);
	return n_fail ? 1 : 0;
}
