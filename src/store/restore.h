/*
 * restore.h — carry out a registered restore at daemon start (DESIGN
 * section 6): "register, fence, recover".
 *
 * The registration (common/restorereg.h) names a full backup whose image
 * was copied to DATADIR/db/ca.db and whose logs, and those of any
 * incrementals, were copied to their backup_log_path directories. restore_run
 * checks the chain (one lineage, generations and LSNs contiguous from the
 * image's applied LSN), replays the backup logs, then — unless roll-forward
 * is off — the live generations of DATADIR/logs that continue the chain,
 * stopping at the point-in-time target if one is set. It then checks the
 * database (PRAGMA integrity_check, unique serials), keeps CRL numbers and
 * request ids from ever going back, starts a new lineage if it stopped
 * before the end of the logs, checkpoints, and only then removes the
 * registration. On any failure nothing of the registration is removed and
 * the sentence in err says what to fix. A run killed at any point is
 * resumed by the next one: the first run records the image's lineage in
 * the registration (image_lineage) before it changes anything, and a rerun
 * keeps the -wal, checks the logs against that lineage and reuses the fork
 * and the log generation the killed run made. With roll-forward, a live
 * generation of the image's lineage behind a missing one is a gap
 * (CS_E_GAP), never a silently shorter history.
 */
#ifndef CERTSRV_STORE_RESTORE_H
#define CERTSRV_STORE_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/restorereg.h"
#include "store/recover.h"

struct restore_outcome {
	uint64_t image_lsn;       /* the image's applied LSN */
	uint64_t applied_lsn;     /* where the restored database stands */
	uint64_t replayed;        /* records applied */
	uint32_t backup_gen_high; /* the last generation of the backup sets */
	uint32_t generation;      /* where the log writer continues */
	int rolled_forward;       /* live generations were replayed */
	int stopped;              /* a point-in-time target stopped the replay */
	int new_lineage;          /* the history forks here */
};

/* Carry out a complete registration (restorereg_ready must hold).
 * progress (may be NULL) is called before each log file is replayed. */
int restore_run(const struct store_paths *p, const struct restore_state *st,
		struct restore_outcome *out,
		void (*progress)(const struct replay_source *file, size_t i,
				 size_t n, void *arg),
		void *progress_arg, char *err, size_t errlen);

#endif
