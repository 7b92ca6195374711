/*
 * fuzz_restorereg.c — fuzz harness of the restore registration parser
 * (src/common/restorereg.c): certsrvd reads DATADIR/restore/restore.env at
 * every start, so no content may crash it. Each input becomes the file in a
 * temporary data directory (under $TMPDIR, else /tmp); a successful load
 * must then save and load back to the same state, every field of it (or be
 * refused by the saver for an unwritable path).
 * Builds with the replay main (make check) or clang -fsanitize=fuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "common/restorereg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void
check_round_trip(const char *dir, const struct restore_state *st)
{
	struct restore_state back;
	char err[256];
	size_t i;

	if (restorereg_save(dir, st) != 0)
		return;   /* refused: paths the format cannot carry */
	if (restorereg_load(dir, &back, err, sizeof(err)) != 0 || back.n != st->n ||
	    back.ended != st->ended || back.roll_forward != st->roll_forward ||
	    back.until_lsn != st->until_lsn || back.until_time != st->until_time ||
	    back.started != st->started ||
	    (st->started && memcmp(back.image_lineage, st->image_lineage,
				   sizeof(st->image_lineage))))
		abort();
	for (i = 0; i < st->n; i++)
		if (!same(back.regs[i].checkpoint, st->regs[i].checkpoint) ||
		    !same(back.regs[i].log_path, st->regs[i].log_path) ||
		    !same(back.regs[i].map_from, st->regs[i].map_from) ||
		    !same(back.regs[i].map_to, st->regs[i].map_to) ||
		    !same(back.regs[i].backup_log_path, st->regs[i].backup_log_path) ||
		    back.regs[i].gen_low != st->regs[i].gen_low ||
		    back.regs[i].gen_high != st->regs[i].gen_high ||
		    back.regs[i].complete != st->regs[i].complete ||
		    back.regs[i].status != st->regs[i].status)
			abort();
	restorereg_release(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *base = getenv("TMPDIR");
	char dir[256], *rdir, *path;
	struct restore_state st;
	char err[256];

	if (!base || base[0] != '/')
		base = "/tmp";
	snprintf(dir, sizeof(dir), "%s/fuzz-rreg-XXXXXX", base);
	if (!mkdtemp(dir))
		return 0;
	rdir = fio_join(dir, "restore");
	path = restorereg_path(dir);
	if (rdir && path && fio_mkdirs(rdir, 0700) == 0 &&
	    fio_write_atomic(path, data, size, 0600) == 0 &&
	    restorereg_load(dir, &st, err, sizeof(err)) == 0) {
		char text[8];

		(void)restorereg_ready(&st, text, sizeof(text));
		check_round_trip(dir, &st);
		restorereg_release(&st);
	}
	if (path)
		unlink(path);
	if (rdir)
		rmdir(rdir);
	rmdir(dir);
	free(rdir);
	free(path);
	return 0;
}
