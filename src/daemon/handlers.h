/*
 * handlers.h — one function per protocol request type.
 *
 * handle_request() checks the peer's role for the type, runs the handler and
 * always produces a complete reply message in `reply` (an error reply with a
 * code and a sentence when anything fails). It never closes the connection;
 * it returns 1 when the request asked the daemon to stop, else 0.
 */
#ifndef CERTSRV_DAEMON_HANDLERS_H
#define CERTSRV_DAEMON_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/proto.h"
#include "daemon/server.h"

/* One request being handled: what every handler works with. */
struct req {
	struct conn *c;
	struct daemon *d;
	struct proto_reader r;   /* the request's fields */
	struct buf *reply;       /* the reply being built */
	uint32_t req_id;
	int sent;                /* the handler wrote its reply to the socket
				    itself (bulk data): nothing more to send */
	char err[512];           /* the sentence for an error reply */
};

/* Put a sentence for the error reply into x->err; returns code. */
int req_fail(struct req *x, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Begin a success reply (fields are then added with proto_put_*). */
int req_reply_ok(struct req *x);

/* Returns 1 when the request asked the daemon to stop, else 0; sets *sent
 * when the reply already went out on the socket. */
int handle_request(struct conn *c, const struct proto_hdr *h,
		   const uint8_t *payload, size_t len, struct buf *reply,
		   int *sent);

#endif
