/*
 * apibackup.c — one full online backup through the backup API into a
 * directory, timed in parts (see apibackup.h). Every loop ends when the API
 * reports the end of a file or of a list; an API failure ends the backup
 * (CertSrvBackupClose and CertSrvBackupEnd are still called).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <certsrv/certbcli.h>

#include "apibackup.h"
#include "benchutil.h"
#include "common/fileio.h"

static int
api_fail(const struct api_backup *b, const char *what, HRESULT hr)
{
	fprintf(stderr, "%s: %s failed: 0x%08X %s\n", b->prog, what,
		(unsigned)hr, CertSrvGetErrorMessage(hr));
	return -1;
}

/* len bytes of buf to fd, in write()s of at most b->write_chunk bytes. */
static int
write_chunked(const struct api_backup *b, int fd, const char *buf, size_t len)
{
	size_t off, n;
	int r = 0;

	for (off = 0; r == 0 && off < len; off += n) {
		n = len - off < b->write_chunk ? len - off : b->write_chunk;
		r = fio_write_full(fd, buf + off, n);
	}
	return r;
}

/* Read the open file into fd (nothing written with discard), with the
 * write-behind `certsrv backup` uses (fio_write_behind). */
static int
pump(HCSBC h, int fd, struct api_backup *b)
{
	struct fio_behind wb = { 0, 0 };
	uint64_t written = 0;
	DWORD got = 0;
	HRESULT hr;
	double t;
	int r;

	for (;;) {
		t = bench_now_s();
		hr = CertSrvBackupRead(h, b->buf, API_READ_BUFFER, &got);
		b->read += bench_now_s() - t;
		if (hr != S_OK)
			return api_fail(b, "CertSrvBackupRead", hr);
		if (got == 0)
			return 0;
		if (!b->discard) {
			t = bench_now_s();
			r = write_chunked(b, fd, b->buf, got);
			if (r < 0) {
				fprintf(stderr, "%s: write: %s\n", b->prog, strerror(-r));
				return -1;
			}
			written += got;
			fio_write_behind(fd, &wb, written);
			b->write += bench_now_s() - t;
		}
		b->bytes += got;
	}
}

/* Copy one listed file (name without its tag) to b->dir, fsync'd. */
static int
copy_file(HCSBC h, const char *name, struct api_backup *b)
{
	const char *base = strrchr(name, '/');
	char path[PATH_MAX];
	LARGE_INTEGER size;
	HRESULT hr;
	double t;
	int fd = -1, r;

	if (bench_join(path, sizeof(path), b->dir, base ? base + 1 : name) < 0)
		return -1;
	hr = CertSrvBackupOpenFile(h, name, API_READ_BUFFER, &size);
	if (hr != S_OK)
		return api_fail(b, "CertSrvBackupOpenFile", hr);
	if (!b->discard)
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	r = fd < 0 && !b->discard ? -1 : pump(h, fd, b);
	t = bench_now_s();
	if (r == 0 && fd >= 0 && fsync(fd) < 0)
		r = -1;
	b->sync += bench_now_s() - t;
	if (fd >= 0)
		close(fd);
	hr = CertSrvBackupClose(h);
	return r == 0 && hr == S_OK ? 0 : -1;
}

/* Every entry of a tagged list (each name after its one-byte tag). */
static int
copy_list(HCSBC h, const char *list, struct api_backup *b)
{
	const char *e;
	int r = 0;

	for (e = list; r == 0 && *e; e += strlen(e) + 1)
		r = copy_file(h, e + 1, b);
	return r;
}

int
api_full_backup(const char *server, struct api_backup *b)
{
	char *list = NULL;
	DWORD cb = 0;
	HCSBC h = NULL;
	HRESULT hr;
	int r;

	hr = CertSrvBackupPrepare(server, 0, CSBACKUP_TYPE_FULL, &h);
	if (hr != S_OK)
		return api_fail(b, "CertSrvBackupPrepare", hr);
	hr = CertSrvBackupGetDatabaseNames(h, &list, &cb);
	r = hr == S_OK ? copy_list(h, list, b)
		       : api_fail(b, "CertSrvBackupGetDatabaseNames", hr);
	CertSrvBackupFree(list);
	list = NULL;
	if (r == 0) {
		hr = CertSrvBackupGetBackupLogs(h, &list, &cb);
		r = hr == S_OK ? copy_list(h, list, b)
			       : api_fail(b, "CertSrvBackupGetBackupLogs", hr);
	}
	CertSrvBackupFree(list);
	hr = CertSrvBackupEnd(h);
	if (r == 0 && hr != S_OK)
		r = api_fail(b, "CertSrvBackupEnd", hr);
	return r;
}
