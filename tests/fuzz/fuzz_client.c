/*
 * fuzz_client.c — fuzz harness of the client side of the protocol: how
 * libcertadm (lib/ over src/common/client.c and proto.c) decodes what a
 * server sends back, through the public CertSrv* API exactly as backup
 * software calls it.
 *
 * A fake server thread listens on a real Unix socket in a private temporary
 * directory and answers every connection with the input's bytes (after the
 * first, which chooses the call pattern), then shuts its sending side and
 * drains what the client sends until the client closes. The harness then
 * makes the documented backup calls on "unix:PATH", in the UTF-8 or the
 * UTF-16 flavour: [IsServerOnline], Prepare, GetDatabaseNames, OpenFile
 * (the first listed name), Read until 0 bytes (bounded), Close,
 * GetBackupLogs, GetDynamicFileList, RestoreGetDatabaseLocations,
 * TruncateLogs, End. The replies reach every decoder: frame header and
 * length, request id match, OK and ERR replies (status, message), PT_LIST
 * in tagged and untagged lists and both flavours, PT_SIZE, PT_DATA.
 *
 * Checks the API's promises whatever the server sent: every HRESULT is S_OK
 * or a failure with a message; a failed call returns no buffer and a zero
 * size; a returned list is a whole number of units, every entry (tagged
 * where the call says so) a non-empty string ending in a NUL unit, and
 * the list ends with a second NUL unit exactly at *pcbSize bytes (an empty
 * list is two NUL units); Read never
 * reports more than the buffer (whose exact size lets ASan see any write
 * past it); a file size is never negative. Any broken promise aborts.
 *
 * First byte: bit 0 UTF-16 flavour, bits 1-2 the Read buffer size (16,
 * 4096, 65536 or 300000 bytes), bit 3 IsServerOnline first (on its own
 * connection, answered with the same bytes), bit 4 LOGS_ONLY instead of
 * FULL. Builds with the replay main (make check) or clang -fsanitize=fuzzer.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <certsrv/certbcli.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define READ_ROUNDS 64        /* Read calls per open file, at most */
#define SERVE_WAIT_MS 10000   /* a client silent this long is dropped */

static char g_dir[256];
static char g_sock[300];
static char g_server[310];
static WCHAR g_server_w[310];
static int g_listen = -1;

struct fake {
	const uint8_t *data;
	size_t size;
	int stop_fd;
};

static void check(int cond)
{
	if (!cond)
		abort();
}

static void cleanup(void)
{
	if (g_listen >= 0)
		close(g_listen);
	unlink(g_sock);
	rmdir(g_dir);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	struct sockaddr_un sa;
	size_t i;

	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(g_dir, sizeof(g_dir), "%s/fuzz-client.XXXXXX", tmp);
	check(mkdtemp(g_dir) != NULL);
	snprintf(g_sock, sizeof(g_sock), "%s/s", g_dir);
	snprintf(g_server, sizeof(g_server), "unix:%s", g_sock);
	for (i = 0; g_server[i]; i++)
		g_server_w[i] = (unsigned char)g_server[i];
	g_server_w[i] = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	check(strlen(g_sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, g_sock, strlen(g_sock) + 1);
	g_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	check(g_listen >= 0);
	check(bind(g_listen, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	check(listen(g_listen, 16) == 0);
	atexit(cleanup);
}

/* One connection: send the whole input, shut the sending side, drain the
 * client's requests until it closes. */
static void serve_conn(const struct fake *f, int fd)
{
	char sink[4096];
	size_t off = 0;
	int shut = 0;
	ssize_t n;
	struct pollfd p;

	for (;;) {
		if (off == f->size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = 1;
		}
		p.fd = fd;
		p.events = POLLIN | (off < f->size ? POLLOUT : 0);
		p.revents = 0;
		n = poll(&p, 1, SERVE_WAIT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (p.revents & POLLOUT) {
			n = send(fd, f->data + off, f->size - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				off = f->size; /* the client is gone */
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, sink, sizeof(sink));
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				break;
		}
	}
	close(fd);
}

static void *serve(void *arg)
{
	const struct fake *f = arg;
	struct pollfd p[2];
	int fd;

	for (;;) {
		p[0].fd = g_listen;
		p[0].events = POLLIN;
		p[1].fd = f->stop_fd;
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			fd = accept4(g_listen, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				serve_conn(f, fd);
			continue;
		}
		if (p[1].revents)
			break;
	}
	return NULL;
}

static void check_hr(HRESULT hr)
{
	check(hr == S_OK || FAILED(hr));
	check(CertSrvGetErrorMessage(hr) != NULL);
}

/* The unit at index i of a list of `unit`-byte units. */
static unsigned unit_at(const uint8_t *p, size_t unit, size_t i)
{
	uint16_t w;

	if (unit == 1)
		return p[i];
	memcpy(&w, p + 2 * i, 2);
	return w;
}

/* The promises about a returned list; its units are `unit` bytes. */
static void check_list(HRESULT hr, const void *list, DWORD cb, size_t unit,
		       int tagged)
{
	const uint8_t *p = list;
	size_t n, i = 0, start;

	check_hr(hr);
	if (FAILED(hr)) {
		check(list == NULL && cb == 0);
		return;
	}
	check(list != NULL && cb >= 2 * unit && cb % unit == 0);
	n = cb / unit;
	while (i < n && unit_at(p, unit, i) != 0) {
		start = i;
		if (tagged)
			i++; /* the tag unit, non-zero */
		while (i < n && unit_at(p, unit, i) != 0)
			i++;
		check(i < n && i > start + (tagged ? 1u : 0u));
		i++; /* the entry's NUL */
	}
	if (i == 0) /* an empty list: two NUL units */
		check(n == 2 && unit_at(p, unit, 1) == 0);
	else
		check(i == n - 1 && unit_at(p, unit, i) == 0);
}

/* OpenFile on name (a string of the API's flavour), Read to the end. */
static void read_file(HCSBC h, const void *name, int wide, DWORD cb)
{
	LARGE_INTEGER size;
	uint8_t *buf = malloc(cb);
	DWORD got;
	HRESULT hr;
	int i;

	check(buf != NULL);
	size.QuadPart = -1;
	hr = wide ? CertSrvBackupOpenFileW(h, name, 0, &size)
		  : CertSrvBackupOpenFile(h, name, 0, &size);
	check_hr(hr);
	if (hr == S_OK) {
		check(size.QuadPart >= 0);
		for (i = 0; i < READ_ROUNDS; i++) {
			got = 0xFFFFFFFFu;
			hr = CertSrvBackupRead(h, buf, cb, &got);
			check_hr(hr);
			check(got <= cb && (hr == S_OK || got == 0));
			if (hr != S_OK || got == 0)
				break;
		}
		check_hr(CertSrvBackupClose(h));
	}
	free(buf);
}

/* A list call in the chosen flavour; returns the list (caller frees). */
typedef HRESULT (*list_fn8)(HCSBC, char **, DWORD *);
typedef HRESULT (*list_fnw)(HCSBC, WCHAR **, DWORD *);

static void *get_list(HCSBC h, int wide, list_fn8 f8, list_fnw fw, int tagged)
{
	DWORD cb = 12345;
	void *list = (void *)1;
	HRESULT hr;

	if (wide)
		hr = fw(h, (WCHAR **)&list, &cb);
	else
		hr = f8(h, (char **)&list, &cb);
	check_list(hr, list, cb, wide ? 2 : 1, tagged);
	return list;
}

static void run_calls(uint8_t mode)
{
	static const DWORD sizes[4] = { 16, 4096, 65536, 300000 };
	int wide = mode & 1;
	DWORD cb = sizes[(mode >> 1) & 3];
	ULONG type = (mode & 16) ? CSBACKUP_TYPE_LOGS_ONLY : CSBACKUP_TYPE_FULL;
	HCSBC h = (HCSBC)1;
	BOOL online = 7;
	uint8_t *names, *logs;
	HRESULT hr;

	if (mode & 8) {
		hr = wide ? CertSrvIsServerOnlineW(g_server_w, &online)
			  : CertSrvIsServerOnline(g_server, &online);
		check_hr(hr);
		check(online == (hr == S_OK));
	}
	hr = wide ? CertSrvBackupPrepareW(g_server_w, 0, type, &h)
		  : CertSrvBackupPrepare(g_server, 0, type, &h);
	check_hr(hr);
	check((hr == S_OK) == (h != NULL));
	if (hr != S_OK)
		return;
	names = get_list(h, wide, CertSrvBackupGetDatabaseNames,
			 CertSrvBackupGetDatabaseNamesW, 1);
	if (names != NULL)
		read_file(h, names + (wide ? 2 : 1), wide, cb); /* after the tag */
	CertSrvBackupFree(names);
	logs = get_list(h, wide, CertSrvBackupGetBackupLogs,
			CertSrvBackupGetBackupLogsW, 1);
	if (logs != NULL)
		read_file(h, logs + (wide ? 2 : 1), wide, cb);
	CertSrvBackupFree(logs);
	CertSrvBackupFree(get_list(h, wide, CertSrvBackupGetDynamicFileList,
				   CertSrvBackupGetDynamicFileListW, 0));
	CertSrvBackupFree(get_list(h, wide, CertSrvRestoreGetDatabaseLocations,
				   CertSrvRestoreGetDatabaseLocationsW, 1));
	check_hr(CertSrvBackupTruncateLogs(h));
	check_hr(CertSrvBackupEnd(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake f;
	pthread_t th;
	uint64_t one = 1;

	if (size < 1)
		return 0;
	if (g_listen < 0)
		setup();
	f.data = data + 1;
	f.size = size - 1;
	f.stop_fd = eventfd(0, EFD_CLOEXEC);
	check(f.stop_fd >= 0);
	check(pthread_create(&th, NULL, serve, &f) == 0);
	run_calls(data[0]);
	check(write(f.stop_fd, &one, sizeof(one)) == sizeof(one));
	check(pthread_join(th, NULL) == 0);
	close(f.stop_fd);
	return 0;
}
