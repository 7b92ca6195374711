/*
 * soakfill.c — test-only: grow a stopped CA's database to a given number of
 * certificates, fast, for the soak test (tests/soak/soak.sh).
 *
 *   soakfill DBPATH COUNT
 *
 * DBPATH must hold at least one issued certificate (the soak script submits
 * one through certsrvd first). Adds COUNT copies of it with new request ids
 * and serials through the benchmarks' bulk path (bench/bulkfill.c), in
 * transactions of FILL_CHUNK rows, each followed by a TRUNCATE checkpoint so
 * the WAL never holds more than one chunk; then fsyncs ca.db. Like the
 * benchmarks it bypasses the redo log on purpose: meta.applied_lsn is left
 * alone, so recovery, backups and restores stay consistent and the image is
 * simply larger than what the logs describe. Never run it on a live CA.
 * Bounded: at most FILL_MAX_SECONDS in all.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkfill.h"
#include "common/errors.h"
#include "store/db.h"

#define FILL_CHUNK 100000
#define FILL_MAX_SECONDS 1800.0
#define FILL_MAX_COUNT 100000000LL

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fsync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0)
		r = -1;
	close(fd);
	return r;
}

int
main(int argc, char **argv)
{
	int64_t count, done = 0, rows, chunk;
	double t0 = now_s(), left;
	sqlite3 *db = NULL;
	struct stat st;
	int r;

	if (argc != 3 || (count = strtoll(argv[2], NULL, 10)) < 1 ||
	    count > FILL_MAX_COUNT) {
		fprintf(stderr, "usage: soakfill DBPATH COUNT (1..%lld)\n",
			FILL_MAX_COUNT);
		return 2;
	}
	r = db_open_writer(argv[1], 0, &db);
	if (r == 0)
		r = db_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144");
	while (r == 0 && done < count) {
		left = FILL_MAX_SECONDS - (now_s() - t0);
		if (left <= 0)
			break;
		chunk = count - done < FILL_CHUNK ? count - done : FILL_CHUNK;
		r = bulk_fill_rows(db, chunk, left, &rows);
		if (r == 0)
			r = db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
		done += rows;
		if (r == 0 && rows < chunk)
			break; /* out of time */
	}
	db_close(db);
	if (r == 0 && fsync_file(argv[1]) < 0)
		r = -1;
	if (r < 0) {
		fprintf(stderr, "soakfill: %s\n", cs_strerror(r));
		return 1;
	}
	if (stat(argv[1], &st) < 0)
		st.st_size = 0;
	printf("soakfill: %" PRId64 " certificates added in %.1f s; ca.db = %.0f MB\n",
	       done, now_s() - t0, (double)st.st_size / 1e6);
	if (done < count) {
		fprintf(stderr, "soakfill: stopped after %.0f s, short of %" PRId64
			" certificates\n", FILL_MAX_SECONDS, count);
		return 1;
	}
	return 0;
}
