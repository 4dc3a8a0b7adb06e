/*
 * target.c: the two brokers under test behind one interface.
 *
 * A target is either a tidemark process (broker_proc.c) or a one-broker
 * librdkafka mock cluster living in this process. Workloads only see the
 * bootstrap address, so client settings are identical for both; the only
 * broker-specific code is here: topic creation and the /proc figures.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* See bench.h. */
int target_open(bench_ctx *ctx, bench_target *t, int kind,
		const char *const *overrides)
{
	rd_kafka_conf_t *conf;
	char err[128];

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	if (kind == BENCH_TM) {
		t->proc = broker_proc_start(ctx->broker_bin, ctx->tmp_base, NULL,
					    overrides, 20000);
		if (!t->proc)
			return -1;
		snprintf(t->bootstrap, sizeof(t->bootstrap), "%s",
			 broker_proc_bootstrap(t->proc));
		return 0;
	}
	/* The mock cluster needs a handle to live in; it is otherwise idle. */
	conf = rd_kafka_conf_new();
	/* Quiet the "no bootstrap.servers" warning of this owner handle. */
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	t->mock_rk = bench_client(RD_KAFKA_PRODUCER, conf);
	t->mcluster = rd_kafka_mock_cluster_new(t->mock_rk, 1);
	if (!t->mcluster) {
		fprintf(stderr, "bench: rd_kafka_mock_cluster_new failed\n");
		rd_kafka_destroy(t->mock_rk);
		t->mock_rk = NULL;
		return -1;
	}
	snprintf(t->bootstrap, sizeof(t->bootstrap), "%s",
		 rd_kafka_mock_cluster_bootstraps(t->mcluster));
	return 0;
}

/* See bench.h. */
void target_close(bench_target *t)
{
	if (t->proc)
		broker_proc_free(t->proc, true);
	if (t->mcluster)
		rd_kafka_mock_cluster_destroy(t->mcluster);
	if (t->mock_rk)
		rd_kafka_destroy(t->mock_rk);
	memset(t, 0, sizeof(*t));
}

/* CreateTopics through the admin API; waits up to 10 s for the answer. */
static int create_topic_admin(bench_target *t, const char *topic,
			      int partitions)
{
	rd_kafka_t *rk = bench_client(RD_KAFKA_PRODUCER, bench_conf(t, NULL));
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_NewTopic_t *nt;
	rd_kafka_event_t *ev;
	char err[256];
	int rc = -1;

	nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof(err));
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 10000);
	if (!ev) {
		fprintf(stderr, "bench: CreateTopics '%s' timed out\n", topic);
	} else if (rd_kafka_event_error(ev)) {
		fprintf(stderr, "bench: CreateTopics '%s': %s\n", topic,
			rd_kafka_event_error_string(ev));
	} else {
		const rd_kafka_CreateTopics_result_t *res =
			rd_kafka_event_CreateTopics_result(ev);
		size_t n;
		const rd_kafka_topic_result_t **tr =
			rd_kafka_CreateTopics_result_topics(res, &n);

		rc = 0;
		if (n != 1 || rd_kafka_topic_result_error(tr[0])) {
			fprintf(stderr, "bench: CreateTopics '%s': %s\n", topic,
				n ? rd_kafka_topic_result_error_string(tr[0])
				  : "no result");
			rc = -1;
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

/* See bench.h. */
int target_create_topic(bench_target *t, const char *topic, int partitions)
{
	if (t->kind == BENCH_MOCK) {
		rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
			t->mcluster, topic, partitions, 1);

		if (err) {
			fprintf(stderr, "bench: mock topic '%s': %s\n", topic,
				rd_kafka_err2str(err));
			return -1;
		}
		return 0;
	}
	return create_topic_admin(t, topic, partitions);
}

/* Delivery counters of one fill; the producer handle's opaque. */
struct fill_stats {
	long acked;
	long failed;
	rd_kafka_resp_err_t first_err;
};

static void fill_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
		       void *opaque)
{
	struct fill_stats *st = opaque;

	(void)rk;
	if (m->err) {
		if (!st->failed++)
			st->first_err = m->err;
	} else {
		st->acked++;
	}
}

/* Produces one record to (topic, part), waiting while the queue is full. */
static int fill_one(rd_kafka_t *rk, const char *topic, int32_t part,
		    void *payload, size_t size, int64_t deadline)
{
	for (;;) {
		rd_kafka_resp_err_t err = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
			RD_KAFKA_V_VALUE(payload, size), RD_KAFKA_V_END);

		if (!err)
			return 0;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fprintf(stderr, "bench: produce: %s\n",
				rd_kafka_err2str(err));
			return -1;
		}
		rd_kafka_poll(rk, 1);
		if (bench_now_us() > deadline)
			return -1;
	}
}

/* See bench.h. */
long target_fill_timed(bench_target *t, const char *topic, int partitions,
		       long n, size_t size, const char *acks, int64_t deadline,
		       int64_t *elapsed_us)
{
	const char *kv[] = { "acks", acks, NULL };
	struct fill_stats st = { 0, 0, 0 };
	rd_kafka_conf_t *conf = bench_conf(t, kv);
	rd_kafka_t *rk;
	char *payload = malloc(size ? size : 1);
	int64_t t0;
	long i;
	bool late = false;

	memset(payload, 'x', size ? size : 1);
	rd_kafka_conf_set_dr_msg_cb(conf, fill_dr_cb);
	rd_kafka_conf_set_opaque(conf, &st);
	rk = bench_client(RD_KAFKA_PRODUCER, conf);
	t0 = bench_now_us();
	for (i = 0; i < n && !late; i++) {
		if (fill_one(rk, topic, (int32_t)(i % partitions), payload, size,
			     deadline) < 0)
			late = true;
		if ((i & 1023) == 0)
			rd_kafka_poll(rk, 0);
	}
	while (!late && rd_kafka_outq_len(rk) > 0) {
		rd_kafka_flush(rk, 100);
		if (bench_now_us() > deadline)
			late = true;
	}
	if (elapsed_us)
		*elapsed_us = bench_now_us() - t0;
	if (late) {
		rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE |
				       RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(rk, 1000);
	}
	if (st.failed)
		fprintf(stderr, "bench: %ld deliveries to '%s' failed: %s\n",
			st.failed, topic, rd_kafka_err2str(st.first_err));
	rd_kafka_destroy(rk);
	free(payload);
	return late ? -1 : st.acked;
}

/* See bench.h. */
long target_fill(bench_target *t, const char *topic, int partitions, long n,
		 size_t size, const char *acks, int64_t deadline)
{
	return target_fill_timed(t, topic, partitions, n, size, acks, deadline,
				 NULL);
}

/* See bench.h. */
long target_count(bench_target *t, const char *topic, int partitions)
{
	rd_kafka_t *rk = bench_client(RD_KAFKA_PRODUCER, bench_conf(t, NULL));
	long total = 0;

	for (int32_t p = 0; p < partitions; p++) {
		int64_t lo, hi;

		if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi,
						     5000)) {
			total = -1;
			break;
		}
		total += (long)(hi - lo);
	}
	rd_kafka_destroy(rk);
	return total;
}

/* See bench.h. */
long target_count_wait(bench_target *t, const char *topic, int partitions,
		       long expect, int timeout_ms)
{
	int64_t deadline = bench_now_us() + (int64_t)timeout_ms * 1000;
	long n;

	while ((n = target_count(t, topic, partitions)) != expect &&
	       bench_now_us() < deadline)
		usleep(10000);
	return n;
}

/* See bench.h. */
double target_cpu_s(const bench_target *t)
{
	return t->proc ? broker_proc_cpu_s(t->proc) : -1;
}

/* See bench.h. */
double target_hwm_mb(const bench_target *t)
{
	long hwm, rss;

	if (!t->proc || broker_proc_mem_kb(t->proc, &hwm, &rss) < 0 || hwm < 0)
		return -1;
	return (double)hwm / 1024.0;
}
