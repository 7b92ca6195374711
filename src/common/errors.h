/*
 * errors.h — the project's internal error codes.
 *
 * Internal functions return 0 on success or a negative number: either a
 * negated errno value (-ENOENT, -EIO, ...) or one of the CS_E_* codes below,
 * which live in a range far below any errno so the two never collide.
 * cs_strerror() names every code of both spaces. The client library maps
 * these codes to HRESULTs in exactly one table (lib/).
 */
#ifndef CERTSRV_COMMON_ERRORS_H
#define CERTSRV_COMMON_ERRORS_H

enum cs_error {
	CS_E_BASE = -20000,
	CS_E_CORRUPT = -20001,       /* stored data failed its checks */
	CS_E_FAILED_STATE = -20002,  /* log writer is in its sticky failed state */
	CS_E_PROTO = -20003,         /* malformed protocol message */
	CS_E_NOTFOUND = -20004,      /* no such request / certificate / object */
	CS_E_EXISTS = -20005,        /* object already exists */
	CS_E_DENIED = -20006,        /* the peer lacks the needed role */
	CS_E_BADCSR = -20007,        /* request could not be parsed */
	CS_E_BADSIG = -20008,        /* request signature does not verify */
	CS_E_PROFILE = -20009,       /* no such profile */
	CS_E_PROFILE_DENIED = -20010,/* the peer may not use this profile */
	CS_E_STATE = -20011,         /* operation not allowed in the object's state */
	CS_E_LINEAGE = -20012,       /* log belongs to another database lineage */
	CS_E_GAP = -20013,           /* LSN or generation sequence has a gap */
	CS_E_CONFIG = -20014,        /* configuration is invalid */
	CS_E_TOOBIG = -20015,        /* input exceeds a hard limit */
	CS_E_BUSY = -20016,          /* resource held by someone else */
	CS_E_OFFLINE = -20017,       /* the server is not running */
	CS_E_INVALID = -20018,       /* invalid argument */
	CS_E_POLICY = -20019,        /* request refused by profile policy */
	CS_E_UNKNOWN_TYPE = -20020,  /* unknown protocol message type */
	CS_E_SHUTDOWN = -20021,      /* server is shutting down */
	CS_E_INTERNAL = -20022,      /* unexpected failure of a library call */
	CS_E_BACKUP_IN_PROGRESS = -20023, /* another backup session is running */
	CS_E_MISSING_FULL = -20024,  /* logs-only backup without a prior full one */
	CS_E_BACKUP_SEQUENCE = -20025, /* call not valid for this kind of session */
	CS_E_SEQUENCE = -20026,      /* call out of the documented order */
	CS_E_LAST = -20027
};

/* A static, human sentence for any code (negative errno or CS_E_*); never NULL. */
const char *cs_strerror(int code);

#endif
