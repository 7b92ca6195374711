/*
 * server.h — the daemon's shared state, its listener and connection threads.
 *
 * One thread per connection. Connections are capped in total
 * (cfg->max_connections) and per peer uid (cfg->max_connections_per_uid);
 * one over a cap gets a CS_E_BUSY error reply naming the cap and is closed,
 * so one peer flooding the socket cannot take every slot. Each connection
 * reads one message at a time, checks the peer's roles, runs the handler and
 * writes the reply. Receiving is bounded in time: the first message must be
 * complete within first_message_timeout_sec of the accept, any later one
 * within message_timeout_sec of its first byte (a peer trickling bytes is cut
 * off, whatever its rate), and the wait between messages is
 * idle_timeout_sec; a peer cut off mid-message gets a -ETIMEDOUT error reply.
 * Writes go through the commit thread; reads use the connection's own
 * read-only SQLite connection. A stop (signal or PROTO_SHUTDOWN) closes the
 * listener, lets requests in flight finish and reply, then returns.
 */
#ifndef CERTSRV_DAEMON_SERVER_H
#define CERTSRV_DAEMON_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "ca/ca.h"
#include "daemon/authz.h"
#include "daemon/config.h"
#include "store/commit.h"
#include "store/recover.h"

/* Slots in struct daemon; cfg->max_connections (at most this) are used. */
#define SERVER_MAX_CONNS CONFIG_MAX_CONNECTIONS
/* Send timeout of a reply (per send call). */
#define SERVER_IO_TIMEOUT_SEC 30

struct backup_session;

struct daemon {
	struct store_paths paths;
	struct config *cfg;
	struct commit *commit;
	struct ca_signer *signer;
	struct recover_info rinfo;
	char *crl_path;           /* DATADIR/certenroll/ca.crl */
	char *socket_path;
	char *ca_subject;
	const char *key_type;
	pthread_mutex_t crl_lock; /* one CRL publication at a time */
	int db_fd;                /* ca.db, read-only, open for the daemon's
				     whole life: the backup reads through it
				     and never closes it (I4) */
	pthread_mutex_t backup_lock;
	struct backup_session *backup_active; /* one session per CA */
	_Atomic int64_t last_ca_write_ns; /* CLOCK_MONOTONIC of the last request
					     that writes to the CA (pacing) */
	atomic_int ca_writes_in_flight;

	int listen_fd;
	int stop_fd;              /* eventfd: written to request a stop */
	atomic_int stopping;
	pthread_mutex_t conns_lock;
	pthread_cond_t conns_idle;
	int conn_fds[SERVER_MAX_CONNS]; /* -1 = free slot */
	uid_t conn_uids[SERVER_MAX_CONNS]; /* peer uid of each used slot */
	int n_conns;
};

/* A connection, owned by its thread. */
struct conn {
	struct daemon *d;
	int fd;
	int slot;
	int64_t accepted_ms;      /* CLOCK_MONOTONIC ms of the accept */
	int served;               /* messages received so far */
	struct peer peer;
	sqlite3 *reader;          /* opened on first use */
	struct backup_session *backup; /* this connection's backup session */
};

/* Bind and listen on d->socket_path (mode 0660, group from config). */
int server_listen(struct daemon *d);
/* Accept connections until a stop is requested (signalfd sig_fd readable or
 * d->stop_fd written), then wait for connection threads to finish. Returns
 * the number of connection threads still running after the wait (they may
 * still use the daemon's state, which then must not be freed), or -errno. */
int server_run(struct daemon *d, int sig_fd);
void server_request_stop(struct daemon *d);
/* The connection's reader, opened on first use. */
int conn_reader(struct conn *c, sqlite3 **db);

#endif
