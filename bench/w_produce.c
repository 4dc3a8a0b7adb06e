/*
 * w_produce.c: workload 1, produce throughput.
 *
 * 1,000,000 records of 100 B and 200,000 of 1 KiB, each with acks=all and
 * acks=1, into fresh 64-partition topics, round-robin over the partitions
 * (explicit partition: the default partitioner spreads keyless records
 * unevenly, and the mock keeps only ~5 MiB per partition). Time runs from
 * the first produce call until the last delivery report; every record must
 * be acknowledged, and the topic must then hold them all, or the run fails.
 * Client settings: librdkafka defaults plus acks.
 */
#include "bench.h"

#include <stdio.h>

#define W_PRODUCE_PARTITIONS 64

struct produce_case {
	const char *name;
	long count;
	size_t size;
	const char *acks;
};

static const struct produce_case cases[] = {
	{ "produce 1M x 100 B acks=all", 1000000, 100, "all" },
	{ "produce 1M x 100 B acks=1", 1000000, 100, "1" },
	{ "produce 200k x 1 KiB acks=all", 200000, 1024, "all" },
	{ "produce 200k x 1 KiB acks=1", 200000, 1024, "1" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Runs one case against t and fills row's cell for t->kind. */
static void produce_case_run(bench_ctx *ctx, bench_target *t,
			     const struct produce_case *pc, int idx,
			     bench_row *row)
{
	long n = bench_scaled(ctx, pc->count, 1000);
	char topic[64], text[48];
	int64_t elapsed;
	double cpu0, rate;
	long acked, there;

	snprintf(topic, sizeof(topic), "bench-produce-%d", idx);
	if (target_create_topic(t, topic, W_PRODUCE_PARTITIONS) < 0) {
		bench_cell_fail(ctx, row, t->kind, "cannot create topic");
		return;
	}
	cpu0 = target_cpu_s(t);
	acked = target_fill_timed(t, topic, W_PRODUCE_PARTITIONS, n, pc->size,
				  pc->acks, bench_deadline(ctx, 60), &elapsed);
	if (t->kind == BENCH_TM) {
		row->cpu_per_1m = (target_cpu_s(t) - cpu0) * 1e6 / (double)n;
		row->rss_mb = target_hwm_mb(t);
	}
	if (acked < 0) {
		bench_cell_timeout(row, t->kind);
		return;
	}
	if (acked != n) {
		bench_cell_fail(ctx, row, t->kind, "records not acknowledged");
		return;
	}
	there = target_count_wait(t, topic, W_PRODUCE_PARTITIONS, n, 5000);
	if (there != n) {
		fprintf(stderr, "  %s: %ld of %ld records in the log\n",
			row->name, there, n);
		bench_cell_fail(ctx, row, t->kind, "acknowledged records missing");
		return;
	}
	rate = (double)n * 1e6 / (double)elapsed;
	bench_cell_set(row, t->kind, rate, "%.0f");
	snprintf(text, sizeof(text), "%.0fk (%.1f MB/s)", rate / 1000,
		 rate * (double)pc->size / 1e6);
	snprintf(row->cell[t->kind].text, sizeof(row->cell[t->kind].text),
		 "%s", text);
}

/* See bench.h. */
void w_produce_run(bench_ctx *ctx)
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
			produce_case_run(ctx, &t, &cases[i], (int)i, rows[i]);
		target_close(&t);
	}
}
