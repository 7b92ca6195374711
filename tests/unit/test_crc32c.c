/*
 * test_crc32c.c — unit tests of src/common/crc32c.c: known vectors, chaining,
 * and agreement of the table path with the SSE4.2 path on every length and
 * alignment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/crc32c.h"

/* Test hooks exported by crc32c.c. */

static void test_check_value(void **state)
{
	(void)state;
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c_sw(0, "123456789", 9), 0xE3069283u);
}

static void test_empty_is_identity(void **state)
{
	(void)state;
	assert_int_equal(crc32c(0, "", 0), 0);
	assert_int_equal(crc32c(0x12345678u, NULL, 0), 0x12345678u);
}

/* RFC 3720 (iSCSI) B.4 test vectors. */
static void test_rfc3720_vectors(void **state)
{
	uint8_t v[32];
	size_t i;

	(void)state;
	memset(v, 0, sizeof(v));
	assert_int_equal(crc32c(0, v, sizeof(v)), 0x8A9136AAu);
	memset(v, 0xff, sizeof(v));
	assert_int_equal(crc32c(0, v, sizeof(v)), 0x62A8AB43u);
	for (i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t)i;
	assert_int_equal(crc32c(0, v, sizeof(v)), 0x46DD794Eu);
	for (i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c(0, v, sizeof(v)), 0x113FDB5Cu);
}

static void test_chaining(void **state)
{
	const char *s = "The quick brown fox jumps over the lazy dog";
	size_t n = strlen(s), split;
	uint32_t whole = crc32c(0, s, n);

	(void)state;
	for (split = 0; split <= n; split++)
		assert_int_equal(crc32c(crc32c(0, s, split), s + split, n - split),
				 whole);
}

static void test_hw_agrees_with_table(void **state)
{
	uint8_t data[300];
	uint32_t seed = 0x9e3779b9u;
	size_t off, len, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 16);
	}
	if (!crc32c_hw_available()) {
		/* No SSE4.2: crc32c() must be the table path. */
		assert_int_equal(crc32c(0, data, sizeof(data)),
				 crc32c_sw(0, data, sizeof(data)));
		skip();
	}
	for (off = 0; off < 8; off++) {
		for (len = 0; len + off <= sizeof(data); len++) {
			assert_int_equal(crc32c_hw(0, data + off, len),
					 crc32c_sw(0, data + off, len));
			assert_int_equal(crc32c_hw(0xdeadbeefu, data + off, len),
					 crc32c_sw(0xdeadbeefu, data + off, len));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_empty_is_identity),
		cmocka_unit_test(test_rfc3720_vectors),
		cmocka_unit_test(test_chaining),
		cmocka_unit_test(test_hw_agrees_with_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
