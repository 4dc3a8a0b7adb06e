/*
 * test_flusher.c: the group-commit fsync thread: batches of sync tickets,
 * completion through the eventfd, busy refusal, an injected fsync failure
 * failing exactly its log, and shutdown with a batch not yet collected.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testhelp.h"

#include "core/slice.h"
#include "proto/records.h"
#include "storage/fileio.h"
#include "storage/flusher.h"
#include "storage/plog.h"
#include "storage_testutil.h"

/* ---- helpers (batch building and rmtree: storage_testutil.h) ---------- */

static char root[64];

#define NLOGS 4

static plog *logs[NLOGS];

static void open_logs(const char *name, int64_t seg_bytes)
{
	plog_config c = {.segment_bytes = seg_bytes, .index_interval_bytes = 100};

	for (int i = 0; i < NLOGS; i++) {
		char dir[160];

		snprintf(dir, sizeof(dir), "%s/%s-%d", root, name, i);
		rmtree(dir);
		CHECK_EQ_INT(plog_open(&logs[i], dir, &c, -1), 0);
	}
}

static void close_logs(void)
{
	for (int i = 0; i < NLOGS; i++)
		plog_close(logs[i]);
}

static void append_some(plog *log, int n)
{
	for (int i = 0; i < n; i++) {
		size_t len;
		uint8_t *b = make_batch(2, 50, 100 + i, &len);

		CHECK_EQ_INT(plog_append(log, b, len, 0, NULL), 0);
		free(b);
	}
}

/* Takes a ticket of every log that has one; returns how many. */
static int take_tickets(plog **ls, plog_sync_ticket **ts)
{
	int n = 0;

	for (int i = 0; i < NLOGS; i++) {
		plog_sync_ticket *t = plog_sync_begin(logs[i]);

		if (t) {
			ls[n] = logs[i];
			ts[n++] = t;
		}
	}
	return n;
}

/* Waits (up to 5 s) for the eventfd, then collects. */
static int wait_collect(flusher *f)
{
	struct pollfd p = {.fd = flusher_fd(f), .events = POLLIN};

	CHECK_EQ_INT(poll(&p, 1, 5000), 1);
	return flusher_collect(f);
}

/* ---- tests ----------------------------------------------------------- */

TEST(one_batch)
{
	flusher *f = flusher_new(4);
	plog *ls[NLOGS];
	plog_sync_ticket *ts[NLOGS];
	int n;

	CHECK(f != NULL);
	CHECK(flusher_fd(f) >= 0);
	CHECK(!flusher_busy(f));
	CHECK_EQ_INT(flusher_collect(f), 0); /* nothing finished */
	open_logs("one", 1 << 20);
	for (int i = 0; i < NLOGS; i++)
		append_some(logs[i], 3 + i);
	n = take_tickets(ls, ts);
	CHECK_EQ_INT(n, NLOGS);
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
	CHECK(flusher_busy(f));
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), -1); /* busy */
	/* appends meanwhile are not covered */
	append_some(logs[0], 1);
	CHECK_EQ_INT(wait_collect(f), NLOGS);
	CHECK(!flusher_busy(f));
	for (int i = 1; i < NLOGS; i++)
		CHECK_EQ_INT(plog_durable_offset(logs[i]), plog_end_offset(logs[i]));
	CHECK_EQ_INT(plog_durable_offset(logs[0]), plog_end_offset(logs[0]) - 2);
	/* the next round picks up the rest */
	n = take_tickets(ls, ts);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
	CHECK_EQ_INT(wait_collect(f), 1);
	CHECK_EQ_INT(plog_durable_offset(logs[0]), plog_end_offset(logs[0]));
	CHECK_EQ_INT(take_tickets(ls, ts), 0);
	flusher_free(f);
	close_logs();
}

TEST(many_rounds_with_rolls)
{
	flusher *f = flusher_new(4);
	plog *ls[NLOGS];
	plog_sync_ticket *ts[NLOGS];

	open_logs("rounds", 700);
	for (int round = 0; round < 60; round++) {
		int n;

		for (int i = 0; i < NLOGS; i++)
			if ((round + i) % 3)
				append_some(logs[i], 1 + (round % 4));
		n = take_tickets(ls, ts);
		if (!n)
			continue;
		CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
		CHECK_EQ_INT(wait_collect(f), n);
		for (int i = 0; i < n; i++)
			CHECK(plog_durable_offset(ls[i]) == plog_end_offset(ls[i]));
	}
	for (int i = 0; i < NLOGS; i++) {
		CHECK(plog_segment_count(logs[i]) > 3);
		CHECK(!plog_failed(logs[i]));
	}
	flusher_free(f);
	close_logs();
}

/* One round over fresh logs in which the nth fsync fails with EIO. Returns
 * the index of the one log that failed (-1 if not exactly one), after
 * checking that it became durable nowhere and the others everywhere. */
static int failing_round(flusher *f, const char *name, int nth)
{
	plog *ls[NLOGS];
	plog_sync_ticket *ts[NLOGS];
	int n, failed = -1, nfailed = 0;

	open_logs(name, 1 << 20);
	for (int i = 0; i < NLOGS; i++)
		append_some(logs[i], 2);
	n = take_tickets(ls, ts);
	CHECK_EQ_INT(n, NLOGS);
	fileio_fail_after(FILEIO_FSYNC, nth, EIO);
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
	CHECK_EQ_INT(wait_collect(f), n);
	fileio_reset();
	for (int i = 0; i < NLOGS; i++) {
		if (plog_failed(logs[i])) {
			failed = i;
			nfailed++;
			CHECK_EQ_INT(plog_durable_offset(logs[i]), 0);
		} else {
			CHECK_EQ_INT(plog_durable_offset(logs[i]), plog_end_offset(logs[i]));
		}
	}
	CHECK_EQ_INT(nfailed, 1);
	return nfailed == 1 ? failed : -1;
}

TEST(fsync_failure_fails_one_log)
{
	flusher *f = flusher_new(1); /* one worker: tickets run in order */
	plog *ls[NLOGS];
	plog_sync_ticket *ts[NLOGS];
	int n;

	CHECK_EQ_INT(failing_round(f, "fail", 2), 1); /* the second fsync: log 1 */
	/* the failed log takes no more tickets; the others go on */
	for (int i = 0; i < NLOGS; i++)
		if (!plog_failed(logs[i]))
			append_some(logs[i], 1);
	n = take_tickets(ls, ts);
	CHECK_EQ_INT(n, NLOGS - 1);
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
	CHECK_EQ_INT(wait_collect(f), n);
	flusher_free(f);
	close_logs();
}

/* Several workers: which log's fsync is the third is up to the scheduler,
 * but exactly that one log fails. */
TEST(fsync_failure_in_parallel_fails_one_log)
{
	flusher *f = flusher_new(NLOGS);

	CHECK(failing_round(f, "pfail", 3) >= 0);
	flusher_free(f);
	close_logs();
}

/* A big enough round goes out as one syncfs(): no per-file fsync runs (an
 * armed fsync fault never fires) and every log is durable. */
TEST(syncfs_round)
{
	flusher *f = flusher_new(4);
	plog *ls[NLOGS];
	plog_sync_ticket *ts[NLOGS];
	int fs_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int n;

	CHECK(fs_fd >= 0);
	if (!fileio_syncfs_reports_errors()) {
		fprintf(stderr, "  (old kernel: syncfs is never used; skipped)\n");
		close(fs_fd);
		flusher_free(f);
		return;
	}
	flusher_set_syncfs(f, fs_fd, 2);
	open_logs("sfs", 1 << 20);
	for (int i = 0; i < NLOGS; i++)
		append_some(logs[i], 2);
	n = take_tickets(ls, ts);
	CHECK_EQ_INT(n, NLOGS);
	fileio_fail_after(FILEIO_FSYNC, 1, EIO);
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
	CHECK_EQ_INT(wait_collect(f), n);
	fileio_reset();
	for (int i = 0; i < NLOGS; i++) {
		CHECK(!plog_failed(logs[i]));
		CHECK_EQ_INT(plog_durable_offset(logs[i]), plog_end_offset(logs[i]));
	}
	flusher_free(f);
	close_logs();
	close(fs_fd);
}

/* A failed syncfs() proves nothing about any one log: the round falls back
 * to per-file syncs, and only the log whose fsync fails is failed. */
TEST(syncfs_failure_falls_back_per_file)
{
	flusher *f = flusher_new(1);
	int fs_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK(fs_fd >= 0);
	flusher_set_syncfs(f, fs_fd, 2);
	fileio_fail_after(FILEIO_SYNCFS, 1, EIO);
	CHECK_EQ_INT(failing_round(f, "sfsfail", 2), 1);
	flusher_free(f);
	close_logs();
	close(fs_fd);
}

TEST(free_with_uncollected_batch)
{
	flusher *f = flusher_new(4);
	plog *ls[NLOGS];
	plog_sync_ticket *ts[NLOGS];
	struct pollfd p;
	int n;

	open_logs("uncollected", 1 << 20);
	for (int i = 0; i < NLOGS; i++)
		append_some(logs[i], 2);
	n = take_tickets(ls, ts);
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
	p = (struct pollfd){.fd = flusher_fd(f), .events = POLLIN};
	CHECK_EQ_INT(poll(&p, 1, 5000), 1);
	CHECK(flusher_busy(f)); /* done but not collected: still busy */
	flusher_free(f);	/* ends the tickets */
	for (int i = 0; i < NLOGS; i++) {
		CHECK_EQ_INT(plog_durable_offset(logs[i]), plog_end_offset(logs[i]));
		append_some(logs[i], 1);
		ts[0] = plog_sync_begin(logs[i]); /* no ticket left hanging */
		CHECK(ts[0] != NULL);
		CHECK_EQ_INT(plog_sync_run(ts[0]), 0);
		plog_sync_end(logs[i], ts[0], 0);
	}
	/* freeing right after a submit waits for the batch */
	f = flusher_new(4);
	for (int i = 0; i < NLOGS; i++)
		append_some(logs[i], 1);
	n = take_tickets(ls, ts);
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
	flusher_free(f);
	for (int i = 0; i < NLOGS; i++)
		CHECK_EQ_INT(plog_durable_offset(logs[i]), plog_end_offset(logs[i]));
	close_logs();
}

TEST(log_closed_while_in_flight)
{
	flusher *f = flusher_new(4);
	plog *ls[NLOGS];
	plog_sync_ticket *ts[NLOGS];
	int n;

	open_logs("closed", 1 << 20);
	for (int i = 0; i < NLOGS; i++)
		append_some(logs[i], 2);
	n = take_tickets(ls, ts);
	CHECK_EQ_INT(flusher_submit(f, ls, ts, n), 0);
	/* topic deletion closes a log whose ticket is out */
	plog_close(logs[2]);
	CHECK_EQ_INT(wait_collect(f), n);
	flusher_free(f);
	logs[2] = NULL;
	close_logs();
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/tm_flusher_XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(one_batch);
	RUN(many_rounds_with_rolls);
	RUN(fsync_failure_fails_one_log);
	RUN(fsync_failure_in_parallel_fails_one_log);
	RUN(syncfs_round);
	RUN(syncfs_failure_falls_back_per_file);
	RUN(free_with_uncollected_batch);
	RUN(log_closed_while_in_flight);
	rmtree(root);
	return testhelp_done();
}
