/*
 * csr.c — PKCS#10 request intake: size limit, PEM/DER detection, exact DER
 * consumption, public key decoding and support check, extension request
 * decoding, signature verification. See csr.h for why the request is
 * decoded with this module's own ASN.1 templates rather than as X509_REQ.
 */
#include "ca/csr.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ca/certext.h"
#include "common/errors.h"

/* ------------------------------------------------- the request's ASN.1 */

/* SubjectPublicKeyInfo, kept as encoded (RFC 5280 4.1). */
typedef struct {
	X509_ALGOR *algorithm;
	ASN1_BIT_STRING *public_key;
} CSR_SPKI;

ASN1_SEQUENCE(CSR_SPKI) = {
	ASN1_SIMPLE(CSR_SPKI, algorithm, X509_ALGOR),
	ASN1_SIMPLE(CSR_SPKI, public_key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(CSR_SPKI)

/* CertificationRequestInfo (RFC 2986 4.1). Its encoding as received is
 * kept (enc) so the signature is checked over exactly those bytes. The
 * attributes are not optional in RFC 2986; accepting their absence, as
 * OpenSSL does, takes requests from old tools. */
typedef struct {
	ASN1_ENCODING enc;
	ASN1_INTEGER *version;
	X509_NAME *subject;
	CSR_SPKI *spki;
	STACK_OF(X509_ATTRIBUTE) *attributes;
} CSR_INFO;

ASN1_SEQUENCE_enc(CSR_INFO, enc, 0) = {
	ASN1_SIMPLE(CSR_INFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(CSR_INFO, subject, X509_NAME),
	ASN1_SIMPLE(CSR_INFO, spki, CSR_SPKI),
	ASN1_IMP_SET_OF_OPT(CSR_INFO, attributes, X509_ATTRIBUTE, 0),
} static_ASN1_SEQUENCE_END_ref(CSR_INFO, CSR_INFO)

/* CertificationRequest (RFC 2986 4.2). */
typedef struct {
	CSR_INFO *info;
	X509_ALGOR *signature_algorithm;
	ASN1_BIT_STRING *signature;
} CSR_REQ;

ASN1_SEQUENCE(CSR_REQ) = {
	ASN1_SIMPLE(CSR_REQ, info, CSR_INFO),
	ASN1_SIMPLE(CSR_REQ, signature_algorithm, X509_ALGOR),
	ASN1_SIMPLE(CSR_REQ, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(CSR_REQ)

struct ca_csr {
	CSR_REQ *asn;
	EVP_PKEY *key;
	STACK_OF(X509_EXTENSION) *exts;
	uint8_t *der;
	size_t der_len;
};

void ca_csr_free(struct ca_csr *csr)
{
	if (csr == NULL)
		return;
	ASN1_item_free((ASN1_VALUE *)csr->asn, ASN1_ITEM_rptr(CSR_REQ));
	EVP_PKEY_free(csr->key);
	sk_X509_EXTENSION_pop_free(csr->exts, X509_EXTENSION_free);
	free(csr->der);
	free(csr);
}

static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decode csr->der, which must be exactly one request. */
static int decode_der(struct ca_csr *csr, char *errbuf, size_t errlen)
{
	const unsigned char *p = csr->der;

	if (csr->der_len == 0 || csr->der_len > CA_CSR_MAX)
		return cx_fail(errbuf, errlen, CS_E_BADCSR, "request is empty");
	csr->asn = (CSR_REQ *)ASN1_item_d2i(NULL, &p, (long)csr->der_len,
					   ASN1_ITEM_rptr(CSR_REQ));
	if (csr->asn == NULL)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request is not a well-formed PKCS#10 structure");
	if (p != csr->der + csr->der_len)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "%zu unexpected bytes after the request",
			       csr->der_len - (size_t)(p - csr->der));
	return 0;
}

/* Decode one PEM request block followed only by whitespace into csr->der. */
static int unwrap_pem(const uint8_t *data, size_t len, struct ca_csr *csr,
		      char *errbuf, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	char rest[256];
	int n, i, rc = 0;

	if (bio == NULL)
		return -ENOMEM;
	if (PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
		rc = cx_fail(errbuf, errlen, CS_E_BADCSR, "request PEM cannot be decoded");
		goto out;
	}
	if (strcmp(name, PEM_STRING_X509_REQ) != 0 &&
	    strcmp(name, PEM_STRING_X509_REQ_OLD) != 0) {
		rc = cx_fail(errbuf, errlen, CS_E_BADCSR,
			     "PEM block is \"%s\", not a certificate request", name);
		goto out;
	}
	if (header != NULL && header[0] != '\0') {
		rc = cx_fail(errbuf, errlen, CS_E_BADCSR, "request PEM has headers");
		goto out;
	}
	while ((n = BIO_read(bio, rest, (int)sizeof(rest))) > 0) {
		for (i = 0; i < n; i++) {
			if (!is_space((uint8_t)rest[i])) {
				rc = cx_fail(errbuf, errlen, CS_E_BADCSR,
					     "unexpected data after the request PEM");
				goto out;
			}
		}
	}
	if (der_len <= 0) {
		rc = cx_fail(errbuf, errlen, CS_E_BADCSR, "request is empty");
		goto out;
	}
	csr->der = malloc((size_t)der_len);
	if (csr->der == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(csr->der, der, (size_t)der_len);
	csr->der_len = (size_t)der_len;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
}

/* ------------------------------------------------------ the public key */

/* 1 if the BIT STRING holds whole bytes (no unused bits). */
static int whole_bytes(const ASN1_BIT_STRING *bits)
{
	return !(bits->flags & ASN1_STRING_FLAG_BITS_LEFT) || (bits->flags & 0x07) == 0;
}

/* The key decoders below return 0 and set *out (NULL when the key is
 * malformed), KEY_UNSUPPORTED, or a negative errno. */
enum { KEY_UNSUPPORTED = 1 };

/* Parameter-only keys for the accepted curves, built once and then only
 * read: a subject key is a copy of its curve's parameters plus the point.
 * EVP_PKEY_fromdata() with the group's name would rebuild the group for
 * every request, which costs a quarter of a signature verification. */
static const int ec_curves[] = {
	NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1,
};
#define EC_CURVES (sizeof(ec_curves) / sizeof(ec_curves[0]))
static EVP_PKEY *ec_params[EC_CURVES];
static pthread_mutex_t ec_params_lock = PTHREAD_MUTEX_INITIALIZER;

/* The parameter-only key of curve number i of ec_curves; NULL when memory
 * runs out (the next call tries again). Never freed: it lives as long as
 * the process, like OpenSSL's own tables. */
static EVP_PKEY *ec_params_of(size_t i)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key;

	pthread_mutex_lock(&ec_params_lock);
	key = ec_params[i];
	if (key == NULL) {
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME,
			(char *)OBJ_nid2sn(ec_curves[i]), 0);
		params[1] = OSSL_PARAM_construct_end();
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
		    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEY_PARAMETERS,
				      params) != 1)
			key = NULL;
		EVP_PKEY_CTX_free(ctx);
		ec_params[i] = key;
	}
	pthread_mutex_unlock(&ec_params_lock);
	return key;
}

/* An EC key on a named curve we accept, from its encoded point (which
 * EVP_PKEY_set1_encoded_public_key checks is on the curve). Explicit curve
 * parameters are not accepted. */
static int ec_key(const CSR_SPKI *spki, EVP_PKEY **out)
{
	const ASN1_OBJECT *alg;
	const void *param;
	EVP_PKEY *curve_params, *key;
	size_t i;
	int ptype, curve;

	X509_ALGOR_get0(&alg, &ptype, &param, spki->algorithm);
	if (ptype != V_ASN1_OBJECT)
		return KEY_UNSUPPORTED;
	curve = OBJ_obj2nid(param);
	for (i = 0; i < EC_CURVES && ec_curves[i] != curve; i++)
		;
	if (i == EC_CURVES)
		return KEY_UNSUPPORTED;
	if (!whole_bytes(spki->public_key))
		return 0;
	curve_params = ec_params_of(i);
	key = curve_params ? EVP_PKEY_new() : NULL;
	if (key == NULL || EVP_PKEY_copy_parameters(key, curve_params) != 1) {
		EVP_PKEY_free(key);
		return -ENOMEM;
	}
	if (EVP_PKEY_set1_encoded_public_key(key, spki->public_key->data,
					     (size_t)spki->public_key->length) != 1) {
		EVP_PKEY_free(key); /* not a point on the curve */
		key = NULL;
	}
	*out = key;
	return 0;
}

/* An Ed25519 key from its 32 bytes (RFC 8410: no parameters). */
static int ed25519_key(const CSR_SPKI *spki, EVP_PKEY **out)
{
	const ASN1_OBJECT *alg;
	const void *param;
	int ptype;

	X509_ALGOR_get0(&alg, &ptype, &param, spki->algorithm);
	if (ptype != V_ASN1_UNDEF || !whole_bytes(spki->public_key))
		return 0;
	*out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL,
					      spki->public_key->data,
					      (size_t)spki->public_key->length);
	return 0;
}

/* Any other key, through OpenSSL's generic (slower) decoder. */
static int other_key(const CSR_SPKI *spki, EVP_PKEY **out)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	len = ASN1_item_i2d((const ASN1_VALUE *)spki, &der, ASN1_ITEM_rptr(CSR_SPKI));
	if (len <= 0)
		return -ENOMEM;
	p = der;
	*out = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	return 0;
}

/* Subject keys we accept: RSA 2048..16384, EC P-256/P-384/P-521, Ed25519. */
static int key_supported(EVP_PKEY *key)
{
	char group[64];
	size_t glen = 0;
	int bits;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(key);
		return bits >= 2048 && bits <= 16384;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1)
			return 0;
		return strcmp(group, SN_X9_62_prime256v1) == 0 ||
		       strcmp(group, SN_secp384r1) == 0 ||
		       strcmp(group, SN_secp521r1) == 0;
	case EVP_PKEY_ED25519:
		return 1;
	default:
		return 0;
	}
}

static const char unsupported_key[] =
	"request public key type is not supported "
	"(RSA 2048-16384, EC P-256/P-384/P-521, Ed25519)";

/* csr->key from the request's SubjectPublicKeyInfo, checked against the
 * key types we accept. */
static int decode_key(struct ca_csr *csr, char *errbuf, size_t errlen)
{
	const CSR_SPKI *spki = csr->asn->info->spki;
	int nid = OBJ_obj2nid(spki->algorithm->algorithm);
	int rc;

	if (nid == NID_X9_62_id_ecPublicKey)
		rc = ec_key(spki, &csr->key);
	else if (nid == NID_ED25519)
		rc = ed25519_key(spki, &csr->key);
	else
		rc = other_key(spki, &csr->key);
	if (rc < 0)
		return rc;
	if (rc == KEY_UNSUPPORTED)
		return cx_fail(errbuf, errlen, CS_E_BADCSR, "%s", unsupported_key);
	if (csr->key == NULL)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request public key is missing or unreadable");
	if (!key_supported(csr->key))
		return cx_fail(errbuf, errlen, CS_E_BADCSR, "%s", unsupported_key);
	return 0;
}

/* ---------------------------------------------- the extension request */

/* The extensionRequest attribute (PKCS#9, or Microsoft's older OID) as
 * OpenSSL's X509_REQ_get_extensions reads it, but strict: an attribute that
 * is there and does not decode is an error, not "no extensions". */
static int decode_extensions(struct ca_csr *csr, char *errbuf, size_t errlen)
{
	static const int nids[] = { NID_ext_req, NID_ms_ext_req };
	const STACK_OF(X509_ATTRIBUTE) *attrs = csr->asn->info->attributes;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *value;
	const unsigned char *p;
	size_t i;
	int at = -1;

	for (i = 0; i < sizeof(nids) / sizeof(nids[0]) && at < 0; i++) {
		at = X509at_get_attr_by_NID(attrs, nids[i], -1);
		if (at >= 0 && X509at_get_attr_by_NID(attrs, nids[i], at) >= 0)
			return cx_fail(errbuf, errlen, CS_E_BADCSR,
				       "request has two extension requests");
	}
	if (at < 0)
		return 0;
	attr = X509at_get_attr(attrs, at);
	value = X509_ATTRIBUTE_get0_type(attr, 0);
	if (X509_ATTRIBUTE_count(attr) != 1 || value == NULL ||
	    value->type != V_ASN1_SEQUENCE)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request's extension request is not one SEQUENCE");
	p = value->value.sequence->data;
	csr->exts = d2i_X509_EXTENSIONS(NULL, &p, value->value.sequence->length);
	if (csr->exts == NULL ||
	    p != value->value.sequence->data + value->value.sequence->length)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request's extension request does not decode");
	return 0;
}

/* ------------------------------------------------------------- intake */

static int check_request(struct ca_csr *csr, char *errbuf, size_t errlen)
{
	const CSR_REQ *r = csr->asn;
	int rc;

	/* decode_der returned 0, so csr->asn is set; the analyser assumes the
	 * varargs cx_fail may return 0. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	if (ASN1_INTEGER_get(r->info->version) != 0)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request version is not 1");
	rc = decode_key(csr, errbuf, errlen);
	if (rc == 0)
		rc = decode_extensions(csr, errbuf, errlen);
	if (rc < 0)
		return rc;
	if (ASN1_item_verify(ASN1_ITEM_rptr(CSR_INFO), r->signature_algorithm,
			     r->signature, r->info, csr->key) != 1)
		return cx_fail(errbuf, errlen, CS_E_BADSIG,
			       "request signature does not verify");
	return 0;
}

/* csr->der: a copy of DER input, or the decoded block of PEM input. */
static int take_der(const uint8_t *data, size_t len, struct ca_csr *csr,
		    char *errbuf, size_t errlen)
{
	static const char begin[] = "-----BEGIN";
	size_t skip = 0;

	while (skip < len && is_space(data[skip]))
		skip++;
	if (len - skip >= sizeof(begin) - 1 &&
	    memcmp(data + skip, begin, sizeof(begin) - 1) == 0)
		return unwrap_pem(data, len, csr, errbuf, errlen);
	csr->der = malloc(len);
	if (csr->der == NULL)
		return -ENOMEM;
	memcpy(csr->der, data, len);
	csr->der_len = len;
	return 0;
}

int ca_csr_parse(const uint8_t *data, size_t len, struct ca_csr **out,
		 char *errbuf, size_t errlen)
{
	struct ca_csr *csr = NULL;
	int rc;

	if (data == NULL || len == 0)
		return cx_fail(errbuf, errlen, CS_E_BADCSR, "request is empty");
	if (len > CA_CSR_MAX)
		return cx_fail(errbuf, errlen, CS_E_TOOBIG,
			       "request is larger than %u bytes", CA_CSR_MAX);
	csr = calloc(1, sizeof(*csr));
	if (csr == NULL)
		return -ENOMEM;
	rc = take_der(data, len, csr, errbuf, errlen);
	if (rc == 0)
		rc = decode_der(csr, errbuf, errlen);
	if (rc == 0)
		rc = check_request(csr, errbuf, errlen);
	if (rc < 0) {
		ca_csr_free(csr);
		return rc;
	}
	*out = csr;
	return 0;
}

const uint8_t *ca_csr_der(const struct ca_csr *csr, size_t *len)
{
	*len = csr->der_len;
	return csr->der;
}

const X509_NAME *ca_csr_subject(const struct ca_csr *csr)
{
	return csr->asn->info->subject;
}

EVP_PKEY *ca_csr_key(const struct ca_csr *csr)
{
	return csr->key;
}

void ca_csr_spki(const struct ca_csr *csr, const X509_ALGOR **alg,
		 const ASN1_BIT_STRING **bits)
{
	*alg = csr->asn->info->spki->algorithm;
	*bits = csr->asn->info->spki->public_key;
}

const STACK_OF(X509_EXTENSION) *ca_csr_extensions(const struct ca_csr *csr)
{
	return csr->exts;
}
