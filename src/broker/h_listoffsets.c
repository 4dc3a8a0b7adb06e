/*
 * h_listoffsets.c: ListOffsets (key 2), v0-v7: auto.offset.reset, seek to
 * beginning/end, offsets_for_times, watermarks and lag tools.
 *
 * Timestamps (ListOffsetsRequest.java, UnifiedLog.fetchOffsetByTimestamp):
 *   -1 LATEST: the high watermark (our durable offset), or the last stable
 *      offset for read_committed (v2+);
 *   -2 EARLIEST (and -4 EARLIEST_LOCAL: no tiered storage here): log start;
 *   -3 MAX_TIMESTAMP (v7+): the batch holding the largest timestamp;
 *   T >= 0: the first batch whose max timestamp is >= T, below the high
 *      watermark; none: offset -1, timestamp -1, error NONE.
 * v0 answers an array of "old style" offsets instead; Burrow and kafkajs
 * still send it. We give the one offset the lookup finds.
 *
 * By time, the time index finds the batch; the answer is the first RECORD
 * of it with a timestamp >= T (Kafka's LogSegment.findOffsetByTimestamp),
 * so the batch is read and its records walked, decompressed if needed.
 */
#include "broker/handlers.h"
#include "broker/topics.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/gen/messages.h"
#include "proto/records.h"
#include "proto/riter.h"
#include "storage/cleaner.h"

#include <stdlib.h>
#include <unistd.h>

#define LOOKUP_MAX_BATCH (64u << 20) /* largest batch read for a lookup */

#define TS_LATEST (-1)
#define TS_EARLIEST (-2)
#define TS_MAX (-3)
#define TS_EARLIEST_LOCAL (-4)
#define TS_LATEST_TIERED (-5)

/*
 * Refines a batch found by time to the first record in it with a timestamp
 * >= when. On any trouble keeps the batch answer (logged).
 */
static void refine_by_record(plog *log, int64_t upto, int64_t when, int64_t *offset, int64_t *ts)
{
	plog_range rg;
	uint8_t hdr[RB_HEADER_SIZE], *batch = NULL;
	rb_header h;
	buf out;
	size_t total;
	riter it;
	riter_record r;
	int rc;

	buf_init(&out, LOOKUP_MAX_BATCH);
	if (plog_read(log, *offset, 1, upto, &rg) != 0 || rg.len < RB_HEADER_SIZE ||
	    pread(rg.fd, hdr, sizeof(hdr), rg.pos) != (ssize_t)sizeof(hdr) ||
	    rb_parse_header(hdr, rg.len, &h) != RB_OK)
		goto keep;
	if (h.attributes & RB_ATTR_LOG_APPEND_TIME)
		goto keep; /* every record has the batch's time: the first one answers */
	total = rb_total_size(&h);
	if (total > LOOKUP_MAX_BATCH)
		goto keep;
	batch = xmalloc(total);
	if (pread(rg.fd, batch, total, rg.pos) != (ssize_t)total || rb_check(batch, total, &h) != RB_OK)
		goto bad;
	if (cleaner_records_open(&it, batch, &h, &out) != 0)
		goto bad;
	while ((rc = riter_next(&it, &r)) == 1) {
		if (r.timestamp >= when) {
			*offset = r.offset;
			*ts = r.timestamp;
			break;
		}
	}
	if (rc < 0)
		goto bad;
	goto keep;
bad:
	log_warn("cannot read the batch at offset %lld of '%s' for a lookup by time: "
		 "answering with the batch's first offset", (long long)*offset, plog_dir(log));
keep:
	free(batch);
	buf_release(&out);
}

/* Looks one partition up; fills *offset and *ts or returns an error. */
static enum kerr lookup(plog *log, int64_t when, bool read_committed, int16_t version,
			int64_t *offset, int64_t *ts)
{
	int64_t hwm = plog_durable_offset(log);
	int64_t lso = plog_lso(log) < hwm ? plog_lso(log) : hwm;

	*ts = -1;
	switch (when) {
	case TS_LATEST:
		*offset = read_committed ? lso : hwm;
		return KERR_NONE;
	case TS_EARLIEST:
	case TS_EARLIEST_LOCAL:
		*offset = plog_start_offset(log);
		return KERR_NONE;
	case TS_LATEST_TIERED:
		*offset = -1;
		return KERR_NONE;
	case TS_MAX:
		if (version < 7)
			return KERR_UNSUPPORTED_VERSION;
		plog_max_timestamp(log, offset, ts);
		return KERR_NONE;
	default:
		break;
	}
	if (when < 0)
		return KERR_INVALID_REQUEST;
	if (plog_offset_for_time(log, when, offset, ts) != 0)
		return KERR_KAFKA_STORAGE_ERROR;
	if (*offset >= 0 && *offset < (read_committed ? lso : hwm))
		refine_by_record(log, read_committed ? lso : hwm, when, offset, ts);
	if (*offset >= (read_committed ? lso : hwm)) {
		*offset = -1;
		*ts = -1;
	}
	return KERR_NONE;
}

static void answer_partition(broker *b, arena *a, topic *t, int16_t version, bool read_committed,
			     const kmsg_ListOffsetsRequest_ListOffsetsPartition *p,
			     kmsg_ListOffsetsResponse_ListOffsetsPartitionResponse *pr)
{
	plog *log = t ? topic_partition(t, p->PartitionIndex) : NULL;
	int64_t offset = -1, ts = -1;

	(void)b;
	kmsg_ListOffsetsResponse_ListOffsetsPartitionResponse_init(pr);
	pr->PartitionIndex = p->PartitionIndex;
	pr->Timestamp = -1;
	pr->Offset = -1;
	pr->LeaderEpoch = -1;
	if (!log) {
		pr->ErrorCode = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	pr->ErrorCode = lookup(log, p->Timestamp, read_committed, version, &offset, &ts);
	if (pr->ErrorCode)
		return;
	pr->Offset = offset;
	pr->Timestamp = ts;
	if (offset >= 0)
		pr->LeaderEpoch = 0;
	if (version == 0) {
		/* v0: an array of at most MaxNumOffsets offsets */
		int64_t *olds = arena_calloc(a, 1, sizeof(*olds));

		if (offset < 0)
			offset = plog_durable_offset(log);
		olds[0] = offset;
		pr->OldStyleOffsets = olds;
		pr->OldStyleOffsets_count = p->MaxNumOffsets > 0 ? 1 : 0;
	}
}

int handle_ListOffsets(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_ListOffsetsRequest m;
	kmsg_ListOffsetsResponse resp;
	bool read_committed;

	kmsg_ListOffsetsRequest_init(&m);
	if (kmsg_ListOffsetsRequest_decode(&m, body, version, a) < 0)
		return -1;
	read_committed = version >= 2 && m.IsolationLevel == 1;
	kmsg_ListOffsetsResponse_init(&resp);
	resp.Topics_count = m.Topics_count > 0 ? m.Topics_count : 0;
	resp.Topics = arena_calloc(a, (size_t)resp.Topics_count, sizeof(*resp.Topics));
	for (int i = 0; i < resp.Topics_count; i++) {
		kmsg_ListOffsetsRequest_ListOffsetsTopic *rt = &m.Topics[i];
		kmsg_ListOffsetsResponse_ListOffsetsTopicResponse *tr = &resp.Topics[i];
		topic *t = topics_find(broker_topics(b), rt->Name);
		int np = rt->Partitions_count > 0 ? rt->Partitions_count : 0;

		tr->Name = rt->Name;
		tr->Partitions_count = np;
		tr->Partitions = arena_calloc(a, (size_t)np, sizeof(*tr->Partitions));
		for (int k = 0; k < np; k++)
			answer_partition(b, a, t, version, read_committed, &rt->Partitions[k],
					 &tr->Partitions[k]);
	}
	kmsg_ListOffsetsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}
