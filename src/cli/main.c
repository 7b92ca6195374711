/*
 * main.c — certsrv, the administration command line (git-style commands).
 *
 * Global options come before the command: --data-dir DIR or --server NAME.
 * Every command but init, verify-backup and restore talks to certsrvd through
 * the protocol (restore only to stop it, with --stop); none opens the live
 * database.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/client.h"

static const struct {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "init", cmd_init, "init --subject DN [--key-type T] [--validity-days N]\n"
	  "  init --from-backup FULLDIR [--key FILE]" },
	{ "submit", cmd_submit, "submit CSR [--profile P] [-o CERT]" },
	{ "issue", cmd_issue, "issue REQUEST-ID" },
	{ "deny", cmd_deny, "deny REQUEST-ID" },
	{ "revoke", cmd_revoke, "revoke SERIAL [--reason R] [--date T]" },
	{ "unrevoke", cmd_unrevoke, "unrevoke SERIAL" },
	{ "crl", cmd_crl, "crl publish" },
	{ "view", cmd_view, "view [--issued|--revoked|--pending|--denied|--failed] [--json]" },
	{ "getcert", cmd_getcert, "getcert REQUEST-ID|SERIAL [-o CERT]" },
	{ "status", cmd_status, "status [--json]" },
	{ "backup", cmd_backup, "backup TARGET|-o - [--incremental] [--keep-log] [--progress] [--force]" },
	{ "verify-backup", cmd_verify_backup, "verify-backup FULLDIR [INCRDIR...] [--no-trial]" },
	{ "restore", cmd_restore, "restore FULLDIR [INCRDIR...] [--data-dir DIR] [--until TIME|--until-lsn N]\n"
	  "          [--no-roll-forward] [--force] [--stop]" },
	{ "shutdown", cmd_shutdown, "shutdown" },
};

void
cli_err(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "certsrv: %s: ", c->cmd ? c->cmd : "error");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: certsrv [--data-dir DIR | --server NAME] COMMAND [ARGS]\n\n"
		   "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].help);
	fprintf(f, "\nThe data directory defaults to $CERTSRV_DATA_DIR, else %s.\n"
		   "Exit codes: 0 ok, 1 failed, 2 usage, 3 server not running.\n",
		CERTSRV_DEFAULT_DATA_DIR);
}

int
main(int argc, char **argv)
{
	struct cli c = { NULL, NULL, NULL };
	int i = 1;
	size_t k;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--data-dir") && i + 1 < argc) {
			c.datadir = argv[i + 1];
			c.server = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "--server") && i + 1 < argc) {
			c.server = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* A relative --data-dir like "ca1" is a directory, not a host name. */
	if (c.datadir && c.datadir[0] != '/' && strncmp(c.datadir, "./", 2) &&
	    strncmp(c.datadir, "../", 3)) {
		static char rel[4096];

		snprintf(rel, sizeof(rel), "./%s", c.datadir);
		c.server = rel;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (!strcmp(argv[i], commands[k].name)) {
			static char prog[64];

			/* getopt prefixes its messages with argv[0]: make them
			 * read "certsrv: CMD: unrecognized option ..." */
			snprintf(prog, sizeof(prog), "certsrv: %s", commands[k].name);
			argv[i] = prog;
			c.cmd = commands[k].name;
			return commands[k].fn(&c, argc - i, argv + i);
		}
	}
	fprintf(stderr, "certsrv: unknown command \"%s\"\n", argv[i]);
	usage(stderr);
	return EXIT_USAGE;
}
