/*
 * test_records.c: RecordBatch v2 checks (records.c), the batch builder
 * (rbuild.c) and the record iterator (riter.c).
 *
 * The first batch is written byte by byte from the spec (records.h), with
 * its CRC computed by crc32c, so the checks do not just agree with our own
 * builder.
 */
#include "testhelp.h"

#include <stdlib.h>

#include "core/buf.h"
#include "core/crc32c.h"
#include "core/slice.h"
#include "proto/rbuild.h"
#include "proto/records.h"
#include "proto/riter.h"

/* One record: key null, value "v", offset delta 0, timestamp delta 0. */
/* clang-format off */
static const uint8_t hand_batch[] = {
	0, 0, 0, 0, 0, 0, 0, 0,          /* baseOffset 0 */
	0, 0, 0, 0x39,                   /* batchLength 57 = 69 - 12 */
	0xff, 0xff, 0xff, 0xff,          /* partitionLeaderEpoch -1 */
	2,                               /* magic */
	0, 0, 0, 0,                      /* crc (filled in) */
	0, 0,                            /* attributes */
	0, 0, 0, 0,                      /* lastOffsetDelta 0 */
	0, 0, 0, 0, 0, 0, 0x03, 0xe8,    /* baseTimestamp 1000 */
	0, 0, 0, 0, 0, 0, 0x03, 0xe8,    /* maxTimestamp 1000 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* producerId -1 */
	0xff, 0xff,                      /* producerEpoch -1 */
	0xff, 0xff, 0xff, 0xff,          /* baseSequence -1 */
	0, 0, 0, 1,                      /* recordsCount 1 */
	/* record: length 7 (zig-zag 14), attrs, tsDelta 0, offDelta 0,
	 * key -1 (zz 1), value len 1 (zz 2) "v", headers 0 */
	0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00,
};
/* clang-format on */

/* A malloc'd copy of the hand batch with its CRC set; n = its size. */
static uint8_t *hand_copy(size_t *n)
{
	uint8_t *p = malloc(sizeof(hand_batch));

	memcpy(p, hand_batch, sizeof(hand_batch));
	be32_put(p + RB_OFF_CRC,
		 crc32c(0, p + RB_OFF_ATTRIBUTES, sizeof(hand_batch) - RB_OFF_ATTRIBUTES));
	*n = sizeof(hand_batch);
	return p;
}

static void fix_crc(uint8_t *p, size_t total)
{
	be32_put(p + RB_OFF_CRC, rb_compute_crc(p, total));
}

TEST(crc32c_check_value)
{
	CHECK(crc32c(0, "123456789", 9) == 0xE3069283u);
	/* continuing over pieces gives the same result */
	CHECK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u);
	CHECK(crc32c(0, "", 0) == 0);
}

TEST(check_hand_batch)
{
	size_t n;
	uint8_t *p = hand_copy(&n);
	rb_header h;

	CHECK_EQ_INT(rb_check(p, n, &h), RB_OK);
	CHECK_EQ_INT(h.batch_length, 57);
	CHECK_EQ_INT(rb_total_size(&h), 69);
	CHECK_EQ_INT(h.records_count, 1);
	CHECK_EQ_INT(h.producer_id, -1);
	CHECK_EQ_INT(h.base_timestamp, 1000);
	/* extra bytes after the batch are not part of it */
	{
		uint8_t *q = malloc(n + 5);

		memcpy(q, p, n);
		memset(q + n, 0xee, 5);
		CHECK_EQ_INT(rb_check(q, n + 5, &h), RB_OK);
		free(q);
	}
	free(p);
}

TEST(bad_crc)
{
	size_t n;
	uint8_t *p = hand_copy(&n);
	rb_header h;

	p[n - 2] ^= 1; /* flip a bit of the value */
	CHECK_EQ_INT(rb_check(p, n, &h), RB_BAD_CRC);
	p[n - 2] ^= 1;
	p[RB_OFF_MAX_TIMESTAMP + 7] ^= 1; /* maxTimestamp is covered */
	CHECK_EQ_INT(rb_check(p, n, &h), RB_BAD_CRC);
	p[RB_OFF_MAX_TIMESTAMP + 7] ^= 1;
	/* baseOffset and partitionLeaderEpoch are not covered */
	rb_set_base_offset(p, 12345);
	p[RB_OFF_LEADER_EPOCH + 3] = 7;
	CHECK_EQ_INT(rb_check(p, n, &h), RB_OK);
	CHECK_EQ_INT(h.base_offset, 12345);
	free(p);
}

TEST(truncated)
{
	size_t n;
	uint8_t *p = hand_copy(&n);
	rb_header h;

	for (size_t k = 0; k < n; k++) {
		/* exact-size copy of the prefix so ASan sees over-reads */
		uint8_t *q = malloc(k ? k : 1);

		memcpy(q, p, k);
		CHECK_EQ_INT(rb_check(q, k, &h), RB_NEED_MORE);
		free(q);
	}
	free(p);
}

TEST(bad_magic_and_length)
{
	size_t n;
	uint8_t *p = hand_copy(&n);
	rb_header h;

	p[RB_OFF_MAGIC] = 1;
	CHECK_EQ_INT(rb_check(p, n, &h), RB_BAD_MAGIC);
	p[RB_OFF_MAGIC] = 2;
	be32_put(p + RB_OFF_LENGTH, 48); /* less than the header after it */
	CHECK_EQ_INT(rb_check(p, n, &h), RB_BAD_LENGTH);
	be32_put(p + RB_OFF_LENGTH, 0xffffffffu); /* negative */
	CHECK_EQ_INT(rb_check(p, n, &h), RB_BAD_LENGTH);
	be32_put(p + RB_OFF_LENGTH, 58); /* one more than present */
	CHECK_EQ_INT(rb_check(p, n, &h), RB_NEED_MORE);
	be32_put(p + RB_OFF_LENGTH, 57);
	be32_put(p + RB_OFF_LAST_OFFSET_DELTA, 1); /* count 1 != delta + 1 */
	fix_crc(p, n);
	CHECK_EQ_INT(rb_check(p, n, &h), RB_BAD_COUNT);
	free(p);
}

TEST(log_append_time)
{
	size_t n;
	uint8_t *p = hand_copy(&n);
	rb_header h;
	riter it;
	riter_record r;

	rb_set_log_append_time(p, n, 99999);
	CHECK_EQ_INT(rb_check(p, n, &h), RB_OK);
	CHECK(h.attributes & RB_ATTR_LOG_APPEND_TIME);
	CHECK_EQ_INT(h.max_timestamp, 99999);
	CHECK_EQ_INT(h.base_timestamp, 1000);
	/* records of a LogAppendTime batch report maxTimestamp */
	CHECK_EQ_INT(riter_init(&it, p, n), RB_OK);
	CHECK_EQ_INT(riter_next(&it, &r), 1);
	CHECK_EQ_INT(r.timestamp, 99999);
	free(p);
}

TEST(iterate_hand_batch)
{
	size_t n;
	uint8_t *p = hand_copy(&n);
	riter it;
	riter_record r;

	rb_set_base_offset(p, 100);
	CHECK_EQ_INT(riter_init(&it, p, n), RB_OK);
	CHECK_EQ_INT(riter_next(&it, &r), 1);
	CHECK_EQ_INT(r.offset, 100);
	CHECK_EQ_INT(r.timestamp, 1000);
	CHECK_EQ_INT(r.key.len, -1);
	CHECK_EQ_INT(r.value.len, 1);
	CHECK(r.value.p && r.value.p[0] == 'v');
	CHECK_EQ_INT(r.headers_count, 0);
	CHECK_EQ_INT(riter_next(&it, &r), 0);
	CHECK_EQ_INT(riter_next(&it, &r), 0);
	free(p);
}

static const rb_record *three_records(void)
{
	static rb_record recs[3];

	recs[0] = (rb_record){{(const uint8_t *)"k0", 2}, {(const uint8_t *)"value0", 6}, 5000};
	recs[1] = (rb_record){{NULL, -1}, {(const uint8_t *)"v1", 2}, 4990};
	recs[2] = (rb_record){{(const uint8_t *)"k2", 2}, {NULL, -1}, 5200}; /* tombstone */
	return recs;
}

TEST(build_and_iterate)
{
	const rb_record *recs = three_records();
	rb_batch_opts o;
	rb_header h;
	riter it;
	riter_record r;
	buf b;

	rbuild_opts_init(&o);
	o.producer_id = 77;
	o.producer_epoch = 3;
	o.base_sequence = 10;
	o.attributes = RB_ATTR_TRANSACTIONAL;
	buf_init(&b, 1 << 16);
	buf_put(&b, "xyz", 3); /* the batch need not start at 0 */
	CHECK_EQ_INT(rbuild_batch(&b, &o, recs, 3), 0);
	CHECK_EQ_INT(rb_check(b.data + 3, b.len - 3, &h), RB_OK);
	CHECK_EQ_INT(rb_total_size(&h), b.len - 3);
	CHECK_EQ_INT(h.base_offset, 0);
	CHECK_EQ_INT(h.leader_epoch, -1);
	CHECK_EQ_INT(h.records_count, 3);
	CHECK_EQ_INT(h.last_offset_delta, 2);
	CHECK_EQ_INT(h.base_timestamp, 5000);
	CHECK_EQ_INT(h.max_timestamp, 5200);
	CHECK_EQ_INT(h.producer_id, 77);
	CHECK_EQ_INT(h.producer_epoch, 3);
	CHECK_EQ_INT(h.base_sequence, 10);
	CHECK_EQ_INT(h.attributes, RB_ATTR_TRANSACTIONAL);

	rb_set_base_offset(b.data + 3, 40);
	CHECK_EQ_INT(riter_init(&it, b.data + 3, b.len - 3), RB_OK);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(riter_next(&it, &r), 1);
		CHECK_EQ_INT(r.offset, 40 + i);
		CHECK_EQ_INT(r.timestamp, recs[i].timestamp);
		CHECK_EQ_INT(r.key.len, recs[i].key.len);
		CHECK_EQ_INT(r.value.len, recs[i].value.len);
		if (r.key.len > 0)
			CHECK_MEM(r.key.p, recs[i].key.p, (size_t)r.key.len);
		if (r.value.len > 0)
			CHECK_MEM(r.value.p, recs[i].value.p, (size_t)r.value.len);
	}
	CHECK_EQ_INT(riter_next(&it, &r), 0);
	buf_release(&b);

	/* bad input to the builder */
	buf_init(&b, 1 << 16);
	CHECK_EQ_INT(rbuild_batch(&b, &o, recs, 0), -1);
	o.attributes = 1; /* gzip */
	CHECK_EQ_INT(rbuild_batch(&b, &o, recs, 1), -1);
	buf_release(&b);
	/* a capped buf */
	rbuild_opts_init(&o);
	buf_init(&b, 70);
	CHECK_EQ_INT(rbuild_batch(&b, &o, recs, 3), -1);
	CHECK(b.err);
	buf_release(&b);
}

TEST(control_batch)
{
	rb_header h;
	riter it;
	riter_record r;
	buf b;

	buf_init(&b, 1024);
	CHECK_EQ_INT(rbuild_control_batch(&b, 5, 1, RB_CONTROL_COMMIT, 7, 123), 0);
	CHECK_EQ_INT(rb_check(b.data, b.len, &h), RB_OK);
	CHECK_EQ_INT(h.attributes, RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL);
	CHECK_EQ_INT(h.base_sequence, -1);
	CHECK_EQ_INT(h.producer_id, 5);
	CHECK_EQ_INT(riter_init(&it, b.data, b.len), RB_OK);
	CHECK_EQ_INT(riter_next(&it, &r), 1);
	CHECK_EQ_INT(riter_control_type(&r), RB_CONTROL_COMMIT);
	CHECK_EQ_INT(r.value.len, 6);
	CHECK(r.value.p && r.value.p[5] == 7); /* coordinator epoch */
	CHECK_EQ_INT(riter_next(&it, &r), 0);
	buf_release(&b);
}

/* Builds a batch of one record whose body bytes are given (record length
 * varint included), with a valid header and CRC: for malformed records. */
static uint8_t *raw_batch(const uint8_t *rec, size_t reclen, int32_t count, size_t *n)
{
	size_t total = RB_HEADER_SIZE + reclen;
	uint8_t *p = calloc(1, total);

	memcpy(p, hand_batch, RB_HEADER_SIZE);
	memcpy(p + RB_HEADER_SIZE, rec, reclen);
	be32_put(p + RB_OFF_LENGTH, (uint32_t)(total - RB_LOG_OVERHEAD));
	be32_put(p + RB_OFF_RECORDS_COUNT, (uint32_t)count);
	be32_put(p + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(count - 1));
	fix_crc(p, total);
	*n = total;
	return p;
}

/* Expects the batch to pass rb_check but fail while iterating. */
static void expect_bad_record(const uint8_t *rec, size_t reclen, int32_t count)
{
	size_t n;
	uint8_t *p = raw_batch(rec, reclen, count, &n);
	riter it;
	riter_record r;
	int rc, guard = 0;

	CHECK_EQ_INT(riter_init(&it, p, n), RB_OK);
	while ((rc = riter_next(&it, &r)) == 1 && guard++ < 10)
		;
	CHECK_EQ_INT(rc, RITER_BAD_RECORD);
	CHECK_EQ_INT(riter_next(&it, &r), RITER_BAD_RECORD); /* sticky */
	free(p);
}

TEST(malformed_records)
{
	/* length says 20 bytes, 7 present */
	static const uint8_t too_long[] = {0x28, 0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00};
	/* length says 5 bytes: the value runs past the record */
	static const uint8_t too_short[] = {0x0a, 0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00};
	/* length 8: one spare byte inside the record */
	static const uint8_t spare[] = {0x10, 0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00, 0x00};
	/* key length -2 (zig-zag 3) */
	static const uint8_t neg_key[] = {0x0e, 0x00, 0x00, 0x00, 0x03, 0x02, 'v', 0x00};
	/* negative record length (zig-zag 1 = -1) */
	static const uint8_t neg_len[] = {0x01, 0x00};
	/* headers count 1,000,000 in a 7-byte record */
	/* clang-format off */
	static const uint8_t many_hdrs[] = { 0x12, 0x00, 0x00, 0x00, 0x01, 0x02, 'v',
					     0x80, 0x89, 0x7a };
	/* clang-format on */
	/* header with a null key (not allowed) */
	static const uint8_t null_hkey[] = {0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01, 0x00};
	/* record length varint longer than 5 bytes */
	static const uint8_t long_varint[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	static const uint8_t good[] = {0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00};

	expect_bad_record(too_long, sizeof(too_long), 1);
	expect_bad_record(too_short, sizeof(too_short), 1);
	expect_bad_record(spare, sizeof(spare), 1);
	expect_bad_record(neg_key, sizeof(neg_key), 1);
	expect_bad_record(neg_len, sizeof(neg_len), 1);
	expect_bad_record(many_hdrs, sizeof(many_hdrs), 1);
	expect_bad_record(null_hkey, sizeof(null_hkey), 1);
	expect_bad_record(long_varint, sizeof(long_varint), 1);
	/* declares 2 records, holds 1 */
	expect_bad_record(good, sizeof(good), 2);
	{
		/* declares 1 record, holds 2 */
		uint8_t two[16];

		memcpy(two, good, 8);
		memcpy(two + 8, good, 8);
		expect_bad_record(two, sizeof(two), 1);
	}
}

TEST(compressed_refused)
{
	size_t n;
	uint8_t *p = hand_copy(&n);
	riter it;
	riter_record r;

	be16_put(p + RB_OFF_ATTRIBUTES, 4); /* zstd */
	fix_crc(p, n);
	CHECK_EQ_INT(riter_init(&it, p, n), RITER_COMPRESSED);
	CHECK(riter_next(&it, &r) < 0);
	CHECK(strstr(riter_strerror(RITER_COMPRESSED), "compressed") != NULL);
	p[RB_OFF_CRC] ^= 1;
	CHECK_EQ_INT(riter_init(&it, p, n), RB_BAD_CRC);
	free(p);
}

TEST(iterate_every_prefix)
{
	const rb_record *recs = three_records();
	rb_batch_opts o;
	buf b;

	rbuild_opts_init(&o);
	buf_init(&b, 1 << 16);
	CHECK_EQ_INT(rbuild_batch(&b, &o, recs, 3), 0);
	for (size_t k = 0; k < b.len; k++) {
		uint8_t *q = malloc(k ? k : 1);
		riter it;

		memcpy(q, b.data, k);
		CHECK_EQ_INT(riter_init(&it, q, k), RB_NEED_MORE);
		free(q);
	}
	buf_release(&b);
}

int main(void)
{
	RUN(crc32c_check_value);
	RUN(check_hand_batch);
	RUN(bad_crc);
	RUN(truncated);
	RUN(bad_magic_and_length);
	RUN(log_append_time);
	RUN(iterate_hand_batch);
	RUN(build_and_iterate);
	RUN(control_batch);
	RUN(malformed_records);
	RUN(compressed_refused);
	RUN(iterate_every_prefix);
	return testhelp_done();
}
