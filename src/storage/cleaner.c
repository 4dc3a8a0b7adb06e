/*
 * cleaner.c: log compaction on a snapshot of closed segments. See cleaner.h
 * for the two passes and what is kept.
 *
 * Everything read is untrusted: batches are read through a bounded reader
 * (never past the snapshot's size, a batch never larger than what is left)
 * and checked in full (rb_check: CRC, counts) before any record is looked
 * at; records are parsed by riter through sub-slices. A batch that fails its
 * checks stops the run (nothing is swapped in); a compressed batch whose
 * data cannot be decompressed (bad data, or more than CLEANER_MAX_INFLATE
 * bytes) is kept whole and its keys are not mapped, which only keeps more.
 *
 * The key map (Kafka's SkimpyOffsetMap): open addressing over entries of a
 * 16-byte MurmurHash3_x64_128 digest of the key and the latest offset + 1
 * (0 = empty slot, so a fresh calloc is an empty map and untouched pages
 * cost nothing). Digest collisions (2^-128 per pair) are ignored, as Kafka
 * does with its MD5 digests.
 */
#include "storage/cleaner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/logger.h"
#include "core/slice.h"
#include "core/xalloc.h"
#include "proto/records.h"
#include "proto/riter.h"
#include "storage/fileio.h"
#include "storage/segment.h"

#define READ_CHUNK (1u << 20)
#define CLEANER_MAX_INFLATE (256u << 20) /* decompressed records of one batch */
#define OUT_MAX (512u << 20)
#define MAP_LOAD_PCT 90

/* ---- key digests and the offset map ---------------------------------- */

typedef struct kdigest {
	uint64_t h1, h2;
} kdigest;

static uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static uint64_t le64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* MurmurHash3_x64_128 (Austin Appleby, public domain), seed 0. */
static kdigest key_digest(const uint8_t *p, size_t len)
{
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	uint64_t h1 = 0, h2 = 0, k1 = 0, k2 = 0;
	size_t nblocks = len / 16, tail = len & 15;
	const uint8_t *t = p + nblocks * 16;

	for (size_t i = 0; i < nblocks; i++) {
		k1 = le64_get(p + i * 16) * c1;
		k2 = le64_get(p + i * 16 + 8) * c2;
		h1 ^= rotl64(k1, 31) * c2;
		h1 = (rotl64(h1, 27) + h2) * 5 + 0x52dce729;
		h2 ^= rotl64(k2, 33) * c1;
		h2 = (rotl64(h2, 31) + h1) * 5 + 0x38495ab5;
	}
	k1 = k2 = 0;
	for (size_t i = tail; i > 8; i--)
		k2 ^= (uint64_t)t[i - 1] << ((i - 9) * 8);
	if (tail > 8)
		h2 ^= rotl64(k2 * c2, 33) * c1;
	for (size_t i = tail < 8 ? tail : 8; i > 0; i--)
		k1 ^= (uint64_t)t[i - 1] << ((i - 1) * 8);
	if (tail)
		h1 ^= rotl64(k1 * c1, 31) * c2;
	h1 ^= (uint64_t)len;
	h2 ^= (uint64_t)len;
	h1 += h2;
	h2 += h1;
	h1 = fmix64(h1);
	h2 = fmix64(h2);
	h1 += h2;
	h2 += h1;
	return (kdigest){h1, h2};
}

struct kentry {
	uint64_t h1, h2;
	int64_t off1; /* offset + 1; 0: empty */
};

typedef struct kmap {
	struct kentry *slots;
	size_t nslots, count, max;
} kmap;

static void kmap_init(kmap *m, size_t bytes)
{
	m->nslots = bytes / sizeof(struct kentry);
	if (m->nslots < 64)
		m->nslots = 64;
	m->slots = xcalloc(m->nslots, sizeof(struct kentry));
	m->count = 0;
	m->max = m->nslots / 100 * MAP_LOAD_PCT + (m->nslots % 100) * MAP_LOAD_PCT / 100;
}

static void kmap_release(kmap *m)
{
	free(m->slots);
	m->slots = NULL;
}

/* The slot holding d, or the empty slot where it goes. The map is never
 * full (count <= 90% of the slots), so the probe ends. */
static struct kentry *kmap_slot(const kmap *m, const kdigest *d)
{
	size_t i = (size_t)(d->h1 % m->nslots);

	for (;;) {
		struct kentry *e = &m->slots[i];

		if (!e->off1 || (e->h1 == d->h1 && e->h2 == d->h2))
			return e;
		if (++i == m->nslots)
			i = 0;
	}
}

/* Records offset as the latest for d. False when d is new and the map is at
 * its load limit. */
static bool kmap_put(kmap *m, const kdigest *d, int64_t offset)
{
	struct kentry *e = kmap_slot(m, d);

	if (!e->off1) {
		if (m->count >= m->max)
			return false;
		m->count++;
		e->h1 = d->h1;
		e->h2 = d->h2;
	}
	e->off1 = offset + 1;
	return true;
}

/* Latest offset mapped for d, or -1. */
static int64_t kmap_get(const kmap *m, const kdigest *d)
{
	return kmap_slot(m, d)->off1 - 1;
}

/* ---- reading a snapshot segment -------------------------------------- */

struct sreader {
	int fd;
	int64_t size, pos; /* bytes to read; next batch */
	uint8_t *buf;
	size_t cap, len;
	int64_t start; /* file position of buf[0] */
};

static void sreader_init(struct sreader *r, const plog_seg_snap *s, uint8_t **mem, size_t *cap)
{
	r->fd = s->fd;
	r->size = s->size;
	r->pos = 0;
	r->buf = *mem;
	r->cap = *cap;
	r->len = 0;
	r->start = 0;
}

/* n bytes at r->pos (n <= size - pos). Returns them or NULL with *rc. */
static const uint8_t *sreader_need(struct sreader *r, size_t n, int *rc)
{
	size_t want;
	ssize_t got;

	if (r->pos >= r->start && (uint64_t)(r->pos - r->start) + n <= r->len)
		return r->buf + (r->pos - r->start);
	if (n > r->cap) {
		r->cap = n;
		r->buf = xrealloc(r->buf, r->cap);
	}
	want = (uint64_t)(r->size - r->pos) < r->cap ? (size_t)(r->size - r->pos) : r->cap;
	got = fileio_pread_full(r->fd, r->buf, want, (off_t)r->pos);
	if (got < 0) {
		*rc = (int)got;
		return NULL;
	}
	r->start = r->pos;
	r->len = (size_t)got;
	if ((size_t)got < n) {
		*rc = PLOG_ECORRUPT; /* shorter than the snapshot said */
		return NULL;
	}
	return r->buf;
}

/* The next whole, checked batch: returns 1 (*p, *h), 0 at the end, or
 * PLOG_ECORRUPT / -errno. */
static int sreader_next(struct sreader *r, const uint8_t **p, rb_header *h)
{
	int64_t left = r->size - r->pos;
	int rc = 0;

	if (left <= 0)
		return 0;
	if (left < RB_HEADER_SIZE)
		return PLOG_ECORRUPT;
	*p = sreader_need(r, RB_HEADER_SIZE, &rc);
	if (!*p)
		return rc;
	if (rb_parse_header(*p, (size_t)left, h) != RB_OK)
		return PLOG_ECORRUPT;
	*p = sreader_need(r, rb_total_size(h), &rc);
	if (!*p)
		return rc;
	if (rb_check(*p, rb_total_size(h), h) != RB_OK)
		return PLOG_ECORRUPT;
	r->pos += (int64_t)rb_total_size(h);
	return 1;
}

/* ---- records of a batch, compressed or not --------------------------- */

int cleaner_records_open(riter *it, const uint8_t *p, const rb_header *h, buf *inflated)
{
	int codec = h->attributes & RB_ATTR_COMPRESSION_MASK;
	size_t total = rb_total_size(h);
	int rc;

	if (!codec)
		return riter_init(it, p, total);
	buf_reset(inflated);
	rc = cleaner_codec_decompress(codec, p + RB_HEADER_SIZE, total - RB_HEADER_SIZE, inflated);
	if (rc)
		return rc;
	/* riter's state is plain data: point it at the decompressed records */
	memset(it, 0, sizeof(*it));
	it->h = *h;
	slice_init(&it->s, inflated->data, inflated->len);
	it->left = h->records_count;
	return 0;
}

static bool codec_error(int rc)
{
	return rc == CLEANER_CODEC_EBAD || rc == CLEANER_CODEC_ETOOBIG;
}

int cleaner_check_keys(const uint8_t *batch, size_t len, size_t max_bytes)
{
	riter_record r;
	rb_header h;
	buf inflated;
	riter it;
	int rc;

	rc = rb_check(batch, len, &h);
	if (rc != RB_OK)
		return rc;
	if (h.attributes & RB_ATTR_CONTROL)
		return 0;
	buf_init(&inflated, max_bytes);
	rc = cleaner_records_open(&it, batch, &h, &inflated);
	while (rc == 0 && (rc = riter_next(&it, &r)) == 1)
		rc = r.key.len < 0 ? 2 : 0;
	buf_release(&inflated);
	return rc == 2 ? 1 : rc;
}

/* ---- the run ---------------------------------------------------------- */

struct cwork {
	const cleaner_params *p;
	cleaner_stats *st;
	kmap map;
	int64_t map_end;
	buf inflated; /* records of the current compressed batch */
	buf out;      /* rewritten batches of the current input batch */
	buf recs;     /* records of the run being built */
	buf rec;      /* one record body */
	uint8_t *rmem; /* segment read buffer, reused */
	size_t rcap;
	bool kept_superseded; /* a batch with superseded records was kept whole */
};

static bool canceled(const struct cwork *w)
{
	return w->p->cancel && atomic_load(w->p->cancel) != 0;
}

static void map_batch(struct cwork *w, riter *it)
{
	riter_record r;

	while (riter_next(it, &r) == 1)
		if (r.offset >= w->p->first_dirty && r.key.len >= 0) {
			kdigest d = key_digest(r.key.p, (size_t)r.key.len);

			(void)kmap_put(&w->map, &d, r.offset); /* room checked per batch */
		}
}

/* Pass 1 over one segment. Returns 0, 1 when the map filled (map_end set),
 * or an error. */
static int map_segment(struct cwork *w, const plog_seg_snap *s)
{
	struct sreader rd;
	const uint8_t *p;
	rb_header h;
	riter it;
	int rc;

	sreader_init(&rd, s, &w->rmem, &w->rcap);
	while ((rc = sreader_next(&rd, &p, &h)) == 1) {
		if (canceled(w)) {
			rc = CLEANER_ECANCELED;
			break;
		}
		/* transactional data may be aborted: it must not supersede
		 * anything (NEEDSWORK: map it once its transaction committed) */
		if (segment_hdr_last(&h) < w->p->first_dirty ||
		    (h.attributes & (RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL)))
			continue;
		if (w->map.count + (size_t)h.records_count > w->map.max) {
			w->map_end = h.base_offset > w->p->first_dirty ? h.base_offset
								       : w->p->first_dirty;
			rc = 1;
			break;
		}
		rc = cleaner_records_open(&it, p, &h, &w->inflated);
		if (codec_error(rc)) {
			log_warn("cleaner: cannot decompress the batch at offset %lld in '%s'; "
				 "keeping it whole", (long long)h.base_offset, w->p->dir);
			continue;
		}
		if (rc) {
			rc = PLOG_ECORRUPT; /* rb_status / RITER_* */
			break;
		}
		map_batch(w, &it);
		if (it.err) {
			rc = PLOG_ECORRUPT;
			break;
		}
	}
	w->rmem = rd.buf;
	w->rcap = rd.cap;
	return rc;
}

/* Pass 1: sets w->map_end. Returns 0 or an error. */
static int build_map(struct cwork *w, const plog_seg_snap *segs, size_t n)
{
	w->map_end = segs[n - 1].limit;
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (segs[i].limit <= w->p->first_dirty)
			continue;
		rc = map_segment(w, &segs[i]);
		if (rc == 1)
			break;
		if (rc)
			return rc;
	}
	w->st->keys_mapped = (int64_t)w->map.count;
	if (w->map_end <= w->p->first_dirty)
		return CLEANER_EMAPFULL;
	return 0;
}

/* ---- pass 2: rewriting batches ---------------------------------------- */

/* A run of kept records with consecutive offsets, becoming one batch. */
struct run {
	int64_t base, next; /* first offset; offset the next record must have */
	int32_t n;
	int64_t max_ts;
};

/* Appends record r to the run's records, deltas relative to the run's base
 * offset and the input batch's base timestamp. */
static void run_add(struct cwork *w, struct run *run, const rb_header *h, const riter_record *r)
{
	buf *b = &w->rec;

	if (run->n == 0) {
		run->base = r->offset;
		run->max_ts = -1;
		buf_reset(&w->recs);
	}
	buf_reset(b);
	buf_i8(b, r->attributes);
	buf_varlong(b, (int64_t)((uint64_t)r->timestamp - (uint64_t)h->base_timestamp));
	buf_varint(b, (int32_t)(r->offset - run->base));
	buf_varint(b, r->key.len < 0 ? -1 : r->key.len);
	if (r->key.len > 0)
		buf_put(b, r->key.p, (size_t)r->key.len);
	buf_varint(b, r->value.len < 0 ? -1 : r->value.len);
	if (r->value.len > 0)
		buf_put(b, r->value.p, (size_t)r->value.len);
	buf_varint(b, r->headers_count);
	if (r->headers.len > 0)
		buf_put(b, r->headers.p, (size_t)r->headers.len);
	buf_varint(&w->recs, (int32_t)b->len);
	buf_put(&w->recs, b->data, b->len);
	if (r->timestamp > run->max_ts)
		run->max_ts = r->timestamp;
	run->n++;
	run->next = r->offset + 1;
}

/* Base sequence of a run starting delta records into the batch (sequences
 * wrap at INT32_MAX, as the producer's do). */
static int32_t run_sequence(const rb_header *h, int64_t delta)
{
	if (h->base_sequence < 0)
		return h->base_sequence;
	return (int32_t)(((int64_t)h->base_sequence + delta) % ((int64_t)INT32_MAX + 1));
}

/* Writes the run as one batch into w->out (compressed with the input's
 * codec when that works, else uncompressed) and empties it. */
static void run_flush(struct cwork *w, struct run *run, const rb_header *h)
{
	int codec = h->attributes & RB_ATTR_COMPRESSION_MASK;
	int16_t attrs = (int16_t)(h->attributes & ~RB_ATTR_DELETE_HORIZON);
	size_t at = w->out.len, total;
	uint8_t *p;

	if (run->n == 0)
		return;
	if (!buf_extend(&w->out, RB_HEADER_SIZE))
		return;
	if (!codec || cleaner_codec_compress(codec, w->recs.data, w->recs.len, &w->out) != 0) {
		attrs = (int16_t)(attrs & ~RB_ATTR_COMPRESSION_MASK);
		buf_put(&w->out, w->recs.data, w->recs.len);
	}
	if (w->out.err)
		return;
	p = w->out.data + at;
	total = w->out.len - at;
	be64_put(p + RB_OFF_BASE_OFFSET, (uint64_t)run->base);
	be32_put(p + RB_OFF_LENGTH, (uint32_t)(total - RB_LOG_OVERHEAD));
	be32_put(p + RB_OFF_LEADER_EPOCH, (uint32_t)h->leader_epoch);
	p[RB_OFF_MAGIC] = 2;
	be16_put(p + RB_OFF_ATTRIBUTES, (uint16_t)attrs);
	be32_put(p + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(run->n - 1));
	be64_put(p + RB_OFF_BASE_TIMESTAMP, (uint64_t)h->base_timestamp);
	be64_put(p + RB_OFF_MAX_TIMESTAMP, (uint64_t)((h->attributes & RB_ATTR_LOG_APPEND_TIME)
							  ? h->max_timestamp : run->max_ts));
	be64_put(p + RB_OFF_PRODUCER_ID, (uint64_t)h->producer_id);
	be16_put(p + RB_OFF_PRODUCER_EPOCH, (uint16_t)h->producer_epoch);
	be32_put(p + RB_OFF_BASE_SEQUENCE,
		 (uint32_t)run_sequence(h, run->base - h->base_offset));
	be32_put(p + RB_OFF_RECORDS_COUNT, (uint32_t)run->n);
	be32_put(p + RB_OFF_CRC, rb_compute_crc(p, total));
	run->n = 0;
}

/* Whether record r (of a segment whose tombstones may go) stays. */
static bool keep_record(struct cwork *w, const riter_record *r, bool drop_tombstones,
			int32_t *tombs)
{
	int64_t latest;
	kdigest d;

	if (r->offset >= w->map_end || r->key.len < 0)
		return true; /* not deduplicated yet, or no key (produce refuses keyless
			      * records on compacted topics; older data may have them) */
	d = key_digest(r->key.p, (size_t)r->key.len);
	latest = kmap_get(&w->map, &d);
	if (latest > r->offset)
		return false; /* superseded */
	/* a tombstone goes only if no older value of any key was left
	 * behind in this pass (it would come back without its tombstone) */
	if (r->value.len < 0 && drop_tombstones && !w->kept_superseded) {
		(*tombs)++;
		return false;
	}
	return true;
}

enum verdict { KEEP_WHOLE, DROP_WHOLE, REWRITTEN };

/* Filters the records of batch h at p into runs in w->out. Returns a
 * verdict, or PLOG_ECORRUPT. */
static int filter_batch(struct cwork *w, const uint8_t *p, const rb_header *h, bool tomb)
{
	struct run run = {0, 0, 0, -1};
	int32_t kept = 0, read = 0, tombs = 0;
	riter_record r;
	riter it;
	int rc;

	buf_reset(&w->out);
	if ((h->attributes & (RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL)) ||
	    h->base_offset >= w->map_end)
		return KEEP_WHOLE; /* NEEDSWORK: transaction-aware cleaning */
	rc = cleaner_records_open(&it, p, h, &w->inflated);
	if (codec_error(rc))
		return KEEP_WHOLE; /* warned in pass 1 when it was dirty */
	if (rc)
		return PLOG_ECORRUPT;
	while ((rc = riter_next(&it, &r)) == 1) {
		read++;
		if (!keep_record(w, &r, tomb, &tombs)) {
			run_flush(w, &run, h);
			continue;
		}
		if (run.n && r.offset != run.next)
			run_flush(w, &run, h);
		run_add(w, &run, h, &r);
		kept++;
	}
	if (rc)
		return PLOG_ECORRUPT;
	run_flush(w, &run, h);
	w->st->records_read += read;
	/* A batch whose records all stay is kept as it is. One that cannot
	 * be rebuilt (a buffer cap) is kept whole with its superseded
	 * records, and then no tombstone may go for the rest of the pass. A
	 * rebuilt batch may come out a little bigger than the original (runs
	 * of compressed records): superseded records must go regardless. */
	if (kept == read || (kept && (w->out.err || w->recs.err || w->rec.err))) {
		if (kept != read)
			w->kept_superseded = true;
		w->st->records_kept += read;
		return KEEP_WHOLE;
	}
	w->st->records_kept += kept;
	w->st->tombstones_dropped += tombs;
	return kept ? REWRITTEN : DROP_WHOLE;
}

/* Appends the batches in p[0..len) (built by run_flush) to seg. */
static int append_built(segment *seg, const uint8_t *p, size_t len, int32_t interval)
{
	for (size_t at = 0; at < len;) {
		rb_header h;
		int rc;

		if (rb_parse_header(p + at, len - at, &h) != RB_OK)
			return PLOG_ECORRUPT; /* NEVER: we built it */
		rc = segment_append(seg, p + at, rb_total_size(&h), &h, interval);
		if (rc)
			return rc;
		at += rb_total_size(&h);
	}
	return 0;
}

/* The delete horizon (cleaner.h): tombstones of segment s may go when its
 * newest record (or, without timestamps, its file) is older than
 * delete.retention.ms. */
static bool tombstones_expired(const struct cwork *w, const plog_seg_snap *s)
{
	int64_t ts = s->max_ts;
	struct stat st;

	if (ts < 0) {
		if (fstat(s->fd, &st) < 0)
			return false;
		ts = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	}
	if (w->p->delete_retention_ms > w->p->now_ms)
		return false;
	return ts < w->p->now_ms - w->p->delete_retention_ms;
}

/* Copies the batches of s through filter_batch into seg; sets *changed. */
static int filter_segment(struct cwork *w, const plog_seg_snap *s, segment *seg, bool *changed)
{
	int32_t interval = w->p->index_interval_bytes;
	bool tomb = tombstones_expired(w, s);
	struct sreader rd;
	const uint8_t *p;
	rb_header h;
	int rc;

	sreader_init(&rd, s, &w->rmem, &w->rcap);
	while ((rc = sreader_next(&rd, &p, &h)) == 1) {
		int v = canceled(w) ? CLEANER_ECANCELED : filter_batch(w, p, &h, tomb);

		rc = 0;
		if (v < 0) {
			rc = v;
			break;
		}
		if (v == KEEP_WHOLE)
			rc = segment_append(seg, p, rb_total_size(&h), &h, interval);
		else if (v == REWRITTEN)
			rc = append_built(seg, w->out.data, w->out.len, interval);
		if (v != KEEP_WHOLE)
			*changed = true;
		if (rc)
			break;
	}
	w->rmem = rd.buf;
	w->rcap = rd.cap;
	return rc;
}

/* Pass 2 for one segment: <tdir>/<base>.* when it changed (fsynced). */
static int rewrite_segment(struct cwork *w, const plog_seg_snap *s, const char *tdir,
			   bool *changed)
{
	segment *seg;
	int rc;

	*changed = false;
	(void)segment_unlink_files(tdir, s->base);
	rc = segment_create(&seg, tdir, s->base, w->p->now_ms);
	if (rc)
		return rc;
	rc = filter_segment(w, s, seg, changed);
	if (!rc && *changed)
		rc = segment_seal(seg);
	if (!rc && *changed)
		rc = segment_fsync(seg, true);
	if (rc || !*changed) {
		*changed = false;
		(void)segment_delete(seg);
		return rc;
	}
	w->st->bytes_in += s->size;
	w->st->bytes_out += segment_size(seg);
	w->st->segments_rewritten++;
	segment_free(seg);
	return 0;
}

void cleaner_remove_files(const char *dir, int64_t base)
{
	char *tdir = fileio_join(dir, CLEANER_TMP_DIR);

	if (base >= 0)
		(void)segment_unlink_files(tdir, base);
	(void)rmdir(tdir); /* fails while other files are in it: fine */
	free(tdir);
}

static void work_release(struct cwork *w)
{
	kmap_release(&w->map);
	buf_release(&w->inflated);
	buf_release(&w->out);
	buf_release(&w->recs);
	buf_release(&w->rec);
	free(w->rmem);
}

int cleaner_run(const cleaner_params *p, const plog_seg_snap *segs, size_t n, bool *changed,
		cleaner_stats *st)
{
	struct cwork w;
	char *tdir;
	size_t i = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(changed, 0, n * sizeof(*changed));
	st->map_end = p->first_dirty;
	if (n == 0 || segs[n - 1].limit <= p->first_dirty)
		return 0; /* nothing dirty */
	memset(&w, 0, sizeof(w));
	w.p = p;
	w.st = st;
	kmap_init(&w.map, p->map_bytes);
	buf_init(&w.inflated, CLEANER_MAX_INFLATE);
	buf_init(&w.out, OUT_MAX);
	buf_init(&w.recs, OUT_MAX);
	buf_init(&w.rec, OUT_MAX);
	tdir = fileio_join(p->dir, CLEANER_TMP_DIR);
	rc = build_map(&w, segs, n);
	if (!rc && mkdir(tdir, 0755) < 0 && errno != EEXIST)
		rc = -errno;
	for (; !rc && i < n && segs[i].base < w.map_end; i++)
		if (segs[i].size > 0) /* emptied by an earlier pass */
			rc = rewrite_segment(&w, &segs[i], tdir, &changed[i]);
	if (rc) {
		for (size_t j = 0; j < i; j++)
			if (changed[j])
				cleaner_remove_files(p->dir, segs[j].base);
		memset(changed, 0, n * sizeof(*changed));
	} else {
		st->map_end = w.map_end;
	}
	(void)rmdir(tdir); /* only succeeds when nothing is waiting in it */
	free(tdir);
	work_release(&w);
	return rc;
}
