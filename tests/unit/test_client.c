/*
 * test_client.c — unit tests of src/common/client.c: server-name resolution,
 * connection failures, and calls against a small server (the shared fake
 * listener fakesrv.c, serving one connection with serve_one below) listening
 * on DATADIR/run/certsrvd.sock in a mkdtemp data directory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/client.h"
#include "common/errors.h"
#include "common/proto.h"
#include "fakesrv.h"

struct fixture {
	char dir[64];
	char sock[128];
	struct fakesrv srv;
};

/*
 * The fakesrv callback: serves one connection, then stops listening; one
 * reply per request, by type:
 *   PING     -> OK with PT_COUNT = the request id it saw
 *   DENY     -> error CS_E_DENIED "nope"
 *   STATUS   -> error -EACCES without PT_MESSAGE
 *   VIEW     -> OK but with request id + 1000
 *   REVOKE   -> a reply of type PROTO_PING (not a reply type)
 *   SHUTDOWN -> closes the connection without replying
 */
static int serve_one(void *arg, int fd)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct proto_hdr h;

	(void)arg;
	while (proto_recv(fd, &h, &in) == 0) {
		if (h.type == PROTO_SHUTDOWN)
			break;
		switch (h.type) {
		case PROTO_PING:
			proto_begin(&out, PROTO_REPLY_OK, h.req_id);
			proto_put_u64(&out, PT_COUNT, h.req_id);
			break;
		case PROTO_DENY:
			proto_error_reply(&out, h.req_id, CS_E_DENIED, "nope");
			break;
		case PROTO_STATUS:
			proto_begin(&out, PROTO_REPLY_ERR, h.req_id);
			proto_put_u32(&out, PT_STATUS, (uint32_t)0 - (uint32_t)EACCES);
			break;
		case PROTO_VIEW:
			proto_begin(&out, PROTO_REPLY_OK, h.req_id + 1000);
			break;
		default:
			proto_begin(&out, PROTO_PING, h.req_id);
			break;
		}
		if (proto_finish(&out) < 0 || proto_send(fd, &out) < 0)
			break;
	}
	buf_release(&in);
	buf_release(&out);
	return 1;
}

/* A data directory with an empty run/; no server yet (the struct is zeroed,
 * so teardown may stop it either way). */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/test_client.XXXXXX", sizeof("/tmp/test_client.XXXXXX"));
	if (fakesrv_datadir(f->dir, f->sock, sizeof(f->sock)) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Listen at DATADIR/run/certsrvd.sock and start the server thread. */
static void start_server(struct fixture *f)
{
	assert_int_equal(fakesrv_start(&f->srv, f->sock, serve_one, NULL), 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r;

	fakesrv_stop(&f->srv);
	r = fakesrv_rmtree(f->dir);
	free(f);
	return r;
}

static void check_data_dir(const char *server, const char *want)
{
	char *dir = (char *)"sentinel";

	assert_int_equal(client_data_dir(server, &dir), 0);
	assert_non_null(dir);
	assert_string_equal(dir, want);
	free(dir);
}

static void test_default_names(void **state)
{
	char host[256];

	(void)state;
	assert_int_equal(unsetenv("CERTSRV_DATA_DIR"), 0);
	check_data_dir(NULL, CERTSRV_DEFAULT_DATA_DIR);
	check_data_dir("", CERTSRV_DEFAULT_DATA_DIR);
	check_data_dir("localhost", CERTSRV_DEFAULT_DATA_DIR);
	check_data_dir("LocalHost", CERTSRV_DEFAULT_DATA_DIR);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	check_data_dir(host, CERTSRV_DEFAULT_DATA_DIR);
	assert_int_equal(setenv("CERTSRV_DATA_DIR", "", 1), 0);
	check_data_dir(NULL, CERTSRV_DEFAULT_DATA_DIR);
	assert_int_equal(setenv("CERTSRV_DATA_DIR", "/srv/pki", 1), 0);
	check_data_dir(NULL, "/srv/pki");
	check_data_dir("localhost", "/srv/pki");
	check_data_dir(host, "/srv/pki");
	assert_int_equal(unsetenv("CERTSRV_DATA_DIR"), 0);
}

static void test_path_names(void **state)
{
	(void)state;
	check_data_dir("/srv/ca", "/srv/ca");
	check_data_dir("./ca", "./ca");
	check_data_dir("../ca", "../ca");
	check_data_dir(".", ".");
}

static void test_unix_and_invalid_names(void **state)
{
	char *out = (char *)"sentinel";

	(void)state;
	assert_int_equal(client_data_dir("unix:/run/x.sock", &out), 0);
	assert_null(out);
	out = (char *)"sentinel";
	assert_int_equal(client_data_dir("unix:", &out), CS_E_INVALID);
	assert_null(out);
	assert_int_equal(client_data_dir("ca.example.com", &out), CS_E_INVALID);
	assert_int_equal(client_data_dir("ca.example.com:8443", &out), CS_E_INVALID);
	assert_int_equal(client_data_dir("relative/dir", &out), CS_E_INVALID);
	assert_int_equal(client_socket_path("remote", &out), CS_E_INVALID);
	assert_null(out);
}

static void test_socket_paths(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(client_socket_path("/srv/ca", &out), 0);
	assert_string_equal(out, "/srv/ca/run/certsrvd.sock");
	free(out);
	assert_int_equal(client_socket_path("/srv/ca/", &out), 0);
	assert_string_equal(out, "/srv/ca/run/certsrvd.sock");
	free(out);
	assert_int_equal(client_socket_path("unix:/tmp/s.sock", &out), 0);
	assert_string_equal(out, "/tmp/s.sock");
	free(out);
	assert_int_equal(unsetenv("CERTSRV_DATA_DIR"), 0);
	assert_int_equal(client_socket_path(NULL, &out), 0);
	assert_string_equal(out, CERTSRV_DEFAULT_DATA_DIR "/run/certsrvd.sock");
	free(out);
}

static void test_connect_offline(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cs_client *c = (struct cs_client *)&sa;
	char name[160];
	int fd;

	/* No socket file at all. */
	assert_int_equal(client_connect(f->dir, &c), CS_E_OFFLINE);
	assert_null(c);
	/* A stale socket file nobody listens on. */
	memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(client_connect(f->dir, &c), CS_E_OFFLINE);
	snprintf(name, sizeof(name), "unix:%s", f->sock);
	assert_int_equal(client_connect(name, &c), CS_E_OFFLINE);
	assert_null(c);
}

static void test_connect_bad_names(void **state)
{
	struct cs_client *c = NULL;
	char longname[200];

	(void)state;
	assert_int_equal(client_connect("remote.example", &c), CS_E_INVALID);
	assert_null(c);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(client_connect(longname, &c), -ENAMETOOLONG);
	client_close(NULL);
}

static void test_connect_sets_timeouts(void **state)
{
	struct fixture *f = *state;
	struct cs_client *c = NULL;
	struct timeval tv;
	socklen_t len = sizeof(tv);

	start_server(f);
	assert_int_equal(client_connect(f->dir, &c), 0);
	assert_true(client_fd(c) >= 0);
	assert_int_equal(getsockopt(client_fd(c), SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
	assert_int_equal(tv.tv_sec, 300);
	len = sizeof(tv);
	assert_int_equal(getsockopt(client_fd(c), SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
	assert_int_equal(tv.tv_sec, 300);
	client_close(c);
}

static void test_call_ok_increasing_ids(void **state)
{
	struct fixture *f = *state;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct proto_reader r;
	struct cs_client *c = NULL;
	char *msg = (char *)"sentinel";
	uint64_t id1 = 0, id2 = 0;

	start_server(f);
	assert_int_equal(client_connect(f->dir, &c), 0);
	assert_int_equal(proto_begin(&req, PROTO_PING, 0), 0);
	assert_int_equal(client_call(c, &req, &reply, &msg), 0);
	assert_null(msg);
	proto_reader_init(&r, reply.data, reply.len);
	assert_int_equal(proto_get_u64(&r, PT_COUNT, &id1), 0);
	assert_int_equal(proto_begin(&req, PROTO_PING, 0), 0);
	assert_int_equal(client_call(c, &req, &reply, NULL), 0);
	proto_reader_init(&r, reply.data, reply.len);
	assert_int_equal(proto_get_u64(&r, PT_COUNT, &id2), 0);
	assert_true(id1 >= 1);
	assert_true(id2 > id1);
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
}

static void test_call_error_replies(void **state)
{
	struct fixture *f = *state;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;
	char *msg = NULL;

	start_server(f);
	assert_int_equal(client_connect(f->dir, &c), 0);
	assert_int_equal(proto_begin(&req, PROTO_DENY, 0), 0);
	assert_int_equal(proto_put_u64(&req, PT_REQUEST_ID, 5), 0);
	assert_int_equal(client_call(c, &req, &reply, &msg), CS_E_DENIED);
	assert_string_equal(msg, "nope");
	free(msg);
	/* Without PT_MESSAGE the sentence comes from cs_strerror. */
	assert_int_equal(proto_begin(&req, PROTO_STATUS, 0), 0);
	assert_int_equal(client_call(c, &req, &reply, &msg), -EACCES);
	assert_string_equal(msg, cs_strerror(-EACCES));
	free(msg);
	/* Error replies leave the connection usable. */
	assert_int_equal(proto_begin(&req, PROTO_PING, 0), 0);
	assert_int_equal(client_call(c, &req, &reply, NULL), 0);
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
}

static void test_call_wrong_request_id(void **state)
{
	struct fixture *f = *state;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;
	char *msg = (char *)"sentinel";

	start_server(f);
	assert_int_equal(client_connect(f->dir, &c), 0);
	assert_int_equal(proto_begin(&req, PROTO_VIEW, 0), 0);
	assert_int_equal(client_call(c, &req, &reply, &msg), CS_E_PROTO);
	assert_null(msg);
	/* The stream can no longer be trusted. */
	assert_int_equal(proto_begin(&req, PROTO_PING, 0), 0);
	assert_int_equal(client_call(c, &req, &reply, NULL), -ENOTCONN);
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
}

static void test_call_non_reply_type(void **state)
{
	struct fixture *f = *state;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;

	start_server(f);
	assert_int_equal(client_connect(f->dir, &c), 0);
	assert_int_equal(proto_begin(&req, PROTO_REVOKE, 0), 0);
	assert_int_equal(client_call(c, &req, &reply, NULL), CS_E_PROTO);
	client_close(c);
	buf_release(&req);
	buf_release(&reply);
}

static void test_call_server_hangs_up(void **state)
{
	struct fixture *f = *state;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;
	char *name = NULL;

	start_server(f);
	assert_true(asprintf(&name, "unix:%s", f->sock) > 0);
	assert_int_equal(client_connect(name, &c), 0);
	assert_int_equal(proto_begin(&req, PROTO_SHUTDOWN, 0), 0);
	assert_int_equal(client_call(c, &req, &reply, NULL), -ECONNRESET);
	client_close(c);
	free(name);
	buf_release(&req);
	buf_release(&reply);
}

static void test_call_rejects_unbegun_request(void **state)
{
	struct fixture *f = *state;
	struct buf req = BUF_INIT, reply = BUF_INIT;
	struct cs_client *c = NULL;

	start_server(f);
	assert_int_equal(client_connect(f->dir, &c), 0);
	assert_int_equal(client_call(c, &req, &reply, NULL), CS_E_INVALID);
	client_close(c);
	buf_release(&reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_names),
		cmocka_unit_test(test_path_names),
		cmocka_unit_test(test_unix_and_invalid_names),
		cmocka_unit_test(test_socket_paths),
		cmocka_unit_test_setup_teardown(test_connect_offline, setup, teardown),
		cmocka_unit_test(test_connect_bad_names),
		cmocka_unit_test_setup_teardown(test_connect_sets_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_ok_increasing_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_error_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_wrong_request_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_non_reply_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_server_hangs_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_rejects_unbegun_request, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
