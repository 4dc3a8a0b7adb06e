/*
 * retention_task.h: the periodic delete-retention pass.
 *
 * Every log.retention.check.interval.ms the task walks every topic whose
 * cleanup.policy contains delete and, for each partition, asks the log how
 * far retention.ms / retention.bytes move its start (plog_retention_point)
 * and applies it (plog_advance_start), which deletes the whole segments
 * below it: the files are unlinked and closed at once, so their disk space
 * is freed (a response still being sent from one keeps its own dup()ed
 * descriptor until it is sent). Each deletion is logged as
 *   deleted N segments of '<topic>-<p>' up to offset X (retention.ms)
 *
 * Compacted-only topics (cleanup.policy=compact, e.g. __consumer_offsets)
 * are left to the cleaner.
 *
 * Threads: loop thread only.
 */
#ifndef TM_RETENTION_TASK_H
#define TM_RETENTION_TASK_H

#include <stdint.h>

#include "net/loop.h"

typedef struct retention_task retention_task;
typedef struct topics topics;

/*
 * Starts the task on loop l over the registry ts, running every
 * interval_ms (log.retention.check.interval.ms; values < 1 count as 1).
 * The first pass runs one interval after the start, as in Kafka. l and ts
 * must outlive the task. Returns the task (never NULL).
 */
retention_task *retention_task_start(loop *l, topics *ts, int64_t interval_ms);
/* Cancels the timer and frees the task (NULL is ignored). Call before
 * loop_free() and topics_close(). */
void retention_task_stop(retention_task *rt);
/*
 * One pass now, with now_ms as the wall clock (tests, or right after a
 * retention config change). Returns the number of segments deleted.
 */
int retention_task_run(retention_task *rt, int64_t now_ms);

#endif
