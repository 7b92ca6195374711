/*
 * proto.h — the framed binary protocol between clients and certsrvd.
 *
 * A message is a 16-byte header followed by a payload of TLV fields:
 *
 *   header : magic u32 "CSRV" | version u16 | type u16 | request id u32 |
 *            payload length u32            (all big-endian)
 *   field  : tag u16 | length u32 | value[length]
 *
 * Integers inside fields are big-endian, of the width the tag defines (see
 * docs/protocol.md). Strings are UTF-8 without NUL bytes. A payload is valid
 * only if its fields exactly cover it; the decoder checks every length against
 * what is left and never reads past the payload. PROTO_MAX_PAYLOAD is a hard
 * limit on both sides.
 *
 * Replies carry the request's id and type PROTO_REPLY_OK or PROTO_REPLY_ERR;
 * an error reply holds PT_STATUS (i32, a CS_E_* or -errno code) and
 * PT_MESSAGE (a sentence for humans).
 */
#ifndef CERTSRV_COMMON_PROTO_H
#define CERTSRV_COMMON_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PROTO_MAGIC 0x43535256u /* "CSRV" */
#define PROTO_VERSION 1
#define PROTO_HDR_LEN 16
#define PROTO_MAX_PAYLOAD (16u * 1024u * 1024u)
#define PROTO_MAX_READ (4u * 1024u * 1024u) /* largest PROTO_BACKUP_READ */

enum proto_type {
	PROTO_PING = 1,
	PROTO_STATUS = 2,      /* -> PT_JSON */
	PROTO_SUBMIT = 3,      /* PT_CSR, [PT_PROFILE] -> PT_REQUEST_ID, PT_DISPOSITION, [PT_SERIAL, PT_CERT] */
	PROTO_ISSUE = 4,       /* PT_REQUEST_ID -> PT_REQUEST_ID, PT_DISPOSITION, PT_SERIAL, PT_CERT */
	PROTO_DENY = 5,        /* PT_REQUEST_ID -> PT_DISPOSITION */
	PROTO_REVOKE = 6,      /* PT_SERIAL, [PT_REASON], [PT_DATE] -> (empty) */
	PROTO_UNREVOKE = 7,    /* PT_SERIAL -> (empty) */
	PROTO_CRL_PUBLISH = 8, /* -> PT_CRL_NUMBER, PT_COUNT */
	PROTO_VIEW = 9,        /* [PT_FILTER] -> PT_JSON (array of rows) */
	PROTO_GETCERT = 10,    /* PT_REQUEST_ID or PT_SERIAL -> PT_CERT */
	PROTO_SHUTDOWN = 11,   /* -> (empty), then the server stops cleanly */

	/* Online backup (docs/protocol.md "Backup"): one session per
	 * connection, one session per CA at a time. */
	PROTO_BACKUP_PREPARE = 20,        /* PT_FLAGS, [PT_GRBIT] -> (empty) */
	PROTO_BACKUP_DATABASE_NAMES = 21, /* -> PT_LIST */
	PROTO_BACKUP_OPEN = 22,           /* PT_PATH -> PT_SIZE */
	PROTO_BACKUP_READ = 23,           /* PT_LENGTH -> PT_DATA (empty at end of file) */
	PROTO_BACKUP_CLOSE = 24,          /* -> (empty) */
	PROTO_BACKUP_LOGS = 25,           /* -> PT_LIST */
	PROTO_BACKUP_TRUNCATE = 26,       /* -> (empty) */
	PROTO_BACKUP_DYNAMIC_FILES = 27,  /* -> PT_LIST (entries untagged) */
	PROTO_BACKUP_END = 28,            /* -> (empty) */
	PROTO_RESTORE_LOCATIONS = 29,     /* -> PT_LIST */

	PROTO_REPLY_OK = 0x8000,
	PROTO_REPLY_ERR = 0x8001,
};

enum proto_tag {
	PT_CSR = 1,         /* bytes: PKCS#10, PEM or DER */
	PT_PROFILE = 2,     /* string */
	PT_REQUEST_ID = 3,  /* u64 */
	PT_SERIAL = 4,      /* string: uppercase hex */
	PT_REASON = 5,      /* u32: RFC 5280 CRLReason */
	PT_DATE = 6,        /* u64: seconds since the epoch */
	PT_DISPOSITION = 7, /* u32: 9 pending, 20 issued, 21 revoked, 30 failed, 31 denied */
	PT_CERT = 8,        /* bytes: DER certificate */
	PT_JSON = 9,        /* string: a JSON document */
	PT_STATUS = 10,     /* u32: two's complement of a negative error code */
	PT_MESSAGE = 11,    /* string */
	PT_FILTER = 12,     /* u32: a VIEW_* filter */
	PT_CRL_NUMBER = 13, /* u64 */
	PT_COUNT = 14,      /* u64 */
	PT_FLAGS = 15,      /* u32: CSBACKUP_TYPE_* / CSCONTROL_* values */
	PT_GRBIT = 16,      /* u32: the Windows API's grbitJet (must be 0) */
	PT_LIST = 17,       /* bytes: entries, each a tag byte (0: none), a
			       UTF-8 path and a NUL byte */
	PT_PATH = 18,       /* string: an absolute path */
	PT_SIZE = 19,       /* u64: a size in bytes */
	PT_LENGTH = 20,     /* u32: bytes wanted, 1..PROTO_MAX_READ */
	PT_DATA = 21,       /* bytes: file contents */
};

/* Filters of PROTO_VIEW (PT_FILTER); 0 = all rows. */
enum proto_view_filter {
	VIEW_ALL = 0,
	VIEW_ISSUED = 1,
	VIEW_REVOKED = 2,
	VIEW_PENDING = 3,
	VIEW_DENIED = 4,
	VIEW_FAILED = 5,
};

struct proto_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t req_id;
	uint32_t len;
};

void proto_hdr_encode(uint8_t out[PROTO_HDR_LEN], const struct proto_hdr *h);
/* Decode and check magic, version and len <= PROTO_MAX_PAYLOAD: 0 or CS_E_PROTO
 * (bad magic/version) or CS_E_TOOBIG. */
int proto_hdr_decode(const uint8_t in[PROTO_HDR_LEN], struct proto_hdr *h);

/* --- building a message: begin (resets the buffer), put fields, finish
 * (fills in the length). */
int proto_begin(struct buf *b, uint16_t type, uint32_t req_id);
int proto_put_bytes(struct buf *b, uint16_t tag, const void *v, size_t len);
int proto_put_str(struct buf *b, uint16_t tag, const char *s);
int proto_put_u32(struct buf *b, uint16_t tag, uint32_t v);
int proto_put_u64(struct buf *b, uint16_t tag, uint64_t v);
/* Returns CS_E_TOOBIG if the payload exceeds the maximum, -ENOMEM on OOM. */
int proto_finish(struct buf *b);

/* --- reading a payload. A reader borrows the payload memory. */
struct proto_reader {
	const uint8_t *p;
	size_t len;
};
/* Check that fields exactly cover the payload: 0 or CS_E_PROTO. Must be
 * called (and succeed) before any proto_get_*. */
int proto_validate(const uint8_t *p, size_t len);
void proto_reader_init(struct proto_reader *r, const uint8_t *p, size_t len);
/* First field with tag: 0 and *v, *len borrowed from the payload, or -ENOENT. */
int proto_get_bytes(const struct proto_reader *r, uint16_t tag,
		    const uint8_t **v, size_t *len);
/* -ENOENT if absent, CS_E_PROTO if the field has the wrong width. */
int proto_get_u32(const struct proto_reader *r, uint16_t tag, uint32_t *v);
int proto_get_u64(const struct proto_reader *r, uint16_t tag, uint64_t *v);
/* A string field as a malloc'd NUL-terminated copy (caller frees); CS_E_PROTO
 * if it contains a NUL byte or exceeds max bytes. */
int proto_get_str(const struct proto_reader *r, uint16_t tag, size_t max,
		  char **out);

/* --- socket I/O (blocking; the caller sets timeouts on the socket). */
/* Send a finished message (header + payload). */
int proto_send(int fd, const struct buf *msg);
/* Receive one message: header checked, payload read into `payload` (reset
 * first) and validated. Returns 0, -ECONNRESET on orderly EOF before a
 * header, -EPIPE on EOF inside a message, CS_E_PROTO / CS_E_TOOBIG, or -errno. */
int proto_recv(int fd, struct proto_hdr *h, struct buf *payload);

/* Build a complete error reply for req_id. */
int proto_error_reply(struct buf *b, uint32_t req_id, int code, const char *msg);

#endif
