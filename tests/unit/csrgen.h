/*
 * csrgen.h — header-only helpers for the CA unit tests: build PKCS#10
 * requests in memory with OpenSSL (subject CN, SAN and optional extra
 * extensions in an extensionRequest, signed by the given key), parse them
 * as the CA does, and make and
 * remove temporary directories under /tmp. Test code only.
 */
#ifndef CERTSRV_TESTS_CSRGEN_H
#define CERTSRV_TESTS_CSRGEN_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/csr.h"

/* A signed request: subject CN=cn (none if NULL), SAN from an OpenSSL
 * config string like "DNS:a.example,IP:10.0.0.1" (none if NULL), and
 * basicConstraints critical CA:TRUE requested when ask_ca. NULL on error. */
static inline X509_REQ *csrgen_make(EVP_PKEY *key, const char *cn,
				    const char *san, int ask_ca)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ?
				   NULL : EVP_sha256();
	int ok = 0;

	if (req == NULL || exts == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1)
		goto out;
	if (cn != NULL &&
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
				       MBSTRING_UTF8, (const unsigned char *)cn,
				       -1, -1, 0) != 1)
		goto out;
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		if (ext == NULL || !sk_X509_EXTENSION_push(exts, ext))
			goto out;
	}
	if (ask_ca) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
					  "critical,CA:TRUE");
		if (ext == NULL || !sk_X509_EXTENSION_push(exts, ext))
			goto out;
	}
	if (sk_X509_EXTENSION_num(exts) > 0 && X509_REQ_add_extensions(req, exts) != 1)
		goto out;
	if (X509_REQ_sign(req, key, md) <= 0)
		goto out;
	ok = 1;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (!ok) {
		X509_REQ_free(req);
		req = NULL;
	}
	return req;
}

/* DER of a request into a malloc'd buffer; returns its length or -1. */
static inline int csrgen_der(X509_REQ *req, unsigned char **der)
{
	int n = i2d_X509_REQ(req, NULL);
	unsigned char *p;

	if (n <= 0 || (*der = malloc((size_t)n)) == NULL)
		return -1;
	p = *der;
	return i2d_X509_REQ(req, &p);
}

/* The request csrgen_make builds, parsed as the CA parses requests
 * (caller frees with ca_csr_free). NULL on error. */
static inline struct ca_csr *csrgen_parsed(EVP_PKEY *key, const char *cn,
					   const char *san, int ask_ca)
{
	X509_REQ *made = csrgen_make(key, cn, san, ask_ca);
	struct ca_csr *req = NULL;
	unsigned char *der = NULL;
	int len = made ? csrgen_der(made, &der) : -1;

	if (len <= 0 || ca_csr_parse(der, (size_t)len, &req, NULL, 0) != 0)
		req = NULL;
	free(der);
	X509_REQ_free(made);
	return req;
}

/* A fresh directory under /tmp (caller removes it with csrgen_rmdir). */
static inline char *csrgen_tmpdir(void)
{
	char tmpl[] = "/tmp/certsrv-ca-test.XXXXXX";
	char *d = mkdtemp(tmpl);

	return d != NULL ? strdup(d) : NULL;
}

/* Remove a flat temp directory and the files in it; frees dir. */
static inline void csrgen_rmdir(char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[4096];

	if (dir == NULL)
		return;
	d = opendir(dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	free(dir);
}

#endif
