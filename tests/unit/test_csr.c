/*
 * test_csr.c — unit tests for src/ca/csr.c: PEM and DER intake, exact
 * consumption, signature check, key decoding and support, the extension
 * request, the accessors and the size limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/pem.h>

#include "ca/csr.h"
#include "ca/keys.h"
#include "common/errors.h"
#include "csrgen.h"

struct fixture {
	EVP_PKEY *key;
	X509_REQ *req;
	unsigned char *der;
	int der_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || ca_key_generate(CA_KEY_EC_P256, &f->key) != 0)
		return -1;
	f->req = csrgen_make(f->key, "host.example", "DNS:host.example", 0);
	if (f->req == NULL)
		return -1;
	f->der_len = csrgen_der(f->req, &f->der);
	if (f->der_len <= 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->der);
	X509_REQ_free(f->req);
	EVP_PKEY_free(f->key);
	free(f);
	return 0;
}

/* The PEM text of f's request plus optional trailing text (caller frees). */
static char *pem_of(struct fixture *f, const char *trailer, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *copy;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509_REQ(bio, f->req), 1);
	if (trailer != NULL)
		assert_true(BIO_puts(bio, trailer) > 0);
	n = BIO_get_mem_data(bio, &data);
	copy = malloc((size_t)n);
	assert_non_null(copy);
	memcpy(copy, data, (size_t)n);
	*len = (size_t)n;
	BIO_free(bio);
	return copy;
}

static void pem_parses(void **state)
{
	struct fixture *f = *state;
	struct ca_csr *req = NULL;
	size_t len;
	char *pem = pem_of(f, NULL, &len);

	assert_int_equal(ca_csr_parse((uint8_t *)pem, len, &req, NULL, 0), 0);
	assert_int_equal(X509_NAME_cmp(ca_csr_subject(req),
				       X509_REQ_get_subject_name(f->req)), 0);
	ca_csr_free(req);
	free(pem);
}

static void der_is_kept_as_received(void **state)
{
	struct fixture *f = *state;
	struct ca_csr *req = NULL, *from_pem = NULL;
	const uint8_t *der;
	size_t len = 0, pem_len;
	char *pem = pem_of(f, NULL, &pem_len);

	assert_int_equal(ca_csr_parse(f->der, (size_t)f->der_len, &req, NULL, 0), 0);
	der = ca_csr_der(req, &len);
	assert_int_equal(len, (size_t)f->der_len);
	assert_memory_equal(der, f->der, len);
	assert_int_equal(ca_csr_parse((uint8_t *)pem, pem_len, &from_pem, NULL, 0), 0);
	der = ca_csr_der(from_pem, &len);
	assert_int_equal(len, (size_t)f->der_len);
	assert_memory_equal(der, f->der, len);
	ca_csr_free(from_pem);
	ca_csr_free(req);
	free(pem);
}

static void truncated_der_is_badcsr(void **state)
{
	struct fixture *f = *state;
	struct ca_csr *req = NULL;
	char err[256] = "";

	assert_int_equal(ca_csr_parse(f->der, (size_t)f->der_len - 1, &req,
				      err, sizeof(err)), CS_E_BADCSR);
	assert_true(strlen(err) > 0);
	assert_int_equal(ca_csr_parse(f->der, (size_t)f->der_len / 2, &req,
				      NULL, 0), CS_E_BADCSR);
	assert_null(req);
}

static void garbage_is_badcsr(void **state)
{
	static const uint8_t junk[] = "this is not a certificate request";
	static const uint8_t bad_pem[] = "-----BEGIN CERTIFICATE REQUEST-----\n"
					 "!!!!\n-----END CERTIFICATE REQUEST-----\n";
	struct ca_csr *req = NULL;

	(void)state;
	assert_int_equal(ca_csr_parse(junk, sizeof(junk), &req, NULL, 0), CS_E_BADCSR);
	assert_int_equal(ca_csr_parse(bad_pem, sizeof(bad_pem) - 1, &req, NULL, 0),
			 CS_E_BADCSR);
	assert_int_equal(ca_csr_parse(junk, 0, &req, NULL, 0), CS_E_BADCSR);
	assert_null(req);
}

static void tampered_signature_is_badsig(void **state)
{
	struct fixture *f = *state;
	struct ca_csr *req = NULL;
	uint8_t *copy = malloc((size_t)f->der_len);
	char err[256] = "";

	assert_non_null(copy);
	memcpy(copy, f->der, (size_t)f->der_len);
	copy[f->der_len - 1] ^= 0x01; /* last byte of the signature value */
	assert_int_equal(ca_csr_parse(copy, (size_t)f->der_len, &req, err, sizeof(err)),
			 CS_E_BADSIG);
	assert_non_null(strstr(err, "signature"));
	assert_null(req);
	free(copy);
}

static void trailing_garbage_is_badcsr(void **state)
{
	struct fixture *f = *state;
	struct ca_csr *req = NULL;
	uint8_t *copy = malloc((size_t)f->der_len + 3);
	size_t len;
	char *pem;

	assert_non_null(copy);
	memcpy(copy, f->der, (size_t)f->der_len);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes */
	memcpy(copy + f->der_len, "xyz", 3);
	assert_int_equal(ca_csr_parse(copy, (size_t)f->der_len + 3, &req, NULL, 0),
			 CS_E_BADCSR);
	free(copy);
	pem = pem_of(f, "trailing words\n", &len);
	assert_int_equal(ca_csr_parse((uint8_t *)pem, len, &req, NULL, 0), CS_E_BADCSR);
	free(pem);
	pem = pem_of(f, "\n\n", &len); /* whitespace after END is fine */
	assert_int_equal(ca_csr_parse((uint8_t *)pem, len, &req, NULL, 0), 0);
	ca_csr_free(req);
	free(pem);
}

static void oversized_is_toobig(void **state)
{
	uint8_t *big = calloc(1, CA_CSR_MAX + 1);
	struct ca_csr *req = NULL;

	(void)state;
	assert_non_null(big);
	assert_int_equal(ca_csr_parse(big, CA_CSR_MAX + 1, &req, NULL, 0), CS_E_TOOBIG);
	assert_null(req);
	free(big);
}

static void rsa_and_ed25519_requests_parse(void **state)
{
	enum ca_key_type types[] = { CA_KEY_RSA2048, CA_KEY_ED25519, CA_KEY_EC_P384 };
	EVP_PKEY *k = NULL;
	X509_REQ *made;
	struct ca_csr *req = NULL;
	unsigned char *der = NULL;
	int len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(ca_key_generate(types[i], &k), 0);
		made = csrgen_make(k, "x", NULL, 0);
		assert_non_null(made);
		len = csrgen_der(made, &der);
		assert_true(len > 0);
		assert_int_equal(ca_csr_parse(der, (size_t)len, &req, NULL, 0), 0);
		ca_csr_free(req);
		X509_REQ_free(made);
		free(der);
		der = NULL;
		EVP_PKEY_free(k);
	}
}

static void unsupported_key_is_badcsr(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	X509_REQ *made;
	struct ca_csr *req = NULL;
	unsigned char *der = NULL;
	char err[256] = "";
	int len;

	(void)state;
	assert_non_null(k);
	made = csrgen_make(k, "x", NULL, 0);
	assert_non_null(made);
	len = csrgen_der(made, &der);
	assert_true(len > 0);
	assert_int_equal(ca_csr_parse(der, (size_t)len, &req, err, sizeof(err)),
			 CS_E_BADCSR);
	assert_non_null(strstr(err, "not supported"));
	free(der);
	X509_REQ_free(made);
	EVP_PKEY_free(k);
}

/* A point that is not on the curve: the key cannot be built, whatever the
 * signature says. */
static void off_curve_point_is_badcsr(void **state)
{
	struct fixture *f = *state;
	unsigned char point[65], *copy, *at;
	unsigned char *p = point;
	struct ca_csr *req = NULL;
	char err[256] = "";

	assert_int_equal(i2d_PublicKey(f->key, &p), (int)sizeof(point));
	copy = malloc((size_t)f->der_len);
	assert_non_null(copy);
	memcpy(copy, f->der, (size_t)f->der_len);
	at = memmem(copy, (size_t)f->der_len, point, sizeof(point));
	assert_non_null(at);
	at[sizeof(point) - 1] ^= 0x01; /* last byte of y */
	assert_int_equal(ca_csr_parse(copy, (size_t)f->der_len, &req, err, sizeof(err)),
			 CS_E_BADCSR);
	assert_non_null(strstr(err, "unreadable"));
	assert_null(req);
	free(copy);
}

/* An extension request that is there but does not decode is refused, not
 * taken for "no extensions" (which would drop the SAN the requester asked
 * for without a word). */
static void malformed_extension_request_is_badcsr(void **state)
{
	struct fixture *f = *state;
	X509_REQ *made = X509_REQ_new();
	unsigned char *der = NULL;
	struct ca_csr *req = NULL;
	char err[256] = "";
	int len;

	assert_non_null(made);
	assert_int_equal(X509_REQ_set_pubkey(made, f->key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(made),
			 "CN", MBSTRING_ASC, (const unsigned char *)"x", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_add1_attr_by_NID(made, NID_ext_req, V_ASN1_UTF8STRING,
			 (const unsigned char *)"not extensions", 14), 1);
	assert_true(X509_REQ_sign(made, f->key, EVP_sha256()) > 0);
	len = csrgen_der(made, &der);
	assert_true(len > 0);
	assert_int_equal(ca_csr_parse(der, (size_t)len, &req, err, sizeof(err)),
			 CS_E_BADCSR);
	assert_non_null(strstr(err, "extension request"));
	assert_null(req);
	free(der);
	X509_REQ_free(made);
}

/* The accessors give what the request holds. */
static void accessors_give_the_request(void **state)
{
	struct fixture *f = *state;
	struct ca_csr *req = NULL;
	const STACK_OF(X509_EXTENSION) *exts;
	const X509_ALGOR *alg;
	const ASN1_BIT_STRING *bits;
	const ASN1_OBJECT *obj;

	assert_int_equal(ca_csr_parse(f->der, (size_t)f->der_len, &req, NULL, 0), 0);
	assert_int_equal(EVP_PKEY_eq(ca_csr_key(req), f->key), 1);
	exts = ca_csr_extensions(req);
	assert_int_equal(sk_X509_EXTENSION_num(exts), 1);
	assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(
				 sk_X509_EXTENSION_value(exts, 0))), NID_subject_alt_name);
	ca_csr_spki(req, &alg, &bits);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	assert_int_equal(OBJ_obj2nid(obj), NID_X9_62_id_ecPublicKey);
	assert_int_equal(ASN1_STRING_length(bits), 65);
	ca_csr_free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pem_parses),
		cmocka_unit_test(der_is_kept_as_received),
		cmocka_unit_test(truncated_der_is_badcsr),
		cmocka_unit_test(garbage_is_badcsr),
		cmocka_unit_test(tampered_signature_is_badsig),
		cmocka_unit_test(trailing_garbage_is_badcsr),
		cmocka_unit_test(oversized_is_toobig),
		cmocka_unit_test(rsa_and_ed25519_requests_parse),
		cmocka_unit_test(unsupported_key_is_badcsr),
		cmocka_unit_test(off_curve_point_is_badcsr),
		cmocka_unit_test(malformed_extension_request_is_badcsr),
		cmocka_unit_test(accessors_give_the_request),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
