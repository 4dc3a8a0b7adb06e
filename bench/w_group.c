/*
 * w_group.c: workload 5, group join and rebalance times.
 *
 * Topic of 8 partitions; consumers with client defaults (classic eager
 * protocol, range/roundrobin, heartbeat.interval.ms=3000). Each consumer
 * polls in its own thread; its rebalance callback records what it owns.
 *   - 1 consumer: time from subscribe until its first assignment;
 *   - 4 consumers subscribing at the same instant: time until every one of
 *     them owns something and together they own all 8 partitions exactly
 *     (the group is stable with all four);
 *   - then one of the four closes (LeaveGroup): time from the close call
 *     until the three survivors have each been assigned again and together
 *     own all 8.
 */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define W_GROUP_TOPIC "bench-group"
#define W_GROUP_PARTS 8
#define W_GROUP_MAX 4

/* One member; fields below the mutex line are guarded by grp->lock. */
struct member {
	struct group_run *grp;
	bench_target *t;
	pthread_t th;
	volatile int stop;  /* set by the main thread: 1 close and exit, 2 exit
			     * without LeaveGroup (the mock would keep a
			     * pending JoinGroup open for many seconds) */
	/* ---- guarded by grp->lock ---- */
	int owned;          /* partitions currently assigned */
	long assigns;       /* assignment events seen */
	int64_t assigned_us;/* time of the last assignment event */
};

struct group_run {
	pthread_mutex_t lock;
	char group[64];
	int64_t start_us;   /* subscribe instant */
	int n;
	struct member m[W_GROUP_MAX];
};

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct member *mb = opaque;
	bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;

	rd_kafka_assign(rk, assign ? parts : NULL);
	pthread_mutex_lock(&mb->grp->lock);
	mb->owned = assign ? parts->cnt : 0;
	if (assign) {
		mb->assigns++;
		mb->assigned_us = bench_now_us();
	}
	pthread_mutex_unlock(&mb->grp->lock);
}

/* Member thread: wait for the start instant, subscribe, poll until told. */
static void *member_main(void *arg)
{
	struct member *mb = arg;
	const char *kv[] = { "group.id", mb->grp->group, NULL };
	rd_kafka_conf_t *conf = bench_conf(mb->t, kv);
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_t *rk;

	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_opaque(conf, mb);
	rk = bench_client(RD_KAFKA_CONSUMER, conf);
	rd_kafka_poll_set_consumer(rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, W_GROUP_TOPIC,
					  RD_KAFKA_PARTITION_UA);
	while (bench_now_us() < mb->grp->start_us)
		usleep(100);
	rd_kafka_subscribe(rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	while (!mb->stop) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10);

		if (m)
			rd_kafka_message_destroy(m);
	}
	if (mb->stop == 1) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	} else {
		rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	}
	return NULL;
}

/*
 * True when members [0, n) other than skip each had an assignment after
 * since_us, own something, and together own every partition.
 */
static bool group_settled(struct group_run *g, int skip, int64_t since_us,
			  int64_t *at_us)
{
	int total = 0;
	bool ok = true;

	pthread_mutex_lock(&g->lock);
	*at_us = 0;
	for (int i = 0; i < g->n; i++) {
		const struct member *mb = &g->m[i];

		if (i == skip)
			continue;
		if (!mb->assigns || mb->assigned_us < since_us || !mb->owned)
			ok = false;
		total += mb->owned;
		if (mb->assigned_us > *at_us)
			*at_us = mb->assigned_us;
	}
	pthread_mutex_unlock(&g->lock);
	return ok && total == W_GROUP_PARTS;
}

/* Waits until group_settled or the deadline. Returns ms, or -1. */
static double wait_settled(struct group_run *g, int skip, int64_t since_us,
			   int64_t deadline)
{
	int64_t at;

	while (bench_now_us() < deadline) {
		if (group_settled(g, skip, since_us, &at))
			return (double)(at - since_us) / 1000.0;
		usleep(1000);
	}
	return -1;
}

/* Starts n member threads that subscribe together 100 ms from now. */
static void group_start(struct group_run *g, bench_target *t, int n,
			const char *name)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	snprintf(g->group, sizeof(g->group), "%s", name);
	g->n = n;
	g->start_us = bench_now_us() + 100000;
	for (int i = 0; i < n; i++) {
		g->m[i].grp = g;
		g->m[i].t = t;
		pthread_create(&g->m[i].th, NULL, member_main, &g->m[i]);
	}
}

/* Stops (without LeaveGroup) and joins every member thread still running;
 * the broker drops them when their sessions time out. */
static void group_stop(struct group_run *g)
{
	for (int i = 0; i < g->n; i++)
		g->m[i].stop = 2;
	for (int i = 0; i < g->n; i++)
		if (g->m[i].th)
			pthread_join(g->m[i].th, NULL);
	pthread_mutex_destroy(&g->lock);
}

static void set_ms(bench_row *row, int kind, double ms)
{
	if (ms < 0)
		bench_cell_timeout(row, kind);
	else
		bench_cell_set(row, kind, ms, "%.0f");
}

/* The three measurements against t. */
static void group_cases(bench_ctx *ctx, bench_target *t, bench_row *one,
			bench_row *four, bench_row *leave)
{
	static struct group_run g; /* big; one at a time */
	double ms;

	group_start(&g, t, 1, "bench-group-1");
	set_ms(one, t->kind, wait_settled(&g, -1, g.start_us,
					  bench_deadline(ctx, 20)));
	group_stop(&g);

	group_start(&g, t, 4, "bench-group-4");
	ms = wait_settled(&g, -1, g.start_us, bench_deadline(ctx, 20));
	set_ms(four, t->kind, ms);
	if (ms >= 0) {
		int64_t t_close = bench_now_us();

		g.m[3].stop = 1;
		pthread_join(g.m[3].th, NULL);
		g.m[3].th = 0;
		set_ms(leave, t->kind,
		       wait_settled(&g, 3, t_close, bench_deadline(ctx, 20)));
	}
	group_stop(&g);
}

/* See bench.h. */
void w_group_run(bench_ctx *ctx)
{
	bench_row *one = bench_row_add(ctx, "first assignment, 1 consumer",
				       "ms", true);
	bench_row *four = bench_row_add(ctx, "first assignment, 4 consumers at once",
					"ms", true);
	bench_row *leave = bench_row_add(ctx, "reassignment after 1 of 4 closes",
					 "ms", true);

	for (int kind = 0; kind < BENCH_NKIND; kind++) {
		bench_target t;

		if (target_open(ctx, &t, kind, NULL) < 0 ||
		    target_create_topic(&t, W_GROUP_TOPIC, W_GROUP_PARTS) < 0) {
			bench_cell_fail(ctx, one, kind, "broker setup failed");
			target_close(&t);
			continue;
		}
		group_cases(ctx, &t, one, four, leave);
		if (kind == BENCH_TM)
			leave->rss_mb = target_hwm_mb(&t);
		target_close(&t);
	}
}
