/*
 * csr.h — PKCS#10 request intake for the CA (see ca.h).
 *
 * Guarantees: a request returned by ca_csr_parse was at most 64 KiB, was
 * consumed exactly (no trailing bytes), carries a supported public key
 * (RSA 2048..16384 bits, EC P-256/P-384/P-521, Ed25519) and its signature
 * verifies with that key. Nothing is logged.
 */
#ifndef CERTSRV_CA_CSR_H
#define CERTSRV_CA_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* Largest request accepted, in bytes (PEM or DER as given). */
#define CA_CSR_MAX (64u * 1024u)

/* ---- CSR intake ---- */
/* Parse a PKCS#10 request given as PEM or DER (detected), check that it is
 * well formed and that its signature verifies with its own key.
 * CS_E_BADCSR (cannot parse / truncated / trailing garbage) or CS_E_BADSIG.
 * Caller frees *out with X509_REQ_free.
 * PEM is recognised by a leading "-----BEGIN" (after optional whitespace);
 * only whitespace may follow its END line. CS_E_TOOBIG above CA_CSR_MAX;
 * CS_E_BADCSR also for a missing or unsupported public key. */
int ca_csr_parse(const uint8_t *data, size_t len, X509_REQ **out,
		 char *errbuf, size_t errlen);
/* DER encoding of a request (malloc'd, caller frees). */
int ca_csr_der(X509_REQ *req, uint8_t **der, size_t *len);

#endif
