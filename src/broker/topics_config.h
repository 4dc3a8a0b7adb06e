/*
 * topics_config.h: the topic-level configuration table (retention.ms,
 * segment.bytes, cleanup.policy, min.insync.replicas, ...), used by
 * topics*.c and by the config handlers (h_admin.c, h_alterconfigs.c) for
 * the table's size and the DescribeConfigs types.
 *
 * tc_ is short for "topic config". The table lists every topic config of
 * Apache Kafka 3.x/4.x's LogConfig, each with its kind, range, broker
 * property synonym, Kafka default (for DescribeConfigs) and INVALID_CONFIG
 * message. Values are validated as LogConfig does (Java Long.parseLong /
 * Integer.parseInt / Double.parseDouble after trimming, the same ranges and
 * enumerations) and kept as canonical strings (tc_overrides), which is what
 * the properties files hold and DescribeConfigs shows. Only some configs
 * are acted on: they have a topic_config field (tc_acted_on()); the others
 * are stored and reported only (one node, no tiered storage, batches kept
 * as produced).
 *
 * Pure functions: no files, no topics registry, no global mutable state.
 */
#ifndef TM_TOPICS_CONFIG_H
#define TM_TOPICS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/topics.h"
#include "config/config.h"
#include "proto/kerr.h"
#include "proto/kmsg.h"

#define TOPICS_VALUE_MAX 47 /* longest config value accepted (fits topic_config_info) */
#define TC_VALUE_CAP (TOPICS_VALUE_MAX + 1)
/* Number of topic configs in tc_defs (every one Kafka knows). */
#define TC_NCONFIGS TOPICS_NCONFIGS

/* DescribeConfigs (v3+) ConfigType values. */
enum { CT_BOOLEAN = 1, CT_STRING = 2, CT_INT = 3, CT_LONG = 5, CT_DOUBLE = 6, CT_LIST = 7 };

enum tc_kind {
	TC_LONG,     /* Java long in [min, max] */
	TC_INT,      /* Java int in [min, max] */
	TC_GZIP,     /* compression.gzip.level: -1 or 1..9 */
	TC_TSTYPE,   /* CreateTime | LogAppendTime */
	TC_POLICY,   /* list of compact, delete */
	TC_BOOL,     /* true | false, any case */
	TC_NO_TIER,  /* a boolean that must be false: no tiered storage here */
	TC_RATIO,    /* Java double in [0, 1] */
	TC_CODEC,    /* uncompressed | zstd | lz4 | snappy | gzip | producer */
	TC_REPLICAS, /* "*" or a list of partition:broker */
	TC_VERSION,  /* a Kafka version such as 2.8 or 3.0-IV1 */
};

/* tc_def.off of a config that has no topic_config field (stored only). */
#define TC_STORED ((size_t)-1)

typedef struct tc_def {
	const char *name;
	enum tc_kind kind;
	size_t off;            /* TC_LONG/TC_INT: int64_t/int32_t field, or TC_STORED */
	int64_t min, max;      /* TC_LONG/TC_INT range */
	const char *synonym;   /* broker property, or NULL (Kafka has none) */
	const char *kafka_default;
	int8_t type;           /* CT_* */
	const char *bad;       /* INVALID_CONFIG message */
	const char *doc;
} tc_def;

/* A set of overrides: bit i of mask says tc_defs[i] is set, to v[i]
 * (canonical form, NUL-terminated). */
typedef struct tc_overrides {
	uint64_t mask;
	char v[TC_NCONFIGS][TC_VALUE_CAP];
} tc_overrides;

/* The table, sorted by name. */
extern const tc_def tc_defs[TC_NCONFIGS];

/* Index of the config called name, or -1. */
int tc_find(kstr name);
/* Index of the first of names[0..n) that is no topic config, or -1. */
int tc_first_unknown(const kstr *names, int n);
/* True when tidemark acts on config d (it has a topic_config field). */
bool tc_acted_on(const tc_def *d);
/* Trims spaces around (p, *len); returns the new start and sets *len. */
const char *tc_trim(const char *p, size_t *len);
/*
 * Validates value (p, n) of config d and writes its canonical form to out
 * (what Kafka's DescribeConfigs would show). Returns false, out undefined,
 * for a value Kafka would refuse or one longer than TOPICS_VALUE_MAX.
 */
bool tc_canon(const tc_def *d, const char *p, size_t n, char out[TC_VALUE_CAP]);
/* The broker-wide defaults (broker_config) as a topic_config. */
void tc_defaults(const broker_config *cfg, topic_config *c);
/* The effective config: the defaults with the overrides of ovr applied. */
void tc_effective(const broker_config *cfg, const tc_overrides *ovr, topic_config *c);
/* Writes the value config d has without an override: the broker
 * property's value when tidemark has that property, else Kafka's default. */
void tc_default_value(const tc_def *d, const broker_config *cfg, char out[TC_VALUE_CAP]);
/*
 * Validates n name/value overrides into *ovr. Returns KERR_NONE or
 * KERR_INVALID_CONFIG with *why (static; for an unknown name the caller
 * may name it, see tc_first_unknown()).
 */
enum kerr tc_parse_overrides(const kstr *names, const kstr *values, int n, tc_overrides *ovr,
			     const char **why);
/* Adds Kafka's forced configs of internal topics (compact, and
 * offsets.topic.segment.bytes) unless the creator set them. */
void tc_internal_overrides(const broker_config *cfg, tc_overrides *ovr);

#endif
