/*
 * control.h — is certsrvd running for a server name, and stopping it
 * (CertSrvServerControl(CSCONTROL_SHUTDOWN), CertSrvRestorePrepare's
 * offline check), in internal codes.
 *
 * "Running" means either of:
 *   - something answers a PROTO_PING at the name's socket (an OK or an
 *     error reply) within the given time;
 *   - for a data-directory name, a process holds the flock of
 *     DATADIR/run/certsrvd.lock (certsrvd takes it before anything else and
 *     keeps it until it exits, so this also covers a daemon that is still
 *     starting, recovering or finishing its shutdown checkpoint, when it
 *     does not answer). The check takes a shared lock for an instant and
 *     releases it; it never creates the file.
 *
 * Every exchange is bounded in time (the socket's send and receive timeouts
 * are set to the remaining budget), so a daemon that accepts but never
 * answers cannot block the caller. Nothing here logs or keeps state.
 */
#ifndef CERTSRV_LIB_CONTROL_H
#define CERTSRV_LIB_CONTROL_H

/* Bounds of CertSrvServerControl(CSCONTROL_SHUTDOWN)'s wait. */
#define CONTROL_SHUTDOWN_WAIT_MS 30000u
#define CONTROL_SHUTDOWN_POLL_MS 50u
/* Bound of one PING of the offline check. */
#define CONTROL_PING_MS 5000u

/* 0 if the server name is one the client can address (a data directory or
 * "unix:PATH"), CS_E_INVALID for a remote or malformed name, -ENOMEM. */
int control_check_name(const char *server);

/* 1 if certsrvd runs for the name (see above), 0 if not, or a negative code
 * for a bad name (CS_E_INVALID) or -ENOMEM. timeout_ms bounds the PING. */
int control_daemon_running(const char *server, unsigned timeout_ms);

/* Send PROTO_SHUTDOWN, then poll every poll_ms until the daemon is no longer
 * running (control_daemon_running() == 0), at most timeout_ms in all.
 * Returns 0 once it is gone; CS_E_OFFLINE if nobody listened to begin with;
 * the server's code if it refused (CS_E_DENIED: not root nor the daemon's
 * user); -ETIMEDOUT if it still runs after timeout_ms; another transport
 * code if the SHUTDOWN exchange itself failed. */
int control_shutdown(const char *server, unsigned timeout_ms, unsigned poll_ms);

#endif
