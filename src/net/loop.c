/*
 * loop.c: the event loop on epoll. See loop.h.
 *
 * One iteration: run the before-sleep hooks, sleep in epoll_wait() until the
 * next timer (or an event), refresh the cached clock, dispatch fd events,
 * then the timers that are due. epoll is level-triggered, so a callback that
 * does not drain its fd is called again next time (nothing is lost).
 *
 * What it keeps true:
 *   - fds[fd] holds the callback of every watched fd; a slot's generation
 *     changes on every add and del, and each epoll registration carries it,
 *     so an event collected before a callback removed (and maybe reused) an
 *     fd number is recognised as stale and dropped;
 *   - timers added while timers are running wait for the next iteration, so
 *     a callback that re-arms itself with delay 0 cannot starve the sockets;
 *   - loop_wake() and loop_stop() touch only an eventfd and an atomic flag.
 */
#include "net/loop.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <pthread.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "net/timer.h"

#define LOOP_MAX_HOOKS 8
#define LOOP_MAX_EVENTS 256

struct loop_fd {
	loop_fd_cb *cb; /* NULL: not watched */
	void *ud;
	int events;
	uint32_t gen;
};

struct loop_hook {
	loop_hook_cb *cb;
	void *ud;
};

struct loop {
	int epfd;
	int wakefd;
	struct loop_fd *fds;
	size_t nfds; /* entries in fds */
	timer *timers;
	struct loop_hook hooks[LOOP_MAX_HOOKS];
	int nhooks;
	atomic_int stop;
	int64_t now;
	/* signal watching (loop_watch_signals) */
	int sigfd;
	loop_signal_cb *sig_cb;
	void *sig_ud;
	sigset_t old_mask;
	struct epoll_event events[LOOP_MAX_EVENTS];
};

static void wake_readable(loop *l, int fd, int events, void *ud)
{
	uint64_t v;

	(void)l;
	(void)events;
	(void)ud;
	/* Drain the counter; EAGAIN means another pass drained it already. */
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("read from wake eventfd failed: %s", strerror(errno));
}

loop *loop_new(void)
{
	loop *l = xcalloc(1, sizeof(*l));

	l->wakefd = -1;
	l->sigfd = -1;
	atomic_init(&l->stop, 0);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		log_error("epoll_create1 failed: %s", strerror(errno));
		goto err_free;
	}
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wakefd < 0) {
		log_error("eventfd failed: %s", strerror(errno));
		goto err_epoll;
	}
	l->timers = timer_new();
	l->now = clock_mono_ms();
	if (loop_add_fd(l, l->wakefd, LOOP_READ, wake_readable, NULL) < 0) {
		log_error("watching the wake eventfd failed: %s", strerror(errno));
		goto err_wake;
	}
	return l;

err_wake:
	timer_free(l->timers);
	free(l->fds);
	close(l->wakefd);
err_epoll:
	close(l->epfd);
err_free:
	free(l);
	return NULL;
}

void loop_free(loop *l)
{
	if (!l)
		return;
	if (l->sigfd >= 0) {
		struct signalfd_siginfo si;

		/* Consume what is pending, so unblocking does not kill us. */
		while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;
		close(l->sigfd);
		pthread_sigmask(SIG_SETMASK, &l->old_mask, NULL);
	}
	close(l->wakefd);
	close(l->epfd);
	timer_free(l->timers);
	free(l->fds);
	free(l);
}

static uint32_t to_epoll(int events)
{
	uint32_t e = 0;

	if (events & LOOP_READ)
		e |= EPOLLIN;
	if (events & LOOP_WRITE)
		e |= EPOLLOUT;
	return e;
}

static int fd_ctl(loop *l, int op, int fd)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(l->fds[fd].events);
	ev.data.u64 = (uint64_t)l->fds[fd].gen << 32 | (uint32_t)fd;
	return epoll_ctl(l->epfd, op, fd, &ev);
}

int loop_add_fd(loop *l, int fd, int events, loop_fd_cb *cb, void *ud)
{
	struct loop_fd *f;

	if (fd < 0 || !cb) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)fd >= l->nfds) {
		size_t n = l->nfds ? l->nfds : 64;

		while (n <= (size_t)fd)
			n = st_mult(n, 2);
		l->fds = xrealloc(l->fds, st_mult(n, sizeof(*l->fds)));
		memset(l->fds + l->nfds, 0, (n - l->nfds) * sizeof(*l->fds));
		l->nfds = n;
	}
	f = &l->fds[fd];
	if (f->cb) {
		errno = EEXIST;
		return -1;
	}
	f->gen++;
	f->events = events & (LOOP_READ | LOOP_WRITE);
	if (fd_ctl(l, EPOLL_CTL_ADD, fd) < 0)
		return -1;
	f->cb = cb;
	f->ud = ud;
	return 0;
}

int loop_mod_fd(loop *l, int fd, int events)
{
	struct loop_fd *f;
	int old;

	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].cb) {
		errno = ENOENT;
		return -1;
	}
	f = &l->fds[fd];
	events &= LOOP_READ | LOOP_WRITE;
	if (f->events == events)
		return 0;
	old = f->events;
	f->events = events;
	if (fd_ctl(l, EPOLL_CTL_MOD, fd) < 0) {
		f->events = old;
		return -1;
	}
	return 0;
}

void loop_del_fd(loop *l, int fd)
{
	struct epoll_event ev;

	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].cb)
		return;
	memset(&ev, 0, sizeof(ev));
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, &ev) < 0)
		log_warn("epoll_ctl del of fd %d failed: %s", fd, strerror(errno));
	l->fds[fd].cb = NULL;
	l->fds[fd].ud = NULL;
	l->fds[fd].events = 0;
	l->fds[fd].gen++;
}

uint64_t loop_timer_add(loop *l, int64_t delay_ms, loop_timer_cb *cb, void *ud)
{
	int64_t deadline;

	if (delay_ms < 0)
		delay_ms = 0;
	deadline = delay_ms > INT64_MAX - l->now ? INT64_MAX : l->now + delay_ms;
	return timer_add(l->timers, deadline, cb, ud);
}

void loop_timer_cancel(loop *l, uint64_t id)
{
	if (id)
		timer_cancel(l->timers, id);
}

int loop_add_before_sleep(loop *l, loop_hook_cb *cb, void *ud)
{
	if (l->nhooks == LOOP_MAX_HOOKS || !cb)
		return -1;
	l->hooks[l->nhooks].cb = cb;
	l->hooks[l->nhooks].ud = ud;
	l->nhooks++;
	return 0;
}

/* The epoll_wait timeout: the caller's bound, cut to the next timer. */
static int wait_timeout(loop *l, int timeout_ms)
{
	int64_t deadline, until;

	if (!timer_next(l->timers, &deadline))
		return timeout_ms;
	until = deadline <= l->now ? 0 : deadline - l->now;
	if (until > INT_MAX)
		until = INT_MAX;
	if (timeout_ms >= 0 && timeout_ms < until)
		return timeout_ms;
	return (int)until;
}

static int dispatch_events(loop *l, int n)
{
	int done = 0;

	for (int i = 0; i < n; i++) {
		uint64_t data = l->events[i].data.u64;
		int fd = (int)(uint32_t)data;
		uint32_t e = l->events[i].events;
		struct loop_fd *f;
		int ev = 0;

		if ((size_t)fd >= l->nfds)
			continue;
		f = &l->fds[fd];
		/* Removed (and maybe re-added) by an earlier callback: stale. */
		if (!f->cb || f->gen != (uint32_t)(data >> 32))
			continue;
		if (e & (EPOLLIN | EPOLLRDHUP))
			ev |= LOOP_READ;
		if (e & EPOLLOUT)
			ev |= LOOP_WRITE;
		if (e & (EPOLLHUP | EPOLLERR))
			ev |= LOOP_HUP | f->events;
		ev &= f->events | LOOP_HUP;
		if (!ev)
			continue;
		f->cb(l, fd, ev, f->ud);
		done++;
	}
	return done;
}

static int run_timers(loop *l)
{
	uint64_t before = timer_seq(l->timers);
	loop_timer_cb *cb;
	void *ud;
	int done = 0;

	while (timer_pop(l->timers, l->now, before, &cb, &ud)) {
		cb(l, ud);
		done++;
	}
	return done;
}

int loop_run_once(loop *l, int timeout_ms)
{
	int n, done;

	for (int i = 0; i < l->nhooks; i++)
		l->hooks[i].cb(l, l->hooks[i].ud);
	/* A hook may have asked to stop: do not sleep first. */
	if (atomic_load(&l->stop))
		timeout_ms = 0;
	n = epoll_wait(l->epfd, l->events, LOOP_MAX_EVENTS, wait_timeout(l, timeout_ms));
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	l->now = clock_mono_ms();
	done = dispatch_events(l, n);
	return done + run_timers(l);
}

int loop_run(loop *l)
{
	while (!atomic_load(&l->stop)) {
		if (loop_run_once(l, -1) < 0) {
			log_error("epoll_wait failed: %s", strerror(errno));
			/* Should never happen (EBADF, EFAULT); do not spin. */
			usleep(10000);
		}
	}
	atomic_store(&l->stop, 0);
	return 0;
}

void loop_stop(loop *l)
{
	atomic_store(&l->stop, 1);
	loop_wake(l);
}

void loop_wake(loop *l)
{
	uint64_t one = 1;
	int saved = errno;

	/* EAGAIN: the counter is saturated, so the loop is awake anyway. */
	if (write(l->wakefd, &one, sizeof(one)) < 0) {
		/* nothing to do */
	}
	errno = saved;
}

int64_t loop_now(loop *l)
{
	return l->now;
}

static void signal_readable(loop *l, int fd, int events, void *ud)
{
	struct signalfd_siginfo si;
	ssize_t n;

	(void)events;
	(void)ud;
	while ((n = read(fd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		if (l->sig_cb)
			l->sig_cb(l, (int)si.ssi_signo, l->sig_ud);
		/* The callback may not free the loop, but it may stop watching. */
		if (l->sigfd != fd)
			return;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("read from signalfd failed: %s", strerror(errno));
}

int loop_watch_signals(loop *l, loop_signal_cb *cb, void *ud)
{
	sigset_t set;

	if (l->sigfd >= 0 || !cb) {
		errno = EINVAL;
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, &l->old_mask) != 0)
		return -1;
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		goto err_mask;
	l->sig_cb = cb;
	l->sig_ud = ud;
	if (loop_add_fd(l, l->sigfd, LOOP_READ, signal_readable, NULL) < 0)
		goto err_fd;
	return 0;

err_fd:
	close(l->sigfd);
	l->sigfd = -1;
err_mask:
	pthread_sigmask(SIG_SETMASK, &l->old_mask, NULL);
	log_error("watching signals failed: %s", strerror(errno));
	return -1;
}
