/*
 * buf.h: a growable, capped, big-endian writer.
 *
 * A buf grows on demand up to the max given at init. Past that, or once any
 * write failed, it sets the sticky err flag and every later write is a no-op
 * (the sqlite "pRC" pattern): encoders write a whole message and check
 * b->err once.
 *
 * A buf may also carry file references: "at this point of the output, send
 * len bytes of file fd from position pos". The bytes are not copied into the
 * buffer; the connection writer sends them with sendfile(). buf_add_file()
 * dup()s the descriptor, so the file stays readable even if the log rolls or
 * deletes the segment before the response goes out; buf_release() closes it.
 */
#ifndef TM_BUF_H
#define TM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct buf_fileref {
	size_t at;   /* position in data where the file bytes go */
	int fd;      /* dup()ed, owned by the buf */
	off_t pos;   /* file position */
	size_t len;  /* bytes of file */
} buf_fileref;

typedef struct buf {
	uint8_t *data;
	size_t len;  /* bytes of data written (file refs not included) */
	size_t cap;
	size_t max;  /* hard cap on len */
	int err;     /* sticky */
	buf_fileref *refs;
	size_t nrefs, refs_cap;
	size_t ref_bytes; /* total bytes in file refs */
} buf;

/* Initializes an empty buffer that may grow to max bytes. */
void buf_init(buf *b, size_t max);
/* Frees the memory and closes the file refs; the buf may be init'ed again. */
void buf_release(buf *b);
/* Empties the buffer (closing file refs), keeping its memory. */
void buf_reset(buf *b);
/* Total size of the output: memory bytes plus file ref bytes. */
static inline size_t buf_total(const buf *b) { return b->len + b->ref_bytes; }

/* Makes room for n more bytes; returns a pointer to them (advancing len),
 * or NULL (and sets err) if that would pass max. */
uint8_t *buf_extend(buf *b, size_t n);
void buf_put(buf *b, const void *p, size_t n);
void buf_i8(buf *b, int8_t v);
void buf_i16(buf *b, int16_t v);
void buf_i32(buf *b, int32_t v);
void buf_i64(buf *b, int64_t v);
void buf_u32(buf *b, uint32_t v);
void buf_f64(buf *b, double v);
void buf_uvarint(buf *b, uint32_t v);
void buf_varint(buf *b, int32_t v);   /* zig-zag */
void buf_varlong(buf *b, int64_t v);  /* zig-zag */
/* Overwrites 4 bytes at position at (which must have been written). */
void buf_patch_i32(buf *b, size_t at, int32_t v);

/* Appends a reference to len bytes of fd at pos (see above). Returns 0 or -1
 * (dup failed or past max; err set). */
int buf_add_file(buf *b, int fd, off_t pos, size_t len);

/* Size in bytes of v as an unsigned varint. */
size_t uvarint_size(uint32_t v);

#endif
