/*
 * kmsg.h: the value types of decoded Kafka messages, and the contract of the
 * generated codecs in proto/gen/.
 *
 * Generated code (tools/gen_messages.py, from Kafka's JSON schemas) follows
 * these rules, so handlers can be written against them:
 *
 *   - One C struct per message and per nested struct: kmsg_<Message> and
 *     kmsg_<Message>_<StructType>, e.g. kmsg_ProduceRequest and
 *     kmsg_ProduceRequest_TopicProduceData. Common structs are named the same
 *     way under the message that uses them.
 *   - Field names keep Kafka's spelling (ErrorCode, TopicData).
 *   - Scalars map to int8_t/int16_t/int32_t/int64_t/uint16_t/uint32_t/double/
 *     bool; "string" to kstr, "bytes" to kbytes, "records" to krecords,
 *     "uuid" to kuuid.
 *   - An array field X is a pointer X plus int32_t X_count. A null array has
 *     X_count == -1 (only where the schema allows null). Arrays of scalars
 *     and strings are plain C arrays of that type.
 *   - A (tagged or not) struct-typed field is embedded by value. A nullable
 *     struct field X (only KIP-848/932 schemas have them) also gets a bool
 *     X_is_null, true when it is null (written as INT8 -1, else INT8 1 and
 *     the struct).
 *   - kmsg_<T>_init(T *m) sets every field to its schema default (or 0,
 *     empty string, empty array, null records); call it before filling a
 *     response, so only what matters has to be set.
 *   - int kmsg_<M>_decode(M *m, slice *s, int16_t version, arena *a):
 *     decodes version `version` of the body (no header) from s. Strings and
 *     bytes are views into the input (not copies): the input must outlive m.
 *     Arrays are allocated from a, after checking that count does not exceed
 *     the bytes left. Unknown tagged fields are skipped. Returns 0, or -1 with
 *     s->err set on malformed input.
 *   - int kmsg_<M>_encode(const M *m, buf *b, int16_t version): appends the
 *     body in version `version`. Fields absent from that version are skipped;
 *     tagged fields are written only when they differ from their default.
 *     Returns 0, or -1 if b overflowed (b->err) or a non-nullable field was
 *     null (the field is then written as empty).
 *   - Each message has `#define KMSG_<M>_API_KEY`, and proto/gen/apis.h
 *     lists every API's key, name, valid versions and first flexible version.
 *
 * Who owns what: everything a decode returns points into the input bytes or
 * the arena; nothing is freed individually.
 */
#ifndef TM_KMSG_H
#define TM_KMSG_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/slice.h"

/* A string view. len == -1 means null. Not NUL-terminated. */
typedef struct kstr {
	const char *p;
	int32_t len;
} kstr;

/* A bytes view. len == -1 means null. */
typedef struct kbytes {
	const uint8_t *p;
	int32_t len;
} kbytes;

/*
 * Record data. Decoded: a view (p, len), len == -1 for null.
 * To encode from a file without copying, set fd >= 0, file_pos and len: the
 * encoder writes the length prefix and adds a buf file ref (see buf.h).
 * Several file ranges may be chained through next (all in the same field,
 * e.g. a fetch crossing a segment boundary); the length prefix is the sum.
 */
typedef struct krecords {
	const uint8_t *p;
	int32_t len;
	int fd;            /* -1: bytes are in p */
	off_t file_pos;
	const struct krecords *next;
} krecords;

typedef struct kuuid {
	uint8_t b[16];
} kuuid;

#define KSTR_NULL ((kstr){ NULL, -1 })
#define KSTR_EMPTY ((kstr){ "", 0 })
static inline kstr kstr_c(const char *s)
{
	return (kstr){ s, s ? (int32_t)strlen(s) : -1 };
}
static inline bool kstr_is_null(kstr s) { return s.len < 0; }
static inline bool kstr_eq(kstr a, kstr b)
{
	return a.len == b.len && (a.len <= 0 || memcmp(a.p, b.p, (size_t)a.len) == 0);
}
static inline bool kstr_eq_c(kstr a, const char *s)
{
	return kstr_eq(a, kstr_c(s));
}
/* printf helper: printf("%.*s", KSTR_FMT(s)) */
#define KSTR_FMT(s) (int)((s).len < 0 ? 0 : (s).len), ((s).p ? (s).p : "")

static inline bool kuuid_is_zero(const kuuid *u)
{
	static const kuuid zero;
	return memcmp(u->b, zero.b, 16) == 0;
}

/*
 * Wire primitives shared by the generated code (proto/wire.c). compact
 * selects the flexible-version forms (uvarint N+1, 0 = null). Readers return
 * 0, or -1 with s->err set (a null where !nullable, a negative length other
 * than -1, a length past the end, a string over 32767 bytes); what they
 * return points into s's bytes. Writers set b->err on what cannot be written
 * (a string over 32767 bytes, len > 0 with a NULL pointer) and write null
 * for len -1. Any thread.
 */
int wire_read_str(slice *s, bool compact, bool nullable, kstr *out);
int wire_read_bytes(slice *s, bool compact, bool nullable, kbytes *out);
/* Records are NULLABLE_BYTES; *out gets fd = -1, next = NULL. */
int wire_read_records(slice *s, bool compact, krecords *out);
/* Reads an array length; -1 for null (only when nullable). Fails when count
 * exceeds the bytes left (each element takes at least min_elem bytes). */
int wire_read_array_len(slice *s, bool compact, bool nullable, size_t min_elem, int32_t *out);
void wire_write_str(buf *b, bool compact, kstr v);
void wire_write_bytes(buf *b, bool compact, kbytes v);
/* Writes one length prefix (the sum over the next chain) and then each
 * range: file ranges (fd >= 0) as buf file refs, others copied. A single
 * range with len -1 and fd < 0 is written as null. */
void wire_write_records(buf *b, bool compact, const krecords *v);
void wire_write_array_len(buf *b, bool compact, int32_t count);
/* Skips a tagged-field block, calling nothing; for structs with no known tags. */
int wire_skip_tags(slice *s);
/* Reads 16 bytes into *out (zeroed on short input, s->err set). */
int wire_read_uuid(slice *s, kuuid *out);
/* Appends one tagged field: tag, size, then the bytes of field (which must
 * hold no file refs), and releases field. An error in field sets b->err. */
void wire_write_tagged(buf *b, uint32_t tag, buf *field);

#endif
