/*
 * h_admin.c: the admin APIs: CreateTopics (key 19, v0-v7), DeleteTopics
 * (20, v0-v6), CreatePartitions (37, v0-v3), DescribeConfigs (32, v0-v4)
 * and DescribeCluster (60, v0-v1).
 *
 * Everything is done inline on the loop thread, so TimeoutMs never matters:
 * when the response goes out the topics exist (or are gone). Replication
 * settings are checked against a one-broker cluster: replication factor 1
 * (or -1, the default) and assignments naming only our node.
 *
 * A topic named twice in one CreateTopics, CreatePartitions or DeleteTopics
 * gets ONE result, INVALID_REQUEST "Duplicate topic name." (or, for
 * DeleteTopics v6 by id, "Duplicate topic id."), and the other entries are
 * carried out, as Kafka's ControllerApis does; librdkafka fails the whole
 * batch when a topic comes back twice.
 *
 * Config sources follow Kafka's DescribeConfigsResponse.ConfigSource:
 * 1 DYNAMIC_TOPIC_CONFIG (a topic override), 4 STATIC_BROKER_CONFIG (a
 * broker property that differs from Kafka's default; we cannot tell
 * "configured to the default value" apart from "not configured"), 5
 * DEFAULT_CONFIG.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/handlers.h"
#include "broker/hutil.h"
#include "broker/topics.h"
#include "broker/topics_config.h"
#include "core/logger.h"
#include "group/group_coord.h"
#include "proto/gen/messages.h"

enum { SRC_TOPIC = 1, SRC_STATIC_BROKER = 4, SRC_DEFAULT = 5 };
enum { RES_TOPIC = 2, RES_BROKER = 4 };

/* ControllerApis' answer to a name (or id) given twice in one request. */
#define DUP_NAME "Duplicate topic name."
#define DUP_ID "Duplicate topic id."

static kstr kstr_dup(arena *a, const char *s)
{
	size_t n = strlen(s);
	return (kstr){ arena_strndup(a, s, n), (int32_t)n };
}

/* True when the broker list is exactly our node. */
static bool only_us(const int32_t *ids, int32_t n, int32_t node)
{
	return n == 1 && ids[0] == node;
}

static int8_t info_source(const topic_config_info *info)
{
	if (info->is_override)
		return SRC_TOPIC;
	return strcmp(info->default_value, info->kafka_default) != 0 ? SRC_STATIC_BROKER
								     : SRC_DEFAULT;
}

/* ------------------------------------------------------------------ */
/* CreateTopics                                                         */

typedef kmsg_CreateTopicsRequest_CreatableTopic ct_topic;
typedef kmsg_CreateTopicsResponse_CreatableTopicResult ct_result;

/* Checks replication factor and manual assignments; sets *nparts. */
static enum kerr check_placement(arena *a, const ct_topic *ct, int32_t node, int32_t *nparts,
				 kstr *msg)
{
	bool *seen;

	*nparts = ct->NumPartitions;
	if (ct->Assignments_count <= 0) {
		if (ct->ReplicationFactor != -1 && ct->ReplicationFactor != 1) {
			*msg = hutil_msgf(a, "Unable to replicate the partition %d time(s): only 1 broker "
				       "is registered.", (int)ct->ReplicationFactor);
			return KERR_INVALID_REPLICATION_FACTOR;
		}
		return KERR_NONE;
	}
	if (ct->NumPartitions != -1 || ct->ReplicationFactor != -1) {
		*msg = kstr_c("Both numPartitions or replicationFactor and replicasAssignments "
			      "were set. Both cannot be used at the same time.");
		return KERR_INVALID_REQUEST;
	}
	seen = arena_calloc(a, (size_t)ct->Assignments_count, sizeof(*seen));
	for (int32_t i = 0; i < ct->Assignments_count; i++) {
		const kmsg_CreateTopicsRequest_CreatableReplicaAssignment *as = &ct->Assignments[i];
		int32_t p = as->PartitionIndex;

		if (p < 0 || p >= ct->Assignments_count || seen[p]) {
			*msg = kstr_c("Partitions should be a consecutive 0-based integer sequence.");
			return KERR_INVALID_REPLICA_ASSIGNMENT;
		}
		seen[p] = true;
		if (!only_us(as->BrokerIds, as->BrokerIds_count, node)) {
			*msg = hutil_msgf(a, "Partition %d may only be placed on broker %d.", (int)p,
				    (int)node);
			return KERR_INVALID_REPLICA_ASSIGNMENT;
		}
	}
	*nparts = ct->Assignments_count;
	return KERR_NONE;
}

/* v5+: the resulting configs of a created (t) or validated (t NULL) topic. */
static void result_configs(arena *a, topics *ts, topic *t, const ct_topic *ct, const kstr *names,
			   const kstr *values, ct_result *res)
{
	res->Configs = arena_calloc(a, TC_NCONFIGS, sizeof(*res->Configs));
	res->Configs_count = TC_NCONFIGS;
	for (int i = 0; i < TC_NCONFIGS; i++) {
		kmsg_CreateTopicsResponse_CreatableTopicConfigs *c = &res->Configs[i];
		topic_config_info info;

		if (t)
			topic_config_get_info(t, i, &info);
		else
			topics_config_preview(ts, ct->Name, names, values, ct->Configs_count, i,
					      &info);
		kmsg_CreateTopicsResponse_CreatableTopicConfigs_init(c);
		c->Name = kstr_c(info.name);
		c->Value = kstr_dup(a, info.value);
		c->ReadOnly = false;
		c->ConfigSource = info_source(&info);
		c->IsSensitive = false;
	}
}

static void create_one(broker *b, arena *a, const ct_topic *ct, bool dup, bool validate_only,
		       ct_result *res)
{
	topics *ts = broker_topics(b);
	int32_t nparts, nc = ct->Configs_count > 0 ? ct->Configs_count : 0;
	kstr *names = arena_calloc(a, (size_t)nc + 1, sizeof(*names));
	kstr *values = arena_calloc(a, (size_t)nc + 1, sizeof(*values));
	const char *why = NULL;
	topic *t = NULL;
	enum kerr err;
	int unknown;

	kmsg_CreateTopicsResponse_CreatableTopicResult_init(res);
	res->Name = ct->Name;
	res->ErrorMessage = KSTR_NULL;
	if (dup) {
		res->ErrorCode = KERR_INVALID_REQUEST;
		res->ErrorMessage = kstr_c(DUP_NAME);
		return;
	}
	err = check_placement(a, ct, broker_cfg(b)->node_id, &nparts, &res->ErrorMessage);
	if (err != KERR_NONE) {
		res->ErrorCode = (int16_t)err;
		return;
	}
	for (int32_t i = 0; i < nc; i++) {
		names[i] = ct->Configs[i].Name;
		values[i] = ct->Configs[i].Value;
	}
	err = topics_create(ts, ct->Name, nparts, names, values, nc, validate_only, &t, &why);
	res->ErrorCode = (int16_t)err;
	if (err == KERR_TOPIC_ALREADY_EXISTS)
		res->ErrorMessage = hutil_msgf(a, "Topic '%.*s' already exists.", KSTR_FMT(ct->Name));
	else if (err == KERR_INVALID_CONFIG && (unknown = tc_first_unknown(names, nc)) >= 0)
		res->ErrorMessage = hutil_msgf(a, "Unknown topic config name: %.*s",
					 KSTR_FMT(names[unknown]));
	else if (err != KERR_NONE)
		res->ErrorMessage = why ? kstr_c(why) : KSTR_NULL;
	if (err != KERR_NONE)
		return;
	res->NumPartitions = t ? topic_partition_count(t)
			       : nparts == -1 ? topics_default_partitions(ts, ct->Name) : nparts;
	res->ReplicationFactor = 1;
	if (t)
		res->TopicId = *topic_id(t);
	result_configs(a, ts, t, ct, names, values, res);
}

int handle_CreateTopics(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_CreateTopicsRequest m;
	kmsg_CreateTopicsResponse resp;
	kstr *names;
	uint8_t *cls;
	int n, nres;

	kmsg_CreateTopicsRequest_init(&m);
	if (kmsg_CreateTopicsRequest_decode(&m, body, version, a) < 0)
		return -1;
	n = m.Topics_count > 0 ? m.Topics_count : 0;
	names = arena_calloc(a, (size_t)n + 1, sizeof(*names));
	for (int i = 0; i < n; i++)
		names[i] = m.Topics[i].Name;
	cls = hutil_classify_duplicates(a, NULL, names, n, &nres);
	kmsg_CreateTopicsResponse_init(&resp);
	resp.Topics = arena_calloc(a, (size_t)nres + 1, sizeof(*resp.Topics));
	resp.Topics_count = nres;
	for (int i = 0, k = 0; i < n; i++)
		if (cls[i] != HUTIL_DUP_LATER)
			create_one(b, a, &m.Topics[i], cls[i] == HUTIL_DUP_FIRST,
				   version >= 1 && m.validateOnly, &resp.Topics[k++]);
	kmsg_CreateTopicsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* DeleteTopics                                                         */

typedef kmsg_DeleteTopicsResponse_DeletableTopicResult dt_result;

/* The v6 entry errors of ControllerApis.deleteTopics, or NULL. */
static const char *delete_entry_error(kstr name, const kuuid *id, uint8_t dup)
{
	if (dup == HUTIL_DUP_FIRST)
		return kstr_is_null(name) ? DUP_ID : DUP_NAME;
	if (id && kstr_is_null(name) && kuuid_is_zero(id))
		return "Neither topic name nor id were specified.";
	if (id && !kstr_is_null(name) && !kuuid_is_zero(id))
		return "You may not specify both topic name and topic id.";
	return NULL;
}

static void delete_one(broker *b, arena *a, int16_t version, kstr name, const kuuid *id,
		       uint8_t dup, dt_result *res)
{
	topics *ts = broker_topics(b);
	const char *bad = delete_entry_error(name, id, dup);
	topic *t;
	enum kerr err;

	kmsg_DeleteTopicsResponse_DeletableTopicResult_init(res);
	res->Name = name;
	res->ErrorMessage = KSTR_NULL;
	if (id)
		res->TopicId = *id;
	if (bad) {
		res->ErrorCode = KERR_INVALID_REQUEST;
		res->ErrorMessage = kstr_c(bad);
		return;
	}
	if (!broker_cfg(b)->delete_topic_enable) {
		/* KafkaApis: v0-v2 clients do not know TOPIC_DELETION_DISABLED */
		res->ErrorCode = version < 3 ? KERR_INVALID_REQUEST : KERR_TOPIC_DELETION_DISABLED;
		res->ErrorMessage = kstr_c("Topic deletion is disabled (delete.topic.enable=false).");
		return;
	}
	if (kstr_is_null(name))
		t = id ? topics_find_id(ts, id) : NULL;
	else
		t = topics_find(ts, name);
	if (!t) {
		res->ErrorCode = kstr_is_null(name) ? KERR_UNKNOWN_TOPIC_ID
						     : KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	if (topic_internal(t)) {
		res->ErrorCode = KERR_INVALID_REQUEST;
		res->ErrorMessage = kstr_c("Internal topics cannot be deleted.");
		return;
	}
	/* The topic's own name and id die with it: copy them first. */
	res->Name = hutil_msgf(a, "%.*s", KSTR_FMT(topic_name(t)));
	res->TopicId = *topic_id(t);
	err = topics_delete(ts, res->Name);
	if (err == KERR_NONE || !topics_find(ts, res->Name))
		group_coord_topic_deleted(broker_groups(b), res->Name);
	res->ErrorCode = (int16_t)err;
	if (err == KERR_KAFKA_STORAGE_ERROR)
		res->ErrorMessage = kstr_c("Some of the topic's files could not be removed.");
}

/* The duplicate key of DeleteTopics entry i: its name (type 0), or for a
 * v6 entry given by id alone the id's bytes (type 1). Entries that are
 * wrong anyway (both or neither) have none. */
static kstr delete_key(const kmsg_DeleteTopicsRequest *m, int16_t version, int i, int32_t *type)
{
	const kmsg_DeleteTopicsRequest_DeleteTopicState *st;

	*type = 0;
	if (version < 6)
		return m->TopicNames[i];
	st = &m->Topics[i];
	if (!kstr_is_null(st->Name))
		return kuuid_is_zero(&st->TopicId) ? st->Name : KSTR_NULL;
	*type = 1;
	return kuuid_is_zero(&st->TopicId) ? KSTR_NULL
					    : (kstr){ (const char *)st->TopicId.b, 16 };
}

int handle_DeleteTopics(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_DeleteTopicsRequest m;
	kmsg_DeleteTopicsResponse resp;
	kstr *keys;
	int32_t *types;
	uint8_t *cls;
	int n, nres;

	kmsg_DeleteTopicsRequest_init(&m);
	if (kmsg_DeleteTopicsRequest_decode(&m, body, version, a) < 0)
		return -1;
	n = version >= 6 ? m.Topics_count : m.TopicNames_count;
	n = n > 0 ? n : 0;
	keys = arena_calloc(a, (size_t)n + 1, sizeof(*keys));
	types = arena_calloc(a, (size_t)n + 1, sizeof(*types));
	for (int i = 0; i < n; i++)
		keys[i] = delete_key(&m, version, i, &types[i]);
	cls = hutil_classify_duplicates(a, types, keys, n, &nres);
	kmsg_DeleteTopicsResponse_init(&resp);
	resp.Responses = arena_calloc(a, (size_t)nres + 1, sizeof(*resp.Responses));
	resp.Responses_count = nres;
	for (int i = 0, k = 0; i < n; i++) {
		if (cls[i] == HUTIL_DUP_LATER)
			continue;
		if (version >= 6)
			delete_one(b, a, version, m.Topics[i].Name, &m.Topics[i].TopicId, cls[i],
				   &resp.Responses[k++]);
		else
			delete_one(b, a, version, m.TopicNames[i], NULL, cls[i],
				   &resp.Responses[k++]);
	}
	kmsg_DeleteTopicsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* CreatePartitions                                                     */

typedef kmsg_CreatePartitionsRequest_CreatePartitionsTopic cp_topic;

static enum kerr grow_one(broker *b, arena *a, const cp_topic *ct, bool validate_only, kstr *msg)
{
	topic *t = topics_find(broker_topics(b), ct->Name);
	int32_t node = broker_cfg(b)->node_id, cur;
	enum kerr err;

	if (!t) {
		*msg = hutil_msgf(a, "The topic '%.*s' does not exist.", KSTR_FMT(ct->Name));
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	}
	cur = topic_partition_count(t);
	if (ct->Count <= cur) {
		*msg = ct->Count == cur ? hutil_msgf(a, "Topic already has %d partitions.", (int)cur)
					: hutil_msgf(a, "Topic currently has %d partitions, which is "
						  "higher than the requested %d.", (int)cur,
					       (int)ct->Count);
		return KERR_INVALID_PARTITIONS;
	}
	if (ct->Assignments_count >= 0) {
		if (ct->Assignments_count != ct->Count - cur) {
			*msg = hutil_msgf(a, "Increasing the number of partitions by %d but %d "
				       "assignments provided.", (int)(ct->Count - cur),
				    (int)ct->Assignments_count);
			return KERR_INVALID_REPLICA_ASSIGNMENT;
		}
		for (int32_t i = 0; i < ct->Assignments_count; i++) {
			const kmsg_CreatePartitionsRequest_CreatePartitionsAssignment *as =
				&ct->Assignments[i];
			if (!only_us(as->BrokerIds, as->BrokerIds_count, node)) {
				*msg = hutil_msgf(a, "New partitions may only be placed on broker %d.",
					    (int)node);
				return KERR_INVALID_REPLICA_ASSIGNMENT;
			}
		}
	}
	err = topics_add_partitions(broker_topics(b), t, ct->Count, validate_only);
	if (err == KERR_INVALID_REQUEST)
		*msg = kstr_c("Cannot add partitions to an internal topic.");
	else if (err == KERR_INVALID_PARTITIONS)
		*msg = hutil_msgf(a, "At most %d partitions per topic.", TOPICS_MAX_PARTITIONS);
	else if (err == KERR_KAFKA_STORAGE_ERROR)
		*msg = kstr_c("Cannot create the new partitions' files.");
	return err;
}

int handle_CreatePartitions(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_CreatePartitionsRequest m;
	kmsg_CreatePartitionsResponse resp;
	kstr *names;
	uint8_t *cls;
	int n, nres, k = 0;

	kmsg_CreatePartitionsRequest_init(&m);
	if (kmsg_CreatePartitionsRequest_decode(&m, body, version, a) < 0)
		return -1;
	n = m.Topics_count > 0 ? m.Topics_count : 0;
	names = arena_calloc(a, (size_t)n + 1, sizeof(*names));
	for (int i = 0; i < n; i++)
		names[i] = m.Topics[i].Name;
	cls = hutil_classify_duplicates(a, NULL, names, n, &nres);
	kmsg_CreatePartitionsResponse_init(&resp);
	resp.Results = arena_calloc(a, (size_t)nres + 1, sizeof(*resp.Results));
	resp.Results_count = nres;
	for (int i = 0; i < n; i++) {
		kmsg_CreatePartitionsResponse_CreatePartitionsTopicResult *res;

		if (cls[i] == HUTIL_DUP_LATER)
			continue;
		res = &resp.Results[k++];
		kmsg_CreatePartitionsResponse_CreatePartitionsTopicResult_init(res);
		res->Name = m.Topics[i].Name;
		res->ErrorMessage = KSTR_NULL;
		if (cls[i] == HUTIL_DUP_FIRST) {
			res->ErrorCode = KERR_INVALID_REQUEST;
			res->ErrorMessage = kstr_c(DUP_NAME);
			continue;
		}
		res->ErrorCode = (int16_t)grow_one(b, a, &m.Topics[i], m.ValidateOnly,
						   &res->ErrorMessage);
	}
	kmsg_CreatePartitionsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* DescribeConfigs                                                      */

typedef kmsg_DescribeConfigsRequest_DescribeConfigsResource dc_resource;
typedef kmsg_DescribeConfigsResponse_DescribeConfigsResult dc_result;
typedef kmsg_DescribeConfigsResponse_DescribeConfigsResourceResult dc_entry;
typedef kmsg_DescribeConfigsResponse_DescribeConfigsSynonym dc_synonym;

/* One config to describe, whatever the resource. */
typedef struct dc_item {
	const char *name;
	kstr value;
	bool is_override;     /* topic override */
	bool topic;           /* a topic config (else a broker property) */
	const char *synonym;  /* topics: broker property it defaults from, or NULL */
	kstr default_value;   /* the broker property's value */
	const char *kafka_default; /* NULL: Kafka has none */
	int8_t type;
	bool read_only;
	const char *doc;
} dc_item;

typedef struct dc_opts {
	bool synonyms, docs;
} dc_opts;

static bool key_wanted(const dc_resource *rr, const char *name)
{
	if (rr->ConfigurationKeys_count < 0)
		return true;
	for (int32_t i = 0; i < rr->ConfigurationKeys_count; i++)
		if (kstr_eq_c(rr->ConfigurationKeys[i], name))
			return true;
	return false;
}

static bool is_kafka_default(const dc_item *it)
{
	return it->kafka_default && kstr_eq_c(it->default_value, it->kafka_default);
}

/* Synonyms, most specific first (Kafka's order): the topic override, the
 * broker property as configured, Kafka's default of that property. A
 * topic config without a broker property has only the first. */
static void item_synonyms(arena *a, const dc_item *it, dc_entry *e)
{
	const char *bname = it->synonym ? it->synonym : it->name;
	bool has_broker = !it->topic || it->synonym;
	dc_synonym *s = arena_calloc(a, 3, sizeof(*s));
	int n = 0;

	if (it->is_override)
		s[n++] = (dc_synonym){ kstr_c(it->name), it->value, SRC_TOPIC };
	if (has_broker && !is_kafka_default(it))
		s[n++] = (dc_synonym){ kstr_c(bname), it->default_value, SRC_STATIC_BROKER };
	if (has_broker && it->kafka_default)
		s[n++] = (dc_synonym){ kstr_c(bname), kstr_c(it->kafka_default), SRC_DEFAULT };
	e->Synonyms = s;
	e->Synonyms_count = n;
}

static void item_entry(arena *a, const dc_item *it, const dc_opts *o, dc_entry *e)
{
	kmsg_DescribeConfigsResponse_DescribeConfigsResourceResult_init(e);
	e->Name = kstr_c(it->name);
	e->Value = it->value;
	e->ReadOnly = it->read_only;
	e->ConfigSource = it->is_override ? SRC_TOPIC
			  : is_kafka_default(it) ? SRC_DEFAULT : SRC_STATIC_BROKER;
	/* v0: "not set": topic configs without an override, broker
	 * properties at Kafka's default */
	e->IsDefault = !it->is_override && (it->topic || is_kafka_default(it));
	e->IsSensitive = false;
	e->ConfigType = it->type;
	e->Documentation = o->docs && it->doc ? kstr_c(it->doc) : KSTR_NULL;
	if (o->synonyms)
		item_synonyms(a, it, e);
}

static void describe_topic_configs(broker *b, arena *a, const dc_resource *rr, const dc_opts *o,
				   dc_result *res)
{
	topic *t = topics_find(broker_topics(b), rr->ResourceName);
	int n = 0;

	if (!t) {
		res->ErrorCode = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		res->ErrorMessage = hutil_msgf(a, "Topic '%.*s' does not exist.",
					 KSTR_FMT(rr->ResourceName));
		return;
	}
	res->Configs = arena_calloc(a, TC_NCONFIGS, sizeof(*res->Configs));
	for (int i = 0; i < TC_NCONFIGS; i++) {
		topic_config_info info;
		dc_item it;

		topic_config_get_info(t, i, &info);
		if (!key_wanted(rr, info.name))
			continue;
		it = (dc_item){ info.name, kstr_dup(a, info.value), info.is_override, true,
				info.synonym, kstr_dup(a, info.default_value), info.kafka_default,
				info.type, false, info.doc };
		item_entry(a, &it, o, &res->Configs[n++]);
	}
	res->Configs_count = n;
}

#define BROKER_NCONFIGS 28

/* The properties of broker_items() that Kafka can change at run time
 * (DynamicBrokerConfig.AllDynamicConfigs), which it reports read_only =
 * false. tidemark changes none at run time: (Incremental)AlterConfigs of a
 * broker is refused (h_alterconfigs.c), with a message saying so. */
static const char *const kafka_dynamic[] = {
	"listeners", "advertised.listeners", "log.segment.bytes", "log.roll.ms",
	"log.retention.ms", "log.retention.bytes", "log.index.interval.bytes",
	"message.max.bytes", "log.message.timestamp.type", "log.cleanup.policy",
	"min.insync.replicas",
};

static bool is_kafka_dynamic(const char *name)
{
	for (size_t i = 0; i < sizeof kafka_dynamic / sizeof kafka_dynamic[0]; i++)
		if (strcmp(kafka_dynamic[i], name) == 0)
			return true;
	return false;
}

/* Adds broker property name = printf(fmt, ...) to items. */
__attribute__((format(printf, 7, 8))) static void bc_add(arena *a, dc_item *items, int *n,
							   const char *name, int8_t type,
							   const char *kafka_default, const char *fmt,
							   ...)
{
	char tmp[1024];
	va_list ap;
	int len;
	dc_item *it;

	if (*n >= BROKER_NCONFIGS)
		return;
	va_start(ap, fmt);
	len = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	it = &items[(*n)++];
	memset(it, 0, sizeof *it);
	it->name = name;
	it->value = kstr_dup(a, tmp);
	it->default_value = it->value;
	it->kafka_default = kafka_default;
	it->type = type;
	it->read_only = !is_kafka_dynamic(name);
}

static const char *yn(bool v) { return v ? "true" : "false"; }
static const char *nz(const char *s) { return s ? s : ""; }

/* A fixed, useful subset of the broker properties (config.h). */
static int broker_items(broker *b, arena *a, dc_item *it)
{
	const broker_config *c = broker_cfg(b);
	int n = 0, port = c->advertised_port ? c->advertised_port : broker_port(b);

	bc_add(a, it, &n, "node.id", CT_INT, NULL, "%ld", (long)c->node_id);
	bc_add(a, it, &n, "broker.id", CT_INT, NULL, "%ld", (long)c->node_id);
	bc_add(a, it, &n, "listeners", CT_STRING, "PLAINTEXT://:9092", "%s", nz(c->listeners));
	bc_add(a, it, &n, "advertised.listeners", CT_STRING, NULL, "PLAINTEXT://%s:%d",
	       nz(c->advertised_host), port);
	bc_add(a, it, &n, "log.dirs", CT_STRING, "/tmp/kafka-logs", "%s", nz(c->log_dirs));
	bc_add(a, it, &n, "num.partitions", CT_INT, "1", "%ld", (long)c->num_partitions);
	/* one node: accepted in server.properties and ignored (config.c) */
	bc_add(a, it, &n, "default.replication.factor", CT_INT, "1", "1");
	bc_add(a, it, &n, "min.insync.replicas", CT_INT, "1", "1");
	bc_add(a, it, &n, "auto.create.topics.enable", CT_BOOLEAN, "true", "%s",
	       yn(c->auto_create_topics_enable));
	bc_add(a, it, &n, "delete.topic.enable", CT_BOOLEAN, "true", "%s",
	       yn(c->delete_topic_enable));
	bc_add(a, it, &n, "log.segment.bytes", CT_INT, "1073741824", "%lld",
	       (long long)c->log_segment_bytes);
	bc_add(a, it, &n, "log.roll.ms", CT_LONG, "604800000", "%lld", (long long)c->log_roll_ms);
	bc_add(a, it, &n, "log.retention.ms", CT_LONG, "604800000", "%lld",
	       (long long)c->log_retention_ms);
	bc_add(a, it, &n, "log.retention.bytes", CT_LONG, "-1", "%lld",
	       (long long)c->log_retention_bytes);
	bc_add(a, it, &n, "log.index.interval.bytes", CT_INT, "4096", "%ld",
	       (long)c->log_index_interval_bytes);
	bc_add(a, it, &n, "message.max.bytes", CT_INT, "1048588", "%ld",
	       (long)c->message_max_bytes);
	bc_add(a, it, &n, "log.message.timestamp.type", CT_STRING, "CreateTime", "%s",
	       c->log_message_timestamp_type ? c->log_message_timestamp_type : "CreateTime");
	bc_add(a, it, &n, "log.cleanup.policy", CT_LIST, "delete", "%s",
	       c->log_cleanup_policy ? c->log_cleanup_policy : "delete");
	bc_add(a, it, &n, "log.cleaner.enable", CT_BOOLEAN, "true", "%s",
	       yn(c->log_cleaner_enable));
	bc_add(a, it, &n, "socket.request.max.bytes", CT_INT, "104857600", "%ld",
	       (long)c->socket_request_max_bytes);
	bc_add(a, it, &n, "offsets.retention.minutes", CT_INT, "10080", "%lld",
	       (long long)c->offsets_retention_minutes);
	bc_add(a, it, &n, "offsets.topic.num.partitions", CT_INT, "50", "%ld",
	       (long)c->offsets_topic_num_partitions);
	bc_add(a, it, &n, "offsets.topic.segment.bytes", CT_INT, "104857600", "%lld",
	       (long long)c->offsets_topic_segment_bytes);
	bc_add(a, it, &n, "group.initial.rebalance.delay.ms", CT_INT, "3000", "%ld",
	       (long)c->group_initial_rebalance_delay_ms);
	bc_add(a, it, &n, "group.min.session.timeout.ms", CT_INT, "6000", "%ld",
	       (long)c->group_min_session_timeout_ms);
	bc_add(a, it, &n, "group.max.session.timeout.ms", CT_INT, "1800000", "%ld",
	       (long)c->group_max_session_timeout_ms);
	bc_add(a, it, &n, "transaction.max.timeout.ms", CT_INT, "900000", "%lld",
	       (long long)c->transaction_max_timeout_ms);
	return n;
}

/* True when name is "" or our node id in decimal. */
static bool is_our_broker(arena *a, kstr name, int32_t node)
{
	return name.len == 0 || kstr_eq(name, hutil_msgf(a, "%ld", (long)node));
}

static void describe_broker_configs(broker *b, arena *a, const dc_resource *rr, const dc_opts *o,
				    dc_result *res)
{
	dc_item *items;
	int n, k = 0;

	if (!is_our_broker(a, rr->ResourceName, broker_cfg(b)->node_id)) {
		res->ErrorCode = KERR_INVALID_REQUEST;
		res->ErrorMessage = hutil_msgf(a, "This is broker %ld.", (long)broker_cfg(b)->node_id);
		return;
	}
	items = arena_calloc(a, BROKER_NCONFIGS, sizeof(*items));
	n = broker_items(b, a, items);
	res->Configs = arena_calloc(a, (size_t)n, sizeof(*res->Configs));
	for (int i = 0; i < n; i++)
		if (key_wanted(rr, items[i].name))
			item_entry(a, &items[i], o, &res->Configs[k++]);
	res->Configs_count = k;
}

int handle_DescribeConfigs(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_DescribeConfigsRequest m;
	kmsg_DescribeConfigsResponse resp;
	dc_opts o;
	int n;

	kmsg_DescribeConfigsRequest_init(&m);
	if (kmsg_DescribeConfigsRequest_decode(&m, body, version, a) < 0)
		return -1;
	o.synonyms = version >= 1 && m.IncludeSynonyms;
	o.docs = version >= 3 && m.IncludeDocumentation;
	n = m.Resources_count > 0 ? m.Resources_count : 0;
	kmsg_DescribeConfigsResponse_init(&resp);
	resp.Results = arena_calloc(a, (size_t)n + 1, sizeof(*resp.Results));
	resp.Results_count = n;
	for (int i = 0; i < n; i++) {
		const dc_resource *rr = &m.Resources[i];
		dc_result *res = &resp.Results[i];

		kmsg_DescribeConfigsResponse_DescribeConfigsResult_init(res);
		res->ResourceType = rr->ResourceType;
		res->ResourceName = rr->ResourceName;
		res->ErrorMessage = KSTR_NULL;
		if (rr->ResourceType == RES_TOPIC)
			describe_topic_configs(b, a, rr, &o, res);
		else if (rr->ResourceType == RES_BROKER)
			describe_broker_configs(b, a, rr, &o, res);
		else {
			res->ErrorCode = KERR_INVALID_REQUEST;
			res->ErrorMessage = hutil_msgf(a, "Unsupported resource type %d.",
						 (int)rr->ResourceType);
		}
	}
	kmsg_DescribeConfigsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* DescribeCluster                                                      */

int handle_DescribeCluster(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	const broker_config *cfg = broker_cfg(b);
	kmsg_DescribeClusterRequest m;
	kmsg_DescribeClusterResponse resp;
	kmsg_DescribeClusterResponse_DescribeClusterBroker *br;

	kmsg_DescribeClusterRequest_init(&m);
	if (kmsg_DescribeClusterRequest_decode(&m, body, version, a) < 0)
		return -1;
	kmsg_DescribeClusterResponse_init(&resp);
	resp.ClusterId = kstr_c(broker_cluster_id(b) ? broker_cluster_id(b) : "");
	resp.ControllerId = cfg->node_id;
	resp.EndpointType = m.EndpointType;
	resp.ClusterAuthorizedOperations = INT32_MIN;
	if (version >= 1 && m.EndpointType != 1) {
		/* KIP-919: brokers answer only for EndpointType 1 (brokers). */
		resp.ErrorCode = m.EndpointType == 2 ? KERR_MISMATCHED_ENDPOINT_TYPE
						     : KERR_UNSUPPORTED_ENDPOINT_TYPE;
		resp.ErrorMessage = m.EndpointType == 2
					    ? kstr_c("The request was sent to an endpoint of type "
						     "BROKER, but we wanted an endpoint of type "
						     "CONTROLLER")
					    : kstr_c("Unsupported endpoint type.");
	} else {
		br = arena_calloc(a, 1, sizeof(*br));
		kmsg_DescribeClusterResponse_DescribeClusterBroker_init(br);
		br->BrokerId = cfg->node_id;
		br->Host = kstr_c(cfg->advertised_host ? cfg->advertised_host : "localhost");
		br->Port = cfg->advertised_port ? cfg->advertised_port : broker_port(b);
		br->Rack = KSTR_NULL;
		resp.Brokers = br;
		resp.Brokers_count = 1;
	}
	kmsg_DescribeClusterResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}
