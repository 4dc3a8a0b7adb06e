/*
 * offsets.c: the committed offsets of one group (see offsets.h).
 *
 * A gmap keyed by partition (4 bytes, big-endian) followed by the topic
 * bytes. Each value is an oentry that owns copies of the topic and metadata.
 * An oentry is freed as soon as it has neither a value nor a commit in
 * flight, so the map never fills with dead keys.
 */
#include "group/offsets.h"

#include <stdlib.h>
#include <string.h>

#include "core/slice.h"
#include "core/xalloc.h"
#include "group/gmap.h"

typedef struct oentry {
	char *topic;
	int32_t topic_len;
	int32_t partition;
	bool has_value;
	offset_value v;
	char *meta; /* owned copy behind v.metadata */
	int32_t pending;
} oentry;

struct offsets {
	gmap *map;
	int32_t nvalues;
	int32_t npending; /* entries with pending > 0 */
};

/* Key bytes: partition then topic. Topic names are short (Kafka caps them
 * at 249 bytes), but replayed records may carry anything: fall back to the
 * heap for long ones. */
typedef struct okey {
	uint8_t small[4 + 256];
	uint8_t *p;
	size_t len;
} okey;

static void okey_make(okey *k, kstr topic, int32_t partition)
{
	size_t tl = topic.len > 0 ? (size_t)topic.len : 0;
	k->len = 4 + tl;
	k->p = k->len <= sizeof(k->small) ? k->small : xmalloc(k->len);
	be32_put(k->p, (uint32_t)partition);
	if (tl)
		memcpy(k->p + 4, topic.p, tl);
}

static void okey_release(okey *k)
{
	if (k->p != k->small)
		free(k->p);
}

offsets *offsets_new(void)
{
	offsets *o = xcalloc(1, sizeof(*o));
	o->map = gmap_new();
	return o;
}

static void oentry_free(oentry *e)
{
	free(e->topic);
	free(e->meta);
	free(e);
}

void offsets_free(offsets *o)
{
	if (!o)
		return;
	gmap_iter it;
	void *v;
	gmap_iter_init(&it);
	while (gmap_next(o->map, &it, NULL, NULL, &v))
		oentry_free(v);
	gmap_free(o->map);
	free(o);
}

int32_t offsets_count(const offsets *o)
{
	return o->nvalues;
}

static oentry *offsets_lookup(const offsets *o, kstr topic, int32_t partition)
{
	okey k;
	okey_make(&k, topic, partition);
	oentry *e = gmap_get(o->map, k.p, k.len);
	okey_release(&k);
	return e;
}

static oentry *offsets_lookup_or_add(offsets *o, kstr topic, int32_t partition)
{
	okey k;
	okey_make(&k, topic, partition);
	oentry *e = gmap_get(o->map, k.p, k.len);
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->topic_len = topic.len > 0 ? topic.len : 0;
		e->topic = xstrndup(topic.len > 0 ? topic.p : "", (size_t)e->topic_len);
		e->partition = partition;
		gmap_put(o->map, k.p, k.len, e);
	}
	okey_release(&k);
	return e;
}

/* Frees e when it holds nothing any more. */
static void offsets_maybe_drop(offsets *o, oentry *e)
{
	if (e->has_value || e->pending > 0)
		return;
	okey k;
	okey_make(&k, (kstr){ e->topic, e->topic_len }, e->partition);
	gmap_del(o->map, k.p, k.len);
	okey_release(&k);
	oentry_free(e);
}

const offset_value *offsets_get(const offsets *o, kstr topic, int32_t partition)
{
	oentry *e = offsets_lookup(o, topic, partition);
	return e && e->has_value ? &e->v : NULL;
}

void offsets_put(offsets *o, kstr topic, int32_t partition, const offset_value *v)
{
	oentry *e = offsets_lookup_or_add(o, topic, partition);
	int32_t ml = v->metadata.len > 0 ? v->metadata.len : 0;
	char *meta = xstrndup(ml ? v->metadata.p : "", (size_t)ml);
	free(e->meta);
	e->meta = meta;
	e->v = *v;
	e->v.metadata = (kstr){ e->meta, ml };
	if (!e->has_value)
		o->nvalues++;
	e->has_value = true;
}

bool offsets_del(offsets *o, kstr topic, int32_t partition)
{
	oentry *e = offsets_lookup(o, topic, partition);
	if (!e || !e->has_value)
		return false;
	e->has_value = false;
	o->nvalues--;
	offsets_maybe_drop(o, e);
	return true;
}

int32_t offsets_pending(const offsets *o, kstr topic, int32_t partition)
{
	oentry *e = offsets_lookup(o, topic, partition);
	return e ? e->pending : 0;
}

void offsets_pending_add(offsets *o, kstr topic, int32_t partition, int32_t delta)
{
	oentry *e = offsets_lookup_or_add(o, topic, partition);
	bool was = e->pending > 0;
	e->pending += delta;
	if (e->pending < 0)
		e->pending = 0; /* NEVER: a completion without a start */
	bool now = e->pending > 0;
	o->npending += (int32_t)now - (int32_t)was;
	offsets_maybe_drop(o, e);
}

bool offsets_any_pending(const offsets *o)
{
	return o->npending > 0;
}

static int offset_entry_cmp(const void *a, const void *b)
{
	const offset_entry *x = a, *y = b;
	int32_t n = x->topic.len < y->topic.len ? x->topic.len : y->topic.len;
	int c = n > 0 ? memcmp(x->topic.p, y->topic.p, (size_t)n) : 0;
	if (c)
		return c;
	if (x->topic.len != y->topic.len)
		return x->topic.len < y->topic.len ? -1 : 1;
	return (x->partition > y->partition) - (x->partition < y->partition);
}

offset_entry *offsets_sorted(const offsets *o, bool with_pending, int32_t *n)
{
	size_t cap = gmap_count(o->map), k = 0;
	offset_entry *out;
	XALLOC_ARRAY(out, cap ? cap : 1);
	gmap_iter it;
	void *v;
	gmap_iter_init(&it);
	while (gmap_next(o->map, &it, NULL, NULL, &v)) {
		oentry *e = v;
		if (!e->has_value && !with_pending)
			continue;
		out[k].topic = (kstr){ e->topic, e->topic_len };
		out[k].partition = e->partition;
		out[k].has_value = e->has_value;
		out[k].v = e->v;
		out[k].pending = e->pending;
		k++;
	}
	qsort(out, k, sizeof(*out), offset_entry_cmp);
	*n = (int32_t)k;
	return out;
}
