/*
 * storage_testutil.h: helpers shared by the storage unit tests: a valid
 * RecordBatch v2 builder and recursive directory removal.
 */
#ifndef TM_STORAGE_TESTUTIL_H
#define TM_STORAGE_TESTUTIL_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/slice.h"
#include "proto/records.h"

/* Writes v as a zig-zag varint at p; returns its length. */
static inline size_t put_zz(uint8_t *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	size_t n = 0;

	while (z >= 0x80) {
		p[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

/* A valid v2 batch: count records with null keys and vlen-byte values;
 * record i has timestamp ts + i (so maxTimestamp = ts + count - 1). The
 * caller frees it. */
static inline uint8_t *make_batch(int count, size_t vlen, int64_t ts, size_t *len)
{
	size_t cap = RB_HEADER_SIZE + (size_t)count * (vlen + 32);
	uint8_t *b = calloc(1, cap), rec[64];
	size_t n = RB_HEADER_SIZE;

	for (int i = 0; i < count; i++) {
		size_t r = 0;

		rec[r++] = 0;		  /* attributes */
		r += put_zz(rec + r, i);  /* timestamp delta */
		r += put_zz(rec + r, i);  /* offset delta */
		r += put_zz(rec + r, -1); /* null key */
		r += put_zz(rec + r, (int64_t)vlen);
		n += put_zz(b + n, (int64_t)(r + vlen + 1));
		memcpy(b + n, rec, r);
		n += r;
		memset(b + n, 'a' + i % 26, vlen);
		n += vlen;
		b[n++] = 0; /* no headers */
	}
	be32_put(b + RB_OFF_LENGTH, (uint32_t)(n - RB_LOG_OVERHEAD));
	b[RB_OFF_MAGIC] = 2;
	be32_put(b + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(count - 1));
	be64_put(b + RB_OFF_BASE_TIMESTAMP, (uint64_t)ts);
	be64_put(b + RB_OFF_MAX_TIMESTAMP, (uint64_t)(ts + count - 1));
	be64_put(b + RB_OFF_PRODUCER_ID, (uint64_t)-1);
	be16_put(b + RB_OFF_PRODUCER_EPOCH, (uint16_t)-1);
	be32_put(b + RB_OFF_BASE_SEQUENCE, (uint32_t)-1);
	be32_put(b + RB_OFF_RECORDS_COUNT, (uint32_t)count);
	be32_put(b + RB_OFF_CRC, rb_compute_crc(b, n));
	*len = n;
	return b;
}

static inline int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* rm -rf path */
static inline void rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
