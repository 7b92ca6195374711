/*
 * crl.c — builds signed v2 CRLs: issuer, thisUpdate/nextUpdate, crlNumber,
 * AKI, entries sorted by serial (duplicates refused) with reasonCode when
 * not unspecified. See crl.h.
 */
#include "ca/crl.h"

#include <errno.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "ca/certext.h"
#include "ca/serial.h"
#include "common/errors.h"

#define PERIOD_HOURS_MAX 8760
#define REASON_REMOVE_FROM_CRL 8

static ASN1_INTEGER *serial_from_hex(const char *hex)
{
	char norm[CA_SERIAL_HEX_MAX + 8];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;

	if (ca_serial_normalize(hex, norm) < 0)
		return NULL;
	if (BN_hex2bn(&bn, norm) == 0)
		return NULL;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

static int reason_ok(int reason)
{
	return reason >= 0 && reason != REASON_REMOVE_FROM_CRL &&
	       ca_reason_name(reason) != NULL;
}

static int add_entry(X509_CRL *crl, const struct ca_revoked *r,
		     char *errbuf, size_t errlen)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *code = NULL;
	int rc;

	if (r->serial_hex == NULL || (sn = serial_from_hex(r->serial_hex)) == NULL)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "bad serial number \"%s\" in the revocation list",
			       r->serial_hex ? r->serial_hex : "(null)");
	if (!reason_ok(r->reason)) {
		rc = cx_fail(errbuf, errlen, CS_E_INVALID,
			     "reason %d of serial %s cannot appear in a CRL",
			     r->reason, r->serial_hex);
		goto out;
	}
	rc = CS_E_INTERNAL;
	if ((rev = X509_REVOKED_new()) == NULL ||
	    X509_REVOKED_set_serialNumber(rev, sn) != 1 ||
	    (t = ASN1_TIME_set(NULL, r->revoked_at)) == NULL ||
	    X509_REVOKED_set_revocationDate(rev, t) != 1)
		goto out;
	if (r->reason != 0) {
		if ((code = ASN1_ENUMERATED_new()) == NULL ||
		    ASN1_ENUMERATED_set(code, r->reason) != 1 ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, code, 0, 0) != 1)
			goto out;
	}
	if (X509_CRL_add0_revoked(crl, rev) != 1)
		goto out;
	rev = NULL;
	rc = 0;
out:
	ASN1_ENUMERATED_free(code);
	ASN1_TIME_free(t);
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(sn);
	return rc;
}

/* After sorting, equal serials are adjacent. */
static int check_duplicates(X509_CRL *crl, char *errbuf, size_t errlen)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	const ASN1_INTEGER *a, *b;
	int i;

	for (i = 1; i < sk_X509_REVOKED_num(revs); i++) {
		a = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i - 1));
		b = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i));
		if (ASN1_INTEGER_cmp(a, b) == 0)
			return cx_fail(errbuf, errlen, CS_E_INVALID,
				       "serial listed twice in the revocation list");
	}
	return 0;
}

static int crl_header(X509_CRL *crl, X509 *cacert, const ASN1_OCTET_STRING *keyid,
		      uint64_t crl_number, time_t now, int period_hours)
{
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *aki = NULL;
	int rc = CS_E_INTERNAL;

	if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(cacert)) != 1)
		goto out;
	if ((t = ASN1_TIME_set(NULL, now)) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, t) != 1)
		goto out;
	if (ASN1_TIME_set(t, now + (time_t)period_hours * 3600) == NULL ||
	    X509_CRL_set1_nextUpdate(crl, t) != 1)
		goto out;
	if ((num = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(num, crl_number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	if ((aki = cx_aki_new(keyid)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0, 0) != 1)
		goto out;
	rc = 0;
out:
	AUTHORITY_KEYID_free(aki);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t);
	return rc;
}

static int crl_der(X509_CRL *crl, uint8_t **der, size_t *len)
{
	return cx_der(crl, ASN1_ITEM_rptr(X509_CRL), der, len);
}

int ca_crl_build(const struct ca_signer *s, const struct ca_revoked *list,
		 size_t n, uint64_t crl_number, time_t now, int period_hours,
		 uint8_t **der, size_t *len, char *errbuf, size_t errlen)
{
	X509 *cacert;
	EVP_PKEY *key = NULL;
	const EVP_MD *md = NULL;
	ASN1_OCTET_STRING *keyid = NULL;
	X509_CRL *crl = NULL;
	size_t i;
	int rc;

	if (s == NULL || der == NULL || len == NULL || (n > 0 && list == NULL))
		return CS_E_INVALID;
	if (period_hours < 1 || period_hours > PERIOD_HOURS_MAX)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "CRL period must be 1..%d hours", PERIOD_HOURS_MAX);
	cacert = ca_signer_cert(s);
	rc = ca_signer_key(s, &key, &md);
	if (rc < 0)
		return rc;
	rc = CS_E_INTERNAL;
	if ((keyid = cx_key_id(cacert)) == NULL || (crl = X509_CRL_new()) == NULL)
		goto out;
	rc = crl_header(crl, cacert, keyid, crl_number, now, period_hours);
	for (i = 0; rc == 0 && i < n; i++)
		rc = add_entry(crl, &list[i], errbuf, errlen);
	if (rc < 0)
		goto out;
	rc = CS_E_INTERNAL;
	if (X509_CRL_sort(crl) != 1)
		goto out;
	rc = check_duplicates(crl, errbuf, errlen);
	if (rc < 0)
		goto out;
	rc = CS_E_INTERNAL;
	if (X509_CRL_sign(crl, key, md) <= 0)
		goto out;
	rc = crl_der(crl, der, len);
out:
	if (rc == CS_E_INTERNAL)
		cx_fail(errbuf, errlen, rc, "building or signing the CRL failed");
	X509_CRL_free(crl);
	ASN1_OCTET_STRING_free(keyid);
	return rc;
}
