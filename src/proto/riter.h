/*
 * riter.h: iterates the records of one uncompressed RecordBatch v2.
 *
 * Input is untrusted (the network or a log on disk). riter_init() runs the
 * full batch check (header, CRC, counts: rb_check) first. Each record is
 * then parsed through a sub-slice limited to its declared length, and must
 * use up exactly that length; the batch must hold exactly recordsCount
 * records. Compressed batches are refused with RITER_COMPRESSED for now.
 *
 * Record layout (DefaultRecord.java), all varints zig-zag:
 *   length, attributes INT8, timestampDelta VARLONG, offsetDelta VARINT,
 *   keyLength (-1 null), key, valueLength (-1 null), value,
 *   headersCount, { keyLength, key, valueLength (-1 null), value }*
 *
 * Keys and values are views into the batch bytes, valid while they are.
 * An iterator is plain data; one thread uses it at a time.
 */
#ifndef TM_RITER_H
#define TM_RITER_H

#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"
#include "proto/kmsg.h"
#include "proto/records.h"

/* Statuses beyond enum rb_status (records.h). */
#define RITER_COMPRESSED (-20) /* NEEDSWORK: decompress gzip/snappy/lz4/zstd */
#define RITER_BAD_RECORD (-21) /* a record is malformed or the count is off */

typedef struct riter {
	rb_header h;  /* the batch header (producer id, attributes, ...) */
	slice s;      /* the records still to read */
	int32_t left; /* records still to read */
	int err;      /* sticky: the status that stopped iteration */
} riter;

typedef struct riter_record {
	int64_t offset;	   /* baseOffset + offsetDelta */
	int64_t timestamp; /* baseTimestamp + delta; maxTimestamp for LogAppendTime */
	int8_t attributes;
	kbytes key;   /* len -1: null */
	kbytes value; /* len -1: null (tombstone) */
	int32_t headers_count;
	kbytes headers; /* the raw header entries (headers_count of them) */
} riter_record;

/*
 * Checks the batch at p (n bytes, at least the whole batch) and positions it
 * before the first record. Returns RB_OK (0), an rb_status (RB_NEED_MORE,
 * RB_BAD_MAGIC, RB_BAD_LENGTH, RB_BAD_CRC, RB_BAD_COUNT) or RITER_COMPRESSED.
 */
int riter_init(riter *it, const uint8_t *p, size_t n);
/*
 * Reads the next record into *r. Returns 1 for a record, 0 at the end of
 * the batch, or RITER_BAD_RECORD (sticky) when a record is malformed or
 * the batch holds more or fewer records than it declares.
 */
int riter_next(riter *it, riter_record *r);
/* Human-readable status for log lines (rb_status values included). */
const char *riter_strerror(int status);
/*
 * For a record of a control batch: the control type (RB_CONTROL_ABORT,
 * RB_CONTROL_COMMIT, ...) read from its key (version INT16, type INT16),
 * or -1 when the key is too short.
 */
int riter_control_type(const riter_record *r);

#endif
