/*
 * verify.h — `certsrv verify-backup DIR [INCRDIR...]`: would these backup
 * sets restore? Also the checks `certsrv restore` runs before it touches
 * anything, and the file copy both commands use.
 *
 * Checks, in this order, per set (one line each on `out`):
 *  (a) manifest.json, when present: format and version, its own checksum
 *      (docs/formats.md, "Backup set"), every listed file present with its
 *      size and SHA-256, no unlisted file in DataBase/ or Dynamic/, and the
 *      manifest's lineage, generations and LSNs equal to what the files
 *      hold. Without one (a set written by other software through the API)
 *      the set is checked from its files alone, and that is said.
 *  (b) full sets: DataBase/certbkxp.dat is present and parses as a
 *      locations list ('D', 0x82, 0x83 entries, double NUL) in UTF-8 or
 *      UTF-16 (host order); DataBase/ca.db is a certsrv image (its meta
 *      lineage and applied LSN, PRAGMA quick_check), read through SQLite's
 *      immutable mode so the set is never written.
 *  (c) every log: header (magic, version, crc), generation = file name,
 *      lineage = the image's, generations contiguous within and across sets
 *      (an incremental starts right after the previous set), the first log
 *      starting at or before the image's LSN + 1, every later log at the
 *      LSN after the previous one, every record's crc and LSN, and each file
 *      ending exactly after its last record.
 *  (d) optionally, a trial restore in a temporary directory (removed at the
 *      end): image and logs laid out as a restore does, a complete
 *      registration without roll-forward, and store/restore.h's restore_run
 *      (replay, PRAGMA integrity_check, unique serials).
 * The first set must be full, every other one incremental.
 *
 * Guarantees: the sets are only read. On the first failed check,
 * verify_sets() prints "certsrv: CMD: FILE: why" on stderr (FILE as named
 * from the set's directory) and returns EXIT_FAIL; nothing after it is
 * checked. EXIT_OK means every check passed.
 */
#ifndef CERTSRV_CLI_VERIFY_H
#define CERTSRV_CLI_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "store/redo.h"

/* What the checks learned about one set. Strings malloc'd, owned by the
 * result (verify_result_release). */
struct verify_set {
	char *dir;              /* as given */
	int full;               /* an image + restore map set */
	int has_manifest;
	uint32_t gen_low, gen_high;
	uint64_t lsn_low;       /* first LSN of its first log */
	uint64_t lsn_high;      /* LSN of its last record (lsn_low - 1: none) */
	uint64_t records;
	char *saved_db;         /* full sets: the 'D' path of certbkxp.dat */
	int locations_utf16;    /* certbkxp.dat was UTF-16 */
};

struct verify_result {
	struct verify_set *sets;
	size_t n;
	uint8_t lineage[REDO_LINEAGE_LEN]; /* the image's */
	uint64_t image_lsn;
	/* the trial restore, when run */
	int trial_done;
	uint64_t trial_lsn;
	uint64_t trial_replayed;
	int64_t trial_certs;
};

/* Check the sets dirs[0..n-1] (the full one first). trial: also run the
 * trial restore. out: where the check lines go (NULL: nowhere). Fills *res
 * (release it with verify_result_release in every case). */
int verify_sets(const struct cli *c, char *const *dirs, size_t n, int trial,
		FILE *out, struct verify_result *res);
void verify_result_release(struct verify_result *res);

/* Copy the regular file src to dst (created with mode; an existing dst is
 * replaced), fsync'd when sync is set. 0 or a negative errno. */
int verify_copy_file(const char *src, const char *dst, mode_t mode, int sync);
/* 1 if the two files have the same bytes, 0 if not, <0 on error. */
int verify_same_file(const char *a, const char *b);

#endif
