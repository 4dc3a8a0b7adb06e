/*
 * slice.c: the bounded reader. See slice.h for the error contract.
 */
#include "core/slice.h"

#include <string.h>

bool slice_skip(slice *s, size_t n)
{
	return slice_take(s, n) != NULL || n == 0;
}

const uint8_t *slice_take(slice *s, size_t n)
{
	const uint8_t *p;

	if (s->err || (size_t)(s->end - s->p) < n) {
		s->err = 1;
		return NULL;
	}
	p = s->p;
	s->p += n;
	return p;
}

bool slice_sub(slice *s, size_t n, slice *out)
{
	const uint8_t *p = slice_take(s, n);

	if (!p && n) {
		slice_init(out, s->p, 0);
		out->err = 1;
		return false;
	}
	slice_init(out, p ? p : s->p, n);
	return !s->err;
}

int8_t slice_i8(slice *s)
{
	const uint8_t *p = slice_take(s, 1);
	return p ? (int8_t)p[0] : 0;
}

int16_t slice_i16(slice *s)
{
	const uint8_t *p = slice_take(s, 2);
	return p ? (int16_t)be16_get(p) : 0;
}

uint16_t slice_u16(slice *s)
{
	const uint8_t *p = slice_take(s, 2);
	return p ? be16_get(p) : 0;
}

int32_t slice_i32(slice *s)
{
	const uint8_t *p = slice_take(s, 4);
	return p ? (int32_t)be32_get(p) : 0;
}

uint32_t slice_u32(slice *s)
{
	const uint8_t *p = slice_take(s, 4);
	return p ? be32_get(p) : 0;
}

int64_t slice_i64(slice *s)
{
	const uint8_t *p = slice_take(s, 8);
	return p ? (int64_t)be64_get(p) : 0;
}

double slice_f64(slice *s)
{
	uint64_t u = (uint64_t)slice_i64(s);
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* Reads an unsigned LEB128 of at most max_bytes bytes. */
static uint64_t read_leb(slice *s, int max_bytes)
{
	uint64_t v = 0;
	int i;

	if (s->err)
		return 0;
	for (i = 0; i < max_bytes; i++) {
		uint8_t b;

		if (s->p >= s->end) {
			s->err = 1;
			return 0;
		}
		b = *s->p++;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return v;
	}
	s->err = 1; /* too long */
	return 0;
}

uint32_t slice_uvarint(slice *s)
{
	uint64_t v = read_leb(s, 5);

	if (v > UINT32_MAX) {
		s->err = 1;
		return 0;
	}
	return (uint32_t)v;
}

int32_t slice_varint(slice *s)
{
	uint64_t u = read_leb(s, 5);
	uint32_t v;

	if (u > UINT32_MAX) {
		s->err = 1;
		return 0;
	}
	v = (uint32_t)u;
	return (int32_t)((v >> 1) ^ (0u - (v & 1)));
}

int64_t slice_varlong(slice *s)
{
	uint64_t v = read_leb(s, 10);

	return (int64_t)((v >> 1) ^ (0ull - (v & 1)));
}
