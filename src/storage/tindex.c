/*
 * tindex.c: the sparse time index. See tindex.h for the format and the
 * meaning of an entry.
 *
 * Invariants as in oindex.c: entries strictly increase in both columns; the
 * first `same` are in the file as in memory; the file holds file_n.
 */
#include "storage/tindex.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/slice.h"
#include "core/xalloc.h"
#include "proto/records.h"
#include "storage/fileio.h"

struct tent {
	int64_t ts;
	int32_t rel;
};

struct tindex {
	int64_t base;
	struct tent *ents;
	size_t n, cap;
	size_t same;
	size_t file_n;
	bool file_unknown; /* the file's content is unknown: cut it to `same`
			    * before writing (never loaded, or failed to load) */
};

tindex *tindex_new(int64_t base)
{
	tindex *ti = xcalloc(1, sizeof(*ti));

	ti->base = base;
	ti->file_unknown = true;
	return ti;
}

void tindex_free(tindex *ti)
{
	if (!ti)
		return;
	free(ti->ents);
	free(ti);
}

size_t tindex_count(const tindex *ti)
{
	return ti->n;
}

static void reserve(tindex *ti, size_t n)
{
	if (n <= ti->cap)
		return;
	ti->cap = ti->cap ? ti->cap : 64;
	while (ti->cap < n)
		ti->cap = st_mult(ti->cap, 2);
	ti->ents = xrealloc(ti->ents, st_mult(ti->cap, sizeof(*ti->ents)));
}

bool tindex_maybe_add(tindex *ti, int64_t ts, int64_t offset)
{
	int64_t rel = offset - ti->base;
	int64_t last_ts = ti->n ? ti->ents[ti->n - 1].ts : -1;

	if (ts <= last_ts || offset < ti->base || rel > INT32_MAX)
		return false;
	if (ti->n && rel <= ti->ents[ti->n - 1].rel)
		return false;
	reserve(ti, ti->n + 1);
	ti->ents[ti->n].ts = ts;
	ti->ents[ti->n].rel = (int32_t)rel;
	ti->n++;
	return true;
}

bool tindex_lookup(const tindex *ti, int64_t ts, tindex_entry *e)
{
	size_t lo = 0, hi = ti->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ti->ents[mid].ts <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	e->ts = ti->ents[lo - 1].ts;
	e->offset = ti->base + ti->ents[lo - 1].rel;
	return true;
}

bool tindex_last(const tindex *ti, tindex_entry *e)
{
	if (!ti->n)
		return false;
	e->ts = ti->ents[ti->n - 1].ts;
	e->offset = ti->base + ti->ents[ti->n - 1].rel;
	return true;
}

void tindex_truncate(tindex *ti, int64_t offset)
{
	while (ti->n && ti->base + ti->ents[ti->n - 1].rel >= offset)
		ti->n--;
	if (ti->same > ti->n)
		ti->same = ti->n;
}

void tindex_clear(tindex *ti)
{
	ti->n = 0;
	ti->same = 0;
}

static bool load_one(tindex *ti, const uint8_t *p, int64_t end_offset)
{
	int64_t ts = (int64_t)be64_get(p);
	int32_t rel = (int32_t)be32_get(p + 8);

	if (ts < 0 || rel < 0 || ti->base + rel >= end_offset)
		return false;
	return tindex_maybe_add(ti, ts, ti->base + rel);
}

int tindex_load(tindex *ti, int fd, int64_t seg_size, int64_t end_offset)
{
	uint8_t chunk[TINDEX_ENTRY_SIZE * 256];
	struct stat st;
	size_t count, done = 0;

	tindex_clear(ti);
	ti->file_n = 0;
	ti->file_unknown = true;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 0 || st.st_size % TINDEX_ENTRY_SIZE)
		return TINDEX_EBAD;
	count = (size_t)st.st_size / TINDEX_ENTRY_SIZE;
	if (count > (size_t)(seg_size / RB_HEADER_SIZE) + 1)
		return TINDEX_EBAD;
	ti->file_n = count;
	reserve(ti, count);
	while (done < count) {
		size_t k = count - done < 256 ? count - done : 256;
		ssize_t got = fileio_pread_full(fd, chunk, k * TINDEX_ENTRY_SIZE,
						(off_t)(done * TINDEX_ENTRY_SIZE));

		if (got < 0) {
			tindex_clear(ti);
			return (int)got;
		}
		if ((size_t)got != k * TINDEX_ENTRY_SIZE)
			goto bad;
		for (size_t i = 0; i < k; i++)
			if (!load_one(ti, chunk + i * TINDEX_ENTRY_SIZE, end_offset))
				goto bad;
		done += k;
	}
	ti->same = ti->n;
	ti->file_unknown = false;
	return 0;
bad:
	tindex_clear(ti);
	return TINDEX_EBAD;
}

int tindex_persist(tindex *ti, int fd)
{
	uint8_t chunk[TINDEX_ENTRY_SIZE * 256];
	int rc;

	if (ti->file_unknown || ti->file_n > ti->same) {
		rc = fileio_ftruncate(fd, (off_t)(ti->same * TINDEX_ENTRY_SIZE));
		if (rc)
			return rc;
		ti->file_n = ti->same;
		ti->file_unknown = false;
	}
	while (ti->same < ti->n) {
		size_t k = ti->n - ti->same < 256 ? ti->n - ti->same : 256;

		for (size_t i = 0; i < k; i++) {
			be64_put(chunk + i * TINDEX_ENTRY_SIZE,
				 (uint64_t)ti->ents[ti->same + i].ts);
			be32_put(chunk + i * TINDEX_ENTRY_SIZE + 8,
				 (uint32_t)ti->ents[ti->same + i].rel);
		}
		rc = fileio_pwrite_all(fd, chunk, k * TINDEX_ENTRY_SIZE,
				       (off_t)(ti->same * TINDEX_ENTRY_SIZE));
		if (rc) {
			ti->file_n = ti->same + k;
			return rc;
		}
		ti->same += k;
		ti->file_n = ti->same;
	}
	return 0;
}
