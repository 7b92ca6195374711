/*
 * session.c — HCSBC handles: connection ownership, read hint, buffers.
 *
 * Invariants: a live session has magic == SESSION_MAGIC and either kind
 * SESSION_BACKUP with a non-NULL client (and no restore context) or kind
 * SESSION_RESTORE with a non-NULL restore context (and no client);
 * session_free() clears the magic before freeing; the hint is 0
 * until the first OpenFile sets it, and is then one of the powers of two in
 * SESSION_HINT_MIN..SESSION_HINT_MAX; the request and reply buffers are
 * owned by the session and released with it.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/client.h"
#include "common/errors.h"
#include "restore.h"
#include "session.h"

#define SESSION_MAGIC 0x43534243u /* "CSBC" */

struct session {
	uint32_t magic;
	enum session_kind kind;
	uint32_t backup_type;
	uint32_t hint; /* 0 = not set yet */
	struct cs_client *client;   /* SESSION_BACKUP */
	struct restore_ctx *restore; /* SESSION_RESTORE */
	struct buf req;
	struct buf reply;
};

int session_connect(const char *server, enum session_kind kind,
		    uint32_t backup_type, struct session **out)
{
	struct session *s;
	int r;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	buf_init(&s->req);
	buf_init(&s->reply);
	r = client_connect(server, &s->client);
	if (r < 0)
		goto out;
	s->magic = SESSION_MAGIC;
	s->kind = kind;
	s->backup_type = backup_type;
	*out = s;
	s = NULL;
out:
	session_free(s);
	return r;
}

int session_new_restore(struct restore_ctx *ctx, struct session **out)
{
	struct session *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		restore_ctx_free(ctx);
		return -ENOMEM;
	}
	buf_init(&s->req);
	buf_init(&s->reply);
	s->magic = SESSION_MAGIC;
	s->kind = SESSION_RESTORE;
	s->restore = ctx;
	*out = s;
	return 0;
}

void session_free(struct session *s)
{
	if (s == NULL)
		return;
	s->magic = 0;
	client_close(s->client);
	restore_ctx_free(s->restore);
	buf_release(&s->req);
	buf_release(&s->reply);
	free(s);
}

struct session *session_from_handle(void *handle, enum session_kind kind)
{
	struct session *s = handle;

	if (s == NULL || s->magic != SESSION_MAGIC || s->kind != kind)
		return NULL;
	if (kind == SESSION_BACKUP ? s->client == NULL : s->restore == NULL)
		return NULL;
	return s;
}

struct restore_ctx *session_restore_ctx(const struct session *s)
{
	return s->restore;
}

uint32_t session_backup_type(const struct session *s)
{
	return s->backup_type;
}

uint32_t session_round_hint(uint32_t hint)
{
	uint32_t p = SESSION_HINT_MIN;

	if (hint == 0)
		return SESSION_HINT_DEFAULT;
	while (p < hint && p < SESSION_HINT_MAX)
		p <<= 1;
	return p;
}

void session_set_hint(struct session *s, uint32_t hint)
{
	if (s->hint == 0)
		s->hint = session_round_hint(hint);
}

uint32_t session_hint(const struct session *s)
{
	return s->hint != 0 ? s->hint : SESSION_HINT_DEFAULT;
}

struct buf *session_begin(struct session *s, uint16_t type)
{
	proto_begin(&s->req, type, 0); /* a failure is kept in ->oom */
	return &s->req;
}

int session_call(struct session *s, struct proto_reader *rd)
{
	int r;

	r = client_call(s->client, &s->req, &s->reply, NULL);
	if (r < 0)
		return r;
	proto_reader_init(rd, s->reply.data, s->reply.len);
	return 0;
}
