/*
 * test_serial.c — unit tests for src/ca/serial.c: random serials, the
 * canonical text form, and CRL reason codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ca/serial.h"
#include "common/errors.h"

static void random_serials_are_16_positive_bytes(void **state)
{
	uint8_t a[CA_SERIAL_LEN], b[CA_SERIAL_LEN];
	char hex[CA_SERIAL_HEX_MAX];
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		assert_int_equal(ca_serial_random(a), 0);
		assert_int_equal(a[0] & 0x80, 0);
		assert_true(a[0] >= 0x10);
		ca_serial_hex(a, sizeof(a), hex);
		/* always 32 digits, as OpenSSL prints it */
		assert_int_equal(strlen(hex), 2 * CA_SERIAL_LEN);
	}
	assert_int_equal(ca_serial_random(b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

static void normalize_strips_colons_case_and_zeros(void **state)
{
	char out[CA_SERIAL_HEX_MAX + 8];

	(void)state;
	assert_int_equal(ca_serial_normalize("00:ab:CD", out), 0);
	assert_string_equal(out, "ABCD");
	assert_int_equal(ca_serial_normalize("0000", out), 0);
	assert_string_equal(out, "0");
	assert_int_equal(ca_serial_normalize("7f0a", out), 0);
	assert_string_equal(out, "7F0A");
}

static void normalize_rejects_non_hex(void **state)
{
	char out[CA_SERIAL_HEX_MAX + 8];

	(void)state;
	assert_int_equal(ca_serial_normalize("xyz", out), CS_E_INVALID);
	assert_int_equal(ca_serial_normalize("", out), CS_E_INVALID);
	assert_int_equal(ca_serial_normalize(":", out), CS_E_INVALID);
	assert_int_equal(ca_serial_normalize("12 34", out), CS_E_INVALID);
	assert_int_equal(ca_serial_normalize("0x12", out), CS_E_INVALID);
	/* 41 significant digits: longer than RFC 5280 allows */
	assert_int_equal(ca_serial_normalize(
		"10000000000000000000000000000000000000000", out), CS_E_INVALID);
}

static void hex_agrees_with_normalize(void **state)
{
	static const uint8_t odd[] = { 0x0A, 0xBC };
	static const uint8_t zeros[] = { 0x00, 0x00, 0x12 };
	static const uint8_t none[] = { 0x00 };
	char hex[CA_SERIAL_HEX_MAX], norm[CA_SERIAL_HEX_MAX + 8];

	(void)state;
	ca_serial_hex(odd, sizeof(odd), hex);
	assert_string_equal(hex, "ABC");
	assert_int_equal(ca_serial_normalize("0a:bc", norm), 0);
	assert_string_equal(norm, hex);
	ca_serial_hex(zeros, sizeof(zeros), hex);
	assert_string_equal(hex, "12");
	ca_serial_hex(none, sizeof(none), hex);
	assert_string_equal(hex, "0");
}

static void reasons_parse_by_name_and_number(void **state)
{
	int r = -1, i;

	(void)state;
	assert_int_equal(ca_reason_parse("keyCompromise", &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(ca_reason_parse("CERTIFICATEHOLD", &r), 0);
	assert_int_equal(r, 6);
	assert_int_equal(ca_reason_parse("0", &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(ca_reason_parse("10", &r), 0);
	assert_int_equal(r, 10);
	for (i = 0; i <= 10; i++) {
		if (i == 7)
			continue;
		assert_non_null(ca_reason_name(i));
		assert_int_equal(ca_reason_parse(ca_reason_name(i), &r), 0);
		assert_int_equal(r, i);
	}
}

static void reasons_reject_7_11_and_junk(void **state)
{
	int r = 99;

	(void)state;
	assert_int_equal(ca_reason_parse("7", &r), CS_E_INVALID);
	assert_int_equal(ca_reason_parse("11", &r), CS_E_INVALID);
	assert_int_equal(ca_reason_parse("-1", &r), CS_E_INVALID);
	assert_int_equal(ca_reason_parse("1x", &r), CS_E_INVALID);
	assert_int_equal(ca_reason_parse("", &r), CS_E_INVALID);
	assert_int_equal(ca_reason_parse("stolen", &r), CS_E_INVALID);
	assert_int_equal(r, 99);
	assert_null(ca_reason_name(7));
	assert_null(ca_reason_name(11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_serials_are_16_positive_bytes),
		cmocka_unit_test(normalize_strips_colons_case_and_zeros),
		cmocka_unit_test(normalize_rejects_non_hex),
		cmocka_unit_test(hex_agrees_with_normalize),
		cmocka_unit_test(reasons_parse_by_name_and_number),
		cmocka_unit_test(reasons_reject_7_11_and_junk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
