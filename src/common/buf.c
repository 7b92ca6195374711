/*
 * buf.c — growable byte buffer.
 *
 * Guarantees: data is either NULL (cap 0) or a malloc'd block of cap bytes
 * with len <= cap. A failed growth leaves the contents untouched, sets ->oom,
 * and makes every later append a no-op returning -ENOMEM until buf_reset()
 * or buf_release().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
}

void buf_release(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->oom = 0;
}

int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *nd;

	if (b->oom)
		return -ENOMEM;
	if (extra > SIZE_MAX - b->len)
		goto fail;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	nd = realloc(b->data, ncap);
	if (nd == NULL)
		goto fail;
	b->data = nd;
	b->cap = ncap;
	return 0;
fail:
	b->oom = 1;
	return -ENOMEM;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	int r;

	r = buf_reserve(b, len);
	if (r < 0)
		return r;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	if (b->oom)
		return -ENOMEM;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	/* Room for the terminating NUL vsnprintf writes; not counted in len. */
	r = buf_reserve(b, (size_t)n + 1);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	n = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	b->len += (size_t)n;
	return 0;
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t p[2];

	be16_store(p, v);
	return buf_append(b, p, sizeof(p));
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t p[4];

	be32_store(p, v);
	return buf_append(b, p, sizeof(p));
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	uint8_t p[8];

	be64_store(p, v);
	return buf_append(b, p, sizeof(p));
}

uint8_t *buf_detach(struct buf *b, size_t *len)
{
	uint8_t *d;

	if (b->oom || buf_reserve(b, 1) < 0)
		return NULL;
	b->data[b->len] = 0;
	d = b->data;
	if (len != NULL)
		*len = b->len;
	buf_init(b);
	return d;
}

void buf_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
