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

int handle_request(struct conn *c, const struct proto_hdr *h,
		   const uint8_t *payload, size_t len, struct buf *reply);

#endif
