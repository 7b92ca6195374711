/*
 * profile.c — the built-in certificate profiles (tls-server, tls-client,
 * code-signing, sub-ca). See profile.h. The table is constant; callers get
 * a copy they may adjust.
 */
#include "ca/profile.h"

#include <string.h>

#include <openssl/x509v3.h>

#include "common/errors.h"

static const struct ca_profile builtins[] = {
	{
		.name = "tls-server",
		.key_usage = X509v3_KU_DIGITAL_SIGNATURE,
		.ext_key_usage = CA_EKU_SERVER,
		.is_ca = 0, .path_len = -1,
		.max_validity_days = 397, .default_validity_days = 365,
		.names_allowed = CA_NAMES_DNS | CA_NAMES_IP,
		.require_san = 1, .pend = 0, .enroll_groups = "",
	},
	{
		.name = "tls-client",
		.key_usage = X509v3_KU_DIGITAL_SIGNATURE,
		.ext_key_usage = CA_EKU_CLIENT,
		.is_ca = 0, .path_len = -1,
		.max_validity_days = 825, .default_validity_days = 365,
		.names_allowed = CA_NAMES_DNS | CA_NAMES_EMAIL | CA_NAMES_URI,
		.require_san = 0, .pend = 0, .enroll_groups = "",
	},
	{
		.name = "code-signing",
		.key_usage = X509v3_KU_DIGITAL_SIGNATURE,
		.ext_key_usage = CA_EKU_CODE,
		.is_ca = 0, .path_len = -1,
		.max_validity_days = 1095, .default_validity_days = 365,
		.names_allowed = CA_NAMES_EMAIL | CA_NAMES_URI,
		.require_san = 0, .pend = 0, .enroll_groups = "",
	},
	{
		.name = "sub-ca",
		.key_usage = X509v3_KU_KEY_CERT_SIGN | X509v3_KU_CRL_SIGN,
		.ext_key_usage = 0,
		.is_ca = 1, .path_len = 0,
		.max_validity_days = 3650, .default_validity_days = 1825,
		.names_allowed = 0,
		.require_san = 0, .pend = 1, .enroll_groups = "",
	},
};

int ca_profile_builtin(const char *name, struct ca_profile *p)
{
	size_t i;

	if (name == NULL)
		return CS_E_PROFILE;
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (strcmp(name, builtins[i].name) == 0) {
			*p = builtins[i];
			return 0;
		}
	}
	return CS_E_PROFILE;
}
