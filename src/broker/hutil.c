/*
 * hutil.c: helpers shared by the request handlers. See hutil.h.
 */
#include "broker/hutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct dup_key {
	int type;
	kstr name;
	int i;
} dup_key;

static int dup_key_cmp(const void *x, const void *y)
{
	const dup_key *a = x, *b = y;
	int c;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->name.len != b->name.len)
		return a->name.len < b->name.len ? -1 : 1;
	c = a->name.len > 0 ? memcmp(a->name.p, b->name.p, (size_t)a->name.len) : 0;
	return c ? c : (a->i > b->i) - (a->i < b->i);
}

bool *hutil_mark_duplicates(arena *a, const int8_t *types, const kstr *names, int n)
{
	bool *dup = arena_calloc(a, (size_t)n + 1, sizeof(*dup));
	dup_key *v = arena_calloc(a, (size_t)n + 1, sizeof(*v));
	int m = 0;

	for (int i = 0; i < n; i++)
		if (!kstr_is_null(names[i]))
			v[m++] = (dup_key){ types ? types[i] : 0, names[i], i };
	qsort(v, (size_t)m, sizeof(*v), dup_key_cmp);
	for (int i = 1; i < m; i++) {
		if (v[i].type == v[i - 1].type && kstr_eq(v[i].name, v[i - 1].name)) {
			dup[v[i].i] = true;
			dup[v[i - 1].i] = true;
		}
	}
	return dup;
}
