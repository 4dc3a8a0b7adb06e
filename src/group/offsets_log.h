/*
 * offsets_log.h: __consumer_offsets records (Kafka's binary formats) and the
 * group-to-partition hash.
 *
 * Every record's key and value start with an INT16 version; the key version
 * is the record type (README section 5, CoordinatorRecordSerde.java):
 *
 *   key v0/v1  OffsetCommitKey    group STRING, topic STRING, partition INT32
 *              value OffsetCommitValue, we write v3:
 *                offset INT64, leaderEpoch INT32, metadata STRING,
 *                commitTimestamp INT64
 *              or v1 when the commit carried a retention time (OffsetCommit
 *              v2-v4 retention_time_ms != -1):
 *                offset INT64, metadata STRING, commitTimestamp INT64,
 *                expireTimestamp INT64
 *   key v2     GroupMetadataKey   group STRING
 *              value GroupMetadataValue, we write v3:
 *                protocolType STRING, generation INT32,
 *                protocol NULLABLE_STRING, leader NULLABLE_STRING,
 *                currentStateTimestamp INT64,
 *                members ARRAY of { memberId STRING,
 *                  groupInstanceId NULLABLE_STRING, clientId STRING,
 *                  clientHost STRING, rebalanceTimeout INT32,
 *                  sessionTimeout INT32, subscription BYTES,
 *                  assignment BYTES }
 *   key v3+    KIP-848 / KIP-932 records: skipped on load.
 *
 * A null value is a tombstone (offset deleted / group deleted). Readers
 * accept every value version 0-4 (v4 is flexible, KIP-915).
 *
 * The records of one operation go into one uncompressed RecordBatch v2, so
 * they become durable (and are replayed) together.
 */
#ifndef TM_OFFSETS_LOG_H
#define TM_OFFSETS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "group/offsets.h"
#include "proto/gen/msg_group_metadata_value.h"
#include "proto/gen/msg_offset_commit_value.h"
#include "proto/kmsg.h"

/* Java's String.hashCode over the UTF-16 code units of the UTF-8 string s
 * (invalid UTF-8 bytes count as U+FFFD each), in int32 wraparound. */
int32_t offsets_log_java_hash(kstr s);
/* abs(hash(group)) % nparts, with Kafka's Utils.abs(INT_MIN) = 0. */
int32_t offsets_log_partition_for(kstr group, int32_t nparts);

/* Records being gathered for one batch. */
typedef struct offsets_log_batch {
	buf data;               /* key and value bytes of every record */
	struct olog_rec {
		size_t key_off, key_len;
		size_t val_off;
		int32_t val_len;        /* -1: tombstone */
	} *recs;
	int32_t n, cap;
} offsets_log_batch;

void offsets_log_batch_init(offsets_log_batch *b);
void offsets_log_batch_release(offsets_log_batch *b);
/* Adds an offset commit (v NULL: tombstone). Value v1 when v->expire_ts
 * != -1, else v3. */
void offsets_log_add_commit(offsets_log_batch *b, kstr group, kstr topic, int32_t partition,
			    const offset_value *v);
/* Adds a group metadata record (v NULL: tombstone), value v3. */
void offsets_log_add_group(offsets_log_batch *b, kstr group, const kmsg_GroupMetadataValue *v);
/*
 * Appends the records as one uncompressed RecordBatch v2 (base offset 0,
 * no producer, timestamps now_ms, CRC set) to out. Returns 0, or -1 when
 * out overflowed its max or the batch is empty.
 */
int offsets_log_build(const offsets_log_batch *b, int64_t now_ms, buf *out);

enum offsets_log_kind {
	OLOG_UNKNOWN = 0,   /* key version we do not know: skip */
	OLOG_COMMIT,
	OLOG_GROUP,
};

/* One decoded record; strings point into the record bytes or the arena. */
typedef struct offsets_log_record {
	enum offsets_log_kind kind;
	int16_t key_version;
	int16_t value_version;
	bool tombstone;
	kstr group;
	kstr topic;             /* OLOG_COMMIT */
	int32_t partition;      /* OLOG_COMMIT */
	kmsg_OffsetCommitValue commit;  /* OLOG_COMMIT, not a tombstone */
	kmsg_GroupMetadataValue meta;   /* OLOG_GROUP, not a tombstone */
} offsets_log_record;

/* Decodes one record's key and value (value.len -1: tombstone). Returns 0,
 * or -1 when the bytes are malformed. An unknown key version gives kind
 * OLOG_UNKNOWN and 0. */
int offsets_log_decode(kbytes key, kbytes value, arena *a, offsets_log_record *out);

#endif
