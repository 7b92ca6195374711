/*
 * replayset.c — test helper: restore a backup set by hand and list what it
 * holds. Copies SET/DataBase/ca.db and its log generations into a scratch
 * data directory, points the checkpoint at the image's own applied LSN and
 * the set's first generation, runs the store's crash recovery over it (the
 * same code certsrvd runs at start), and prints every certificate serial in
 * the result, one per line, then "lsn N" with the LSN reached.
 *
 *   replayset SET SCRATCH     exit 0 on success, 1 with a reason otherwise
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "store/ckpt.h"
#include "store/recover.h"

static int
copy(const char *from, const char *to)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = fio_read_all(from, (size_t)1 << 34, &data, &len);
	if (r == 0)
		r = fio_write_atomic(to, data, len, 0640);
	free(data);
	if (r < 0)
		fprintf(stderr, "replayset: %s -> %s: %s\n", from, to, cs_strerror(r));
	return r;
}

/* Copy the set's logs; *first = the lowest generation. */
static int
copy_logs(const char *dbdir, const char *logdir, uint32_t *first)
{
	uint32_t *gens = NULL;
	size_t n = 0, i;
	char from[4096], to[4096];
	int r;

	r = redo_list_generations(dbdir, &gens, &n);
	if (r == 0 && n == 0)
		r = CS_E_NOTFOUND;
	for (i = 0; r == 0 && i < n; i++) {
		redo_path(dbdir, gens[i], from, sizeof(from));
		redo_path(logdir, gens[i], to, sizeof(to));
		r = copy(from, to);
	}
	if (r == 0)
		*first = gens[0];
	free(gens);
	return r;
}

static int
image_state(const char *db_path, uint64_t *lsn, uint8_t lineage[16])
{
	sqlite3 *db = NULL;
	int r = db_open_reader(db_path, &db);

	if (r == 0)
		r = db_meta_get_u64(db, "applied_lsn", lsn);
	if (r == 0)
		r = db_meta_get_lineage(db, lineage);
	db_close(db);
	return r;
}

static int
print_serials(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT request_id, serial FROM certificates"
			       " ORDER BY request_id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		printf("%lld %s\n", (long long)sqlite3_column_int64(st, 0),
		       sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct store_paths p;
	struct recover_info info = { 0 };
	struct ckpt ck;
	char *src = NULL, *dbdir = NULL, err[1024] = "";
	sqlite3 *db = NULL;
	uint32_t first = 0;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: replayset SET SCRATCH\n");
		return 2;
	}
	dbdir = fio_join(argv[1], "DataBase");
	src = dbdir ? fio_join(dbdir, "ca.db") : NULL;
	if (!src)
		return 1;
	r = store_paths_init(&p, argv[2]);
	if (r == 0)
		r = fio_mkdirs(p.logdir, 0750);
	if (r == 0) {
		char *d = fio_join(argv[2], "db");

		r = d ? fio_mkdirs(d, 0750) : -ENOMEM;
		free(d);
	}
	if (r == 0)
		r = copy(src, p.db_path);
	if (r == 0)
		r = copy_logs(dbdir, p.logdir, &first);
	memset(&ck, 0, sizeof(ck));
	if (r == 0)
		r = image_state(p.db_path, &ck.lsn, ck.lineage);
	ck.generation = first;
	if (r == 0)
		r = ckpt_write(p.ckpt_path, &ck);
	if (r == 0)
		r = recover_open(&p, &db, &info, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "replayset: %s\n", err[0] ? err : cs_strerror(r));
		r = 1;
		goto out;
	}
	r = print_serials(db);
	printf("lsn %llu\n", (unsigned long long)info.applied_lsn);
	db_close(db);
out:
	store_paths_release(&p);
	free(src);
	free(dbdir);
	return r == 0 ? 0 : 1;
}
