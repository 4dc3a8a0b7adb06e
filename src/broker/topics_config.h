/*
 * topics_config.h: the topic-level configuration table (retention.ms,
 * segment.bytes, cleanup.policy, ...), private to topics*.c.
 *
 * tc_ is short for "topic config". Each entry gives a config's name, kind,
 * range, its broker-property synonym and Kafka default (for DescribeConfigs)
 * and the INVALID_CONFIG message. Values are parsed as Kafka's LogConfig
 * does (Java Long.parseLong after trimming).
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

/* DescribeConfigs ConfigType values. */
enum { CT_STRING = 2, CT_INT = 3, CT_LONG = 5, CT_LIST = 7 };

enum tc_kind { TC_LONG, TC_INT, TC_TSTYPE, TC_POLICY };

typedef struct tc_def {
	const char *name;
	enum tc_kind kind;
	size_t off;            /* TC_LONG: int64_t field, TC_INT: int32_t field */
	int64_t min, max;
	const char *synonym;   /* broker property */
	const char *kafka_default;
	int8_t type;
	const char *bad;       /* INVALID_CONFIG message */
	const char *doc;
} tc_def;

#define TC_OFF(f) offsetof(topic_config, f)

/* The table, sorted by name; TOPICS_NCONFIGS entries. */
extern const tc_def tc_defs[TOPICS_NCONFIGS];

/* Index of the config called name, or -1. */
int tc_find(kstr name);
/* Trims spaces around (p, *len); returns the new start and sets *len. */
const char *tc_trim(const char *p, size_t *len);
/* Parses value (p, n) of config d into the matching field(s) of c. */
bool tc_parse(const tc_def *d, const char *p, size_t n, topic_config *c);
/* Writes the canonical string of config d's value in c. */
void tc_format(const tc_def *d, const topic_config *c, char *out, size_t cap);
/* Copies config d's field(s) from src to dst. */
void tc_copy(const tc_def *d, topic_config *dst, const topic_config *src);
/* The broker-wide defaults (broker_config) as a topic_config. */
void tc_defaults(const broker_config *cfg, topic_config *c);
/* Validates n name/value overrides into *ovr and *mask (bit i: tc_defs[i]).
 * Returns KERR_NONE or KERR_INVALID_CONFIG with *why (static). */
enum kerr tc_parse_overrides(const kstr *names, const kstr *values, int n, topic_config *ovr,
			     uint32_t *mask, const char **why);
/* Adds Kafka's forced configs of internal topics (compact, and
 * offsets.topic.segment.bytes) unless the creator set them. */
void tc_internal_overrides(const broker_config *cfg, topic_config *ovr, uint32_t *mask);

#endif
