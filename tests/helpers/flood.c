/*
 * flood.c — test-only misbehaving clients of certsrvd, for
 * tests/integration/90-limits.sh (connection caps and receive deadlines).
 *
 *   flood SOCKET hold N STOPFILE MAXSEC
 *       open N connections one after the other; each sends PING and reads
 *       the reply (OK: the connection holds a slot; an error: refused).
 *       Prints "accepted A refused R failed F", then "refusal: CODE MESSAGE"
 *       for the first refusal, then "holding"; keeps the accepted ones open
 *       until STOPFILE exists or MAXSEC seconds passed; prints "released".
 *   flood SOCKET silent MAXSEC       connect and send nothing
 *   flood SOCKET half-header MAXSEC  connect, send 8 of a header's 16 bytes
 *   flood SOCKET trickle MAXSEC      PING, then a header announcing 1 MiB and
 *                                    one payload byte every 100 ms
 *       These three print "closed: CODE MESSAGE" (the server's last word),
 *       "closed without a reply", or "still open after MAXSEC s".
 *   flood SOCKET idle-ping SEC       PING, stay idle SEC seconds, PING again;
 *       prints "second ping ok" or why not.
 *
 * Every wait is bounded (MAXSEC ≤ 600). Exit status 0 unless the arguments
 * or the first connection fail: the calling test judges the printed lines.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/proto.h"

#define MAX_CONNS 1000

static int
connect_to(const char *path)
{
	struct sockaddr_un sa;
	struct timeval tv = { 10, 0 };
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read one reply: 0 for OK; 1 for an error reply (its code and message in
 * *code, msg); -1 if the connection ended or timed out without one. */
static int
read_reply(int fd, int *code, char *msg, size_t msglen)
{
	struct buf in = BUF_INIT;
	struct proto_reader rd;
	struct proto_hdr h;
	const uint8_t *m;
	size_t mlen = 0;
	uint32_t raw = 0;
	int r = -1;

	if (proto_recv(fd, &h, &in) < 0)
		goto out;
	r = h.type == PROTO_REPLY_OK ? 0 : 1;
	proto_reader_init(&rd, in.data, in.len);
	(void)proto_get_u32(&rd, PT_STATUS, &raw);
	*code = (int)raw;
	if (proto_get_bytes(&rd, PT_MESSAGE, &m, &mlen) < 0)
		mlen = 0;
	if (mlen >= msglen)
		mlen = msglen - 1;
	memcpy(msg, mlen ? (const char *)m : "", mlen);
	msg[mlen] = '\0';
out:
	buf_release(&in);
	return r;
}

/* Send PING and read its reply, as read_reply. */
static int
ping(int fd, int *code, char *msg, size_t msglen)
{
	struct buf b = BUF_INIT;
	int r;

	proto_begin(&b, PROTO_PING, 1);
	r = proto_finish(&b);
	if (r == 0)
		(void)proto_send(fd, &b); /* a refused one may fail: read why */
	buf_release(&b);
	return r < 0 ? -1 : read_reply(fd, code, msg, msglen);
}

static int
hold(const char *sock, int n, const char *stopfile, int maxsec)
{
	static int fds[MAX_CONNS];
	char msg[256], first[300] = "";
	int i, r, code = 0, acc = 0, ref = 0, bad = 0;
	double until;

	for (i = 0; i < n; i++) {
		fds[i] = connect_to(sock);
		r = fds[i] < 0 ? -1 : ping(fds[i], &code, msg, sizeof(msg));
		if (r == 0) {
			acc++;
			continue;
		}
		if (r == 1) {
			ref++;
			if (!first[0])
				snprintf(first, sizeof(first), "%d %s", code, msg);
		} else {
			bad++;
		}
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	printf("accepted %d refused %d failed %d\n", acc, ref, bad);
	printf("refusal: %s\n", first[0] ? first : "none");
	printf("holding\n");
	fflush(stdout);
	until = now_s() + maxsec;
	while (access(stopfile, F_OK) != 0 && now_s() < until)
		usleep(50000);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("released\n");
	return 0;
}

/* Wait until the server closes fd (reading its last reply, if any) or
 * `until` passes; print the outcome. With trickle, send one more payload
 * byte every 100 ms meanwhile. */
static void
await_close(int fd, double until, int trickle)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char msg[256];
	int code = 0, r;

	while (now_s() < until) {
		if (poll(&p, 1, 100) > 0) {
			r = read_reply(fd, &code, msg, sizeof(msg));
			if (r == 1)
				printf("closed: %d %s\n", code, msg);
			else if (r < 0)
				printf("closed without a reply\n");
			else
				printf("unexpected OK reply\n");
			return;
		}
		if (trickle && send(fd, "x", 1, MSG_NOSIGNAL) != 1) {
			trickle = 0; /* closed: the next poll reads why */
		}
	}
	printf("still open after the time limit\n");
}

static int
slow(const char *sock, const char *mode, int maxsec)
{
	uint8_t hdr[PROTO_HDR_LEN];
	struct proto_hdr h = { PROTO_MAGIC, PROTO_VERSION, PROTO_SUBMIT, 7,
			       1024u * 1024u };
	char msg[256];
	int fd = connect_to(sock), code = 0, trickle = 0;

	if (fd < 0) {
		perror("flood: connect");
		return 1;
	}
	proto_hdr_encode(hdr, &h);
	if (!strcmp(mode, "half-header")) {
		if (send(fd, hdr, 8, MSG_NOSIGNAL) != 8)
			printf("send failed: %s\n", strerror(errno));
	} else if (!strcmp(mode, "trickle")) {
		if (ping(fd, &code, msg, sizeof(msg)) != 0)
			printf("first ping failed: %d %s\n", code, msg);
		if (send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL) != (ssize_t)sizeof(hdr))
			printf("send failed: %s\n", strerror(errno));
		trickle = 1;
	}
	await_close(fd, now_s() + maxsec, trickle);
	close(fd);
	return 0;
}

static int
idle_ping(const char *sock, int sec)
{
	char msg[256] = "";
	int fd = connect_to(sock), code = 0;

	if (fd < 0) {
		perror("flood: connect");
		return 1;
	}
	if (ping(fd, &code, msg, sizeof(msg)) != 0)
		printf("first ping failed: %d %s\n", code, msg);
	sleep((unsigned)sec);
	if (ping(fd, &code, msg, sizeof(msg)) == 0)
		printf("second ping ok\n");
	else
		printf("second ping failed: %d %s\n", code, msg);
	close(fd);
	return 0;
}

/* A count or a number of seconds, clamped to 1..max. */
static int
bounded(const char *s, int max)
{
	long n = strtol(s, NULL, 10);

	return n < 1 ? 1 : n > max ? max : (int)n;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[2], "hold"))
		return hold(argv[1], bounded(argv[3], MAX_CONNS), argv[4],
			    bounded(argv[5], 600));
	if (argc == 4 && (!strcmp(argv[2], "silent") ||
			  !strcmp(argv[2], "half-header") ||
			  !strcmp(argv[2], "trickle")))
		return slow(argv[1], argv[2], bounded(argv[3], 600));
	if (argc == 4 && !strcmp(argv[2], "idle-ping"))
		return idle_ping(argv[1], bounded(argv[3], 600));
	fprintf(stderr, "usage: flood SOCKET hold N STOPFILE MAXSEC\n"
		"       flood SOCKET silent|half-header|trickle MAXSEC\n"
		"       flood SOCKET idle-ping SEC\n");
	return 2;
}
