/*
 * test_recovery.c: reopening damaged partition logs (torn and corrupt
 * tails, corruption in older segments, the recovery point, leftovers) and
 * the checkpoint files.
 *
 * Damage is done with plain libc calls on closed logs; the warning that
 * recovery logs is captured by pointing stderr at a file for the reopen.
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
#include "storage/checkpoint.h"
#include "storage/fileio.h"
#include "storage/plog.h"
#include "storage_testutil.h"

/* ---- helpers (batch building and rmtree: storage_testutil.h) ---------- */

static char root[64];

static void test_dir(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", root, name);
	rmtree(out);
}

static plog_config cfg_of(int64_t seg_bytes, int32_t interval)
{
	plog_config c = {.segment_bytes = seg_bytes, .index_interval_bytes = interval};
	return c;
}

/* Where each appended batch went. */
struct placed {
	int64_t base, last;
	int64_t seg_base; /* segment it went to */
	int64_t pos;	  /* position in that segment */
	size_t len;
};

static struct placed placed[256];
static int nplaced;

/* Appends n batches (2 records, 60-byte values) and records where they
 * went, knowing the log rolls exactly when size + len > seg_bytes. */
static void fill(plog *log, int n, int64_t seg_bytes)
{
	static int64_t seg_base, pos;

	if (plog_end_offset(log) == 0) {
		seg_base = 0;
		pos = 0;
		nplaced = 0;
	}
	for (int i = 0; i < n; i++) {
		size_t len;
		uint8_t *b = make_batch(2, 60, 1000 + nplaced, &len);
		plog_append_info info;

		CHECK_EQ_INT(plog_append(log, b, len, 0, &info), 0);
		if (pos > 0 && pos + (int64_t)len > seg_bytes) {
			seg_base = info.base_offset;
			pos = 0;
		}
		placed[nplaced] =
		    (struct placed){info.base_offset, info.last_offset, seg_base, pos, len};
		pos += (int64_t)len;
		nplaced++;
		free(b);
	}
}

static void seg_file(char *out, size_t cap, const char *dir, int64_t base, const char *ext)
{
	snprintf(out, cap, "%s/%020lld%s", dir, (long long)base, ext);
}

static int64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : st.st_size;
}

static void flip_byte(const char *path, int64_t pos)
{
	int fd = open(path, O_RDWR);
	uint8_t c = 0;

	CHECK(fd >= 0);
	CHECK_EQ_INT(pread(fd, &c, 1, pos), 1);
	c ^= 0x40;
	CHECK_EQ_INT(pwrite(fd, &c, 1, pos), 1);
	close(fd);
}

static void append_bytes(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* stderr capture around a reopen */
static char cap_path[128];
static int saved_stderr = -1;

static void capture_start(void)
{
	int fd;

	snprintf(cap_path, sizeof(cap_path), "%s/stderr.txt", root);
	fd = open(cap_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Returns what was logged (static buffer). */
static const char *capture_end(void)
{
	static char text[8192];
	int fd = open(cap_path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;

	text[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	fputs(text, stderr); /* keep it visible */
	return text;
}

/* Reopens dir (rp) with stderr captured; *log set; returns the log text. */
static const char *reopen(plog **log, const char *dir, const plog_config *c, int64_t rp)
{
	capture_start();
	CHECK_EQ_INT(plog_open(log, dir, c, rp), 0);
	return capture_end();
}

/* ---- tail damage ------------------------------------------------------ */

static void build(const char *name, char *dir, size_t cap, int64_t seg_bytes, int n)
{
	plog_config c = cfg_of(seg_bytes, 200);
	plog *log;

	test_dir(dir, cap, name);
	CHECK_EQ_INT(plog_open(&log, dir, &c, -1), 0);
	fill(log, n, seg_bytes);
	plog_close(log);
}

TEST(cut_mid_batch)
{
	char dir[128], path[256], want[512];
	plog_config c = cfg_of(1 << 20, 200);
	plog *log;
	const char *text;
	struct placed *last;

	build("midbatch", dir, sizeof(dir), 1 << 20, 10);
	last = &placed[9];
	seg_file(path, sizeof(path), dir, 0, ".log");
	CHECK_EQ_INT(truncate(path, last->pos + 30), 0);
	text = reopen(&log, dir, &c, placed[9].last + 1);
	snprintf(want, sizeof(want), "cut 30 bytes from '%s' at offset %lld: truncated batch", path,
		 (long long)last->base);
	CHECK(strstr(text, want) != NULL);
	CHECK_EQ_INT(plog_end_offset(log), last->base);
	CHECK_EQ_INT(file_size(path), last->pos);
	CHECK_EQ_INT(plog_size_bytes(log), last->pos);
	plog_close(log);
	/* a second open finds nothing to cut */
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "cut ") == NULL);
	CHECK_EQ_INT(plog_end_offset(log), last->base);
	plog_close(log);
}

TEST(crc_in_last_batch)
{
	char dir[128], path[256];
	plog_config c = cfg_of(1 << 20, 200);
	plog *log;
	const char *text;

	build("crclast", dir, sizeof(dir), 1 << 20, 10);
	seg_file(path, sizeof(path), dir, 0, ".log");
	flip_byte(path, placed[9].pos + (int64_t)placed[9].len - 5);
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "CRC mismatch") != NULL);
	CHECK_EQ_INT(plog_end_offset(log), placed[9].base);
	CHECK_EQ_INT(file_size(path), placed[9].pos);
	plog_close(log);
}

TEST(crc_in_middle_batch)
{
	char dir[128], path[256];
	plog_config c = cfg_of(1 << 20, 200);
	plog *log;
	plog_range r;
	size_t len;
	uint8_t *b;
	plog_append_info info;

	build("crcmid", dir, sizeof(dir), 1 << 20, 10);
	seg_file(path, sizeof(path), dir, 0, ".log");
	flip_byte(path, placed[4].pos + RB_OFF_ATTRIBUTES + 30);
	(void)reopen(&log, dir, &c, -1);
	CHECK_EQ_INT(plog_end_offset(log), placed[4].base);
	CHECK_EQ_INT(plog_read(log, placed[3].base, 100000, placed[4].base, &r), 0);
	CHECK_EQ_INT(r.len, placed[3].len);
	/* appends go on from the cut */
	b = make_batch(1, 5, 1, &len);
	CHECK_EQ_INT(plog_append(log, b, len, 1, &info), 0);
	CHECK_EQ_INT(info.base_offset, placed[4].base);
	free(b);
	plog_close(log);
}

TEST(garbage_tails)
{
	char dir[128], path[256];
	plog_config c = cfg_of(1 << 20, 200);
	plog *log;
	uint8_t zeros[4096] = {0};
	const char *text;

	build("garbage", dir, sizeof(dir), 1 << 20, 5);
	seg_file(path, sizeof(path), dir, 0, ".log");
	append_bytes(path, "0123456789abcdefghij", 20);
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "cut 20 bytes") != NULL);
	CHECK(strstr(text, "truncated batch header") != NULL);
	CHECK_EQ_INT(plog_end_offset(log), placed[4].last + 1);
	plog_close(log);
	/* zero-filled pages, as a crash can leave after an extending write */
	append_bytes(path, zeros, sizeof(zeros));
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "cut 4096 bytes") != NULL);
	CHECK_EQ_INT(plog_end_offset(log), placed[4].last + 1);
	plog_close(log);
	/* a header claiming more bytes than the file has */
	{
		size_t len;
		uint8_t *b = make_batch(3, 100, 1, &len);

		be64_put(b, (uint64_t)(placed[4].last + 1));
		append_bytes(path, b, len / 2);
		free(b);
	}
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "truncated batch") != NULL);
	CHECK_EQ_INT(plog_end_offset(log), placed[4].last + 1);
	plog_close(log);
}

TEST(bad_first_batch)
{
	char dir[128], path[256];
	plog_config c = cfg_of(1 << 20, 200);
	plog *log;
	const char *text;

	build("first", dir, sizeof(dir), 1 << 20, 3);
	seg_file(path, sizeof(path), dir, 0, ".log");
	flip_byte(path, RB_OFF_MAGIC);
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "unsupported magic") != NULL);
	CHECK_EQ_INT(plog_end_offset(log), 0);
	CHECK_EQ_INT(file_size(path), 0);
	plog_close(log);
}

/* ---- older segments and the recovery point ----------------------------- */

TEST(corrupt_older_segment)
{
	char dir[128], path[256], later[256];
	int64_t seg_bytes = 800, leo;
	plog_config c = cfg_of(seg_bytes, 200);
	plog *log;
	int victim = -1, nseg;

	build("older", dir, sizeof(dir), seg_bytes, 30);
	leo = placed[29].last + 1;
	/* the second batch of the second segment */
	for (int i = 1; i < nplaced && victim < 0; i++)
		if (placed[i].seg_base != placed[0].seg_base && placed[i].pos > 0)
			victim = i;
	CHECK(victim > 0);
	seg_file(path, sizeof(path), dir, placed[victim].seg_base, ".log");
	flip_byte(path, placed[victim].pos + (int64_t)placed[victim].len - 3);
	seg_file(later, sizeof(later), dir, placed[29].seg_base, ".log");

	/* below the recovery point an old segment is trusted as it is */
	(void)reopen(&log, dir, &c, leo);
	CHECK_EQ_INT(plog_end_offset(log), leo);
	nseg = plog_segment_count(log);
	plog_close(log);

	/* a full scan cuts it and drops every later segment */
	(void)reopen(&log, dir, &c, -1);
	CHECK_EQ_INT(plog_end_offset(log), placed[victim].base);
	CHECK(plog_segment_count(log) < nseg);
	CHECK_EQ_INT(file_size(path), placed[victim].pos);
	CHECK_EQ_INT(file_size(later), -1);
	plog_close(log);
}

TEST(recovery_point_inside_segment)
{
	char dir[128], path[256];
	int64_t seg_bytes = 800;
	plog_config c = cfg_of(seg_bytes, 200);
	plog *log;
	int victim = 0;

	build("rpmid", dir, sizeof(dir), seg_bytes, 30);
	/* corrupt a batch of the second segment; a recovery point inside that
	 * segment makes it "data at or past the recovery point": scanned */
	while (placed[victim].seg_base == 0)
		victim++;
	victim++;
	seg_file(path, sizeof(path), dir, placed[victim].seg_base, ".log");
	flip_byte(path, placed[victim].pos + 70);
	(void)reopen(&log, dir, &c, placed[victim].base);
	CHECK_EQ_INT(plog_end_offset(log), placed[victim].base);
	plog_close(log);
}

/* Random damage: flips, cuts and garbage anywhere in any file. Opening must
 * succeed, every offset below the LEO must read, and a second open must
 * agree with the first (recovery is idempotent). */
static unsigned rnd_state = 2024;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void damage_randomly(const char *dir)
{
	static const char *exts[] = {".log", ".index", ".timeindex"};
	int k = (int)(rnd() % (unsigned)nplaced);
	char path[256];
	int64_t sz;

	seg_file(path, sizeof(path), dir, placed[k].seg_base, exts[rnd() % 3]);
	sz = file_size(path);
	if (sz <= 0)
		return;
	switch (rnd() % 3) {
	case 0:
		for (int i = 0; i < 3; i++)
			flip_byte(path, (int64_t)(rnd() % (unsigned)sz));
		break;
	case 1:
		CHECK_EQ_INT(truncate(path, (off_t)(rnd() % (unsigned)sz)), 0);
		break;
	default: {
		uint8_t junk[96];

		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rnd();
		append_bytes(path, junk, 1 + rnd() % sizeof(junk));
	}
	}
}

static void read_everything(plog *log)
{
	int64_t off = plog_start_offset(log), leo = plog_end_offset(log);
	int guard = 0;

	while (off < leo && guard++ < 10000) {
		plog_range r;
		int rc = plog_read(log, off, 500, leo, &r);

		if (rc == PLOG_EIO && plog_failed(log))
			return; /* corruption found in a trusted segment */
		CHECK_EQ_INT(rc, 0);
		CHECK(r.len > 0);
		if (rc || !r.len || r.next_offset <= off)
			break;
		off = r.next_offset;
	}
	CHECK_EQ_INT(off, leo);
}

TEST(random_damage)
{
	int64_t seg_bytes = 900;
	plog_config c = cfg_of(seg_bytes, 150);

	for (int round = 0; round < 60; round++) {
		char dir[128];
		plog *log;
		int64_t leo, ts, off;
		bool full = round % 2;
		int rc;

		build("random", dir, sizeof(dir), seg_bytes, 30);
		for (int d = 0; d < 1 + round % 4; d++)
			damage_randomly(dir);
		capture_start();
		CHECK_EQ_INT(plog_open(&log, dir, &c, full ? -1 : placed[nplaced - 1].last + 1), 0);
		/* no bound on the LEO: a flip in a baseOffset (not covered by
		 * the CRC, and gaps are legal) can move offsets up */
		leo = plog_end_offset(log);
		read_everything(log);
		rc = plog_offset_for_time(log, 1010, &off, &ts);
		(void)capture_end();
		/* damage hidden in a segment trusted below the recovery point
		 * shows only when read: the log fails (and forgets the index) */
		CHECK(rc == 0 || (!full && plog_failed(log)));
		if (full)
			CHECK(!plog_failed(log));
		plog_close(log);
		/* a full scan always ends with a clean log, and so does a later
		 * open trusting what that scan left */
		for (int k = 0; k < 2; k++) {
			capture_start();
			CHECK_EQ_INT(plog_open(&log, dir, &c, k ? leo : -1), 0);
			(void)capture_end();
			if (!k)
				leo = plog_end_offset(log);
			CHECK_EQ_INT(plog_end_offset(log), leo);
			read_everything(log);
			CHECK_EQ_INT(plog_offset_for_time(log, 1010, &off, &ts), 0);
			CHECK(!plog_failed(log));
			plog_close(log);
		}
	}
}

/* ---- leftovers and the start offset ---------------------------------- */

TEST(leftovers)
{
	char dir[128], path[256], other[256];
	plog_config c = cfg_of(1 << 20, 200);
	plog *log;
	const char *text;

	build("leftovers", dir, sizeof(dir), 1 << 20, 3);
	seg_file(path, sizeof(path), dir, 12345, ".index");
	write_file(path, "");
	seg_file(other, sizeof(other), dir, 12345, ".timeindex");
	write_file(other, "x");
	snprintf(path + strlen(dir), sizeof(path) - strlen(dir), "/99999999999999999999.log");
	write_file(path, "junk");
	snprintf(other, sizeof(other), "%s/partition.metadata", dir);
	write_file(other, "version: 0\n");
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "offset out of range") != NULL);
	CHECK_EQ_INT(plog_end_offset(log), placed[2].last + 1);
	seg_file(path, sizeof(path), dir, 12345, ".index");
	CHECK_EQ_INT(file_size(path), -1);
	CHECK_EQ_INT(file_size(other), 11);
	plog_close(log);
}

TEST(start_offset_file)
{
	char dir[128], path[256];
	plog_config c = cfg_of(1 << 20, 200);
	plog *log;
	const char *text;

	build("startfile", dir, sizeof(dir), 1 << 20, 5);
	snprintf(path, sizeof(path), "%s/log-start-offset", dir);
	write_file(path, "0\n3\n");
	(void)reopen(&log, dir, &c, -1);
	CHECK_EQ_INT(plog_start_offset(log), 3);
	plog_close(log);
	write_file(path, "0\n-3\n");
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "malformed") != NULL);
	CHECK_EQ_INT(plog_start_offset(log), 0);
	plog_close(log);
	write_file(path, "0\n1000\n");
	text = reopen(&log, dir, &c, -1);
	CHECK(strstr(text, "past its end") != NULL);
	CHECK_EQ_INT(plog_start_offset(log), plog_end_offset(log));
	plog_close(log);
	/* an empty directory with a start file begins there */
	test_dir(dir, sizeof(dir), "startonly");
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/log-start-offset", dir);
	write_file(path, "0\n42\n");
	(void)reopen(&log, dir, &c, -1);
	CHECK_EQ_INT(plog_start_offset(log), 42);
	CHECK_EQ_INT(plog_end_offset(log), 42);
	plog_close(log);
}

/* ---- checkpoint files ------------------------------------------------- */

TEST(checkpoint_round_trip)
{
	char path[256];
	checkpoint_entry in[3] = {{"orders", 0, 0},
				  {"__consumer_offsets", 49, 123456789012LL},
				  {"a.b-c_d", 2147483647, INT64_MAX}};
	checkpoint_entry *out;
	size_t n;

	snprintf(path, sizeof(path), "%s/recovery-point-offset-checkpoint", root);
	CHECK_EQ_INT(checkpoint_read(path, &out, &n), 0); /* missing: empty */
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(checkpoint_write(path, in, 3), 0);
	CHECK_EQ_INT(checkpoint_read(path, &out, &n), 0);
	CHECK_EQ_INT(n, 3);
	for (size_t i = 0; i < n && i < 3; i++) {
		CHECK(strcmp(out[i].topic, in[i].topic) == 0);
		CHECK_EQ_INT(out[i].partition, in[i].partition);
		CHECK_EQ_INT(out[i].offset, in[i].offset);
	}
	checkpoint_free(out, n);
	CHECK_EQ_INT(checkpoint_write(path, NULL, 0), 0);
	CHECK_EQ_INT(checkpoint_read(path, &out, &n), 0);
	CHECK_EQ_INT(n, 0);
	checkpoint_free(out, n);
	snprintf(path, sizeof(path), "%s/recovery-point-offset-checkpoint.tmp", root);
	CHECK_EQ_INT(file_size(path), -1);
}

TEST(checkpoint_malformed)
{
	static const char *bad[] = {
	    "",
	    "1\n0\n",			       /* unknown version */
	    "0\n",			       /* no count */
	    "0\n2\nt 0 1\n",		       /* fewer lines than the count */
	    "0\n1\nt 0 1\nu 0 1\n",	       /* more */
	    "0\n1\nt 0 1\n\n",		       /* trailing blank line */
	    "0\n1\nt 0\n",		       /* missing field */
	    "0\n1\nt 0 1 2\n",		       /* extra field */
	    "0\n1\nt  0 1\n",		       /* double space */
	    "0\n1\nt/x 0 1\n",		       /* bad topic char */
	    "0\n1\nt -1 1\n",		       /* negative partition */
	    "0\n1\nt 2147483648 1\n",	       /* partition overflow */
	    "0\n1\nt 0 -5\n",		       /* negative offset */
	    "0\n1\nt 0 9223372036854775808\n", /* offset overflow */
	    "0\n1\nt 0 01\n",		       /* leading zero */
	    "0\n1\nt 0 1x\n",
	    "0\n99999999\nt 0 1\n", /* count beyond the bytes */
	    "0\n-1\n",
	    " 0\n0\n",
	    "0\n1\n 0 1\n", /* empty topic */
	};
	char path[256];
	checkpoint_entry *out;
	size_t n;
	int64_t off;

	snprintf(path, sizeof(path), "%s/bad-checkpoint", root);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i]);
		out = (checkpoint_entry *)1;
		if (checkpoint_read(path, &out, &n) != -1) {
			fprintf(stderr, "accepted bad checkpoint #%zu\n", i);
			CHECK(!"malformed checkpoint accepted");
			checkpoint_free(out, n);
			continue;
		}
		CHECK(out == NULL);
	}
	/* a final line without newline is fine (Kafka's reader accepts it) */
	write_file(path, "0\n1\nt 0 1");
	CHECK_EQ_INT(checkpoint_read(path, &out, &n), 0);
	CHECK_EQ_INT(n, 1);
	checkpoint_free(out, n);
	/* the one-offset file */
	snprintf(path, sizeof(path), "%s/one-offset", root);
	CHECK_EQ_INT(checkpoint_read_offset(path, &off), 1);
	CHECK_EQ_INT(checkpoint_write_offset(path, 77), 0);
	CHECK_EQ_INT(checkpoint_read_offset(path, &off), 0);
	CHECK_EQ_INT(off, 77);
	write_file(path, "0\n77\nextra\n");
	CHECK_EQ_INT(checkpoint_read_offset(path, &off), -1);
	write_file(path, "1\n77\n");
	CHECK_EQ_INT(checkpoint_read_offset(path, &off), -1);
}

TEST(checkpoint_write_failure)
{
	char path[256];
	checkpoint_entry in[1] = {{"t", 0, 5}}, *out;
	size_t n;

	snprintf(path, sizeof(path), "%s/cp-fail", root);
	CHECK_EQ_INT(checkpoint_write(path, in, 1), 0);
	in[0].offset = 6;
	fileio_fail_after(FILEIO_FSYNC, 1, EIO);
	CHECK_EQ_INT(checkpoint_write(path, in, 1), -EIO);
	fileio_fail_after(FILEIO_RENAME, 1, EIO);
	CHECK_EQ_INT(checkpoint_write(path, in, 1), -EIO);
	fileio_reset();
	/* the old file is intact and no temporary is left */
	CHECK_EQ_INT(checkpoint_read(path, &out, &n), 0);
	CHECK_EQ_INT(n, 1);
	if (n == 1)
		CHECK_EQ_INT(out[0].offset, 5);
	checkpoint_free(out, n);
	snprintf(path, sizeof(path), "%s/cp-fail.tmp", root);
	CHECK_EQ_INT(file_size(path), -1);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/tm_recovery_XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(cut_mid_batch);
	RUN(crc_in_last_batch);
	RUN(crc_in_middle_batch);
	RUN(garbage_tails);
	RUN(bad_first_batch);
	RUN(corrupt_older_segment);
	RUN(recovery_point_inside_segment);
	RUN(random_damage);
	RUN(leftovers);
	RUN(start_offset_file);
	RUN(checkpoint_round_trip);
	RUN(checkpoint_malformed);
	RUN(checkpoint_write_failure);
	rmtree(root);
	return testhelp_done();
}
