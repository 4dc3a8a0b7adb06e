/*
 * oindex.c: the sparse offset index. See oindex.h for the file format.
 *
 * Invariants: ents[0..n) strictly increase in both columns; the first
 * `same` entries are known to be in the file exactly as in memory, and the
 * file holds file_n entries (file_n >= same; the extra ones are stale after
 * a truncate and get cut by the next persist).
 */
#include "storage/oindex.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/slice.h"
#include "core/xalloc.h"
#include "proto/records.h"
#include "storage/fileio.h"

struct ient {
	int32_t rel;
	int32_t pos;
};

struct oindex {
	int64_t base;
	struct ient *ents;
	size_t n, cap;
	size_t same;	   /* leading entries identical in the file */
	size_t file_n;	   /* entries in the file */
	bool file_unknown; /* the file's content is unknown: cut it to `same`
			    * before writing (never loaded, or failed to load) */
};

oindex *oindex_new(int64_t base)
{
	oindex *oi = xcalloc(1, sizeof(*oi));

	oi->base = base;
	oi->file_unknown = true;
	return oi;
}

void oindex_free(oindex *oi)
{
	if (!oi)
		return;
	free(oi->ents);
	free(oi);
}

size_t oindex_count(const oindex *oi)
{
	return oi->n;
}

static void reserve(oindex *oi, size_t n)
{
	if (n <= oi->cap)
		return;
	oi->cap = oi->cap ? oi->cap : 64;
	while (oi->cap < n)
		oi->cap = st_mult(oi->cap, 2);
	oi->ents = xrealloc(oi->ents, st_mult(oi->cap, sizeof(*oi->ents)));
}

bool oindex_add(oindex *oi, int64_t offset, int64_t pos)
{
	int64_t rel = offset - oi->base;

	if (offset < oi->base || rel > INT32_MAX || pos < 0 || pos > INT32_MAX)
		return false;
	if (oi->n && (rel <= oi->ents[oi->n - 1].rel || pos <= oi->ents[oi->n - 1].pos))
		return false;
	reserve(oi, oi->n + 1);
	oi->ents[oi->n].rel = (int32_t)rel;
	oi->ents[oi->n].pos = (int32_t)pos;
	oi->n++;
	return true;
}

static void fill(const oindex *oi, size_t i, oindex_entry *e)
{
	e->offset = oi->base + oi->ents[i].rel;
	e->pos = oi->ents[i].pos;
}

bool oindex_lookup(const oindex *oi, int64_t offset, oindex_entry *e)
{
	size_t lo = 0, hi = oi->n; /* answer: last index in [0, lo) */

	if (offset < oi->base)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (oi->base + oi->ents[mid].rel <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	fill(oi, lo - 1, e);
	return true;
}

bool oindex_floor_pos(const oindex *oi, int64_t pos, oindex_entry *e)
{
	size_t lo = 0, hi = oi->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (oi->ents[mid].pos <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	fill(oi, lo - 1, e);
	return true;
}

void oindex_truncate(oindex *oi, int64_t pos)
{
	while (oi->n && oi->ents[oi->n - 1].pos >= pos)
		oi->n--;
	if (oi->same > oi->n)
		oi->same = oi->n;
}

void oindex_clear(oindex *oi)
{
	oi->n = 0;
	oi->same = 0;
}

/* Checks and appends one decoded file entry. */
static bool load_one(oindex *oi, const uint8_t *p, int64_t seg_size, int64_t end_offset)
{
	int32_t rel = (int32_t)be32_get(p);
	int32_t pos = (int32_t)be32_get(p + 4);

	if (rel < 0 || pos < 0 || pos >= seg_size || oi->base + rel >= end_offset)
		return false;
	return oindex_add(oi, oi->base + rel, pos);
}

int oindex_load(oindex *oi, int fd, int64_t seg_size, int64_t end_offset)
{
	uint8_t chunk[OINDEX_ENTRY_SIZE * 512];
	struct stat st;
	size_t count, done = 0;

	oindex_clear(oi);
	oi->file_n = 0;
	oi->file_unknown = true;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 0 || st.st_size % OINDEX_ENTRY_SIZE)
		return OINDEX_EBAD;
	count = (size_t)st.st_size / OINDEX_ENTRY_SIZE;
	/* every entry names a distinct batch: bounds the allocation by the log */
	if (count > (size_t)(seg_size / RB_HEADER_SIZE) + 1)
		return OINDEX_EBAD;
	oi->file_n = count;
	reserve(oi, count);
	while (done < count) {
		size_t k = count - done < 512 ? count - done : 512;
		ssize_t got = fileio_pread_full(fd, chunk, k * OINDEX_ENTRY_SIZE,
						(off_t)(done * OINDEX_ENTRY_SIZE));

		if (got < 0) {
			oindex_clear(oi);
			return (int)got;
		}
		if ((size_t)got != k * OINDEX_ENTRY_SIZE)
			goto bad; /* shrank under us */
		for (size_t i = 0; i < k; i++)
			if (!load_one(oi, chunk + i * OINDEX_ENTRY_SIZE, seg_size, end_offset))
				goto bad;
		done += k;
	}
	oi->same = oi->n;
	oi->file_unknown = false;
	return 0;
bad:
	oindex_clear(oi);
	return OINDEX_EBAD;
}

int oindex_persist(oindex *oi, int fd)
{
	uint8_t chunk[OINDEX_ENTRY_SIZE * 512];
	int rc;

	if (oi->file_unknown || oi->file_n > oi->same) {
		rc = fileio_ftruncate(fd, (off_t)(oi->same * OINDEX_ENTRY_SIZE));
		if (rc)
			return rc;
		oi->file_n = oi->same;
		oi->file_unknown = false;
	}
	while (oi->same < oi->n) {
		size_t k = oi->n - oi->same < 512 ? oi->n - oi->same : 512;

		for (size_t i = 0; i < k; i++) {
			be32_put(chunk + i * OINDEX_ENTRY_SIZE,
				 (uint32_t)oi->ents[oi->same + i].rel);
			be32_put(chunk + i * OINDEX_ENTRY_SIZE + 4,
				 (uint32_t)oi->ents[oi->same + i].pos);
		}
		rc = fileio_pwrite_all(fd, chunk, k * OINDEX_ENTRY_SIZE,
				       (off_t)(oi->same * OINDEX_ENTRY_SIZE));
		if (rc) {
			/* part of the chunk may be in the file: cut it next time */
			oi->file_n = oi->same + k;
			return rc;
		}
		oi->same += k;
		oi->file_n = oi->same;
	}
	return 0;
}
