/*
 * authz.h — who is on the other end of a connection, and what they may do.
 *
 * Identity comes from SO_PEERCRED (the kernel's word, not the client's).
 * root and the daemon's own user hold every role; anyone else holds the roles
 * whose configured groups include their primary or a supplementary group.
 */
#ifndef CERTSRV_DAEMON_AUTHZ_H
#define CERTSRV_DAEMON_AUTHZ_H

#include <sys/types.h>

#include "daemon/config.h"

#define AUTHZ_MAX_GROUPS 256

struct peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char name[64];                 /* user name, or "uid:N" */
	gid_t groups[AUTHZ_MAX_GROUPS];
	size_t n_groups;
	unsigned roles;                /* ROLE_* bits */
	int is_admin;                  /* root or the daemon's own user */
};

/* Identify the peer of a connected Unix socket and compute its roles. */
int authz_identify(int fd, const struct config *cfg, struct peer *out);
/* May this peer use the profile (its enroll_groups, if any)? */
int authz_may_use_profile(const struct peer *p, const struct config_profile *cp);

#endif
