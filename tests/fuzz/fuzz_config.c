/*
 * fuzz_config.c — fuzz harness of the certsrv.conf loader
 * (src/daemon/config.c, parsed with libinih).
 *
 * Each input is written to a temporary file in /tmp (removed afterwards)
 * and loaded with config_load, as certsrvd does at start. Checks the
 * loader's promises: on success every value lies in its documented range
 * and the built-in profiles exist; on failure *out is NULL and err holds a
 * sentence naming the file. Any broken promise aborts. Builds with the
 * replay main (make check) or clang -fsanitize=fuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* Ranges from docs/config.md. */
static void check_loaded(const struct config *c)
{
	static const char *const builtins[] = {
		"tls-server", "tls-client", "code-signing", "sub-ca",
	};
	const struct ca_profile *p;
	size_t i;

	check(c->crl_period_hours >= 1 && c->crl_period_hours <= 8760);
	check(c->log_file_bytes >= 64u * 1024u &&
	      c->log_file_bytes <= 1048576u * 1024u);
	check(c->circular_logging == 0 || c->circular_logging == 1);
	check(c->checkpoint_interval_ms >= 1000u &&
	      c->checkpoint_interval_ms <= 86400u * 1000u);
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		check(config_profile(c, builtins[i]) != NULL);
	for (i = 0; i < c->n_profiles; i++) {
		p = &c->profiles[i].p;
		check(memchr(p->name, '\0', sizeof(p->name)) != NULL &&
		      p->name[0] != '\0');
		check(config_profile(c, p->name) == &c->profiles[i]);
		check(p->default_validity_days >= 1 &&
		      p->default_validity_days <= p->max_validity_days &&
		      p->max_validity_days <= 36500);
		check(memchr(p->enroll_groups, '\0', sizeof(p->enroll_groups)) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_config.XXXXXX";
	struct config *c = NULL;
	char err[512];
	int fd, rc;

	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	rc = fio_write_full(fd, data, size);
	close(fd);
	if (rc == 0) {
		err[0] = '\0';
		rc = config_load(path, &c, err, sizeof(err));
		if (rc == 0) {
			check(c != NULL);
			check_loaded(c);
		} else {
			check(rc < 0 && c == NULL);
			check(strncmp(err, path, strlen(path)) == 0);
		}
		config_free(c);
	}
	unlink(path);
	return 0;
}
