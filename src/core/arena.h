/*
 * arena.h: a per-request bump allocator.
 *
 * Decoded requests live in an arena that is freed whole once the response is
 * queued (nginx's pools). Allocations are 16-byte aligned and zeroed.
 * arena_alloc() aborts on OOM like xmalloc(); callers bound counts against
 * the bytes present before asking for count * size (see slice.h).
 */
#ifndef TM_ARENA_H
#define TM_ARENA_H

#include <stddef.h>

typedef struct arena arena;

arena *arena_new(void);
void arena_free(arena *a);
/* Frees everything allocated so far, keeping the first block for reuse. */
void arena_reset(arena *a);
/* Returns n zeroed bytes, valid until arena_reset/arena_free. */
void *arena_alloc(arena *a, size_t n);
/* count * size zeroed bytes, overflow-checked. */
void *arena_calloc(arena *a, size_t count, size_t size);
/* Copies n bytes (plus a NUL) into the arena. */
char *arena_strndup(arena *a, const char *s, size_t n);
/* Caps the bytes arena_try_calloc() may hand out (0: no cap). Decoders of
 * peer input allocate through it, so a hostile element count that passes
 * the bytes-left check still cannot make a request cost unbounded memory. */
void arena_set_limit(arena *a, size_t max);
/* Like arena_calloc, but returns NULL past the limit or on size overflow. */
void *arena_try_calloc(arena *a, size_t count, size_t size);
/* Bytes handed out since the last reset (for metrics and limits). */
size_t arena_used(const arena *a);

#endif
