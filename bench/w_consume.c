/*
 * w_consume.c: workload 2, consume throughput in a group.
 *
 * Fills a 64-partition topic (round-robin, acks=1, untimed) with the
 * records of workload 1, checks how many are really there (the mock drops
 * batches past ~5 MiB per partition silently), then times one group member
 * reading all of them from the start: from the first record received until
 * the last, so the join itself is not counted (workload 5 times that).
 * Client settings: librdkafka defaults plus group.id and
 * auto.offset.reset=earliest.
 */
#include "bench.h"

#include <stdio.h>

#define W_CONSUME_PARTITIONS 64

struct consume_case {
	const char *name;
	long count;
	size_t size;
};

static const struct consume_case cases[] = {
	{ "consume 1M x 100 B, 64 partitions", 1000000, 100 },
	{ "consume 200k x 1 KiB, 64 partitions", 200000, 1024 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/*
 * Reads expect records of topic from the start in a new group. Returns the
 * number read (stops at expect or at the deadline) and the time from the
 * first record to the last in *elapsed_us.
 */
static long consume_all(bench_target *t, const char *topic, long expect,
			int64_t deadline, int64_t *elapsed_us)
{
	char group[96];
	const char *kv[] = { "group.id", group, "auto.offset.reset", "earliest",
			     NULL };
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_t *rk;
	int64_t first = 0, last = 0;
	long got = 0;

	snprintf(group, sizeof(group), "bench-consume-%s", topic);
	rk = bench_client(RD_KAFKA_CONSUMER, bench_conf(t, kv));
	rd_kafka_poll_set_consumer(rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	while (got < expect && bench_now_us() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (!m)
			continue;
		if (!m->err) {
			last = bench_now_us();
			if (!got++)
				first = last;
		} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			fprintf(stderr, "  consume: %s\n",
				rd_kafka_message_errstr(m));
		}
		rd_kafka_message_destroy(m);
	}
	*elapsed_us = last - first;
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return got;
}

/* Runs one case against t and fills row's cell for t->kind. */
static void consume_case_run(bench_ctx *ctx, bench_target *t,
			     const struct consume_case *cc, int idx,
			     bench_row *row)
{
	long n = bench_scaled(ctx, cc->count, 1000);
	char topic[64], text[48];
	int64_t elapsed;
	double cpu0, rate;
	long there, got;

	snprintf(topic, sizeof(topic), "bench-consume-%d", idx);
	if (target_create_topic(t, topic, W_CONSUME_PARTITIONS) < 0 ||
	    target_fill(t, topic, W_CONSUME_PARTITIONS, n, cc->size, "1",
			bench_deadline(ctx, 60)) != n) {
		bench_cell_fail(ctx, row, t->kind, "cannot fill the topic");
		return;
	}
	there = target_count_wait(t, topic, W_CONSUME_PARTITIONS, n, 5000);
	if (there != n) {
		fprintf(stderr, "  %s: only %ld of %ld records kept\n",
			row->name, there, n);
		bench_cell_fail(ctx, row, t->kind, "records missing");
		return;
	}
	cpu0 = target_cpu_s(t);
	got = consume_all(t, topic, n, bench_deadline(ctx, 60), &elapsed);
	if (t->kind == BENCH_TM) {
		row->cpu_per_1m = (target_cpu_s(t) - cpu0) * 1e6 / (double)n;
		row->rss_mb = target_hwm_mb(t);
	}
	if (got < n || elapsed <= 0) {
		fprintf(stderr, "  %s: read %ld of %ld before the deadline\n",
			row->name, got, n);
		bench_cell_timeout(row, t->kind);
		return;
	}
	rate = (double)n * 1e6 / (double)elapsed;
	bench_cell_set(row, t->kind, rate, "%.0f");
	snprintf(text, sizeof(text), "%.0fk (%.1f MB/s)", rate / 1000,
		 rate * (double)cc->size / 1e6);
	snprintf(row->cell[t->kind].text, sizeof(row->cell[t->kind].text),
		 "%s", text);
}

/* See bench.h. */
void w_consume_run(bench_ctx *ctx)
{
	bench_row *rows[NCASES];

	for (size_t i = 0; i < NCASES; i++)
		rows[i] = bench_row_add(ctx, cases[i].name, "rec/s (MB/s)",
					false);
	for (int kind = 0; kind < BENCH_NKIND; kind++) {
		bench_target t;

		if (target_open(ctx, &t, kind, NULL) < 0) {
			for (size_t i = 0; i < NCASES; i++)
				bench_cell_fail(ctx, rows[i], kind,
						"broker did not start");
			continue;
		}
		for (size_t i = 0; i < NCASES; i++)
			consume_case_run(ctx, &t, &cases[i], (int)i, rows[i]);
		target_close(&t);
	}
}
