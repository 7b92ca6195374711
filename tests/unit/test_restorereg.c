/*
 * test_restorereg.c — the restore registration file: round trips, the
 * readiness rules certsrvd applies at start, and strict parsing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/fileio.h"
#include "common/restorereg.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/certsrv-rreg-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void
full(struct restore_state *st)
{
	restorereg_init(st);
	st->n = 1;
	assert_int_equal(restorereg_set(&st->regs[0].backup_log_path, "/d/restore/logs"), 0);
	assert_int_equal(restorereg_set(&st->regs[0].map_from, "/old/db/ca.db"), 0);
	assert_int_equal(restorereg_set(&st->regs[0].map_to, "/d/db/ca.db"), 0);
	assert_int_equal(restorereg_set(&st->regs[0].log_path, "/d/logs"), 0);
	st->regs[0].gen_low = 3;
	st->regs[0].gen_high = 7;
}

static void
write_raw(const char *text)
{
	char *path = restorereg_path(dir), *rdir = fio_join(dir, "restore");

	assert_int_equal(fio_mkdirs(rdir, 0700), 0);
	assert_int_equal(fio_write_atomic(path, text, strlen(text), 0600), 0);
	free(path);
	free(rdir);
}

static void
test_missing_is_enoent(void **state)
{
	struct restore_state st;
	char err[256] = "";

	(void)state;
	assert_int_equal(restorereg_load(dir, &st, err, sizeof(err)), -ENOENT);
}

static void
test_round_trip(void **state)
{
	struct restore_state st, back;
	char err[256] = "";

	(void)state;
	full(&st);
	st.regs[0].complete = 1;
	st.n = 2;
	assert_int_equal(restorereg_set(&st.regs[1].backup_log_path, "/d/restore/logs"), 0);
	st.regs[1].gen_low = 8;
	st.regs[1].gen_high = 9;
	st.regs[1].status = (int32_t)0x80070005;
	st.until_time = 1764000000;
	st.until_lsn = 42;
	st.roll_forward = 0;
	assert_int_equal(restorereg_save(dir, &st), 0);
	assert_int_equal(restorereg_load(dir, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.regs[0].map_to, "/d/db/ca.db");
	assert_string_equal(back.regs[0].map_from, "/old/db/ca.db");
	assert_null(back.regs[0].checkpoint);
	assert_int_equal(back.regs[0].gen_low, 3);
	assert_int_equal(back.regs[0].gen_high, 7);
	assert_int_equal(back.regs[0].complete, 1);
	assert_null(back.regs[1].map_to);
	assert_int_equal(back.regs[1].status, (int32_t)0x80070005);
	assert_int_equal(back.until_time, 1764000000);
	assert_int_equal(back.until_lsn, 42);
	assert_int_equal(back.roll_forward, 0);
	restorereg_release(&st);
	restorereg_release(&back);
	assert_int_equal(restorereg_remove(dir), 0);
	assert_int_equal(restorereg_load(dir, &back, err, sizeof(err)), -ENOENT);
}

static void
test_readiness(void **state)
{
	struct restore_state st;
	char err[256] = "";

	(void)state;
	full(&st);
	assert_false(restorereg_ready(&st, err, sizeof(err)));
	assert_non_null(strstr(err, "never completed"));
	st.regs[0].complete = 1;
	assert_false(restorereg_ready(&st, err, sizeof(err)));
	assert_non_null(strstr(err, "never ended"));
	st.ended = 1;
	assert_true(restorereg_ready(&st, err, sizeof(err)));
	st.regs[0].status = 1;
	assert_false(restorereg_ready(&st, err, sizeof(err)));
	assert_non_null(strstr(err, "failure"));
	restorereg_release(&st);
}

static void
test_incremental_first_is_not_ready(void **state)
{
	struct restore_state st;
	char err[256] = "";

	(void)state;
	restorereg_init(&st);
	st.n = 1;
	st.ended = 1;
	st.regs[0].complete = 1;
	assert_int_equal(restorereg_set(&st.regs[0].backup_log_path, "/d/r"), 0);
	assert_false(restorereg_ready(&st, err, sizeof(err)));
	assert_non_null(strstr(err, "not a full backup"));
	restorereg_release(&st);
}

static void
test_unwritable_paths_refused(void **state)
{
	struct restore_state st;

	(void)state;
	full(&st);
	assert_int_equal(restorereg_set(&st.regs[0].log_path, "/d/lo;gs"), 0);
	assert_int_equal(restorereg_save(dir, &st), CS_E_INVALID);
	assert_int_equal(restorereg_set(&st.regs[0].log_path, "relative/logs"), 0);
	assert_int_equal(restorereg_save(dir, &st), CS_E_INVALID);
	restorereg_release(&st);
}

/* The mark certsrvd leaves when it starts carrying a restore out: kept by
 * a save of the loaded state, absent from a fresh one, strictly parsed. */
static void
test_started_mark_round_trip(void **state)
{
	static const uint8_t lin[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
					 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
					 0xee, 0xff };
	struct restore_state st, back;
	char err[256] = "";

	(void)state;
	full(&st);
	assert_int_equal(restorereg_save(dir, &st), 0);
	assert_int_equal(restorereg_load(dir, &back, err, sizeof(err)), 0);
	assert_int_equal(back.started, 0);
	restorereg_release(&back);
	st.started = 1;
	memcpy(st.image_lineage, lin, sizeof(lin));
	assert_int_equal(restorereg_save(dir, &st), 0);
	assert_int_equal(restorereg_load(dir, &back, err, sizeof(err)), 0);
	assert_int_equal(back.started, 1);
	assert_memory_equal(back.image_lineage, lin, sizeof(lin));
	restorereg_release(&st);
	restorereg_release(&back);
	write_raw("[restore]\nimage_lineage = 0011\n");
	assert_int_equal(restorereg_load(dir, &back, err, sizeof(err)), CS_E_CORRUPT);
	write_raw("[restore]\nimage_lineage = 00112233445566778899aabbccddeefg\n");
	assert_int_equal(restorereg_load(dir, &back, err, sizeof(err)), CS_E_CORRUPT);
}

static void
test_strict_parsing(void **state)
{
	static const char *const bad[] = {
		"[restore]\nformat = 2\n",
		"[restore]\nended = 2\n",
		"[restore]\nsurprise = 1\n",
		"[other]\nx = 1\n",
		"[registration 2]\ngen_low = 1\n",
		"[registration 1]\ngen_low = -1\n",
		"[registration 1]\ngen_low = 99999999999\n",
		"[registration 1]\ncomplete = yes\n",
		"not an ini line\n",
	};
	struct restore_state st;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_raw(bad[i]);
		err[0] = '\0';
		assert_int_equal(restorereg_load(dir, &st, err, sizeof(err)), CS_E_CORRUPT);
		assert_true(err[0] != '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_is_enoent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readiness, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_first_is_not_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_paths_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strict_parsing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_started_mark_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
