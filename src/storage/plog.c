/*
 * plog.c: the partition log: a sorted list of segments behind plog.h.
 *
 * Directory layout (docs/storage-format.md has every format):
 *   <dir>/<20-digit base>.log / .index / .timeindex   segments (segment.h)
 *   <dir>/log-start-offset                            start offset, when it
 *       lies past the first segment's base (checkpoint.h)
 *
 * Invariants (between calls, on the loop thread):
 *  - segs[] is sorted by base offset, never empty; segs[nsegs-1] is the
 *    active segment, the only one appended to; segments hold no offsets of
 *    a later segment (a later base is above every offset of an earlier one);
 *  - start <= leo, durable <= leo, leo = next offset of the active segment
 *    (start may pass durable: DeleteRecords does not wait for syncs);
 *  - unsynced[] lists rolled segments whose files no sync has covered yet;
 *    their index descriptors stay open until a ticket dup()s them;
 *  - at most one sync ticket is out (ticket != NULL); gen changes whenever
 *    data below the LEO is dropped, so a ticket taken before a truncation
 *    cannot vouch for what was appended after it;
 *  - failed is sticky: no append, truncate or sync after it.
 */
#include "storage/plog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/records.h"
#include "storage/checkpoint.h"
#include "storage/fileio.h"
#include "storage/recovery.h"
#include "storage/retention.h"
#include "storage/segment.h"

#define PLOG_HINTS 4
#define START_FILE "log-start-offset"

/* "The batch with base offset `offset` starts at pos of seg": remembered
 * after each read so that a consumer's next read needs no lookup. */
struct read_hint {
	segment *seg;
	int64_t offset;
	int64_t pos;
};

struct plog_sync_ticket {
	plog *log;   /* NULL once the log was closed (orphaned ticket) */
	int64_t leo; /* LEO when the ticket was taken */
	uint64_t gen;
	int *fds; /* dup()ed; files first, then the directory (if any) */
	int nfds, nfiles;
	uint64_t dev; /* st_dev of the log's directory */
};

struct plog {
	char *dir;
	int dirfd;
	uint64_t dev; /* st_dev of dir */
	plog_config cfg;
	segment **segs;
	size_t nsegs, segs_cap;
	int64_t start, leo, durable, lso; /* lso < 0: follows the LEO */
	int64_t bytes;
	bool failed;
	bool nospace; /* the last append hit a full disk (for log lines) */
	uint64_t gen;
	plog_sync_ticket *ticket;
	segment **unsynced;
	size_t nunsynced, unsynced_cap;
	bool dir_dirty;
	struct read_hint hints[PLOG_HINTS];
	unsigned next_hint;
};

static void clamp_config(plog_config *c)
{
	/* Index positions are INT32 (Kafka's 2 GiB segment limit), so a
	 * segment may never pass INT32_MAX bytes; and it must hold a batch. */
	if (c->segment_bytes > INT32_MAX)
		c->segment_bytes = INT32_MAX;
	if (c->segment_bytes < RB_HEADER_SIZE)
		c->segment_bytes = RB_HEADER_SIZE;
	if (c->index_interval_bytes < 0)
		c->index_interval_bytes = 0;
}

static segment *active(const plog *log)
{
	return log->segs[log->nsegs - 1];
}

/* Marks the log failed after an I/O error; returns PLOG_EIO. */
static int fail_io(plog *log, const char *what, const char *path, int err)
{
	log_error("%s failed for '%s': %s; partition log '%s' is now failed", what, path,
		  err < 0 ? strerror(-err) : "corrupt data", log->dir);
	log->failed = true;
	return PLOG_EIO;
}

static void push_seg(plog *log, segment *seg)
{
	if (log->nsegs == log->segs_cap) {
		log->segs_cap = log->segs_cap ? st_mult(log->segs_cap, 2) : 8;
		log->segs = xrealloc(log->segs, st_mult(log->segs_cap, sizeof(*log->segs)));
	}
	log->segs[log->nsegs++] = seg;
}

static void recount_bytes(plog *log)
{
	log->bytes = 0;
	for (size_t i = 0; i < log->nsegs; i++)
		log->bytes += segment_size(log->segs[i]);
}

static void clear_hints(plog *log)
{
	memset(log->hints, 0, sizeof(log->hints));
}

/* Forgets seg in the unsynced list (it is being deleted or made active). */
static void unsynced_drop(plog *log, segment *seg)
{
	size_t k = 0;

	for (size_t i = 0; i < log->nunsynced; i++)
		if (log->unsynced[i] != seg)
			log->unsynced[k++] = log->unsynced[i];
	log->nunsynced = k;
}

static void unsynced_add(plog *log, segment *seg)
{
	if (log->nunsynced == log->unsynced_cap) {
		log->unsynced_cap = log->unsynced_cap ? st_mult(log->unsynced_cap, 2) : 4;
		log->unsynced =
		    xrealloc(log->unsynced, st_mult(log->unsynced_cap, sizeof(*log->unsynced)));
	}
	log->unsynced[log->nunsynced++] = seg;
}

/* Index of the last segment whose base is <= offset (0 if none). */
static size_t seg_index_for(const plog *log, int64_t offset)
{
	size_t lo = 0, hi = log->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (segment_base(log->segs[mid]) <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

/* Offset bound for the batches of segs[i]: the next segment's base. */
static int64_t seg_limit(const plog *log, size_t i)
{
	return i + 1 < log->nsegs ? segment_base(log->segs[i + 1]) : INT64_MAX;
}

/* ---- open and recovery ------------------------------------------------ */

/* Deletes the files of segments bases[from..n) (unopened), which follow a
 * corruption. They must go: left behind, they would come back as valid data
 * after a gap at the next open. */
static int drop_following(plog *log, const int64_t *bases, size_t from, size_t n)
{
	for (size_t j = from; j < n; j++) {
		int rc = segment_unlink_files(log->dir, bases[j]);

		log_warn("deleting segment %020lld in '%s': it follows a corruption",
			 (long long)bases[j], log->dir);
		if (rc)
			return fail_io(log, "deleting a segment in", log->dir, rc);
	}
	return 0;
}

/* Opens segment i of n and makes it trustworthy: indexes loaded when it
 * lies wholly below the recovery point, else (or when they are bad) a full
 * scan that may cut it. Sets *cut. */
static int open_one(plog *log, const int64_t *bases, size_t i, size_t n, int64_t rp, int64_t now,
		    bool *cut)
{
	int64_t limit = i + 1 < n ? bases[i + 1] : INT64_MAX;
	/* NEEDSWORK: the active segment is scanned at every start because its
	 * indexes are never synced; a clean-shutdown marker (Kafka's
	 * .kafka_cleanshutdown) written after syncing them would skip that. */
	bool last = i + 1 == n, scan = rp < 0 || last || limit > rp;
	segment *seg;
	int rc = segment_open(&seg, log->dir, bases[i], now);

	*cut = false;
	if (rc < 0) {
		char name[64];

		snprintf(name, sizeof(name), "segment %lld", (long long)bases[i]);
		return fail_io(log, "open", name, rc);
	}
	push_seg(log, seg);
	if (!scan) {
		rc = segment_load_indexes(seg, limit);
		if (rc == SEG_BADINDEX) {
			log_info("rebuilding the indexes of '%s'", segment_log_path(seg));
			scan = true;
		} else if (rc) {
			return fail_io(log, "reading indexes", segment_log_path(seg), rc);
		}
	}
	if (scan) {
		bool older = !last && !*cut;

		rc = recovery_repair(seg, limit, log->cfg.index_interval_bytes, cut);
		older = older && !*cut;
		/* an older segment gets its final time index entry back */
		if (!rc && older)
			rc = segment_seal(seg);
		/* the data may sit in the page cache only: make "durable = LEO"
		 * true before claiming it, and the indexes of an older segment
		 * durable before a recovery point passes it */
		if (!rc)
			rc = segment_fsync(seg, older);
		if (rc)
			return fail_io(log, "recovery", segment_log_path(seg), rc);
	}
	if (!last && !*cut)
		segment_close_indexes(seg);
	return 0;
}

static int open_segments(plog *log, int64_t rp, int64_t now)
{
	int64_t *bases = NULL;
	size_t n = 0;
	int rc = recovery_list(log->dir, &bases, &n);

	if (rc)
		return fail_io(log, "listing", log->dir, rc);
	for (size_t i = 0; i < n; i++) {
		bool cut;

		rc = open_one(log, bases, i, n, rp, now, &cut);
		if (rc)
			break;
		if (cut && i + 1 < n) {
			rc = drop_following(log, bases, i + 1, n);
			log->dir_dirty = true;
			break;
		}
	}
	free(bases);
	return rc;
}

/* Reads log-start-offset; -1 when absent or unusable. */
static int64_t read_start_file(const plog *log)
{
	char *path = fileio_join(log->dir, START_FILE);
	int64_t off = -1;

	if (checkpoint_read_offset(path, &off) != 0)
		off = -1;
	free(path);
	return off;
}

static int open_dir(plog *log)
{
	struct stat st;

	if (mkdir(log->dir, 0755) < 0 && errno != EEXIST)
		return fail_io(log, "mkdir", log->dir, -errno);
	log->dirfd = fileio_open(log->dir, O_RDONLY | O_DIRECTORY, 0);
	if (log->dirfd < 0)
		return fail_io(log, "open", log->dir, log->dirfd);
	if (fstat(log->dirfd, &st) < 0)
		return fail_io(log, "stat", log->dir, -errno);
	log->dev = (uint64_t)st.st_dev;
	return 0;
}

/* Sets start, LEO and durable once the segments are open. */
static int finish_open(plog *log, int64_t now)
{
	int64_t file_start = read_start_file(log);
	int rc;

	if (!log->nsegs) {
		segment *seg;
		int64_t base = file_start > 0 ? file_start : 0;

		rc = segment_create(&seg, log->dir, base, now);
		if (!rc)
			rc = fileio_fsync(log->dirfd, false);
		if (rc)
			return fail_io(log, "creating a segment in", log->dir, rc);
		push_seg(log, seg);
	} else if (log->dir_dirty) {
		rc = fileio_fsync(log->dirfd, false);
		if (rc)
			return fail_io(log, "fsync", log->dir, rc);
	}
	log->dir_dirty = false;
	log->leo = segment_next_offset(active(log));
	log->durable = log->leo;
	log->start = segment_base(log->segs[0]);
	if (file_start > log->start)
		log->start = file_start;
	if (log->start > log->leo) {
		log_warn("log start offset %lld of '%s' is past its end %lld; using the end",
			 (long long)log->start, log->dir, (long long)log->leo);
		log->start = log->leo;
	}
	recount_bytes(log);
	return 0;
}

int plog_open(plog **out, const char *dir, const plog_config *cfg, int64_t recovery_point)
{
	plog *log = xcalloc(1, sizeof(*log));
	int64_t now = clock_now_ms();
	int rc;

	log->dir = xstrdup(dir);
	log->dirfd = -1;
	log->cfg = *cfg;
	log->lso = -1;
	clamp_config(&log->cfg);
	rc = open_dir(log);
	if (!rc)
		rc = open_segments(log, recovery_point, now);
	if (!rc)
		rc = finish_open(log, now);
	if (rc) {
		plog_close(log);
		return rc;
	}
	*out = log;
	return 0;
}

void plog_close(plog *log)
{
	if (!log)
		return;
	if (log->ticket)
		log->ticket->log = NULL; /* plog_sync_end frees it */
	for (size_t i = 0; i < log->nsegs; i++)
		segment_free(log->segs[i]);
	if (log->dirfd >= 0)
		close(log->dirfd);
	free(log->segs);
	free(log->unsynced);
	free(log->dir);
	free(log);
}

void plog_set_config(plog *log, const plog_config *cfg)
{
	log->cfg = *cfg;
	clamp_config(&log->cfg);
}

int64_t plog_start_offset(const plog *log)
{
	return log->start;
}
int64_t plog_end_offset(const plog *log)
{
	return log->leo;
}
int64_t plog_durable_offset(const plog *log)
{
	return log->durable;
}
bool plog_failed(const plog *log)
{
	return log->failed;
}
int64_t plog_size_bytes(const plog *log)
{
	return log->bytes;
}
const char *plog_dir(const plog *log)
{
	return log->dir;
}
int plog_segment_count(const plog *log)
{
	return (int)log->nsegs;
}

int64_t plog_lso(const plog *log)
{
	return log->lso >= 0 && log->lso < log->leo ? log->lso : log->leo;
}

void plog_set_lso(plog *log, int64_t lso)
{
	log->lso = lso;
}

/* ---- append --------------------------------------------------------- */

static int roll(plog *log, int64_t now_ms)
{
	segment *old = active(log), *seg;
	int rc = segment_seal(old);

	if (rc)
		return fail_io(log, "writing indexes", segment_log_path(old), rc);
	rc = segment_create(&seg, log->dir, log->leo, now_ms);
	if (rc)
		return fail_io(log, "creating a segment in", log->dir, rc);
	push_seg(log, seg);
	unsynced_add(log, old);
	log->dir_dirty = true;
	return 0;
}

/* After a failed append: true when the segment file is back to the size the
 * segment knows (segment_append cut the partial batch off). */
static bool tail_intact(segment *seg)
{
	struct stat st;

	return fstat(segment_log_fd(seg), &st) == 0 && st.st_size == segment_size(seg);
}

int plog_append(plog *log, uint8_t *batch, size_t len, int64_t now_ms, plog_append_info *info)
{
	rb_header h;
	int rc;

	if (log->failed)
		return PLOG_EFAILED;
	if (rb_parse_header(batch, len, &h) != RB_OK || rb_total_size(&h) != len ||
	    h.last_offset_delta < 0)
		return PLOG_ECORRUPT;
	if (len > (uint64_t)log->cfg.segment_bytes)
		return PLOG_ETOOBIG;
	if (h.last_offset_delta >= INT64_MAX - log->leo)
		return PLOG_ERANGE; /* offset space exhausted */
	rb_set_base_offset(batch, log->leo);
	if (log->cfg.log_append_time)
		rb_set_log_append_time(batch, len, now_ms);
	h.base_offset = log->leo;
	if (log->cfg.log_append_time)
		h.max_timestamp = now_ms;
	if (segment_should_roll(active(log), len, &h, &log->cfg, now_ms)) {
		rc = roll(log, now_ms);
		if (rc)
			return rc;
	}
	rc = segment_append(active(log), batch, len, &h, log->cfg.index_interval_bytes);
	if ((rc == -ENOSPC || rc == -EDQUOT) && tail_intact(active(log))) {
		if (!log->nospace)
			log_warn("disk full: append to '%s' refused; the partition stays online",
				 segment_log_path(active(log)));
		log->nospace = true;
		return PLOG_ENOSPC;
	}
	if (rc)
		return fail_io(log, "append", segment_log_path(active(log)), rc);
	if (log->nospace)
		log_info("appends to '%s' work again", log->dir);
	log->nospace = false;
	log->leo = segment_hdr_last(&h) + 1;
	log->bytes += (int64_t)len;
	if (info) {
		info->base_offset = h.base_offset;
		info->last_offset = segment_hdr_last(&h);
		info->log_append_time = log->cfg.log_append_time ? now_ms : -1;
		info->log_start_offset = log->start;
	}
	return 0;
}

/* ---- reads ---------------------------------------------------------- */

/* Turns a segment lookup failure into PLOG_EIO (log failed, logged). */
static int read_failed(plog *log, segment *seg, int rc)
{
	if (rc == PLOG_ECORRUPT) {
		/* Damage in a segment that recovery trusted (below the recovery
		 * point). Without its index the next start cannot trust it
		 * again: it gets the full CRC scan, which cuts the damage. */
		log_error("corrupt batch headers in '%s'; it will be scanned at the next start",
			  segment_log_path(seg));
		(void)segment_unlink_index(seg);
	}
	return fail_io(log, "read", segment_log_path(seg), rc == PLOG_ECORRUPT ? 0 : rc);
}

/* Rebuilds the indexes of seg (i) from its data, headers only. */
static int reindex(plog *log, size_t i)
{
	segment *seg = log->segs[i];
	recovery_result res;
	bool was_active = i + 1 == log->nsegs;
	int rc;

	log_warn("offset index of '%s' is inconsistent; rebuilding it", segment_log_path(seg));
	rc = recovery_scan(seg, false, seg_limit(log, i), log->cfg.index_interval_bytes, &res);
	if (!rc && (res.reason || (was_active && segment_next_offset(seg) != log->leo)))
		rc = PLOG_ECORRUPT;
	if (!rc)
		rc = was_active ? segment_persist_indexes(seg) : segment_seal(seg);
	if (!rc && !was_active)
		rc = segment_fsync(seg, true);
	return rc ? read_failed(log, seg, rc) : 0;
}

/* segment_find with one index rebuild on SEG_BADINDEX. */
static int find_in(plog *log, seg_cursor *cur, size_t i, int64_t offset, int64_t *pos, rb_header *h)
{
	int rc = segment_find(log->segs[i], cur, offset, pos, h);

	if (rc == SEG_BADINDEX) {
		rc = reindex(log, i);
		if (!rc)
			rc = segment_find(log->segs[i], cur, offset, pos, h);
		if (rc == SEG_BADINDEX)
			rc = PLOG_ECORRUPT;
	}
	return rc;
}

/* Tries the read hints; returns the slot that matched, or -1. */
static int hint_lookup(plog *log, seg_cursor *cur, int64_t offset, int64_t *pos, rb_header *h)
{
	for (int k = 0; k < PLOG_HINTS; k++) {
		struct read_hint *rh = &log->hints[k];

		if (!rh->seg || rh->offset != offset || rh->pos >= segment_size(rh->seg))
			continue;
		if (segment_header_at(rh->seg, cur, rh->pos, h) == 0 && h->base_offset <= offset &&
		    offset <= segment_hdr_last(h)) {
			*pos = rh->pos;
			return k;
		}
	}
	return -1;
}

/* Finds the segment and batch for offset: *si, *pos, *h, and the hint
 * slot that matched (-1 if none). Returns 0, SEG_END (nothing at or after
 * offset) or PLOG_EIO. */
static int locate(plog *log, seg_cursor *cur, int64_t offset, size_t *si, int64_t *pos,
		  rb_header *h, int *slot)
{
	*slot = hint_lookup(log, cur, offset, pos, h);
	if (*slot >= 0) {
		segment *seg = log->hints[*slot].seg;

		*si = seg_index_for(log, segment_base(seg));
		if (log->segs[*si] == seg)
			return 0;
		*slot = -1; /* never: hints are cleared when segments go */
	}
	for (*si = seg_index_for(log, offset); *si < log->nsegs; (*si)++) {
		int rc = find_in(log, cur, *si, offset, pos, h);

		if (rc == SEG_END)
			continue;
		if (rc == PLOG_EIO)
			return rc;
		return rc ? read_failed(log, log->segs[*si], rc) : 0;
	}
	return SEG_END;
}

static void hint_store(plog *log, int slot, segment *seg, int64_t offset, int64_t pos)
{
	if (slot < 0)
		slot = (int)(log->next_hint++ % PLOG_HINTS);
	log->hints[slot] = (struct read_hint){seg, offset, pos};
}

int plog_read(plog *log, int64_t offset, size_t max_bytes, int64_t upto, plog_range *r)
{
	int64_t pos, end, next_base;
	seg_cursor cur;
	rb_header h;
	size_t si;
	int slot, rc;

	r->fd = -1;
	r->pos = 0;
	r->len = 0;
	r->next_offset = offset;
	if (offset < log->start || offset > log->leo)
		return PLOG_ERANGE;
	if (upto > log->leo)
		upto = log->leo;
	if (offset >= upto)
		return 0;
	seg_cursor_init(&cur);
	rc = locate(log, &cur, offset, &si, &pos, &h, &slot);
	if (rc == SEG_END)
		return 0;
	if (rc)
		return rc;
	if (h.base_offset >= upto)
		return 0;
	rc = segment_range(log->segs[si], &cur, pos, &h, max_bytes, upto, &end, &next_base);
	if (rc == SEG_BADINDEX) {
		rc = reindex(log, si);
		if (!rc)
			rc = segment_range(log->segs[si], &cur, pos, &h, max_bytes, upto, &end,
					   &next_base);
	}
	if (rc == PLOG_EIO)
		return rc;
	if (rc)
		return read_failed(log, log->segs[si], rc);
	r->fd = segment_log_fd(log->segs[si]);
	r->pos = (off_t)pos;
	r->len = (size_t)(end - pos);
	r->next_offset = next_base;
	hint_store(log, slot, log->segs[si], next_base, end);
	return 0;
}

int plog_offset_for_time(plog *log, int64_t ts, int64_t *offset_out, int64_t *ts_out)
{
	return plog_offset_for_time_from(log, ts, log->start, offset_out, ts_out);
}

int plog_offset_for_time_from(plog *log, int64_t ts, int64_t from, int64_t *offset_out,
			      int64_t *ts_out)
{
	seg_cursor cur;

	seg_cursor_init(&cur);
	*offset_out = -1;
	*ts_out = -1;
	if (from < log->start)
		from = log->start;
	for (size_t i = 0; i < log->nsegs; i++) {
		segment *seg = log->segs[i];
		int64_t mts, mo;
		int rc;

		segment_max_timestamp(seg, &mts, &mo);
		if (mts < ts || segment_next_offset(seg) <= from)
			continue;
		rc = segment_find_time(seg, &cur, ts, from, offset_out, ts_out);
		if (rc == SEG_BADINDEX) {
			rc = reindex(log, i);
			if (!rc)
				rc = segment_find_time(seg, &cur, ts, from, offset_out, ts_out);
		}
		if (!rc)
			return 0;
		*offset_out = -1;
		*ts_out = -1;
		if (rc == SEG_END)
			continue; /* only batches below `from` had it */
		return rc == PLOG_EIO ? rc : read_failed(log, seg, rc);
	}
	return 0;
}

/* The largest batch maxTimestamp among the batches of segs[i] holding
 * offsets >= from, and the base offset (at least from) of the first batch
 * with it; -1/-1 if none. Walks the headers from the batch holding from:
 * the segment's own maximum may lie in a batch below it. */
static int max_timestamp_walk(plog *log, size_t i, int64_t from, int64_t *ts, int64_t *offset)
{
	segment *seg = log->segs[i];
	seg_cursor cur;
	int64_t pos;
	rb_header h;
	int rc;

	seg_cursor_init(&cur);
	*ts = -1;
	*offset = -1;
	rc = find_in(log, &cur, i, from, &pos, &h);
	while (!rc) {
		if (h.max_timestamp > *ts) {
			*ts = h.max_timestamp;
			*offset = h.base_offset > from ? h.base_offset : from;
		}
		pos += (int64_t)rb_total_size(&h);
		if (pos >= segment_size(seg))
			return 0;
		rc = segment_header_at(seg, &cur, pos, &h);
	}
	if (rc == SEG_END)
		return 0;
	return rc == PLOG_EIO ? rc : read_failed(log, seg, rc);
}

int plog_max_timestamp(plog *log, int64_t from, int64_t *offset_out, int64_t *ts_out)
{
	int64_t best = -1, best_off = -1;

	*offset_out = -1;
	*ts_out = -1;
	if (from < log->start)
		from = log->start;
	for (size_t i = 0; i < log->nsegs; i++) {
		int64_t mts, mo;

		if (segment_next_offset(log->segs[i]) <= from)
			continue;
		segment_max_timestamp(log->segs[i], &mts, &mo);
		if (mts > best && mo < from) {
			int rc = max_timestamp_walk(log, i, from, &mts, &mo);

			if (rc)
				return rc;
		}
		if (mts > best) {
			best = mts;
			best_off = mo;
		}
	}
	if (best >= 0) {
		*offset_out = best_off;
		*ts_out = best;
	}
	return 0;
}

/* ---- truncation and retention ---------------------------------------- */

/* Deletes segs[from..nsegs) (truncation). */
static void delete_tail(plog *log, size_t from)
{
	while (log->nsegs > from) {
		segment *seg = log->segs[--log->nsegs];
		int rc;

		unsynced_drop(log, seg);
		rc = segment_delete(seg);
		if (rc)
			log_warn("cannot delete segment files in '%s': %s", log->dir,
				 strerror(-rc));
	}
}

int plog_truncate(plog *log, int64_t offset)
{
	recovery_result res;
	segment *seg;
	int64_t pos;
	rb_header h;
	size_t i;
	int rc;

	if (log->failed)
		return PLOG_EFAILED;
	if (offset < log->start)
		return PLOG_ERANGE;
	if (offset >= log->leo)
		return 0;
	i = seg_index_for(log, offset);
	rc = find_in(log, NULL, i, offset, &pos, &h);
	if (rc == SEG_END)
		pos = segment_size(log->segs[i]);
	else if (rc)
		return rc == PLOG_EIO ? rc : read_failed(log, log->segs[i], rc);
	clear_hints(log);
	log->gen++;
	delete_tail(log, i + 1);
	seg = log->segs[i];
	unsynced_drop(log, seg);
	rc = segment_cut_file(seg, pos, true);
	if (!rc)
		rc = recovery_scan(seg, false, INT64_MAX, log->cfg.index_interval_bytes, &res);
	if (!rc && res.reason)
		rc = PLOG_ECORRUPT;
	if (!rc)
		rc = segment_open_indexes(seg);
	if (!rc)
		rc = segment_persist_indexes(seg);
	if (!rc)
		rc = fileio_fsync(log->dirfd, false);
	log->leo = segment_next_offset(seg);
	if (log->durable > log->leo)
		log->durable = log->leo;
	if (log->start > log->leo)
		log->start = log->leo;
	recount_bytes(log);
	return rc ? fail_io(log, "truncate", segment_log_path(seg), rc == PLOG_ECORRUPT ? 0 : rc)
		  : 0;
}

int plog_advance_start(plog *log, int64_t offset)
{
	bool deleted = false;
	int rc;

	if (offset <= log->start)
		return 0;
	if (offset > log->leo)
		return PLOG_ERANGE;
	if (log->failed)
		return PLOG_EFAILED;
	log->start = offset;
	/* whole segments below the start go, but never the active one */
	while (log->nsegs > 1 && segment_base(log->segs[1]) <= offset) {
		segment *seg = log->segs[0];

		unsynced_drop(log, seg);
		rc = segment_delete(seg);
		if (rc)
			log_warn("cannot delete segment files in '%s': %s", log->dir,
				 strerror(-rc));
		memmove(log->segs, log->segs + 1, (log->nsegs - 1) * sizeof(*log->segs));
		log->nsegs--;
		deleted = true;
	}
	if (deleted) {
		clear_hints(log);
		recount_bytes(log);
	}
	if (log->start > segment_base(log->segs[0])) {
		char *path = fileio_join(log->dir, START_FILE);

		rc = checkpoint_write_offset(path, log->start);
		if (rc)
			rc = fail_io(log, "writing", path, rc);
		free(path);
		return rc;
	}
	return 0;
}

/* ---- sync tickets ----------------------------------------------------- */

static void ticket_free(plog_sync_ticket *t)
{
	for (int i = 0; i < t->nfds; i++)
		close(t->fds[i]);
	free(t->fds);
	free(t);
}

/* dup()s the descriptors a ticket needs into t. Returns 0 or -errno. */
static int ticket_fill(plog *log, plog_sync_ticket *t)
{
	int rc = segment_dup_fds(active(log), false, t->fds);

	if (rc < 0)
		return rc;
	t->nfds = rc;
	for (size_t i = 0; i < log->nunsynced; i++) {
		rc = segment_dup_fds(log->unsynced[i], true, t->fds + t->nfds);
		if (rc < 0)
			return rc;
		t->nfds += rc;
	}
	t->nfiles = t->nfds;
	if (log->dir_dirty) {
		t->fds[t->nfds] = fcntl(log->dirfd, F_DUPFD_CLOEXEC, 0);
		if (t->fds[t->nfds] < 0)
			return -errno;
		t->nfds++;
	}
	return 0;
}

plog_sync_ticket *plog_sync_begin(plog *log)
{
	plog_sync_ticket *t;
	int rc;

	if (log->failed || log->ticket ||
	    (log->durable >= log->leo && !log->nunsynced && !log->dir_dirty))
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->log = log;
	t->leo = log->leo;
	t->gen = log->gen;
	t->dev = log->dev;
	XALLOC_ARRAY(t->fds, st_add(st_mult(log->nunsynced, 3), 2));
	rc = ticket_fill(log, t);
	if (rc) {
		ticket_free(t);
		fail_io(log, "dup", log->dir, rc);
		return NULL;
	}
	/* the ticket owns copies now: rolled segments need no index fds */
	for (size_t i = 0; i < log->nunsynced; i++)
		segment_close_indexes(log->unsynced[i]);
	log->nunsynced = 0;
	log->dir_dirty = false;
	log->ticket = t;
	return t;
}

int plog_sync_run(plog_sync_ticket *t)
{
	for (int i = 0; i < t->nfds; i++) {
		int rc = fileio_fsync(t->fds[i], i < t->nfiles);

		if (rc)
			return rc;
	}
	return 0;
}

uint64_t plog_sync_dev(const plog_sync_ticket *t)
{
	return t->dev;
}

void plog_sync_end(plog *log, plog_sync_ticket *t, int rc)
{
	if (!t)
		return;
	if (!t->log) {
		ticket_free(t); /* the log closed meanwhile: nothing to update */
		return;
	}
	log->ticket = NULL;
	if (rc) {
		/* never retry: after a failed fsync the kernel may have dropped
		 * the dirty pages, so a later success would prove nothing */
		log_error("fsync failed in '%s': %s; partition log is now failed", log->dir,
			  strerror(rc < 0 ? -rc : EIO));
		log->failed = true;
	} else if (t->gen == log->gen) {
		int64_t upto = t->leo < log->leo ? t->leo : log->leo;

		if (upto > log->durable)
			log->durable = upto;
	}
	ticket_free(t);
}

/* ---- reopening a failed log -------------------------------------------- */

/* Moves fresh's segments and their bookkeeping into log, and log's old ones
 * into fresh (which the caller closes). Fields that are not storage (LSO,
 * configuration, anything a caller set) stay with log. */
static void take_storage(plog *log, plog *fresh)
{
	segment **segs = log->segs, **unsynced = log->unsynced;
	size_t nsegs = log->nsegs, segs_cap = log->segs_cap;
	size_t nunsynced = log->nunsynced, unsynced_cap = log->unsynced_cap;

	log->segs = fresh->segs;
	log->nsegs = fresh->nsegs;
	log->segs_cap = fresh->segs_cap;
	log->unsynced = fresh->unsynced;
	log->nunsynced = fresh->nunsynced;
	log->unsynced_cap = fresh->unsynced_cap;
	fresh->segs = segs;
	fresh->nsegs = nsegs;
	fresh->segs_cap = segs_cap;
	fresh->unsynced = unsynced;
	fresh->nunsynced = nunsynced;
	fresh->unsynced_cap = unsynced_cap;
	log->leo = fresh->leo;
	log->durable = fresh->durable;
	log->bytes = fresh->bytes;
	log->dir_dirty = fresh->dir_dirty;
	if (log->start < fresh->start)
		log->start = fresh->start;
	if (log->start > log->leo)
		log->start = log->leo;
	clear_hints(log);
	log->gen++;
	log->failed = false;
}

int plog_reopen(plog *log)
{
	int64_t keep = log->durable, old_leo = log->leo;
	plog *fresh;
	int rc;

	if (!log->failed)
		return 0;
	if (log->ticket)
		return PLOG_EFAILED; /* its sync is still running: try later */
	/* a full recovery of the files as they are now; segments below the
	 * durable offset were synced with their indexes */
	rc = plog_open(&fresh, log->dir, &log->cfg, keep);
	if (rc)
		return rc;
	if (fresh->leo < keep) {
		log_error("partition log '%s' ends at %lld after reopening, below its durable "
			  "offset %lld", log->dir, (long long)fresh->leo, (long long)keep);
		keep = fresh->leo;
	}
	if (keep < fresh->start)
		keep = fresh->start;
	/* What lies past the durable offset was never acknowledged, and after
	 * a failed fsync the page cache may hold bytes the disk never got: a
	 * sync now could succeed without writing them. Drop it all. */
	rc = plog_truncate(fresh, keep);
	if (rc) {
		plog_close(fresh);
		return rc == PLOG_EFAILED ? PLOG_EIO : rc;
	}
	take_storage(log, fresh);
	plog_close(fresh);
	log_warn("reopened failed partition log '%s' at offset %lld (dropped %lld unsynced "
		 "offsets)", log->dir, (long long)log->leo, (long long)(old_leo - log->leo));
	return 0;
}

/* ---- retention (issue 5) -------------------------------------------- */

/* Largest timestamp of seg for time retention: the batches' maximum, or,
 * when no batch carries one (all -1), the .log file's modification time,
 * as Kafka's LogSegment.largestTimestamp does. -1 when neither is known. */
static int64_t retention_ts(const segment *seg)
{
	int64_t ts, off;
	struct stat st;

	segment_max_timestamp(seg, &ts, &off);
	if (ts >= 0)
		return ts;
	if (stat(segment_log_path(seg), &st) < 0)
		return -1;
	return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

int64_t plog_retention_point(const plog *log, int64_t now_ms, int64_t retention_ms,
			     int64_t retention_bytes, unsigned *reasons)
{
	retention_seg *v;
	retention_plan plan;
	int64_t point = log->start;

	*reasons = 0;
	if (log->failed || log->nsegs < 2 || (retention_ms < 0 && retention_bytes < 0))
		return point;
	XALLOC_ARRAY(v, log->nsegs);
	for (size_t i = 0; i < log->nsegs; i++) {
		v[i].base = segment_base(log->segs[i]);
		v[i].size = segment_size(log->segs[i]);
		/* the stat() fallback only for segments time retention may reach */
		v[i].max_ts = retention_ms >= 0 ? retention_ts(log->segs[i]) : -1;
	}
	retention_compute(v, log->nsegs, log->durable, now_ms, retention_ms, retention_bytes,
			  &plan);
	free(v);
	if (plan.nsegs && plan.new_start > point) {
		point = plan.new_start;
		*reasons = plan.reasons;
	}
	return point;
}

int plog_persist_start(plog *log)
{
	char *path;
	int rc;

	if (log->failed)
		return PLOG_EFAILED;
	path = fileio_join(log->dir, START_FILE);
	/* write, fsync, rename, fsync the directory: the last step also makes
	 * the unlinks of segments deleted below the start durable */
	rc = checkpoint_write_offset(path, log->start);
	if (rc)
		rc = fail_io(log, "writing", path, rc);
	free(path);
	return rc;
}

/* ---- compaction (issue 5, storage/cleaner.h) --------------------------- */

int plog_clean_snapshot(plog *log, int64_t max_ts, int64_t max_offset, bool fds,
			plog_seg_snap **out, size_t *n)
{
	plog_seg_snap *v = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (log->failed)
		return PLOG_EFAILED;
	for (size_t i = 0; i + 1 < log->nsegs; i++) {
		segment *seg = log->segs[i];
		int64_t ts, ts_off, limit = seg_limit(log, i);

		segment_max_timestamp(seg, &ts, &ts_off);
		if (limit > max_offset || ts > max_ts)
			break;
		if (!v)
			XALLOC_ARRAY(v, log->nsegs);
		v[k] = (plog_seg_snap){segment_base(seg), limit, segment_size(seg), ts, -1};
		if (fds) {
			v[k].fd = fcntl(segment_log_fd(seg), F_DUPFD_CLOEXEC, 0);
			if (v[k].fd < 0) {
				int err = -errno;

				plog_snap_free(v, k);
				return err;
			}
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

void plog_snap_free(plog_seg_snap *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	free(s);
}

/* Moves the cleaned files of segment base from dir/tmpdir over the live
 * ones. The old indexes go first: whatever step a crash interrupts, the
 * .log on disk is then either the old or the new one (both complete and
 * fsynced) and indexes that do not match it are missing, hence rebuilt. */
static int swap_cleaned_files(plog *log, int64_t base, const char *tmpdir)
{
	static const char *const exts[] = {".log", ".index", ".timeindex"};
	char name[SEGMENT_NAME_DIGITS + 16];
	int rc = 0;

	for (int k = 1; k < 3 && !rc; k++) {
		snprintf(name, sizeof(name), "%020lld%s", (long long)base, exts[k]);
		char *path = fileio_join(log->dir, name);

		rc = fileio_unlink(path);
		if (rc == -ENOENT)
			rc = 0;
		free(path);
	}
	for (int k = 0; k < 3 && !rc; k++) {
		char *tdir = fileio_join(log->dir, tmpdir), *from, *to;

		snprintf(name, sizeof(name), "%020lld%s", (long long)base, exts[k]);
		from = fileio_join(tdir, name);
		to = fileio_join(log->dir, name);
		rc = fileio_rename(from, to);
		if (rc == -ENOENT && k > 0)
			rc = 0; /* a missing index is rebuilt below */
		free(tdir);
		free(from);
		free(to);
	}
	return rc;
}

/* Opens the swapped-in segment at base with its indexes (rebuilt from the
 * data if they do not check out), closed for appends. */
static int open_cleaned(plog *log, int64_t base, int64_t limit, segment **out)
{
	segment *seg;
	int rc = segment_open(&seg, log->dir, base, clock_now_ms());

	if (rc)
		return rc;
	rc = segment_load_indexes(seg, limit);
	if (rc == SEG_BADINDEX) {
		recovery_result res;

		rc = recovery_scan(seg, false, limit, log->cfg.index_interval_bytes, &res);
		if (!rc && res.reason)
			rc = PLOG_ECORRUPT;
		if (!rc)
			rc = segment_seal(seg);
	}
	if (rc) {
		segment_free(seg);
		return rc;
	}
	segment_close_indexes(seg);
	*out = seg;
	return 0;
}

/* Whether the cleaned .log of base in dir/tmpdir is empty. */
static bool cleaned_empty(const plog *log, int64_t base, const char *tmpdir)
{
	char name[SEGMENT_NAME_DIGITS + 16], *tdir = fileio_join(log->dir, tmpdir), *path;
	struct stat st;
	bool empty;

	snprintf(name, sizeof(name), "%020lld.log", (long long)base);
	path = fileio_join(tdir, name);
	empty = stat(path, &st) == 0 && st.st_size == 0;
	free(path);
	free(tdir);
	return empty;
}

/* Deletes segs[i] (i > 0), whose every record the cleaner removed, with its
 * cleaned copy: its offsets simply fall between the batches of segs[i-1]
 * and segs[i+1], as compaction gaps do. */
static void drop_emptied(plog *log, size_t i, const char *tmpdir)
{
	segment *seg = log->segs[i];
	char *tdir = fileio_join(log->dir, tmpdir);
	int64_t base = segment_base(seg);
	int rc;

	unsynced_drop(log, seg);
	rc = segment_delete(seg);
	if (rc)
		log_warn("cannot delete segment files in '%s': %s", log->dir, strerror(-rc));
	(void)segment_unlink_files(tdir, base);
	free(tdir);
	memmove(log->segs + i, log->segs + i + 1, (log->nsegs - i - 1) * sizeof(*log->segs));
	log->nsegs--;
	clear_hints(log);
	recount_bytes(log);
	log->dir_dirty = true;
}

int plog_replace_segment(plog *log, const plog_seg_snap *old, const char *tmpdir)
{
	struct stat a, b;
	segment *seg, *nseg;
	size_t i;
	int rc;

	if (log->failed)
		return PLOG_EFAILED;
	i = seg_index_for(log, old->base);
	seg = log->segs[i];
	if (segment_base(seg) != old->base || i + 1 >= log->nsegs ||
	    seg_limit(log, i) != old->limit || segment_size(seg) != old->size)
		return PLOG_ESTALE;
	/* the snapshot's descriptor pins the old inode: same inode, same file */
	if (old->fd < 0 || fstat(old->fd, &a) < 0 || fstat(segment_log_fd(seg), &b) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return PLOG_ESTALE;
	if (i > 0 && cleaned_empty(log, old->base, tmpdir)) {
		drop_emptied(log, i, tmpdir);
		return 0;
	}
	rc = swap_cleaned_files(log, old->base, tmpdir);
	if (!rc)
		rc = open_cleaned(log, old->base, old->limit, &nseg);
	if (rc)
		return fail_io(log, "swapping in the cleaned segment", segment_log_path(seg),
			       rc == PLOG_ECORRUPT ? 0 : rc);
	/* the cleaned file is durable already; a ticket in flight syncs the
	 * old one through its own descriptors, harmlessly */
	unsynced_drop(log, seg);
	segment_free(seg);
	log->segs[i] = nseg;
	clear_hints(log);
	recount_bytes(log);
	log->dir_dirty = true;
	return 0;
}
