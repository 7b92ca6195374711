/*
 * config.h — certsrv.conf, parsed once at daemon start (docs/config.md).
 *
 * Every key is checked for range and type; unknown sections and keys are
 * errors, so a typo never silently falls back to a default. Group names are
 * resolved to gids at load time (an unknown group is an error).
 */
#ifndef CERTSRV_DAEMON_CONFIG_H
#define CERTSRV_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ca/profile.h"

enum role {
	ROLE_ENROLL = 1u << 0,
	ROLE_OFFICER = 1u << 1,
	ROLE_BACKUP = 1u << 2,
	ROLE_AUDITOR = 1u << 3,
	ROLE_ALL = 0xfu,
};
#define ROLE_COUNT 4

struct gid_list {
	gid_t *gids;
	size_t n;
};

struct config_profile {
	struct ca_profile p;
	struct gid_list groups; /* enroll_groups resolved; empty = any enroller */
};

/* Upper bound of [limits] max_connections (the daemon's slot array). */
#define CONFIG_MAX_CONNECTIONS 1024

struct config {
	int crl_period_hours;
	char *crl_url;                 /* NULL if unset */
	char *aia_url;
	uint64_t log_file_bytes;
	int circular_logging;
	uint64_t checkpoint_interval_ms;
	uint64_t backup_max_wal_mb;   /* a full backup aborts past this WAL size */
	uint64_t backup_max_rate_mb;  /* MB/s a backup streams at most; 0 = no limit */
	uint64_t backup_busy_rate_mb; /* ... while the CA is writing; 0 = no limit */
	int has_socket_group;
	gid_t socket_group;
	struct gid_list roles[ROLE_COUNT]; /* indexed by bit position */
	/* [limits]: connections (server.c) */
	int max_connections;           /* total, 1..CONFIG_MAX_CONNECTIONS */
	int max_connections_per_uid;   /* per peer uid, 1..max_connections */
	int idle_timeout_sec;          /* wait for the next message */
	int first_message_timeout_sec; /* accept -> first message complete */
	int message_timeout_sec;       /* first byte -> message complete */
	struct config_profile *profiles;
	size_t n_profiles;
};

/* Load path. On error returns a negative code and a sentence in err naming
 * the file, section and key. *out freed with config_free. */
int config_load(const char *path, struct config **out, char *err, size_t errlen);
void config_free(struct config *c);
/* The profile of that name, or NULL. Borrowed from c. */
const struct config_profile *config_profile(const struct config *c,
					     const char *name);
/* 1 if any gid of `gids` is in list. */
int gid_list_match(const struct gid_list *list, const gid_t *gids, size_t n);

#endif
