/*
 * test_buf.c — unit tests of src/common/buf.c and src/common/errors.c:
 * growth, big-endian puts, printf, detach, reset/release, sticky OOM, and
 * cs_strerror coverage.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/errors.h"

static void test_init_is_empty(void **state)
{
	struct buf b = BUF_INIT;
	struct buf c;

	(void)state;
	buf_init(&c);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_null(c.data);
	assert_int_equal(c.cap, 0);
	assert_int_equal(c.oom, 0);
}

static void test_append_grows(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t chunk[100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)i;
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap >= b.len);
	for (i = 0; i < 1000; i++)
		assert_memory_equal(b.data + i * 100, chunk, sizeof(chunk));
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_append_zero_length(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_put_big_endian(void **state)
{
	static const uint8_t want[] = {
		0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	};
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_put_u8(&b, 0xab), 0);
	assert_int_equal(buf_put_u16(&b, 0x1234), 0);
	assert_int_equal(buf_put_u32(&b, 0xdeadbeefu), 0);
	assert_int_equal(buf_put_u64(&b, 0x0102030405060708ull), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(be16_load(b.data + 1), 0x1234);
	assert_int_equal(be32_load(b.data + 3), 0xdeadbeefu);
	assert_true(be64_load(b.data + 7) == 0x0102030405060708ull);
	buf_release(&b);
}

static void test_printf_appends(void **state)
{
	struct buf b = BUF_INIT;
	char big[600];

	(void)state;
	assert_int_equal(buf_append_str(&b, "x="), 0);
	assert_int_equal(buf_printf(&b, "%d,%s", 42, "ok"), 0);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "x=42,ok", 7);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 7 + 2 + sizeof(big) - 1);
	assert_int_equal(b.data[7], '[');
	assert_int_equal(b.data[b.len - 1], ']');
	buf_release(&b);
}

static void test_detach_nul_terminates(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t *d;
	size_t len = 99;

	(void)state;
	assert_int_equal(buf_append_str(&b, "hello"), 0);
	d = buf_detach(&b, &len);
	assert_non_null(d);
	assert_int_equal(len, 5);
	assert_string_equal((char *)d, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(d);
}

static void test_detach_empty(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t *d;
	size_t len = 99;

	(void)state;
	d = buf_detach(&b, &len);
	assert_non_null(d);
	assert_int_equal(len, 0);
	assert_int_equal(d[0], 0);
	free(d);
}

static void test_reset_keeps_allocation(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t *before;

	(void)state;
	assert_int_equal(buf_append_str(&b, "abc"), 0);
	before = b.data;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, before);
	assert_int_equal(buf_append_str(&b, "de"), 0);
	assert_memory_equal(b.data, "de", 2);
	buf_release(&b);
	buf_release(&b); /* release twice is fine */
	buf_release(NULL);
}

static void test_oom_is_sticky(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_append_str(&b, "keep"), 0);
	/* An impossible size fails without touching the contents. */
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -ENOMEM);
	assert_int_equal(b.oom, 1);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "keep", 4);
	assert_int_equal(buf_append_str(&b, "x"), -ENOMEM);
	assert_int_equal(buf_put_u32(&b, 1), -ENOMEM);
	assert_int_equal(buf_printf(&b, "%d", 1), -ENOMEM);
	assert_null(buf_detach(&b, NULL));
	assert_int_equal(b.len, 4);
	buf_reset(&b);
	assert_int_equal(b.oom, 0);
	assert_int_equal(buf_append_str(&b, "y"), 0);
	buf_release(&b);
}

static void test_strerror_all_codes(void **state)
{
	int code;

	(void)state;
	for (code = CS_E_BASE; code > CS_E_LAST; code--) {
		const char *s = cs_strerror(code);
		assert_non_null(s);
		assert_true(strlen(s) > 5);
	}
	assert_string_equal(cs_strerror(CS_E_OFFLINE),
			    "The certificate server is not running.");
	assert_string_equal(cs_strerror(-ENOENT), "No such file or directory");
	assert_non_null(cs_strerror(0));
	assert_non_null(cs_strerror(12345));
	assert_non_null(cs_strerror(-9999));
	assert_non_null(cs_strerror(CS_E_LAST));
	assert_non_null(cs_strerror(-2000000000));
}

static void test_hex(void **state)
{
	static const uint8_t in[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[2 * sizeof(in) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	buf_hex(in, sizeof(in), out);
	assert_string_equal(out, "000fa5ff");
	buf_hex(in, 0, out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty),
		cmocka_unit_test(test_append_grows),
		cmocka_unit_test(test_append_zero_length),
		cmocka_unit_test(test_put_big_endian),
		cmocka_unit_test(test_printf_appends),
		cmocka_unit_test(test_detach_nul_terminates),
		cmocka_unit_test(test_detach_empty),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_oom_is_sticky),
		cmocka_unit_test(test_strerror_all_codes),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
