/*
 * h_listoffsets.c: ListOffsets (key 2), v0-v7: auto.offset.reset, seek to
 * beginning/end, offsets_for_times, watermarks and lag tools.
 *
 * Timestamps (ListOffsetsRequest.java, UnifiedLog.fetchOffsetByTimestamp):
 *   -1 LATEST: the high watermark (our durable offset), or the last stable
 *      offset for read_committed (v2+);
 *   -2 EARLIEST (and -4 EARLIEST_LOCAL: no tiered storage here): log start;
 *   -3 MAX_TIMESTAMP (v7+): the first record holding the largest timestamp
 *      at or after the log start (Kafka 3.8+, KAFKA-16310);
 *   T >= 0: the first record at or after the log start whose timestamp is
 *      >= T.
 * -3 and T answer only offsets below the high watermark (the LSO for
 * read_committed); none: offset -1, timestamp -1, error NONE. Nothing is
 * ever answered below the log start, even while DeleteRecords leaves the
 * records below it in the first segment.
 * v0 answers an array of "old style" offsets instead; Burrow and kafkajs
 * still send it. We give the one offset the lookup finds.
 * From v1 on, every entry of a partition listed twice gets INVALID_REQUEST.
 *
 * For -3 and T, the storage finds the batch (time index, batch headers);
 * the answer is a RECORD of it (Kafka's LogSegment.findOffsetByTimestamp,
 * RecordBatch.offsetOfMaxTimestamp), so the batch is read and its records
 * walked, decompressed if needed.
 */
#include "broker/handlers.h"
#include "broker/hutil.h"
#include "broker/topics.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/gen/messages.h"
#include "proto/records.h"
#include "proto/riter.h"
#include "storage/cleaner.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOOKUP_MAX_BATCH (64u << 20) /* largest batch read for a lookup */
#define LOOKUP_MAX_WALKS 8 /* batches walked per lookup (see walks_exhausted) */

#define TS_LATEST (-1)
#define TS_EARLIEST (-2)
#define TS_MAX (-3)
#define TS_EARLIEST_LOCAL (-4)
#define TS_LATEST_TIERED (-5)

/*
 * Reads the batch holding offset at (below upto) and walks its records from
 * at on, decompressing if needed: *offset and *ts get the first record
 * whose timestamp is >= stop or, when none is, the first record with the
 * largest timestamp (-1/-1 when no record is at or after at); *next gets
 * the offset after the batch. Returns 0, or -1 when the batch cannot be
 * read or parsed (logged).
 */
static int walk_batch(plog *log, int64_t upto, int64_t at, int64_t stop, int64_t *offset,
		      int64_t *ts, int64_t *next)
{
	plog_range rg;
	uint8_t hdr[RB_HEADER_SIZE], *batch = NULL;
	rb_header h;
	buf out;
	size_t total;
	riter it;
	riter_record r;
	int rc = -1;

	*offset = -1;
	*ts = -1;
	*next = at + 1;
	buf_init(&out, LOOKUP_MAX_BATCH);
	if (plog_read(log, at, 1, upto, &rg) != 0 || rg.len < RB_HEADER_SIZE ||
	    pread(rg.fd, hdr, sizeof(hdr), rg.pos) != (ssize_t)sizeof(hdr) ||
	    rb_parse_header(hdr, rg.len, &h) != RB_OK)
		goto out;
	total = rb_total_size(&h);
	if (total > LOOKUP_MAX_BATCH)
		goto out;
	batch = xmalloc(total);
	if (pread(rg.fd, batch, total, rg.pos) != (ssize_t)total || rb_check(batch, total, &h) != RB_OK ||
	    cleaner_records_open(&it, batch, &h, &out) != 0)
		goto out;
	*next = h.base_offset + h.last_offset_delta + 1;
	while ((rc = riter_next(&it, &r)) == 1) {
		if (r.offset < at)
			continue; /* below the log start (or the search's start) */
		if (*offset < 0 || r.timestamp > *ts) {
			*offset = r.offset;
			*ts = r.timestamp;
		}
		if (r.timestamp >= stop)
			break;
	}
	rc = rc < 0 ? -1 : 0;
out:
	if (rc)
		log_warn("cannot read the batch at offset %lld of '%s' for a lookup by time: "
			 "answering with the batch's first offset", (long long)at, plog_dir(log));
	free(batch);
	buf_release(&out);
	return rc;
}

/* Whether a lookup has walked as many batches as it may (logged). On valid
 * data it walks two at most: the one straddling the log start, then the
 * next one the headers point at. */
static bool walks_exhausted(plog *log, int walks)
{
	if (walks < LOOKUP_MAX_WALKS)
		return false;
	log_warn("batch headers of '%s' claim timestamps their records do not have: "
		 "answering a lookup by time with a batch's first offset", plog_dir(log));
	return true;
}

/*
 * T >= 0: the first record at or after the log start whose timestamp is
 * >= when (Kafka's LogSegment.findOffsetByTimestamp from logStartOffset).
 * The time index finds the batch and its records are walked. A batch
 * straddling the log start may owe its max timestamp to a record below the
 * start: then the search goes on past it. A batch that cannot be read, or
 * too many headers claiming times no record has (the producer sets them),
 * leave the batch's offset as the answer. Returns 0 or -1 (storage error).
 */
static int by_time(plog *log, int64_t when, int64_t upto, int64_t *offset, int64_t *ts)
{
	int64_t from = plog_start_offset(log), bo, bts, next;

	for (int walks = 0;; walks++) {
		if (plog_offset_for_time_from(log, when, from, &bo, &bts) != 0)
			return -1;
		if (bo < 0 || bo >= upto || walks_exhausted(log, walks) ||
		    walk_batch(log, upto, bo, when, offset, ts, &next) != 0)
			break;
		if (*ts >= when)
			return 0;
		from = next;
	}
	*offset = bo;
	*ts = bts;
	return 0;
}

/*
 * -3 MAX_TIMESTAMP (v7+): the first record at or after the log start with
 * the largest timestamp (Kafka 3.8+, KAFKA-16310; older brokers gave the
 * batch's last offset). The batch headers find the batch and its records
 * are walked. When the maximum of a batch straddling the log start belongs
 * to a record below it, the best record from the start on competes with
 * the batches after it (ties go to the earlier offset). Fallbacks as in
 * by_time. Returns 0 or -1 (storage error).
 */
static int max_time(plog *log, int64_t upto, int64_t *offset, int64_t *ts)
{
	int64_t from = plog_start_offset(log), bo, bts, ro, rts, next;

	*offset = -1;
	*ts = -1;
	for (int walks = 0;; walks++) {
		if (plog_max_timestamp(log, from, &bo, &bts) != 0)
			return -1;
		if (bo < 0 || bts <= *ts)
			return 0; /* nothing after from beats the best so far */
		if (bo >= upto || walks_exhausted(log, walks) ||
		    walk_batch(log, upto, bo, bts, &ro, &rts, &next) != 0)
			break;
		if (rts > *ts) {
			*offset = ro;
			*ts = rts;
		}
		if (rts >= bts)
			return 0;
		from = next;
	}
	*offset = bo;
	*ts = bts;
	return 0;
}

/* Looks one partition up; fills *offset and *ts or returns an error. Only
 * offsets below the HWM (read_committed: the LSO) are answered, as Kafka's
 * Partition.fetchOffsetForTimestamp filters them; none is below the log
 * start. */
static enum kerr lookup(plog *log, int64_t when, bool read_committed, int16_t version,
			int64_t *offset, int64_t *ts)
{
	int64_t hwm = plog_durable_offset(log);
	int64_t upto = read_committed && plog_lso(log) < hwm ? plog_lso(log) : hwm;
	int rc;

	*ts = -1;
	switch (when) {
	case TS_LATEST:
		*offset = upto;
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
		rc = max_time(log, upto, offset, ts);
		break;
	default:
		if (when < 0)
			return KERR_INVALID_REQUEST;
		rc = by_time(log, when, upto, offset, ts);
		break;
	}
	if (rc != 0)
		return KERR_KAFKA_STORAGE_ERROR;
	if (*offset >= upto) {
		*offset = -1;
		*ts = -1;
	}
	return KERR_NONE;
}

/*
 * dup[i][k]: whether the request lists the partition of entry k of topic i
 * more than once, over the whole request (a topic may come twice): Kafka's
 * ListOffsetsRequest.duplicatePartitions, whose entries KafkaApis answers
 * INVALID_REQUEST from v1 on. From the arena; the (partition, name) pairs
 * go to hutil_mark_duplicates() in one flat list.
 */
static bool **mark_duplicates(arena *a, const kmsg_ListOffsetsRequest *m, int nt)
{
	bool **dup = arena_calloc(a, (size_t)nt + 1, sizeof(*dup));
	size_t n = 0;
	int at = 0;
	kstr *names;
	int32_t *parts;
	bool *flat;

	for (int i = 0; i < nt; i++)
		n += m->Topics[i].Partitions_count > 0 ? (size_t)m->Topics[i].Partitions_count : 0;
	names = arena_calloc(a, n + 1, sizeof(*names));
	parts = arena_calloc(a, n + 1, sizeof(*parts));
	for (int i = 0; i < nt; i++)
		for (int k = 0; k < m->Topics[i].Partitions_count; k++, at++) {
			names[at] = m->Topics[i].Name;
			parts[at] = m->Topics[i].Partitions[k].PartitionIndex;
		}
	flat = hutil_mark_duplicates(a, parts, names, at);
	at = 0;
	for (int i = 0; i < nt; i++) {
		dup[i] = flat + at;
		at += m->Topics[i].Partitions_count > 0 ? m->Topics[i].Partitions_count : 0;
	}
	return dup;
}

static void answer_partition(arena *a, topic *t, int16_t version, bool read_committed, bool dup,
			     const kmsg_ListOffsetsRequest_ListOffsetsPartition *p,
			     kmsg_ListOffsetsResponse_ListOffsetsPartitionResponse *pr)
{
	plog *log = t ? topic_partition(t, p->PartitionIndex) : NULL;
	int64_t offset = -1, ts = -1;

	kmsg_ListOffsetsResponse_ListOffsetsPartitionResponse_init(pr);
	pr->PartitionIndex = p->PartitionIndex;
	pr->Timestamp = -1;
	pr->Offset = -1;
	pr->LeaderEpoch = -1;
	if (dup) {
		pr->ErrorCode = KERR_INVALID_REQUEST;
		return;
	}
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
	bool read_committed, **dup;

	kmsg_ListOffsetsRequest_init(&m);
	if (kmsg_ListOffsetsRequest_decode(&m, body, version, a) < 0)
		return -1;
	read_committed = version >= 2 && m.IsolationLevel == 1;
	kmsg_ListOffsetsResponse_init(&resp);
	resp.Topics_count = m.Topics_count > 0 ? m.Topics_count : 0;
	resp.Topics = arena_calloc(a, (size_t)resp.Topics_count, sizeof(*resp.Topics));
	/* from v1 on, as Kafka: its v0 path has no such check */
	dup = version >= 1 ? mark_duplicates(a, &m, resp.Topics_count) : NULL;
	for (int i = 0; i < resp.Topics_count; i++) {
		kmsg_ListOffsetsRequest_ListOffsetsTopic *rt = &m.Topics[i];
		kmsg_ListOffsetsResponse_ListOffsetsTopicResponse *tr = &resp.Topics[i];
		topic *t = topics_find(broker_topics(b), rt->Name);
		int np = rt->Partitions_count > 0 ? rt->Partitions_count : 0;

		tr->Name = rt->Name;
		tr->Partitions_count = np;
		tr->Partitions = arena_calloc(a, (size_t)np, sizeof(*tr->Partitions));
		for (int k = 0; k < np; k++)
			answer_partition(a, t, version, read_committed, dup && dup[i][k],
					 &rt->Partitions[k], &tr->Partitions[k]);
	}
	kmsg_ListOffsetsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}
