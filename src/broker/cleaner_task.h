/*
 * cleaner_task.h: drives log compaction from the loop (Kafka's LogCleaner).
 *
 * Every log.cleaner.backoff.ms, and at once after a pass finished, the loop
 * looks at the logs of topics with cleanup.policy containing compact
 * (__consumer_offsets included) and picks the dirtiest: among the closed
 * segments older than min.compaction.lag.ms (and below the LSO), the share
 * of bytes past the last cleaned offset must reach
 * log.cleaner.min.cleanable.ratio. It hands a snapshot of that log's
 * segments to one cleaner thread (storage/cleaner.h), which never touches
 * the log; when the thread is done the loop swaps the rewritten segments in
 * (plog_replace_segment) and logs one line:
 *
 *   cleaned '<dir>': S of N segments rewritten, B1 -> B2 bytes, kept R1 of
 *   R2 records (T tombstones dropped), K keys, clean up to offset O in M ms
 *
 * The request path never waits for the cleaner: the only loop work is the
 * choice (no I/O but dup()), and the swap (renames, reading the new
 * segment's index files).
 *
 * The last cleaned offset of each log is kept in memory only: after a
 * restart each compacted log is cleaned once in full. NEEDSWORK: Kafka's
 * cleaner-offset-checkpoint file, and the topic-level
 * min.cleanable.dirty.ratio / max.compaction.lag.ms.
 *
 * Threads: every function on the loop thread.
 */
#ifndef TM_CLEANER_TASK_H
#define TM_CLEANER_TASK_H

#include <stdint.h>

#include "broker/topics.h"
#include "config/config.h"
#include "net/loop.h"
#include "storage/plog.h"

typedef struct cleaner_task cleaner_task;

/* Starts the cleaner thread and its timer (the first pass comes after
 * log.cleaner.backoff.ms). Returns NULL after logging when the thread or
 * eventfd cannot be made, or when log.cleaner.enable is false (then
 * nothing runs; every function accepts NULL). ts and cfg must outlive it. */
cleaner_task *cleaner_task_new(loop *l, topics *ts, const broker_config *cfg);
/* Stops the thread (a pass in progress is cancelled at its next batch and
 * its files removed) and frees. Call before topics_close(). NULL ignored. */
void cleaner_task_free(cleaner_task *ct);
/* Must be called before a log is closed or deleted (topics_delete): a pass
 * on it is cancelled (waits for the thread to stop at its next batch) and
 * its state forgotten. */
void cleaner_task_forget(cleaner_task *ct, const plog *log);
/* Starts a pass now if the cleaner is idle (tests, admin). */
void cleaner_task_kick(cleaner_task *ct);
/* Passes completed since start (for metrics and tests). */
int64_t cleaner_task_passes(const cleaner_task *ct);

#endif
