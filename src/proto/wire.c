/*
 * wire.c: the Kafka wire primitives the generated codecs share (kmsg.h).
 *
 * Non-flexible versions use STRING (INT16 length), BYTES (INT32 length) and
 * ARRAY (INT32 count), with -1 for null. Flexible versions use the COMPACT_
 * forms: an unsigned varint holding N+1, 0 for null (KIP-482). Every length
 * read here is checked against the bytes left before it is used; a failure
 * sets the slice's sticky error and returns -1. Strings keep Kafka's limit
 * of 32767 bytes in both forms (Java's readString rejects longer ones).
 */
#include "proto/kmsg.h"

#include <limits.h>

/* Reads a length: INT16 (str) or INT32, or a compact N+1 uvarint. Returns
 * the length, -1 for null, or -2 when malformed (s->err set). */
static int64_t read_len(slice *s, bool compact, bool i16)
{
	int64_t n;

	if (compact) {
		n = (int64_t)slice_uvarint(s) - 1;
	} else if (i16) {
		n = slice_i16(s);
	} else {
		n = slice_i32(s);
	}
	if (s->err || n < -1) {
		slice_fail(s);
		return -2;
	}
	return n;
}

int wire_read_str(slice *s, bool compact, bool nullable, kstr *out)
{
	int64_t n = read_len(s, compact, true);
	const uint8_t *p;

	*out = KSTR_EMPTY;
	if (n == -1 && nullable) {
		*out = KSTR_NULL;
		return 0;
	}
	if (n < 0 || n > INT16_MAX)
		goto bad;
	p = slice_take(s, (size_t)n);
	if (!p)
		goto bad;
	*out = (kstr){(const char *)p, (int32_t)n};
	return 0;
bad:
	slice_fail(s);
	return -1;
}

int wire_read_bytes(slice *s, bool compact, bool nullable, kbytes *out)
{
	int64_t n = read_len(s, compact, false);
	const uint8_t *p;

	*out = (kbytes){NULL, 0};
	if (n == -1 && nullable) {
		out->len = -1;
		return 0;
	}
	if (n < 0 || n > INT32_MAX)
		goto bad;
	p = slice_take(s, (size_t)n);
	if (!p)
		goto bad;
	*out = (kbytes){p, (int32_t)n};
	return 0;
bad:
	slice_fail(s);
	return -1;
}

int wire_read_records(slice *s, bool compact, krecords *out)
{
	kbytes v;
	int rc = wire_read_bytes(s, compact, true, &v);

	*out = (krecords){v.p, v.len, -1, 0, NULL};
	return rc;
}

int wire_read_array_len(slice *s, bool compact, bool nullable, size_t min_elem, int32_t *out)
{
	int64_t n = read_len(s, compact, false);

	*out = 0;
	if (n == -1 && nullable) {
		*out = -1;
		return 0;
	}
	if (n < 0 || n > INT32_MAX)
		goto bad;
	if (min_elem == 0)
		min_elem = 1;
	/* Every element takes at least min_elem bytes: a count the remaining
	 * bytes cannot hold is a lie, rejected before anything is allocated. */
	if ((uint64_t)n > slice_left(s) / min_elem)
		goto bad;
	*out = (int32_t)n;
	return 0;
bad:
	slice_fail(s);
	return -1;
}

int wire_read_uuid(slice *s, kuuid *out)
{
	const uint8_t *p = slice_take(s, 16);

	if (!p) {
		memset(out->b, 0, 16);
		return -1;
	}
	memcpy(out->b, p, 16);
	return 0;
}

int wire_skip_tags(slice *s)
{
	uint32_t n = slice_uvarint(s);

	/* Each field takes at least two bytes (tag, size) or fails, so this
	 * loop ends after at most bytes-left iterations. */
	for (uint32_t i = 0; i < n && !s->err; i++) {
		(void)slice_uvarint(s); /* tag */
		(void)slice_skip(s, slice_uvarint(s));
	}
	return s->err ? -1 : 0;
}

/* Writes a length prefix: null (-1) or n. */
static void write_len(buf *b, bool compact, bool i16, int64_t n)
{
	if (compact)
		buf_uvarint(b, n < 0 ? 0 : (uint32_t)(n + 1));
	else if (i16)
		buf_i16(b, (int16_t)(n < 0 ? -1 : n));
	else
		buf_i32(b, (int32_t)(n < 0 ? -1 : n));
}

void wire_write_str(buf *b, bool compact, kstr v)
{
	if (v.len > INT16_MAX || (v.len > 0 && !v.p)) {
		b->err = 1;
		return;
	}
	write_len(b, compact, true, v.len);
	if (v.len > 0)
		buf_put(b, v.p, (size_t)v.len);
}

void wire_write_bytes(buf *b, bool compact, kbytes v)
{
	if (v.len > 0 && !v.p) {
		b->err = 1;
		return;
	}
	write_len(b, compact, false, v.len);
	if (v.len > 0)
		buf_put(b, v.p, (size_t)v.len);
}

void wire_write_records(buf *b, bool compact, const krecords *v)
{
	const krecords *r;
	int64_t total = 0;

	if (v->len < 0 && v->fd < 0 && !v->next) {
		write_len(b, compact, false, -1);
		return;
	}
	for (r = v; r; r = r->next) {
		if (r->len < 0 || (r->len > 0 && r->fd < 0 && !r->p)) {
			b->err = 1;
			return;
		}
		total += r->len;
		if (total > INT32_MAX) {
			b->err = 1;
			return;
		}
	}
	write_len(b, compact, false, total);
	for (r = v; r; r = r->next) {
		if (r->len == 0)
			continue;
		if (r->fd >= 0)
			(void)buf_add_file(b, r->fd, r->file_pos, (size_t)r->len);
		else
			buf_put(b, r->p, (size_t)r->len);
	}
}

void wire_write_array_len(buf *b, bool compact, int32_t count)
{
	write_len(b, compact, false, count);
}

void wire_write_tagged(buf *b, uint32_t tag, buf *field)
{
	if (field->err || field->nrefs || field->len > UINT32_MAX) {
		b->err = 1;
	} else {
		buf_uvarint(b, tag);
		buf_uvarint(b, (uint32_t)field->len);
		if (field->len)
			buf_put(b, field->data, field->len);
	}
	buf_release(field);
}
