/*
 * h_produce.c: Produce (key 0), v3-v9.
 *
 * Each partition carries exactly one RecordBatch v2 (Produce v3+). It is
 * checked (header, CRC-32C, counts, size limits), appended as sent (the log
 * patches its base offset), and the partition's log is marked dirty for
 * group commit. The answer depends on acks:
 *   acks=0   no response at all; if anything failed the connection is
 *            closed instead, as Kafka does (KafkaApis.handleProduceRequest);
 *   acks=1   answered once written (write() returned);
 *   acks=-1  answered once every appended partition is durable (fsync),
 *            through purgatory_wait_durable(): one fsync serves every
 *            request that arrived meanwhile.
 * Produce v0-v2 carry message formats v0/v1, which tidemark does not store
 * (Kafka 4.0 dropped them too, KIP-724): they are decoded and every
 * partition is answered UNSUPPORTED_VERSION. The range is advertised from
 * v0 only because librdkafka enables compression by probing it.
 * NEEDSWORK: idempotent/transactional producers (producer id, epoch and
 * sequence checks, duplicate detection, LSO) hook in at check_batch() and
 * after the append, in src/txn/.
 */
#include "broker/handlers.h"
#include "broker/purgatory.h"
#include "broker/topics.h"
#include "core/clock.h"
#include "core/logger.h"
#include "proto/gen/messages.h"
#include "proto/records.h"
#include "storage/cleaner.h"

typedef struct produce_ctx {
	req *r;
	int16_t version;
	int pending; /* durable waits outstanding */
	kmsg_ProduceResponse resp;
} produce_ctx;

typedef struct produce_wait {
	produce_ctx *ctx;
	kmsg_ProduceResponse_PartitionProduceResponse *pr;
	int64_t end; /* durable offset needed: last offset + 1 */
} produce_wait;

/* Checks one partition's records; returns a Kafka error code. */
static enum kerr check_batch(const topic *t, krecords rec, rb_header *h)
{
	int rc;

	if (rec.len < RB_HEADER_SIZE)
		return rec.len <= 0 ? KERR_INVALID_RECORD : KERR_CORRUPT_MESSAGE;
	rc = rb_check(rec.p, (size_t)rec.len, h);
	if (rc == RB_BAD_MAGIC)
		return KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
	if (rc != RB_OK)
		return KERR_CORRUPT_MESSAGE;
	if (rb_total_size(h) != (size_t)rec.len)
		return KERR_INVALID_RECORD; /* v3+ carries exactly one batch */
	if (h->attributes & RB_ATTR_CONTROL)
		return KERR_INVALID_RECORD; /* clients may not write control batches */
	if (h->producer_id >= 0 && h->base_sequence < 0)
		return KERR_INVALID_RECORD;
	if (rec.len > topic_cfg(t)->max_message_bytes)
		return KERR_MESSAGE_TOO_LARGE;
	if ((int64_t)rec.len > topic_cfg(t)->segment_bytes)
		return KERR_RECORD_LIST_TOO_LARGE;
	/* compacted topics need a key on every record (LogValidator) */
	if (topic_cfg(t)->compact) {
		int rc2 = cleaner_check_keys(rec.p, (size_t)rec.len,
					     (size_t)topic_cfg(t)->max_message_bytes * 4u + (1u << 20));

		if (rc2 == 1)
			return KERR_INVALID_RECORD;
		if (rc2 < 0)
			return KERR_CORRUPT_MESSAGE;
	}
	return KERR_NONE;
}

static void produce_finish(produce_ctx *ctx)
{
	kmsg_ProduceResponse_encode(&ctx->resp, req_body(ctx->r), ctx->version);
	req_respond(ctx->r);
}

static void on_durable(void *ud, int err)
{
	produce_wait *w = ud;

	if (err) {
		w->pr->ErrorCode = KERR_KAFKA_STORAGE_ERROR;
		w->pr->BaseOffset = -1;
	}
	if (--w->ctx->pending == 0)
		produce_finish(w->ctx);
}

/* Appends one partition's batch, filling pr. Returns the log written to
 * (for a durability wait), or NULL. */
static plog *produce_partition(broker *b, topic *t, kmsg_ProduceRequest_PartitionProduceData *pd,
			       kmsg_ProduceResponse_PartitionProduceResponse *pr, int64_t *end)
{
	plog *log = t ? topic_partition(t, pd->Index) : NULL;
	plog_append_info info;
	rb_header h;
	int rc;

	pr->Index = pd->Index;
	pr->BaseOffset = -1;
	pr->LogAppendTimeMs = -1;
	pr->LogStartOffset = -1;
	if (!log) {
		pr->ErrorCode = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return NULL;
	}
	pr->ErrorCode = check_batch(t, pd->Records, &h);
	if (pr->ErrorCode) {
		log_warn("rejected produce to '%.*s' partition %d: error %d", KSTR_FMT(topic_name(t)),
			 pd->Index, pr->ErrorCode);
		return NULL;
	}
	/* the request bytes belong to this request: patching them in place is safe */
	rc = plog_append(log, (uint8_t *)(uintptr_t)pd->Records.p, (size_t)pd->Records.len,
			 clock_now_ms(), &info);
	if (rc) {
		pr->ErrorCode = KERR_KAFKA_STORAGE_ERROR;
		/* disk full or failing: the purgatory reopens the log once it works */
		purgatory_log_failed(broker_purgatory(b), log);
		return NULL;
	}
	purgatory_appended(broker_purgatory(b), log);
	pr->BaseOffset = info.base_offset;
	pr->LogAppendTimeMs = info.log_append_time;
	pr->LogStartOffset = info.log_start_offset;
	*end = info.last_offset + 1;
	return log;
}

int handle_Produce(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_ProduceRequest m;
	produce_ctx *ctx;
	bool failed = false;
	int nparts = 0;

	kmsg_ProduceRequest_init(&m);
	if (kmsg_ProduceRequest_decode(&m, body, version, a) < 0)
		return -1;
	if (version < 3 && m.Acks == 0) {
		req_close_conn(r, "produce with message format v0/v1 and acks=0");
		return 0;
	}
	ctx = arena_calloc(a, 1, sizeof(*ctx));
	ctx->r = r;
	ctx->version = version;
	kmsg_ProduceResponse_init(&ctx->resp);
	ctx->resp.Responses = arena_calloc(a, (size_t)(m.TopicData_count > 0 ? m.TopicData_count : 0),
					   sizeof(*ctx->resp.Responses));
	ctx->resp.Responses_count = m.TopicData_count > 0 ? m.TopicData_count : 0;
	for (int i = 0; i < ctx->resp.Responses_count; i++)
		nparts += m.TopicData[i].PartitionData_count > 0 ? m.TopicData[i].PartitionData_count : 0;

	produce_wait *waits = arena_calloc(a, (size_t)nparts + 1, sizeof(*waits));
	plog **logs = arena_calloc(a, (size_t)nparts + 1, sizeof(*logs));
	int nw = 0;

	for (int i = 0; i < ctx->resp.Responses_count; i++) {
		kmsg_ProduceRequest_TopicProduceData *td = &m.TopicData[i];
		kmsg_ProduceResponse_TopicProduceResponse *tr = &ctx->resp.Responses[i];
		topic *t = topics_find(broker_topics(b), td->Name);
		int np = td->PartitionData_count > 0 ? td->PartitionData_count : 0;

		tr->Name = td->Name;
		tr->PartitionResponses = arena_calloc(a, (size_t)np, sizeof(*tr->PartitionResponses));
		tr->PartitionResponses_count = np;
		for (int k = 0; k < np; k++) {
			kmsg_ProduceResponse_PartitionProduceResponse *pr = &tr->PartitionResponses[k];
			plog *log;
			int64_t end = 0;

			kmsg_ProduceResponse_PartitionProduceResponse_init(pr);
			if (version < 3 || (m.Acks != 0 && m.Acks != 1 && m.Acks != -1)) {
				pr->Index = td->PartitionData[k].Index;
				pr->ErrorCode = version < 3 ? KERR_UNSUPPORTED_VERSION
							    : KERR_INVALID_REQUIRED_ACKS;
				pr->BaseOffset = -1;
				continue;
			}
			log = produce_partition(b, t, &td->PartitionData[k], pr, &end);
			if (!log) {
				failed = true;
				continue;
			}
			waits[nw] = (produce_wait){ ctx, pr, end };
			logs[nw++] = log;
		}
	}
	if (m.Acks == 0) {
		if (failed)
			req_close_conn(r, "acks=0 produce failed");
		else
			req_drop(r);
		return 0;
	}
	if (m.Acks == 1 || nw == 0) {
		produce_finish(ctx);
		return 0;
	}
	/* acks=all: wait until every appended partition is durable */
	ctx->pending = nw + 1; /* +1 guards against completion inside the loop */
	for (int i = 0; i < nw; i++)
		purgatory_wait_durable(broker_purgatory(b), logs[i], waits[i].end,
				       on_durable, &waits[i]);
	if (--ctx->pending == 0)
		produce_finish(ctx);
	return 0;
}
