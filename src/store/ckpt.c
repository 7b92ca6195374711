/*
 * ckpt.c — the checkpoint file DATADIR/logs/ca.chk (layout in ckpt.h).
 *
 * Guarantees: ckpt_write() replaces the file atomically (temp file + fsync +
 * rename + fsync of the directory, mode 0640), so after a crash the path
 * holds either the previous checkpoint or the new one. ckpt_read() accepts
 * only a file of exactly 52 bytes with the right magic, version and crc32c;
 * anything else is CS_E_CORRUPT, and *c is written only on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/fileio.h"
#include "store/ckpt.h"

#define CKPT_MAGIC "CSRVCHK" /* 7 chars + NUL = 8 bytes on disk */
#define CKPT_VERSION 1
#define CKPT_LEN 52
#define CKPT_FILE_MODE 0640

#define C_MAGIC 0
#define C_VERSION 8
#define C_GEN 12
#define C_LSN 16
#define C_LINEAGE 24
#define C_TIME 40
#define C_CRC 48

int ckpt_write(const char *path, const struct ckpt *c)
{
	uint8_t raw[CKPT_LEN];

	memset(raw, 0, sizeof(raw));
	memcpy(raw + C_MAGIC, CKPT_MAGIC, sizeof(CKPT_MAGIC));
	le32_store(raw + C_VERSION, CKPT_VERSION);
	le32_store(raw + C_GEN, c->generation);
	le64_store(raw + C_LSN, c->lsn);
	memcpy(raw + C_LINEAGE, c->lineage, REDO_LINEAGE_LEN);
	le64_store(raw + C_TIME, c->time_us);
	le32_store(raw + C_CRC, crc32c(0, raw, C_CRC));
	return fio_write_atomic(path, raw, sizeof(raw), CKPT_FILE_MODE);
}

/* Check a raw checkpoint image and decode it into c. */
static int ckpt_decode(const uint8_t raw[CKPT_LEN], struct ckpt *c)
{
	if (memcmp(raw + C_MAGIC, CKPT_MAGIC, sizeof(CKPT_MAGIC)) != 0 ||
	    le32_load(raw + C_VERSION) != CKPT_VERSION ||
	    le32_load(raw + C_CRC) != crc32c(0, raw, C_CRC))
		return CS_E_CORRUPT;
	c->generation = le32_load(raw + C_GEN);
	c->lsn = le64_load(raw + C_LSN);
	memcpy(c->lineage, raw + C_LINEAGE, REDO_LINEAGE_LEN);
	c->time_us = le64_load(raw + C_TIME);
	return 0;
}

int ckpt_read(const char *path, struct ckpt *c)
{
	uint8_t raw[CKPT_LEN + 1]; /* one extra byte detects a longer file */
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fio_read_full(fd, raw, sizeof(raw), &got);
	close(fd);
	if (rc)
		return rc;
	if (got != CKPT_LEN)
		return CS_E_CORRUPT;
	return ckpt_decode(raw, c);
}
