/*
 * apibackup.h — one full online backup through the backup API (libcertadm,
 * UTF-8 entry points), as the benchmarks bench/backup and
 * bench/backup-impact make it: CertSrvBackupPrepare, GetDatabaseNames,
 * OpenFile / Read (API_READ_BUFFER bytes at a time) / Close of each file,
 * GetBackupLogs and the same for each log, End. Each file goes to
 * dir/<its base name>, written in write()s of at most write_chunk bytes and
 * fsync'd; or, with `discard`, every byte is read and nothing is written.
 * Only programs linked with libcertadm may use this module.
 */
#ifndef CERTSRV_BENCH_APIBACKUP_H
#define CERTSRV_BENCH_APIBACKUP_H

#include <stddef.h>
#include <stdint.h>

#define API_READ_BUFFER (1024u * 1024u)

/* One backup's settings (set by the caller; strings and buf borrowed) and
 * where its time went (added to: the caller zeroes them first). */
struct api_backup {
	const char *prog;     /* the calling program, for messages */
	const char *dir;      /* where the files go; ignored with discard */
	char *buf;            /* API_READ_BUFFER bytes */
	size_t write_chunk;   /* largest write(), > 0 */
	int discard;          /* read every byte, write nothing */
	double read;          /* seconds in CertSrvBackupRead */
	double write;         /* seconds in write() */
	double sync;          /* seconds in fsync() */
	uint64_t bytes;       /* bytes read through the API */
};

/* One full backup (database and logs) of the CA of `server`; 0 or -1,
 * with the failing call reported on stderr. */
int api_full_backup(const char *server, struct api_backup *b);

#endif
