/*
 * restore.h — the restore calls of libcertadm (CertSrvRestorePrepare,
 * Register, RegisterComplete, End, and GetDatabaseLocations with a restore
 * handle), done locally on the data directory: the CA is offline during a
 * restore, so nothing here talks to certsrvd except the offline check.
 *
 * The registration is DATADIR/restore/restore.env, read and written with
 * src/common/restorereg.h (atomic replacement). A restore context holds the
 * data directory (canonical, absolute) and the registration as it will be
 * written; every change is saved at once, and undone in memory if the save
 * fails, so the context always equals the file (or, before the first save
 * of a CSRESTORE_TYPE_FULL restore, the empty registration that will
 * replace the file).
 *
 * These functions take UTF-8 strings and return internal codes (0 or a
 * negative errno / CS_E_* value); lib/certadm.c converts strings and maps
 * codes to HRESULTs. Nothing here logs. One context is used by one thread
 * at a time; two restore contexts must not work on the same data
 * directory at once (the file is replaced whole: the last save wins).
 */
#ifndef CERTSRV_LIB_RESTORE_H
#define CERTSRV_LIB_RESTORE_H

#include <stdint.h>

#include "lists.h"

struct restore_ctx;

/* The arguments of CertSrvRestoreRegister, UTF-8. */
struct restore_reg_args {
	const char *checkpoint;      /* NULL or "" = none; else absolute */
	const char *log_path;        /* idem */
	const char *backup_log_path; /* idem */
	long nmap;                   /* crstmap: 1 full, 0 incremental */
	int have_map;                /* rgrstmap != NULL */
	const char *map_from;        /* rgrstmap[0] when nmap == 1 */
	const char *map_to;
	uint32_t gen_low;
	uint32_t gen_high;
};

/*
 * CertSrvRestorePrepare. flags: CSRESTORE_TYPE_FULL (a new restore: the
 * existing registration, if any, is replaced by the first save) or 0
 * (continue the existing registration; none is fine). Checks, in order:
 * flags (CS_E_INVALID), the name designates a data directory (CS_E_INVALID
 * for "unix:" and remote names), the directory exists (-ENOTDIR otherwise),
 * certsrvd is not running for it (-ETXTBSY, see control.h), the caller may
 * write DATADIR and DATADIR/restore if present (-EACCES, -EROFS), and, for
 * flags 0, the existing registration parses (CS_E_CORRUPT). 0 and *out
 * (free with restore_ctx_free), or the code with *out NULL.
 */
int restore_prepare(const char *server, uint32_t flags, struct restore_ctx **out);

/* Free a context; accepts NULL. Writes nothing. */
void restore_ctx_free(struct restore_ctx *c);

/*
 * CertSrvRestoreRegister: append one registration (complete = 0) and save.
 * CS_E_INVALID: nmap not 0/1, nmap 1 without a map or with a NULL or
 * relative name in it, gen_low 0 or above gen_high, a relative path, a path
 * restore.env cannot hold, or map_to not resolving to DATADIR/db/ca.db
 * (realpath of its directory + its file name; the restore cannot relocate
 * the database). CS_E_SEQUENCE: the previous registration is not completed,
 * or a full registration that is not the first. CS_E_MISSING_FULL: an
 * incremental without a full registration. CS_E_TOOBIG: RESTOREREG_MAX
 * registrations already. A full registration records map_from as given and
 * map_to as the canonical DATADIR/db/ca.db. Saving also clears "ended".
 */
int restore_register(struct restore_ctx *c, const struct restore_reg_args *a);

/* CertSrvRestoreRegisterComplete: complete the last registration with
 * status and save. CS_E_SEQUENCE if there is none or it is complete. */
int restore_complete(struct restore_ctx *c, int32_t status);

/* CertSrvRestoreEnd (without freeing): mark the restore ended and save, if
 * it holds at least one registration; else write nothing and return 0. */
int restore_end(struct restore_ctx *c);

/* CertSrvRestoreGetDatabaseLocations with a restore handle: the list the
 * server gives for a backup handle ('D' + DATADIR/db/ca.db, 0x82 +
 * DATADIR/logs, 0x83 + DATADIR/logs, DATADIR canonical), built locally.
 * *out malloc'd (caller frees), *cb its size in bytes (lists_build()). */
int restore_locations(const struct restore_ctx *c, enum lists_flavour flavour,
		      void **out, uint32_t *cb);

#endif
