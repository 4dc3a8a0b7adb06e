/*
 * w_restart.c: workload 6 (tidemark only), restart time and memory.
 *
 *   1. start a broker (tidemark.commit.fsync=false, only to write the
 *      commits below quickly) and read its idle VmRSS;
 *   2. create a topic of 1,000 partitions, write one record to each, and
 *      read VmRSS again;
 *   3. write 1,000,000 commit records into __consumer_offsets: one simple
 *      group (no members) committing all 1,000 partitions per OffsetCommit
 *      (each partition is one record), 1,000 times, async with a bounded
 *      number in flight; every commit must succeed;
 *   4. SIGTERM, restart on the same data directory (default settings), and
 *      time from fork until rd_kafka_committed (OffsetFetch) returns the
 *      last committed offsets: the restart time. The values must match.
 * The mock column stays empty: the mock keeps nothing across a restart.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W_RESTART_TOPIC "bench-restart"
#define W_RESTART_PARTS 1000
#define W_RESTART_GROUP "bench-restart"
#define W_RESTART_INFLIGHT 16

/* Async commit bookkeeping (the committer's opaque). */
struct restart_commits {
	long answered;
	long failed;
};

static void restart_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			      rd_kafka_topic_partition_list_t *offsets,
			      void *opaque)
{
	struct restart_commits *rc = opaque;

	(void)rk;
	rc->answered++;
	if (err) {
		if (!rc->failed++)
			fprintf(stderr, "  restart: commit failed: %s\n",
				rd_kafka_err2str(err));
		return;
	}
	for (int i = 0; offsets && i < offsets->cnt; i++)
		if (offsets->elems[i].err && !rc->failed++)
			fprintf(stderr, "  restart: commit failed: %s\n",
				rd_kafka_err2str(offsets->elems[i].err));
}

/* A consumer handle of the group, not subscribed (commits and fetches). */
static rd_kafka_t *restart_client(bench_target *t, struct restart_commits *rc)
{
	const char *kv[] = { "group.id", W_RESTART_GROUP, "enable.auto.commit",
			     "false", NULL };
	rd_kafka_conf_t *conf = bench_conf(t, kv);
	rd_kafka_t *rk;

	if (rc) {
		rd_kafka_conf_set_offset_commit_cb(conf, restart_commit_cb);
		rd_kafka_conf_set_opaque(conf, rc);
	}
	rk = bench_client(RD_KAFKA_CONSUMER, conf);
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* A list of every partition of the topic at offset off. */
static rd_kafka_topic_partition_list_t *all_parts(int64_t off)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(W_RESTART_PARTS);

	for (int32_t p = 0; p < W_RESTART_PARTS; p++)
		rd_kafka_topic_partition_list_add(l, W_RESTART_TOPIC, p)->offset =
			off;
	return l;
}

/* Serves callbacks (and drops any message: nothing is assigned). */
static void serve(rd_kafka_t *rk, int ms)
{
	rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, ms);

	if (m)
		rd_kafka_message_destroy(m);
}

/*
 * Commits rounds x W_RESTART_PARTS records. Returns the records per second,
 * 0 on timeout, -1 when a commit failed.
 */
static double restart_fill(bench_target *t, long rounds, int64_t deadline)
{
	struct restart_commits rc = { 0, 0 };
	rd_kafka_t *rk = restart_client(t, &rc);
	int64_t t0 = bench_now_us();
	double rate = 0;
	long sent;

	for (sent = 0; sent < rounds && bench_now_us() < deadline; sent++) {
		rd_kafka_topic_partition_list_t *l = all_parts(sent + 1);

		while (sent - rc.answered >= W_RESTART_INFLIGHT &&
		       bench_now_us() < deadline)
			serve(rk, 5);
		rd_kafka_commit(rk, l, 1);
		rd_kafka_topic_partition_list_destroy(l);
	}
	while (rc.answered < sent && bench_now_us() < deadline)
		serve(rk, 5);
	if (rc.failed)
		rate = -1;
	else if (rc.answered == rounds)
		rate = (double)rounds * W_RESTART_PARTS * 1e6 /
		       (double)(bench_now_us() - t0);
	rd_kafka_destroy(rk);
	return rate;
}

/*
 * Polls OffsetFetch until it answers with offset want for the first and
 * last partition. Returns 0, 1 on timeout, -1 on a wrong value.
 */
static int restart_fetch(bench_target *t, int64_t want, int64_t deadline)
{
	rd_kafka_t *rk = restart_client(t, NULL);
	int rc = 1;

	while (rc == 1 && bench_now_us() < deadline) {
		rd_kafka_topic_partition_list_t *l =
			rd_kafka_topic_partition_list_new(2);

		rd_kafka_topic_partition_list_add(l, W_RESTART_TOPIC, 0);
		rd_kafka_topic_partition_list_add(l, W_RESTART_TOPIC,
						  W_RESTART_PARTS - 1);
		if (!rd_kafka_committed(rk, l, 1000) && !l->elems[0].err &&
		    !l->elems[1].err) {
			rc = l->elems[0].offset == want &&
					     l->elems[1].offset == want
				     ? 0
				     : -1;
			if (rc)
				fprintf(stderr, "  restart: committed %lld/%lld, "
					"expected %lld\n",
					(long long)l->elems[0].offset,
					(long long)l->elems[1].offset,
					(long long)want);
		}
		rd_kafka_topic_partition_list_destroy(l);
	}
	rd_kafka_destroy(rk);
	return rc;
}

static double rss_mb(const broker_proc *p)
{
	long hwm, rss;

	broker_proc_mem_kb(p, &hwm, &rss);
	return rss < 0 ? -1 : (double)rss / 1024.0;
}

/* Steps 3 and 4 on the broker in t (step 1 and 2 done). */
static void restart_measure(bench_ctx *ctx, bench_target *t, bench_row *gen,
			    bench_row *rst)
{
	static const char *const defaults[] = { NULL };
	long rounds = bench_scaled(ctx, 1000, 10);
	double rate = restart_fill(t, rounds, bench_deadline(ctx, 90));
	char dir[512];
	int64_t t0;
	int rc;

	if (rate <= 0) {
		if (rate < 0)
			bench_cell_fail(ctx, gen, BENCH_TM, "commits failed");
		else
			bench_cell_timeout(gen, BENCH_TM);
		return;
	}
	bench_cell_set(gen, BENCH_TM, rate, "%.0f");
	snprintf(dir, sizeof(dir), "%s", broker_proc_dir(t->proc));
	broker_proc_free(t->proc, false);
	t0 = bench_now_us();
	t->proc = broker_proc_start(ctx->broker_bin, ctx->tmp_base, dir,
				    defaults, 60000);
	if (!t->proc) {
		bench_cell_fail(ctx, rst, BENCH_TM, "restart failed");
		return;
	}
	snprintf(t->bootstrap, sizeof(t->bootstrap), "%s",
		 broker_proc_bootstrap(t->proc));
	rc = restart_fetch(t, rounds, bench_deadline(ctx, 30));
	if (rc < 0) {
		bench_cell_fail(ctx, rst, BENCH_TM, "committed offsets lost");
	} else if (rc > 0) {
		bench_cell_timeout(rst, BENCH_TM);
	} else {
		bench_cell_set(rst, BENCH_TM,
			       (double)(bench_now_us() - t0) / 1000.0, "%.0f");
		snprintf(rst->cell[BENCH_TM].text + strlen(rst->cell[BENCH_TM].text),
			 sizeof(rst->cell[BENCH_TM].text) -
				 strlen(rst->cell[BENCH_TM].text),
			 " (up %.0f)",
			 (double)broker_proc_ready_us(t->proc) / 1000.0);
	}
	rst->rss_mb = target_hwm_mb(t);
}

/* See bench.h. */
void w_restart_run(bench_ctx *ctx)
{
	static const char *const nofsync[] = { "tidemark.commit.fsync=false",
					       NULL };
	bench_row *idle = bench_row_add(ctx, "tm RSS idle", "MB", true);
	bench_row *parts = bench_row_add(ctx, "tm RSS with 1,000 partitions",
					 "MB", true);
	bench_row *gen = bench_row_add(ctx, "tm write 1M commit records, no fsync",
				       "records/s", false);
	bench_row *rst = bench_row_add(ctx, "tm restart w/ 1M commits to OffsetFetch",
				       "ms (listening)", true);
	bench_target t;
	long n;

	if (target_open(ctx, &t, BENCH_TM, nofsync) < 0) {
		bench_cell_fail(ctx, idle, BENCH_TM, "broker did not start");
		return;
	}
	bench_cell_set(idle, BENCH_TM, rss_mb(t.proc), "%.1f");
	idle->rss_mb = target_hwm_mb(&t);
	n = target_create_topic(&t, W_RESTART_TOPIC, W_RESTART_PARTS) < 0
		    ? -1
		    : target_fill(&t, W_RESTART_TOPIC, W_RESTART_PARTS,
				  W_RESTART_PARTS, 100, "all",
				  bench_deadline(ctx, 30));
	if (n != W_RESTART_PARTS) {
		bench_cell_fail(ctx, parts, BENCH_TM, "cannot fill 1,000 partitions");
		target_close(&t);
		return;
	}
	bench_cell_set(parts, BENCH_TM, rss_mb(t.proc), "%.1f");
	parts->rss_mb = target_hwm_mb(&t);
	restart_measure(ctx, &t, gen, rst);
	target_close(&t);
}
