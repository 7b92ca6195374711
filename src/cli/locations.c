/*
 * locations.c — certbkxp.dat parser (format and guarantees in locations.h).
 *
 * Invariants: the UTF-16 flavour is first converted to the UTF-8 form (one
 * tag byte, the path, NUL; a final NUL) and then both are checked by the
 * same UTF-8 parser; every index is compared with the length before the
 * byte is read; iconv writes only into space reserved beforehand (a UTF-16
 * unit becomes at most 3 bytes, a surrogate pair 4).
 */
#include "cli/locations.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"

#define TAG_DB 0x44   /* CSBFT_CERTSERVER_DATABASE, 'D' */
#define TAG_LOGDIR 0x82
#define TAG_CKPTDIR 0x83

/* Append one UTF-16 (host order) path to out as UTF-8, through iconv. */
static int
utf16_path(iconv_t cd, const uint8_t *p, size_t bytes, struct buf *out)
{
	char *in = (char *)(uintptr_t)p, *dst;
	size_t inleft = bytes, outleft = bytes * 2 + 4;

	if (buf_reserve(out, outleft) < 0)
		return -ENOMEM;
	dst = (char *)out->data + out->len;
	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &in, &inleft, &dst, &outleft) == (size_t)-1)
		return -EILSEQ;
	out->len = (size_t)(dst - (char *)out->data);
	return 0;
}

/* A UTF-16 list to the UTF-8 form: one tag byte, the path, NUL; final NUL. */
static int
locations_from_utf16(const uint8_t *p, size_t n, struct buf *out, const char **why)
{
	iconv_t cd;
	uint16_t u;
	size_t i = 0, start;
	int r = 0;

	*why = "its size is odd, but it looks like UTF-16";
	if (n % 2)
		return CS_E_CORRUPT;
	cd = iconv_open("UTF-8", __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			? "UTF-16BE" : "UTF-16LE");
	if (cd == (iconv_t)-1)
		return CS_E_INTERNAL;
	while (r == 0 && i + 2 <= n) {
		memcpy(&u, p + i, 2);
		if (u == 0) {
			buf_put_u8(out, 0);
			i += 2;
			break;
		}
		*why = "an entry's tag is not a single byte";
		if (u > 0xFF) {
			r = CS_E_CORRUPT;
			break;
		}
		buf_put_u8(out, (uint8_t)u);
		start = i += 2;
		while (i + 2 <= n) {
			memcpy(&u, p + i, 2);
			if (u == 0)
				break;
			i += 2;
		}
		*why = "an entry is not ended by a NUL";
		if (i + 2 > n) {
			r = CS_E_CORRUPT;
			break;
		}
		*why = "a path is not valid UTF-16";
		r = utf16_path(cd, p + start, i - start, out) < 0 ? CS_E_CORRUPT : 0;
		buf_put_u8(out, 0);
		i += 2;
	}
	iconv_close(cd);
	if (r == 0 && i != n) {
		*why = "bytes follow the end of the list (double NUL)";
		r = CS_E_CORRUPT;
	}
	return r == 0 && out->oom ? -ENOMEM : r;
}

/* Parse the UTF-8 form: 'D', 0x82, 0x83 entries with absolute paths; the
 * first 'D' path into *db (malloc'd, also on failure). */
static int
locations_utf8(const uint8_t *p, size_t n, char **db, const char **why)
{
	int have[3] = { 0, 0, 0 };
	size_t i = 0, len;
	uint8_t tag;

	while (i < n && p[i]) {
		tag = p[i];
		len = strnlen((const char *)p + i + 1, n - i - 1);
		*why = "an entry is not ended by a NUL";
		if (i + 1 + len >= n)
			return CS_E_CORRUPT;
		*why = "a path is not absolute";
		if (p[i + 1] != '/')
			return CS_E_CORRUPT;
		*why = "an entry's tag is not 'D' (0x44), 0x82 or 0x83";
		if (tag != TAG_DB && tag != TAG_LOGDIR && tag != TAG_CKPTDIR)
			return CS_E_CORRUPT;
		have[tag == TAG_DB ? 0 : tag == TAG_LOGDIR ? 1 : 2]++;
		if (tag == TAG_DB && !*db)
			*db = strndup((const char *)p + i + 1, len);
		i += len + 2;
	}
	*why = "the list is not ended by a double NUL";
	if (i + 1 != n)
		return CS_E_CORRUPT;
	*why = "it needs exactly one 'D' (database), one 0x82 (log directory)"
	       " and one 0x83 (checkpoint directory) entry";
	if (have[0] != 1 || have[1] != 1 || have[2] != 1)
		return CS_E_CORRUPT;
	return *db ? 0 : -ENOMEM;
}

int
locations_parse(const uint8_t *data, size_t n, char **saved_db, int *utf16,
		const char **why)
{
	struct buf b;
	int r;

	buf_init(&b);
	*saved_db = NULL;
	*why = "";
	*utf16 = n >= 2 && (data[0] == 0 || data[1] == 0);
	if (*utf16)
		r = locations_from_utf16(data, n, &b, why);
	else
		r = buf_append(&b, data, n);
	if (r == 0)
		r = locations_utf8(b.data, b.len, saved_db, why);
	buf_release(&b);
	if (r < 0) {
		free(*saved_db);
		*saved_db = NULL;
	}
	return r;
}
