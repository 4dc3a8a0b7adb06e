/*
 * oindex.h: the sparse offset index of one segment (<base>.index).
 *
 * In memory, a sorted array of (offset, file position) pairs; on disk, the
 * same entries in Kafka's OffsetIndex format:
 *
 *   offset size meaning (per entry, entries back to back, no header)
 *   0      4    relative offset INT32 (big-endian): the LAST offset of the
 *               batch starting at the position, minus the segment base
 *   4      4    position INT32 (big-endian): byte position of that batch in
 *               the segment's .log file
 *
 * One entry is added per log.index.interval.bytes of log data (the first
 * batch of a segment has none: position 0 is implied). Both columns strictly
 * increase. The file is derived data: it is not fsynced with each append and
 * is rebuilt from the log whenever it is missing, has a size that is not a
 * multiple of 8, or breaks any of the rules above (oindex_load checks them
 * all, and bounds every entry by the segment's size and offsets, because
 * the file is untrusted input).
 *
 * Threads: loop thread only.
 */
#ifndef TM_OINDEX_H
#define TM_OINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OINDEX_ENTRY_SIZE 8
/* oindex_load: the file is not a valid index (the caller rebuilds it). */
#define OINDEX_EBAD (-30790)

typedef struct oindex oindex;

typedef struct oindex_entry {
	int64_t offset; /* absolute: base + relative offset */
	int64_t pos;	/* byte position of the batch whose last offset this is */
} oindex_entry;

/* A new empty index for the segment starting at base. */
oindex *oindex_new(int64_t base);
void oindex_free(oindex *oi);
size_t oindex_count(const oindex *oi);

/* Adds an entry at the end. Returns false (and adds nothing) unless offset
 * and pos are both above the last entry's and fit the INT32 columns. */
bool oindex_add(oindex *oi, int64_t offset, int64_t pos);
/* The entry with the largest offset <= offset; false if there is none. */
bool oindex_lookup(const oindex *oi, int64_t offset, oindex_entry *e);
/* The entry with the largest position <= pos; false if there is none. */
bool oindex_floor_pos(const oindex *oi, int64_t pos, oindex_entry *e);
/* Drops every entry whose position is >= pos. */
void oindex_truncate(oindex *oi, int64_t pos);
/* Drops every entry. */
void oindex_clear(oindex *oi);

/*
 * Replaces the entries with those of the index file fd, after checking them:
 * file size a multiple of 8, at most one entry per RB_HEADER_SIZE bytes of
 * log, both columns strictly increasing, position < seg_size, and
 * base <= offset < end_offset. Returns 0, OINDEX_EBAD (entries cleared), or
 * -errno on a read error.
 */
int oindex_load(oindex *oi, int fd, int64_t seg_size, int64_t end_offset);
/* Brings the file fd in line with memory: cuts it if entries were dropped,
 * then writes the entries it lacks. Returns 0 or -errno. */
int oindex_persist(oindex *oi, int fd);

#endif
