/*
 * authz.c — peer identity via SO_PEERCRED and role computation.
 */
#include "daemon/authz.h"

#include <errno.h>
#include <grp.h>
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
	int n = AUTHZ_MAX_GROUPS;

	p->groups[0] = p->gid;
	p->n_groups = 1;
	if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(p->name, sizeof(p->name), "uid:%u", (unsigned)p->uid);
		return;
	}
	snprintf(p->name, sizeof(p->name), "%s", pw.pw_name);
	if (getgrouplist(pw.pw_name, p->gid, p->groups, &n) >= 0)
		p->n_groups = (size_t)n;
}

int
authz_identify(int fd, const struct config *cfg, struct peer *out)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int i;

	memset(out, 0, sizeof(*out));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	out->pid = cred.pid;
	out->uid = cred.uid;
	out->gid = cred.gid;
	lookup_user(out);
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
