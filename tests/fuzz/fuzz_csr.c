/*
 * fuzz_csr.c — fuzz harness of the PKCS#10 intake (src/ca/csr.c).
 *
 * Feeds the input to ca_csr_parse as the daemon would receive it (PEM or
 * DER). An accepted request is re-encoded with ca_csr_der and its subject
 * printed with ca_name_oneline, as the submit handler does. Checks the
 * parser's promises: only its documented error codes, a message in errbuf
 * on failure, and a re-encoded accepted request is accepted again.
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

/* The DER of an accepted request must itself be accepted. */
static void fuzz_accepted(X509_REQ *req)
{
	X509_REQ *again = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char err[256];
	char *subject;
	int rc;

	rc = ca_csr_der(req, &der, &der_len);
	check(rc == 0 || rc == -ENOMEM);
	if (rc == 0) {
		check(der != NULL && der_len > 0 && der_len <= CA_CSR_MAX);
		err[0] = '\0';
		rc = ca_csr_parse(der, der_len, &again, err, sizeof(err));
		check(rc == 0 || rc == -ENOMEM);
		X509_REQ_free(again);
	}
	free(der);
	subject = ca_name_oneline(X509_REQ_get_subject_name(req));
	free(subject);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_REQ *req = NULL;
	char err[256];
	int rc;

	err[0] = '\0';
	rc = ca_csr_parse(data, size, &req, err, sizeof(err));
	if (rc == 0) {
		check(req != NULL);
		fuzz_accepted(req);
		X509_REQ_free(req);
	} else {
		check(rc == CS_E_BADCSR || rc == CS_E_BADSIG ||
		      rc == CS_E_TOOBIG || rc == -ENOMEM);
		check(req == NULL);
		check(rc == -ENOMEM || (err[0] != '\0' && strlen(err) < sizeof(err)));
	}
	ERR_clear_error();
	return 0;
}
