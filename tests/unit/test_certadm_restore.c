/*
 * test_certadm_restore.c — unit tests of the restore half of libcertadm
 * (CertSrvRestorePrepare, Register, RegisterThroughFile, RegisterComplete,
 * End, RestoreGetDatabaseLocations with a restore handle, and
 * CertSrvServerControl).
 *
 * What it checks, without a real certsrvd:
 *   - the new exports resolve with dlsym() and the internals stay hidden;
 *   - a full registration, two incrementals and End give a restore.env
 *     that restorereg_load() reads back with exactly the values given (map
 *     target canonical), and that restorereg_ready() accepts; the W, UTF-8
 *     and ThroughFile calls write byte-identical files;
 *   - the rules: incremental before full (0xC8000230, nothing written), the
 *     interlock (E_UNEXPECTED), a failed completion recorded, End without
 *     registrations (nothing written), continuing a registration with
 *     flags 0, the map target must be DATADIR/db/ca.db, bad flags / crstmap
 *     / generations / paths (E_INVALIDARG), a failed save leaves the file
 *     and the handle as they were, the 64-registration limit, write access
 *     (E_ACCESSDENIED, as an unprivileged child when run as root);
 *   - the offline check: Prepare while a fake daemon answers, or while the
 *     data directory's lock is held -> 0x80070020;
 *   - CertSrvServerControl against a fake server thread (fakesrv.c) at
 *     DATADIR/run/certsrvd.sock: SHUTDOWN is sent, answered, and the call
 *     returns once the server stopped answering (and the lock is free);
 *     refusal, timeout, bad flags, no-op flags, offline;
 *   - RestoreGetDatabaseLocations with a restore handle, both flavours.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <uchar.h>
#include <unistd.h>

#include <cmocka.h>

#include "certsrv/certbcli.h"
#include "common/buf.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/proto.h"
#include "common/restorereg.h"
#include "control.h"
#include "fakesrv.h"
#include "hresult.h"

#define HR(x) ((HRESULT)(x))
#define HR_SHARING HR(0x80070020u)
#define HR_OFFLINE HR(0x800706BAu)
#define HR_MISSING_FULL HR(0xC8000230u)

#define assert_hr(call, want)                                                 \
	do {                                                                  \
		HRESULT hr_ = (call);                                         \
		if (hr_ != HR(want))                                          \
			fail_msg("%s: got 0x%08X, want 0x%08X", #call,        \
				 (unsigned)hr_, (unsigned)HR(want));          \
	} while (0)

/* UTF-8 and UTF-16 forms of a non-ASCII path tail. */
#define TAIL8 "/restore/logs/b\xc3\xa4" "ckup-\xf0\x9f\x98\x80"
#define TAIL16 u"/restore/logs/b\u00e4ckup-\U0001F600"
#define MAP_FROM8 "/var/lib/\xc3\xa7" "a/db/ca.db"
#define MAP_FROM16 u"/var/lib/\u00e7a/db/ca.db"

/* ------------------------------------------------------------- helpers */

static size_t u16len(const char16_t *s)
{
	size_t n = 0;

	while (s[n] != 0)
		n++;
	return n;
}

/* A malloc'd UTF-16 string: ASCII prefix (widened by hand) + suffix. */
static char16_t *wcat(const char *prefix, const char16_t *suffix)
{
	size_t n = strlen(prefix), m = suffix ? u16len(suffix) : 0, i;
	char16_t *w = malloc((n + m + 1) * sizeof(*w));

	assert_non_null(w);
	for (i = 0; i < n; i++)
		w[i] = (unsigned char)prefix[i];
	for (i = 0; i < m; i++)
		/* cppcheck-suppress nullPointer ; m is 0 when suffix is NULL */
		w[n + i] = suffix[i];
	w[n + m] = 0;
	return w;
}

static void join(char *out, size_t size, const char *a, const char *b)
{
	assert_true((size_t)snprintf(out, size, "%s%s", a, b) < size);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ====================================================== fake server */

enum fake_mode {
	FAKE_NORMAL = 0, /* SHUTDOWN: reply OK, then close the listening socket */
	FAKE_KEEP,       /* SHUTDOWN: reply OK, keep answering */
	FAKE_DENY,       /* SHUTDOWN: reply CS_E_DENIED */
};

struct fake {
	struct fakesrv srv;
	pthread_mutex_t mu;
	enum fake_mode mode; /* under mu, like the counts */
	unsigned pings, shutdowns, others;
};

/* The fixture: a data directory with db/, logs/, run/ and maybe a fake. */
struct fx {
	char dir[64];
	char real[PATH_MAX];
	char sock[128];
	char db[PATH_MAX + 16];
	char logs[PATH_MAX + 16];
	char env[PATH_MAX + 32];
	struct fake fake;
};

/* The fakesrv callback: serve one connection; 1 if the server must stop
 * (shutdown done): fakesrv then stops listening, like certsrvd. */
static int fake_serve(void *arg, int fd)
{
	struct fake *f = arg;
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct proto_hdr h;
	int stop = 0;

	while (!stop && proto_recv(fd, &h, &in) == 0) {
		pthread_mutex_lock(&f->mu);
		if (h.type == PROTO_PING) {
			f->pings++;
			proto_begin(&out, PROTO_REPLY_OK, h.req_id);
		} else if (h.type == PROTO_SHUTDOWN) {
			f->shutdowns++;
			if (f->mode == FAKE_DENY) {
				proto_error_reply(&out, h.req_id, CS_E_DENIED,
						  "access denied");
			} else {
				proto_begin(&out, PROTO_REPLY_OK, h.req_id);
				stop = f->mode == FAKE_NORMAL;
			}
		} else {
			f->others++;
			proto_error_reply(&out, h.req_id, CS_E_UNKNOWN_TYPE, NULL);
		}
		pthread_mutex_unlock(&f->mu);
		if (proto_finish(&out) < 0 || proto_send(fd, &out) < 0)
			break;
	}
	buf_release(&in);
	buf_release(&out);
	return stop;
}

static void fake_start(struct fx *x, enum fake_mode mode)
{
	struct fake *f = &x->fake;

	pthread_mutex_lock(&f->mu);
	f->mode = mode;
	f->pings = f->shutdowns = f->others = 0;
	pthread_mutex_unlock(&f->mu);
	assert_int_equal(fakesrv_start(&f->srv, x->sock, fake_serve, f), 0);
}

static void fake_stop(struct fx *x)
{
	fakesrv_stop(&x->fake.srv);
}

static unsigned fake_count(struct fx *x, unsigned *field)
{
	unsigned n;

	pthread_mutex_lock(&x->fake.mu);
	n = *field;
	pthread_mutex_unlock(&x->fake.mu);
	return n;
}

static int fx_setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char p[PATH_MAX + 16];

	if (x == NULL)
		return -1;
	pthread_mutex_init(&x->fake.mu, NULL);
	memcpy(x->dir, "/tmp/test_certadm_restore.XXXXXX",
	       sizeof("/tmp/test_certadm_restore.XXXXXX"));
	if (fakesrv_datadir(x->dir, x->sock, sizeof(x->sock)) < 0 ||
	    realpath(x->dir, x->real) == NULL)
		return -1;
	snprintf(x->db, sizeof(x->db), "%s/db/ca.db", x->real);
	snprintf(x->logs, sizeof(x->logs), "%s/logs", x->real);
	snprintf(x->env, sizeof(x->env), "%s/restore/restore.env", x->real);
	snprintf(p, sizeof(p), "%s/db", x->dir);
	if (mkdir(p, 0700) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/logs", x->dir);
	if (mkdir(p, 0700) < 0)
		return -1;
	*state = x;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *x = *state;
	int r;

	fake_stop(x);
	chmod(x->dir, 0700);
	r = fakesrv_rmtree(x->dir);
	pthread_mutex_destroy(&x->fake.mu);
	free(x);
	return r;
}

/* The registration file's bytes (malloc'd) and length; NULL if absent. */
static uint8_t *env_bytes(const struct fx *x, size_t *len)
{
	uint8_t *data = NULL;
	int r;

	*len = 0;
	r = fio_read_all(x->env, 1u << 20, &data, len);
	if (r == -ENOENT)
		return NULL;
	assert_int_equal(r, 0);
	return data;
}

static int env_exists(const struct fx *x)
{
	return fio_exists(x->env) == 1;
}

static void load(const struct fx *x, struct restore_state *st)
{
	char err[256] = "";
	int r;

	r = restorereg_load(x->real, st, err, sizeof(err));
	if (r != 0)
		fail_msg("restorereg_load: %d %s", r, err);
}

static void assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

/* A full registration with the usual arguments (UTF-8). */
static HRESULT reg_full8(const struct fx *x, HCSBC h, ULONG lo, ULONG hi)
{
	char to[PATH_MAX + 16];
	CSEDB_RSTMAP map;

	join(to, sizeof(to), x->dir, "/db/ca.db");
	map.pszDatabaseName = (char *)MAP_FROM8;
	map.pszNewDatabaseName = to;
	return CertSrvRestoreRegister(h, x->logs, x->logs, &map, 1, NULL, lo, hi);
}

static HRESULT reg_incr8(const struct fx *x, HCSBC h, ULONG lo, ULONG hi)
{
	char bkl[PATH_MAX + 64];

	join(bkl, sizeof(bkl), x->real, "/restore/logs");
	return CertSrvRestoreRegister(h, NULL, x->logs, NULL, 0, bkl, lo, hi);
}

/* ------------------------------------------------------------- dlopen */

static const char *const restore_names[] = {
	"CertSrvRestorePrepare",
	"CertSrvRestorePrepareW",
	"CertSrvRestoreRegister",
	"CertSrvRestoreRegisterW",
	"CertSrvRestoreRegisterThroughFile",
	"CertSrvRestoreRegisterThroughFileW",
	"CertSrvRestoreRegisterComplete",
	"CertSrvRestoreEnd",
	"CertSrvRestoreGetDatabaseLocations",
	"CertSrvRestoreGetDatabaseLocationsW",
	"CertSrvServerControl",
	"CertSrvServerControlW",
};

static void test_exports(void **state)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	FNCERTSRVRESTOREPREPAREW *prep;
	FNCERTSRVSERVERCONTROLW *ctl;
	HCSBC h = (HCSBC)&h;
	DWORD cb = 7;
	BYTE *pb = (BYTE *)&cb;
	ssize_t n;
	size_t i;
	void *lib;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../libcertadm.so.1", dirname(exe));
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(lib);
	for (i = 0; i < sizeof(restore_names) / sizeof(restore_names[0]); i++) {
		if (dlsym(lib, restore_names[i]) == NULL)
			fail_msg("dlsym(%s): %s", restore_names[i], dlerror());
	}
	assert_null(dlsym(lib, "restore_register"));
	assert_null(dlsym(lib, "restore_prepare"));
	assert_null(dlsym(lib, "control_shutdown"));
	assert_null(dlsym(lib, "restorereg_save"));
	assert_null(dlsym(lib, "restorereg_load"));
	assert_null(dlsym(lib, "session_new_restore"));
	prep = (FNCERTSRVRESTOREPREPAREW *)dlsym(lib, "CertSrvRestorePrepareW");
	assert_hr(prep(u"unix:/x", CSRESTORE_TYPE_FULL, &h), E_INVALIDARG);
	assert_null(h);
	ctl = (FNCERTSRVSERVERCONTROLW *)dlsym(lib, "CertSrvServerControlW");
	assert_hr(ctl(u"unix:/nonexistent/s.sock", CSCONTROL_SHUTDOWN, &cb, &pb),
		  HR_OFFLINE);
	assert_int_equal(cb, 0);
	assert_null(pb);
	assert_int_equal(dlclose(lib), 0);
	assert_true(ERROR_SHARING_VIOLATION == 32);
	assert_true(HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION) == HR_SHARING);
	assert_true(HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND) == HR(0x80070003u));
	assert_true(hresult_from_code(-ETXTBSY) == HR_SHARING);
	assert_non_null(strstr(CertSrvGetErrorMessage(HR_SHARING), "running"));
}

/* --------------------------------------------------- the registration */

static void test_full_two_incrementals(void **state)
{
	struct fx *x = *state;
	struct restore_state st;
	char to[PATH_MAX + 32], bkl[PATH_MAX + 32], err[256];
	CSEDB_RSTMAP map;
	HCSBC h = NULL;

	/* The target named through a detour: recorded canonical. */
	join(to, sizeof(to), x->dir, "/logs/../db/./ca.db");
	join(bkl, sizeof(bkl), x->real, "/restore/logs");
	map.pszDatabaseName = (char *)MAP_FROM8;
	map.pszNewDatabaseName = to;

	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_non_null(h);
	assert_false(env_exists(x)); /* nothing written by Prepare */
	assert_hr(CertSrvRestoreRegister(h, x->logs, x->logs, &map, 1, bkl, 1, 5),
		  S_OK);
	/* Saved at once, not complete: certsrvd would refuse to start. */
	load(x, &st);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.regs[0].complete, 0);
	assert_int_equal(st.ended, 0);
	assert_int_equal(restorereg_ready(&st, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "never completed"));
	restorereg_release(&st);

	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreRegister(h, NULL, x->logs, NULL, 0, bkl, 6, 9), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreRegisterThroughFile(h, "", NULL, NULL, 0, bkl, 10,
						    0x1A),
		  S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	load(x, &st);
	assert_int_equal(st.ended, 0);
	assert_int_equal(restorereg_ready(&st, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "never ended"));
	restorereg_release(&st);
	assert_hr(CertSrvRestoreEnd(h), S_OK);

	load(x, &st);
	assert_int_equal(st.n, 3);
	assert_int_equal(st.ended, 1);
	assert_int_equal(st.roll_forward, 1);
	assert_int_equal(st.until_time, 0);
	assert_int_equal(st.until_lsn, 0);
	/* full */
	assert_str_or_null(st.regs[0].checkpoint, x->logs);
	assert_str_or_null(st.regs[0].log_path, x->logs);
	assert_str_or_null(st.regs[0].backup_log_path, bkl);
	assert_str_or_null(st.regs[0].map_from, MAP_FROM8);
	assert_str_or_null(st.regs[0].map_to, x->db);
	assert_int_equal(st.regs[0].gen_low, 1);
	assert_int_equal(st.regs[0].gen_high, 5);
	assert_int_equal(st.regs[0].complete, 1);
	assert_int_equal(st.regs[0].status, 0);
	/* incrementals */
	assert_str_or_null(st.regs[1].checkpoint, NULL);
	assert_str_or_null(st.regs[1].log_path, x->logs);
	assert_str_or_null(st.regs[1].backup_log_path, bkl);
	assert_str_or_null(st.regs[1].map_from, NULL);
	assert_str_or_null(st.regs[1].map_to, NULL);
	assert_int_equal(st.regs[1].gen_low, 6);
	assert_int_equal(st.regs[1].gen_high, 9);
	assert_int_equal(st.regs[1].complete, 1);
	assert_str_or_null(st.regs[2].checkpoint, NULL);
	assert_str_or_null(st.regs[2].log_path, NULL);
	assert_str_or_null(st.regs[2].backup_log_path, bkl);
	assert_str_or_null(st.regs[2].map_to, NULL);
	assert_int_equal(st.regs[2].gen_low, 10);
	assert_int_equal(st.regs[2].gen_high, 0x1A);
	assert_int_equal(st.regs[2].complete, 1);
	assert_int_equal(st.regs[2].status, 0);
	assert_int_equal(restorereg_ready(&st, err, sizeof(err)), 1);
	restorereg_release(&st);
}

/* One whole restore in the UTF-8 or the W flavour, Register or
 * ThroughFile; returns the file's bytes and removes the file. */
static uint8_t *sequence(struct fx *x, int wide, int through, size_t *len)
{
	char to8[PATH_MAX + 16], bkl8[PATH_MAX + 64];
	char16_t *dir16 = wcat(x->dir, NULL), *to16 = wcat(x->dir, u"/db/ca.db");
	char16_t *bkl16 = wcat(x->real, TAIL16), *logs16 = wcat(x->logs, NULL);
	CSEDB_RSTMAP m8;
	CSEDB_RSTMAPW m16;
	HCSBC h = NULL;
	uint8_t *data;

	join(to8, sizeof(to8), x->dir, "/db/ca.db");
	join(bkl8, sizeof(bkl8), x->real, TAIL8);
	m8.pszDatabaseName = (char *)MAP_FROM8;
	m8.pszNewDatabaseName = to8;
	m16.pwszDatabaseName = (WCHAR *)MAP_FROM16;
	m16.pwszNewDatabaseName = to16;
	if (wide) {
		FNCERTSRVRESTOREREGISTERW *reg = through
			? CertSrvRestoreRegisterThroughFileW : CertSrvRestoreRegisterW;

		assert_hr(CertSrvRestorePrepareW(dir16, CSRESTORE_TYPE_FULL, &h), S_OK);
		assert_hr(reg(h, logs16, logs16, &m16, 1, bkl16, 3, 7), S_OK);
		assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
		assert_hr(reg(h, NULL, logs16, NULL, 0, bkl16, 8, 8), S_OK);
		assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
		assert_hr(reg(h, NULL, NULL, NULL, 0, bkl16, 9, 12), S_OK);
	} else {
		FNCERTSRVRESTOREREGISTER *reg = through
			? CertSrvRestoreRegisterThroughFile : CertSrvRestoreRegister;

		assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
		assert_hr(reg(h, x->logs, x->logs, &m8, 1, bkl8, 3, 7), S_OK);
		assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
		assert_hr(reg(h, NULL, x->logs, NULL, 0, bkl8, 8, 8), S_OK);
		assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
		assert_hr(reg(h, NULL, NULL, NULL, 0, bkl8, 9, 12), S_OK);
	}
	assert_hr(CertSrvRestoreRegisterComplete(h, HR(0x80070070u)), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	data = env_bytes(x, len);
	assert_non_null(data);
	assert_int_equal(unlink(x->env), 0);
	free(dir16);
	free(to16);
	free(bkl16);
	free(logs16);
	return data;
}

static void test_w_and_utf8_identical(void **state)
{
	struct fx *x = *state;
	struct restore_state st;
	char bkl8[PATH_MAX + 64];
	uint8_t *a, *b, *c, *d;
	size_t la, lb, lc, ld;

	a = sequence(x, 0, 0, &la);
	b = sequence(x, 1, 0, &lb);
	c = sequence(x, 0, 1, &lc);
	d = sequence(x, 1, 1, &ld);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_int_equal(la, lc);
	assert_memory_equal(a, c, la);
	assert_int_equal(la, ld);
	assert_memory_equal(a, d, la);
	/* And it holds the non-ASCII strings as UTF-8. */
	assert_int_equal(fio_write_atomic(x->env, b, lb, 0600), 0);
	load(x, &st);
	join(bkl8, sizeof(bkl8), x->real, TAIL8);
	assert_int_equal(st.n, 3);
	assert_string_equal(st.regs[0].map_from, MAP_FROM8);
	assert_string_equal(st.regs[0].map_to, x->db);
	assert_string_equal(st.regs[2].backup_log_path, bkl8);
	assert_int_equal((uint32_t)st.regs[2].status, 0x80070070u);
	restorereg_release(&st);
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_incremental_before_full(void **state)
{
	struct fx *x = *state;
	char16_t *dir16 = wcat(x->dir, NULL), *logs16 = wcat(x->logs, NULL);
	uint8_t *before, *after;
	char restore_dir[PATH_MAX + 16];
	size_t lb, la;
	HCSBC h = NULL;

	join(restore_dir, sizeof(restore_dir), x->real, "/restore");
	/* A fresh restore: nothing written, not even the directory. */
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_incr8(x, h, 1, 2), HR_MISSING_FULL);
	assert_hr(CertSrvRestoreRegisterW(h, NULL, logs16, NULL, 0, NULL, 1, 2),
		  HR_MISSING_FULL);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), E_UNEXPECTED);
	assert_false(env_exists(x));
	assert_int_equal(fio_exists(restore_dir), 0);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	assert_false(env_exists(x));
	/* Continuing (flags 0) when nothing is registered: Prepare is fine,
	 * the incremental is not. */
	assert_hr(CertSrvRestorePrepareW(dir16, 0, &h), S_OK);
	assert_hr(reg_incr8(x, h, 3, 4), HR_MISSING_FULL);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	assert_false(env_exists(x));
	/* A new FULL restore over an old registration: the old file stays
	 * byte for byte until the first successful Register. */
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 1), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	before = env_bytes(x, &lb);
	assert_non_null(before);
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_incr8(x, h, 2, 2), HR_MISSING_FULL);
	after = env_bytes(x, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(after, before, lb);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	free(after);
	after = env_bytes(x, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(after, before, lb);
	free(before);
	free(after);
	free(dir16);
	free(logs16);
}

static void test_interlock(void **state)
{
	struct fx *x = *state;
	struct restore_state st;
	HCSBC h = NULL;

	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), E_UNEXPECTED);
	assert_hr(reg_full8(x, h, 1, 4), S_OK);
	/* Not completed yet: no other Register, full or incremental. */
	assert_hr(reg_incr8(x, h, 5, 6), E_UNEXPECTED);
	assert_hr(reg_full8(x, h, 1, 4), E_UNEXPECTED);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), E_UNEXPECTED);
	/* A second full backup in the same restore. */
	assert_hr(reg_full8(x, h, 1, 4), E_UNEXPECTED);
	assert_hr(reg_incr8(x, h, 5, 6), S_OK);
	assert_hr(reg_incr8(x, h, 7, 8), E_UNEXPECTED);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	/* The file says exactly that: two registrations, the last pending. */
	load(x, &st);
	assert_int_equal(st.n, 2);
	assert_int_equal(st.regs[0].complete, 1);
	assert_int_equal(st.regs[1].complete, 0);
	assert_int_equal(st.ended, 1);
	restorereg_release(&st);
}

static void test_complete_failure(void **state)
{
	struct fx *x = *state;
	struct restore_state st;
	char err[256];
	HCSBC h = NULL;

	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 3), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, E_FAIL), S_OK);
	load(x, &st);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.regs[0].complete, 1);
	assert_int_equal((uint32_t)st.regs[0].status, 0x80004005u);
	restorereg_release(&st);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	load(x, &st);
	assert_int_equal(st.ended, 1);
	assert_int_equal(restorereg_ready(&st, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "0x80004005"));
	restorereg_release(&st);
}

static void test_end_without_registrations(void **state)
{
	struct fx *x = *state;
	struct restore_state st;
	HCSBC h = NULL;

	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	assert_false(env_exists(x));
	assert_hr(CertSrvRestorePrepare(x->dir, 0, &h), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	assert_false(env_exists(x));
	/* Continuing an existing, not ended registration and ending it. */
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 1), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	load(x, &st);
	assert_int_equal(st.ended, 1);
	restorereg_release(&st);
}

/* Incrementals registered in a later session (flags 0). */
static void test_continue_later(void **state)
{
	struct fx *x = *state;
	struct restore_state st;
	char err[256];
	HCSBC h = NULL;

	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 2), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);

	assert_hr(CertSrvRestorePrepare(x->dir, 0, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 2), E_UNEXPECTED); /* not the first */
	assert_hr(reg_incr8(x, h, 3, 4), S_OK);
	load(x, &st); /* a new registration: the restore is open again */
	assert_int_equal(st.n, 2);
	assert_int_equal(st.ended, 0);
	restorereg_release(&st);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	load(x, &st);
	assert_int_equal(st.n, 2);
	assert_int_equal(st.ended, 1);
	assert_int_equal(st.regs[1].gen_low, 3);
	assert_int_equal(st.regs[1].gen_high, 4);
	assert_int_equal(restorereg_ready(&st, err, sizeof(err)), 1);
	restorereg_release(&st);

	/* A pending registration left by a session that died can be completed
	 * by the next one. */
	assert_hr(CertSrvRestorePrepare(x->dir, 0, &h), S_OK);
	assert_hr(reg_incr8(x, h, 5, 5), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	assert_hr(CertSrvRestorePrepare(x->dir, 0, &h), S_OK);
	assert_hr(reg_incr8(x, h, 6, 6), E_UNEXPECTED);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	load(x, &st);
	assert_int_equal(st.n, 3);
	assert_int_equal(restorereg_ready(&st, err, sizeof(err)), 1);
	restorereg_release(&st);

	/* A corrupt file cannot be continued (it can be replaced). */
	assert_int_equal(fio_write_atomic(x->env, "[restore]\nbogus = 1\n", 20, 0600), 0);
	assert_hr(CertSrvRestorePrepare(x->dir, 0, &h), HR(0x80070570u));
	assert_null(h);
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 1), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	load(x, &st);
	assert_int_equal(st.n, 1);
	restorereg_release(&st);
}

static void test_map_elsewhere(void **state)
{
	struct fx *x = *state;
	char to[PATH_MAX + 64], other[PATH_MAX + 64], link[PATH_MAX + 64];
	CSEDB_RSTMAP map = { (char *)MAP_FROM8, to };
	struct restore_state st;
	HCSBC h = NULL;

	join(other, sizeof(other), x->dir, "/elsewhere");
	assert_int_equal(mkdir(other, 0700), 0);
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	join(to, sizeof(to), x->dir, "/elsewhere/ca.db");
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	join(to, sizeof(to), x->dir, "/db/other.db");
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	join(to, sizeof(to), x->dir, "/db");
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	join(to, sizeof(to), x->dir, "/db/");
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	join(to, sizeof(to), x->dir, "/nodir/ca.db");
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	map.pszNewDatabaseName = (char *)"db/ca.db"; /* relative */
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	map.pszNewDatabaseName = (char *)"/tmp/ca.db";
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_false(env_exists(x));
	/* Through a symbolic link to DATADIR/db: the same directory. */
	join(link, sizeof(link), x->dir, "/elsewhere/dblink");
	join(other, sizeof(other), x->real, "/db");
	assert_int_equal(symlink(other, link), 0);
	join(to, sizeof(to), link, "/ca.db");
	map.pszNewDatabaseName = to;
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	load(x, &st);
	assert_string_equal(st.regs[0].map_to, x->db);
	restorereg_release(&st);
}

static void test_bad_arguments(void **state)
{
	struct fx *x = *state;
	static const ULONG bad_flags[] = { CSRESTORE_TYPE_ONLINE,
					   CSRESTORE_TYPE_CATCHUP,
					   CSRESTORE_TYPE_MASK, 0x100, 0x80000001u };
	char to[PATH_MAX + 16], nodir[PATH_MAX + 16];
	char16_t *dir16 = wcat(x->dir, NULL);
	CSEDB_RSTMAP map = { (char *)MAP_FROM8, to };
	CSEDB_RSTMAP nullmap = { NULL, to };
	CSEDB_RSTMAPW wmap = { (WCHAR *)MAP_FROM16, NULL };
	const char16_t bad16[] = { u'/', 0xD800, u'x', 0 };
	int junk[32] = { 0 };
	HCSBC h = (HCSBC)&h;
	size_t i;

	join(to, sizeof(to), x->dir, "/db/ca.db");
	/* Prepare */
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, NULL), E_POINTER);
	assert_hr(CertSrvRestorePrepareW(dir16, 0, NULL), E_POINTER);
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		h = (HCSBC)&h;
		assert_hr(CertSrvRestorePrepare(x->dir, bad_flags[i], &h), E_INVALIDARG);
		assert_null(h);
		h = (HCSBC)&h;
		assert_hr(CertSrvRestorePrepareW(dir16, bad_flags[i], &h), E_INVALIDARG);
		assert_null(h);
	}
	assert_hr(CertSrvRestorePrepare("unix:/tmp/x.sock", 1, &h), E_INVALIDARG);
	assert_hr(CertSrvRestorePrepare("ca.example.com", 1, &h), E_INVALIDARG);
	assert_hr(CertSrvRestorePrepareW(bad16, 1, &h), E_INVALIDARG);
	join(nodir, sizeof(nodir), x->dir, "/no/such/dir");
	assert_hr(CertSrvRestorePrepare(nodir, 1, &h), HR(0x80070003u));
	assert_null(h);
	join(nodir, sizeof(nodir), x->dir, "/run/certsrvd.lock");
	assert_int_equal(fio_write_atomic(nodir, "1\n", 2, 0644), 0);
	assert_hr(CertSrvRestorePrepare(nodir, 1, &h), HR(0x80070003u)); /* a file */

	/* Handles */
	assert_hr(CertSrvRestoreRegister(NULL, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegisterW(NULL, NULL, NULL, NULL, 0, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegisterThroughFile(junk, NULL, NULL, &map, 1, NULL,
						    1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegisterThroughFileW(junk, NULL, NULL, NULL, 0,
						     NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegisterComplete(NULL, S_OK), E_INVALIDARG);
	assert_hr(CertSrvRestoreRegisterComplete(junk, S_OK), E_INVALIDARG);
	assert_hr(CertSrvRestoreEnd(NULL), E_INVALIDARG);
	assert_hr(CertSrvRestoreEnd(junk), E_INVALIDARG);

	/* Register */
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 2, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, -1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, NULL, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegisterW(h, NULL, NULL, NULL, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &nullmap, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegisterW(h, NULL, NULL, &wmap, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 0, 0),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 0, 5),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 6, 5),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, "logs", NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, "./logs", &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, "restore/logs", 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, "/a;b", 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, NULL, "/a#b", &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, "/a\nb", NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegister(h, "/bad\xff", NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	assert_hr(CertSrvRestoreRegisterW(h, bad16, NULL, NULL, 0, NULL, 1, 1),
		  E_INVALIDARG);
	map.pszDatabaseName = (char *)"old/ca.db"; /* relative */
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1),
		  E_INVALIDARG);
	map.pszDatabaseName = (char *)MAP_FROM8;
	assert_false(env_exists(x));
	/* The failed saves left no trace in the handle either: the next full
	 * registration is still the first one. */
	assert_hr(CertSrvRestoreRegister(h, NULL, NULL, &map, 1, NULL, 1, 1), S_OK);
	/* A restore handle is not a backup handle, and the reverse. */
	assert_hr(CertSrvBackupClose(h), E_INVALIDARG);
	assert_hr(CertSrvBackupEnd(h), E_INVALIDARG);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	free(dir16);
}

/* A save that fails for a system reason: nothing recorded, and the same
 * call works once the cause is gone. */
static void test_save_failure(void **state)
{
	struct fx *x = *state;
	struct restore_state st;
	char sub[PATH_MAX + 16], aside[PATH_MAX + 16];
	HCSBC h = NULL;

	join(sub, sizeof(sub), x->real, "/restore");
	join(aside, sizeof(aside), x->real, "/restore.aside");
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_int_equal(fio_write_atomic(sub, "x", 1, 0600), 0); /* a file */
	assert_true(FAILED(reg_full8(x, h, 1, 2)));
	assert_int_equal(unlink(sub), 0);
	assert_hr(reg_full8(x, h, 1, 2), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(reg_incr8(x, h, 3, 3), S_OK);
	/* Completing fails: the registration stays pending. */
	assert_int_equal(rename(sub, aside), 0);
	assert_int_equal(fio_write_atomic(sub, "x", 1, 0600), 0);
	assert_true(FAILED(CertSrvRestoreRegisterComplete(h, S_OK)));
	assert_int_equal(unlink(sub), 0);
	assert_int_equal(rename(aside, sub), 0);
	load(x, &st);
	assert_int_equal(st.n, 2);
	assert_int_equal(st.regs[1].complete, 0);
	restorereg_release(&st);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	load(x, &st);
	assert_int_equal(st.n, 2);
	assert_int_equal(st.regs[1].complete, 1);
	assert_int_equal(st.ended, 1);
	restorereg_release(&st);
}

static void test_registration_limit(void **state)
{
	struct fx *x = *state;
	struct restore_state st;
	HCSBC h = NULL;
	ULONG g;

	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 1), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	for (g = 2; g <= RESTOREREG_MAX; g++) {
		assert_hr(reg_incr8(x, h, g, g), S_OK);
		assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	}
	assert_hr(reg_incr8(x, h, g, g), HR(0x800700DFu));
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	load(x, &st);
	assert_int_equal(st.n, RESTOREREG_MAX);
	restorereg_release(&st);
}

/* Prepare as a user who may not write DATADIR (a child that drops root
 * when run as root); the child exits 0 when the HRESULT is as expected. */
static int prepare_as_other_user(const char *dir, HRESULT want)
{
	HCSBC h = NULL;
	pid_t pid;
	int status = 0;

	pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		_exit(CertSrvRestorePrepare(dir, CSRESTORE_TYPE_FULL, &h) == want &&
		      (SUCCEEDED(want) || h == NULL) ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_access_denied(void **state)
{
	struct fx *x = *state;
	char sub[PATH_MAX + 16];
	HCSBC h = NULL;

	join(sub, sizeof(sub), x->real, "/restore");
	if (geteuid() == 0) {
		/* root: an unprivileged child, DATADIR 0755 owned by root. */
		assert_int_equal(chmod(x->dir, 0755), 0);
		assert_int_equal(prepare_as_other_user(x->dir, E_ACCESSDENIED), 0);
		/* DATADIR writable by the child, DATADIR/restore not. */
		assert_int_equal(chmod(x->dir, 0777), 0);
		assert_int_equal(mkdir(sub, 0755), 0);
		assert_int_equal(prepare_as_other_user(x->dir, E_ACCESSDENIED), 0);
		assert_int_equal(chmod(sub, 0777), 0);
		assert_int_equal(prepare_as_other_user(x->dir, S_OK), 0);
		assert_int_equal(chmod(x->dir, 0700), 0);
	} else {
		assert_int_equal(chmod(x->dir, 0500), 0);
		assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h),
			  E_ACCESSDENIED);
		assert_null(h);
		assert_int_equal(chmod(x->dir, 0700), 0);
		assert_int_equal(mkdir(sub, 0500), 0);
		assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h),
			  E_ACCESSDENIED);
		assert_int_equal(chmod(sub, 0700), 0);
	}
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
}

/* --------------------------------------------------------- online checks */

static void test_prepare_while_online(void **state)
{
	struct fx *x = *state;
	char16_t *dir16 = wcat(x->dir, NULL);
	char lock[PATH_MAX + 32];
	HCSBC h = (HCSBC)&h;
	int fd;

	fake_start(x, FAKE_NORMAL);
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), HR_SHARING);
	assert_null(h);
	assert_hr(CertSrvRestorePrepareW(dir16, 0, &h), HR_SHARING);
	assert_true(fake_count(x, &x->fake.pings) >= 2);
	assert_false(env_exists(x));
	fake_stop(x);
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);

	/* A daemon that holds the lock but does not answer (starting,
	 * recovering, or finishing its shutdown). */
	join(lock, sizeof(lock), x->dir, "/run/certsrvd.lock");
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), HR_SHARING);
	close(fd);
	/* The lock file alone, unlocked, is no daemon. */
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	free(dir16);
}

static void test_server_control_shutdown(void **state)
{
	struct fx *x = *state;
	char16_t *dir16 = wcat(x->dir, NULL);
	DWORD cb = 99;
	BYTE *pb = (BYTE *)&cb;
	BOOL on = TRUE;
	HCSBC h = NULL;

	fake_start(x, FAKE_NORMAL);
	assert_hr(CertSrvServerControl(x->dir, CSCONTROL_SHUTDOWN, &cb, &pb), S_OK);
	assert_int_equal(cb, 0);
	assert_null(pb);
	assert_int_equal(fake_count(x, &x->fake.shutdowns), 1);
	/* Gone when the call returns: a restore can start at once. */
	assert_hr(CertSrvIsServerOnline(x->dir, &on), HR_OFFLINE);
	assert_false(on);
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	fake_stop(x);
	/* Offline now: SHUTDOWN has nobody to stop. */
	cb = 99;
	pb = (BYTE *)&cb;
	assert_hr(CertSrvServerControl(x->dir, CSCONTROL_SHUTDOWN, &cb, &pb),
		  HR_OFFLINE);
	assert_int_equal(cb, 0);
	assert_null(pb);
	assert_hr(CertSrvServerControlW(dir16, CSCONTROL_SHUTDOWN, NULL, NULL),
		  HR_OFFLINE);

	/* The W form, and optional outputs. */
	fake_start(x, FAKE_NORMAL);
	assert_hr(CertSrvServerControlW(dir16, CSCONTROL_SHUTDOWN, NULL, NULL), S_OK);
	assert_int_equal(fake_count(x, &x->fake.shutdowns), 1);
	fake_stop(x);
	free(dir16);
}

static void test_server_control_flags(void **state)
{
	struct fx *x = *state;
	static const DWORD bad[] = { 0, 4, 0x11, 0xFFFFFFFFu };
	DWORD cb;
	BYTE *pb;
	size_t i;

	fake_start(x, FAKE_NORMAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cb = 99;
		pb = (BYTE *)&cb;
		assert_hr(CertSrvServerControl(x->dir, bad[i], &cb, &pb), E_INVALIDARG);
		assert_int_equal(cb, 0);
		assert_null(pb);
		assert_hr(CertSrvServerControlW(u"/x", bad[i], NULL, NULL), E_INVALIDARG);
	}
	/* SUSPEND and RESTART: success, no action, not even a message. */
	assert_hr(CertSrvServerControl(x->dir, CSCONTROL_SUSPEND, &cb, &pb), S_OK);
	assert_hr(CertSrvServerControlW(u"/nonexistent", CSCONTROL_RESTART, NULL,
					NULL),
		  S_OK);
	assert_int_equal(fake_count(x, &x->fake.shutdowns), 0);
	assert_int_equal(fake_count(x, &x->fake.pings), 0);
	assert_int_equal(fake_count(x, &x->fake.others), 0);
	/* Remote names are refused for every flag. */
	assert_hr(CertSrvServerControl("ca.example.com", CSCONTROL_SHUTDOWN, NULL,
				       NULL),
		  E_INVALIDARG);
	assert_hr(CertSrvServerControl("ca.example.com", CSCONTROL_SUSPEND, NULL,
				       NULL),
		  E_INVALIDARG);
	/* A "unix:" name works for SHUTDOWN. */
	{
		char name[160];

		snprintf(name, sizeof(name), "unix:%s", x->sock);
		assert_hr(CertSrvServerControl(name, CSCONTROL_SHUTDOWN, NULL, NULL),
			  S_OK);
		assert_int_equal(fake_count(x, &x->fake.shutdowns), 1);
	}
}

static void test_server_control_refused(void **state)
{
	struct fx *x = *state;
	uint64_t t0;

	fake_start(x, FAKE_DENY);
	assert_hr(CertSrvServerControl(x->dir, CSCONTROL_SHUTDOWN, NULL, NULL),
		  E_ACCESSDENIED);
	fake_stop(x);
	/* A daemon that accepts SHUTDOWN but keeps running: the wait is
	 * bounded (30 s in the API; 300 ms here through the module). */
	fake_start(x, FAKE_KEEP);
	t0 = now_ms();
	assert_int_equal(control_shutdown(x->dir, 300, 50), -ETIMEDOUT);
	assert_true(now_ms() - t0 >= 300);
	assert_true(now_ms() - t0 < 5000);
	assert_true(fake_count(x, &x->fake.pings) >= 2);
	assert_true(hresult_from_code(-ETIMEDOUT) == HR(0x800705B4u));
}

struct unlocker {
	int fd;
	unsigned ms;
};

static void *unlock_later(void *arg)
{
	struct unlocker *u = arg;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)u->ms * 1000000L };

	nanosleep(&ts, NULL);
	close(u->fd);
	return NULL;
}

/* The daemon stopped answering but still holds its lock (its last
 * checkpoint): SHUTDOWN returns only after the lock is released. */
static void test_server_control_waits_for_lock(void **state)
{
	struct fx *x = *state;
	struct unlocker u = { -1, 400 };
	char lock[PATH_MAX + 32];
	pthread_t t;
	uint64_t t0, dt;

	join(lock, sizeof(lock), x->dir, "/run/certsrvd.lock");
	u.fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(u.fd >= 0);
	assert_int_equal(flock(u.fd, LOCK_EX | LOCK_NB), 0);
	fake_start(x, FAKE_NORMAL);
	t0 = now_ms();
	assert_int_equal(pthread_create(&t, NULL, unlock_later, &u), 0);
	assert_hr(CertSrvServerControl(x->dir, CSCONTROL_SHUTDOWN, NULL, NULL), S_OK);
	dt = now_ms() - t0;
	pthread_join(t, NULL);
	assert_true(dt >= 350);
	assert_true(dt < 5000);
}

/* ------------------------------------------------------------ locations */

static void test_locations_restore_handle(void **state)
{
	struct fx *x = *state;
	char link[PATH_MAX + 32];
	char16_t *link16;
	struct buf want8 = BUF_INIT, want16 = BUF_INIT;
	char *l8 = (char *)"x";
	WCHAR *l16 = (WCHAR *)u"x";
	DWORD cb = 7;
	HCSBC h = NULL;
	char16_t *w;
	const char *rels[3] = { "/db/ca.db", "/logs", "/logs" };
	const uint8_t tags[3] = { CSBFT_CERTSERVER_DATABASE, CSBFT_LOG_DIR,
				  CSBFT_CHECKPOINT_DIR };
	char16_t tag16, nul16 = 0;
	size_t i;

	/* Named through a symbolic link: the list gives the real paths. */
	snprintf(link, sizeof(link), "%s.link", x->dir);
	assert_int_equal(symlink(x->real, link), 0);
	link16 = wcat(link, NULL);
	for (i = 0; i < 3; i++) {
		buf_put_u8(&want8, tags[i]);
		buf_append_str(&want8, x->real);
		buf_append_str(&want8, rels[i]);
		buf_put_u8(&want8, 0);
		tag16 = tags[i];
		buf_append(&want16, &tag16, sizeof(tag16));
		w = wcat(x->real, NULL);
		buf_append(&want16, w, u16len(w) * 2);
		free(w);
		w = wcat(rels[i], NULL);
		buf_append(&want16, w, u16len(w) * 2);
		free(w);
		buf_append(&want16, &nul16, sizeof(nul16));
	}
	buf_put_u8(&want8, 0);
	buf_append(&want16, &nul16, sizeof(nul16));

	assert_hr(CertSrvRestorePrepareW(link16, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(CertSrvRestoreGetDatabaseLocations(h, &l8, &cb), S_OK);
	assert_int_equal(cb, want8.len);
	assert_memory_equal(l8, want8.data, want8.len);
	CertSrvBackupFree(l8);
	assert_hr(CertSrvRestoreGetDatabaseLocationsW(h, &l16, &cb), S_OK);
	assert_int_equal(cb, want16.len);
	assert_memory_equal(l16, want16.data, want16.len);
	CertSrvBackupFree(l16);
	/* Output pointers. */
	l8 = (char *)"x";
	assert_hr(CertSrvRestoreGetDatabaseLocations(h, &l8, NULL), E_POINTER);
	assert_null(l8);
	cb = 7;
	assert_hr(CertSrvRestoreGetDatabaseLocationsW(h, NULL, &cb), E_POINTER);
	assert_int_equal(cb, 0);
	/* The backup calls refuse a restore handle. */
	assert_hr(CertSrvBackupGetDatabaseNames(h, &l8, &cb), E_INVALIDARG);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	assert_int_equal(unlink(link), 0);
	assert_false(env_exists(x));
	buf_release(&want8);
	buf_release(&want16);
	free(link16);
}

/* dir/rel is owned by uid, group uid (the hand-over tests use 65534:65534). */
static void assert_owner(const char *dir, const char *rel, uid_t uid)
{
	char path[PATH_MAX + 64];
	struct stat st;

	join(path, sizeof(path), dir, rel);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, (gid_t)uid);
}

/* Make dir/rel as root with a byte in it. */
static void root_file(const char *dir, const char *rel)
{
	char path[PATH_MAX + 64];

	join(path, sizeof(path), dir, rel);
	assert_int_equal(fio_write_atomic(path, "x", 1, 0600), 0);
}

/* Root restoring into a data directory that belongs to another user (the
 * service user certsrvd runs as): End gives what the restore placed inside
 * the data directory to that user. */
static void test_end_gives_to_owner(void **state)
{
	struct fx *x = *state;
	HCSBC h = NULL;

	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(x->dir, 65534, 65534), 0);
	root_file(x->dir, "/db/ca.db");
	root_file(x->dir, "/logs/ca00000001.log");
	root_file(x->dir, "/logs/ca00000002.log");
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 2), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_owner(x->dir, "/restore/restore.env", 0);
	assert_hr(CertSrvRestoreEnd(h), S_OK);
	assert_owner(x->dir, "/restore", 65534);
	assert_owner(x->dir, "/restore/restore.env", 65534);
	assert_owner(x->dir, "/db/ca.db", 65534);
	assert_owner(x->dir, "/logs", 65534);
	assert_owner(x->dir, "/logs/ca00000001.log", 65534);
	assert_owner(x->dir, "/logs/ca00000002.log", 65534);
}

/* A registered file with another hard link (here to a root file outside
 * the registration) is not given away: E_ACCESSDENIED, both links stay
 * root's, the registration is still ended. */
static void test_end_refuses_linked_file(void **state)
{
	struct fx *x = *state;
	char a[PATH_MAX + 64], b[PATH_MAX + 64];
	struct restore_state st;
	HCSBC h = NULL;

	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(x->dir, 65534, 65534), 0);
	root_file(x->dir, "/db/ca.db");
	root_file(x->dir, "/secret");
	join(a, sizeof(a), x->dir, "/secret");
	join(b, sizeof(b), x->dir, "/logs/ca00000001.log");
	assert_int_equal(link(a, b), 0);
	assert_hr(CertSrvRestorePrepare(x->dir, CSRESTORE_TYPE_FULL, &h), S_OK);
	assert_hr(reg_full8(x, h, 1, 1), S_OK);
	assert_hr(CertSrvRestoreRegisterComplete(h, S_OK), S_OK);
	assert_hr(CertSrvRestoreEnd(h), E_ACCESSDENIED);
	assert_owner(x->dir, "/secret", 0);
	load(x, &st);
	assert_int_equal(st.ended, 1);
	restorereg_release(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exports),
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_full_two_incrementals),
		T(test_w_and_utf8_identical),
		T(test_incremental_before_full),
		T(test_interlock),
		T(test_complete_failure),
		T(test_end_without_registrations),
		T(test_continue_later),
		T(test_map_elsewhere),
		T(test_end_gives_to_owner),
		T(test_end_refuses_linked_file),
		T(test_bad_arguments),
		T(test_save_failure),
		T(test_registration_limit),
		T(test_access_denied),
		T(test_prepare_while_online),
		T(test_server_control_shutdown),
		T(test_server_control_flags),
		T(test_server_control_refused),
		T(test_server_control_waits_for_lock),
		T(test_locations_restore_handle),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
