/*
 * strconv.h — UTF-8 <-> UTF-16 conversion for libcertadm's two API
 * flavours, with glibc's iconv.
 *
 * UTF-16 is always in HOST byte order and without a byte-order mark (the
 * converter uses "UTF-16LE" or "UTF-16BE" according to the host, never
 * "UTF-16"), so the result is an array of char16_t (WCHAR). Conversion is
 * strict in both directions: invalid or truncated UTF-8 (overlong forms,
 * encoded surrogates, code points above U+10FFFF) and unpaired UTF-16
 * surrogates are rejected with CS_E_INVALID; nothing is ever replaced.
 *
 * Guarantees: no global state (each converter owns its iconv descriptor, so
 * different converters may be used from different threads; one converter is
 * used by one thread at a time); every function returns 0 or a negative
 * code (CS_E_INVALID, CS_E_TOOBIG, -ENOMEM, CS_E_INTERNAL).
 */
#ifndef CERTSRV_LIB_STRCONV_H
#define CERTSRV_LIB_STRCONV_H

#include <iconv.h>
#include <stddef.h>
#include <uchar.h>

#include "common/buf.h"

/* Longest string accepted, in bytes of input: the protocol's payload limit. */
#define STRCONV_MAX_INPUT (16u * 1024u * 1024u)

enum strconv_dir {
	STRCONV_TO_UTF16 = 1, /* input UTF-8, output UTF-16 host order */
	STRCONV_TO_UTF8 = 2,  /* input UTF-16 host order, output UTF-8 */
};

struct strconv {
	iconv_t cd;
};

/* Open a converter: 0, or CS_E_INTERNAL if iconv lacks the conversion, or
 * -ENOMEM. On failure c is left closed (strconv_close() is still safe). */
int strconv_open(struct strconv *c, enum strconv_dir dir);
/* Close a converter; accepts NULL and a converter whose open failed. */
void strconv_close(struct strconv *c);
/* Convert inbytes bytes at in (no terminator needed; UTF-16 input is
 * inbytes/2 units, inbytes must be even) and APPEND the result to out
 * (without a terminator). On failure out keeps its old length. */
int strconv_append(struct strconv *c, const void *in, size_t inbytes,
		   struct buf *out);

/* Number of units before the NUL unit of a UTF-16 string. */
size_t strconv_utf16_len(const char16_t *s);

/* One-shot conversions of NUL-terminated strings. *out receives a malloc'd,
 * NUL-terminated result (caller frees with free()), NULL on failure. */
int strconv_utf16_to_utf8(const char16_t *s, char **out);
/* *units (if non-NULL) receives the length without the NUL unit. */
int strconv_utf8_to_utf16(const char *s, char16_t **out, size_t *units);

/* 0 if the len bytes at s are valid UTF-8, else CS_E_INVALID (or
 * CS_E_INTERNAL / -ENOMEM if the check itself fails). Allocates nothing. */
int strconv_utf8_check(const char *s, size_t len);

#endif
