/*
 * fuzz_proto.c — fuzz harness of the protocol decoder (src/common/proto.c).
 *
 * Feeds the input to proto_hdr_decode, proto_validate and every getter, and
 * through proto_recv from a memory file. Checks the decoder's promises:
 * borrowed values lie inside the payload, integer getters only succeed on
 * fields of their width, strings come back without NULs, and a payload
 * that validates re-encodes to the same bytes. Any broken promise aborts.
 * What each request type makes of its fields is fuzzed by fuzz_server.c,
 * what the client makes of replies by fuzz_client.c.
 * Builds with the replay main (make check) or clang -fsanitize=fuzzer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_TAG 16

static void check(int cond)
{
	if (!cond)
		abort();
}

static void fuzz_getters(const uint8_t *p, size_t len, int valid)
{
	struct proto_reader r;
	const uint8_t *v;
	size_t vlen;
	uint32_t u32;
	uint64_t u64;
	uint16_t tag;
	char *s;
	int rc;

	proto_reader_init(&r, p, len);
	for (tag = 0; tag < FUZZ_MAX_TAG; tag++) {
		rc = proto_get_bytes(&r, tag, &v, &vlen);
		if (rc == 0) {
			check(v >= p && vlen <= len && (size_t)(v - p) <= len - vlen);
		} else {
			check(rc == -ENOENT || (!valid && rc == CS_E_PROTO));
		}
		if (proto_get_u32(&r, tag, &u32) == 0)
			check(rc == 0 && vlen == 4);
		if (proto_get_u64(&r, tag, &u64) == 0)
			check(rc == 0 && vlen == 8);
		s = NULL;
		if (proto_get_str(&r, tag, 64, &s) == 0) {
			check(s != NULL && strlen(s) == vlen && vlen <= 64);
			free(s);
		}
	}
}

/* A valid payload re-encoded field by field must give the same bytes. */
static void fuzz_reencode(const uint8_t *p, size_t len)
{
	struct buf b = BUF_INIT;
	size_t off = 0;
	uint32_t flen;

	while (off < len) {
		check(len - off >= 6);
		flen = be32_load(p + off + 2);
		check(flen <= len - off - 6);
		proto_put_bytes(&b, be16_load(p + off), p + off + 6, flen);
		off += 6 + (size_t)flen;
	}
	check(!b.oom);
	check(b.len == len && (len == 0 || memcmp(b.data, p, len) == 0));
	buf_release(&b);
}

/* The same bytes arriving on a descriptor. */
static void fuzz_recv(const uint8_t *data, size_t size)
{
	struct buf payload = BUF_INIT;
	struct proto_hdr h;
	int fd, rc;

	fd = memfd_create("fuzz_proto", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (fio_write_full(fd, data, size) == 0 && lseek(fd, 0, SEEK_SET) == 0) {
		rc = proto_recv(fd, &h, &payload);
		if (size == 0)
			check(rc == -ECONNRESET);
		if (rc == 0) {
			check(payload.len == h.len && h.len <= size - PROTO_HDR_LEN);
			check(proto_validate(payload.data, payload.len) == 0);
		}
	}
	close(fd);
	buf_release(&payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_hdr h;
	const uint8_t *p = data;
	size_t len = size;
	int valid, rc;

	if (size >= PROTO_HDR_LEN) {
		rc = proto_hdr_decode(data, &h);
		check(rc == 0 || rc == CS_E_PROTO || rc == CS_E_TOOBIG);
		p = data + PROTO_HDR_LEN;
		len = size - PROTO_HDR_LEN;
		if (rc == 0 && h.len < len)
			len = h.len;
	}
	rc = proto_validate(p, len);
	check(rc == 0 || rc == CS_E_PROTO);
	valid = rc == 0;
	fuzz_getters(p, len, valid);
	if (valid)
		fuzz_reencode(p, len);
	fuzz_recv(data, size);
	return 0;
}
