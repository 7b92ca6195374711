/*
 * canary.c — test helper with one deliberate defect per mode, run by the
 * analysis harnesses to prove that they catch what they claim to catch
 * (a harness whose tool silently did nothing would otherwise pass):
 *
 *   canary race   two threads increment one int with no lock: a data race
 *                 that scripts/run-tsan requires ThreadSanitizer to report
 *   canary leak   one allocated block is lost: scripts/run-valgrind requires
 *                 valgrind to fail the program for it
 *
 * Exits 0 after doing it (the tool, not the program, must fail); 2 on a
 * usage error. Never run by a test that expects a clean result.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int counter;             /* raced on purpose, without a lock */
static void *volatile lost;     /* volatile: the allocation cannot be elided */

static void *
bump(void *arg)
{
	(void)arg;
	counter++;
	return NULL;
}

static int
race(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, bump, NULL) != 0)
		return 1;
	counter++;
	pthread_join(t, NULL);
	printf("counter %d\n", counter);
	return 0;
}

static int
leak(void)
{
	lost = malloc(64);
	if (!lost)
		return 1;
	lost = NULL;
	printf("lost 64 bytes\n");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "race"))
		return race();
	if (argc == 2 && !strcmp(argv[1], "leak"))
		return leak();
	fprintf(stderr, "usage: canary race|leak\n");
	return 2;
}
