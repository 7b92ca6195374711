/*
 * test_keys.c — unit tests for src/ca/keys.c: key types, generation,
 * saving (mode 0600, no overwrite), loading, the self-signed root and
 * certificate PEM files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ca/keys.h"
#include "common/errors.h"
#include "csrgen.h"

static const enum ca_key_type all_types[] = {
	CA_KEY_EC_P256, CA_KEY_EC_P384, CA_KEY_RSA2048,
	CA_KEY_RSA3072, CA_KEY_RSA4096, CA_KEY_ED25519,
};
#define N_TYPES (sizeof(all_types) / sizeof(all_types[0]))

/* One key per type, generated once for the group (RSA-4096 is slow). */
static EVP_PKEY *keys[N_TYPES];

static int setup_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_TYPES; i++)
		if (ca_key_generate(all_types[i], &keys[i]) != 0)
			return -1;
	return 0;
}

static int teardown_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_TYPES; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

static void key_type_names_round_trip(void **state)
{
	enum ca_key_type t;
	size_t i;

	(void)state;
	for (i = 0; i < N_TYPES; i++) {
		assert_int_equal(ca_key_type_parse(ca_key_type_name(all_types[i]), &t), 0);
		assert_int_equal(t, all_types[i]);
	}
	assert_int_equal(ca_key_type_parse("dsa1024", &t), CS_E_INVALID);
	assert_int_equal(ca_key_type_parse("", &t), CS_E_INVALID);
}

static void every_type_generates_with_its_type(void **state)
{
	enum ca_key_type t;
	const EVP_MD *md = (const EVP_MD *)1;
	size_t i;

	(void)state;
	for (i = 0; i < N_TYPES; i++) {
		assert_non_null(keys[i]);
		assert_int_equal(ca_key_type_of(keys[i], &t), 0);
		assert_int_equal(t, all_types[i]);
	}
	assert_int_equal(ca_key_digest(keys[1], &md), 0); /* P-384 */
	assert_int_equal(EVP_MD_get_type(md), NID_sha384);
	assert_int_equal(ca_key_digest(keys[5], &md), 0); /* Ed25519 */
	assert_null(md);
}

static void keys_save_0600_refuse_overwrite_and_load(void **state)
{
	char *dir = csrgen_tmpdir();
	char path[512], err[256];
	struct stat st;
	EVP_PKEY *back = NULL;
	size_t i;

	(void)state;
	assert_non_null(dir);
	for (i = 0; i < N_TYPES; i++) {
		snprintf(path, sizeof(path), "%s/key%zu.pem", dir, i);
		assert_int_equal(ca_key_save(path, keys[i]), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(ca_key_save(path, keys[i]), -EEXIST);
		assert_int_equal(ca_key_load(path, &back, err, sizeof(err)), 0);
		assert_int_equal(EVP_PKEY_eq(back, keys[i]), 1);
		EVP_PKEY_free(back);
		back = NULL;
	}
	csrgen_rmdir(dir);
}

static void key_load_reports_missing_and_garbage(void **state)
{
	char *dir = csrgen_tmpdir();
	char path[512], err[256] = "";
	EVP_PKEY *k = NULL;
	int fd;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	assert_int_equal(ca_key_load(path, &k, err, sizeof(err)), -ENOENT);
	assert_true(strlen(err) > 0);
	snprintf(path, sizeof(path), "%s/junk.pem", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a key\n", 10), 10);
	close(fd);
	assert_int_equal(ca_key_load(path, &k, err, sizeof(err)), CS_E_INVALID);
	assert_null(k);
	csrgen_rmdir(dir);
}

static void root_self_verifies_as_ca_for_every_type(void **state)
{
	X509 *root = NULL;
	char err[256];
	size_t i;
	int crit = -1;
	BASIC_CONSTRAINTS *bc;

	(void)state;
	for (i = 0; i < N_TYPES; i++) {
		assert_int_equal(ca_make_root(keys[i], "/CN=Test Root/O=certsrv",
					      3650, &root, err, sizeof(err)), 0);
		assert_int_equal(X509_verify(root, keys[i]), 1);
		assert_int_equal(X509_get_version(root), X509_VERSION_3);
		bc = X509_get_ext_d2i(root, NID_basic_constraints, &crit, NULL);
		assert_non_null(bc);
		assert_true(bc->ca);
		assert_int_equal(crit, 1);
		BASIC_CONSTRAINTS_free(bc);
		assert_int_equal(X509_get_key_usage(root),
				 KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		assert_non_null(X509_get0_subject_key_id(root));
		assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(root),
						       X509_get0_authority_key_id(root)), 0);
		assert_int_equal(X509_check_issued(root, root), X509_V_OK);
		X509_free(root);
		root = NULL;
	}
}

static void root_subject_forms_are_equivalent(void **state)
{
	X509 *a = NULL, *b = NULL;
	char err[256];

	(void)state;
	assert_int_equal(ca_make_root(keys[0], "/CN=x/O=y", 30, &a, err, sizeof(err)), 0);
	assert_int_equal(ca_make_root(keys[0], "CN=x, O=y", 30, &b, err, sizeof(err)), 0);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(a),
				       X509_get_subject_name(b)), 0);
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(a)), 2);
	X509_free(a);
	X509_free(b);
}

static void root_rejects_bad_subject_and_days(void **state)
{
	X509 *x = NULL;
	char err[256] = "";

	(void)state;
	assert_int_equal(ca_make_root(keys[0], "CN", 30, &x, err, sizeof(err)),
			 CS_E_INVALID);
	assert_non_null(strstr(err, "'='"));
	assert_int_equal(ca_make_root(keys[0], "", 30, &x, err, sizeof(err)),
			 CS_E_INVALID);
	assert_int_equal(ca_make_root(keys[0], "/XX=1", 30, &x, err, sizeof(err)),
			 CS_E_INVALID);
	assert_int_equal(ca_make_root(keys[0], "CN=x", 0, &x, err, sizeof(err)),
			 CS_E_INVALID);
	assert_null(x);
}

static void cert_pem_saves_0644_and_loads_back(void **state)
{
	char *dir = csrgen_tmpdir();
	char path[512], err[256];
	X509 *root = NULL, *back = NULL;
	struct stat st;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	assert_int_equal(ca_make_root(keys[0], "CN=root", 10, &root, err, sizeof(err)), 0);
	assert_int_equal(ca_cert_save_pem(path, root), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(ca_cert_load_pem(path, &back, err, sizeof(err)), 0);
	assert_int_equal(X509_cmp(root, back), 0);
	X509_free(back);
	X509_free(root);
	csrgen_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_type_names_round_trip),
		cmocka_unit_test(every_type_generates_with_its_type),
		cmocka_unit_test(keys_save_0600_refuse_overwrite_and_load),
		cmocka_unit_test(key_load_reports_missing_and_garbage),
		cmocka_unit_test(root_self_verifies_as_ca_for_every_type),
		cmocka_unit_test(root_subject_forms_are_equivalent),
		cmocka_unit_test(root_rejects_bad_subject_and_days),
		cmocka_unit_test(cert_pem_saves_0644_and_loads_back),
	};
	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
