/*
 * server.c — the listener and the connection threads of certsrvd.
 *
 * Guarantees: a malformed, oversized or truncated frame never takes the
 * daemon down — the connection gets an error reply where one can still be
 * sent and is closed; a peer that vanishes mid-request only ends its own
 * thread; at stop, no reply in flight is cut off (the read side of every
 * connection is shut, the write side stays open until the thread is done).
 *
 * Limits (docs/config.md [limits]): a connection takes a slot only if the
 * total and its peer uid's count are under their caps, so one uid cannot
 * exhaust the slots others need; a message is received against a deadline
 * (not a per-read timeout, which a trickling peer resets with every byte);
 * the payload buffer grows as bytes arrive, so an announced size commits no
 * memory. The accept loop never spins: out of descriptors, it pauses.
 */
#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
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

/* Pieces in which a payload is received (and its buffer grown). */
#define RECV_PIECE (256u * 1024u)
/* Descriptors a connection may hold: socket, reader's ca.db and -wal, a
 * backup log file. */
#define FDS_PER_CONN 4

static void
set_timeouts(int fd, int seconds)
{
	struct timeval tv = { seconds, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
send_error(int fd, uint32_t req_id, int code, const char *msg)
{
	struct buf b = BUF_INIT;

	if (proto_error_reply(&b, req_id, code, msg) == 0)
		(void)proto_send(fd, &b);
	buf_release(&b);
}

/* Wait until fd is readable (or at EOF): 0, -ETIMEDOUT once deadline
 * (CLOCK_MONOTONIC ms) has passed, or -errno. */
static int
wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Read exactly len bytes before deadline: 0, 1 if EOF came before the
 * first byte, -EPIPE on EOF after some, -ETIMEDOUT, or -errno. */
static int
read_by(int fd, uint8_t *p, size_t len, int64_t deadline)
{
	size_t done = 0;
	ssize_t n;
	int r;

	while (done < len) {
		r = wait_readable(fd, deadline);
		if (r < 0)
			return r;
		n = recv(fd, p + done, len - done, MSG_DONTWAIT);
		if (n == 0)
			return done ? -EPIPE : 1;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

/* How a receive ended without a message. */
enum recv_end {
	RECV_IDLE,    /* no byte within the idle time: close quietly */
	RECV_SLOW,    /* first message or a started one not complete in time */
};

/* Receive one message against the connection's deadlines (see server.h).
 * Returns 0, -ECONNRESET on EOF before a message, -EPIPE on EOF inside one,
 * -ETIMEDOUT (*end says which deadline), CS_E_PROTO / CS_E_TOOBIG, or
 * -errno. */
static int
recv_message(struct conn *c, struct proto_hdr *h, struct buf *in,
	     enum recv_end *end)
{
	const struct config *cfg = c->d->cfg;
	uint8_t raw[PROTO_HDR_LEN];
	int64_t deadline;
	size_t piece;
	int r;

	buf_reset(in);
	*end = c->served ? RECV_IDLE : RECV_SLOW;
	if (c->served)
		deadline = now_ms() + (int64_t)cfg->idle_timeout_sec * 1000;
	else
		deadline = c->accepted_ms +
			   (int64_t)cfg->first_message_timeout_sec * 1000;
	r = read_by(c->fd, raw, 1, deadline);
	if (r == 1)
		return -ECONNRESET;
	if (r < 0)
		return r;
	*end = RECV_SLOW;
	if (c->served)
		deadline = now_ms() + (int64_t)cfg->message_timeout_sec * 1000;
	r = read_by(c->fd, raw + 1, sizeof(raw) - 1, deadline);
	if (r == 0)
		r = proto_hdr_decode(raw, h);
	while (r == 0 && in->len < h->len) {
		piece = h->len - in->len;
		if (piece > RECV_PIECE)
			piece = RECV_PIECE;
		r = buf_reserve(in, piece);
		if (r == 0)
			r = read_by(c->fd, in->data + in->len, piece, deadline);
		if (r == 1)
			r = -EPIPE;
		if (r == 0)
			in->len += piece;
	}
	if (r < 0)
		return r;
	return proto_validate(in->data, in->len);
}

/* Tell a peer that was too slow why it is cut off (best effort: the reply
 * must fit in the socket buffer within a second). */
static void
send_timeout(struct conn *c)
{
	const struct config *cfg = c->d->cfg;
	char msg[160];

	if (c->served)
		snprintf(msg, sizeof(msg), "a message must arrive complete "
			 "within %d s of its first byte (message_timeout_sec)",
			 cfg->message_timeout_sec);
	else
		snprintf(msg, sizeof(msg), "no complete request within %d s "
			 "of connecting (first_message_timeout_sec)",
			 cfg->first_message_timeout_sec);
	set_timeouts(c->fd, 1);
	send_error(c->fd, 0, -ETIMEDOUT, msg);
}

/* Serve one connection until the peer goes away, a frame is bad or late,
 * or a stop. */
static void
serve(struct conn *c)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct proto_hdr h;
	enum recv_end end;
	int r, stop, sent;

	r = authz_identify(c->fd, c->d->cfg, &c->peer);
	if (r < 0)
		goto out;
	set_timeouts(c->fd, SERVER_IO_TIMEOUT_SEC);
	for (;;) {
		r = recv_message(c, &h, &in, &end);
		if (r == CS_E_PROTO || r == CS_E_TOOBIG) {
			send_error(c->fd, 0, r, r == CS_E_TOOBIG
				   ? "message larger than the protocol allows"
				   : "malformed message");
			break;
		}
		if (r == -ETIMEDOUT && end == RECV_SLOW)
			send_timeout(c);
		if (r < 0)
			break;   /* peer gone, timed out, or stop */
		c->served++;
		buf_reset(&out);
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

	(void)pthread_setname_np(pthread_self(), "conn");
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

/* Take a slot for fd, whose peer is uid: its index, or -1 with a reason in
 * why if the server is stopping or a cap is reached. */
static int
take_slot(struct daemon *d, int fd, uid_t uid, char *why, size_t whylen)
{
	const struct config *cfg = d->cfg;
	int i, slot = -1, same = 0;

	pthread_mutex_lock(&d->conns_lock);
	for (i = 0; i < SERVER_MAX_CONNS; i++)
		if (d->conn_fds[i] >= 0 && d->conn_uids[i] == uid)
			same++;
	if (atomic_load(&d->stopping))
		snprintf(why, whylen, "the server is stopping");
	else if (d->n_conns >= cfg->max_connections)
		snprintf(why, whylen, "too many connections (max_connections "
			 "= %d); try again later", cfg->max_connections);
	else if (same >= cfg->max_connections_per_uid)
		snprintf(why, whylen, "too many connections from uid %u "
			 "(max_connections_per_uid = %d); try again later",
			 (unsigned)uid, cfg->max_connections_per_uid);
	else
		for (i = 0; i < SERVER_MAX_CONNS; i++) {
			if (d->conn_fds[i] < 0) {
				d->conn_fds[i] = fd;
				d->conn_uids[i] = uid;
				d->n_conns++;
				slot = i;
				break;
			}
		}
	pthread_mutex_unlock(&d->conns_lock);
	return slot;
}

/* The connecting process's uid, from the kernel (SO_PEERCRED). */
static int
peer_uid(int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	*uid = cr.uid;
	return 0;
}

static void
start_conn(struct daemon *d, int fd)
{
	pthread_attr_t attr;
	pthread_t t;
	struct conn *c;
	char why[128] = "cannot identify the peer";
	uid_t uid = 0;
	int slot = -1;

	if (peer_uid(fd, &uid) == 0)
		slot = take_slot(d, fd, uid, why, sizeof(why));
	if (slot < 0) {
		/* A new socket's buffer is empty: the reply fits at once. */
		set_timeouts(fd, 1);
		send_error(fd, 0, CS_E_BUSY, why);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c) {
		c->d = d;
		c->fd = fd;
		c->slot = slot;
		c->accepted_ms = now_ms();
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

/* Make room for every connection's descriptors: raise the soft
 * RLIMIT_NOFILE towards the hard limit if it is too low (best effort; the
 * accept loop copes with EMFILE anyway). */
static void
raise_fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->max_connections * FDS_PER_CONN + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
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
	raise_fd_limit(d->cfg);
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
	int fd, wait_ms = -1;

	while (!atomic_load(&d->stopping)) {
		if (poll(fds, 3, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents || fds[2].revents)
			break;
		/* Out of descriptors, the pending connection stays queued and
		 * the listener readable: poll only the stop descriptors for a
		 * moment instead of spinning on accept. */
		fds[0].fd = d->listen_fd;
		wait_ms = -1;
		if (!(fds[0].revents & POLLIN))
			continue;
		fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			start_conn(d, fd);
		} else if (errno == EMFILE || errno == ENFILE ||
			   errno == ENOBUFS || errno == ENOMEM) {
			fds[0].fd = -1;
			wait_ms = 100;
		}
	}
	atomic_store(&d->stopping, 1);
	close(d->listen_fd);
	d->listen_fd = -1;
	(void)unlink(d->socket_path);
	return drain_connections(d);
}
