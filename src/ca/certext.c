/*
 * certext.c — helpers private to src/ca: typed X.509 extension building,
 * time and serial conversion, error sentences. See certext.h.
 */
#include "ca/certext.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "ca/profile.h"
#include "common/errors.h"

int cx_fail(char *errbuf, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (errbuf != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int cx_set_validity(X509 *x, time_t not_before, time_t not_after)
{
	if (ASN1_TIME_set(X509_getm_notBefore(x), not_before) == NULL)
		return CS_E_INTERNAL;
	if (ASN1_TIME_set(X509_getm_notAfter(x), not_after) == NULL)
		return CS_E_INTERNAL;
	return 0;
}

ASN1_INTEGER *cx_serial_new(const uint8_t *bytes, size_t len)
{
	BIGNUM *bn;
	ASN1_INTEGER *ai = NULL;

	if (len > INT32_MAX)
		return NULL;
	bn = BN_bin2bn(bytes, (int)len, NULL);
	if (bn == NULL || BN_is_zero(bn))
		goto out;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
out:
	BN_free(bn);
	return ai;
}

int cx_time_of(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return CS_E_INVALID;
	*out = timegm(&tm);
	return 0;
}

ASN1_OCTET_STRING *cx_pubkey_id(X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	ASN1_OCTET_STRING *id;

	if (X509_pubkey_digest(cert, EVP_sha1(), md, &n) != 1)
		return NULL;
	id = ASN1_OCTET_STRING_new();
	if (id != NULL && ASN1_OCTET_STRING_set(id, md, (int)n) != 1) {
		ASN1_OCTET_STRING_free(id);
		id = NULL;
	}
	return id;
}

ASN1_OCTET_STRING *cx_key_id(X509 *cert)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);

	if (ski != NULL)
		return ASN1_OCTET_STRING_dup(ski);
	return cx_pubkey_id(cert);
}

static int add_ext(X509 *x, int nid, void *value, int critical)
{
	if (X509_add1_ext_i2d(x, nid, value, critical, X509V3_ADD_REPLACE) != 1)
		return CS_E_INTERNAL;
	return 0;
}

int cx_add_basic_constraints(X509 *x, int is_ca, int path_len)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int rc = CS_E_INTERNAL;

	if (bc == NULL)
		goto out;
	bc->ca = is_ca ? 0xFF : 0;
	if (is_ca && path_len >= 0) {
		bc->pathlen = ASN1_INTEGER_new();
		if (bc->pathlen == NULL ||
		    ASN1_INTEGER_set(bc->pathlen, path_len) != 1)
			goto out;
	}
	rc = add_ext(x, NID_basic_constraints, bc, 1);
out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

/* Bit n of the KeyUsage BIT STRING for each X509v3_KU_* flag. */
static const struct {
	unsigned flag;
	int bit;
} ku_bits[] = {
	{ X509v3_KU_DIGITAL_SIGNATURE, 0 }, { X509v3_KU_NON_REPUDIATION, 1 },
	{ X509v3_KU_KEY_ENCIPHERMENT, 2 },  { X509v3_KU_DATA_ENCIPHERMENT, 3 },
	{ X509v3_KU_KEY_AGREEMENT, 4 },     { X509v3_KU_KEY_CERT_SIGN, 5 },
	{ X509v3_KU_CRL_SIGN, 6 },          { X509v3_KU_ENCIPHER_ONLY, 7 },
	{ X509v3_KU_DECIPHER_ONLY, 8 },
};

int cx_add_key_usage(X509 *x, unsigned ku)
{
	ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
	int rc = CS_E_INTERNAL;
	size_t i;

	if (bs == NULL)
		goto out;
	for (i = 0; i < sizeof(ku_bits) / sizeof(ku_bits[0]); i++) {
		if ((ku & ku_bits[i].flag) &&
		    ASN1_BIT_STRING_set_bit(bs, ku_bits[i].bit, 1) != 1)
			goto out;
	}
	rc = add_ext(x, NID_key_usage, bs, 1);
out:
	ASN1_BIT_STRING_free(bs);
	return rc;
}

static const struct {
	unsigned flag;
	int nid;
} eku_nids[] = {
	{ CA_EKU_SERVER, NID_server_auth }, { CA_EKU_CLIENT, NID_client_auth },
	{ CA_EKU_CODE, NID_code_sign },     { CA_EKU_EMAIL, NID_email_protect },
	{ CA_EKU_OCSP, NID_OCSP_sign },
};

int cx_add_ext_key_usage(X509 *x, unsigned eku)
{
	EXTENDED_KEY_USAGE *ext;
	int rc = CS_E_INTERNAL;
	size_t i;

	if (eku == 0)
		return 0;
	ext = sk_ASN1_OBJECT_new_null();
	if (ext == NULL)
		goto out;
	for (i = 0; i < sizeof(eku_nids) / sizeof(eku_nids[0]); i++) {
		if (!(eku & eku_nids[i].flag))
			continue;
		/* OBJ_nid2obj returns a static object: no free needed. */
		if (sk_ASN1_OBJECT_push(ext, OBJ_nid2obj(eku_nids[i].nid)) <= 0)
			goto out;
	}
	rc = add_ext(x, NID_ext_key_usage, ext, 0);
out:
	sk_ASN1_OBJECT_free(ext);
	return rc;
}

int cx_add_ski(X509 *x)
{
	ASN1_OCTET_STRING *id = cx_pubkey_id(x);
	int rc = CS_E_INTERNAL;

	if (id != NULL)
		rc = add_ext(x, NID_subject_key_identifier, id, 0);
	ASN1_OCTET_STRING_free(id);
	return rc;
}

AUTHORITY_KEYID *cx_aki_new(const ASN1_OCTET_STRING *keyid)
{
	AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();

	if (aki == NULL)
		return NULL;
	aki->keyid = ASN1_OCTET_STRING_dup(keyid);
	if (aki->keyid == NULL) {
		AUTHORITY_KEYID_free(aki);
		return NULL;
	}
	return aki;
}

int cx_add_aki(X509 *x, const ASN1_OCTET_STRING *keyid)
{
	AUTHORITY_KEYID *aki = cx_aki_new(keyid);
	int rc = CS_E_INTERNAL;

	if (aki != NULL)
		rc = add_ext(x, NID_authority_key_identifier, aki, 0);
	AUTHORITY_KEYID_free(aki);
	return rc;
}

/* A uniformResourceIdentifier GeneralName for url (caller frees). */
static GENERAL_NAME *uri_name(const char *url)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	if (gn == NULL || s == NULL ||
	    ASN1_STRING_set(s, url, (int)strlen(url)) != 1) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(s);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, s);
	return gn;
}

int cx_add_crl_dp(X509 *x, const char *url)
{
	CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
	DIST_POINT *dp = NULL;
	GENERAL_NAME *gn = NULL;
	int rc = CS_E_INTERNAL;

	if (dps == NULL || (dp = DIST_POINT_new()) == NULL)
		goto out;
	if ((dp->distpoint = DIST_POINT_NAME_new()) == NULL)
		goto out;
	dp->distpoint->type = 0; /* fullName */
	if ((dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL)
		goto out;
	if ((gn = uri_name(url)) == NULL)
		goto out;
	if (sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn) <= 0)
		goto out;
	gn = NULL;
	if (sk_DIST_POINT_push(dps, dp) <= 0)
		goto out;
	dp = NULL;
	rc = add_ext(x, NID_crl_distribution_points, dps, 0);
out:
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return rc;
}

int cx_add_aia_issuers(X509 *x, const char *url)
{
	AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
	ACCESS_DESCRIPTION *ad = NULL;
	int rc = CS_E_INTERNAL;

	if (aia == NULL || (ad = ACCESS_DESCRIPTION_new()) == NULL)
		goto out;
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
	GENERAL_NAME_free(ad->location);
	if ((ad->location = uri_name(url)) == NULL)
		goto out;
	if (sk_ACCESS_DESCRIPTION_push(aia, ad) <= 0)
		goto out;
	ad = NULL;
	rc = add_ext(x, NID_info_access, aia, 0);
out:
	ACCESS_DESCRIPTION_free(ad);
	sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
	return rc;
}

int cx_der(const void *obj, const ASN1_ITEM *it, uint8_t **der, size_t *len)
{
	unsigned char *enc = NULL;
	int n = ASN1_item_i2d((const ASN1_VALUE *)obj, &enc, it);

	if (n <= 0)
		return CS_E_INTERNAL;
	*der = malloc((size_t)n);
	if (*der == NULL) {
		OPENSSL_free(enc);
		return -ENOMEM;
	}
	memcpy(*der, enc, (size_t)n);
	OPENSSL_free(enc);
	*len = (size_t)n;
	return 0;
}
