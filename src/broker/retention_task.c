/*
 * retention_task.c: the periodic delete-retention pass (see the header).
 *
 * A pass is O(partitions + segments) and mostly in memory (time retention
 * may stat() segments whose batches carry no timestamp). Deleting a
 * segment unlinks three files on the loop thread.
 * NEEDSWORK: unlinking a multi-GB file can take a while on some file
 * systems; Kafka renames to .deleted and unlinks after file.delete.delay.ms
 * on a scheduler thread. Hand the unlinks to the flusher thread if that
 * ever shows up in latency.
 */
#include "broker/retention_task.h"

#include <stdlib.h>

#include "broker/topics.h"
#include "core/clock.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "storage/plog.h"
#include "storage/retention.h"

struct retention_task {
	loop *l;
	topics *ts;
	int64_t interval_ms;
	uint64_t timer;
};

/* Applies retention to one partition; returns the segments deleted. */
static int run_partition(topic *t, int32_t p, plog *log, int64_t now_ms)
{
	const topic_config *tc = topic_cfg(t);
	unsigned why = 0;
	int64_t point =
	    plog_retention_point(log, now_ms, tc->retention_ms, tc->retention_bytes, &why);
	int before, deleted, rc;
	kstr name = topic_name(t);

	if (point <= plog_start_offset(log))
		return 0;
	before = plog_segment_count(log);
	rc = plog_advance_start(log, point);
	deleted = before - plog_segment_count(log);
	if (rc) {
		log_error("retention of '%.*s-%d' up to offset %lld failed (error %d)",
			  (int)name.len, name.p, (int)p, (long long)point, rc);
		return deleted > 0 ? deleted : 0;
	}
	log_info("deleted %d segments of '%.*s-%d' up to offset %lld (%s)", deleted, (int)name.len,
		 name.p, (int)p, (long long)point, retention_reason_str(why));
	return deleted;
}

int retention_task_run(retention_task *rt, int64_t now_ms)
{
	int total = 0;

	for (int i = 0; i < topics_count(rt->ts); i++) {
		topic *t = topics_at(rt->ts, i);

		if (!t || !topic_cfg(t)->delete_)
			continue;
		for (int32_t p = 0; p < topic_partition_count(t); p++) {
			plog *log = topic_partition(t, p);

			if (log && !plog_failed(log))
				total += run_partition(t, p, log, now_ms);
		}
	}
	return total;
}

static void tick(loop *l, void *ud)
{
	retention_task *rt = ud;

	rt->timer = 0;
	retention_task_run(rt, clock_now_ms());
	rt->timer = loop_timer_add(l, rt->interval_ms, tick, rt);
}

retention_task *retention_task_start(loop *l, topics *ts, int64_t interval_ms)
{
	retention_task *rt = xcalloc(1, sizeof(*rt));

	rt->l = l;
	rt->ts = ts;
	rt->interval_ms = interval_ms < 1 ? 1 : interval_ms;
	rt->timer = loop_timer_add(l, rt->interval_ms, tick, rt);
	return rt;
}

void retention_task_stop(retention_task *rt)
{
	if (!rt)
		return;
	loop_timer_cancel(rt->l, rt->timer);
	free(rt);
}
