/*
 * rdk_roundtrip.c: librdkafka end-to-end check against a running broker.
 *
 * Usage: rdk_roundtrip BOOTSTRAP TOPIC GROUP [COUNT]
 *
 * TOPIC must exist with 3 partitions. Produces COUNT (default 1000)
 * messages with acks=all, message i to partition i % 3 with key "k<i>" and
 * value "v<i>"; every delivery report must succeed, and per partition the
 * reported offsets must be 0, 1, 2, ... in produce order. Then consumes the
 * topic in consumer group GROUP (subscribe, earliest) until COUNT messages
 * arrived: per partition the offsets must again be 0, 1, 2, ... and each
 * value must be the one produced at that offset. Finally commits
 * synchronously and checks committed() equals the per-partition counts.
 * Prints "rdk_roundtrip: OK" and exits 0, or prints every failure and exits 1.
 * Every wait is bounded (60 s per phase).
 *
 * Build: cc -std=c11 -Wall -Wextra -o rdk_roundtrip rdk_roundtrip.c -lrdkafka
 */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NPART 3
#define PHASE_MS 60000

static int failures;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("rdk_roundtrip: FAIL: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
	failures++;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct dr_state {
	int delivered;
	int errors;
	long long next[NPART]; /* next expected offset per partition */
	int *index_at;         /* [part * count + offset] = message index */
	int count;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct dr_state *st = opaque;
	int idx = (int)(intptr_t)m->_private;
	(void)rk;

	if (m->err) {
		if (st->errors++ < 10)
			fail("delivery of message %d failed: %s", idx, rd_kafka_err2str(m->err));
		return;
	}
	if (m->partition < 0 || m->partition >= NPART) {
		fail("message %d delivered to partition %d", idx, (int)m->partition);
		return;
	}
	if (m->offset != st->next[m->partition])
		fail("message %d: partition %d offset %lld, expected %lld", idx, (int)m->partition,
		     (long long)m->offset, st->next[m->partition]);
	else if (m->offset < st->count)
		st->index_at[m->partition * st->count + m->offset] = idx;
	st->next[m->partition] = m->offset + 1;
	st->delivered++;
}

static rd_kafka_conf_t *base_conf(const char *bootstrap)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "socket.timeout.ms", "10000", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "conf: %s\n", err);
		exit(2);
	}
	return conf;
}

static void conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512];

	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "conf %s=%s: %s\n", k, v, err);
		exit(2);
	}
}

static void produce_all(const char *bootstrap, const char *topic, struct dr_state *st)
{
	char err[512];
	rd_kafka_conf_t *conf = base_conf(bootstrap);
	rd_kafka_t *rk;
	long long deadline;
	int i;

	conf_set(conf, "acks", "all");
	conf_set(conf, "linger.ms", "5");
	conf_set(conf, "message.timeout.ms", "30000");
	rd_kafka_conf_set_opaque(conf, st);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "producer: %s\n", err);
		exit(2);
	}
	deadline = now_ms() + PHASE_MS;
	for (i = 0; i < st->count; i++) {
		char key[32], val[32];
		rd_kafka_resp_err_t e;

		snprintf(key, sizeof(key), "k%d", i);
		snprintf(val, sizeof(val), "v%d", i);
		do {
			e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % NPART),
					      RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(val, strlen(val)),
					      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					      RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END);
			if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rk, 100);
		} while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && now_ms() < deadline);
		if (e) {
			fail("produce %d: %s", i, rd_kafka_err2str(e));
			break;
		}
		rd_kafka_poll(rk, 0);
	}
	if (rd_kafka_flush(rk, PHASE_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fail("flush timed out with %d messages outstanding", rd_kafka_outq_len(rk));
	if (st->delivered != st->count)
		fail("%d of %d messages delivered (%d errors)", st->delivered, st->count, st->errors);
	rd_kafka_destroy(rk);
}

static void consume_all(const char *bootstrap, const char *topic, const char *group, struct dr_state *st)
{
	char err[512];
	rd_kafka_conf_t *conf = base_conf(bootstrap);
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *subs, *committed;
	long long next[NPART] = {0, 0, 0};
	long long deadline;
	int got = 0, bad = 0, p;
	rd_kafka_resp_err_t e;

	conf_set(conf, "group.id", group);
	conf_set(conf, "auto.offset.reset", "earliest");
	conf_set(conf, "enable.auto.commit", "false");
	conf_set(conf, "session.timeout.ms", "6000");
	conf_set(conf, "heartbeat.interval.ms", "1000");
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "consumer: %s\n", err);
		exit(2);
	}
	rd_kafka_poll_set_consumer(rk);
	subs = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(subs, topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(rk, subs);
	rd_kafka_topic_partition_list_destroy(subs);
	if (e)
		fail("subscribe: %s", rd_kafka_err2str(e));
	deadline = now_ms() + PHASE_MS;
	while (got < st->count && now_ms() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
		char want[32];

		if (!m)
			continue;
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && bad++ < 10)
				fail("consumer error: %s", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		p = m->partition;
		if (p < 0 || p >= NPART) {
			fail("message from partition %d", p);
		} else if (m->offset != next[p]) {
			if (bad++ < 10)
				fail("partition %d: got offset %lld, expected %lld", p, (long long)m->offset, next[p]);
			next[p] = m->offset + 1;
		} else {
			int idx = m->offset < st->count ? st->index_at[p * st->count + m->offset] : -1;

			snprintf(want, sizeof(want), "v%d", idx);
			if (idx < 0 || m->len != strlen(want) || memcmp(m->payload, want, m->len) != 0) {
				if (bad++ < 10)
					fail("partition %d offset %lld: value '%.*s', expected '%s'", p,
					     (long long)m->offset, (int)m->len, (const char *)m->payload, want);
			}
			next[p]++;
		}
		got++;
		rd_kafka_message_destroy(m);
	}
	if (got != st->count)
		fail("consumed %d of %d messages within %d ms", got, st->count, PHASE_MS);
	for (p = 0; p < NPART; p++)
		if (next[p] != st->next[p])
			fail("partition %d: consumed up to %lld, produced up to %lld", p, next[p], st->next[p]);

	e = rd_kafka_commit(rk, NULL, 0);
	if (e)
		fail("commit: %s", rd_kafka_err2str(e));
	committed = rd_kafka_topic_partition_list_new(NPART);
	for (p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(committed, topic, p);
	e = rd_kafka_committed(rk, committed, 10000);
	if (e) {
		fail("committed(): %s", rd_kafka_err2str(e));
	} else {
		for (p = 0; p < committed->cnt; p++) {
			rd_kafka_topic_partition_t *tp = &committed->elems[p];

			if (tp->err || tp->offset != st->next[tp->partition])
				fail("committed offset of partition %d is %lld (%s), expected %lld",
				     (int)tp->partition, (long long)tp->offset, rd_kafka_err2str(tp->err),
				     st->next[tp->partition]);
		}
	}
	rd_kafka_topic_partition_list_destroy(committed);
	e = rd_kafka_consumer_close(rk);
	if (e)
		fail("consumer close: %s", rd_kafka_err2str(e));
	rd_kafka_destroy(rk);
}

int main(int argc, char **argv)
{
	struct dr_state st;

	if (argc < 4) {
		fprintf(stderr, "usage: %s BOOTSTRAP TOPIC GROUP [COUNT]\n", argv[0]);
		return 2;
	}
	memset(&st, 0, sizeof(st));
	st.count = argc > 4 ? atoi(argv[4]) : 1000;
	if (st.count <= 0 || st.count > 1000000) {
		fprintf(stderr, "bad COUNT\n");
		return 2;
	}
	st.index_at = calloc((size_t)NPART * (size_t)st.count, sizeof(int));
	if (!st.index_at)
		return 2;
	memset(st.index_at, 0xff, (size_t)NPART * (size_t)st.count * sizeof(int));
	produce_all(argv[1], argv[2], &st);
	if (!failures)
		consume_all(argv[1], argv[2], argv[3], &st);
	free(st.index_at);
	if (failures) {
		printf("rdk_roundtrip: %d failure(s)\n", failures);
		return 1;
	}
	printf("rdk_roundtrip: OK: %d messages, per-partition counts %lld/%lld/%lld\n", st.count, st.next[0],
	       st.next[1], st.next[2]);
	return 0;
}
