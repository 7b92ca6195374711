/*
 * fakesrv.h — test-only fake certsrvd listener for the unit tests that talk
 * to a server (test_certadm.c, test_certadm_restore.c, test_client.c): a
 * thread that accepts on a Unix socket and hands every connection to the
 * test's own serve callback, plus the temporary data directory helpers those
 * tests (and test_fileio.c, for fakesrv_rmtree) share. Linked into every
 * unit test by the top-level Makefile's generic rule, and into the two
 * libcertadm tests by lib/lib.mk.
 *
 * Guarantees: connections are served one at a time, in the listener thread,
 * each with a 20 s receive timeout; fakesrv_stop() returns only once the
 * thread has ended, is idempotent, and works whether or not the callback
 * already stopped the listener. What is served is the caller's business.
 * Every int function returns 0 or a negative errno; nothing here asserts.
 */
#ifndef CERTSRV_TESTS_FAKESRV_H
#define CERTSRV_TESTS_FAKESRV_H

#include <pthread.h>
#include <stddef.h>
#include <sys/un.h>

/* Serve one accepted connection fd (borrowed: the listener closes it after
 * the call). Return nonzero to stop listening: the listening socket is then
 * closed before fd is, and the thread ends. */
typedef int (*fakesrv_serve_fn)(void *arg, int fd);

/* The caller owns the storage (zeroed before the first start: a zeroed
 * struct may be stopped). Between fakesrv_start() and fakesrv_stop() the
 * module owns the listening socket and the thread; the fields are private. */
struct fakesrv {
	pthread_t thread;
	pthread_mutex_t mu;
	int started;              /* touched by the controlling thread only */
	int lfd;                  /* written under mu once the thread runs */
	int stop;                 /* under mu: fakesrv_stop() was called */
	int closed;               /* under mu: the callback stopped listening */
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	fakesrv_serve_fn serve;
	void *arg;                /* borrowed: must outlive fakesrv_stop() */
};

/* Listen at sock (any stale file there is not removed: bind fails) and
 * start the thread. On failure nothing is left running or open. */
int fakesrv_start(struct fakesrv *s, const char *sock, fakesrv_serve_fn serve,
		  void *arg);
/* Wake the thread (a connection to sock, or shutdown(2) of the listening
 * socket if that fails), join it, close the listening socket and unlink
 * sock. No-op if not started. */
void fakesrv_stop(struct fakesrv *s);

/* mkdtemp(tmpl) (tmpl is modified), then TMPL/run (0700); sock receives
 * TMPL/run/certsrvd.sock. On failure the directory may be left behind. */
int fakesrv_datadir(char *tmpl, char *sock, size_t socksize);
/* Remove dir and everything under it (symlinks not followed). */
int fakesrv_rmtree(const char *dir);

#endif
