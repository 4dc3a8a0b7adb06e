/*
 * h_offsets.c: OffsetCommit (v2-v9), OffsetFetch (v1-v8) and OffsetDelete
 * (v0), translated to the group coordinator (src/group/group_coord.h).
 *
 * OffsetCommit is answered only once its batch is durable (the coordinator
 * calls back after the fsync); the decoded request stays valid until then
 * because only we finish the req. OffsetFetch is answered at once from
 * memory. Version notes (README section 7): v0-v1 OffsetFetch responses have
 * no top-level error, so group errors go into each partition; null topics
 * (v2+) mean every committed partition; v8 batches groups; require_stable
 * (v7+) turns partitions with a commit in flight into UNSTABLE_OFFSET_COMMIT.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/hutil.h"
#include "core/logger.h"
#include "group/group_coord.h"
#include "proto/gen/messages.h"
#include "proto/kerr.h"


/* --------------------------------------------------------- OffsetCommit */

typedef struct commit_ctx {
	req *r;
	kmsg_OffsetCommitRequest rq;
} commit_ctx;

/* errors[] follows the request's topic/partition order. */
static void commit_done(void *ud, const int16_t *errors, int32_t count)
{
	commit_ctx *c = ud;
	req *r = c->r;
	arena *a = req_arena(r);
	kmsg_OffsetCommitResponse resp;
	kmsg_OffsetCommitResponse_init(&resp);
	int32_t nt = c->rq.Topics_count > 0 ? c->rq.Topics_count : 0;
	resp.Topics = arena_calloc(a, (size_t)(nt ? nt : 1), sizeof(*resp.Topics));
	resp.Topics_count = nt;
	int32_t k = 0;
	for (int32_t i = 0; i < nt; i++) {
		const kmsg_OffsetCommitRequest_OffsetCommitRequestTopic *t = &c->rq.Topics[i];
		kmsg_OffsetCommitResponse_OffsetCommitResponseTopic *rt = &resp.Topics[i];
		kmsg_OffsetCommitResponse_OffsetCommitResponseTopic_init(rt);
		rt->Name = t->Name;
		int32_t np = t->Partitions_count > 0 ? t->Partitions_count : 0;
		rt->Partitions = arena_calloc(a, (size_t)(np ? np : 1), sizeof(*rt->Partitions));
		rt->Partitions_count = np;
		for (int32_t j = 0; j < np; j++, k++) {
			rt->Partitions[j].PartitionIndex = t->Partitions[j].PartitionIndex;
			rt->Partitions[j].ErrorCode = k < count ? errors[k]
								: KERR_UNKNOWN_SERVER_ERROR;
		}
	}
	HUTIL_RESPOND(r, kmsg_OffsetCommitResponse, &resp);
}

int handle_OffsetCommit(broker *b, req *r, slice *body)
{
	int16_t v = req_hdr(r)->api_version;
	arena *a = req_arena(r);
	commit_ctx *c = arena_alloc(a, sizeof(*c));
	c->r = r;
	kmsg_OffsetCommitRequest_init(&c->rq);
	if (kmsg_OffsetCommitRequest_decode(&c->rq, body, v, a) < 0)
		return -1;
	/* Flatten; counts were checked against the bytes present on decode. */
	size_t total = 0;
	for (int32_t i = 0; i < c->rq.Topics_count; i++)
		total += c->rq.Topics[i].Partitions_count > 0 ? (size_t)c->rq.Topics[i].Partitions_count
							       : 0;
	commit_partition *ps = arena_calloc(a, total ? total : 1, sizeof(*ps));
	size_t k = 0;
	for (int32_t i = 0; i < c->rq.Topics_count; i++) {
		const kmsg_OffsetCommitRequest_OffsetCommitRequestTopic *t = &c->rq.Topics[i];
		for (int32_t j = 0; j < t->Partitions_count; j++, k++) {
			const kmsg_OffsetCommitRequest_OffsetCommitRequestPartition *p = &t->Partitions[j];
			ps[k].topic = t->Name;
			ps[k].partition = p->PartitionIndex;
			ps[k].offset = p->CommittedOffset;
			ps[k].leader_epoch = v >= 6 ? p->CommittedLeaderEpoch : -1;
			ps[k].metadata = p->CommittedMetadata;
		}
	}
	group_coord *gc = broker_groups(b);
	if (!gc) {
		int16_t *errs = arena_calloc(a, total ? total : 1, sizeof(*errs));
		for (size_t i = 0; i < total; i++)
			errs[i] = KERR_COORDINATOR_NOT_AVAILABLE;
		commit_done(c, errs, (int32_t)total);
		return 0;
	}
	commit_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.version = v;
	ca.group_id = c->rq.GroupId;
	ca.generation_id = c->rq.GenerationIdOrMemberEpoch;
	ca.member_id = kstr_is_null(c->rq.MemberId) ? KSTR_EMPTY : c->rq.MemberId;
	ca.group_instance_id = v >= 7 ? c->rq.GroupInstanceId : KSTR_NULL;
	ca.retention_time_ms = v >= 2 && v <= 4 ? c->rq.RetentionTimeMs : -1;
	ca.parts = ps;
	ca.count = (int32_t)total;
	group_coord_commit(gc, &ca, commit_done, c);
	return 0;
}

/* ---------------------------------------------------------- OffsetFetch */

/* One group's answer, in the v8 shape (the v1-v7 shape has the same
 * fields; the caller copies). */
typedef struct fetch_topic {
	kstr name;
	kmsg_OffsetFetchResponse_OffsetFetchResponsePartitions *parts;
	int32_t n, cap;
} fetch_topic;

typedef struct fetch_acc {
	arena *a;
	fetch_topic *topics;
	int32_t n, cap;
} fetch_acc;

static kmsg_OffsetFetchResponse_OffsetFetchResponsePartitions *
fetch_add(fetch_acc *acc, kstr topic, int32_t partition)
{
	fetch_topic *t = acc->n ? &acc->topics[acc->n - 1] : NULL;
	if (!t || !kstr_eq(t->name, topic)) {
		if (acc->n == acc->cap) {
			int32_t cap = acc->cap ? acc->cap * 2 : 8;
			fetch_topic *nt = arena_calloc(acc->a, (size_t)cap, sizeof(*nt));
			if (acc->n)
				memcpy(nt, acc->topics, (size_t)acc->n * sizeof(*nt));
			acc->topics = nt;
			acc->cap = cap;
		}
		t = &acc->topics[acc->n++];
		t->name = (kstr){ arena_strndup(acc->a, topic.p ? topic.p : "",
						(size_t)(topic.len > 0 ? topic.len : 0)),
				  topic.len > 0 ? topic.len : 0 };
	}
	if (t->n == t->cap) {
		int32_t cap = t->cap ? t->cap * 2 : 8;
		kmsg_OffsetFetchResponse_OffsetFetchResponsePartitions *np =
			arena_calloc(acc->a, (size_t)cap, sizeof(*np));
		if (t->n)
			memcpy(np, t->parts, (size_t)t->n * sizeof(*np));
		t->parts = np;
		t->cap = cap;
	}
	kmsg_OffsetFetchResponse_OffsetFetchResponsePartitions *p = &t->parts[t->n++];
	kmsg_OffsetFetchResponse_OffsetFetchResponsePartitions_init(p);
	p->PartitionIndex = partition;
	return p;
}

static void fetch_fill(fetch_acc *acc, kmsg_OffsetFetchResponse_OffsetFetchResponsePartitions *p,
		       const fetched_offset *o)
{
	p->CommittedOffset = o->offset;
	p->CommittedLeaderEpoch = o->leader_epoch;
	p->Metadata = (kstr){ arena_strndup(acc->a, o->metadata.p ? o->metadata.p : "",
					    (size_t)(o->metadata.len > 0 ? o->metadata.len : 0)),
			      o->metadata.len > 0 ? o->metadata.len : 0 };
	p->ErrorCode = o->error;
}

static void fetch_each(void *ud, kstr topic, int32_t partition, const fetched_offset *o)
{
	fetch_acc *acc = ud;
	fetch_fill(acc, fetch_add(acc, topic, partition), o);
}

/* The partitions asked for, or all (nt -1). Arrays of the two
 * request shapes have the same layout (name, indexes, count). */
static void fetch_group(group_coord *gc, kstr group,
			const kmsg_OffsetFetchRequest_OffsetFetchRequestTopics *ts, int32_t nt,
			bool stable, fetch_acc *acc)
{
	if (nt < 0) {
		group_coord_fetch_all(gc, group, stable, fetch_each, acc);
		return;
	}
	for (int32_t i = 0; i < nt; i++) {
		const kmsg_OffsetFetchRequest_OffsetFetchRequestTopics *t = &ts[i];
		for (int32_t j = 0; j < t->PartitionIndexes_count; j++) {
			fetched_offset o;
			group_coord_fetch(gc, group, t->Name, t->PartitionIndexes[j], stable, &o);
			fetch_fill(acc, fetch_add(acc, t->Name, t->PartitionIndexes[j]), &o);
		}
	}
}

/* v1-v7: one group; the answer goes into resp->Topics. */
static void fetch_single(group_coord *gc, req *r, const kmsg_OffsetFetchRequest *rq,
			 kmsg_OffsetFetchResponse *resp)
{
	int16_t v = req_hdr(r)->api_version;
	arena *a = req_arena(r);
	fetch_acc acc = { a, NULL, 0, 0 };
	int32_t nt = rq->Topics_count;
	kmsg_OffsetFetchRequest_OffsetFetchRequestTopics *ts = NULL;
	if (nt > 0) {
		ts = arena_calloc(a, (size_t)nt, sizeof(*ts));
		for (int32_t i = 0; i < nt; i++) {
			ts[i].Name = rq->Topics[i].Name;
			ts[i].PartitionIndexes = rq->Topics[i].PartitionIndexes;
			ts[i].PartitionIndexes_count = rq->Topics[i].PartitionIndexes_count;
		}
	}
	int16_t gerr = gc ? KERR_NONE : KERR_COORDINATOR_NOT_AVAILABLE;
	if (gc)
		fetch_group(gc, rq->GroupId, ts, v >= 2 ? nt : (nt < 0 ? 0 : nt),
			    v >= 7 && rq->RequireStable, &acc);
	resp->ErrorCode = gerr;
	resp->Topics = arena_calloc(a, (size_t)(acc.n ? acc.n : 1), sizeof(*resp->Topics));
	resp->Topics_count = acc.n;
	for (int32_t i = 0; i < acc.n; i++) {
		kmsg_OffsetFetchResponse_OffsetFetchResponseTopic *t = &resp->Topics[i];
		kmsg_OffsetFetchResponse_OffsetFetchResponseTopic_init(t);
		t->Name = acc.topics[i].name;
		t->Partitions = arena_calloc(a, (size_t)(acc.topics[i].n ? acc.topics[i].n : 1),
					     sizeof(*t->Partitions));
		t->Partitions_count = acc.topics[i].n;
		for (int32_t j = 0; j < acc.topics[i].n; j++) {
			const kmsg_OffsetFetchResponse_OffsetFetchResponsePartitions *s =
				&acc.topics[i].parts[j];
			kmsg_OffsetFetchResponse_OffsetFetchResponsePartition *d = &t->Partitions[j];
			d->PartitionIndex = s->PartitionIndex;
			d->CommittedOffset = s->CommittedOffset;
			d->CommittedLeaderEpoch = s->CommittedLeaderEpoch;
			d->Metadata = s->Metadata;
			/* v0-v1 have no top-level error: copy it down. */
			d->ErrorCode = s->ErrorCode ? s->ErrorCode : (v < 2 ? gerr : KERR_NONE);
		}
	}
}

/* v8+: several groups. */
static void fetch_batched(group_coord *gc, req *r, const kmsg_OffsetFetchRequest *rq,
			  kmsg_OffsetFetchResponse *resp)
{
	arena *a = req_arena(r);
	int32_t ng = rq->Groups_count > 0 ? rq->Groups_count : 0;
	resp->Groups = arena_calloc(a, (size_t)(ng ? ng : 1), sizeof(*resp->Groups));
	resp->Groups_count = ng;
	for (int32_t i = 0; i < ng; i++) {
		const kmsg_OffsetFetchRequest_OffsetFetchRequestGroup *rg = &rq->Groups[i];
		kmsg_OffsetFetchResponse_OffsetFetchResponseGroup *g = &resp->Groups[i];
		kmsg_OffsetFetchResponse_OffsetFetchResponseGroup_init(g);
		g->GroupId = rg->GroupId;
		if (!gc) {
			g->ErrorCode = KERR_COORDINATOR_NOT_AVAILABLE;
			continue;
		}
		fetch_acc acc = { a, NULL, 0, 0 };
		fetch_group(gc, rg->GroupId, rg->Topics, rg->Topics_count, rq->RequireStable, &acc);
		g->Topics = arena_calloc(a, (size_t)(acc.n ? acc.n : 1), sizeof(*g->Topics));
		g->Topics_count = acc.n;
		for (int32_t j = 0; j < acc.n; j++) {
			kmsg_OffsetFetchResponse_OffsetFetchResponseTopics_init(&g->Topics[j]);
			g->Topics[j].Name = acc.topics[j].name;
			g->Topics[j].Partitions = acc.topics[j].parts;
			g->Topics[j].Partitions_count = acc.topics[j].n;
		}
	}
}

int handle_OffsetFetch(broker *b, req *r, slice *body)
{
	int16_t v = req_hdr(r)->api_version;
	kmsg_OffsetFetchRequest rq;
	kmsg_OffsetFetchRequest_init(&rq);
	if (kmsg_OffsetFetchRequest_decode(&rq, body, v, req_arena(r)) < 0)
		return -1;
	kmsg_OffsetFetchResponse resp;
	kmsg_OffsetFetchResponse_init(&resp);
	if (v >= 8)
		fetch_batched(broker_groups(b), r, &rq, &resp);
	else
		fetch_single(broker_groups(b), r, &rq, &resp);
	HUTIL_RESPOND(r, kmsg_OffsetFetchResponse, &resp);
	return 0;
}

/* --------------------------------------------------------- OffsetDelete */

typedef struct odel_ctx {
	req *r;
	kmsg_OffsetDeleteRequest rq;
} odel_ctx;

static void odel_done(void *ud, int16_t group_error, const int16_t *errors, int32_t count)
{
	odel_ctx *c = ud;
	req *r = c->r;
	arena *a = req_arena(r);
	kmsg_OffsetDeleteResponse resp;
	kmsg_OffsetDeleteResponse_init(&resp);
	resp.ErrorCode = group_error;
	if (!group_error) {
		int32_t nt = c->rq.Topics_count > 0 ? c->rq.Topics_count : 0, k = 0;
		resp.Topics = arena_calloc(a, (size_t)(nt ? nt : 1), sizeof(*resp.Topics));
		resp.Topics_count = nt;
		for (int32_t i = 0; i < nt; i++) {
			const kmsg_OffsetDeleteRequest_OffsetDeleteRequestTopic *t = &c->rq.Topics[i];
			kmsg_OffsetDeleteResponse_OffsetDeleteResponseTopic *rt = &resp.Topics[i];
			kmsg_OffsetDeleteResponse_OffsetDeleteResponseTopic_init(rt);
			rt->Name = t->Name;
			int32_t np = t->Partitions_count > 0 ? t->Partitions_count : 0;
			rt->Partitions = arena_calloc(a, (size_t)(np ? np : 1), sizeof(*rt->Partitions));
			rt->Partitions_count = np;
			for (int32_t j = 0; j < np; j++, k++) {
				rt->Partitions[j].PartitionIndex = t->Partitions[j].PartitionIndex;
				rt->Partitions[j].ErrorCode = k < count ? errors[k] : KERR_NONE;
			}
		}
	}
	HUTIL_RESPOND(r, kmsg_OffsetDeleteResponse, &resp);
}

int handle_OffsetDelete(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	odel_ctx *c = arena_alloc(a, sizeof(*c));
	c->r = r;
	kmsg_OffsetDeleteRequest_init(&c->rq);
	if (kmsg_OffsetDeleteRequest_decode(&c->rq, body, req_hdr(r)->api_version, a) < 0)
		return -1;
	size_t total = 0;
	for (int32_t i = 0; i < c->rq.Topics_count; i++)
		total += c->rq.Topics[i].Partitions_count > 0 ? (size_t)c->rq.Topics[i].Partitions_count
							       : 0;
	group_tp *ps = arena_calloc(a, total ? total : 1, sizeof(*ps));
	size_t k = 0;
	for (int32_t i = 0; i < c->rq.Topics_count; i++)
		for (int32_t j = 0; j < c->rq.Topics[i].Partitions_count; j++, k++) {
			ps[k].topic = c->rq.Topics[i].Name;
			ps[k].partition = c->rq.Topics[i].Partitions[j].PartitionIndex;
		}
	group_coord *gc = broker_groups(b);
	if (!gc) {
		odel_done(c, KERR_COORDINATOR_NOT_AVAILABLE, NULL, 0);
		return 0;
	}
	group_coord_offset_delete(gc, c->rq.GroupId, ps, (int32_t)total, odel_done, c);
	return 0;
}
