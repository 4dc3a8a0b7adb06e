/*
 * topics_config.c: the topic-level configuration table and its parsing,
 * formatting and defaults (see topics_config.h). Pure functions: no files,
 * no topics registry.
 */
#include "broker/topics_config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ranges follow Kafka's LogConfig (segment.bytes >= 14, an INT). Sorted by name. */
const tc_def tc_defs[TOPICS_NCONFIGS] = {
	{ "cleanup.policy", TC_POLICY, 0, 0, 0, "log.cleanup.policy", "delete", CT_LIST,
	  "cleanup.policy must be a list of delete and compact",
	  "delete old segments (delete) and/or keep the last record of each key (compact)" },
	{ "delete.retention.ms", TC_LONG, TC_OFF(delete_retention_ms), 0, INT64_MAX,
	  "log.cleaner.delete.retention.ms", "86400000", CT_LONG,
	  "delete.retention.ms must be an integer >= 0",
	  "how long tombstones are kept in a compacted topic" },
	{ "index.interval.bytes", TC_INT, TC_OFF(index_interval_bytes), 0, INT32_MAX,
	  "log.index.interval.bytes", "4096", CT_INT,
	  "index.interval.bytes must be an integer in [0, 2147483647]",
	  "bytes of log between two offset index entries" },
	{ "max.message.bytes", TC_INT, TC_OFF(max_message_bytes), 0, INT32_MAX,
	  "message.max.bytes", "1048588", CT_INT,
	  "max.message.bytes must be an integer in [0, 2147483647]",
	  "largest record batch the topic accepts" },
	{ "message.timestamp.type", TC_TSTYPE, 0, 0, 0, "log.message.timestamp.type", "CreateTime",
	  CT_STRING, "message.timestamp.type must be CreateTime or LogAppendTime",
	  "whether record timestamps come from the producer or the broker" },
	{ "min.compaction.lag.ms", TC_LONG, TC_OFF(min_compaction_lag_ms), 0, INT64_MAX,
	  "log.cleaner.min.compaction.lag.ms", "0", CT_LONG,
	  "min.compaction.lag.ms must be an integer >= 0",
	  "minimum age of a record before compaction may remove it" },
	{ "retention.bytes", TC_LONG, TC_OFF(retention_bytes), -1, INT64_MAX,
	  "log.retention.bytes", "-1", CT_LONG, "retention.bytes must be an integer >= -1",
	  "largest partition size before old segments are deleted (-1: no limit)" },
	{ "retention.ms", TC_LONG, TC_OFF(retention_ms), -1, INT64_MAX, "log.retention.ms",
	  "604800000", CT_LONG, "retention.ms must be an integer >= -1",
	  "age after which a segment is deleted (-1: keep forever)" },
	{ "segment.bytes", TC_LONG, TC_OFF(segment_bytes), 14, INT32_MAX, "log.segment.bytes",
	  "1073741824", CT_INT, "segment.bytes must be an integer in [14, 2147483647]",
	  "size at which a new segment is rolled" },
	{ "segment.ms", TC_LONG, TC_OFF(segment_ms), 1, INT64_MAX, "log.roll.ms", "604800000",
	  CT_LONG, "segment.ms must be an integer >= 1",
	  "age of the active segment after which a new one is rolled" },
};

int tc_find(kstr name)
{
	for (int i = 0; i < TOPICS_NCONFIGS; i++)
		if (kstr_eq_c(name, tc_defs[i].name))
			return i;
	return -1;
}

const char *tc_trim(const char *p, size_t *len)
{
	size_t n = *len;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	*len = n;
	return p;
}

/* Java Long.parseLong after trimming: optional sign, decimal digits. */
static bool parse_i64(const char *p, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, lim;

	p = tc_trim(p, &n);
	if (n > 0 && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
		n--;
	}
	if (n == 0 || n > 19)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0'); /* 19 digits cannot wrap uint64 */
	}
	if (v > lim)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* cleanup.policy: a comma list of "compact" and "delete" (at least one). */
static bool parse_policy(const char *p, size_t n, bool *compact, bool *del)
{
	bool c = false, d = false;
	size_t i = 0;

	while (i <= n) {
		size_t j = i, len;
		const char *item;
		while (j < n && p[j] != ',')
			j++;
		len = j - i;
		item = tc_trim(p + i, &len);
		if (len == 7 && memcmp(item, "compact", 7) == 0)
			c = true;
		else if (len == 6 && memcmp(item, "delete", 6) == 0)
			d = true;
		else
			return false;
		i = j + 1;
	}
	*compact = c;
	*del = d;
	return true;
}

/* Parses value (p, n) of config d into the matching field(s) of c. */
bool tc_parse(const tc_def *d, const char *p, size_t n, topic_config *c)
{
	int64_t v;

	if (n > TOPICS_VALUE_MAX)
		return false;
	switch (d->kind) {
	case TC_LONG:
	case TC_INT:
		if (!parse_i64(p, n, &v) || v < d->min || v > d->max)
			return false;
		if (d->kind == TC_LONG)
			memcpy((char *)c + d->off, &v, sizeof(int64_t));
		else
			memcpy((char *)c + d->off, &(int32_t){ (int32_t)v }, sizeof(int32_t));
		return true;
	case TC_TSTYPE:
		p = tc_trim(p, &n);
		if (n == 10 && memcmp(p, "CreateTime", 10) == 0)
			c->log_append_time = false;
		else if (n == 13 && memcmp(p, "LogAppendTime", 13) == 0)
			c->log_append_time = true;
		else
			return false;
		return true;
	case TC_POLICY:
		return parse_policy(p, n, &c->compact, &c->delete_);
	}
	return false;
}

/* Writes the canonical string of config d's value in c. */
void tc_format(const tc_def *d, const topic_config *c, char *out, size_t cap)
{
	int64_t v;
	int32_t v32;

	switch (d->kind) {
	case TC_LONG:
		memcpy(&v, (const char *)c + d->off, sizeof v);
		snprintf(out, cap, "%lld", (long long)v);
		break;
	case TC_INT:
		memcpy(&v32, (const char *)c + d->off, sizeof v32);
		snprintf(out, cap, "%ld", (long)v32);
		break;
	case TC_TSTYPE:
		snprintf(out, cap, "%s", c->log_append_time ? "LogAppendTime" : "CreateTime");
		break;
	case TC_POLICY:
		snprintf(out, cap, "%s", c->compact && c->delete_ ? "compact,delete"
					  : c->compact	     ? "compact"
							     : "delete");
		break;
	}
}

/* Copies config d's field(s) from src to dst. */
void tc_copy(const tc_def *d, topic_config *dst, const topic_config *src)
{
	switch (d->kind) {
	case TC_LONG:
		memcpy((char *)dst + d->off, (const char *)src + d->off, sizeof(int64_t));
		break;
	case TC_INT:
		memcpy((char *)dst + d->off, (const char *)src + d->off, sizeof(int32_t));
		break;
	case TC_TSTYPE:
		dst->log_append_time = src->log_append_time;
		break;
	case TC_POLICY:
		dst->compact = src->compact;
		dst->delete_ = src->delete_;
		break;
	}
}

/* The broker-wide defaults (broker_config) as a topic_config. */
void tc_defaults(const broker_config *cfg, topic_config *c)
{
	const char *ts = cfg->log_message_timestamp_type;
	const char *pol = cfg->log_cleanup_policy;

	memset(c, 0, sizeof *c);
	c->retention_ms = cfg->log_retention_ms;
	c->retention_bytes = cfg->log_retention_bytes;
	c->segment_bytes = cfg->log_segment_bytes;
	c->segment_ms = cfg->log_roll_ms;
	c->max_message_bytes = cfg->message_max_bytes;
	c->min_compaction_lag_ms = 0;
	c->delete_retention_ms = 86400000;
	c->index_interval_bytes = cfg->log_index_interval_bytes;
	c->log_append_time = ts && strcmp(ts, "LogAppendTime") == 0;
	c->delete_ = true;
	if (pol && !parse_policy(pol, strlen(pol), &c->compact, &c->delete_)) {
		c->compact = false;
		c->delete_ = true;
	}
}

/*
 * Validates n name/value overrides into *ovr and *mask. Returns KERR_NONE or
 * KERR_INVALID_CONFIG with *why (static).
 */
enum kerr tc_parse_overrides(const kstr *names, const kstr *values, int n,
				    topic_config *ovr, uint32_t *mask, const char **why)
{
	memset(ovr, 0, sizeof *ovr);
	*mask = 0;
	for (int i = 0; i < n; i++) {
		int k = tc_find(names[i]);
		if (k < 0) {
			*why = "unknown topic config name";
			return KERR_INVALID_CONFIG;
		}
		if (*mask & (1u << k)) {
			*why = "duplicate topic config name";
			return KERR_INVALID_CONFIG;
		}
		if (kstr_is_null(values[i])) {
			*why = "null value not supported for topic configs";
			return KERR_INVALID_CONFIG;
		}
		if (!tc_parse(&tc_defs[k], values[i].p, (size_t)values[i].len, ovr)) {
			*why = tc_defs[k].bad;
			return KERR_INVALID_CONFIG;
		}
		*mask |= 1u << k;
	}
	return KERR_NONE;
}

/* Internal topics get Kafka's forced configs (GroupCoordinator.offsetsTopicConfigs)
 * unless the creator set them: compact, and offsets.topic.segment.bytes.
 * NEEDSWORK: __transaction_state should use transaction.state.log.segment.bytes
 * (Kafka default 104857600, the same as ours) once config.h has it. */
void tc_internal_overrides(const broker_config *cfg, topic_config *ovr, uint32_t *mask)
{
	for (int i = 0; i < TOPICS_NCONFIGS; i++) {
		const tc_def *d = &tc_defs[i];
		if (*mask & (1u << i))
			continue;
		if (d->kind == TC_POLICY) {
			ovr->compact = true;
			ovr->delete_ = false;
			*mask |= 1u << i;
		} else if (strcmp(d->name, "segment.bytes") == 0) {
			int64_t sb = cfg->offsets_topic_segment_bytes;
			ovr->segment_bytes = sb < 14 ? 14 : sb > INT32_MAX ? INT32_MAX : sb;
			*mask |= 1u << i;
		}
	}
}
