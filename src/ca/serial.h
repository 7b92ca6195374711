/*
 * serial.h — certificate serial numbers and CRL reason codes (see ca.h).
 *
 * Guarantees: the canonical text form of a serial is uppercase hex without
 * separators and without leading zero digits; ca_serial_hex and
 * ca_serial_normalize always agree on it, so a serial typed by a person
 * finds the one the CA stored.
 */
#ifndef CERTSRV_CA_SERIAL_H
#define CERTSRV_CA_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#define CA_SERIAL_LEN 16
#define CA_SERIAL_HEX_MAX (2 * CA_SERIAL_LEN + 1)

/* 16 random bytes from the CSPRNG, drawn until the first byte is 0x10..0x7F:
 * the serial is positive, always 16 bytes long, and its hex form always 32
 * digits, the same as OpenSSL prints (over 126 bits of randomness). */
int ca_serial_random(uint8_t serial[CA_SERIAL_LEN]);
/* Normalise a serial typed by a person: hex digits in either case, optional
 * colons, optional leading zeros. Writes canonical uppercase hex without
 * leading zeros (but at least one digit) to out. CS_E_INVALID if not hex.
 * (Also CS_E_INVALID for an empty string, one with no digit, or more than
 * 40 significant digits — RFC 5280's 20-byte limit.) */
int ca_serial_normalize(const char *in, char out[CA_SERIAL_HEX_MAX + 8]);
/* Uppercase hex of a serial in bytes (leading zero bytes dropped).
 * len must be at most CA_SERIAL_LEN. A leading zero digit is dropped too
 * (0x0A,0xBC gives "ABC"), so the result is canonical as for
 * ca_serial_normalize; all-zero gives "0". */
void ca_serial_hex(const uint8_t *serial, size_t len, char out[CA_SERIAL_HEX_MAX]);

/* RFC 5280 reason names: "unspecified", "keyCompromise", "cACompromise",
 * "affiliationChanged", "superseded", "cessationOfOperation",
 * "certificateHold", "removeFromCRL", "privilegeWithdrawn", "aACompromise".
 * Parse accepts the names (case-insensitive) or the numbers: 0 or CS_E_INVALID.
 * (Numbers are 0..10 except 7, which RFC 5280 leaves unused.) */
int ca_reason_parse(const char *s, int *reason);
/* The name of a reason, or NULL for a number that is not one. */
const char *ca_reason_name(int reason);

#endif
