/*
 * fileio.h — file I/O helpers that never leave half-written files behind.
 *
 * fio_write_atomic() replaces a file by temp file + fsync + rename + fsync of
 * the directory: after a crash the path holds either the old or the new bytes.
 * Every function returns 0 or a negative errno and retries EINTR itself.
 * All descriptors are opened with O_CLOEXEC.
 */
#ifndef CERTSRV_COMMON_FILEIO_H
#define CERTSRV_COMMON_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write all of data to fd (loops over short writes). */
int fio_write_full(int fd, const void *data, size_t len);
/* Read up to len bytes; *got is what was read (less only at end of file). */
int fio_read_full(int fd, void *data, size_t len, size_t *got);
int fio_pread_full(int fd, void *data, size_t len, off_t off, size_t *got);
/* Atomically replace path with data, file mode `mode`. */
int fio_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Like fio_write_atomic, but never replaces: -EEXIST if path exists. */
int fio_write_new(const char *path, const void *data, size_t len, mode_t mode);
/* Read a whole file of at most max bytes into *out (malloc'd, NUL-terminated
 * one past the end; caller frees). -EFBIG if larger than max. */
int fio_read_all(const char *path, size_t max, uint8_t **out, size_t *len);
/* fsync the directory that holds path (dirname of path). */
int fio_fsync_parent(const char *path);
int fio_fsync_dir(const char *dir);
/* mkdir -p with mode for created components; existing dirs are fine. Each
 * directory it creates is durable on return (the parent is fsync'd). */
int fio_mkdirs(const char *path, mode_t mode);
/* Join dir and name into a malloc'd path (caller frees); NULL on OOM. */
char *fio_join(const char *dir, const char *name);
/* 1 if path exists, 0 if not, or a negative errno. */
int fio_exists(const char *path);

/* Ownership of what a root process writes into a data directory owned by a
 * service user (certsrvd running as that user must be able to read it).
 *
 * fio_datadir_owner: 1 with the data directory's owner and group in *uid,
 * *gid when this process runs as root and datadir belongs to another user;
 * 0 when what this process creates there may stay as created; -errno if
 * datadir cannot be examined.
 *
 * fio_give_beneath: give datadir/rel to uid:gid. rel is resolved below
 * datadir one component at a time without following any symbolic link and
 * may not contain "." or ".." components; the target must be a directory
 * or a regular file with a single link (so that a link planted by the
 * directory's owner cannot make root give away another file). 0, -ELOOP (a
 * symbolic link on the way), -EMLINK (a file with other links), -EINVAL (a
 * bad rel or another file type), or -errno. */
int fio_datadir_owner(const char *datadir, uid_t *uid, gid_t *gid);
int fio_give_beneath(const char *datadir, const char *rel, uid_t uid, gid_t gid);

/* Write-behind for a long sequential write that ends with an fsync: every
 * FIO_WRITE_BEHIND bytes, writeback of the new window is started and the
 * previous window's is waited for, so the disk works while the writer
 * copies, at most two windows are dirty (a concurrent fdatasync of the redo
 * log never queues behind a whole file) and the final fsync has little
 * left. Advisory: errors surface at that fsync, which the caller must do.
 * Zero-initialise one struct fio_behind per file. */
#define FIO_WRITE_BEHIND (8u << 20)
struct fio_behind {
	uint64_t waited;   /* writeback done up to here */
	uint64_t started;  /* writeback started up to here */
};
/* `written`: bytes written to fd so far, from offset 0. */
void fio_write_behind(int fd, struct fio_behind *wb, uint64_t written);

#endif
