/*
 * fakesrv.c — test-only fake certsrvd listener for the unit tests that talk
 * to a server (see fakesrv.h): a Unix-socket accept loop in a thread that
 * hands each connection to the test's serve callback, its idempotent stop,
 * and the temporary data directory helpers.
 *
 * Guarantees: one connection at a time, each with SO_RCVTIMEO 20 s, so a
 * silent client cannot hold the thread for ever; when the callback asks to
 * stop, the listening socket is closed before the connection is (a client
 * that sees the connection end finds nobody listening, like certsrvd after a
 * SHUTDOWN); fakesrv_stop() always ends and joins the thread.
 */
#include "fakesrv.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static int stop_requested(struct fakesrv *s)
{
	int stop;

	pthread_mutex_lock(&s->mu);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* The callback asked to stop: stop listening, then the thread ends. */
static void close_listener(struct fakesrv *s)
{
	pthread_mutex_lock(&s->mu);
	close(s->lfd);
	s->lfd = -1;
	s->closed = 1;
	pthread_mutex_unlock(&s->mu);
}

static void *fakesrv_main(void *arg)
{
	struct fakesrv *s = arg;
	struct timeval tv = { .tv_sec = 20, .tv_usec = 0 };
	int fd, done = 0;

	while (!done) {
		/* lfd changes only in this thread: no lock needed to read it. */
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (stop_requested(s)) {
			close(fd);
			break;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		done = s->serve(s->arg, fd) != 0;
		if (done)
			close_listener(s);
		close(fd);
	}
	return NULL;
}

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

int fakesrv_start(struct fakesrv *s, const char *sock, fakesrv_serve_fn serve,
		  void *arg)
{
	struct sockaddr_un sa;
	int r;

	r = sock_addr(sock, &sa);
	if (r < 0)
		return r;
	memcpy(s->sock, sa.sun_path, sizeof(s->sock));
	s->serve = serve;
	s->arg = arg;
	s->stop = 0;
	s->closed = 0;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto close_fd;
	}
	if (listen(s->lfd, 8) < 0) {
		r = -errno;
		goto unlink_sock;
	}
	r = -pthread_mutex_init(&s->mu, NULL);
	if (r < 0)
		goto unlink_sock;
	r = -pthread_create(&s->thread, NULL, fakesrv_main, s);
	if (r < 0) {
		pthread_mutex_destroy(&s->mu);
		goto unlink_sock;
	}
	s->started = 1;
	return 0;
unlink_sock:
	unlink(s->sock);
close_fd:
	close(s->lfd);
	s->lfd = -1;
	return r;
}

/* Make a blocked accept() return: connect, or if that fails (the listener
 * may be closing by itself), shut the listening socket down. */
static void wake(struct fakesrv *s)
{
	struct sockaddr_un sa;
	int fd, woken = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && sock_addr(s->sock, &sa) == 0)
		woken = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	if (woken)
		return;
	pthread_mutex_lock(&s->mu);
	if (!s->closed)
		shutdown(s->lfd, SHUT_RDWR);
	pthread_mutex_unlock(&s->mu);
}

void fakesrv_stop(struct fakesrv *s)
{
	int closed;

	if (!s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	closed = s->closed;
	pthread_mutex_unlock(&s->mu);
	if (!closed)
		wake(s);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->mu);
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	unlink(s->sock);
	s->started = 0;
}

int fakesrv_datadir(char *tmpl, char *sock, size_t socksize)
{
	char run[PATH_MAX];

	if (mkdtemp(tmpl) == NULL)
		return -errno;
	if ((size_t)snprintf(run, sizeof(run), "%s/run", tmpl) >= sizeof(run) ||
	    (size_t)snprintf(sock, socksize, "%s/run/certsrvd.sock", tmpl) >=
		    socksize)
		return -ENAMETOOLONG;
	if (mkdir(run, 0700) < 0)
		return -errno;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int fakesrv_rmtree(const char *dir)
{
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return -errno;
	return 0;
}
