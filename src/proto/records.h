/*
 * records.h: RecordBatch v2 (magic 2) headers, as the broker must see them.
 *
 * Layout (DefaultRecordBatch.java; offsets in bytes from the batch start):
 *
 *   offset size field                 CRC-covered
 *   0      8    baseOffset            no
 *   8      4    batchLength (= total - 12)  no
 *   12     4    partitionLeaderEpoch  no
 *   16     1    magic (2)             no
 *   17     4    crc (CRC-32C)         -
 *   21     2    attributes            yes
 *   23     4    lastOffsetDelta       yes
 *   27     8    baseTimestamp         yes
 *   35     8    maxTimestamp          yes
 *   43     8    producerId            yes
 *   51     2    producerEpoch         yes
 *   53     4    baseSequence          yes
 *   57     4    recordsCount          yes
 *   61     ...  records (compressed as a whole when attributes & 7)
 *
 * Records stay opaque bytes: the broker checks the header and the CRC and
 * stores the batch as sent (compressed batches included), patching only the
 * base offset (not CRC-covered) and, for LogAppendTime, the timestamp.
 */
#ifndef TM_RECORDS_H
#define TM_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RB_HEADER_SIZE 61
#define RB_LOG_OVERHEAD 12 /* baseOffset + batchLength */
#define RB_OFF_BASE_OFFSET 0
#define RB_OFF_LENGTH 8
#define RB_OFF_LEADER_EPOCH 12
#define RB_OFF_MAGIC 16
#define RB_OFF_CRC 17
#define RB_OFF_ATTRIBUTES 21
#define RB_OFF_LAST_OFFSET_DELTA 23
#define RB_OFF_BASE_TIMESTAMP 27
#define RB_OFF_MAX_TIMESTAMP 35
#define RB_OFF_PRODUCER_ID 43
#define RB_OFF_PRODUCER_EPOCH 51
#define RB_OFF_BASE_SEQUENCE 53
#define RB_OFF_RECORDS_COUNT 57

#define RB_ATTR_COMPRESSION_MASK 0x07
#define RB_ATTR_LOG_APPEND_TIME 0x08
#define RB_ATTR_TRANSACTIONAL 0x10
#define RB_ATTR_CONTROL 0x20
#define RB_ATTR_DELETE_HORIZON 0x40

typedef struct rb_header {
	int64_t base_offset;
	int32_t batch_length;
	int32_t leader_epoch;
	int8_t magic;
	uint32_t crc;
	int16_t attributes;
	int32_t last_offset_delta;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int32_t records_count;
} rb_header;

enum rb_status {
	RB_OK = 0,
	RB_NEED_MORE = -1,   /* fewer bytes than the header or batchLength says */
	RB_BAD_MAGIC = -2,
	RB_BAD_LENGTH = -3,  /* batchLength smaller than the header */
	RB_BAD_CRC = -4,
	RB_BAD_COUNT = -5,   /* lastOffsetDelta + 1 != recordsCount, or negative */
};

/* Parses the header of the batch at p without checking the CRC. It reads
 * only the first RB_HEADER_SIZE bytes; n is the number of bytes the caller
 * has of the batch and is used only to compare against batchLength (so a
 * caller may pass a 61-byte header read with pread together with the bytes
 * left in the file). Returns RB_OK, RB_NEED_MORE, RB_BAD_MAGIC or
 * RB_BAD_LENGTH. */
int rb_parse_header(const uint8_t *p, size_t n, rb_header *h);
/* Total size in bytes of the batch whose header is h. */
static inline size_t rb_total_size(const rb_header *h)
{
	return (size_t)h->batch_length + RB_LOG_OVERHEAD;
}
/* Parses the header and checks the CRC and counts: a full validity check of
 * one batch at p. */
int rb_check(const uint8_t *p, size_t n, rb_header *h);
/* CRC-32C of the covered part of the batch at p (total bytes). */
uint32_t rb_compute_crc(const uint8_t *p, size_t total);
/* Patches baseOffset (not CRC-covered). */
void rb_set_base_offset(uint8_t *p, int64_t base_offset);
/* Sets the LogAppendTime attribute and maxTimestamp, and rewrites the CRC. */
void rb_set_log_append_time(uint8_t *p, size_t total, int64_t ts);
/* Human-readable name of a status, for log lines. */
const char *rb_strerror(int status);

#endif
