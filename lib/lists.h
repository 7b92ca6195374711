/*
 * lists.h — builds the double-NUL-terminated lists the backup API returns
 * (GetDatabaseNames, GetBackupLogs, GetDynamicFileList,
 * RestoreGetDatabaseLocations) from a PT_LIST protocol payload.
 *
 * PT_LIST (docs/protocol.md): entries back to back, each a tag byte (0 for
 * none), a UTF-8 path without NUL bytes, and a NUL byte.
 *
 * Output, in either flavour: for each entry its tag as ONE unit (the raw
 * value: 0x82 stays the single unit 0x82, one char16_t in the W flavour and
 * one byte in the UTF-8 flavour), the path, a NUL unit; then one more NUL
 * unit. An empty list is two NUL units. The size is in bytes and counts
 * both final NUL units: one entry "D" + "/a" is 'D','/','a',0,0 = 10 bytes
 * (W) or 5 bytes (UTF-8).
 *
 * Validation: in a tagged list every entry must have a non-zero tag, in an
 * untagged list every tag byte must be 0; every path must be non-empty and
 * valid UTF-8; the payload must end with a complete entry. Anything else is
 * CS_E_PROTO. The result is never larger than UINT32_MAX bytes.
 */
#ifndef CERTSRV_LIB_LISTS_H
#define CERTSRV_LIB_LISTS_H

#include <stddef.h>
#include <stdint.h>

enum lists_flavour {
	LISTS_UTF8 = 1,  /* char units */
	LISTS_UTF16 = 2, /* char16_t units, host byte order */
};

enum lists_tags {
	LISTS_UNTAGGED = 0,
	LISTS_TAGGED = 1,
};

/*
 * Build a list from the PT_LIST payload p[0..len). On success *out receives
 * a malloc'd buffer of *cb bytes (the caller owns it and frees it with
 * free(), i.e. CertSrvBackupFree). Returns 0, CS_E_PROTO (bad payload),
 * CS_E_TOOBIG or -ENOMEM; on failure *out is NULL and *cb 0.
 */
int lists_build(const uint8_t *p, size_t len, enum lists_tags tags,
		enum lists_flavour flavour, void **out, uint32_t *cb);

#endif
