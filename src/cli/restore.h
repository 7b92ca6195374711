/*
 * restore.h — `certsrv restore FULLDIR [INCRDIR...] [--data-dir DIR]
 * [--until TIME|--until-lsn N] [--no-roll-forward] [--force] [--stop]`:
 * the documented restore steps (reference/certadm-api.md section 6) through
 * libcertadm's UTF-8 entry points, so that the next start of certsrvd
 * recovers the CA from the sets (DESIGN section 6).
 *
 * Guarantees of cli_restore_run():
 *  - nothing in the data directory is changed before every check passed:
 *    certsrvd is not running (or was stopped by --stop, after the checks),
 *    every set verifies (verify.h, without the trial restore), the target
 *    holds no database unless --force, the target's CA certificate (if
 *    any) has the sets' key, and no staged log of another content is in
 *    the way; a refusal leaves the data directory byte for byte as it was;
 *  - the image reaches DATADIR/db/ca.db by temp file + fsync + rename, after
 *    ca.db-wal and ca.db-shm were removed; every staged log is fsync'd, and
 *    never replaces a different file of the same name;
 *  - the registration is written only by CertSrvRestoreRegister /
 *    RegisterComplete / End, plus the [restore] options (--until,
 *    --until-lsn, --no-roll-forward), which are in the file before it is
 *    ended and are checked again after CertSrvRestoreEnd;
 *  - a failure after the first registration leaves the restore registered
 *    but not ended, so certsrvd refuses to start until a restore succeeds:
 *    a half-done restore is never carried out;
 *  - ca/ca.key is never written; the dynamic files (certsrv.conf,
 *    ca/ca.crt, certenroll/...) are replaced atomically, and only when
 *    they differ.
 */
#ifndef CERTSRV_CLI_RESTORE_H
#define CERTSRV_CLI_RESTORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"

struct restore_opts {
	const char *datadir;     /* the target; NULL = cli_datadir() */
	char **sets;             /* FULLDIR, then INCRDIRs */
	size_t n_sets;
	int64_t until_time;      /* 0: none; inclusive */
	uint64_t until_lsn;      /* 0: none; inclusive */
	int no_roll_forward;
	int force;               /* replace an existing database */
	int stop;                /* stop a running certsrvd first */
};

/* Parse the arguments of `restore` (argv[0] is the command). EXIT_OK or
 * EXIT_USAGE after saying why. */
int cli_restore_parse_args(const struct cli *c, int argc, char **argv,
			   struct restore_opts *o);
/* Carry out the restore steps; the command's exit code. */
int cli_restore_run(const struct cli *c, const struct restore_opts *o);

/* Copy the dynamic files of setdir/Dynamic/ into datadir: certsrv.conf,
 * ca/ca.crt and certenroll/<files>, each only if it differs (atomic
 * replacement); anything else, ca/ca.key included, is left alone. One line
 * per file on out (may be NULL). 0, or -1 after printing why. */
int cli_restore_dynamic(const struct cli *c, const char *setdir,
			const char *datadir, FILE *out);

#endif
