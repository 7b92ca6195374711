/*
 * csr.c — PKCS#10 request intake: size limit, PEM/DER detection, exact DER
 * consumption, public key support check and signature verification.
 * See csr.h.
 */
#include "ca/csr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "ca/certext.h"
#include "common/errors.h"

static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parse DER that must be exactly one request. */
static int parse_der(const uint8_t *der, size_t len, X509_REQ **out,
		     char *errbuf, size_t errlen)
{
	const unsigned char *p = der;
	X509_REQ *req;

	if (len == 0 || len > CA_CSR_MAX)
		return cx_fail(errbuf, errlen, CS_E_BADCSR, "request is empty");
	req = d2i_X509_REQ(NULL, &p, (long)len);
	if (req == NULL)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request is not a well-formed PKCS#10 structure");
	if (p != der + len) {
		X509_REQ_free(req);
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "%zu unexpected bytes after the request",
			       len - (size_t)(p - der));
	}
	*out = req;
	return 0;
}

/* Decode one PEM request block followed only by whitespace, then parse it. */
static int parse_pem(const uint8_t *data, size_t len, X509_REQ **out,
		     char *errbuf, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	char rest[256];
	int n, i, rc;

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
	rc = parse_der(der, (size_t)der_len, out, errbuf, errlen);
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
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

static int check_request(X509_REQ *req, char *errbuf, size_t errlen)
{
	EVP_PKEY *key;

	if (X509_REQ_get_version(req) != X509_REQ_VERSION_1)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request version is not 1");
	key = X509_REQ_get0_pubkey(req);
	if (key == NULL)
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request public key is missing or unreadable");
	if (!key_supported(key))
		return cx_fail(errbuf, errlen, CS_E_BADCSR,
			       "request public key type is not supported "
			       "(RSA 2048-16384, EC P-256/P-384/P-521, Ed25519)");
	if (X509_REQ_verify(req, key) != 1)
		return cx_fail(errbuf, errlen, CS_E_BADSIG,
			       "request signature does not verify");
	return 0;
}

int ca_csr_parse(const uint8_t *data, size_t len, X509_REQ **out,
		 char *errbuf, size_t errlen)
{
	static const char begin[] = "-----BEGIN";
	X509_REQ *req = NULL;
	size_t skip = 0;
	int rc;

	if (data == NULL || len == 0)
		return cx_fail(errbuf, errlen, CS_E_BADCSR, "request is empty");
	if (len > CA_CSR_MAX)
		return cx_fail(errbuf, errlen, CS_E_TOOBIG,
			       "request is larger than %u bytes", CA_CSR_MAX);
	while (skip < len && is_space(data[skip]))
		skip++;
	if (len - skip >= sizeof(begin) - 1 &&
	    memcmp(data + skip, begin, sizeof(begin) - 1) == 0)
		rc = parse_pem(data, len, &req, errbuf, errlen);
	else
		rc = parse_der(data, len, &req, errbuf, errlen);
	if (rc < 0)
		return rc;
	rc = check_request(req, errbuf, errlen);
	if (rc < 0) {
		X509_REQ_free(req);
		return rc;
	}
	*out = req;
	return 0;
}

int ca_csr_der(X509_REQ *req, uint8_t **der, size_t *len)
{
	return cx_der(req, ASN1_ITEM_rptr(X509_REQ), der, len);
}
