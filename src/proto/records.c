/*
 * records.c: RecordBatch v2 header checks. See records.h for the layout.
 */
#include "proto/records.h"

#include "core/crc32c.h"
#include "core/slice.h"

int rb_parse_header(const uint8_t *p, size_t n, rb_header *h)
{
	if (n < RB_HEADER_SIZE)
		return RB_NEED_MORE;
	h->base_offset = (int64_t)be64_get(p + RB_OFF_BASE_OFFSET);
	h->batch_length = (int32_t)be32_get(p + RB_OFF_LENGTH);
	h->leader_epoch = (int32_t)be32_get(p + RB_OFF_LEADER_EPOCH);
	h->magic = (int8_t)p[RB_OFF_MAGIC];
	h->crc = be32_get(p + RB_OFF_CRC);
	h->attributes = (int16_t)be16_get(p + RB_OFF_ATTRIBUTES);
	h->last_offset_delta = (int32_t)be32_get(p + RB_OFF_LAST_OFFSET_DELTA);
	h->base_timestamp = (int64_t)be64_get(p + RB_OFF_BASE_TIMESTAMP);
	h->max_timestamp = (int64_t)be64_get(p + RB_OFF_MAX_TIMESTAMP);
	h->producer_id = (int64_t)be64_get(p + RB_OFF_PRODUCER_ID);
	h->producer_epoch = (int16_t)be16_get(p + RB_OFF_PRODUCER_EPOCH);
	h->base_sequence = (int32_t)be32_get(p + RB_OFF_BASE_SEQUENCE);
	h->records_count = (int32_t)be32_get(p + RB_OFF_RECORDS_COUNT);
	if (h->magic != 2)
		return RB_BAD_MAGIC;
	if (h->batch_length < RB_HEADER_SIZE - RB_LOG_OVERHEAD)
		return RB_BAD_LENGTH;
	if ((size_t)h->batch_length > n - RB_LOG_OVERHEAD)
		return RB_NEED_MORE;
	return RB_OK;
}

uint32_t rb_compute_crc(const uint8_t *p, size_t total)
{
	return crc32c(0, p + RB_OFF_ATTRIBUTES, total - RB_OFF_ATTRIBUTES);
}

int rb_check(const uint8_t *p, size_t n, rb_header *h)
{
	int rc = rb_parse_header(p, n, h);

	if (rc != RB_OK)
		return rc;
	if (rb_compute_crc(p, rb_total_size(h)) != h->crc)
		return RB_BAD_CRC;
	/* A control batch or an empty batch left by compaction may hold no
	 * records; otherwise the count must match the deltas. */
	if (h->records_count < 0 || h->last_offset_delta < 0)
		return RB_BAD_COUNT;
	if (h->records_count != 0 && (int64_t)h->last_offset_delta + 1 != h->records_count)
		return RB_BAD_COUNT;
	return RB_OK;
}

void rb_set_base_offset(uint8_t *p, int64_t base_offset)
{
	be64_put(p + RB_OFF_BASE_OFFSET, (uint64_t)base_offset);
}

void rb_set_log_append_time(uint8_t *p, size_t total, int64_t ts)
{
	uint16_t attr = be16_get(p + RB_OFF_ATTRIBUTES);

	be16_put(p + RB_OFF_ATTRIBUTES, (uint16_t)(attr | RB_ATTR_LOG_APPEND_TIME));
	be64_put(p + RB_OFF_MAX_TIMESTAMP, (uint64_t)ts);
	be32_put(p + RB_OFF_CRC, rb_compute_crc(p, total));
}

const char *rb_strerror(int status)
{
	switch (status) {
	case RB_OK: return "ok";
	case RB_NEED_MORE: return "truncated batch";
	case RB_BAD_MAGIC: return "unsupported magic";
	case RB_BAD_LENGTH: return "bad batch length";
	case RB_BAD_CRC: return "CRC mismatch";
	case RB_BAD_COUNT: return "record count does not match offset delta";
	}
	return "unknown";
}
