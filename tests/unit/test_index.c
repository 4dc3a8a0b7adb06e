/*
 * test_index.c: the offset and time indexes: in-memory lookups, the file
 * formats, the checks on load, and partition logs whose index files are
 * missing, short, garbage or subtly wrong (rebuilt; lookups stay right).
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

#include "core/slice.h"
#include "proto/records.h"
#include "storage/oindex.h"
#include "storage/plog.h"
#include "storage/tindex.h"
#include "storage_testutil.h"

/* ---- helpers (batch building and rmtree: storage_testutil.h) ---------- */

static char root[64];

static int64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : st.st_size;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* Reads a whole small file (caller frees); *n its size. */
static uint8_t *read_all(const char *path, size_t *n)
{
	int64_t sz = file_size(path);
	uint8_t *p = malloc(sz > 0 ? (size_t)sz : 1);
	int fd = open(path, O_RDONLY);

	*n = 0;
	if (fd >= 0 && sz > 0 && read(fd, p, (size_t)sz) == sz)
		*n = (size_t)sz;
	if (fd >= 0)
		close(fd);
	return p;
}

static void seg_file(char *out, size_t cap, const char *dir, int64_t base, const char *ext)
{
	snprintf(out, cap, "%s/%020lld%s", dir, (long long)base, ext);
}

/* A scratch file opened read-write. */
static int scratch(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
}

/* Batches appended to a log: where they are. */
struct batch {
	int64_t base, last, max_ts, seg_base;
	size_t len;
};

static struct batch batches[512];
static int nbatches;

/* Builds a log in dir with n batches; timestamps jump around. */
static void build(const char *dir, const plog_config *c, int n)
{
	plog *log;
	int64_t seg_base = 0, pos = 0;

	rmtree(dir);
	CHECK_EQ_INT(plog_open(&log, dir, c, -1), 0);
	nbatches = 0;
	for (int i = 0; i < n; i++) {
		size_t len;
		int64_t ts = 50000 + (i * 37) % 101 * 10 + i;
		uint8_t *b = make_batch(1 + i % 4, 20 + (size_t)(i * 11) % 70, ts, &len);
		plog_append_info info;

		CHECK_EQ_INT(plog_append(log, b, len, 0, &info), 0);
		if (pos > 0 && pos + (int64_t)len > c->segment_bytes) {
			seg_base = info.base_offset;
			pos = 0;
		}
		pos += (int64_t)len;
		batches[nbatches++] =
		    (struct batch){info.base_offset, info.last_offset, ts + i % 4, seg_base, len};
		free(b);
	}
	plog_close(log);
}

/* Every offset reads back as its batch, and time lookups match brute force. */
static void check_log(plog *log)
{
	int64_t leo = batches[nbatches - 1].last + 1;

	CHECK_EQ_INT(plog_end_offset(log), leo);
	for (int i = 0; i < nbatches; i++) {
		for (int64_t o = batches[i].base; o <= batches[i].last; o++) {
			plog_range r = {.fd = -1};
			uint8_t hdr[RB_HEADER_SIZE];

			CHECK_EQ_INT(plog_read(log, o, 1, leo, &r), 0);
			CHECK_EQ_INT(r.len, batches[i].len);
			CHECK_EQ_INT(pread(r.fd, hdr, sizeof(hdr), r.pos), RB_HEADER_SIZE);
			CHECK_EQ_INT((int64_t)be64_get(hdr), batches[i].base);
		}
	}
	for (int64_t t = 49990; t < 51200; t += 13) {
		int64_t off, ts;
		int k = -1;

		for (int i = 0; i < nbatches && k < 0; i++)
			if (batches[i].max_ts >= t)
				k = i;
		CHECK_EQ_INT(plog_offset_for_time(log, t, &off, &ts), 0);
		CHECK_EQ_INT(off, k < 0 ? -1 : batches[k].base);
		CHECK_EQ_INT(ts, k < 0 ? -1 : batches[k].max_ts);
	}
	CHECK(!plog_failed(log));
}

/* The base of the second segment (an old, trusted one on reopen). */
static int64_t second_segment(void)
{
	for (int i = 0; i < nbatches; i++)
		if (batches[i].seg_base != 0)
			return batches[i].seg_base;
	return -1;
}

/* ---- oindex / tindex units ------------------------------------------- */

TEST(oindex_lookups)
{
	oindex *oi = oindex_new(100);
	oindex_entry e;

	CHECK(!oindex_lookup(oi, 100, &e));
	CHECK(!oindex_floor_pos(oi, 1000, &e));
	CHECK(oindex_add(oi, 105, 0));
	CHECK(oindex_add(oi, 110, 50));
	CHECK(oindex_add(oi, 120, 300));
	CHECK(oindex_add(oi, 130, 900));
	CHECK(!oindex_add(oi, 130, 1000)); /* offset not increasing */
	CHECK(!oindex_add(oi, 140, 900));  /* position not increasing */
	CHECK(!oindex_add(oi, 99, 2000));  /* below the base */
	CHECK(!oindex_add(oi, 100 + (int64_t)INT32_MAX + 1, 3000));
	CHECK(!oindex_add(oi, 150, (int64_t)INT32_MAX + 1));
	CHECK_EQ_INT(oindex_count(oi), 4);
	CHECK(!oindex_lookup(oi, 104, &e));
	CHECK(oindex_lookup(oi, 105, &e));
	CHECK_EQ_INT(e.pos, 0);
	CHECK(oindex_lookup(oi, 125, &e));
	CHECK_EQ_INT(e.offset, 120);
	CHECK_EQ_INT(e.pos, 300);
	CHECK(oindex_lookup(oi, INT64_MAX, &e));
	CHECK_EQ_INT(e.offset, 130);
	CHECK(oindex_floor_pos(oi, 299, &e));
	CHECK_EQ_INT(e.pos, 50);
	CHECK(oindex_floor_pos(oi, 300, &e));
	CHECK_EQ_INT(e.pos, 300);
	CHECK(!oindex_floor_pos(oi, -1, &e));
	oindex_truncate(oi, 300);
	CHECK_EQ_INT(oindex_count(oi), 2);
	CHECK(oindex_lookup(oi, 1000, &e));
	CHECK_EQ_INT(e.offset, 110);
	oindex_free(oi);
}

TEST(oindex_file)
{
	oindex *oi = oindex_new(1000), *back = oindex_new(1000);
	oindex_entry e;
	uint8_t raw[64];
	int fd = scratch("o.index");
	struct stat st;

	for (int i = 1; i <= 6; i++)
		CHECK(oindex_add(oi, 1000 + i * 10, i * 100));
	CHECK_EQ_INT(oindex_persist(oi, fd), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 6 * OINDEX_ENTRY_SIZE);
	/* the format: relative offset, position, both big-endian INT32 */
	CHECK_EQ_INT(pread(fd, raw, 16, 0), 16);
	CHECK_EQ_INT(be32_get(raw), 10);
	CHECK_EQ_INT(be32_get(raw + 4), 100);
	CHECK_EQ_INT(be32_get(raw + 8), 20);
	CHECK_EQ_INT(oindex_load(back, fd, 1000, 2000), 0);
	CHECK_EQ_INT(oindex_count(back), 6);
	CHECK(oindex_lookup(back, 1035, &e));
	CHECK_EQ_INT(e.pos, 300);
	/* truncation shrinks the file on the next persist, appends extend it */
	oindex_truncate(oi, 400);
	CHECK(oindex_add(oi, 1045, 450));
	CHECK_EQ_INT(oindex_persist(oi, fd), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 4 * OINDEX_ENTRY_SIZE);
	CHECK_EQ_INT(oindex_load(back, fd, 1000, 2000), 0);
	CHECK(oindex_lookup(back, 1100, &e));
	CHECK_EQ_INT(e.offset, 1045);
	CHECK_EQ_INT(e.pos, 450);
	/* bounds: positions must be inside the segment, offsets below the end */
	CHECK_EQ_INT(oindex_load(back, fd, 450, 2000), OINDEX_EBAD);
	CHECK_EQ_INT(oindex_count(back), 0);
	CHECK_EQ_INT(oindex_load(back, fd, 1000, 1045), OINDEX_EBAD);
	/* more entries than the segment could have batches */
	CHECK_EQ_INT(oindex_load(back, fd, RB_HEADER_SIZE * 2, 2000), OINDEX_EBAD);
	/* a size that is not a multiple of 8 */
	CHECK_EQ_INT(ftruncate(fd, 4 * OINDEX_ENTRY_SIZE - 3), 0);
	CHECK_EQ_INT(oindex_load(back, fd, 1000, 2000), OINDEX_EBAD);
	/* not increasing */
	be32_put(raw, 10);
	be32_put(raw + 4, 100);
	be32_put(raw + 8, 5);
	be32_put(raw + 12, 200);
	CHECK_EQ_INT(pwrite(fd, raw, 16, 0), 16);
	CHECK_EQ_INT(ftruncate(fd, 16), 0);
	CHECK_EQ_INT(oindex_load(back, fd, 1000, 2000), OINDEX_EBAD);
	/* negative relative offset */
	be32_put(raw + 8, 0xffffffffu);
	CHECK_EQ_INT(pwrite(fd, raw, 16, 0), 16);
	CHECK_EQ_INT(oindex_load(back, fd, 1000, 2000), OINDEX_EBAD);
	close(fd);
	oindex_free(oi);
	oindex_free(back);
}

TEST(tindex_units)
{
	tindex *ti = tindex_new(500), *back = tindex_new(500);
	tindex_entry e;
	uint8_t raw[24];
	int fd = scratch("t.timeindex");

	CHECK(!tindex_last(ti, &e));
	CHECK(!tindex_maybe_add(ti, -1, 500)); /* not above the implied -1 */
	CHECK(tindex_maybe_add(ti, 100, 500));
	CHECK(!tindex_maybe_add(ti, 100, 510)); /* same ts */
	CHECK(!tindex_maybe_add(ti, 90, 510));
	CHECK(tindex_maybe_add(ti, 150, 520));
	CHECK(!tindex_maybe_add(ti, 160, 520)); /* same offset */
	CHECK(tindex_maybe_add(ti, 300, 600));
	CHECK(!tindex_lookup(ti, 99, &e));
	CHECK(tindex_lookup(ti, 100, &e));
	CHECK_EQ_INT(e.offset, 500);
	CHECK(tindex_lookup(ti, 299, &e));
	CHECK_EQ_INT(e.ts, 150);
	CHECK_EQ_INT(e.offset, 520);
	CHECK(tindex_last(ti, &e));
	CHECK_EQ_INT(e.ts, 300);
	CHECK_EQ_INT(tindex_persist(ti, fd), 0);
	CHECK_EQ_INT(pread(fd, raw, 12, 0), 12);
	CHECK_EQ_INT((int64_t)be64_get(raw), 100);
	CHECK_EQ_INT(be32_get(raw + 8), 0);
	CHECK_EQ_INT(tindex_load(back, fd, 10000, 601), 0);
	CHECK_EQ_INT(tindex_count(back), 3);
	CHECK_EQ_INT(tindex_load(back, fd, 10000, 600), TINDEX_EBAD);
	tindex_truncate(ti, 520);
	CHECK_EQ_INT(tindex_count(ti), 1);
	CHECK_EQ_INT(tindex_persist(ti, fd), 0);
	CHECK_EQ_INT(tindex_load(back, fd, 10000, 601), 0);
	CHECK_EQ_INT(tindex_count(back), 1);
	/* negative timestamps and odd sizes are rejected */
	be64_put(raw, (uint64_t)-5);
	be32_put(raw + 8, 1);
	CHECK_EQ_INT(pwrite(fd, raw, 12, 0), 12);
	CHECK_EQ_INT(tindex_load(back, fd, 10000, 601), TINDEX_EBAD);
	CHECK_EQ_INT(ftruncate(fd, 13), 0);
	CHECK_EQ_INT(tindex_load(back, fd, 10000, 601), TINDEX_EBAD);
	close(fd);
	tindex_free(ti);
	tindex_free(back);
}

/* ---- index files of real logs ----------------------------------------- */

TEST(index_file_contents)
{
	char dir[128], path[256];
	plog_config c = {.segment_bytes = 1 << 20, .index_interval_bytes = 300};
	size_t n, tn;
	uint8_t *p, *t;
	int64_t last_pos = -1, last_rel = -1, last_ts = -1, seg_size;
	int fd;

	snprintf(dir, sizeof(dir), "%s/contents", root);
	build(dir, &c, 100);
	seg_file(path, sizeof(path), dir, 0, ".index");
	p = read_all(path, &n);
	CHECK(n > 0 && n % OINDEX_ENTRY_SIZE == 0);
	seg_file(path, sizeof(path), dir, 0, ".log");
	seg_size = file_size(path);
	fd = open(path, O_RDONLY);
	/* sparse: about one entry per 300 bytes, each naming a batch's last
	 * offset at that batch's position */
	CHECK((int64_t)(n / OINDEX_ENTRY_SIZE) <= seg_size / 300 + 1);
	CHECK((int64_t)(n / OINDEX_ENTRY_SIZE) >= seg_size / 600);
	for (size_t i = 0; i < n; i += OINDEX_ENTRY_SIZE) {
		int32_t rel = (int32_t)be32_get(p + i), pos = (int32_t)be32_get(p + i + 4);
		uint8_t hdr[RB_HEADER_SIZE];

		CHECK(rel > last_rel && pos > last_pos + 300);
		CHECK_EQ_INT(pread(fd, hdr, sizeof(hdr), pos), RB_HEADER_SIZE);
		CHECK_EQ_INT((int64_t)be64_get(hdr) +
				 (int32_t)be32_get(hdr + RB_OFF_LAST_OFFSET_DELTA),
			     rel);
		last_rel = rel;
		last_pos = pos;
	}
	close(fd);
	seg_file(path, sizeof(path), dir, 0, ".timeindex");
	t = read_all(path, &tn);
	CHECK(tn > 0 && tn % TINDEX_ENTRY_SIZE == 0);
	last_rel = -1;
	for (size_t i = 0; i < tn; i += TINDEX_ENTRY_SIZE) {
		int64_t ts = (int64_t)be64_get(t + i);
		int32_t rel = (int32_t)be32_get(t + i + 8);
		int k = -1;

		CHECK(ts > last_ts && rel > last_rel);
		/* the batch at rel is the first to reach ts */
		for (int b = 0; b < nbatches && k < 0; b++)
			if (batches[b].max_ts >= ts)
				k = b;
		CHECK(k >= 0);
		if (k >= 0) {
			CHECK_EQ_INT(batches[k].base, rel);
			CHECK_EQ_INT(batches[k].max_ts, ts);
		}
		last_ts = ts;
		last_rel = rel;
	}
	free(p);
	free(t);
}

TEST(rolled_timeindex_holds_max)
{
	char dir[128], path[256];
	plog_config c = {.segment_bytes = 900, .index_interval_bytes = 100};
	int64_t seg, max = -1;
	size_t n;
	uint8_t *t;

	snprintf(dir, sizeof(dir), "%s/rolledmax", root);
	build(dir, &c, 40);
	seg = second_segment();
	for (int i = 0; i < nbatches; i++)
		if (batches[i].seg_base == 0 && batches[i].max_ts > max)
			max = batches[i].max_ts;
	CHECK(seg > 0);
	seg_file(path, sizeof(path), dir, 0, ".timeindex");
	t = read_all(path, &n);
	CHECK(n >= TINDEX_ENTRY_SIZE);
	if (n >= TINDEX_ENTRY_SIZE)
		CHECK_EQ_INT((int64_t)be64_get(t + n - TINDEX_ENTRY_SIZE), max);
	free(t);
}

static void do_empty(const char *path);

/* Damages one index file of an old segment, reopens trusting old segments,
 * and checks every lookup. */
static void damage_and_check(const char *name, const char *ext, void (*damage)(const char *path))
{
	char dir[128], path[256];
	plog_config c = {.segment_bytes = 1500, .index_interval_bytes = 100};
	plog *log;
	int64_t seg;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	build(dir, &c, 60);
	seg = second_segment();
	CHECK(seg > 0);
	seg_file(path, sizeof(path), dir, seg, ext);
	damage(path);
	CHECK_EQ_INT(plog_open(&log, dir, &c, batches[nbatches - 1].last + 1), 0);
	check_log(log);
	plog_close(log);
	/* rebuilt for good (an empty index is valid, if slow): a second open
	 * is right */
	if (damage != do_empty)
		CHECK(file_size(path) > 0);
	CHECK_EQ_INT(plog_open(&log, dir, &c, batches[nbatches - 1].last + 1), 0);
	check_log(log);
	plog_close(log);
}

static void do_unlink(const char *path)
{
	CHECK_EQ_INT(unlink(path), 0);
}

static void do_short(const char *path)
{
	CHECK_EQ_INT(truncate(path, file_size(path) - 3), 0);
}

static void do_empty(const char *path)
{
	CHECK_EQ_INT(truncate(path, 0), 0);
}

static void do_garbage(const char *path)
{
	uint8_t junk[4096];
	unsigned s = 12345;

	for (size_t i = 0; i < sizeof(junk); i++) {
		s = s * 1103515245u + 12345u;
		junk[i] = (uint8_t)(s >> 16);
	}
	write_bytes(path, junk, 24 * 100); /* a multiple of 8 and of 12 */
}

static void do_huge(const char *path)
{
	int fd = open(path, O_WRONLY);

	/* a sparse 1 GiB file: far more entries than the segment allows */
	CHECK(fd >= 0);
	CHECK_EQ_INT(ftruncate(fd, 1LL << 30), 0);
	close(fd);
}

/* Shifts the position of the first entry by one byte: still monotonic and
 * in bounds, so only using it shows it is wrong. */
static void do_subtle(const char *path)
{
	size_t n;
	uint8_t *p = read_all(path, &n);

	CHECK(n >= 2 * OINDEX_ENTRY_SIZE);
	be32_put(p + 4, be32_get(p + 4) + 1);
	write_bytes(path, p, n);
	free(p);
}

TEST(missing_index)
{
	damage_and_check("missing", ".index", do_unlink);
}
TEST(missing_timeindex)
{
	damage_and_check("missingt", ".timeindex", do_unlink);
}
TEST(short_index)
{
	damage_and_check("short", ".index", do_short);
}
TEST(short_timeindex)
{
	damage_and_check("shortt", ".timeindex", do_short);
}
TEST(empty_index)
{
	damage_and_check("emptyi", ".index", do_empty);
}
TEST(garbage_index)
{
	damage_and_check("garbage", ".index", do_garbage);
}
TEST(garbage_timeindex)
{
	damage_and_check("garbaget", ".timeindex", do_garbage);
}
TEST(huge_index)
{
	damage_and_check("huge", ".index", do_huge);
}
TEST(subtle_index)
{
	damage_and_check("subtle", ".index", do_subtle);
}

/* An index that is wrong in the middle passes every load check; the read
 * that uses it notices, rebuilds it, and answers right. */
TEST(wrong_middle_entry)
{
	char dir[128], path[256];
	plog_config c = {.segment_bytes = 1 << 20, .index_interval_bytes = 100};
	plog *log;
	size_t n;
	uint8_t *p;
	int64_t leo;

	snprintf(dir, sizeof(dir), "%s/middle", root);
	build(dir, &c, 80);
	leo = batches[nbatches - 1].last + 1;
	/* roll once more so the big segment is an old, trusted one */
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	plog_set_config(log, &(plog_config){.segment_bytes = 300, .index_interval_bytes = 100});
	{
		size_t len;
		uint8_t *b = make_batch(1, 200, 60000, &len);
		plog_append_info info;

		CHECK_EQ_INT(plog_append(log, b, len, 0, &info), 0);
		batches[nbatches++] = (struct batch){info.base_offset, info.last_offset, 60000,
						     info.base_offset, len};
		free(b);
	}
	CHECK_EQ_INT(plog_segment_count(log), 2);
	plog_close(log);
	leo = batches[nbatches - 1].last + 1;
	seg_file(path, sizeof(path), dir, 0, ".index");
	p = read_all(path, &n);
	CHECK(n >= 6 * OINDEX_ENTRY_SIZE);
	be32_put(p + 2 * OINDEX_ENTRY_SIZE + 4, be32_get(p + 2 * OINDEX_ENTRY_SIZE + 4) + 2);
	write_bytes(path, p, n);
	free(p);
	CHECK_EQ_INT(plog_open(&log, dir, &c, leo), 0);
	check_log(log);
	plog_close(log);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/tm_index_XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(oindex_lookups);
	RUN(oindex_file);
	RUN(tindex_units);
	RUN(index_file_contents);
	RUN(rolled_timeindex_holds_max);
	RUN(missing_index);
	RUN(missing_timeindex);
	RUN(short_index);
	RUN(short_timeindex);
	RUN(empty_index);
	RUN(garbage_index);
	RUN(garbage_timeindex);
	RUN(huge_index);
	RUN(subtle_index);
	RUN(wrong_middle_entry);
	rmtree(root);
	return testhelp_done();
}
