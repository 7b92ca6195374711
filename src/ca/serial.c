/*
 * serial.c — certificate serial numbers (random, canonical text form) and
 * RFC 5280 CRL reason codes. See serial.h.
 */
#include "ca/serial.h"

#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "common/errors.h"

#define SERIAL_DIGITS_MAX 40 /* 20 bytes, RFC 5280 4.1.2.2 */

int ca_serial_random(uint8_t serial[CA_SERIAL_LEN])
{
	do {
		if (RAND_bytes(serial, CA_SERIAL_LEN) != 1)
			return CS_E_INTERNAL;
		serial[0] &= 0x7F;
	} while (serial[0] < 0x10);
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ca_serial_normalize(const char *in, char out[CA_SERIAL_HEX_MAX + 8])
{
	static const char digits[] = "0123456789ABCDEF";
	size_t n = 0;
	int seen = 0, v;

	if (in == NULL)
		return CS_E_INVALID;
	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		v = hex_value(*in);
		if (v < 0)
			return CS_E_INVALID;
		seen = 1;
		if (v == 0 && n == 0)
			continue; /* leading zero */
		if (n >= SERIAL_DIGITS_MAX)
			return CS_E_INVALID;
		out[n++] = digits[v];
	}
	if (!seen)
		return CS_E_INVALID;
	if (n == 0)
		out[n++] = '0';
	out[n] = '\0';
	return 0;
}

void ca_serial_hex(const uint8_t *serial, size_t len, char out[CA_SERIAL_HEX_MAX])
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i, n = 0;
	int nib;

	out[0] = '\0';
	if (len > CA_SERIAL_LEN)
		return;
	for (i = 0; i < 2 * len; i++) {
		nib = (i % 2 == 0) ? serial[i / 2] >> 4 : serial[i / 2] & 0x0F;
		if (nib == 0 && n == 0)
			continue;
		out[n++] = digits[nib];
	}
	if (n == 0)
		out[n++] = '0';
	out[n] = '\0';
}

static const char *const reason_names[] = {
	"unspecified",          "keyCompromise",  "cACompromise",
	"affiliationChanged",   "superseded",     "cessationOfOperation",
	"certificateHold",      NULL,             "removeFromCRL",
	"privilegeWithdrawn",   "aACompromise",
};
#define N_REASONS ((int)(sizeof(reason_names) / sizeof(reason_names[0])))

int ca_reason_parse(const char *s, int *reason)
{
	int i;

	if (s == NULL || *s == '\0')
		return CS_E_INVALID;
	/* A number: one or two decimal digits. */
	if (s[0] >= '0' && s[0] <= '9') {
		i = s[0] - '0';
		if (s[1] >= '0' && s[1] <= '9' && s[2] == '\0')
			i = i * 10 + (s[1] - '0');
		else if (s[1] != '\0')
			return CS_E_INVALID;
		if (i >= N_REASONS || reason_names[i] == NULL)
			return CS_E_INVALID;
		*reason = i;
		return 0;
	}
	for (i = 0; i < N_REASONS; i++) {
		if (reason_names[i] != NULL && strcasecmp(s, reason_names[i]) == 0) {
			*reason = i;
			return 0;
		}
	}
	return CS_E_INVALID;
}

const char *ca_reason_name(int reason)
{
	if (reason < 0 || reason >= N_REASONS)
		return NULL;
	return reason_names[reason];
}
