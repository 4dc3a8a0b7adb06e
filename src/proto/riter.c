/*
 * riter.c: record iteration over an uncompressed RecordBatch v2. See riter.h.
 */
#include "proto/riter.h"

int riter_init(riter *it, const uint8_t *p, size_t n)
{
	int rc;

	memset(it, 0, sizeof(*it));
	rc = rb_check(p, n, &it->h);
	if (rc != RB_OK) {
		it->err = rc;
		return rc;
	}
	if (it->h.attributes & RB_ATTR_COMPRESSION_MASK) {
		it->err = RITER_COMPRESSED;
		return RITER_COMPRESSED;
	}
	slice_init(&it->s, p + RB_HEADER_SIZE, rb_total_size(&it->h) - RB_HEADER_SIZE);
	it->left = it->h.records_count;
	return RB_OK;
}

/* Reads a varint length (>= -1, or >= 0 when !nullable) and the bytes. */
static kbytes read_blob(slice *s, bool nullable)
{
	int32_t len = slice_varint(s);
	kbytes v = {NULL, -1};

	if (len < 0) {
		if (len != -1 || !nullable)
			slice_fail(s);
		return v;
	}
	v.p = slice_take(s, (size_t)len);
	v.len = v.p ? len : -1;
	return v;
}

static int parse_record(riter *it, slice *rs, riter_record *r)
{
	int64_t ts_delta;
	int32_t off_delta;
	const uint8_t *hdr_start;

	r->attributes = slice_i8(rs);
	ts_delta = slice_varlong(rs);
	off_delta = slice_varint(rs);
	r->key = read_blob(rs, true);
	r->value = read_blob(rs, true);
	r->headers_count = slice_varint(rs);
	if (rs->err || r->headers_count < 0)
		return -1;
	hdr_start = rs->p;
	/* Each header takes at least two bytes or fails (sticky), so this
	 * ends within the record's declared length. */
	for (int32_t i = 0; i < r->headers_count && !rs->err; i++) {
		(void)read_blob(rs, false);
		(void)read_blob(rs, true);
	}
	if (rs->err || slice_left(rs) != 0)
		return -1;
	r->headers = (kbytes){hdr_start, (int32_t)(rs->p - hdr_start)};
	/* wrap-around is the producer's problem, not UB */
	r->offset = (int64_t)((uint64_t)it->h.base_offset + (uint64_t)(int64_t)off_delta);
	if (it->h.attributes & RB_ATTR_LOG_APPEND_TIME)
		r->timestamp = it->h.max_timestamp;
	else
		r->timestamp = (int64_t)((uint64_t)it->h.base_timestamp + (uint64_t)ts_delta);
	return 0;
}

int riter_next(riter *it, riter_record *r)
{
	int32_t len;
	slice rs;

	memset(r, 0, sizeof(*r));
	if (it->err)
		return it->err < 0 ? it->err : RITER_BAD_RECORD;
	if (it->left == 0) {
		if (slice_left(&it->s) != 0)
			goto bad; /* bytes after the declared records */
		return 0;
	}
	len = slice_varint(&it->s);
	if (it->s.err || len < 0 || !slice_sub(&it->s, (size_t)len, &rs))
		goto bad;
	if (parse_record(it, &rs, r))
		goto bad;
	it->left--;
	return 1;
bad:
	memset(r, 0, sizeof(*r));
	it->err = RITER_BAD_RECORD;
	return RITER_BAD_RECORD;
}

const char *riter_strerror(int status)
{
	switch (status) {
	case RITER_COMPRESSED:
		return "compressed batch (not supported here yet)";
	case RITER_BAD_RECORD:
		return "malformed record";
	default:
		return rb_strerror(status);
	}
}

int riter_control_type(const riter_record *r)
{
	if (r->key.len < 4)
		return -1;
	return (int16_t)be16_get(r->key.p + 2);
}
