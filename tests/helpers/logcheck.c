/*
 * logcheck.c — test helper: walk every redo log generation of a data
 * directory and check the chain the way recovery relies on it: generations
 * contiguous, every header of one lineage, each file's first LSN continuing
 * the previous file, records contiguous and intact.
 *
 *   logcheck DATADIR   prints "generations G1..G2 lsn L1..L2 records N"
 *                      and exits 0, or names the first problem and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "store/redo.h"

static int
check_file(const char *path, uint32_t gen, const uint8_t *lineage,
	   uint64_t *expect, uint64_t *records, int last)
{
	struct redo_reader *r = NULL;
	struct redo_file_hdr h;
	struct redo_record rec;
	int rc;

	rc = redo_reader_open(path, &r, &h);
	if (rc < 0) {
		printf("%s: %s\n", path, cs_strerror(rc));
		return 1;
	}
	if (h.generation != gen || (lineage && memcmp(h.lineage, lineage, 16))) {
		printf("%s: wrong generation or lineage in header\n", path);
		redo_reader_close(r);
		return 1;
	}
	if (*expect && h.first_lsn != *expect) {
		printf("%s: starts at LSN %llu, expected %llu\n", path,
		       (unsigned long long)h.first_lsn, (unsigned long long)*expect);
		redo_reader_close(r);
		return 1;
	}
	*expect = h.first_lsn;
	while ((rc = redo_reader_next(r, &rec)) == 1) {
		*expect = rec.lsn + 1;
		(*records)++;
	}
	if (rc < 0 || (redo_reader_has_tail(r) && !last)) {
		printf("%s: damaged after LSN %llu\n", path,
		       (unsigned long long)*expect - 1);
		redo_reader_close(r);
		return 1;
	}
	redo_reader_close(r);
	return 0;
}

int
main(int argc, char **argv)
{
	char *logdir, path[4096];
	uint32_t *gens = NULL;
	uint8_t lineage[16];
	struct redo_file_hdr h;
	struct redo_reader *r = NULL;
	uint64_t expect = 0, first_lsn = 0, records = 0;
	size_t n = 0, i;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: logcheck DATADIR\n");
		return 2;
	}
	logdir = fio_join(argv[1], "logs");
	if (!logdir || redo_list_generations(logdir, &gens, &n) < 0 || n == 0) {
		printf("%s: no log generations\n", argv[1]);
		return 1;
	}
	redo_path(logdir, gens[0], path, sizeof(path));
	if (redo_reader_open(path, &r, &h) < 0) {
		printf("%s: unreadable header\n", path);
		return 1;
	}
	memcpy(lineage, h.lineage, sizeof(lineage));
	first_lsn = h.first_lsn;
	redo_reader_close(r);
	for (i = 0; i < n && !bad; i++) {
		if (i > 0 && gens[i] != gens[i - 1] + 1) {
			printf("generation %08X is missing\n", gens[i - 1] + 1);
			bad = 1;
			break;
		}
		redo_path(logdir, gens[i], path, sizeof(path));
		bad = check_file(path, gens[i], lineage, &expect, &records, i + 1 == n);
	}
	if (!bad)
		printf("generations %u..%u lsn %llu..%llu records %llu\n", gens[0],
		       gens[n - 1], (unsigned long long)first_lsn,
		       (unsigned long long)expect - 1, (unsigned long long)records);
	free(gens);
	free(logdir);
	return bad;
}
