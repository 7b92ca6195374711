/*
 * authz.c — peer identity via SO_PEERCRED and SO_PEERGROUPS, and role
 * computation. Everything comes from the kernel's record of the peer
 * process at connect(); nothing the client sends is trusted.
 */
#include "daemon/authz.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
lookup_user(struct peer *p)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		snprintf(p->name, sizeof(p->name), "uid:%u", (unsigned)p->uid);
	else
		snprintf(p->name, sizeof(p->name), "%s", pw.pw_name);
}

/* The peer's primary group and the supplementary groups its process held at
 * connect(), as the kernel recorded them (SO_PEERGROUPS) — not the group
 * database's list for its user name, which would grant a group the process
 * dropped and miss one it was given. More than AUTHZ_MAX_GROUPS: -ERANGE. */
static int
peer_groups(int fd, struct peer *p)
{
	socklen_t len = (socklen_t)(sizeof(p->groups) - sizeof(p->groups[0]));

	p->groups[0] = p->gid;
	p->n_groups = 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups + 1, &len) < 0)
		return -errno;
	p->n_groups += len / sizeof(gid_t);
	return 0;
}

int
authz_identify(int fd, const struct config *cfg, struct peer *out)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int i, r;

	memset(out, 0, sizeof(*out));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	out->pid = cred.pid;
	out->uid = cred.uid;
	out->gid = cred.gid;
	lookup_user(out);
	r = peer_groups(fd, out);
	if (r < 0)
		return r;
	if (cred.uid == 0 || cred.uid == geteuid()) {
		out->is_admin = 1;
		out->roles = ROLE_ALL;
		return 0;
	}
	for (i = 0; i < ROLE_COUNT; i++)
		if (gid_list_match(&cfg->roles[i], out->groups, out->n_groups))
			out->roles |= 1u << i;
	return 0;
}

int
authz_may_use_profile(const struct peer *p, const struct config_profile *cp)
{
	if (p->is_admin || cp->groups.n == 0)
		return 1;
	return gid_list_match(&cp->groups, p->groups, p->n_groups);
}
