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

/*
 * Events. LOOP_HUP is never asked for: it is added to whatever was asked
 * for when the fd reports a hang-up or an error (EPOLLHUP/EPOLLERR), and is
 * delivered even when nothing is watched, so a paused reader still learns
 * that its peer is gone instead of the loop spinning on the condition.
 */
enum { LOOP_READ = 1, LOOP_WRITE = 2, LOOP_HUP = 4 };

typedef void loop_fd_cb(loop *l, int fd, int events, void *ud);
typedef void loop_timer_cb(loop *l, void *ud);
typedef void loop_hook_cb(loop *l, void *ud);
typedef void loop_signal_cb(loop *l, int sig, void *ud);

/* A new loop (epoll instance, wake eventfd, timer heap). NULL (with a log
 * line) if the kernel refuses the descriptors. */
loop *loop_new(void);
/* Frees the loop. Registered fds are not closed (their owners close them);
 * pending timers are dropped without running. */
void loop_free(loop *l);

/*
 * Watches fd for events (LOOP_READ|LOOP_WRITE, possibly 0) and calls cb when
 * one is ready (level-triggered). One registration per fd. Returns 0 or -1
 * (errno set; EEXIST if fd is already watched).
 */
int loop_add_fd(loop *l, int fd, int events, loop_fd_cb *cb, void *ud);
/* Changes the events watched on a registered fd. Returns 0 or -1 (errno). */
int loop_mod_fd(loop *l, int fd, int events);
/* Stops watching fd (call before close()). Events already collected for it
 * in this iteration are not delivered, even if the number is reused. */
void loop_del_fd(loop *l, int fd);

/* Calls cb once after delay_ms (< 0 counts as 0), measured from loop_now().
 * A timer added from a timer callback runs in the next iteration at the
 * earliest. Returns a non-zero id for loop_timer_cancel. */
uint64_t loop_timer_add(loop *l, int64_t delay_ms, loop_timer_cb *cb, void *ud);
/* Cancels a pending timer; ids that already fired or are 0 are ignored. */
void loop_timer_cancel(loop *l, uint64_t id);

/* Runs cb every iteration just before the loop sleeps (group commit hands
 * its batch to the flusher here). One hook per slot; at most 8. Returns 0,
 * or -1 when all slots are taken. */
int loop_add_before_sleep(loop *l, loop_hook_cb *cb, void *ud);

/* Runs until loop_stop(), then clears the stop flag. Returns 0. */
int loop_run(loop *l);
/* Makes loop_run() return after the current iteration. Thread-safe and
 * async-signal-safe (an atomic flag plus loop_wake()). */
void loop_stop(loop *l);
/* Runs one iteration: runs the hooks, waits at most timeout_ms (-1: until
 * the next timer, or forever when there is none) for events, then
 * dispatches them and the due timers. Returns the number of fd events and
 * timers dispatched, or -1 if epoll_wait failed (errno). */
int loop_run_once(loop *l, int timeout_ms);
/* Thread-safe: wakes the loop from epoll_wait (signal handlers may call it:
 * it is one write() to an eventfd, and it keeps errno). */
void loop_wake(loop *l);

/*
 * Delivers SIGINT and SIGTERM through a signalfd: cb(l, sig, ud) runs on the
 * loop thread, where it may do anything (e.g. start a clean shutdown). The
 * signals are blocked in the calling thread; call this before starting other
 * threads so they inherit the mask and the signals reach the signalfd.
 * loop_free() restores the old mask. One watcher per loop. Returns 0 or -1.
 */
int loop_watch_signals(loop *l, loop_signal_cb *cb, void *ud);

/* Monotonic time in ms, cached once per iteration. */
int64_t loop_now(loop *l);

#endif
