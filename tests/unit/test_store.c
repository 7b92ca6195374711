/*
 * test_store.c — the store as a whole: creation, the commit thread's group
 * commit, and crash recovery (replay past applied_lsn, torn tails, and the
 * refusals: corruption in the middle of a log, a foreign lineage, a gap).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "store/ckpt.h"
#include "store/commit.h"
#include "store/recover.h"

struct fixture {
	char dir[64];
	struct store_paths p;
	uint8_t lineage[REDO_LINEAGE_LEN];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512] = "", *db, *logs;

	snprintf(f->dir, sizeof(f->dir), "/tmp/certsrv-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	db = fio_join(f->dir, "db");
	logs = fio_join(f->dir, "logs");
	assert_int_equal(fio_mkdirs(db, 0750), 0);
	assert_int_equal(fio_mkdirs(logs, 0750), 0);
	free(db);
	free(logs);
	assert_int_equal(store_paths_init(&f->p, f->dir), 0);
	assert_int_equal(store_create(&f->p, f->lineage, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	store_paths_release(&f->p);
	free(f);
	return 0;
}

/* Open the store the way the daemon does: recover, writer, commit thread. */
static struct commit *
start(struct fixture *f, uint64_t log_bytes, struct recover_info *info)
{
	struct commit_config cc;
	struct redo_writer *w = NULL;
	struct commit *c = NULL;
	sqlite3 *db = NULL;
	char err[512] = "";

	assert_int_equal(recover_open(&f->p, &db, info, err, sizeof(err)), 0);
	assert_int_equal(redo_writer_open(f->p.logdir, info->lineage,
					  info->generation, info->next_lsn,
					  log_bytes, &w), 0);
	memset(&cc, 0, sizeof(cc));
	cc.logdir = f->p.logdir;
	cc.ckpt_path = f->p.ckpt_path;
	memcpy(cc.lineage, info->lineage, REDO_LINEAGE_LEN);
	cc.checkpoint_interval_ms = 3600 * 1000;
	cc.checkpoint_wal_bytes = 1u << 30;
	assert_int_equal(commit_start(db, w, info->applied_lsn, &cc, &c), 0);
	return c;
}

static int
op_insert(sqlite3 *db, void *arg)
{
	struct db_request rq;
	int64_t id;
	char subject[64];

	snprintf(subject, sizeof(subject), "CN=req-%d", *(int *)arg);
	memset(&rq, 0, sizeof(rq));
	rq.submitted_at = 1;
	rq.disposition = DISP_PENDING;
	rq.requester = "test";
	rq.profile = "tls-server";
	rq.subject = subject;
	rq.raw_request = (const uint8_t *)"x";
	rq.raw_request_len = 1;
	return db_insert_request(db, &rq, &id);
}

static int
op_refuse(sqlite3 *db, void *arg)
{
	(void)arg;
	op_insert(db, &(int){ -1 });
	return CS_E_STATE;   /* its write must be rolled back */
}

static long
count_requests(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	assert_int_equal(db_open_reader(db_path, &db), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM requests",
					    -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	db_close(db);
	return n;
}

static void
test_create_then_recover(void **state)
{
	struct fixture *f = *state;
	struct recover_info info;
	sqlite3 *db = NULL;
	char err[512] = "";

	assert_int_equal(recover_open(&f->p, &db, &info, err, sizeof(err)), 0);
	assert_int_equal(info.applied_lsn, 1);
	assert_int_equal(info.next_lsn, 2);
	assert_int_equal(info.generation, 1);
	assert_memory_equal(info.lineage, f->lineage, REDO_LINEAGE_LEN);
	db_close(db);
}

#define THREADS 4
#define PER_THREAD 50

struct worker {
	struct commit *c;
	int base;
	int failures;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	int i, v;

	for (i = 0; i < PER_THREAD; i++) {
		v = w->base + i;
		if (commit_run(w->c, op_insert, &v) != 0)
			w->failures++;
	}
	return NULL;
}

static void
test_group_commit_and_restart(void **state)
{
	struct fixture *f = *state;
	struct worker ws[THREADS];
	pthread_t t[THREADS];
	struct recover_info info;
	struct commit_stats st;
	struct commit *c;
	int i;

	c = start(f, 4096, &info);
	for (i = 0; i < THREADS; i++) {
		ws[i] = (struct worker){ c, i * 1000, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &ws[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(ws[i].failures, 0);
	}
	assert_int_equal(commit_run(c, op_refuse, NULL), CS_E_STATE);
	commit_get_stats(c, &st);
	assert_true(st.batches <= THREADS * PER_THREAD + 1);
	assert_true(st.generation > 1);  /* 4 KiB logs rolled */
	commit_stop(c);
	assert_int_equal(count_requests(f->p.db_path), THREADS * PER_THREAD);
	c = start(f, 4096, &info);
	assert_int_equal(info.replayed, 0);      /* clean stop: nothing to replay */
	assert_int_equal(info.next_lsn, st.applied_lsn + 1);
	commit_stop(c);
}

static void
copy_file(const char *from, const char *to)
{
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(fio_read_all(from, 1u << 30, &data, &len), 0);
	assert_int_equal(fio_write_atomic(to, data, len, 0640), 0);
	free(data);
}

/* Put back the database image saved right after creation: everything
 * committed since then exists only in the log. */
static void
restore_old_image(struct fixture *f, const char *saved)
{
	char wal[256], shm[256];

	snprintf(wal, sizeof(wal), "%s-wal", f->p.db_path);
	snprintf(shm, sizeof(shm), "%s-shm", f->p.db_path);
	unlink(wal);
	unlink(shm);
	copy_file(saved, f->p.db_path);
}

static void
commit_n(struct fixture *f, int n)
{
	struct recover_info info;
	struct commit *c = start(f, 2048, &info);
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(commit_run(c, op_insert, &i), 0);
	commit_stop(c);
}

static void
test_replay_past_applied_lsn(void **state)
{
	struct fixture *f = *state;
	char saved[128], err[512] = "";
	struct recover_info info;
	sqlite3 *db = NULL;

	snprintf(saved, sizeof(saved), "%s/saved.db", f->dir);
	copy_file(f->p.db_path, saved);
	commit_n(f, 30);
	restore_old_image(f, saved);
	/* The checkpoint file says LSN 31 is in the database; an image at
	 * LSN 1 must be refused... */
	assert_int_equal(recover_open(&f->p, &db, &info, err, sizeof(err)),
			 CS_E_CORRUPT);
	assert_non_null(strstr(err, "checkpoint"));
	/* ...unless the checkpoint is put back too (as restore does). */
	struct ckpt ck = { 1, 1, { 0 }, 0 };
	memcpy(ck.lineage, f->lineage, REDO_LINEAGE_LEN);
	assert_int_equal(ckpt_write(f->p.ckpt_path, &ck), 0);
	assert_int_equal(recover_open(&f->p, &db, &info, err, sizeof(err)), 0);
	assert_int_equal(info.replayed, 30);
	assert_int_equal(info.applied_lsn, 31);
	db_close(db);
	assert_int_equal(count_requests(f->p.db_path), 30);
}

/* Flip one byte inside the payload of the first record of generation gen. */
static void
damage_first_record(struct fixture *f, uint32_t gen)
{
	char path[256];
	uint8_t b;
	int fd;

	assert_int_equal(redo_path(f->p.logdir, gen, path, sizeof(path)), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, REDO_HDR_LEN + REDO_REC_HDR_LEN + 3), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, REDO_HDR_LEN + REDO_REC_HDR_LEN + 3), 1);
	close(fd);
}

static void
rewind_to_creation(struct fixture *f, const char *saved)
{
	struct ckpt ck = { 1, 1, { 0 }, 0 };

	restore_old_image(f, saved);
	memcpy(ck.lineage, f->lineage, REDO_LINEAGE_LEN);
	assert_int_equal(ckpt_write(f->p.ckpt_path, &ck), 0);
}

static void
test_corrupt_middle_record_stops_recovery(void **state)
{
	struct fixture *f = *state;
	char saved[128], err[512] = "";
	struct recover_info info;
	sqlite3 *db = NULL;

	snprintf(saved, sizeof(saved), "%s/saved.db", f->dir);
	copy_file(f->p.db_path, saved);
	commit_n(f, 40);          /* 2 KiB logs: several generations */
	rewind_to_creation(f, saved);
	damage_first_record(f, 2);
	assert_int_equal(recover_open(&f->p, &db, &info, err, sizeof(err)),
			 CS_E_CORRUPT);
	assert_non_null(strstr(err, "ca00000002.log"));
	assert_null(db);
}

static void
test_missing_generation_is_a_gap(void **state)
{
	struct fixture *f = *state;
	char saved[128], path[256], err[512] = "";
	struct recover_info info;
	sqlite3 *db = NULL;

	snprintf(saved, sizeof(saved), "%s/saved.db", f->dir);
	copy_file(f->p.db_path, saved);
	commit_n(f, 40);
	rewind_to_creation(f, saved);
	assert_int_equal(redo_path(f->p.logdir, 2, path, sizeof(path)), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(recover_open(&f->p, &db, &info, err, sizeof(err)),
			 CS_E_GAP);
	assert_non_null(strstr(err, "00000002"));
}

static void
test_torn_tail_is_cut(void **state)
{
	struct fixture *f = *state;
	char path[256], err[512] = "";
	struct recover_info info;
	uint32_t *gens = NULL;
	size_t n = 0;
	sqlite3 *db = NULL;
	struct stat st;
	int fd;

	commit_n(f, 5);
	assert_int_equal(redo_list_generations(f->p.logdir, &gens, &n), 0);
	assert_int_equal(redo_path(f->p.logdir, gens[n - 1], path, sizeof(path)), 0);
	free(gens);
	assert_int_equal(stat(path, &st), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x10\x00\x00\x00garbage-tail", 16), 16);
	close(fd);
	assert_int_equal(recover_open(&f->p, &db, &info, err, sizeof(err)), 0);
	assert_true(info.truncated_tail);
	db_close(db);
	assert_int_equal(stat(path, &st) == 0 ? 0 : -1, 0);
	assert_int_equal(count_requests(f->p.db_path), 5);
	/* and the writer can continue the log afterwards */
	commit_n(f, 2);
	assert_int_equal(count_requests(f->p.db_path), 7);
}

/* A crash while the writer created a generation can leave a file shorter
 * than a header at the end: it never held a record and is removed. */
static void
test_unstarted_last_generation_removed(void **state)
{
	struct fixture *f = *state;
	char path[256], err[512] = "";
	struct recover_info info;
	sqlite3 *db = NULL;

	commit_n(f, 3);
	assert_int_equal(redo_path(f->p.logdir, 2, path, sizeof(path)), 0);
	assert_int_equal(fio_write_atomic(path, "CSRVLOG", 7, 0640), 0);
	assert_int_equal(recover_open(&f->p, &db, &info, err, sizeof(err)), 0);
	db_close(db);
	assert_int_equal(fio_exists(path), 0);
	assert_int_equal(info.generation, 1);
	commit_n(f, 2);        /* and the writer continues generation 1 */
	assert_int_equal(count_requests(f->p.db_path), 5);
}

static void
test_foreign_lineage_refused(void **state)
{
	struct fixture *f = *state;
	struct ckpt ck;
	char err[512] = "";
	struct recover_info info;
	sqlite3 *db = NULL;

	assert_int_equal(ckpt_read(f->p.ckpt_path, &ck), 0);
	ck.lineage[0] ^= 1;
	assert_int_equal(ckpt_write(f->p.ckpt_path, &ck), 0);
	assert_int_equal(recover_open(&f->p, &db, &info, err, sizeof(err)),
			 CS_E_LINEAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_then_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_and_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_past_applied_lsn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_middle_record_stops_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_generation_is_a_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_is_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unstarted_last_generation_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_lineage_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
