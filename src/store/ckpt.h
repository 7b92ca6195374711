/*
 * ckpt.h — the checkpoint file DATADIR/logs/ca.chk.
 *
 * It records that every record up to `lsn` is in the database file itself
 * (not only in the WAL), and the generation where replay must start looking
 * for record lsn+1. Written only after a complete wal_checkpoint(TRUNCATE),
 * atomically (temp + fsync + rename + fsync dir). Layout (little-endian,
 * 52 bytes): magic "CSRVCHK\0" | version u32 | generation u32 | lsn u64 |
 * lineage [16] | time (µs) u64 | crc32c u32 of the preceding 48 bytes.
 */
#ifndef CERTSRV_STORE_CKPT_H
#define CERTSRV_STORE_CKPT_H

#include <stdint.h>

#include "store/redo.h"

struct ckpt {
	uint64_t lsn;
	uint32_t generation;
	uint8_t lineage[REDO_LINEAGE_LEN];
	uint64_t time_us;
};

int ckpt_write(const char *path, const struct ckpt *c);
/* 0, -ENOENT if absent, CS_E_CORRUPT if it fails its checks, or -errno. */
int ckpt_read(const char *path, struct ckpt *c);

#endif
