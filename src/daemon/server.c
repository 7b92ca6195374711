/*
 * server.c — the listener and the connection threads of certsrvd.
 *
 * Guarantees: a malformed, oversized or truncated frame never takes the
 * daemon down — the connection gets an error reply where one can still be
 * sent and is closed; a peer that vanishes mid-request only ends its own
 * thread; at stop, no reply in flight is cut off (the read side of every
 * connection is shut, the write side stays open until the thread is done).
 */
#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/proto.h"
#include "daemon/backup.h"
#include "daemon/handlers.h"

int
conn_reader(struct conn *c, sqlite3 **db)
{
	int r = 0;

	if (!c->reader)
		r = db_open_reader(c->d->paths.db_path, &c->reader);
	*db = c->reader;
	return r;
}

static void
set_timeouts(int fd, int seconds)
{
	struct timeval tv = { seconds, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void
send_error(int fd, uint32_t req_id, int code, const char *msg)
{
	struct buf b = BUF_INIT;

	if (proto_error_reply(&b, req_id, code, msg) == 0)
		(void)proto_send(fd, &b);
	buf_release(&b);
}

/* Serve one connection until the peer goes away, a frame is bad, or a stop. */
static void
serve(struct conn *c)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct proto_hdr h;
	int r, stop, sent;

	r = authz_identify(c->fd, c->d->cfg, &c->peer);
	if (r < 0)
		goto out;
	for (;;) {
		set_timeouts(c->fd, SERVER_IDLE_TIMEOUT_SEC);
		r = proto_recv(c->fd, &h, &in);
		if (r == CS_E_PROTO || r == CS_E_TOOBIG) {
			send_error(c->fd, 0, r, r == CS_E_TOOBIG
				   ? "message larger than the protocol allows"
				   : "malformed message");
			break;
		}
		if (r < 0)
			break;   /* peer gone, timed out, or stop */
		buf_reset(&out);
		set_timeouts(c->fd, SERVER_IO_TIMEOUT_SEC);
		stop = handle_request(c, &h, in.data, in.len, &out, &sent);
		if (!sent && proto_send(c->fd, &out) < 0)
			break;
		if (stop) {
			server_request_stop(c->d);
			break;
		}
	}
out:
	buf_release(&in);
	buf_release(&out);
}

static void
release_slot(struct daemon *d, int slot)
{
	pthread_mutex_lock(&d->conns_lock);
	d->conn_fds[slot] = -1;
	d->n_conns--;
	pthread_cond_broadcast(&d->conns_idle);
	pthread_mutex_unlock(&d->conns_lock);
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;

	serve(c);
	/* A backup session belongs to its connection: a client that goes
	 * away aborts it, and everything it paused resumes. */
	backup_session_abort(c);
	db_close(c->reader);
	/* Free the slot before closing, so stop never shuts a reused fd. */
	release_slot(c->d, c->slot);
	close(c->fd);
	free(c);
	return NULL;
}

/* Take a slot for fd: its index, or -1 if the server is full or stopping. */
static int
take_slot(struct daemon *d, int fd)
{
	int i, slot = -1;

	pthread_mutex_lock(&d->conns_lock);
	if (!atomic_load(&d->stopping)) {
		for (i = 0; i < SERVER_MAX_CONNS; i++) {
			if (d->conn_fds[i] < 0) {
				d->conn_fds[i] = fd;
				d->n_conns++;
				slot = i;
				break;
			}
		}
	}
	pthread_mutex_unlock(&d->conns_lock);
	return slot;
}

static void
start_conn(struct daemon *d, int fd)
{
	pthread_attr_t attr;
	pthread_t t;
	struct conn *c;
	int slot;

	slot = take_slot(d, fd);
	if (slot < 0) {
		set_timeouts(fd, 1);
		send_error(fd, 0, CS_E_BUSY, "too many connections; try again");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c) {
		c->d = d;
		c->fd = fd;
		c->slot = slot;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, conn_main, c) == 0) {
			pthread_attr_destroy(&attr);
			return;
		}
		pthread_attr_destroy(&attr);
		free(c);
	}
	release_slot(d, slot);
	close(fd);
}

int
server_listen(struct daemon *d)
{
	struct sockaddr_un sa;
	int fd, r = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(d->socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, d->socket_path, strlen(d->socket_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* We hold the data directory's lock, so a socket file left here is
	 * stale (a previous daemon died): replace it. */
	(void)unlink(d->socket_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(d->socket_path, 0660) < 0 ||
	    (d->cfg->has_socket_group &&
	     chown(d->socket_path, (uid_t)-1, d->cfg->socket_group) < 0) ||
	    listen(fd, 128) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	d->listen_fd = fd;
	return 0;
}

void
server_request_stop(struct daemon *d)
{
	uint64_t one = 1;

	atomic_store(&d->stopping, 1);
	if (write(d->stop_fd, &one, sizeof(one)) < 0) {
		/* the counter can only overflow after 2^64 stops: ignore */
	}
}

/* Shut the read side of every connection (idle readers wake with EOF;
 * requests in flight still send their reply) and wait up to a minute for the
 * threads. Returns how many are still running. */
static int
drain_connections(struct daemon *d)
{
	struct timespec until;
	int i, left;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 60;
	pthread_mutex_lock(&d->conns_lock);
	for (i = 0; i < SERVER_MAX_CONNS; i++)
		if (d->conn_fds[i] >= 0)
			shutdown(d->conn_fds[i], SHUT_RD);
	while (d->n_conns > 0)
		if (pthread_cond_timedwait(&d->conns_idle, &d->conns_lock,
					   &until) == ETIMEDOUT)
			break;
	left = d->n_conns;
	pthread_mutex_unlock(&d->conns_lock);
	return left;
}

int
server_run(struct daemon *d, int sig_fd)
{
	struct pollfd fds[3] = {
		{ d->listen_fd, POLLIN, 0 },
		{ d->stop_fd, POLLIN, 0 },
		{ sig_fd, POLLIN, 0 },
	};
	int fd;

	while (!atomic_load(&d->stopping)) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents || fds[2].revents)
			break;
		if (!(fds[0].revents & POLLIN))
			continue;
		fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			start_conn(d, fd);
	}
	atomic_store(&d->stopping, 1);
	close(d->listen_fd);
	d->listen_fd = -1;
	(void)unlink(d->socket_path);
	return drain_connections(d);
}
