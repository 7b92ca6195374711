/*
 * pjournal.h — the power-loss journal shared by the test shims (testvfs.c,
 * logshim.c, loaded into certsrvd with LD_PRELOAD) and the powercut tool.
 * Test-only: never linked into the product.
 *
 * Every tracked file operation is appended to DIR/journal (DIR from the
 * environment variable POWERLOSS_JOURNAL) BEFORE the operation itself runs,
 * with enough information to undo it (old bytes, old size) and redo it (new
 * bytes). A record is one write() to an O_APPEND file; a record cut short by
 * SIGKILL is incomplete and is ignored by the reader (its operation never
 * started). A record whose operation was interrupted by the kill describes
 * an operation that may or may not have happened; undo and redo are both
 * idempotent, so either way the powercut tool rebuilds a legal state.
 *
 * Guarantees: the shims serialise "journal + operation" under pj_lock(), so
 * the journal order is the order in which the operations reached the kernel.
 *
 * With POWERLOSS_KILL_AT=N the process SIGKILLs itself right after its Nth
 * record is journaled (before that operation runs): a kill at an exact
 * point of, e.g., recovery, whose few milliseconds a random kill misses.
 */
#ifndef POWERLOSS_PJOURNAL_H
#define POWERLOSS_PJOURNAL_H

#include <stddef.h>
#include <stdint.h>

enum pj_type {
	PJ_WRITE = 1,   /* path, off, old_size, old bytes at off, new bytes */
	PJ_TRUNC,       /* path, off = new size, old_size, old tail [off, old_size) */
	PJ_SYNC,        /* path: fsync/fdatasync/xSync of the file */
	PJ_CREATE,      /* path: created by open(O_CREAT) */
	PJ_RENAME,      /* path -> path2; saved = link to the replaced target or "" */
	PJ_UNLINK,      /* path; saved = link to the removed file or "" */
	PJ_DIRSYNC,     /* path: fsync of a directory */
};

struct pj_rec {
	uint32_t type;
	uint64_t off;
	uint64_t old_size;
	const char *path;
	const char *path2;      /* "" unless PJ_RENAME */
	const char *saved;      /* "" unless PJ_RENAME/PJ_UNLINK kept a link */
	const uint8_t *old_data;
	size_t old_len;
	const uint8_t *new_data;
	size_t new_len;
};

/* ---- writer side (the shims) ---- */

/* 1 if POWERLOSS_JOURNAL is set (journaling is on). */
int pj_enabled(void);
/* The process-wide lock around "journal + operation". */
void pj_lock(void);
void pj_unlock(void);
/* Append one record; aborts the process if the journal cannot be written
 * (a test whose journal is incomplete would prove nothing). */
void pj_append(const struct pj_rec *r);
/* Hard-link path into the journal directory (saved.N) so that a later undo
 * can bring it back. Writes the link's path into out (size outsz); "" when
 * path does not exist. */
void pj_save(const char *path, char *out, size_t outsz);

/* ---- reader side (powercut) ---- */

/* Read every complete record of the journal file. *recs points into *blob
 * (the file's bytes); the caller frees both with free(). 0 or -errno. */
int pj_read(const char *file, struct pj_rec **recs, size_t *n, void **blob);

#endif
