/*
 * ca.h — the certificate authority's cryptography, on OpenSSL 3:
 * CA keys, the self-signed root, CSR intake, profiles, certificate building
 * and CRL building. Pure functions of their inputs: no files except where a
 * function says so, no database, no logging. Thread-safe: a struct ca_signer
 * may be shared by threads that only sign.
 *
 * Errors: 0 or a negative code (CS_E_* from common/errors.h, -ENOMEM, ...);
 * functions that can fail for a reason worth telling a person also write a
 * sentence into errbuf (when errbuf is non-NULL).
 *
 * This is an umbrella header: the API lives in one header per module.
 * (src/ca/certext.h holds helpers private to src/ca and is not included.)
 */
#ifndef CERTSRV_CA_CA_H
#define CERTSRV_CA_CA_H

#include "ca/keys.h"    /* key types, generate/save/load, root, cert PEM I/O */
#include "ca/csr.h"     /* ca_csr_parse, ca_csr_der */
#include "ca/profile.h" /* struct ca_profile, ca_profile_builtin */
#include "ca/serial.h"  /* serials, CRL reason codes */
#include "ca/issue.h"   /* ca_signer_*, ca_issue, ca_cert_der, ca_name_oneline */
#include "ca/crl.h"     /* ca_crl_build */

#endif
