/*
 * restorereg.h — the restore registration: DATADIR/restore/restore.env.
 *
 * Written by libcertadm's CertSrvRestore* calls (and `certsrv restore` for
 * the options), read by certsrvd at start (DESIGN section 6). It is an INI
 * file (parsed with libinih), always replaced atomically. certsrvd refuses
 * to start while it exists and is not complete (every registration
 * completed with S_OK and CertSrvRestoreEnd called); a complete one is
 * carried out by recovery and then removed.
 *
 *   [restore]
 *   format = 1
 *   ended = 0|1              CertSrvRestoreEnd was called
 *   roll_forward = 1|0       replay the live logs that continue the chain
 *   until_time = SECONDS     stop after the last record at or before it (0: none)
 *   until_lsn = N            stop after this LSN, inclusive (0: none)
 *   image_lineage = HEX      written by certsrvd when it first opens the
 *                            placed image (32 hex digits): the restore has
 *                            started, so the -wal next to the image is the
 *                            restore's own (never removed again), and the
 *                            logs must carry this lineage even after the
 *                            restore forked a new one. A new full
 *                            registration drops it.
 *   [registration N]         N = 1, 2, ... in the order of registration
 *   checkpoint = PATH        pwszCheckPointFilePath (may be empty)
 *   log_path = PATH          pwszLogPath (may be empty)
 *   backup_log_path = PATH   where the set's logs were copied
 *   map_from = PATH          the restore map (full registrations only)
 *   map_to = PATH
 *   gen_low = N
 *   gen_high = N
 *   complete = 0|1           CertSrvRestoreRegisterComplete was called
 *   status = N               its hrRestoreState (0: S_OK)
 *
 * Paths must be absolute and may not contain a newline, ';' or '#', nor
 * start or end with a space (INI limits); such paths are refused.
 */
#ifndef CERTSRV_COMMON_RESTOREREG_H
#define CERTSRV_COMMON_RESTOREREG_H

#include <stddef.h>
#include <stdint.h>

#define RESTOREREG_FORMAT 1
#define RESTOREREG_MAX 64   /* registrations in one restore */

struct restore_registration {
	char *checkpoint;       /* malloc'd or NULL */
	char *log_path;
	char *backup_log_path;
	char *map_from;         /* NULL for incremental registrations */
	char *map_to;
	uint32_t gen_low;
	uint32_t gen_high;
	int complete;
	int32_t status;
};

struct restore_state {
	struct restore_registration regs[RESTOREREG_MAX];
	size_t n;
	int ended;
	int roll_forward;
	int64_t until_time;
	uint64_t until_lsn;
	int started;            /* image_lineage is set */
	uint8_t image_lineage[16];
};

/* "DATADIR/restore/restore.env", malloc'd (caller frees). */
char *restorereg_path(const char *datadir);
/* An empty state with the defaults (roll_forward on). */
void restorereg_init(struct restore_state *st);
/* 0, -ENOENT if there is no registration, CS_E_CORRUPT with a sentence in
 * err if the file is malformed, or -errno. */
int restorereg_load(const char *datadir, struct restore_state *st, char *err,
		    size_t errlen);
/* Replace the file atomically (creating DATADIR/restore if needed).
 * CS_E_INVALID if a path cannot be written in the format. */
int restorereg_save(const char *datadir, const struct restore_state *st);
/* Remove the file (and fsync its directory); 0 if it did not exist. */
int restorereg_remove(const char *datadir);
/* 1 if every registration is complete with S_OK and the restore ended, and
 * there is exactly one full registration, registered first. */
int restorereg_ready(const struct restore_state *st, char *err, size_t errlen);
/* Free the strings; the state is left empty. Accepts NULL. */
void restorereg_release(struct restore_state *st);
/* Set *dst to a copy of src (NULL or "" -> NULL): 0 or -ENOMEM. */
int restorereg_set(char **dst, const char *src);

#endif
