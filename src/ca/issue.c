/*
 * issue.c — the CA signer and certificate issuance: builds a v3 certificate
 * for a verified request under a profile, with extensions taken only from
 * the profile (plus the SAN kinds it allows), validity capped by the profile
 * and the CA's own notAfter. See issue.h.
 */
#include "ca/issue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/x509v3.h>

#include "ca/certext.h"
#include "ca/keys.h"
#include "common/errors.h"

#define DAY_SECONDS 86400
#define DNS_NAME_MAX 253

struct ca_signer {
	EVP_PKEY *key;
	X509 *cert;
	const EVP_MD *md;           /* NULL for Ed25519 */
	ASN1_OCTET_STRING *keyid;   /* the CA's key identifier, for AKI */
	time_t not_after;           /* the CA certificate's notAfter */
	long path_len;              /* the CA's pathLenConstraint, -1 = none */
};

int ca_signer_new(EVP_PKEY *key, X509 *cacert, struct ca_signer **out)
{
	struct ca_signer *s;
	const EVP_MD *md = NULL;
	time_t not_after = 0;

	if (key == NULL || cacert == NULL || ca_key_digest(key, &md) < 0)
		return CS_E_INVALID;
	if (X509_check_private_key(cacert, key) != 1)
		return CS_E_INVALID;
	/* Also caches the parsed extensions, so that later concurrent readers
	 * of the certificate never write to it. */
	if (X509_check_ca(cacert) < 1)
		return CS_E_INVALID;
	if (cx_time_of(X509_get0_notAfter(cacert), &not_after) < 0)
		return CS_E_INVALID;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->keyid = cx_key_id(cacert);
	if (s->keyid == NULL) {
		free(s);
		return -ENOMEM;
	}
	EVP_PKEY_up_ref(key);
	X509_up_ref(cacert);
	s->key = key;
	s->cert = cacert;
	s->md = md;
	s->not_after = not_after;
	s->path_len = X509_get_pathlen(cacert);
	*out = s;
	return 0;
}

void ca_signer_free(struct ca_signer *s)
{
	if (s == NULL)
		return;
	ASN1_OCTET_STRING_free(s->keyid);
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	free(s);
}

X509 *ca_signer_cert(const struct ca_signer *s)
{
	return s->cert;
}

int ca_signer_key(const struct ca_signer *s, EVP_PKEY **key, const EVP_MD **md)
{
	if (s == NULL)
		return CS_E_INVALID;
	*key = s->key;
	*md = s->md;
	return 0;
}

/* ---- SAN policy ---- */

static int is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/* A DNS name: LDH labels of 1..63 separated by dots; "*." only in front. */
static int dns_name_ok(const ASN1_IA5STRING *s)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int len = ASN1_STRING_length(s), i, label = 0;

	if (len <= 0 || len > DNS_NAME_MAX)
		return 0;
	i = 0;
	if (len > 2 && p[0] == '*' && p[1] == '.')
		i = 2;
	for (; i < len; i++) {
		if (p[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (is_ldh(p[i]) && ++label <= 63) {
			continue;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* Printable ASCII without spaces, containing ch. */
static int text_ok(const ASN1_IA5STRING *s, char ch)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int len = ASN1_STRING_length(s), i, seen = 0;

	if (len <= 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] <= 0x20 || p[i] >= 0x7F)
			return 0;
		if (p[i] == (unsigned char)ch)
			seen = 1;
	}
	return seen;
}

static const char *kind_name(int type)
{
	switch (type) {
	case GEN_OTHERNAME: return "otherName";
	case GEN_EMAIL: return "email";
	case GEN_DNS: return "DNS";
	case GEN_X400: return "x400Address";
	case GEN_DIRNAME: return "directoryName";
	case GEN_EDIPARTY: return "ediPartyName";
	case GEN_URI: return "URI";
	case GEN_IPADD: return "IP";
	case GEN_RID: return "registeredID";
	default: return "unknown";
	}
}

static int check_name(const GENERAL_NAME *gn, const struct ca_profile *p,
		      char *errbuf, size_t errlen)
{
	unsigned need = 0;
	int ok = 0, type = gn->type;
	const void *v = GENERAL_NAME_get0_value(gn, &type);

	switch (type) {
	case GEN_DNS: need = CA_NAMES_DNS; ok = dns_name_ok(v); break;
	case GEN_IPADD:
		need = CA_NAMES_IP;
		ok = ASN1_STRING_length(v) == 4 || ASN1_STRING_length(v) == 16;
		break;
	case GEN_EMAIL: need = CA_NAMES_EMAIL; ok = text_ok(v, '@'); break;
	case GEN_URI: need = CA_NAMES_URI; ok = text_ok(v, ':'); break;
	default: break;
	}
	if (need == 0 || !(p->names_allowed & need))
		return cx_fail(errbuf, errlen, CS_E_POLICY,
			       "subject alternative name of kind %s is not allowed "
			       "by profile %s", kind_name(type), p->name);
	if (!ok)
		return cx_fail(errbuf, errlen, CS_E_POLICY,
			       "malformed %s subject alternative name",
			       kind_name(type));
	return 0;
}

/* The request's SAN, checked against the profile: 0 and *out (NULL when
 * the request has none; caller frees with GENERAL_NAMES_free). */
static int request_san(const struct ca_csr *req, const struct ca_profile *p,
		       GENERAL_NAMES **out, char *errbuf, size_t errlen)
{
	const STACK_OF(X509_EXTENSION) *exts = ca_csr_extensions(req);
	GENERAL_NAMES *names = NULL;
	X509_EXTENSION *ext;
	int i, rc = 0;

	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		ext = sk_X509_EXTENSION_value(exts, i);
		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name)
			continue;
		if (names != NULL) {
			rc = cx_fail(errbuf, errlen, CS_E_POLICY,
				     "request has more than one SAN extension");
			goto out;
		}
		names = X509V3_EXT_d2i(ext);
		if (names == NULL) {
			rc = cx_fail(errbuf, errlen, CS_E_BADCSR,
				     "request SAN extension cannot be decoded");
			goto out;
		}
	}
	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		rc = check_name(sk_GENERAL_NAME_value(names, i), p, errbuf, errlen);
		if (rc < 0)
			goto out;
	}
	if (sk_GENERAL_NAME_num(names) <= 0) {
		GENERAL_NAMES_free(names);
		names = NULL;
	}
	if (names == NULL && p->require_san)
		rc = cx_fail(errbuf, errlen, CS_E_POLICY,
			     "profile %s requires a subject alternative name",
			     p->name);
out:
	if (rc < 0)
		GENERAL_NAMES_free(names);
	else
		*out = names;
	return rc;
}

/* ---- building ---- */

/* notAfter: requested days or the default, capped by the profile and by
 * the CA's own notAfter. */
static int compute_not_after(const struct ca_signer *s, const struct ca_profile *p,
			     time_t now, int validity_days, time_t *not_after,
			     char *errbuf, size_t errlen)
{
	long long days = validity_days > 0 ? validity_days : p->default_validity_days;
	time_t end;

	if (days > p->max_validity_days)
		days = p->max_validity_days;
	if (days <= 0)
		return cx_fail(errbuf, errlen, CS_E_POLICY,
			       "profile %s allows no validity period", p->name);
	if (now >= s->not_after)
		return cx_fail(errbuf, errlen, CS_E_POLICY,
			       "the CA certificate has expired");
	end = now + (time_t)(days * DAY_SECONDS);
	*not_after = end < s->not_after ? end : s->not_after;
	return 0;
}

/* Key usage for this subject key: keyEncipherment only for RSA keys, and
 * always for RSA keys under a serverAuth leaf profile. */
static unsigned key_usage_for(const struct ca_profile *p, EVP_PKEY *subject_key)
{
	unsigned ku = p->key_usage;

	if (EVP_PKEY_get_base_id(subject_key) != EVP_PKEY_RSA)
		return ku & ~(unsigned)(X509v3_KU_KEY_ENCIPHERMENT |
					X509v3_KU_DATA_ENCIPHERMENT);
	if (!p->is_ca && (p->ext_key_usage & CA_EKU_SERVER))
		ku |= X509v3_KU_KEY_ENCIPHERMENT;
	return ku;
}

static int add_extensions(const struct ca_signer *s, X509 *x,
			  const struct ca_profile *p, const struct ca_urls *urls,
			  GENERAL_NAMES *san, int san_critical, EVP_PKEY *subject_key)
{
	unsigned ku = key_usage_for(p, subject_key);
	int rc;

	rc = cx_add_basic_constraints(x, p->is_ca, p->is_ca ? p->path_len : -1);
	if (rc == 0 && ku != 0)
		rc = cx_add_key_usage(x, ku);
	if (rc == 0)
		rc = cx_add_ext_key_usage(x, p->ext_key_usage);
	if (rc == 0)
		rc = cx_add_ski(x);
	if (rc == 0)
		rc = cx_add_aki(x, s->keyid);
	if (rc == 0 && san != NULL &&
	    X509_add1_ext_i2d(x, NID_subject_alt_name, san, san_critical,
			      X509V3_ADD_REPLACE) != 1)
		rc = CS_E_INTERNAL;
	if (rc == 0 && urls != NULL && urls->crl_url != NULL && urls->crl_url[0])
		rc = cx_add_crl_dp(x, urls->crl_url);
	if (rc == 0 && urls != NULL && urls->aia_url != NULL && urls->aia_url[0])
		rc = cx_add_aia_issuers(x, urls->aia_url);
	return rc;
}

/* Refusals that depend on the request and profile, before anything is built. */
static int check_policy(const struct ca_signer *s, const struct ca_csr *req,
			const struct ca_profile *p, GENERAL_NAMES **san,
			char *errbuf, size_t errlen)
{
	int rc;

	if (p->is_ca && s->path_len == 0)
		return cx_fail(errbuf, errlen, CS_E_POLICY,
			       "this CA may not issue CA certificates (pathlen 0)");
	rc = request_san(req, p, san, errbuf, errlen);
	if (rc < 0)
		return rc;
	if (*san == NULL && X509_NAME_entry_count(ca_csr_subject(req)) == 0)
		return cx_fail(errbuf, errlen, CS_E_POLICY,
			       "request has neither a subject nor a subject "
			       "alternative name");
	return 0;
}

/* Copy the request's SubjectPublicKeyInfo into the certificate as raw
 * fields. X509_set_pubkey() would re-encode and re-decode the key through
 * OpenSSL 3's decoder machinery, which costs as much as a signature. */
static int copy_pubkey(X509 *x, const struct ca_csr *req)
{
	const ASN1_OBJECT *alg_obj;
	const void *alg_param;
	const ASN1_BIT_STRING *bits;
	const X509_ALGOR *alg;
	ASN1_OBJECT *obj = NULL;
	void *param = NULL;
	unsigned char *copy = NULL;
	int ptype, nbits;

	ca_csr_spki(req, &alg, &bits);
	nbits = ASN1_STRING_length(bits);
	X509_ALGOR_get0(&alg_obj, &ptype, &alg_param, alg);
	obj = OBJ_dup(alg_obj);
	if (ptype == V_ASN1_OBJECT)
		param = OBJ_dup(alg_param);
	else if (ptype == V_ASN1_SEQUENCE || ptype == V_ASN1_OCTET_STRING)
		param = ASN1_STRING_dup(alg_param);
	copy = OPENSSL_memdup(ASN1_STRING_get0_data(bits), (size_t)nbits);
	if (obj == NULL || copy == NULL ||
	    (param == NULL && alg_param != NULL && ptype != V_ASN1_NULL) ||
	    X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), obj, ptype, param,
				   copy, nbits) != 1) {
		ASN1_OBJECT_free(obj);
		if (ptype == V_ASN1_OBJECT)
			ASN1_OBJECT_free(param);
		else
			ASN1_STRING_free(param);
		OPENSSL_free(copy);
		return CS_E_INTERNAL;
	}
	return 0;
}

int ca_issue(const struct ca_signer *s, const struct ca_csr *req,
	     const struct ca_profile *p,
	     const struct ca_urls *urls, const uint8_t serial[CA_SERIAL_LEN],
	     time_t now, int validity_days, X509 **out, char *errbuf, size_t errlen)
{
	const X509_NAME *subject;
	EVP_PKEY *subject_key;
	GENERAL_NAMES *san = NULL;
	ASN1_INTEGER *sn = NULL;
	X509 *x = NULL;
	time_t not_after = 0;
	int rc;

	if (s == NULL || req == NULL || p == NULL || serial == NULL || out == NULL)
		return CS_E_INVALID;
	subject_key = ca_csr_key(req);
	sn = cx_serial_new(serial, CA_SERIAL_LEN);
	if (sn == NULL)
		return cx_fail(errbuf, errlen, CS_E_INVALID, "serial number is zero");
	rc = check_policy(s, req, p, &san, errbuf, errlen);
	if (rc == 0)
		rc = compute_not_after(s, p, now, validity_days, &not_after,
				       errbuf, errlen);
	if (rc < 0)
		goto out;
	subject = ca_csr_subject(req);
	rc = CS_E_INTERNAL;
	if ((x = X509_new()) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(x, sn) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(s->cert)) != 1 ||
	    X509_set_subject_name(x, subject) != 1 ||
	    copy_pubkey(x, req) < 0)
		goto out;
	rc = cx_set_validity(x, now, not_after);
	if (rc == 0)
		rc = add_extensions(s, x, p, urls, san,
				    X509_NAME_entry_count(subject) == 0, subject_key);
	if (rc < 0)
		goto out;
	rc = CS_E_INTERNAL;
	if (X509_sign(x, s->key, s->md) <= 0)
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	if (rc == CS_E_INTERNAL)
		cx_fail(errbuf, errlen, rc, "building or signing the certificate failed");
	X509_free(x);
	GENERAL_NAMES_free(san);
	ASN1_INTEGER_free(sn);
	return rc;
}

int ca_cert_der(X509 *cert, uint8_t **der, size_t *len)
{
	return cx_der(cert, ASN1_ITEM_rptr(X509), der, len);
}

char *ca_name_oneline(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n < 0)
		goto out;
	copy = malloc((size_t)n + 1);
	if (copy == NULL)
		goto out;
	memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
out:
	BIO_free(bio);
	return copy;
}
