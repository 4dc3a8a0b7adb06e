/*
 * segment.h: one segment of a partition log (storage-private).
 *
 * A segment is three files in the partition directory, named by the base
 * offset (the first offset it may hold) as 20 zero-padded digits:
 *
 *   00000000000000000000.log        RecordBatches back to back, exactly as
 *                                   served on the wire (baseOffset patched)
 *   00000000000000000000.index      sparse offset index (oindex.h)
 *   00000000000000000000.timeindex  sparse time index (tindex.h)
 *
 * .log layout: no file header; batch i starts where batch i-1 ends:
 *
 *   offset          size               meaning
 *   0               12 + batchLength   batch 0: RecordBatch v2 exactly as on
 *                                      the wire (table in records.h):
 *                                      baseOffset INT64 (patched by us),
 *                                      batchLength INT32, then the rest
 *   end of batch 0  12 + batchLength   batch 1
 *   ...                                up to the segment size (<= INT32_MAX)
 *
 * Base offsets strictly increase and every batch's offsets lie in
 * [segment base, base + 2^31): the indexes store offsets relative to the
 * base and positions as INT32, so a segment never passes INT32_MAX bytes
 * (Kafka's 2 GiB limit). docs/storage-format.md has every format.
 *
 * The segment keeps what appends and lookups need in memory: its size (bytes
 * of valid batches), next offset, both indexes, and the running state that
 * decides index entries (bytes since the last entry, max timestamp so far
 * and the base offset of the first batch that reached it).
 *
 * Return codes: 0, the PLOG_E* codes of plog.h, negative errno values from
 * fileio (documented per function), and the positive SEG_* codes below.
 * Threads: loop thread only (the flusher only sees dup()ed descriptors).
 */
#ifndef TM_SEGMENT_H
#define TM_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/records.h"
#include "storage/plog.h"

typedef struct segment segment;

enum {
	SEG_END = 1,	  /* no batch at or after the offset in this segment */
	SEG_BADINDEX = 2, /* the offset index pointed at something that is not
			   * the batch it names: rebuild it and retry */
};

/* Length of a segment file name without its extension. */
#define SEGMENT_NAME_DIGITS 20

/* Creates a new empty segment at base in dir: .log with O_EXCL (an existing
 * one is an error), fresh index files. Returns 0 and *out, or -errno. */
int segment_create(segment **out, const char *dir, int64_t base, int64_t now_ms);
/* Opens the existing segment at base: the .log read-write in append mode,
 * the index files created if missing. Nothing is read or checked yet: call
 * segment_load_indexes() or scan it (recovery.h). Returns 0 or -errno. */
int segment_open(segment **out, const char *dir, int64_t base, int64_t now_ms);
/* Closes the descriptors and frees; the files stay. NULL is ignored. */
void segment_free(segment *seg);
/* Unlinks the three files and frees seg. Returns 0 or the first -errno
 * (seg is freed either way). */
int segment_delete(segment *seg);
/* Unlinks the .index file (not the in-memory index), so that the next open
 * cannot trust the segment and scans it fully. Returns 0 or -errno. */
int segment_unlink_index(segment *seg);
/* Unlinks the files of the (unopened) segment at base in dir. Returns 0 or
 * the first -errno (missing files are fine). */
int segment_unlink_files(const char *dir, int64_t base);

int64_t segment_base(const segment *seg);
/* Bytes of valid batches (the end of the last whole batch). */
int64_t segment_size(const segment *seg);
/* One past the last offset of the last batch (the base when empty). */
int64_t segment_next_offset(const segment *seg);
/* Descriptor of the .log, owned by the segment. */
int segment_log_fd(const segment *seg);
const char *segment_log_path(const segment *seg);
/* Size of the .log file as the kernel sees it, or -errno. */
int64_t segment_file_size(const segment *seg);
/* Largest maxTimestamp of the segment's batches and the base offset of the
 * first batch with it; -1/-1 when no batch has a timestamp >= 0. */
void segment_max_timestamp(const segment *seg, int64_t *ts, int64_t *offset);

/*
 * Trusts the index files of a segment that recovery does not scan: loads
 * both (checked, see oindex_load/tindex_load) with end_offset as the bound
 * for offsets and sets the size, next offset (end_offset) and max timestamp
 * from them. The .log size must be <= INT32_MAX. Returns 0, SEG_BADINDEX
 * when either file is invalid or missing (scan instead), or -errno.
 */
int segment_load_indexes(segment *seg, int64_t end_offset);
/* Forgets the indexes and the tracking state: the segment looks empty until
 * batches are fed to segment_track() (a rebuilding scan). */
void segment_reset(segment *seg);
/* Accounts for the valid batch h at pos, the batch after the current last
 * one: adds index entries every `interval` bytes, as appends do. */
void segment_track(segment *seg, int64_t pos, const rb_header *h, int32_t interval);
/* Writes index changes to the files (opening them when closed). Returns 0
 * or -errno. */
int segment_persist_indexes(segment *seg);

/* Whether a batch of len bytes (header h, base offset already assigned)
 * must go to a new segment: size, time (Kafka's rule: the batch's
 * maxTimestamp minus the first batch's, or now minus the creation time when
 * the first batch has none) or relative offset overflow. Never for an empty
 * segment. */
bool segment_should_roll(const segment *seg, size_t len, const rb_header *h, const plog_config *cfg,
			 int64_t now_ms);
/*
 * Appends the batch (len bytes, header h with its final base offset) with
 * write() at the end of the .log, then indexes it. On a failed or short
 * write the file is cut back to its old size if possible. Returns 0 or
 * -errno (the segment is then unusable for appends).
 */
int segment_append(segment *seg, const uint8_t *batch, size_t len, const rb_header *h,
		   int32_t interval);
/* Closes the segment for appends (roll): adds the final time index entry and
 * writes the indexes. Returns 0 or -errno. */
int segment_seal(segment *seg);
/* Cuts the .log file at pos (ftruncate, then fdatasync when sync). Does not
 * touch the in-memory state. Returns 0 or -errno. */
int segment_cut_file(segment *seg, int64_t pos, bool sync);
/* Reopens the index descriptors (a segment becoming active again). Returns
 * 0 or -errno. */
int segment_open_indexes(segment *seg);
/* Closes the index descriptors (kept only while the segment may change). */
void segment_close_indexes(segment *seg);
/* fdatasync()s the .log and, with indexes, the index files (opened by path
 * when closed). For rare paths (rebuilt indexes of an older segment); the
 * regular path is a sync ticket. Returns 0 or -errno. */
int segment_fsync(segment *seg, bool indexes);
/* dup()s the .log descriptor and, with indexes, the open index ones into
 * fds (room for 3). Returns how many, or -errno (none left open). */
int segment_dup_fds(const segment *seg, bool indexes, int *fds);

/*
 * A read-ahead window for walking batch headers: one pread of up to
 * SEG_CURSOR_BYTES serves every header inside it, so a walk over small
 * batches costs a few system calls instead of one per batch. It lives on
 * the caller's stack for the length of one plog call (the bytes below a
 * segment's size never change between truncations); it is a plain struct
 * for that reason. Initialize with seg_cursor_init().
 */
#define SEG_CURSOR_BYTES 4096
typedef struct seg_cursor {
	const segment *seg; /* whose bytes buf holds (NULL: none) */
	int64_t start;	    /* file position of buf[0] */
	size_t len;
	uint8_t buf[SEG_CURSOR_BYTES];
} seg_cursor;

static inline void seg_cursor_init(seg_cursor *cur)
{
	cur->seg = NULL;
	cur->len = 0;
}

/*
 * Reads and checks the batch header at pos (< size): magic 2, sane length,
 * batch within the segment, offsets within [base, next offset). cur: a
 * read-ahead window, or NULL to read just the header. Returns 0,
 * PLOG_ECORRUPT, or -errno on a read error.
 */
int segment_header_at(segment *seg, seg_cursor *cur, int64_t pos, rb_header *h);
/* Finds the batch containing offset, or the first batch after it: sets
 * *pos and *h. Uses the offset index, then scans headers. Returns 0,
 * SEG_END, SEG_BADINDEX, PLOG_ECORRUPT or -errno. */
int segment_find(segment *seg, seg_cursor *cur, int64_t offset, int64_t *pos, rb_header *h);
/*
 * Given the first batch h at pos (already found, base below upto), picks the
 * end of a read range: whole batches, at least the first, at most max_bytes
 * in all when more than one, none with base offset >= upto, within the
 * segment. Sets *end and *next_base: where reading continues, i.e. the base
 * offset of the batch at *end, or one past the last offset of the range
 * when that is the segment's end or upto falls inside its last batch.
 * Returns 0, SEG_BADINDEX, PLOG_ECORRUPT or -errno.
 */
int segment_range(segment *seg, seg_cursor *cur, int64_t pos, const rb_header *h, size_t max_bytes,
		  int64_t upto, int64_t *end, int64_t *next_base);
/* First batch at or after offset min_offset whose maxTimestamp >= ts, via
 * the time index: sets *offset (its base, at least min_offset) and *ts_out.
 * Returns 0, SEG_END, SEG_BADINDEX, PLOG_ECORRUPT or -errno. */
int segment_find_time(segment *seg, seg_cursor *cur, int64_t ts, int64_t min_offset,
		      int64_t *offset, int64_t *ts_out);

/* Last offset of the batch with header h. */
static inline int64_t segment_hdr_last(const rb_header *h)
{
	return h->base_offset + h->last_offset_delta;
}

#endif
