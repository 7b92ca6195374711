/*
 * ops.c — the certsrv commands that talk to a running certsrvd.
 *
 * Each command checks its arguments before it connects (usage errors exit 2
 * without touching the server), makes one call, and prints the result. Server
 * refusals print the server's own sentence and exit 1; an unreachable server
 * exits 3.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/serial.h"
#include "cli/cli.h"
#include "common/client.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "common/proto.h"

#define MAX_CSR_BYTES (64 * 1024)

/* One request/reply exchange. On failure prints the reason and returns the
 * exit code; on success 0 and the reply payload in *reply. */
static int
call(const struct cli *c, struct buf *req, struct buf *reply)
{
	struct cs_client *cl = NULL;
	char *msg = NULL;
	int r;

	r = client_connect(c->server, &cl);
	if (r == CS_E_OFFLINE) {
		cli_err(c, "the server is not running (%s)", cs_strerror(r));
		return EXIT_OFFLINE;
	}
	if (r < 0) {
		cli_err(c, "cannot connect: %s", cs_strerror(r));
		return EXIT_FAIL;
	}
	r = client_call(cl, req, reply, &msg);
	client_close(cl);
	if (r < 0) {
		cli_err(c, "%s", msg ? msg : cs_strerror(r));
		free(msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
begin(struct buf *b, uint16_t type)
{
	buf_init(b);
	return proto_begin(b, type, 0);
}

static int
write_pem_cert(const struct cli *c, const uint8_t *der, size_t len,
	       const char *path)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	FILE *f;
	int ok;

	if (!x) {
		cli_err(c, "the server sent an unreadable certificate");
		return EXIT_FAIL;
	}
	f = path && strcmp(path, "-") ? fopen(path, "we") : stdout;
	if (!f) {
		cli_err(c, "%s: %s", path, strerror(errno));
		X509_free(x);
		return EXIT_FAIL;
	}
	ok = PEM_write_X509(f, x) == 1;
	if (f != stdout)
		ok = (fclose(f) == 0) && ok;
	else
		ok = (fflush(f) == 0) && ok;
	X509_free(x);
	if (!ok) {
		cli_err(c, "cannot write the certificate");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Print "request N: issued, serial S" / "request N: pending"; write -o. */
static int
report_request(const struct cli *c, const struct buf *reply, const char *out)
{
	struct proto_reader rd;
	uint64_t id = 0;
	uint32_t disp = 0;
	char *serial = NULL;
	const uint8_t *der;
	size_t len;
	int rc = EXIT_OK;

	proto_reader_init(&rd, reply->data, reply->len);
	proto_get_u64(&rd, PT_REQUEST_ID, &id);
	proto_get_u32(&rd, PT_DISPOSITION, &disp);
	if (disp == 20 && proto_get_str(&rd, PT_SERIAL, 128, &serial) == 0) {
		printf("request %llu: issued, serial %s\n",
		       (unsigned long long)id, serial);
		if (out && proto_get_bytes(&rd, PT_CERT, &der, &len) == 0)
			rc = write_pem_cert(c, der, len, out);
	} else {
		printf("request %llu: %s\n", (unsigned long long)id,
		       disp == 9 ? "pending" : "denied");
	}
	free(serial);
	return rc;
}

int
cmd_submit(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *out = NULL;
	struct buf req, reply = BUF_INIT;
	uint8_t *csr = NULL;
	size_t len = 0;
	int o, r;

	while ((o = getopt_long(argc, argv, "p:o:", opts, NULL)) != -1) {
		if (o == 'p')
			profile = optarg;
		else if (o == 'o')
			out = optarg;
		else
			return EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		cli_err(c, "usage: certsrv submit CSR [--profile P] [-o CERT]");
		return EXIT_USAGE;
	}
	r = fio_read_all(strcmp(argv[optind], "-") ? argv[optind] : "/dev/stdin",
			 MAX_CSR_BYTES, &csr, &len);
	if (r < 0) {
		cli_err(c, "%s: %s", argv[optind], r == -EFBIG
			? "larger than 64 KiB; not a certificate request"
			: cs_strerror(r));
		return EXIT_USAGE;
	}
	begin(&req, PROTO_SUBMIT);
	proto_put_bytes(&req, PT_CSR, csr, len);
	if (profile)
		proto_put_str(&req, PT_PROFILE, profile);
	r = call(c, &req, &reply);
	if (r == EXIT_OK)
		r = report_request(c, &reply, out);
	free(csr);
	buf_release(&req);
	buf_release(&reply);
	return r;
}

static int
parse_id(const char *s, uint64_t *id)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0 || s[0] == '-')
		return -1;
	*id = v;
	return 0;
}

/* issue ID / deny ID */
static int
by_request_id(struct cli *c, int argc, char **argv, uint16_t type)
{
	struct buf req, reply = BUF_INIT;
	uint64_t id;
	int r;

	if (argc != 2 || parse_id(argv[1], &id) < 0) {
		cli_err(c, "usage: certsrv %s REQUEST-ID", c->cmd);
		return EXIT_USAGE;
	}
	begin(&req, type);
	proto_put_u64(&req, PT_REQUEST_ID, id);
	r = call(c, &req, &reply);
	if (r == EXIT_OK && type == PROTO_ISSUE)
		r = report_request(c, &reply, NULL);
	else if (r == EXIT_OK)
		printf("request %llu: denied\n", (unsigned long long)id);
	buf_release(&req);
	buf_release(&reply);
	return r;
}

int
cmd_issue(struct cli *c, int argc, char **argv)
{
	return by_request_id(c, argc, argv, PROTO_ISSUE);
}

int
cmd_deny(struct cli *c, int argc, char **argv)
{
	return by_request_id(c, argc, argv, PROTO_DENY);
}

/* "YYYY-MM-DDTHH:MM:SSZ" or seconds since the epoch. */
static int
parse_date(const char *s, uint64_t *out)
{
	struct tm tm;
	char *end;
	unsigned long long v;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && *end == '\0') {
		*out = (uint64_t)timegm(&tm);
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

int
cmd_revoke(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "date", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	char serial[CA_SERIAL_HEX_MAX + 8];
	struct buf req, reply = BUF_INIT;
	int reason = 0, has_date = 0, o, r;
	uint64_t date = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'r' && ca_reason_parse(optarg, &reason) == 0)
			continue;
		if (o == 'd' && parse_date(optarg, &date) == 0) {
			has_date = 1;
			continue;
		}
		cli_err(c, o == 'r' ? "unknown reason \"%s\""
			: o == 'd' ? "bad date \"%s\" (YYYY-MM-DDTHH:MM:SSZ or"
				     " seconds since the epoch)" : "bad option%s",
			o == 'r' || o == 'd' ? optarg : "");
		return EXIT_USAGE;
	}
	if (optind + 1 != argc || ca_serial_normalize(argv[optind], serial) < 0) {
		cli_err(c, "usage: certsrv revoke SERIAL [--reason R] [--date T]");
		return EXIT_USAGE;
	}
	begin(&req, PROTO_REVOKE);
	proto_put_str(&req, PT_SERIAL, serial);
	proto_put_u32(&req, PT_REASON, (uint32_t)reason);
	if (has_date)
		proto_put_u64(&req, PT_DATE, date);
	r = call(c, &req, &reply);
	if (r == EXIT_OK)
		printf("revoked %s (%s)\n", serial, ca_reason_name(reason));
	buf_release(&req);
	buf_release(&reply);
	return r;
}

int
cmd_unrevoke(struct cli *c, int argc, char **argv)
{
	char serial[CA_SERIAL_HEX_MAX + 8];
	struct buf req, reply = BUF_INIT;
	int r;

	if (argc != 2 || ca_serial_normalize(argv[1], serial) < 0) {
		cli_err(c, "usage: certsrv unrevoke SERIAL");
		return EXIT_USAGE;
	}
	begin(&req, PROTO_UNREVOKE);
	proto_put_str(&req, PT_SERIAL, serial);
	r = call(c, &req, &reply);
	if (r == EXIT_OK)
		printf("unrevoked %s\n", serial);
	buf_release(&req);
	buf_release(&reply);
	return r;
}

int
cmd_crl(struct cli *c, int argc, char **argv)
{
	struct buf req, reply = BUF_INIT;
	struct proto_reader rd;
	uint64_t number = 0, count = 0;
	int r;

	if (argc != 2 || strcmp(argv[1], "publish")) {
		cli_err(c, "usage: certsrv crl publish");
		return EXIT_USAGE;
	}
	begin(&req, PROTO_CRL_PUBLISH);
	r = call(c, &req, &reply);
	if (r == EXIT_OK) {
		proto_reader_init(&rd, reply.data, reply.len);
		proto_get_u64(&rd, PT_CRL_NUMBER, &number);
		proto_get_u64(&rd, PT_COUNT, &count);
		printf("published CRL number %llu with %llu entries\n",
		       (unsigned long long)number, (unsigned long long)count);
	}
	buf_release(&req);
	buf_release(&reply);
	return r;
}

/* Fetch a JSON document (view, status). *doc is a new reference. */
static int
fetch_json(struct cli *c, uint16_t type, int filter, json_t **doc)
{
	struct buf req, reply = BUF_INIT;
	struct proto_reader rd;
	json_error_t jerr;
	char *text = NULL;
	int r;

	*doc = NULL;
	begin(&req, type);
	if (filter >= 0)
		proto_put_u32(&req, PT_FILTER, (uint32_t)filter);
	r = call(c, &req, &reply);
	if (r == EXIT_OK) {
		proto_reader_init(&rd, reply.data, reply.len);
		if (proto_get_str(&rd, PT_JSON, PROTO_MAX_PAYLOAD, &text) == 0)
			*doc = json_loads(text, 0, &jerr);
		if (!*doc) {
			cli_err(c, "the server sent an unreadable answer");
			r = EXIT_FAIL;
		}
	}
	free(text);
	buf_release(&req);
	buf_release(&reply);
	return r;
}

static void
print_json(json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

static const char *
str_or_dash(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void
print_rows(json_t *rows)
{
	size_t i;
	json_t *row;

	printf("%-6s %-9s %-34s %-14s %s\n", "ID", "STATUS", "SERIAL",
	       "PROFILE", "SUBJECT");
	json_array_foreach(rows, i, row) {
		printf("%-6lld %-9s %-34s %-14s %s\n",
		       (long long)json_integer_value(json_object_get(row, "request_id")),
		       str_or_dash(json_object_get(row, "disposition_name")),
		       str_or_dash(json_object_get(row, "serial")),
		       str_or_dash(json_object_get(row, "profile")),
		       str_or_dash(json_object_get(row, "subject")));
	}
	printf("(%zu rows)\n", json_array_size(rows));
}

int
cmd_view(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "issued", no_argument, NULL, VIEW_ISSUED },
		{ "revoked", no_argument, NULL, VIEW_REVOKED },
		{ "pending", no_argument, NULL, VIEW_PENDING },
		{ "denied", no_argument, NULL, VIEW_DENIED },
		{ "failed", no_argument, NULL, VIEW_FAILED },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int filter = VIEW_ALL, json = 0, o, r;
	json_t *rows;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'j')
			json = 1;
		else if (o >= VIEW_ISSUED && o <= VIEW_FAILED)
			filter = o;
		else
			return EXIT_USAGE;
	}
	if (optind != argc) {
		cli_err(c, "usage: certsrv view [--issued|--revoked|--pending|"
			"--denied|--failed] [--json]");
		return EXIT_USAGE;
	}
	r = fetch_json(c, PROTO_VIEW, filter, &rows);
	if (r != EXIT_OK)
		return r;
	if (json)
		print_json(rows);
	else
		print_rows(rows);
	json_decref(rows);
	return EXIT_OK;
}

int
cmd_getcert(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	char serial[CA_SERIAL_HEX_MAX + 8];
	struct buf req, reply = BUF_INIT;
	struct proto_reader rd;
	const char *out = NULL, *arg;
	const uint8_t *der;
	size_t len;
	uint64_t id;
	int o, r;

	while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (o != 'o')
			return EXIT_USAGE;
		out = optarg;
	}
	if (optind + 1 != argc) {
		cli_err(c, "usage: certsrv getcert REQUEST-ID|SERIAL [-o CERT]");
		return EXIT_USAGE;
	}
	arg = argv[optind];
	begin(&req, PROTO_GETCERT);
	if (strlen(arg) <= 12 && strspn(arg, "0123456789") == strlen(arg) &&
	    parse_id(arg, &id) == 0) {
		proto_put_u64(&req, PT_REQUEST_ID, id);
	} else if (ca_serial_normalize(arg, serial) == 0) {
		proto_put_str(&req, PT_SERIAL, serial);
	} else {
		cli_err(c, "\"%s\" is neither a request id nor a serial number", arg);
		buf_release(&req);
		return EXIT_USAGE;
	}
	r = call(c, &req, &reply);
	if (r == EXIT_OK) {
		proto_reader_init(&rd, reply.data, reply.len);
		r = proto_get_bytes(&rd, PT_CERT, &der, &len) == 0
			    ? write_pem_cert(c, der, len, out) : EXIT_FAIL;
	}
	buf_release(&req);
	buf_release(&reply);
	return r;
}

static void
print_backup(const char *label, json_t *b)
{
	char when[64] = "never";
	struct tm tm;
	time_t t;

	if (json_is_object(b)) {
		t = (time_t)json_integer_value(json_object_get(b, "ended_at"));
		if (!gmtime_r(&t, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(when, sizeof(when), "(time %lld)", (long long)t);
		printf("%-18s %s, generations %08llX..%08llX, LSN %lld..%lld%s\n",
		       label, when,
		       (unsigned long long)json_integer_value(json_object_get(b, "gen_low")),
		       (unsigned long long)json_integer_value(json_object_get(b, "gen_high")),
		       (long long)json_integer_value(json_object_get(b, "lsn_low")),
		       (long long)json_integer_value(json_object_get(b, "lsn_high")),
		       json_is_true(json_object_get(b, "truncated")) ? ", logs truncated" : "");
	} else {
		printf("%-18s %s\n", label, when);
	}
}

static void
print_status(json_t *st)
{
	json_t *counts = json_object_get(st, "counts");
	json_t *log = json_object_get(st, "log");
	json_t *crl = json_object_get(st, "crl");
	json_t *backup = json_object_get(st, "backup");
	const char *k;
	json_t *v;

	printf("CA:                %s\n", str_or_dash(json_object_get(st, "subject")));
	printf("key:               %s\n", str_or_dash(json_object_get(st, "key_type")));
	json_object_foreach(counts, k, v)
		printf("%-18s %lld\n", k, (long long)json_integer_value(v));
	printf("log generations:   %08llX..%08llX (%lld files)%s\n",
	       (long long)json_integer_value(json_object_get(log, "first_generation")),
	       (long long)json_integer_value(json_object_get(log, "current_generation")),
	       (long long)json_integer_value(json_object_get(log, "generations")),
	       json_is_true(json_object_get(log, "circular")) ? ", circular" : "");
	printf("applied LSN:       %lld\n",
	       (long long)json_integer_value(json_object_get(log, "applied_lsn")));
	printf("checkpoint LSN:    %lld\n",
	       (long long)json_integer_value(json_object_get(log, "checkpoint_lsn")));
	printf("last CRL:          %lld\n",
	       (long long)json_integer_value(json_object_get(crl, "number")));
	print_backup("last full backup:", json_object_get(backup, "last_full"));
	print_backup("last incremental:", json_object_get(backup, "last_incremental"));
	printf("awaiting backup:   %lld bytes in %lld log generation(s)%s\n",
	       (long long)json_integer_value(json_object_get(backup, "pending_log_bytes")),
	       (long long)json_integer_value(json_object_get(backup, "pending_generations")),
	       json_is_true(json_object_get(backup, "in_progress"))
		       ? "; a backup is running now" : "");
	if (json_is_true(json_object_get(log, "failed")))
		printf("WARNING: the log writer has failed; restart certsrvd\n");
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	json_t *st;
	int r;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		cli_err(c, "usage: certsrv status [--json]");
		return EXIT_USAGE;
	}
	r = fetch_json(c, PROTO_STATUS, -1, &st);
	if (r != EXIT_OK)
		return r;
	if (argc == 2)
		print_json(st);
	else
		print_status(st);
	json_decref(st);
	return EXIT_OK;
}

int
cmd_shutdown(struct cli *c, int argc, char **argv)
{
	struct buf req, reply = BUF_INIT;
	int r;

	(void)argv;
	if (argc != 1) {
		cli_err(c, "usage: certsrv shutdown");
		return EXIT_USAGE;
	}
	begin(&req, PROTO_SHUTDOWN);
	r = call(c, &req, &reply);
	if (r == EXIT_OK)
		printf("certsrvd is stopping\n");
	buf_release(&req);
	buf_release(&reply);
	return r;
}
