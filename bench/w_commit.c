/*
 * w_commit.c: workload 3, a commit after every message.
 *
 * One member of a new group reads a one-partition topic from the start and
 * commits each message's offset + 1 right after receiving it:
 *   - commitSync (rd_kafka_commit_message async=0) for 20,000 messages; the
 *     latency is the time the call blocks;
 *   - commitAsync (async=1) for 100,000 messages; the latency runs from the
 *     call until its offset_commit_cb (one partition, so the committed
 *     offset names the call).
 * Rate = commits / time from the first message until the last commit is
 * answered. Afterwards the group's committed offset (OffsetFetch through
 * rd_kafka_committed) must equal last consumed + 1, or the run fails.
 * On tidemark, commitSync runs twice: durable (default) and with
 * tidemark.commit.fsync=false; the mock column repeats the mock's figure.
 * Client settings: defaults plus group.id, enable.auto.commit=false,
 * auto.offset.reset=earliest.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W_COMMIT_TOPIC "bench-commit"
#define W_COMMIT_RECORD 10 /* bytes: 100k records stay under the mock's cap */

/* One run's results and the async bookkeeping (the consumer's opaque). */
struct commit_run {
	long n;              /* commits wanted */
	bool async;          /* commit_cb counts only async commits */
	long done;           /* commits answered */
	long errors;
	int64_t *sent_us;    /* [offset]: when commit of offset+1 was issued */
	int64_t *lat_us;     /* latencies of answered commits */
	long nlat;
	int64_t first_us, last_us;
	int64_t last_offset; /* last consumed */
};

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
		      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	struct commit_run *cr = opaque;
	int64_t now = bench_now_us();

	(void)rk;
	/* librdkafka calls this for synchronous commits too. */
	if (!cr->async || err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	for (int i = 0; offsets && i < offsets->cnt; i++) {
		int64_t off = offsets->elems[i].offset - 1;

		if (err || offsets->elems[i].err) {
			cr->errors++;
			continue;
		}
		if (off >= 0 && off < cr->n && cr->sent_us[off] &&
		    cr->nlat < cr->n)
			cr->lat_us[cr->nlat++] = now - cr->sent_us[off];
		cr->done++;
		cr->last_us = now;
	}
}

/* Creates the group member and subscribes it. */
static rd_kafka_t *commit_consumer(bench_target *t, const char *group,
				   struct commit_run *cr)
{
	const char *kv[] = { "group.id", group, "enable.auto.commit", "false",
			     "auto.offset.reset", "earliest", NULL };
	rd_kafka_conf_t *conf = bench_conf(t, kv);
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_t *rk;

	rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
	rd_kafka_conf_set_opaque(conf, cr);
	rk = bench_client(RD_KAFKA_CONSUMER, conf);
	rd_kafka_poll_set_consumer(rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, W_COMMIT_TOPIC,
					  RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	return rk;
}

/* Commits one message; sync commits are answered when this returns. */
static void commit_one(rd_kafka_t *rk, struct commit_run *cr,
		       const rd_kafka_message_t *m, bool async)
{
	int64_t t0 = bench_now_us();
	rd_kafka_resp_err_t err;

	if (m->offset >= 0 && m->offset < cr->n)
		cr->sent_us[m->offset] = t0;
	err = rd_kafka_commit_message(rk, m, async);
	if (async)
		return;
	if (err) {
		cr->errors++;
		return;
	}
	cr->last_us = bench_now_us();
	if (cr->nlat < cr->n)
		cr->lat_us[cr->nlat++] = cr->last_us - t0;
	cr->done++;
}

/* Reads back the committed offset; returns it or a negative value. */
static int64_t committed_offset(rd_kafka_t *rk)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	int64_t off = -1001;

	rd_kafka_topic_partition_list_add(l, W_COMMIT_TOPIC, 0);
	if (!rd_kafka_committed(rk, l, 10000) && !l->elems[0].err)
		off = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	return off;
}

/*
 * Consumes and commits cr->n messages in group. Returns 0 (done), 1 (the
 * deadline passed) or -1 (functional failure, reason printed).
 */
static int commit_loop(bench_target *t, const char *group, bool async,
		       struct commit_run *cr, int64_t deadline)
{
	rd_kafka_t *rk = commit_consumer(t, group, cr);
	long got = 0;
	int rc = 0;

	cr->last_offset = -1;
	while (got < cr->n && bench_now_us() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (!m)
			continue;
		if (!m->err) {
			if (!got++)
				cr->first_us = bench_now_us();
			cr->last_offset = m->offset;
			commit_one(rk, cr, m, async);
		}
		rd_kafka_message_destroy(m);
	}
	while (async && cr->done + cr->errors < got &&
	       bench_now_us() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10);

		if (m) /* past our n: not committed, not counted */
			rd_kafka_message_destroy(m);
	}
	if (got < cr->n || cr->done + cr->errors < got) {
		rc = 1;
	} else if (cr->errors) {
		fprintf(stderr, "  %s: %ld commits failed\n", group, cr->errors);
		rc = -1;
	} else if (committed_offset(rk) != cr->last_offset + 1) {
		fprintf(stderr, "  %s: committed %lld, expected %lld\n", group,
			(long long)committed_offset(rk),
			(long long)cr->last_offset + 1);
		rc = -1;
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return rc;
}

/* Fills rate row and latency row of kind from one commit loop. */
static void commit_case(bench_ctx *ctx, bench_target *t, const char *group,
			long n, bool async, bench_row *rate, bench_row *lat)
{
	struct commit_run cr;
	double cpu0 = target_cpu_s(t);
	int rc;

	memset(&cr, 0, sizeof(cr));
	cr.n = n;
	cr.async = async;
	cr.sent_us = calloc((size_t)n, sizeof(int64_t));
	cr.lat_us = calloc((size_t)n, sizeof(int64_t));
	rc = commit_loop(t, group, async, &cr, bench_deadline(ctx, 40));
	if (t->kind == BENCH_TM) {
		rate->cpu_per_1m = (target_cpu_s(t) - cpu0) * 1e6 / (double)n;
		rate->rss_mb = target_hwm_mb(t);
	}
	if (rc < 0) {
		bench_cell_fail(ctx, rate, t->kind, "committed offsets wrong");
	} else if (rc > 0) {
		bench_cell_timeout(rate, t->kind);
		bench_cell_timeout(lat, t->kind);
	} else {
		bench_cell_set(rate, t->kind,
			       (double)n * 1e6 /
				       (double)(cr.last_us - cr.first_us),
			       "%.0f");
		bench_cell_latency(lat, t->kind, cr.lat_us, (size_t)cr.nlat);
	}
	free(cr.sent_us);
	free(cr.lat_us);
}

/* Starts a broker of kind with its filled topic; 0 or -1. */
static int commit_target(bench_ctx *ctx, bench_target *t, int kind,
			 const char *const *overrides, long n)
{
	if (target_open(ctx, t, kind, overrides) < 0)
		return -1;
	if (target_create_topic(t, W_COMMIT_TOPIC, 1) < 0 ||
	    target_fill(t, W_COMMIT_TOPIC, 1, n, W_COMMIT_RECORD, "all",
			bench_deadline(ctx, 30)) != n ||
	    target_count_wait(t, W_COMMIT_TOPIC, 1, n, 5000) != n) {
		target_close(t);
		return -1;
	}
	return 0;
}

/* See bench.h. */
void w_commit_run(bench_ctx *ctx)
{
	static const char *const nofsync[] = { "tidemark.commit.fsync=false",
					       NULL };
	long nsync = bench_scaled(ctx, 20000, 200);
	long nasync = bench_scaled(ctx, 100000, 1000);
	bench_row *srate = bench_row_add(ctx, "commitSync per msg (20k)",
					 "commits/s", false);
	bench_row *slat = bench_row_add(ctx, "commitSync latency", "ms p50/p99/p999",
					true);
	bench_row *frate = bench_row_add(ctx, "commitSync, tm commit.fsync=false",
					 "commits/s", false);
	bench_row *flat = bench_row_add(ctx, "commitSync latency, commit.fsync=false",
					"ms p50/p99/p999", true);
	bench_row *arate = bench_row_add(ctx, "commitAsync per msg (100k)",
					 "commits/s", false);
	bench_row *alat = bench_row_add(ctx, "commitAsync latency",
					"ms p50/p99/p999", true);

	for (int kind = 0; kind < BENCH_NKIND; kind++) {
		bench_target t;

		if (commit_target(ctx, &t, kind, NULL, nasync) < 0) {
			bench_cell_fail(ctx, srate, kind, "broker setup failed");
			continue;
		}
		commit_case(ctx, &t, "bench-commit-sync", nsync, false, srate,
			    slat);
		commit_case(ctx, &t, "bench-commit-async", nasync, true, arate,
			    alat);
		target_close(&t);
	}
	/* The mock has no fsync to turn off: its column repeats its figure. */
	frate->cell[BENCH_MOCK] = srate->cell[BENCH_MOCK];
	flat->cell[BENCH_MOCK] = slat->cell[BENCH_MOCK];
	{
		bench_target t;

		if (commit_target(ctx, &t, BENCH_TM, nofsync, nsync) < 0) {
			bench_cell_fail(ctx, frate, BENCH_TM, "broker setup failed");
			return;
		}
		commit_case(ctx, &t, "bench-commit-nofsync", nsync, false,
			    frate, flat);
		target_close(&t);
	}
}
