/*
 * test_wire.c: wire primitives (varints, strings, arrays) and request header
 * framing, with a focus on malformed and truncated input.
 *
 * Inputs under test are copied to the END of an exact-size malloc'd block
 * (tail_copy), so any read past them is caught by ASan.
 */
#include "testhelp.h"

#include <limits.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/slice.h"
#include "proto/frame.h"
#include "proto/gen/apis.h"
#include "proto/gen/messages.h"
#include "proto/kmsg.h"

/* Returns a malloc'd copy of n bytes (NULL-safe for n == 0: 1-byte block,
 * pointer at its end). Free with free(tail_base). */
static unsigned char *tail_base;
static const uint8_t *tail_copy(const void *p, size_t n)
{
	tail_base = malloc(n ? n : 1);
	if (n)
		memcpy(tail_base, p, n);
	return tail_base + (n ? 0 : 1);
}

static void tail_free(void)
{
	free(tail_base);
	tail_base = NULL;
}

TEST(uvarint_edges)
{
	static const uint8_t max5[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	/* clang-format off */
	static const uint8_t over5[] = { 0xff, 0xff, 0xff, 0xff, 0x1f }; /* > UINT32_MAX */
	static const uint8_t six[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
	/* clang-format on */
	static const uint8_t one[] = {0x7f};
	static const uint8_t two[] = {0x80, 0x01};
	slice s;

	slice_init(&s, tail_copy(max5, 5), 5);
	CHECK(slice_uvarint(&s) == UINT32_MAX);
	CHECK_EQ_INT(s.err, 0);
	CHECK_EQ_INT(slice_left(&s), 0);
	tail_free();

	slice_init(&s, tail_copy(over5, 5), 5);
	(void)slice_uvarint(&s);
	CHECK(s.err);
	tail_free();

	/* a 6-byte encoding of 0 is too long: the 5-byte cap stops it */
	slice_init(&s, tail_copy(six, 6), 6);
	(void)slice_uvarint(&s);
	CHECK(s.err);
	tail_free();

	slice_init(&s, tail_copy(one, 1), 1);
	CHECK_EQ_INT(slice_uvarint(&s), 127);
	tail_free();
	slice_init(&s, tail_copy(two, 2), 2);
	CHECK_EQ_INT(slice_uvarint(&s), 128);
	tail_free();

	/* truncated: continuation bit set on the last byte */
	slice_init(&s, tail_copy(max5, 4), 4);
	(void)slice_uvarint(&s);
	CHECK(s.err);
	tail_free();
}

TEST(varlong_edges)
{
	uint8_t ten[10];
	uint8_t eleven[11];
	slice s;
	buf b;

	memset(ten, 0xff, sizeof(ten));
	ten[9] = 0x01; /* 0xffff...ff = zig-zag of INT64_MIN */
	slice_init(&s, tail_copy(ten, 10), 10);
	CHECK(slice_varlong(&s) == INT64_MIN);
	CHECK_EQ_INT(s.err, 0);
	tail_free();

	memset(eleven, 0x80, sizeof(eleven));
	eleven[10] = 0;
	slice_init(&s, tail_copy(eleven, 11), 11);
	(void)slice_varlong(&s);
	CHECK(s.err); /* 11 bytes: past the 10-byte cap */
	tail_free();

	/* zig-zag of INT32_MIN / INT64_MIN / -1 / 1 round-trips */
	buf_init(&b, 64);
	buf_varint(&b, INT32_MIN);
	buf_varint(&b, INT32_MAX);
	buf_varint(&b, -1);
	buf_varint(&b, 1);
	buf_varlong(&b, INT64_MIN);
	buf_varlong(&b, INT64_MAX);
	buf_varlong(&b, -64);
	CHECK_EQ_INT(b.err, 0);
	/* zig-zag(INT32_MIN) = 0xffffffff: ff ff ff ff 0f */
	CHECK(b.data[0] == 0xff && b.data[4] == 0x0f);
	/* zig-zag(-1) = 1, zig-zag(1) = 2 */
	CHECK(b.data[10] == 0x01 && b.data[11] == 0x02);
	slice_init(&s, b.data, b.len);
	CHECK(slice_varint(&s) == INT32_MIN);
	CHECK(slice_varint(&s) == INT32_MAX);
	CHECK_EQ_INT(slice_varint(&s), -1);
	CHECK_EQ_INT(slice_varint(&s), 1);
	CHECK(slice_varlong(&s) == INT64_MIN);
	CHECK(slice_varlong(&s) == INT64_MAX);
	CHECK_EQ_INT(slice_varlong(&s), -64);
	CHECK_EQ_INT(s.err, 0);
	CHECK_EQ_INT(slice_left(&s), 0);
	buf_release(&b);
}

TEST(varint_too_long)
{
	/* a zig-zag VARINT (records) also stops at 5 bytes */
	static const uint8_t six[] = {0x81, 0x80, 0x80, 0x80, 0x80, 0x00};
	slice s;

	slice_init(&s, tail_copy(six, 6), 6);
	(void)slice_varint(&s);
	CHECK(s.err);
	tail_free();
}

TEST(strings)
{
	static const uint8_t ok[] = {0x00, 0x02, 'h', 'i'};
	static const uint8_t null16[] = {0xff, 0xff};
	static const uint8_t neg2[] = {0xff, 0xfe};
	static const uint8_t past[] = {0x00, 0x05, 'h', 'i'};
	/* clang-format off */
	static const uint8_t cpast[] = { 0x06, 'h', 'i' };  /* N+1 = 6: 5 bytes */
	static const uint8_t cnull[] = { 0x00 };
	/* clang-format on */
	static const uint8_t cempty[] = {0x01};
	kstr v;
	slice s;

	slice_init(&s, tail_copy(ok, 4), 4);
	CHECK_EQ_INT(wire_read_str(&s, false, false, &v), 0);
	CHECK(kstr_eq_c(v, "hi"));
	tail_free();

	slice_init(&s, tail_copy(null16, 2), 2);
	CHECK_EQ_INT(wire_read_str(&s, false, true, &v), 0);
	CHECK(kstr_is_null(v));
	tail_free();
	slice_init(&s, tail_copy(null16, 2), 2);
	CHECK_EQ_INT(wire_read_str(&s, false, false, &v), -1); /* not nullable */
	CHECK(s.err);
	tail_free();
	slice_init(&s, tail_copy(neg2, 2), 2);
	CHECK_EQ_INT(wire_read_str(&s, false, true, &v), -1);
	tail_free();

	slice_init(&s, tail_copy(past, 4), 4);
	CHECK_EQ_INT(wire_read_str(&s, false, false, &v), -1);
	CHECK(s.err);
	tail_free();

	slice_init(&s, tail_copy(cpast, 3), 3);
	CHECK_EQ_INT(wire_read_str(&s, true, true, &v), -1);
	CHECK(s.err);
	tail_free();

	slice_init(&s, tail_copy(cnull, 1), 1);
	CHECK_EQ_INT(wire_read_str(&s, true, true, &v), 0);
	CHECK(kstr_is_null(v));
	tail_free();
	slice_init(&s, tail_copy(cnull, 1), 1);
	CHECK_EQ_INT(wire_read_str(&s, true, false, &v), -1);
	tail_free();
	slice_init(&s, tail_copy(cempty, 1), 1);
	CHECK_EQ_INT(wire_read_str(&s, true, false, &v), 0);
	CHECK(!kstr_is_null(v) && v.len == 0);
	tail_free();
}

TEST(bytes_and_records)
{
	static const uint8_t big[] = {0x7f, 0xff, 0xff, 0xff, 1, 2};
	static const uint8_t cnull[] = {0x00};
	static const uint8_t rec[] = {0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb};
	kbytes v;
	krecords r;
	slice s;

	slice_init(&s, tail_copy(big, sizeof(big)), sizeof(big));
	CHECK_EQ_INT(wire_read_bytes(&s, false, true, &v), -1);
	tail_free();
	slice_init(&s, tail_copy(cnull, 1), 1);
	CHECK_EQ_INT(wire_read_records(&s, true, &r), 0);
	CHECK_EQ_INT(r.len, -1);
	CHECK_EQ_INT(r.fd, -1);
	tail_free();
	slice_init(&s, tail_copy(rec, sizeof(rec)), sizeof(rec));
	CHECK_EQ_INT(wire_read_records(&s, false, &r), 0);
	CHECK_EQ_INT(r.len, 2);
	CHECK(r.p && r.p[0] == 0xaa && r.next == NULL);
	tail_free();
}

TEST(array_len)
{
	static const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
	static const uint8_t chuge[] = {0xff, 0xff, 0xff, 0xff, 0x07, 0};
	static const uint8_t two[] = {0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
	static const uint8_t null32[] = {0xff, 0xff, 0xff, 0xff};
	int32_t n;
	slice s;

	slice_init(&s, tail_copy(huge, sizeof(huge)), sizeof(huge));
	CHECK_EQ_INT(wire_read_array_len(&s, false, false, 1, &n), -1);
	CHECK(s.err);
	tail_free();
	slice_init(&s, tail_copy(chuge, sizeof(chuge)), sizeof(chuge));
	CHECK_EQ_INT(wire_read_array_len(&s, true, true, 1, &n), -1);
	tail_free();

	/* two int32 elements: ok with min 4, rejected with min 5 */
	slice_init(&s, tail_copy(two, sizeof(two)), sizeof(two));
	CHECK_EQ_INT(wire_read_array_len(&s, false, false, 4, &n), 0);
	CHECK_EQ_INT(n, 2);
	tail_free();
	slice_init(&s, tail_copy(two, sizeof(two)), sizeof(two));
	CHECK_EQ_INT(wire_read_array_len(&s, false, false, 5, &n), -1);
	tail_free();

	slice_init(&s, tail_copy(null32, 4), 4);
	CHECK_EQ_INT(wire_read_array_len(&s, false, true, 4, &n), 0);
	CHECK_EQ_INT(n, -1);
	tail_free();
	slice_init(&s, tail_copy(null32, 4), 4);
	CHECK_EQ_INT(wire_read_array_len(&s, false, false, 4, &n), -1);
	tail_free();
}

TEST(array_count_no_alloc)
{
	/* Metadata v1 request claiming 2^31-1 topics in 4 more bytes: the
	 * decoder must fail before allocating (arena_used stays 0). */
	static const uint8_t req[] = {0x7f, 0xff, 0xff, 0xff, 0, 1, 'a', 0};
	arena *a = arena_new();
	kmsg_MetadataRequest m;
	slice s;

	slice_init(&s, tail_copy(req, sizeof(req)), sizeof(req));
	CHECK_EQ_INT(kmsg_MetadataRequest_decode(&m, &s, 1, a), -1);
	CHECK(s.err);
	CHECK_EQ_INT(arena_used(a), 0);
	tail_free();
	arena_free(a);
}

TEST(write_prims)
{
	buf b;
	/* clang-format off */
	static const uint8_t want[] = {
		0x00, 0x02, 'h', 'i',   /* STRING */
		0xff, 0xff,             /* null STRING */
		0x03, 'h', 'i',         /* COMPACT_STRING */
		0x00,                   /* null COMPACT */
		0xff, 0xff, 0xff, 0xff, /* null ARRAY */
		0x01,                   /* empty COMPACT_ARRAY */
		0x00, 0x00, 0x00, 0x03, 1, 2, 3, /* BYTES */
	};
	/* clang-format on */
	static const uint8_t three[] = {1, 2, 3};

	buf_init(&b, 1024);
	wire_write_str(&b, false, kstr_c("hi"));
	wire_write_str(&b, false, KSTR_NULL);
	wire_write_str(&b, true, kstr_c("hi"));
	wire_write_str(&b, true, KSTR_NULL);
	wire_write_array_len(&b, false, -1);
	wire_write_array_len(&b, true, 0);
	wire_write_bytes(&b, false, (kbytes){three, 3});
	CHECK_EQ_INT(b.err, 0);
	CHECK_EQ_INT(b.len, sizeof(want));
	CHECK_MEM(b.data, want, sizeof(want));
	buf_release(&b);

	/* a string longer than INT16_MAX cannot be written */
	buf_init(&b, 1 << 20);
	{
		char *big = calloc(1, 40000);
		wire_write_str(&b, false, (kstr){big, 40000});
		free(big);
	}
	CHECK(b.err);
	buf_release(&b);

	/* capped buf: sticky error */
	buf_init(&b, 3);
	wire_write_str(&b, false, kstr_c("hi"));
	CHECK(b.err);
	buf_release(&b);
}

TEST(records_chain)
{
	static const uint8_t x[] = {1, 2, 3}, y[] = {4, 5};
	krecords r2 = {y, 2, -1, 0, NULL};
	krecords r1 = {x, 3, -1, 0, &r2};
	krecords nul = {NULL, -1, -1, 0, NULL};
	/* clang-format off */
	static const uint8_t want[] = { 0, 0, 0, 5, 1, 2, 3, 4, 5, 0x06, 1, 2, 3, 4, 5, 0xff, 0xff,
					0xff, 0xff, 0x00 };
	/* clang-format on */
	buf b;

	buf_init(&b, 1024);
	wire_write_records(&b, false, &r1);
	wire_write_records(&b, true, &r1);
	wire_write_records(&b, false, &nul);
	wire_write_records(&b, true, &nul);
	CHECK_EQ_INT(b.err, 0);
	CHECK_EQ_INT(b.len, sizeof(want));
	CHECK_MEM(b.data, want, sizeof(want));
	buf_release(&b);
}

TEST(records_file)
{
	/* fd >= 0: the bytes become a file ref, the prefix counts them */
	FILE *f = tmpfile();
	krecords r2 = {NULL, 7, 0, 3, NULL};
	krecords r1 = {(const uint8_t *)"ab", 2, -1, 0, &r2};
	buf b;

	CHECK(f != NULL);
	if (!f)
		return;
	r2.fd = fileno(f);
	buf_init(&b, 1024);
	wire_write_records(&b, true, &r1);
	CHECK_EQ_INT(b.err, 0);
	CHECK_EQ_INT(b.len, 3);	     /* prefix (1 byte: 10) + "ab" */
	CHECK_EQ_INT(b.data[0], 10); /* N+1 for 9 bytes */
	CHECK_EQ_INT(b.nrefs, 1);
	CHECK_EQ_INT(b.refs[0].at, 3);
	CHECK_EQ_INT(b.refs[0].len, 7);
	CHECK_EQ_INT(b.refs[0].pos, 3);
	CHECK_EQ_INT(buf_total(&b), 10);
	buf_release(&b);
	fclose(f);
}

TEST(skip_tags)
{
	static const uint8_t ok[] = {0x02, 0x00, 0x01, 0xaa, 0x05, 0x02, 0xbb, 0xcc, 0x99};
	static const uint8_t bad[] = {0x02, 0x00, 0x01, 0xaa, 0x05, 0x05, 0xbb};
	slice s;

	slice_init(&s, tail_copy(ok, sizeof(ok)), sizeof(ok));
	CHECK_EQ_INT(wire_skip_tags(&s), 0);
	CHECK_EQ_INT(slice_left(&s), 1);
	tail_free();
	slice_init(&s, tail_copy(bad, sizeof(bad)), sizeof(bad));
	CHECK_EQ_INT(wire_skip_tags(&s), -1);
	tail_free();
}

/* A Metadata v9 request (flexible: header v2) as a frame body after the
 * size: header then body. */
/* clang-format off */
static const uint8_t metadata_v9[] = {
	0x00, 0x03, 0x00, 0x09,     /* api_key 3, version 9 */
	0x00, 0x00, 0x00, 0x07,     /* correlation id 7 */
	0x00, 0x03, 'c', 'l', 'i',  /* client id: INT16 string even in v2 */
	0x00,                       /* header tags */
	0x02,                       /* topics: 1 */
	0x02, 't',                  /* name "t" */
	0x00,                       /* topic tags */
	0x01,                       /* allow auto topic creation */
	0x00,                       /* include cluster authorized operations (8-10) */
	0x00,                       /* include topic authorized operations */
	0x00,                       /* body tags */
};
/* clang-format on */

TEST(header_v2)
{
	slice s;
	req_header h;
	arena *a = arena_new();
	void *m = NULL;

	slice_init(&s, tail_copy(metadata_v9, sizeof(metadata_v9)), sizeof(metadata_v9));
	CHECK_EQ_INT(frame_parse_request_header(&s, &h), 0);
	CHECK_EQ_INT(h.api_key, 3);
	CHECK_EQ_INT(h.api_version, 9);
	CHECK_EQ_INT(h.correlation_id, 7);
	CHECK(kstr_eq_c(h.client_id, "cli"));
	CHECK(h.flexible);
	CHECK(h.known);
	CHECK_EQ_INT(kmsg_decode_request(h.api_key, h.api_version, &s, a, &m), 0);
	CHECK(m != NULL);
	if (m) {
		kmsg_MetadataRequest *mr = m;

		CHECK_EQ_INT(mr->Topics_count, 1);
		CHECK(kstr_eq_c(mr->Topics[0].Name, "t"));
		CHECK(mr->AllowAutoTopicCreation);
	}
	CHECK_EQ_INT(slice_left(&s), 0);
	tail_free();
	arena_free(a);
}

/* Every strict prefix of a valid frame must fail cleanly (no over-read). */
TEST(every_prefix_fails)
{
	arena *a = arena_new();

	for (size_t n = 0; n < sizeof(metadata_v9); n++) {
		slice s;
		req_header h;
		void *m = NULL;
		int rc;

		slice_init(&s, tail_copy(metadata_v9, n), n);
		rc = frame_parse_request_header(&s, &h);
		if (rc == 0)
			rc = kmsg_decode_request(h.api_key, h.api_version, &s, a, &m);
		CHECK_EQ_INT(rc, -1);
		CHECK(s.err);
		tail_free();
		arena_reset(a);
	}
	arena_free(a);
}

TEST(header_versions)
{
	/* ControlledShutdown v0: header v0, no client id */
	static const uint8_t cs0[] = {0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
	/* ApiVersions v0: header v1 */
	static const uint8_t av0[] = {0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xff};
	/* ApiVersions v9 (beyond the schemas): flexible header, not known */
	/* clang-format off */
	static const uint8_t av9[] = { 0x00, 0x12, 0x00, 0x09, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
				       0x00 };
	/* clang-format on */
	/* unknown key 999: header v1, not known */
	static const uint8_t unk[] = {0x03, 0xe7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00};
	slice s;
	req_header h;
	buf b;

	slice_init(&s, tail_copy(cs0, sizeof(cs0)), sizeof(cs0));
	CHECK_EQ_INT(frame_parse_request_header(&s, &h), 0);
	CHECK(kstr_is_null(h.client_id));
	CHECK_EQ_INT(slice_left(&s), 0);
	tail_free();

	slice_init(&s, tail_copy(av0, sizeof(av0)), sizeof(av0));
	CHECK_EQ_INT(frame_parse_request_header(&s, &h), 0);
	CHECK(kstr_is_null(h.client_id));
	CHECK(!h.flexible && h.known);
	CHECK_EQ_INT(slice_left(&s), 0);
	tail_free();

	slice_init(&s, tail_copy(av9, sizeof(av9)), sizeof(av9));
	CHECK_EQ_INT(frame_parse_request_header(&s, &h), 0);
	CHECK(h.flexible && !h.known);
	CHECK_EQ_INT(slice_left(&s), 0);
	/* ApiVersions answers with response header v0 even when flexible */
	buf_init(&b, 64);
	frame_write_response_header(&b, &h);
	CHECK_EQ_INT(b.len, 4);
	buf_release(&b);
	tail_free();

	slice_init(&s, tail_copy(unk, sizeof(unk)), sizeof(unk));
	CHECK_EQ_INT(frame_parse_request_header(&s, &h), 0);
	CHECK(!h.flexible && !h.known);
	tail_free();

	/* flexible response header: correlation id + empty tag block */
	h.api_key = 3;
	h.correlation_id = 0x01020304;
	h.flexible = true;
	buf_init(&b, 64);
	frame_write_response_header(&b, &h);
	CHECK_EQ_INT(b.len, 5);
	CHECK(b.data[0] == 1 && b.data[3] == 4 && b.data[4] == 0);
	buf_release(&b);
}

TEST(apis_table)
{
	const api_info *ai = apis_find(0);
	int n;
	const api_info *t = apis_table(&n);

	CHECK(ai && kstr_eq_c(kstr_c(ai->name), "Produce"));
	CHECK(ai && ai->first_flexible == 9 && ai->min_version == 0);
	CHECK(apis_find(18) && apis_find(18)->first_flexible == 3);
	CHECK(apis_find(47) && apis_find(47)->first_flexible == -1);
	CHECK(apis_find(4242) == NULL);
	CHECK(apis_is_flexible(1, 12));
	CHECK(!apis_is_flexible(1, 11));
	CHECK(!apis_is_flexible(47, 0));
	CHECK(n > 80);
	for (int i = 1; i < n; i++)
		CHECK(t[i - 1].key < t[i].key);
	CHECK(kmsg_request_codec(0) != NULL);
	CHECK(kmsg_response_codec(60) != NULL);
	CHECK(kmsg_request_codec(4242) == NULL);
}

int main(void)
{
	RUN(uvarint_edges);
	RUN(varlong_edges);
	RUN(varint_too_long);
	RUN(strings);
	RUN(bytes_and_records);
	RUN(array_len);
	RUN(array_count_no_alloc);
	RUN(write_prims);
	RUN(records_chain);
	RUN(records_file);
	RUN(skip_tags);
	RUN(header_v2);
	RUN(every_prefix_fails);
	RUN(header_versions);
	RUN(apis_table);
	return testhelp_done();
}
