/*
 * replay_main.c — replays fuzz corpora without libFuzzer, for `make check`.
 *
 * Linked with one tests/fuzz/fuzz_*.c harness. Every argument is a file or a
 * directory; a directory's regular files are replayed in name order (one
 * level deep, subdirectories are not entered). Each input is passed to
 * LLVMFuzzerTestOneInput in a buffer of exactly its size, so sanitizers catch
 * any read past the end. Prints only "replayed N inputs"; exits 0, or 1 with
 * a message on stderr if an input cannot be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/errors.h"
#include "common/fileio.h"

#define REPLAY_MAX_INPUT (64u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Run one file through the harness: 0, or a negative errno. */
static int replay_file(const char *path)
{
	uint8_t *raw = NULL, *exact = NULL;
	size_t len = 0;
	int r;

	r = fio_read_all(path, REPLAY_MAX_INPUT, &raw, &len);
	if (r < 0)
		goto out;
	exact = malloc(len > 0 ? len : 1);
	if (exact == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (len > 0)
		memcpy(exact, raw, len);
	LLVMFuzzerTestOneInput(exact, len);
out:
	free(exact);
	free(raw);
	return r;
}

static int is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Replay the regular files directly inside dir; adds to *count. */
static int replay_dir(const char *dir, unsigned long *count)
{
	struct dirent **names = NULL;
	char *path;
	int n, i, r = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list %s\n", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		path = r == 0 ? fio_join(dir, names[i]->d_name) : NULL;
		if (path != NULL && is_regular(path)) {
			r = replay_file(path);
			if (r < 0)
				fprintf(stderr, "replay: %s: %s\n", path, cs_strerror(r));
			else
				(*count)++;
		} else if (path == NULL && r == 0) {
			r = -1;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	struct stat st;
	int i, r;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: cannot stat %s\n", argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			r = replay_dir(argv[i], &count);
		} else {
			r = replay_file(argv[i]);
			if (r < 0)
				fprintf(stderr, "replay: %s: %s\n", argv[i], cs_strerror(r));
			else
				count++;
		}
		if (r < 0)
			return 1;
	}
	printf("replayed %lu inputs\n", count);
	return 0;
}
