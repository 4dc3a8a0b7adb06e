/*
 * rbuild.h: builds uncompressed RecordBatch v2 batches (records.h layout).
 *
 * The broker writes batches of its own for __consumer_offsets and
 * __transaction_state records and for transaction markers. A built batch
 * has base offset 0 (the log assigns the real one), partitionLeaderEpoch -1
 * unless given, magic 2, a correct CRC-32C, baseTimestamp = the first
 * record's timestamp, maxTimestamp = the largest, and records without
 * headers. Nothing here keeps state; any thread may call it.
 */
#ifndef TM_RBUILD_H
#define TM_RBUILD_H

#include <stdint.h>

#include "core/buf.h"
#include "proto/kmsg.h"

/* One record to write. A len of -1 means null: a null value is a
 * tombstone. The bytes are copied into the output. */
typedef struct rb_record {
	kbytes key;
	kbytes value;
	int64_t timestamp;
} rb_record;

/* Batch-level fields. rbuild_opts_init() gives a plain (non-idempotent,
 * non-transactional) batch: producerId -1, epoch -1, sequence -1. */
typedef struct rb_batch_opts {
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int16_t attributes;   /* RB_ATTR_TRANSACTIONAL / RB_ATTR_CONTROL; no compression */
	int32_t leader_epoch; /* partitionLeaderEpoch, -1 = none */
} rb_batch_opts;

/* Control record types (ControlRecordType.java): the key's type field. */
#define RB_CONTROL_ABORT 0
#define RB_CONTROL_COMMIT 1

/* Sets o to the defaults above. */
void rbuild_opts_init(rb_batch_opts *o);

/*
 * Appends one batch holding records recs[0..n-1] (n >= 1) to b.
 * Returns 0, or -1 when n < 1, a key/value length is below -1, the
 * attributes ask for compression, the batch would pass INT32_MAX bytes, or
 * b overflowed (b->err set).
 */
int rbuild_batch(buf *b, const rb_batch_opts *o, const rb_record *recs, int n);

/*
 * Appends a transaction marker batch (control + transactional, one record,
 * baseSequence -1): key = version 0 + type (RB_CONTROL_ABORT/COMMIT),
 * value = version 0 + coordinator_epoch. Returns 0 or -1 as rbuild_batch().
 */
int rbuild_control_batch(buf *b, int64_t producer_id, int16_t producer_epoch, int type,
			 int32_t coordinator_epoch, int64_t timestamp);

#endif
