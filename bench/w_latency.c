/*
 * w_latency.c: workload 4, end-to-end latency at 1,000 messages/s.
 *
 * A producer thread sends 100-byte records at a steady 1,000/s (absolute
 * clock_nanosleep pacing), round-robin over 4 partitions, each carrying its
 * send time (CLOCK_MONOTONIC, same process). One group member polls them;
 * latency = receive time - send time. Before the timed phase one warm-up
 * record per partition must arrive, so the join and the first fetches are
 * not counted. Runs twice: client defaults (librdkafka 2.0 defaults: acks=all,
 * linger.ms=5, fetch.wait.max.ms=500) and with fetch.wait.max.ms=5 on the
 * consumer.
 */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define W_LATENCY_PARTS 4
#define W_LATENCY_SIZE 100

/* The producer thread's job. */
struct lat_producer {
	rd_kafka_t *rk;    /* shared by the warm-up and the timed phase */
	const char *topic;
	long n;            /* timed records */
	int64_t deadline;
	long failed;       /* produce calls refused */
};

/* Produces one record stamped with the current time. */
static void lat_send(rd_kafka_t *rk, long i, struct lat_producer *lp)
{
	char buf[W_LATENCY_SIZE];
	int64_t now = bench_now_us();

	memset(buf, 'l', sizeof(buf));
	memcpy(buf, &now, sizeof(now));
	if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(lp->topic),
			      RD_KAFKA_V_PARTITION((int32_t)(i % W_LATENCY_PARTS)),
			      RD_KAFKA_V_VALUE(buf, sizeof(buf)),
			      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			      RD_KAFKA_V_END))
		lp->failed++;
	rd_kafka_poll(rk, 0);
}

/* Sleeps until absolute monotonic time us. */
static void sleep_until(int64_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
			       .tv_nsec = (long)(us % 1000000) * 1000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
		;
}

/* Thread: paced sends, then a bounded flush. */
static void *lat_producer_main(void *arg)
{
	struct lat_producer *lp = arg;
	int64_t start = bench_now_us() + 1000;

	for (long i = 0; i < lp->n && bench_now_us() < lp->deadline; i++) {
		sleep_until(start + i * 1000);
		lat_send(lp->rk, i, lp);
	}
	rd_kafka_flush(lp->rk, 5000);
	return NULL;
}

/* Creates the consumer, subscribed. */
static rd_kafka_t *lat_consumer(bench_target *t, const char *group,
				const char *fetch_wait)
{
	const char *topic = group; /* one topic per case, named as its group */
	const char *kv[] = { "group.id", group, "auto.offset.reset", "earliest",
			     fetch_wait ? "fetch.wait.max.ms" : NULL, fetch_wait,
			     NULL };
	rd_kafka_t *rk = bench_client(RD_KAFKA_CONSUMER, bench_conf(t, kv));
	rd_kafka_topic_partition_list_t *sub;

	rd_kafka_poll_set_consumer(rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic,
					  RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	return rk;
}

/*
 * Receives up to want records into lat_us (when not NULL). Returns how
 * many arrived before the deadline.
 */
static long lat_receive(rd_kafka_t *rk, long want, int64_t *lat_us,
			int64_t deadline)
{
	long got = 0;

	while (got < want && bench_now_us() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
		int64_t now = bench_now_us(), sent;

		if (!m)
			continue;
		if (!m->err && m->len >= sizeof(sent)) {
			memcpy(&sent, m->payload, sizeof(sent));
			if (lat_us)
				lat_us[got] = now - sent;
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	return got;
}

/* One case against t; fills row's cell for t->kind. */
static void latency_case(bench_ctx *ctx, bench_target *t, const char *group,
			 const char *fetch_wait, bench_row *row)
{
	struct lat_producer lp = { NULL, group, bench_scaled(ctx, 5000, 300), 0,
				   0 };
	int64_t *lat = calloc((size_t)lp.n, sizeof(int64_t));
	rd_kafka_t *rk;
	pthread_t th;
	long got;
	double cpu0;

	if (target_create_topic(t, group, W_LATENCY_PARTS) < 0) {
		bench_cell_fail(ctx, row, t->kind, "cannot create topic");
		free(lat);
		return;
	}
	rk = lat_consumer(t, group, fetch_wait);
	lp.rk = bench_client(RD_KAFKA_PRODUCER, bench_conf(t, NULL));

	/* Warm-up: one record per partition, so the producer knows the
	 * topic and the consumer has joined and is fetching everywhere. */
	lp.n = W_LATENCY_PARTS;
	lp.deadline = bench_deadline(ctx, 20);
	lat_producer_main(&lp);
	if (lat_receive(rk, W_LATENCY_PARTS, NULL, lp.deadline) <
	    W_LATENCY_PARTS) {
		bench_cell_timeout(row, t->kind);
		goto out;
	}
	lp.n = bench_scaled(ctx, 5000, 300);
	lp.deadline = bench_deadline(ctx, 30);
	cpu0 = target_cpu_s(t);
	pthread_create(&th, NULL, lat_producer_main, &lp);
	got = lat_receive(rk, lp.n, lat, lp.deadline + 2000000);
	pthread_join(th, NULL);
	if (t->kind == BENCH_TM) {
		row->cpu_per_1m = (target_cpu_s(t) - cpu0) * 1e6 / (double)lp.n;
		row->rss_mb = target_hwm_mb(t);
	}
	if (got < lp.n) {
		fprintf(stderr, "  %s: %ld of %ld records arrived\n", row->name,
			got, lp.n);
		bench_cell_timeout(row, t->kind);
	} else {
		bench_cell_latency(row, t->kind, lat, (size_t)got);
	}
out:
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	rd_kafka_destroy(lp.rk);
	free(lat);
}

/* See bench.h. */
void w_latency_run(bench_ctx *ctx)
{
	bench_row *def = bench_row_add(ctx, "e2e latency 1000 msg/s, defaults",
				       "ms p50/p99/p999", true);
	bench_row *fw5 = bench_row_add(ctx, "e2e latency 1000 msg/s, fetch.wait.max.ms=5",
				       "ms p50/p99/p999", true);

	for (int kind = 0; kind < BENCH_NKIND; kind++) {
		bench_target t;

		if (target_open(ctx, &t, kind, NULL) < 0) {
			bench_cell_fail(ctx, def, kind, "broker did not start");
			continue;
		}
		latency_case(ctx, &t, "bench-latency-defaults", NULL, def);
		latency_case(ctx, &t, "bench-latency-fw5", "5", fw5);
		target_close(&t);
	}
}
