/*
 * arena.c: bump allocator in a chain of blocks. See arena.h.
 */
#include "core/arena.h"

#include "core/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 8192
#define ARENA_ALIGN 16

struct block {
	struct block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct block *head;
	size_t total;
	size_t limit; /* 0: none */
};

arena *arena_new(void)
{
	return xcalloc(1, sizeof(arena));
}

static void free_blocks(struct block *b)
{
	while (b) {
		struct block *n = b->next;

		free(b);
		b = n;
	}
}

void arena_free(arena *a)
{
	if (!a)
		return;
	free_blocks(a->head);
	free(a);
}

void arena_reset(arena *a)
{
	struct block *last = a->head;

	if (!last)
		return;
	/* keep the oldest (usually the standard-size) block */
	while (last->next)
		last = last->next;
	for (struct block *b = a->head; b != last;) {
		struct block *n = b->next;

		free(b);
		b = n;
	}
	a->head = last;
	last->used = 0;
	a->total = 0;
}

void *arena_alloc(arena *a, size_t n)
{
	struct block *b = a->head;
	size_t need = st_add(n, ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (!b || b->size - b->used < need) {
		size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;

		b = xmalloc(st_add(sizeof(*b), size));
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += need;
	a->total += need;
	memset(p, 0, n);
	return p;
}

void *arena_calloc(arena *a, size_t count, size_t size)
{
	return arena_alloc(a, st_mult(count, size));
}

void arena_set_limit(arena *a, size_t max)
{
	a->limit = max;
}

void *arena_try_calloc(arena *a, size_t count, size_t size)
{
	size_t n;

	if (size && count > SIZE_MAX / size)
		return NULL;
	n = count * size;
	if (a->limit && (n > a->limit || a->total > a->limit - n))
		return NULL;
	return arena_alloc(a, n);
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, st_add(n, 1));

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

size_t arena_used(const arena *a)
{
	return a->total;
}
