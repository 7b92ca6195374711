/*
 * backup.h — the server side of the online backup API (DESIGN section 5).
 *
 * A session belongs to the connection that prepared it and there is at most
 * one per CA. Each function handles one protocol request of the session
 * (docs/protocol.md "Backup") and enforces the documented call order; an
 * out-of-order call changes nothing and is answered with CS_E_SEQUENCE
 * (E_UNEXPECTED at the API). Only paths the session listed can be opened.
 */
#ifndef CERTSRV_DAEMON_BACKUP_H
#define CERTSRV_DAEMON_BACKUP_H

#include "daemon/handlers.h"

int backup_prepare(struct req *x);
int backup_database_names(struct req *x);
int backup_open(struct req *x);
/* Writes its reply to the socket itself (the file data goes out with
 * sendfile) and sets x->sent. */
int backup_read(struct req *x);
int backup_close(struct req *x);
int backup_logs(struct req *x);
int backup_truncate(struct req *x);
int backup_dynamic_files(struct req *x);
int backup_end(struct req *x);
int backup_restore_locations(struct req *x);

/* A request that writes to the CA (submit, issue, deny, revoke, unrevoke,
 * CRL) starts (begin) and ends (end): for backup_busy_rate_mb the CA is busy
 * while one is in flight and for a moment after the last one. */
void backup_ca_write_begin(struct daemon *d);
void backup_ca_write_end(struct daemon *d);

/* End the connection's session, if any, without recording it: resumes
 * checkpoints and frees the CA's backup slot. */
void backup_session_abort(struct conn *c);

#endif
