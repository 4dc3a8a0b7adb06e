/*
 * flusher.c: the fsync thread behind group commit. See flusher.h.
 *
 * Hand-over protocol (state guarded by mu):
 *   IDLE    --flusher_submit (loop)-->      QUEUED
 *   QUEUED  --a worker picks it up-->       RUNNING (mu released while it
 *                                                     runs the fsyncs)
 *   RUNNING --last ticket done, eventfd += 1--> DONE
 *   DONE    --flusher_collect (loop)-->     IDLE (plog_sync_end per ticket)
 * flusher_busy() is true in every state but IDLE, so the loop never hands
 * over a second batch before it has consumed the first one's results, and
 * each log has at most one ticket out (plog.h).
 *
 * A batch's tickets are shared out among the worker threads (next = the
 * first ticket nobody took, busy = workers holding a ticket): fsyncs of
 * different files run at once, so the journal commits and the disk cache
 * flushes of one round overlap instead of queueing one behind the other
 * (64 partitions: one round ~ one fdatasync instead of 64). The worker that
 * finishes the last ticket marks the batch DONE.
 *
 * With flusher_set_syncfs(), the worker that picks a big enough batch up
 * first tries one syncfs() for all of it (next stays at n meanwhile, so the
 * others have nothing to take); only if that fails are the tickets shared
 * out as above.
 */
#include "storage/flusher.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/logger.h"
#include "core/xalloc.h"
#include "storage/fileio.h"

enum flusher_state { FL_IDLE, FL_QUEUED, FL_RUNNING, FL_DONE };

struct flusher {
	pthread_t *threads;
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	enum flusher_state state;
	bool stop;
	int efd;
	int next;  /* RUNNING: first ticket no worker has taken */
	int busy;  /* RUNNING: workers running a ticket */
	int fs_fd; /* syncfs() target, or -1 */
	uint64_t fs_dev;
	int fs_min; /* tickets in a batch for syncfs() */
	/* the batch; arrays grow and are reused */
	plog **logs;
	plog_sync_ticket **tickets;
	int *rcs;
	int n, cap;
};

/* Under mu: true when a worker has something to do (or must stop). */
static bool has_work(const flusher *f)
{
	return f->state == FL_QUEUED || (f->state == FL_RUNNING && f->next < f->n) || f->stop;
}

/* Under mu, batch QUEUED: true when one syncfs() covers every ticket. */
static bool batch_fits_syncfs(const flusher *f)
{
	if (f->fs_fd < 0 || f->n < f->fs_min)
		return false;
	for (int i = 0; i < f->n; i++)
		if (plog_sync_dev(f->tickets[i]) != f->fs_dev)
			return false;
	return true;
}

/* Under mu (released meanwhile): syncs the whole QUEUED->RUNNING batch with
 * one syncfs(). On success every ticket is done; on failure they are left
 * for the per-file path. */
static void run_syncfs(flusher *f)
{
	int rc;

	f->next = f->n; /* nothing for the other workers to take */
	pthread_mutex_unlock(&f->mu);
	rc = fileio_syncfs(f->fs_fd);
	pthread_mutex_lock(&f->mu);
	if (!rc) {
		for (int i = 0; i < f->n; i++)
			f->rcs[i] = 0;
		return;
	}
	log_warn("syncfs failed: %s; syncing the %d logs one by one", strerror(-rc), f->n);
	f->next = 0;
	pthread_cond_broadcast(&f->cond);
}

static void *worker(void *arg)
{
	flusher *f = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!has_work(f))
			pthread_cond_wait(&f->cond, &f->mu);
		if (f->state == FL_QUEUED) {
			f->state = FL_RUNNING;
			f->next = 0;
			f->busy = 0;
			if (batch_fits_syncfs(f))
				run_syncfs(f);
			else if (f->n > 1)
				pthread_cond_broadcast(&f->cond); /* share the tickets */
		} else if (f->state != FL_RUNNING || f->next >= f->n) {
			break; /* stop, and nothing left to take */
		}
		f->busy++;
		/* the loop does not touch the batch arrays while RUNNING; each
		 * ticket is taken by exactly one worker */
		while (f->next < f->n) {
			int i = f->next++;

			pthread_mutex_unlock(&f->mu);
			f->rcs[i] = plog_sync_run(f->tickets[i]);
			pthread_mutex_lock(&f->mu);
		}
		if (--f->busy == 0 && f->state == FL_RUNNING) {
			f->state = FL_DONE;
			if (write(f->efd, &one, sizeof(one)) < 0)
				log_error("flusher cannot signal the loop: %s", strerror(errno));
		}
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Stops and joins the first n workers. */
static void stop_workers(flusher *f, int n)
{
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mu);
	for (int i = 0; i < n; i++)
		pthread_join(f->threads[i], NULL);
}

flusher *flusher_new(int threads)
{
	flusher *f = xcalloc(1, sizeof(*f));
	pthread_attr_t attr;
	int rc = 0;

	if (threads < 1)
		threads = 1;
	if (threads > FLUSHER_MAX_THREADS)
		threads = FLUSHER_MAX_THREADS;

	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd < 0) {
		log_error("cannot create the flusher eventfd: %s", strerror(errno));
		free(f);
		return NULL;
	}
	f->fs_fd = -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->threads = xcalloc((size_t)threads, sizeof(*f->threads));
	/* a worker only calls fdatasync and the logger: a small stack keeps
	 * the resident size down */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (; f->nthreads < threads; f->nthreads++) {
		rc = pthread_create(&f->threads[f->nthreads], &attr, worker, f);
		if (rc)
			break;
	}
	pthread_attr_destroy(&attr);
	if (rc) {
		log_error("cannot start the flusher threads: %s", strerror(rc));
		stop_workers(f, f->nthreads);
		free(f->threads);
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
	stop_workers(f, f->nthreads);
	/* a batch finished (or queued before stop and run: a worker drains
	 * QUEUED and RUNNING before it looks at stop) but never collected: end its
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
	free(f->threads);
	free(f);
}

void flusher_set_syncfs(flusher *f, int fs_fd, int min_tickets)
{
	struct stat st;

	if (fs_fd < 0 || min_tickets < 1)
		return;
	if (!fileio_syncfs_reports_errors()) {
		log_info("this kernel's syncfs() does not report errors: "
			 "syncing file by file");
		return;
	}
	if (fstat(fs_fd, &st) < 0) {
		log_warn("cannot stat the data directory (%s): syncing file by file",
			 strerror(errno));
		return;
	}
	pthread_mutex_lock(&f->mu);
	f->fs_fd = fs_fd;
	f->fs_dev = (uint64_t)st.st_dev;
	f->fs_min = min_tickets;
	pthread_mutex_unlock(&f->mu);
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
