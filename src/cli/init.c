/*
 * init.c — `certsrv init`: create a new CA and its data directory; with
 * `--from-backup FULLDIR [--key FILE]`, recreate the data directory of an
 * existing CA on a new machine from a backup set's dynamic files
 * (certsrv.conf, ca/ca.crt, certenroll/), without generating a key, ready
 * for `certsrv restore`. Also the layout of a data directory (DESIGN
 * section 3), shared with `certsrv restore`.
 *
 * Refuses a data directory that exists and is not empty, so an existing CA is
 * never overwritten. On any failure it removes what it created, leaving the
 * directory as it found it (absent or empty). --from-backup verifies the set
 * first, and writes ca/ca.key only from --key and only if that key belongs
 * to the set's CA certificate (X509_check_private_key).
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
#include "cli/restore.h"
#include "cli/verify.h"
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
	"backup_max_rate_mb = 0\n"
	"backup_busy_rate_mb = 30\n"
	"\n"
	"[access]\n"
	"; socket_group = certsrv\n"
	"; enroll = certsrv-enroll\n"
	"; officer = certsrv-officers\n"
	"; backup = backup\n"
	"; auditor = certsrv-audit\n"
	"\n"
	"[limits]\n"
	"max_connections = 256\n"
	"max_connections_per_uid = 64\n"
	"idle_timeout_sec = 300\n"
	"first_message_timeout_sec = 10\n"
	"message_timeout_sec = 30\n"
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

const char *
cli_datadir(const struct cli *c)
{
	const char *d = c->datadir;

	if (!d || !*d)
		d = getenv("CERTSRV_DATA_DIR");
	return d && *d ? d : CERTSRV_DEFAULT_DATA_DIR;
}

int
cli_make_layout(const char *datadir)
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

/* ------------------------------------------------ init --from-backup */

/* The set's CA certificate and, from --key, its private key (which must
 * match). Nothing is written. */
static int
load_identity(const struct cli *c, const char *set, const char *keyfile,
	      X509 **crt, EVP_PKEY **key)
{
	char *path = fio_join(set, "Dynamic/ca/ca.crt");
	char err[512] = "";
	int r;

	r = path ? ca_cert_load_pem(path, crt, err, sizeof(err)) : -ENOMEM;
	if (r < 0) {
		cli_err(c, "%s: %s: the CA cannot be recreated without its"
			" certificate", path ? path : set, err[0] ? err : cs_strerror(r));
		free(path);
		return EXIT_FAIL;
	}
	free(path);
	if (!keyfile)
		return EXIT_OK;
	r = ca_key_load(keyfile, key, err, sizeof(err));
	if (r < 0) {
		cli_err(c, "%s: %s", keyfile, err[0] ? err : cs_strerror(r));
		return EXIT_FAIL;
	}
	if (X509_check_private_key(*crt, *key) != 1) {
		cli_err(c, "%s is not the private key of the CA certificate in the"
			" backup (%s/Dynamic/ca/ca.crt)", keyfile, set);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* The dynamic files of the set, a default certsrv.conf if it has none, and
 * the key from --key. */
static int
populate(const struct cli *c, const char *datadir, const char *set, EVP_PKEY *key)
{
	char *conf = fio_join(datadir, "certsrv.conf");
	char *key_path = fio_join(datadir, "ca/ca.key");
	int r = conf && key_path ? 0 : -ENOMEM;

	if (r == 0 && cli_restore_dynamic(c, set, datadir, stdout) < 0)
		r = -EIO;
	if (r == 0 && fio_exists(conf) != 1) {
		printf("  the backup holds no certsrv.conf: wrote the default one\n");
		r = fio_write_atomic(conf, default_conf, strlen(default_conf), 0640);
		if (r < 0)
			cli_err(c, "cannot write %s: %s", conf, cs_strerror(r));
	}
	if (r == 0 && key) {
		r = ca_key_save(key_path, key);
		if (r < 0)
			cli_err(c, "cannot write %s: %s", key_path, cs_strerror(r));
	}
	free(conf);
	free(key_path);
	return r;
}

static int
init_from_backup(const struct cli *c, const char *datadir, const char *set,
		 const char *keyfile)
{
	struct verify_result vr;
	EVP_PKEY *key = NULL;
	X509 *crt = NULL;
	char *subject = NULL;
	int rc, r;

	r = dir_is_empty(datadir);
	if (r <= 0) {
		cli_err(c, r == 0 ? "%s is not empty; refusing to overwrite an"
				    " existing CA" : "%s: cannot read", datadir);
		return EXIT_FAIL;
	}
	rc = verify_sets(c, (char *const *)&set, 1, 0, NULL, &vr);
	verify_result_release(&vr);
	if (rc == EXIT_OK)
		rc = load_identity(c, set, keyfile, &crt, &key);
	if (rc == EXIT_OK) {
		subject = ca_name_oneline(X509_get_subject_name(crt));
		printf("verified the backup set %s (CA \"%s\")\n", set,
		       subject ? subject : "?");
		r = cli_make_layout(datadir);
		if (r < 0)
			cli_err(c, "cannot create %s: %s", datadir, cs_strerror(r));
		if (r == 0)
			r = populate(c, datadir, set, key);
		if (r < 0) {
			nftw(datadir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
			rc = EXIT_FAIL;
		}
	}
	if (rc == EXIT_OK) {
		printf("initialized %s from the backup %s, without a database;"
		       " next: certsrv --data-dir %s restore %s [INCRDIR...]\n",
		       datadir, set, datadir, set);
		if (!key)
			cli_err(c, "no private key: key backup is a separate feature"
				" not built yet, so the backup holds no CA key; put"
				" the CA's private key in %s/ca/ca.key (mode 0600) or"
				" run init --from-backup again with --key FILE —"
				" certsrvd cannot start without it", datadir);
	}
	free(subject);
	X509_free(crt);
	EVP_PKEY_free(key);
	return rc;
}

/* ------------------------------------------------------------ the command */

struct init_args {
	const char *subject;
	enum ca_key_type kt;
	long days;
	const char *from_backup;
	const char *keyfile;
	int new_ca_opts;          /* --key-type or --validity-days given */
};

static int
parse_init_args(const struct cli *c, int argc, char **argv, struct init_args *a)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "validity-days", required_argument, NULL, 'v' },
		{ "from-backup", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			a->subject = optarg;
			break;
		case 'k':
			a->new_ca_opts = 1;
			if (ca_key_type_parse(optarg, &a->kt) < 0) {
				cli_err(c, "unknown key type \"%s\" (ec-p256, ec-p384,"
					" rsa2048, rsa3072, rsa4096, ed25519)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			a->new_ca_opts = 1;
			a->days = strtol(optarg, &end, 10);
			if (*end || a->days < 1 || a->days > 36500) {
				cli_err(c, "--validity-days must be 1..36500");
				return EXIT_USAGE;
			}
			break;
		case 'b':
			a->from_backup = optarg;
			break;
		case 'K':
			a->keyfile = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc || (!a->subject && !a->from_backup) ||
	    (a->from_backup && (a->subject || a->new_ca_opts)) ||
	    (a->keyfile && !a->from_backup)) {
		cli_err(c, "usage: certsrv [--data-dir DIR] init --subject DN"
			" [--key-type T] [--validity-days N], or init --from-backup"
			" FULLDIR [--key FILE]");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
cmd_init(struct cli *c, int argc, char **argv)
{
	struct init_args a = { NULL, CA_KEY_EC_P256, 3650, NULL, NULL, 0 };
	const char *datadir = cli_datadir(c);
	int r = parse_init_args(c, argc, argv, &a);

	if (r != EXIT_OK)
		return r;
	if (a.from_backup)
		return init_from_backup(c, datadir, a.from_backup, a.keyfile);
	r = dir_is_empty(datadir);
	if (r <= 0) {
		cli_err(c, r == 0 ? "%s is not empty; refusing to overwrite an"
				    " existing CA" : "%s: cannot read", datadir);
		return EXIT_FAIL;
	}
	r = cli_make_layout(datadir);
	if (r < 0)
		cli_err(c, "cannot create %s: %s", datadir, cs_strerror(r));
	if (r == 0)
		r = make_ca(c, datadir, a.subject, a.kt, (int)a.days);
	if (r == 0)
		r = make_store(c, datadir);
	if (r < 0) {
		nftw(datadir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return EXIT_FAIL;
	}
	printf("initialized CA \"%s\" in %s (key %s)\n", a.subject, datadir,
	       ca_key_type_name(a.kt));
	return EXIT_OK;
}
