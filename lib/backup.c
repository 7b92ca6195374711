/*
 * backup.c — backup-session protocol exchanges (see backup.h).
 *
 * Invariants: every exchange is one request and one reply on the session's
 * connection; replies are decoded with the bounded proto_get_*() readers
 * and checked for the fields docs/protocol.md promises (a missing or
 * malformed field is CS_E_PROTO); a READ reply never writes past the
 * caller's buffer (a reply longer than requested is rejected before any
 * copy).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "common/client.h"
#include "common/errors.h"

int backup_ping(const char *server)
{
	struct cs_client *c = NULL;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	int r;

	r = client_connect(server, &c);
	if (r < 0)
		goto out;
	proto_begin(&req, PROTO_PING, 0);
	r = client_call(c, &req, &reply, NULL);
out:
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
	return r;
}

int backup_prepare(const char *server, uint32_t grbit, uint32_t flags,
		   struct session **out)
{
	struct session *s = NULL;
	struct proto_reader rd;
	struct buf *req;
	int r;

	*out = NULL;
	r = session_connect(server, SESSION_BACKUP, flags, &s);
	if (r < 0)
		goto out;
	req = session_begin(s, PROTO_BACKUP_PREPARE);
	proto_put_u32(req, PT_FLAGS, flags);
	proto_put_u32(req, PT_GRBIT, grbit);
	r = session_call(s, &rd);
	if (r < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	session_free(s);
	return r;
}

int backup_list(struct session *s, uint16_t type, enum lists_tags tags,
		enum lists_flavour flavour, void **out, uint32_t *cb)
{
	struct proto_reader rd;
	const uint8_t *v;
	size_t len;
	int r;

	*out = NULL;
	*cb = 0;
	session_begin(s, type);
	r = session_call(s, &rd);
	if (r < 0)
		return r;
	r = proto_get_bytes(&rd, PT_LIST, &v, &len);
	if (r < 0)
		return r == -ENOENT ? CS_E_PROTO : r;
	return lists_build(v, len, tags, flavour, out, cb);
}

int backup_open(struct session *s, const char *path, uint32_t hint,
		int64_t *size)
{
	struct proto_reader rd;
	struct buf *req;
	uint64_t v;
	int r;

	*size = 0;
	req = session_begin(s, PROTO_BACKUP_OPEN);
	r = proto_put_str(req, PT_PATH, path);
	if (r < 0)
		return r == CS_E_TOOBIG ? CS_E_INVALID : r;
	r = session_call(s, &rd);
	if (r < 0)
		return r;
	session_set_hint(s, hint);
	r = proto_get_u64(&rd, PT_SIZE, &v);
	if (r < 0)
		return r == -ENOENT ? CS_E_PROTO : r;
	if (v > (uint64_t)INT64_MAX)
		return CS_E_PROTO;
	*size = (int64_t)v;
	return 0;
}

int backup_read(struct session *s, void *buf, uint32_t cb, uint32_t *got)
{
	struct proto_reader rd;
	struct buf *req;
	const uint8_t *data;
	uint32_t done = 0, want;
	size_t n;
	int r = 0;

	*got = 0;
	while (done < cb) {
		want = cb - done;
		if (want > session_hint(s))
			want = session_hint(s);
		req = session_begin(s, PROTO_BACKUP_READ);
		proto_put_u32(req, PT_LENGTH, want);
		r = session_call(s, &rd);
		if (r < 0)
			break;
		r = proto_get_bytes(&rd, PT_DATA, &data, &n);
		if (r < 0 || n > want) {
			r = (r < 0 && r != -ENOENT) ? r : CS_E_PROTO;
			break;
		}
		if (n > 0)
			memcpy((uint8_t *)buf + done, data, n);
		done += (uint32_t)n;
		if (n < want)
			break; /* end of file */
	}
	if (r == 0)
		*got = done;
	return r;
}

int backup_simple(struct session *s, uint16_t type)
{
	struct proto_reader rd;

	session_begin(s, type);
	return session_call(s, &rd);
}

int backup_end(struct session *s)
{
	int r;

	r = backup_simple(s, PROTO_BACKUP_END);
	session_free(s);
	return r;
}
