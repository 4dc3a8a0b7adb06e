/*
 * test_loop.c: the event loop and the timer heap (net/loop.c, net/timer.c).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/clock.h"
#include "net/loop.h"
#include "net/timer.h"
#include "testhelp.h"

/* ---- timer heap, directly ---- */

static void nop_cb(loop *l, void *ud)
{
	(void)l;
	(void)ud;
}

TEST(heap_order_and_cancel)
{
	timer *t = timer_new();
	uint64_t ids[1000];
	loop_timer_cb *cb;
	void *ud;
	int64_t last = -1, dl;
	int n = 0;

	/* Pseudo-random deadlines, with many equal ones. */
	for (int i = 0; i < 1000; i++)
		ids[i] = timer_add(t, (i * 7919) % 101, nop_cb, (void *)(intptr_t)i);
	/* Cancel every third; cancelling twice is a no-op. */
	for (int i = 0; i < 1000; i += 3) {
		CHECK(timer_cancel(t, ids[i]));
		CHECK(!timer_cancel(t, ids[i]));
	}
	CHECK(!timer_cancel(t, 0));
	CHECK(!timer_cancel(t, 0xffffffffull));
	CHECK_EQ_INT(timer_count(t), 1000 - 334);
	CHECK(timer_next(t, &dl));
	CHECK_EQ_INT(dl, 0);
	while (timer_pop(t, 1000, UINT64_MAX, &cb, &ud)) {
		int i = (int)(intptr_t)ud;
		int64_t d = (i * 7919) % 101;

		CHECK(i % 3 != 0);
		CHECK(d >= last);
		last = d;
		n++;
	}
	CHECK_EQ_INT(n, 1000 - 334);
	CHECK_EQ_INT(timer_count(t), 0);
	CHECK(!timer_next(t, &dl));
	/* Ids of fired timers are stale even after their slots are reused. */
	for (int i = 0; i < 10; i++)
		timer_add(t, 5, nop_cb, NULL);
	CHECK(!timer_cancel(t, ids[1]));
	CHECK_EQ_INT(timer_count(t), 10);
	timer_free(t);
}

TEST(heap_equal_deadlines_fifo)
{
	timer *t = timer_new();
	loop_timer_cb *cb;
	void *ud;
	int expect = 0;

	for (int i = 0; i < 50; i++)
		timer_add(t, 10, nop_cb, (void *)(intptr_t)i);
	CHECK(!timer_pop(t, 9, UINT64_MAX, &cb, &ud));
	while (timer_pop(t, 10, UINT64_MAX, &cb, &ud))
		CHECK_EQ_INT((intptr_t)ud, expect++);
	CHECK_EQ_INT(expect, 50);
	timer_free(t);
}

/* ---- the loop ---- */

struct rec {
	loop *l;
	int order[16];
	int n;
	uint64_t ids[16];
	int hooks;
};

static struct rec *g_rec;

static void rec_cb(loop *l, void *ud)
{
	(void)l;
	if (g_rec->n < 16)
		g_rec->order[g_rec->n++] = (int)(intptr_t)ud;
}

static void run_until(loop *l, int ms)
{
	int64_t end = clock_mono_ms() + ms;

	while (clock_mono_ms() < end)
		loop_run_once(l, 10);
}

TEST(loop_timer_order)
{
	loop *l = loop_new();
	struct rec r = { 0 };

	g_rec = &r;
	loop_timer_add(l, 30, rec_cb, (void *)3);
	loop_timer_add(l, 10, rec_cb, (void *)1);
	loop_timer_add(l, 20, rec_cb, (void *)2);
	loop_timer_add(l, 0, rec_cb, (void *)0);
	r.ids[0] = loop_timer_add(l, 15, rec_cb, (void *)99);
	CHECK(r.ids[0] != 0);
	loop_timer_cancel(l, r.ids[0]);
	loop_timer_cancel(l, 0);
	run_until(l, 60);
	CHECK_EQ_INT(r.n, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(r.order[i], i);
	loop_free(l);
}

static void cancel_other_cb(loop *l, void *ud)
{
	struct rec *r = ud;

	r->order[r->n++] = 1;
	/* Cancel a timer that is due in this same pass, and our own id. */
	loop_timer_cancel(l, r->ids[1]);
	loop_timer_cancel(l, r->ids[0]);
}

static void rearm_cb(loop *l, void *ud)
{
	struct rec *r = ud;

	r->order[r->n++] = 7;
	/* Delay 0 from a timer: must wait for the next iteration. */
	if (r->n < 4)
		loop_timer_add(l, 0, rearm_cb, r);
}

TEST(loop_cancel_inside_callback)
{
	loop *l = loop_new();
	struct rec r = { 0 };

	g_rec = &r;
	r.ids[0] = loop_timer_add(l, 5, cancel_other_cb, &r);
	r.ids[1] = loop_timer_add(l, 5, rec_cb, (void *)2);
	usleep(10000);
	loop_run_once(l, 0);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.order[0], 1);
	run_until(l, 20);
	CHECK_EQ_INT(r.n, 1);

	/* A self re-arming zero-delay timer fires once per iteration. */
	r.n = 0;
	loop_timer_add(l, 0, rearm_cb, &r);
	CHECK_EQ_INT(loop_run_once(l, 0), 1);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(loop_run_once(l, 0), 1);
	CHECK_EQ_INT(r.n, 2);
	loop_free(l);
}

static void hook_cb(loop *l, void *ud)
{
	struct rec *r = ud;

	(void)l;
	r->hooks++;
}

TEST(loop_before_sleep_hook)
{
	loop *l = loop_new();
	struct rec r = { 0 };

	CHECK_EQ_INT(loop_add_before_sleep(l, hook_cb, &r), 0);
	loop_run_once(l, 0);
	loop_run_once(l, 0);
	CHECK_EQ_INT(r.hooks, 2);
	for (int i = 1; i < 8; i++)
		CHECK_EQ_INT(loop_add_before_sleep(l, hook_cb, &r), 0);
	CHECK_EQ_INT(loop_add_before_sleep(l, hook_cb, &r), -1);
	loop_run_once(l, 0);
	CHECK_EQ_INT(r.hooks, 10);
	loop_free(l);
}

static void *waker(void *arg)
{
	usleep(50000);
	loop_wake(arg);
	return NULL;
}

static void *stopper(void *arg)
{
	usleep(30000);
	loop_stop(arg);
	return NULL;
}

TEST(loop_wake_from_thread)
{
	loop *l = loop_new();
	pthread_t th;
	int64_t t0 = clock_mono_ms(), dt;

	CHECK(pthread_create(&th, NULL, waker, l) == 0);
	/* Would sleep 5 s if the wake did not work. */
	loop_run_once(l, 5000);
	dt = clock_mono_ms() - t0;
	CHECK(dt >= 40);
	CHECK(dt < 2000);
	pthread_join(th, NULL);

	/* loop_stop from another thread ends loop_run (no timers at all). */
	CHECK(pthread_create(&th, NULL, stopper, l) == 0);
	CHECK_EQ_INT(loop_run(l), 0);
	pthread_join(th, NULL);
	loop_free(l);
}

struct fdrec {
	int calls;
	int last_events;
	int other_fd;
};

static void fd_cb(loop *l, int fd, int events, void *ud)
{
	struct fdrec *f = ud;
	char b[16];

	f->calls++;
	f->last_events = events;
	if (events & LOOP_READ)
		(void)!read(fd, b, sizeof(b));
	/* Remove the other fd: its collected event must not be delivered. */
	if (f->other_fd >= 0) {
		loop_del_fd(l, f->other_fd);
		f->other_fd = -1;
	}
}

TEST(loop_fds)
{
	loop *l = loop_new();
	int p1[2], p2[2];
	struct fdrec a = { 0, 0, -1 }, b = { 0, 0, -1 };

	CHECK(pipe(p1) == 0 && pipe(p2) == 0);
	CHECK_EQ_INT(loop_add_fd(l, p1[0], LOOP_READ, fd_cb, &a), 0);
	CHECK_EQ_INT(loop_add_fd(l, p2[0], LOOP_READ, fd_cb, &b), 0);
	CHECK_EQ_INT(loop_add_fd(l, p1[0], LOOP_READ, fd_cb, &a), -1);
	CHECK_EQ_INT(errno, EEXIST);
	a.other_fd = p2[0];
	b.other_fd = p1[0];
	CHECK(write(p1[1], "x", 1) == 1);
	CHECK(write(p2[1], "y", 1) == 1);
	loop_run_once(l, 100);
	/* Exactly one of the two ran; it removed the other. */
	CHECK_EQ_INT(a.calls + b.calls, 1);

	/* Writable, and mod to 0 silences it. */
	CHECK_EQ_INT(loop_add_fd(l, p1[1], LOOP_WRITE, fd_cb, &a), 0);
	a.calls = 0;
	loop_run_once(l, 100);
	CHECK_EQ_INT(a.calls, 1);
	CHECK_EQ_INT(a.last_events, LOOP_WRITE);
	CHECK_EQ_INT(loop_mod_fd(l, p1[1], 0), 0);
	a.calls = 0;
	loop_run_once(l, 0);
	CHECK_EQ_INT(a.calls, 0);
	/* Closing the read end gives the writer a hang-up even when idle. */
	loop_del_fd(l, p1[0]);
	close(p1[0]);
	loop_run_once(l, 100);
	CHECK_EQ_INT(a.calls, 1);
	CHECK(a.last_events & LOOP_HUP);
	CHECK(!(a.last_events & LOOP_WRITE));
	loop_del_fd(l, p1[1]);
	CHECK_EQ_INT(loop_mod_fd(l, p1[1], LOOP_READ), -1);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	loop_free(l);
}

static void sig_cb(loop *l, int sig, void *ud)
{
	*(int *)ud = sig;
	loop_stop(l);
}

TEST(loop_signals)
{
	loop *l = loop_new();
	int got = 0;

	CHECK_EQ_INT(loop_watch_signals(l, sig_cb, &got), 0);
	kill(getpid(), SIGTERM);
	CHECK_EQ_INT(loop_run(l), 0);
	CHECK_EQ_INT(got, SIGTERM);
	loop_free(l);
}

int main(void)
{
	RUN(heap_order_and_cancel);
	RUN(heap_equal_deadlines_fifo);
	RUN(loop_timer_order);
	RUN(loop_cancel_inside_callback);
	RUN(loop_before_sleep_hook);
	RUN(loop_wake_from_thread);
	RUN(loop_fds);
	RUN(loop_signals);
	return testhelp_done();
}
