/*
 * test_fileio.c — unit tests of src/common/fileio.c on real files in a
 * mkdtemp directory (one per test, removed afterwards with fakesrv_rmtree).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "common/fileio.h"
#include "fakesrv.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/test_fileio.XXXXXX", sizeof("/tmp/test_fileio.XXXXXX"));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r = fakesrv_rmtree(f->dir);

	free(f);
	return r;
}

/* Path inside the fixture directory; returned string is static per slot. */
static const char *in_dir(void **state, const char *name, int slot)
{
	static char paths[4][256];
	struct fixture *f = *state;
	int n = snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", f->dir, name);

	assert_true(n > 0 && (size_t)n < sizeof(paths[slot]));
	return paths[slot];
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static void test_write_atomic_creates(void **state)
{
	const char *p = in_dir(state, "a.txt", 0);
	struct stat st;
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(fio_write_atomic(p, "hello", 5, 0640), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(fio_read_all(p, 100, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal((char *)data, "hello");
	free(data);
}

static void test_write_atomic_replaces_without_leftovers(void **state)
{
	struct fixture *f = *state;
	const char *p = in_dir(state, "key", 0);
	struct stat st;
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(fio_write_atomic(p, "old contents", 12, 0644), 0);
	assert_int_equal(fio_write_atomic(p, "new", 3, 0600), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fio_read_all(p, 100, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "new", 3);
	free(data);
	assert_int_equal(count_entries(f->dir), 1);
}

static void test_write_new_never_replaces(void **state)
{
	struct fixture *f = *state;
	const char *p = in_dir(state, "ca.key", 0);
	struct stat st;
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(fio_write_new(p, "first", 5, 0600), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fio_write_new(p, "second", 6, 0600), -EEXIST);
	assert_int_equal(fio_read_all(p, 100, &data, &len), 0);
	assert_memory_equal(data, "first", 5);
	free(data);
	assert_int_equal(count_entries(f->dir), 1);   /* no temp file left */
}

static void test_write_atomic_missing_dir(void **state)
{
	struct fixture *f = *state;
	const char *p = in_dir(state, "nodir/file", 0);

	assert_int_equal(fio_write_atomic(p, "x", 1, 0644), -ENOENT);
	assert_int_equal(count_entries(f->dir), 0);
}

static void test_write_atomic_empty(void **state)
{
	const char *p = in_dir(state, "empty", 0);
	uint8_t *data = NULL;
	size_t len = 7;

	assert_int_equal(fio_write_atomic(p, NULL, 0, 0644), 0);
	assert_int_equal(fio_read_all(p, 10, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_non_null(data);
	assert_int_equal(data[0], 0);
	free(data);
}

static void test_read_all_limits(void **state)
{
	const char *p = in_dir(state, "big", 0);
	uint8_t content[10000];
	uint8_t *data = NULL;
	size_t len = 0;

	memset(content, 'q', sizeof(content));
	assert_int_equal(fio_write_atomic(p, content, sizeof(content), 0644), 0);
	assert_int_equal(fio_read_all(p, sizeof(content) - 1, &data, &len), -EFBIG);
	assert_null(data);
	assert_int_equal(fio_read_all(p, 0, &data, &len), -EFBIG);
	assert_int_equal(fio_read_all(p, sizeof(content), &data, &len), 0);
	assert_int_equal(len, sizeof(content));
	assert_memory_equal(data, content, sizeof(content));
	assert_int_equal(data[len], 0);
	free(data);
}

static void test_read_all_grows_past_stat(void **state)
{
	uint8_t *data = NULL;
	size_t len = 0;

	(void)state;
	/* /proc files report size 0; the reader must not trust st_size. */
	assert_int_equal(fio_read_all("/proc/self/status", 1 << 20, &data, &len), 0);
	assert_true(len > 0);
	assert_non_null(strstr((char *)data, "Name:"));
	free(data);
}

static void test_read_all_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t *data = (uint8_t *)"sentinel";
	size_t len = 1;

	assert_int_equal(fio_read_all(in_dir(state, "missing", 0), 10, &data, &len),
			 -ENOENT);
	assert_null(data);
	assert_int_equal(fio_read_all(f->dir, 10, &data, &len), -EISDIR);
	assert_null(data);
}

static void test_write_read_full(void **state)
{
	const char *p = in_dir(state, "raw", 0);
	uint8_t out[64];
	size_t got = 0;
	int fd;

	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fio_write_full(fd, "0123456789", 10), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fio_read_full(fd, out, sizeof(out), &got), 0);
	assert_int_equal(got, 10);
	assert_memory_equal(out, "0123456789", 10);
	assert_int_equal(fio_pread_full(fd, out, 4, 3, &got), 0);
	assert_int_equal(got, 4);
	assert_memory_equal(out, "3456", 4);
	assert_int_equal(fio_pread_full(fd, out, 8, 8, &got), 0);
	assert_int_equal(got, 2);
	assert_int_equal(fio_pread_full(fd, out, 8, -1, &got), -EINVAL);
	close(fd);
	assert_int_equal(fio_write_full(fd, "x", 1), -EBADF);
}

static void test_read_full_pipe_short_reads(void **state)
{
	uint8_t out[8];
	size_t got = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fio_write_full(p[1], "ab", 2), 0);
	assert_int_equal(fio_write_full(p[1], "cd", 2), 0);
	close(p[1]);
	assert_int_equal(fio_read_full(p[0], out, sizeof(out), &got), 0);
	assert_int_equal(got, 4);
	assert_memory_equal(out, "abcd", 4);
	close(p[0]);
}

static void test_mkdirs(void **state)
{
	const char *deep = in_dir(state, "a/b//c/d/", 0);
	const char *file = in_dir(state, "a/file", 1);
	const char *under = in_dir(state, "a/file/sub", 2);
	struct stat st;

	assert_int_equal(fio_mkdirs(deep, 0750), 0);
	assert_int_equal(stat(in_dir(state, "a/b/c/d", 3), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fio_mkdirs(deep, 0750), 0); /* existing is fine */
	assert_int_equal(fio_write_atomic(file, "x", 1, 0644), 0);
	assert_int_equal(fio_mkdirs(file, 0750), -ENOTDIR);
	assert_int_equal(fio_mkdirs(under, 0750), -ENOTDIR);
	assert_int_equal(fio_mkdirs("", 0750), -EINVAL);
}

static void test_join(void **state)
{
	char *s;

	(void)state;
	s = fio_join("/var/lib", "ca.db");
	assert_string_equal(s, "/var/lib/ca.db");
	free(s);
	s = fio_join("/var/lib/", "ca.db");
	assert_string_equal(s, "/var/lib/ca.db");
	free(s);
	s = fio_join("", "rel");
	assert_string_equal(s, "rel");
	free(s);
	s = fio_join("/", "x");
	assert_string_equal(s, "/x");
	free(s);
}

static void test_exists(void **state)
{
	struct fixture *f = *state;
	const char *p = in_dir(state, "e", 0);

	assert_int_equal(fio_exists(p), 0);
	assert_int_equal(fio_write_atomic(p, "1", 1, 0644), 0);
	assert_int_equal(fio_exists(p), 1);
	assert_int_equal(fio_exists(f->dir), 1);
	assert_int_equal(fio_exists(in_dir(state, "e/below", 1)), 0);
}

static void test_fsync_dirs(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fio_fsync_dir(f->dir), 0);
	assert_int_equal(fio_fsync_parent(in_dir(state, "whatever", 0)), 0);
	assert_int_equal(fio_fsync_parent("relative-name"), 0);
	assert_int_equal(fio_fsync_parent("/etc"), 0);
	assert_int_equal(fio_fsync_dir(in_dir(state, "missing", 1)), -ENOENT);
}

/* Write-behind: nothing below one window; past it, writeback of the new
 * window starts and the previous one is waited for; the bytes are intact. */
static void test_write_behind(void **state)
{
	static char chunk[1u << 20];
	struct fio_behind wb = { 0, 0 };
	const char *path = in_dir(state, "behind", 0);
	uint64_t written = 0, first = 0;
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t i;

	assert_true(fd >= 0);
	memset(chunk, 0x5A, sizeof(chunk));
	for (i = 0; i < 2 * FIO_WRITE_BEHIND / sizeof(chunk) + 1; i++) {
		assert_int_equal(fio_write_full(fd, chunk, sizeof(chunk)), 0);
		written += sizeof(chunk);
		fio_write_behind(fd, &wb, written);
		if (written < FIO_WRITE_BEHIND) {
			assert_int_equal(wb.started, 0);
		} else if (first == 0) {
			first = written; /* the first window started */
			assert_int_equal(wb.started, written);
			assert_int_equal(wb.waited, 0);
		}
	}
	assert_true(first > 0);
	assert_true(wb.started > first); /* a second window started ... */
	assert_int_equal(wb.waited, first); /* ... once the first was done */
	fio_write_behind(fd, &wb, written); /* less than a window: no change */
	assert_true(wb.started <= written);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((uint64_t)st.st_size, written);
}

/* fio_give_beneath: what it gives, and the paths it refuses. The uid:gid
 * given is the file's own unless the test runs as root (then nobody's, so
 * that the change is seen). */
static void test_give_beneath(void **state)
{
	struct fixture *f = *state;
	uid_t uid = geteuid() == 0 ? 65534 : geteuid();
	gid_t gid = geteuid() == 0 ? 65534 : getegid();
	char path[128], other[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/sub", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/file", f->dir);
	assert_int_equal(fio_write_atomic(path, "x", 1, 0600), 0);

	assert_int_equal(fio_give_beneath(f->dir, "sub", uid, gid), 0);
	assert_int_equal(fio_give_beneath(f->dir, "sub/file", uid, gid), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);

	/* Refused: absolute, empty, "." and ".." components, missing. */
	assert_int_equal(fio_give_beneath(f->dir, path, uid, gid), -EINVAL);
	assert_int_equal(fio_give_beneath(f->dir, "", uid, gid), -EINVAL);
	assert_int_equal(fio_give_beneath(f->dir, "sub/../sub/file", uid, gid), -EINVAL);
	assert_int_equal(fio_give_beneath(f->dir, "./sub", uid, gid), -EINVAL);
	assert_int_equal(fio_give_beneath(f->dir, "sub//file", uid, gid), -EINVAL);
	assert_int_equal(fio_give_beneath(f->dir, "sub/none", uid, gid), -ENOENT);

	/* A symbolic link, last or on the way, is never followed. */
	snprintf(other, sizeof(other), "%s/link", f->dir);
	assert_int_equal(symlink("sub/file", other), 0);
	assert_int_equal(fio_give_beneath(f->dir, "link", uid, gid), -ELOOP);
	snprintf(other, sizeof(other), "%s/dirlink", f->dir);
	assert_int_equal(symlink("sub", other), 0);
	assert_int_equal(fio_give_beneath(f->dir, "dirlink/file", uid, gid), -ELOOP);

	/* A file with another hard link is not given away. */
	snprintf(other, sizeof(other), "%s/hard", f->dir);
	assert_int_equal(link(path, other), 0);
	assert_int_equal(fio_give_beneath(f->dir, "sub/file", uid, gid), -EMLINK);

	/* Other file types are refused. */
	snprintf(other, sizeof(other), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(other, 0600), 0);
	assert_int_equal(fio_give_beneath(f->dir, "fifo", uid, gid), -EINVAL);
}

/* fio_datadir_owner: something to do only for root in a directory that
 * belongs to another user. */
static void test_datadir_owner(void **state)
{
	struct fixture *f = *state;
	uid_t uid = 0;
	gid_t gid = 0;

	assert_int_equal(fio_datadir_owner(f->dir, &uid, &gid), 0);
	if (geteuid() != 0) {
		assert_int_equal(fio_datadir_owner("/nonexistent-dir", &uid, &gid), 0);
		return;
	}
	assert_int_equal(fio_datadir_owner("/nonexistent-dir", &uid, &gid), -ENOENT);
	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	assert_int_equal(fio_datadir_owner(f->dir, &uid, &gid), 1);
	assert_int_equal(uid, 65534);
	assert_int_equal(gid, 65534);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_atomic_creates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_replaces_without_leftovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_new_never_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_all_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_all_grows_past_stat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_all_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_full_pipe_short_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_beneath, setup, teardown),
		cmocka_unit_test_setup_teardown(test_datadir_owner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
