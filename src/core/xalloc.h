/*
 * xalloc.h: allocation that never returns NULL, and overflow-checked sizes.
 *
 * xmalloc() and friends abort on out-of-memory. That is only safe because no
 * size chosen by a peer or read from disk reaches them uncapped: callers check
 * lengths against the bytes actually present (see slice.h) or a configured
 * maximum first. Size arithmetic goes through st_add()/st_mult(), which abort
 * on overflow (like git's git-compat-util.h) because an overflow there is a
 * bug in our own checks, not input.
 */
#ifndef TM_XALLOC_H
#define TM_XALLOC_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* a + b, aborting on overflow. */
size_t st_add(size_t a, size_t b);
/* a * b, aborting on overflow. */
size_t st_mult(size_t a, size_t b);

#define XALLOC_ARRAY(p, n) ((p) = xmalloc(st_mult(sizeof(*(p)), (n))))
#define XCALLOC_ARRAY(p, n) ((p) = xcalloc((n), sizeof(*(p))))

#endif
