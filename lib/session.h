/*
 * session.h — the object behind an HCSBC handle. Two kinds:
 *   - a BACKUP session (CertSrvBackupPrepare): one connection to certsrvd
 *     (a struct cs_client of src/common/client.h), the session type, the
 *     read hint, and the request/reply buffers reused by every call. It
 *     lives exactly as long as its connection: the server ties a backup
 *     session to the connection, so freeing the session (closing the
 *     socket) aborts whatever the server still holds for it;
 *   - a RESTORE session (CertSrvRestorePrepare): no connection (the CA is
 *     offline during a restore), only the restore context of lib/restore.h,
 *     which the session owns.
 *
 * Guarantees: no shared state between sessions (different sessions may be
 * used from different threads; one session by one thread at a time);
 * session_free() accepts NULL; a handle that is not a live session (NULL,
 * or a session already freed whose memory still reads as freed) is
 * recognised by session_from_handle() on a best-effort basis (a magic
 * number cleared on free).
 */
#ifndef CERTSRV_LIB_SESSION_H
#define CERTSRV_LIB_SESSION_H

#include <stdint.h>

#include "common/buf.h"
#include "common/proto.h"

/* Read sizes (bytes per PROTO_BACKUP_READ request). */
#define SESSION_HINT_DEFAULT (1u << 20)   /* cbReadHintSize 0 */
#define SESSION_HINT_MIN (64u << 10)
#define SESSION_HINT_MAX PROTO_MAX_READ  /* 4 MiB */

enum session_kind {
	SESSION_BACKUP = 1,  /* from CertSrvBackupPrepare */
	SESSION_RESTORE = 2, /* from CertSrvRestorePrepare */
};

struct session;
struct restore_ctx; /* lib/restore.h */

/* Connect to a server name (client_connect() semantics) and make a session
 * of the given kind and backup type. 0 and *out (free with session_free),
 * or a negative code (CS_E_OFFLINE, CS_E_INVALID, -ENOMEM, ...). */
int session_connect(const char *server, enum session_kind kind,
		    uint32_t backup_type, struct session **out);
/* Make a RESTORE session around ctx. The session owns ctx from this call
 * on, also when it fails (ctx is then freed). 0 and *out, or -ENOMEM. */
int session_new_restore(struct restore_ctx *ctx, struct session **out);
/* Close the connection (backup) or free the restore context (restore), and
 * free the session; accepts NULL. */
void session_free(struct session *s);

/* The session behind a handle, or NULL if the handle is NULL or does not
 * designate a live session of that kind. */
struct session *session_from_handle(void *handle, enum session_kind kind);

/* The restore context of a RESTORE session (borrowed; NULL for a backup
 * session). */
struct restore_ctx *session_restore_ctx(const struct session *s);

/* The CSBACKUP_TYPE_* the session was prepared with. */
uint32_t session_backup_type(const struct session *s);

/* The read hint rule: 0 -> SESSION_HINT_DEFAULT; otherwise rounded up to a
 * power of two and clamped to SESSION_HINT_MIN..SESSION_HINT_MAX. */
uint32_t session_round_hint(uint32_t hint);
/* Record cbReadHintSize: only the first call of a session counts (backup.c
 * calls it after a successful OpenFile). */
void session_set_hint(struct session *s, uint32_t hint);
/* The read size in effect (SESSION_HINT_DEFAULT before any OpenFile). */
uint32_t session_hint(const struct session *s);

/* Begin a request of `type` in the session's request buffer and return that
 * buffer for proto_put_*() (the session owns it; valid until the next
 * session_begin()). */
struct buf *session_begin(struct session *s, uint16_t type);
/* Send the begun request and wait for the reply. 0 with *rd reading the
 * reply payload (borrowed from the session; valid until the next call), or
 * the server's error code, or a transport code. */
int session_call(struct session *s, struct proto_reader *rd);

#endif
