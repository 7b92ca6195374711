/*
 * profile.h — certificate profiles: what a certificate issued under a
 * profile may contain (see ca.h). Built-in profiles are constants; the
 * daemon may load others from certsrv.conf into the same struct.
 */
#ifndef CERTSRV_CA_PROFILE_H
#define CERTSRV_CA_PROFILE_H

/* ---- profiles ---- */
#define CA_PROFILE_NAME_MAX 64

enum ca_names_allowed {
	CA_NAMES_DNS = 1u << 0,
	CA_NAMES_IP = 1u << 1,
	CA_NAMES_EMAIL = 1u << 2,
	CA_NAMES_URI = 1u << 3,
};

struct ca_profile {
	char name[CA_PROFILE_NAME_MAX];
	unsigned key_usage;      /* X509v3_KU_* bits */
	unsigned ext_key_usage;  /* CA_EKU_* bits */
	int is_ca;               /* basicConstraints CA:TRUE (sub-ca only) */
	int path_len;            /* -1 = none */
	int max_validity_days;
	int default_validity_days;
	unsigned names_allowed;  /* CA_NAMES_* that may appear in the SAN */
	int require_san;         /* request must carry at least one SAN */
	int pend;                /* 1: requests wait for an officer */
	char enroll_groups[256]; /* comma-separated groups allowed to use it;
				    "" = anyone with the enroll role */
};

enum ca_eku {
	CA_EKU_SERVER = 1u << 0,
	CA_EKU_CLIENT = 1u << 1,
	CA_EKU_CODE = 1u << 2,
	CA_EKU_EMAIL = 1u << 3,
	CA_EKU_OCSP = 1u << 4,
};

/* Fill p with the built-in profile of that name ("tls-server",
 * "tls-client", "code-signing", "sub-ca"): 0 or CS_E_PROFILE.
 * Built-ins: tls-server digitalSignature, serverAuth, DNS+IP, SAN required,
 * 397/365 days; tls-client digitalSignature, clientAuth, DNS+email+URI,
 * 825/365; code-signing digitalSignature, codeSigning, email+URI, no SAN
 * required, 1095/365; sub-ca CA:TRUE pathlen 0, keyCertSign+cRLSign, no SAN,
 * 3650/1825, pending for an officer. (ca_issue adds keyEncipherment for RSA
 * subject keys under serverAuth profiles.) */
int ca_profile_builtin(const char *name, struct ca_profile *p);

#endif
