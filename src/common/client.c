/*
 * client.c — the client end of the protocol: server-name resolution,
 * connection, request/reply calls. Shared by libcertadm and the CLI.
 *
 * Guarantees: never logs; no global state (the default data directory is
 * read from the environment with secure_getenv() at each resolution); the
 * socket is close-on-exec and has 300 s send/receive timeouts; a call's
 * reply must carry the call's request id. After a transport or protocol
 * failure the connection is marked broken and later calls fail with
 * -ENOTCONN. A struct cs_client is used by one thread at a time.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/client.h"
#include "common/errors.h"
#include "common/fileio.h"

#define CLIENT_TIMEOUT_SEC 300
#define CLIENT_SOCKET_REL "run/certsrvd.sock"
#define CLIENT_MAX_ERRMSG 4096

struct cs_client {
	int fd;
	uint32_t next_id;
	int broken;
};

/* Does server name this machine (NULL, "", "localhost", our hostname)? */
static int client_is_local(const char *server)
{
	char host[256];

	if (server == NULL || *server == '\0' || strcasecmp(server, "localhost") == 0)
		return 1;
	if (gethostname(host, sizeof(host)) < 0)
		return 0;
	host[sizeof(host) - 1] = '\0';
	return host[0] != '\0' && strcasecmp(server, host) == 0;
}

static int client_is_path(const char *server)
{
	return server[0] == '/' || strncmp(server, "./", 2) == 0 ||
	       strncmp(server, "../", 3) == 0 || strcmp(server, ".") == 0 ||
	       strcmp(server, "..") == 0;
}

int client_data_dir(const char *server, char **out)
{
	const char *dir;

	*out = NULL;
	if (client_is_local(server)) {
		dir = secure_getenv("CERTSRV_DATA_DIR");
		if (dir == NULL || *dir == '\0')
			dir = CERTSRV_DEFAULT_DATA_DIR;
	} else if (strncmp(server, "unix:", 5) == 0) {
		return server[5] != '\0' ? 0 : CS_E_INVALID;
	} else if (client_is_path(server)) {
		dir = server;
	} else {
		return CS_E_INVALID; /* remote host: not supported yet */
	}
	*out = strdup(dir);
	return *out != NULL ? 0 : -ENOMEM;
}

int client_socket_path(const char *server, char **out)
{
	char *dir = NULL;
	int r;

	*out = NULL;
	r = client_data_dir(server, &dir);
	if (r < 0)
		return r;
	if (dir == NULL)
		*out = strdup(server + 5); /* "unix:PATH" */
	else
		*out = fio_join(dir, CLIENT_SOCKET_REL);
	free(dir);
	return *out != NULL ? 0 : -ENOMEM;
}

static int client_set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_SEC, .tv_usec = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* connect(), finishing a connection interrupted by a signal. */
static int client_connect_fd(int fd, const struct sockaddr_un *sa)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int err = 0;

	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 0;
	if (errno != EINTR)
		return -errno;
	while (poll(&pfd, 1, CLIENT_TIMEOUT_SEC * 1000) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -errno;
	return -err;
}

int client_connect(const char *server, struct cs_client **out)
{
	struct sockaddr_un sa;
	struct cs_client *c = NULL;
	char *path = NULL;
	size_t plen;
	int fd = -1;
	int r;

	*out = NULL;
	r = client_socket_path(server, &path);
	if (r < 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	plen = strlen(path);
	if (plen >= sizeof(sa.sun_path)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	memcpy(sa.sun_path, path, plen + 1);

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		r = -ENOMEM;
		goto out;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = client_set_timeouts(fd);
	if (r < 0)
		goto out;
	r = client_connect_fd(fd, &sa);
	if (r == -ENOENT || r == -ECONNREFUSED)
		r = CS_E_OFFLINE;
	if (r < 0)
		goto out;
	c->fd = fd;
	c->next_id = 1;
	*out = c;
	c = NULL;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(c);
	free(path);
	return r;
}

void client_close(struct cs_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int client_fd(const struct cs_client *c)
{
	return c->fd;
}

/* A u32 two's-complement status back to an int, without implementation-
 * defined conversions. */
static int client_status_code(uint32_t v)
{
	if (v < 0x80000000u)
		return (int)v;
	return -(int)(~v) - 1;
}

/* Decode a PROTO_REPLY_ERR payload: the server's negative code, or
 * CS_E_PROTO if the status is missing or not negative. */
static int client_decode_error(const struct buf *reply, char **errmsg)
{
	struct proto_reader rd;
	uint32_t raw;
	int code, r;

	proto_reader_init(&rd, reply->data, reply->len);
	if (proto_get_u32(&rd, PT_STATUS, &raw) < 0)
		return CS_E_PROTO;
	code = client_status_code(raw);
	if (code >= 0)
		return CS_E_PROTO;
	if (errmsg == NULL)
		return code;
	r = proto_get_str(&rd, PT_MESSAGE, CLIENT_MAX_ERRMSG, errmsg);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*errmsg = strdup(cs_strerror(code));
		if (*errmsg == NULL)
			return -ENOMEM;
	}
	return code;
}

/* After a send failed with send_err: a server that refused the connection
 * (a connection cap) wrote an error reply with request id 0 and closed; the
 * reply is still queued here. Its code if so, else send_err. */
static int client_refusal(struct cs_client *c, struct buf *reply,
			  char **errmsg, int send_err)
{
	struct proto_hdr h;

	if (send_err != -EPIPE && send_err != -ECONNRESET)
		return send_err;
	if (proto_recv(c->fd, &h, reply) == 0 && h.req_id == 0 &&
	    h.type == PROTO_REPLY_ERR)
		return client_decode_error(reply, errmsg);
	return send_err;
}

int client_call(struct cs_client *c, struct buf *req, struct buf *reply,
		char **errmsg)
{
	struct proto_hdr h;
	uint32_t id;
	int r;

	if (errmsg != NULL)
		*errmsg = NULL;
	if (c->broken)
		return -ENOTCONN;
	if (req->oom)
		return -ENOMEM;
	if (req->len < PROTO_HDR_LEN)
		return CS_E_INVALID;
	id = c->next_id++;
	if (c->next_id == 0)
		c->next_id = 1;
	be32_store(req->data + 8, id);
	r = proto_finish(req);
	if (r < 0)
		return r;

	r = proto_send(c->fd, req);
	if (r < 0) {
		r = client_refusal(c, reply, errmsg, r);
		goto broken;
	}
	r = proto_recv(c->fd, &h, reply);
	if (r < 0)
		goto broken;
	if (h.req_id != id) {
		/* Id 0: the server's word on the connection itself (a cap, a
		 * timeout, a bad frame) before it closed it. */
		r = h.req_id == 0 && h.type == PROTO_REPLY_ERR
		    ? client_decode_error(reply, errmsg) : CS_E_PROTO;
		goto broken;
	}
	if (h.type == PROTO_REPLY_OK)
		return 0;
	if (h.type == PROTO_REPLY_ERR)
		return client_decode_error(reply, errmsg);
	r = CS_E_PROTO;
broken:
	c->broken = 1;
	return r;
}
