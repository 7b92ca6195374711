/*
 * backup.h — `certsrv backup`: an online backup of a running CA, made
 * through libcertadm's UTF-8 entry points in the documented order
 * (IsServerOnline, Prepare, RestoreGetDatabaseLocations, GetDatabaseNames +
 * Open/Read/Close, GetBackupLogs + Open/Read/Close, TruncateLogs,
 * GetDynamicFileList + copy, End, Free), written as the backup set of DESIGN
 * section 10 into a directory or as a pax tar stream on stdout.
 *
 * Guarantees of backup_run():
 *  - the set's manifest.json is written last (directory: atomically, after
 *    every data file and directory was fsync'd; tar: the last member), and
 *    only when every step, CertSrvBackupEnd included, succeeded; a failed
 *    backup leaves no manifest.json (and a tar stream without its end
 *    marker), so a partial set is never taken for a complete one;
 *  - CertSrvBackupEnd is called after every successful Prepare;
 *  - an existing non-empty TARGET is never written without --force, and with
 *    --force only an earlier backup set (DataBase/, Dynamic/, manifest.json)
 *    is replaced, after the new session was prepared;
 *  - logs are truncated (unless --keep-log) only once every database and log
 *    file is stored: fsync'd in a directory, handed to stdout (and fsync'd
 *    when stdout is a regular file) for a tar stream;
 *  - exit codes as every command: 0 done, 1 failed, 2 usage, 3 offline.
 */
#ifndef CERTSRV_CLI_BACKUP_H
#define CERTSRV_CLI_BACKUP_H

#include "cli/cli.h"

struct backup_opts {
	const char *server; /* libcertadm server name; NULL = the default */
	const char *target; /* the set's directory; NULL with to_stdout */
	int to_stdout;      /* -o -: a tar stream on stdout */
	int incremental;    /* logs only (CSBACKUP_TYPE_LOGS_ONLY) */
	int keep_log;       /* do not call CertSrvBackupTruncateLogs */
	int progress;       /* progress line on stderr even if not a terminal */
	int force;          /* replace an earlier backup set in target */
};

/* Parse the arguments of `backup` (argv[0] is the command) into *o.
 * EXIT_OK, or EXIT_USAGE after printing why. */
int backup_parse_args(const struct cli *c, int argc, char **argv,
		      struct backup_opts *o);

/* Take the backup described by o; returns the command's exit code. */
int backup_run(const struct cli *c, const struct backup_opts *o);

#endif
