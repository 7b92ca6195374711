/*
 * manifest.c — builds the manifest.json of a backup set from the bytes of
 * its files as they stream by (see manifest.h; format in docs/formats.md,
 * "Backup set").
 *
 * Invariants:
 *  - at most one file is open in the builder; its SHA-256 covers exactly the
 *    bytes fed, and it is listed only if that count equals the announced size;
 *  - a log file is accepted only if its header and every record check out and
 *    it ends exactly after its last record; successive logs must continue
 *    each other (generation + 1, same lineage, LSN + 1), so the manifest's
 *    gen/LSN ranges describe a chain without gaps;
 *  - the rendered text always holds the self checksum of the rest of it;
 *  - manifest_parse() only reads the text it is given (never a file) and
 *    returns a manifest only if every check of manifest.h passed.
 */
#include "cli/manifest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/issue.h"
#include "common/buf.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "store/redo.h"

#define CA_CERT_MAX (1024 * 1024) /* a CA certificate is a few KiB */

/* Where the streaming log check is: collecting the file header, a record
 * header, a record's payload, or its crc trailer. */
enum scan_phase { SC_HEADER, SC_REC_HDR, SC_PAYLOAD, SC_TRAILER };

struct log_scan {
	enum scan_phase phase;
	uint8_t hold[REDO_HDR_LEN]; /* the fixed-size piece being collected */
	size_t held;
	uint32_t gen;               /* from the file name */
	uint32_t crc;               /* running crc32c of the current record */
	uint64_t left;              /* payload bytes still to come */
	uint64_t rec_lsn;
};

struct manifest {
	char type[16];
	time_t created;
	json_t *files;
	char err[512];
	/* the file being fed */
	char *path;
	uint64_t want, got;
	enum mf_kind kind;
	EVP_MD_CTX *md;
	struct log_scan scan;
	struct buf cert;
	/* the log chain so far */
	size_t n_logs;
	uint32_t gen_low, gen_high;
	uint8_t lineage[REDO_LINEAGE_LEN];
	uint64_t lsn_low, lsn_high, next_lsn;
	/* the CA */
	char *subject;
	char key_id[2 * EVP_MAX_MD_SIZE + 1];
};

static int
fail(struct manifest *m, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct manifest *m, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return code;
}

int
manifest_new(const char *type, time_t created, struct manifest **out)
{
	struct manifest *m;

	*out = NULL;
	if (strcmp(type, "full") && strcmp(type, "incremental"))
		return CS_E_INVALID;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->type, sizeof(m->type), "%s", type);
	m->created = created;
	m->files = json_array();
	m->md = EVP_MD_CTX_new();
	buf_init(&m->cert);
	if (!m->files || !m->md) {
		manifest_free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void
manifest_free(struct manifest *m)
{
	if (!m)
		return;
	json_decref(m->files);
	EVP_MD_CTX_free(m->md);
	buf_release(&m->cert);
	free(m->path);
	free(m->subject);
	free(m);
}

const char *
manifest_error(const struct manifest *m)
{
	return m->err;
}

const char *
manifest_subject(const struct manifest *m)
{
	return m->subject;
}

void
manifest_generations(const struct manifest *m, uint32_t *low, uint32_t *high)
{
	*low = m->n_logs ? m->gen_low : 0;
	*high = m->n_logs ? m->gen_high : 0;
}

/* ------------------------------------------------------------ log check */

static size_t
phase_len(enum scan_phase p)
{
	return p == SC_HEADER ? REDO_HDR_LEN
	       : p == SC_REC_HDR ? REDO_REC_HDR_LEN : REDO_REC_TRAILER_LEN;
}

/* The 64-byte header is complete: check it and chain it to the last log. */
static int
scan_header(struct manifest *m)
{
	struct redo_file_hdr h;

	if (redo_hdr_decode(m->scan.hold, &h) < 0)
		return fail(m, CS_E_CORRUPT, "%s: not a valid log header", m->path);
	if (h.generation != m->scan.gen)
		return fail(m, CS_E_CORRUPT, "%s: its header says generation %08X",
			    m->path, h.generation);
	if (m->n_logs == 0) {
		memcpy(m->lineage, h.lineage, sizeof(m->lineage));
		m->lsn_low = h.first_lsn;
		m->lsn_high = h.first_lsn - 1;
		m->next_lsn = h.first_lsn;
	} else if (memcmp(m->lineage, h.lineage, sizeof(m->lineage))) {
		return fail(m, CS_E_LINEAGE, "%s belongs to another database"
			    " lineage than the first log of the set", m->path);
	} else if (h.first_lsn != m->next_lsn) {
		return fail(m, CS_E_GAP, "%s starts at LSN %llu, expected %llu",
			    m->path, (unsigned long long)h.first_lsn,
			    (unsigned long long)m->next_lsn);
	}
	m->scan.phase = SC_REC_HDR;
	return 0;
}

static int
scan_record_header(struct manifest *m)
{
	struct log_scan *s = &m->scan;
	uint32_t len = le32_load(s->hold);

	s->rec_lsn = le64_load(s->hold + 8);
	if (len > REDO_MAX_PAYLOAD)
		return fail(m, CS_E_CORRUPT, "%s: a record after LSN %llu has an"
			    " impossible length", m->path,
			    (unsigned long long)m->next_lsn - 1);
	if (s->rec_lsn != m->next_lsn)
		return fail(m, CS_E_GAP, "%s: record LSN %llu where %llu was"
			    " expected", m->path, (unsigned long long)s->rec_lsn,
			    (unsigned long long)m->next_lsn);
	s->crc = crc32c(0, s->hold, REDO_REC_HDR_LEN);
	s->left = len;
	s->phase = len ? SC_PAYLOAD : SC_TRAILER;
	return 0;
}

static int
scan_trailer(struct manifest *m)
{
	struct log_scan *s = &m->scan;

	if (le32_load(s->hold) != s->crc)
		return fail(m, CS_E_CORRUPT, "%s: record LSN %llu fails its crc",
			    m->path, (unsigned long long)s->rec_lsn);
	m->lsn_high = s->rec_lsn;
	m->next_lsn = s->rec_lsn + 1;
	s->phase = SC_REC_HDR;
	return 0;
}

/* A fixed-size piece (header, record header, trailer) is complete. */
static int
scan_piece(struct manifest *m)
{
	enum scan_phase p = m->scan.phase;

	m->scan.held = 0;
	if (p == SC_HEADER)
		return scan_header(m);
	if (p == SC_REC_HDR)
		return scan_record_header(m);
	return scan_trailer(m);
}

static int
scan_feed(struct manifest *m, const uint8_t *p, size_t n)
{
	struct log_scan *s = &m->scan;
	size_t take;
	int r;

	while (n > 0) {
		if (s->phase == SC_PAYLOAD) {
			take = n < s->left ? n : (size_t)s->left;
			s->crc = crc32c(s->crc, p, take);
			s->left -= take;
			if (s->left == 0)
				s->phase = SC_TRAILER;
		} else {
			take = phase_len(s->phase) - s->held;
			take = n < take ? n : take;
			memcpy(s->hold + s->held, p, take);
			s->held += take;
			if (s->held == phase_len(s->phase) && (r = scan_piece(m)) < 0)
				return r;
		}
		p += take;
		n -= take;
	}
	return 0;
}

/* ---------------------------------------------------------- CA certificate */

static X509 *
parse_cert(const struct buf *b)
{
	const unsigned char *p = b->data;
	BIO *bio;
	X509 *x;

	bio = BIO_new_mem_buf(b->data, (int)b->len);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!x)
		x = d2i_X509(NULL, &p, (long)b->len);
	return x;
}

/* Subject (as the server prints it) and key id (SHA-1 of the
 * subjectPublicKey bits, RFC 5280 4.2.1.2 method 1) of the CA. */
static int
take_cert(struct manifest *m)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *x = parse_cert(&m->cert);
	int r = 0;

	if (!x)
		return fail(m, CS_E_CORRUPT, "%s is not a certificate", m->path);
	free(m->subject);
	m->subject = ca_name_oneline(X509_get_subject_name(x));
	if (!m->subject ||
	    X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) != 1)
		r = fail(m, CS_E_INTERNAL, "%s: cannot read its subject and key",
			 m->path);
	else
		buf_hex(md, mdlen, m->key_id);
	X509_free(x);
	return r;
}

/* ----------------------------------------------------------------- files */

static int
log_begin(struct manifest *m)
{
	const char *base = strrchr(m->path, '/');
	uint32_t gen;

	base = base ? base + 1 : m->path;
	if (!redo_parse_name(base, &gen))
		return fail(m, CS_E_INVALID, "%s is not named like a log"
			    " generation (caXXXXXXXX.log)", m->path);
	if (m->n_logs > 0 && gen != m->gen_high + 1)
		return fail(m, CS_E_GAP, "%s does not follow generation %08X",
			    m->path, m->gen_high);
	memset(&m->scan, 0, sizeof(m->scan));
	m->scan.gen = gen;
	return 0;
}

int
manifest_file_begin(struct manifest *m, const char *relpath, uint64_t size,
		    enum mf_kind kind)
{
	if (m->path)
		return fail(m, CS_E_INVALID, "%s is still open", m->path);
	if (kind == MF_CA_CERT && size > CA_CERT_MAX)
		return fail(m, CS_E_TOOBIG, "%s is too large for a certificate",
			    relpath);
	m->path = strdup(relpath);
	if (!m->path)
		return fail(m, -ENOMEM, "out of memory");
	m->want = size;
	m->got = 0;
	m->kind = kind;
	buf_reset(&m->cert);
	if (EVP_DigestInit_ex(m->md, EVP_sha256(), NULL) != 1)
		return fail(m, CS_E_INTERNAL, "SHA-256 is not available");
	return kind == MF_LOG ? log_begin(m) : 0;
}

int
manifest_file_data(struct manifest *m, const void *data, size_t len)
{
	if (!m->path)
		return fail(m, CS_E_INVALID, "no file is open in the manifest");
	if (len > m->want - m->got)
		return fail(m, CS_E_CORRUPT, "%s is longer than the %llu bytes"
			    " announced", m->path, (unsigned long long)m->want);
	m->got += len;
	if (EVP_DigestUpdate(m->md, data, len) != 1)
		return fail(m, CS_E_INTERNAL, "SHA-256 failed");
	if (m->kind == MF_LOG)
		return scan_feed(m, data, len);
	if (m->kind == MF_CA_CERT && buf_append(&m->cert, data, len) < 0)
		return fail(m, -ENOMEM, "out of memory");
	return 0;
}

/* The log ended: it must end exactly after a record. */
static int
log_end(struct manifest *m)
{
	if (m->scan.phase != SC_REC_HDR || m->scan.held != 0)
		return fail(m, CS_E_CORRUPT, "%s ends inside a %s", m->path,
			    m->scan.phase == SC_HEADER ? "file header" : "record");
	if (m->n_logs++ == 0)
		m->gen_low = m->scan.gen;
	m->gen_high = m->scan.gen;
	return 0;
}

static int
list_file(struct manifest *m)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int mdlen = 0;
	json_t *f;

	if (EVP_DigestFinal_ex(m->md, md, &mdlen) != 1)
		return fail(m, CS_E_INTERNAL, "SHA-256 failed");
	buf_hex(md, mdlen, hex);
	f = json_pack("{s:s, s:I, s:s}", "path", m->path, "size",
		      (json_int_t)m->got, "sha256", hex);
	if (!f || json_array_append_new(m->files, f) < 0)
		return fail(m, -ENOMEM, "out of memory");
	return 0;
}

int
manifest_file_end(struct manifest *m)
{
	int r = 0;

	if (!m->path)
		return fail(m, CS_E_INVALID, "no file is open in the manifest");
	if (m->got != m->want)
		r = fail(m, CS_E_CORRUPT, "%s: %llu bytes where %llu were announced",
			 m->path, (unsigned long long)m->got,
			 (unsigned long long)m->want);
	if (r == 0 && m->kind == MF_LOG)
		r = log_end(m);
	if (r == 0 && m->kind == MF_CA_CERT)
		r = take_cert(m);
	if (r == 0)
		r = list_file(m);
	free(m->path);
	m->path = NULL;
	return r;
}

/* ---------------------------------------------------------------- render */

int
manifest_self_sha256(const json_t *root, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	json_t *copy;
	char *text = NULL;
	int r = -ENOMEM;

	if (!json_is_object(root))
		return CS_E_INVALID;
	copy = json_deep_copy(root);
	if (!copy)
		return -ENOMEM;
	json_object_del(copy, MANIFEST_SELF_FIELD);
	text = json_dumps(copy, MANIFEST_CANON_FLAGS);
	if (text && EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(),
			       NULL) == 1 && mdlen == 32) {
		buf_hex(md, mdlen, hex);
		r = 0;
	} else if (text) {
		r = CS_E_INTERNAL;
	}
	free(text);
	json_decref(copy);
	return r;
}

static int
parse_fail(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put the reason of a rejected manifest into why; returns CS_E_CORRUPT. */
static int
parse_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return CS_E_CORRUPT;
}

int
manifest_safe_relpath(const char *p)
{
	const char *s = p;
	size_t n;

	if (!*p || *p == '/')
		return 0;
	for (;;) {
		n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (!*s)
			return 1;
		s++;
	}
}

/* format, version, self checksum, type, and "files" being a list. */
static int
parse_header(json_t *root, char *why, size_t whylen)
{
	const char *fmt = json_string_value(json_object_get(root, "format"));
	const char *self = json_string_value(json_object_get(root, MANIFEST_SELF_FIELD));
	const char *type = json_string_value(json_object_get(root, "type"));
	json_t *ver = json_object_get(root, "version");
	char want[65];
	int r;

	if (!fmt || strcmp(fmt, MANIFEST_FORMAT))
		return parse_fail(why, whylen, "not a certsrv backup manifest"
				  " (format is not \"%s\")", MANIFEST_FORMAT);
	if (!json_is_integer(ver) || json_integer_value(ver) != MANIFEST_VERSION)
		return parse_fail(why, whylen, "manifest version %lld is not known"
				  " to this certsrv (it reads version %d)",
				  json_is_integer(ver)
				  ? (long long)json_integer_value(ver) : -1LL,
				  MANIFEST_VERSION);
	r = self ? manifest_self_sha256(root, want) : CS_E_CORRUPT;
	if (r == -ENOMEM)
		return r;
	if (r < 0 || strcmp(self, want))
		return parse_fail(why, whylen, "its own checksum (manifest_sha256)"
				  " does not match its content: the manifest was"
				  " edited or damaged");
	if (!type || (strcmp(type, "full") && strcmp(type, "incremental")))
		return parse_fail(why, whylen, "\"type\" is neither \"full\" nor"
				  " \"incremental\"");
	if (!json_is_array(json_object_get(root, "files")))
		return parse_fail(why, whylen, "\"files\" is not a list");
	return 0;
}

/* Every entry of "files": path, size, sha256; a safe path, listed once. */
static int
parse_files(json_t *files, char *why, size_t whylen)
{
	json_t *seen = json_object(), *f, *size;
	const char *rel;
	size_t i;
	int r = seen ? 0 : -ENOMEM;

	json_array_foreach(files, i, f) {
		if (r < 0)
			break;
		rel = json_string_value(json_object_get(f, "path"));
		size = json_object_get(f, "size");
		if (!rel || !json_string_value(json_object_get(f, "sha256")) ||
		    !json_is_integer(size) || json_integer_value(size) < 0)
			r = parse_fail(why, whylen, "an entry of \"files\" lacks its"
				       " path, size or sha256");
		else if (!manifest_safe_relpath(rel) || (strncmp(rel, "DataBase/", 9) &&
						strncmp(rel, "Dynamic/", 8)))
			r = parse_fail(why, whylen, "lists \"%s\", which is not a"
				       " file of DataBase/ or Dynamic/", rel);
		else if (json_object_get(seen, rel))
			r = parse_fail(why, whylen, "lists \"%s\" twice", rel);
		else if (json_object_set_new(seen, rel, json_true()) < 0)
			r = -ENOMEM;
	}
	json_decref(seen);
	return r;
}

int
manifest_parse(const void *text, size_t len, json_t **out, char *why,
	       size_t whylen)
{
	json_error_t jerr;
	json_t *root;
	int r;

	*out = NULL;
	if (why && whylen)
		why[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return parse_fail(why, whylen, "not a JSON object (line %d: %s)",
				  jerr.line, jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return parse_fail(why, whylen, "not a JSON object");
	}
	r = parse_header(root, why, whylen);
	if (r == 0)
		r = parse_files(json_object_get(root, "files"), why, whylen);
	if (r < 0) {
		json_decref(root);
		return r;
	}
	*out = root;
	return 0;
}

static json_t *
build(const struct manifest *m)
{
	char created[32], lineage[2 * REDO_LINEAGE_LEN + 1];
	struct tm tm;

	gmtime_r(&m->created, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_hex(m->lineage, sizeof(m->lineage), lineage);
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I,"
			 " s:I, s:O}",
			 "format", MANIFEST_FORMAT, "version", MANIFEST_VERSION,
			 "type", m->type, "created", created,
			 "subject", m->subject, "key_id", m->key_id,
			 "lineage", lineage,
			 "gen_low", (json_int_t)m->gen_low,
			 "gen_high", (json_int_t)m->gen_high,
			 "lsn_low", (json_int_t)m->lsn_low,
			 "lsn_high", (json_int_t)m->lsn_high,
			 "files", m->files);
}

int
manifest_render(struct manifest *m, char **text, size_t *len)
{
	char self[65];
	json_t *root = NULL;
	char *dump = NULL;
	int r;

	*text = NULL;
	*len = 0;
	if (m->path)
		return fail(m, CS_E_INVALID, "%s is still open", m->path);
	if (m->n_logs == 0)
		return fail(m, CS_E_INVALID, "the set holds no log file");
	if (!m->subject)
		return fail(m, CS_E_INVALID, "the set holds no CA certificate"
			    " (Dynamic/ca/ca.crt)");
	root = build(m);
	r = root ? manifest_self_sha256(root, self) : -ENOMEM;
	if (r == 0 && json_object_set_new(root, MANIFEST_SELF_FIELD,
					  json_string(self)) < 0)
		r = -ENOMEM;
	if (r == 0)
		dump = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (r == 0 && !dump)
		r = -ENOMEM;
	if (r == 0) {
		*len = strlen(dump);
		*text = realloc(dump, *len + 2);
		r = *text ? 0 : -ENOMEM;
	}
	if (r == 0) {
		memcpy(*text + *len, "\n", 2);
		*len += 1;
	} else {
		free(dump);
		fail(m, r, "cannot build the manifest: %s", cs_strerror(r));
	}
	json_decref(root);
	return r;
}
