/*
 * test_proto.c — unit tests of src/common/proto.c: encoding round trips,
 * every header and payload check of the bounded decoder, and send/recv over
 * a socketpair (EOF before a header vs inside a message, error replies).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/proto.h"

/* Append a raw field header + value (no checks), for building bad payloads. */
static void raw_field(struct buf *b, uint16_t tag, uint32_t len, const void *v,
		      size_t vlen)
{
	assert_int_equal(buf_put_u16(b, tag), 0);
	assert_int_equal(buf_put_u32(b, len), 0);
	assert_int_equal(buf_append(b, v, vlen), 0);
}

static void test_header_roundtrip(void **state)
{
	struct proto_hdr in = { PROTO_MAGIC, PROTO_VERSION, PROTO_SUBMIT, 0xa1b2c3d4u, 77 };
	struct proto_hdr out;
	uint8_t raw[PROTO_HDR_LEN];
	static const uint8_t want[PROTO_HDR_LEN] = {
		'C', 'S', 'R', 'V', 0, 1, 0, 3, 0xa1, 0xb2, 0xc3, 0xd4, 0, 0, 0, 77,
	};

	(void)state;
	proto_hdr_encode(raw, &in);
	assert_memory_equal(raw, want, sizeof(want));
	assert_int_equal(proto_hdr_decode(raw, &out), 0);
	assert_int_equal(out.magic, in.magic);
	assert_int_equal(out.version, in.version);
	assert_int_equal(out.type, in.type);
	assert_int_equal(out.req_id, in.req_id);
	assert_int_equal(out.len, in.len);
}

static void test_header_bad_magic(void **state)
{
	struct proto_hdr h = { 0x43535257u, PROTO_VERSION, PROTO_PING, 1, 0 };
	uint8_t raw[PROTO_HDR_LEN];

	(void)state;
	proto_hdr_encode(raw, &h);
	assert_int_equal(proto_hdr_decode(raw, &h), CS_E_PROTO);
}

static void test_header_bad_version(void **state)
{
	struct proto_hdr h = { PROTO_MAGIC, 2, PROTO_PING, 1, 0 };
	uint8_t raw[PROTO_HDR_LEN];

	(void)state;
	proto_hdr_encode(raw, &h);
	assert_int_equal(proto_hdr_decode(raw, &h), CS_E_PROTO);
	h.version = 0;
	proto_hdr_encode(raw, &h);
	assert_int_equal(proto_hdr_decode(raw, &h), CS_E_PROTO);
}

static void test_header_oversize(void **state)
{
	struct proto_hdr h = { PROTO_MAGIC, PROTO_VERSION, PROTO_PING, 1,
			       PROTO_MAX_PAYLOAD + 1 };
	uint8_t raw[PROTO_HDR_LEN];

	(void)state;
	proto_hdr_encode(raw, &h);
	assert_int_equal(proto_hdr_decode(raw, &h), CS_E_TOOBIG);
	h.len = PROTO_MAX_PAYLOAD;
	proto_hdr_encode(raw, &h);
	assert_int_equal(proto_hdr_decode(raw, &h), 0);
}

static void test_fields_roundtrip(void **state)
{
	struct buf b = BUF_INIT;
	struct proto_reader r;
	struct proto_hdr h;
	const uint8_t *v;
	size_t len;
	uint32_t u32;
	uint64_t u64;
	char *s = NULL;
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	(void)state;
	assert_int_equal(proto_begin(&b, PROTO_SUBMIT, 9), 0);
	assert_int_equal(proto_put_bytes(&b, PT_CSR, der, sizeof(der)), 0);
	assert_int_equal(proto_put_str(&b, PT_PROFILE, "tls-server"), 0);
	assert_int_equal(proto_put_u32(&b, PT_DISPOSITION, 20), 0);
	assert_int_equal(proto_put_u64(&b, PT_REQUEST_ID, 0x1122334455667788ull), 0);
	assert_int_equal(proto_put_bytes(&b, PT_CERT, NULL, 0), 0);
	assert_int_equal(proto_finish(&b), 0);

	assert_int_equal(proto_hdr_decode(b.data, &h), 0);
	assert_int_equal(h.type, PROTO_SUBMIT);
	assert_int_equal(h.req_id, 9);
	assert_int_equal(h.len, b.len - PROTO_HDR_LEN);
	assert_int_equal(proto_validate(b.data + PROTO_HDR_LEN, h.len), 0);
	proto_reader_init(&r, b.data + PROTO_HDR_LEN, h.len);

	assert_int_equal(proto_get_bytes(&r, PT_CSR, &v, &len), 0);
	assert_int_equal(len, sizeof(der));
	assert_memory_equal(v, der, sizeof(der));
	assert_int_equal(proto_get_str(&r, PT_PROFILE, 64, &s), 0);
	assert_string_equal(s, "tls-server");
	free(s);
	assert_int_equal(proto_get_u32(&r, PT_DISPOSITION, &u32), 0);
	assert_int_equal(u32, 20);
	assert_int_equal(proto_get_u64(&r, PT_REQUEST_ID, &u64), 0);
	assert_true(u64 == 0x1122334455667788ull);
	assert_int_equal(proto_get_bytes(&r, PT_CERT, &v, &len), 0);
	assert_int_equal(len, 0);
	buf_release(&b);
}

static void test_empty_payload(void **state)
{
	struct buf b = BUF_INIT;
	struct proto_reader r;
	uint32_t v;

	(void)state;
	assert_int_equal(proto_begin(&b, PROTO_PING, 1), 0);
	assert_int_equal(proto_finish(&b), 0);
	assert_int_equal(b.len, PROTO_HDR_LEN);
	assert_int_equal(proto_validate(NULL, 0), 0);
	proto_reader_init(&r, NULL, 0);
	assert_int_equal(proto_get_u32(&r, PT_STATUS, &v), -ENOENT);
	buf_release(&b);
}

static void test_begin_resets(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_append_str(&b, "garbage"), 0);
	assert_int_equal(proto_begin(&b, PROTO_PING, 5), 0);
	assert_int_equal(b.len, PROTO_HDR_LEN);
	assert_int_equal(be32_load(b.data), PROTO_MAGIC);
	buf_release(&b);
}

static void test_first_field_wins(void **state)
{
	struct buf b = BUF_INIT;
	struct proto_reader r;
	uint32_t v;

	(void)state;
	assert_int_equal(proto_put_u32(&b, PT_REASON, 1), 0);
	assert_int_equal(proto_put_u32(&b, PT_REASON, 2), 0);
	assert_int_equal(proto_validate(b.data, b.len), 0);
	proto_reader_init(&r, b.data, b.len);
	assert_int_equal(proto_get_u32(&r, PT_REASON, &v), 0);
	assert_int_equal(v, 1);
	buf_release(&b);
}

static void test_field_overruns_payload(void **state)
{
	struct buf b = BUF_INIT;
	struct proto_reader r;
	const uint8_t *v;
	size_t len;

	(void)state;
	raw_field(&b, PT_CSR, 10, "abc", 3);
	assert_int_equal(proto_validate(b.data, b.len), CS_E_PROTO);
	/* Even without validate, getters never read past the payload. */
	proto_reader_init(&r, b.data, b.len);
	assert_int_equal(proto_get_bytes(&r, PT_CSR, &v, &len), CS_E_PROTO);
	buf_reset(&b);
	raw_field(&b, PT_CSR, 0xffffffffu, "abc", 3);
	assert_int_equal(proto_validate(b.data, b.len), CS_E_PROTO);
	buf_release(&b);
}

static void test_trailing_bytes(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(proto_put_u32(&b, PT_REASON, 1), 0);
	/* 1 to 5 stray bytes: too short to be a field header. */
	for (i = 1; i <= 5; i++) {
		assert_int_equal(buf_put_u8(&b, 0), 0);
		assert_int_equal(proto_validate(b.data, b.len), CS_E_PROTO);
	}
	/* Six zero bytes are a valid empty field of tag 0. */
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_int_equal(proto_validate(b.data, b.len), 0);
	buf_release(&b);
}

static void test_missing_field(void **state)
{
	struct buf b = BUF_INIT;
	struct proto_reader r;
	const uint8_t *v;
	size_t len;
	uint64_t u64;
	char *s = (char *)"x";

	(void)state;
	assert_int_equal(proto_put_u32(&b, PT_REASON, 1), 0);
	proto_reader_init(&r, b.data, b.len);
	assert_int_equal(proto_get_bytes(&r, PT_CSR, &v, &len), -ENOENT);
	assert_int_equal(proto_get_u64(&r, PT_DATE, &u64), -ENOENT);
	assert_int_equal(proto_get_str(&r, PT_PROFILE, 10, &s), -ENOENT);
	assert_null(s);
	buf_release(&b);
}

static void test_wrong_integer_width(void **state)
{
	struct buf b = BUF_INIT;
	struct proto_reader r;
	uint32_t u32 = 7;
	uint64_t u64 = 7;

	(void)state;
	assert_int_equal(proto_put_u64(&b, PT_REASON, 1), 0);
	assert_int_equal(proto_put_u32(&b, PT_DATE, 1), 0);
	assert_int_equal(proto_put_bytes(&b, PT_FILTER, "", 0), 0);
	proto_reader_init(&r, b.data, b.len);
	assert_int_equal(proto_get_u32(&r, PT_REASON, &u32), CS_E_PROTO);
	assert_int_equal(proto_get_u64(&r, PT_DATE, &u64), CS_E_PROTO);
	assert_int_equal(proto_get_u32(&r, PT_FILTER, &u32), CS_E_PROTO);
	assert_int_equal(u32, 7);
	assert_true(u64 == 7);
	buf_release(&b);
}

static void test_string_checks(void **state)
{
	struct buf b = BUF_INIT;
	struct proto_reader r;
	char *s = NULL;

	(void)state;
	assert_int_equal(proto_put_bytes(&b, PT_PROFILE, "ab\0cd", 5), 0);
	assert_int_equal(proto_put_str(&b, PT_SERIAL, "0A1B"), 0);
	assert_int_equal(proto_put_str(&b, PT_MESSAGE, ""), 0);
	proto_reader_init(&r, b.data, b.len);
	assert_int_equal(proto_get_str(&r, PT_PROFILE, 100, &s), CS_E_PROTO);
	assert_null(s);
	assert_int_equal(proto_get_str(&r, PT_SERIAL, 3, &s), CS_E_PROTO);
	assert_null(s);
	assert_int_equal(proto_get_str(&r, PT_SERIAL, 4, &s), 0);
	assert_string_equal(s, "0A1B");
	free(s);
	assert_int_equal(proto_get_str(&r, PT_MESSAGE, 0, &s), 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(proto_put_str(&b, PT_MESSAGE, NULL), CS_E_INVALID);
	buf_release(&b);
}

static void test_finish_checks(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(proto_finish(&b), CS_E_INVALID);
	assert_int_equal(proto_begin(&b, PROTO_SUBMIT, 1), 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -ENOMEM);
	assert_int_equal(proto_finish(&b), -ENOMEM);
	buf_release(&b);
}

static void test_finish_too_big(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t *big = calloc(1, PROTO_MAX_PAYLOAD);

	(void)state;
	assert_non_null(big);
	assert_int_equal(proto_begin(&b, PROTO_SUBMIT, 1), 0);
	assert_int_equal(proto_put_bytes(&b, PT_CSR, big, PROTO_MAX_PAYLOAD - 6), 0);
	assert_int_equal(proto_finish(&b), 0);
	assert_int_equal(proto_put_u32(&b, PT_REASON, 1), 0);
	assert_int_equal(proto_finish(&b), CS_E_TOOBIG);
	assert_int_equal(proto_begin(&b, PROTO_SUBMIT, 1), 0);
	assert_int_equal(proto_put_bytes(&b, PT_CSR, big, PROTO_MAX_PAYLOAD),
			 CS_E_TOOBIG);
	assert_int_equal(proto_finish(&b), CS_E_TOOBIG);
	free(big);
	buf_release(&b);
}

static void test_error_reply(void **state)
{
	struct buf b = BUF_INIT;
	struct proto_reader r;
	struct proto_hdr h;
	uint32_t st;
	char *s = NULL;

	(void)state;
	assert_int_equal(proto_error_reply(&b, 42, CS_E_DENIED, "no role"), 0);
	assert_int_equal(proto_hdr_decode(b.data, &h), 0);
	assert_int_equal(h.type, PROTO_REPLY_ERR);
	assert_int_equal(h.req_id, 42);
	proto_reader_init(&r, b.data + PROTO_HDR_LEN, h.len);
	assert_int_equal(proto_validate(r.p, r.len), 0);
	assert_int_equal(proto_get_u32(&r, PT_STATUS, &st), 0);
	assert_int_equal(st, (uint32_t)0 - 20006u);
	assert_int_equal(proto_get_str(&r, PT_MESSAGE, 100, &s), 0);
	assert_string_equal(s, "no role");
	free(s);

	/* A NULL message becomes the code's sentence. */
	assert_int_equal(proto_error_reply(&b, 1, -ENOENT, NULL), 0);
	proto_reader_init(&r, b.data + PROTO_HDR_LEN, b.len - PROTO_HDR_LEN);
	assert_int_equal(proto_get_u32(&r, PT_STATUS, &st), 0);
	assert_int_equal(st, (uint32_t)0 - (uint32_t)ENOENT);
	assert_int_equal(proto_get_str(&r, PT_MESSAGE, 100, &s), 0);
	assert_string_equal(s, cs_strerror(-ENOENT));
	free(s);
	buf_release(&b);
}

static void make_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_send_recv(void **state)
{
	struct buf msg = BUF_INIT, payload = BUF_INIT;
	struct proto_reader r;
	struct proto_hdr h;
	uint64_t v;
	int sv[2];

	(void)state;
	make_pair(sv);
	assert_int_equal(proto_begin(&msg, PROTO_ISSUE, 31), 0);
	assert_int_equal(proto_put_u64(&msg, PT_REQUEST_ID, 1234), 0);
	assert_int_equal(proto_finish(&msg), 0);
	assert_int_equal(proto_send(sv[0], &msg), 0);
	assert_int_equal(proto_send(sv[0], &msg), 0);
	assert_int_equal(buf_append_str(&payload, "stale"), 0);
	assert_int_equal(proto_recv(sv[1], &h, &payload), 0);
	assert_int_equal(h.type, PROTO_ISSUE);
	assert_int_equal(h.req_id, 31);
	assert_int_equal(payload.len, msg.len - PROTO_HDR_LEN);
	proto_reader_init(&r, payload.data, payload.len);
	assert_int_equal(proto_get_u64(&r, PT_REQUEST_ID, &v), 0);
	assert_true(v == 1234);
	assert_int_equal(proto_recv(sv[1], &h, &payload), 0);
	assert_int_equal(h.req_id, 31);
	close(sv[0]);
	assert_int_equal(proto_recv(sv[1], &h, &payload), -ECONNRESET);
	close(sv[1]);
	buf_release(&msg);
	buf_release(&payload);
}

static void test_send_requires_finish(void **state)
{
	struct buf msg = BUF_INIT;
	int sv[2];

	(void)state;
	make_pair(sv);
	assert_int_equal(proto_begin(&msg, PROTO_PING, 1), 0);
	assert_int_equal(proto_put_u32(&msg, PT_REASON, 1), 0);
	assert_int_equal(proto_send(sv[0], &msg), CS_E_INVALID);
	close(sv[0]);
	close(sv[1]);
	buf_release(&msg);
}

static void test_send_to_closed_peer(void **state)
{
	struct buf msg = BUF_INIT;
	int sv[2];

	(void)state;
	make_pair(sv);
	close(sv[1]);
	assert_int_equal(proto_begin(&msg, PROTO_PING, 1), 0);
	assert_int_equal(proto_finish(&msg), 0);
	/* MSG_NOSIGNAL: an error, not a SIGPIPE that kills the test. */
	assert_int_equal(proto_send(sv[0], &msg), -EPIPE);
	close(sv[0]);
	buf_release(&msg);
}

/* Write raw bytes to one end, close it, and return proto_recv on the other. */
static int recv_raw(const void *data, size_t len)
{
	struct buf payload = BUF_INIT;
	struct proto_hdr h;
	int sv[2], r;

	make_pair(sv);
	assert_int_equal(write(sv[0], data, len), (ssize_t)len);
	close(sv[0]);
	r = proto_recv(sv[1], &h, &payload);
	close(sv[1]);
	buf_release(&payload);
	return r;
}

static void test_recv_truncated_header(void **state)
{
	struct proto_hdr h = { PROTO_MAGIC, PROTO_VERSION, PROTO_PING, 1, 0 };
	uint8_t raw[PROTO_HDR_LEN];
	size_t n;

	(void)state;
	proto_hdr_encode(raw, &h);
	assert_int_equal(recv_raw(raw, 0), -ECONNRESET);
	for (n = 1; n < PROTO_HDR_LEN; n++)
		assert_int_equal(recv_raw(raw, n), -EPIPE);
	assert_int_equal(recv_raw(raw, PROTO_HDR_LEN), 0);
}

static void test_recv_truncated_payload(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(proto_begin(&msg, PROTO_SUBMIT, 3), 0);
	assert_int_equal(proto_put_str(&msg, PT_PROFILE, "tls-client"), 0);
	assert_int_equal(proto_finish(&msg), 0);
	assert_int_equal(recv_raw(msg.data, msg.len), 0);
	assert_int_equal(recv_raw(msg.data, msg.len - 1), -EPIPE);
	assert_int_equal(recv_raw(msg.data, PROTO_HDR_LEN), -EPIPE);
	buf_release(&msg);
}

static void test_recv_bad_messages(void **state)
{
	struct buf msg = BUF_INIT;
	struct proto_hdr h = { PROTO_MAGIC, PROTO_VERSION, PROTO_PING, 1, 0 };

	(void)state;
	h.magic = 0;
	assert_int_equal(buf_reserve(&msg, PROTO_HDR_LEN), 0);
	msg.len = PROTO_HDR_LEN;
	proto_hdr_encode(msg.data, &h);
	assert_int_equal(recv_raw(msg.data, msg.len), CS_E_PROTO);

	h.magic = PROTO_MAGIC;
	h.version = 9;
	proto_hdr_encode(msg.data, &h);
	assert_int_equal(recv_raw(msg.data, msg.len), CS_E_PROTO);

	h.version = PROTO_VERSION;
	h.len = PROTO_MAX_PAYLOAD + 1;
	proto_hdr_encode(msg.data, &h);
	assert_int_equal(recv_raw(msg.data, msg.len), CS_E_TOOBIG);

	/* A complete frame whose field overruns the payload. */
	h.len = 9;
	proto_hdr_encode(msg.data, &h);
	raw_field(&msg, PT_CSR, 4, "abc", 3);
	assert_int_equal(recv_raw(msg.data, msg.len), CS_E_PROTO);
	buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_header_bad_magic),
		cmocka_unit_test(test_header_bad_version),
		cmocka_unit_test(test_header_oversize),
		cmocka_unit_test(test_fields_roundtrip),
		cmocka_unit_test(test_empty_payload),
		cmocka_unit_test(test_begin_resets),
		cmocka_unit_test(test_first_field_wins),
		cmocka_unit_test(test_field_overruns_payload),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_missing_field),
		cmocka_unit_test(test_wrong_integer_width),
		cmocka_unit_test(test_string_checks),
		cmocka_unit_test(test_finish_checks),
		cmocka_unit_test(test_finish_too_big),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_send_recv),
		cmocka_unit_test(test_send_requires_finish),
		cmocka_unit_test(test_send_to_closed_peer),
		cmocka_unit_test(test_recv_truncated_header),
		cmocka_unit_test(test_recv_truncated_payload),
		cmocka_unit_test(test_recv_bad_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
