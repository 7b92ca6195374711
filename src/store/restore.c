/*
 * restore.c — restore recovery at daemon start (see restore.h).
 *
 * Guarantees: the image is only ever combined with logs of its own lineage
 * that continue its LSN chain without a gap; the registration is removed
 * only after the restored database passed its checks and was checkpointed;
 * a restore that ends before the end of the history forks a new lineage, so
 * the generations it did not replay can never be replayed into it later.
 */
#include "store/restore.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "store/commit.h"

struct plan {
	struct replay_source *files;
	char **paths;            /* owned strings behind files[].path */
	size_t n, cap;
};

static int
fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

static void
plan_release(struct plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		free(pl->paths[i]);
	free(pl->paths);
	free(pl->files);
	memset(pl, 0, sizeof(*pl));
}

static int
plan_add(struct plan *pl, const char *dir, uint32_t gen, int live)
{
	char path[4096];
	void *p;

	if (redo_path(dir, gen, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 16;
		p = realloc(pl->files, pl->cap * sizeof(*pl->files));
		if (!p)
			return -ENOMEM;
		pl->files = p;
		p = realloc(pl->paths, pl->cap * sizeof(*pl->paths));
		if (!p)
			return -ENOMEM;
		pl->paths = p;
	}
	pl->paths[pl->n] = strdup(path);
	if (!pl->paths[pl->n])
		return -ENOMEM;
	pl->files[pl->n].path = pl->paths[pl->n];
	pl->files[pl->n].gen = gen;
	pl->files[pl->n].live = live;
	pl->files[pl->n].scan_only = 0;
	pl->n++;
	return 0;
}

static int
cmp_reg(const void *a, const void *b)
{
	const struct restore_registration *x = *(const struct restore_registration *const *)a;
	const struct restore_registration *y = *(const struct restore_registration *const *)b;

	return (x->gen_low > y->gen_low) - (x->gen_low < y->gen_low);
}

/* The backup sets' logs, in generation order; contiguous across sets. */
static int
plan_backup_logs(const struct restore_state *st, struct plan *pl,
		 uint32_t *gen_high, char *err, size_t errlen)
{
	const struct restore_registration *regs[RESTOREREG_MAX];
	uint32_t g;
	size_t i;
	int r = 0;

	for (i = 0; i < st->n; i++)
		regs[i] = &st->regs[i];
	/* cppcheck-suppress uninitvar ; regs[0..st->n-1] are set just above */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): regs holds pointers */
	qsort(regs, st->n, sizeof(regs[0]), cmp_reg);
	for (i = 0; r == 0 && i < st->n; i++) {
		if (i > 0 && regs[i]->gen_low != regs[i - 1]->gen_high + 1)
			return fail(err, errlen, CS_E_GAP, "the registered backups do"
				    " not continue each other: generations %08X..%08X"
				    " then %08X..%08X", regs[i - 1]->gen_low,
				    regs[i - 1]->gen_high, regs[i]->gen_low,
				    regs[i]->gen_high);
		if (!regs[i]->backup_log_path)
			return fail(err, errlen, CS_E_INVALID, "a registration names"
				    " no backup log directory");
		for (g = regs[i]->gen_low; r == 0 && g <= regs[i]->gen_high; g++) {
			r = plan_add(pl, regs[i]->backup_log_path, g, 0);
			if (r == 0 && fio_exists(pl->paths[pl->n - 1]) != 1)
				r = fail(err, errlen, CS_E_GAP, "%s is missing: the"
					 " registered backups need generations"
					 " %08X..%08X", pl->paths[pl->n - 1],
					 regs[i]->gen_low, regs[i]->gen_high);
			if (r == 0 && g == UINT32_MAX)
				break;
		}
	}
	*gen_high = regs[st->n - 1]->gen_high;
	return r;
}

/* Live generations after the backups that continue the chain: same
 * lineage, contiguous numbers. The first one that does not stops the list. */
static int
plan_live_logs(const struct store_paths *p, const uint8_t *lineage,
	       uint32_t after, int scan_only, struct plan *pl, int *added)
{
	struct redo_reader *rd;
	struct redo_file_hdr h;
	uint32_t g;
	int r = 0;

	*added = 0;
	for (g = after + 1; r == 0 && g != 0; g++) {
		r = plan_add(pl, p->logdir, g, 1);
		if (r < 0)
			break;
		pl->files[pl->n - 1].scan_only = scan_only;
		rd = NULL;
		if (fio_exists(pl->paths[pl->n - 1]) != 1 ||
		    redo_reader_open(pl->paths[pl->n - 1], &rd, &h) < 0 ||
		    memcmp(h.lineage, lineage, REDO_LINEAGE_LEN) != 0) {
			redo_reader_close(rd);
			free(pl->paths[--pl->n]);
			break;
		}
		redo_reader_close(rd);
		(*added)++;
	}
	return r;
}

/* Roll-forward: a live generation of the image's lineage after `stop` (the
 * first one the chain could not continue into) means the chain has a gap:
 * replaying up to it would silently drop every acknowledged record after
 * it. Refused, naming the missing generation. */
static int
check_live_gap(const struct store_paths *p, const uint8_t *lineage,
	       uint32_t stop, char *err, size_t errlen)
{
	struct redo_reader *rd;
	struct redo_file_hdr h;
	uint32_t *gens = NULL;
	char path[4096];
	size_t n = 0, i;
	int r, same;

	r = redo_list_generations(p->logdir, &gens, &n);
	for (i = 0; r == 0 && i < n; i++) {
		if (gens[i] <= stop || redo_path(p->logdir, gens[i], path, sizeof(path)) < 0)
			continue;
		rd = NULL;
		same = redo_reader_open(path, &rd, &h) == 0 &&
		       memcmp(h.lineage, lineage, REDO_LINEAGE_LEN) == 0;
		redo_reader_close(rd);
		if (same)
			r = fail(err, errlen, CS_E_GAP, "generation %08X is in neither"
				 " the backup sets nor %s, but %s continues the"
				 " history after it: rolling forward would lose"
				 " acknowledged records. Register the backup set"
				 " that holds it too, or restore without"
				 " roll-forward", stop, p->logdir, path);
	}
	free(gens);
	return r;
}

static int
check_database(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *res;
	int r = 0, dup = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return CS_E_INTERNAL;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    !(res = (const char *)sqlite3_column_text(st, 0)) || strcmp(res, "ok"))
		r = fail(err, errlen, CS_E_CORRUPT, "the restored database fails"
			 " PRAGMA integrity_check");
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM (SELECT serial FROM"
			       " certificates GROUP BY serial HAVING count(*) > 1)",
			       -1, &st, NULL) != SQLITE_OK)
		return CS_E_INTERNAL;
	if (sqlite3_step(st) == SQLITE_ROW)
		dup = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (dup)
		return fail(err, errlen, CS_E_CORRUPT, "the restored database holds"
			    " %d duplicated serial numbers", dup);
	return 0;
}

/* Numbers seen in records that were not applied must never be given again. */
static int
raise_floors(sqlite3 *db, const struct recover_info *info)
{
	uint64_t floor = 0;
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (info->max_crl_skipped) {
		(void)db_meta_get_u64(db, "crl_number_floor", &floor);
		if (info->max_crl_skipped > floor)
			r = db_meta_set_u64(db, "crl_number_floor", info->max_crl_skipped);
	}
	if (r == 0 && info->max_request_skipped > 0) {
		r = db_error(sqlite3_prepare_v2(db, "UPDATE sqlite_sequence SET seq ="
						" max(seq, ?1) WHERE name = 'requests'",
						-1, &st, NULL));
		if (r == 0) {
			sqlite3_bind_int64(st, 1, info->max_request_skipped);
			r = sqlite3_step(st) == SQLITE_DONE ? 0 : CS_E_INTERNAL;
		}
		sqlite3_finalize(st);
	}
	return r;
}

/* Highest generation in the live log directory (0 if none). */
static uint32_t
highest_live_generation(const struct store_paths *p)
{
	uint32_t *gens = NULL, high = 0;
	size_t n = 0;

	if (redo_list_generations(p->logdir, &gens, &n) == 0 && n)
		high = gens[n - 1];
	free(gens);
	return high;
}

/* 1 if generation gen of the live logs was started by an earlier,
 * interrupted run of this restore: it carries the forked lineage (which no
 * other file can) and holds no record. A file too short for a header (the
 * run died while creating it) is removed and counts as unstarted too. */
static int
own_generation(const struct store_paths *p, uint32_t gen,
	       const struct recover_info *info)
{
	struct redo_reader *rd = NULL;
	struct redo_file_hdr h;
	struct redo_record rec;
	char path[4096];
	struct stat sb;
	int own;

	if (gen == 0 || redo_path(p->logdir, gen, path, sizeof(path)) < 0 ||
	    stat(path, &sb) < 0)
		return 0;
	if (sb.st_size < REDO_HDR_LEN)
		return unlink(path) == 0 && fio_fsync_dir(p->logdir) == 0;
	if (redo_reader_open(path, &rd, &h) < 0)
		return 0;
	own = memcmp(h.lineage, info->lineage, REDO_LINEAGE_LEN) == 0 &&
	      h.first_lsn == info->applied_lsn + 1 &&
	      redo_reader_next(rd, &rec) == 0;
	redo_reader_close(rd);
	return own;
}

/* Where the writer continues: the last live generation replayed (same
 * lineage), or a new generation after every existing one (or the one an
 * interrupted run of this restore started). The file is created now, so the
 * checkpoint never names a missing generation. */
static int
prepare_writer(const struct store_paths *p, struct recover_info *info,
	       struct restore_outcome *out, char *err, size_t errlen)
{
	struct redo_writer *w = NULL;
	uint32_t high = highest_live_generation(p);
	int r;

	if ((!out->rolled_forward || out->new_lineage) &&
	    high > out->backup_gen_high && own_generation(p, high, info))
		info->generation = high;
	else if (!out->rolled_forward || out->new_lineage)
		info->generation = (high > out->backup_gen_high ? high
								: out->backup_gen_high) + 1;
	r = redo_writer_open(p->logdir, info->lineage, info->generation,
			     info->applied_lsn + 1, UINT64_MAX, &w);
	redo_writer_close(w);
	if (r < 0)
		return fail(err, errlen, r, "cannot start log generation %08X: %s",
			    info->generation, cs_strerror(r));
	out->generation = info->generation;
	return 0;
}

/* A new lineage, or the one an earlier, interrupted run of this restore
 * already forked to (forked non-NULL): the same restore forks only once. */
static int
fork_lineage(sqlite3 *db, struct recover_info *info, const uint8_t *forked)
{
	if (forked)
		memcpy(info->lineage, forked, REDO_LINEAGE_LEN);
	else if (getrandom(info->lineage, REDO_LINEAGE_LEN, 0) != REDO_LINEAGE_LEN)
		return -EIO;
	return db_meta_set_lineage(db, info->lineage);
}

static void
remove_wal_files(const char *db_path)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s-wal", db_path);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s-shm", db_path);
	(void)unlink(path);
}

/* The first run of a restore records that it started (and the image's
 * lineage) in the registration before it changes anything. */
static int
mark_started(const struct store_paths *p, const struct restore_state *st,
	     const uint8_t *lineage, char *err, size_t errlen)
{
	struct restore_state mark = *st; /* shallow: only saved, never released */
	int r;

	mark.started = 1;
	memcpy(mark.image_lineage, lineage, REDO_LINEAGE_LEN);
	r = restorereg_save(p->datadir, &mark);
	if (r < 0)
		return fail(err, errlen, r, "cannot record in the registration that"
			    " the restore started: %s", cs_strerror(r));
	return 0;
}

/* Open the placed image. A rerun after an interrupted run keeps the -wal
 * (it holds the run's own transactions) and checks the logs against the
 * image's original lineage; *forked then receives the lineage the run
 * already forked to, if it did (else it is left alone). */
static int
open_image(const struct store_paths *p, const struct restore_state *st,
	   sqlite3 **db, struct recover_info *info, uint8_t *forked,
	   int *was_forked, char *err, size_t errlen)
{
	int r;

	if (strcmp(st->regs[0].map_to, p->db_path) != 0)
		return fail(err, errlen, CS_E_INVALID, "the restore map puts the"
			    " database at %s, but this CA's database is %s",
			    st->regs[0].map_to, p->db_path);
	if (fio_exists(p->db_path) != 1)
		return fail(err, errlen, -ENOENT, "%s is missing: copy the full"
			    " backup's database there (the restore map)", p->db_path);
	/* Before the first run, a -wal or -shm next to a restored image belongs
	 * to the database it replaced: SQLite would apply it to the image and
	 * corrupt it. After it, they are the restore's own: removing them
	 * could lose a checkpoint half copied into the image. */
	if (!st->started)
		remove_wal_files(p->db_path);
	r = db_open_writer(p->db_path, 0, db);
	if (r == 0)
		r = db_meta_get_u64(*db, "applied_lsn", &info->applied_lsn);
	if (r == 0)
		r = db_meta_get_lineage(*db, info->lineage);
	if (r < 0)
		return fail(err, errlen, r, "%s is not a certsrv database image: %s",
			    p->db_path, cs_strerror(r));
	if (!st->started)
		return mark_started(p, st, info->lineage, err, errlen);
	*was_forked = memcmp(info->lineage, st->image_lineage, REDO_LINEAGE_LEN) != 0;
	if (*was_forked) {
		memcpy(forked, info->lineage, REDO_LINEAGE_LEN);
		memcpy(info->lineage, st->image_lineage, REDO_LINEAGE_LEN);
	}
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

int
restore_run(const struct store_paths *p, const struct restore_state *st,
	    struct restore_outcome *out,
	    void (*progress)(const struct replay_source *file, size_t i,
			     size_t n, void *arg),
	    void *progress_arg, char *err, size_t errlen)
{
	struct replay_limits limits = { st->until_lsn, st->until_time, progress,
					 progress_arg };
	struct recover_info info;
	struct plan pl;
	sqlite3 *db = NULL;
	char *staged = NULL;
	uint8_t forked[REDO_LINEAGE_LEN] = { 0 };
	int live = 0, was_forked = 0, r;

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	memset(&pl, 0, sizeof(pl));
	r = open_image(p, st, &db, &info, forked, &was_forked, err, errlen);
	if (r < 0)
		goto out;
	out->image_lsn = info.applied_lsn;
	r = plan_backup_logs(st, &pl, &out->backup_gen_high, err, errlen);
	/* Without roll-forward the live generations are still read: numbers
	 * they gave out (CRL numbers, request ids) must not be given again. */
	if (r == 0)
		r = plan_live_logs(p, info.lineage, out->backup_gen_high,
				   !st->roll_forward, &pl, &live);
	if (r == 0 && st->roll_forward)
		r = check_live_gap(p, info.lineage,
				   out->backup_gen_high + 1 + (uint32_t)live, err, errlen);
	if (r == 0)
		r = recover_replay(db, pl.files, pl.n, &limits, &info, err, errlen);
	if (r < 0)
		goto out;
	out->rolled_forward = live > 0 && st->roll_forward;
	out->stopped = info.stopped;
	out->new_lineage = info.stopped || !st->roll_forward || was_forked;
	r = check_database(db, err, errlen);
	if (r == 0)
		r = raise_floors(db, &info);
	if (r == 0 && out->new_lineage)
		r = fork_lineage(db, &info, was_forked ? forked : NULL);
	if (r == 0)
		r = prepare_writer(p, &info, out, err, errlen);
	if (r == 0)
		r = commit_checkpoint_now(db, p->ckpt_path, info.lineage,
					  info.applied_lsn, info.generation);
	if (r < 0) {
		if (!err[0])
			fail(err, errlen, r, "%s", cs_strerror(r));
		goto out;
	}
	out->applied_lsn = info.applied_lsn;
	out->replayed = info.replayed;
	/* Done: only now may the registration go. The staged logs go too. */
	r = restorereg_remove(p->datadir);
	staged = fio_join(p->datadir, "restore/logs");
	if (r == 0 && staged && fio_exists(staged) == 1)
		(void)nftw(staged, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
out:
	free(staged);
	plan_release(&pl);
	db_close(db);
	return r;
}
