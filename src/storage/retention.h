/*
 * retention.h: the delete retention policy, as pure arithmetic.
 *
 * Given the segments of one partition log (oldest first, the last one
 * active), decides how many leading segments time retention (retention.ms)
 * and size retention (retention.bytes) delete. Nothing here touches files:
 * plog_retention_point() (plog.h) feeds it the segments and the retention
 * task (broker/retention_task.h) applies the answer with plog_advance_start().
 *
 * The rules follow Kafka's UnifiedLog.deleteOldSegments:
 *  - only whole segments go, from the start of the log, and a walk stops at
 *    the first segment that must stay (deletion never leaves a hole);
 *  - the active (last) segment never goes;
 *  - a segment goes only when all of it lies below the high watermark,
 *    i.e. the next segment's base is <= hwm;
 *  - time: a segment goes when now - its largest timestamp > retention.ms
 *    (retention.ms < 0: keep forever);
 *  - size: with retention.bytes >= 0, leading segments go while the log
 *    stays at least retention.bytes big without them (Kafka's
 *    retentionSizeBreach: diff = size - retention.bytes; a segment of s
 *    bytes goes while diff - s >= 0).
 * The two are applied together: the deletion covers the longer prefix.
 *
 * Threads: any; no state.
 */
#ifndef TM_RETENTION_H
#define TM_RETENTION_H

#include <stddef.h>
#include <stdint.h>

/* What retention needs to know of one segment. */
typedef struct retention_seg {
	int64_t base;	/* first offset the segment may hold */
	int64_t size;	/* bytes of batches */
	int64_t max_ts; /* largest batch timestamp (plog falls back to the file's
			 * modification time when no batch has one); < 0: unknown,
			 * which time retention never deletes */
} retention_seg;

/* Why segments go (bit set). */
enum {
	RETENTION_TIME = 1,  /* retention.ms */
	RETENTION_BYTES = 2, /* retention.bytes */
};

typedef struct retention_plan {
	size_t nsegs;	   /* leading segments to delete (0: none) */
	int64_t new_start; /* base of the first segment kept (segs[nsegs].base);
			    * meaningless when nsegs == 0 */
	unsigned reasons;  /* RETENTION_* bits of the rules that deleted any */
} retention_plan;

/*
 * Computes the plan for segs[0..n) (sorted by base, the last one active),
 * with hwm the high watermark and now_ms the wall clock. retention_ms < 0
 * turns time retention off, retention_bytes < 0 size retention. Sizes are
 * summed with saturation, so hostile values cannot overflow. Fills *plan.
 */
void retention_compute(const retention_seg *segs, size_t n, int64_t hwm, int64_t now_ms,
		       int64_t retention_ms, int64_t retention_bytes, retention_plan *plan);

/* "retention.ms", "retention.bytes" or "retention.ms, retention.bytes" for
 * the reasons bits (for log lines); "" for 0. Static storage. */
const char *retention_reason_str(unsigned reasons);

#endif
