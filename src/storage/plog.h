/*
 * plog.h: the partition log, the storage seam.
 *
 * A partition log is an append-only sequence of RecordBatches (magic 2),
 * stored as served on the wire. This header is the only way the rest of the
 * broker touches storage: request handlers and coordinators see offsets,
 * batches and file ranges, never segments or index files. Another engine
 * (object storage, PostgreSQL) can be added behind the same functions.
 *
 * Offsets: the log start offset is the first offset still stored; the log
 * end offset (LEO) is the offset the next appended record will get. The
 * durable offset is the LEO as of the last successful sync: everything below
 * it is on disk. Until transactions land, high watermark = LEO and the last
 * stable offset = LEO; the LSO hook is plog_set_lso()/plog_lso().
 *
 * Threads: every function runs on the loop thread, except plog_sync_run(),
 * which the flusher thread calls on a ticket the loop took.
 *
 * Failure: after a failed write or fsync the log is marked failed: appends and
 * syncs return PLOG_EFAILED and handlers answer KAFKA_STORAGE_ERROR. We never
 * retry an fsync and carry on (see LMDB's MDB_FATAL_ERROR); plog_reopen()
 * starts over from the durable offset once the disk works again.
 */
#ifndef TM_PLOG_H
#define TM_PLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct plog plog;

/* Internal error codes (never errno, never Kafka codes). */
enum {
	PLOG_OK = 0,
	PLOG_EIO = -30700,       /* I/O error (logged); log now failed */
	PLOG_EFAILED = -30701,   /* log failed earlier */
	PLOG_ECORRUPT = -30702,  /* input batch malformed */
	PLOG_ERANGE = -30703,    /* offset out of range */
	PLOG_ETOOBIG = -30704,   /* batch larger than the segment limit */
	PLOG_ENOSPC = -30710,    /* disk full: nothing was written, log still fine */
	PLOG_ESTALE = -30711,    /* cleaner: the segment changed since the snapshot */
};

typedef struct plog_config {
	int64_t segment_bytes;        /* log.segment.bytes: roll when a segment would pass this */
	int64_t segment_ms;           /* log.roll.ms: roll when the first batch is older (<= 0: never) */
	int32_t index_interval_bytes; /* log.index.interval.bytes: sparse index spacing */
	bool log_append_time;         /* message.timestamp.type=LogAppendTime */
} plog_config;

/*
 * Opens (creating if needed) the partition log in directory dir, recovering
 * its tail: segments after the recovery point are scanned, a torn or corrupt
 * tail is cut back to the last valid batch (with a log line saying what was
 * cut), and missing or bad indexes are rebuilt. recovery_point is the offset
 * below which data was known durable at the last clean checkpoint (-1: scan
 * everything); the active segment is always scanned (its indexes are never
 * synced). cfg is copied, segment_bytes clamped to [61, INT32_MAX] (index
 * positions are INT32: Kafka's 2 GiB segment limit). On return everything
 * in the log has been fsynced: durable offset = LEO. Returns 0 and *out, or
 * PLOG_EIO (logged) when the directory or a file cannot be opened or read.
 * docs/storage-format.md describes the files.
 */
int plog_open(plog **out, const char *dir, const plog_config *cfg, int64_t recovery_point);
/* Closes the files and frees the log. Does not sync. A ticket still in
 * flight stays valid: plog_sync_end() then only frees it. */
void plog_close(plog *log);
/* Replaces the configuration (topic config change; clamped as above). */
void plog_set_config(plog *log, const plog_config *cfg);

int64_t plog_start_offset(const plog *log);
int64_t plog_end_offset(const plog *log);
int64_t plog_durable_offset(const plog *log);
bool plog_failed(const plog *log);
/* Total bytes in all segments. */
int64_t plog_size_bytes(const plog *log);
/* Last stable offset (transactions): LEO unless set lower. */
int64_t plog_lso(const plog *log);
/* Sets the LSO; -1 (or anything >= the LEO) makes it follow the LEO again. */
void plog_set_lso(plog *log, int64_t lso);
/* Number of segments (for metrics and tests). */
int plog_segment_count(const plog *log);

typedef struct plog_append_info {
	int64_t base_offset;   /* offset given to the first record */
	int64_t last_offset;   /* offset of the last record */
	int64_t log_append_time; /* -1 unless LogAppendTime */
	int64_t log_start_offset;
} plog_append_info;

/*
 * Appends one RecordBatch that the caller has validated (records.h). The
 * batch is modified in place: its baseOffset is set to the LEO (and with
 * LogAppendTime, the timestamp type bit and maxTimestamp set to now_ms, and
 * the CRC recomputed). The bytes are written with write() before return; they
 * are durable only once a sync covering them completes. Rolls the segment
 * first if needed. Returns 0, or a PLOG_E* code (the log is then failed for
 * PLOG_EIO). A write that fails with ENOSPC or EDQUOT and whose partial
 * bytes could be cut off again gives PLOG_ENOSPC: the log is unchanged and
 * stays online (reads go on; a later append works once there is space).
 */
int plog_append(plog *log, uint8_t *batch, size_t len, int64_t now_ms, plog_append_info *info);

/* One contiguous range of a segment file. fd is owned by the log and valid
 * until the next call that may roll or delete segments: copy or dup() it
 * (buf_add_file does) before returning to the loop. */
typedef struct plog_range {
	int fd;
	off_t pos;
	size_t len;
	int64_t next_offset; /* offset just after the range's last batch (len > 0):
			      * where the next read continues (the base offset
			      * of the batch that follows, if any) */
} plog_range;

/*
 * Finds the batches holding offsets from `offset` on: r covers whole batches
 * starting with the one containing `offset`, at most max_bytes (but always at
 * least one whole batch if one exists, as Kafka does, so a consumer is never
 * stuck behind a large batch), and never past upto (exclusive; pass the LEO,
 * the HWM or the LSO). Stops at the end of a segment (the caller reads again
 * for more). r->len == 0 when there is nothing at or after offset below upto.
 * Returns 0, PLOG_ERANGE when offset < start or offset > LEO, or PLOG_EIO
 * when the data cannot be read (logged; the log is then failed).
 * Consecutive reads (offset = the end of the previous range) take no index
 * lookup: the log remembers a few (offset, position) pairs.
 */
int plog_read(plog *log, int64_t offset, size_t max_bytes, int64_t upto, plog_range *r);

/*
 * Finds the first batch holding offsets >= the start offset whose max
 * timestamp is >= ts (ListOffsets by time, using the time index). Sets
 * *offset_out (the batch's base offset, or the start offset when the batch
 * straddles it: never below the start) and *ts_out (the batch's max
 * timestamp), or -1 and -1 if no batch is that recent. Returns 0 or PLOG_EIO.
 * Kafka answers with the first RECORD at or after the log start whose own
 * timestamp is >= ts, which may lie further into the batch, or past it
 * when the batch's max timestamp belongs to a record below the start: the
 * caller walks the records (ListOffsets does) and, when none qualifies,
 * searches again with plog_offset_for_time_from() past the batch. The
 * caller compares the answer with the HWM/LSO (ListOffsets returns -1 at or
 * past it).
 */
int plog_offset_for_time(plog *log, int64_t ts, int64_t *offset_out, int64_t *ts_out);
/* The same, among the batches holding offsets >= from (raised to the start
 * offset); the offset is at least from. */
int plog_offset_for_time_from(plog *log, int64_t ts, int64_t from, int64_t *offset_out,
			      int64_t *ts_out);
/*
 * The largest batch max timestamp among the batches holding offsets >= from
 * (raised to the start offset), in *ts_out, and in *offset_out the base
 * offset of the first batch with it, or from when that batch straddles
 * from; -1/-1 if no batch there has a timestamp. Batch granularity, like
 * plog_offset_for_time: the record holding the maximum may lie further
 * into the batch, and in a batch straddling from the maximum may belong to
 * a record below from (ListOffsets walks the records). Walks the batch
 * headers of the segment holding from when its maximum lies below from.
 * Returns 0 or PLOG_EIO.
 */
int plog_max_timestamp(plog *log, int64_t from, int64_t *offset_out, int64_t *ts_out);

/* Drops every batch at or after offset (LEO becomes offset, rounded back to
 * a batch start). For recovery and future transaction aborts. Blocks for an
 * fsync. Returns 0 (also when offset >= LEO), PLOG_ERANGE when offset <
 * start, PLOG_EFAILED, or PLOG_EIO. */
int plog_truncate(plog *log, int64_t offset);
/* Moves the log start offset forward (DeleteRecords, retention), deleting
 * whole segments below it (never the active one), and persists it in the
 * partition directory when it lies inside the first remaining segment.
 * Returns 0 (also when offset <= start), PLOG_ERANGE when offset > LEO,
 * PLOG_EFAILED, or PLOG_EIO. */
int plog_advance_start(plog *log, int64_t offset);

/*
 * Durability: group commit. The loop takes a ticket for everything appended
 * so far; the flusher thread runs it (one fsync per dirty file); back on the
 * loop, plog_sync_end() advances the durable offset (or fails the log).
 */
typedef struct plog_sync_ticket plog_sync_ticket;
/* Loop: NULL when nothing is waiting to be synced, a sync of this log is in
 * flight, or the log failed. The ticket holds dup()ed descriptors of every
 * file needing a sync (the active .log, segments rolled since the last sync
 * with their indexes, the directory after a segment was created) and the
 * LEO at this moment. Owned by the caller until plog_sync_end(). */
plog_sync_ticket *plog_sync_begin(plog *log);
/* Any thread: fdatasync()s the files in the ticket (stopping at the first
 * failure). Returns 0 or -errno. Touches nothing but the ticket. */
int plog_sync_run(plog_sync_ticket *t);
/* Any thread: the device (st_dev) of the log's directory, where all the
 * ticket's files are: a syncfs() of that filesystem covers the ticket as
 * plog_sync_run() would. */
uint64_t plog_sync_dev(const plog_sync_ticket *t);
/* Loop: consumes (frees) the ticket; rc from plog_sync_run. On success the
 * durable offset becomes the ticket's LEO (unless the log was truncated
 * meanwhile); on failure the log is failed, never retried. The log may have
 * been closed since plog_sync_begin: then log is not touched. */
void plog_sync_end(plog *log, plog_sync_ticket *t, int rc);

/*
 * Brings a failed log back (the disk has space again, or a fault passed):
 * opens and recovers its files afresh, as at start-up, and truncates them to
 * the durable offset, because what lies past it was never acknowledged and,
 * after a failed fsync, may be in the page cache only. The log keeps its
 * identity (pointers to it stay valid), start offset and LSO; read hints and
 * segment descriptors handed out before are void. Returns 0 (also when the
 * log is not failed), PLOG_EFAILED when its sync ticket is still out (try
 * again after plog_sync_end), or PLOG_EIO (logged; the log stays failed and
 * unchanged). The caller must first fail every waiter for offsets past the
 * durable offset: those records are gone. Loop thread; blocks for fsyncs.
 */
int plog_reopen(plog *log);

/* The directory of the log (for messages). */
const char *plog_dir(const plog *log);

/*
 * Retention (issue 5): the log start offset that delete retention asks for
 * now: the base of the first segment retention.ms / retention.bytes keep
 * (rules in storage/retention.h; retention_ms < 0 and retention_bytes < 0
 * turn each off), or the current start offset when nothing goes. Only
 * segments wholly below the durable offset (the high watermark) and never
 * the active one are considered. *reasons gets the RETENTION_* bits of the
 * rules that moved it (0 when it did not move). Pass the answer to
 * plog_advance_start(). May stat() segment files; changes nothing.
 * Loop thread.
 */
int64_t plog_retention_point(const plog *log, int64_t now_ms, int64_t retention_ms,
			     int64_t retention_bytes, unsigned *reasons);
/*
 * Makes the current log start offset durable (DeleteRecords answers only
 * after this): writes the log-start-offset file atomically, whose
 * directory fsync also makes earlier segment deletions durable, so a crash
 * can never bring deleted records back. Blocks for the fsyncs. Returns 0,
 * PLOG_EFAILED, or PLOG_EIO (the log is then failed). Loop thread.
 */
int plog_persist_start(plog *log);

/*
 * Compaction (issue 5, storage/cleaner.h). The cleaner works on a snapshot of
 * closed segments on a worker thread and hands back rewritten files, which
 * the loop swaps in. The snapshot's dup()ed descriptors pin the old files'
 * inodes, so plog_replace_segment() can tell that a segment is still the one
 * that was cleaned (same inode, same size, still closed).
 */

typedef struct plog_seg_snap {
	int64_t base;   /* first offset the segment may hold */
	int64_t limit;  /* the next segment's base: every offset is below it */
	int64_t size;   /* bytes of valid batches */
	int64_t max_ts; /* largest batch maxTimestamp, -1 if none */
	int fd;         /* dup()ed .log descriptor (-1 unless asked for) */
} plog_seg_snap;

/*
 * Describes the segments that may be compacted now: closed segments from
 * the first on, stopping at the first that is active, holds offsets at or
 * past max_offset (pass the LSO), or has a max timestamp above max_ts
 * (now - min.compaction.lag.ms). Segments not yet synced are included: the
 * cleaned copy is fsynced before it replaces them. With fds, each entry gets a
 * dup()ed descriptor. Sets *out (xmalloc'ed, NULL when *n == 0; free with
 * plog_snap_free) and *n. Returns 0, PLOG_EFAILED, or -errno (dup failed;
 * nothing returned). Loop thread.
 */
int plog_clean_snapshot(plog *log, int64_t max_ts, int64_t max_offset, bool fds,
			plog_seg_snap **out, size_t *n);
/* Closes the descriptors of s[0..n) and frees s. Any thread. */
void plog_snap_free(plog_seg_snap *s, size_t n);
/*
 * Swaps in the cleaned copy of the snapshot segment old, whose files
 * cleaner_run() left in <dir>/<tmpdir>/<base>.{log,index,timeindex}: if the
 * log still holds that segment unchanged and closed, its index files are
 * unlinked (so that a crash in between can never pair new data with old
 * indexes: the next open rebuilds them), the three files are renamed over
 * it and the segment is reopened from them; an emptied segment other than
 * the first is deleted instead (its offsets become a gap). In-flight reads
 * keep the old file through their dup()ed descriptors. The directory fsync is left to
 * the next sync ticket: both the old and the new file are complete and
 * fsynced, so a crash may keep either. Returns 0, PLOG_ESTALE (nothing
 * changed; the caller removes the files), PLOG_EFAILED, or PLOG_EIO (the
 * log is then failed). Loop thread.
 */
int plog_replace_segment(plog *log, const plog_seg_snap *old, const char *tmpdir);

#endif
