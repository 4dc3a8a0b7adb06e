/*
 * test_plog.c: the partition log: appends, reads, time lookups, rolls,
 * truncation, retention, sync tickets and injected write/fsync failures.
 *
 * Each test works in its own directory under a mkdtemp() root that is
 * removed at the end. Batches are built by make_batch() (valid v2 headers,
 * real records, CRC via rb_compute_crc); the same helper is repeated in the
 * other storage tests, since each test is a program of its own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testhelp.h"

#include "core/logger.h"
#include "core/slice.h"
#include "proto/records.h"
#include "storage/checkpoint.h"
#include "storage/fileio.h"
#include "storage/plog.h"
#include "storage_testutil.h"

/* ---- helpers (batch building and rmtree: storage_testutil.h) ---------- */

static char root[64];

/* A fresh directory path for one test (not created: plog_open does). */
static void test_dir(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", root, name);
	rmtree(out);
}

static plog_config cfg_of(int64_t seg_bytes, int32_t interval)
{
	plog_config c = {.segment_bytes = seg_bytes,
			 .segment_ms = 0,
			 .index_interval_bytes = interval,
			 .log_append_time = false};
	return c;
}

/* Stored copy of each appended batch (as patched by the log). */
struct copy {
	uint8_t *b;
	size_t len;
	int64_t base, last, max_ts;
};

static struct copy copies[512];
static int ncopies;

static void copies_reset(void)
{
	for (int i = 0; i < ncopies; i++)
		free(copies[i].b);
	ncopies = 0;
}

/* Appends a batch of count records and remembers it; returns plog rc. */
static int append(plog *log, int count, size_t vlen, int64_t ts)
{
	size_t len;
	uint8_t *b = make_batch(count, vlen, ts, &len);
	plog_append_info info;
	int rc = plog_append(log, b, len, ts, &info);

	if (rc) {
		free(b);
		return rc;
	}
	copies[ncopies].b = b;
	copies[ncopies].len = len;
	copies[ncopies].base = info.base_offset;
	copies[ncopies].last = info.last_offset;
	copies[ncopies].max_ts = (int64_t)be64_get(b + RB_OFF_MAX_TIMESTAMP);
	ncopies++;
	return 0;
}

/* The stored batch containing offset, or -1. */
static int copy_for(int64_t offset)
{
	for (int i = 0; i < ncopies; i++)
		if (copies[i].base <= offset && offset <= copies[i].last)
			return i;
	return -1;
}

/* Reads r into memory (caller frees). */
static uint8_t *slurp_range(const plog_range *r)
{
	uint8_t *p = malloc(r->len ? r->len : 1);

	if (pread(r->fd, p, r->len, r->pos) != (ssize_t)r->len) {
		free(p);
		return NULL;
	}
	return p;
}

/* Checks that r holds copies[first..] back to back, whole; returns the
 * number of batches. */
static int check_range(const plog_range *r, int first)
{
	uint8_t *p = slurp_range(r);
	size_t at = 0;
	int k = 0;

	CHECK(p != NULL);
	if (!p)
		return 0;
	while (at < r->len) {
		struct copy *c = &copies[first + k];

		CHECK(first + k < ncopies);
		CHECK(at + c->len <= r->len);
		if (first + k >= ncopies || at + c->len > r->len)
			break;
		CHECK_MEM(p + at, c->b, c->len);
		at += c->len;
		k++;
	}
	free(p);
	return k;
}

/* ---- tests ----------------------------------------------------------- */

TEST(empty_dir)
{
	char dir[128];
	plog_config c = cfg_of(1 << 20, 4096);
	plog *log;
	plog_range r;
	struct stat st;
	char path[256];

	test_dir(dir, sizeof(dir), "empty");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK_EQ_INT(plog_start_offset(log), 0);
	CHECK_EQ_INT(plog_end_offset(log), 0);
	CHECK_EQ_INT(plog_durable_offset(log), 0);
	CHECK_EQ_INT(plog_size_bytes(log), 0);
	CHECK_EQ_INT(plog_read(log, 0, 1000, 0, &r), 0);
	CHECK_EQ_INT(r.len, 0);
	CHECK_EQ_INT(plog_read(log, 1, 1000, 1, &r), PLOG_ERANGE);
	CHECK(plog_sync_begin(log) == NULL);
	snprintf(path, sizeof(path), "%s/00000000000000000000.log", dir);
	CHECK_EQ_INT(stat(path, &st), 0);
	plog_close(log);
}

TEST(round_trip_segments)
{
	char dir[128];
	plog_config c = cfg_of(1000, 100);
	plog *log;
	plog_range r;
	int64_t leo;

	copies_reset();
	test_dir(dir, sizeof(dir), "rt");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	for (int i = 0; i < 60; i++)
		CHECK_EQ_INT(append(log, 1 + i % 4, 20 + (size_t)(i * 7) % 90, 1000 + i), 0);
	leo = copies[ncopies - 1].last + 1;
	CHECK_EQ_INT(plog_end_offset(log), leo);
	CHECK(plog_segment_count(log) > 5);
	CHECK_EQ_INT(copies[0].base, 0);
	for (int i = 1; i < ncopies; i++)
		CHECK_EQ_INT(copies[i].base, copies[i - 1].last + 1);
	/* every offset, also the middle of batches, gives its batch first */
	for (int64_t o = 0; o < leo; o++) {
		int k = copy_for(o);

		CHECK_EQ_INT(plog_read(log, o, 1, leo, &r), 0);
		CHECK_EQ_INT(r.len, copies[k].len);
		CHECK_EQ_INT(check_range(&r, k), 1);
	}
	/* at LEO: empty; past: out of range */
	CHECK_EQ_INT(plog_read(log, leo, 1000, leo, &r), 0);
	CHECK_EQ_INT(r.len, 0);
	CHECK_EQ_INT(plog_read(log, leo + 1, 1000, leo, &r), PLOG_ERANGE);
	CHECK_EQ_INT(plog_read(log, -1, 1000, leo, &r), PLOG_ERANGE);
	plog_close(log);
}

TEST(sequential_ranges)
{
	char dir[128];
	plog_config c = cfg_of(4000, 200);
	plog *log;
	plog_range r;
	int64_t leo, off = 0;
	int seen = 0, reads = 0;

	copies_reset();
	test_dir(dir, sizeof(dir), "seq");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	for (int i = 0; i < 120; i++)
		CHECK_EQ_INT(append(log, 1 + i % 3, 10 + (size_t)(i * 13) % 120, 5000 + i), 0);
	leo = plog_end_offset(log);
	/* a consumer reading 700 bytes at a time sees every batch once */
	while (off < leo && reads++ < 1000) {
		int k = copy_for(off), n;

		CHECK_EQ_INT(plog_read(log, off, 700, leo, &r), 0);
		CHECK(r.len > 0);
		CHECK(r.len <= 700 || r.len == copies[k].len);
		n = check_range(&r, k);
		CHECK(n >= 1);
		seen += n;
		off = copies[k + n - 1].last + 1;
		CHECK_EQ_INT(r.next_offset, off);
	}
	CHECK_EQ_INT(seen, ncopies);
	CHECK_EQ_INT(off, leo);
	/* a huge max_bytes stops at the segment end */
	CHECK_EQ_INT(plog_read(log, 0, 1 << 20, leo, &r), 0);
	CHECK(r.len <= 4000);
	CHECK(check_range(&r, 0) >= 1);
	/* upto at a batch base excludes that batch; mid-batch keeps it */
	CHECK_EQ_INT(plog_read(log, 0, 1 << 20, copies[3].base, &r), 0);
	CHECK_EQ_INT(check_range(&r, 0), 3);
	CHECK_EQ_INT(r.next_offset, copies[3].base);
	CHECK_EQ_INT(plog_read(log, 0, 1 << 20, copies[3].base + 1, &r), 0);
	CHECK_EQ_INT(check_range(&r, 0), 4);
	CHECK_EQ_INT(r.next_offset, copies[3].last + 1);
	CHECK_EQ_INT(plog_read(log, copies[3].base, 1 << 20, copies[3].base, &r), 0);
	CHECK_EQ_INT(r.len, 0);
	/* max_bytes below one batch still gives one whole batch */
	CHECK_EQ_INT(plog_read(log, copies[5].base, 1, leo, &r), 0);
	CHECK_EQ_INT(r.len, copies[5].len);
	plog_close(log);
}

/* Brute force: first batch (offset order) with max_ts >= ts. */
static int expect_time(int64_t ts)
{
	for (int i = 0; i < ncopies; i++)
		if (copies[i].max_ts >= ts)
			return i;
	return -1;
}

TEST(offset_for_time)
{
	char dir[128];
	plog_config c = cfg_of(3000, 150);
	plog *log;
	int64_t off, ts, mo, mts;
	unsigned seed = 7;

	copies_reset();
	test_dir(dir, sizeof(dir), "time");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK_EQ_INT(plog_max_timestamp(log, 0, &mo, &mts), 0);
	CHECK_EQ_INT(mo, -1);
	CHECK_EQ_INT(mts, -1);
	/* timestamps mostly rising, with jitter (not monotonic) */
	for (int i = 0; i < 150; i++) {
		seed = seed * 1103515245u + 12345u;
		CHECK_EQ_INT(
		    append(log, 1 + i % 3, 30, 10000 + i * 10 - (int64_t)(seed >> 16) % 40), 0);
	}
	for (int round = 0; round < 2; round++) {
		for (int64_t t = 9900; t < 11600; t += 7) {
			int k = expect_time(t);

			CHECK_EQ_INT(plog_offset_for_time(log, t, &off, &ts), 0);
			if (k < 0) {
				CHECK_EQ_INT(off, -1);
				CHECK_EQ_INT(ts, -1);
			} else {
				CHECK_EQ_INT(off, copies[k].base);
				CHECK_EQ_INT(ts, copies[k].max_ts);
			}
		}
		CHECK_EQ_INT(plog_max_timestamp(log, 0, &mo, &mts), 0);
		{
			int best = 0;

			for (int i = 1; i < ncopies; i++)
				if (copies[i].max_ts > copies[best].max_ts)
					best = i;
			CHECK_EQ_INT(mts, copies[best].max_ts);
			CHECK_EQ_INT(mo, copies[best].base);
		}
		/* the same answers after a reopen that trusts the old segments */
		plog_close(log);
		CHECK_EQ_INT(plog_open(&log, dir, &c, copies[ncopies - 1].last + 1), 0);
	}
	plog_close(log);
}

/*
 * Brute force over the batches holding offsets >= from: for ts >= 0 the
 * first with max_ts >= ts, for ts < 0 the first with the largest max_ts.
 * *off: its base, at least from; -1/-1 if none.
 */
static void expect_from(int64_t ts, int64_t from, int64_t *off, int64_t *mts)
{
	int k = -1;

	for (int i = 0; i < ncopies; i++) {
		if (copies[i].last < from)
			continue;
		if (ts >= 0 && copies[i].max_ts >= ts) {
			k = i;
			break;
		}
		if (ts < 0 && (k < 0 || copies[i].max_ts > copies[k].max_ts))
			k = i;
	}
	*off = k < 0 ? -1 : copies[k].base > from ? copies[k].base : from;
	*mts = k < 0 ? -1 : copies[k].max_ts;
}

/* Time lookups and the max timestamp from offset from (and from the start
 * offset) against expect_from. */
static void check_lookups_from(plog *log, int64_t from)
{
	int64_t off, ts, eoff, ets, start = plog_start_offset(log);

	for (int64_t t = 9900; t < 11600; t += 11) {
		expect_from(t, from > start ? from : start, &eoff, &ets);
		CHECK_EQ_INT(plog_offset_for_time_from(log, t, from, &off, &ts), 0);
		CHECK_EQ_INT(off, eoff);
		CHECK_EQ_INT(ts, ets);
		expect_from(t, start, &eoff, &ets);
		CHECK_EQ_INT(plog_offset_for_time(log, t, &off, &ts), 0);
		CHECK_EQ_INT(off, eoff);
		CHECK_EQ_INT(ts, ets);
	}
	expect_from(-1, from > start ? from : start, &eoff, &ets);
	CHECK_EQ_INT(plog_max_timestamp(log, from, &off, &ts), 0);
	CHECK_EQ_INT(off, eoff);
	CHECK_EQ_INT(ts, ets);
}

/* DeleteRecords leaves records below the start offset in the first
 * segment; retention deletes whole segments: no lookup answers below the
 * start, and the max timestamp only counts batches holding offsets at or
 * after it (or after from). */
TEST(time_lookups_from_start)
{
	char dir[128];
	plog_config c = cfg_of(3000, 150);
	plog *log;
	int64_t starts[3], leo;
	plog_range r;
	int nseg;
	unsigned seed = 11;

	copies_reset();
	test_dir(dir, sizeof(dir), "timefrom");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	for (int i = 0; i < 150; i++) {
		/* batch 5 holds the largest timestamp of the log; 40 the next */
		int64_t ts = i == 5 ? 11500 : i == 40 ? 11400 : 10000 + i * 10;

		seed = seed * 1103515245u + 12345u;
		ts -= (int64_t)(seed >> 16) % 60;
		CHECK_EQ_INT(append(log, 3, 30, ts), 0);
	}
	CHECK(copy_for(copies[5].base) == 5 && copies[5].last > copies[5].base);
	for (int i = 0; i < ncopies; i += 1 + i % 7) {
		check_lookups_from(log, copies[i].base);
		check_lookups_from(log, copies[i].base + 1);
		check_lookups_from(log, copies[i].last + 1);
	}
	check_lookups_from(log, plog_end_offset(log));
	/* DeleteRecords inside batch 5 (the batch straddles the start), past
	 * it, then to a later segment's base (retention: segments go) */
	starts[0] = copies[5].base + 1;
	starts[1] = copies[5].last + 1;
	leo = plog_end_offset(log);
	CHECK_EQ_INT(plog_read(log, copies[60].base, 1 << 20, leo, &r), 0);
	starts[2] = r.next_offset; /* a read stops at the end of a segment */
	CHECK(starts[2] > copies[60].base && starts[2] < leo);
	for (int k = 0; k < 3; k++) {
		nseg = plog_segment_count(log);
		CHECK_EQ_INT(plog_advance_start(log, starts[k]), 0);
		if (k == 2)
			CHECK(plog_segment_count(log) < nseg);
		for (int round = 0; round < 2; round++) {
			check_lookups_from(log, 0);
			check_lookups_from(log, starts[k] + 1);
			check_lookups_from(log, copies[70].base + 2);
			/* the same after a reopen that trusts the old segments */
			plog_close(log);
			CHECK_EQ_INT(plog_open(&log, dir, &c, leo), 0);
			CHECK_EQ_INT(plog_start_offset(log), starts[k]);
		}
	}
	CHECK(!plog_failed(log));
	plog_close(log);
}

TEST(reopen_identical)
{
	char dir[128];
	plog_config c = cfg_of(2500, 100);
	plog *log;
	plog_range r;
	int64_t leo;
	int nseg;

	copies_reset();
	test_dir(dir, sizeof(dir), "reopen");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	for (int i = 0; i < 80; i++)
		CHECK_EQ_INT(append(log, 2, 40 + (size_t)i, 100 + i), 0);
	leo = plog_end_offset(log);
	nseg = plog_segment_count(log);
	plog_close(log);
	for (int k = 0; k < 3; k++) {
		int64_t rp = k == 0 ? -1 : k == 1 ? leo : copies[40].base;

		CHECK_EQ_INT(plog_open(&log, dir, &c, rp), 0);
		CHECK_EQ_INT(plog_end_offset(log), leo);
		CHECK_EQ_INT(plog_durable_offset(log), leo);
		CHECK_EQ_INT(plog_start_offset(log), 0);
		CHECK_EQ_INT(plog_segment_count(log), nseg);
		for (int i = 0; i < ncopies; i++) {
			CHECK_EQ_INT(plog_read(log, copies[i].base + 1, 1, leo, &r), 0);
			CHECK_EQ_INT(check_range(&r, i), 1);
		}
		/* appends continue where the log ended */
		if (k == 2)
			CHECK_EQ_INT(append(log, 1, 10, 999), 0);
		plog_close(log);
	}
	CHECK_EQ_INT(copies[ncopies - 1].base, leo);
}

TEST(roll_by_time)
{
	char dir[128];
	plog_config c = cfg_of(1 << 20, 4096);
	plog *log;

	copies_reset();
	c.segment_ms = 100;
	test_dir(dir, sizeof(dir), "rollms");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	/* first batch ts 1000 (max 1000); rolls once a batch's max ts is more
	 * than 100 ms past the segment's first batch */
	CHECK_EQ_INT(append(log, 1, 10, 1000), 0);
	CHECK_EQ_INT(append(log, 1, 10, 1050), 0);
	CHECK_EQ_INT(append(log, 1, 10, 1100), 0);
	CHECK_EQ_INT(plog_segment_count(log), 1);
	CHECK_EQ_INT(append(log, 1, 10, 1101), 0);
	CHECK_EQ_INT(plog_segment_count(log), 2);
	CHECK_EQ_INT(append(log, 1, 10, 1150), 0);
	CHECK_EQ_INT(plog_segment_count(log), 2);
	plog_close(log);
}

TEST(bad_batches)
{
	char dir[128];
	plog_config c = cfg_of(500, 4096);
	plog *log;
	size_t len;
	uint8_t *b = make_batch(1, 1000, 1, &len);

	test_dir(dir, sizeof(dir), "bad");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK_EQ_INT(plog_append(log, b, len, 1, NULL), PLOG_ETOOBIG);
	free(b);
	b = make_batch(1, 10, 1, &len);
	CHECK_EQ_INT(plog_append(log, b, len - 1, 1, NULL), PLOG_ECORRUPT);
	CHECK_EQ_INT(plog_append(log, b, 20, 1, NULL), PLOG_ECORRUPT);
	b[RB_OFF_MAGIC] = 1;
	CHECK_EQ_INT(plog_append(log, b, len, 1, NULL), PLOG_ECORRUPT);
	CHECK_EQ_INT(plog_end_offset(log), 0);
	CHECK(!plog_failed(log));
	free(b);
	plog_close(log);
}

TEST(log_append_time)
{
	char dir[128];
	plog_config c = cfg_of(1 << 20, 4096);
	plog *log;
	plog_range r;
	plog_append_info info;
	size_t len;
	uint8_t *b = make_batch(3, 10, 5, &len), *p;
	rb_header h;

	c.log_append_time = true;
	test_dir(dir, sizeof(dir), "lat");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK_EQ_INT(plog_append(log, b, len, 777777, &info), 0);
	CHECK_EQ_INT(info.log_append_time, 777777);
	CHECK_EQ_INT(info.base_offset, 0);
	CHECK_EQ_INT(info.last_offset, 2);
	CHECK_EQ_INT(plog_read(log, 0, 1000, 3, &r), 0);
	p = slurp_range(&r);
	CHECK_EQ_INT(rb_check(p, r.len, &h), RB_OK);
	CHECK(h.attributes & RB_ATTR_LOG_APPEND_TIME);
	CHECK_EQ_INT(h.max_timestamp, 777777);
	free(p);
	free(b);
	plog_close(log);
}

TEST(truncate)
{
	char dir[128];
	plog_config c = cfg_of(1200, 100);
	plog *log;
	plog_range r;
	int64_t cut;

	copies_reset();
	test_dir(dir, sizeof(dir), "trunc");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	for (int i = 0; i < 50; i++)
		CHECK_EQ_INT(append(log, 3, 30, 100 + i), 0);
	CHECK(plog_segment_count(log) > 3);
	/* truncating mid-batch drops the whole batch */
	cut = copies[20].base + 1;
	CHECK_EQ_INT(plog_truncate(log, cut), 0);
	CHECK_EQ_INT(plog_end_offset(log), copies[20].base);
	CHECK(plog_durable_offset(log) <= copies[20].base);
	CHECK_EQ_INT(plog_read(log, copies[25].base, 100, copies[25].base, &r), PLOG_ERANGE);
	for (int i = 20; i < ncopies; i++)
		free(copies[i].b);
	ncopies = 20;
	CHECK_EQ_INT(append(log, 2, 30, 500), 0);
	CHECK_EQ_INT(copies[20].base, copies[19].last + 1);
	for (int i = 0; i < ncopies; i++) {
		CHECK_EQ_INT(plog_read(log, copies[i].last, 1, plog_end_offset(log), &r), 0);
		CHECK_EQ_INT(check_range(&r, i), 1);
	}
	CHECK_EQ_INT(plog_truncate(log, 1000000), 0); /* past LEO: nothing */
	plog_close(log);
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK_EQ_INT(plog_end_offset(log), copies[20].last + 1);
	CHECK_EQ_INT(plog_truncate(log, 0), 0);
	CHECK_EQ_INT(plog_end_offset(log), 0);
	CHECK_EQ_INT(plog_segment_count(log), 1);
	plog_close(log);
}

TEST(advance_start)
{
	char dir[128], path[256];
	plog_config c = cfg_of(1000, 100);
	plog *log;
	plog_range r;
	int64_t leo, s;
	int nseg;
	struct stat st;

	copies_reset();
	test_dir(dir, sizeof(dir), "start");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	for (int i = 0; i < 40; i++)
		CHECK_EQ_INT(append(log, 2, 50, 100 + i), 0);
	leo = plog_end_offset(log);
	nseg = plog_segment_count(log);
	s = copies[25].base + 1;
	CHECK_EQ_INT(plog_advance_start(log, s), 0);
	CHECK_EQ_INT(plog_start_offset(log), s);
	CHECK(plog_segment_count(log) < nseg);
	CHECK_EQ_INT(plog_read(log, s - 1, 100, leo, &r), PLOG_ERANGE);
	CHECK_EQ_INT(plog_read(log, s, 1, leo, &r), 0);
	CHECK_EQ_INT(check_range(&r, 25), 1);
	CHECK_EQ_INT(plog_advance_start(log, 3), 0); /* backwards: no-op */
	CHECK_EQ_INT(plog_start_offset(log), s);
	CHECK_EQ_INT(plog_advance_start(log, leo + 1), PLOG_ERANGE);
	snprintf(path, sizeof(path), "%s/log-start-offset", dir);
	CHECK_EQ_INT(stat(path, &st), 0);
	nseg = plog_segment_count(log);
	plog_close(log);
	CHECK_EQ_INT(plog_open(&log, dir, &c, leo), 0);
	CHECK_EQ_INT(plog_start_offset(log), s);
	CHECK_EQ_INT(plog_segment_count(log), nseg);
	CHECK_EQ_INT(plog_end_offset(log), leo);
	/* up to the LEO: everything but the active segment goes */
	CHECK_EQ_INT(plog_advance_start(log, leo), 0);
	CHECK_EQ_INT(plog_segment_count(log), 1);
	CHECK_EQ_INT(plog_read(log, leo, 100, leo, &r), 0);
	CHECK_EQ_INT(r.len, 0);
	plog_close(log);
}

TEST(sync_tickets)
{
	char dir[128];
	plog_config c = cfg_of(600, 100);
	plog *log;
	plog_sync_ticket *t;
	int64_t leo1;

	copies_reset();
	test_dir(dir, sizeof(dir), "sync");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK(plog_sync_begin(log) == NULL);
	CHECK_EQ_INT(append(log, 2, 30, 1), 0);
	CHECK_EQ_INT(plog_durable_offset(log), 0);
	t = plog_sync_begin(log);
	CHECK(t != NULL);
	CHECK(plog_sync_begin(log) == NULL); /* one at a time */
	leo1 = plog_end_offset(log);
	/* appends meanwhile, with rolls, are not covered by this ticket */
	for (int i = 0; i < 20; i++)
		CHECK_EQ_INT(append(log, 2, 30, 2 + i), 0);
	CHECK(plog_segment_count(log) > 1);
	CHECK_EQ_INT(plog_sync_run(t), 0);
	plog_sync_end(log, t, 0);
	CHECK_EQ_INT(plog_durable_offset(log), leo1);
	t = plog_sync_begin(log);
	CHECK(t != NULL);
	CHECK_EQ_INT(plog_sync_run(t), 0);
	plog_sync_end(log, t, 0);
	CHECK_EQ_INT(plog_durable_offset(log), plog_end_offset(log));
	CHECK(plog_sync_begin(log) == NULL);
	/* a ticket taken before a truncation does not vouch for later data */
	CHECK_EQ_INT(append(log, 2, 30, 50), 0);
	t = plog_sync_begin(log);
	CHECK_EQ_INT(plog_truncate(log, copies[3].base), 0);
	CHECK_EQ_INT(append(log, 2, 30, 51), 0);
	CHECK_EQ_INT(plog_sync_run(t), 0);
	plog_sync_end(log, t, 0);
	CHECK_EQ_INT(plog_durable_offset(log), copies[3].base);
	/* a ticket outliving its log is only freed */
	t = plog_sync_begin(log);
	CHECK(t != NULL);
	plog_close(log);
	CHECK_EQ_INT(plog_sync_run(t), 0);
	plog_sync_end(log, t, 0);
}

TEST(fsync_failure)
{
	char dir[128];
	plog_config c = cfg_of(1 << 20, 4096);
	plog *log;
	plog_sync_ticket *t;
	size_t len;
	uint8_t *b;

	copies_reset();
	test_dir(dir, sizeof(dir), "fsyncfail");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK_EQ_INT(append(log, 1, 10, 1), 0);
	t = plog_sync_begin(log);
	CHECK(t != NULL);
	fileio_fail_after(FILEIO_FSYNC, 1, EIO);
	CHECK_EQ_INT(plog_sync_run(t), -EIO);
	plog_sync_end(log, t, -EIO);
	CHECK(plog_failed(log));
	CHECK_EQ_INT(plog_durable_offset(log), 0);
	b = make_batch(1, 10, 2, &len);
	CHECK_EQ_INT(plog_append(log, b, len, 2, NULL), PLOG_EFAILED);
	CHECK(plog_sync_begin(log) == NULL);
	CHECK_EQ_INT(plog_truncate(log, 0), PLOG_EFAILED);
	free(b);
	fileio_reset();
	plog_close(log);
}

TEST(short_write)
{
	char dir[128], path[256];
	plog_config c = cfg_of(1 << 20, 4096);
	plog *log;
	struct stat st;
	int64_t leo;
	size_t len;
	uint8_t *b;

	copies_reset();
	test_dir(dir, sizeof(dir), "short");
	snprintf(path, sizeof(path), "%s/00000000000000000000.log", dir);
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(append(log, 2, 100, i), 0);
	leo = plog_end_offset(log);
	/* short write (disk full), cut back at once: refused, log still online */
	fileio_fail_after(FILEIO_WRITE, 1, FILEIO_SHORT);
	b = make_batch(2, 100, 9, &len);
	CHECK_EQ_INT(plog_append(log, b, len, 9, NULL), PLOG_ENOSPC);
	CHECK(!plog_failed(log));
	CHECK_EQ_INT(plog_end_offset(log), leo);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_size, plog_size_bytes(log));
	fileio_reset();
	plog_close(log);
	/* short write whose cut-back fails too: the reopen cuts the tail */
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK_EQ_INT(plog_end_offset(log), leo);
	fileio_fail_after(FILEIO_WRITE, 1, FILEIO_SHORT);
	fileio_fail_after(FILEIO_FTRUNCATE, 1, EIO);
	CHECK_EQ_INT(plog_append(log, b, len, 9, NULL), PLOG_EIO);
	fileio_reset();
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK(st.st_size > plog_size_bytes(log));
	plog_close(log);
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	CHECK_EQ_INT(plog_end_offset(log), leo);
	CHECK(!plog_failed(log));
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_size, plog_size_bytes(log));
	CHECK_EQ_INT(plog_append(log, b, len, 9, NULL), 0);
	CHECK_EQ_INT(plog_end_offset(log), leo + 2);
	free(b);
	plog_close(log);
}

TEST(eio_write)
{
	char dir[128];
	plog_config c = cfg_of(1 << 20, 4096);
	plog *log;
	size_t len;
	uint8_t *b = make_batch(2, 100, 9, &len);

	test_dir(dir, sizeof(dir), "eio");
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	fileio_fail_after(FILEIO_WRITE, 1, ENOSPC);
	CHECK_EQ_INT(plog_append(log, b, len, 9, NULL), PLOG_ENOSPC);
	CHECK(!plog_failed(log));
	CHECK_EQ_INT(plog_end_offset(log), 0);
	fileio_fail_after(FILEIO_WRITE, 1, EIO);
	CHECK_EQ_INT(plog_append(log, b, len, 9, NULL), PLOG_EIO);
	CHECK(plog_failed(log));
	CHECK_EQ_INT(plog_end_offset(log), 0);
	fileio_reset();
	free(b);
	plog_close(log);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/tm_plog_XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(empty_dir);
	RUN(round_trip_segments);
	RUN(sequential_ranges);
	RUN(offset_for_time);
	RUN(time_lookups_from_start);
	RUN(reopen_identical);
	RUN(roll_by_time);
	RUN(bad_batches);
	RUN(log_append_time);
	RUN(truncate);
	RUN(advance_start);
	RUN(sync_tickets);
	RUN(fsync_failure);
	RUN(short_write);
	RUN(eio_write);
	copies_reset();
	rmtree(root);
	return testhelp_done();
}
