/*
 * config.c: the property table and its parsers. See config.h.
 *
 * One table row per property name: its type, where it lives in
 * broker_config, its default, range and doc. Several names may share a field
 * (log.retention.hours/minutes/ms, broker.id/node.id): the alias rows carry
 * a unit multiplier and no default. Between aliases the last one set wins
 * (Kafka instead prefers the finest unit whatever the order; with
 * --override on top of a file, "last wins" is the less surprising rule).
 *
 * String fields are heap copies owned by the broker_config and freed by
 * config_release(); config_set() replaces them.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/logger.h"
#include "core/xalloc.h"

enum cfg_type { CT_STR, CT_INT, CT_LONG, CT_BOOL };

typedef int cfg_check_fn(const char *v, char *why, size_t whylen);

struct cfg_prop {
	const char *name;
	enum cfg_type type;
	size_t off;          /* offset in broker_config */
	const char *def;     /* NULL: alias (no own default) or null string */
	int64_t min, max;    /* numbers */
	int64_t mult;        /* unit multiplier for aliases (hours -> ms), else 1 */
	const char *alias_of;
	cfg_check_fn *check; /* extra validation for strings */
	const char *doc;
};

#define OFF(f) offsetof(broker_config, f)
#define I32MAX INT32_MAX
#define I64MAX INT64_MAX
#define HOUR_MS 3600000
#define MIN_MS 60000

/* Same representation for int and int32_t fields. */
_Static_assert(sizeof(int) == sizeof(int32_t), "int must be 32 bits");

static int check_ts_type(const char *v, char *why, size_t whylen);
static int check_cleanup(const char *v, char *why, size_t whylen);
static int check_ratio(const char *v, char *why, size_t whylen);

#define STR(n, f, d, doc) { n, CT_STR, OFF(f), d, 0, 0, 1, NULL, NULL, doc }
#define STRC(n, f, d, c, doc) { n, CT_STR, OFF(f), d, 0, 0, 1, NULL, c, doc }
#define INT(n, f, d, lo, hi, doc) { n, CT_INT, OFF(f), d, lo, hi, 1, NULL, NULL, doc }
#define LONG(n, f, d, lo, hi, doc) { n, CT_LONG, OFF(f), d, lo, hi, 1, NULL, NULL, doc }
#define BOOL(n, f, d, doc) { n, CT_BOOL, OFF(f), d, 0, 1, 1, NULL, NULL, doc }
#define ALIAS(n, t, f, lo, hi, m, of) { n, t, OFF(f), NULL, lo, hi, m, of, NULL, NULL }

static const struct cfg_prop props[] = {
	/* network */
	STR("listeners", listeners, "PLAINTEXT://0.0.0.0:9092",
	    "Where to listen: PLAINTEXT://host:port (or host:port). Other "
	    "listeners in the list (e.g. CONTROLLER://) are ignored."),
	STR("advertised.listeners", advertised_listeners, NULL,
	    "Address given to clients in Metadata; default: the listener, with "
	    "0.0.0.0 and :: replaced by localhost."),
	INT("socket.request.max.bytes", socket_request_max_bytes, "104857600", 64, I32MAX,
	    "Largest request accepted; a bigger size prefix closes the connection."),
	LONG("connections.max.idle.ms", connections_max_idle_ms, "600000", -1, I64MAX,
	     "Close connections idle this long (-1 or 0: never)."),
	INT("max.connections", max_connections, "10000", 1, I32MAX,
	    "Connections past this many are closed on accept."),
	INT("queued.max.requests", queued_max_requests, "500", 1, I32MAX,
	    "Requests in flight per connection before it stops reading."),
	INT("tidemark.fetch.response.max.bytes", fetch_response_max_bytes, "4194304", 1,
	    I32MAX, "Record bytes per Fetch response at most (below the client's "
	    "fetch.max.bytes; the first batch always goes out whole)."),
	INT("node.id", node_id, "0", 0, I32MAX, "This broker's id in Metadata."),
	ALIAS("broker.id", CT_INT, node_id, 0, I32MAX, 1, "node.id"),
	STR("cluster.id", cluster_id, NULL,
	    "Cluster id; default: generated once and kept in meta.properties."),

	/* log */
	STR("log.dirs", log_dirs, "./data", "The data directory (one directory)."),
	ALIAS("log.dir", CT_STR, log_dirs, 0, 0, 1, "log.dirs"),
	INT("num.partitions", num_partitions, "1", 1, I32MAX,
	    "Partitions of auto-created topics."),
	BOOL("auto.create.topics.enable", auto_create_topics_enable, "true",
	     "Create unknown topics on Metadata and Produce."),
	BOOL("delete.topic.enable", delete_topic_enable, "true", "Allow DeleteTopics."),
	LONG("log.segment.bytes", log_segment_bytes, "1073741824", 14, I32MAX,
	     "Roll a segment past this size."),
	LONG("log.roll.ms", log_roll_ms, "604800000", 1, I64MAX,
	     "Roll a segment this old (aliases: log.roll.hours)."),
	ALIAS("log.roll.hours", CT_LONG, log_roll_ms, 1, I64MAX, HOUR_MS, "log.roll.ms"),
	INT("log.index.interval.bytes", log_index_interval_bytes, "4096", 0, I32MAX,
	    "Bytes of log between offset index entries."),
	INT("message.max.bytes", message_max_bytes, "1048588", 0, I32MAX,
	    "Largest record batch accepted."),
	LONG("log.retention.ms", log_retention_ms, "604800000", -1, I64MAX,
	     "Delete segments older than this; -1: keep forever (aliases: "
	     "log.retention.minutes, log.retention.hours)."),
	ALIAS("log.retention.minutes", CT_LONG, log_retention_ms, -1, I64MAX, MIN_MS,
	      "log.retention.ms"),
	ALIAS("log.retention.hours", CT_LONG, log_retention_ms, -1, I64MAX, HOUR_MS,
	      "log.retention.ms"),
	LONG("log.retention.bytes", log_retention_bytes, "-1", -1, I64MAX,
	     "Delete old segments past this partition size; -1: no limit."),
	LONG("log.retention.check.interval.ms", log_retention_check_interval_ms, "300000", 1,
	     I64MAX, "How often retention runs."),
	STRC("log.message.timestamp.type", log_message_timestamp_type, "CreateTime",
	     check_ts_type, "CreateTime or LogAppendTime."),
	STRC("log.cleanup.policy", log_cleanup_policy, "delete", check_cleanup,
	     "delete, compact, or delete,compact."),
	LONG("log.flush.interval.ms", log_flush_interval_ms, "9223372036854775807", 0, I64MAX,
	     "Not used: acks=all always syncs before answering."),
	BOOL("tidemark.commit.fsync", log_flush_commit_sync, "true",
	     "fsync __consumer_offsets before answering OffsetCommit."),
	INT("tidemark.flush.threads", flush_threads, "4", 1, 64,
	    "fsyncs of one group-commit round that run at once (one per file)."),
	INT("tidemark.flush.syncfs.min.logs", flush_syncfs_min_logs, "2", 0, I32MAX,
	    "A round with this many dirty logs is synced by one syncfs() of the "
	    "data directory's filesystem (0: never; needs Linux 5.8+)."),
	BOOL("log.cleaner.enable", log_cleaner_enable, "true",
	     "Run the log cleaner (compaction of cleanup.policy=compact topics)."),
	LONG("log.cleaner.backoff.ms", log_cleaner_backoff_ms, "15000", 0, I64MAX,
	     "How long the cleaner sleeps when no log needs cleaning."),
	STRC("log.cleaner.min.cleanable.ratio", log_cleaner_min_cleanable_ratio, "0.5",
	     check_ratio, "Clean a log once this share of its closed segments' bytes is dirty."),
	LONG("log.cleaner.dedupe.buffer.size", log_cleaner_dedupe_buffer_size, "134217728",
	     1048576, I64MAX, "Memory for the cleaner's key map (24 bytes per key)."),

	/* groups and offsets */
	INT("offsets.topic.num.partitions", offsets_topic_num_partitions, "50", 1, I32MAX,
	    "Partitions of __consumer_offsets (fixed once created)."),
	LONG("offsets.retention.minutes", offsets_retention_minutes, "10080", 1, I64MAX,
	     "Expire committed offsets of empty groups after this long."),
	LONG("offsets.retention.check.interval.ms", offsets_retention_check_interval_ms,
	     "600000", 1, I64MAX, "How often offset expiry runs."),
	INT("offset.metadata.max.bytes", offset_metadata_max_bytes, "4096", 0, I32MAX,
	    "Largest commit metadata string."),
	LONG("offsets.topic.segment.bytes", offsets_topic_segment_bytes, "104857600", 1,
	     I32MAX, "Segment size of __consumer_offsets."),
	INT("group.min.session.timeout.ms", group_min_session_timeout_ms, "6000", 0, I32MAX,
	    "Smallest session timeout a member may ask for."),
	INT("group.max.session.timeout.ms", group_max_session_timeout_ms, "1800000", 0,
	    I32MAX, "Largest session timeout a member may ask for."),
	INT("group.initial.rebalance.delay.ms", group_initial_rebalance_delay_ms, "50", 0,
	    I32MAX, "Wait this long for more members when an empty group forms, "
	    "again each time another member arrives, up to the rebalance timeout. "
	    "Kafka's default is 3000; tidemark's 50 still answers a lone consumer "
	    "within about 60 ms, and lets consumers started together share the "
	    "first generation instead of rebalancing again at their next heartbeat."),
	INT("group.max.size", group_max_size, "2147483647", 1, I32MAX,
	    "Most members in one group."),

	/* transactions */
	INT("transaction.state.log.num.partitions", transaction_state_log_num_partitions,
	    "50", 1, I32MAX, "Partitions of __transaction_state."),
	LONG("transaction.max.timeout.ms", transaction_max_timeout_ms, "900000", 1, I32MAX,
	     "Largest transaction timeout a producer may ask for."),
	LONG("transactional.id.expiration.ms", transactional_id_expiration_ms, "604800000", 1,
	     I32MAX, "Forget transactional ids unused this long."),
};

#define NPROPS (sizeof(props) / sizeof(props[0]))

/* Kafka properties that make no sense for one node: accepted and ignored. */
static const char *const ignored[] = {
	"zookeeper.connect",
	"zookeeper.connection.timeout.ms",
	"num.network.threads",
	"num.io.threads",
	"default.replication.factor",
	"offsets.topic.replication.factor",
	"transaction.state.log.replication.factor",
	"transaction.state.log.min.isr",
	"min.insync.replicas",
	"num.recovery.threads.per.data.dir",
	"socket.send.buffer.bytes",
	"socket.receive.buffer.bytes",
	"group.coordinator.rebalance.protocols",
	"process.roles",
	"controller.quorum.voters",
	"controller.quorum.bootstrap.servers",
	"controller.listener.names",
	"inter.broker.listener.name",
	"listener.security.protocol.map",
	"log.flush.interval.messages",
};

static void err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int check_ts_type(const char *v, char *why, size_t whylen)
{
	if (strcmp(v, "CreateTime") == 0 || strcmp(v, "LogAppendTime") == 0)
		return 0;
	snprintf(why, whylen, "must be CreateTime or LogAppendTime");
	return -1;
}

/* log.cleaner.min.cleanable.ratio: a decimal number in [0, 1]. */
static int check_ratio(const char *v, char *why, size_t whylen)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end != '\0' || !(d >= 0.0 && d <= 1.0)) {
		snprintf(why, whylen, "must be a number between 0 and 1");
		return -1;
	}
	return 0;
}

static int check_cleanup(const char *v, char *why, size_t whylen)
{
	const char *p = v;

	/* A comma-separated list of delete and compact. */
	for (;;) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, ", ");
		if (!((n == 6 && strncmp(p, "delete", 6) == 0) ||
		      (n == 7 && strncmp(p, "compact", 7) == 0))) {
			snprintf(why, whylen, "must list delete and/or compact");
			return -1;
		}
		p += n;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		if (*p++ != ',') {
			snprintf(why, whylen, "must list delete and/or compact");
			return -1;
		}
	}
}

static const struct cfg_prop *prop_find(const char *name)
{
	for (size_t i = 0; i < NPROPS; i++)
		if (strcmp(props[i].name, name) == 0)
			return &props[i];
	return NULL;
}

static bool is_ignored(const char *name)
{
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (strcmp(ignored[i], name) == 0)
			return true;
	return false;
}

/* Parses a decimal integer with optional sign and surrounding blanks. */
static int parse_i64(const char *v, int64_t *out, char *why, size_t whylen)
{
	char *end;
	long long x;

	errno = 0;
	while (isspace((unsigned char)*v))
		v++;
	if (*v == '\0') {
		snprintf(why, whylen, "not a number");
		return -1;
	}
	x = strtoll(v, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (end == v || *end != '\0') {
		snprintf(why, whylen, "not a number");
		return -1;
	}
	if (errno == ERANGE) {
		snprintf(why, whylen, "out of range");
		return -1;
	}
	*out = x;
	return 0;
}

/* Applies the unit multiplier and the range; -1 stays -1 ("forever"). */
static int number_value(const struct cfg_prop *p, const char *v, int64_t *out, char *why,
			size_t whylen)
{
	int64_t x, lo = p->min, hi = p->max;

	if (parse_i64(v, &x, why, whylen) < 0)
		return -1;
	if (p->mult > 1 && x != -1) {
		if (x > hi / p->mult || x < lo) {
			snprintf(why, whylen, "must be between %" PRId64 " and %" PRId64, lo,
				 hi / p->mult);
			return -1;
		}
		x *= p->mult;
	}
	if (x < lo) {
		snprintf(why, whylen, "must be at least %" PRId64, lo);
		return -1;
	}
	if (x > hi) {
		snprintf(why, whylen, "must be at most %" PRId64, hi);
		return -1;
	}
	*out = x;
	return 0;
}

static int bool_value(const char *v, bool *out, char *why, size_t whylen)
{
	while (isspace((unsigned char)*v))
		v++;
	if (strncasecmp(v, "true", 4) == 0 && v[4 + strspn(v + 4, " \t")] == '\0') {
		*out = true;
		return 0;
	}
	if (strncasecmp(v, "false", 5) == 0 && v[5 + strspn(v + 5, " \t")] == '\0') {
		*out = false;
		return 0;
	}
	snprintf(why, whylen, "must be true or false");
	return -1;
}

/* Stores the value (already a string or NULL for strings). */
static int prop_apply(broker_config *cfg, const struct cfg_prop *p, const char *v, char *why,
		      size_t whylen)
{
	char *base = (char *)cfg + p->off;
	int64_t x;
	bool b;

	switch (p->type) {
	case CT_STR:
		if (v && p->check && p->check(v, why, whylen) < 0)
			return -1;
		free(*(char **)base);
		/* Optional strings (no default): empty means unset. */
		if (v && !*v && !p->def && !p->alias_of)
			v = NULL;
		*(char **)base = v ? xstrdup(v) : NULL;
		return 0;
	case CT_INT:
		if (number_value(p, v, &x, why, whylen) < 0)
			return -1;
		*(int32_t *)base = (int32_t)x;
		return 0;
	case CT_LONG:
		if (number_value(p, v, &x, why, whylen) < 0)
			return -1;
		*(int64_t *)base = x;
		return 0;
	case CT_BOOL:
		if (bool_value(v, &b, why, whylen) < 0)
			return -1;
		*(bool *)base = b;
		return 0;
	}
	return -1;
}

void config_defaults(broker_config *cfg)
{
	char why[128];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NPROPS; i++) {
		const struct cfg_prop *p = &props[i];

		if (p->alias_of || (!p->def && p->type == CT_STR))
			continue;
		/* The table's own defaults always parse (tested). */
		if (prop_apply(cfg, p, p->def, why, sizeof(why)) < 0)
			log_error("bad default for '%s': %s", p->name, why);
	}
}

int config_set(broker_config *cfg, const char *name, const char *value, char *err,
	       size_t errlen)
{
	const struct cfg_prop *p = prop_find(name);
	char why[128];

	if (!p) {
		if (is_ignored(name)) {
			log_info("ignoring property %s: not used by a single-node broker", name);
			return 0;
		}
		err_set(err, errlen, "unknown property '%s'", name);
		return -1;
	}
	if (!value)
		value = "";
	why[0] = '\0';
	if (prop_apply(cfg, p, value, why, sizeof(why)) < 0) {
		err_set(err, errlen, "bad value '%s' for '%s': %s", value, name, why);
		return -1;
	}
	return 0;
}

void config_release(broker_config *cfg)
{
	for (size_t i = 0; i < NPROPS; i++) {
		if (props[i].type == CT_STR && !props[i].alias_of) {
			char **s = (char **)((char *)cfg + props[i].off);

			free(*s);
			*s = NULL;
		}
	}
	free(cfg->listen_host);
	free(cfg->advertised_host);
	cfg->listen_host = NULL;
	cfg->advertised_host = NULL;
}

/* ---- server.properties ---- */

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool is_comment(const char *s)
{
	s += strspn(s, " \t\f");
	return *s == '#' || *s == '!';
}

/* True when the line ends in an odd number of backslashes (continuation). */
static bool continues(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[len - 1 - n] == '\\')
		n++;
	return n % 2 == 1;
}

/* Splits "key=value", "key: value" or "key value" (Java properties). */
static int parse_line(broker_config *cfg, char *line, char *err, size_t errlen)
{
	char *s = trim(line), *sep, *val;

	if (*s == '\0' || *s == '#' || *s == '!')
		return 0;
	sep = s + strcspn(s, "=: \t");
	if (*sep == '\0') {
		val = sep;
	} else {
		char *k_end = sep;

		sep += strspn(sep, " \t");
		if (*sep == '=' || *sep == ':')
			sep++;
		*k_end = '\0';
		val = sep;
	}
	return config_set(cfg, s, trim(val), err, errlen);
}

#define CONFIG_FILE_MAX (1 << 20)

/* Reads the whole file (capped) into a NUL-terminated heap string. */
static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *data;
	size_t n;

	if (!f) {
		err_set(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	data = xmalloc(CONFIG_FILE_MAX + 1);
	n = fread(data, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f) || n > CONFIG_FILE_MAX) {
		err_set(err, errlen, ferror(f) ? "cannot read '%s'" : "'%s' is too large", path);
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	return data;
}

int config_load_file(broker_config *cfg, const char *path, char *err, size_t errlen)
{
	char *data = slurp(path, err, errlen), *p, *logical;
	size_t llen = 0, lcap = 256;
	int lineno = 0, start = 1, rc = 0;
	char why[512];

	if (!data)
		return -1;
	logical = xmalloc(lcap);
	for (p = data; *p && rc == 0;) {
		size_t n = strcspn(p, "\n");
		bool more;

		lineno++;
		if (n && p[n - 1] == '\r')
			n--;
		more = continues(p, n) && p[n] != '\0';
		if (more)
			n--; /* drop the backslash */
		/* A continuation line loses its leading blanks. */
		if (llen > 0)
			while (n && (*p == ' ' || *p == '\t')) {
				p++;
				n--;
			}
		if (st_add(st_add(llen, n), 1) > lcap) {
			lcap = st_mult(st_add(st_add(llen, n), 1), 2);
			logical = xrealloc(logical, lcap);
		}
		memcpy(logical + llen, p, n);
		llen += n;
		logical[llen] = '\0';
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
		/* A comment line never continues. */
		if (more && !is_comment(logical))
			continue;
		if (parse_line(cfg, logical, why, sizeof(why)) < 0) {
			err_set(err, errlen, "%s:%d: %s", path, start, why);
			rc = -1;
		}
		llen = 0;
		start = lineno + 1;
	}
	if (rc == 0 && llen > 0 && parse_line(cfg, logical, why, sizeof(why)) < 0) {
		err_set(err, errlen, "%s:%d: %s", path, start, why);
		rc = -1;
	}
	free(logical);
	free(data);
	return rc;
}

/* ---- derived fields ---- */

/*
 * Parses one "NAME://host:port" or "host:port" entry of length n. host may
 * be empty (all interfaces), a name, an IPv4 address or [an IPv6 address].
 * Returns 0 with *proto_len (0 when absent), or -1 with why.
 */
static int parse_endpoint(const char *s, size_t n, size_t *proto_len, char **host, int *port,
			  char *why, size_t whylen)
{
	const char *sep = NULL, *h, *colon, *end = s + n;
	char num[16];
	int64_t x;

	for (const char *q = s; q + 2 < end; q++)
		if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
			sep = q;
			break;
		}
	*proto_len = sep ? (size_t)(sep - s) : 0;
	h = sep ? sep + 3 : s;
	if (h < end && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb || rb + 1 >= end || rb[1] != ':')
			goto bad;
		*host = xstrndup(h + 1, (size_t)(rb - h - 1));
		colon = rb + 1;
	} else {
		colon = NULL;
		for (const char *q = h; q < end; q++)
			if (*q == ':')
				colon = q;
		if (!colon || memchr(h, ':', (size_t)(colon - h)))
			goto bad;
		*host = xstrndup(h, (size_t)(colon - h));
	}
	if ((size_t)(end - colon - 1) >= sizeof(num) || end - colon - 1 == 0)
		goto bad_port;
	memcpy(num, colon + 1, (size_t)(end - colon - 1));
	num[end - colon - 1] = '\0';
	if (parse_i64(num, &x, why, whylen) < 0 || x < 0 || x > 65535)
		goto bad_port;
	*port = (int)x;
	return 0;

bad_port:
	free(*host);
	*host = NULL;
	snprintf(why, whylen, "bad port");
	return -1;
bad:
	snprintf(why, whylen, "expected PLAINTEXT://host:port");
	return -1;
}

/* Picks the PLAINTEXT (or protocol-less) entry of a comma-separated list. */
static int parse_listener(const char *list, const char *name, char **host, int *port,
			  char *err, size_t errlen)
{
	const char *p = list;
	char why[128];

	while (*p) {
		size_t n = strcspn(p, ","), plen;
		const char *e = p;

		while (n && isspace((unsigned char)*e)) {
			e++;
			n--;
		}
		while (n && isspace((unsigned char)e[n - 1]))
			n--;
		if (n) {
			if (parse_endpoint(e, n, &plen, host, port, why, sizeof(why)) < 0) {
				err_set(err, errlen, "bad value '%s' for '%s': %s", list, name,
					why);
				return -1;
			}
			if (plen == 0 || (plen == 9 && strncasecmp(e, "PLAINTEXT", 9) == 0))
				return 0;
			log_info("ignoring listener '%.*s': only PLAINTEXT is served", (int)n, e);
			free(*host);
			*host = NULL;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	err_set(err, errlen, "bad value '%s' for '%s': no PLAINTEXT listener", list, name);
	return -1;
}

int config_finish(broker_config *cfg, char *err, size_t errlen)
{
	char *host = NULL;
	int port = 0;

	free(cfg->listen_host);
	free(cfg->advertised_host);
	cfg->listen_host = cfg->advertised_host = NULL;
	if (!cfg->listeners || parse_listener(cfg->listeners, "listeners", &host, &port, err,
					      errlen) < 0)
		goto err;
	/* An empty host means every interface, as in Kafka. */
	if (!*host) {
		free(host);
		host = xstrdup("0.0.0.0");
	}
	cfg->listen_host = host;
	cfg->listen_port = port;
	if (cfg->advertised_listeners && *cfg->advertised_listeners) {
		if (parse_listener(cfg->advertised_listeners, "advertised.listeners", &host,
				   &port, err, errlen) < 0)
			goto err;
		cfg->advertised_host = host;
	} else {
		cfg->advertised_host = xstrdup(cfg->listen_host);
	}
	cfg->advertised_port = port;
	if (!*cfg->advertised_host || strcmp(cfg->advertised_host, "0.0.0.0") == 0 ||
	    strcmp(cfg->advertised_host, "::") == 0) {
		free(cfg->advertised_host);
		cfg->advertised_host = xstrdup("localhost");
	}
	if (cfg->group_min_session_timeout_ms > cfg->group_max_session_timeout_ms) {
		err_set(err, errlen, "group.min.session.timeout.ms is above "
			"group.max.session.timeout.ms");
		goto err;
	}
	if (!cfg->log_dirs || !*cfg->log_dirs || strchr(cfg->log_dirs, ',')) {
		err_set(err, errlen, "bad value '%s' for 'log.dirs': need one directory",
			cfg->log_dirs ? cfg->log_dirs : "");
		goto err;
	}
	return 0;

err:
	free(cfg->listen_host);
	free(cfg->advertised_host);
	cfg->listen_host = cfg->advertised_host = NULL;
	return -1;
}

/* ---- printing ---- */

static void print_value(const broker_config *cfg, const struct cfg_prop *p, FILE *f)
{
	const char *base = (const char *)cfg + p->off;

	switch (p->type) {
	case CT_STR:
		fprintf(f, "%s=%s\n", p->name, *(char *const *)base ? *(char *const *)base : "");
		break;
	case CT_INT:
		fprintf(f, "%s=%" PRId32 "\n", p->name, *(const int32_t *)base);
		break;
	case CT_LONG:
		fprintf(f, "%s=%" PRId64 "\n", p->name, *(const int64_t *)base);
		break;
	case CT_BOOL:
		fprintf(f, "%s=%s\n", p->name, *(const bool *)base ? "true" : "false");
		break;
	}
}

void config_print(const broker_config *cfg, FILE *f)
{
	for (size_t i = 0; i < NPROPS; i++) {
		const struct cfg_prop *p = &props[i];

		if (p->alias_of)
			continue;
		fprintf(f, "# %s\n", p->doc);
		for (size_t j = 0; j < NPROPS; j++)
			if (props[j].alias_of && strcmp(props[j].alias_of, p->name) == 0)
				fprintf(f, "#   alias: %s\n", props[j].name);
		print_value(cfg, p, f);
	}
	fprintf(f, "# accepted and ignored:");
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		fprintf(f, "%s %s", i ? "," : "", ignored[i]);
	fprintf(f, "\n");
}
