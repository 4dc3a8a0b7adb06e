/*
 * offsets_log.c: __consumer_offsets record encode/decode and the Java hash
 * that places a group on a partition (see offsets_log.h for the formats).
 *
 * Keys and values are written with the generated codecs of
 * internal/OffsetCommitKey.json etc., each preceded by its INT16 version.
 * Decoding goes through the same codecs over a bounded slice; a record must
 * be consumed exactly (trailing bytes are tolerated, as Kafka's readers do,
 * since newer value versions may append fields).
 */
#include "group/offsets_log.h"

#include <stdlib.h>
#include <string.h>

#include "core/slice.h"
#include "core/xalloc.h"
#include "proto/gen/msg_group_metadata_key.h"
#include "proto/gen/msg_offset_commit_key.h"
#include "proto/rbuild.h"

#define OLOG_KEY_COMMIT 1
#define OLOG_KEY_GROUP 2
#define OLOG_VALUE_COMMIT 3
#define OLOG_VALUE_COMMIT_EXPIRE 1
#define OLOG_VALUE_GROUP 3
/* One batch never needs more: a commit of every partition of a large
 * request stays far below this; the request size bounds it anyway. */
#define OLOG_BATCH_MAX (128u << 20)

/* Decodes one UTF-8 sequence at s[i..n); returns the code point (U+FFFD
 * for an invalid or truncated sequence, consuming one byte). */
static uint32_t utf8_next(const uint8_t *s, size_t n, size_t *i)
{
	uint8_t c = s[*i];
	uint32_t cp, min;
	size_t len;
	if (c < 0x80) {
		(*i)++;
		return c;
	} else if ((c & 0xE0) == 0xC0) {
		cp = c & 0x1F; len = 2; min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		cp = c & 0x0F; len = 3; min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		cp = c & 0x07; len = 4; min = 0x10000;
	} else {
		(*i)++;
		return 0xFFFD;
	}
	if (n - *i < len) {
		(*i)++;
		return 0xFFFD;
	}
	for (size_t k = 1; k < len; k++) {
		uint8_t cc = s[*i + k];
		if ((cc & 0xC0) != 0x80) {
			(*i)++;
			return 0xFFFD;
		}
		cp = cp << 6 | (cc & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		(*i)++;
		return 0xFFFD;
	}
	*i += len;
	return cp;
}

int32_t offsets_log_java_hash(kstr s)
{
	uint32_t h = 0; /* unsigned: Java's int overflow wraps */
	size_t n = s.len > 0 ? (size_t)s.len : 0, i = 0;
	const uint8_t *p = (const uint8_t *)s.p;
	while (i < n) {
		uint32_t cp = utf8_next(p, n, &i);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			h = 31 * h + (0xD800 + (cp >> 10));
			h = 31 * h + (0xDC00 + (cp & 0x3FF));
		} else {
			h = 31 * h + cp;
		}
	}
	return (int32_t)h;
}

int32_t offsets_log_partition_for(kstr group, int32_t nparts)
{
	if (nparts <= 0)
		return 0;
	int32_t h = offsets_log_java_hash(group);
	/* Utils.abs: INT_MIN maps to 0 (h & 0x7fffffff would not). */
	int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
	return a % nparts;
}

void offsets_log_batch_init(offsets_log_batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->data, OLOG_BATCH_MAX);
}

void offsets_log_batch_release(offsets_log_batch *b)
{
	buf_release(&b->data);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

static struct olog_rec *olog_new_rec(offsets_log_batch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->recs = xrealloc(b->recs, st_mult(sizeof(*b->recs), (size_t)b->cap));
	}
	struct olog_rec *r = &b->recs[b->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

void offsets_log_add_commit(offsets_log_batch *b, kstr group, kstr topic, int32_t partition,
			    const offset_value *v)
{
	struct olog_rec *r = olog_new_rec(b);
	kmsg_OffsetCommitKey k;
	kmsg_OffsetCommitKey_init(&k);
	k.group = group;
	k.topic = topic;
	k.partition = partition;
	r->key_off = b->data.len;
	buf_i16(&b->data, OLOG_KEY_COMMIT);
	kmsg_OffsetCommitKey_encode(&k, &b->data, OLOG_KEY_COMMIT);
	r->key_len = b->data.len - r->key_off;
	r->val_off = b->data.len;
	if (!v) {
		r->val_len = -1;
		return;
	}
	kmsg_OffsetCommitValue cv;
	kmsg_OffsetCommitValue_init(&cv);
	cv.offset = v->offset;
	cv.leaderEpoch = v->leader_epoch;
	cv.metadata = kstr_is_null(v->metadata) ? KSTR_EMPTY : v->metadata;
	cv.commitTimestamp = v->commit_ts;
	cv.expireTimestamp = v->expire_ts;
	int16_t ver = v->expire_ts != -1 ? OLOG_VALUE_COMMIT_EXPIRE : OLOG_VALUE_COMMIT;
	buf_i16(&b->data, ver);
	kmsg_OffsetCommitValue_encode(&cv, &b->data, ver);
	r->val_len = (int32_t)(b->data.len - r->val_off);
}

void offsets_log_add_group(offsets_log_batch *b, kstr group, const kmsg_GroupMetadataValue *v)
{
	struct olog_rec *r = olog_new_rec(b);
	kmsg_GroupMetadataKey k;
	kmsg_GroupMetadataKey_init(&k);
	k.group = group;
	r->key_off = b->data.len;
	buf_i16(&b->data, OLOG_KEY_GROUP);
	kmsg_GroupMetadataKey_encode(&k, &b->data, OLOG_KEY_GROUP);
	r->key_len = b->data.len - r->key_off;
	r->val_off = b->data.len;
	if (!v) {
		r->val_len = -1;
		return;
	}
	buf_i16(&b->data, OLOG_VALUE_GROUP);
	kmsg_GroupMetadataValue_encode(v, &b->data, OLOG_VALUE_GROUP);
	r->val_len = (int32_t)(b->data.len - r->val_off);
}

int offsets_log_build(const offsets_log_batch *b, int64_t now_ms, buf *out)
{
	if (b->n <= 0 || b->data.err)
		return -1;
	rb_record *recs;
	XCALLOC_ARRAY(recs, (size_t)b->n);
	for (int32_t i = 0; i < b->n; i++) {
		const struct olog_rec *r = &b->recs[i];
		recs[i].key = (kbytes){ b->data.data + r->key_off, (int32_t)r->key_len };
		recs[i].value = r->val_len < 0 ? (kbytes){ NULL, -1 }
					       : (kbytes){ b->data.data + r->val_off, r->val_len };
		recs[i].timestamp = now_ms;
	}
	rb_batch_opts o;
	rbuild_opts_init(&o);
	int rc = rbuild_batch(out, &o, recs, b->n);
	free(recs);
	return rc == 0 && !out->err ? 0 : -1;
}

/* Opens a record value: 1 for a tombstone (null value; out->tombstone set),
 * 0 with vs positioned after its INT16 version (out->value_version), or -1
 * when the value is too short for one. */
static int value_open(kbytes value, slice *vs, offsets_log_record *out)
{
	if (value.len < 0) {
		out->tombstone = true;
		return 1;
	}
	slice_init(vs, value.p, (size_t)value.len);
	out->value_version = slice_i16(vs);
	return vs->err ? -1 : 0;
}

static int olog_decode_commit(int16_t kv, slice *ks, kbytes value, arena *a,
			      offsets_log_record *out)
{
	kmsg_OffsetCommitKey k;
	if (kmsg_OffsetCommitKey_decode(&k, ks, kv, a) != 0)
		return -1;
	out->kind = OLOG_COMMIT;
	out->group = k.group;
	out->topic = k.topic;
	out->partition = k.partition;
	slice vs;
	int rc = value_open(value, &vs, out);
	if (rc)
		return rc > 0 ? 0 : -1;
	return kmsg_OffsetCommitValue_decode(&out->commit, &vs, out->value_version, a);
}

static int olog_decode_group(int16_t kv, slice *ks, kbytes value, arena *a,
			     offsets_log_record *out)
{
	kmsg_GroupMetadataKey k;
	if (kmsg_GroupMetadataKey_decode(&k, ks, kv, a) != 0)
		return -1;
	out->kind = OLOG_GROUP;
	out->group = k.group;
	slice vs;
	int rc = value_open(value, &vs, out);
	if (rc)
		return rc > 0 ? 0 : -1;
	return kmsg_GroupMetadataValue_decode(&out->meta, &vs, out->value_version, a);
}

int offsets_log_decode(kbytes key, kbytes value, arena *a, offsets_log_record *out)
{
	memset(out, 0, sizeof(*out));
	if (key.len < 0)
		return -1;
	slice ks;
	slice_init(&ks, key.p, (size_t)key.len);
	out->key_version = slice_i16(&ks);
	if (ks.err)
		return -1;
	switch (out->key_version) {
	case 0:
	case 1:
		return olog_decode_commit(out->key_version, &ks, value, a, out);
	case 2:
		return olog_decode_group(out->key_version, &ks, value, a, out);
	default:
		out->kind = OLOG_UNKNOWN;
		return 0;
	}
}
