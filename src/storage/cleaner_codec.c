/*
 * cleaner_codec.c: the four Kafka record compression codecs, for the log
 * cleaner (cleaner.h), which must look inside compressed batches and write
 * back the records it keeps.
 *
 * Formats (the records part of a RecordBatch, attributes & 7):
 *   1 gzip    a gzip member (RFC 1952); a zlib stream is accepted too
 *   2 snappy  Java clients write xerial framing: magic "\x82SNAPPY\0",
 *             version INT32, compatible INT32, then blocks of
 *             (INT32 length, raw snappy block); librdkafka may write one
 *             raw snappy block. Both are read; xerial is written.
 *   3 lz4     an LZ4 frame (KIP-57: a correct header checksum for magic 2);
 *             written with independent 64 KiB blocks and no content size,
 *             which every Kafka reader accepts
 *   4 zstd    a zstd frame, read by streaming (Java writes no content size)
 *
 * Untrusted input: output goes into a buf whose max is the caller's cap, so
 * a decompression bomb stops at the cap (CLEANER_CODEC_ETOOBIG) instead of
 * eating memory; every length read from the input is checked against the
 * bytes left. Nothing here keeps state between calls; any thread.
 */
#include "storage/cleaner.h"

#include <limits.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "core/slice.h"

#define CHUNK (64u * 1024)

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

/* Room for at least CHUNK more bytes in out without moving len; NULL when
 * the cap is reached. Returns the free space in *room. */
static uint8_t *room_for(buf *out, size_t *room)
{
	size_t left = out->max - out->len;

	if (out->err || left == 0)
		return NULL;
	*room = left < CHUNK ? left : CHUNK;
	if (!buf_extend(out, *room))
		return NULL;
	out->len -= *room; /* reserved, not written yet */
	return out->data + out->len;
}

static int gzip_inflate(const uint8_t *in, size_t n, buf *out)
{
	z_stream zs;
	int zrc = Z_OK;

	memset(&zs, 0, sizeof(zs));
	if (n > UINT_MAX || inflateInit2(&zs, 15 + 32) != Z_OK)
		return CLEANER_CODEC_EBAD;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	while (zrc != Z_STREAM_END) {
		size_t room;
		uint8_t *p = room_for(out, &room);

		if (!p) {
			inflateEnd(&zs);
			return CLEANER_CODEC_ETOOBIG;
		}
		zs.next_out = p;
		zs.avail_out = (uInt)room;
		zrc = inflate(&zs, Z_NO_FLUSH);
		out->len += room - zs.avail_out;
		if (zrc != Z_OK && zrc != Z_STREAM_END)
			break;
		if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)
			break; /* input ended inside the stream */
	}
	inflateEnd(&zs);
	return zrc == Z_STREAM_END ? 0 : CLEANER_CODEC_EBAD;
}

static int gzip_deflate(const uint8_t *in, size_t n, buf *out)
{
	z_stream zs;
	uLong bound;
	uint8_t *p;
	int zrc;

	memset(&zs, 0, sizeof(zs));
	if (n > UINT_MAX ||
	    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return CLEANER_CODEC_EBAD;
	bound = deflateBound(&zs, (uLong)n) + 32; /* + the gzip wrapper */
	p = buf_extend(out, bound);
	if (!p) {
		deflateEnd(&zs);
		return CLEANER_CODEC_ETOOBIG;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = p;
	zs.avail_out = (uInt)bound;
	zrc = deflate(&zs, Z_FINISH);
	out->len -= zs.avail_out;
	deflateEnd(&zs);
	return zrc == Z_STREAM_END ? 0 : CLEANER_CODEC_EBAD;
}

/* One raw snappy block into out. */
static int snappy_block(const uint8_t *in, size_t n, buf *out)
{
	size_t len;
	uint8_t *p;

	if (snappy_uncompressed_length((const char *)in, n, &len) != SNAPPY_OK)
		return CLEANER_CODEC_EBAD;
	if (len > out->max - out->len)
		return CLEANER_CODEC_ETOOBIG;
	p = buf_extend(out, len);
	if (!p)
		return CLEANER_CODEC_ETOOBIG;
	if (snappy_uncompress((const char *)in, n, (char *)p, &len) != SNAPPY_OK)
		return CLEANER_CODEC_EBAD;
	return 0;
}

static int snappy_inflate(const uint8_t *in, size_t n, buf *out)
{
	slice s;

	if (n < 16 || memcmp(in, xerial_magic, sizeof(xerial_magic)) != 0)
		return snappy_block(in, n, out);
	slice_init(&s, in + 16, n - 16); /* magic, version, compatible */
	while (slice_left(&s) > 0) {
		int32_t len = slice_i32(&s);
		const uint8_t *blk = len >= 0 ? slice_take(&s, (size_t)len) : NULL;
		int rc;

		if (!blk)
			return CLEANER_CODEC_EBAD;
		rc = snappy_block(blk, (size_t)len, out);
		if (rc)
			return rc;
	}
	return 0;
}

static int snappy_deflate(const uint8_t *in, size_t n, buf *out)
{
	uint8_t hdr[16];

	memcpy(hdr, xerial_magic, 8);
	be32_put(hdr + 8, 1);  /* version */
	be32_put(hdr + 12, 1); /* compatible version */
	buf_put(out, hdr, sizeof(hdr));
	for (size_t at = 0; at < n;) {
		size_t k = n - at < 32768 ? n - at : 32768, clen = snappy_max_compressed_length(k);
		size_t lenpos = out->len;
		uint8_t *p;

		buf_i32(out, 0);
		p = buf_extend(out, clen);
		if (!p)
			return CLEANER_CODEC_ETOOBIG;
		if (snappy_compress((const char *)in + at, k, (char *)p, &clen) != SNAPPY_OK)
			return CLEANER_CODEC_EBAD;
		out->len = lenpos + 4 + clen;
		buf_patch_i32(out, lenpos, (int32_t)clen);
		at += k;
	}
	return out->err ? CLEANER_CODEC_ETOOBIG : 0;
}

static int lz4_inflate(const uint8_t *in, size_t n, buf *out)
{
	LZ4F_dctx *dctx;
	size_t hint = 1;
	int rc = 0;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		return CLEANER_CODEC_EBAD;
	while (n > 0 && hint != 0) {
		size_t room, src = n;
		uint8_t *p = room_for(out, &room);

		if (!p) {
			rc = CLEANER_CODEC_ETOOBIG;
			break;
		}
		hint = LZ4F_decompress(dctx, p, &room, in, &src, NULL);
		if (LZ4F_isError(hint)) {
			rc = CLEANER_CODEC_EBAD;
			break;
		}
		out->len += room;
		in += src;
		n -= src;
		if (src == 0 && room == 0) {
			rc = CLEANER_CODEC_EBAD; /* no progress */
			break;
		}
	}
	if (!rc && hint != 0)
		rc = CLEANER_CODEC_EBAD; /* the frame did not end */
	LZ4F_freeDecompressionContext(dctx);
	return rc;
}

static int lz4_deflate(const uint8_t *in, size_t n, buf *out)
{
	LZ4F_preferences_t prefs;
	size_t bound, got;
	uint8_t *p;

	memset(&prefs, 0, sizeof(prefs));
	prefs.frameInfo.blockSizeID = LZ4F_max64KB;
	prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	bound = LZ4F_compressFrameBound(n, &prefs);
	p = buf_extend(out, bound);
	if (!p)
		return CLEANER_CODEC_ETOOBIG;
	got = LZ4F_compressFrame(p, bound, in, n, &prefs);
	if (LZ4F_isError(got))
		return CLEANER_CODEC_EBAD;
	out->len -= bound - got;
	return 0;
}

static int zstd_inflate(const uint8_t *in, size_t n, buf *out)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	ZSTD_inBuffer ib = {in, n, 0};
	size_t zrc = 1;
	int rc = 0;

	if (!dctx)
		return CLEANER_CODEC_EBAD;
	while (zrc != 0) {
		size_t room;
		uint8_t *p = room_for(out, &room);
		ZSTD_outBuffer ob;

		if (!p) {
			rc = CLEANER_CODEC_ETOOBIG;
			break;
		}
		ob = (ZSTD_outBuffer){p, room, 0};
		zrc = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(zrc)) {
			rc = CLEANER_CODEC_EBAD;
			break;
		}
		out->len += ob.pos;
		if (zrc != 0 && ib.pos == ib.size && ob.pos < ob.size) {
			rc = CLEANER_CODEC_EBAD; /* input ended inside a frame */
			break;
		}
	}
	ZSTD_freeDCtx(dctx);
	return rc;
}

static int zstd_deflate(const uint8_t *in, size_t n, buf *out)
{
	size_t bound = ZSTD_compressBound(n), got;
	uint8_t *p = buf_extend(out, bound);

	if (!p)
		return CLEANER_CODEC_ETOOBIG;
	got = ZSTD_compress(p, bound, in, n, ZSTD_CLEVEL_DEFAULT);
	if (ZSTD_isError(got))
		return CLEANER_CODEC_EBAD;
	out->len -= bound - got;
	return 0;
}

int cleaner_codec_decompress(int codec, const uint8_t *in, size_t n, buf *out)
{
	switch (codec) {
	case 1: return gzip_inflate(in, n, out);
	case 2: return snappy_inflate(in, n, out);
	case 3: return lz4_inflate(in, n, out);
	case 4: return zstd_inflate(in, n, out);
	}
	return CLEANER_CODEC_EBAD;
}

int cleaner_codec_compress(int codec, const uint8_t *in, size_t n, buf *out)
{
	size_t at = out->len;
	int rc = CLEANER_CODEC_EBAD;

	switch (codec) {
	case 1: rc = gzip_deflate(in, n, out); break;
	case 2: rc = snappy_deflate(in, n, out); break;
	case 3: rc = lz4_deflate(in, n, out); break;
	case 4: rc = zstd_deflate(in, n, out); break;
	}
	if (rc == 0 && out->err)
		rc = CLEANER_CODEC_ETOOBIG;
	if (rc && !out->err)
		out->len = at;
	return rc;
}
