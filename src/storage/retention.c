/*
 * retention.c: the delete retention policy (see retention.h for the rules).
 *
 * Pure functions over an array the caller fills; every sum saturates at
 * INT64_MAX and every difference is taken only after a comparison, so no
 * input (a segment size or timestamp read back from disk, a retention
 * value from a topic config) can overflow.
 */
#include "storage/retention.h"

/* Segments the time rule deletes: the prefix whose largest timestamp is
 * older than retention_ms. */
static size_t by_time(const retention_seg *segs, size_t cand, int64_t now_ms, int64_t retention_ms)
{
	size_t k = 0;

	if (retention_ms < 0)
		return 0;
	while (k < cand) {
		int64_t ts = segs[k].max_ts;

		/* now - ts > retention_ms, written so it cannot overflow; a
		 * timestamp in the future (ts > now) keeps the segment, as in
		 * Kafka, where the difference is negative */
		if (ts < 0 || ts > now_ms || now_ms - ts <= retention_ms)
			break;
		k++;
	}
	return k;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	if (b < 0)
		b = 0;
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Segments the size rule deletes. */
static size_t by_size(const retention_seg *segs, size_t n, size_t cand, int64_t retention_bytes)
{
	int64_t total = 0, diff;
	size_t k = 0;

	if (retention_bytes < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		total = sat_add(total, segs[i].size);
	if (total < retention_bytes)
		return 0;
	diff = total - retention_bytes;
	while (k < cand) {
		int64_t s = segs[k].size > 0 ? segs[k].size : 0;

		if (diff < s)
			break;
		diff -= s;
		k++;
	}
	return k;
}

void retention_compute(const retention_seg *segs, size_t n, int64_t hwm, int64_t now_ms,
		       int64_t retention_ms, int64_t retention_bytes, retention_plan *plan)
{
	size_t cand = 0, kt, kb;

	plan->nsegs = 0;
	plan->new_start = -1;
	plan->reasons = 0;
	/* candidates: never the active segment, and only segments whose every
	 * offset is below the high watermark (next base <= hwm) */
	while (n > 0 && cand + 1 < n && segs[cand + 1].base <= hwm)
		cand++;
	if (cand == 0)
		return;
	kt = by_time(segs, cand, now_ms, retention_ms);
	kb = by_size(segs, n, cand, retention_bytes);
	if (kt)
		plan->reasons |= RETENTION_TIME;
	if (kb)
		plan->reasons |= RETENTION_BYTES;
	plan->nsegs = kt > kb ? kt : kb;
	if (plan->nsegs)
		plan->new_start = segs[plan->nsegs].base;
}

const char *retention_reason_str(unsigned reasons)
{
	switch (reasons & (RETENTION_TIME | RETENTION_BYTES)) {
	case RETENTION_TIME:
		return "retention.ms";
	case RETENTION_BYTES:
		return "retention.bytes";
	case RETENTION_TIME | RETENTION_BYTES:
		return "retention.ms, retention.bytes";
	default:
		return "";
	}
}
