/*
 * fsync_floor.c: fdatasync latency of small appends to a growing file versus
 * writes inside a preallocated one (issue 7, see README.md). Standalone:
 *   cc -O2 -o /tmp/fsync_floor bench/fsync_floor.c && /tmp/fsync_floor DIR [N] [BYTES]
 * DIR must be on the disk under test (not tmpfs).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void run(const char *dir, const char *name, int mode, int n, size_t wsz)
{
	char path[512];
	size_t full = 64u << 20;
	double *lat = calloc((size_t)n, sizeof(double)), t0, tot;
	char *blk = calloc(1, wsz);
	int fd;

	memset(blk, 'x', wsz);
	snprintf(path, sizeof(path), "%s/f_%d", dir, mode);
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) { perror("open"); exit(1); }
	if (mode == 1) {
		if (fallocate(fd, 0, 0, (off_t)full) < 0) perror("fallocate");
		if (ftruncate(fd, (off_t)full) < 0) perror("ftruncate");
		fsync(fd);
	} else if (mode == 2) {
		if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)full) < 0) perror("fallocate");
		fsync(fd);
	} else if (mode == 3) {
		char *z = calloc(1, 1 << 20);
		for (size_t o = 0; o < full; o += 1 << 20)
			if (write(fd, z, 1 << 20) < 0) perror("write");
		free(z);
		fsync(fd);
		lseek(fd, 0, SEEK_SET);
	} else if (mode == 4) {
		if (fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, (off_t)full) < 0) perror("zero_range");
		fsync(fd);
	}
	tot = now_us();
	for (int i = 0; i < n; i++) {
		if (pwrite(fd, blk, wsz, (off_t)i * (off_t)wsz) != (ssize_t)wsz) perror("pwrite");
		t0 = now_us();
		if (fdatasync(fd) < 0) perror("fdatasync");
		lat[i] = now_us() - t0;
	}
	tot = now_us() - tot;
	qsort(lat, (size_t)n, sizeof(double), cmp);
	printf("%-44s n=%d write=%zuB  fdatasync us p50 %.0f p90 %.0f p99 %.0f  => %.0f appends+syncs/s\n",
	       name, n, wsz, lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100], n / (tot / 1e6));
	close(fd);
	unlink(path);
	free(lat);
	free(blk);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int n = argc > 2 ? atoi(argv[2]) : 3000;
	size_t wsz = argc > 3 ? (size_t)atoi(argv[3]) : 120;

	for (int rep = 0; rep < 2; rep++) {
		run(dir, "(a) growing file (append)", 0, n, wsz);
		run(dir, "(b) fallocate + ftruncate to full size", 1, n, wsz);
		run(dir, "(c) fallocate KEEP_SIZE (size grows)", 2, n, wsz);
		run(dir, "(d) pre-written zeros + fsync", 3, n, wsz);
		run(dir, "(e) fallocate ZERO_RANGE (size set)", 4, n, wsz);
	}
	return 0;
}
