/*
 * rbuild.c: writes uncompressed RecordBatch v2 batches. See rbuild.h.
 *
 * The 61-byte header is reserved first and filled in once the records are
 * written, because batchLength, lastOffsetDelta and the CRC depend on them.
 * Record sizes are computed up front so each record's length varint can be
 * written before its body (no temporary buffer).
 */
#include "proto/rbuild.h"

#include <limits.h>

#include "core/xalloc.h"
#include "core/slice.h"
#include "proto/records.h"

void rbuild_opts_init(rb_batch_opts *o)
{
	o->producer_id = -1;
	o->producer_epoch = -1;
	o->base_sequence = -1;
	o->attributes = 0;
	o->leader_epoch = -1;
}

/* Size of v as a zig-zag varint / varlong. */
static size_t zz_size(int64_t v)
{
	uint64_t u = ((uint64_t)v << 1) ^ (0ull - ((uint64_t)v >> 63));
	size_t n = 1;

	while (u >= 0x80) {
		u >>= 7;
		n++;
	}
	return n;
}

/* Bytes of one record after its length field. */
static size_t record_body_size(const rb_record *r, int64_t ts_delta, int32_t off_delta)
{
	size_t n = 1; /* attributes */

	n += zz_size(ts_delta) + zz_size(off_delta);
	n += zz_size(r->key.len) + (r->key.len > 0 ? (size_t)r->key.len : 0);
	n += zz_size(r->value.len) + (r->value.len > 0 ? (size_t)r->value.len : 0);
	n += 1; /* headers count 0 */
	return n;
}

static void put_bytes(buf *b, kbytes v)
{
	buf_varint(b, v.len < 0 ? -1 : v.len);
	if (v.len > 0)
		buf_put(b, v.p, (size_t)v.len);
}

static int check_input(const rb_batch_opts *o, const rb_record *recs, int n)
{
	if (n < 1 || (o->attributes & RB_ATTR_COMPRESSION_MASK))
		return -1;
	for (int i = 0; i < n; i++) {
		if (recs[i].key.len < -1 || recs[i].value.len < -1)
			return -1;
		if ((recs[i].key.len > 0 && !recs[i].key.p) ||
		    (recs[i].value.len > 0 && !recs[i].value.p))
			return -1;
	}
	return 0;
}

/* Fills in the header of the batch at b->data + at, now that the records
 * after it are written, and computes the CRC. */
static void finish_header(buf *b, size_t at, const rb_batch_opts *o, int n, int64_t base_ts,
			  int64_t max_ts)
{
	uint8_t *p = b->data + at;
	size_t total = b->len - at;

	be64_put(p + RB_OFF_BASE_OFFSET, 0);
	be32_put(p + RB_OFF_LENGTH, (uint32_t)(total - RB_LOG_OVERHEAD));
	be32_put(p + RB_OFF_LEADER_EPOCH, (uint32_t)o->leader_epoch);
	p[RB_OFF_MAGIC] = 2;
	be16_put(p + RB_OFF_ATTRIBUTES, (uint16_t)o->attributes);
	be32_put(p + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(n - 1));
	be64_put(p + RB_OFF_BASE_TIMESTAMP, (uint64_t)base_ts);
	be64_put(p + RB_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
	be64_put(p + RB_OFF_PRODUCER_ID, (uint64_t)o->producer_id);
	be16_put(p + RB_OFF_PRODUCER_EPOCH, (uint16_t)o->producer_epoch);
	be32_put(p + RB_OFF_BASE_SEQUENCE, (uint32_t)o->base_sequence);
	be32_put(p + RB_OFF_RECORDS_COUNT, (uint32_t)n);
	be32_put(p + RB_OFF_CRC, rb_compute_crc(p, total));
}

int rbuild_batch(buf *b, const rb_batch_opts *o, const rb_record *recs, int n)
{
	size_t at = b->len, total = RB_HEADER_SIZE;
	int64_t base_ts, max_ts;

	if (b->err || check_input(o, recs, n))
		return -1;
	base_ts = max_ts = recs[0].timestamp;
	for (int i = 0; i < n; i++) {
		/* deltas in unsigned maths: timestamps come from callers */
		int64_t d = (int64_t)((uint64_t)recs[i].timestamp - (uint64_t)base_ts);
		size_t body = record_body_size(&recs[i], d, i);

		total = st_add(total, st_add(body, zz_size((int64_t)body)));
		if (total > INT32_MAX)
			return -1;
		if (recs[i].timestamp > max_ts)
			max_ts = recs[i].timestamp;
	}
	if (!buf_extend(b, RB_HEADER_SIZE))
		return -1;
	for (int i = 0; i < n; i++) {
		int64_t d = (int64_t)((uint64_t)recs[i].timestamp - (uint64_t)base_ts);

		buf_varint(b, (int32_t)record_body_size(&recs[i], d, i));
		buf_i8(b, 0);
		buf_varlong(b, d);
		buf_varint(b, i);
		put_bytes(b, recs[i].key);
		put_bytes(b, recs[i].value);
		buf_varint(b, 0);
	}
	if (b->err)
		return -1;
	finish_header(b, at, o, n, base_ts, max_ts);
	return 0;
}

int rbuild_control_batch(buf *b, int64_t producer_id, int16_t producer_epoch, int type,
			 int32_t coordinator_epoch, int64_t timestamp)
{
	uint8_t key[4], value[6];
	rb_batch_opts o;
	rb_record r;

	be16_put(key, 0);
	be16_put(key + 2, (uint16_t)type);
	be16_put(value, 0);
	be32_put(value + 2, (uint32_t)coordinator_epoch);
	rbuild_opts_init(&o);
	o.producer_id = producer_id;
	o.producer_epoch = producer_epoch;
	o.attributes = RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL;
	r.key = (kbytes){key, 4};
	r.value = (kbytes){value, 6};
	r.timestamp = timestamp;
	return rbuild_batch(b, &o, &r, 1);
}
