/*
 * crc32c.h: CRC-32C (Castagnoli), as used by RecordBatch v2.
 */
#ifndef TM_CRC32C_H
#define TM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over n bytes; start with crc = 0. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
