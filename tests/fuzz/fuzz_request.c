/*
 * fuzz_request.c: libFuzzer entry for the request path of the codec.
 *
 * The input is a frame body after its 4-byte size: a request header, then
 * the body. It is parsed with frame_parse_request_header(), decoded with
 * kmsg_decode_request() into an arena, and the decoded struct is encoded
 * again in the same version into a capped buf. Any crash, sanitizer report,
 * leak or hang is a bug; a decode failure is fine. When the decode
 * succeeds, the re-encode must succeed too (a decoded message is always
 * encodable), and decoding the re-encoded bytes must give the same bytes
 * again (encode/decode are inverse on what we produce). The record batches
 * of a Produce request also go through the record iterator (riter.c),
 * which parses the same format from disk.
 *
 * Build: make fuzz (or clang -fsanitize=fuzzer,address,undefined, see the
 * Makefile); run: build/fuzz/fuzz_request -max_len=4096 tests/fuzz/corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/slice.h"
#include "proto/frame.h"
#include "proto/gen/apis.h"
#include "proto/gen/msg_produce.h"
#include "proto/kmsg.h"
#include "proto/riter.h"

#define FUZZ_BUF_MAX (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks every record of every batch in one records field. */
static void walk_records(const krecords *r)
{
	const uint8_t *p = r->p;
	size_t left = r->len > 0 ? (size_t)r->len : 0;

	while (left >= RB_HEADER_SIZE) {
		riter it;
		riter_record rec;
		size_t total;

		if (riter_init(&it, p, left) != RB_OK)
			return;
		while (riter_next(&it, &rec) == 1)
			;
		total = rb_total_size(&it.h);
		p += total;
		left -= total;
	}
}

static void walk_produce(const kmsg_ProduceRequest *m)
{
	for (int32_t i = 0; i < m->TopicData_count; i++)
		for (int32_t j = 0; j < m->TopicData[i].PartitionData_count; j++)
			walk_records(&m->TopicData[i].PartitionData[j].Records);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena *a;
	req_header h;
	slice s;
	void *m = NULL, *m2 = NULL;
	buf b, b2;

	if (!a)
		a = arena_new();
	slice_init(&s, data, size);
	if (frame_parse_request_header(&s, &h) != 0)
		return 0;
	if (kmsg_decode_request(h.api_key, h.api_version, &s, a, &m) != 0) {
		arena_reset(a);
		return 0;
	}
	if (h.api_key == KMSG_ProduceRequest_API_KEY)
		walk_produce(m);
	buf_init(&b, FUZZ_BUF_MAX);
	if (kmsg_encode_request(h.api_key, h.api_version, m, &b) != 0 && !b.err)
		abort(); /* decoded, but not encodable */
	if (!b.err) {
		slice_init(&s, b.data ? b.data : (const uint8_t *)"", b.len);
		if (kmsg_decode_request(h.api_key, h.api_version, &s, a, &m2) != 0)
			abort(); /* our own output does not decode */
		buf_init(&b2, FUZZ_BUF_MAX);
		if (kmsg_encode_request(h.api_key, h.api_version, m2, &b2) != 0 ||
		    b2.len != b.len || (b.len && memcmp(b.data, b2.data, b.len) != 0))
			abort(); /* not a fixed point */
		buf_release(&b2);
	}
	buf_release(&b);
	arena_reset(a);
	return 0;
}
