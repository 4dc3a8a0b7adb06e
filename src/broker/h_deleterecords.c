/*
 * h_deleterecords.c: DeleteRecords (key 21), v0-v2: moves partitions' log
 * start offsets forward on request (AdminClient.deleteRecords,
 * kafka-delete-records.sh).
 *
 * Per partition (ReplicaManager.deleteRecords, UnifiedLog
 * .maybeIncrementLogStartOffset):
 *   Offset -1 (DeleteRecordsRequest.HIGH_WATERMARK) means the high
 *   watermark (our durable offset); another negative offset or one past the
 *   high watermark is OFFSET_OUT_OF_RANGE; an offset at or below the
 *   current start leaves it and answers it.
 *   Internal topics: INVALID_TOPIC_EXCEPTION ("cannot delete records of an
 *   internal topic"); a topic whose cleanup.policy lacks delete:
 *   POLICY_VIOLATION, as Kafka refuses to move the start of a compacted
 *   log on a client's request.
 *   LowWatermark is the log start offset afterwards (-1 on error).
 *
 * Durability: the new start offset is persisted (plog_persist_start: file
 * written, fsynced, renamed, directory fsynced, which also makes the
 * segment deletions durable) before the response is queued, so a record a
 * client was told is deleted never comes back after a crash. This blocks
 * the loop for those fsyncs; DeleteRecords is a rare admin call.
 * TimeoutMs does not matter: with one replica the answer is immediate.
 */
#include "broker/handlers.h"
#include "broker/topics.h"
#include "core/logger.h"
#include "proto/gen/messages.h"

#define DR_HIGH_WATERMARK (-1)

/* Deletes up to `offset` in log; returns the error code for the answer. */
static enum kerr delete_in(topic *t, int32_t p, plog *log, int64_t offset)
{
	int64_t hwm = plog_durable_offset(log), before = plog_start_offset(log);
	kstr name = topic_name(t);
	int rc;

	if (topic_internal(t))
		return KERR_INVALID_TOPIC_EXCEPTION;
	if (!topic_cfg(t)->delete_)
		return KERR_POLICY_VIOLATION;
	if (plog_failed(log))
		return KERR_KAFKA_STORAGE_ERROR;
	if (offset == DR_HIGH_WATERMARK)
		offset = hwm;
	if (offset < 0 || offset > hwm)
		return KERR_OFFSET_OUT_OF_RANGE;
	if (offset == 0)
		return KERR_NONE; /* nothing can lie below offset 0 */
	/* persisted even when the start is already there: retention may have
	 * moved it without a directory fsync, and the client is now told
	 * that everything below is gone for good */
	rc = plog_advance_start(log, offset);
	if (!rc)
		rc = plog_persist_start(log);
	if (rc == PLOG_ERANGE)
		return KERR_OFFSET_OUT_OF_RANGE; /* never: offset <= hwm <= LEO */
	if (rc) {
		log_error("cannot delete records of '%.*s-%d' below offset %lld (error %d)",
			  (int)name.len, name.p, (int)p, (long long)offset, rc);
		return KERR_KAFKA_STORAGE_ERROR;
	}
	if (plog_start_offset(log) > before)
		log_info("deleted records of '%.*s-%d' below offset %lld (DeleteRecords)",
			 (int)name.len, name.p, (int)p, (long long)offset);
	return KERR_NONE;
}

static void answer_partition(topic *t, const kmsg_DeleteRecordsRequest_DeleteRecordsPartition *rp,
			     kmsg_DeleteRecordsResponse_DeleteRecordsPartitionResult *pr)
{
	plog *log = t ? topic_partition(t, rp->PartitionIndex) : NULL;

	kmsg_DeleteRecordsResponse_DeleteRecordsPartitionResult_init(pr);
	pr->PartitionIndex = rp->PartitionIndex;
	pr->LowWatermark = -1;
	if (!log) {
		pr->ErrorCode = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	pr->ErrorCode = delete_in(t, rp->PartitionIndex, log, rp->Offset);
	if (pr->ErrorCode == KERR_NONE)
		pr->LowWatermark = plog_start_offset(log);
}

int handle_DeleteRecords(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_DeleteRecordsRequest m;
	kmsg_DeleteRecordsResponse resp;

	kmsg_DeleteRecordsRequest_init(&m);
	if (kmsg_DeleteRecordsRequest_decode(&m, body, version, a) < 0)
		return -1;
	kmsg_DeleteRecordsResponse_init(&resp);
	resp.Topics_count = m.Topics_count > 0 ? m.Topics_count : 0;
	resp.Topics = arena_calloc(a, (size_t)resp.Topics_count, sizeof(*resp.Topics));
	for (int i = 0; i < resp.Topics_count; i++) {
		kmsg_DeleteRecordsRequest_DeleteRecordsTopic *rt = &m.Topics[i];
		kmsg_DeleteRecordsResponse_DeleteRecordsTopicResult *tr = &resp.Topics[i];
		topic *t = topics_find(broker_topics(b), rt->Name);
		int np = rt->Partitions_count > 0 ? rt->Partitions_count : 0;

		kmsg_DeleteRecordsResponse_DeleteRecordsTopicResult_init(tr);
		tr->Name = rt->Name;
		tr->Partitions_count = np;
		tr->Partitions = arena_calloc(a, (size_t)np, sizeof(*tr->Partitions));
		for (int k = 0; k < np; k++)
			answer_partition(t, &rt->Partitions[k], &tr->Partitions[k]);
	}
	kmsg_DeleteRecordsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}
