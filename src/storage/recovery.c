/*
 * recovery.c: segment discovery and tail validation. See recovery.h.
 *
 * The scan reads the .log sequentially through one buffer (grown only for a
 * batch larger than it, and never past the bytes the file holds, so a
 * corrupt length cannot make us allocate more than the file's size).
 */
#include "storage/recovery.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/records.h"
#include "storage/cleaner.h"
#include "storage/fileio.h"

#define SCAN_BUF (1u << 20)

struct reader {
	int fd;
	int64_t fsize;
	uint8_t *buf;
	size_t cap;
	int64_t start; /* file position of buf[0] */
	size_t len;    /* valid bytes in buf */
};

/* Points *p at n bytes of the file from pos (n <= fsize - pos). Returns 0,
 * 1 when the file turned out shorter, or -errno. */
static int rd_need(struct reader *r, int64_t pos, size_t n, const uint8_t **p)
{
	size_t want;
	ssize_t got;

	if (pos >= r->start && (uint64_t)(pos - r->start) + n <= r->len) {
		*p = r->buf + (pos - r->start);
		return 0;
	}
	if (n > r->cap) {
		r->cap = n;
		r->buf = xrealloc(r->buf, r->cap);
	}
	want = (uint64_t)(r->fsize - pos) < r->cap ? (size_t)(r->fsize - pos) : r->cap;
	got = fileio_pread_full(r->fd, r->buf, want, (off_t)pos);
	if (got < 0)
		return (int)got;
	r->start = pos;
	r->len = (size_t)got;
	if ((size_t)got < n)
		return 1;
	*p = r->buf;
	return 0;
}

/* The offset rules of segment.h for batch h; NULL when it passes. */
static const char *offsets_problem(const segment *seg, const rb_header *h, int64_t expected,
				   int64_t limit_offset)
{
	int64_t base = segment_base(seg);

	if (h->last_offset_delta < 0)
		return "negative last offset delta";
	if (h->base_offset < expected)
		return "offsets out of order";
	if (h->base_offset - base > INT32_MAX ||
	    h->last_offset_delta > INT32_MAX - (h->base_offset - base))
		return "offset too far from the segment base";
	if (segment_hdr_last(h) >= limit_offset)
		return "offsets overlap the next segment";
	return NULL;
}

/* For a failed rd_need: a file that shrank is a torn tail, not an error. */
static const char *shrank(int *rc)
{
	if (*rc < 0)
		return "read error";
	*rc = 0;
	return "file shrank while reading";
}

/* Checks the batch at pos; sets *h and returns NULL, or returns why not.
 * *rc gets -errno on a read error. */
static const char *check_batch(struct reader *r, int64_t pos, bool check_crc, rb_header *h, int *rc)
{
	int64_t left = r->fsize - pos;
	const uint8_t *p;
	size_t total;
	int st;

	if (left < RB_HEADER_SIZE)
		return "truncated batch header";
	*rc = rd_need(r, pos, RB_HEADER_SIZE, &p);
	if (*rc)
		return shrank(rc);
	/* reads only the header; n = bytes left in the file, so that a batch
	 * running past the end comes back as RB_NEED_MORE */
	st = rb_parse_header(p, (size_t)left, h);
	if (st)
		return rb_strerror(st);
	total = rb_total_size(h);
	if ((uint64_t)pos + total > INT32_MAX)
		return "segment larger than 2 GiB";
	if (!check_crc)
		return NULL;
	*rc = rd_need(r, pos, total, &p);
	if (*rc)
		return shrank(rc);
	st = rb_check(p, total, h);
	return st ? rb_strerror(st) : NULL;
}

int recovery_scan(segment *seg, bool check_crc, int64_t limit_offset, int32_t interval,
		  recovery_result *res)
{
	struct reader r = {.fd = segment_log_fd(seg), .start = -1};
	int64_t pos = 0, expected = segment_base(seg);
	int rc = 0;

	r.fsize = segment_file_size(seg);
	if (r.fsize < 0)
		return (int)r.fsize;
	r.cap = r.fsize < SCAN_BUF ? (size_t)r.fsize + 1 : SCAN_BUF;
	r.buf = xmalloc(r.cap);
	segment_reset(seg);
	res->file_size = r.fsize;
	res->reason = NULL;
	while (pos < r.fsize) {
		rb_header h;
		const char *why = check_batch(&r, pos, check_crc, &h, &rc);

		if (!why)
			why = offsets_problem(seg, &h, expected, limit_offset);
		if (rc)
			break;
		if (why) {
			res->reason = why;
			break;
		}
		segment_track(seg, pos, &h, interval);
		expected = segment_hdr_last(&h) + 1;
		pos += (int64_t)rb_total_size(&h);
	}
	free(r.buf);
	res->valid_bytes = segment_size(seg);
	res->next_offset = segment_next_offset(seg);
	return rc;
}

int recovery_repair(segment *seg, int64_t limit_offset, int32_t interval, bool *cut)
{
	recovery_result res;
	int rc = recovery_scan(seg, true, limit_offset, interval, &res);

	*cut = false;
	if (rc)
		return rc;
	if (res.valid_bytes < res.file_size) {
		rc = segment_cut_file(seg, res.valid_bytes, true);
		if (rc)
			return rc;
		log_warn("cut %lld bytes from '%s' at offset %lld: %s",
			 (long long)(res.file_size - res.valid_bytes), segment_log_path(seg),
			 (long long)res.next_offset, res.reason ? res.reason : "unknown");
		*cut = true;
	}
	return segment_persist_indexes(seg);
}

/* Parses "<20 digits><ext>" exactly; returns true and *base. *overflow:
 * the name has that shape but the number does not fit an INT64. */
static bool parse_name(const char *name, const char *ext, int64_t *base, bool *overflow)
{
	uint64_t v = 0;

	*overflow = false;
	if (strlen(name) != SEGMENT_NAME_DIGITS + strlen(ext) ||
	    strcmp(name + SEGMENT_NAME_DIGITS, ext) != 0)
		return false;
	for (int i = 0; i < SEGMENT_NAME_DIGITS; i++) {
		unsigned d = (unsigned)(name[i] - '0');

		if (name[i] < '0' || name[i] > '9')
			return false;
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			*overflow = true;
		v = v * 10 + d;
	}
	*base = (int64_t)v;
	return !*overflow;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static bool has_base(const int64_t *bases, size_t n, int64_t base)
{
	return bsearch(&base, bases, n, sizeof(*bases), cmp_i64) != NULL;
}

/* Removes .index/.timeindex files whose .log is gone. */
static void remove_orphans(const char *dir, DIR *d, const int64_t *bases, size_t n)
{
	static const char *exts[] = {".index", ".timeindex"};
	struct dirent *de;

	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		for (int k = 0; k < 2; k++) {
			int64_t base;
			bool ovf;

			if (!parse_name(de->d_name, exts[k], &base, &ovf) ||
			    has_base(bases, n, base))
				continue;
			char *path = fileio_join(dir, de->d_name);

			log_info("removing '%s': its segment is gone", path);
			(void)fileio_unlink(path);
			free(path);
		}
	}
}

/* Deletes <dir>/.cleaned (cleaner.h): files a cleaning cut short by a crash
 * left behind. They are never live data: a cleaned file becomes live only
 * by its rename out of that directory. */
static void remove_cleaner_leftovers(const char *dir)
{
	char *tdir = fileio_join(dir, CLEANER_TMP_DIR);
	DIR *d = opendir(tdir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char *path = fileio_join(tdir, de->d_name);

			log_info("removing '%s': a leftover of an interrupted log cleaning", path);
			(void)fileio_unlink(path);
			free(path);
		}
		closedir(d);
		if (rmdir(tdir) < 0)
			log_warn("cannot remove '%s': %s", tdir, strerror(errno));
	}
	free(tdir);
}

int recovery_list(const char *dir, int64_t **bases, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cnt = 0, cap = 16;
	int64_t *v;

	if (!d)
		return -errno;
	remove_cleaner_leftovers(dir);
	XALLOC_ARRAY(v, cap);
	while ((de = readdir(d)) != NULL) {
		int64_t base;
		bool ovf;

		if (!parse_name(de->d_name, ".log", &base, &ovf)) {
			if (ovf)
				log_warn("ignoring '%s/%s': offset out of range", dir, de->d_name);
			continue;
		}
		if (cnt == cap) {
			cap = st_mult(cap, 2);
			v = xrealloc(v, st_mult(cap, sizeof(*v)));
		}
		v[cnt++] = base;
	}
	qsort(v, cnt, sizeof(*v), cmp_i64);
	remove_orphans(dir, d, v, cnt);
	closedir(d);
	*bases = v;
	*n = cnt;
	return 0;
}
