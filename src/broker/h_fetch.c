/*
 * h_fetch.c: Fetch (key 1), v4-v12, with long polling.
 *
 * Consumers read below the high watermark, which on tidemark is the durable
 * offset: a consumer never sees a record that a crash could take back.
 * read_committed consumers read below min(LSO, HWM) (the LSO equals the HWM
 * until transactions land). Record data is never copied: each partition's
 * records are file ranges of the segment files, sent with sendfile().
 *
 * Size limits follow Kafka: the first partition that has data returns at
 * least one whole batch even past max_bytes/partition_max_bytes (so a large
 * batch never blocks a consumer); later partitions only fill what is left
 * of max_bytes. max_bytes is also capped by tidemark.fetch.response.max.bytes
 * (4 MiB): librdkafka consumes 2-4x faster from several 1-4 MiB responses
 * than from one of its default fetch.max.bytes (50 MiB); see bench/README.md.
 * Clients rotate the partition order between fetches, so the cap is fair.
 *
 * When fewer than min_bytes are ready and max_wait_ms > 0, the fetch parks
 * in the purgatory until a watched partition gets new durable data or the
 * wait runs out. Each wake-up first counts the ready bytes without building
 * anything (fetch_ready), so a fetch that waits long for a large min_bytes
 * costs no memory per wake-up; the response is built once, at the end.
 *
 * Fetch sessions (KIP-227) are not kept: we always answer SessionId 0,
 * which tells clients to keep sending full fetch requests.
 */
#include "broker/handlers.h"
#include "broker/purgatory.h"
#include "broker/topics.h"
#include "core/logger.h"
#include "net/loop.h"
#include "proto/gen/messages.h"

#define FETCH_MAX_RANGES 64 /* file ranges per partition per response */

typedef struct fetch_ctx {
	broker *b;
	req *r;
	int16_t version;
	kmsg_FetchRequest m;
	int64_t deadline; /* loop_now() ms */
	pwait *wait;
	plog **park;      /* the partitions a parked fetch watches (built once) */
	int npark;
} fetch_ctx;

static int32_t clamp_pos(int32_t v, int32_t dflt)
{
	return v > 0 ? v : dflt;
}

/*
 * Reads partition data at fp->FetchOffset into pd->Records, at most
 * max_bytes unless first. Returns bytes added.
 */
static size_t read_partition(arena *a, plog *log, int64_t offset, int64_t upto, size_t max_bytes,
			     bool first, kmsg_FetchResponse_PartitionData *pd)
{
	krecords *head = NULL, **tail = &head;
	size_t total = 0;
	int nranges = 0;

	while (offset < upto && nranges < FETCH_MAX_RANGES) {
		plog_range rg;
		krecords *kr;
		size_t want = max_bytes > total ? max_bytes - total : 0;

		if (want == 0 && !(first && total == 0))
			break;
		if (plog_read(log, offset, want ? want : 1, upto, &rg) != 0 || rg.len == 0)
			break;
		if (total + rg.len > max_bytes && !(first && total == 0))
			break; /* only the very first batch may pass the limit */
		kr = arena_calloc(a, 1, sizeof(*kr));
		kr->fd = rg.fd;
		kr->file_pos = rg.pos;
		kr->len = (int32_t)rg.len;
		*tail = kr;
		tail = (krecords **)&kr->next;
		total += rg.len;
		nranges++;
		/* a range stops at a segment end: continue in the next segment */
		if (rg.next_offset <= offset)
			break;
		offset = rg.next_offset;
	}
	if (head) {
		pd->Records = *head;
	} else {
		pd->Records.p = (const uint8_t *)"";
		pd->Records.len = 0; /* never null: null breaks librdkafka (KAFKA-18646) */
		pd->Records.fd = -1;
	}
	return total;
}

/* The error a partition's data is answered with instead of records (not
 * for a missing log: the caller answers that), or KERR_NONE. */
static enum kerr partition_error(plog *log, int64_t fetch_offset)
{
	if (plog_failed(log))
		return KERR_KAFKA_STORAGE_ERROR;
	if (fetch_offset < plog_start_offset(log) || fetch_offset > plog_end_offset(log))
		return KERR_OFFSET_OUT_OF_RANGE;
	return KERR_NONE;
}

/* Where reading stops: the HWM, or for read_committed the LSO below it. */
static int64_t read_upto(plog *log, bool read_committed)
{
	int64_t hwm = plog_durable_offset(log);

	return read_committed && plog_lso(log) < hwm ? plog_lso(log) : hwm;
}

/* Builds the whole response from the logs' current state. Returns the bytes
 * of record data and sets *error when any partition has an error. */
static size_t fetch_build(fetch_ctx *fc, kmsg_FetchResponse *resp, bool *error)
{
	kmsg_FetchRequest *m = &fc->m;
	arena *a = req_arena(fc->r);
	size_t total = 0;
	size_t max_bytes = (size_t)clamp_pos(m->MaxBytes, INT32_MAX);
	size_t cap = (size_t)clamp_pos(broker_cfg(fc->b)->fetch_response_max_bytes, INT32_MAX);
	bool read_committed = m->IsolationLevel == 1;

	if (cap < max_bytes)
		max_bytes = cap;
	kmsg_FetchResponse_init(resp);
	resp->SessionId = 0;
	resp->Responses_count = m->Topics_count > 0 ? m->Topics_count : 0;
	resp->Responses = arena_calloc(a, (size_t)resp->Responses_count, sizeof(*resp->Responses));
	for (int i = 0; i < resp->Responses_count; i++) {
		kmsg_FetchRequest_FetchTopic *ft = &m->Topics[i];
		kmsg_FetchResponse_FetchableTopicResponse *tr = &resp->Responses[i];
		topic *t = topics_find(broker_topics(fc->b), ft->Topic);
		int np = ft->Partitions_count > 0 ? ft->Partitions_count : 0;

		tr->Topic = ft->Topic;
		tr->Partitions = arena_calloc(a, (size_t)np, sizeof(*tr->Partitions));
		tr->Partitions_count = np;
		for (int k = 0; k < np; k++) {
			kmsg_FetchRequest_FetchPartition *fp = &ft->Partitions[k];
			kmsg_FetchResponse_PartitionData *pd = &tr->Partitions[k];
			plog *log = t ? topic_partition(t, fp->Partition) : NULL;
			int64_t hwm, lso;

			kmsg_FetchResponse_PartitionData_init(pd);
			pd->PartitionIndex = fp->Partition;
			pd->Records.p = (const uint8_t *)"";
			pd->Records.len = 0;
			pd->Records.fd = -1;
			pd->PreferredReadReplica = -1;
			if (!log) {
				pd->ErrorCode = KERR_UNKNOWN_TOPIC_OR_PARTITION;
				pd->HighWatermark = pd->LastStableOffset = pd->LogStartOffset = -1;
				*error = true;
				continue;
			}
			hwm = read_upto(log, false);
			lso = read_upto(log, true);
			pd->HighWatermark = hwm;
			pd->LastStableOffset = lso;
			pd->LogStartOffset = plog_start_offset(log);
			if (read_committed) {
				pd->AbortedTransactions = NULL; /* empty, not null */
				pd->AbortedTransactions_count = 0;
			} else {
				pd->AbortedTransactions_count = -1;
			}
			pd->ErrorCode = (int16_t)partition_error(log, fp->FetchOffset);
			if (pd->ErrorCode) {
				*error = true;
				continue;
			}
			if (total >= max_bytes)
				continue;
			{
				size_t pmax = (size_t)clamp_pos(fp->PartitionMaxBytes, INT32_MAX);
				size_t left = max_bytes - total;

				total += read_partition(a, log, fp->FetchOffset,
							read_committed ? lso : hwm,
							pmax < left ? pmax : left, total == 0, pd);
			}
		}
	}
	return total;
}

/* Bytes readable at one partition's fetch offset, counted up to want. */
static size_t partition_ready(plog *log, int64_t offset, int64_t upto, size_t want)
{
	size_t total = 0;

	for (int n = 0; n < FETCH_MAX_RANGES && total < want; n++) {
		plog_range rg;

		if (plog_read(log, offset, want - total, upto, &rg) != 0 || rg.len == 0)
			break;
		total += rg.len;
		if (rg.next_offset <= offset)
			break;
		offset = rg.next_offset;
	}
	return total;
}

/* True when the fetch should be answered now: some partition has an error
 * (fetch_build reports it), or min_bytes of records are ready. Allocates
 * nothing. */
static bool fetch_ready(fetch_ctx *fc)
{
	kmsg_FetchRequest *m = &fc->m;
	size_t want = (size_t)m->MinBytes, total = 0;

	for (int i = 0; i < m->Topics_count; i++) {
		kmsg_FetchRequest_FetchTopic *ft = &m->Topics[i];
		topic *t = topics_find(broker_topics(fc->b), ft->Topic);

		for (int k = 0; k < ft->Partitions_count; k++) {
			kmsg_FetchRequest_FetchPartition *fp = &ft->Partitions[k];
			plog *log = t ? topic_partition(t, fp->Partition) : NULL;

			if (!log || partition_error(log, fp->FetchOffset))
				return true; /* fetch_build answers the error */
			total += partition_ready(log, fp->FetchOffset,
						 read_upto(log, m->IsolationLevel == 1), want - total);
			if (total >= want)
				return true;
		}
	}
	return false;
}

static void fetch_respond(fetch_ctx *fc, kmsg_FetchResponse *resp)
{
	kmsg_FetchResponse_encode(resp, req_body(fc->r), fc->version);
	req_respond(fc->r);
}

static void fetch_try(fetch_ctx *fc);

static void on_wake(void *ud, int err)
{
	fetch_ctx *fc = ud;

	(void)err;
	fc->wait = NULL;
	fetch_try(fc);
}

/* Parks the fetch on every partition it asked for. */
static void fetch_park(fetch_ctx *fc, int64_t wait_ms)
{
	kmsg_FetchRequest *m = &fc->m;
	arena *a = req_arena(fc->r);
	int n = 0, cap = 0;
	plog **logs;

	if (fc->park) {
		fc->wait = purgatory_wait_data(broker_purgatory(fc->b), fc->park, fc->npark,
					       wait_ms, on_wake, fc);
		return;
	}
	for (int i = 0; i < m->Topics_count; i++)
		cap += m->Topics[i].Partitions_count > 0 ? m->Topics[i].Partitions_count : 0;
	logs = arena_calloc(a, (size_t)cap + 1, sizeof(*logs));
	for (int i = 0; i < m->Topics_count; i++) {
		topic *t = topics_find(broker_topics(fc->b), m->Topics[i].Topic);

		for (int k = 0; t && k < m->Topics[i].Partitions_count; k++) {
			plog *log = topic_partition(t, m->Topics[i].Partitions[k].Partition);

			if (log)
				logs[n++] = log;
		}
	}
	fc->park = logs;
	fc->npark = n;
	fc->wait = purgatory_wait_data(broker_purgatory(fc->b), logs, n, wait_ms, on_wake, fc);
}

static void fetch_try(fetch_ctx *fc)
{
	kmsg_FetchResponse resp;
	bool error = false;
	int64_t left = fc->deadline - loop_now(broker_loop(fc->b));

	if (fc->m.MinBytes > 0 && left > 0 && req_alive(fc->r) && !fetch_ready(fc)) {
		fetch_park(fc, left);
		return;
	}
	fetch_build(fc, &resp, &error);
	fetch_respond(fc, &resp);
}

int handle_Fetch(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	fetch_ctx *fc = arena_calloc(a, 1, sizeof(*fc));

	fc->b = b;
	fc->r = r;
	fc->version = req_hdr(r)->api_version;
	kmsg_FetchRequest_init(&fc->m);
	if (kmsg_FetchRequest_decode(&fc->m, body, fc->version, a) < 0)
		return -1;
	if (fc->m.SessionId != 0 || fc->m.SessionEpoch > 0) {
		/* we never hand out sessions, so any non-zero id is unknown */
		kmsg_FetchResponse resp;

		kmsg_FetchResponse_init(&resp);
		resp.ErrorCode = fc->m.SessionId != 0 ? KERR_FETCH_SESSION_ID_NOT_FOUND
						      : KERR_INVALID_FETCH_SESSION_EPOCH;
		fetch_respond(fc, &resp);
		return 0;
	}
	fc->deadline = loop_now(broker_loop(b)) + (fc->m.MaxWaitMs > 0 ? fc->m.MaxWaitMs : 0);
	fetch_try(fc);
	return 0;
}
