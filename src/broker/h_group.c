/*
 * h_group.c: the group APIs (FindCoordinator, JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, DescribeGroups, ListGroups, DeleteGroups) and the
 * glue that builds the group coordinator from the broker.
 *
 * Handlers translate the generated request structs into the coordinator's
 * plain arguments (src/group/group_coord.h) and its results back. JoinGroup,
 * SyncGroup and DeleteGroups complete later: the coordinator calls back,
 * the callback encodes the response and calls req_respond(). The request
 * arena and body outlive that wait (a req is finished only by us), so the
 * decoded request may be read in the callback; the coordinator copies what
 * it keeps.
 *
 * Version notes (README section 7, Kafka's KafkaApis): JoinGroup v0 has no
 * rebalance timeout (the coordinator uses the session timeout); v4+ gets
 * KIP-394 MEMBER_ID_REQUIRED; ProtocolType/ProtocolName are nullable only
 * from v7, so older versions get "" instead of null. LeaveGroup v0-v2 name
 * one member and carry its error at the top level; v3+ batch members.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/hutil.h"
#include "broker/purgatory.h"
#include "broker/topics.h"
#include "core/clock.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "group/group_coord.h"
#include "proto/gen/messages.h"
#include "proto/kerr.h"
#include "proto/records.h"

#define OFFSETS_TOPIC "__consumer_offsets"


/* Kafka's clientHost: "/" + the peer address without the port. */
static kstr client_host(req *r)
{
	const char *peer = req_peer(r);
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
	if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') {
		peer++;
		n -= 2;
	}
	char *s = arena_alloc(req_arena(r), n + 2);
	s[0] = '/';
	memcpy(s + 1, peer, n);
	return (kstr){ s, (int32_t)(n + 1) };
}

static kstr client_id(req *r)
{
	kstr c = req_hdr(r)->client_id;
	return kstr_is_null(c) ? KSTR_EMPTY : c;
}

/* null -> "" where the field is not nullable in that version. */
static kstr nn(kstr s, bool nullable)
{
	return kstr_is_null(s) && !nullable ? KSTR_EMPTY : s;
}

/* ------------------------------------------------------ FindCoordinator */

static void coordinator_of(broker *b, int8_t key_type, int16_t *err, int32_t *node, kstr *host,
			   int32_t *port)
{
	const broker_config *cfg = broker_cfg(b);
	/* 0 = group, 1 = transaction (also ours on a single node). */
	if ((key_type != 0 && key_type != 1) || !broker_groups(b)) {
		*err = key_type != 0 && key_type != 1 ? KERR_INVALID_REQUEST
						      : KERR_COORDINATOR_NOT_AVAILABLE;
		*node = -1;
		*host = KSTR_EMPTY;
		*port = -1;
		return;
	}
	*err = KERR_NONE;
	*node = cfg->node_id;
	*host = kstr_c(cfg->advertised_host ? cfg->advertised_host : "localhost");
	*port = cfg->advertised_port > 0 ? cfg->advertised_port : broker_port(b);
}

int handle_FindCoordinator(broker *b, req *r, slice *body)
{
	kmsg_FindCoordinatorRequest rq;
	kmsg_FindCoordinatorRequest_init(&rq);
	if (kmsg_FindCoordinatorRequest_decode(&rq, body, req_hdr(r)->api_version, req_arena(r)) < 0)
		return -1;
	kmsg_FindCoordinatorResponse resp;
	kmsg_FindCoordinatorResponse_init(&resp);
	if (req_hdr(r)->api_version < 4) {
		coordinator_of(b, rq.KeyType, &resp.ErrorCode, &resp.NodeId, &resp.Host, &resp.Port);
		if (resp.ErrorCode)
			resp.ErrorMessage = kstr_c(resp.ErrorCode == KERR_INVALID_REQUEST
							   ? "invalid key type"
							   : "the coordinator is not available");
	} else {
		/* v4: batched keys (KIP-699). */
		int32_t n = rq.CoordinatorKeys_count > 0 ? rq.CoordinatorKeys_count : 0;
		resp.Coordinators = arena_calloc(req_arena(r), (size_t)(n ? n : 1),
						 sizeof(*resp.Coordinators));
		resp.Coordinators_count = n;
		for (int32_t i = 0; i < n; i++) {
			kmsg_FindCoordinatorResponse_Coordinator *c = &resp.Coordinators[i];
			kmsg_FindCoordinatorResponse_Coordinator_init(c);
			c->Key = rq.CoordinatorKeys[i];
			coordinator_of(b, rq.KeyType, &c->ErrorCode, &c->NodeId, &c->Host, &c->Port);
		}
	}
	HUTIL_RESPOND(r, kmsg_FindCoordinatorResponse, &resp);
	return 0;
}

/* ------------------------------------------------------------ JoinGroup */

static void join_done(void *ud, const join_result *res)
{
	req *r = ud;
	int16_t v = req_hdr(r)->api_version;
	kmsg_JoinGroupResponse resp;
	kmsg_JoinGroupResponse_init(&resp);
	resp.ErrorCode = res->error;
	resp.GenerationId = res->generation_id;
	resp.ProtocolType = nn(res->protocol_type, v >= 7);
	resp.ProtocolName = nn(res->protocol_name, v >= 7);
	resp.Leader = nn(res->leader, false);
	resp.SkipAssignment = res->skip_assignment;
	resp.MemberId = nn(res->member_id, false);
	if (res->members_count > 0) {
		resp.Members = arena_calloc(req_arena(r), (size_t)res->members_count,
					    sizeof(*resp.Members));
		resp.Members_count = res->members_count;
		for (int32_t i = 0; i < res->members_count; i++) {
			kmsg_JoinGroupResponse_JoinGroupResponseMember *m = &resp.Members[i];
			kmsg_JoinGroupResponse_JoinGroupResponseMember_init(m);
			/* The coordinator's views die after this callback, and
			 * encoding happens right here: no copy needed. */
			m->MemberId = res->members[i].member_id;
			m->GroupInstanceId = res->members[i].group_instance_id;
			m->Metadata = res->members[i].metadata;
		}
	}
	HUTIL_RESPOND(r, kmsg_JoinGroupResponse, &resp);
}

int handle_JoinGroup(broker *b, req *r, slice *body)
{
	int16_t v = req_hdr(r)->api_version;
	kmsg_JoinGroupRequest rq;
	kmsg_JoinGroupRequest_init(&rq);
	if (kmsg_JoinGroupRequest_decode(&rq, body, v, req_arena(r)) < 0)
		return -1;
	group_coord *gc = broker_groups(b);
	if (!gc) {
		join_result res = { KERR_COORDINATOR_NOT_AVAILABLE, -1, KSTR_NULL, KSTR_NULL,
				    KSTR_EMPTY, false, rq.MemberId, NULL, 0 };
		join_done(r, &res);
		return 0;
	}
	int32_t n = rq.Protocols_count > 0 ? rq.Protocols_count : 0;
	group_protocol *ps = arena_calloc(req_arena(r), (size_t)(n ? n : 1), sizeof(*ps));
	for (int32_t i = 0; i < n; i++) {
		ps[i].name = rq.Protocols[i].Name;
		ps[i].metadata = rq.Protocols[i].Metadata;
	}
	join_args a;
	memset(&a, 0, sizeof(a));
	a.version = v;
	a.group_id = rq.GroupId;
	a.member_id = nn(rq.MemberId, false);
	a.group_instance_id = v >= 5 ? rq.GroupInstanceId : KSTR_NULL;
	a.client_id = client_id(r);
	a.client_host = client_host(r);
	a.protocol_type = nn(rq.ProtocolType, false);
	a.session_timeout_ms = rq.SessionTimeoutMs;
	a.rebalance_timeout_ms = v >= 1 ? rq.RebalanceTimeoutMs : rq.SessionTimeoutMs;
	a.protocols = ps;
	a.protocols_count = n;
	a.reason = v >= 8 ? rq.Reason : KSTR_NULL;
	group_coord_join(gc, &a, join_done, r);
	return 0;
}

/* ------------------------------------------------------------ SyncGroup */

static void sync_done(void *ud, const sync_result *res)
{
	req *r = ud;
	kmsg_SyncGroupResponse resp;
	kmsg_SyncGroupResponse_init(&resp);
	resp.ErrorCode = res->error;
	resp.ProtocolType = res->protocol_type;
	resp.ProtocolName = res->protocol_name;
	resp.Assignment = res->assignment.len >= 0 && res->assignment.p
				  ? res->assignment
				  : (kbytes){ (const uint8_t *)"", 0 };
	HUTIL_RESPOND(r, kmsg_SyncGroupResponse, &resp);
}

int handle_SyncGroup(broker *b, req *r, slice *body)
{
	int16_t v = req_hdr(r)->api_version;
	kmsg_SyncGroupRequest rq;
	kmsg_SyncGroupRequest_init(&rq);
	if (kmsg_SyncGroupRequest_decode(&rq, body, v, req_arena(r)) < 0)
		return -1;
	group_coord *gc = broker_groups(b);
	if (!gc) {
		sync_result res = { KERR_COORDINATOR_NOT_AVAILABLE, KSTR_NULL, KSTR_NULL,
				    { (const uint8_t *)"", 0 } };
		sync_done(r, &res);
		return 0;
	}
	int32_t n = rq.Assignments_count > 0 ? rq.Assignments_count : 0;
	sync_assignment *as = arena_calloc(req_arena(r), (size_t)(n ? n : 1), sizeof(*as));
	for (int32_t i = 0; i < n; i++) {
		as[i].member_id = rq.Assignments[i].MemberId;
		as[i].assignment = rq.Assignments[i].Assignment;
	}
	sync_args a;
	memset(&a, 0, sizeof(a));
	a.version = v;
	a.group_id = rq.GroupId;
	a.generation_id = rq.GenerationId;
	a.member_id = nn(rq.MemberId, false);
	a.group_instance_id = v >= 3 ? rq.GroupInstanceId : KSTR_NULL;
	a.protocol_type = v >= 5 ? rq.ProtocolType : KSTR_NULL;
	a.protocol_name = v >= 5 ? rq.ProtocolName : KSTR_NULL;
	a.assignments = as;
	a.assignments_count = n;
	group_coord_sync(gc, &a, sync_done, r);
	return 0;
}

/* ------------------------------------------------------------ Heartbeat */

int handle_Heartbeat(broker *b, req *r, slice *body)
{
	int16_t v = req_hdr(r)->api_version;
	kmsg_HeartbeatRequest rq;
	kmsg_HeartbeatRequest_init(&rq);
	if (kmsg_HeartbeatRequest_decode(&rq, body, v, req_arena(r)) < 0)
		return -1;
	group_coord *gc = broker_groups(b);
	kmsg_HeartbeatResponse resp;
	kmsg_HeartbeatResponse_init(&resp);
	resp.ErrorCode = gc ? group_coord_heartbeat(gc, rq.GroupId, nn(rq.MemberId, false),
						    v >= 3 ? rq.GroupInstanceId : KSTR_NULL,
						    rq.GenerationId)
			    : KERR_COORDINATOR_NOT_AVAILABLE;
	HUTIL_RESPOND(r, kmsg_HeartbeatResponse, &resp);
	return 0;
}

/* ----------------------------------------------------------- LeaveGroup */

int handle_LeaveGroup(broker *b, req *r, slice *body)
{
	int16_t v = req_hdr(r)->api_version;
	kmsg_LeaveGroupRequest rq;
	kmsg_LeaveGroupRequest_init(&rq);
	if (kmsg_LeaveGroupRequest_decode(&rq, body, v, req_arena(r)) < 0)
		return -1;
	group_coord *gc = broker_groups(b);
	int32_t n = v >= 3 ? (rq.Members_count > 0 ? rq.Members_count : 0) : 1;
	leave_member *lm = arena_calloc(req_arena(r), (size_t)(n ? n : 1), sizeof(*lm));
	int16_t *errs = arena_calloc(req_arena(r), (size_t)(n ? n : 1), sizeof(*errs));
	if (v >= 3) {
		for (int32_t i = 0; i < n; i++) {
			lm[i].member_id = nn(rq.Members[i].MemberId, false);
			lm[i].group_instance_id = rq.Members[i].GroupInstanceId;
			lm[i].reason = v >= 5 ? rq.Members[i].Reason : KSTR_NULL;
		}
	} else {
		lm[0].member_id = nn(rq.MemberId, false);
		lm[0].group_instance_id = KSTR_NULL;
		lm[0].reason = KSTR_NULL;
	}
	kmsg_LeaveGroupResponse resp;
	kmsg_LeaveGroupResponse_init(&resp);
	resp.ErrorCode = gc ? group_coord_leave(gc, rq.GroupId, lm, n, errs)
			    : KERR_COORDINATOR_NOT_AVAILABLE;
	if (v < 3) {
		if (!resp.ErrorCode)
			resp.ErrorCode = errs[0];
	} else if (!resp.ErrorCode) {
		resp.Members = arena_calloc(req_arena(r), (size_t)(n ? n : 1), sizeof(*resp.Members));
		resp.Members_count = n;
		for (int32_t i = 0; i < n; i++) {
			kmsg_LeaveGroupResponse_MemberResponse_init(&resp.Members[i]);
			resp.Members[i].MemberId = lm[i].member_id;
			resp.Members[i].GroupInstanceId = lm[i].group_instance_id;
			resp.Members[i].ErrorCode = errs[i];
		}
	}
	HUTIL_RESPOND(r, kmsg_LeaveGroupResponse, &resp);
	return 0;
}

/* ------------------------------------------------------- DescribeGroups */

static void describe_one(group_coord *gc, req *r, kstr id,
			 kmsg_DescribeGroupsResponse_DescribedGroup *out)
{
	kmsg_DescribeGroupsResponse_DescribedGroup_init(out);
	out->GroupId = id;
	if (!gc) {
		out->ErrorCode = KERR_COORDINATOR_NOT_AVAILABLE;
		out->GroupState = KSTR_EMPTY;
		out->ProtocolType = KSTR_EMPTY;
		out->ProtocolData = KSTR_EMPTY;
		return;
	}
	group_desc d;
	group_coord_describe(gc, id, &d); /* unknown: "Dead", NONE (v6+ would differ) */
	out->ErrorCode = d.error;
	out->GroupState = kstr_c(d.state);
	/* The views die at the next coordinator call: copy into the arena. */
	out->ProtocolType = (kstr){ arena_strndup(req_arena(r), d.protocol_type.p,
						  (size_t)d.protocol_type.len), d.protocol_type.len };
	out->ProtocolData = (kstr){ arena_strndup(req_arena(r), d.protocol.p,
						  (size_t)d.protocol.len), d.protocol.len };
	if (d.members_count <= 0)
		return;
	out->Members = arena_calloc(req_arena(r), (size_t)d.members_count, sizeof(*out->Members));
	out->Members_count = d.members_count;
	for (int32_t i = 0; i < d.members_count; i++) {
		const group_member_desc *md = &d.members[i];
		kmsg_DescribeGroupsResponse_DescribedGroupMember *m = &out->Members[i];
		kmsg_DescribeGroupsResponse_DescribedGroupMember_init(m);
		m->MemberId = (kstr){ arena_strndup(req_arena(r), md->member_id.p,
						    (size_t)md->member_id.len), md->member_id.len };
		m->GroupInstanceId = kstr_is_null(md->group_instance_id)
			? KSTR_NULL
			: (kstr){ arena_strndup(req_arena(r), md->group_instance_id.p,
						(size_t)md->group_instance_id.len),
				  md->group_instance_id.len };
		m->ClientId = (kstr){ arena_strndup(req_arena(r), md->client_id.p,
						    (size_t)md->client_id.len), md->client_id.len };
		m->ClientHost = (kstr){ arena_strndup(req_arena(r), md->client_host.p,
						      (size_t)md->client_host.len),
					md->client_host.len };
		uint8_t *meta = arena_alloc(req_arena(r), (size_t)md->metadata.len + 1);
		if (md->metadata.len > 0)
			memcpy(meta, md->metadata.p, (size_t)md->metadata.len);
		m->MemberMetadata = (kbytes){ meta, md->metadata.len };
		uint8_t *as = arena_alloc(req_arena(r), (size_t)md->assignment.len + 1);
		if (md->assignment.len > 0)
			memcpy(as, md->assignment.p, (size_t)md->assignment.len);
		m->MemberAssignment = (kbytes){ as, md->assignment.len };
	}
}

int handle_DescribeGroups(broker *b, req *r, slice *body)
{
	kmsg_DescribeGroupsRequest rq;
	kmsg_DescribeGroupsRequest_init(&rq);
	if (kmsg_DescribeGroupsRequest_decode(&rq, body, req_hdr(r)->api_version, req_arena(r)) < 0)
		return -1;
	group_coord *gc = broker_groups(b);
	kmsg_DescribeGroupsResponse resp;
	kmsg_DescribeGroupsResponse_init(&resp);
	int32_t n = rq.Groups_count > 0 ? rq.Groups_count : 0;
	resp.Groups = arena_calloc(req_arena(r), (size_t)(n ? n : 1), sizeof(*resp.Groups));
	resp.Groups_count = n;
	for (int32_t i = 0; i < n; i++)
		describe_one(gc, r, rq.Groups[i], &resp.Groups[i]);
	HUTIL_RESPOND(r, kmsg_DescribeGroupsResponse, &resp);
	return 0;
}

/* ----------------------------------------------------------- ListGroups */

typedef struct list_ctx {
	req *r;
	const kmsg_ListGroupsRequest *rq;
	kmsg_ListGroupsResponse_ListedGroup *out;
	int32_t n, cap;
} list_ctx;

static bool state_wanted(const kmsg_ListGroupsRequest *rq, const char *state)
{
	if (rq->StatesFilter_count <= 0)
		return true;
	size_t sl = strlen(state);
	for (int32_t i = 0; i < rq->StatesFilter_count; i++) {
		kstr f = rq->StatesFilter[i];
		if (f.len == (int32_t)sl && strncasecmp(f.p, state, sl) == 0)
			return true;
	}
	return false;
}

static void list_one(void *ud, kstr id, kstr protocol_type, const char *state)
{
	list_ctx *c = ud;
	if (!state_wanted(c->rq, state))
		return;
	if (c->n == c->cap) {
		int32_t cap = c->cap ? c->cap * 2 : 16;
		kmsg_ListGroupsResponse_ListedGroup *o = arena_calloc(req_arena(c->r), (size_t)cap,
								       sizeof(*o));
		if (c->n)
			memcpy(o, c->out, (size_t)c->n * sizeof(*o));
		c->out = o;
		c->cap = cap;
	}
	kmsg_ListGroupsResponse_ListedGroup *g = &c->out[c->n++];
	kmsg_ListGroupsResponse_ListedGroup_init(g);
	g->GroupId = (kstr){ arena_strndup(req_arena(c->r), id.p, (size_t)id.len), id.len };
	g->ProtocolType = (kstr){ arena_strndup(req_arena(c->r), protocol_type.p,
						(size_t)protocol_type.len), protocol_type.len };
	g->GroupState = kstr_c(state);
	g->GroupType = kstr_c("classic");
}

int handle_ListGroups(broker *b, req *r, slice *body)
{
	kmsg_ListGroupsRequest rq;
	kmsg_ListGroupsRequest_init(&rq);
	if (kmsg_ListGroupsRequest_decode(&rq, body, req_hdr(r)->api_version, req_arena(r)) < 0)
		return -1;
	group_coord *gc = broker_groups(b);
	kmsg_ListGroupsResponse resp;
	kmsg_ListGroupsResponse_init(&resp);
	list_ctx c = { r, &rq, NULL, 0, 0 };
	if (gc)
		group_coord_list(gc, list_one, &c);
	else
		resp.ErrorCode = KERR_COORDINATOR_NOT_AVAILABLE;
	resp.Groups = c.out;
	resp.Groups_count = c.n;
	HUTIL_RESPOND(r, kmsg_ListGroupsResponse, &resp);
	return 0;
}

/* --------------------------------------------------------- DeleteGroups */

typedef struct delete_ctx {
	req *r;
	kmsg_DeleteGroupsRequest rq;
} delete_ctx;

static void delete_done(void *ud, const int16_t *errors, int32_t count)
{
	delete_ctx *c = ud;
	req *r = c->r;
	kmsg_DeleteGroupsResponse resp;
	kmsg_DeleteGroupsResponse_init(&resp);
	resp.Results = arena_calloc(req_arena(r), (size_t)(count ? count : 1), sizeof(*resp.Results));
	resp.Results_count = count;
	for (int32_t i = 0; i < count; i++) {
		kmsg_DeleteGroupsResponse_DeletableGroupResult_init(&resp.Results[i]);
		resp.Results[i].GroupId = c->rq.GroupsNames[i];
		resp.Results[i].ErrorCode = errors[i];
	}
	HUTIL_RESPOND(r, kmsg_DeleteGroupsResponse, &resp);
}

int handle_DeleteGroups(broker *b, req *r, slice *body)
{
	delete_ctx *c = arena_alloc(req_arena(r), sizeof(*c));
	c->r = r;
	kmsg_DeleteGroupsRequest_init(&c->rq);
	if (kmsg_DeleteGroupsRequest_decode(&c->rq, body, req_hdr(r)->api_version, req_arena(r)) < 0)
		return -1;
	int32_t n = c->rq.GroupsNames_count > 0 ? c->rq.GroupsNames_count : 0;
	group_coord *gc = broker_groups(b);
	if (!gc) {
		int16_t *errs = arena_calloc(req_arena(r), (size_t)(n ? n : 1), sizeof(*errs));
		for (int32_t i = 0; i < n; i++)
			errs[i] = KERR_COORDINATOR_NOT_AVAILABLE;
		delete_done(c, errs, n);
		return 0;
	}
	group_coord_delete_groups(gc, c->rq.GroupsNames, n, delete_done, c);
	return 0;
}

/* ------------------------------------------------------------ the glue */

static int64_t host_now(void *ctx)
{
	(void)ctx;
	return clock_now_ms();
}

static int64_t host_mono(void *ctx)
{
	return loop_now(broker_loop(ctx));
}

static void host_timer_fire(loop *l, void *ud)
{
	(void)l;
	group_timer_fire(ud);
}

static uint64_t host_timer_add(void *ctx, int64_t delay_ms, group_timer *t)
{
	return loop_timer_add(broker_loop(ctx), delay_ms, host_timer_fire, t);
}

static void host_timer_cancel(void *ctx, uint64_t id)
{
	loop_timer_cancel(broker_loop(ctx), id);
}

/*
 * Appends a coordinator batch to __consumer_offsets-p and reports back once
 * it is durable (purgatory group commit), or right after the write() when
 * tidemark.commit.fsync is false (the sync then follows within
 * PURGATORY_LAZY_MS, batched with the other commits of that interval).
 */
static void host_append(void *ctx, int32_t partition, uint8_t *batch, size_t len,
			group_append_cb *cb, void *ud)
{
	broker *b = ctx;
	topic *t = topics_find(broker_topics(b), kstr_c(OFFSETS_TOPIC));
	plog *log = t ? topic_partition(t, partition) : NULL;
	if (!log) {
		log_error("no partition %d of %s to write to", partition, OFFSETS_TOPIC);
		cb(ud, PLOG_EFAILED);
		return;
	}
	plog_append_info info;
	int rc = plog_append(log, batch, len, clock_now_ms(), &info);
	if (rc != PLOG_OK) {
		log_error("append to %s-%d failed (%d)", OFFSETS_TOPIC, partition, rc);
		cb(ud, rc);
		return;
	}
	if (!broker_cfg(b)->log_flush_commit_sync) {
		purgatory_appended_lazy(broker_purgatory(b), log);
		cb(ud, 0);
		return;
	}
	purgatory_appended(broker_purgatory(b), log);
	purgatory_wait_durable(broker_purgatory(b), log, info.last_offset + 1, cb, ud);
}

static bool host_partition_exists(void *ctx, kstr name, int32_t partition)
{
	topic *t = topics_find(broker_topics(ctx), name);
	return t && partition >= 0 && partition < topic_partition_count(t);
}

/* Number of whole batches in data[0..len) (for the replay's log line). */
static int64_t count_batches(const uint8_t *data, size_t len)
{
	int64_t n = 0;
	for (size_t at = 0; at < len;) {
		rb_header h;
		if (rb_parse_header(data + at, len - at, &h) != RB_OK)
			break;
		at += rb_total_size(&h);
		n++;
	}
	return n;
}

/* Reads partition p of the offsets topic from its start and feeds the
 * coordinator, adding the batches and bytes read to *batches and *bytes
 * (compaction keeps them bounded: the log line at start-up shows it).
 * Returns 0, or -1 when the partition is corrupt (logged). */
static int replay_partition(group_coord *gc, plog *log, int32_t p, int64_t *batches,
			    int64_t *bytes)
{
	int64_t off = plog_start_offset(log), end = plog_end_offset(log);
	uint8_t *data = NULL;
	size_t have = 0, cap = 0;
	int ret = 0;
	while (off < end) {
		plog_range rg;
		if (plog_read(log, off, 1 << 20, end, &rg) != PLOG_OK || rg.len == 0)
			break;
		if (have + rg.len > cap) {
			cap = have + rg.len;
			data = xrealloc(data, cap);
		}
		ssize_t got = pread(rg.fd, data + have, rg.len, rg.pos);
		if (got != (ssize_t)rg.len) {
			log_error("cannot read %s-%d at offset %lld", OFFSETS_TOPIC, p, (long long)off);
			ret = -1;
			break;
		}
		have += rg.len;
		int64_t used = group_coord_load(gc, p, data, have);
		if (used < 0) {
			ret = -1;
			break;
		}
		*batches += count_batches(data, (size_t)used);
		*bytes += used;
		memmove(data, data + used, have - (size_t)used);
		have -= (size_t)used;
		if (rg.next_offset <= off)
			break; /* NEVER: no progress */
		off = rg.next_offset;
	}
	free(data);
	return ret;
}

group_coord *broker_groups_setup(broker *b)
{
	const broker_config *cfg = broker_cfg(b);
	topic *t = topics_get_or_create_internal(broker_topics(b), OFFSETS_TOPIC,
						 cfg->offsets_topic_num_partitions);
	if (!t) {
		log_error("cannot open or create %s", OFFSETS_TOPIC);
		return NULL;
	}
	group_coord_config gcfg;
	group_coord_config_defaults(&gcfg);
	/* The existing topic wins over the property: the hash must keep
	 * finding the partitions groups were written to. */
	gcfg.offsets_topic_num_partitions = topic_partition_count(t);
	gcfg.offsets_retention_ms = cfg->offsets_retention_minutes * 60 * 1000;
	gcfg.offsets_retention_check_interval_ms = cfg->offsets_retention_check_interval_ms;
	gcfg.offset_metadata_max_bytes = cfg->offset_metadata_max_bytes;
	gcfg.group_min_session_timeout_ms = cfg->group_min_session_timeout_ms;
	gcfg.group_max_session_timeout_ms = cfg->group_max_session_timeout_ms;
	gcfg.group_initial_rebalance_delay_ms = cfg->group_initial_rebalance_delay_ms;
	gcfg.group_max_size = cfg->group_max_size;
	group_host host = { b, host_now, host_mono, host_timer_add, host_timer_cancel, host_append,
			    host_partition_exists };
	group_coord *gc = group_coord_new(&host, &gcfg);
	int64_t t0 = clock_mono_ms(), batches = 0, bytes = 0;
	for (int32_t p = 0; p < gcfg.offsets_topic_num_partitions; p++) {
		plog *log = topic_partition(t, p);
		/* A corrupt partition loses its groups, not the broker. */
		if (log && replay_partition(gc, log, p, &batches, &bytes) < 0)
			log_error("replay of %s-%d stopped early; its groups may be incomplete",
				  OFFSETS_TOPIC, p);
	}
	group_coord_load_finish(gc);
	log_info("replayed %s in %lld ms: %lld batches, %lld bytes", OFFSETS_TOPIC,
		 (long long)(clock_mono_ms() - t0), (long long)batches, (long long)bytes);
	return gc;
}

void broker_groups_teardown(broker *b, group_coord *gc)
{
	(void)b;
	group_coord_free(gc);
}
