/*
 * segment.c: one segment: its files, append, header reads and lookups.
 * See segment.h for the layout; oindex.h and tindex.h for the indexes.
 *
 * Invariants (between calls):
 *  - size <= INT32_MAX and [0, size) of the .log holds whole batches; the
 *    file may be longer only transiently (a failed append being cut back);
 *  - next_offset = last offset of the last batch + 1 (base when empty);
 *  - max_ts / max_ts_offset: the largest maxTimestamp so far and the base of
 *    the first batch that reached it (-1 / -1 before any);
 *  - the index descriptors are open while the segment may still change
 *    (active, or rolled and waiting for its sync); -1 otherwise.
 */
#include "storage/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "storage/fileio.h"
#include "storage/oindex.h"
#include "storage/tindex.h"

struct segment {
	int64_t base;
	char *log_path, *idx_path, *tidx_path;
	int log_fd, idx_fd, tidx_fd;
	bool idx_missing; /* an index file did not exist at open */
	int64_t size;
	int64_t next_offset;
	oindex *oi;
	tindex *ti;
	int64_t bytes_since_index;
	int64_t max_ts, max_ts_offset;
	int64_t first_ts; /* maxTimestamp of the first batch (-1: none) */
	int64_t created_ms;
};

static char *seg_path(const char *dir, int64_t base, const char *ext)
{
	char name[64];

	snprintf(name, sizeof(name), "%020lld%s", (long long)base, ext);
	return fileio_join(dir, name);
}

static segment *seg_alloc(const char *dir, int64_t base, int64_t now_ms)
{
	segment *seg = xcalloc(1, sizeof(*seg));

	seg->base = base;
	seg->log_path = seg_path(dir, base, ".log");
	seg->idx_path = seg_path(dir, base, ".index");
	seg->tidx_path = seg_path(dir, base, ".timeindex");
	seg->log_fd = seg->idx_fd = seg->tidx_fd = -1;
	seg->oi = oindex_new(base);
	seg->ti = tindex_new(base);
	seg->created_ms = now_ms;
	segment_reset(seg);
	return seg;
}

void segment_reset(segment *seg)
{
	oindex_clear(seg->oi);
	tindex_clear(seg->ti);
	seg->size = 0;
	seg->next_offset = seg->base;
	seg->bytes_since_index = 0;
	seg->max_ts = -1;
	seg->max_ts_offset = -1;
	seg->first_ts = -1;
}

/* Opens an index file read-write, creating it; notes if it was missing. */
static int open_index(const char *path, bool truncate, bool *missing)
{
	int fd = fileio_open(path, O_RDWR | (truncate ? O_TRUNC : 0), 0644);

	if (fd == -ENOENT) {
		*missing = true;
		fd = fileio_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	}
	return fd;
}

static int open_files(segment *seg, int log_flags, bool truncate_indexes)
{
	seg->log_fd = fileio_open(seg->log_path, log_flags, 0644);
	if (seg->log_fd < 0)
		return seg->log_fd;
	if (truncate_indexes) {
		seg->idx_fd = fileio_open(seg->idx_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (seg->idx_fd < 0)
			return seg->idx_fd;
		seg->tidx_fd = fileio_open(seg->tidx_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		return seg->tidx_fd < 0 ? seg->tidx_fd : 0;
	}
	seg->idx_fd = open_index(seg->idx_path, false, &seg->idx_missing);
	if (seg->idx_fd < 0)
		return seg->idx_fd;
	seg->tidx_fd = open_index(seg->tidx_path, false, &seg->idx_missing);
	return seg->tidx_fd < 0 ? seg->tidx_fd : 0;
}

int segment_create(segment **out, const char *dir, int64_t base, int64_t now_ms)
{
	segment *seg = seg_alloc(dir, base, now_ms);
	int rc = open_files(seg, O_RDWR | O_APPEND | O_CREAT | O_EXCL, true);

	if (rc < 0) {
		segment_free(seg);
		return rc;
	}
	*out = seg;
	return 0;
}

int segment_open(segment **out, const char *dir, int64_t base, int64_t now_ms)
{
	segment *seg = seg_alloc(dir, base, now_ms);
	int rc = open_files(seg, O_RDWR | O_APPEND, false);

	if (rc < 0) {
		segment_free(seg);
		return rc;
	}
	*out = seg;
	return 0;
}

int segment_open_indexes(segment *seg)
{
	if (seg->idx_fd < 0)
		seg->idx_fd = fileio_open(seg->idx_path, O_RDWR | O_CREAT, 0644);
	if (seg->idx_fd < 0)
		return seg->idx_fd;
	if (seg->tidx_fd < 0)
		seg->tidx_fd = fileio_open(seg->tidx_path, O_RDWR | O_CREAT, 0644);
	return seg->tidx_fd < 0 ? seg->tidx_fd : 0;
}

void segment_close_indexes(segment *seg)
{
	if (seg->idx_fd >= 0)
		close(seg->idx_fd);
	if (seg->tidx_fd >= 0)
		close(seg->tidx_fd);
	seg->idx_fd = seg->tidx_fd = -1;
}

void segment_free(segment *seg)
{
	if (!seg)
		return;
	segment_close_indexes(seg);
	if (seg->log_fd >= 0)
		close(seg->log_fd);
	oindex_free(seg->oi);
	tindex_free(seg->ti);
	free(seg->log_path);
	free(seg->idx_path);
	free(seg->tidx_path);
	free(seg);
}

/* Unlinks the given files; returns the first error other than ENOENT. */
static int unlink_all(const char *const *paths, int n)
{
	int first = 0;

	/* NEEDSWORK: unlinking a 1 GiB file can block for a while; rename to
	 * .deleted and unlink on a background thread, as Kafka does. */
	for (int i = 0; i < n; i++) {
		int rc = fileio_unlink(paths[i]);

		if (rc && rc != -ENOENT && !first)
			first = rc;
	}
	return first;
}

int segment_delete(segment *seg)
{
	const char *paths[3] = {seg->log_path, seg->idx_path, seg->tidx_path};
	int rc = unlink_all(paths, 3);

	segment_free(seg);
	return rc;
}

int segment_unlink_index(segment *seg)
{
	const char *paths[1] = {seg->idx_path};

	return unlink_all(paths, 1);
}

int segment_unlink_files(const char *dir, int64_t base)
{
	char *paths[3] = {seg_path(dir, base, ".log"), seg_path(dir, base, ".index"),
			  seg_path(dir, base, ".timeindex")};
	int rc = unlink_all((const char *const *)paths, 3);

	for (int i = 0; i < 3; i++)
		free(paths[i]);
	return rc;
}

int64_t segment_base(const segment *seg)
{
	return seg->base;
}
int64_t segment_size(const segment *seg)
{
	return seg->size;
}
int64_t segment_next_offset(const segment *seg)
{
	return seg->next_offset;
}
int segment_log_fd(const segment *seg)
{
	return seg->log_fd;
}
const char *segment_log_path(const segment *seg)
{
	return seg->log_path;
}

int64_t segment_file_size(const segment *seg)
{
	struct stat st;

	if (fstat(seg->log_fd, &st) < 0)
		return -errno;
	return st.st_size;
}

void segment_max_timestamp(const segment *seg, int64_t *ts, int64_t *offset)
{
	*ts = seg->max_ts;
	*offset = seg->max_ts_offset;
}

void segment_track(segment *seg, int64_t pos, const rb_header *h, int32_t interval)
{
	size_t total = rb_total_size(h);

	if (h->max_timestamp > seg->max_ts) {
		seg->max_ts = h->max_timestamp;
		seg->max_ts_offset = h->base_offset;
	}
	if (pos == 0)
		seg->first_ts = h->max_timestamp;
	/* Kafka's LogSegment.append: an entry for the first batch that starts
	 * more than `interval` bytes after the previous entry's batch */
	if (seg->bytes_since_index > interval) {
		oindex_add(seg->oi, segment_hdr_last(h), pos);
		tindex_maybe_add(seg->ti, seg->max_ts, seg->max_ts_offset);
		seg->bytes_since_index = 0;
	}
	seg->bytes_since_index += (int64_t)total;
	seg->size = pos + (int64_t)total;
	seg->next_offset = segment_hdr_last(h) + 1;
}

/* Persists one index through fd, or by opening path when fd < 0. */
static int persist_one(const char *path, int fd, oindex *oi, tindex *ti)
{
	int rc, own = -1;

	if (fd < 0) {
		own = fd = fileio_open(path, O_RDWR | O_CREAT, 0644);
		if (fd < 0)
			return fd;
	}
	rc = oi ? oindex_persist(oi, fd) : tindex_persist(ti, fd);
	if (own >= 0)
		close(own);
	return rc;
}

int segment_persist_indexes(segment *seg)
{
	int rc = persist_one(seg->idx_path, seg->idx_fd, seg->oi, NULL);

	if (!rc)
		rc = persist_one(seg->tidx_path, seg->tidx_fd, NULL, seg->ti);
	return rc;
}

bool segment_should_roll(const segment *seg, size_t len, const rb_header *h, const plog_config *cfg,
			 int64_t now_ms)
{
	int64_t waited;

	if (seg->size == 0)
		return false;
	if ((uint64_t)seg->size + len > (uint64_t)cfg->segment_bytes)
		return true;
	if (segment_hdr_last(h) - seg->base > INT32_MAX)
		return true;
	if (cfg->segment_ms <= 0)
		return false;
	/* Kafka's LogSegment.timeWaitedForRoll, without jitter */
	if (seg->first_ts >= 0)
		waited = h->max_timestamp - seg->first_ts;
	else
		waited = now_ms - seg->created_ms;
	return waited > cfg->segment_ms;
}

int segment_cut_file(segment *seg, int64_t pos, bool sync)
{
	int rc = fileio_ftruncate(seg->log_fd, (off_t)pos);

	if (!rc && sync)
		rc = fileio_fsync(seg->log_fd, true);
	return rc;
}

int segment_append(segment *seg, const uint8_t *batch, size_t len, const rb_header *h,
		   int32_t interval)
{
	size_t oi_n = oindex_count(seg->oi), ti_n = tindex_count(seg->ti);
	int rc = fileio_write_all(seg->log_fd, batch, len);

	if (rc) {
		/* drop a partial batch now; if that fails too, recovery will */
		(void)segment_cut_file(seg, seg->size, false);
		return rc;
	}
	segment_track(seg, seg->size, h, interval);
	if (oindex_count(seg->oi) != oi_n || tindex_count(seg->ti) != ti_n)
		return segment_persist_indexes(seg);
	return 0;
}

int segment_seal(segment *seg)
{
	/* Kafka's onBecomeInactiveSegment: the last entry holds the max */
	if (seg->max_ts >= 0)
		tindex_maybe_add(seg->ti, seg->max_ts, seg->max_ts_offset);
	return segment_persist_indexes(seg);
}

/* fdatasync of the file at path (fd when open, else opened for it). */
static int sync_one(const char *path, int fd)
{
	int rc, own = -1;

	if (fd < 0) {
		own = fd = fileio_open(path, O_RDONLY, 0);
		if (fd < 0)
			return fd;
	}
	rc = fileio_fsync(fd, true);
	if (own >= 0)
		close(own);
	return rc;
}

int segment_fsync(segment *seg, bool indexes)
{
	int rc = fileio_fsync(seg->log_fd, true);

	if (!rc && indexes)
		rc = sync_one(seg->idx_path, seg->idx_fd);
	if (!rc && indexes)
		rc = sync_one(seg->tidx_path, seg->tidx_fd);
	return rc;
}

int segment_dup_fds(const segment *seg, bool indexes, int *fds)
{
	int src[3] = {seg->log_fd, indexes ? seg->idx_fd : -1, indexes ? seg->tidx_fd : -1};
	int n = 0;

	for (int i = 0; i < 3; i++) {
		if (src[i] < 0)
			continue;
		fds[n] = fcntl(src[i], F_DUPFD_CLOEXEC, 0);
		if (fds[n] < 0) {
			int err = -errno;

			while (n > 0)
				close(fds[--n]);
			return err;
		}
		n++;
	}
	return n;
}

/* Points *p at RB_HEADER_SIZE bytes at pos (pos + RB_HEADER_SIZE <= size),
 * through cur when given. Returns 0, PLOG_ECORRUPT (file shorter than the
 * size we know) or -errno. */
static int header_bytes(segment *seg, seg_cursor *cur, int64_t pos, uint8_t *own, const uint8_t **p)
{
	ssize_t got;

	if (!cur) {
		got = fileio_pread_full(seg->log_fd, own, RB_HEADER_SIZE, (off_t)pos);
		*p = own;
		return got < 0 ? (int)got : got == RB_HEADER_SIZE ? 0 : PLOG_ECORRUPT;
	}
	if (cur->seg != seg || pos < cur->start ||
	    (uint64_t)(pos - cur->start) + RB_HEADER_SIZE > cur->len) {
		size_t want = seg->size - pos < SEG_CURSOR_BYTES ? (size_t)(seg->size - pos)
								 : SEG_CURSOR_BYTES;

		cur->seg = NULL;
		got = fileio_pread_full(seg->log_fd, cur->buf, want, (off_t)pos);
		if (got < 0)
			return (int)got;
		if (got < RB_HEADER_SIZE)
			return PLOG_ECORRUPT;
		cur->seg = seg;
		cur->start = pos;
		cur->len = (size_t)got;
	}
	*p = cur->buf + (pos - cur->start);
	return 0;
}

int segment_header_at(segment *seg, seg_cursor *cur, int64_t pos, rb_header *h)
{
	uint8_t own[RB_HEADER_SIZE];
	const uint8_t *hdr;
	int rc;

	if (pos < 0 || pos >= seg->size || seg->size - pos < RB_HEADER_SIZE)
		return PLOG_ECORRUPT;
	rc = header_bytes(seg, cur, pos, own, &hdr);
	if (rc)
		return rc;
	/* rb_parse_header reads only the RB_HEADER_SIZE header bytes; n is the
	 * bytes left in the segment, so that a batchLength past the segment end
	 * comes back as RB_NEED_MORE rather than OK. */
	if (rb_parse_header(hdr, (size_t)(seg->size - pos), h) != RB_OK)
		return PLOG_ECORRUPT;
	/* baseOffset is not covered by the CRC: bound it by what we know */
	if (h->last_offset_delta < 0 || h->base_offset < seg->base ||
	    h->base_offset - seg->base > INT32_MAX ||
	    h->last_offset_delta > INT32_MAX - (h->base_offset - seg->base) ||
	    segment_hdr_last(h) >= seg->next_offset)
		return PLOG_ECORRUPT;
	return 0;
}

/* Scans headers from pos (a batch start) to the batch whose last offset is
 * >= offset. expect_last >= 0: the first header must have that last offset
 * (pos came from the index), else SEG_BADINDEX. */
static int scan_to(segment *seg, seg_cursor *cur, int64_t pos, int64_t offset, int64_t expect_last,
		   int64_t *pos_out, rb_header *h)
{
	while (pos < seg->size) {
		int rc = segment_header_at(seg, cur, pos, h);

		if (expect_last >= 0) {
			if (rc == PLOG_ECORRUPT || (!rc && segment_hdr_last(h) != expect_last))
				return SEG_BADINDEX;
			expect_last = -1;
		}
		if (rc)
			return rc;
		if (segment_hdr_last(h) >= offset) {
			*pos_out = pos;
			return 0;
		}
		pos += (int64_t)rb_total_size(h);
	}
	return SEG_END;
}

int segment_find(segment *seg, seg_cursor *cur, int64_t offset, int64_t *pos, rb_header *h)
{
	oindex_entry e;

	if (offset >= seg->next_offset)
		return SEG_END;
	if (oindex_lookup(seg->oi, offset, &e))
		return scan_to(seg, cur, e.pos, offset, e.offset, pos, h);
	return scan_to(seg, cur, 0, offset, -1, pos, h);
}

/* Position where batches with base offset >= upto start (upto below the
 * segment's next offset); *base_at: base offset of the batch there, or -1. */
static int upto_position(segment *seg, seg_cursor *cur, int64_t upto, int64_t *u, int64_t *base_at)
{
	rb_header hu;
	int64_t pu;
	int rc = segment_find(seg, cur, upto, &pu, &hu);

	if (rc == SEG_END) {
		*u = seg->size;
		*base_at = seg->next_offset;
		return 0;
	}
	if (rc)
		return rc;
	if (hu.base_offset >= upto) {
		*u = pu;
		*base_at = hu.base_offset;
	} else {
		*u = pu + (int64_t)rb_total_size(&hu); /* upto mid-batch: keep it */
		*base_at = segment_hdr_last(&hu) + 1;
	}
	return 0;
}

int segment_range(segment *seg, seg_cursor *cur, int64_t pos, const rb_header *h, size_t max_bytes,
		  int64_t upto, int64_t *end, int64_t *next_base)
{
	int64_t first_end = pos + (int64_t)rb_total_size(h);
	int64_t u = seg->size, u_base = seg->next_offset, limit, p;
	oindex_entry e;
	rb_header hn;
	int rc;

	if (upto < seg->next_offset) {
		rc = upto_position(seg, cur, upto, &u, &u_base);
		if (rc)
			return rc;
	}
	limit = max_bytes < (size_t)(seg->size - pos) ? pos + (int64_t)max_bytes : seg->size;
	if (limit < first_end)
		limit = first_end; /* always one whole batch (KIP-74) */
	if (limit >= u || u <= first_end) {
		/* u >= first_end: the caller checked that h lies below upto */
		*end = u > first_end ? u : first_end;
		*next_base = *end == u ? u_base : segment_hdr_last(h) + 1;
		return 0;
	}
	/* whole batches up to limit: jump to the last indexed batch start at or
	 * below it, then walk headers (about one index interval of them) */
	p = first_end;
	if (oindex_floor_pos(seg->oi, limit, &e) && e.pos > p)
		p = e.pos;
	while (p < u) {
		rc = segment_header_at(seg, cur, p, &hn);
		if (rc)
			return rc;
		if (p + (int64_t)rb_total_size(&hn) > limit) {
			*next_base = hn.base_offset;
			break;
		}
		p += (int64_t)rb_total_size(&hn);
	}
	if (p >= u)
		*next_base = u_base;
	*end = p;
	return 0;
}

int segment_find_time(segment *seg, seg_cursor *cur, int64_t ts, int64_t min_offset,
		      int64_t *offset, int64_t *ts_out)
{
	int64_t start = seg->base, pos;
	tindex_entry te;
	rb_header h;
	int rc;

	if (tindex_lookup(seg->ti, ts, &te))
		start = te.offset;
	if (start < min_offset)
		start = min_offset;
	rc = segment_find(seg, cur, start, &pos, &h);
	while (!rc) {
		if (h.max_timestamp >= ts) {
			*offset = h.base_offset > min_offset ? h.base_offset : min_offset;
			*ts_out = h.max_timestamp;
			return 0;
		}
		pos += (int64_t)rb_total_size(&h);
		if (pos >= seg->size)
			return SEG_END;
		rc = segment_header_at(seg, cur, pos, &h);
	}
	return rc;
}

/* Walks the headers from the last offset index entry to the end of a
 * loaded segment, checking that the entry names the batch there, that the
 * batches end exactly at the file end and that none is missing from the
 * time index. Fills the tracking state. */
static int load_tail(segment *seg, int64_t end_offset)
{
	oindex_entry e = {-1, 0};
	tindex_entry te;
	int64_t pos, last = -1, ts_limit = -1;
	rb_header h;
	bool have_t = tindex_last(seg->ti, &te);
	seg_cursor cur;

	oindex_floor_pos(seg->oi, seg->size, &e);
	pos = e.pos;
	if (have_t)
		ts_limit = te.ts;
	seg->bytes_since_index = seg->size - pos;
	seg_cursor_init(&cur);
	while (pos < seg->size) {
		int rc = segment_header_at(seg, &cur, pos, &h);

		if (rc == PLOG_ECORRUPT)
			return SEG_BADINDEX;
		if (rc)
			return rc;
		if (e.offset >= 0 && segment_hdr_last(&h) != e.offset)
			return SEG_BADINDEX;
		e.offset = -1;
		if (h.base_offset <= last || h.max_timestamp > ts_limit)
			return SEG_BADINDEX; /* the time index misses this batch */
		last = segment_hdr_last(&h);
		pos += (int64_t)rb_total_size(&h);
	}
	if (last < 0 || last >= end_offset)
		return SEG_BADINDEX;
	seg->next_offset = last + 1;
	if (have_t) {
		seg->max_ts = te.ts;
		seg->max_ts_offset = te.offset;
	}
	return 0;
}

int segment_load_indexes(segment *seg, int64_t end_offset)
{
	int64_t fsize = segment_file_size(seg);
	tindex_entry te;
	rb_header h;
	int64_t pos;
	int rc;

	segment_reset(seg);
	if (fsize < 0)
		return (int)fsize;
	if (seg->idx_missing || fsize == 0 || fsize > INT32_MAX)
		return SEG_BADINDEX;
	rc = oindex_load(seg->oi, seg->idx_fd, fsize, end_offset);
	if (!rc)
		rc = tindex_load(seg->ti, seg->tidx_fd, fsize, end_offset);
	if (rc == OINDEX_EBAD || rc == TINDEX_EBAD)
		rc = SEG_BADINDEX;
	if (rc)
		goto fail;
	seg->size = fsize;
	seg->next_offset = end_offset;
	rc = load_tail(seg, end_offset);
	if (rc)
		goto fail;
	/* the last time index entry must name a batch with that timestamp */
	if (tindex_last(seg->ti, &te)) {
		rc = segment_find(seg, NULL, te.offset, &pos, &h);
		if (!rc && (h.base_offset > te.offset || h.max_timestamp != te.ts))
			rc = SEG_BADINDEX;
		if (rc == SEG_END || rc == PLOG_ECORRUPT)
			rc = SEG_BADINDEX;
		if (rc)
			goto fail;
	}
	return 0;
fail:
	segment_reset(seg);
	return rc;
}
