/*
 * buf.h — a growable byte buffer, and big- and little-endian integer helpers.
 *
 * Ownership: a struct buf owns its data; buf_release() frees it and leaves an
 * empty buffer that may be reused. A buffer that failed to grow keeps its old
 * contents and returns -ENOMEM; callers need not check every append: the
 * buffer remembers the failure in ->oom and every later append is a no-op
 * returning -ENOMEM, so one check at the end suffices.
 */
#ifndef CERTSRV_COMMON_BUF_H
#define CERTSRV_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int oom;
};

#define BUF_INIT { NULL, 0, 0, 0 }

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Sets len to 0, keeps the allocation and clears ->oom. */
void buf_reset(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/* Detach the data: returns it (caller frees with free()), buffer becomes empty.
 * Appends a NUL after the data (not counted in len), so text can be used as a
 * C string. Returns NULL on OOM. */
uint8_t *buf_detach(struct buf *b, size_t *len);

/* Big-endian loads and stores on raw memory. */
static inline uint16_t be16_load(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t be32_load(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t be64_load(const uint8_t *p)
{
	return ((uint64_t)be32_load(p) << 32) | be32_load(p + 4);
}
static inline void be16_store(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void be32_store(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void be64_store(uint8_t *p, uint64_t v)
{
	be32_store(p, (uint32_t)(v >> 32));
	be32_store(p + 4, (uint32_t)v);
}

/* Little-endian loads and stores (the on-disk formats of src/store). */
static inline uint16_t le16_load(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le32_load(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t le64_load(const uint8_t *p)
{
	return (uint64_t)le32_load(p) | ((uint64_t)le32_load(p + 4) << 32);
}
static inline void le16_store(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void le32_store(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline void le64_store(uint8_t *p, uint64_t v)
{
	le32_store(p, (uint32_t)v);
	le32_store(p + 4, (uint32_t)(v >> 32));
}

/* n bytes as lowercase hex into out, which holds 2n + 1 chars (NUL-ended). */
void buf_hex(const uint8_t *p, size_t n, char *out);

#endif
