/*
 * fuzz_manifest.c — fuzz harness of the backup-set manifest reader
 * (manifest_parse, src/cli/manifest.c), what `certsrv verify-backup` and
 * `certsrv restore` run on the untrusted manifest.json of a set.
 *
 * Each input is parsed twice: as it is, and, when it is a JSON object, once
 * more with its manifest_sha256 replaced by the correct self checksum (a
 * fuzzer cannot forge SHA-256, so without this step every check after the
 * checksum would stay out of reach). Checks the reader's promises: a
 * rejection carries a sentence and no object; an accepted manifest has the
 * right format, version, type and self checksum, and every listed path is
 * relative, free of "." and ".." components, under DataBase/ or Dynamic/,
 * and listed once; an accepted manifest written out again (indented, keys
 * sorted, as certsrv backup writes it) is accepted again. Any broken
 * promise aborts. Builds with the replay main (make check) or clang
 * -fsanitize=fuzzer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/manifest.h"
#include "common/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* The promises about one listed path. */
static void check_path(const char *rel)
{
	const char *s = rel;
	size_t n;

	check(rel[0] != '/');
	check(!strncmp(rel, "DataBase/", 9) || !strncmp(rel, "Dynamic/", 8));
	for (;;) {
		n = strcspn(s, "/");
		check(n > 0 && !(n == 1 && s[0] == '.') &&
		      !(n == 2 && s[0] == '.' && s[1] == '.'));
		s += n;
		if (!*s)
			break;
		s++;
	}
}

/* What an accepted manifest must be. */
static void check_accepted(json_t *root)
{
	const char *type = json_string_value(json_object_get(root, "type"));
	const char *self = json_string_value(json_object_get(root, MANIFEST_SELF_FIELD));
	json_t *files = json_object_get(root, "files"), *f, *seen;
	char want[65];
	const char *rel;
	size_t i;

	check(json_is_object(root));
	check(!strcmp(json_string_value(json_object_get(root, "format")),
		      MANIFEST_FORMAT));
	check(json_integer_value(json_object_get(root, "version")) == MANIFEST_VERSION);
	check(type && (!strcmp(type, "full") || !strcmp(type, "incremental")));
	check(self && manifest_self_sha256(root, want) == 0 && !strcmp(self, want));
	check(json_is_array(files));
	seen = json_object();
	check(seen != NULL);
	json_array_foreach(files, i, f) {
		rel = json_string_value(json_object_get(f, "path"));
		check(rel != NULL);
		check(json_string_value(json_object_get(f, "sha256")) != NULL);
		check(json_integer_value(json_object_get(f, "size")) >= 0);
		check_path(rel);
		check(json_object_get(seen, rel) == NULL);
		check(json_object_set_new(seen, rel, json_true()) == 0);
	}
	json_decref(seen);
}

/* Parse text; on success check the result and its rewritten text. */
static void parse_one(const char *text, size_t len, int again)
{
	json_t *root = (json_t *)1;
	char why[512];
	char *dump;
	int r;

	why[0] = 'x';
	r = manifest_parse(text, len, &root, why, sizeof(why));
	check(r == 0 || r == CS_E_CORRUPT || r == -ENOMEM);
	if (r < 0) {
		check(root == NULL);
		check(r != CS_E_CORRUPT || (why[0] != '\0' && memchr(why, 0, sizeof(why))));
		return;
	}
	check_accepted(root);
	if (again) {
		dump = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
		check(dump != NULL);
		json_decref(root);
		root = NULL;
		check(manifest_parse(dump, strlen(dump), &root, why, sizeof(why)) == 0);
		check_accepted(root);
		free(dump);
	}
	json_decref(root);
}

/* The input with a correct self checksum, if it is a JSON object. */
static char *with_self_checksum(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	char hex[65], *text = NULL;

	if (json_is_object(root) && manifest_self_sha256(root, hex) == 0 &&
	    json_object_set_new(root, MANIFEST_SELF_FIELD, json_string(hex)) == 0)
		text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *fixed;

	parse_one((const char *)data, size, 1);
	fixed = with_self_checksum(data, size);
	if (fixed != NULL)
		parse_one(fixed, strlen(fixed), 1);
	free(fixed);
	return 0;
}
