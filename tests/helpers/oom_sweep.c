/*
 * oom_sweep.c — test program: allocation failure swept over every
 * allocation libcertadm makes, against a real certsrvd. Prints TAP.
 *
 *   oom_sweep backup DATADIR    backup (full and logs-only, UTF-8 and W),
 *                               IsServerOnline, ServerControl and
 *                               GetErrorMessage against the running CA
 *   oom_sweep restore DATADIR   the restore calls on a stopped CA's data
 *                               directory (restore/restore.env is removed
 *                               before each run)
 *
 * For each call sequence and N = 1, 2, ...: the Nth allocation made inside
 * a libcertadm call fails (malloc, calloc and realloc are replaced in this
 * program and forward to glibc's; the counter runs only while an API call
 * is in progress), the sequence stops at the first failed call and cleans
 * up as a program would (End, Free). Each case must end in E_OUTOFMEMORY
 * (or in success with correct results, if the library absorbed the
 * failure), every block the library allocated during the sequence must be
 * freed by its end (no leak), and the next sequence must work (the daemon
 * stays healthy). The sweep of a sequence ends when a run reaches no Nth
 * allocation; one test line per sequence.
 *
 * Under AddressSanitizer the allocator cannot be replaced: the program
 * prints a TAP skip and exits 0.
 *
 * Debugging: OOM_SWEEP_ONLY=TEXT sweeps only the sequences whose name holds
 * TEXT; OOM_SWEEP_DEBUG=1 prints each N's result and a backtrace of every
 * failed allocation on stderr.
 */
#include <errno.h>
#include <execinfo.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <certsrv/certbcli.h>

#if defined(__SANITIZE_ADDRESS__)
int
main(void)
{
	printf("1..0 # SKIP the allocator cannot be replaced under AddressSanitizer\n");
	return 0;
}
#else

#define MAX_N 20000          /* allocations per sequence, far above need */
#define TABLE_SIZE (1u << 16) /* live blocks tracked, a power of two */
#define READ_BUF (64u * 1024u)
#define BUSY_RETRY_MS 5000   /* a disconnected session is ended asynchronously */
#define HR_IN_PROGRESS ((HRESULT)0xC80001F9u)
#define HR_BAD_DATA ((HRESULT)0x80004005u) /* E_FAIL: wrong results */

/* ------------------------------------------------------------ allocator */

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static int armed;          /* an API call is in progress */
static long alloc_count;   /* allocations while armed */
static long fail_at;       /* the one that fails (0: none) */
static int fail_hit;       /* it was reached */
static int debug;          /* OOM_SWEEP_DEBUG: a backtrace per failure */
static void *live[TABLE_SIZE]; /* blocks allocated while armed, not freed */
static size_t n_live;
#define TOMB ((void *)1)

static size_t
slot_of(const void *p)
{
	return ((size_t)p >> 4) * 2654435761u & (TABLE_SIZE - 1);
}

static void
track(void *p)
{
	size_t i = slot_of(p);

	while (live[i] && live[i] != TOMB)
		i = (i + 1) & (TABLE_SIZE - 1);
	live[i] = p;
	n_live++;
}

static void
untrack(void *p)
{
	size_t i = slot_of(p);

	while (live[i]) {
		if (live[i] == p) {
			live[i] = TOMB;
			n_live--;
			return;
		}
		i = (i + 1) & (TABLE_SIZE - 1);
	}
}

/* 1 if this allocation must fail. */
static int
inject(void)
{
	if (!armed)
		return 0;
	if (++alloc_count != fail_at)
		return 0;
	fail_hit = 1;
	if (debug) {
		void *frames[12];
		int n;

		armed = 0;
		n = backtrace(frames, 12);
		fprintf(stderr, "# allocation %ld fails:\n", fail_at);
		backtrace_symbols_fd(frames, n, 2);
		armed = 1;
	}
	return 1;
}

void *
malloc(size_t n)
{
	void *p;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __libc_malloc(n);
	if (p && armed)
		track(p);
	return p;
}

void *
calloc(size_t n, size_t size)
{
	void *p;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __libc_calloc(n, size);
	if (p && armed)
		track(p);
	return p;
}

void *
realloc(void *p, size_t n)
{
	void *q;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	q = __libc_realloc(p, n);
	if (p && (q || n == 0))
		untrack(p);
	if (q && armed)
		track(q);
	return q;
}

void
free(void *p)
{
	if (p)
		untrack(p);
	__libc_free(p);
}

/* ------------------------------------------------------------ sequences */

struct ctx {
	const char *datadir;
	WCHAR wdatadir[4096];
	int arm;          /* arm the allocator during API calls */
};

static unsigned char read_buf[READ_BUF];

static HRESULT
disarm(HRESULT h)
{
	armed = 0;
	return h;
}

/* Evaluate one API call with the allocator armed (if the run arms it);
 * its result goes to the local hr. */
#define CALL(c, expr) (hr = (armed = (c)->arm, disarm(expr)))

static void
widen(const char *s, WCHAR *w, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		w[i] = (WCHAR)(unsigned char)s[i];
	w[i] = 0;
}

static size_t
wlen(const WCHAR *w)
{
	size_t n = 0;

	while (w[n])
		n++;
	return n;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Open, read to the end and close one listed file; its bytes must add up
 * to the size OpenFile gave. name is UTF-8 or, with w, UTF-16. */
static HRESULT
copy_one(struct ctx *c, HCSBC h, const void *name, int w)
{
	LARGE_INTEGER size;
	long long total = 0;
	DWORD got;
	HRESULT hr;

	if (w)
		CALL(c, CertSrvBackupOpenFileW(h, name, READ_BUF, &size));
	else
		CALL(c, CertSrvBackupOpenFile(h, name, READ_BUF, &size));
	if (FAILED(hr))
		return hr;
	do {
		got = 0;
		if (FAILED(CALL(c, CertSrvBackupRead(h, read_buf, READ_BUF, &got))))
			return hr;
		total += got;
	} while (got == READ_BUF);
	if (FAILED(CALL(c, CertSrvBackupClose(h))))
		return hr;
	return total == size.QuadPart ? S_OK : HR_BAD_DATA;
}

/* Copy every tagged entry of a list (UTF-8 or UTF-16); want_tag checks the
 * first one's tag. Empty lists are wrong here. */
static HRESULT
copy_list(struct ctx *c, HCSBC h, void *list, DWORD cb, int w, int want_tag)
{
	HRESULT hr = S_OK;

	if (!list || cb < (w ? 6u : 3u))
		return HR_BAD_DATA;
	if (w) {
		const WCHAR *e = list;

		if (e[0] != (WCHAR)want_tag)
			return HR_BAD_DATA;
		for (; *e && !FAILED(hr); e += wlen(e) + 1)
			hr = copy_one(c, h, e + 1, 1);
	} else {
		const char *e = list;

		if (e[0] != (char)want_tag)
			return HR_BAD_DATA;
		for (; *e && !FAILED(hr); e += strlen(e) + 1)
			hr = copy_one(c, h, e + 1, 0);
	}
	return hr;
}

/* 1 if the dynamic-file list names certsrv.conf. */
static int
has_conf(const void *list, int w)
{
	char name[4096];
	size_t i, n;

	if (!list)
		return 0;
	if (!w) {
		const char *e;

		for (e = list; *e; e += strlen(e) + 1)
			if (strstr(e, "/certsrv.conf"))
				return 1;
		return 0;
	}
	for (const WCHAR *e = list; *e; e += wlen(e) + 1) {
		n = wlen(e);
		for (i = 0; i < n && i + 1 < sizeof(name); i++)
			name[i] = (char)e[i];
		name[i] = '\0';
		if (strstr(name, "/certsrv.conf"))
			return 1;
	}
	return 0;
}

/* Prepare, retrying (unarmed) while the server still ends the session of
 * a connection the previous run dropped. */
static HRESULT
prepare(struct ctx *c, HCSBC *h, ULONG type, int w)
{
	HRESULT hr;
	long waited = 0;

	for (;;) {
		if (w)
			CALL(c, CertSrvBackupPrepareW(c->wdatadir, 0, type, h));
		else
			CALL(c, CertSrvBackupPrepare(c->datadir, 0, type, h));
		if (hr != HR_IN_PROGRESS || waited >= BUSY_RETRY_MS)
			return hr;
		nap_ms(20);
		waited += 20;
	}
}

/* A whole backup session: full (database, logs) or logs-only; truncate,
 * dynamic files, End; every list freed. */
static HRESULT
seq_backup(struct ctx *c, ULONG type, int w)
{
	HCSBC h = NULL;
	void *db = NULL, *logs = NULL, *dyn = NULL;
	DWORD cb = 0;
	HRESULT hr, first, end_hr;

	hr = prepare(c, &h, type, w);
	if (FAILED(hr))
		return hr;
	if (type == CSBACKUP_TYPE_FULL) {
		if (w)
			CALL(c, CertSrvBackupGetDatabaseNamesW(h, (WCHAR **)&db, &cb));
		else
			CALL(c, CertSrvBackupGetDatabaseNames(h, (char **)&db, &cb));
		if (FAILED(hr))
			goto end;
		hr = copy_list(c, h, db, cb, w, CSBFT_CERTSERVER_DATABASE);
		if (FAILED(hr))
			goto end;
	}
	if (w)
		CALL(c, CertSrvBackupGetBackupLogsW(h, (WCHAR **)&logs, &cb));
	else
		CALL(c, CertSrvBackupGetBackupLogs(h, (char **)&logs, &cb));
	if (FAILED(hr))
		goto end;
	hr = copy_list(c, h, logs, cb, w, CSBFT_LOG);
	if (FAILED(hr))
		goto end;
	if (FAILED(CALL(c, CertSrvBackupTruncateLogs(h))))
		goto end;
	if (w)
		CALL(c, CertSrvBackupGetDynamicFileListW(h, (WCHAR **)&dyn, &cb));
	else
		CALL(c, CertSrvBackupGetDynamicFileList(h, (char **)&dyn, &cb));
	if (!FAILED(hr) && !has_conf(dyn, w))
		hr = HR_BAD_DATA;
end:
	first = hr;   /* the first failure decides, else End's result */
	end_hr = CALL(c, CertSrvBackupEnd(h));
	CALL(c, (CertSrvBackupFree(db), S_OK));
	CALL(c, (CertSrvBackupFree(logs), S_OK));
	CALL(c, (CertSrvBackupFree(dyn), S_OK));
	return FAILED(first) ? first : end_hr;
}

static HRESULT seq_full_utf8(struct ctx *c) { return seq_backup(c, CSBACKUP_TYPE_FULL, 0); }
static HRESULT seq_full_w(struct ctx *c) { return seq_backup(c, CSBACKUP_TYPE_FULL, 1); }
static HRESULT seq_incr_utf8(struct ctx *c) { return seq_backup(c, CSBACKUP_TYPE_LOGS_ONLY, 0); }
static HRESULT seq_incr_w(struct ctx *c) { return seq_backup(c, CSBACKUP_TYPE_LOGS_ONLY, 1); }

static HRESULT
seq_online(struct ctx *c, int w)
{
	BOOL on = FALSE;
	HRESULT hr;

	if (w)
		CALL(c, CertSrvIsServerOnlineW(c->wdatadir, &on));
	else
		CALL(c, CertSrvIsServerOnline(c->datadir, &on));
	if (FAILED(hr))
		return hr;
	return on ? S_OK : HR_BAD_DATA;
}

static HRESULT seq_online_utf8(struct ctx *c) { return seq_online(c, 0); }
static HRESULT seq_online_w(struct ctx *c) { return seq_online(c, 1); }

/* ServerControl without stopping the CA (SUSPEND and RESTART are accepted
 * and do nothing). */
static HRESULT
seq_control(struct ctx *c, int w)
{
	static const DWORD flags[] = { CSCONTROL_SUSPEND, CSCONTROL_RESTART };
	DWORD cb = 1;
	BYTE *out = (BYTE *)read_buf;
	HRESULT hr = S_OK;
	size_t i;

	for (i = 0; i < 2 && !FAILED(hr); i++) {
		if (w)
			CALL(c, CertSrvServerControlW(c->wdatadir, flags[i], &cb, &out));
		else
			CALL(c, CertSrvServerControl(c->datadir, flags[i], &cb, &out));
		if (!FAILED(hr) && (cb != 0 || out != NULL))
			hr = HR_BAD_DATA;
	}
	return hr;
}

static HRESULT seq_control_utf8(struct ctx *c) { return seq_control(c, 0); }
static HRESULT seq_control_w(struct ctx *c) { return seq_control(c, 1); }

static HRESULT
seq_message(struct ctx *c)
{
	const char *m;
	HRESULT hr;

	CALL(c, (m = CertSrvGetErrorMessage(E_OUTOFMEMORY), S_OK));
	return m && *m ? hr : HR_BAD_DATA;
}

/* ------------------------------------------------------------- restore */

enum reg_kind { REG_PLAIN, REG_W, REG_FILE, REG_FILE_W };

static char path_db[4200], path_logs[4200], path_from[64];
static WCHAR wpath_db[4200], wpath_logs[4200], wpath_from[64];

/* One Register of kind k: a full one (with the restore map) or, with
 * incr, an incremental one. */
static HRESULT
do_register(struct ctx *c, HCSBC h, enum reg_kind k, int incr)
{
	CSEDB_RSTMAP map = { path_from, path_db };
	CSEDB_RSTMAPW wmap = { wpath_from, wpath_db };
	ULONG gen = incr ? 2 : 1;
	LONG n = incr ? 0 : 1;
	HRESULT hr;

	switch (k) {
	case REG_PLAIN:
		return CALL(c, CertSrvRestoreRegister(h, path_logs, path_logs,
				incr ? NULL : &map, n, path_logs, gen, gen));
	case REG_W:
		return CALL(c, CertSrvRestoreRegisterW(h, wpath_logs, wpath_logs,
				incr ? NULL : &wmap, n, wpath_logs, gen, gen));
	case REG_FILE:
		return CALL(c, CertSrvRestoreRegisterThroughFile(h, path_logs,
				path_logs, incr ? NULL : &map, n, path_logs, gen, gen));
	default:
		return CALL(c, CertSrvRestoreRegisterThroughFileW(h, wpath_logs,
				wpath_logs, incr ? NULL : &wmap, n, wpath_logs, gen, gen));
	}
}

/* Prepare, locations, a full and an incremental registration (each
 * completed), End. */
static HRESULT
seq_restore(struct ctx *c, enum reg_kind k)
{
	int w = k == REG_W || k == REG_FILE_W;
	void *loc = NULL;
	HCSBC h = NULL;
	DWORD cb = 0;
	HRESULT hr, first, end_hr;

	if (w)
		CALL(c, CertSrvRestorePrepareW(c->wdatadir, CSRESTORE_TYPE_FULL, &h));
	else
		CALL(c, CertSrvRestorePrepare(c->datadir, CSRESTORE_TYPE_FULL, &h));
	if (FAILED(hr))
		return hr;
	if (w)
		CALL(c, CertSrvRestoreGetDatabaseLocationsW(h, (WCHAR **)&loc, &cb));
	else
		CALL(c, CertSrvRestoreGetDatabaseLocations(h, (char **)&loc, &cb));
	if (!FAILED(hr) && (!loc || cb < 4))
		hr = HR_BAD_DATA;
	if (!FAILED(hr))
		hr = do_register(c, h, k, 0);
	if (!FAILED(hr))
		CALL(c, CertSrvRestoreRegisterComplete(h, S_OK));
	if (!FAILED(hr))
		hr = do_register(c, h, k, 1);
	if (!FAILED(hr))
		CALL(c, CertSrvRestoreRegisterComplete(h, S_OK));
	first = hr;   /* the first failure decides, else End's result */
	end_hr = CALL(c, CertSrvRestoreEnd(h));
	CALL(c, (CertSrvBackupFree(loc), S_OK));
	return FAILED(first) ? first : end_hr;
}

static HRESULT seq_restore_plain(struct ctx *c) { return seq_restore(c, REG_PLAIN); }
static HRESULT seq_restore_w(struct ctx *c) { return seq_restore(c, REG_W); }
static HRESULT seq_restore_file(struct ctx *c) { return seq_restore(c, REG_FILE); }
static HRESULT seq_restore_file_w(struct ctx *c) { return seq_restore(c, REG_FILE_W); }

static char regfile[4200];

/* restore.env as a string (static buffer; "" if unreadable). */
static const char *
read_regfile(void)
{
	static char text[16384];
	FILE *f = fopen(regfile, "r");
	size_t n = 0;

	if (f) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return text;
}

/* A completed full registration whose [restore] options say "no
 * roll-forward", as certsrv restore --no-roll-forward leaves them. */
static HRESULT
setup_restore_more(struct ctx *c)
{
	char text[16384], *p;
	HRESULT hr;
	FILE *f;

	hr = seq_restore(c, REG_PLAIN);
	snprintf(text, sizeof(text), "%s", read_regfile());
	p = strstr(text, "roll_forward = 1");
	if (FAILED(hr) || !p)
		return FAILED(hr) ? hr : HR_BAD_DATA;
	p[strlen("roll_forward = ")] = '0';
	f = fopen(regfile, "w");
	if (!f)
		return HR_BAD_DATA;
	fputs(text, f);
	fclose(f);
	return S_OK;
}

/* Continue that restore with an incremental registration. Whatever
 * happens, the full registration and the file's options must survive; on
 * success the incremental one is there too. */
static HRESULT
seq_restore_more(struct ctx *c)
{
	HCSBC h = NULL;
	HRESULT hr, first;
	const char *text;

	CALL(c, CertSrvRestorePrepare(c->datadir, 0, &h));
	if (!FAILED(hr))
		hr = do_register(c, h, REG_PLAIN, 1);
	if (!FAILED(hr))
		CALL(c, CertSrvRestoreRegisterComplete(h, S_OK));
	first = hr;
	if (h)
		CALL(c, CertSrvRestoreEnd(h));
	if (FAILED(first))
		hr = first;
	text = read_regfile();
	if (!strstr(text, "roll_forward = 0") || !strstr(text, "[registration 1]") ||
	    !strstr(text, "map_to = /"))
		return HR_BAD_DATA;
	if (!FAILED(hr) && !strstr(text, "[registration 2]"))
		return HR_BAD_DATA;
	return hr;
}

/* --------------------------------------------------------------- sweep */

struct seq {
	const char *name;
	HRESULT (*run)(struct ctx *c);
	/* run unarmed before each armed run (NULL: nothing) */
	HRESULT (*settle)(struct ctx *c);
};

static int n_test, n_fail;

/* Before every run of a restore sequence: no registration. */
static void
reset_state(void)
{
	if (regfile[0])
		unlink(regfile);
}

static HRESULT
run_once(struct ctx *c, const struct seq *s, long n)
{
	HRESULT hr;

	if (!s->settle)
		reset_state();
	/* A logs-only set lists every generation since the last completed
	 * backup: completing one first keeps each run the same size. */
	if (s->settle)
		(void)s->settle(c);
	alloc_count = 0;
	fail_at = n;
	fail_hit = 0;
	n_live = 0;
	memset(live, 0, sizeof(live));
	c->arm = n > 0;
	hr = s->run(c);
	c->arm = 0;
	fail_at = 0;
	return hr;
}

/* Sweep one sequence; one TAP line. */
static void
sweep(struct ctx *c, const struct seq *s)
{
	char first_bad[256] = "";
	long n, bad = 0, absorbed = 0;
	HRESULT hr;

	hr = run_once(c, s, 0);
	if (FAILED(hr))
		snprintf(first_bad, sizeof(first_bad), "without a fault: 0x%08X %s",
			 (unsigned)hr, CertSrvGetErrorMessage(hr));
	for (n = 1; !first_bad[0] && n <= MAX_N; n++) {
		hr = run_once(c, s, n);
		if (debug)
			fprintf(stderr, "# %s N=%ld: 0x%08X, %zu live\n", s->name, n,
				(unsigned)hr, n_live);
		if (!fail_hit) {
			if (FAILED(hr))
				snprintf(first_bad, sizeof(first_bad), "N=%ld: no"
					 " allocation failed, yet 0x%08X %s (daemon"
					 " unhealthy after N=%ld?)", n, (unsigned)hr,
					 CertSrvGetErrorMessage(hr), n - 1);
			break;
		}
		if (hr == S_OK)
			absorbed++;
		if ((hr != E_OUTOFMEMORY && hr != S_OK) || n_live) {
			bad++;
			if (!first_bad[0])
				snprintf(first_bad, sizeof(first_bad), "N=%ld: 0x%08X"
					 " (%s), %zu blocks leaked", n, (unsigned)hr,
					 CertSrvGetErrorMessage(hr), n_live);
		}
	}
	if (!first_bad[0] && n > MAX_N)
		snprintf(first_bad, sizeof(first_bad), "more than %d allocations", MAX_N);
	/* The daemon (or the data directory) must still work. */
	if (!first_bad[0]) {
		hr = run_once(c, s, 0);
		if (FAILED(hr))
			snprintf(first_bad, sizeof(first_bad), "the run after the"
				 " sweep: 0x%08X %s", (unsigned)hr,
				 CertSrvGetErrorMessage(hr));
	}
	n_test++;
	if (first_bad[0]) {
		n_fail++;
		printf("not ok %d - %s: every allocation failure ends cleanly\n"
		       "# %s (%ld bad cases)\n", n_test, s->name, first_bad, bad);
	} else {
		printf("ok %d - %s: %ld allocations, each failure gives"
		       " E_OUTOFMEMORY%s, nothing leaks, the next run works\n",
		       n_test, s->name, n - 1, absorbed ? " or is absorbed" : "");
		if (absorbed)
			printf("# %ld failures absorbed with correct results\n",
			       absorbed);
	}
	fflush(stdout);
}

static const struct seq backup_seqs[] = {
	{ "backup full (UTF-8)", seq_full_utf8, NULL },
	{ "backup full (W)", seq_full_w, NULL },
	{ "backup logs-only (UTF-8)", seq_incr_utf8, seq_incr_utf8 },
	{ "backup logs-only (W)", seq_incr_w, seq_incr_w },
	{ "IsServerOnline", seq_online_utf8, NULL },
	{ "IsServerOnlineW", seq_online_w, NULL },
	{ "ServerControl SUSPEND, RESTART", seq_control_utf8, NULL },
	{ "ServerControlW SUSPEND, RESTART", seq_control_w, NULL },
	{ "GetErrorMessage", seq_message, NULL },
};

static const struct seq restore_seqs[] = {
	{ "restore Register (UTF-8)", seq_restore_plain, NULL },
	{ "restore RegisterW", seq_restore_w, NULL },
	{ "restore RegisterThroughFile", seq_restore_file, NULL },
	{ "restore RegisterThroughFileW", seq_restore_file_w, NULL },
	{ "restore continued: Prepare(0), incremental Register", seq_restore_more,
	  setup_restore_more },
};

int
main(int argc, char **argv)
{
	const struct seq *seqs;
	const char *only;
	struct ctx c;
	iconv_t keep[2];
	size_t i, n;

	if (argc != 3 || (strcmp(argv[1], "backup") && strcmp(argv[1], "restore"))) {
		fprintf(stderr, "usage: oom_sweep backup|restore DATADIR\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	debug = getenv("OOM_SWEEP_DEBUG") != NULL;
	c.datadir = argv[2];
	widen(c.datadir, c.wdatadir, sizeof(c.wdatadir) / sizeof(WCHAR));
	/* glibc loads and unloads its UTF-16 converter on demand; keeping one
	 * of each direction open keeps that cache out of the leak count. */
	keep[0] = iconv_open("UTF-16LE", "UTF-8");
	keep[1] = iconv_open("UTF-8", "UTF-16LE");
	snprintf(path_db, sizeof(path_db), "%s/db/ca.db", c.datadir);
	snprintf(path_logs, sizeof(path_logs), "%s/restore/logs", c.datadir);
	snprintf(path_from, sizeof(path_from), "/backup/DataBase/ca.db");
	widen(path_db, wpath_db, sizeof(wpath_db) / sizeof(WCHAR));
	widen(path_logs, wpath_logs, sizeof(wpath_logs) / sizeof(WCHAR));
	widen(path_from, wpath_from, sizeof(wpath_from) / sizeof(WCHAR));
	if (!strcmp(argv[1], "backup")) {
		seqs = backup_seqs;
		n = sizeof(backup_seqs) / sizeof(backup_seqs[0]);
	} else {
		seqs = restore_seqs;
		n = sizeof(restore_seqs) / sizeof(restore_seqs[0]);
		snprintf(regfile, sizeof(regfile), "%s/restore/restore.env",
			 c.datadir);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	only = getenv("OOM_SWEEP_ONLY");
	for (i = 0; i < n; i++)
		if (!only || strstr(seqs[i].name, only))
			sweep(&c, &seqs[i]);
	reset_state();
	printf("1..%d\n", n_test);
	for (i = 0; i < 2; i++)
		if (keep[i] != (iconv_t)-1)
			iconv_close(keep[i]);
	return n_fail ? 1 : 0;
}
#endif
