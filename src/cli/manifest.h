/*
 * manifest.h — the manifest.json of a backup set (docs/formats.md, "Backup
 * set"): what `certsrv backup` writes last, and what `certsrv verify-backup`
 * and `certsrv restore` read.
 *
 * The builder is fed the bytes of every file of the set as they stream by,
 * one file at a time (no file is read twice, so the same code serves a
 * directory and a tar stream):
 *   - every file gets its size and SHA-256 (OpenSSL EVP);
 *   - log files (DataBase/caXXXXXXXX.log) are checked end to end as they pass:
 *     header (magic, version, crc, generation = file name), then every record
 *     (length bound, crc32c, LSN = previous + 1), ending exactly at the end of
 *     the file; across files the generations are contiguous, the lineage is
 *     the same and the LSNs continue. The first header gives `lineage` and
 *     `lsn_low`, the last record `lsn_high`, the file names `gen_low` and
 *     `gen_high`;
 *   - the CA certificate (Dynamic/ca/ca.crt) gives `subject` and `key_id`.
 *
 * The reader side is manifest_parse(): what verify-backup and restore learn
 * from a set's manifest.json before they look at its files.
 *
 * Guarantees: manifest_render() succeeds only for a complete set (at least
 * one log, the CA certificate, every file ended with the size announced);
 * its text always carries a correct `manifest_sha256`. Errors are returned
 * as negative codes (-errno or CS_E_*) with a sentence in manifest_error().
 * Not thread-safe; one builder per backup.
 */
#ifndef CERTSRV_CLI_MANIFEST_H
#define CERTSRV_CLI_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define MANIFEST_NAME "manifest.json"
#define MANIFEST_FORMAT "certsrv-backup"
#define MANIFEST_VERSION 1
#define MANIFEST_SELF_FIELD "manifest_sha256"
/* The dump flags of the canonical text the self checksum covers. */
#define MANIFEST_CANON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

enum mf_kind {
	MF_DATA = 0,    /* hashed only */
	MF_LOG = 1,     /* hashed and checked as a redo log generation */
	MF_CA_CERT = 2, /* hashed and kept: the CA certificate (PEM or DER) */
};

struct manifest;

/* A new builder for a "full" or "incremental" set taken at `created`.
 * 0 and *out (free with manifest_free), or -ENOMEM / CS_E_INVALID. */
int manifest_new(const char *type, time_t created, struct manifest **out);
void manifest_free(struct manifest *m);

/* Start one file of the set: relpath relative to the set's root
 * ("DataBase/ca.db"), the size it will have. Only one file at a time. */
int manifest_file_begin(struct manifest *m, const char *relpath, uint64_t size,
			enum mf_kind kind);
/* The next bytes of the current file. */
int manifest_file_data(struct manifest *m, const void *data, size_t len);
/* End the current file: fails if its size is not the announced one or a log
 * did not check out. The file is then listed in the manifest. */
int manifest_file_end(struct manifest *m);

/* The complete manifest as text (indented, keys sorted, newline at the end),
 * malloc'd into *text (caller frees). */
int manifest_render(struct manifest *m, char **text, size_t *len);

/* The last error's sentence ("" if none). Borrowed from m. */
const char *manifest_error(const struct manifest *m);
/* The CA subject (RFC 2253) once the CA certificate was seen, else NULL. */
const char *manifest_subject(const struct manifest *m);
/* The generations of the logs seen so far (0, 0 if none). */
void manifest_generations(const struct manifest *m, uint32_t *low, uint32_t *high);

/* Parse the text of a manifest.json (len bytes, need not be NUL-terminated;
 * untrusted: it comes from a backup set) and check everything it says of
 * itself, without opening any file: a JSON object (duplicate keys
 * rejected), "format" MANIFEST_FORMAT, "version" MANIFEST_VERSION, a
 * MANIFEST_SELF_FIELD equal to manifest_self_sha256(), "type" "full" or
 * "incremental", and "files" a list whose every entry is an object with a
 * string "path" (relative, no empty, "." or ".." component, under
 * "DataBase/" or "Dynamic/", listed once), an integer "size" >= 0 and a
 * string "sha256". 0 and *out (the parsed object, the caller owns it:
 * json_decref), or CS_E_CORRUPT (*out NULL) with the reason, one sentence
 * without the file's name, in why[0..whylen) (may be NULL), or -ENOMEM. */
int manifest_parse(const void *text, size_t len, json_t **out, char *why,
		   size_t whylen);

/* The self checksum of a parsed manifest: SHA-256 (lowercase hex into hex,
 * 65 bytes with the NUL) of the json_dumps(MANIFEST_CANON_FLAGS) text of
 * the object without its MANIFEST_SELF_FIELD member. 0, -ENOMEM or
 * CS_E_INVALID (not an object). */
int manifest_self_sha256(const json_t *root, char hex[65]);
/* 1 if p is a relative path with no empty, "." or ".." component (so it
 * stays inside the directory it is joined to), else 0. */
int manifest_safe_relpath(const char *p);

#endif
