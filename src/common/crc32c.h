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

/* The two implementations crc32c() chooses between, exposed so tests can
 * check that they agree: the table-driven one, and the SSE4.2 one (call it
 * only when crc32c_hw_available() returns 1). */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len);
int crc32c_hw_available(void);
uint32_t crc32c_hw(uint32_t crc, const void *data, size_t len);

#endif
