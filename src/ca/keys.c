/*
 * keys.c — CA key pairs and the CA certificate: generate, save (PKCS#8 PEM,
 * mode 0600, never replacing a file), load, build the self-signed root,
 * save/load certificates as PEM. See keys.h.
 */
#include "ca/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/certext.h"
#include "ca/serial.h"
#include "common/errors.h"
#include "common/fileio.h"

#define PEM_FILE_MAX (1024u * 1024u)
#define ROOT_DAYS_MAX 36500

static const struct {
	enum ca_key_type t;
	const char *name;
} key_names[] = {
	{ CA_KEY_EC_P256, "ec-p256" }, { CA_KEY_EC_P384, "ec-p384" },
	{ CA_KEY_RSA2048, "rsa2048" }, { CA_KEY_RSA3072, "rsa3072" },
	{ CA_KEY_RSA4096, "rsa4096" }, { CA_KEY_ED25519, "ed25519" },
};
#define N_KEY_NAMES (sizeof(key_names) / sizeof(key_names[0]))

int ca_key_type_parse(const char *name, enum ca_key_type *t)
{
	size_t i;

	if (name == NULL)
		return CS_E_INVALID;
	for (i = 0; i < N_KEY_NAMES; i++) {
		if (strcasecmp(name, key_names[i].name) == 0) {
			*t = key_names[i].t;
			return 0;
		}
	}
	return CS_E_INVALID;
}

const char *ca_key_type_name(enum ca_key_type t)
{
	size_t i;

	for (i = 0; i < N_KEY_NAMES; i++)
		if (key_names[i].t == t)
			return key_names[i].name;
	return NULL;
}

static int ec_type_of(EVP_PKEY *key, enum ca_key_type *t)
{
	char group[64];
	size_t len = 0;

	if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1)
		return CS_E_INVALID;
	if (strcmp(group, SN_X9_62_prime256v1) == 0)
		*t = CA_KEY_EC_P256;
	else if (strcmp(group, SN_secp384r1) == 0)
		*t = CA_KEY_EC_P384;
	else
		return CS_E_INVALID;
	return 0;
}

int ca_key_type_of(EVP_PKEY *key, enum ca_key_type *t)
{
	if (key == NULL)
		return CS_E_INVALID;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		return ec_type_of(key, t);
	case EVP_PKEY_ED25519:
		*t = CA_KEY_ED25519;
		return 0;
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(key)) {
		case 2048: *t = CA_KEY_RSA2048; return 0;
		case 3072: *t = CA_KEY_RSA3072; return 0;
		case 4096: *t = CA_KEY_RSA4096; return 0;
		default: return CS_E_INVALID;
		}
	default:
		return CS_E_INVALID;
	}
}

int ca_key_digest(EVP_PKEY *key, const EVP_MD **md)
{
	enum ca_key_type t;
	int rc = ca_key_type_of(key, &t);

	if (rc < 0)
		return rc;
	if (t == CA_KEY_ED25519)
		*md = NULL;
	else if (t == CA_KEY_EC_P384)
		*md = EVP_sha384();
	else
		*md = EVP_sha256();
	return 0;
}

int ca_key_generate(enum ca_key_type t, EVP_PKEY **out)
{
	EVP_PKEY *k = NULL;

	switch (t) {
	case CA_KEY_EC_P256: k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
	case CA_KEY_EC_P384: k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
	case CA_KEY_RSA2048: k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048); break;
	case CA_KEY_RSA3072: k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072); break;
	case CA_KEY_RSA4096: k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096); break;
	case CA_KEY_ED25519: k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	default: return CS_E_INVALID;
	}
	if (k == NULL)
		return CS_E_INTERNAL;
	*out = k;
	return 0;
}

int ca_key_save(const char *path, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *pem = NULL;
	long n;
	int rc = CS_E_INTERNAL;

	if (bio == NULL)
		return -ENOMEM;
	/* Unencrypted PKCS#8 ("BEGIN PRIVATE KEY"). */
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &pem);
	if (n <= 0)
		goto out;
	rc = fio_write_new(path, pem, (size_t)n, 0600);
out:
	BIO_free(bio); /* secure memory BIO: cleansed on free */
	return rc;
}

/* Read a PEM file into a memory BIO (caller frees). */
static int read_pem_file(const char *path, BIO **out, char *errbuf, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio;
	int rc = fio_read_all(path, PEM_FILE_MAX, &data, &len);

	if (rc < 0)
		return cx_fail(errbuf, errlen, rc, "cannot read %s: %s", path,
			       cs_strerror(rc));
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || BIO_write(bio, data, (int)len) != (int)len) {
		BIO_free(bio);
		rc = -ENOMEM;
		goto out;
	}
	*out = bio;
out:
	OPENSSL_cleanse(data, len);
	free(data);
	return rc;
}

int ca_key_load(const char *path, EVP_PKEY **out, char *errbuf, size_t errlen)
{
	BIO *bio = NULL;
	EVP_PKEY *key;
	int rc = read_pem_file(path, &bio, errbuf, errlen);

	if (rc < 0)
		return rc;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "%s holds no readable unencrypted private key", path);
	*out = key;
	return 0;
}

int ca_cert_save_pem(const char *path, X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long n;
	int rc = CS_E_INTERNAL;

	if (bio == NULL)
		return -ENOMEM;
	if (PEM_write_bio_X509(bio, cert) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &pem);
	if (n <= 0)
		goto out;
	rc = fio_write_atomic(path, pem, (size_t)n, 0644);
out:
	BIO_free(bio);
	return rc;
}

int ca_cert_load_pem(const char *path, X509 **out, char *errbuf, size_t errlen)
{
	BIO *bio = NULL;
	X509 *cert;
	int rc = read_pem_file(path, &bio, errbuf, errlen);

	if (rc < 0)
		return rc;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (cert == NULL)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "%s holds no PEM certificate", path);
	*out = cert;
	return 0;
}

/* Copy the next component of a DN string, up to sep, unescaping "\x".
 * Returns a pointer past the component (at sep or the NUL). */
static const char *dn_component(const char *p, char sep, char *buf, size_t size,
				int *too_long)
{
	size_t n = 0;

	*too_long = 0;
	while (*p != '\0' && *p != sep) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 >= size) {
			*too_long = 1;
			return p;
		}
		buf[n++] = *p++;
	}
	buf[n] = '\0';
	return p;
}

/* Trim spaces around s in place; returns the trimmed start. */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

static int add_rdn(X509_NAME *name, char *comp, char *errbuf, size_t errlen)
{
	char *eq = strchr(comp, '='), *field, *value;

	if (eq == NULL)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "subject component \"%s\" has no '='", comp);
	*eq = '\0';
	field = trim(comp);
	value = trim(eq + 1);
	if (*value == '\0')
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "subject attribute %s has an empty value", field);
	if (OBJ_txt2nid(field) == NID_undef)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "unknown subject attribute \"%s\"", field);
	if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
				       (const unsigned char *)value, -1, -1, 0) != 1)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "subject attribute %s: value not acceptable", field);
	return 0;
}

/* Parse "/CN=x/O=y" or "CN=x,O=y" into a new X509_NAME (caller frees). */
static int parse_dn(const char *s, X509_NAME **out, char *errbuf, size_t errlen)
{
	char comp[1024];
	char sep = ',';
	X509_NAME *name = X509_NAME_new();
	int too_long, rc = 0;

	if (name == NULL)
		return -ENOMEM;
	if (*s == '/') {
		sep = '/';
		s++;
	}
	while (*s != '\0') {
		s = dn_component(s, sep, comp, sizeof(comp), &too_long);
		if (too_long) {
			rc = cx_fail(errbuf, errlen, CS_E_INVALID,
				     "subject component too long");
			goto out;
		}
		rc = add_rdn(name, comp, errbuf, errlen);
		if (rc < 0)
			goto out;
		if (*s == sep)
			s++;
	}
	if (X509_NAME_entry_count(name) == 0)
		rc = cx_fail(errbuf, errlen, CS_E_INVALID, "subject is empty");
out:
	if (rc < 0)
		X509_NAME_free(name);
	else
		*out = name;
	return rc;
}

static int root_extensions(X509 *x)
{
	ASN1_OCTET_STRING *id = NULL;
	int rc;

	rc = cx_add_basic_constraints(x, 1, -1);
	if (rc == 0)
		rc = cx_add_key_usage(x, X509v3_KU_KEY_CERT_SIGN | X509v3_KU_CRL_SIGN);
	if (rc == 0)
		rc = cx_add_ski(x);
	if (rc < 0)
		return rc;
	id = cx_pubkey_id(x); /* not cx_key_id: x is still being built */
	if (id == NULL)
		return CS_E_INTERNAL;
	rc = cx_add_aki(x, id);
	ASN1_OCTET_STRING_free(id);
	return rc;
}

int ca_make_root(EVP_PKEY *key, const char *subject, int validity_days,
		 X509 **out, char *errbuf, size_t errlen)
{
	uint8_t serial[CA_SERIAL_LEN];
	const EVP_MD *md = NULL;
	X509_NAME *name = NULL;
	ASN1_INTEGER *sn = NULL;
	X509 *x = NULL;
	time_t now = time(NULL);
	int rc;

	if (validity_days < 1 || validity_days > ROOT_DAYS_MAX)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "validity must be 1..%d days", ROOT_DAYS_MAX);
	if (ca_key_digest(key, &md) < 0)
		return cx_fail(errbuf, errlen, CS_E_INVALID,
			       "unsupported CA key type");
	if (subject == NULL)
		return cx_fail(errbuf, errlen, CS_E_INVALID, "subject is empty");
	rc = parse_dn(subject, &name, errbuf, errlen);
	if (rc < 0)
		return rc;
	rc = ca_serial_random(serial);
	if (rc < 0)
		goto out;
	rc = CS_E_INTERNAL;
	if ((x = X509_new()) == NULL || (sn = cx_serial_new(serial, sizeof(serial))) == NULL)
		goto out;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(x, sn) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1)
		goto out;
	rc = cx_set_validity(x, now, now + (time_t)validity_days * 86400);
	if (rc == 0)
		rc = root_extensions(x);
	if (rc < 0)
		goto out;
	rc = CS_E_INTERNAL;
	if (X509_sign(x, key, md) <= 0)
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	if (rc == CS_E_INTERNAL)
		cx_fail(errbuf, errlen, rc, "building or signing the root failed");
	X509_free(x);
	ASN1_INTEGER_free(sn);
	X509_NAME_free(name);
	return rc;
}
