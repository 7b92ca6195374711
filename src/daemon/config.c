/*
 * config.c — parse and validate certsrv.conf with libinih.
 *
 * Defaults are those of docs/config.md; the built-in profiles exist before
 * parsing and [profile NAME] sections modify them or add new ones.
 */
#include "daemon/config.h"

#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/errors.h"

static const char *const builtin_profiles[] = {
	"tls-server", "tls-client", "code-signing", "sub-ca",
};
static const char *const role_names[ROLE_COUNT] = {
	"enroll", "officer", "backup", "auditor",
};

struct parse {
	struct config *c;
	char *err;
	size_t errlen;
	int code;
};

static int
parse_fail(struct parse *ps, int lineno, const char *section, const char *key,
	   const char *why)
{
	if (ps->code == 0) {
		(void)lineno; /* Debian's libinih does not report lines */
		snprintf(ps->err, ps->errlen, "[%s] %s: %s", section, key, why);
		ps->code = CS_E_CONFIG;
	}
	return 0; /* stop inih */
}

static int
parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int
resolve_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return -1;
	*gid = gr.gr_gid;
	return 0;
}

/* Parse "a, b ,c" into a gid list; -1 and *bad = the unknown name. */
static int
parse_groups(const char *v, struct gid_list *list, char *bad, size_t badlen)
{
	char *copy = strdup(v), *tok, *save = NULL;
	gid_t *g;
	int r = 0;

	if (!copy)
		return -1;
	free(list->gids);
	list->gids = NULL;
	list->n = 0;
	for (tok = strtok_r(copy, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		g = realloc(list->gids, (list->n + 1) * sizeof(*g));
		if (!g) {
			r = -1;
			break;
		}
		list->gids = g;
		if (resolve_group(tok, &list->gids[list->n]) < 0) {
			snprintf(bad, badlen, "unknown group \"%s\"", tok);
			r = -1;
			break;
		}
		list->n++;
	}
	free(copy);
	return r;
}

static int
set_url(char **dst, const char *v)
{
	free(*dst);
	*dst = NULL;
	if (*v == '\0')
		return 0;
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0 &&
	    strncmp(v, "ldap://", 7) != 0)
		return -1;
	*dst = strdup(v);
	return *dst ? 0 : -1;
}

static int
ca_key(struct parse *ps, int line, const char *k, const char *v)
{
	struct config *c = ps->c;
	long n;

	if (!strcmp(k, "crl_period_hours")) {
		if (parse_long(v, 1, 8760, &n) < 0)
			return parse_fail(ps, line, "ca", k, "must be 1..8760");
		c->crl_period_hours = (int)n;
	} else if (!strcmp(k, "crl_url")) {
		if (set_url(&c->crl_url, v) < 0)
			return parse_fail(ps, line, "ca", k, "must be an http(s):// or ldap:// URL");
	} else if (!strcmp(k, "aia_url")) {
		if (set_url(&c->aia_url, v) < 0)
			return parse_fail(ps, line, "ca", k, "must be an http(s):// or ldap:// URL");
	} else {
		return parse_fail(ps, line, "ca", k, "unknown key");
	}
	return 1;
}

static int
store_key(struct parse *ps, int line, const char *k, const char *v)
{
	struct config *c = ps->c;
	long n;

	if (!strcmp(k, "log_file_size_kb")) {
		if (parse_long(v, 64, 1048576, &n) < 0)
			return parse_fail(ps, line, "store", k, "must be 64..1048576");
		c->log_file_bytes = (uint64_t)n * 1024u;
	} else if (!strcmp(k, "circular_logging")) {
		if (parse_bool(v, &c->circular_logging) < 0)
			return parse_fail(ps, line, "store", k, "must be true or false");
	} else if (!strcmp(k, "checkpoint_interval_sec")) {
		if (parse_long(v, 1, 86400, &n) < 0)
			return parse_fail(ps, line, "store", k, "must be 1..86400");
		c->checkpoint_interval_ms = (uint64_t)n * 1000u;
	} else if (!strcmp(k, "backup_max_wal_mb")) {
		if (parse_long(v, 1, 1048576, &n) < 0)
			return parse_fail(ps, line, "store", k, "must be 1..1048576");
		c->backup_max_wal_mb = (uint64_t)n;
	} else if (!strcmp(k, "backup_max_rate_mb")) {
		if (parse_long(v, 0, 1048576, &n) < 0)
			return parse_fail(ps, line, "store", k, "must be 0..1048576");
		c->backup_max_rate_mb = (uint64_t)n;
	} else if (!strcmp(k, "backup_busy_rate_mb")) {
		if (parse_long(v, 0, 1048576, &n) < 0)
			return parse_fail(ps, line, "store", k, "must be 0..1048576");
		c->backup_busy_rate_mb = (uint64_t)n;
	} else {
		return parse_fail(ps, line, "store", k, "unknown key");
	}
	return 1;
}

static int
access_key(struct parse *ps, int line, const char *k, const char *v)
{
	char bad[128] = "out of memory";
	struct gid_list one = { NULL, 0 };
	int i;

	if (!strcmp(k, "socket_group")) {
		if (*v == '\0')
			return 1;
		if (parse_groups(v, &one, bad, sizeof(bad)) < 0 || one.n != 1) {
			free(one.gids);
			return parse_fail(ps, line, "access", k,
					  one.n > 1 ? "takes one group" : bad);
		}
		ps->c->socket_group = one.gids[0];
		ps->c->has_socket_group = 1;
		free(one.gids);
		return 1;
	}
	for (i = 0; i < ROLE_COUNT; i++) {
		if (strcmp(k, role_names[i]) != 0)
			continue;
		if (parse_groups(v, &ps->c->roles[i], bad, sizeof(bad)) < 0)
			return parse_fail(ps, line, "access", k, bad);
		return 1;
	}
	return parse_fail(ps, line, "access", k, "unknown key");
}

/* [limits]: connection caps and receive timeouts (server.c). */
static int
limits_key(struct parse *ps, int line, const char *k, const char *v)
{
	struct config *c = ps->c;
	long n, max = 3600;
	char why[64];
	int *dst;

	if (!strcmp(k, "max_connections")) {
		dst = &c->max_connections;
		max = CONFIG_MAX_CONNECTIONS;
	} else if (!strcmp(k, "max_connections_per_uid")) {
		dst = &c->max_connections_per_uid;
		max = CONFIG_MAX_CONNECTIONS;
	} else if (!strcmp(k, "idle_timeout_sec")) {
		dst = &c->idle_timeout_sec;
		max = 86400;
	} else if (!strcmp(k, "first_message_timeout_sec")) {
		dst = &c->first_message_timeout_sec;
	} else if (!strcmp(k, "message_timeout_sec")) {
		dst = &c->message_timeout_sec;
	} else {
		return parse_fail(ps, line, "limits", k, "unknown key");
	}
	if (parse_long(v, 1, max, &n) < 0) {
		snprintf(why, sizeof(why), "must be 1..%ld", max);
		return parse_fail(ps, line, "limits", k, why);
	}
	*dst = (int)n;
	return 1;
}

static struct config_profile *
profile_slot(struct config *c, const char *name)
{
	struct config_profile *p;
	size_t i;

	for (i = 0; i < c->n_profiles; i++)
		if (!strcmp(c->profiles[i].p.name, name))
			return &c->profiles[i];
	p = realloc(c->profiles, (c->n_profiles + 1) * sizeof(*p));
	if (!p)
		return NULL;
	c->profiles = p;
	p = &c->profiles[c->n_profiles++];
	memset(p, 0, sizeof(*p));
	/* A new profile starts as tls-server until `base` says otherwise. */
	ca_profile_builtin("tls-server", &p->p);
	snprintf(p->p.name, sizeof(p->p.name), "%s", name);
	return p;
}

static int
profile_key(struct parse *ps, int line, const char *section, const char *name,
	    const char *k, const char *v)
{
	struct config_profile *cp;
	char bad[128] = "out of memory";
	long n;

	if (strlen(name) == 0 || strlen(name) >= CA_PROFILE_NAME_MAX)
		return parse_fail(ps, line, section, k, "bad profile name");
	cp = profile_slot(ps->c, name);
	if (!cp)
		return parse_fail(ps, line, section, k, "out of memory");
	if (!strcmp(k, "base")) {
		if (ca_profile_builtin(v, &cp->p) < 0)
			return parse_fail(ps, line, section, k, "not a built-in profile");
		snprintf(cp->p.name, sizeof(cp->p.name), "%s", name);
	} else if (!strcmp(k, "policy")) {
		if (strcmp(v, "issue") && strcmp(v, "pend"))
			return parse_fail(ps, line, section, k, "must be issue or pend");
		cp->p.pend = !strcmp(v, "pend");
	} else if (!strcmp(k, "max_validity_days")) {
		if (parse_long(v, 1, 36500, &n) < 0)
			return parse_fail(ps, line, section, k, "must be 1..36500");
		cp->p.max_validity_days = (int)n;
	} else if (!strcmp(k, "default_validity_days")) {
		if (parse_long(v, 1, 36500, &n) < 0)
			return parse_fail(ps, line, section, k, "must be 1..36500");
		cp->p.default_validity_days = (int)n;
	} else if (!strcmp(k, "enroll_groups")) {
		if (parse_groups(v, &cp->groups, bad, sizeof(bad)) < 0)
			return parse_fail(ps, line, section, k, bad);
		snprintf(cp->p.enroll_groups, sizeof(cp->p.enroll_groups), "%s", v);
	} else {
		return parse_fail(ps, line, section, k, "unknown key");
	}
	return 1;
}

static int
on_entry(void *user, const char *section, const char *k, const char *v)
{
	struct parse *ps = user;
	int line = 0;

	if (ps->code)
		return 0;
	if (!strcmp(section, "ca"))
		return ca_key(ps, line, k, v);
	if (!strcmp(section, "store"))
		return store_key(ps, line, k, v);
	if (!strcmp(section, "access"))
		return access_key(ps, line, k, v);
	if (!strcmp(section, "limits"))
		return limits_key(ps, line, k, v);
	if (!strncmp(section, "profile ", 8))
		return profile_key(ps, line, section, section + 8, k, v);
	return parse_fail(ps, line, section, k, "unknown section");
}

static int
add_builtins(struct config *c)
{
	size_t i;
	struct config_profile *p;

	for (i = 0; i < sizeof(builtin_profiles) / sizeof(builtin_profiles[0]); i++) {
		p = profile_slot(c, builtin_profiles[i]);
		if (!p)
			return -ENOMEM;
		ca_profile_builtin(builtin_profiles[i], &p->p);
	}
	return 0;
}

static int
check_profiles(struct config *c, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < c->n_profiles; i++) {
		const struct ca_profile *p = &c->profiles[i].p;

		if (p->default_validity_days > p->max_validity_days) {
			snprintf(err, errlen,
				 "[profile %s]: default_validity_days exceeds max_validity_days",
				 p->name);
			return CS_E_CONFIG;
		}
	}
	return 0;
}

int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct parse ps = { NULL, err, errlen, 0 };
	struct config *c;
	char where[256];
	int r;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->crl_period_hours = 168;
	c->log_file_bytes = 16u * 1024u * 1024u;
	c->checkpoint_interval_ms = 60000;
	c->backup_max_wal_mb = 1024;
	c->backup_busy_rate_mb = 30;
	c->max_connections = 256;
	c->max_connections_per_uid = 64;
	c->idle_timeout_sec = 300;
	c->first_message_timeout_sec = 10;
	c->message_timeout_sec = 30;
	r = add_builtins(c);
	if (r < 0)
		goto fail;
	ps.c = c;
	r = ini_parse(path, on_entry, &ps);
	if (r == -1) {
		r = -errno ? -errno : -ENOENT;
		snprintf(err, errlen, "cannot open: %s", cs_strerror(r));
	} else if (ps.code) {
		r = ps.code;
	} else if (r > 0) {
		snprintf(err, errlen, "line %d: syntax error", r);
		r = CS_E_CONFIG;
	} else {
		r = check_profiles(c, err, errlen);
		/* The per-uid cap is at most the total. */
		if (c->max_connections_per_uid > c->max_connections)
			c->max_connections_per_uid = c->max_connections;
	}
	if (r < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	snprintf(where, sizeof(where), "%s", err);
	snprintf(err, errlen, "%s: %s", path, where);
	config_free(c);
	return r < 0 ? r : CS_E_CONFIG;
}

void
config_free(struct config *c)
{
	size_t i;

	if (!c)
		return;
	free(c->crl_url);
	free(c->aia_url);
	for (i = 0; i < ROLE_COUNT; i++)
		free(c->roles[i].gids);
	for (i = 0; i < c->n_profiles; i++)
		free(c->profiles[i].groups.gids);
	free(c->profiles);
	free(c);
}

const struct config_profile *
config_profile(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_profiles; i++)
		if (!strcmp(c->profiles[i].p.name, name))
			return &c->profiles[i];
	return NULL;
}

int
gid_list_match(const struct gid_list *list, const gid_t *gids, size_t n)
{
	size_t i, j;

	for (i = 0; i < list->n; i++)
		for (j = 0; j < n; j++)
			if (list->gids[i] == gids[j])
				return 1;
	return 0;
}
