/*
 * h_metadata.c: Metadata (key 3), v0-v12: the one broker, and the topics
 * with their partitions; auto-creates unknown topics.
 *
 * What the topic list means (MetadataRequest.json, README pitfall 3):
 *   v0: an empty array asks for all topics (there is no null);
 *   v1+: null asks for all topics, an empty array for none;
 *   v10+: entries carry a TopicId; v12 may leave Name null and look up by id.
 * Auto-creation: when auto.create.topics.enable is set and (v4+)
 * AllowAutoTopicCreation is true; v0-v3 always allow it.
 *
 * Every partition is led by our node with leader epoch 0, replicas and ISR
 * [node]. A partition whose log failed is reported with
 * KAFKA_STORAGE_ERROR, leader -1 and our node as offline replica (as Kafka's
 * metadata cache does for a replica on a failed log dir).
 */
#include "broker/handlers.h"
#include "broker/topics.h"
#include "core/logger.h"
#include "proto/gen/messages.h"

typedef kmsg_MetadataResponse_MetadataResponseTopic md_topic;
typedef kmsg_MetadataResponse_MetadataResponsePartition md_part;

static void describe_partition(md_part *mp, plog *log, int32_t p, int32_t *node)
{
	kmsg_MetadataResponse_MetadataResponsePartition_init(mp);
	mp->PartitionIndex = p;
	mp->LeaderEpoch = 0;
	mp->ReplicaNodes = node;
	mp->ReplicaNodes_count = 1;
	if (!log || plog_failed(log)) {
		mp->ErrorCode = KERR_KAFKA_STORAGE_ERROR;
		mp->LeaderId = -1;
		mp->OfflineReplicas = node;
		mp->OfflineReplicas_count = 1;
		return;
	}
	mp->ErrorCode = KERR_NONE;
	mp->LeaderId = *node;
	mp->IsrNodes = node;
	mp->IsrNodes_count = 1;
}

/* Fills mt for existing topic t. node is a one-element array shared by
 * every partition (the encoder only reads it). */
static void describe_topic(arena *a, topic *t, md_topic *mt, int32_t *node)
{
	int32_t n = topic_partition_count(t);

	kmsg_MetadataResponse_MetadataResponseTopic_init(mt);
	mt->ErrorCode = KERR_NONE;
	mt->Name = topic_name(t);
	mt->TopicId = *topic_id(t);
	mt->IsInternal = topic_internal(t);
	mt->TopicAuthorizedOperations = INT32_MIN; /* not computed (no ACLs) */
	mt->Partitions = arena_calloc(a, (size_t)n, sizeof(*mt->Partitions));
	mt->Partitions_count = n;
	for (int32_t p = 0; p < n; p++)
		describe_partition(&mt->Partitions[p], topic_partition(t, p), p, node);
}

static void topic_error(md_topic *mt, kstr name, const kuuid *id, enum kerr err)
{
	kmsg_MetadataResponse_MetadataResponseTopic_init(mt);
	mt->ErrorCode = (int16_t)err;
	mt->Name = name;
	if (id)
		mt->TopicId = *id;
	mt->TopicAuthorizedOperations = INT32_MIN;
}

/*
 * Finds (or auto-creates) the topic a request entry names. Kafka answers a
 * topic it just created with LEADER_NOT_AVAILABLE once, because in a
 * cluster the partitions need a moment to get leaders; on a single node
 * they exist as soon as topics_create returns, so we answer NONE with the
 * partitions and spare the client a metadata round trip.
 */
static enum kerr resolve(broker *b, const kmsg_MetadataRequest_MetadataRequestTopic *rt,
			 bool allow_create, topic **out)
{
	topics *ts = broker_topics(b);
	const char *why = NULL;
	enum kerr err;

	*out = NULL;
	if (kstr_is_null(rt->Name)) {
		/* v12: lookup by id */
		*out = topics_find_id(ts, &rt->TopicId);
		return *out ? KERR_NONE : KERR_UNKNOWN_TOPIC_ID;
	}
	if ((*out = topics_find(ts, rt->Name)) != NULL)
		return KERR_NONE;
	if (!topics_valid_name(rt->Name))
		return KERR_INVALID_TOPIC_EXCEPTION;
	if (!allow_create)
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	err = topics_create(ts, rt->Name, -1, NULL, NULL, 0, false, out, &why);
	if (err == KERR_NONE)
		return KERR_NONE;
	log_warn("cannot auto-create topic '%.*s': %s", KSTR_FMT(rt->Name), why ? why : "?");
	*out = NULL;
	/* The client retries on LEADER_NOT_AVAILABLE; a storage failure
	 * might be transient. Other errors (bad num.partitions) are final. */
	return err == KERR_KAFKA_STORAGE_ERROR ? KERR_LEADER_NOT_AVAILABLE : err;
}

static void all_topics(broker *b, arena *a, kmsg_MetadataResponse *resp, int32_t *node)
{
	topics *ts = broker_topics(b);
	int n = topics_count(ts);

	resp->Topics = arena_calloc(a, (size_t)n, sizeof(*resp->Topics));
	resp->Topics_count = n;
	for (int i = 0; i < n; i++)
		describe_topic(a, topics_at(ts, i), &resp->Topics[i], node);
}

/*
 * The requested topics. Duplicates are answered once each time they are
 * asked (Kafka answers a set); clients do not send duplicates.
 */
static void some_topics(broker *b, arena *a, const kmsg_MetadataRequest *m, bool allow_create,
			kmsg_MetadataResponse *resp, int32_t *node)
{
	int n = m->Topics_count;

	resp->Topics = arena_calloc(a, (size_t)n, sizeof(*resp->Topics));
	resp->Topics_count = n;
	for (int i = 0; i < n; i++) {
		const kmsg_MetadataRequest_MetadataRequestTopic *rt = &m->Topics[i];
		topic *t;
		enum kerr err = resolve(b, rt, allow_create, &t);

		if (err == KERR_NONE)
			describe_topic(a, t, &resp->Topics[i], node);
		else
			topic_error(&resp->Topics[i], rt->Name, &rt->TopicId, err);
	}
}

int handle_Metadata(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	const broker_config *cfg = broker_cfg(b);
	kmsg_MetadataRequest m;
	kmsg_MetadataResponse resp;
	kmsg_MetadataResponse_MetadataResponseBroker *mb;
	int32_t *node;
	bool all, allow_create;

	kmsg_MetadataRequest_init(&m);
	if (kmsg_MetadataRequest_decode(&m, body, version, a) < 0)
		return -1;
	node = arena_calloc(a, 1, sizeof(*node));
	*node = cfg->node_id;
	kmsg_MetadataResponse_init(&resp);
	mb = arena_calloc(a, 1, sizeof(*mb));
	kmsg_MetadataResponse_MetadataResponseBroker_init(mb);
	mb->NodeId = cfg->node_id;
	mb->Host = kstr_c(cfg->advertised_host ? cfg->advertised_host : "localhost");
	mb->Port = cfg->advertised_port ? cfg->advertised_port : broker_port(b);
	mb->Rack = KSTR_NULL;
	resp.Brokers = mb;
	resp.Brokers_count = 1;
	resp.ClusterId = kstr_c(broker_cluster_id(b));
	resp.ControllerId = cfg->node_id;
	resp.ClusterAuthorizedOperations = INT32_MIN;

	all = version == 0 ? m.Topics_count == 0 : m.Topics_count < 0;
	allow_create = cfg->auto_create_topics_enable && (version < 4 || m.AllowAutoTopicCreation);
	if (all)
		all_topics(b, a, &resp, node);
	else
		some_topics(b, a, &m, allow_create, &resp, node);
	kmsg_MetadataResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}
