/*
 * buf.c: the capped writer. See buf.h.
 */
#include "core/buf.h"

#include "core/slice.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void buf_init(buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

static void close_refs(buf *b)
{
	for (size_t i = 0; i < b->nrefs; i++)
		close(b->refs[i].fd);
	b->nrefs = 0;
	b->ref_bytes = 0;
}

void buf_release(buf *b)
{
	close_refs(b);
	free(b->data);
	free(b->refs);
	memset(b, 0, sizeof(*b));
}

void buf_reset(buf *b)
{
	close_refs(b);
	b->len = 0;
	b->err = 0;
}

uint8_t *buf_extend(buf *b, size_t n)
{
	uint8_t *p;

	if (b->err)
		return NULL;
	if (n == 0 && !b->data)
		return NULL; /* nothing to extend; avoids NULL + 0 (UB) below */
	if (n > b->max || buf_total(b) > b->max - n) {
		b->err = 1;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
		if (cap > b->max)
			cap = b->max;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	p = b->data + b->len;
	b->len += n;
	return p;
}

void buf_put(buf *b, const void *p, size_t n)
{
	uint8_t *d = buf_extend(b, n);

	if (d && n)
		memcpy(d, p, n);
}

void buf_i8(buf *b, int8_t v)
{
	uint8_t *d = buf_extend(b, 1);
	if (d)
		d[0] = (uint8_t)v;
}

void buf_i16(buf *b, int16_t v)
{
	uint8_t *d = buf_extend(b, 2);
	if (d)
		be16_put(d, (uint16_t)v);
}

void buf_i32(buf *b, int32_t v)
{
	uint8_t *d = buf_extend(b, 4);
	if (d)
		be32_put(d, (uint32_t)v);
}

void buf_u32(buf *b, uint32_t v)
{
	uint8_t *d = buf_extend(b, 4);
	if (d)
		be32_put(d, v);
}

void buf_i64(buf *b, int64_t v)
{
	uint8_t *d = buf_extend(b, 8);
	if (d)
		be64_put(d, (uint64_t)v);
}

void buf_f64(buf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	buf_i64(b, (int64_t)u);
}

static void put_leb(buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		uint8_t c = v & 0x7f;

		v >>= 7;
		tmp[n++] = (uint8_t)(c | (v ? 0x80 : 0));
	} while (v);
	buf_put(b, tmp, n);
}

void buf_uvarint(buf *b, uint32_t v)
{
	put_leb(b, v);
}

void buf_varint(buf *b, int32_t v)
{
	uint32_t u = (uint32_t)v;
	put_leb(b, (u << 1) ^ (0u - (u >> 31)));
}

void buf_varlong(buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	put_leb(b, (u << 1) ^ (0ull - (u >> 63)));
}

void buf_patch_i32(buf *b, size_t at, int32_t v)
{
	if (b->err || at > b->len || b->len - at < 4) {
		b->err = 1;
		return;
	}
	be32_put(b->data + at, (uint32_t)v);
}

int buf_add_file(buf *b, int fd, off_t pos, size_t len)
{
	int dfd;

	if (b->err)
		return -1;
	if (len > b->max || buf_total(b) > b->max - len) {
		b->err = 1;
		return -1;
	}
	dfd = dup(fd);
	if (dfd < 0) {
		b->err = 1;
		return -1;
	}
	if (b->nrefs == b->refs_cap) {
		b->refs_cap = b->refs_cap ? b->refs_cap * 2 : 4;
		b->refs = xrealloc(b->refs, st_mult(b->refs_cap, sizeof(*b->refs)));
	}
	b->refs[b->nrefs++] = (buf_fileref){ .at = b->len, .fd = dfd, .pos = pos, .len = len };
	b->ref_bytes += len;
	return 0;
}

size_t uvarint_size(uint32_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}
