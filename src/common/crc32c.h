/*
 * crc32c.h — CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of every redo log header and record and of the checkpoint file.
 * crc32c(0, "123456789", 9) == 0xE3069283.
 */
#ifndef CERTSRV_COMMON_CRC32C_H
#define CERTSRV_COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: pass 0 to start; pass the previous result to extend. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
