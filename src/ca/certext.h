/*
 * certext.h — helpers private to src/ca: X.509 extension building, time and
 * serial conversion, error sentences. Not part of the CA API (ca.h does not
 * include it). Every extension is built from typed OpenSSL structures, never
 * from configuration strings, so no input can inject extra fields.
 */
#ifndef CERTSRV_CA_CERTEXT_H
#define CERTSRV_CA_CERTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Write a sentence into errbuf (if non-NULL) and return code. */
int cx_fail(char *errbuf, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Set notBefore/notAfter: 0 or CS_E_INTERNAL. */
int cx_set_validity(X509 *x, time_t not_before, time_t not_after);
/* An ASN1_INTEGER from big-endian unsigned bytes (caller frees); NULL on
 * error or when all bytes are zero. */
ASN1_INTEGER *cx_serial_new(const uint8_t *bytes, size_t len);
/* ASN1_TIME to time_t (UTC): 0 or CS_E_INVALID. */
int cx_time_of(const ASN1_TIME *t, time_t *out);
/* SHA-1 of the certificate's public key (RFC 5280 4.2.1.2 method 1).
 * Does not touch OpenSSL's extension cache, so it is safe on a certificate
 * still being built. Caller frees. */
ASN1_OCTET_STRING *cx_pubkey_id(X509 *cert);
/* Key identifier of a finished certificate: its SKI extension, else
 * cx_pubkey_id. Caches the parsed extensions: never call it on a
 * certificate still being built. Caller frees. */
ASN1_OCTET_STRING *cx_key_id(X509 *cert);

/* The extensions; each returns 0 or CS_E_INTERNAL. */
int cx_add_basic_constraints(X509 *x, int is_ca, int path_len);
int cx_add_key_usage(X509 *x, unsigned ku_bits); /* X509v3_KU_*, critical */
int cx_add_ext_key_usage(X509 *x, unsigned eku_bits); /* CA_EKU_*, none if 0 */
int cx_add_ski(X509 *x);
int cx_add_aki(X509 *x, const ASN1_OCTET_STRING *keyid);
int cx_add_crl_dp(X509 *x, const char *url);
int cx_add_aia_issuers(X509 *x, const char *url);
/* The AKI value for keyid (caller frees with AUTHORITY_KEYID_free). */
AUTHORITY_KEYID *cx_aki_new(const ASN1_OCTET_STRING *keyid);

/* DER encoding of any ASN.1 object of type it, in malloc'd memory (caller
 * frees with free()). */
int cx_der(const void *obj, const ASN1_ITEM *it, uint8_t **der, size_t *len);

#endif
