/*
 * test_cleaner.c: log compaction (storage/cleaner.h) on partition logs built
 * in a temporary directory: keys overwritten, tombstones past and before the
 * delete horizon, keyless records, compressed batches of every codec,
 * offsets preserved, a full map, stale snapshots, leftovers after a crash,
 * and reading the log afterwards returns exactly the latest value per key in
 * offset order.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/slice.h"
#include "proto/rbuild.h"
#include "proto/records.h"
#include "proto/riter.h"
#include "storage/cleaner.h"
#include "storage/fileio.h"
#include "storage/plog.h"
#include "testhelp.h"

static char root[256];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void test_dir(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", root, name);
}

static plog *open_log(const char *name, int64_t seg_bytes)
{
	char dir[512];
	plog_config cfg = {seg_bytes, -1, 256, false};
	plog *log = NULL;

	test_dir(dir, sizeof(dir), name);
	if (plog_open(&log, dir, &cfg, -1) != 0)
		return NULL;
	return log;
}

/* Syncs everything appended so far (rolled segments become cleanable). */
static void sync_log(plog *log)
{
	plog_sync_ticket *t = plog_sync_begin(log);

	if (t)
		plog_sync_end(log, t, plog_sync_run(t));
}

/* Compresses the records of the uncompressed batch in b (from at) with codec. */
static void compress_batch(buf *b, size_t at, int codec)
{
	uint8_t *p = b->data + at;
	size_t total = b->len - at;
	buf c;

	buf_init(&c, 1 << 24);
	buf_put(&c, p, RB_HEADER_SIZE);
	if (cleaner_codec_compress(codec, p + RB_HEADER_SIZE, total - RB_HEADER_SIZE, &c) != 0)
		abort();
	be32_put(c.data + RB_OFF_LENGTH, (uint32_t)(c.len - RB_LOG_OVERHEAD));
	be16_put(c.data + RB_OFF_ATTRIBUTES,
		 (uint16_t)(be16_get(c.data + RB_OFF_ATTRIBUTES) | (uint16_t)codec));
	be32_put(c.data + RB_OFF_CRC, rb_compute_crc(c.data, c.len));
	b->len = at;
	buf_put(b, c.data, c.len);
	buf_release(&c);
}

/* Appends one batch of n records "k<key>" = "v<offset-ish tag>" (tag < 0:
 * tombstone; key < 0: no key) with timestamp ts, compressed with codec. */
static int append_recs(plog *log, const int *keys, const int *tags, int n, int64_t ts, int codec)
{
	char kb[64][16], vb[64][16];
	rb_record recs[64];
	rb_batch_opts o;
	buf b;
	int rc;

	rbuild_opts_init(&o);
	for (int i = 0; i < n; i++) {
		int kl = snprintf(kb[i], sizeof(kb[i]), "k%d", keys[i]);
		int vl = snprintf(vb[i], sizeof(vb[i]), "v%d", tags[i]);

		recs[i].key = keys[i] < 0 ? (kbytes){NULL, -1} : (kbytes){(uint8_t *)kb[i], kl};
		recs[i].value = tags[i] < 0 ? (kbytes){NULL, -1} : (kbytes){(uint8_t *)vb[i], vl};
		recs[i].timestamp = ts + i;
	}
	buf_init(&b, 1 << 24);
	rc = rbuild_batch(&b, &o, recs, n);
	if (!rc && codec)
		compress_batch(&b, 0, codec);
	if (!rc)
		rc = plog_append(log, b.data, b.len, clock_now_ms(), NULL);
	buf_release(&b);
	return rc;
}

static int append1(plog *log, int key, int tag, int64_t ts)
{
	return append_recs(log, &key, &tag, 1, ts, 0);
}

/* One record as read back. */
struct got {
	int64_t offset;
	int key; /* -1: none */
	int tag; /* -1: tombstone */
};

static int parse_num(kbytes b, char c)
{
	char tmp[16];

	if (b.len < 0)
		return -1;
	if (b.len < 2 || b.len >= (int32_t)sizeof(tmp) || b.p[0] != (uint8_t)c)
		return -99;
	memcpy(tmp, b.p + 1, (size_t)b.len - 1);
	tmp[b.len - 1] = '\0';
	return atoi(tmp);
}

/* Reads every record of the log in offset order into out (max cap). Also
 * counts batches and checks each batch fully. Returns the count or -1. */
static int read_all(plog *log, struct got *out, int cap, int *batches)
{
	int64_t off = plog_start_offset(log), end = plog_end_offset(log);
	int n = 0;

	*batches = 0;
	while (off < end) {
		plog_range rg;
		uint8_t *data;

		if (plog_read(log, off, 1 << 20, end, &rg) != 0 || rg.len == 0)
			return -1;
		data = malloc(rg.len);
		if (pread(rg.fd, data, rg.len, rg.pos) != (ssize_t)rg.len)
			abort();
		for (size_t at = 0; at < rg.len;) {
			rb_header h;
			buf inflated;
			riter it;
			riter_record r;
			int codec;

			if (rb_check(data + at, rg.len - at, &h) != RB_OK)
				return -1;
			codec = h.attributes & RB_ATTR_COMPRESSION_MASK;
			buf_init(&inflated, 1 << 24);
			if (codec) {
				if (cleaner_codec_decompress(codec, data + at + RB_HEADER_SIZE,
							     rb_total_size(&h) - RB_HEADER_SIZE,
							     &inflated) != 0)
					return -1;
				memset(&it, 0, sizeof(it));
				it.h = h;
				slice_init(&it.s, inflated.data, inflated.len);
				it.left = h.records_count;
			} else if (riter_init(&it, data + at, rg.len - at) != 0) {
				return -1;
			}
			while (riter_next(&it, &r) == 1 && n < cap)
				out[n++] = (struct got){r.offset, parse_num(r.key, 'k'),
							parse_num(r.value, 'v')};
			if (it.err)
				return -1;
			buf_release(&inflated);
			(*batches)++;
			at += rb_total_size(&h);
		}
		free(data);
		off = rg.next_offset;
	}
	return n;
}

/* Compaction's promise below map_end: at most one record per key (the
 * latest: offsets only grow and nothing else could be left). Returns the
 * number of distinct keys seen below map_end, or -1 on a duplicate. */
static int unique_below(const struct got *g, int n, int64_t map_end)
{
	int distinct = 0;

	for (int i = 0; i < n && g[i].offset < map_end; i++) {
		if (g[i].key < 0)
			continue;
		for (int j = 0; j < i; j++)
			if (g[j].key == g[i].key)
				return -1;
		distinct++;
	}
	return distinct;
}

/* Runs one cleaning pass the way cleaner_task does. Returns the rc of
 * cleaner_run, and the number of swapped segments in *swapped. */
static int clean(plog *log, int64_t first_dirty, int64_t del_ret_ms, size_t map_bytes,
		 cleaner_stats *st, int *swapped)
{
	plog_seg_snap *segs;
	size_t n;
	bool changed[512];
	cleaner_params p = {plog_dir(log), first_dirty, clock_now_ms(), del_ret_ms, 256,
			    map_bytes, NULL};
	int rc = plog_clean_snapshot(log, INT64_MAX, plog_lso(log), true, &segs, &n);

	*swapped = 0;
	if (rc || n > 512) {
		plog_snap_free(segs, n);
		return -1;
	}
	rc = cleaner_run(&p, segs, n, changed, st);
	for (size_t i = 0; i < n; i++) {
		if (!changed[i])
			continue;
		if (plog_replace_segment(log, &segs[i], CLEANER_TMP_DIR) == 0)
			(*swapped)++;
		else
			cleaner_remove_files(plog_dir(log), segs[i].base);
	}
	plog_snap_free(segs, n);
	return rc;
}

/* 20 keys overwritten 5 times, one record per batch, small segments. */
TEST(latest_value_per_key)
{
	plog *log = open_log("latest", 400);
	struct got g[200];
	cleaner_stats st;
	int sw, nb, n, before;

	CHECK(log != NULL);
	for (int round = 0; round < 5; round++)
		for (int k = 0; k < 20; k++)
			CHECK_EQ_INT(append1(log, k, round * 100 + k, 1000), 0);
	append1(log, 999, 0, 1000); /* keeps the last real one out of the active segment */
	sync_log(log);
	before = plog_segment_count(log);
	CHECK(before > 5);
	CHECK_EQ_INT(clean(log, 0, 1000, 1 << 20, &st, &sw), 0);
	CHECK(sw > 0);
	CHECK(st.records_kept < st.records_read);
	CHECK(plog_segment_count(log) < before); /* emptied segments went */
	n = read_all(log, g, 200, &nb);
	CHECK(unique_below(g, n, st.map_end) > 0);
	/* all the last round's keys (the active segment holds at most a few
	 * uncleaned records too) */
	CHECK(n >= 21 && n < 30);
	for (int i = 0; i < n; i++) {
		if (i)
			CHECK(g[i].offset > g[i - 1].offset);
		if (g[i].key == 999)
			continue;
		/* offset of record k in round r is r*20+k: unchanged */
		CHECK_EQ_INT(g[i].offset, g[i].tag / 100 * 20 + g[i].key);
		if (g[i].offset < 80)
			CHECK(0); /* an older round survived */
	}
	CHECK_EQ_INT(plog_end_offset(log), 101);
	/* a second pass with nothing new changes nothing */
	CHECK_EQ_INT(clean(log, st.map_end, 1000, 1 << 20, &st, &sw), 0);
	CHECK_EQ_INT(sw, 0);
	plog_close(log);
	/* and it all survives a reopen */
	log = open_log("latest", 400);
	CHECK(log != NULL);
	CHECK_EQ_INT(read_all(log, g, 200, &nb), n);
	plog_close(log);
}

/* Keys overwritten inside batches of 10: batches are split into runs. */
TEST(partial_batches_keep_offsets)
{
	plog *log = open_log("partial", 600);
	int keys[10], tags[10], sw, nb, n;
	struct got g[100];
	cleaner_stats st;

	for (int b = 0; b < 6; b++) {
		for (int i = 0; i < 10; i++) {
			keys[i] = (b * 10 + i) % 7; /* 7 keys */
			tags[i] = b * 10 + i;
		}
		CHECK_EQ_INT(append_recs(log, keys, tags, 10, 5000, 0), 0);
	}
	append1(log, 100, 100, 5000);
	append1(log, 101, 101, 5000);
	sync_log(log);
	CHECK_EQ_INT(clean(log, 0, 1000, 1 << 20, &st, &sw), 0);
	n = read_all(log, g, 100, &nb);
	CHECK(n >= 7);
	CHECK_EQ_INT(unique_below(g, n, st.map_end), 7);
	for (int i = 0; i < n && g[i].key < 100; i++) {
		CHECK_EQ_INT(g[i].offset, g[i].tag); /* the value names its offset */
		if (g[i].key < 7) /* latest of key k is the largest offset = k mod 7 */
			CHECK(g[i].offset >= 60 - 7);
	}
	plog_close(log);
}

/* Tombstones: dropped with their key once past delete.retention.ms, kept
 * (with older values gone) before it. */
TEST(tombstones)
{
	plog *log = open_log("tomb", 300);
	int64_t old = clock_now_ms() - 3600 * 1000;
	struct got g[100];
	cleaner_stats st;
	int sw, nb, n;

	for (int k = 0; k < 10; k++)
		append1(log, k, k, old);
	for (int k = 0; k < 5; k++)
		append1(log, k, -1, old); /* delete keys 0..4 */
	append1(log, 50, 50, old);
	append1(log, 51, 51, old);
	sync_log(log);
	/* horizon of 1 day: the tombstones stay, the values they delete go */
	CHECK_EQ_INT(clean(log, 0, 86400000, 1 << 20, &st, &sw), 0);
	n = read_all(log, g, 100, &nb);
	for (int i = 0; i < n; i++)
		if (g[i].key < 5)
			CHECK_EQ_INT(g[i].tag, -1);
	CHECK(n >= 10);
	CHECK_EQ_INT(st.tombstones_dropped, 0);
	/* horizon of 1 s: they go too, at the next cleaning (new dirty data) */
	for (int k = 60; k < 64; k++)
		append1(log, k, k, old);
	sync_log(log);
	CHECK_EQ_INT(clean(log, st.map_end, 1000, 1 << 20, &st, &sw), 0);
	CHECK(st.tombstones_dropped > 0);
	n = read_all(log, g, 100, &nb);
	for (int i = 0; i < n; i++)
		CHECK(g[i].key >= 5 || g[i].offset >= 15); /* only uncleaned tail */
	plog_close(log);
}

/* Records without a key are kept (Kafka refuses them at produce). */
TEST(keyless_kept)
{
	plog *log = open_log("keyless", 300);
	struct got g[50];
	cleaner_stats st;
	int sw, nb, n, keyless = 0;

	for (int i = 0; i < 10; i++)
		append1(log, i % 2 ? -1 : 1, i, 1000);
	append1(log, 7, 7, 1000);
	append1(log, 8, 8, 1000);
	sync_log(log);
	CHECK_EQ_INT(clean(log, 0, 1000, 1 << 20, &st, &sw), 0);
	n = read_all(log, g, 50, &nb);
	for (int i = 0; i < n; i++)
		keyless += g[i].key == -1;
	CHECK_EQ_INT(keyless, 5);
	plog_close(log);
}

/* Every codec: batches are decompressed, filtered and compressed again. */
TEST(compressed_batches)
{
	for (int codec = 1; codec <= 4; codec++) {
		char name[32];
		int keys[20], tags[20], sw, nb, n;
		struct got g[200];
		cleaner_stats st;
		plog *log;

		snprintf(name, sizeof(name), "codec%d", codec);
		log = open_log(name, 700);
		for (int b = 0; b < 8; b++) {
			for (int i = 0; i < 20; i++) {
				keys[i] = (b * 20 + i) % 9;
				tags[i] = b * 20 + i;
			}
			CHECK_EQ_INT(append_recs(log, keys, tags, 20, 7000, codec), 0);
		}
		append_recs(log, (int[]){100}, (int[]){160}, 1, 7000, codec);
		append_recs(log, (int[]){101}, (int[]){161}, 1, 7000, codec);
		sync_log(log);
		CHECK_EQ_INT(clean(log, 0, 1000, 1 << 20, &st, &sw), 0);
		CHECK(sw > 0);
		n = read_all(log, g, 200, &nb);
		CHECK(unique_below(g, n, st.map_end) >= 9);
		for (int i = 0; i < n; i++) {
			int64_t end = st.map_end < 160 ? st.map_end : 160;

			CHECK_EQ_INT(g[i].offset, g[i].tag);
			if (g[i].key < 9 && g[i].offset < end)
				CHECK(g[i].offset >= end - 9);
		}
		plog_close(log);
	}
}

/* A map too small for the whole dirty part cleans up to where it got. */
TEST(small_map)
{
	plog *log = open_log("smallmap", 300);
	cleaner_stats st;
	struct got g[400];
	int sw, nb, n;

	for (int round = 0; round < 3; round++)
		for (int k = 0; k < 100; k++)
			append1(log, k, round * 1000 + k, 1000);
	append1(log, 500, 0, 1000);
	sync_log(log);
	/* 64 slots (the floor), 57 usable: stops early */
	CHECK_EQ_INT(clean(log, 0, 1000, 1, &st, &sw), 0);
	CHECK(st.map_end > 0);
	CHECK(st.map_end < 300);
	n = read_all(log, g, 400, &nb);
	for (int i = 1; i < n; i++)
		CHECK(g[i].offset > g[i - 1].offset);
	/* passes until clean: everything before converges to the last round */
	for (int pass = 0; pass < 20 && st.map_end < 300; pass++)
		clean(log, st.map_end, 1000, 1, &st, &sw);
	clean(log, 0, 1000, 1 << 20, &st, &sw);
	n = read_all(log, g, 400, &nb);
	CHECK_EQ_INT(unique_below(g, n, st.map_end), 100);
	plog_close(log);
}

/* A segment changed since the snapshot is not swapped; leftovers of a
 * crash mid-cleaning are removed at open. */
TEST(stale_and_leftovers)
{
	plog *log = open_log("stale", 300);
	plog_seg_snap *segs;
	cleaner_params p;
	cleaner_stats st;
	bool changed[64];
	struct stat sb;
	char path[600];
	size_t n;

	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 10; k++)
			append1(log, k, r * 100 + k, 1000);
	append1(log, 99, 0, 1000);
	sync_log(log);
	CHECK_EQ_INT(plog_clean_snapshot(log, INT64_MAX, plog_lso(log), true, &segs, &n), 0);
	CHECK(n > 1 && n < 64);
	p = (cleaner_params){plog_dir(log), 0, clock_now_ms(), 1000, 256, 1 << 20, NULL};
	CHECK_EQ_INT(cleaner_run(&p, segs, n, changed, &st), 0);
	CHECK(changed[0]);
	/* DeleteRecords-like: the first segments go meanwhile */
	CHECK_EQ_INT(plog_advance_start(log, segs[1].base), 0);
	CHECK_EQ_INT(plog_replace_segment(log, &segs[0], CLEANER_TMP_DIR), PLOG_ESTALE);
	/* "crash": the .cleaned files stay behind */
	plog_close(log);
	snprintf(path, sizeof(path), "%s/stale/%s", root, CLEANER_TMP_DIR);
	CHECK(stat(path, &sb) == 0);
	log = open_log("stale", 300);
	CHECK(log != NULL);
	CHECK(stat(path, &sb) != 0);
	plog_snap_free(segs, n);
	plog_close(log);
}

/* A swap that fails half-way (the index rename) fails the log; the next
 * open rebuilds the indexes and the data is the cleaned or the old one. */
TEST(swap_fault)
{
	plog *log = open_log("fault", 300);
	struct got g[200];
	cleaner_stats st;
	int sw, nb, n;

	for (int r = 0; r < 4; r++)
		for (int k = 0; k < 10; k++)
			append1(log, k, r * 100 + k, 1000);
	append1(log, 99, 0, 1000);
	sync_log(log);
	fileio_fail_after(FILEIO_RENAME, 2, 5 /* EIO */);
	clean(log, 0, 1000, 1 << 20, &st, &sw);
	fileio_reset();
	CHECK(plog_failed(log));
	plog_close(log);
	log = open_log("fault", 300);
	CHECK(log != NULL);
	n = read_all(log, g, 200, &nb);
	CHECK(n >= 11);
	for (int i = 0; i < n; i++) {
		if (i)
			CHECK(g[i].offset > g[i - 1].offset);
		if (g[i].key < 10)
			CHECK_EQ_INT(g[i].offset, g[i].tag / 100 * 10 + g[i].key);
	}
	/* and cleaning works again */
	CHECK_EQ_INT(clean(log, 0, 1000, 1 << 20, &st, &sw), 0);
	n = read_all(log, g, 200, &nb);
	CHECK_EQ_INT(unique_below(g, n, st.map_end), 10);
	plog_close(log);
}

/* cleaner_check_keys finds a null key, also inside a compressed batch. */
TEST(check_keys)
{
	rb_record recs[2] = {{{(uint8_t *)"a", 1}, {(uint8_t *)"x", 1}, 1},
			     {{NULL, -1}, {(uint8_t *)"y", 1}, 2}};
	rb_batch_opts o;
	buf b;

	rbuild_opts_init(&o);
	buf_init(&b, 1 << 20);
	rbuild_batch(&b, &o, recs, 1);
	CHECK_EQ_INT(cleaner_check_keys(b.data, b.len, 1 << 20), 0);
	buf_reset(&b);
	rbuild_batch(&b, &o, recs, 2);
	CHECK_EQ_INT(cleaner_check_keys(b.data, b.len, 1 << 20), 1);
	compress_batch(&b, 0, 4);
	CHECK_EQ_INT(cleaner_check_keys(b.data, b.len, 1 << 20), 1);
	b.data[b.len - 1] ^= 1; /* CRC mismatch */
	CHECK(cleaner_check_keys(b.data, b.len, 1 << 20) < 0);
	buf_release(&b);
}

/* Codec round trips, and garbage and bombs are refused. */
TEST(codecs)
{
	uint8_t in[5000], junk[64];
	buf c, d;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i % 13);
	memset(junk, 0x5a, sizeof(junk));
	for (int codec = 1; codec <= 4; codec++) {
		buf_init(&c, 1 << 20);
		buf_init(&d, 1 << 20);
		CHECK_EQ_INT(cleaner_codec_compress(codec, in, sizeof(in), &c), 0);
		CHECK_EQ_INT(cleaner_codec_decompress(codec, c.data, c.len, &d), 0);
		CHECK(d.len == sizeof(in) && memcmp(d.data, in, sizeof(in)) == 0);
		buf_release(&d);
		buf_init(&d, 100); /* cap below the output */
		CHECK_EQ_INT(cleaner_codec_decompress(codec, c.data, c.len, &d),
			     CLEANER_CODEC_ETOOBIG);
		buf_release(&d);
		buf_init(&d, 1 << 20);
		CHECK(cleaner_codec_decompress(codec, junk, sizeof(junk), &d) != 0);
		CHECK(cleaner_codec_decompress(codec, c.data, c.len / 2, &d) != 0);
		buf_release(&d);
		buf_release(&c);
	}
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/test_cleaner.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(latest_value_per_key);
	RUN(partial_batches_keep_offsets);
	RUN(tombstones);
	RUN(keyless_kept);
	RUN(compressed_batches);
	RUN(small_map);
	RUN(stale_and_leftovers);
	RUN(swap_fault);
	RUN(check_keys);
	RUN(codecs);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return testhelp_done();
}
