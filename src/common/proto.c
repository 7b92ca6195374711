/*
 * proto.c — encoder, bounded decoder and socket I/O of the framed protocol
 * (format in proto.h and docs/protocol.md).
 *
 * Guarantees: decoding never reads outside the bytes it is given; every field
 * length is checked against what is left of the payload; a payload is
 * accepted only when its fields cover it exactly; nothing larger than
 * PROTO_MAX_PAYLOAD is sent or received. proto_send never raises SIGPIPE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/proto.h"

#define PROTO_FIELD_HDR_LEN 6 /* tag u16 + length u32 */

void proto_hdr_encode(uint8_t out[PROTO_HDR_LEN], const struct proto_hdr *h)
{
	be32_store(out, h->magic);
	be16_store(out + 4, h->version);
	be16_store(out + 6, h->type);
	be32_store(out + 8, h->req_id);
	be32_store(out + 12, h->len);
}

int proto_hdr_decode(const uint8_t in[PROTO_HDR_LEN], struct proto_hdr *h)
{
	h->magic = be32_load(in);
	h->version = be16_load(in + 4);
	h->type = be16_load(in + 6);
	h->req_id = be32_load(in + 8);
	h->len = be32_load(in + 12);
	if (h->magic != PROTO_MAGIC || h->version != PROTO_VERSION)
		return CS_E_PROTO;
	if (h->len > PROTO_MAX_PAYLOAD)
		return CS_E_TOOBIG;
	return 0;
}

/* Starts a new message at offset 0 of b (b is reset first). */
int proto_begin(struct buf *b, uint16_t type, uint32_t req_id)
{
	struct proto_hdr h = { PROTO_MAGIC, PROTO_VERSION, type, req_id, 0 };
	uint8_t raw[PROTO_HDR_LEN];

	buf_reset(b);
	proto_hdr_encode(raw, &h);
	return buf_append(b, raw, sizeof(raw));
}

/* A field that can never fit in a payload is still appended (so that
 * proto_finish reports CS_E_TOOBIG even if this result is ignored) and
 * CS_E_TOOBIG is returned; one whose length cannot be encoded at all poisons
 * the buffer (->oom). */
int proto_put_bytes(struct buf *b, uint16_t tag, const void *v, size_t len)
{
	int r;

	if (len > UINT32_MAX) {
		b->oom = 1;
		return CS_E_TOOBIG;
	}
	r = buf_reserve(b, PROTO_FIELD_HDR_LEN + len);
	if (r < 0)
		return r;
	buf_put_u16(b, tag);
	buf_put_u32(b, (uint32_t)len);
	buf_append(b, v, len);
	return len > PROTO_MAX_PAYLOAD - PROTO_FIELD_HDR_LEN ? CS_E_TOOBIG : 0;
}

/* s must not be NULL (CS_E_INVALID, nothing appended). */
int proto_put_str(struct buf *b, uint16_t tag, const char *s)
{
	if (s == NULL)
		return CS_E_INVALID;
	return proto_put_bytes(b, tag, s, strlen(s));
}

int proto_put_u32(struct buf *b, uint16_t tag, uint32_t v)
{
	uint8_t raw[4];

	be32_store(raw, v);
	return proto_put_bytes(b, tag, raw, sizeof(raw));
}

int proto_put_u64(struct buf *b, uint16_t tag, uint64_t v)
{
	uint8_t raw[8];

	be64_store(raw, v);
	return proto_put_bytes(b, tag, raw, sizeof(raw));
}

int proto_finish(struct buf *b)
{
	size_t plen;

	if (b->oom)
		return -ENOMEM;
	if (b->len < PROTO_HDR_LEN)
		return CS_E_INVALID;
	plen = b->len - PROTO_HDR_LEN;
	if (plen > PROTO_MAX_PAYLOAD)
		return CS_E_TOOBIG;
	be32_store(b->data + 12, (uint32_t)plen);
	return 0;
}

/*
 * Step over the field at *off: 0 with its tag, value offset and length, 1 at
 * the end of the payload, CS_E_PROTO if the field does not fit.
 */
static int proto_next(const uint8_t *p, size_t len, size_t *off,
		      uint16_t *tag, size_t *voff, size_t *vlen)
{
	size_t left;
	uint32_t flen;

	if (*off == len)
		return 1;
	left = len - *off;
	if (left < PROTO_FIELD_HDR_LEN)
		return CS_E_PROTO;
	*tag = be16_load(p + *off);
	flen = be32_load(p + *off + 2);
	if (flen > left - PROTO_FIELD_HDR_LEN)
		return CS_E_PROTO;
	*voff = *off + PROTO_FIELD_HDR_LEN;
	*vlen = flen;
	*off = *voff + flen;
	return 0;
}

int proto_validate(const uint8_t *p, size_t len)
{
	size_t off = 0, voff, vlen;
	uint16_t tag;
	int r;

	if (len > PROTO_MAX_PAYLOAD)
		return CS_E_TOOBIG;
	if (p == NULL && len > 0)
		return CS_E_PROTO;
	while ((r = proto_next(p, len, &off, &tag, &voff, &vlen)) == 0)
		;
	return r == 1 ? 0 : r;
}

void proto_reader_init(struct proto_reader *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
}

int proto_get_bytes(const struct proto_reader *r, uint16_t tag,
		    const uint8_t **v, size_t *len)
{
	size_t off = 0, voff, vlen;
	uint16_t t;
	int rc;

	if (r->p == NULL && r->len > 0)
		return CS_E_PROTO;
	while ((rc = proto_next(r->p, r->len, &off, &t, &voff, &vlen)) == 0) {
		if (t != tag)
			continue;
		*v = r->p + voff;
		*len = vlen;
		return 0;
	}
	return rc == 1 ? -ENOENT : rc;
}

/* The value of a fixed-width field: -ENOENT, CS_E_PROTO on another width. */
static int proto_get_fixed(const struct proto_reader *r, uint16_t tag,
			   size_t width, const uint8_t **v)
{
	size_t len;
	int rc;

	rc = proto_get_bytes(r, tag, v, &len);
	if (rc < 0)
		return rc;
	return len == width ? 0 : CS_E_PROTO;
}

int proto_get_u32(const struct proto_reader *r, uint16_t tag, uint32_t *v)
{
	const uint8_t *raw;
	int rc;

	rc = proto_get_fixed(r, tag, 4, &raw);
	if (rc == 0)
		*v = be32_load(raw);
	return rc;
}

int proto_get_u64(const struct proto_reader *r, uint16_t tag, uint64_t *v)
{
	const uint8_t *raw;
	int rc;

	rc = proto_get_fixed(r, tag, 8, &raw);
	if (rc == 0)
		*v = be64_load(raw);
	return rc;
}

int proto_get_str(const struct proto_reader *r, uint16_t tag, size_t max,
		  char **out)
{
	const uint8_t *raw;
	size_t len;
	char *s;
	int rc;

	*out = NULL;
	rc = proto_get_bytes(r, tag, &raw, &len);
	if (rc < 0)
		return rc;
	if (len > max || (len > 0 && memchr(raw, 0, len) != NULL))
		return CS_E_PROTO;
	s = malloc(len + 1);
	if (s == NULL)
		return -ENOMEM;
	if (len > 0)
		memcpy(s, raw, len);
	s[len] = '\0';
	*out = s;
	return 0;
}

/* Write everything; MSG_NOSIGNAL on sockets, plain write() on other fds. */
static int proto_write_all(int fd, const uint8_t *p, size_t len)
{
	int use_write = 0;
	ssize_t n;

	while (len > 0) {
		if (use_write)
			n = write(fd, p, len);
		else
			n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOTSOCK && !use_write) {
				use_write = 1;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int proto_send(int fd, const struct buf *msg)
{
	if (msg->oom)
		return -ENOMEM;
	if (msg->len < PROTO_HDR_LEN ||
	    be32_load(msg->data + 12) != msg->len - PROTO_HDR_LEN)
		return CS_E_INVALID; /* not finished with proto_finish() */
	return proto_write_all(fd, msg->data, msg->len);
}

/* Read exactly len bytes: 0, 1 if EOF came before the first byte, -EPIPE on
 * EOF after some bytes, -ETIMEDOUT on a socket timeout, or -errno. */
static int proto_read_exact(int fd, uint8_t *p, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			return -errno;
		}
		if (n == 0)
			return done == 0 ? 1 : -EPIPE;
		done += (size_t)n;
	}
	return 0;
}

int proto_recv(int fd, struct proto_hdr *h, struct buf *payload)
{
	uint8_t raw[PROTO_HDR_LEN];
	int r;

	buf_reset(payload);
	r = proto_read_exact(fd, raw, sizeof(raw));
	if (r == 1)
		return -ECONNRESET;
	if (r < 0)
		return r;
	r = proto_hdr_decode(raw, h);
	if (r < 0)
		return r;
	r = buf_reserve(payload, h->len);
	if (r < 0)
		return r;
	if (h->len > 0) {
		r = proto_read_exact(fd, payload->data, h->len);
		if (r == 1)
			return -EPIPE;
		if (r < 0)
			return r;
	}
	payload->len = h->len;
	return proto_validate(payload->data, payload->len);
}

/* A non-negative code is reported as CS_E_INTERNAL; a NULL msg is replaced by
 * cs_strerror(code). */
int proto_error_reply(struct buf *b, uint32_t req_id, int code, const char *msg)
{
	if (code >= 0)
		code = CS_E_INTERNAL;
	if (msg == NULL)
		msg = cs_strerror(code);
	proto_begin(b, PROTO_REPLY_ERR, req_id);
	proto_put_u32(b, PT_STATUS, (uint32_t)code);
	proto_put_str(b, PT_MESSAGE, msg);
	return proto_finish(b);
}
