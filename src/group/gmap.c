/*
 * gmap.c: chained hash map with byte-string keys (see gmap.h).
 *
 * Each entry is one allocation holding the key bytes after the header.
 * The bucket count is a power of two; the map doubles when it holds more
 * entries than buckets, so chains stay short on average.
 */
#include "group/gmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

typedef struct gentry {
	struct gentry *next;
	uint64_t hash;
	void *value;
	size_t len;
	unsigned char key[];
} gentry;

struct gmap {
	gentry **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
};

static uint64_t gmap_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

gmap *gmap_new(void)
{
	gmap *m = xcalloc(1, sizeof(*m));
	m->nbuckets = 16;
	XCALLOC_ARRAY(m->buckets, m->nbuckets);
	return m;
}

void gmap_free(gmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		gentry *e = m->buckets[i];
		while (e) {
			gentry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(m->buckets);
	free(m);
}

size_t gmap_count(const gmap *m)
{
	return m->count;
}

static gentry **gmap_find(const gmap *m, const void *key, size_t len, uint64_t h)
{
	gentry **pp = &m->buckets[h & (m->nbuckets - 1)];
	while (*pp) {
		gentry *e = *pp;
		if (e->hash == h && e->len == len && (len == 0 || memcmp(e->key, key, len) == 0))
			return pp;
		pp = &e->next;
	}
	return pp;
}

void *gmap_get(const gmap *m, const void *key, size_t len)
{
	gentry **pp = gmap_find(m, key, len, gmap_hash(key, len));
	return *pp ? (*pp)->value : NULL;
}

static void gmap_grow(gmap *m)
{
	size_t n = st_mult(m->nbuckets, 2);
	gentry **nb;
	XCALLOC_ARRAY(nb, n);
	for (size_t i = 0; i < m->nbuckets; i++) {
		gentry *e = m->buckets[i];
		while (e) {
			gentry *next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
}

void *gmap_put(gmap *m, const void *key, size_t len, void *value)
{
	uint64_t h = gmap_hash(key, len);
	gentry **pp = gmap_find(m, key, len, h);
	if (*pp) {
		void *old = (*pp)->value;
		(*pp)->value = value;
		return old;
	}
	gentry *e = xmalloc(st_add(sizeof(*e), len));
	e->next = NULL;
	e->hash = h;
	e->value = value;
	e->len = len;
	if (len)
		memcpy(e->key, key, len);
	*pp = e;
	m->count++;
	if (m->count > m->nbuckets)
		gmap_grow(m);
	return NULL;
}

void *gmap_del(gmap *m, const void *key, size_t len)
{
	gentry **pp = gmap_find(m, key, len, gmap_hash(key, len));
	gentry *e = *pp;
	if (!e)
		return NULL;
	void *v = e->value;
	*pp = e->next;
	free(e);
	m->count--;
	return v;
}

void gmap_iter_init(gmap_iter *it)
{
	it->bucket = 0;
	it->entry = NULL;
}

bool gmap_next(const gmap *m, gmap_iter *it, const void **key, size_t *len, void **value)
{
	gentry *e = it->entry ? ((gentry *)it->entry)->next : NULL;
	if (it->entry && !e)
		it->bucket++;
	while (!e && it->bucket < m->nbuckets) {
		e = m->buckets[it->bucket];
		if (!e)
			it->bucket++;
	}
	it->entry = e;
	if (!e) {
		it->bucket = m->nbuckets;
		return false;
	}
	if (key)
		*key = e->key;
	if (len)
		*len = e->len;
	if (value)
		*value = e->value;
	return true;
}
