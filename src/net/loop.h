/*
 * loop.h: the event loop (epoll), timers (a binary heap) and hooks.
 *
 * One loop thread owns every socket and all broker state; nothing here is
 * thread-safe except loop_wake(). Timers use the monotonic clock. Callbacks
 * may add and remove fds and timers, including their own.
 */
#ifndef TM_LOOP_H
#define TM_LOOP_H

#include <stdint.h>

typedef struct loop loop;

enum { LOOP_READ = 1, LOOP_WRITE = 2 };

typedef void loop_fd_cb(loop *l, int fd, int events, void *ud);
typedef void loop_timer_cb(loop *l, void *ud);
typedef void loop_hook_cb(loop *l, void *ud);

loop *loop_new(void);
void loop_free(loop *l);

/* Watches fd for events (LOOP_READ|LOOP_WRITE). Returns 0 or -1 (errno). */
int loop_add_fd(loop *l, int fd, int events, loop_fd_cb *cb, void *ud);
int loop_mod_fd(loop *l, int fd, int events);
void loop_del_fd(loop *l, int fd);

/* Calls cb once after delay_ms. Returns a non-zero id for loop_timer_cancel. */
uint64_t loop_timer_add(loop *l, int64_t delay_ms, loop_timer_cb *cb, void *ud);
/* Cancels a pending timer; ids that already fired or are 0 are ignored. */
void loop_timer_cancel(loop *l, uint64_t id);

/* Runs cb every iteration just before the loop sleeps (group commit hands
 * its batch to the flusher here). One hook per slot; at most 8. */
int loop_add_before_sleep(loop *l, loop_hook_cb *cb, void *ud);

/* Runs until loop_stop(). Returns 0. */
int loop_run(loop *l);
void loop_stop(loop *l);
/* Runs one iteration: waits at most timeout_ms (-1: until the next timer)
 * for events, dispatches them and due timers, runs the hooks. For tests. */
int loop_run_once(loop *l, int timeout_ms);
/* Thread-safe: wakes the loop from epoll_wait (signal handlers may call it). */
void loop_wake(loop *l);

/* Monotonic time in ms, cached once per iteration. */
int64_t loop_now(loop *l);

#endif
