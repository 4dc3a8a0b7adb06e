/*
 * slice.h: a bounded, big-endian reader over untrusted bytes.
 *
 * Every read checks the bytes remaining. A failed read sets the sticky error
 * flag, returns zero, and leaves the cursor where it was; every later read
 * also fails. Callers therefore read a whole structure and test s->err once
 * at the end (the librdkafka err_parse pattern) instead of after each field.
 *
 * Varints follow Kafka: unsigned varints (flexible framing) stop at 5 bytes,
 * zig-zag varints at 5 bytes and varlongs at 10; the zig-zag arithmetic is
 * done in unsigned types. Nothing here allocates.
 */
#ifndef TM_SLICE_H
#define TM_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct slice {
	const uint8_t *p;   /* next byte to read */
	const uint8_t *end; /* one past the last readable byte */
	int err;            /* sticky: non-zero once any read failed */
} slice;

static inline void slice_init(slice *s, const void *p, size_t len)
{
	static const uint8_t none[1];

	/* An empty view may come as (NULL, 0), e.g. a kbytes at its default;
	 * keep the cursor non-NULL so no NULL + 0 arithmetic happens (UB). */
	s->p = p ? (const uint8_t *)p : none;
	s->end = s->p + (p ? len : 0);
	s->err = 0;
}

static inline size_t slice_left(const slice *s)
{
	return s->err ? 0 : (size_t)(s->end - s->p);
}

/* Marks the slice failed (for semantic errors found by the caller). */
static inline void slice_fail(slice *s)
{
	s->err = 1;
}

bool slice_skip(slice *s, size_t n);
/* Returns a pointer to the next n bytes and advances, or NULL on short input. */
const uint8_t *slice_take(slice *s, size_t n);
/* Splits off the next n bytes as a sub-slice (limited to them) and advances. */
bool slice_sub(slice *s, size_t n, slice *out);

int8_t slice_i8(slice *s);
int16_t slice_i16(slice *s);
int32_t slice_i32(slice *s);
int64_t slice_i64(slice *s);
uint16_t slice_u16(slice *s);
uint32_t slice_u32(slice *s);
double slice_f64(slice *s);
uint32_t slice_uvarint(slice *s);  /* unsigned LEB128, at most 5 bytes */
int32_t slice_varint(slice *s);    /* zig-zag, at most 5 bytes */
int64_t slice_varlong(slice *s);   /* zig-zag, at most 10 bytes */

/* Big-endian stores and loads on raw memory the caller has bounds-checked. */
static inline void be16_put(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}
static inline uint16_t be16_get(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64_get(const uint8_t *p)
{
	return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

#endif
