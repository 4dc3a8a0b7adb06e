/*
 * timer.h: one-shot timers in a binary min-heap (the loop's timer store).
 *
 * Timers are ordered by (deadline, sequence): equal deadlines fire in the
 * order they were added. Nodes live in a slot table with a free list; the
 * heap holds slot numbers and every node remembers its heap position, so
 * cancelling is O(log n) with no search (nginx keeps an rbtree for the same
 * reason: src/event/ngx_event_timer.h). An id is (generation << 32 | slot+1):
 * the generation changes each time a slot is reused, so a stale id (a timer
 * that fired or was cancelled) is recognised and ignored. A generation wraps
 * only after 2^32 reuses of one slot.
 *
 * Not thread-safe; the loop thread owns it.
 */
#ifndef TM_TIMER_H
#define TM_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loop.h"

typedef struct timer timer;

/* A new, empty timer store. Never NULL (aborts on OOM). */
timer *timer_new(void);
/* Frees the store and every pending timer (their callbacks are not run). */
void timer_free(timer *t);

/* Adds a timer due at deadline (ms, caller's clock). Returns its id (non-zero). */
uint64_t timer_add(timer *t, int64_t deadline, loop_timer_cb *cb, void *ud);
/* Cancels a pending timer. Returns true if it was pending; ids that fired,
 * were cancelled already, or are 0 return false. */
bool timer_cancel(timer *t, uint64_t id);

/* Number of pending timers. */
size_t timer_count(const timer *t);
/* The earliest deadline, or false when no timer is pending. */
bool timer_next(const timer *t, int64_t *deadline);
/* A sequence number: timers added from now on compare >= it (see timer_pop). */
uint64_t timer_seq(const timer *t);
/*
 * Removes the earliest timer if its deadline is <= now and it was added
 * before sequence point before_seq (from timer_seq(); pass UINT64_MAX for no
 * limit), and returns its callback in *cb and *ud. The timer is gone before
 * the caller runs cb, so cb may add timers (they wait for the next pass when
 * the caller took before_seq first) and cancel any timer, its own id
 * included (a no-op). Returns false when nothing is due.
 */
bool timer_pop(timer *t, int64_t now, uint64_t before_seq, loop_timer_cb **cb, void **ud);

#endif
