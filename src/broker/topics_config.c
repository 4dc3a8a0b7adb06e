/*
 * topics_config.c: the topic-level configuration table and its validation,
 * canonical forms and defaults (see topics_config.h). Pure functions: no
 * files, no topics registry.
 */
#include "broker/topics_config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TC_OFF(f) offsetof(topic_config, f)

_Static_assert(TC_NCONFIGS <= 64, "tc_overrides.mask has 64 bits");
_Static_assert(sizeof(((topic_config_info *)0)->value) >= TC_VALUE_CAP,
	       "topic_config_info.value holds a canonical value");

#define LMAX INT64_MAX
#define IMAX INT32_MAX
#define LMAX_S "9223372036854775807"
#define NOTE " (stored and reported; tidemark does not act on it)"

/* Ranges, defaults and synonyms follow Kafka's LogConfig and
 * ServerTopicConfigSynonyms (segment.bytes >= 14 as in 3.x). Sorted by name. */
const tc_def tc_defs[TC_NCONFIGS] = {
	{ "cleanup.policy", TC_POLICY, 0, 0, 0, "log.cleanup.policy", "delete", CT_LIST,
	  "cleanup.policy must be a list of delete and compact",
	  "delete old segments (delete) and/or keep the last record of each key (compact)" },
	{ "compression.gzip.level", TC_GZIP, TC_STORED, -1, 9, "compression.gzip.level", "-1",
	  CT_INT, "compression.gzip.level must be -1 or an integer in [1, 9]",
	  "gzip level when the broker recompresses" NOTE },
	{ "compression.lz4.level", TC_INT, TC_STORED, 1, 17, "compression.lz4.level", "9", CT_INT,
	  "compression.lz4.level must be an integer in [1, 17]",
	  "lz4 level when the broker recompresses" NOTE },
	{ "compression.type", TC_CODEC, TC_STORED, 0, 0, "compression.type", "producer",
	  CT_STRING,
	  "compression.type must be one of uncompressed, zstd, lz4, snappy, gzip, producer",
	  "final codec of the topic's batches; tidemark stores batches as produced" NOTE },
	{ "compression.zstd.level", TC_INT, TC_STORED, -131072, 22, "compression.zstd.level",
	  "3", CT_INT, "compression.zstd.level must be an integer in [-131072, 22]",
	  "zstd level when the broker recompresses" NOTE },
	{ "delete.retention.ms", TC_LONG, TC_OFF(delete_retention_ms), 0, LMAX,
	  "log.cleaner.delete.retention.ms", "86400000", CT_LONG,
	  "delete.retention.ms must be an integer >= 0",
	  "how long tombstones are kept in a compacted topic" },
	{ "file.delete.delay.ms", TC_LONG, TC_STORED, 0, LMAX, "log.segment.delete.delay.ms",
	  "60000", CT_LONG, "file.delete.delay.ms must be an integer >= 0",
	  "wait before a deleted segment's files are removed" NOTE },
	{ "flush.messages", TC_LONG, TC_STORED, 1, LMAX, "log.flush.interval.messages", LMAX_S,
	  CT_LONG, "flush.messages must be an integer >= 1",
	  "fsync after this many records; tidemark syncs before acks=all answers" NOTE },
	{ "flush.ms", TC_LONG, TC_STORED, 0, LMAX, "log.flush.interval.ms", LMAX_S, CT_LONG,
	  "flush.ms must be an integer >= 0",
	  "fsync after this long; tidemark syncs before acks=all answers" NOTE },
	{ "follower.replication.throttled.replicas", TC_REPLICAS, TC_STORED, 0, 0, NULL, "",
	  CT_LIST,
	  "follower.replication.throttled.replicas must be '*' or a list of "
	  "partition:broker (at most 47 characters here)",
	  "replicas throttled on the follower side" NOTE },
	{ "index.interval.bytes", TC_INT, TC_OFF(index_interval_bytes), 0, IMAX,
	  "log.index.interval.bytes", "4096", CT_INT,
	  "index.interval.bytes must be an integer in [0, 2147483647]",
	  "bytes of log between two offset index entries" },
	{ "leader.replication.throttled.replicas", TC_REPLICAS, TC_STORED, 0, 0, NULL, "",
	  CT_LIST,
	  "leader.replication.throttled.replicas must be '*' or a list of "
	  "partition:broker (at most 47 characters here)",
	  "replicas throttled on the leader side" NOTE },
	{ "local.retention.bytes", TC_LONG, TC_STORED, -2, LMAX, "log.local.retention.bytes",
	  "-2", CT_LONG, "local.retention.bytes must be an integer >= -2",
	  "local size limit with tiered storage (-2: retention.bytes)" NOTE },
	{ "local.retention.ms", TC_LONG, TC_STORED, -2, LMAX, "log.local.retention.ms", "-2",
	  CT_LONG, "local.retention.ms must be an integer >= -2",
	  "local age limit with tiered storage (-2: retention.ms)" NOTE },
	{ "max.compaction.lag.ms", TC_LONG, TC_STORED, 1, LMAX,
	  "log.cleaner.max.compaction.lag.ms", LMAX_S, CT_LONG,
	  "max.compaction.lag.ms must be an integer >= 1",
	  "longest a record may stay uncompacted" NOTE },
	{ "max.message.bytes", TC_INT, TC_OFF(max_message_bytes), 0, IMAX, "message.max.bytes",
	  "1048588", CT_INT, "max.message.bytes must be an integer in [0, 2147483647]",
	  "largest record batch the topic accepts" },
	{ "message.downconversion.enable", TC_BOOL, TC_STORED, 0, 0,
	  "log.message.downconversion.enable", "true", CT_BOOLEAN,
	  "message.downconversion.enable must be true or false",
	  "down-convert batches for old consumers (Kafka 3.x)" NOTE },
	{ "message.format.version", TC_VERSION, TC_STORED, 0, 0, "log.message.format.version",
	  "3.0-IV1", CT_STRING, "message.format.version must be a Kafka version such as 3.0-IV1",
	  "message format of the log (Kafka 3.x; ignored since 3.0)" NOTE },
	{ "message.timestamp.after.max.ms", TC_LONG, TC_STORED, 0, LMAX,
	  "log.message.timestamp.after.max.ms", LMAX_S, CT_LONG,
	  "message.timestamp.after.max.ms must be an integer >= 0",
	  "how far in the future a CreateTime timestamp may be" NOTE },
	{ "message.timestamp.before.max.ms", TC_LONG, TC_STORED, 0, LMAX,
	  "log.message.timestamp.before.max.ms", LMAX_S, CT_LONG,
	  "message.timestamp.before.max.ms must be an integer >= 0",
	  "how far in the past a CreateTime timestamp may be" NOTE },
	{ "message.timestamp.difference.max.ms", TC_LONG, TC_STORED, 0, LMAX,
	  "log.message.timestamp.difference.max.ms", LMAX_S, CT_LONG,
	  "message.timestamp.difference.max.ms must be an integer >= 0",
	  "largest difference between a CreateTime timestamp and the broker's clock" NOTE },
	{ "message.timestamp.type", TC_TSTYPE, 0, 0, 0, "log.message.timestamp.type", "CreateTime",
	  CT_STRING, "message.timestamp.type must be CreateTime or LogAppendTime",
	  "whether record timestamps come from the producer or the broker" },
	{ "min.cleanable.dirty.ratio", TC_RATIO, TC_STORED, 0, 0, "log.cleaner.min.cleanable.ratio",
	  "0.5", CT_DOUBLE, "min.cleanable.dirty.ratio must be a number in [0, 1]",
	  "dirty share of a log that makes it cleanable; the cleaner uses the broker's "
	  "log.cleaner.min.cleanable.ratio" NOTE },
	{ "min.compaction.lag.ms", TC_LONG, TC_OFF(min_compaction_lag_ms), 0, LMAX,
	  "log.cleaner.min.compaction.lag.ms", "0", CT_LONG,
	  "min.compaction.lag.ms must be an integer >= 0",
	  "minimum age of a record before compaction may remove it" },
	{ "min.insync.replicas", TC_INT, TC_STORED, 1, IMAX, "min.insync.replicas", "1", CT_INT,
	  "min.insync.replicas must be an integer >= 1",
	  "replicas that must have an acks=all write; tidemark has one" NOTE },
	{ "preallocate", TC_BOOL, TC_STORED, 0, 0, "log.preallocate", "false", CT_BOOLEAN,
	  "preallocate must be true or false", "preallocate new segment files" NOTE },
	{ "remote.log.copy.disable", TC_BOOL, TC_STORED, 0, 0, NULL, "false", CT_BOOLEAN,
	  "remote.log.copy.disable must be true or false",
	  "stop copying segments to tiered storage" NOTE },
	{ "remote.log.delete.on.disable", TC_BOOL, TC_STORED, 0, 0, NULL, "false", CT_BOOLEAN,
	  "remote.log.delete.on.disable must be true or false",
	  "delete tiered data when tiered storage is turned off" NOTE },
	{ "remote.storage.enable", TC_NO_TIER, TC_STORED, 0, 0, NULL, "false", CT_BOOLEAN,
	  "Tiered Storage functionality is disabled in the broker. Topic cannot be "
	  "configured with remote log storage.",
	  "tiered storage of old segments; tidemark has none, so only false is accepted" },
	{ "retention.bytes", TC_LONG, TC_OFF(retention_bytes), -1, LMAX, "log.retention.bytes",
	  "-1", CT_LONG, "retention.bytes must be an integer >= -1",
	  "largest partition size before old segments are deleted (-1: no limit)" },
	{ "retention.ms", TC_LONG, TC_OFF(retention_ms), -1, LMAX, "log.retention.ms",
	  "604800000", CT_LONG, "retention.ms must be an integer >= -1",
	  "age after which a segment is deleted (-1: keep forever)" },
	{ "segment.bytes", TC_LONG, TC_OFF(segment_bytes), 14, IMAX, "log.segment.bytes",
	  "1073741824", CT_INT, "segment.bytes must be an integer in [14, 2147483647]",
	  "size at which a new segment is rolled" },
	{ "segment.index.bytes", TC_INT, TC_STORED, 4, IMAX, "log.index.size.max.bytes",
	  "10485760", CT_INT, "segment.index.bytes must be an integer in [4, 2147483647]",
	  "largest offset index of a segment; tidemark's indexes grow as needed" NOTE },
	{ "segment.jitter.ms", TC_LONG, TC_STORED, 0, LMAX, "log.roll.jitter.ms", "0", CT_LONG,
	  "segment.jitter.ms must be an integer >= 0",
	  "random time taken off segment.ms to spread segment rolls" NOTE },
	{ "segment.ms", TC_LONG, TC_OFF(segment_ms), 1, LMAX, "log.roll.ms", "604800000",
	  CT_LONG, "segment.ms must be an integer >= 1",
	  "age of the active segment after which a new one is rolled" },
	{ "unclean.leader.election.enable", TC_BOOL, TC_STORED, 0, 0,
	  "unclean.leader.election.enable", "false", CT_BOOLEAN,
	  "unclean.leader.election.enable must be true or false",
	  "let an out-of-sync replica become leader; tidemark has one replica" NOTE },
};

int tc_find(kstr name)
{
	for (int i = 0; i < TC_NCONFIGS; i++)
		if (kstr_eq_c(name, tc_defs[i].name))
			return i;
	return -1;
}

int tc_first_unknown(const kstr *names, int n)
{
	for (int i = 0; i < n; i++)
		if (tc_find(names[i]) < 0)
			return i;
	return -1;
}

bool tc_acted_on(const tc_def *d)
{
	return d->kind == TC_TSTYPE || d->kind == TC_POLICY ||
	       ((d->kind == TC_LONG || d->kind == TC_INT) && d->off != TC_STORED);
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

/* ------------------------------------------------------------------ */
/* Value syntaxes                                                        */

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

/* Next item of the comma list (p, n) from *pos, trimmed; false past the end.
 * Like Kafka's LIST type, "a," has two items, the second empty. */
static bool list_item(const char *p, size_t n, size_t *pos, const char **item, size_t *len)
{
	size_t i = *pos, j = i;

	if (i > n)
		return false;
	while (j < n && p[j] != ',')
		j++;
	*len = j - i;
	*item = tc_trim(p + i, len);
	*pos = j + 1;
	return true;
}

static bool item_is(const char *item, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(item, word, len) == 0;
}

/* Appends item to the comma list in out (cap TC_VALUE_CAP), after a comma
 * unless first. False when it does not fit. */
static bool list_append(char *out, bool first, const char *item, size_t len)
{
	size_t used = strlen(out), sep = first ? 0 : 1;

	if (used + sep + len >= TC_VALUE_CAP)
		return false;
	if (sep)
		out[used++] = ',';
	memcpy(out + used, item, len);
	out[used + len] = '\0';
	return true;
}

/* cleanup.policy: a comma list of "compact" and "delete" (at least one),
 * written back in the order given without repeats (Kafka keeps the order:
 * APPEND compact to delete gives delete,compact). */
static bool canon_policy(const char *p, size_t n, char *out)
{
	size_t pos = 0, len;
	const char *item;
	bool c = false, d = false;

	out[0] = '\0';
	while (list_item(p, n, &pos, &item, &len)) {
		bool is_c = item_is(item, len, "compact"), is_d = item_is(item, len, "delete");
		if (!is_c && !is_d)
			return false;
		if ((is_c && c) || (is_d && d))
			continue;
		list_append(out, !c && !d, item, len); /* fits: at most 14 bytes */
		c |= is_c;
		d |= is_d;
	}
	return true;
}

/* Sets the cleanup.policy fields of c from a list canon_policy() accepted. */
static void apply_policy(const char *canon, topic_config *c)
{
	size_t n = strlen(canon), pos = 0, len;
	const char *item;

	c->compact = c->delete_ = false;
	while (list_item(canon, n, &pos, &item, &len)) {
		c->compact |= item_is(item, len, "compact");
		c->delete_ |= item_is(item, len, "delete");
	}
}

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0;
}

/* ThrottledReplicaListValidator: every item "partition:broker" (or empty),
 * or the items together spell "*". */
static bool canon_replicas(const char *p, size_t n, char *out)
{
	size_t pos = 0, len, stars = 0, chars = 0, count = 0;
	const char *item;
	bool pairs = true;

	out[0] = '\0';
	p = tc_trim(p, &n);
	if (n == 0)
		return true;
	while (list_item(p, n, &pos, &item, &len)) {
		const char *colon = memchr(item, ':', len);
		if (len > 0 && (!colon || !all_digits(item, (size_t)(colon - item)) ||
				!all_digits(colon + 1, len - (size_t)(colon - item) - 1)))
			pairs = false;
		stars += len == 1 && item[0] == '*';
		chars += len;
		if (!list_append(out, count++ == 0, item, len))
			return false;
	}
	return pairs || (stars == 1 && chars == 1);
}

/* message.format.version: digits.digits, up to two more .digits, and an
 * optional -IV<digits> (MetadataVersion strings such as 0.10.2, 2.8, 3.0-IV1). */
static bool valid_version(const char *p, size_t n)
{
	size_t i = 0, parts = 0;
	const char *iv = NULL;

	for (size_t k = 0; k + 3 <= n; k++)
		if (memcmp(p + k, "-IV", 3) == 0) {
			iv = p + k;
			break;
		}
	if (iv) {
		if (!all_digits(iv + 3, n - (size_t)(iv - p) - 3))
			return false;
		n = (size_t)(iv - p);
	}
	while (i <= n) {
		size_t j = i;
		while (j < n && p[j] != '.')
			j++;
		if (!all_digits(p + i, j - i))
			return false;
		parts++;
		i = j + 1;
	}
	return parts >= 2 && parts <= 4;
}

/* Java's Double.toString of x in [0, 1]: the shortest digits that read
 * back as x, "0.xxx" down to 1e-3, "d.dddE-n" below. */
static void java_double(double x, char *out, size_t cap)
{
	char e[40], digits[24];
	int p, exp, nd = 0;

	if (x == 0) {
		snprintf(out, cap, "0.0");
		return;
	}
	for (p = 0; p < 17; p++) {
		snprintf(e, sizeof e, "%.*e", p, x);
		if (strtod(e, NULL) == x)
			break;
	}
	for (const char *s = e; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			digits[nd++] = *s;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	exp = atoi(strchr(e, 'e') + 1);
	if (exp >= 0) /* x == 1 */
		snprintf(out, cap, "%.*s.%s", 1, digits, nd > 1 ? digits + 1 : "0");
	else if (exp >= -3)
		snprintf(out, cap, "0.%.*s%s", -exp - 1, "000", digits);
	else
		snprintf(out, cap, "%c.%sE%d", digits[0], nd > 1 ? digits + 1 : "0", exp);
}

/* Java Double.parseDouble of a decimal (optional f/F/d/D suffix), in [0, 1]. */
static bool canon_ratio(const char *p, size_t n, char *out)
{
	char tmp[TC_VALUE_CAP], *end;
	double x;

	p = tc_trim(p, &n);
	if (n > 0 && (p[n - 1] == 'f' || p[n - 1] == 'F' || p[n - 1] == 'd' || p[n - 1] == 'D'))
		n--;
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (strspn(tmp, "0123456789.eE+-") < n) /* no hex, inf, nan */
		return false;
	x = strtod(tmp, &end);
	if (end != tmp + n || signbit(x) || !(x <= 1))
		return false;
	java_double(x, out, TC_VALUE_CAP);
	return true;
}

static bool canon_bool(const char *p, size_t n, bool allow_true, char *out)
{
	p = tc_trim(p, &n);
	if (n == 4 && strncasecmp(p, "true", 4) == 0 && allow_true)
		snprintf(out, TC_VALUE_CAP, "true");
	else if (n == 5 && strncasecmp(p, "false", 5) == 0)
		snprintf(out, TC_VALUE_CAP, "false");
	else
		return false;
	return true;
}

/* A trimmed value that must be one of the '|'-separated words of set. */
static bool canon_word(const char *p, size_t n, const char *set, char *out)
{
	p = tc_trim(p, &n);
	for (const char *w = set; *w;) {
		size_t wl = strcspn(w, "|");
		if (wl == n && n > 0 && memcmp(w, p, n) == 0) {
			memcpy(out, p, n);
			out[n] = '\0';
			return true;
		}
		w += wl + (w[wl] == '|');
	}
	return false;
}

bool tc_canon(const tc_def *d, const char *p, size_t n, char out[TC_VALUE_CAP])
{
	int64_t v;

	if (n > TOPICS_VALUE_MAX)
		return false;
	switch (d->kind) {
	case TC_LONG:
	case TC_INT:
	case TC_GZIP:
		if (!parse_i64(p, n, &v) || v < d->min || v > d->max ||
		    (d->kind == TC_GZIP && v == 0))
			return false;
		snprintf(out, TC_VALUE_CAP, "%lld", (long long)v);
		return true;
	case TC_TSTYPE:
		return canon_word(p, n, "CreateTime|LogAppendTime", out);
	case TC_POLICY:
		return canon_policy(p, n, out);
	case TC_BOOL:
	case TC_NO_TIER:
		return canon_bool(p, n, d->kind == TC_BOOL, out);
	case TC_RATIO:
		return canon_ratio(p, n, out);
	case TC_CODEC:
		return canon_word(p, n, "uncompressed|zstd|lz4|snappy|gzip|producer", out);
	case TC_REPLICAS:
		return canon_replicas(p, n, out);
	case TC_VERSION:
		p = tc_trim(p, &n);
		if (!valid_version(p, n))
			return false;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Typed values, defaults                                               */

/* Sets the topic_config field(s) of an acted-on config d from its
 * canonical value (which tc_canon() accepted). */
static void tc_apply(const tc_def *d, const char *canon, topic_config *c)
{
	int64_t v = 0;

	if (!tc_acted_on(d))
		return;
	switch (d->kind) {
	case TC_LONG:
	case TC_INT:
		parse_i64(canon, strlen(canon), &v);
		if (d->kind == TC_LONG)
			memcpy((char *)c + d->off, &v, sizeof(int64_t));
		else
			memcpy((char *)c + d->off, &(int32_t){ (int32_t)v }, sizeof(int32_t));
		break;
	case TC_TSTYPE:
		c->log_append_time = strcmp(canon, "LogAppendTime") == 0;
		break;
	case TC_POLICY:
		apply_policy(canon, c);
		break;
	default:
		break;
	}
}

void tc_defaults(const broker_config *cfg, topic_config *c)
{
	const char *ts = cfg->log_message_timestamp_type;
	const char *pol = cfg->log_cleanup_policy;
	char canon[TC_VALUE_CAP];

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
	if (pol && canon_policy(pol, strlen(pol), canon))
		apply_policy(canon, c);
}

void tc_effective(const broker_config *cfg, const tc_overrides *ovr, topic_config *c)
{
	tc_defaults(cfg, c);
	for (int i = 0; i < TC_NCONFIGS; i++)
		if (ovr->mask & (UINT64_C(1) << i))
			tc_apply(&tc_defs[i], ovr->v[i], c);
}

/* The canonical string of acted-on config d's field in c. */
static void format_field(const tc_def *d, const topic_config *c, char *out)
{
	int64_t v;
	int32_t v32;

	switch (d->kind) {
	case TC_LONG:
		memcpy(&v, (const char *)c + d->off, sizeof v);
		snprintf(out, TC_VALUE_CAP, "%lld", (long long)v);
		break;
	case TC_INT:
		memcpy(&v32, (const char *)c + d->off, sizeof v32);
		snprintf(out, TC_VALUE_CAP, "%ld", (long)v32);
		break;
	case TC_TSTYPE:
		snprintf(out, TC_VALUE_CAP, "%s", c->log_append_time ? "LogAppendTime" : "CreateTime");
		break;
	default:
		snprintf(out, TC_VALUE_CAP, "%s", c->compact && c->delete_ ? "compact,delete"
						  : c->compact		     ? "compact"
									     : "delete");
		break;
	}
}

void tc_default_value(const tc_def *d, const broker_config *cfg, char out[TC_VALUE_CAP])
{
	const char *s = NULL;
	topic_config c;

	if (d->kind == TC_POLICY)
		s = cfg->log_cleanup_policy;
	else if (d->kind == TC_RATIO)
		s = cfg->log_cleaner_min_cleanable_ratio;
	if (s && tc_canon(d, s, strlen(s), out))
		return;
	if (strcmp(d->name, "flush.ms") == 0) {
		snprintf(out, TC_VALUE_CAP, "%lld", (long long)cfg->log_flush_interval_ms);
	} else if (tc_acted_on(d)) {
		tc_defaults(cfg, &c);
		format_field(d, &c, out);
	} else {
		snprintf(out, TC_VALUE_CAP, "%s", d->kafka_default);
	}
}

/* ------------------------------------------------------------------ */
/* Override sets                                                         */

static int64_t long_value(const tc_overrides *ovr, const char *name, int64_t dflt)
{
	int k = tc_find(kstr_c(name));
	int64_t v = dflt;

	if (k >= 0 && (ovr->mask & (UINT64_C(1) << k)))
		parse_i64(ovr->v[k], strlen(ovr->v[k]), &v);
	return v;
}

enum kerr tc_parse_overrides(const kstr *names, const kstr *values, int n, tc_overrides *ovr,
			     const char **why)
{
	memset(ovr, 0, sizeof *ovr);
	for (int i = 0; i < n; i++) {
		int k = tc_find(names[i]);
		if (k < 0) {
			*why = "Unknown topic config name";
			return KERR_INVALID_CONFIG;
		}
		if (ovr->mask & (UINT64_C(1) << k)) {
			*why = "duplicate topic config name";
			return KERR_INVALID_CONFIG;
		}
		if (kstr_is_null(values[i])) {
			*why = "null value not supported for topic configs";
			return KERR_INVALID_CONFIG;
		}
		if (!tc_canon(&tc_defs[k], values[i].p, (size_t)values[i].len, ovr->v[k])) {
			*why = tc_defs[k].bad;
			return KERR_INVALID_CONFIG;
		}
		ovr->mask |= UINT64_C(1) << k;
	}
	/* LogConfig.validateValues; neither has a broker property here, so
	 * the defaults are Kafka's (0 and Long.MAX_VALUE) */
	if (long_value(ovr, "min.compaction.lag.ms", 0) >
	    long_value(ovr, "max.compaction.lag.ms", INT64_MAX)) {
		*why = "conflict topic config setting min.compaction.lag.ms > max.compaction.lag.ms";
		return KERR_INVALID_CONFIG;
	}
	return KERR_NONE;
}

/* Internal topics get Kafka's forced configs (GroupCoordinator.offsetsTopicConfigs)
 * unless the creator set them: compact, and offsets.topic.segment.bytes.
 * NEEDSWORK: __transaction_state should use transaction.state.log.segment.bytes
 * (Kafka default 104857600, the same as ours) once config.h has it. */
void tc_internal_overrides(const broker_config *cfg, tc_overrides *ovr)
{
	for (int i = 0; i < TC_NCONFIGS; i++) {
		const tc_def *d = &tc_defs[i];
		uint64_t bit = UINT64_C(1) << i;

		if (ovr->mask & bit)
			continue;
		if (d->kind == TC_POLICY) {
			snprintf(ovr->v[i], TC_VALUE_CAP, "compact");
			ovr->mask |= bit;
		} else if (strcmp(d->name, "segment.bytes") == 0) {
			int64_t sb = cfg->offsets_topic_segment_bytes;
			sb = sb < 14 ? 14 : sb > INT32_MAX ? INT32_MAX : sb;
			snprintf(ovr->v[i], TC_VALUE_CAP, "%lld", (long long)sb);
			ovr->mask |= bit;
		}
	}
}
