/*
 * cleaner.h: log compaction (cleanup.policy=compact), the worker-side part.
 *
 * A compacted log keeps, for every key, at least its latest record. The
 * cleaner works on a snapshot of closed segments (plog_clean_snapshot) and
 * never touches the plog itself, so it runs on a worker thread while the loop
 * keeps appending and serving reads:
 *
 *  pass 1  builds a map key digest -> latest offset over the dirty part of
 *          the snapshot, [first_dirty, end of the snapshot). The map has a
 *          fixed memory budget (Kafka's SkimpyOffsetMap: 16-byte MurmurHash3
 *          digests of the keys, open addressing, at most 90% full); when it
 *          fills, only offsets below map_end (a batch start) are cleaned.
 *  pass 2  rewrites every snapshot segment holding offsets below map_end
 *          into <dir>/.cleaned/<base>.log (+ indexes), keeping a record when
 *          it is the latest of its key (or its offset is >= map_end, or it
 *          has no key), and dropping tombstones (null values) of segments
 *          whose max timestamp is older than now - delete.retention.ms (the
 *          simple form of Kafka's delete horizon, KIP-534). The files are
 *          fsynced; the loop swaps them in (plog_replace_segment).
 *
 * Offsets never change. A batch that keeps all its records is copied byte
 * for byte; one that keeps none is dropped; otherwise the kept records are
 * re-encoded into one batch per run of consecutive offsets (base offset of
 * the run, offset deltas from 0, the original base timestamp, producer id
 * and epoch, base sequence moved by the run's start), compressed again with
 * the batch's codec. Kafka instead keeps the batch and its lastOffsetDelta
 * with fewer records, but our batch checks (rb_check, riter) require
 * recordsCount == lastOffsetDelta + 1, so runs keep every reader working.
 * Control and transactional batches are kept whole. NEEDSWORK: transaction-
 * aware cleaning (drop aborted data, then markers), keeping the last batch
 * of each producer id for idempotence state, and merging small cleaned
 * segments (an emptied segment stays as an empty file).
 *
 * Threads: cleaner_run() on any thread, on a snapshot it owns; nothing is
 * shared with the loop but the files under <dir>/.cleaned and the optional
 * cancel flag.
 */
#ifndef TM_CLEANER_H
#define TM_CLEANER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "proto/riter.h"
#include "storage/plog.h"

/* Subdirectory of a partition directory holding a cleaning in progress.
 * Anything in it at plog_open() is a leftover of a crash and is deleted
 * (recovery_list); the live segments are never in it. */
#define CLEANER_TMP_DIR ".cleaned"

/* Internal error codes (never errno, never Kafka codes). */
enum {
	CLEANER_ECANCELED = -30720, /* the cancel flag was raised */
	CLEANER_EMAPFULL = -30721,  /* not even one batch fits the key map */
	CLEANER_CODEC_EBAD = -30722,    /* malformed or unknown compressed data */
	CLEANER_CODEC_ETOOBIG = -30723, /* output would pass the buf's max */
};

typedef struct cleaner_params {
	const char *dir;             /* partition directory */
	int64_t first_dirty;         /* offsets below were cleaned before */
	int64_t now_ms;              /* wall clock for the delete horizon */
	int64_t delete_retention_ms; /* delete.retention.ms */
	int32_t index_interval_bytes;
	size_t map_bytes;            /* log.cleaner.dedupe.buffer.size */
	atomic_int *cancel;          /* optional: non-zero stops the run */
} cleaner_params;

typedef struct cleaner_stats {
	int64_t map_end;       /* offsets below were deduplicated: the next first_dirty */
	int64_t keys_mapped;   /* distinct key digests in the map */
	int64_t records_read;  /* records in the rewritten segments */
	int64_t records_kept;
	int64_t tombstones_dropped;
	int64_t bytes_in, bytes_out; /* of the rewritten segments */
	int segments_rewritten;      /* segments with a changed .cleaned file */
} cleaner_stats;

/*
 * Compacts the snapshot segs[0..n) of the log in p->dir (ascending, closed,
 * descriptors readable; see plog_clean_snapshot). For each segment that
 * changed, sets changed[i] and leaves <dir>/.cleaned/<base>.{log,index,
 * timeindex} fsynced for plog_replace_segment(); unchanged segments leave
 * no files. Fills *st. Returns 0; CLEANER_ECANCELED; CLEANER_EMAPFULL;
 * PLOG_ECORRUPT when a batch fails its checks (logged); or -errno. On
 * failure no file is left behind and changed[] is all false.
 */
int cleaner_run(const cleaner_params *p, const plog_seg_snap *segs, size_t n, bool *changed,
		cleaner_stats *st);

/* Removes <dir>/.cleaned/<base>.* files (none when base < 0) and, when
 * empty, the directory. Missing files are fine. Any thread (the caller owns the job). */
void cleaner_remove_files(const char *dir, int64_t base);

/*
 * For produce on a compacted topic (Kafka's LogValidator): checks that every
 * record of the batch (len bytes, already checked by rb_check) has a key,
 * decompressing when needed (at most max_bytes of records). Returns 0 when
 * all have one, 1 when a record has a null key (answer INVALID_RECORD), or
 * a negative code (malformed: RITER_* / CLEANER_CODEC_*). Any thread.
 */
int cleaner_check_keys(const uint8_t *batch, size_t len, size_t max_bytes);

/*
 * Positions it before the first record of the batch at p, whose header h
 * rb_check() accepted, decompressing into inflated (cleared first; its max
 * caps the size) when the batch is compressed; it then reads from
 * inflated, which must outlive it. Returns 0, a RITER_* / rb_status code
 * (malformed), or CLEANER_CODEC_* (cannot decompress). Any thread.
 */
int cleaner_records_open(riter *it, const uint8_t *p, const rb_header *h, buf *inflated);

/*
 * Codec helpers (cleaner_codec.c). codec: 1 gzip, 2 snappy, 3 lz4, 4 zstd.
 * Append the (de)compressed bytes to out, whose max caps the output.
 * Return 0, CLEANER_CODEC_EBAD or CLEANER_CODEC_ETOOBIG. Any thread.
 */
int cleaner_codec_decompress(int codec, const uint8_t *in, size_t n, buf *out);
int cleaner_codec_compress(int codec, const uint8_t *in, size_t n, buf *out);

#endif
