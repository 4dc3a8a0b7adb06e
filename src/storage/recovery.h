/*
 * recovery.h: finding segments in a partition directory and validating
 * their contents (storage-private).
 *
 * A crash can leave the tail of the active segment torn (a batch half
 * written) or garbled (pages never written back), and disks rot. Recovery
 * reads every batch of a segment from its start, checks it fully (rb_check:
 * magic, lengths, CRC-32C, counts) plus the offset rules of segment.h, and
 * stops at the first batch that fails. What precedes is kept and indexed
 * afresh; what follows is cut off.
 *
 * Threads: loop thread (start-up), or whoever owns the segment.
 */
#ifndef TM_RECOVERY_H
#define TM_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/segment.h"

typedef struct recovery_result {
	int64_t file_size;   /* bytes in the .log when scanned */
	int64_t valid_bytes; /* bytes of whole valid batches from position 0 */
	int64_t next_offset; /* offset after the last valid batch (base if none) */
	const char *reason;  /* static text; NULL when the whole file is valid */
} recovery_result;

/*
 * Reads the .log of seg from position 0 and rebuilds its indexes and
 * tracking state (segment_reset, then segment_track per batch) from the
 * valid prefix. check_crc: full rb_check per batch; else headers only (for
 * reindexing data we already trust). A batch whose last offset is >=
 * limit_offset (the next segment's base) is invalid. Does not modify the
 * files. Returns 0 (see res->reason) or -errno on a read error.
 */
int recovery_scan(segment *seg, bool check_crc, int64_t limit_offset, int32_t interval,
		  recovery_result *res);

/*
 * recovery_scan with CRC checks, then, if the file holds more than the valid
 * prefix, cuts it there (ftruncate + fdatasync) and logs a warning
 * "cut N bytes from '<path>' at offset X: <reason>"; finally rewrites the
 * index files. Sets *cut when bytes were cut. Returns 0 or -errno.
 */
int recovery_repair(segment *seg, int64_t limit_offset, int32_t interval, bool *cut);

/*
 * Lists the base offsets of the segments in dir (files named by 20 digits
 * plus ".log"), sorted ascending, into *bases (xmalloc'ed; the caller frees
 * it) and *n. Removes index files without a .log (leftovers of a deletion
 * cut short) and the <dir>/.cleaned/ directory a crash during compaction
 * leaves behind. Segment-like names that do not parse (offset past INT64_MAX)
 * are ignored with a warning; other files are not ours and are left alone.
 * Returns 0 or -errno (opendir failed).
 */
int recovery_list(const char *dir, int64_t **bases, size_t *n);

#endif
