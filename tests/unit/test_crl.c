/*
 * test_crl.c — unit tests for src/ca/crl.c: the CRL verifies with the CA
 * key, is v2 with the given number and AKI, lists sorted entries with
 * reasons that round-trip, and refuses bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "common/errors.h"

struct fixture {
	EVP_PKEY *cakey;
	X509 *root;
	struct ca_signer *signer;
	time_t now;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || ca_key_generate(CA_KEY_EC_P256, &f->cakey) != 0 ||
	    ca_make_root(f->cakey, "CN=CRL Test Root", 365, &f->root, NULL, 0) != 0 ||
	    ca_signer_new(f->cakey, f->root, &f->signer) != 0)
		return -1;
	f->now = time(NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ca_signer_free(f->signer);
	X509_free(f->root);
	EVP_PKEY_free(f->cakey);
	free(f);
	return 0;
}

static X509_CRL *build(struct fixture *f, const struct ca_revoked *list, size_t n,
		       uint64_t number)
{
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	X509_CRL *crl;

	assert_int_equal(ca_crl_build(f->signer, list, n, number, f->now, 24,
				      &der, &len, NULL, 0), 0);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(crl);
	assert_ptr_equal(p, der + len);
	free(der);
	return crl;
}

static int entry_reason(X509_REVOKED *r)
{
	ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
	int v;

	if (e == NULL)
		return -1;
	v = (int)ASN1_ENUMERATED_get(e);
	ASN1_ENUMERATED_free(e);
	return v;
}

static void crl_verifies_and_has_number_and_aki(void **state)
{
	struct fixture *f = *state;
	X509_CRL *crl = build(f, NULL, 0, 42);
	ASN1_INTEGER *num;
	AUTHORITY_KEYID *aki;
	int days = 0, secs = 0;

	assert_int_equal(X509_CRL_verify(crl, f->cakey), 1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
				       X509_get_subject_name(f->root)), 0);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_non_null(num);
	assert_int_equal(ASN1_INTEGER_get(num), 42);
	ASN1_INTEGER_free(num);
	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid,
					       X509_get0_subject_key_id(f->root)), 0);
	AUTHORITY_KEYID_free(aki);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), f->now), 0);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(crl),
					X509_CRL_get0_nextUpdate(crl)), 1);
	assert_int_equal(days, 1);
	assert_int_equal(secs, 0);
	/* no revokedCertificates field at all when empty (RFC 5280 5.1.2.6) */
	assert_null(X509_CRL_get_REVOKED(crl));
	X509_CRL_free(crl);
}

static void entries_are_sorted_with_reasons(void **state)
{
	struct fixture *f = *state;
	const struct ca_revoked list[] = {
		{ "7F00AA", f->now - 300, 6 },
		{ "12", f->now - 200, 0 },
		{ "3ABC", f->now - 100, 1 },
	};
	static const long want_serial[] = { 0x12, 0x3ABC, 0x7F00AA };
	static const int want_reason[] = { -1, 1, 6 }; /* -1: no extension */
	static const time_t want_off[] = { 200, 100, 300 };
	X509_CRL *crl = build(f, list, 3, 7);
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	X509_REVOKED *r;
	int i;

	assert_int_equal(X509_CRL_verify(crl, f->cakey), 1);
	assert_int_equal(sk_X509_REVOKED_num(revs), 3);
	for (i = 0; i < 3; i++) {
		r = sk_X509_REVOKED_value(revs, i);
		assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r)),
				 want_serial[i]);
		assert_int_equal(entry_reason(r), want_reason[i]);
		assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r),
						      f->now - want_off[i]), 0);
	}
	X509_CRL_free(crl);
}

static void every_reason_round_trips(void **state)
{
	struct fixture *f = *state;
	struct ca_revoked list[8];
	static const int reasons[] = { 1, 2, 3, 4, 5, 6, 9, 10 };
	char serials[8][4];
	X509_CRL *crl;
	STACK_OF(X509_REVOKED) *revs;
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(serials[i], sizeof(serials[i]), "%X", i + 1);
		list[i].serial_hex = serials[i];
		list[i].revoked_at = f->now;
		list[i].reason = reasons[i];
	}
	crl = build(f, list, 8, 1);
	revs = X509_CRL_get_REVOKED(crl);
	for (i = 0; i < 8; i++)
		assert_int_equal(entry_reason(sk_X509_REVOKED_value(revs, i)), reasons[i]);
	X509_CRL_free(crl);
}

static void large_crl_number_round_trips(void **state)
{
	struct fixture *f = *state;
	X509_CRL *crl = build(f, NULL, 0, UINT64_MAX);
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	uint64_t v = 0;

	assert_non_null(num);
	assert_int_equal(ASN1_INTEGER_get_uint64(&v, num), 1);
	assert_true(v == UINT64_MAX);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
}

static void bad_input_is_refused(void **state)
{
	struct fixture *f = *state;
	struct ca_revoked bad_reason = { "01", 0, 7 };
	struct ca_revoked remove_from_crl = { "01", 0, 8 };
	struct ca_revoked bad_serial = { "xyz", 0, 0 };
	struct ca_revoked dup[2] = { { "0A", 0, 0 }, { "a", 0, 1 } };
	uint8_t *der = NULL;
	size_t len = 0;
	char err[256] = "";

	assert_int_equal(ca_crl_build(f->signer, &bad_reason, 1, 1, f->now, 24,
				      &der, &len, err, sizeof(err)), CS_E_INVALID);
	assert_non_null(strstr(err, "reason"));
	assert_int_equal(ca_crl_build(f->signer, &remove_from_crl, 1, 1, f->now, 24,
				      &der, &len, NULL, 0), CS_E_INVALID);
	assert_int_equal(ca_crl_build(f->signer, &bad_serial, 1, 1, f->now, 24,
				      &der, &len, NULL, 0), CS_E_INVALID);
	assert_int_equal(ca_crl_build(f->signer, dup, 2, 1, f->now, 24,
				      &der, &len, err, sizeof(err)), CS_E_INVALID);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(ca_crl_build(f->signer, NULL, 0, 1, f->now, 0,
				      &der, &len, NULL, 0), CS_E_INVALID);
	assert_null(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crl_verifies_and_has_number_and_aki),
		cmocka_unit_test(entries_are_sorted_with_reasons),
		cmocka_unit_test(every_reason_round_trips),
		cmocka_unit_test(large_crl_number_round_trips),
		cmocka_unit_test(bad_input_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
