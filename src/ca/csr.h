/*
 * csr.h — PKCS#10 request intake for the CA (see ca.h).
 *
 * Guarantees: a request returned by ca_csr_parse was at most 64 KiB, was
 * consumed exactly (no trailing bytes), has version 1, carries a supported
 * public key (RSA 2048..16384 bits, EC P-256/P-384/P-521, Ed25519), an
 * extension request that decodes (or none), and its signature verifies with
 * its own key. Nothing is logged.
 *
 * Why not X509_REQ: OpenSSL 3.0's d2i_X509_REQ decodes the public key
 * through the provider decoder framework, whose per-call set-up costs more
 * than verifying the signature. This module decodes the request with its
 * own ASN.1 templates (OpenSSL's template engine, the same DER rules), builds
 * EC and Ed25519 keys straight from their encoded points, and leaves every
 * other key type to d2i_PUBKEY.
 */
#ifndef CERTSRV_CA_CSR_H
#define CERTSRV_CA_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* Largest request accepted, in bytes (PEM or DER as given). */
#define CA_CSR_MAX (64u * 1024u)

/* A parsed, verified request. Opaque; read it with the accessors below. */
struct ca_csr;

/* Parse a PKCS#10 request given as PEM or DER (detected), check that it is
 * well formed and that its signature verifies with its own key.
 * CS_E_BADCSR (cannot parse / truncated / trailing garbage / unsupported or
 * missing key / malformed extension request), CS_E_BADSIG, CS_E_TOOBIG above
 * CA_CSR_MAX, -ENOMEM. PEM is recognised by a leading "-----BEGIN" (after
 * optional whitespace); only whitespace may follow its END line.
 * On success the caller owns *out and frees it with ca_csr_free. */
int ca_csr_parse(const uint8_t *data, size_t len, struct ca_csr **out,
		 char *errbuf, size_t errlen);
/* Free a request; NULL is accepted. */
void ca_csr_free(struct ca_csr *csr);

/* The accessors return storage owned by csr, valid until ca_csr_free. */

/* The request's DER: the bytes as received when they were DER, the decoded
 * block when they were PEM. */
const uint8_t *ca_csr_der(const struct ca_csr *csr, size_t *len);
const X509_NAME *ca_csr_subject(const struct ca_csr *csr);
/* The subject's public key. */
EVP_PKEY *ca_csr_key(const struct ca_csr *csr);
/* The SubjectPublicKeyInfo's algorithm and key bits, as encoded. */
void ca_csr_spki(const struct ca_csr *csr, const X509_ALGOR **alg,
		 const ASN1_BIT_STRING **bits);
/* The extensions the request asks for; NULL when it asks for none. */
const STACK_OF(X509_EXTENSION) *ca_csr_extensions(const struct ca_csr *csr);

#endif
