/*
 * fuzz_logscan.c — differential fuzz harness of the two readers of the redo
 * log format: the file reader certsrvd, restore and `certsrv verify-backup`
 * use (redo_reader_*, src/store/redo.c) and the streaming check
 * `certsrv backup` runs on every log as its bytes pass through the manifest
 * builder (manifest_file_data with MF_LOG, src/cli/manifest.c).
 *
 * Each input is one log file, DataBase/caXXXXXXXX.log, named for the
 * generation its header claims (generation 1 when the header does not
 * decode). The streaming check must accept it exactly when the file reader
 * opens it, reads records with contiguous LSNs up to its end and finds no
 * bytes after the last record (no torn tail, no damaged record); and its
 * verdict must not depend on how the bytes are cut: the file is fed once
 * whole and once in small pieces of varying sizes. An accepted log gives the
 * manifest its generation. Any disagreement aborts. Builds with the replay
 * main (make check) or clang -fsanitize=fuzzer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/manifest.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "store/redo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* 1 if the file reader reads the whole file cleanly; *gen: the header's
 * generation (1 if the header does not decode). */
static int reader_clean(const uint8_t *data, size_t size, uint32_t *gen)
{
	struct redo_reader *r = NULL;
	struct redo_file_hdr h;
	struct redo_record rec;
	char path[64];
	int fd, rc, clean = 0;

	*gen = 1;
	fd = memfd_create("fuzz_logscan", MFD_CLOEXEC);
	check(fd >= 0);
	check(fio_write_full(fd, data, size) == 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (redo_reader_open(path, &r, &h) == 0) {
		*gen = h.generation;
		while ((rc = redo_reader_next(r, &rec)) == 1)
			;
		clean = rc == 0 && !redo_reader_has_tail(r);
		redo_reader_close(r);
	}
	close(fd);
	return clean;
}

/* The streaming check's verdict: 1 accepted, 0 refused, -1 the name was
 * refused (no verdict on the content). step 0: all at once. */
static int scan(const uint8_t *data, size_t size, uint32_t gen, size_t step)
{
	struct manifest *m = NULL;
	char rel[64];
	uint32_t low, high;
	size_t off = 0, n, i = 0;
	int r;

	check(manifest_new("full", 0, &m) == 0);
	snprintf(rel, sizeof(rel), "DataBase/ca%08X.log", gen);
	r = manifest_file_begin(m, rel, size, MF_LOG);
	if (r == CS_E_INVALID) {
		manifest_free(m);
		return -1;
	}
	check(r == 0);
	while (r == 0 && off < size) {
		n = step ? 1 + (i++ * step) % 61 : size;
		if (n > size - off)
			n = size - off;
		r = manifest_file_data(m, data + off, n);
		off += n;
	}
	if (r == 0)
		r = manifest_file_end(m);
	check(r == 0 || r == CS_E_CORRUPT || r == CS_E_GAP || r == CS_E_LINEAGE);
	check(r == 0 || manifest_error(m)[0] != '\0');
	if (r == 0) {
		manifest_generations(m, &low, &high);
		check(low == gen && high == gen);
	}
	manifest_free(m);
	return r == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t gen;
	int clean, whole, pieces;

	clean = reader_clean(data, size, &gen);
	whole = scan(data, size, gen, 0);
	pieces = scan(data, size, gen, 7);
	check(whole == pieces);
	if (whole >= 0)
		check(whole == clean);
	return 0;
}
