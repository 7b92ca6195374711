/*
 * fuzz_redo.c — fuzz harness for the redo log reader (src/store/redo.c).
 *
 * Each input is written to an anonymous memory file and read as a log file
 * to its end (or to the first error). The harness checks that the reader
 * never crashes, never yields a record outside the file, yields contiguous
 * LSNs, and reports an end offset within the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/fileio.h"
#include "store/redo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every record of path; abort() if the reader breaks a promise. */
static void read_log(const char *path, size_t size)
{
	struct redo_reader *r = NULL;
	struct redo_file_hdr h;
	struct redo_record rec;
	uint64_t expect;
	size_t end;
	int rc;

	if (redo_reader_open(path, &r, &h) != 0)
		return;
	expect = h.first_lsn;
	while ((rc = redo_reader_next(r, &rec)) == 1) {
		if (rec.lsn != expect++ || rec.len > REDO_MAX_PAYLOAD ||
		    (size_t)rec.offset + REDO_REC_HDR_LEN + rec.len +
				    REDO_REC_TRAILER_LEN > size)
			abort();
	}
	if (rc == 0) {
		end = (size_t)redo_reader_end(r);
		if (end < REDO_HDR_LEN || end > size ||
		    redo_reader_has_tail(r) != (end < size))
			abort();
	}
	redo_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd;

	fd = memfd_create("fuzz_redo", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fio_write_full(fd, data, size) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		read_log(path, size);
	}
	close(fd);
	return 0;
}
