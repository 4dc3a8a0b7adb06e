/*
 * timer.c: the timer heap. See timer.h.
 *
 * Invariants:
 *   - heap[0..nheap) holds the slot numbers of pending timers, and for every
 *     i > 0 the node of heap[(i-1)/2] sorts before the node of heap[i];
 *   - nodes[s].heap_idx == i exactly when heap[i] == s; free slots have
 *     heap_idx == TIMER_FREE and are chained through next_free.
 */
#include "net/timer.h"

#include <stdlib.h>

#include "core/xalloc.h"

#define TIMER_FREE UINT32_MAX
#define TIMER_NONE UINT32_MAX

struct timer_node {
	int64_t deadline;
	uint64_t seq;
	loop_timer_cb *cb;
	void *ud;
	uint32_t heap_idx; /* TIMER_FREE when the slot is free */
	uint32_t gen;
	uint32_t next_free;
};

struct timer {
	struct timer_node *nodes;
	uint32_t nnodes, nodes_cap;
	uint32_t free_head; /* TIMER_NONE: no free slot */
	uint32_t *heap;     /* slot numbers; capacity nodes_cap */
	uint32_t nheap;
	uint64_t next_seq;
};

timer *timer_new(void)
{
	timer *t = xcalloc(1, sizeof(*t));

	t->free_head = TIMER_NONE;
	t->next_seq = 1;
	return t;
}

void timer_free(timer *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->heap);
	free(t);
}

static bool node_less(const timer *t, uint32_t a, uint32_t b)
{
	const struct timer_node *x = &t->nodes[a], *y = &t->nodes[b];

	if (x->deadline != y->deadline)
		return x->deadline < y->deadline;
	return x->seq < y->seq;
}

static void heap_set(timer *t, uint32_t i, uint32_t slot)
{
	t->heap[i] = slot;
	t->nodes[slot].heap_idx = i;
}

static void sift_up(timer *t, uint32_t i)
{
	uint32_t slot = t->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!node_less(t, slot, t->heap[parent]))
			break;
		heap_set(t, i, t->heap[parent]);
		i = parent;
	}
	heap_set(t, i, slot);
}

static void sift_down(timer *t, uint32_t i)
{
	uint32_t slot = t->heap[i];

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m;

		if (l >= t->nheap)
			break;
		m = (r < t->nheap && node_less(t, t->heap[r], t->heap[l])) ? r : l;
		if (!node_less(t, t->heap[m], slot))
			break;
		heap_set(t, i, t->heap[m]);
		i = m;
	}
	heap_set(t, i, slot);
}

/* Takes slot s out of the heap and puts it on the free list. */
static void heap_remove(timer *t, uint32_t s)
{
	uint32_t i = t->nodes[s].heap_idx;
	uint32_t last = t->heap[--t->nheap];

	if (i != t->nheap) {
		heap_set(t, i, last);
		if (i > 0 && node_less(t, last, t->heap[(i - 1) / 2]))
			sift_up(t, i);
		else
			sift_down(t, i);
	}
	t->nodes[s].heap_idx = TIMER_FREE;
	t->nodes[s].gen++;
	t->nodes[s].cb = NULL;
	t->nodes[s].ud = NULL;
	t->nodes[s].next_free = t->free_head;
	t->free_head = s;
}

static uint32_t slot_alloc(timer *t)
{
	uint32_t s;

	if (t->free_head != TIMER_NONE) {
		s = t->free_head;
		t->free_head = t->nodes[s].next_free;
		return s;
	}
	if (t->nnodes == t->nodes_cap) {
		uint32_t cap = t->nodes_cap ? t->nodes_cap * 2 : 64;

		/* Slot numbers must stay below the sentinels. */
		if (cap <= t->nodes_cap || cap >= TIMER_FREE - 1)
			abort();
		t->nodes = xrealloc(t->nodes, st_mult(cap, sizeof(*t->nodes)));
		t->heap = xrealloc(t->heap, st_mult(cap, sizeof(*t->heap)));
		t->nodes_cap = cap;
	}
	s = t->nnodes++;
	t->nodes[s].gen = 0;
	return s;
}

uint64_t timer_add(timer *t, int64_t deadline, loop_timer_cb *cb, void *ud)
{
	uint32_t s = slot_alloc(t);
	struct timer_node *n = &t->nodes[s];

	n->deadline = deadline;
	n->seq = t->next_seq++;
	n->cb = cb;
	n->ud = ud;
	t->heap[t->nheap] = s;
	n->heap_idx = t->nheap++;
	sift_up(t, n->heap_idx);
	return (uint64_t)n->gen << 32 | ((uint64_t)s + 1);
}

bool timer_cancel(timer *t, uint64_t id)
{
	uint64_t s1 = id & 0xffffffffu;
	uint32_t s;

	if (s1 == 0 || s1 > t->nnodes)
		return false;
	s = (uint32_t)(s1 - 1);
	if (t->nodes[s].heap_idx == TIMER_FREE || t->nodes[s].gen != (uint32_t)(id >> 32))
		return false;
	heap_remove(t, s);
	return true;
}

size_t timer_count(const timer *t)
{
	return t->nheap;
}

bool timer_next(const timer *t, int64_t *deadline)
{
	if (t->nheap == 0)
		return false;
	*deadline = t->nodes[t->heap[0]].deadline;
	return true;
}

uint64_t timer_seq(const timer *t)
{
	return t->next_seq;
}

bool timer_pop(timer *t, int64_t now, uint64_t before_seq, loop_timer_cb **cb, void **ud)
{
	struct timer_node *n;
	uint32_t s;

	if (t->nheap == 0)
		return false;
	s = t->heap[0];
	n = &t->nodes[s];
	/*
	 * Timers added during this pass sort after every older one with the
	 * same or an earlier deadline, so stopping at the first young timer
	 * never skips a due old one.
	 */
	if (n->deadline > now || n->seq >= before_seq)
		return false;
	*cb = n->cb;
	*ud = n->ud;
	heap_remove(t, s);
	return true;
}
