/*
 * locations.h — reading DataBase/certbkxp.dat of a backup set: the raw list
 * CertSrvRestoreGetDatabaseLocations returned at backup time (as certutil
 * saves it), in the encoding of the API flavour that wrote it.
 *
 * Format (DESIGN section 10, docs/formats.md): entries back to back, each a
 * one-unit tag, an absolute path and a NUL unit, then one more NUL unit.
 * The UTF-8 flavour has byte units; the UTF-16 flavour (the W functions)
 * has char16_t units in host byte order, recognised by a zero byte among
 * the first two. A valid list holds exactly one 'D' (0x44, the database),
 * one 0x82 (log directory) and one 0x83 (checkpoint directory) entry, every
 * path absolute and, in UTF-16, valid UTF-16 with tags below 0x100.
 *
 * The file is untrusted: every length is checked against what is left and
 * nothing past the given bytes is read. Nothing here logs or keeps state.
 */
#ifndef CERTSRV_CLI_LOCATIONS_H
#define CERTSRV_CLI_LOCATIONS_H

#include <stddef.h>
#include <stdint.h>

/* Parse the n bytes of a certbkxp.dat. Sets *utf16 to the flavour it was
 * read as (also on failure). 0 and *saved_db: the 'D' entry's path as UTF-8,
 * malloc'd (the caller frees it); or CS_E_CORRUPT with *why pointing to a
 * static sentence, or -ENOMEM / CS_E_INTERNAL; *saved_db is NULL on
 * failure. */
int locations_parse(const uint8_t *data, size_t n, char **saved_db, int *utf16,
		    const char **why);

#endif
