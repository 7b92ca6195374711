/*
 * fuzz_locations.c — fuzz harness of the certbkxp.dat reader
 * (locations_parse, src/cli/locations.c), which `certsrv verify-backup`
 * and `certsrv restore` run on the untrusted DataBase/certbkxp.dat of a
 * full backup set, in both encodings (UTF-8 and host-order UTF-16).
 *
 * Checks the reader's promises: a rejection carries a sentence and no
 * path; an accepted list gives an absolute 'D' path. And the two encodings
 * must agree: an accepted UTF-8 list, re-encoded as UTF-16 by the harness
 * (each tag one unit, each path through iconv), is accepted with the same
 * path; a rejected UTF-8 list whose paths convert is rejected in UTF-16
 * too. The first input byte is not special: inputs with a zero among their
 * first two bytes take the UTF-16 path, the others the UTF-8 one. Any
 * broken promise aborts. Builds with the replay main (make check) or clang
 * -fsanitize=fuzzer.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/locations.h"
#include "common/buf.h"
#include "common/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static iconv_t to16 = (iconv_t)-1;

static void check(int cond)
{
	if (!cond)
		abort();
}

/* The UTF-16 form of a UTF-8 list of entries (tag byte, path, NUL) ending
 * with a NUL byte; 0, or -1 if it is not of that shape or does not convert
 * (then no comparison is made). */
static int to_utf16(const uint8_t *p, size_t n, struct buf *out)
{
	size_t i = 0, len, inleft, outleft;
	char *in, *dst;
	uint16_t u;

	while (i < n && p[i]) {
		u = p[i];
		buf_append(out, &u, 2);
		len = strnlen((const char *)p + i + 1, n - i - 1);
		if (len == 0 || i + 1 + len >= n)
			return -1;
		if (buf_reserve(out, 4 * len + 4) < 0)
			return -1;
		in = (char *)(uintptr_t)(p + i + 1);
		inleft = len;
		dst = (char *)out->data + out->len;
		outleft = 4 * len + 4;
		iconv(to16, NULL, NULL, NULL, NULL);
		if (iconv(to16, &in, &inleft, &dst, &outleft) == (size_t)-1)
			return -1;
		out->len = (size_t)(dst - (char *)out->data);
		u = 0;
		buf_append(out, &u, 2);
		i += len + 2;
	}
	if (i + 1 != n)
		return -1;
	u = 0;
	buf_append(out, &u, 2);
	return out->oom ? -1 : 0;
}

static int parse(const uint8_t *p, size_t n, char **db, int *utf16)
{
	const char *why = NULL;
	int r;

	*db = (char *)1;
	r = locations_parse(p, n, db, utf16, &why);
	check(r == 0 || r == CS_E_CORRUPT || r == -ENOMEM);
	check(*utf16 == (n >= 2 && (p[0] == 0 || p[1] == 0)));
	if (r < 0) {
		check(*db == NULL);
		check(r != CS_E_CORRUPT || (why != NULL && why[0] != '\0'));
	} else {
		check(*db != NULL && (*db)[0] == '/');
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf w = BUF_INIT;
	char *db = NULL, *db16 = NULL;
	int utf16, utf16b, r, r16;

	if (to16 == (iconv_t)-1) {
		to16 = iconv_open(__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
				  ? "UTF-16BE" : "UTF-16LE", "UTF-8");
		check(to16 != (iconv_t)-1);
	}
	r = parse(data, size, &db, &utf16);
	if (!utf16 && r != -ENOMEM && to_utf16(data, size, &w) == 0 && w.len >= 2) {
		r16 = parse(w.data, w.len, &db16, &utf16b);
		check(utf16b);
		if (r16 != -ENOMEM) {
			check((r == 0) == (r16 == 0));
			check(r != 0 || strcmp(db, db16) == 0);
		}
	}
	free(db);
	free(db16);
	buf_release(&w);
	return 0;
}
