/*
 * init.c — `certsrv init`: create a new CA and its data directory.
 *
 * Refuses a data directory that exists and is not empty, so an existing CA is
 * never overwritten. On any failure it removes what it created, leaving the
 * directory as it found it (absent or empty).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <dirent.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ca/ca.h"
#include "cli/cli.h"
#include "common/client.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "store/recover.h"

static const char default_conf[] =
	"# certsrv.conf — see docs/config.md. Read once when certsrvd starts.\n"
	"\n"
	"[ca]\n"
	"crl_period_hours = 168\n"
	"; crl_url = http://pki.example.com/ca.crl\n"
	"; aia_url = http://pki.example.com/ca.crt\n"
	"\n"
	"[store]\n"
	"log_file_size_kb = 16384\n"
	"circular_logging = false\n"
	"checkpoint_interval_sec = 60\n"
	"backup_max_wal_mb = 1024\n"
	"\n"
	"[access]\n"
	"; socket_group = certsrv\n"
	"; enroll = certsrv-enroll\n"
	"; officer = certsrv-officers\n"
	"; backup = backup\n"
	"; auditor = certsrv-audit\n"
	"\n"
	"; [profile tls-server]\n"
	"; policy = issue\n"
	"; max_validity_days = 397\n"
	"; enroll_groups =\n";

static const struct {
	const char *path;
	mode_t mode;
} dirs[] = {
	{ "ca", 0700 }, { "db", 0750 }, { "logs", 0750 },
	{ "certenroll", 0755 }, { "restore", 0700 }, { "run", 0755 },
};

/* 1 if dir is missing or empty, 0 if it holds anything, <0 on error. */
static int
dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return errno == ENOENT ? 1 : -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static int
make_dirs(const char *datadir)
{
	char *p;
	size_t i;
	int r;

	r = fio_mkdirs(datadir, 0755);
	for (i = 0; r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		p = fio_join(datadir, dirs[i].path);
		r = p ? fio_mkdirs(p, dirs[i].mode) : -ENOMEM;
		if (r == 0 && chmod(p, dirs[i].mode) < 0)
			r = -errno;
		free(p);
	}
	return r;
}

/* Key, self-signed root, and the public copy in certenroll/. */
static int
make_ca(const struct cli *c, const char *datadir, const char *subject,
	enum ca_key_type kt, int days)
{
	char *key_path = fio_join(datadir, "ca/ca.key");
	char *crt_path = fio_join(datadir, "ca/ca.crt");
	char *pub_path = fio_join(datadir, "certenroll/ca.crt");
	char err[512] = "";
	EVP_PKEY *key = NULL;
	X509 *root = NULL;
	int r = -ENOMEM;

	if (!key_path || !crt_path || !pub_path)
		goto out;
	r = ca_key_generate(kt, &key);
	if (r == 0)
		r = ca_key_save(key_path, key);
	if (r < 0) {
		cli_err(c, "cannot create the CA key: %s", cs_strerror(r));
		goto out;
	}
	r = ca_make_root(key, subject, days, &root, err, sizeof(err));
	if (r < 0) {
		cli_err(c, "cannot create the CA certificate: %s",
			err[0] ? err : cs_strerror(r));
		goto out;
	}
	r = ca_cert_save_pem(crt_path, root);
	if (r == 0)
		r = ca_cert_save_pem(pub_path, root);
	if (r < 0)
		cli_err(c, "cannot write the CA certificate: %s", cs_strerror(r));
out:
	EVP_PKEY_free(key);
	X509_free(root);
	free(key_path);
	free(crt_path);
	free(pub_path);
	return r;
}

static int
make_store(const struct cli *c, const char *datadir)
{
	struct store_paths sp;
	uint8_t lineage[REDO_LINEAGE_LEN];
	char err[512] = "";
	char *conf;
	int r;

	r = store_paths_init(&sp, datadir);
	if (r == 0)
		r = store_create(&sp, lineage, err, sizeof(err));
	store_paths_release(&sp);
	if (r < 0) {
		cli_err(c, "%s", err[0] ? err : cs_strerror(r));
		return r;
	}
	conf = fio_join(datadir, "certsrv.conf");
	r = conf ? fio_write_atomic(conf, default_conf, strlen(default_conf), 0640)
		 : -ENOMEM;
	if (r < 0)
		cli_err(c, "cannot write %s: %s", conf, cs_strerror(r));
	free(conf);
	return r;
}

int
cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "validity-days", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *subject = NULL, *datadir = c->datadir;
	enum ca_key_type kt = CA_KEY_EC_P256;
	long days = 3650;
	char *end;
	int o, r;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			subject = optarg;
			break;
		case 'k':
			if (ca_key_type_parse(optarg, &kt) < 0) {
				cli_err(c, "unknown key type \"%s\" (ec-p256, ec-p384,"
					" rsa2048, rsa3072, rsa4096, ed25519)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			days = strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 36500) {
				cli_err(c, "--validity-days must be 1..36500");
				return EXIT_USAGE;
			}
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (!subject || optind != argc) {
		cli_err(c, "usage: certsrv [--data-dir DIR] init --subject DN"
			" [--key-type T] [--validity-days N]");
		return EXIT_USAGE;
	}
	if (!datadir)
		datadir = getenv("CERTSRV_DATA_DIR");
	if (!datadir || !*datadir)
		datadir = CERTSRV_DEFAULT_DATA_DIR;
	r = dir_is_empty(datadir);
	if (r <= 0) {
		cli_err(c, r == 0 ? "%s is not empty; refusing to overwrite an"
				    " existing CA" : "%s: cannot read", datadir);
		return EXIT_FAIL;
	}
	r = make_dirs(datadir);
	if (r < 0)
		cli_err(c, "cannot create %s: %s", datadir, cs_strerror(r));
	if (r == 0)
		r = make_ca(c, datadir, subject, kt, (int)days);
	if (r == 0)
		r = make_store(c, datadir);
	if (r < 0) {
		nftw(datadir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return EXIT_FAIL;
	}
	printf("initialized CA \"%s\" in %s (key %s)\n", subject, datadir,
	       ca_key_type_name(kt));
	return EXIT_OK;
}
