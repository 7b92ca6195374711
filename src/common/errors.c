/*
 * errors.c — human sentences for the project's error codes.
 *
 * Guarantees: cs_strerror() returns a static string for any int, never NULL,
 * and is thread-safe (no shared buffers; errno text comes from
 * strerrordesc_np(), which returns static strings).
 */
#include <string.h>

#include "common/errors.h"

static const char *const cs_messages[] = {
	[0] = "Unknown certsrv error.",
	[1] = "Stored data failed its integrity checks.",
	[2] = "The log writer failed earlier and refuses writes until restart and recovery.",
	[3] = "A protocol message was malformed.",
	[4] = "No such request, certificate or object.",
	[5] = "The object already exists.",
	[6] = "The caller lacks the role needed for this operation.",
	[7] = "The certificate request could not be parsed.",
	[8] = "The certificate request's signature does not verify.",
	[9] = "No such certificate profile.",
	[10] = "The caller may not use this certificate profile.",
	[11] = "The operation is not allowed in the object's current state.",
	[12] = "The log belongs to another database lineage.",
	[13] = "The LSN or log generation sequence has a gap.",
	[14] = "The configuration is invalid.",
	[15] = "The input exceeds a hard size limit.",
	[16] = "The resource is held by someone else.",
	[17] = "The certificate server is not running.",
	[18] = "An argument is invalid.",
	[19] = "The request was refused by the profile's policy.",
	[20] = "The server does not know this message type.",
	[21] = "The server is shutting down.",
	[22] = "A library call failed unexpectedly.",
	[23] = "Another backup of this CA is in progress.",
	[24] = "A logs-only (incremental) backup needs a completed full backup first.",
	[25] = "This call is not valid in this kind of backup session.",
	[26] = "The call is out of the documented order.",
};

_Static_assert(sizeof(cs_messages) / sizeof(cs_messages[0]) ==
		       (unsigned)(CS_E_BASE - CS_E_LAST),
	       "every CS_E_* code needs a message");

const char *cs_strerror(int code)
{
	const char *s;

	if (code == 0)
		return "Success.";
	if (code <= CS_E_BASE && code > CS_E_LAST)
		return cs_messages[CS_E_BASE - code];
	if (code < 0 && code > CS_E_LAST) {
		s = strerrordesc_np(-code);
		if (s != NULL)
			return s;
	}
	return "Unknown error code.";
}
