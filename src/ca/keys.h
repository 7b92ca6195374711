/*
 * keys.h — CA key pairs and the CA certificate: generate, save, load, and
 * build the self-signed root. Part of the CA's cryptography (see ca.h).
 *
 * Guarantees: keys are written as unencrypted PKCS#8 PEM with mode 0600 and
 * never replace an existing file; certificates are written atomically. No
 * logging; reasons go to errbuf where a function takes one.
 */
#ifndef CERTSRV_CA_KEYS_H
#define CERTSRV_CA_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* ---- keys ---- */
enum ca_key_type {
	CA_KEY_EC_P256,
	CA_KEY_EC_P384,
	CA_KEY_RSA2048,
	CA_KEY_RSA3072,
	CA_KEY_RSA4096,
	CA_KEY_ED25519,
};
/* Name <-> type: "ec-p256", "ec-p384", "rsa2048", "rsa3072", "rsa4096",
 * "ed25519". ca_key_type_parse returns 0 or CS_E_INVALID. */
int ca_key_type_parse(const char *name, enum ca_key_type *t);
const char *ca_key_type_name(enum ca_key_type t);
/* Which of the types above key is: 0 or CS_E_INVALID (any other algorithm,
 * curve or RSA size). */
int ca_key_type_of(EVP_PKEY *key, enum ca_key_type *t);
/* The digest a CA signs with for key: SHA-256 for P-256 and RSA, SHA-384 for
 * P-384, NULL (*md == NULL) for Ed25519. 0 or CS_E_INVALID. */
int ca_key_digest(EVP_PKEY *key, const EVP_MD **md);
/* Generate a key: 0 and *out (caller frees with EVP_PKEY_free). */
int ca_key_generate(enum ca_key_type t, EVP_PKEY **out);
/* Write an unencrypted PKCS#8 PEM key, mode 0600, atomically; refuses
 * (-EEXIST) to replace an existing file. */
int ca_key_save(const char *path, EVP_PKEY *key);
/* Read a PEM private key (at most 1 MiB). 0 and *out (caller frees with
 * EVP_PKEY_free), a negative errno if the file cannot be read, or
 * CS_E_INVALID if it holds no usable key. */
int ca_key_load(const char *path, EVP_PKEY **out, char *errbuf, size_t errlen);

/* ---- the CA certificate ---- */
/* Build a self-signed root: subject DN "/CN=x/O=y" or "CN=x,O=y" form,
 * validity days, basicConstraints CA:TRUE critical, keyUsage keyCertSign+cRLSign
 * critical, SKI, AKI. Caller frees *out with X509_free.
 * (A backslash escapes the separator inside a value; validity_days must be
 * 1..36500; CS_E_INVALID otherwise.) */
int ca_make_root(EVP_PKEY *key, const char *subject, int validity_days,
		 X509 **out, char *errbuf, size_t errlen);
int ca_cert_save_pem(const char *path, X509 *cert); /* atomic, mode 0644 */
/* Read the first PEM certificate of a file (at most 1 MiB); caller frees
 * *out with X509_free. */
int ca_cert_load_pem(const char *path, X509 **out, char *errbuf, size_t errlen);

#endif
