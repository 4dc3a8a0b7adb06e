/*
 * tindex.h: the sparse time index of one segment (<base>.timeindex).
 *
 * On disk, Kafka's TimeIndex layout:
 *
 *   offset size meaning (per entry, entries back to back, no header)
 *   0      8    timestamp INT64 (big-endian): T, a max timestamp so far
 *   8      4    relative offset INT32 (big-endian): base offset of the
 *               first batch of the segment whose maxTimestamp reached T,
 *               minus the segment base
 *
 * Meaning of an entry (T, o): the batch at o has maxTimestamp T and every
 * batch of the segment before o has a smaller maxTimestamp. So for a lookup
 * by time t, the entry with the largest T <= t gives a safe place to start
 * scanning (nothing before it can have a timestamp >= t), and the answer is
 * the first batch from there with maxTimestamp >= t. Both columns strictly
 * increase (Kafka's maybeAppend skips an entry whose T is not above the last
 * one; an empty index acts as if its last T were -1). An entry is considered
 * at every offset index entry and once more when the segment is rolled, so
 * the last entry of a rolled segment holds the segment's max timestamp.
 *
 * Kafka writes the LAST offset of that batch in the offset column; we write
 * the base offset. Lookups work with either, because both go through the
 * offset index and a header scan that finds the batch containing the offset.
 *
 * Like the offset index, the file is derived data, checked on load and
 * rebuilt from the log when invalid. Threads: loop thread only.
 */
#ifndef TM_TINDEX_H
#define TM_TINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TINDEX_ENTRY_SIZE 12
/* tindex_load: the file is not a valid index (the caller rebuilds it). */
#define TINDEX_EBAD (-30791)

typedef struct tindex tindex;

typedef struct tindex_entry {
	int64_t ts;
	int64_t offset; /* absolute */
} tindex_entry;

/* A new empty index for the segment starting at base. */
tindex *tindex_new(int64_t base);
void tindex_free(tindex *ti);
size_t tindex_count(const tindex *ti);

/* Adds (ts, offset) if ts is above the last entry's timestamp (or -1 when
 * empty) and offset above the last entry's offset and within INT32 of the
 * base. Returns true if added. */
bool tindex_maybe_add(tindex *ti, int64_t ts, int64_t offset);
/* The entry with the largest timestamp <= ts; false if there is none. */
bool tindex_lookup(const tindex *ti, int64_t ts, tindex_entry *e);
/* The last entry; false if empty. */
bool tindex_last(const tindex *ti, tindex_entry *e);
/* Drops every entry whose offset is >= offset. */
void tindex_truncate(tindex *ti, int64_t offset);
void tindex_clear(tindex *ti);

/*
 * Replaces the entries with those of the file fd, after checking them: file
 * size a multiple of 12, at most one entry per RB_HEADER_SIZE bytes of log,
 * both columns strictly increasing, T >= 0, base <= offset < end_offset.
 * Returns 0, TINDEX_EBAD (entries cleared) or -errno.
 */
int tindex_load(tindex *ti, int fd, int64_t seg_size, int64_t end_offset);
/* Brings the file in line with memory (cut, then write what it lacks).
 * Returns 0 or -errno. */
int tindex_persist(tindex *ti, int fd);

#endif
