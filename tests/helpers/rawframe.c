/*
 * rawframe.c — test helper: speak the certsrvd protocol byte by byte, so a
 * test can send frames no client library would build (bad magic, lying
 * lengths, fields that overrun, split writes, trailing garbage) and see
 * exactly what the daemon answers.
 *
 *   rawframe [-t SECONDS] SOCKET STEP...
 *
 * Steps are run in order on one connection. Building (into a send buffer):
 *   frame TYPE ID            start a frame: header with magic, version 1
 *   hdr MAGIC VER TYPE ID LEN   a raw 16-byte header, nothing checked
 *   u32 TAG N | u64 TAG N    a field holding a big-endian integer
 *   str TAG TEXT             a field holding TEXT (no NUL)
 *   hex TAG HEX              a field holding the bytes HEX
 *   fill TAG COUNT           a field holding COUNT bytes 'A'
 *   field TAG LEN            a field header claiming LEN bytes, no value
 *   end [LEN]                set the payload length of the frame started
 *                            last: what follows its header, or LEN
 *   raw HEX                  raw bytes
 * Exchanging:
 *   send                     write the buffer in one write() (then empty it)
 *   split N                  write it in N-byte writes, 1 ms apart
 *   shut                     shutdown(SHUT_WR): the peer sees end of input
 *   sh COMMAND               run COMMAND with /bin/sh, between two
 *                            exchanges (e.g. to change a file mid-session)
 *   recv                     read one reply and print one line:
 *       OK id=N [tag=len ...] [serial=HEX] [rid=N] [size=N]
 *       ERR id=N status=NAME msg=TEXT
 *       EOF                  (connection closed before a reply)
 *       TIMEOUT              (nothing within -t seconds, default 10)
 *       BADREPLY ...         (a reply that breaks the protocol)
 * Numbers take C syntax (0x.., decimal). Exit: 0 once every step ran, 2 on
 * a usage error, 3 if the socket cannot be reached (printed as
 * "CONNECT <errno name>"). Deciding pass/fail is the caller's job.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/proto.h"

#define MAX_SHOWN 8

static const struct {
	int code;
	const char *name;
} status_names[] = {
	{ CS_E_CORRUPT, "CORRUPT" }, { CS_E_FAILED_STATE, "FAILED_STATE" },
	{ CS_E_PROTO, "PROTO" }, { CS_E_NOTFOUND, "NOTFOUND" },
	{ CS_E_EXISTS, "EXISTS" }, { CS_E_DENIED, "DENIED" },
	{ CS_E_BADCSR, "BADCSR" }, { CS_E_BADSIG, "BADSIG" },
	{ CS_E_PROFILE, "PROFILE" }, { CS_E_PROFILE_DENIED, "PROFILE_DENIED" },
	{ CS_E_STATE, "STATE" }, { CS_E_LINEAGE, "LINEAGE" },
	{ CS_E_GAP, "GAP" }, { CS_E_CONFIG, "CONFIG" },
	{ CS_E_TOOBIG, "TOOBIG" }, { CS_E_BUSY, "BUSY" },
	{ CS_E_OFFLINE, "OFFLINE" }, { CS_E_INVALID, "INVALID" },
	{ CS_E_POLICY, "POLICY" }, { CS_E_UNKNOWN_TYPE, "UNKNOWN_TYPE" },
	{ CS_E_SHUTDOWN, "SHUTDOWN" }, { CS_E_INTERNAL, "INTERNAL" },
	{ CS_E_BACKUP_IN_PROGRESS, "BACKUP_IN_PROGRESS" },
	{ CS_E_MISSING_FULL, "MISSING_FULL" },
	{ CS_E_BACKUP_SEQUENCE, "BACKUP_SEQUENCE" },
	{ CS_E_SEQUENCE, "SEQUENCE" },
};

/* The send buffer and where the frame being built starts in it. */
struct out {
	struct buf b;
	size_t frame_at;
	int in_frame;
};

static void
usage(const char *why)
{
	fprintf(stderr, "rawframe: %s\nusage: rawframe [-t SECONDS] SOCKET STEP...\n",
		why);
	exit(2);
}

static unsigned long long
num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0')
		usage("not a number");
	return v;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append the bytes spelled by HEX (an even number of digits). */
static void
put_hex(struct buf *b, const char *hex)
{
	size_t i, n = strlen(hex);
	int hi, lo;

	if (n % 2)
		usage("odd number of hex digits");
	for (i = 0; i < n; i += 2) {
		hi = hexval(hex[i]);
		lo = hexval(hex[i + 1]);
		if (hi < 0 || lo < 0)
			usage("bad hex digit");
		buf_put_u8(b, (uint8_t)(hi << 4 | lo));
	}
}

static void
put_fill(struct buf *b, uint16_t tag, size_t count)
{
	buf_put_u16(b, tag);
	buf_put_u32(b, (uint32_t)count);
	if (buf_reserve(b, count) < 0)
		usage("out of memory");
	memset(b->data + b->len, 'A', count);
	b->len += count;
}

static void
frame_end(struct out *o, const char *len)
{
	uint32_t plen;

	if (!o->in_frame)
		usage("end without frame");
	plen = len ? (uint32_t)num(len)
		   : (uint32_t)(o->b.len - o->frame_at - PROTO_HDR_LEN);
	be32_store(o->b.data + o->frame_at + 12, plen);
	o->in_frame = 0;
}

static int
write_all(int fd, const uint8_t *p, size_t n, size_t piece)
{
	struct timespec ms = { 0, 1000000 };
	size_t k;
	ssize_t w;

	while (n > 0) {
		k = n < piece ? n : piece;
		w = send(fd, p, k, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			printf("SENDFAIL %s\n", strerrorname_np(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
		if (piece < SIZE_MAX && n > 0)
			nanosleep(&ms, NULL);
	}
	return 0;
}

/* Read exactly n bytes: 0, 1 on EOF before any byte, -1 on EOF after some
 * bytes or an error, -2 on the receive timeout. */
static int
read_exact(int fd, uint8_t *p, size_t n)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = read(fd, p + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -2;
		if (r < 0 && errno == ECONNRESET && done == 0)
			return 1;
		if (r < 0)
			return -1;
		if (r == 0)
			return done == 0 ? 1 : -1;
		done += (size_t)r;
	}
	return 0;
}

static const char *
status_name(int code)
{
	static char other[32];
	size_t i;

	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (status_names[i].code == code)
			return status_names[i].name;
	snprintf(other, sizeof(other), "%d", code);
	return other;
}

static void
print_ok(const struct proto_hdr *h, const struct proto_reader *rd)
{
	const uint8_t *v;
	size_t len;
	uint64_t u;
	unsigned tag;
	int shown = 0;

	printf("OK id=%u", (unsigned)h->req_id);
	for (tag = 1; tag <= PT_DATA; tag++) {
		if (proto_get_bytes(rd, tag, &v, &len) < 0)
			continue;
		printf(" %u=%zu", (unsigned)tag, len);
		if (tag == PT_SERIAL && len < 80)
			printf(" serial=%.*s", (int)len, (const char *)v);
		if (tag == PT_REQUEST_ID && proto_get_u64(rd, tag, &u) == 0)
			printf(" rid=%llu", (unsigned long long)u);
		if (tag == PT_SIZE && proto_get_u64(rd, tag, &u) == 0)
			printf(" size=%llu", (unsigned long long)u);
		if (++shown == MAX_SHOWN)
			break;
	}
	printf("\n");
}

static void
print_err(const struct proto_hdr *h, const struct proto_reader *rd)
{
	const uint8_t *v = NULL;
	size_t len = 0;
	uint32_t st = 0;

	if (proto_get_u32(rd, PT_STATUS, &st) < 0) {
		printf("BADREPLY error reply without a status\n");
		return;
	}
	(void)proto_get_bytes(rd, PT_MESSAGE, &v, &len);
	printf("ERR id=%u status=%s msg=%.*s\n", (unsigned)h->req_id,
	       status_name((int)st), (int)len, v ? (const char *)v : "");
}

static void
recv_one(int fd)
{
	uint8_t raw[PROTO_HDR_LEN];
	struct proto_hdr h;
	struct proto_reader rd;
	struct buf p = BUF_INIT;
	int r;

	r = read_exact(fd, raw, sizeof(raw));
	if (r == 1 || r == -1) {
		printf("EOF%s\n", r == -1 ? " (inside a header)" : "");
		return;
	}
	if (r == -2) {
		printf("TIMEOUT\n");
		return;
	}
	if (proto_hdr_decode(raw, &h) < 0) {
		printf("BADREPLY header\n");
		return;
	}
	if (buf_reserve(&p, h.len) < 0 || read_exact(fd, p.data, h.len) != 0) {
		printf("BADREPLY short payload\n");
		goto out;
	}
	p.len = h.len;
	if (proto_validate(p.data, p.len) < 0) {
		printf("BADREPLY fields\n");
		goto out;
	}
	proto_reader_init(&rd, p.data, p.len);
	if (h.type == PROTO_REPLY_OK)
		print_ok(&h, &rd);
	else if (h.type == PROTO_REPLY_ERR)
		print_err(&h, &rd);
	else
		printf("BADREPLY type 0x%x\n", (unsigned)h.type);
out:
	buf_release(&p);
}

static int
connect_to(const char *path, int timeout_s)
{
	struct sockaddr_un sa;
	struct timeval tv = { timeout_s, 0 };
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		usage("socket path too long");
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("CONNECT %s\n", strerrorname_np(errno));
		exit(3);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Number of arguments each step takes. */
static int
step_args(const char *s)
{
	static const struct {
		const char *name;
		int n;
	} steps[] = {
		{ "frame", 2 }, { "hdr", 5 }, { "u32", 2 }, { "u64", 2 },
		{ "str", 2 }, { "hex", 2 }, { "fill", 2 }, { "field", 2 },
		{ "end", 0 }, { "raw", 1 }, { "send", 0 }, { "split", 1 },
		{ "shut", 0 }, { "recv", 0 }, { "sh", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (!strcmp(s, steps[i].name))
			return steps[i].n;
	usage("unknown step");
	return 0;
}

static void
put_int_field(struct buf *b, const char *kind, char **a)
{
	uint8_t raw[8];
	int wide = !strcmp(kind, "u64");

	if (wide)
		be64_store(raw, (uint64_t)num(a[1]));
	else
		be32_store(raw, (uint32_t)num(a[1]));
	buf_put_u16(b, (uint16_t)num(a[0]));
	buf_put_u32(b, wide ? 8 : 4);
	buf_append(b, raw, wide ? 8 : 4);
}

/* Run one step; returns the number of arguments it used. */
static int
run_step(int fd, struct out *o, char **a, int left)
{
	const char *s = a[0];
	struct proto_hdr h;
	uint8_t raw[PROTO_HDR_LEN];
	int n = step_args(s);

	if (n > left)
		usage("missing step arguments");
	if (!strcmp(s, "frame") || !strcmp(s, "hdr")) {
		int is_hdr = s[0] == 'h';

		h.magic = is_hdr ? (uint32_t)num(a[1]) : PROTO_MAGIC;
		h.version = is_hdr ? (uint16_t)num(a[2]) : PROTO_VERSION;
		h.type = (uint16_t)num(a[is_hdr ? 3 : 1]);
		h.req_id = (uint32_t)num(a[is_hdr ? 4 : 2]);
		h.len = is_hdr ? (uint32_t)num(a[5]) : 0;
		proto_hdr_encode(raw, &h);
		o->frame_at = o->b.len;
		o->in_frame = !is_hdr;
		buf_append(&o->b, raw, sizeof(raw));
	} else if (!strcmp(s, "u32") || !strcmp(s, "u64")) {
		put_int_field(&o->b, s, a + 1);
	} else if (!strcmp(s, "str")) {
		buf_put_u16(&o->b, (uint16_t)num(a[1]));
		buf_put_u32(&o->b, (uint32_t)strlen(a[2]));
		buf_append(&o->b, a[2], strlen(a[2]));
	} else if (!strcmp(s, "hex")) {
		buf_put_u16(&o->b, (uint16_t)num(a[1]));
		buf_put_u32(&o->b, (uint32_t)(strlen(a[2]) / 2));
		put_hex(&o->b, a[2]);
	} else if (!strcmp(s, "fill")) {
		put_fill(&o->b, (uint16_t)num(a[1]), (size_t)num(a[2]));
	} else if (!strcmp(s, "field")) {
		buf_put_u16(&o->b, (uint16_t)num(a[1]));
		buf_put_u32(&o->b, (uint32_t)num(a[2]));
	} else if (!strcmp(s, "end")) {
		/* An optional LEN: a number right after "end". */
		if (left > 0 && a[1][0] >= '0' && a[1][0] <= '9') {
			frame_end(o, a[1]);
			return 1;
		}
		frame_end(o, NULL);
	} else if (!strcmp(s, "raw")) {
		put_hex(&o->b, a[1]);
	} else if (!strcmp(s, "send") || !strcmp(s, "split")) {
		if (o->b.oom)
			usage("out of memory");
		(void)write_all(fd, o->b.data, o->b.len,
				s[0] == 's' && s[1] == 'e' ? SIZE_MAX
							   : (size_t)num(a[1]));
		buf_reset(&o->b);
		o->in_frame = 0;
	} else if (!strcmp(s, "sh")) {
		fflush(stdout);
		if (system(a[1]) != 0)
			printf("SHFAIL %s\n", a[1]);
	} else if (!strcmp(s, "shut")) {
		shutdown(fd, SHUT_WR);
	} else {
		fflush(stdout);
		recv_one(fd);
	}
	fflush(stdout);
	return n;
}

int
main(int argc, char **argv)
{
	struct out o = { BUF_INIT, 0, 0 };
	int timeout_s = 10, i = 1, fd;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		timeout_s = (int)num(argv[2]);
		i = 3;
	}
	if (i >= argc)
		usage("no socket");
	fd = connect_to(argv[i++], timeout_s);
	while (i < argc)
		i += 1 + run_step(fd, &o, argv + i, argc - i - 1);
	close(fd);
	buf_release(&o.b);
	return 0;
}
