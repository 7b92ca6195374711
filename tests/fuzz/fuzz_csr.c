/*
 * fuzz_csr.c — fuzz harness of the PKCS#10 intake (src/ca/csr.c).
 *
 * Feeds the input to ca_csr_parse as the daemon would receive it (PEM or
 * DER). An accepted request's DER (ca_csr_der) is parsed again and its
 * subject printed with ca_name_oneline, as the submit handler does. Checks
 * the parser's promises: only its documented error codes, a message in
 * errbuf on failure, and an accepted request's DER is accepted again with
 * the same subject and key.
 * Any broken promise aborts. Builds with the replay main (make check) or
 * clang -fsanitize=fuzzer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/csr.h"
#include "ca/issue.h"
#include "common/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* The DER of an accepted request must itself be accepted, with the same
 * subject and key. */
static void fuzz_accepted(const struct ca_csr *req)
{
	struct ca_csr *again = NULL;
	const uint8_t *der;
	size_t der_len = 0;
	char err[256];
	char *subject;
	int rc;

	der = ca_csr_der(req, &der_len);
	check(der != NULL && der_len > 0 && der_len <= CA_CSR_MAX);
	err[0] = '\0';
	rc = ca_csr_parse(der, der_len, &again, err, sizeof(err));
	check(rc == 0 || rc == -ENOMEM);
	if (rc == 0) {
		check(X509_NAME_cmp(ca_csr_subject(again), ca_csr_subject(req)) == 0);
		check(EVP_PKEY_eq(ca_csr_key(again), ca_csr_key(req)) == 1);
	}
	ca_csr_free(again);
	subject = ca_name_oneline(ca_csr_subject(req));
	free(subject);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_csr *req = NULL;
	char err[256];
	int rc;

	err[0] = '\0';
	rc = ca_csr_parse(data, size, &req, err, sizeof(err));
	if (rc == 0) {
		check(req != NULL);
		fuzz_accepted(req);
		ca_csr_free(req);
	} else {
		check(rc == CS_E_BADCSR || rc == CS_E_BADSIG ||
		      rc == CS_E_TOOBIG || rc == -ENOMEM);
		check(req == NULL);
		check(rc == -ENOMEM || (err[0] != '\0' && strlen(err) < sizeof(err)));
	}
	ERR_clear_error();
	return 0;
}
