/*
 * strconv.c — strict UTF-8 <-> UTF-16 (host byte order) with glibc iconv.
 *
 * Invariants: an open converter holds a valid iconv_t, a closed one holds
 * (iconv_t)-1; every conversion starts from the converter's initial state;
 * output buffers only ever grow by whole converted strings (a failed
 * conversion leaves out->len as it was).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "strconv.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define STRCONV_UTF16_HOST "UTF-16BE"
#else
#define STRCONV_UTF16_HOST "UTF-16LE"
#endif

#define STRCONV_CLOSED ((iconv_t)-1)

int strconv_open(struct strconv *c, enum strconv_dir dir)
{
	const char *to, *from;

	if (dir == STRCONV_TO_UTF16) {
		to = STRCONV_UTF16_HOST;
		from = "UTF-8";
	} else {
		to = "UTF-8";
		from = STRCONV_UTF16_HOST;
	}
	c->cd = iconv_open(to, from);
	if (c->cd == STRCONV_CLOSED)
		return errno == ENOMEM ? -ENOMEM : CS_E_INTERNAL;
	return 0;
}

void strconv_close(struct strconv *c)
{
	if (c == NULL || c->cd == STRCONV_CLOSED)
		return;
	iconv_close(c->cd);
	c->cd = STRCONV_CLOSED;
}

int strconv_append(struct strconv *c, const void *in, size_t inbytes,
		   struct buf *out)
{
	char *ip = (char *)in; /* iconv() does not write through it */
	size_t ileft = inbytes, oleft, old_len = out->len, n;
	char *op;
	int r = 0;

	if (inbytes > STRCONV_MAX_INPUT)
		return CS_E_TOOBIG;
	if (c->cd == STRCONV_CLOSED)
		return CS_E_INTERNAL;
	iconv(c->cd, NULL, NULL, NULL, NULL); /* initial state */
	/* Worst case: 1 UTF-8 byte -> 2 UTF-16 bytes; 2 UTF-16 bytes -> 3
	 * UTF-8 bytes. E2BIG below handles anything else anyway. */
	r = buf_reserve(out, inbytes * 2 + 4);
	while (r == 0 && ileft > 0) {
		op = (char *)out->data + out->len;
		oleft = out->cap - out->len;
		n = iconv(c->cd, &ip, &ileft, &op, &oleft);
		out->len = (size_t)((uint8_t *)op - out->data);
		if (n != (size_t)-1)
			break;
		if (errno == E2BIG)
			r = buf_reserve(out, ileft * 2 + 16);
		else if (errno == EILSEQ || errno == EINVAL)
			r = CS_E_INVALID;
		else
			r = CS_E_INTERNAL;
	}
	if (r < 0)
		out->len = old_len;
	return r;
}

size_t strconv_utf16_len(const char16_t *s)
{
	size_t n = 0;

	while (s[n] != 0)
		n++;
	return n;
}

int strconv_utf16_to_utf8(const char16_t *s, char **out)
{
	struct strconv c = { STRCONV_CLOSED };
	struct buf b = BUF_INIT;
	size_t units = strconv_utf16_len(s);
	int r;

	*out = NULL;
	if (units > STRCONV_MAX_INPUT / sizeof(char16_t)) {
		r = CS_E_TOOBIG;
		goto out;
	}
	r = strconv_open(&c, STRCONV_TO_UTF8);
	if (r < 0)
		goto out;
	r = strconv_append(&c, s, units * sizeof(char16_t), &b);
	if (r < 0)
		goto out;
	r = buf_put_u8(&b, 0);
	if (r < 0)
		goto out;
	*out = (char *)b.data;
	buf_init(&b);
out:
	strconv_close(&c);
	buf_release(&b);
	return r;
}

int strconv_utf8_to_utf16(const char *s, char16_t **out, size_t *units)
{
	static const char16_t nul = 0;
	struct strconv c = { STRCONV_CLOSED };
	struct buf b = BUF_INIT;
	int r;

	*out = NULL;
	if (units != NULL)
		*units = 0;
	r = strconv_open(&c, STRCONV_TO_UTF16);
	if (r < 0)
		goto out;
	r = strconv_append(&c, s, strlen(s), &b);
	if (r < 0)
		goto out;
	r = buf_append(&b, &nul, sizeof(nul));
	if (r < 0)
		goto out;
	if (units != NULL)
		*units = b.len / sizeof(char16_t) - 1;
	*out = (char16_t *)(void *)b.data;
	buf_init(&b);
out:
	strconv_close(&c);
	buf_release(&b);
	return r;
}

int strconv_utf8_check(const char *s, size_t len)
{
	struct strconv c = { STRCONV_CLOSED };
	char scratch[1024];
	char *ip = (char *)s, *op;
	size_t ileft = len, oleft, n;
	int r;

	if (len > STRCONV_MAX_INPUT)
		return CS_E_TOOBIG;
	r = strconv_open(&c, STRCONV_TO_UTF16);
	if (r < 0)
		goto out;
	while (ileft > 0) {
		op = scratch;
		oleft = sizeof(scratch);
		n = iconv(c.cd, &ip, &ileft, &op, &oleft);
		if (n != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		r = (errno == EILSEQ || errno == EINVAL) ? CS_E_INVALID
							 : CS_E_INTERNAL;
		break;
	}
out:
	strconv_close(&c);
	return r;
}
