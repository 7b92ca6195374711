/*
 * control.c — daemon presence (PING + the data directory's lock) and
 * PROTO_SHUTDOWN with a bounded wait (see control.h).
 *
 * Invariants: every connection made here is closed before the function
 * returns; no exchange can block longer than its budget (socket timeouts
 * are set before the request is sent); the lock probe never creates or
 * writes the lock file and holds its shared lock only between flock() and
 * close().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/client.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/proto.h"
#include "control.h"

#define CONTROL_LOCK_REL "run/certsrvd.lock"
#define CONTROL_WAIT_PING_MS 1000u /* bound of one PING while waiting */

static uint64_t control_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void control_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000u,
			       .tv_nsec = (long)(ms % 1000u) * 1000000L };

	nanosleep(&ts, NULL); /* an interruption only shortens one poll */
}

/* Send and receive timeouts of timeout_ms (at least 1 ms) on fd. */
static int control_set_timeouts(int fd, unsigned timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000u,
			      .tv_usec = (suseconds_t)(timeout_ms % 1000u) * 1000 };

	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

int control_check_name(const char *server)
{
	char *path = NULL;
	int r;

	r = client_socket_path(server, &path);
	free(path);
	return r;
}

/* One PING bounded by timeout_ms. *answered = 1 if the server sent a reply
 * (OK or error). Returns the exchange's code (only informative). */
static int control_ping(const char *server, unsigned timeout_ms, int *answered)
{
	struct cs_client *c = NULL;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	char *msg = NULL;
	int r;

	*answered = 0;
	r = client_connect(server, &c);
	if (r < 0)
		goto out;
	r = control_set_timeouts(client_fd(c), timeout_ms);
	if (r < 0)
		goto out;
	proto_begin(&req, PROTO_PING, 0);
	r = client_call(c, &req, &reply, &msg);
	if (r == 0 || msg != NULL)
		*answered = 1;
out:
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
	free(msg);
	return r;
}

/* 1 if a process holds DATADIR/run/certsrvd.lock, 0 if not (or if there is
 * no such file, no data directory ("unix:" names), or the file cannot be
 * opened), -ENOMEM. */
static int control_lock_held(const char *server)
{
	char *dir = NULL, *path = NULL;
	int fd = -1, r, err;

	r = client_data_dir(server, &dir);
	if (r < 0 || dir == NULL)
		goto out;
	path = fio_join(dir, CONTROL_LOCK_REL);
	if (path == NULL) {
		r = -ENOMEM;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		goto out; /* r == 0: no evidence of a daemon */
	do {
		r = flock(fd, LOCK_SH | LOCK_NB);
		err = errno;
	} while (r < 0 && err == EINTR);
	r = (r < 0 && err == EWOULDBLOCK) ? 1 : 0;
out:
	if (fd >= 0)
		close(fd); /* releases the shared lock, if taken */
	free(dir);
	free(path);
	return r;
}

int control_daemon_running(const char *server, unsigned timeout_ms)
{
	int answered = 0, r;

	r = control_check_name(server);
	if (r < 0)
		return r;
	control_ping(server, timeout_ms, &answered);
	if (answered)
		return 1;
	return control_lock_held(server);
}

int control_shutdown(const char *server, unsigned timeout_ms, unsigned poll_ms)
{
	struct cs_client *c = NULL;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	uint64_t start, elapsed;
	unsigned left;
	int r;

	r = client_connect(server, &c);
	if (r < 0)
		goto out;
	proto_begin(&req, PROTO_SHUTDOWN, 0);
	r = client_call(c, &req, &reply, NULL);
	client_close(c);
	c = NULL;
	if (r < 0)
		goto out;
	start = control_now_ms();
	for (;;) {
		elapsed = control_now_ms() - start;
		if (elapsed >= timeout_ms) {
			r = -ETIMEDOUT;
			break;
		}
		left = timeout_ms - (unsigned)elapsed;
		r = control_daemon_running(server, left < CONTROL_WAIT_PING_MS
							   ? left
							   : CONTROL_WAIT_PING_MS);
		if (r <= 0)
			break; /* gone (0) or a bad name / ENOMEM */
		elapsed = control_now_ms() - start;
		if (elapsed >= timeout_ms) {
			r = -ETIMEDOUT;
			break;
		}
		left = timeout_ms - (unsigned)elapsed;
		control_sleep_ms(left < poll_ms ? left : poll_ms);
	}
out:
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
	return r;
}
