/*
 * gmap.h: a small hash map from byte-string keys to pointers, for the group
 * coordinator's tables (groups by id, committed offsets by topic+partition).
 *
 * Chained buckets, FNV-1a hashing, doubling when the load passes 1. Keys are
 * copied into the entry; values are opaque pointers the caller owns (the map
 * never frees them). Iteration visits every entry once in an unspecified
 * order; removing entries while iterating is not allowed (collect the keys
 * first). Loop thread only, like the rest of the coordinator.
 */
#ifndef TM_GMAP_H
#define TM_GMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gmap gmap;

typedef struct gmap_iter {
	size_t bucket;
	void *entry; /* private */
} gmap_iter;

gmap *gmap_new(void);
/* Frees the map and its keys, not the values. */
void gmap_free(gmap *m);
size_t gmap_count(const gmap *m);
/* The value stored under key (len bytes), or NULL. */
void *gmap_get(const gmap *m, const void *key, size_t len);
/* Stores value under key, replacing (and returning) any previous value;
 * NULL when the key was new. */
void *gmap_put(gmap *m, const void *key, size_t len, void *value);
/* Removes key; returns its value or NULL when absent. */
void *gmap_del(gmap *m, const void *key, size_t len);

/* Iteration: gmap_iter_init then gmap_next until it returns false. The key
 * and value out-parameters are optional; *key stays valid while the entry
 * is in the map. */
void gmap_iter_init(gmap_iter *it);
bool gmap_next(const gmap *m, gmap_iter *it, const void **key, size_t *len, void **value);

#endif
