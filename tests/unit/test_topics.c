/*
 * test_topics.c: the topic registry (src/broker/topics.c): names, the
 * partition directory split, ids, config overrides, and create / delete /
 * grow / reopen against a temporary log.dirs.
 *
 * Build (explicit, see the preamble):
 *   gcc -std=c11 -D_GNU_SOURCE -Isrc -Itests/unit -fsanitize=address,undefined \
 *       tests/unit/test_topics.c src/broker/topics.c src/core/\*.c \
 *       src/proto/records.c src/storage/\*.c -lpthread
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/purgatory.h"
#include "broker/topics.h"
#include "broker/topics_config.h"
#include "broker/topics_int.h"
#include "testhelp.h"

/* The real purgatory needs a loop; the registry only tells it about logs
 * going away. Weak, so a full link (make test-unit) uses the real one. */
__attribute__((weak)) void purgatory_forget(purgatory *pg, plog *log)
{
	(void)pg;
	(void)log;
}

static char tmpl[] = "/tmp/tm_topics_XXXXXX";
static char *dir;
static broker_config cfg;

static void setup_cfg(void)
{
	memset(&cfg, 0, sizeof cfg);
	cfg.log_dirs = dir;
	cfg.node_id = 0;
	cfg.num_partitions = 2;
	cfg.auto_create_topics_enable = true;
	cfg.delete_topic_enable = true;
	cfg.log_segment_bytes = 1 << 20;
	cfg.log_roll_ms = 604800000;
	cfg.log_index_interval_bytes = 4096;
	cfg.message_max_bytes = 1048588;
	cfg.log_retention_ms = 604800000;
	cfg.log_retention_bytes = -1;
	cfg.log_message_timestamp_type = "CreateTime";
	cfg.log_cleanup_policy = "delete";
	cfg.offsets_topic_num_partitions = 3;
	cfg.offsets_topic_segment_bytes = 104857600;
	cfg.transaction_state_log_num_partitions = 2;
}

static bool exists(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	return stat(path, &st) == 0;
}

static int count_entries_ending(const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	size_t sl = strlen(suffix);

	while (d && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static const char *val(const topic *t, const char *name)
{
	static topic_config_info info;

	for (int i = 0; i < TC_NCONFIGS; i++) {
		topic_config_get_info(t, i, &info);
		if (strcmp(info.name, name) == 0)
			return info.value;
	}
	return "?";
}

static bool overridden(const topic *t, const char *name)
{
	topic_config_info info;

	for (int i = 0; i < TC_NCONFIGS; i++) {
		topic_config_get_info(t, i, &info);
		if (strcmp(info.name, name) == 0)
			return info.is_override;
	}
	return false;
}

static enum kerr create1(topics *ts, const char *name, int32_t parts, const char *k,
			 const char *v, topic **out)
{
	kstr kn = kstr_c(k), kv = kstr_c(v);
	const char *why = NULL;

	return topics_create(ts, kstr_c(name), parts, k ? &kn : NULL, k ? &kv : NULL, k ? 1 : 0,
			     false, out, &why);
}

TEST(valid_names)
{
	CHECK(topics_valid_name(kstr_c("a")));
	CHECK(topics_valid_name(kstr_c("Orders.v2_x-1")));
	CHECK(topics_valid_name(kstr_c("__consumer_offsets")));
	CHECK(topics_valid_name(kstr_c("...")));
	CHECK(!topics_valid_name(kstr_c("")));
	CHECK(!topics_valid_name(KSTR_NULL));
	CHECK(!topics_valid_name(kstr_c(".")));
	CHECK(!topics_valid_name(kstr_c("..")));
	CHECK(!topics_valid_name(kstr_c("a b")));
	CHECK(!topics_valid_name(kstr_c("a/b")));
	CHECK(!topics_valid_name(kstr_c("é")));
	CHECK(!topics_valid_name((kstr){ "a\0b", 3 }));

	char name[251];
	memset(name, 'x', sizeof name);
	CHECK(topics_valid_name((kstr){ name, 249 }));
	CHECK(!topics_valid_name((kstr){ name, 250 }));
	CHECK(topics_internal_name(kstr_c("__consumer_offsets")));
	CHECK(topics_internal_name(kstr_c("__transaction_state")));
	CHECK(!topics_internal_name(kstr_c("__consumer_offsets2")));
}

TEST(dir_name_split)
{
	kstr n;
	int32_t p;

	CHECK(topics_parse_dir_name("orders-0", &n, &p));
	CHECK(kstr_eq_c(n, "orders") && p == 0);
	CHECK(topics_parse_dir_name("a-b-c-12", &n, &p));
	CHECK(kstr_eq_c(n, "a-b-c") && p == 12);
	CHECK(topics_parse_dir_name("x--3", &n, &p));
	CHECK(kstr_eq_c(n, "x-") && p == 3);
	CHECK(topics_parse_dir_name("__consumer_offsets-49", &n, &p));
	CHECK(kstr_eq_c(n, "__consumer_offsets") && p == 49);
	CHECK(topics_parse_dir_name("t-2147483647", &n, &p) && p == 2147483647);
	CHECK(!topics_parse_dir_name("t-2147483648", &n, &p));
	CHECK(!topics_parse_dir_name("t-01", &n, &p));
	CHECK(!topics_parse_dir_name("t-", &n, &p));
	CHECK(!topics_parse_dir_name("-1", &n, &p));
	CHECK(!topics_parse_dir_name("t-+1", &n, &p));
	CHECK(!topics_parse_dir_name("t-1x", &n, &p));
	CHECK(!topics_parse_dir_name("t", &n, &p));
	CHECK(!topics_parse_dir_name("__tidemark_topics", &n, &p));
	CHECK(!topics_parse_dir_name("t-0-future", &n, &p));
	CHECK(!topics_parse_dir_name("a b-0", &n, &p));
	CHECK(!topics_parse_dir_name("t-0.0123456789abcdef0123456789abcdef-delete", &n, &p));
	CHECK(topics_is_delete_dir("t-0.0123456789abcdef0123456789abcdef-delete"));
	CHECK(topics_is_delete_dir("a-b-7.0123456789abcdef0123456789abcdef-delete"));
	CHECK(!topics_is_delete_dir("t-0.0123456789abcdef0123456789abcdeg-delete"));
	CHECK(!topics_is_delete_dir("x-delete"));
	CHECK(!topics_is_delete_dir("t-0"));
}

TEST(uuid_text)
{
	kuuid u, v;
	char s[23];

	memset(u.b, 0, 16);
	topics_uuid_str(&u, s);
	CHECK(strcmp(s, "AAAAAAAAAAAAAAAAAAAAAA") == 0);
	memset(u.b, 0xff, 16);
	topics_uuid_str(&u, s);
	CHECK(strcmp(s, "_____________________w") == 0);
	for (int i = 0; i < 16; i++)
		u.b[i] = (uint8_t)(i * 37 + 5);
	topics_uuid_str(&u, s);
	CHECK(strlen(s) == 22);
	CHECK(topics_uuid_parse(s, 22, &v));
	CHECK_MEM(u.b, v.b, 16);
	CHECK(!topics_uuid_parse(s, 21, &v));
	CHECK(!topics_uuid_parse("_____________________x", 22, &v)); /* stray low bits */
	CHECK(!topics_uuid_parse("AAAAAAAAAAAAAAAAAAAA+A", 22, &v)); /* not base64url */
}

TEST(props_file_name)
{
	char out[300], name[250];

	CHECK(topics_props_name("orders", 6, out, sizeof out));
	CHECK(strcmp(out, "orders.properties") == 0);
	memset(name, 'n', 249);
	name[249] = '\0';
	CHECK(topics_props_name(name, 249, out, sizeof out));
	CHECK(strlen(out) <= 255);
	CHECK(strchr(out, '~') != NULL);
	name[248] = 'm'; /* a different long name maps elsewhere */
	char out2[300];
	CHECK(topics_props_name(name, 249, out2, sizeof out2));
	CHECK(strcmp(out, out2) != 0);
	CHECK(!topics_props_name("orders", 6, out, 10));
}

TEST(create_find_reopen)
{
	topics *ts = topics_open(&cfg, NULL);
	topic *t = NULL, *t2;
	kuuid id;
	kstr names[2] = { kstr_c("retention.ms"), kstr_c("cleanup.policy") };
	kstr vals[2] = { kstr_c(" 1000 "), kstr_c("delete, compact") };
	const char *why = NULL;

	CHECK(ts != NULL);
	if (!ts)
		return;
	CHECK_EQ_INT(topics_create(ts, kstr_c("a-b"), 3, names, vals, 2, false, &t, &why),
		     KERR_NONE);
	CHECK(t != NULL);
	if (!t) {
		topics_close(ts);
		return;
	}
	CHECK(topics_find(ts, kstr_c("a-b")) == t);
	CHECK(topics_find(ts, kstr_c("a")) == NULL);
	CHECK(topics_find(ts, KSTR_NULL) == NULL);
	CHECK(topics_find_id(ts, topic_id(t)) == t);
	CHECK(!kuuid_is_zero(topic_id(t)));
	CHECK_EQ_INT(topic_id(t)->b[6] >> 4, 4); /* v4 */
	CHECK_EQ_INT(topic_partition_count(t), 3);
	CHECK(topic_partition(t, 2) != NULL);
	CHECK(topic_partition(t, 3) == NULL);
	CHECK(topic_partition(t, -1) == NULL);
	CHECK(!topic_internal(t));
	CHECK_EQ_INT(topic_cfg(t)->retention_ms, 1000);
	CHECK(topic_cfg(t)->compact && topic_cfg(t)->delete_);
	CHECK(strcmp(val(t, "cleanup.policy"), "delete,compact") == 0); /* order kept */
	CHECK(overridden(t, "retention.ms"));
	CHECK(!overridden(t, "segment.bytes"));
	CHECK_EQ_INT(topic_cfg(t)->segment_bytes, 1 << 20);
	CHECK(exists("a-b-0/partition.metadata") && exists("a-b-2/partition.metadata"));
	CHECK(!exists("a-b-3"));
	CHECK(exists("__tidemark_topics/a-b.properties"));
	CHECK_EQ_INT(topics_create(ts, kstr_c("a-b"), 1, NULL, NULL, 0, false, &t2, &why),
		     KERR_TOPIC_ALREADY_EXISTS);
	CHECK(create1(ts, "plain", -1, NULL, NULL, &t2) == KERR_NONE);
	CHECK_EQ_INT(topic_partition_count(t2), 2); /* num.partitions */
	CHECK(!exists("__tidemark_topics/plain.properties"));
	memcpy(&id, topic_id(t), sizeof id);
	CHECK_EQ_INT(topics_count(ts), 2);
	topics_close(ts);
	CHECK(exists("recovery-point-offset-checkpoint"));

	ts = topics_open(&cfg, NULL);
	CHECK(ts != NULL);
	if (!ts)
		return;
	CHECK_EQ_INT(topics_count(ts), 2);
	t = topics_find(ts, kstr_c("a-b"));
	CHECK(t != NULL);
	if (t) {
		CHECK_MEM(topic_id(t)->b, id.b, 16);
		CHECK_EQ_INT(topic_partition_count(t), 3);
		CHECK_EQ_INT(topic_cfg(t)->retention_ms, 1000);
		CHECK(topic_cfg(t)->compact && topic_cfg(t)->delete_);
		CHECK(overridden(t, "cleanup.policy"));
	}
	t2 = topics_find(ts, kstr_c("plain"));
	CHECK(t2 && topic_partition_count(t2) == 2 && !topic_cfg(t2)->compact);
	CHECK(topics_at(ts, 0) != NULL && topics_at(ts, 2) == NULL);
	topics_close(ts);
}

TEST(config_validation)
{
	topics *ts = topics_open(&cfg, NULL);
	topic *t = NULL;
	const char *why = NULL;
	kstr n2[2] = { kstr_c("retention.ms"), kstr_c("retention.ms") };
	kstr v2[2] = { kstr_c("1"), kstr_c("2") };
	kstr nn = kstr_c("retention.ms"), vn = KSTR_NULL;

	CHECK(ts != NULL);
	if (!ts)
		return;
	CHECK_EQ_INT(create1(ts, "c1", 1, "no.such.config", "1", &t), KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "retention.ms", "abc", &t), KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "retention.ms", "-2", &t), KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "retention.ms", "", &t), KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "retention.ms", "99999999999999999999", &t),
		     KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "segment.bytes", "13", &t), KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "segment.bytes", "2147483648", &t),
		     KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "max.message.bytes", "-1", &t), KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "cleanup.policy", "compact,", &t), KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "cleanup.policy", "purge", &t), KERR_INVALID_CONFIG);
	CHECK_EQ_INT(create1(ts, "c1", 1, "message.timestamp.type", "Now", &t),
		     KERR_INVALID_CONFIG);
	CHECK_EQ_INT(topics_create(ts, kstr_c("c1"), 1, n2, v2, 2, false, &t, &why),
		     KERR_INVALID_CONFIG);
	CHECK(why != NULL);
	CHECK_EQ_INT(topics_create(ts, kstr_c("c1"), 1, &nn, &vn, 1, false, &t, &why),
		     KERR_INVALID_CONFIG);
	CHECK(!exists("c1-0")); /* nothing made on failure */
	CHECK_EQ_INT(create1(ts, "c1", 1, "retention.ms", "-1", &t), KERR_NONE);
	CHECK_EQ_INT(topics_count(ts), 1);
	CHECK_EQ_INT(create1(ts, "c2", 1, "message.timestamp.type", "LogAppendTime", &t),
		     KERR_NONE);
	CHECK(t && topic_cfg(t)->log_append_time);
	CHECK_EQ_INT(create1(ts, "c3", 1, "segment.ms", "+60000", &t), KERR_NONE);
	CHECK(t && topic_cfg(t)->segment_ms == 60000);
	CHECK(t && strcmp(val(t, "segment.ms"), "60000") == 0);

	/* topics_set_config: set, persist, clear */
	CHECK_EQ_INT(topics_set_config(ts, t, kstr_c("retention.bytes"), kstr_c("12345")),
		     KERR_NONE);
	CHECK_EQ_INT(topics_set_config(ts, t, kstr_c("retention.bytes"), kstr_c("x")),
		     KERR_INVALID_CONFIG);
	CHECK_EQ_INT(topics_set_config(ts, t, kstr_c("bogus"), kstr_c("1")),
		     KERR_INVALID_CONFIG);
	CHECK_EQ_INT(topic_cfg(t)->retention_bytes, 12345);
	CHECK_EQ_INT(topics_set_config(ts, t, kstr_c("segment.ms"), KSTR_NULL), KERR_NONE);
	CHECK_EQ_INT(topic_cfg(t)->segment_ms, cfg.log_roll_ms);
	topics_close(ts);

	ts = topics_open(&cfg, NULL);
	CHECK(ts != NULL);
	if (!ts)
		return;
	t = topics_find(ts, kstr_c("c3"));
	CHECK(t && topic_cfg(t)->retention_bytes == 12345);
	CHECK(t && !overridden(t, "segment.ms"));
	t = topics_find(ts, kstr_c("c1"));
	CHECK(t && topic_cfg(t)->retention_ms == -1);
	topics_close(ts);
}

TEST(create_rules)
{
	topics *ts = topics_open(&cfg, NULL);
	topic *t = NULL;
	const char *why = NULL;
	char longname[250];

	CHECK(ts != NULL);
	if (!ts)
		return;
	CHECK_EQ_INT(create1(ts, "bad name", 1, NULL, NULL, &t), KERR_INVALID_TOPIC_EXCEPTION);
	CHECK_EQ_INT(create1(ts, "..", 1, NULL, NULL, &t), KERR_INVALID_TOPIC_EXCEPTION);
	CHECK_EQ_INT(create1(ts, "p0", 0, NULL, NULL, &t), KERR_INVALID_PARTITIONS);
	CHECK_EQ_INT(create1(ts, "p0", -2, NULL, NULL, &t), KERR_INVALID_PARTITIONS);
	CHECK_EQ_INT(create1(ts, "p0", TOPICS_MAX_PARTITIONS + 1, NULL, NULL, &t),
		     KERR_INVALID_PARTITIONS);
	CHECK_EQ_INT(create1(ts, "a.b", 1, NULL, NULL, &t), KERR_NONE);
	CHECK_EQ_INT(create1(ts, "a_b", 1, NULL, NULL, &t), KERR_INVALID_TOPIC_EXCEPTION);
	memset(longname, 'l', 249);
	longname[249] = '\0';
	CHECK_EQ_INT(create1(ts, longname, 1, "retention.ms", "5", &t), KERR_NONE);
	CHECK(t && topic_cfg(t)->retention_ms == 5);

	/* validate_only: checks, makes nothing */
	CHECK_EQ_INT(topics_create(ts, kstr_c("v1"), 4, NULL, NULL, 0, true, &t, &why), KERR_NONE);
	CHECK(t == NULL);
	CHECK(topics_find(ts, kstr_c("v1")) == NULL);
	CHECK(!exists("v1-0"));
	CHECK_EQ_INT(topics_create(ts, kstr_c("a.b"), 4, NULL, NULL, 0, true, &t, &why),
		     KERR_TOPIC_ALREADY_EXISTS);

	/* preview of the configs a validate_only create would give */
	{
		kstr n = kstr_c("retention.ms"), v = kstr_c("77");
		topic_config_info info;
		bool seen = false;
		for (int i = 0; i < TC_NCONFIGS; i++) {
			topics_config_preview(ts, kstr_c("v1"), &n, &v, 1, i, &info);
			if (strcmp(info.name, "retention.ms") == 0) {
				seen = true;
				CHECK(info.is_override && strcmp(info.value, "77") == 0);
				CHECK(strcmp(info.default_value, "604800000") == 0);
				CHECK(strcmp(info.synonym, "log.retention.ms") == 0);
			}
		}
		CHECK(seen);
	}
	topics_close(ts);
	ts = topics_open(&cfg, NULL);
	CHECK(ts && topics_find(ts, kstr_c(longname)) != NULL);
	CHECK(ts && topic_cfg(topics_find(ts, kstr_c(longname)))->retention_ms == 5);
	topics_close(ts);
}

TEST(delete_and_grow)
{
	topics *ts = topics_open(&cfg, NULL);
	topic *t = NULL;

	CHECK(ts != NULL);
	if (!ts)
		return;
	CHECK_EQ_INT(create1(ts, "del-me", 3, "retention.ms", "10", &t), KERR_NONE);
	CHECK_EQ_INT(create1(ts, "keep", 1, NULL, NULL, &t), KERR_NONE);
	CHECK_EQ_INT(topics_add_partitions(ts, t, 1, false), KERR_INVALID_PARTITIONS);
	CHECK_EQ_INT(topics_add_partitions(ts, t, 0, false), KERR_INVALID_PARTITIONS);
	CHECK_EQ_INT(topics_add_partitions(ts, t, 4, true), KERR_NONE);
	CHECK_EQ_INT(topic_partition_count(t), 1);
	CHECK(!exists("keep-1"));
	CHECK_EQ_INT(topics_add_partitions(ts, t, 4, false), KERR_NONE);
	CHECK_EQ_INT(topic_partition_count(t), 4);
	CHECK(exists("keep-3/partition.metadata"));
	CHECK(topic_partition(t, 3) != NULL);

	CHECK_EQ_INT(topics_delete(ts, kstr_c("nope")), KERR_UNKNOWN_TOPIC_OR_PARTITION);
	CHECK_EQ_INT(topics_delete(ts, kstr_c("del-me")), KERR_NONE);
	CHECK(topics_find(ts, kstr_c("del-me")) == NULL);
	CHECK(topics_find(ts, kstr_c("keep")) == t);
	CHECK(!exists("del-me-0") && !exists("del-me-2"));
	CHECK(!exists("__tidemark_topics/del-me.properties"));
	CHECK_EQ_INT(count_entries_ending("-delete"), 0);
	/* a new topic of the same name starts fresh */
	CHECK_EQ_INT(create1(ts, "del-me", 1, NULL, NULL, &t), KERR_NONE);
	CHECK(t && !overridden(t, "retention.ms"));
	CHECK_EQ_INT(topics_delete(ts, kstr_c("del-me")), KERR_NONE);
	topics_close(ts);

	ts = topics_open(&cfg, NULL);
	CHECK(ts != NULL);
	if (!ts)
		return;
	CHECK(topics_find(ts, kstr_c("del-me")) == NULL);
	t = topics_find(ts, kstr_c("keep"));
	CHECK(t && topic_partition_count(t) == 4);
	topics_close(ts);
}

TEST(internal_topics)
{
	topics *ts = topics_open(&cfg, NULL);
	topic *t, *t2;

	CHECK(ts != NULL);
	if (!ts)
		return;
	t = topics_get_or_create_internal(ts, "__consumer_offsets", -1);
	CHECK(t != NULL);
	if (!t) {
		topics_close(ts);
		return;
	}
	CHECK(topic_internal(t));
	CHECK_EQ_INT(topic_partition_count(t), 3); /* offsets.topic.num.partitions */
	CHECK(topic_cfg(t)->compact && !topic_cfg(t)->delete_);
	CHECK_EQ_INT(topic_cfg(t)->segment_bytes, 104857600);
	CHECK(overridden(t, "cleanup.policy"));
	t2 = topics_get_or_create_internal(ts, "__consumer_offsets", 7);
	CHECK(t2 == t);
	CHECK_EQ_INT(topics_delete(ts, kstr_c("__consumer_offsets")), KERR_INVALID_REQUEST);
	CHECK_EQ_INT(topics_add_partitions(ts, t, 10, false), KERR_INVALID_REQUEST);
	topics_close(ts);
	ts = topics_open(&cfg, NULL);
	t = ts ? topics_find(ts, kstr_c("__consumer_offsets")) : NULL;
	CHECK(t && topic_internal(t) && topic_cfg(t)->compact);
	topics_close(ts);
}

TEST(startup_checks)
{
	char a[512], b2[600];
	topics *ts;
	topic *t = NULL;

	/* leftover deletion directories are removed */
	snprintf(a, sizeof a, "%s/gone-0.0123456789abcdef0123456789abcdef-delete", dir);
	CHECK(mkdir(a, 0755) == 0);
	snprintf(b2, sizeof b2, "%s/junk", a);
	close(open(b2, O_CREAT | O_WRONLY, 0644));
	/* non-partition entries are ignored */
	snprintf(b2, sizeof b2, "%s/lost+found", dir);
	mkdir(b2, 0755);
	snprintf(b2, sizeof b2, "%s/file-0", dir);
	close(open(b2, O_CREAT | O_WRONLY, 0644));
	ts = topics_open(&cfg, NULL);
	CHECK(ts != NULL);
	CHECK(!exists("gone-0.0123456789abcdef0123456789abcdef-delete"));
	CHECK(ts && topics_find(ts, kstr_c("file")) == NULL);
	CHECK(ts && topics_find(ts, kstr_c("lost+found")) == NULL);
	CHECK(ts && create1(ts, "holes", 3, NULL, NULL, &t) == KERR_NONE);
	topics_close(ts);

	/* a missing partition directory refuses start-up */
	snprintf(a, sizeof a, "%s/holes-1", dir);
	snprintf(b2, sizeof b2, "%s/holes-1.moved", dir);
	CHECK(rename(a, b2) == 0);
	CHECK(topics_open(&cfg, NULL) == NULL);
	CHECK(rename(b2, a) == 0);

	/* a lost partition.metadata is rewritten with the topic's id */
	snprintf(b2, sizeof b2, "%s/partition.metadata", a);
	CHECK(unlink(b2) == 0);
	ts = topics_open(&cfg, NULL);
	CHECK(ts != NULL);
	CHECK(exists("holes-1/partition.metadata"));
	topics_close(ts);

	/* partitions of one topic with different ids refuse start-up */
	{
		int fd = open(b2, O_WRONLY | O_TRUNC);
		const char *txt = "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n";
		CHECK(fd >= 0 && write(fd, txt, strlen(txt)) == (ssize_t)strlen(txt));
		close(fd);
		CHECK(topics_open(&cfg, NULL) == NULL);
		CHECK(unlink(b2) == 0);
	}
}

TEST(config_info)
{
	topics *ts = topics_open(&cfg, NULL);
	topic *t = NULL;
	topic_config_info info;
	int nseen = 0;

	CHECK(ts != NULL);
	if (!ts)
		return;
	CHECK_EQ_INT(create1(ts, "info", 1, "max.message.bytes", "5000", &t), KERR_NONE);
	for (int i = 0; t && i < TC_NCONFIGS; i++) {
		topic_config_get_info(t, i, &info);
		CHECK(info.name && info.kafka_default && info.doc);
		CHECK(info.type == CT_BOOLEAN || info.type == CT_STRING || info.type == CT_INT ||
		      info.type == CT_LONG || info.type == CT_DOUBLE || info.type == CT_LIST);
		CHECK(strcmp(info.value, info.default_value) == 0 || info.is_override);
		if (i > 0)
			CHECK(strcmp(tc_defs[i - 1].name, info.name) < 0); /* sorted */
		if (strcmp(info.name, "max.message.bytes") == 0) {
			CHECK(info.is_override && strcmp(info.value, "5000") == 0);
			CHECK(strcmp(info.default_value, "1048588") == 0);
			nseen++;
		}
		if (strcmp(info.name, "segment.bytes") == 0) {
			CHECK(!info.is_override && strcmp(info.value, "1048576") == 0);
			CHECK(strcmp(info.kafka_default, "1073741824") == 0);
			nseen++;
		}
	}
	CHECK_EQ_INT(nseen, 2);
	topics_close(ts);
}

/* tc_canon(): what Kafka's LogConfig accepts, in canonical form. */
static const char *canon(const char *name, const char *value)
{
	static char out[TC_VALUE_CAP];
	int k = tc_find(kstr_c(name));

	if (k < 0)
		return "(unknown)";
	if (!tc_canon(&tc_defs[k], value, strlen(value), out))
		return "(bad)";
	return out;
}

TEST(config_values)
{
	CHECK(strcmp(canon("min.insync.replicas", " 2 "), "2") == 0);
	CHECK(strcmp(canon("min.insync.replicas", "0"), "(bad)") == 0);
	CHECK(strcmp(canon("min.insync.replicas", "2147483648"), "(bad)") == 0);
	CHECK(strcmp(canon("compression.type", "zstd"), "zstd") == 0);
	CHECK(strcmp(canon("compression.type", "producer"), "producer") == 0);
	CHECK(strcmp(canon("compression.type", "uncompressed"), "uncompressed") == 0);
	CHECK(strcmp(canon("compression.type", "ZSTD"), "(bad)") == 0);
	CHECK(strcmp(canon("compression.type", "brotli"), "(bad)") == 0);
	CHECK(strcmp(canon("compression.gzip.level", "-1"), "-1") == 0);
	CHECK(strcmp(canon("compression.gzip.level", "0"), "(bad)") == 0);
	CHECK(strcmp(canon("compression.gzip.level", "9"), "9") == 0);
	CHECK(strcmp(canon("compression.gzip.level", "10"), "(bad)") == 0);
	CHECK(strcmp(canon("compression.zstd.level", "-131072"), "-131072") == 0);
	CHECK(strcmp(canon("compression.lz4.level", "18"), "(bad)") == 0);
	CHECK(strcmp(canon("unclean.leader.election.enable", "TRUE"), "true") == 0);
	CHECK(strcmp(canon("preallocate", " False"), "false") == 0);
	CHECK(strcmp(canon("preallocate", "yes"), "(bad)") == 0);
	CHECK(strcmp(canon("remote.storage.enable", "false"), "false") == 0);
	CHECK(strcmp(canon("remote.storage.enable", "true"), "(bad)") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "0.5"), "0.5") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "1"), "1.0") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "0"), "0.0") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", ".25"), "0.25") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "0.1"), "0.1") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "0.001"), "0.001") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "0.00015"), "1.5E-4") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "5e-1"), "0.5") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "0.75d"), "0.75") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "1.5"), "(bad)") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "-0.1"), "(bad)") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "nan"), "(bad)") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "0x0.8p0"), "(bad)") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", "0.5.5"), "(bad)") == 0);
	CHECK(strcmp(canon("min.cleanable.dirty.ratio", ""), "(bad)") == 0);
	CHECK(strcmp(canon("leader.replication.throttled.replicas", "*"), "*") == 0);
	CHECK(strcmp(canon("leader.replication.throttled.replicas", ""), "") == 0);
	CHECK(strcmp(canon("leader.replication.throttled.replicas", " 0:0 , 1:0 "),
		     "0:0,1:0") == 0);
	CHECK(strcmp(canon("follower.replication.throttled.replicas", "0:x"), "(bad)") == 0);
	CHECK(strcmp(canon("follower.replication.throttled.replicas", "*,0:0"), "(bad)") == 0);
	CHECK(strcmp(canon("message.format.version", "3.0-IV1"), "3.0-IV1") == 0);
	CHECK(strcmp(canon("message.format.version", "0.10.2.1"), "0.10.2.1") == 0);
	CHECK(strcmp(canon("message.format.version", "2.8"), "2.8") == 0);
	CHECK(strcmp(canon("message.format.version", "3"), "(bad)") == 0);
	CHECK(strcmp(canon("message.format.version", "3.0-IV"), "(bad)") == 0);
	CHECK(strcmp(canon("message.format.version", "latest"), "(bad)") == 0);
	CHECK(strcmp(canon("local.retention.ms", "-2"), "-2") == 0);
	CHECK(strcmp(canon("local.retention.bytes", "-3"), "(bad)") == 0);
	CHECK(strcmp(canon("max.compaction.lag.ms", "0"), "(bad)") == 0);
	CHECK(strcmp(canon("flush.messages", "0"), "(bad)") == 0);
	CHECK(strcmp(canon("segment.index.bytes", "3"), "(bad)") == 0);
	CHECK(strcmp(canon("message.timestamp.after.max.ms", "3600000"), "3600000") == 0);
	/* the order of a list is kept (IncrementalAlterConfigs APPEND), repeats go */
	CHECK(strcmp(canon("cleanup.policy", "delete, compact"), "delete,compact") == 0);
	CHECK(strcmp(canon("cleanup.policy", "compact,delete,compact"), "compact,delete") == 0);
	CHECK(strcmp(canon("cleanup.policy", ""), "(bad)") == 0);
	CHECK(strcmp(canon("message.timestamp.type", " LogAppendTime"), "LogAppendTime") == 0);
	{
		char big[100];
		memset(big, '1', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		CHECK(strcmp(canon("retention.ms", big), "(bad)") == 0);
	}
	{
		kstr names[3] = { kstr_c("retention.ms"), kstr_c("foo"), kstr_c("bar") };
		CHECK_EQ_INT(tc_first_unknown(names, 3), 1);
		CHECK_EQ_INT(tc_first_unknown(names, 1), -1);
	}
}

/* Every Kafka topic config: accepted, reported, kept across a restart. */
TEST(all_kafka_configs)
{
	static const char *const kv[][2] = {
		{ "compression.type", "lz4" },
		{ "min.insync.replicas", "2" },
		{ "unclean.leader.election.enable", "true" },
		{ "max.compaction.lag.ms", "86400000" },
		{ "message.timestamp.difference.max.ms", "60000" },
		{ "message.timestamp.before.max.ms", "70000" },
		{ "message.timestamp.after.max.ms", "80000" },
		{ "flush.messages", "1000" },
		{ "flush.ms", "1000" },
		{ "file.delete.delay.ms", "1" },
		{ "preallocate", "true" },
		{ "min.cleanable.dirty.ratio", "0.25" },
		{ "message.downconversion.enable", "false" },
		{ "local.retention.ms", "1000" },
		{ "local.retention.bytes", "1000" },
		{ "remote.storage.enable", "false" },
		{ "segment.index.bytes", "1024" },
		{ "segment.jitter.ms", "10" },
		{ "message.format.version", "2.8" },
		{ "leader.replication.throttled.replicas", "*" },
		{ "follower.replication.throttled.replicas", "0:0" },
		{ "cleanup.policy", "delete,compact" },
		{ "retention.ms", "5000" },
	};
	enum { N = sizeof kv / sizeof kv[0] };
	kstr names[N], values[N];
	topics *ts = topics_open(&cfg, NULL);
	topic *t = NULL;
	const char *why = NULL;

	CHECK(ts != NULL);
	if (!ts)
		return;
	for (int i = 0; i < N; i++) {
		names[i] = kstr_c(kv[i][0]);
		values[i] = kstr_c(kv[i][1]);
	}
	CHECK_EQ_INT(topics_create(ts, kstr_c("all"), 1, names, values, N, false, &t, &why),
		     KERR_NONE);
	for (int round = 0; t && round < 2; round++) {
		for (int i = 0; i < N; i++) {
			CHECK(strcmp(val(t, kv[i][0]), kv[i][1]) == 0);
			CHECK(overridden(t, kv[i][0]));
		}
		CHECK(topic_cfg(t)->compact && topic_cfg(t)->delete_);
		CHECK_EQ_INT(topic_cfg(t)->retention_ms, 5000);
		CHECK(!overridden(t, "segment.ms"));
		CHECK(strcmp(val(t, "compression.gzip.level"), "-1") == 0);
		topics_close(ts);
		ts = topics_open(&cfg, NULL);
		t = ts ? topics_find(ts, kstr_c("all")) : NULL;
		CHECK(t != NULL);
	}
	/* a stored-only config can be cleared like the others */
	CHECK(t && topics_set_config(ts, t, kstr_c("min.insync.replicas"), KSTR_NULL) == KERR_NONE);
	CHECK(t && !overridden(t, "min.insync.replicas"));
	CHECK(t && strcmp(val(t, "min.insync.replicas"), "1") == 0);
	CHECK(t && strcmp(val(t, "flush.ms"), "1000") == 0);

	/* LogConfig.validateValues: min.compaction.lag.ms <= max.compaction.lag.ms */
	{
		kstr n2[2] = { kstr_c("min.compaction.lag.ms"), kstr_c("max.compaction.lag.ms") };
		kstr v2[2] = { kstr_c("10"), kstr_c("5") };
		CHECK_EQ_INT(topics_create(ts, kstr_c("lag"), 1, n2, v2, 2, false, &t, &why),
			     KERR_INVALID_CONFIG);
		CHECK(why && strstr(why, "max.compaction.lag.ms") != NULL);
		v2[1] = kstr_c("10");
		CHECK_EQ_INT(topics_create(ts, kstr_c("lag"), 1, n2, v2, 2, false, &t, &why),
			     KERR_NONE);
	}
	CHECK_EQ_INT(create1(ts, "tier", 1, "remote.storage.enable", "true", &t),
		     KERR_INVALID_CONFIG);
	topics_close(ts);
}

/* Stored-only configs whose broker property tidemark has default from it. */
TEST(broker_defaults)
{
	broker_config c2 = cfg;
	topics *ts;
	topic *t = NULL;

	c2.log_flush_interval_ms = 5000;
	c2.log_cleaner_min_cleanable_ratio = "0.75";
	c2.log_cleanup_policy = "delete,compact";
	ts = topics_open(&c2, NULL);
	CHECK(ts != NULL);
	if (!ts)
		return;
	CHECK_EQ_INT(create1(ts, "bd", 1, NULL, NULL, &t), KERR_NONE);
	CHECK(t && strcmp(val(t, "flush.ms"), "5000") == 0);
	CHECK(t && strcmp(val(t, "min.cleanable.dirty.ratio"), "0.75") == 0);
	CHECK(t && strcmp(val(t, "cleanup.policy"), "delete,compact") == 0);
	CHECK(t && topic_cfg(t)->compact && topic_cfg(t)->delete_);
	CHECK(t && strcmp(val(t, "min.insync.replicas"), "1") == 0);
	topics_close(ts);
}

static void rm_rf(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

/* Each test starts from an empty log.dirs. */
#define RUN_FRESH(name)                                                    \
	do {                                                               \
		rm_rf(dir);                                                \
		mkdir(dir, 0755);                                          \
		RUN(name);                                                 \
	} while (0)

int main(void)
{
	dir = mkdtemp(tmpl);
	if (!dir) {
		perror("mkdtemp");
		return 1;
	}
	setup_cfg();
	RUN(valid_names);
	RUN(dir_name_split);
	RUN(uuid_text);
	RUN(props_file_name);
	RUN_FRESH(create_find_reopen);
	RUN_FRESH(config_validation);
	RUN_FRESH(create_rules);
	RUN_FRESH(delete_and_grow);
	RUN_FRESH(internal_topics);
	RUN_FRESH(startup_checks);
	RUN_FRESH(config_info);
	RUN(config_values);
	RUN_FRESH(all_kafka_configs);
	RUN_FRESH(broker_defaults);
	rm_rf(dir);
	return testhelp_done();
}
