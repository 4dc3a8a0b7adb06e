/*
 * test_retention.c: the delete retention policy (storage/retention.h) and
 * its plog side: plog_retention_point(), plog_advance_start() deleting the
 * segments it names without keeping their files open, and
 * plog_persist_start() surviving a reopen.
 *
 * Plog tests work under a mkdtemp() root removed at the end. make_batch()
 * repeats the helper of test_plog.c (each test is a program of its own).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
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
#include "storage/plog.h"
#include "storage/retention.h"
#include "storage_testutil.h"

/* ---- pure policy ------------------------------------------------------ */

#define NOW 1000000000000LL

/* Segments of 100 bytes at bases 0, 10, 20, ...; max_ts[i] given. */
static void mk_segs(retention_seg *s, size_t n, const int64_t *ts)
{
	for (size_t i = 0; i < n; i++) {
		s[i].base = (int64_t)i * 10;
		s[i].size = 100;
		s[i].max_ts = ts ? ts[i] : NOW;
	}
}

TEST(policy_off)
{
	retention_seg s[4];
	retention_plan p;

	mk_segs(s, 4, NULL);
	retention_compute(s, 4, 40, NOW + 1000000, -1, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 0);
	CHECK_EQ_INT((int)p.reasons, 0);
	retention_compute(s, 0, 0, NOW, 0, 0, &p); /* no segments at all */
	CHECK_EQ_INT((int)p.nsegs, 0);
	retention_compute(s, 1, 40, NOW + 10, 0, 0, &p); /* only the active one */
	CHECK_EQ_INT((int)p.nsegs, 0);
}

TEST(policy_time)
{
	int64_t ts[5] = {NOW - 5000, NOW - 4000, NOW - 100, NOW - 6000, NOW};
	retention_seg s[5];
	retention_plan p;

	mk_segs(s, 5, ts);
	/* older than 1000 ms: segments 0 and 1; 2 is young, so 3 (old again)
	 * stays too: deletion is a prefix */
	retention_compute(s, 5, 50, NOW, 1000, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 2);
	CHECK(p.new_start == 20);
	CHECK_EQ_INT((int)p.reasons, RETENTION_TIME);
	/* exactly retention.ms old is not yet "older than" */
	retention_compute(s, 5, 50, NOW, 5000, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 0);
	retention_compute(s, 5, 50, NOW, 4999, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 1);
	CHECK(p.new_start == 10);
	/* retention.ms = 0: everything old enough but the active segment */
	ts[2] = NOW - 1;
	mk_segs(s, 5, ts);
	retention_compute(s, 5, 50, NOW, 0, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 4);
	CHECK(p.new_start == 40);
}

TEST(policy_time_edge_values)
{
	int64_t ts[3] = {-1, NOW - 5000, NOW};
	retention_seg s[3];
	retention_plan p;

	/* unknown timestamp keeps the segment (and everything after it) */
	mk_segs(s, 3, ts);
	retention_compute(s, 3, 30, NOW, 10, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 0);
	/* future timestamps keep; huge values cannot overflow */
	ts[0] = INT64_MAX;
	mk_segs(s, 3, ts);
	retention_compute(s, 3, 30, NOW, 0, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 0);
	ts[0] = 0;
	mk_segs(s, 3, ts);
	retention_compute(s, 3, 30, INT64_MAX, INT64_MAX - 1, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 1);
	retention_compute(s, 3, 30, INT64_MAX, INT64_MAX, -1, &p);
	CHECK_EQ_INT((int)p.nsegs, 0);
}

TEST(policy_bytes)
{
	retention_seg s[5];
	retention_plan p;

	mk_segs(s, 5, NULL); /* 500 bytes */
	retention_compute(s, 5, 50, NOW, -1, 500, &p);
	CHECK_EQ_INT((int)p.nsegs, 0);
	retention_compute(s, 5, 50, NOW, -1, 499, &p); /* diff 1 < 100 */
	CHECK_EQ_INT((int)p.nsegs, 0);
	retention_compute(s, 5, 50, NOW, -1, 400, &p); /* diff 100: one goes */
	CHECK_EQ_INT((int)p.nsegs, 1);
	CHECK_EQ_INT((int)p.reasons, RETENTION_BYTES);
	retention_compute(s, 5, 50, NOW, -1, 250, &p); /* diff 250: two */
	CHECK_EQ_INT((int)p.nsegs, 2);
	CHECK(p.new_start == 20);
	retention_compute(s, 5, 50, NOW, -1, 0, &p); /* all but the active one */
	CHECK_EQ_INT((int)p.nsegs, 4);
	/* hostile sizes saturate instead of overflowing */
	s[1].size = INT64_MAX;
	s[2].size = INT64_MAX;
	s[3].size = -5;
	retention_compute(s, 5, 50, NOW, -1, 1, &p);
	CHECK_EQ_INT((int)p.nsegs, 1);
}

TEST(policy_combined_and_hwm)
{
	int64_t ts[5] = {NOW - 5000, NOW, NOW, NOW, NOW};
	retention_seg s[5];
	retention_plan p;

	mk_segs(s, 5, ts);
	/* time takes 1, size takes 3: the longer prefix, both reasons */
	retention_compute(s, 5, 50, NOW, 1000, 200, &p);
	CHECK_EQ_INT((int)p.nsegs, 3);
	CHECK_EQ_INT((int)p.reasons, RETENTION_TIME | RETENTION_BYTES);
	/* high watermark 25: segment 2 (offsets 20..29) is not wholly below
	 * it, so only segments 0 and 1 may go */
	retention_compute(s, 5, 25, NOW, 1000, 0, &p);
	CHECK_EQ_INT((int)p.nsegs, 2);
	CHECK(p.new_start == 20);
	retention_compute(s, 5, 9, NOW, 0, 0, &p);
	CHECK_EQ_INT((int)p.nsegs, 0);
	CHECK(strcmp(retention_reason_str(RETENTION_TIME), "retention.ms") == 0);
	CHECK(strcmp(retention_reason_str(0), "") == 0);
}

/* ---- plog side -------------------------------------------------------- */

static char root[64];

/* Appends one batch of 10 records (200-byte values) with timestamp ts. */
static int append10(plog *log, int64_t ts)
{
	size_t len;
	uint8_t *b = make_batch(10, 200, ts, &len);
	int rc = plog_append(log, b, len, ts, NULL);

	free(b);
	return rc;
}

/* Syncs everything appended (durable offset = LEO), as the flusher would. */
static void sync_all(plog *log)
{
	plog_sync_ticket *t = plog_sync_begin(log);

	if (t)
		plog_sync_end(log, t, plog_sync_run(t));
}

/* Counts .log files in dir. */
static int count_logs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".log") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* True when this process holds a descriptor of a deleted file. */
static bool holds_deleted_file(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while ((de = readdir(d)) != NULL) {
		char path[300], target[4096];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, " (deleted)") && strstr(target, root))
			found = true;
	}
	closedir(d);
	return found;
}

/* A log of 6 segments: 5 rolled ones of 2 batches (20 records each) with
 * timestamps `old`, and an active one. Segment bytes fit two batches. */
static plog *six_segments(const char *dir, int64_t old, int64_t now)
{
	size_t len;
	uint8_t *b = make_batch(10, 200, 0, &len);
	plog_config cfg = {.segment_bytes = (int64_t)len * 2,
			   .segment_ms = 0,
			   .index_interval_bytes = 4096,
			   .log_append_time = false};
	plog *log = NULL;

	free(b);
	rmtree(dir);
	if (plog_open(&log, dir, &cfg, -1) != 0)
		return NULL;
	for (int i = 0; i < 10; i++)
		append10(log, old);
	append10(log, now);
	sync_all(log);
	return log;
}

TEST(plog_time_retention)
{
	char dir[128];
	int64_t now = NOW, old = NOW - 100000;
	unsigned why = 0;
	plog *log;

	snprintf(dir, sizeof(dir), "%s/time", root);
	log = six_segments(dir, old, now);
	CHECK(log != NULL);
	if (!log)
		return;
	CHECK_EQ_INT(plog_segment_count(log), 6);
	CHECK(plog_end_offset(log) == 110);
	/* nothing old enough */
	CHECK(plog_retention_point(log, now, 200000, -1, &why) == 0);
	CHECK_EQ_INT((int)why, 0);
	/* every rolled segment is old: all go, the active one stays */
	CHECK(plog_retention_point(log, now, 1000, -1, &why) == 100);
	CHECK_EQ_INT((int)why, RETENTION_TIME);
	CHECK_EQ_INT(plog_advance_start(log, 100), 0);
	CHECK_EQ_INT(plog_segment_count(log), 1);
	CHECK(plog_start_offset(log) == 100);
	CHECK_EQ_INT(count_logs(dir), 1);
	CHECK(!holds_deleted_file());
	/* reads below the start are out of range, at it they work */
	{
		plog_range r;

		CHECK_EQ_INT(plog_read(log, 99, 1 << 20, 110, &r), PLOG_ERANGE);
		CHECK_EQ_INT(plog_read(log, 100, 1 << 20, 110, &r), 0);
		CHECK(r.len > 0);
	}
	plog_close(log);
	rmtree(dir);
}

TEST(plog_bytes_retention_and_hwm)
{
	char dir[128];
	unsigned why = 0;
	int64_t seg_bytes, total;
	plog *log;

	snprintf(dir, sizeof(dir), "%s/bytes", root);
	log = six_segments(dir, NOW, NOW);
	CHECK(log != NULL);
	if (!log)
		return;
	total = plog_size_bytes(log);
	seg_bytes = (total / 11) * 2; /* 11 batches of equal size */
	/* keep at least total - 2.5 segments: two segments go */
	CHECK(plog_retention_point(log, NOW, -1, total - seg_bytes * 5 / 2, &why) == 40);
	CHECK_EQ_INT((int)why, RETENTION_BYTES);
	/* unsynced data caps retention at the durable offset: two more
	 * batches fill segment 100 and roll a new one at 120, but with the
	 * durable offset at 110 segment 100 is not wholly below it */
	append10(log, NOW);
	append10(log, NOW);
	CHECK_EQ_INT(plog_segment_count(log), 7);
	CHECK(plog_retention_point(log, NOW, -1, 0, &why) == 100);
	CHECK_EQ_INT(plog_advance_start(log, 40), 0);
	CHECK_EQ_INT(plog_segment_count(log), 5);
	CHECK(plog_size_bytes(log) == total + seg_bytes - 2 * seg_bytes);
	plog_close(log);
	rmtree(dir);
}

TEST(plog_persist_start)
{
	char dir[128];
	plog_config cfg = {.segment_bytes = 1 << 20,
			   .segment_ms = 0,
			   .index_interval_bytes = 4096,
			   .log_append_time = false};
	plog *log;

	snprintf(dir, sizeof(dir), "%s/persist", root);
	log = six_segments(dir, NOW, NOW);
	CHECK(log != NULL);
	if (!log)
		return;
	/* a start inside a segment, and one at a segment's base */
	CHECK_EQ_INT(plog_advance_start(log, 45), 0);
	CHECK_EQ_INT(plog_persist_start(log), 0);
	plog_close(log);
	log = NULL;
	CHECK_EQ_INT(plog_open(&log, dir, &cfg, -1), 0);
	if (!log)
		return;
	CHECK(plog_start_offset(log) == 45);
	CHECK_EQ_INT(plog_segment_count(log), 4);
	CHECK_EQ_INT(plog_advance_start(log, 80), 0);
	CHECK_EQ_INT(plog_persist_start(log), 0);
	plog_close(log);
	log = NULL;
	CHECK_EQ_INT(plog_open(&log, dir, &cfg, -1), 0);
	if (!log)
		return;
	CHECK(plog_start_offset(log) == 80);
	CHECK(plog_end_offset(log) == 110);
	CHECK_EQ_INT(count_logs(dir), 2);
	plog_close(log);
	rmtree(dir);
}

int main(void)
{
	char tmpl[] = "/tmp/tm-retention-XXXXXX";

	log_set_level(LOG_ERROR);
	RUN(policy_off);
	RUN(policy_time);
	RUN(policy_time_edge_values);
	RUN(policy_bytes);
	RUN(policy_combined_and_hwm);
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(root, sizeof(root), "%s", tmpl);
	RUN(plog_time_retention);
	RUN(plog_bytes_retention_and_hwm);
	RUN(plog_persist_start);
	rmtree(root);
	return testhelp_done();
}
