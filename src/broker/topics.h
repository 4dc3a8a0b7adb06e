/*
 * topics.h: the topic registry: names, ids, partition logs and topic configs.
 *
 * On disk, partition p of topic t lives in <log.dirs>/<t>-<p>/ (Kafka's
 * layout) and holds a partition.metadata file (topic id). Topic-level config
 * overrides are kept in <log.dirs>/__tidemark_topics/<t>.properties, written
 * atomically (write, fsync, rename). At start every partition directory is
 * opened (and recovered) through plog_open().
 *
 * Internal topics (__consumer_offsets, later __transaction_state) are
 * ordinary topics flagged internal, with cleanup.policy=compact.
 *
 * Threads: everything here runs on the loop thread.
 *
 * Lifetime: a topic* (and its plog*s) stays valid until topics_delete() of
 * that topic or topics_close(). Code that parks a request across loop
 * iterations must keep the topic name, not the pointer, and find it again;
 * the purgatory is told (purgatory_forget) before a log goes away.
 */
#ifndef TM_TOPICS_H
#define TM_TOPICS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "proto/kerr.h"
#include "proto/kmsg.h"
#include "storage/plog.h"

typedef struct topics topics;
typedef struct topic topic;
typedef struct purgatory purgatory;

/* Topic-level configuration (Kafka topic config names). */
typedef struct topic_config {
	int64_t retention_ms;        /* retention.ms */
	int64_t retention_bytes;     /* retention.bytes */
	int64_t segment_bytes;       /* segment.bytes */
	int64_t segment_ms;          /* segment.ms */
	int32_t max_message_bytes;   /* max.message.bytes */
	bool log_append_time;        /* message.timestamp.type=LogAppendTime */
	bool compact;                /* cleanup.policy contains compact */
	bool delete_;                /* cleanup.policy contains delete */
	int64_t min_compaction_lag_ms;   /* min.compaction.lag.ms */
	int64_t delete_retention_ms;     /* delete.retention.ms */
	int32_t index_interval_bytes;    /* index.interval.bytes */
} topic_config;

/* Upper bound on partitions per topic (CreateTopics/CreatePartitions beyond
 * it get INVALID_PARTITIONS): each partition holds open files. */
#define TOPICS_MAX_PARTITIONS 10000
/* Number of topic configs we know (see topic_config_get_info): every
 * topic-level config of Kafka 3.x/4.x (docs/topic-configs.md). */
#define TOPICS_NCONFIGS 36

/* One topic config as DescribeConfigs and CreateTopics v5+ report it. */
typedef struct topic_config_info {
	const char *name;          /* Kafka topic config name, e.g. "retention.ms" */
	char value[48];            /* effective value */
	bool is_override;          /* set on the topic (ConfigSource 1, DYNAMIC_TOPIC_CONFIG) */
	const char *synonym;       /* broker property the default comes from ("log.retention.ms") */
	char default_value[48];    /* that broker property's value */
	const char *kafka_default; /* Kafka's built-in default of that property; when it
				    * differs from default_value, the broker's value was
				    * configured (ConfigSource 4, STATIC_BROKER_CONFIG),
				    * else it is ConfigSource 5, DEFAULT_CONFIG */
	int8_t type;               /* DescribeConfigs v3+ ConfigType: 1 BOOLEAN, 2 STRING, 3 INT,
				    * 5 LONG, 6 DOUBLE, 7 LIST */
	const char *doc;           /* one-line documentation */
} topic_config_info;

/* Opens the registry on cfg->log_dirs, opening every partition found. The
 * purgatory is told when logs go away. Returns NULL after logging. */
topics *topics_open(const broker_config *cfg, purgatory *pg);
/* Called with each log of a topic about to be deleted, before it closes
 * (the cleaner cancels a pass on it). One hook; NULL removes it. */
typedef void topics_close_hook(void *ud, plog *log);
void topics_set_close_hook(topics *ts, topics_close_hook *fn, void *ud);
/* Writes the recovery checkpoint and closes every log. */
void topics_close(topics *ts);

topic *topics_find(topics *ts, kstr name);
/* The topic with this id, or NULL (linear: for Metadata v12 / DeleteTopics v6). */
topic *topics_find_id(topics *ts, const kuuid *id);
/* True for the names of internal topics (__consumer_offsets, __transaction_state). */
bool topics_internal_name(kstr name);
/* Writes <log.dirs>/recovery-point-offset-checkpoint from every log's durable
 * offset (fsync + rename). Call periodically; topics_close() and
 * topics_delete() also do. Returns 0 or -1 (logged). */
int topics_checkpoint(topics *ts);
/* Number of topics, and the i-th (order unspecified but stable until a
 * create or delete). */
int topics_count(const topics *ts);
topic *topics_at(topics *ts, int i);

/* Partitions a new topic gets when asked for -1: num.partitions, or
 * offsets.topic.num.partitions / transaction.state.log.num.partitions for
 * the internal topics. */
int32_t topics_default_partitions(const topics *ts, kstr name);
/* Checks a topic name like Kafka (1-249 chars of [a-zA-Z0-9._-], not "." or ".."). */
bool topics_valid_name(kstr name);
/*
 * Creates a topic with `partitions` partitions (-1: num.partitions) and
 * config overrides given as parallel name/value arrays (n of them). Returns
 * KERR_NONE and *out, or TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION,
 * INVALID_PARTITIONS, INVALID_CONFIG (with *why set to a static message) or
 * KAFKA_STORAGE_ERROR. validate_only checks without creating.
 */
enum kerr topics_create(topics *ts, kstr name, int32_t partitions, const kstr *cfg_names,
			const kstr *cfg_values, int n, bool validate_only, topic **out,
			const char **why);
/* Deletes a topic and its data. Internal topics cannot be deleted
 * (INVALID_REQUEST); unknown: UNKNOWN_TOPIC_OR_PARTITION. The topic* and its
 * logs are gone afterwards, even when KAFKA_STORAGE_ERROR is returned
 * because some of its files could not be removed. */
enum kerr topics_delete(topics *ts, kstr name);
/* Grows a topic to `count` partitions: INVALID_PARTITIONS unless
 * current < count <= TOPICS_MAX_PARTITIONS, INVALID_REQUEST for internal
 * topics, KAFKA_STORAGE_ERROR. */
enum kerr topics_add_partitions(topics *ts, topic *t, int32_t count, bool validate_only);
/* Sets one topic config override (value null: back to default), persists
 * it and applies it to the logs. INVALID_CONFIG or KAFKA_STORAGE_ERROR. */
enum kerr topics_set_config(topics *ts, topic *t, kstr name, kstr value);

/*
 * Replaces every config override of t with the n name/value pairs (values
 * not null; AlterConfigs semantics: a config left out goes back to its
 * default). Internal topics keep their forced overrides (cleanup.policy
 * compact, segment.bytes) unless the pairs set them. All or nothing: the
 * pairs are validated first, then written atomically and applied to the
 * logs. Returns KERR_NONE, INVALID_CONFIG (*why: a static message naming
 * the problem) or KAFKA_STORAGE_ERROR; validate_only checks without
 * changing anything. *why is NULL on success.
 */
enum kerr topics_replace_configs(topics *ts, topic *t, const kstr *names, const kstr *values, int n,
				 bool validate_only, const char **why);

kstr topic_name(const topic *t);
const kuuid *topic_id(const topic *t);
bool topic_internal(const topic *t);
int32_t topic_partition_count(const topic *t);
/* The log of partition p, or NULL when p is out of range. */
plog *topic_partition(topic *t, int32_t p);
const topic_config *topic_cfg(const topic *t);
/* Describes config i (0 <= i < TOPICS_NCONFIGS) of t into *out. */
void topic_config_get_info(const topic *t, int i, topic_config_info *out);
/*
 * Describes config i of a topic that topics_create() would make with these
 * overrides (for CreateTopics validate_only answers). The overrides must
 * have passed topics_create(..., validate_only = true, ...).
 */
void topics_config_preview(topics *ts, kstr name, const kstr *cfg_names, const kstr *cfg_values,
			   int n, int i, topic_config_info *out);
/* Calls fn for each config (name, value, is_default) for DescribeConfigs. */
void topic_each_config(const topic *t, void (*fn)(void *ud, const char *name, const char *value,
						  bool is_default, bool sensitive), void *ud);

/* Every partition log of every topic (for the flusher at shutdown and retention). */
void topics_each_log(topics *ts, void (*fn)(void *ud, topic *t, int32_t p, plog *log), void *ud);

/* Finds or creates (auto-create, internal topics) a topic; partitions -1
 * means the default. NULL (logged) when creation failed. */
topic *topics_get_or_create_internal(topics *ts, const char *name, int32_t partitions);

#endif
