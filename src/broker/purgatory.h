/*
 * purgatory.h: delayed operations (Kafka's purgatory).
 *
 * Two kinds of waits, both completed by an event or by a timer:
 *  - durability: "call me when log L is durable up to offset X". Appends mark
 *    logs dirty; just before the loop sleeps, every dirty log gets a sync
 *    ticket and the whole set goes to the flusher thread at once (group
 *    commit). When the flusher reports back, waiters whose offset is covered
 *    are called. acks=all produces and OffsetCommits wait here.
 *  - data: "call me when any of these logs has new durable data, or after
 *    T ms". Fetches that have not reached min_bytes wait here. Consumers
 *    read only below the durable offset (our high watermark), so waiters
 *    wake when a sync completes, not on the append itself: a consumer never
 *    sees a record that a crash could take back.
 *
 * All on the loop thread. A callback may start new waits.
 */
#ifndef TM_PURGATORY_H
#define TM_PURGATORY_H

#include <stdint.h>

#include "net/loop.h"
#include "storage/plog.h"

typedef struct purgatory purgatory;
typedef struct pwait pwait;

/* err: 0, or a PLOG_E* code when the log failed before becoming durable. */
typedef void purgatory_cb(void *ud, int err);

/* flush_threads: fsyncs of one group-commit round that run at once
 * (tidemark.flush.threads). */
purgatory *purgatory_new(loop *l, int flush_threads);
/* Rounds of at least min_logs dirty logs are synced with one syncfs() of
 * the filesystem holding fs_fd (flusher_set_syncfs); fs_fd must outlive pg. */
void purgatory_use_syncfs(purgatory *pg, int fs_fd, int min_logs);
/* Syncs every dirty log synchronously and frees (for shutdown). */
void purgatory_free(purgatory *pg);

/* Syncs every dirty log now, blocking (shutdown). */
void purgatory_flush_all(purgatory *pg);
/* Call after every successful append to log (wakes data waiters, schedules a sync). */
void purgatory_appended(purgatory *pg, plog *log);
/* Like purgatory_appended(), for an append nobody waits to see durable
 * (OffsetCommit with tidemark.commit.fsync=false): the log is marked dirty
 * only after PURGATORY_LAZY_MS, so a stream of such appends costs one fsync
 * per interval, not one per append. purgatory_flush_all() syncs it too. */
void purgatory_appended_lazy(purgatory *pg, plog *log);
#define PURGATORY_LAZY_MS 100
/* Calls cb once log is durable up to offset (exclusive end: durable_offset >= offset).
 * Calls it before returning if that is already so. */
void purgatory_wait_durable(purgatory *pg, plog *log, int64_t offset, purgatory_cb *cb, void *ud);
/* Calls cb(ud, 0) once the durable offset of any of the n logs moves, or
 * after timeout_ms (then with err 0 too: the caller re-reads). The callback
 * runs from the loop, never from inside purgatory_appended() or a handler.
 * Returns a handle valid until cb runs. */
pwait *purgatory_wait_data(purgatory *pg, plog *const *logs, int n, int64_t timeout_ms,
			   purgatory_cb *cb, void *ud);
/* Cancels a data wait whose callback has not run. */
void purgatory_cancel(purgatory *pg, pwait *w);
/* Call when an operation on log failed it (PLOG_EIO/PLOG_EFAILED); no-op if
 * the log is not failed. From then on, once a second until it works, its
 * durability waiters are failed and plog_reopen() is tried. Sync failures
 * and failed logs found dirty are registered here by the purgatory itself. */
void purgatory_log_failed(purgatory *pg, plog *log);
/* Forgets a log that is being closed (topic deletion): fails its waiters. */
void purgatory_forget(purgatory *pg, plog *log);

#endif
