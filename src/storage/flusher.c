/*
 * flusher.c: the fsync thread behind group commit. See flusher.h.
 *
 * Hand-over protocol (state guarded by mu):
 *   IDLE    --flusher_submit (loop)-->      QUEUED
 *   QUEUED  --worker picks it up-->         RUNNING (mu released while it
 *                                                     runs the fsyncs)
 *   RUNNING --worker done, eventfd += 1-->  DONE
 *   DONE    --flusher_collect (loop)-->     IDLE (plog_sync_end per ticket)
 * flusher_busy() is true in every state but IDLE, so the loop never hands
 * over a second batch before it has consumed the first one's results, and
 * each log has at most one ticket out (plog.h).
 */
#include "storage/flusher.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/logger.h"
#include "core/xalloc.h"

enum flusher_state { FL_IDLE, FL_QUEUED, FL_RUNNING, FL_DONE };

struct flusher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	enum flusher_state state;
	bool stop;
	int efd;
	/* the batch; arrays grow and are reused */
	plog **logs;
	plog_sync_ticket **tickets;
	int *rcs;
	int n, cap;
};

static void run_batch(flusher *f)
{
	for (int i = 0; i < f->n; i++)
		f->rcs[i] = plog_sync_run(f->tickets[i]);
}

static void *worker(void *arg)
{
	flusher *f = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->state != FL_QUEUED && !f->stop)
			pthread_cond_wait(&f->cond, &f->mu);
		if (f->state != FL_QUEUED)
			break; /* stop, nothing queued */
		f->state = FL_RUNNING;
		pthread_mutex_unlock(&f->mu);
		/* the loop does not touch the batch arrays while RUNNING */
		run_batch(f);
		pthread_mutex_lock(&f->mu);
		f->state = FL_DONE;
		if (write(f->efd, &one, sizeof(one)) < 0)
			log_error("flusher cannot signal the loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

flusher *flusher_new(void)
{
	flusher *f = xcalloc(1, sizeof(*f));
	int rc;

	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd < 0) {
		log_error("cannot create the flusher eventfd: %s", strerror(errno));
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cond, NULL);
	rc = pthread_create(&f->thread, NULL, worker, f);
	if (rc) {
		log_error("cannot start the flusher thread: %s", strerror(rc));
		pthread_cond_destroy(&f->cond);
		pthread_mutex_destroy(&f->mu);
		close(f->efd);
		free(f);
		return NULL;
	}
	return f;
}

void flusher_free(flusher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	/* a batch finished (or queued before stop and run: the worker drains
	 * QUEUED before it looks at stop) but never collected: end its
	 * tickets, or their logs would think a sync is still out */
	if (f->state == FL_DONE) {
		for (int i = 0; i < f->n; i++)
			plog_sync_end(f->logs[i], f->tickets[i], f->rcs[i]);
	}
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->mu);
	close(f->efd);
	free(f->logs);
	free(f->tickets);
	free(f->rcs);
	free(f);
}

int flusher_fd(const flusher *f)
{
	return f->efd;
}

bool flusher_busy(const flusher *f)
{
	flusher *mf = (flusher *)f; /* locking does not change the state */
	bool busy;

	pthread_mutex_lock(&mf->mu);
	busy = mf->state != FL_IDLE;
	pthread_mutex_unlock(&mf->mu);
	return busy;
}

int flusher_submit(flusher *f, plog **logs, plog_sync_ticket **tickets, int n)
{
	if (n < 0)
		return -1;
	pthread_mutex_lock(&f->mu);
	if (f->state != FL_IDLE || f->stop) {
		pthread_mutex_unlock(&f->mu);
		return -1;
	}
	if (n > f->cap) {
		f->cap = n;
		f->logs = xrealloc(f->logs, st_mult((size_t)n, sizeof(*f->logs)));
		f->tickets = xrealloc(f->tickets, st_mult((size_t)n, sizeof(*f->tickets)));
		f->rcs = xrealloc(f->rcs, st_mult((size_t)n, sizeof(*f->rcs)));
	}
	memcpy(f->logs, logs, st_mult((size_t)n, sizeof(*logs)));
	memcpy(f->tickets, tickets, st_mult((size_t)n, sizeof(*tickets)));
	f->n = n;
	f->state = FL_QUEUED;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

int flusher_collect(flusher *f)
{
	uint64_t cnt;
	int n;

	/* drain the eventfd; EAGAIN just means we were called early */
	if (read(f->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_error("flusher eventfd read failed: %s", strerror(errno));
	pthread_mutex_lock(&f->mu);
	if (f->state != FL_DONE) {
		pthread_mutex_unlock(&f->mu);
		return 0;
	}
	pthread_mutex_unlock(&f->mu);
	/* DONE: the worker is waiting for the next batch and does not touch
	 * the arrays, so the tickets can be ended without the lock */
	n = f->n;
	for (int i = 0; i < n; i++)
		plog_sync_end(f->logs[i], f->tickets[i], f->rcs[i]);
	pthread_mutex_lock(&f->mu);
	f->n = 0;
	f->state = FL_IDLE;
	pthread_mutex_unlock(&f->mu);
	return n;
}
