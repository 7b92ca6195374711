/*
 * issue.h — the CA signer and certificate issuance (see ca.h).
 *
 * Guarantees: an issued certificate is X.509 v3 with exactly the extensions
 * its profile dictates (basicConstraints and keyUsage critical, EKU, SKI,
 * AKI, the SAN kinds the profile allows, CDP/AIA when configured); nothing
 * else is copied from the request. Validity never exceeds the profile cap
 * nor the CA's own notAfter. A struct ca_signer is immutable after
 * ca_signer_new and may be shared by threads that only sign.
 */
#ifndef CERTSRV_CA_ISSUE_H
#define CERTSRV_CA_ISSUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/csr.h"
#include "ca/profile.h"
#include "ca/serial.h"

/* ---- issuing ---- */
struct ca_signer;

/* A signer owns a reference to the key and the CA certificate (it ups their
 * reference counts; the caller keeps its own).
 * CS_E_INVALID if the key is not a supported CA key type, does not match the
 * certificate, or the certificate is not a CA certificate. */
int ca_signer_new(EVP_PKEY *key, X509 *cacert, struct ca_signer **out);
void ca_signer_free(struct ca_signer *s);
X509 *ca_signer_cert(const struct ca_signer *s); /* borrowed */
/* The signing key and digest (NULL for Ed25519), both borrowed, for other
 * modules that sign as the CA (CRLs). 0 or CS_E_INVALID. */
int ca_signer_key(const struct ca_signer *s, EVP_PKEY **key, const EVP_MD **md);

/* Where issued certificates point for revocation and the issuer (may be NULL). */
struct ca_urls {
	const char *crl_url;  /* cRLDistributionPoints */
	const char *aia_url;  /* authorityInfoAccess caIssuers */
};

/* Build and sign a certificate for req under profile p: subject copied from
 * the request, SANs copied only if their kinds are allowed (else CS_E_POLICY
 * with a reason), validity = min(requested days or default, profile cap, CA's
 * own notAfter), extensions only from the profile (the request can never set
 * basicConstraints, key usage or EKU). Caller frees *out with X509_free.
 * validity_days <= 0 means the profile default; notBefore = now. An empty
 * subject is allowed only with a SAN, which is then marked critical.
 * For RSA subject keys under a serverAuth leaf profile keyEncipherment is
 * added; for non-RSA keys keyEncipherment is never set. urls may be NULL. */
/* The returned object is meant to be encoded (ca_cert_der): its public key
 * is copied from the request as raw fields, so OpenSSL has not decoded it
 * (X509_get0_pubkey on it gives NULL). Decode the DER for a full object. */
int ca_issue(const struct ca_signer *s, const struct ca_csr *req,
	     const struct ca_profile *p,
	     const struct ca_urls *urls, const uint8_t serial[CA_SERIAL_LEN],
	     time_t now, int validity_days, X509 **out, char *errbuf, size_t errlen);
/* DER of a certificate, malloc'd (caller frees). */
int ca_cert_der(X509 *cert, uint8_t **der, size_t *len);
/* Subject as a one-line RFC 2253 string, malloc'd (caller frees).
 * UTF-8 is kept as is; NULL on error. */
char *ca_name_oneline(const X509_NAME *name);

#endif
