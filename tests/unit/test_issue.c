/*
 * test_issue.c — unit tests for src/ca/issue.c (and profile.c): issued
 * certificates verify, carry exactly the profile's extensions, never CA:TRUE
 * from a request, respect validity caps and SAN policy, and validate as a
 * chain (strict, with and without a revoking CRL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ca/ca.h"
#include "common/errors.h"
#include "csrgen.h"

struct fixture {
	EVP_PKEY *cakey;
	X509 *root;
	struct ca_signer *signer;
	EVP_PKEY *leafkey;  /* P-256 */
	time_t now;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || ca_key_generate(CA_KEY_EC_P256, &f->cakey) != 0 ||
	    ca_key_generate(CA_KEY_EC_P256, &f->leafkey) != 0)
		return -1;
	if (ca_make_root(f->cakey, "/CN=Issue Test Root/O=certsrv", 3650,
			 &f->root, NULL, 0) != 0)
		return -1;
	if (ca_signer_new(f->cakey, f->root, &f->signer) != 0)
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
	EVP_PKEY_free(f->leafkey);
	EVP_PKEY_free(f->cakey);
	free(f);
	return 0;
}

/* Issue under a built-in profile from a fresh P-256 request. */
static int issue(struct fixture *f, const char *profile, const char *cn,
		 const char *san, int ask_ca, const struct ca_urls *urls, int days,
		 X509 **out, char *err, size_t errlen)
{
	struct ca_profile p;
	uint8_t serial[CA_SERIAL_LEN];
	struct ca_csr *req = csrgen_parsed(f->leafkey, cn, san, ask_ca);
	int rc;

	assert_non_null(req);
	assert_int_equal(ca_profile_builtin(profile, &p), 0);
	assert_int_equal(ca_serial_random(serial), 0);
	rc = ca_issue(f->signer, req, &p, urls, serial, f->now, days, out, err, errlen);
	ca_csr_free(req);
	return rc;
}

static int has_ext(X509 *x, int nid, int *critical)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i < 0)
		return 0;
	*critical = X509_EXTENSION_get_critical(X509_get_ext(x, i));
	return 1;
}

static long validity_days(X509 *x)
{
	int days = 0, secs = 0;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
					X509_get0_notAfter(x)), 1);
	return days;
}

static void tls_server_cert_has_exactly_profile_extensions(void **state)
{
	struct fixture *f = *state;
	X509 *x = NULL;
	int crit = -1;

	assert_int_equal(issue(f, "tls-server", "www.example", "DNS:www.example",
			       0, NULL, 0, &x, NULL, 0), 0);
	assert_int_equal(X509_verify(x, f->cakey), 1);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
				       X509_get_subject_name(f->root)), 0);
	assert_int_equal(X509_get_ext_count(x), 6);
	assert_true(has_ext(x, NID_basic_constraints, &crit));
	assert_int_equal(crit, 1);
	assert_true(has_ext(x, NID_key_usage, &crit));
	assert_int_equal(crit, 1);
	assert_true(has_ext(x, NID_ext_key_usage, &crit));
	assert_int_equal(crit, 0);
	assert_true(has_ext(x, NID_subject_key_identifier, &crit));
	assert_true(has_ext(x, NID_authority_key_identifier, &crit));
	assert_true(has_ext(x, NID_subject_alt_name, &crit));
	assert_int_equal(crit, 0);
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
					       X509_get0_subject_key_id(f->root)), 0);
	assert_int_equal(X509_check_host(x, "www.example", 0, 0, NULL), 1);
	X509_free(x);
}

static void serial_is_the_one_given(void **state)
{
	struct fixture *f = *state;
	struct ca_profile p;
	uint8_t serial[CA_SERIAL_LEN];
	char want[CA_SERIAL_HEX_MAX], *got;
	struct ca_csr *req = csrgen_parsed(f->leafkey, "a", "DNS:a.example", 0);
	BIGNUM *bn;
	X509 *x = NULL;

	assert_int_equal(ca_profile_builtin("tls-server", &p), 0);
	assert_int_equal(ca_serial_random(serial), 0);
	assert_int_equal(ca_issue(f->signer, req, &p, NULL, serial, f->now, 0,
				  &x, NULL, 0), 0);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	got = BN_bn2hex(bn);
	ca_serial_hex(serial, sizeof(serial), want);
	assert_string_equal(got[0] == '0' ? got + 1 : got, want);
	OPENSSL_free(got);
	BN_free(bn);
	X509_free(x);
	ca_csr_free(req);
}

static void requested_ca_true_is_ignored(void **state)
{
	struct fixture *f = *state;
	X509 *x = NULL;
	BASIC_CONSTRAINTS *bc;
	int crit = -1;

	assert_int_equal(issue(f, "tls-server", "evil", "DNS:evil.example", 1,
			       NULL, 0, &x, NULL, 0), 0);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_false(bc->ca);
	assert_int_equal(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_get_ext_count(x), 6);
	X509_free(x);
}

static void validity_is_capped_by_profile(void **state)
{
	struct fixture *f = *state;
	X509 *x = NULL;

	assert_int_equal(issue(f, "tls-server", "v", "DNS:v.example", 0, NULL,
			       5000, &x, NULL, 0), 0);
	assert_int_equal(validity_days(x), 397);
	X509_free(x);
	assert_int_equal(issue(f, "tls-server", "v", "DNS:v.example", 0, NULL,
			       0, &x, NULL, 0), 0);
	assert_int_equal(validity_days(x), 365);
	X509_free(x);
	assert_int_equal(issue(f, "tls-server", "v", "DNS:v.example", 0, NULL,
			       10, &x, NULL, 0), 0);
	assert_int_equal(validity_days(x), 10);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), f->now), 0);
	X509_free(x);
}

static void validity_is_capped_by_ca_not_after(void **state)
{
	struct fixture *f = *state;
	struct ca_signer *short_signer = NULL;
	struct ca_profile p;
	uint8_t serial[CA_SERIAL_LEN];
	X509 *root = NULL, *x = NULL;
	struct ca_csr *req = csrgen_parsed(f->leafkey, "s", "DNS:s.example", 0);

	assert_int_equal(ca_make_root(f->cakey, "CN=Short Root", 30, &root, NULL, 0), 0);
	assert_int_equal(ca_signer_new(f->cakey, root, &short_signer), 0);
	assert_int_equal(ca_profile_builtin("tls-server", &p), 0);
	assert_int_equal(ca_serial_random(serial), 0);
	assert_int_equal(ca_issue(short_signer, req, &p, NULL, serial, f->now, 0,
				  &x, NULL, 0), 0);
	assert_true(ASN1_TIME_compare(X509_get0_notAfter(x),
				      X509_get0_notAfter(root)) <= 0);
	assert_true(validity_days(x) <= 30);
	X509_free(x);
	X509_free(root);
	ca_csr_free(req);
	ca_signer_free(short_signer);
}

static void email_san_under_tls_server_is_policy(void **state)
{
	struct fixture *f = *state;
	X509 *x = NULL;
	char err[256] = "";

	assert_int_equal(issue(f, "tls-server", "m", "DNS:m.example,email:a@b.example",
			       0, NULL, 0, &x, err, sizeof(err)), CS_E_POLICY);
	assert_non_null(strstr(err, "email"));
	assert_null(x);
}

static void missing_san_under_tls_server_is_policy(void **state)
{
	struct fixture *f = *state;
	X509 *x = NULL;
	char err[256] = "";

	assert_int_equal(issue(f, "tls-server", "nosan", NULL, 0, NULL, 0, &x,
			       err, sizeof(err)), CS_E_POLICY);
	assert_non_null(strstr(err, "requires"));
	assert_null(x);
}

static void empty_subject_needs_san_and_makes_it_critical(void **state)
{
	struct fixture *f = *state;
	X509 *x = NULL;
	int crit = 0;

	assert_int_equal(issue(f, "tls-server", NULL, "DNS:anon.example", 0, NULL,
			       0, &x, NULL, 0), 0);
	assert_true(has_ext(x, NID_subject_alt_name, &crit));
	assert_int_equal(crit, 1);
	X509_free(x);
	x = NULL;
	assert_int_equal(issue(f, "code-signing", NULL, NULL, 0, NULL, 0, &x,
			       NULL, 0), CS_E_POLICY);
	assert_null(x);
}

static void rsa_server_key_gets_key_encipherment(void **state)
{
	struct fixture *f = *state;
	struct ca_profile p;
	uint8_t serial[CA_SERIAL_LEN];
	EVP_PKEY *rsa = NULL;
	struct ca_csr *req;
	X509 *x = NULL;

	assert_int_equal(ca_key_generate(CA_KEY_RSA2048, &rsa), 0);
	req = csrgen_parsed(rsa, "r", "DNS:r.example,IP:192.0.2.1", 0);
	assert_non_null(req);
	assert_int_equal(ca_profile_builtin("tls-server", &p), 0);
	assert_int_equal(ca_serial_random(serial), 0);
	assert_int_equal(ca_issue(f->signer, req, &p, NULL, serial, f->now, 0,
				  &x, NULL, 0), 0);
	assert_int_equal(X509_get_key_usage(x),
			 KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_check_ip_asc(x, "192.0.2.1", 0), 1);
	X509_free(x);
	ca_csr_free(req);
	EVP_PKEY_free(rsa);
}

static void urls_add_cdp_and_aia(void **state)
{
	struct fixture *f = *state;
	struct ca_urls urls = { "http://pki.example/ca.crl", "http://pki.example/ca.crt" };
	X509 *x = NULL;
	int crit = -1;

	assert_int_equal(issue(f, "tls-client", "c", "email:c@example.com", 0,
			       &urls, 0, &x, NULL, 0), 0);
	assert_int_equal(X509_get_ext_count(x), 8);
	assert_true(has_ext(x, NID_crl_distribution_points, &crit));
	assert_int_equal(crit, 0);
	assert_true(has_ext(x, NID_info_access, &crit));
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	X509_free(x);
}

static void sub_ca_gets_ca_true_pathlen_0(void **state)
{
	struct fixture *f = *state;
	struct ca_profile p;
	X509 *x = NULL;

	assert_int_equal(ca_profile_builtin("sub-ca", &p), 0);
	assert_int_equal(p.pend, 1);
	assert_int_equal(issue(f, "sub-ca", "Sub CA", NULL, 0, NULL, 0, &x, NULL, 0), 0);
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(X509_get_pathlen(x), 0);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(validity_days(x), 1825);
	X509_free(x);
	assert_int_equal(ca_profile_builtin("no-such", &p), CS_E_PROFILE);
}

static void p384_and_ed25519_cas_sign_with_right_digest(void **state)
{
	struct fixture *f = *state;
	enum ca_key_type types[] = { CA_KEY_EC_P384, CA_KEY_ED25519 };
	int want[] = { NID_ecdsa_with_SHA384, NID_ED25519 };
	struct ca_signer *s = NULL;
	struct ca_profile p;
	uint8_t serial[CA_SERIAL_LEN];
	EVP_PKEY *k = NULL;
	X509 *root = NULL, *x = NULL;
	struct ca_csr *req = csrgen_parsed(f->leafkey, "d", "DNS:d.example", 0);
	size_t i;

	assert_int_equal(ca_profile_builtin("tls-server", &p), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(ca_key_generate(types[i], &k), 0);
		assert_int_equal(ca_make_root(k, "CN=R", 100, &root, NULL, 0), 0);
		assert_int_equal(ca_signer_new(k, root, &s), 0);
		assert_int_equal(ca_serial_random(serial), 0);
		assert_int_equal(ca_issue(s, req, &p, NULL, serial, f->now, 0, &x,
					  NULL, 0), 0);
		assert_int_equal(X509_verify(x, k), 1);
		assert_int_equal(X509_get_signature_nid(x), want[i]);
		X509_free(x);
		ca_signer_free(s);
		X509_free(root);
		EVP_PKEY_free(k);
	}
	ca_csr_free(req);
}

static void signer_rejects_mismatched_key(void **state)
{
	struct fixture *f = *state;
	struct ca_signer *s = NULL;

	assert_int_equal(ca_signer_new(f->leafkey, f->root, &s), CS_E_INVALID);
	assert_null(s);
}

/* A fresh object decoded from x's DER. */
static X509 *reparse(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_X509(x, &der);
	X509 *y;

	assert_true(len > 0);
	p = der;
	y = d2i_X509(NULL, &p, len);
	OPENSSL_free(der);
	assert_non_null(y);
	return y;
}

/* Verify leaf against root, optionally with a CRL: the X509_V_* result. */
static int chain_verify(struct fixture *f, X509 *leaf, const uint8_t *crl_der,
			size_t crl_len)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_CRL *crl = NULL;
	const unsigned char *p = crl_der;
	unsigned long flags = X509_V_FLAG_X509_STRICT;
	int rc;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, f->root), 1);
	if (crl_der != NULL) {
		crl = d2i_X509_CRL(NULL, &p, (long)crl_len);
		assert_non_null(crl);
		assert_int_equal(X509_STORE_add_crl(store, crl), 1);
		flags |= X509_V_FLAG_CRL_CHECK;
	}
	X509_STORE_set_flags(store, flags);
	X509_STORE_set_purpose(store, X509_PURPOSE_SSL_SERVER);
	/* ca_issue's object is for encoding; verify what a relying party sees. */
	leaf = reparse(leaf);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), f->now + 60);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_CRL_free(crl);
	X509_free(leaf);
	return rc;
}

static void chain_verifies_strict_and_crl_revokes(void **state)
{
	struct fixture *f = *state;
	struct ca_urls urls = { "http://pki.example/ca.crl", "http://pki.example/ca.crt" };
	struct ca_revoked rev;
	char hex[CA_SERIAL_HEX_MAX + 8], *bnhex;
	uint8_t *der = NULL;
	size_t len = 0;
	BIGNUM *bn;
	X509 *x = NULL;

	assert_int_equal(issue(f, "tls-server", "chain.example",
			       "DNS:chain.example", 0, &urls, 0, &x, NULL, 0), 0);
	assert_int_equal(chain_verify(f, x, NULL, 0), X509_V_OK);

	/* A CRL that does not list it: still valid. */
	rev.serial_hex = "1234";
	rev.revoked_at = f->now - 10;
	rev.reason = 1;
	assert_int_equal(ca_crl_build(f->signer, &rev, 1, 1, f->now, 24, &der,
				      &len, NULL, 0), 0);
	assert_int_equal(chain_verify(f, x, der, len), X509_V_OK);
	free(der);

	/* A CRL that lists it: revoked. */
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	bnhex = BN_bn2hex(bn);
	assert_int_equal(ca_serial_normalize(bnhex, hex), 0);
	rev.serial_hex = hex;
	assert_int_equal(ca_crl_build(f->signer, &rev, 1, 2, f->now, 24, &der,
				      &len, NULL, 0), 0);
	assert_int_equal(chain_verify(f, x, der, len), X509_V_ERR_CERT_REVOKED);
	free(der);
	OPENSSL_free(bnhex);
	BN_free(bn);
	X509_free(x);
}

static void name_oneline_is_rfc2253(void **state)
{
	struct fixture *f = *state;
	char *s = ca_name_oneline(X509_get_subject_name(f->root));

	assert_non_null(s);
	assert_string_equal(s, "O=certsrv,CN=Issue Test Root");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tls_server_cert_has_exactly_profile_extensions),
		cmocka_unit_test(serial_is_the_one_given),
		cmocka_unit_test(requested_ca_true_is_ignored),
		cmocka_unit_test(validity_is_capped_by_profile),
		cmocka_unit_test(validity_is_capped_by_ca_not_after),
		cmocka_unit_test(email_san_under_tls_server_is_policy),
		cmocka_unit_test(missing_san_under_tls_server_is_policy),
		cmocka_unit_test(empty_subject_needs_san_and_makes_it_critical),
		cmocka_unit_test(rsa_server_key_gets_key_encipherment),
		cmocka_unit_test(urls_add_cdp_and_aia),
		cmocka_unit_test(sub_ca_gets_ca_true_pathlen_0),
		cmocka_unit_test(p384_and_ed25519_cas_sign_with_right_digest),
		cmocka_unit_test(signer_rejects_mismatched_key),
		cmocka_unit_test(chain_verifies_strict_and_crl_revokes),
		cmocka_unit_test(name_oneline_is_rfc2253),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
