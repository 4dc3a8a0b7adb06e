/*
 * offsets.h: the committed offsets of one group, in memory.
 *
 * One entry per (topic, partition): the last durable commit (offset, leader
 * epoch, metadata, commit and expire timestamps) and a count of commits for
 * that partition still being written to __consumer_offsets. An entry exists
 * while it has a value or a commit in flight. Values enter the store only
 * once their record is durable, so a fetch never returns a commit that a
 * crash could take back; the in-flight count lets OffsetFetch answer
 * UNSTABLE_OFFSET_COMMIT under require_stable (KIP-447).
 *
 * Strings handed in are copied; pointers handed out stay valid until the
 * entry is changed or removed. Loop thread only.
 */
#ifndef TM_OFFSETS_H
#define TM_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/kmsg.h"

typedef struct offsets offsets;

typedef struct offset_value {
	int64_t offset;
	int32_t leader_epoch;   /* -1: none */
	kstr metadata;          /* never null ("" when none) */
	int64_t commit_ts;      /* wall ms */
	int64_t expire_ts;      /* wall ms, -1: by group rules (value v1 only) */
} offset_value;

/* One entry as seen by offsets_each()/offsets_sorted(). */
typedef struct offset_entry {
	kstr topic;
	int32_t partition;
	bool has_value;
	offset_value v;
	int32_t pending;        /* commits in flight */
} offset_entry;

offsets *offsets_new(void);
void offsets_free(offsets *o);
/* Number of partitions with a durable value. */
int32_t offsets_count(const offsets *o);

/* The durable value of (topic, partition), or NULL. */
const offset_value *offsets_get(const offsets *o, kstr topic, int32_t partition);
/* Stores a durable value (copying metadata). */
void offsets_put(offsets *o, kstr topic, int32_t partition, const offset_value *v);
/* Removes the durable value; returns true when there was one. */
bool offsets_del(offsets *o, kstr topic, int32_t partition);
/* Commits in flight for (topic, partition). */
int32_t offsets_pending(const offsets *o, kstr topic, int32_t partition);
/* Adds delta (+1 when a commit starts, -1 when it ends) to the in-flight count. */
void offsets_pending_add(offsets *o, kstr topic, int32_t partition, int32_t delta);
/* True when any partition has a commit in flight. */
bool offsets_any_pending(const offsets *o);

/*
 * Every entry, sorted by topic then partition, as an array the caller frees
 * with free() (the entry strings point into the store: valid until the next
 * change). *n gets the count. Entries without a value are included only when
 * with_pending is true.
 */
offset_entry *offsets_sorted(const offsets *o, bool with_pending, int32_t *n);

#endif
