/*
 * test_ckpt.c — unit tests of the checkpoint file (src/store/ckpt.c): round
 * trip, exact layout, and every way a damaged file is refused, on real
 * files in a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/crc32c.h"
#include "common/errors.h"
#include "store/ckpt.h"

struct fixture {
	char dir[64];
	char path[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ckpt.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ca.chk", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void sample(struct ckpt *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->lsn = 0x1122334455667788ull;
	c->generation = 0x2A;
	for (i = 0; i < REDO_LINEAGE_LEN; i++)
		c->lineage[i] = (uint8_t)(0xA0 + i);
	c->time_us = 1700000000654321ull;
}

/* Read the raw file into buf (at most n bytes); returns its length. */
static size_t slurp(const char *path, uint8_t *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	assert_true(fd >= 0);
	got = read(fd, buf, n);
	close(fd);
	assert_true(got >= 0);
	return (size_t)got;
}

static void spew(const char *path, const uint8_t *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct ckpt c, back;

	sample(&c);
	assert_int_equal(ckpt_write(f->path, &c), 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(ckpt_read(f->path, &back), 0);
	assert_int_equal(back.lsn, c.lsn);
	assert_int_equal(back.generation, c.generation);
	assert_memory_equal(back.lineage, c.lineage, REDO_LINEAGE_LEN);
	assert_int_equal(back.time_us, c.time_us);
}

static void test_overwrite_replaces(void **state)
{
	struct fixture *f = *state;
	struct ckpt c, back;

	sample(&c);
	assert_int_equal(ckpt_write(f->path, &c), 0);
	c.lsn = 99;
	c.generation = 3;
	assert_int_equal(ckpt_write(f->path, &c), 0);
	assert_int_equal(ckpt_read(f->path, &back), 0);
	assert_int_equal(back.lsn, 99);
	assert_int_equal(back.generation, 3);
}

static void test_layout_is_exact(void **state)
{
	struct fixture *f = *state;
	uint8_t raw[128];
	mode_t old = umask(0);
	struct stat st;
	struct ckpt c;
	size_t n;

	sample(&c);
	assert_int_equal(ckpt_write(f->path, &c), 0);
	umask(old);
	n = slurp(f->path, raw, sizeof(raw));
	assert_int_equal(n, 52);
	assert_memory_equal(raw, "CSRVCHK\0", 8);
	assert_int_equal(raw[8], 1);      /* version, little-endian */
	assert_int_equal(raw[12], 0x2A);  /* generation */
	assert_int_equal(raw[16], 0x88);  /* lsn, low byte first */
	assert_int_equal(raw[23], 0x11);
	assert_int_equal(raw[24], 0xA0);  /* lineage */
	assert_int_equal(raw[40], (uint8_t)c.time_us);
	assert_int_equal(raw[48] | raw[49] << 8 | raw[50] << 16 |
				 (uint32_t)raw[51] << 24,
			 crc32c(0, raw, 48));
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
}

static void test_missing_is_enoent(void **state)
{
	struct fixture *f = *state;
	struct ckpt c;

	assert_int_equal(ckpt_read(f->path, &c), -ENOENT);
}

static void test_truncated_is_corrupt(void **state)
{
	struct fixture *f = *state;
	uint8_t raw[64];
	struct ckpt c;
	size_t n;

	sample(&c);
	assert_int_equal(ckpt_write(f->path, &c), 0);
	n = slurp(f->path, raw, sizeof(raw));
	for (; n-- > 0;) {
		spew(f->path, raw, n);
		assert_int_equal(ckpt_read(f->path, &c), CS_E_CORRUPT);
	}
}

static void test_longer_file_is_corrupt(void **state)
{
	struct fixture *f = *state;
	uint8_t raw[64] = { 0 };
	struct ckpt c;

	sample(&c);
	assert_int_equal(ckpt_write(f->path, &c), 0);
	assert_int_equal(slurp(f->path, raw, sizeof(raw)), 52);
	spew(f->path, raw, 53);
	assert_int_equal(ckpt_read(f->path, &c), CS_E_CORRUPT);
}

static void test_bad_magic_is_corrupt(void **state)
{
	struct fixture *f = *state;
	uint8_t raw[64];
	struct ckpt c;
	uint32_t crc;

	sample(&c);
	assert_int_equal(ckpt_write(f->path, &c), 0);
	slurp(f->path, raw, sizeof(raw));
	memcpy(raw, "CSRVLOG", 8);
	/* Fix the crc so only the magic is wrong. */
	crc = crc32c(0, raw, 48);
	raw[48] = (uint8_t)crc;
	raw[49] = (uint8_t)(crc >> 8);
	raw[50] = (uint8_t)(crc >> 16);
	raw[51] = (uint8_t)(crc >> 24);
	spew(f->path, raw, 52);
	assert_int_equal(ckpt_read(f->path, &c), CS_E_CORRUPT);
}

static void test_bad_version_is_corrupt(void **state)
{
	struct fixture *f = *state;
	uint8_t raw[64];
	struct ckpt c;
	uint32_t crc;

	sample(&c);
	assert_int_equal(ckpt_write(f->path, &c), 0);
	slurp(f->path, raw, sizeof(raw));
	raw[8] = 2;
	crc = crc32c(0, raw, 48);
	raw[48] = (uint8_t)crc;
	raw[49] = (uint8_t)(crc >> 8);
	raw[50] = (uint8_t)(crc >> 16);
	raw[51] = (uint8_t)(crc >> 24);
	spew(f->path, raw, 52);
	assert_int_equal(ckpt_read(f->path, &c), CS_E_CORRUPT);
}

static void test_any_flipped_bit_is_corrupt(void **state)
{
	struct fixture *f = *state;
	uint8_t raw[64], bad[64];
	struct ckpt c, back;
	int i;

	sample(&c);
	assert_int_equal(ckpt_write(f->path, &c), 0);
	slurp(f->path, raw, sizeof(raw));
	for (i = 0; i < 52 * 8; i++) {
		memcpy(bad, raw, 52);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		spew(f->path, bad, 52);
		memset(&back, 0x5A, sizeof(back));
		assert_int_equal(ckpt_read(f->path, &back), CS_E_CORRUPT);
		assert_int_equal(back.lsn, 0x5A5A5A5A5A5A5A5Aull); /* untouched */
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_overwrite_replaces),
		T(test_layout_is_exact),
		T(test_missing_is_enoent),
		T(test_truncated_is_corrupt),
		T(test_longer_file_is_corrupt),
		T(test_bad_magic_is_corrupt),
		T(test_bad_version_is_corrupt),
		T(test_any_flipped_bit_is_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
