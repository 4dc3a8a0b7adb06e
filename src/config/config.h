/*
 * config.h: broker configuration with Kafka's property names.
 *
 * One table (config.c) lists every property: name, type, default, range and
 * doc. Values come, later ones winning, from the defaults, the
 * --config server.properties file, the command-line flags (--listen,
 * --data-dir) and --override key=value. An unknown property or a bad value
 * is a start-up error naming it. Topic-level overrides (retention.ms,
 * segment.bytes, ...) live with the topics (broker/topics.h); their defaults
 * come from the broker properties here.
 */
#ifndef TM_CONFIG_H
#define TM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct broker_config {
	/* network */
	char *listeners;            /* listeners, e.g. "PLAINTEXT://0.0.0.0:9092" */
	char *advertised_listeners; /* advertised.listeners; NULL: derived from listeners */
	char *listen_host;          /* parsed from listeners */
	int listen_port;
	char *advertised_host;      /* parsed from advertised.listeners (or listeners; 0.0.0.0 -> localhost) */
	int advertised_port;
	int32_t socket_request_max_bytes; /* socket.request.max.bytes (104857600) */
	int64_t connections_max_idle_ms;  /* connections.max.idle.ms (600000) */
	int max_connections;              /* max.connections (10000) */
	int queued_max_requests;          /* queued.max.requests: per-connection in-flight cap (500) */
	int32_t fetch_response_max_bytes; /* tidemark.fetch.response.max.bytes (4 MiB): caps a Fetch
					   * response below the client's fetch.max.bytes */
	int32_t node_id;                  /* node.id / broker.id (0) */
	char *cluster_id;                 /* cluster.id (generated and stored in meta.properties if unset) */

	/* log */
	char *log_dirs;                   /* log.dirs (./data); one directory */
	int32_t num_partitions;           /* num.partitions (1) */
	bool auto_create_topics_enable;   /* auto.create.topics.enable (true) */
	bool delete_topic_enable;         /* delete.topic.enable (true) */
	int64_t log_segment_bytes;        /* log.segment.bytes (1073741824) */
	int64_t log_roll_ms;              /* log.roll.ms / log.roll.hours (168h) */
	int32_t log_index_interval_bytes; /* log.index.interval.bytes (4096) */
	int32_t message_max_bytes;        /* message.max.bytes (1048588) */
	int64_t log_retention_ms;         /* log.retention.ms/minutes/hours (168h); -1 = forever */
	int64_t log_retention_bytes;      /* log.retention.bytes (-1) */
	int64_t log_retention_check_interval_ms; /* (300000) */
	char *log_message_timestamp_type; /* log.message.timestamp.type (CreateTime) */
	char *log_cleanup_policy;         /* log.cleanup.policy (delete) */
	int64_t log_flush_interval_ms;    /* NEEDSWORK: unused; acks=all always syncs */
	bool log_flush_commit_sync;       /* tidemark.commit.fsync (true): fsync before answering OffsetCommit */
	int32_t flush_threads;            /* tidemark.flush.threads (4): parallel fsyncs per round */
	int32_t flush_syncfs_min_logs;    /* tidemark.flush.syncfs.min.logs (2): syncfs() for big rounds */
	bool log_cleaner_enable;          /* log.cleaner.enable (true) */
	int64_t log_cleaner_backoff_ms;   /* log.cleaner.backoff.ms (15000) */
	char *log_cleaner_min_cleanable_ratio; /* log.cleaner.min.cleanable.ratio (0.5), a decimal in [0, 1] */
	int64_t log_cleaner_dedupe_buffer_size; /* log.cleaner.dedupe.buffer.size (134217728) */

	/* groups and offsets */
	int32_t offsets_topic_num_partitions;     /* offsets.topic.num.partitions (50) */
	int64_t offsets_retention_minutes;        /* offsets.retention.minutes (10080) */
	int64_t offsets_retention_check_interval_ms; /* (600000) */
	int32_t offset_metadata_max_bytes;        /* offset.metadata.max.bytes (4096) */
	int64_t offsets_topic_segment_bytes;      /* offsets.topic.segment.bytes (104857600) */
	int32_t group_min_session_timeout_ms;     /* group.min.session.timeout.ms (6000) */
	int32_t group_max_session_timeout_ms;     /* group.max.session.timeout.ms (1800000) */
	int32_t group_initial_rebalance_delay_ms; /* group.initial.rebalance.delay.ms (tidemark default 50) */
	int32_t group_max_size;                   /* group.max.size (2147483647) */

	/* transactions (room for later) */
	int32_t transaction_state_log_num_partitions; /* (50) */
	int64_t transaction_max_timeout_ms;           /* (900000) */
	int64_t transactional_id_expiration_ms;       /* (604800000) */
} broker_config;

/* Fills cfg with the defaults. */
void config_defaults(broker_config *cfg);
/*
 * Sets one property by its Kafka name from a string value. Returns 0, or -1
 * after writing "unknown property 'x'" or "bad value 'v' for 'x': why" into
 * err (size errlen).
 */
int config_set(broker_config *cfg, const char *name, const char *value, char *err, size_t errlen);
/* Reads a server.properties file (key=value, # comments, blank lines). */
int config_load_file(broker_config *cfg, const char *path, char *err, size_t errlen);
/* Derives the parsed fields (listen_host, ...) after all sets. */
int config_finish(broker_config *cfg, char *err, size_t errlen);
void config_release(broker_config *cfg);
/* Writes "name=value" lines of every property to f (for --help and docs). */
void config_print(const broker_config *cfg, FILE *f);

#endif
