/*
 * flusher.h: the fsync thread behind group commit.
 *
 * The loop submits a batch of sync tickets (one per dirty partition log); the
 * flusher's worker threads run them, several files at once, and signal
 * completion through an eventfd the loop watches. While one batch runs, the loop gathers the next, so one fsync
 * covers every request that arrived meanwhile.
 *
 * Threads: flusher_new/free/submit/collect on the loop thread; the worker
 * threads only call plog_sync_run(), each ticket on one thread.
 */
#ifndef TM_FLUSHER_H
#define TM_FLUSHER_H

#include <stdbool.h>
#include "storage/plog.h"

typedef struct flusher flusher;

#define FLUSHER_MAX_THREADS 64

/* Starts `threads` worker threads (clamped to 1..FLUSHER_MAX_THREADS): up to
 * that many fsyncs of one batch run at once. Returns NULL (after logging) if
 * the eventfd or a thread cannot be created. */
flusher *flusher_new(int threads);
/* Joins the threads after finishing the current batch; a finished batch not
 * yet collected has its tickets ended (plog_sync_end) here. NULL ignored. */
void flusher_free(flusher *f);
/* Lets a batch of at least min_tickets tickets, all on the filesystem of
 * fs_fd (plog_sync_dev), be synced by one syncfs(fs_fd) instead of a
 * fdatasync per file: one journal commit and one cache flush for the whole
 * round (64 dirty partitions: ~2 ms instead of ~10 on 4 threads). If
 * syncfs fails, the batch falls back to per-file syncs, which find the logs
 * that really failed. Does nothing when the kernel's syncfs does not report
 * errors (fileio_syncfs_reports_errors). fs_fd stays the caller's and must
 * outlive the flusher. Loop thread, before the first submit. */
void flusher_set_syncfs(flusher *f, int fs_fd, int min_tickets);
/* File descriptor that becomes readable when a batch completes. */
int flusher_fd(const flusher *f);
/* True while a batch is running (submit refuses then). */
bool flusher_busy(const flusher *f);
/* Hands over n tickets with the logs they came from (the arrays are
 * copied; the tickets belong to the flusher until collected). Returns 0, or
 * -1 if busy. */
int flusher_submit(flusher *f, plog **logs, plog_sync_ticket **tickets, int n);
/* After flusher_fd() is readable: calls plog_sync_end() for each ticket of the
 * finished batch and returns how many there were (0 if none finished). */
int flusher_collect(flusher *f);

#endif
