/*
 * cli.h — shared pieces of the certsrv command line: exit codes, error
 * reporting, and the command functions (one file per group of commands).
 */
#ifndef CERTSRV_CLI_CLI_H
#define CERTSRV_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>

enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,    /* the operation failed */
	EXIT_USAGE = 2,   /* bad option or argument */
	EXIT_OFFLINE = 3, /* the server is not running */
};

struct cli {
	const char *server;   /* a server name for client_connect() */
	const char *datadir;  /* the data directory, when one was given */
	const char *cmd;      /* the command's name, for messages */
};

/* "certsrv: CMD: message" on stderr. */
void cli_err(const struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cmd_init(struct cli *c, int argc, char **argv);
int cmd_submit(struct cli *c, int argc, char **argv);
int cmd_issue(struct cli *c, int argc, char **argv);
int cmd_deny(struct cli *c, int argc, char **argv);
int cmd_revoke(struct cli *c, int argc, char **argv);
int cmd_unrevoke(struct cli *c, int argc, char **argv);
int cmd_crl(struct cli *c, int argc, char **argv);
int cmd_view(struct cli *c, int argc, char **argv);
int cmd_getcert(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_shutdown(struct cli *c, int argc, char **argv);
int cmd_backup(struct cli *c, int argc, char **argv);
int cmd_verify_backup(struct cli *c, int argc, char **argv); /* verify.c */
int cmd_restore(struct cli *c, int argc, char **argv);       /* restore.c */

/* The data directory the command works on: --data-dir, else
 * $CERTSRV_DATA_DIR, else the default. Borrowed, never NULL. (init.c) */
const char *cli_datadir(const struct cli *c);
/* Create the directories of a data directory (DESIGN section 3) with their
 * modes; existing ones are kept (and given their mode). 0 or -errno.
 * (init.c) */
int cli_make_layout(const char *datadir);

#endif
