/*
 * client.h — the client end of the protocol: find the server's socket,
 * connect, make calls. Shared by libcertadm and the certsrv CLI. Never logs.
 *
 * Server names (DESIGN section 7): NULL, "", "localhost" or this host's name
 * mean the default data directory ($CERTSRV_DATA_DIR, else /var/lib/certsrv);
 * a path starting with '/' or "./" or "../" is a data directory; "unix:PATH" is
 * a socket path. Any other name is a remote host, which is not supported yet
 * (CS_E_INVALID).
 */
#ifndef CERTSRV_COMMON_CLIENT_H
#define CERTSRV_COMMON_CLIENT_H

#include <stdint.h>

#include "common/buf.h"
#include "common/proto.h"

#define CERTSRV_DEFAULT_DATA_DIR "/var/lib/certsrv"

/* The data directory a server name designates, malloc'd (caller frees), or
 * NULL in *out for "unix:" names. Returns 0, CS_E_INVALID or -ENOMEM. */
int client_data_dir(const char *server, char **out);
/* The socket path of a server name, malloc'd (caller frees). */
int client_socket_path(const char *server, char **out);

struct cs_client;

/* Connect: 0 and *out (free with client_close), CS_E_OFFLINE if nobody
 * listens at the socket, or another negative code. */
int client_connect(const char *server, struct cs_client **out);
void client_close(struct cs_client *c);
int client_fd(const struct cs_client *c);

/* Make one call. `req` must be a message begun with proto_begin() (the
 * request id is filled in here) and not yet finished. On success the reply
 * payload is in `reply` and:
 *  - 0 for PROTO_REPLY_OK,
 *  - the server's negative code for PROTO_REPLY_ERR; *errmsg (if non-NULL)
 *    then receives the server's sentence, malloc'd (caller frees).
 * Transport failures return a negative code with *errmsg left NULL. */
int client_call(struct cs_client *c, struct buf *req, struct buf *reply,
		char **errmsg);

#endif
