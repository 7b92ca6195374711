/*
 * lists.c — PT_LIST payload -> double-NUL list in the UTF-8 or UTF-16
 * flavour (format and rules in lists.h).
 *
 * Invariants: the payload is parsed with bounds checks only (memchr within
 * what is left); the output buffer holds only whole entries until the final
 * NUL unit is appended; nothing is returned unless the whole payload was
 * valid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>

#include "common/buf.h"
#include "common/errors.h"
#include "lists.h"
#include "strconv.h"

/* Append one unit (a tag or a NUL) in the flavour's width. */
static int lists_put_unit(struct buf *b, enum lists_flavour flavour,
			  unsigned unit)
{
	char16_t w = (char16_t)unit;
	uint8_t c = (uint8_t)unit;

	if (flavour == LISTS_UTF16)
		return buf_append(b, &w, sizeof(w));
	return buf_append(b, &c, sizeof(c));
}

int lists_build(const uint8_t *p, size_t len, enum lists_tags tags,
		enum lists_flavour flavour, void **out, uint32_t *cb)
{
	struct strconv conv = { (iconv_t)-1 };
	struct buf b = BUF_INIT;
	const uint8_t *nul;
	size_t off = 0, plen;
	uint8_t tag;
	int r = 0;

	*out = NULL;
	*cb = 0;
	if (p == NULL && len > 0)
		return CS_E_PROTO;
	if (flavour == LISTS_UTF16) {
		r = strconv_open(&conv, STRCONV_TO_UTF16);
		if (r < 0)
			goto out;
	}
	while (off < len) {
		tag = p[off++];
		if ((tags == LISTS_TAGGED) != (tag != 0)) {
			r = CS_E_PROTO;
			goto out;
		}
		nul = off < len ? memchr(p + off, 0, len - off) : NULL;
		if (nul == NULL) {
			r = CS_E_PROTO; /* truncated entry */
			goto out;
		}
		plen = (size_t)(nul - (p + off));
		if (plen == 0) {
			r = CS_E_PROTO;
			goto out;
		}
		if (tag != 0) {
			r = lists_put_unit(&b, flavour, tag);
			if (r < 0)
				goto out;
		}
		if (flavour == LISTS_UTF16) {
			r = strconv_append(&conv, p + off, plen, &b);
		} else {
			r = strconv_utf8_check((const char *)p + off, plen);
			if (r == 0)
				r = buf_append(&b, p + off, plen);
		}
		if (r == CS_E_INVALID)
			r = CS_E_PROTO; /* the server sent bad UTF-8 */
		if (r < 0)
			goto out;
		r = lists_put_unit(&b, flavour, 0);
		if (r < 0)
			goto out;
		off += plen + 1;
	}
	if (len == 0) {
		/* An empty list is two NUL units. */
		r = lists_put_unit(&b, flavour, 0);
		if (r < 0)
			goto out;
	}
	r = lists_put_unit(&b, flavour, 0);
	if (r < 0)
		goto out;
	if (b.len > UINT32_MAX) {
		r = CS_E_TOOBIG;
		goto out;
	}
	*cb = (uint32_t)b.len;
	*out = b.data;
	buf_init(&b);
out:
	strconv_close(&conv);
	buf_release(&b);
	return r;
}
