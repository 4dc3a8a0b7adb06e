/*
 * hutil.c: helpers shared by the request handlers. See hutil.h.
 */
#include "broker/hutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kstr hutil_msgf(arena *a, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KSTR_NULL;
	if ((size_t)n >= sizeof tmp)
		n = (int)sizeof tmp - 1;
	return (kstr){ arena_strndup(a, tmp, (size_t)n), n };
}

typedef struct dup_key {
	int32_t type;
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

uint8_t *hutil_classify_duplicates(arena *a, const int32_t *types, const kstr *names, int n,
				   int *nresults)
{
	uint8_t *cls = arena_calloc(a, (size_t)n + 1, sizeof(*cls));
	dup_key *v = arena_calloc(a, (size_t)n + 1, sizeof(*v));
	int m = 0;

	for (int i = 0; i < n; i++)
		if (!kstr_is_null(names[i]))
			v[m++] = (dup_key){ types ? types[i] : 0, names[i], i };
	/* equal keys end up side by side, in request order (the index breaks ties) */
	qsort(v, (size_t)m, sizeof(*v), dup_key_cmp);
	*nresults = n;
	for (int i = 1; i < m; i++) {
		if (v[i].type == v[i - 1].type && kstr_eq(v[i].name, v[i - 1].name)) {
			if (cls[v[i - 1].i] == HUTIL_UNIQUE)
				cls[v[i - 1].i] = HUTIL_DUP_FIRST;
			cls[v[i].i] = HUTIL_DUP_LATER;
			(*nresults)--;
		}
	}
	return cls;
}

bool *hutil_mark_duplicates(arena *a, const int32_t *types, const kstr *names, int n)
{
	int nres;
	uint8_t *cls = hutil_classify_duplicates(a, types, names, n, &nres);
	bool *dup = arena_calloc(a, (size_t)n + 1, sizeof(*dup));

	for (int i = 0; i < n; i++)
		dup[i] = cls[i] != HUTIL_UNIQUE;
	return dup;
}
