/*
 * backup.h — the backup calls of libcertadm as protocol exchanges with
 * certsrvd (docs/protocol.md "Backup"), in internal codes.
 *
 * These functions take UTF-8 strings and return internal codes (0 or a
 * negative errno / CS_E_* value); lib/certadm.c converts strings at the API
 * edge and maps codes to HRESULTs with lib/hresult.h, so the UTF-8 and the
 * UTF-16 entry points share this one implementation. Arguments are assumed
 * checked by the caller (non-NULL where required). Nothing here logs.
 */
#ifndef CERTSRV_LIB_BACKUP_H
#define CERTSRV_LIB_BACKUP_H

#include <stdint.h>

#include "lists.h"
#include "session.h"

/* Connect, PROTO_PING, disconnect: 0 when the server answers. */
int backup_ping(const char *server);

/* Connect and send PROTO_BACKUP_PREPARE (PT_FLAGS, PT_GRBIT). 0 and *out (a
 * session owning the connection; end it with backup_end()), or a negative
 * code with *out NULL. */
int backup_prepare(const char *server, uint32_t grbit, uint32_t flags,
		   struct session **out);

/* A list-returning call (PROTO_BACKUP_DATABASE_NAMES, _LOGS,
 * _DYNAMIC_FILES, PROTO_RESTORE_LOCATIONS): *out receives a malloc'd list
 * of *cb bytes in the given flavour (lists_build() rules; caller frees with
 * free()). CS_E_PROTO if the reply lacks PT_LIST or it is malformed. */
int backup_list(struct session *s, uint16_t type, enum lists_tags tags,
		enum lists_flavour flavour, void **out, uint32_t *cb);

/* PROTO_BACKUP_OPEN of a listed path (tag removed). Records the read hint
 * (first call of the session only). *size receives the file size. */
int backup_open(struct session *s, const char *path, uint32_t hint,
		int64_t *size);

/* Fill buf[0..cb) from the open file with PROTO_BACKUP_READ requests of at
 * most the session's hint each; *got < cb only at end of file (0 once the
 * end was reached). A reply longer than requested is CS_E_PROTO. */
int backup_read(struct session *s, void *buf, uint32_t cb, uint32_t *got);

/* A call without arguments or results (PROTO_BACKUP_CLOSE, _TRUNCATE). */
int backup_simple(struct session *s, uint16_t type);

/* PROTO_BACKUP_END, then free the session whatever the result (closing the
 * connection aborts the session server-side if END failed). */
int backup_end(struct session *s);

#endif
