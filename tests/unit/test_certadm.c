/*
 * test_certadm.c — unit tests of libcertadm (lib/ and include/certsrv/certbcli.h).
 *
 * What it checks, without a real certsrvd:
 *   - the header's constants and types have the Windows values and sizes;
 *   - libcertadm.so.1 loads with dlopen(), every exported W and UTF-8 name
 *     resolves with dlsym(), and internal symbols do not;
 *   - argument checking: NULL handles (E_INVALIDARG), NULL output pointers
 *     (E_POINTER), CertSrvBackupFree(NULL), IsServerOnline with no daemon
 *     (0x800706BA) and with a remote name (E_INVALIDARG);
 *   - the internal modules (linked in as objects): strict UTF-8 <-> UTF-16,
 *     list building from PT_LIST payloads in both flavours, the read-hint
 *     rule, the HRESULT table for every internal code and the messages;
 *   - whole sessions against a fake server thread (fakesrv.c) listening at
 *     DATADIR/run/certsrvd.sock: Prepare -> RestoreGetDatabaseLocations ->
 *     GetDatabaseNames -> OpenFile/Read/Close -> GetBackupLogs -> ... -> End
 *     return exactly the bytes and lists served, in both flavours; server
 *     errors map to the documented HRESULTs; a lost connection fails
 *     cleanly and End still frees the handle.
 */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <uchar.h>
#include <unistd.h>

#include <cmocka.h>

#include "certsrv/certbcli.h"
#include "common/buf.h"
#include "common/errors.h"
#include "common/proto.h"
#include "fakesrv.h"
#include "hresult.h"
#include "lists.h"
#include "session.h"
#include "strconv.h"

#define HR(x) ((HRESULT)(x))

/* ------------------------------------------------------------- helpers */

/* A malloc'd UTF-16 copy of an ASCII string (independent of strconv). */
static char16_t *widen(const char *s)
{
	size_t n = strlen(s), i;
	char16_t *w = malloc((n + 1) * sizeof(*w));

	assert_non_null(w);
	for (i = 0; i <= n; i++)
		w[i] = (unsigned char)s[i];
	return w;
}

static size_t u16len(const char16_t *s)
{
	size_t n = 0;

	while (s[n] != 0)
		n++;
	return n;
}

static void put_w_ascii(struct buf *b, const char *s)
{
	char16_t u;

	for (; *s != '\0'; s++) {
		u = (unsigned char)*s;
		buf_append(b, &u, sizeof(u));
	}
}

static void put_w(struct buf *b, const char16_t *s)
{
	buf_append(b, s, u16len(s) * sizeof(*s));
}

static void put_w_unit(struct buf *b, unsigned v)
{
	char16_t u = (char16_t)v;

	buf_append(b, &u, sizeof(u));
}

static uint8_t pattern(size_t i, uint8_t seed)
{
	return (uint8_t)(i * 31u + seed + (i >> 9));
}

/* --------------------------------------------------- constants and types */

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(sizeof(HRESULT), 4);
	assert_int_equal(sizeof(DWORD), 4);
	assert_int_equal(sizeof(ULONG), 4);
	assert_int_equal(sizeof(LONG), 4);
	assert_int_equal(sizeof(WCHAR), 2);
	assert_int_equal(sizeof(CSBFT), 2);
	assert_int_equal(sizeof(BYTE), 1);
	assert_int_equal(sizeof(LARGE_INTEGER), 8);
	assert_int_equal(sizeof(HCSBC), sizeof(void *));

	assert_int_equal(CSBACKUP_TYPE_FULL, 1);
	assert_int_equal(CSBACKUP_TYPE_LOGS_ONLY, 2);
	assert_int_equal(CSBACKUP_TYPE_MASK, 3);
	assert_int_equal(CSRESTORE_TYPE_FULL, 1);
	assert_int_equal(CSRESTORE_TYPE_ONLINE, 2);
	assert_int_equal(CSRESTORE_TYPE_CATCHUP, 4);
	assert_int_equal(CSRESTORE_TYPE_MASK, 5);
	assert_true(CSBACKUP_DISABLE_INCREMENTAL == 0xFFFFFFFFu);
	assert_int_equal(CSCONTROL_SHUTDOWN, 1);
	assert_int_equal(CSCONTROL_SUSPEND, 2);
	assert_int_equal(CSCONTROL_RESTART, 3);

	assert_int_equal(CSBFT_DIRECTORY, 0x80);
	assert_int_equal(CSBFT_DATABASE_DIRECTORY, 0x40);
	assert_int_equal(CSBFT_LOG_DIRECTORY, 0x20);
	assert_int_equal(CSBFT_LOG, 0x21);
	assert_int_equal(CSBFT_LOG, '!');
	assert_int_equal(CSBFT_LOG_DIR, 0x82);
	assert_int_equal(CSBFT_CHECKPOINT_DIR, 0x83);
	assert_int_equal(CSBFT_CERTSERVER_DATABASE, 0x44);
	assert_int_equal(CSBFT_CERTSERVER_DATABASE, 'D');
	assert_int_equal(CSBFT_PATCH_FILE, 0x25);
	assert_int_equal(CSBFT_PATCH_FILE, '%');
	assert_int_equal(CSBFT_UNKNOWN, 0x0f);

	assert_string_equal(szBACKUPANNOTATION, "Cert Server Backup Interface");
	assert_string_equal(szRESTOREANNOTATION, "Cert Server Restore Interface");
	assert_int_equal(u16len(wszBACKUPANNOTATION), strlen(szBACKUPANNOTATION));

	assert_int_equal(S_OK, 0);
	assert_true(E_INVALIDARG == HR(0x80070057u));
	assert_true(E_POINTER == HR(0x80004003u));
	assert_true(E_OUTOFMEMORY == HR(0x8007000Eu));
	assert_true(E_ACCESSDENIED == HR(0x80070005u));
	assert_true(E_UNEXPECTED == HR(0x8000FFFFu));
	assert_true(E_FAIL == HR(0x80004005u));
	assert_int_equal(ERROR_FILE_NOT_FOUND, 2);
	assert_int_equal(RPC_S_SERVER_UNAVAILABLE, 1722);
	assert_true(HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) == HR(0x80070002u));
	assert_true(HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) == HR(0x800706BAu));
	assert_true(HRESULT_FROM_WIN32(0) == S_OK);
	assert_true(HRESULT_FROM_WIN32(HR(0x80070005u)) == E_ACCESSDENIED);
	assert_true(CERTSRV_E_JET_BACKUP_IN_PROGRESS == HR(0xC80001F9u));
	assert_true(CERTSRV_E_JET_MISSING_FULL_BACKUP == HR(0xC8000230u));
	assert_true(CERTSRV_E_JET_INVALID_BACKUP_SEQUENCE == HR(0xC8000209u));
	assert_true(SUCCEEDED(S_OK) && SUCCEEDED(S_FALSE));
	assert_true(FAILED(E_FAIL) && FAILED(HR(0xC8000230u)));
	assert_int_equal(TRUE, 1);
	assert_int_equal(FALSE, 0);
}

static void test_large_integer(void **state)
{
	LARGE_INTEGER li;

	(void)state;
	li.QuadPart = INT64_C(-8589934592) + 0x12345678; /* -2 * 2^32 + low */
	assert_int_equal(li.LowPart, 0x12345678);
	assert_int_equal(li.HighPart, -2);
	assert_int_equal(li.u.LowPart, 0x12345678);
	assert_int_equal(li.u.HighPart, -2);
}

/* ------------------------------------------------------------ dlopen */

static const char *const exported_names[] = {
	"CertSrvIsServerOnline",
	"CertSrvIsServerOnlineW",
	"CertSrvBackupPrepare",
	"CertSrvBackupPrepareW",
	"CertSrvBackupGetDatabaseNames",
	"CertSrvBackupGetDatabaseNamesW",
	"CertSrvBackupOpenFile",
	"CertSrvBackupOpenFileW",
	"CertSrvBackupRead",
	"CertSrvBackupClose",
	"CertSrvBackupGetBackupLogs",
	"CertSrvBackupGetBackupLogsW",
	"CertSrvBackupTruncateLogs",
	"CertSrvBackupGetDynamicFileList",
	"CertSrvBackupGetDynamicFileListW",
	"CertSrvBackupEnd",
	"CertSrvBackupFree",
	"CertSrvRestoreGetDatabaseLocations",
	"CertSrvRestoreGetDatabaseLocationsW",
	"CertSrvGetErrorMessage",
};

/* build/tests/test_certadm -> build/libcertadm.so.1 */
static void library_path(char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_true((size_t)snprintf(out, size, "%s/../libcertadm.so.1",
				     dirname(exe)) < size);
}

static void test_dlopen_dlsym(void **state)
{
	char path[PATH_MAX + 32];
	FNCERTSRVGETERRORMESSAGE *msg;
	FNCERTSRVBACKUPFREE *fr;
	FNCERTSRVISSERVERONLINEW *online;
	void *h, *h2;
	BOOL on = TRUE;
	size_t i;

	(void)state;
	library_path(path, sizeof(path));
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	/* By soname too (found through the already loaded copy / rpath). */
	h2 = dlopen("libcertadm.so.1", RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h2);
	for (i = 0; i < sizeof(exported_names) / sizeof(exported_names[0]); i++) {
		if (dlsym(h, exported_names[i]) == NULL)
			fail_msg("dlsym(%s) failed: %s", exported_names[i], dlerror());
	}
	/* Internals and the linked-in libcommon stay hidden. */
	assert_null(dlsym(h, "hresult_from_code"));
	assert_null(dlsym(h, "lists_build"));
	assert_null(dlsym(h, "session_connect"));
	assert_null(dlsym(h, "client_connect"));
	assert_null(dlsym(h, "proto_recv"));
	assert_null(dlsym(h, "buf_append"));

	msg = (FNCERTSRVGETERRORMESSAGE *)dlsym(h, "CertSrvGetErrorMessage");
	assert_non_null(msg(E_FAIL));
	fr = (FNCERTSRVBACKUPFREE *)dlsym(h, "CertSrvBackupFree");
	fr(NULL);
	online = (FNCERTSRVISSERVERONLINEW *)dlsym(h, "CertSrvIsServerOnlineW");
	assert_true(online(u"unix:/nonexistent/certsrvd.sock", &on) ==
		    HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE));
	assert_false(on);
	assert_int_equal(dlclose(h2), 0);
	assert_int_equal(dlclose(h), 0);
}

/* ------------------------------------------------- argument checking */

static void test_null_handle(void **state)
{
	char *l8 = (char *)"x";
	WCHAR *lw = (WCHAR *)u"x";
	DWORD cb = 7, got = 7;
	LARGE_INTEGER li = { .QuadPart = 7 };
	char buf[8];
	int junk[32] = { 0 };

	(void)state;
	assert_true(CertSrvBackupGetDatabaseNames(NULL, &l8, &cb) == E_INVALIDARG);
	assert_null(l8);
	assert_int_equal(cb, 0);
	lw = (WCHAR *)u"x";
	cb = 7;
	assert_true(CertSrvBackupGetDatabaseNamesW(NULL, &lw, &cb) == E_INVALIDARG);
	assert_null(lw);
	assert_int_equal(cb, 0);
	assert_true(CertSrvBackupGetBackupLogs(NULL, &l8, &cb) == E_INVALIDARG);
	assert_true(CertSrvBackupGetBackupLogsW(NULL, &lw, &cb) == E_INVALIDARG);
	assert_true(CertSrvBackupGetDynamicFileList(NULL, &l8, &cb) == E_INVALIDARG);
	assert_true(CertSrvBackupGetDynamicFileListW(NULL, &lw, &cb) == E_INVALIDARG);
	assert_true(CertSrvRestoreGetDatabaseLocations(NULL, &l8, &cb) == E_INVALIDARG);
	assert_true(CertSrvRestoreGetDatabaseLocationsW(NULL, &lw, &cb) == E_INVALIDARG);
	assert_true(CertSrvBackupOpenFile(NULL, "/x", 0, &li) == E_INVALIDARG);
	assert_int_equal(li.QuadPart, 0);
	assert_true(CertSrvBackupOpenFileW(NULL, u"/x", 0, &li) == E_INVALIDARG);
	assert_true(CertSrvBackupRead(NULL, buf, sizeof(buf), &got) == E_INVALIDARG);
	assert_int_equal(got, 0);
	assert_true(CertSrvBackupClose(NULL) == E_INVALIDARG);
	assert_true(CertSrvBackupTruncateLogs(NULL) == E_INVALIDARG);
	assert_true(CertSrvBackupEnd(NULL) == E_INVALIDARG);
	/* Something that is not a session (best effort: the magic). */
	assert_true(CertSrvBackupClose(junk) == E_INVALIDARG);
	assert_true(CertSrvBackupEnd(junk) == E_INVALIDARG);
	assert_true(CertSrvBackupRead(junk, buf, sizeof(buf), &got) == E_INVALIDARG);
	CertSrvBackupFree(NULL);
}

static void test_null_out_pointers(void **state)
{
	(void)state;
	assert_true(CertSrvIsServerOnline("/nonexistent", NULL) == E_POINTER);
	assert_true(CertSrvIsServerOnlineW(u"/nonexistent", NULL) == E_POINTER);
	assert_true(CertSrvBackupPrepare("/nonexistent", 0, CSBACKUP_TYPE_FULL,
					 NULL) == E_POINTER);
	assert_true(CertSrvBackupPrepareW(u"/nonexistent", 0, CSBACKUP_TYPE_FULL,
					  NULL) == E_POINTER);
}

static void test_offline_and_bad_names(void **state)
{
	char dir[] = "/tmp/test_certadm_off.XXXXXX";
	char run[64], sock[96];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char16_t *wdir;
	HCSBC h = (HCSBC)&h;
	BOOL on = TRUE;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	wdir = widen(dir);
	/* No run/ directory at all. */
	assert_true(CertSrvIsServerOnline(dir, &on) ==
		    HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE));
	assert_false(on);
	on = TRUE;
	assert_true(CertSrvIsServerOnlineW(wdir, &on) == HR(0x800706BAu));
	assert_false(on);
	/* A stale socket nobody listens on. */
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(sock, sizeof(sock), "%s/run/certsrvd.sock", dir);
	assert_int_equal(mkdir(run, 0700), 0);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	on = TRUE;
	assert_true(CertSrvIsServerOnline(dir, &on) == HR(0x800706BAu));
	assert_false(on);
	assert_true(CertSrvBackupPrepareW(wdir, 0, CSBACKUP_TYPE_FULL, &h) ==
		    HR(0x800706BAu));
	assert_null(h);
	assert_string_equal(CertSrvGetErrorMessage(HR(0x800706BAu)),
			    hresult_message(HR(0x800706BAu)));
	assert_non_null(strstr(CertSrvGetErrorMessage(HR(0x800706BAu)),
			       "not running"));

	/* A remote name: refused clearly, not treated as local. */
	on = TRUE;
	assert_true(CertSrvIsServerOnline("ca.example.com", &on) == E_INVALIDARG);
	assert_false(on);
	assert_true(CertSrvIsServerOnlineW(u"ca.example.com:443", &on) ==
		    E_INVALIDARG);
	h = (HCSBC)&h;
	assert_true(CertSrvBackupPrepare("ca.example.com", 0, CSBACKUP_TYPE_FULL,
					 &h) == E_INVALIDARG);
	assert_null(h);
	/* A lone surrogate in a W server name. */
	{
		const char16_t bad[] = { u'/', 0xD800, u'x', 0 };

		assert_true(CertSrvIsServerOnlineW(bad, &on) == E_INVALIDARG);
	}
	free(wdir);
	assert_int_equal(fakesrv_rmtree(dir), 0);
}

/* ---------------------------------------------------------- strconv */

static void roundtrip(const char *utf8, const char16_t *utf16)
{
	char16_t *w = NULL;
	char *s = NULL;
	size_t units = 99;

	assert_int_equal(strconv_utf8_to_utf16(utf8, &w, &units), 0);
	assert_int_equal(units, u16len(utf16));
	assert_memory_equal(w, utf16, (units + 1) * sizeof(char16_t));
	assert_int_equal(strconv_utf16_to_utf8(w, &s), 0);
	assert_string_equal(s, utf8);
	assert_int_equal(strconv_utf8_check(utf8, strlen(utf8)), 0);
	free(w);
	free(s);
}

static void test_strconv_roundtrip(void **state)
{
	(void)state;
	roundtrip("", u"");
	roundtrip("/var/lib/certsrv/db/ca.db", u"/var/lib/certsrv/db/ca.db");
	roundtrip("/srv/\xc3\xa9t\xc3\xa9/Stra\xc3\x9f" "e", u"/srv/\u00e9t\u00e9/Stra\u00dfe");
	roundtrip("\xe2\x82\xac \xe4\xb8\xad", u"\u20ac \u4e2d");
	/* Non-BMP: U+1F600 is the surrogate pair D83D DE00. */
	roundtrip("a\xf0\x9f\x98\x80z", u"a\U0001F600z");
	{
		const char16_t pair[] = { u'a', 0xD83D, 0xDE00, u'z', 0 };

		roundtrip("a\xf0\x9f\x98\x80z", pair);
	}
	roundtrip("\xf4\x8f\xbf\xbf", u"\U0010FFFF");
	/* A BOM is an ordinary character, kept, never added. */
	roundtrip("\xef\xbb\xbfx", u"\uFEFFx");
}

static void test_strconv_rejects(void **state)
{
	static const char *const bad8[] = {
		"\xff",             /* never valid */
		"a\x80",            /* stray continuation */
		"\xc0\xaf",         /* overlong '/' */
		"\xe0\x80\xaf",     /* overlong */
		"\xed\xa0\x80",     /* encoded surrogate */
		"\xf4\x90\x80\x80", /* above U+10FFFF */
		"\xe2\x82",         /* truncated */
		"x\xf0\x9f\x98",    /* truncated 4-byte */
	};
	static const char16_t lone_high_end[] = { u'a', 0xD800, 0 };
	static const char16_t lone_high_mid[] = { 0xD83D, u'a', 0 };
	static const char16_t lone_low[] = { u'a', 0xDE00, u'b', 0 };
	static const char16_t reversed[] = { 0xDE00, 0xD83D, 0 };
	char16_t *w = (char16_t *)u"x";
	char *s = (char *)"x";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad8) / sizeof(bad8[0]); i++) {
		assert_int_equal(strconv_utf8_to_utf16(bad8[i], &w, NULL), CS_E_INVALID);
		assert_null(w);
		assert_int_equal(strconv_utf8_check(bad8[i], strlen(bad8[i])),
				 CS_E_INVALID);
	}
	assert_int_equal(strconv_utf16_to_utf8(lone_high_end, &s), CS_E_INVALID);
	assert_null(s);
	assert_int_equal(strconv_utf16_to_utf8(lone_high_mid, &s), CS_E_INVALID);
	assert_int_equal(strconv_utf16_to_utf8(lone_low, &s), CS_E_INVALID);
	assert_int_equal(strconv_utf16_to_utf8(reversed, &s), CS_E_INVALID);
}

static void test_strconv_append_keeps_buffer(void **state)
{
	struct strconv c;
	struct buf b = BUF_INIT;
	char big[5000];

	(void)state;
	assert_int_equal(strconv_open(&c, STRCONV_TO_UTF16), 0);
	assert_int_equal(strconv_append(&c, "ab", 2, &b), 0);
	assert_int_equal(b.len, 4);
	/* A failure leaves what was there. */
	assert_int_equal(strconv_append(&c, "c\xff", 2, &b), CS_E_INVALID);
	assert_int_equal(b.len, 4);
	/* Long input (forces E2BIG handling of the worst-case estimate path). */
	memset(big, 'q', sizeof(big));
	assert_int_equal(strconv_append(&c, big, sizeof(big), &b), 0);
	assert_int_equal(b.len, 4 + 2 * sizeof(big));
	strconv_close(&c);
	strconv_close(&c); /* idempotent */
	strconv_close(NULL);
	buf_release(&b);
}

/* ------------------------------------------------------------- lists */

static void test_lists_one_entry(void **state)
{
	static const uint8_t payload[] = { 'D', '/', 'a', 0 };
	static const char16_t want_w[] = { u'D', u'/', u'a', 0, 0 };
	static const char want_8[] = { 'D', '/', 'a', 0, 0 };
	void *out = NULL;
	uint32_t cb = 0;

	(void)state;
	assert_int_equal(lists_build(payload, sizeof(payload), LISTS_TAGGED,
				     LISTS_UTF16, &out, &cb), 0);
	assert_int_equal(cb, 10);
	assert_memory_equal(out, want_w, 10);
	free(out);
	assert_int_equal(lists_build(payload, sizeof(payload), LISTS_TAGGED,
				     LISTS_UTF8, &out, &cb), 0);
	assert_int_equal(cb, 5);
	assert_memory_equal(out, want_8, 5);
	free(out);
}

static void test_lists_empty(void **state)
{
	static const char16_t zero_w[2] = { 0, 0 };
	void *out = NULL;
	uint32_t cb = 0;

	(void)state;
	assert_int_equal(lists_build(NULL, 0, LISTS_TAGGED, LISTS_UTF16, &out, &cb), 0);
	assert_int_equal(cb, 4);
	assert_memory_equal(out, zero_w, 4);
	free(out);
	assert_int_equal(lists_build((const uint8_t *)"", 0, LISTS_UNTAGGED,
				     LISTS_UTF8, &out, &cb), 0);
	assert_int_equal(cb, 2);
	assert_memory_equal(out, "\0\0", 2);
	free(out);
}

static void test_lists_locations_and_unicode(void **state)
{
	/* 'D' db, 0x82 log dir, 0x83 checkpoint dir with a non-BMP name. */
	static const uint8_t payload[] =
		"D/d/ca.db\0" "\x82/d/logs\0" "\x83/d/\xc3\xa9\xf0\x9f\x98\x80";
	static const char16_t want_w[] = {
		u'D', u'/', u'd', u'/', u'c', u'a', u'.', u'd', u'b', 0,
		0x82, u'/', u'd', u'/', u'l', u'o', u'g', u's', 0,
		0x83, u'/', u'd', u'/', 0x00E9, 0xD83D, 0xDE00, 0,
		0,
	};
	void *out = NULL;
	uint32_t cb = 0;

	(void)state;
	/* sizeof(payload) includes the literal's NUL: the last entry's NUL. */
	assert_int_equal(lists_build(payload, sizeof(payload), LISTS_TAGGED,
				     LISTS_UTF16, &out, &cb), 0);
	assert_int_equal(cb, sizeof(want_w));
	assert_memory_equal(out, want_w, sizeof(want_w));
	assert_int_equal(((char16_t *)out)[10], 0x82); /* one unit */
	free(out);
	assert_int_equal(lists_build(payload, sizeof(payload), LISTS_TAGGED,
				     LISTS_UTF8, &out, &cb), 0);
	assert_int_equal(cb, sizeof(payload) + 1);
	assert_memory_equal(out, payload, sizeof(payload));
	assert_int_equal(((uint8_t *)out)[sizeof(payload)], 0);
	assert_int_equal(((uint8_t *)out)[10], 0x82); /* one byte */
	free(out);
}

static void test_lists_untagged(void **state)
{
	static const uint8_t payload[] = "\0/etc/a\0\0/etc/b";
	static const char want_8[] = "/etc/a\0/etc/b\0";
	static const char16_t want_w[] = u"/etc/a\0/etc/b\0";
	void *out = NULL;
	uint32_t cb = 0;

	(void)state;
	assert_int_equal(lists_build(payload, sizeof(payload), LISTS_UNTAGGED,
				     LISTS_UTF8, &out, &cb), 0);
	assert_int_equal(cb, sizeof(want_8)); /* both final NULs */
	assert_memory_equal(out, want_8, sizeof(want_8));
	free(out);
	assert_int_equal(lists_build(payload, sizeof(payload), LISTS_UNTAGGED,
				     LISTS_UTF16, &out, &cb), 0);
	assert_int_equal(cb, sizeof(want_w));
	assert_memory_equal(out, want_w, sizeof(want_w));
	free(out);
}

static void test_lists_rejects(void **state)
{
	static const struct {
		const char *p;
		size_t len;
		enum lists_tags tags;
	} bad[] = {
		{ "D/a", 3, LISTS_TAGGED },           /* no final NUL */
		{ "D", 1, LISTS_TAGGED },             /* tag only */
		{ "D\0", 2, LISTS_TAGGED },           /* empty path */
		{ "\0/a\0", 4, LISTS_TAGGED },        /* missing tag */
		{ "D/a\0", 4, LISTS_UNTAGGED },       /* unexpected tag */
		{ "D/\xff\0", 4, LISTS_TAGGED },      /* bad UTF-8 */
		{ "D/\xed\xa0\x80\0", 6, LISTS_TAGGED }, /* encoded surrogate */
	};
	void *out = (void *)"x";
	uint32_t cb = 9;
	size_t i;
	int fl;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (fl = LISTS_UTF8; fl <= LISTS_UTF16; fl++) {
			assert_int_equal(lists_build((const uint8_t *)bad[i].p,
						     bad[i].len, bad[i].tags,
						     (enum lists_flavour)fl, &out, &cb),
					 CS_E_PROTO);
			assert_null(out);
			assert_int_equal(cb, 0);
		}
	}
}

/* ------------------------------------------------------------ hint rule */

static void test_hint_rounding(void **state)
{
	(void)state;
	assert_int_equal(session_round_hint(0), 1u << 20);
	assert_int_equal(session_round_hint(1), 64u << 10);
	assert_int_equal(session_round_hint(65536), 65536);
	assert_int_equal(session_round_hint(65537), 131072);
	assert_int_equal(session_round_hint(100000), 131072);
	assert_int_equal(session_round_hint(512u << 10), 512u << 10);
	assert_int_equal(session_round_hint(3u << 20), 4u << 20);
	assert_int_equal(session_round_hint(4u << 20), 4u << 20);
	assert_int_equal(session_round_hint((4u << 20) + 1), 4u << 20);
	assert_int_equal(session_round_hint(UINT32_MAX), 4u << 20);
	assert_int_equal(SESSION_HINT_MAX, PROTO_MAX_READ);
}

/* ------------------------------------------------------ HRESULT table */

static const struct {
	int code;
	uint32_t hr;
} hr_expect[] = {
	{ 0, 0x00000000u },
	{ CS_E_BASE, 0x80004005u },
	{ CS_E_CORRUPT, 0x80070570u },
	{ CS_E_FAILED_STATE, 0x8007045Du },
	{ CS_E_PROTO, 0x80070057u },
	{ CS_E_NOTFOUND, 0x80070002u },
	{ CS_E_EXISTS, 0x800700B7u },
	{ CS_E_DENIED, 0x80070005u },
	{ CS_E_BADCSR, 0x80070057u },
	{ CS_E_BADSIG, 0x80090006u },
	{ CS_E_PROFILE, 0x80070490u },
	{ CS_E_PROFILE_DENIED, 0x80070005u },
	{ CS_E_STATE, 0x8007139Fu },
	{ CS_E_LINEAGE, 0xC8000212u },
	{ CS_E_GAP, 0xC8000210u },
	{ CS_E_CONFIG, 0x8007064Au },
	{ CS_E_TOOBIG, 0x800700DFu },
	{ CS_E_BUSY, 0x800700AAu },
	{ CS_E_OFFLINE, 0x800706BAu },
	{ CS_E_INVALID, 0x80070057u },
	{ CS_E_POLICY, 0x80070005u },
	{ CS_E_UNKNOWN_TYPE, 0x80070032u },
	{ CS_E_SHUTDOWN, 0x8007045Bu },
	{ CS_E_INTERNAL, 0x80004005u },
	{ CS_E_BACKUP_IN_PROGRESS, 0xC80001F9u },
	{ CS_E_MISSING_FULL, 0xC8000230u },
	{ CS_E_BACKUP_SEQUENCE, 0xC8000209u },
	{ CS_E_SEQUENCE, 0x8000FFFFu },
	{ -ENOMEM, 0x8007000Eu },
	{ -EACCES, 0x80070005u },
	{ -EPERM, 0x80070005u },
	{ -ENOENT, 0x80070002u },
	{ -EINVAL, 0x80070057u },
	{ -ECONNREFUSED, 0x800706BAu },
	{ -ECONNRESET, 0x800706BEu },
	{ -EPIPE, 0x800706BEu },
	{ -ENOTCONN, 0x800706BEu },
	{ -ETIMEDOUT, 0x800705B4u },
	{ -ENOSPC, 0x80070070u },
	{ -EIO, 0x8007045Du },
	{ -ENAMETOOLONG, 0x800700CEu },
	{ -EEXIST, 0x80070050u },
	{ -EBUSY, 0x800700AAu },
	{ -EXDEV, 0x80004005u },   /* unmapped errno */
	{ -4095, 0x80004005u },
	{ 1, 0x80004005u },        /* positive: not a valid code */
	{ INT_MIN, 0x80004005u },
};

static void test_hresult_table(void **state)
{
	const char *generic = hresult_message(HR(0x8BADF00Du));
	size_t i;
	int code;

	(void)state;
	for (i = 0; i < sizeof(hr_expect) / sizeof(hr_expect[0]); i++) {
		if (hresult_from_code(hr_expect[i].code) != HR(hr_expect[i].hr))
			fail_msg("code %d: got 0x%08X, want 0x%08X", hr_expect[i].code,
				 (unsigned)hresult_from_code(hr_expect[i].code),
				 hr_expect[i].hr);
	}
	/* Every CS_E_* code is in the expectation table above... */
	for (code = CS_E_BASE; code > CS_E_LAST; code--) {
		for (i = 0; i < sizeof(hr_expect) / sizeof(hr_expect[0]); i++) {
			if (hr_expect[i].code == code)
				break;
		}
		if (i == sizeof(hr_expect) / sizeof(hr_expect[0]))
			fail_msg("CS_E code %d has no expected HRESULT", code);
		/* ...and every HRESULT the table produces has its own sentence. */
		if (hresult_message(hresult_from_code(code)) == generic)
			fail_msg("HRESULT of code %d has no message", code);
	}
	for (i = 0; i < sizeof(hr_expect) / sizeof(hr_expect[0]); i++)
		assert_true(hresult_message(HR(hr_expect[i].hr)) != generic);
}

static void test_error_messages(void **state)
{
	static const uint32_t some[] = { 0, 1, 0x80004005u, 0x80070057u,
					 0x8BADF00Du, 0xFFFFFFFFu, 0x7FFFFFFFu,
					 0xC8000230u, 0x800706BAu };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(some) / sizeof(some[0]); i++) {
		assert_non_null(CertSrvGetErrorMessage(HR(some[i])));
		assert_true(strlen(CertSrvGetErrorMessage(HR(some[i]))) > 10);
	}
	assert_non_null(strstr(CertSrvGetErrorMessage(HR(0xC80001F9u)),
			       "in progress"));
	assert_non_null(strstr(CertSrvGetErrorMessage(E_UNEXPECTED), "order"));
}

/* ====================================================== fake server */

#define F_DB 0
#define F_LOG1 1
#define F_LOG2 2
#define F_NFILES 3
#define F_DB_SIZE 200000u
#define F_LOG1_SIZE 60000u
#define F_LOG2_SIZE 70001u
/* UTF-8 and UTF-16 forms of the non-BMP log name. */
#define F_LOG2_REL8 "/logs/\xc3\xa9t\xc3\xa9-\xf0\x9f\x98\x80.log"
#define F_LOG2_REL16 u"/logs/\u00e9t\u00e9-\U0001F600.log"

enum fake_bad {
	BAD_NONE = 0,
	BAD_READ_TOO_LONG, /* READ replies one byte more than asked */
	BAD_LIST,          /* LOGS replies a list without its final NUL */
	BAD_NO_SIZE,       /* OPEN replies without PT_SIZE */
};

struct fake {
	char dir[64];
	char sock[128];
	struct fakesrv srv;
	pthread_mutex_t mu;
	/* served */
	char path[F_NFILES][192];
	uint32_t size[F_NFILES];
	struct buf db_list, log_list, dyn_list, loc_list;
	uint8_t *scratch;
	/* configuration (under mu) */
	uint16_t fail_type;
	int fail_code;
	uint16_t drop_type;
	enum fake_bad bad;
	/* records (under mu) */
	unsigned pings, prepares, ends, truncates, reads;
	uint32_t flags, grbit, max_read;
	char opened[256];
};

static void fake_reply_ok(struct buf *out, uint32_t id)
{
	proto_begin(out, PROTO_REPLY_OK, id);
}

/* The fakesrv callback: serve the backup protocol on one connection. */
static int fake_serve(void *arg, int fd)
{
	struct fake *f = arg;
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct proto_hdr h;
	struct proto_reader rd;
	uint64_t pos = 0;
	uint32_t v, n, i;
	char *path = NULL;
	int cur = -1, k, drop;
	enum fake_bad bad;

	while (proto_recv(fd, &h, &in) == 0) {
		proto_reader_init(&rd, in.data, in.len);
		pthread_mutex_lock(&f->mu);
		drop = h.type == f->drop_type;
		bad = f->bad;
		if (h.type == f->fail_type) {
			proto_error_reply(&out, h.req_id, f->fail_code, NULL);
			pthread_mutex_unlock(&f->mu);
			goto send;
		}
		pthread_mutex_unlock(&f->mu);
		if (drop)
			break;
		fake_reply_ok(&out, h.req_id);
		pthread_mutex_lock(&f->mu);
		switch (h.type) {
		case PROTO_PING:
			f->pings++;
			break;
		case PROTO_BACKUP_PREPARE:
			f->prepares++;
			f->flags = f->grbit = 0xDEAD;
			proto_get_u32(&rd, PT_FLAGS, &f->flags);
			proto_get_u32(&rd, PT_GRBIT, &f->grbit);
			break;
		case PROTO_BACKUP_DATABASE_NAMES:
			proto_put_bytes(&out, PT_LIST, f->db_list.data, f->db_list.len);
			break;
		case PROTO_BACKUP_LOGS:
			proto_put_bytes(&out, PT_LIST, f->log_list.data,
					f->log_list.len - (bad == BAD_LIST));
			break;
		case PROTO_BACKUP_DYNAMIC_FILES:
			proto_put_bytes(&out, PT_LIST, f->dyn_list.data, f->dyn_list.len);
			break;
		case PROTO_RESTORE_LOCATIONS:
			proto_put_bytes(&out, PT_LIST, f->loc_list.data, f->loc_list.len);
			break;
		case PROTO_BACKUP_OPEN:
			free(path);
			path = NULL;
			proto_get_str(&rd, PT_PATH, 4096, &path);
			snprintf(f->opened, sizeof(f->opened), "%s", path ? path : "");
			for (k = 0; k < F_NFILES; k++) {
				if (path != NULL && strcmp(path, f->path[k]) == 0)
					break;
			}
			if (cur >= 0)
				proto_error_reply(&out, h.req_id, CS_E_SEQUENCE, NULL);
			else if (k == F_NFILES)
				proto_error_reply(&out, h.req_id, CS_E_NOTFOUND, NULL);
			else {
				cur = k;
				pos = 0;
				if (bad != BAD_NO_SIZE)
					proto_put_u64(&out, PT_SIZE, f->size[k]);
			}
			break;
		case PROTO_BACKUP_READ:
			v = 0;
			proto_get_u32(&rd, PT_LENGTH, &v);
			f->reads++;
			if (v > f->max_read)
				f->max_read = v;
			if (cur < 0) {
				proto_error_reply(&out, h.req_id, CS_E_SEQUENCE, NULL);
				break;
			}
			if (v == 0 || v > PROTO_MAX_READ) {
				proto_error_reply(&out, h.req_id, CS_E_INVALID, NULL);
				break;
			}
			n = f->size[cur] - (uint32_t)pos < v ? f->size[cur] - (uint32_t)pos : v;
			for (i = 0; i < n; i++)
				f->scratch[i] = pattern(pos + i, (uint8_t)cur);
			if (bad == BAD_READ_TOO_LONG)
				f->scratch[n++] = 0xEE;
			proto_put_bytes(&out, PT_DATA, f->scratch, n);
			pos += n;
			break;
		case PROTO_BACKUP_CLOSE:
			if (cur < 0)
				proto_error_reply(&out, h.req_id, CS_E_SEQUENCE, NULL);
			cur = -1;
			break;
		case PROTO_BACKUP_TRUNCATE:
			f->truncates++;
			break;
		case PROTO_BACKUP_END:
			f->ends++;
			break;
		default:
			proto_error_reply(&out, h.req_id, CS_E_UNKNOWN_TYPE, NULL);
			break;
		}
		pthread_mutex_unlock(&f->mu);
send:
		if (out.data != NULL && out.len >= PROTO_HDR_LEN &&
		    proto_finish(&out) == 0 && proto_send(fd, &out) < 0)
			break;
	}
	free(path);
	buf_release(&in);
	buf_release(&out);
	return 0;
}

static void list_add(struct buf *b, uint8_t tag, const char *path)
{
	buf_put_u8(b, tag);
	buf_append_str(b, path);
	buf_put_u8(b, 0);
}

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	char tmp[256];

	if (f == NULL)
		return -1;
	pthread_mutex_init(&f->mu, NULL);
	memcpy(f->dir, "/tmp/test_certadm.XXXXXX", sizeof("/tmp/test_certadm.XXXXXX"));
	if (fakesrv_datadir(f->dir, f->sock, sizeof(f->sock)) < 0)
		return -1;
	f->scratch = malloc(PROTO_MAX_READ + 1);
	if (f->scratch == NULL)
		return -1;

	snprintf(f->path[F_DB], sizeof(f->path[F_DB]), "%s/db/ca.db", f->dir);
	snprintf(f->path[F_LOG1], sizeof(f->path[F_LOG1]), "%s/logs/ca00000001.log", f->dir);
	snprintf(f->path[F_LOG2], sizeof(f->path[F_LOG2]), "%s" F_LOG2_REL8, f->dir);
	f->size[F_DB] = F_DB_SIZE;
	f->size[F_LOG1] = F_LOG1_SIZE;
	f->size[F_LOG2] = F_LOG2_SIZE;
	list_add(&f->db_list, CSBFT_CERTSERVER_DATABASE, f->path[F_DB]);
	list_add(&f->log_list, CSBFT_LOG, f->path[F_LOG1]);
	list_add(&f->log_list, CSBFT_LOG, f->path[F_LOG2]);
	snprintf(tmp, sizeof(tmp), "%s/certsrv.conf", f->dir);
	list_add(&f->dyn_list, 0, tmp);
	snprintf(tmp, sizeof(tmp), "%s/ca/ca.crt", f->dir);
	list_add(&f->dyn_list, 0, tmp);
	list_add(&f->loc_list, CSBFT_CERTSERVER_DATABASE, f->path[F_DB]);
	snprintf(tmp, sizeof(tmp), "%s/logs", f->dir);
	list_add(&f->loc_list, CSBFT_LOG_DIR, tmp);
	list_add(&f->loc_list, CSBFT_CHECKPOINT_DIR, tmp);

	if (fakesrv_start(&f->srv, f->sock, fake_serve, f) < 0)
		return -1;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	int r;

	fakesrv_stop(&f->srv);
	r = fakesrv_rmtree(f->dir);
	buf_release(&f->db_list);
	buf_release(&f->log_list);
	buf_release(&f->dyn_list);
	buf_release(&f->loc_list);
	free(f->scratch);
	pthread_mutex_destroy(&f->mu);
	free(f);
	return r;
}

static uint32_t fake_take_max_read(struct fake *f)
{
	uint32_t m;

	pthread_mutex_lock(&f->mu);
	m = f->max_read;
	f->max_read = 0;
	pthread_mutex_unlock(&f->mu);
	return m;
}

static unsigned fake_take_reads(struct fake *f)
{
	unsigned n;

	pthread_mutex_lock(&f->mu);
	n = f->reads;
	f->reads = 0;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static void fake_set(struct fake *f, uint16_t fail_type, int fail_code,
		     uint16_t drop_type, enum fake_bad bad)
{
	pthread_mutex_lock(&f->mu);
	f->fail_type = fail_type;
	f->fail_code = fail_code;
	f->drop_type = drop_type;
	f->bad = bad;
	pthread_mutex_unlock(&f->mu);
}

/* Read the open file to its end with bufsize-byte Reads; checks every
 * Read's count (full buffers, then the remainder, then 0) and the bytes. */
static void read_file(HCSBC h, uint32_t size, int idx, uint32_t bufsize)
{
	uint8_t *buf = malloc(bufsize);
	uint32_t done = 0, want, i;
	DWORD got;

	assert_non_null(buf);
	for (;;) {
		got = 12345;
		assert_true(CertSrvBackupRead(h, buf, bufsize, &got) == S_OK);
		want = size - done < bufsize ? size - done : bufsize;
		assert_int_equal(got, want);
		for (i = 0; i < got; i++) {
			if (buf[i] != pattern(done + i, (uint8_t)idx))
				fail_msg("file %d: byte %u differs", idx, done + i);
		}
		done += got;
		if (got == 0)
			break;
	}
	assert_int_equal(done, size);
	/* Past the end: still 0. */
	assert_true(CertSrvBackupRead(h, buf, bufsize, &got) == S_OK);
	assert_int_equal(got, 0);
	free(buf);
}

/* The expected lists, built by hand. */
static void want_list8(struct buf *b, const struct buf *payload)
{
	buf_reset(b);
	buf_append(b, payload->data, payload->len);
	buf_put_u8(b, 0);
}

static void test_server_online(void **state)
{
	struct fake *f = *state;
	char16_t *w = widen(f->dir);
	char unixname[160];
	BOOL on = FALSE;

	assert_true(CertSrvIsServerOnline(f->dir, &on) == S_OK);
	assert_true(on == TRUE);
	on = FALSE;
	assert_true(CertSrvIsServerOnlineW(w, &on) == S_OK);
	assert_true(on == TRUE);
	snprintf(unixname, sizeof(unixname), "unix:%s", f->sock);
	on = FALSE;
	assert_true(CertSrvIsServerOnline(unixname, &on) == S_OK);
	assert_true(on);
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->pings, 3);
	pthread_mutex_unlock(&f->mu);
	free(w);
}

static void test_scenario_utf8(void **state)
{
	struct fake *f = *state;
	struct buf want = BUF_INIT;
	HCSBC h = NULL;
	char *list = NULL, *p;
	DWORD cb = 0;
	LARGE_INTEGER li;
	int n;

	assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_FULL, &h) == S_OK);
	assert_non_null(h);
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->flags, CSBACKUP_TYPE_FULL);
	assert_int_equal(f->grbit, 0);
	pthread_mutex_unlock(&f->mu);

	/* Step 5: the restore map, saved as certbkxp.dat. */
	assert_true(CertSrvRestoreGetDatabaseLocations(h, &list, &cb) == S_OK);
	want_list8(&want, &f->loc_list);
	assert_int_equal(cb, want.len);
	assert_memory_equal(list, want.data, want.len);
	CertSrvBackupFree(list);

	/* Step 6: database names. */
	assert_true(CertSrvBackupGetDatabaseNames(h, &list, &cb) == S_OK);
	want_list8(&want, &f->db_list);
	assert_int_equal(cb, want.len);
	assert_memory_equal(list, want.data, want.len);
	assert_int_equal(list[0], CSBFT_CERTSERVER_DATABASE);
	/* Steps 7-9 for each entry; hint 100000 -> 128 KiB reads. */
	for (p = list, n = 0; *p != '\0'; p += strlen(p) + 1, n++) {
		assert_true(CertSrvBackupOpenFile(h, p + 1, 100000, &li) == S_OK);
		assert_int_equal(li.QuadPart, F_DB_SIZE);
		read_file(h, F_DB_SIZE, F_DB, F_DB_SIZE + 1000); /* buffer > file */
		assert_true(CertSrvBackupClose(h) == S_OK);
	}
	assert_int_equal(n, 1);
	assert_int_equal(fake_take_max_read(f), 131072);
	/* 131072 + 69928 (short: end of file, no extra request), then one
	 * request per 0-byte Read. */
	assert_int_equal(fake_take_reads(f), 4);
	CertSrvBackupFree(list);

	/* Step 10: logs; a later hint is ignored (the first one counts). */
	assert_true(CertSrvBackupGetBackupLogs(h, &list, &cb) == S_OK);
	want_list8(&want, &f->log_list);
	assert_int_equal(cb, want.len);
	assert_memory_equal(list, want.data, want.len);
	for (p = list, n = 0; *p != '\0'; p += strlen(p) + 1, n++) {
		assert_int_equal((unsigned char)p[0], CSBFT_LOG);
		assert_true(CertSrvBackupOpenFile(h, p + 1, 4u << 20, &li) == S_OK);
		assert_int_equal(li.QuadPart, n == 0 ? F_LOG1_SIZE : F_LOG2_SIZE);
		/* buffer < file: 30000-byte reads; LOG1 ends exactly on one. */
		read_file(h, (uint32_t)li.QuadPart, n == 0 ? F_LOG1 : F_LOG2, 30000);
		assert_true(CertSrvBackupClose(h) == S_OK);
	}
	assert_int_equal(n, 2);
	assert_int_equal(fake_take_max_read(f), 30000);
	pthread_mutex_lock(&f->mu);
	assert_string_equal(f->opened, f->path[F_LOG2]);
	pthread_mutex_unlock(&f->mu);
	CertSrvBackupFree(list);

	assert_true(CertSrvBackupTruncateLogs(h) == S_OK);

	/* Step 12: dynamic files, untagged. */
	assert_true(CertSrvBackupGetDynamicFileList(h, &list, &cb) == S_OK);
	buf_reset(&want);
	buf_printf(&want, "%s/certsrv.conf", f->dir);
	buf_put_u8(&want, 0);
	buf_printf(&want, "%s/ca/ca.crt", f->dir);
	buf_put_u8(&want, 0);
	buf_put_u8(&want, 0);
	assert_int_equal(cb, want.len);
	assert_memory_equal(list, want.data, want.len);
	CertSrvBackupFree(list);

	assert_true(CertSrvBackupEnd(h) == S_OK);
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->ends, 1);
	assert_int_equal(f->truncates, 1);
	pthread_mutex_unlock(&f->mu);
	buf_release(&want);
}

static void test_scenario_utf16(void **state)
{
	struct fake *f = *state;
	struct buf want = BUF_INIT;
	char16_t *wdir = widen(f->dir);
	HCSBC h = NULL;
	WCHAR *list = NULL, *p;
	DWORD cb = 0;
	LARGE_INTEGER li;
	int n;

	assert_true(CertSrvBackupPrepareW(wdir, 0, CSBACKUP_TYPE_FULL, &h) == S_OK);
	assert_non_null(h);

	/* Locations: 'D' db, 0x82 logs, 0x83 logs, each one unit. */
	assert_true(CertSrvRestoreGetDatabaseLocationsW(h, &list, &cb) == S_OK);
	put_w_unit(&want, CSBFT_CERTSERVER_DATABASE);
	put_w_ascii(&want, f->path[F_DB]);
	put_w_unit(&want, 0);
	put_w_unit(&want, 0x82);
	put_w_ascii(&want, f->dir);
	put_w(&want, u"/logs");
	put_w_unit(&want, 0);
	put_w_unit(&want, 0x83);
	put_w_ascii(&want, f->dir);
	put_w(&want, u"/logs");
	put_w_unit(&want, 0);
	put_w_unit(&want, 0);
	assert_int_equal(cb, want.len);
	assert_memory_equal(list, want.data, want.len);
	CertSrvBackupFree(list);

	assert_true(CertSrvBackupGetDatabaseNamesW(h, &list, &cb) == S_OK);
	buf_reset(&want);
	put_w_unit(&want, 'D');
	put_w_ascii(&want, f->path[F_DB]);
	put_w_unit(&want, 0);
	put_w_unit(&want, 0);
	assert_int_equal(cb, want.len);
	assert_int_equal(cb, (strlen(f->path[F_DB]) + 3) * 2);
	assert_memory_equal(list, want.data, want.len);
	/* hint 0 -> 1 MiB: one READ request covers the whole buffer. */
	for (p = list, n = 0; *p != 0; p += u16len(p) + 1, n++) {
		assert_true(CertSrvBackupOpenFileW(h, p + 1, 0, &li) == S_OK);
		assert_int_equal(li.QuadPart, F_DB_SIZE);
		assert_int_equal(li.LowPart, F_DB_SIZE);
		assert_int_equal(li.HighPart, 0);
		read_file(h, F_DB_SIZE, F_DB, F_DB_SIZE + 1000);
		assert_true(CertSrvBackupClose(h) == S_OK);
	}
	assert_int_equal(n, 1);
	assert_int_equal(fake_take_max_read(f), F_DB_SIZE + 1000);
	CertSrvBackupFree(list);

	assert_true(CertSrvBackupGetBackupLogsW(h, &list, &cb) == S_OK);
	buf_reset(&want);
	put_w_unit(&want, '!');
	put_w_ascii(&want, f->path[F_LOG1]);
	put_w_unit(&want, 0);
	put_w_unit(&want, '!');
	put_w_ascii(&want, f->dir);
	put_w(&want, F_LOG2_REL16); /* surrogate pair from the compiler */
	put_w_unit(&want, 0);
	put_w_unit(&want, 0);
	assert_int_equal(cb, want.len);
	assert_memory_equal(list, want.data, want.len);
	for (p = list, n = 0; *p != 0; p += u16len(p) + 1, n++) {
		assert_int_equal(p[0], CSBFT_LOG);
		assert_true(CertSrvBackupOpenFileW(h, p + 1, 65536, &li) == S_OK);
		read_file(h, (uint32_t)li.QuadPart, n == 0 ? F_LOG1 : F_LOG2, 65536 + 7);
		assert_true(CertSrvBackupClose(h) == S_OK);
	}
	assert_int_equal(n, 2);
	/* the first OpenFile's hint (1 MiB) still rules */
	assert_int_equal(fake_take_max_read(f), 65536 + 7);
	pthread_mutex_lock(&f->mu);
	assert_string_equal(f->opened, f->path[F_LOG2]); /* UTF-16 -> UTF-8 */
	pthread_mutex_unlock(&f->mu);
	CertSrvBackupFree(list);

	assert_true(CertSrvBackupGetDynamicFileListW(h, &list, &cb) == S_OK);
	buf_reset(&want);
	put_w_ascii(&want, f->dir);
	put_w(&want, u"/certsrv.conf");
	put_w_unit(&want, 0);
	put_w_ascii(&want, f->dir);
	put_w(&want, u"/ca/ca.crt");
	put_w_unit(&want, 0);
	put_w_unit(&want, 0);
	assert_int_equal(cb, want.len);
	assert_memory_equal(list, want.data, want.len);
	CertSrvBackupFree(list);

	assert_true(CertSrvBackupEnd(h) == S_OK);
	buf_release(&want);
	free(wdir);
}

static void test_session_null_out_pointers(void **state)
{
	struct fake *f = *state;
	HCSBC h = NULL;
	char *l8 = (char *)"x";
	WCHAR *lw = (WCHAR *)u"x";
	DWORD cb = 5, got = 5;
	LARGE_INTEGER li = { .QuadPart = 5 };
	char buf[16];

	assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_FULL, &h) == S_OK);
	assert_true(CertSrvBackupGetDatabaseNames(h, NULL, &cb) == E_POINTER);
	assert_int_equal(cb, 0);
	assert_true(CertSrvBackupGetDatabaseNames(h, &l8, NULL) == E_POINTER);
	assert_null(l8);
	assert_true(CertSrvBackupGetDatabaseNamesW(h, &lw, NULL) == E_POINTER);
	assert_null(lw);
	assert_true(CertSrvBackupGetBackupLogsW(h, NULL, &cb) == E_POINTER);
	assert_true(CertSrvBackupGetDynamicFileList(h, NULL, NULL) == E_POINTER);
	assert_true(CertSrvRestoreGetDatabaseLocationsW(h, NULL, &cb) == E_POINTER);
	assert_true(CertSrvBackupOpenFile(h, NULL, 0, &li) == E_POINTER);
	assert_int_equal(li.QuadPart, 0);
	assert_true(CertSrvBackupOpenFile(h, "/x", 0, NULL) == E_POINTER);
	assert_true(CertSrvBackupOpenFileW(h, NULL, 0, &li) == E_POINTER);
	assert_true(CertSrvBackupRead(h, NULL, 4, &got) == E_POINTER);
	assert_int_equal(got, 0);
	assert_true(CertSrvBackupRead(h, buf, sizeof(buf), NULL) == E_POINTER);
	assert_true(CertSrvBackupRead(h, buf, 0, &got) == E_INVALIDARG);
	/* Invalid strings never reach the server. */
	{
		const char16_t lone[] = { u'/', 0xDC00, 0 };

		assert_true(CertSrvBackupOpenFile(h, "/\xc0\xaf", 0, &li) == E_INVALIDARG);
		assert_true(CertSrvBackupOpenFileW(h, lone, 0, &li) == E_INVALIDARG);
	}
	/* A name the session did not list. */
	assert_true(CertSrvBackupOpenFile(h, "/etc/passwd", 0, &li) ==
		    HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND));
	assert_true(CertSrvBackupOpenFileW(h, u"../ca/ca.key", 0, &li) == HR(0x80070002u));
	/* Close without Open: the server's sequence error. */
	assert_true(CertSrvBackupClose(h) == E_UNEXPECTED);
	assert_true(CertSrvBackupEnd(h) == S_OK);
}

static void test_server_errors(void **state)
{
	struct fake *f = *state;
	static const struct {
		int code;
		uint32_t hr;
	} prep[] = {
		{ CS_E_BACKUP_IN_PROGRESS, 0xC80001F9u },
		{ CS_E_MISSING_FULL, 0xC8000230u },
		{ CS_E_DENIED, 0x80070005u },
		{ CS_E_INVALID, 0x80070057u },
		{ -EACCES, 0x80070005u },
		{ CS_E_SHUTDOWN, 0x8007045Bu },
	};
	HCSBC h;
	char *l8 = NULL;
	WCHAR *lw = NULL;
	DWORD cb = 1;
	size_t i;

	for (i = 0; i < sizeof(prep) / sizeof(prep[0]); i++) {
		fake_set(f, PROTO_BACKUP_PREPARE, prep[i].code, 0, BAD_NONE);
		h = (HCSBC)&h;
		assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_LOGS_ONLY,
						 &h) == HR(prep[i].hr));
		assert_null(h);
	}
	fake_set(f, PROTO_BACKUP_DATABASE_NAMES, CS_E_BACKUP_SEQUENCE, 0, BAD_NONE);
	assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_LOGS_ONLY, &h) == S_OK);
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->flags, CSBACKUP_TYPE_LOGS_ONLY);
	pthread_mutex_unlock(&f->mu);
	l8 = (char *)"x";
	assert_true(CertSrvBackupGetDatabaseNames(h, &l8, &cb) == HR(0xC8000209u));
	assert_null(l8);
	assert_int_equal(cb, 0);
	assert_true(CertSrvBackupGetDatabaseNamesW(h, &lw, &cb) == HR(0xC8000209u));
	assert_null(lw);
	fake_set(f, PROTO_BACKUP_TRUNCATE, CS_E_SEQUENCE, 0, BAD_NONE);
	assert_true(CertSrvBackupTruncateLogs(h) == E_UNEXPECTED);
	/* The session is still usable after a server error. */
	assert_true(CertSrvBackupGetBackupLogs(h, &l8, &cb) == S_OK);
	CertSrvBackupFree(l8);
	fake_set(f, PROTO_BACKUP_END, CS_E_INTERNAL, 0, BAD_NONE);
	assert_true(CertSrvBackupEnd(h) == E_FAIL); /* handle freed anyway */
}

static void test_bad_replies(void **state)
{
	struct fake *f = *state;
	HCSBC h = NULL;
	char *l8 = (char *)"x";
	WCHAR *lw = (WCHAR *)u"x";
	DWORD cb = 1, got = 1;
	LARGE_INTEGER li;
	uint8_t buf[64];

	assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_FULL, &h) == S_OK);
	fake_set(f, 0, 0, 0, BAD_LIST);
	assert_true(CertSrvBackupGetBackupLogs(h, &l8, &cb) == E_INVALIDARG);
	assert_null(l8);
	assert_int_equal(cb, 0);
	assert_true(CertSrvBackupGetBackupLogsW(h, &lw, &cb) == E_INVALIDARG);
	assert_null(lw);
	fake_set(f, 0, 0, 0, BAD_NO_SIZE);
	assert_true(CertSrvBackupOpenFile(h, f->path[F_DB], 0, &li) == E_INVALIDARG);
	assert_true(CertSrvBackupClose(h) == S_OK);
	fake_set(f, 0, 0, 0, BAD_READ_TOO_LONG);
	assert_true(CertSrvBackupOpenFile(h, f->path[F_DB], 0, &li) == S_OK);
	assert_true(CertSrvBackupRead(h, buf, sizeof(buf), &got) == E_INVALIDARG);
	assert_int_equal(got, 0);
	assert_true(CertSrvBackupEnd(h) == S_OK);
}

static void test_connection_lost(void **state)
{
	struct fake *f = *state;
	HCSBC h = NULL;
	LARGE_INTEGER li;
	uint8_t buf[4096];
	DWORD got = 1;

	assert_true(CertSrvBackupPrepareW(u"unix:/nonexistent", 0, CSBACKUP_TYPE_FULL,
					  &h) == HR(0x800706BAu));
	assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_FULL, &h) == S_OK);
	assert_true(CertSrvBackupOpenFile(h, f->path[F_DB], 0, &li) == S_OK);
	fake_set(f, 0, 0, PROTO_BACKUP_READ, BAD_NONE);
	assert_true(CertSrvBackupRead(h, buf, sizeof(buf), &got) ==
		    HRESULT_FROM_WIN32(RPC_S_CALL_FAILED));
	assert_int_equal(got, 0);
	assert_true(CertSrvBackupClose(h) == HR(0x800706BEu));
	assert_true(CertSrvBackupEnd(h) == HR(0x800706BEu)); /* and freed */
	fake_set(f, 0, 0, 0, BAD_NONE);
	/* The server is healthy for the next session. */
	assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_FULL, &h) == S_OK);
	assert_true(CertSrvBackupEnd(h) == S_OK);
}

/* The read hint belongs to the session: a new session starts from its own
 * first OpenFile (handles share no state). */
static void test_hint_per_session(void **state)
{
	struct fake *f = *state;
	HCSBC a = NULL, b = NULL;
	LARGE_INTEGER li;

	assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_FULL, &a) == S_OK);
	assert_true(CertSrvBackupOpenFile(a, f->path[F_DB], 1, &li) == S_OK);
	read_file(a, F_DB_SIZE, F_DB, F_DB_SIZE);
	assert_true(CertSrvBackupClose(a) == S_OK);
	assert_true(CertSrvBackupEnd(a) == S_OK);
	assert_int_equal(fake_take_max_read(f), 65536);
	assert_true(CertSrvBackupPrepare(f->dir, 0, CSBACKUP_TYPE_FULL, &b) == S_OK);
	assert_true(CertSrvBackupOpenFile(b, f->path[F_DB], 300000, &li) == S_OK);
	read_file(b, F_DB_SIZE, F_DB, F_DB_SIZE);
	assert_true(CertSrvBackupClose(b) == S_OK);
	assert_true(CertSrvBackupEnd(b) == S_OK);
	assert_int_equal(fake_take_max_read(f), F_DB_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_large_integer),
		cmocka_unit_test(test_dlopen_dlsym),
		cmocka_unit_test(test_null_handle),
		cmocka_unit_test(test_null_out_pointers),
		cmocka_unit_test(test_offline_and_bad_names),
		cmocka_unit_test(test_strconv_roundtrip),
		cmocka_unit_test(test_strconv_rejects),
		cmocka_unit_test(test_strconv_append_keeps_buffer),
		cmocka_unit_test(test_lists_one_entry),
		cmocka_unit_test(test_lists_empty),
		cmocka_unit_test(test_lists_locations_and_unicode),
		cmocka_unit_test(test_lists_untagged),
		cmocka_unit_test(test_lists_rejects),
		cmocka_unit_test(test_hint_rounding),
		cmocka_unit_test(test_hresult_table),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test_setup_teardown(test_server_online, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_scenario_utf8, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_scenario_utf16, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_session_null_out_pointers, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_server_errors, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_bad_replies, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_connection_lost, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_hint_per_session, fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
