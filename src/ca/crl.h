/*
 * crl.h — building signed CRLs (see ca.h).
 *
 * Guarantees: the CRL is v2, signed by the signer's key with its digest,
 * carries crlNumber and authorityKeyIdentifier, lists entries sorted by
 * serial with no duplicates, and a reasonCode entry extension exactly when
 * the reason is not unspecified (0).
 */
#ifndef CERTSRV_CA_CRL_H
#define CERTSRV_CA_CRL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ca/issue.h"

/* ---- CRLs ---- */
struct ca_revoked {
	const char *serial_hex; /* canonical uppercase hex */
	time_t revoked_at;      /* the effective date */
	int reason;             /* RFC 5280 CRLReason, 0..10 except 7 */
};
/* Build and sign a CRL v2: issuer, thisUpdate=now, nextUpdate=now+period,
 * crlNumber, AKI, one entry per revoked certificate with its reasonCode
 * (omitted for unspecified). DER into *der (malloc'd, caller frees).
 * CS_E_INVALID for a bad serial, a duplicate serial, a reason outside
 * 0..10, 7 or removeFromCRL (8, meaningful only in delta CRLs), or
 * period_hours outside 1..8760 (one year). */
int ca_crl_build(const struct ca_signer *s, const struct ca_revoked *list,
		 size_t n, uint64_t crl_number, time_t now, int period_hours,
		 uint8_t **der, size_t *len, char *errbuf, size_t errlen);

#endif
