/*
 * test_config.c: the property table, parsing and server.properties files
 * (config/config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/logger.h"
#include "testhelp.h"

static char err[512];

static int set(broker_config *c, const char *k, const char *v)
{
	err[0] = '\0';
	return config_set(c, k, v, err, sizeof(err));
}

TEST(defaults)
{
	broker_config c;

	config_defaults(&c);
	CHECK(strcmp(c.listeners, "PLAINTEXT://0.0.0.0:9092") == 0);
	CHECK(c.advertised_listeners == NULL);
	CHECK(c.cluster_id == NULL);
	CHECK(strcmp(c.log_dirs, "./data") == 0);
	CHECK_EQ_INT(c.socket_request_max_bytes, 104857600);
	CHECK_EQ_INT(c.connections_max_idle_ms, 600000);
	CHECK_EQ_INT(c.max_connections, 10000);
	CHECK_EQ_INT(c.queued_max_requests, 500);
	CHECK_EQ_INT(c.node_id, 0);
	CHECK_EQ_INT(c.num_partitions, 1);
	CHECK(c.auto_create_topics_enable);
	CHECK(c.delete_topic_enable);
	CHECK_EQ_INT(c.log_segment_bytes, 1073741824);
	CHECK_EQ_INT(c.log_roll_ms, 168LL * 3600000);
	CHECK_EQ_INT(c.log_index_interval_bytes, 4096);
	CHECK_EQ_INT(c.message_max_bytes, 1048588);
	CHECK_EQ_INT(c.log_retention_ms, 168LL * 3600000);
	CHECK_EQ_INT(c.log_retention_bytes, -1);
	CHECK_EQ_INT(c.log_retention_check_interval_ms, 300000);
	CHECK(strcmp(c.log_message_timestamp_type, "CreateTime") == 0);
	CHECK(strcmp(c.log_cleanup_policy, "delete") == 0);
	CHECK(c.log_flush_commit_sync);
	CHECK_EQ_INT(c.offsets_topic_num_partitions, 50);
	CHECK_EQ_INT(c.offsets_retention_minutes, 10080);
	CHECK_EQ_INT(c.offsets_retention_check_interval_ms, 600000);
	CHECK_EQ_INT(c.offset_metadata_max_bytes, 4096);
	CHECK_EQ_INT(c.offsets_topic_segment_bytes, 104857600);
	CHECK_EQ_INT(c.group_min_session_timeout_ms, 6000);
	CHECK_EQ_INT(c.group_max_session_timeout_ms, 1800000);
	CHECK_EQ_INT(c.group_initial_rebalance_delay_ms, 50);
	CHECK_EQ_INT(c.group_max_size, 2147483647);
	CHECK_EQ_INT(c.transaction_state_log_num_partitions, 50);
	CHECK_EQ_INT(c.transaction_max_timeout_ms, 900000);
	CHECK_EQ_INT(c.transactional_id_expiration_ms, 604800000);
	CHECK_EQ_INT(config_finish(&c, err, sizeof(err)), 0);
	CHECK(strcmp(c.listen_host, "0.0.0.0") == 0);
	CHECK_EQ_INT(c.listen_port, 9092);
	CHECK(strcmp(c.advertised_host, "localhost") == 0);
	CHECK_EQ_INT(c.advertised_port, 9092);
	config_release(&c);
}

TEST(aliases_and_units)
{
	broker_config c;

	config_defaults(&c);
	CHECK_EQ_INT(set(&c, "log.retention.hours", "2"), 0);
	CHECK_EQ_INT(c.log_retention_ms, 7200000);
	CHECK_EQ_INT(set(&c, "log.retention.minutes", "3"), 0);
	CHECK_EQ_INT(c.log_retention_ms, 180000);
	CHECK_EQ_INT(set(&c, "log.retention.ms", "1234"), 0);
	CHECK_EQ_INT(c.log_retention_ms, 1234);
	/* -1 means forever in every unit. */
	CHECK_EQ_INT(set(&c, "log.retention.hours", "-1"), 0);
	CHECK_EQ_INT(c.log_retention_ms, -1);
	CHECK_EQ_INT(set(&c, "log.roll.hours", "1"), 0);
	CHECK_EQ_INT(c.log_roll_ms, 3600000);
	CHECK_EQ_INT(set(&c, "log.roll.ms", "500"), 0);
	CHECK_EQ_INT(c.log_roll_ms, 500);
	CHECK_EQ_INT(set(&c, "broker.id", "7"), 0);
	CHECK_EQ_INT(c.node_id, 7);
	CHECK_EQ_INT(set(&c, "node.id", "3"), 0);
	CHECK_EQ_INT(c.node_id, 3);
	CHECK_EQ_INT(set(&c, "log.dir", "/tmp/x"), 0);
	CHECK(strcmp(c.log_dirs, "/tmp/x") == 0);
	CHECK_EQ_INT(set(&c, "auto.create.topics.enable", "FALSE"), 0);
	CHECK(!c.auto_create_topics_enable);
	CHECK_EQ_INT(set(&c, "tidemark.commit.fsync", " false "), 0);
	CHECK(!c.log_flush_commit_sync);
	CHECK_EQ_INT(set(&c, "log.cleanup.policy", "compact, delete"), 0);
	CHECK_EQ_INT(set(&c, "log.message.timestamp.type", "LogAppendTime"), 0);
	CHECK_EQ_INT(set(&c, "cluster.id", "abc"), 0);
	CHECK(strcmp(c.cluster_id, "abc") == 0);
	CHECK_EQ_INT(set(&c, "cluster.id", ""), 0);
	CHECK(c.cluster_id == NULL);
	/* Ignored Kafka properties are accepted. */
	CHECK_EQ_INT(set(&c, "zookeeper.connect", "localhost:2181"), 0);
	CHECK_EQ_INT(set(&c, "offsets.topic.replication.factor", "3"), 0);
	config_release(&c);
}

TEST(errors)
{
	broker_config c;

	config_defaults(&c);
	CHECK_EQ_INT(set(&c, "no.such.thing", "1"), -1);
	CHECK(strcmp(err, "unknown property 'no.such.thing'") == 0);
	CHECK_EQ_INT(set(&c, "num.partitions", "abc"), -1);
	CHECK(strcmp(err, "bad value 'abc' for 'num.partitions': not a number") == 0);
	CHECK_EQ_INT(set(&c, "num.partitions", "0"), -1);
	CHECK(strcmp(err, "bad value '0' for 'num.partitions': must be at least 1") == 0);
	CHECK_EQ_INT(set(&c, "num.partitions", "12x"), -1);
	CHECK_EQ_INT(set(&c, "num.partitions", ""), -1);
	CHECK_EQ_INT(set(&c, "num.partitions", "2147483648"), -1);
	CHECK(strstr(err, "must be at most 2147483647") != NULL);
	CHECK_EQ_INT(set(&c, "log.retention.ms", "99999999999999999999"), -1);
	CHECK(strstr(err, "out of range") != NULL);
	/* The hours alias would overflow int64 ms. */
	CHECK_EQ_INT(set(&c, "log.retention.hours", "9223372036854775"), -1);
	CHECK(strstr(err, "for 'log.retention.hours'") != NULL);
	CHECK_EQ_INT(set(&c, "log.retention.hours", "-2"), -1);
	CHECK_EQ_INT(set(&c, "delete.topic.enable", "yes"), -1);
	CHECK(strcmp(err, "bad value 'yes' for 'delete.topic.enable': must be true or false") == 0);
	CHECK_EQ_INT(set(&c, "log.message.timestamp.type", "Whenever"), -1);
	CHECK_EQ_INT(set(&c, "log.cleanup.policy", "delete,,"), -1);
	CHECK_EQ_INT(set(&c, "log.cleanup.policy", "shred"), -1);
	/* Nothing changed by the failures. */
	CHECK_EQ_INT(c.num_partitions, 1);
	CHECK_EQ_INT(c.log_retention_ms, 168LL * 3600000);
	CHECK(strcmp(c.log_cleanup_policy, "delete") == 0);
	config_release(&c);
}

static int finish_with(const char *listeners, const char *adv, broker_config *c)
{
	config_defaults(c);
	if (listeners)
		set(c, "listeners", listeners);
	if (adv)
		set(c, "advertised.listeners", adv);
	err[0] = '\0';
	return config_finish(c, err, sizeof(err));
}

TEST(listeners)
{
	broker_config c;

	CHECK_EQ_INT(finish_with("PLAINTEXT://127.0.0.1:19092", NULL, &c), 0);
	CHECK(strcmp(c.listen_host, "127.0.0.1") == 0);
	CHECK_EQ_INT(c.listen_port, 19092);
	CHECK(strcmp(c.advertised_host, "127.0.0.1") == 0);
	config_release(&c);

	CHECK_EQ_INT(finish_with("localhost:0", NULL, &c), 0);
	CHECK(strcmp(c.listen_host, "localhost") == 0);
	CHECK_EQ_INT(c.listen_port, 0);
	config_release(&c);

	CHECK_EQ_INT(finish_with("PLAINTEXT://[::]:9093", NULL, &c), 0);
	CHECK(strcmp(c.listen_host, "::") == 0);
	CHECK(strcmp(c.advertised_host, "localhost") == 0);
	config_release(&c);

	/* Kafka's KRaft sample: empty host, plus a controller listener. */
	CHECK_EQ_INT(finish_with("PLAINTEXT://:9092,CONTROLLER://:9093", NULL, &c), 0);
	CHECK(strcmp(c.listen_host, "0.0.0.0") == 0);
	CHECK_EQ_INT(c.listen_port, 9092);
	config_release(&c);

	CHECK_EQ_INT(finish_with("CONTROLLER://:9093, PLAINTEXT://h:1", "PLAINTEXT://broker1:29092",
				 &c), 0);
	CHECK(strcmp(c.listen_host, "h") == 0);
	CHECK(strcmp(c.advertised_host, "broker1") == 0);
	CHECK_EQ_INT(c.advertised_port, 29092);
	config_release(&c);

	CHECK_EQ_INT(finish_with("SSL://:9093", NULL, &c), -1);
	CHECK(strstr(err, "no PLAINTEXT listener") != NULL);
	config_release(&c);
	CHECK_EQ_INT(finish_with("PLAINTEXT://host", NULL, &c), -1);
	CHECK(strstr(err, "'listeners'") != NULL);
	config_release(&c);
	CHECK_EQ_INT(finish_with("PLAINTEXT://host:99999", NULL, &c), -1);
	CHECK(strstr(err, "bad port") != NULL);
	config_release(&c);
	CHECK_EQ_INT(finish_with("PLAINTEXT://host:", NULL, &c), -1);
	config_release(&c);
	CHECK_EQ_INT(finish_with("PLAINTEXT://[::1:9092", NULL, &c), -1);
	config_release(&c);
	CHECK_EQ_INT(finish_with("::1:9092", NULL, &c), -1);
	config_release(&c);

	config_defaults(&c);
	set(&c, "group.min.session.timeout.ms", "9000000");
	CHECK_EQ_INT(config_finish(&c, err, sizeof(err)), -1);
	config_release(&c);
}

static const char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_config_%d.properties", (int)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

TEST(file)
{
	broker_config c;
	const char *path;

	config_defaults(&c);
	path = write_tmp("# a comment\n"
			 "! another comment\n"
			 "\n"
			 "   num.partitions = 4   \n"
			 "log.dirs=/var/lib/tm\r\n"
			 "node.id: 9\n"
			 "message.max.bytes 2000\n"
			 "# comment ending in a backslash \\\n"
			 "log.retention.hours=1\n"
			 "advertised.listeners=PLAINTEXT://\\\n"
			 "     example.com:9092\n"
			 "zookeeper.connect=localhost:2181\n"
			 "log.cleanup.policy=compact");
	CHECK_EQ_INT(config_load_file(&c, path, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.num_partitions, 4);
	CHECK(strcmp(c.log_dirs, "/var/lib/tm") == 0);
	CHECK_EQ_INT(c.node_id, 9);
	CHECK_EQ_INT(c.message_max_bytes, 2000);
	CHECK_EQ_INT(c.log_retention_ms, 3600000);
	CHECK(strcmp(c.advertised_listeners, "PLAINTEXT://example.com:9092") == 0);
	CHECK(strcmp(c.log_cleanup_policy, "compact") == 0);
	CHECK_EQ_INT(config_finish(&c, err, sizeof(err)), 0);
	CHECK(strcmp(c.advertised_host, "example.com") == 0);

	path = write_tmp("num.partitions=2\n\nbogus.key=1\n");
	CHECK_EQ_INT(config_load_file(&c, path, err, sizeof(err)), -1);
	CHECK(strstr(err, ":3: unknown property 'bogus.key'") != NULL);
	path = write_tmp("num.partitions=two\n");
	CHECK_EQ_INT(config_load_file(&c, path, err, sizeof(err)), -1);
	CHECK(strstr(err, ":1: bad value 'two' for 'num.partitions': not a number") != NULL);
	unlink(path);
	CHECK_EQ_INT(config_load_file(&c, "/nonexistent/x.properties", err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot open '/nonexistent/x.properties'") != NULL);
	config_release(&c);
}

TEST(print)
{
	broker_config c;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	config_defaults(&c);
	f = open_memstream(&out, &len);
	config_print(&c, f);
	fclose(f);
	CHECK(strstr(out, "\nlisteners=PLAINTEXT://0.0.0.0:9092\n") != NULL);
	CHECK(strstr(out, "\nlog.retention.ms=604800000\n") != NULL);
	CHECK(strstr(out, "alias: log.retention.hours") != NULL);
	CHECK(strstr(out, "\ngroup.initial.rebalance.delay.ms=50\n") != NULL);
	CHECK(strstr(out, "\ntidemark.commit.fsync=true\n") != NULL);
	free(out);
	config_release(&c);
}

int main(void)
{
	log_set_level(LOG_WARN);
	RUN(defaults);
	RUN(aliases_and_units);
	RUN(errors);
	RUN(listeners);
	RUN(file);
	RUN(print);
	return testhelp_done();
}
