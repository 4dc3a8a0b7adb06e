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
} topic_config;

/* Opens the registry on cfg->log_dirs, opening every partition found. The
 * purgatory is told when logs go away. Returns NULL after logging. */
topics *topics_open(const broker_config *cfg, purgatory *pg);
/* Writes the recovery checkpoint and closes every log. */
void topics_close(topics *ts);

topic *topics_find(topics *ts, kstr name);
/* Number of topics, and the i-th (order unspecified but stable until a
 * create or delete). */
int topics_count(const topics *ts);
topic *topics_at(topics *ts, int i);

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
/* Deletes a topic and its data. Internal topics cannot be deleted. */
enum kerr topics_delete(topics *ts, kstr name);
/* Grows a topic to `count` partitions. */
enum kerr topics_add_partitions(topics *ts, topic *t, int32_t count, bool validate_only);
/* Sets one topic config override (value NULL: back to default). */
enum kerr topics_set_config(topics *ts, topic *t, kstr name, kstr value);

kstr topic_name(const topic *t);
const kuuid *topic_id(const topic *t);
bool topic_internal(const topic *t);
int32_t topic_partition_count(const topic *t);
/* The log of partition p, or NULL when p is out of range. */
plog *topic_partition(topic *t, int32_t p);
const topic_config *topic_cfg(const topic *t);
/* Calls fn for each config (name, value, is_default) for DescribeConfigs. */
void topic_each_config(const topic *t, void (*fn)(void *ud, const char *name, const char *value,
						  bool is_default, bool sensitive), void *ud);

/* Every partition log of every topic (for the flusher at shutdown and retention). */
void topics_each_log(topics *ts, void (*fn)(void *ud, topic *t, int32_t p, plog *log), void *ud);

/* Finds or creates (auto-create, internal topics) a topic. */
topic *topics_get_or_create_internal(topics *ts, const char *name, int32_t partitions);

#endif
