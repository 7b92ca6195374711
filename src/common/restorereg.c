/*
 * restorereg.c — read and write DATADIR/restore/restore.env (see the header
 * for the format). Parsing is strict: unknown sections or keys, bad numbers
 * and registrations out of sequence are CS_E_CORRUPT, never ignored.
 */
#include "common/restorereg.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/fileio.h"

char *
restorereg_path(const char *datadir)
{
	return fio_join(datadir, "restore/restore.env");
}

void
restorereg_init(struct restore_state *st)
{
	memset(st, 0, sizeof(*st));
	st->roll_forward = 1;
}

int
restorereg_set(char **dst, const char *src)
{
	free(*dst);
	*dst = NULL;
	if (!src || !*src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

void
restorereg_release(struct restore_state *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++) {
		free(st->regs[i].checkpoint);
		free(st->regs[i].log_path);
		free(st->regs[i].backup_log_path);
		free(st->regs[i].map_from);
		free(st->regs[i].map_to);
	}
	restorereg_init(st);
}

/* ---- parsing ---- */

struct parse {
	struct restore_state *st;
	char *err;
	size_t errlen;
	int code;
};

static int
bad(struct parse *ps, const char *section, const char *key, const char *why)
{
	if (!ps->code) {
		snprintf(ps->err, ps->errlen, "[%s] %s: %s", section, key, why);
		ps->code = CS_E_CORRUPT;
	}
	return 0;
}

static int
number(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!*v || *v == '-')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || *end || n > max)
		return -1;
	*out = n;
	return 0;
}

/* 32 hex digits into 16 bytes: 0, or -1. */
static int
hex16(const char *v, uint8_t out[16])
{
	unsigned int byte;
	size_t i;

	if (strlen(v) != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		if (!isxdigit((unsigned char)v[2 * i]) ||
		    !isxdigit((unsigned char)v[2 * i + 1]) ||
		    /* NOLINTNEXTLINE(cert-err34-c): two checked hex digits fit */
		    sscanf(v + 2 * i, "%2x", &byte) != 1)
			return -1;
		out[i] = (uint8_t)byte;
	}
	return 0;
}

static int
restore_key(struct parse *ps, const char *k, const char *v)
{
	uint64_t n;

	if (!strcmp(k, "image_lineage")) {
		if (hex16(v, ps->st->image_lineage) < 0)
			return bad(ps, "restore", k, "not 32 hex digits");
		ps->st->started = 1;
		return 1;
	}
	if (number(v, UINT64_MAX, &n) < 0)
		return bad(ps, "restore", k, "not a number");
	if (!strcmp(k, "format")) {
		if (n != RESTOREREG_FORMAT)
			return bad(ps, "restore", k, "unknown format version");
	} else if (!strcmp(k, "ended") && n <= 1) {
		ps->st->ended = (int)n;
	} else if (!strcmp(k, "roll_forward") && n <= 1) {
		ps->st->roll_forward = (int)n;
	} else if (!strcmp(k, "until_time") && n <= INT64_MAX) {
		ps->st->until_time = (int64_t)n;
	} else if (!strcmp(k, "until_lsn")) {
		ps->st->until_lsn = n;
	} else {
		return bad(ps, "restore", k, "unknown key or value out of range");
	}
	return 1;
}

static int
registration_key(struct parse *ps, const char *section, size_t idx,
		 const char *k, const char *v)
{
	struct restore_registration *r = &ps->st->regs[idx];
	char **str = NULL;
	uint64_t n = 0;

	if (!strcmp(k, "checkpoint"))
		str = &r->checkpoint;
	else if (!strcmp(k, "log_path"))
		str = &r->log_path;
	else if (!strcmp(k, "backup_log_path"))
		str = &r->backup_log_path;
	else if (!strcmp(k, "map_from"))
		str = &r->map_from;
	else if (!strcmp(k, "map_to"))
		str = &r->map_to;
	if (str && restorereg_set(str, v) == 0)
		return 1;
	if (str) {
		bad(ps, section, k, "out of memory");
		ps->code = -ENOMEM; /* not damage: the caller may retry */
		return 0;
	}
	if (number(v, UINT32_MAX, &n) < 0)
		return bad(ps, section, k, "not a number");
	if (!strcmp(k, "gen_low"))
		r->gen_low = (uint32_t)n;
	else if (!strcmp(k, "gen_high"))
		r->gen_high = (uint32_t)n;
	else if (!strcmp(k, "complete") && n <= 1)
		r->complete = (int)n;
	else if (!strcmp(k, "status"))
		r->status = (int32_t)(uint32_t)n;
	else
		return bad(ps, section, k, "unknown key or value out of range");
	return 1;
}

static int
on_entry(void *user, const char *section, const char *k, const char *v)
{
	struct parse *ps = user;
	uint64_t idx;

	if (ps->code)
		return 0;
	if (!strcmp(section, "restore"))
		return restore_key(ps, k, v);
	if (strncmp(section, "registration ", 13) != 0 ||
	    number(section + 13, RESTOREREG_MAX, &idx) < 0 || idx == 0)
		return bad(ps, section, k, "unknown section");
	/* Registrations appear in order: N is the next one or the current. */
	if (idx == ps->st->n + 1)
		ps->st->n++;
	else if (idx != ps->st->n)
		return bad(ps, section, k, "registrations out of sequence");
	return registration_key(ps, section, (size_t)idx - 1, k, v);
}

int
restorereg_load(const char *datadir, struct restore_state *st, char *err,
		size_t errlen)
{
	struct parse ps = { st, err, errlen, 0 };
	char *path = restorereg_path(datadir);
	int r;

	restorereg_init(st);
	if (!path)
		return -ENOMEM;
	r = fio_exists(path);
	if (r == 0)
		r = -ENOENT;
	else if (r > 0) {
		/* inih: -1 the file could not be opened (errno from fopen),
		 * -2 out of memory. */
		errno = 0;
		r = ini_parse(path, on_entry, &ps);
		if (r == -1)
			r = errno ? -errno : -EIO;
		else if (r == -2)
			r = -ENOMEM;
	}
	if (r == -1)
		r = -EIO;
	else if (ps.code)
		r = ps.code;
	else if (r > 0) {
		snprintf(err, errlen, "line %d: syntax error", r);
		r = CS_E_CORRUPT;
	}
	if (r < 0)
		restorereg_release(st);
	free(path);
	return r;
}

/* ---- writing ---- */

static int
writable(const char *path)
{
	size_t n;

	if (!path)
		return 1;
	n = strlen(path);
	return path[0] == '/' && path[n - 1] != ' ' &&
	       strpbrk(path, "\n\r;#") == NULL;
}

static void
put_path(struct buf *b, const char *key, const char *path)
{
	buf_printf(b, "%s = %s\n", key, path ? path : "");
}

int
restorereg_save(const char *datadir, const struct restore_state *st)
{
	const struct restore_registration *r;
	struct buf b = BUF_INIT;
	char *path = restorereg_path(datadir), *dir = fio_join(datadir, "restore");
	size_t i;
	int rc;

	rc = path && dir ? fio_mkdirs(dir, 0700) : -ENOMEM;
	buf_printf(&b, "# certsrv restore registration: written by libcertadm,"
		       " read by certsrvd at start\n[restore]\nformat = %d\n"
		       "ended = %d\nroll_forward = %d\nuntil_time = %lld\n"
		       "until_lsn = %llu\n", RESTOREREG_FORMAT, st->ended,
		   st->roll_forward, (long long)st->until_time,
		   (unsigned long long)st->until_lsn);
	if (st->started) {
		buf_printf(&b, "image_lineage = ");
		for (i = 0; i < sizeof(st->image_lineage); i++)
			buf_printf(&b, "%02x", st->image_lineage[i]);
		buf_printf(&b, "\n");
	}
	for (i = 0; rc == 0 && i < st->n; i++) {
		r = &st->regs[i];
		if (!writable(r->checkpoint) || !writable(r->log_path) ||
		    !writable(r->backup_log_path) || !writable(r->map_from) ||
		    !writable(r->map_to)) {
			rc = CS_E_INVALID;
			break;
		}
		buf_printf(&b, "\n[registration %zu]\n", i + 1);
		put_path(&b, "checkpoint", r->checkpoint);
		put_path(&b, "log_path", r->log_path);
		put_path(&b, "backup_log_path", r->backup_log_path);
		put_path(&b, "map_from", r->map_from);
		put_path(&b, "map_to", r->map_to);
		buf_printf(&b, "gen_low = %u\ngen_high = %u\ncomplete = %d\n"
			       "status = 0x%08X\n", r->gen_low, r->gen_high,
			   r->complete, (uint32_t)r->status);
	}
	if (rc == 0 && b.oom)
		rc = -ENOMEM;
	if (rc == 0)
		rc = fio_write_atomic(path, b.data, b.len, 0600);
	buf_release(&b);
	free(path);
	free(dir);
	return rc;
}

int
restorereg_remove(const char *datadir)
{
	char *path = restorereg_path(datadir);
	int rc = 0;

	if (!path)
		return -ENOMEM;
	if (unlink(path) < 0)
		rc = errno == ENOENT ? 0 : -errno;
	else
		rc = fio_fsync_parent(path);
	free(path);
	return rc;
}

int
restorereg_ready(const struct restore_state *st, char *err, size_t errlen)
{
	size_t i;

	if (st->n == 0) {
		snprintf(err, errlen, "no backup was registered");
		return 0;
	}
	if (!st->regs[0].map_to) {
		snprintf(err, errlen, "the first registration is not a full"
			 " backup (it has no restore map)");
		return 0;
	}
	for (i = 0; i < st->n; i++) {
		if (i > 0 && st->regs[i].map_to) {
			snprintf(err, errlen, "registration %zu is a second full"
				 " backup", i + 1);
			return 0;
		}
		if (!st->regs[i].complete) {
			snprintf(err, errlen, "registration %zu was never completed"
				 " (CertSrvRestoreRegisterComplete)", i + 1);
			return 0;
		}
		if (st->regs[i].status != 0) {
			snprintf(err, errlen, "registration %zu was completed with"
				 " failure 0x%08X", i + 1, (uint32_t)st->regs[i].status);
			return 0;
		}
	}
	if (!st->ended) {
		snprintf(err, errlen, "the restore was never ended"
			 " (CertSrvRestoreEnd)");
		return 0;
	}
	return 1;
}
