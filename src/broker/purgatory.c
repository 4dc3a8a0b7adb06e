/*
 * purgatory.c: delayed operations: durability waits (group commit) and
 * data waits (long-polling fetches). See purgatory.h.
 *
 * Group commit: appends put their log in the dirty set. Just before the loop
 * sleeps, if the flusher is idle, every dirty log gets a sync ticket and the
 * batch goes to the flusher thread. When it reports back, the durable offsets
 * have moved: durability waiters that are covered are called, and data
 * waiters on those logs are woken. Appends made while a batch runs wait for
 * the next batch, so one fsync per file covers every request of that window.
 *
 * Lazy appends (commits with tidemark.commit.fsync=false) go to a second
 * set that a timer moves into the dirty set every PURGATORY_LAZY_MS, so a
 * commit stream does not start an fsync (and a flusher wake-up) per commit.
 *
 * Failed logs: a log whose write or fsync failed is put on a list, its
 * durability waiters get PLOG_EFAILED, and once a second a timer tries to
 * reopen it (plog_reopen: recover the files, truncate to the durable
 * offset). A full disk thus heals by itself once space returns.
 *
 * Waiters are kept in flat arrays and scanned on each completion: the number
 * outstanding is bounded by what arrives during one fsync (a few hundred).
 * NEEDSWORK: index data waiters per log if thousands of fetches park at once.
 */
#include "broker/purgatory.h"

#include "core/logger.h"
#include "core/xalloc.h"
#include "storage/flusher.h"

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct dwait {
	plog *log;
	int64_t offset;
	purgatory_cb *cb;
	void *ud;
} dwait;

struct pwait {
	purgatory *pg;
	plog **logs;
	int n;
	uint64_t timer;
	purgatory_cb *cb;
	void *ud;
	bool fired;
	uint64_t seq; /* creation order: waiters parked by a wake-up wait for the next */
};

struct purgatory {
	loop *l;
	flusher *fl;
	plog **dirty;
	int ndirty, dirty_cap;
	dwait *dw;
	size_t ndw, dw_cap;
	pwait **pw;
	size_t npw, pw_cap;
	uint64_t pw_seq; /* the next pwait's seq */
	plog **synced; /* logs whose durable offset moved in the last batch */
	int nsynced, synced_cap;
	plog **inflight; /* logs of the batch the flusher runs now */
	int ninflight;
	plog_sync_ticket **tickets;
	int tickets_cap;
	plog **lazy; /* appended, to be marked dirty by lazy_timer */
	int nlazy, lazy_cap;
	uint64_t lazy_timer;
	plog **failed; /* failed logs to reopen */
	int nfailed, failed_cap;
	uint64_t retry_timer;
};

#define PURGATORY_RETRY_MS 1000

static void add_dirty(purgatory *pg, plog *log)
{
	for (int i = 0; i < pg->ndirty; i++)
		if (pg->dirty[i] == log)
			return;
	if (pg->ndirty == pg->dirty_cap) {
		pg->dirty_cap = pg->dirty_cap ? pg->dirty_cap * 2 : 16;
		pg->dirty = xrealloc(pg->dirty, st_mult((size_t)pg->dirty_cap, sizeof(*pg->dirty)));
	}
	pg->dirty[pg->ndirty++] = log;
}

void purgatory_appended(purgatory *pg, plog *log)
{
	add_dirty(pg, log);
}

/* Moves the lazy set into the dirty set. */
static void lazy_to_dirty(purgatory *pg)
{
	for (int i = 0; i < pg->nlazy; i++)
		add_dirty(pg, pg->lazy[i]);
	pg->nlazy = 0;
}

static void lazy_fire(loop *l, void *ud)
{
	purgatory *pg = ud;

	(void)l;
	pg->lazy_timer = 0;
	lazy_to_dirty(pg);
}

void purgatory_appended_lazy(purgatory *pg, plog *log)
{
	for (int i = 0; i < pg->nlazy; i++)
		if (pg->lazy[i] == log)
			return;
	if (pg->nlazy == pg->lazy_cap) {
		pg->lazy_cap = pg->lazy_cap ? pg->lazy_cap * 2 : 8;
		pg->lazy = xrealloc(pg->lazy, st_mult((size_t)pg->lazy_cap, sizeof(*pg->lazy)));
	}
	pg->lazy[pg->nlazy++] = log;
	if (!pg->lazy_timer)
		pg->lazy_timer = loop_timer_add(pg->l, PURGATORY_LAZY_MS, lazy_fire, pg);
}

/*
 * Calls every durability waiter that is satisfied or whose log failed, in
 * the order they were added. Order matters: two commits of one partition
 * must be applied in log order, or an older offset would overwrite a newer
 * one. Ready waiters are taken out first (keeping the rest in order), then
 * called, since a callback may add waiters.
 */
static void run_durable_waiters(purgatory *pg)
{
	size_t keep = 0, nready = 0;
	dwait *ready;

	if (!pg->ndw)
		return;
	ready = xmalloc(st_mult(pg->ndw, sizeof(*ready)));
	for (size_t i = 0; i < pg->ndw; i++) {
		dwait w = pg->dw[i];

		if (plog_durable_offset(w.log) >= w.offset || plog_failed(w.log))
			ready[nready++] = w;
		else
			pg->dw[keep++] = w;
	}
	pg->ndw = keep;
	for (size_t i = 0; i < nready; i++)
		ready[i].cb(ready[i].ud, plog_durable_offset(ready[i].log) >= ready[i].offset
						 ? 0
						 : PLOG_EFAILED);
	free(ready);
}

void purgatory_wait_durable(purgatory *pg, plog *log, int64_t offset, purgatory_cb *cb, void *ud)
{
	if (plog_durable_offset(log) >= offset) {
		cb(ud, 0);
		return;
	}
	if (plog_failed(log)) {
		cb(ud, PLOG_EFAILED);
		return;
	}
	if (pg->ndw == pg->dw_cap) {
		pg->dw_cap = pg->dw_cap ? pg->dw_cap * 2 : 64;
		pg->dw = xrealloc(pg->dw, st_mult(pg->dw_cap, sizeof(*pg->dw)));
	}
	pg->dw[pg->ndw++] = (dwait){ log, offset, cb, ud };
	add_dirty(pg, log);
}

static void remove_pwait(purgatory *pg, pwait *w)
{
	for (size_t i = 0; i < pg->npw; i++) {
		if (pg->pw[i] == w) {
			pg->pw[i] = pg->pw[--pg->npw];
			return;
		}
	}
}

static void free_pwait(pwait *w)
{
	free(w->logs);
	free(w);
}

static void fire_pwait(purgatory *pg, pwait *w)
{
	remove_pwait(pg, w);
	if (w->timer)
		loop_timer_cancel(pg->l, w->timer);
	w->cb(w->ud, 0);
	free_pwait(w);
}

static void pwait_timeout(loop *l, void *ud)
{
	pwait *w = ud;

	(void)l;
	w->timer = 0;
	fire_pwait(w->pg, w);
}

pwait *purgatory_wait_data(purgatory *pg, plog *const *logs, int n, int64_t timeout_ms,
			   purgatory_cb *cb, void *ud)
{
	pwait *w = xcalloc(1, sizeof(*w));

	w->pg = pg;
	w->logs = xmalloc(st_mult((size_t)n, sizeof(*w->logs)));
	if (n)
		memcpy(w->logs, logs, st_mult((size_t)n, sizeof(*logs)));
	w->n = n;
	w->cb = cb;
	w->ud = ud;
	w->seq = pg->pw_seq++;
	if (pg->npw == pg->pw_cap) {
		pg->pw_cap = pg->pw_cap ? pg->pw_cap * 2 : 64;
		pg->pw = xrealloc(pg->pw, st_mult(pg->pw_cap, sizeof(*pg->pw)));
	}
	pg->pw[pg->npw++] = w;
	w->timer = loop_timer_add(pg->l, timeout_ms > 0 ? timeout_ms : 0, pwait_timeout, w);
	return w;
}

void purgatory_cancel(purgatory *pg, pwait *w)
{
	if (!w)
		return;
	remove_pwait(pg, w);
	if (w->timer)
		loop_timer_cancel(pg->l, w->timer);
	free_pwait(w);
}

static bool pwait_has(const pwait *w, const plog *log)
{
	for (int i = 0; i < w->n; i++)
		if (w->logs[i] == log)
			return true;
	return false;
}

/* Wakes data waiters on any log in pg->synced. A woken fetch that still
 * has too few bytes parks again (purgatory_wait_data): that new waiter is
 * left for the next sync, or this loop would wake it again and again. */
static void run_data_waiters(purgatory *pg)
{
	size_t i = 0;
	uint64_t before = pg->pw_seq;

	if (!pg->nsynced)
		return;
	while (i < pg->npw) {
		pwait *w = pg->pw[i];
		bool hit = false;

		for (int k = 0; k < pg->nsynced && !hit && w->seq < before; k++)
			hit = pwait_has(w, pg->synced[k]);
		if (!hit) {
			i++;
			continue;
		}
		fire_pwait(pg, w); /* removes w from pg->pw: do not advance i */
	}
	pg->nsynced = 0;
}

static void on_flushed(loop *l, int fd, int events, void *ud)
{
	purgatory *pg = ud;

	(void)l;
	(void)fd;
	(void)events;
	if (flusher_collect(pg->fl) <= 0)
		return;
	if (pg->nsynced + pg->ninflight > pg->synced_cap) {
		pg->synced_cap = pg->nsynced + pg->ninflight;
		pg->synced = xrealloc(pg->synced, st_mult((size_t)pg->synced_cap, sizeof(*pg->synced)));
	}
	memcpy(pg->synced + pg->nsynced, pg->inflight,
	       st_mult((size_t)pg->ninflight, sizeof(*pg->inflight)));
	pg->nsynced += pg->ninflight;
	pg->ninflight = 0;
	for (int i = 0; i < pg->nsynced; i++)
		if (pg->synced[i] && plog_failed(pg->synced[i]))
			purgatory_log_failed(pg, pg->synced[i]);
	run_durable_waiters(pg);
	run_data_waiters(pg);
}

/* Before the loop sleeps: hand every dirty log to the flusher. */
static void before_sleep(loop *l, void *ud)
{
	purgatory *pg = ud;
	int n = 0, keep = 0;

	(void)l;
	if (!pg->ndirty || flusher_busy(pg->fl))
		return;
	if (pg->ndirty > pg->tickets_cap) {
		pg->tickets_cap = pg->ndirty;
		pg->tickets = xrealloc(pg->tickets, st_mult((size_t)pg->tickets_cap, sizeof(*pg->tickets)));
		pg->inflight = xrealloc(pg->inflight, st_mult((size_t)pg->tickets_cap, sizeof(*pg->inflight)));
	}
	for (int i = 0; i < pg->ndirty; i++) {
		plog *log = pg->dirty[i];
		plog_sync_ticket *t = plog_sync_begin(log);

		if (t) {
			pg->inflight[n] = log;
			pg->tickets[n++] = t;
		} else if (plog_failed(log)) {
			purgatory_log_failed(pg, log);
		} else if (plog_durable_offset(log) < plog_end_offset(log)) {
			pg->dirty[keep++] = log; /* still in flight elsewhere: retry later */
		}
	}
	pg->ndirty = keep;
	if (!n) {
		run_durable_waiters(pg); /* failed logs answer their waiters */
		return;
	}
	pg->ninflight = n;
	if (flusher_submit(pg->fl, pg->inflight, pg->tickets, n) < 0) {
		/* cannot happen: we checked busy above */
		log_error("flusher refused a batch of %d logs", n);
		for (int i = 0; i < n; i++)
			plog_sync_end(pg->inflight[i], pg->tickets[i], -1);
		pg->ninflight = 0;
		run_durable_waiters(pg);
	}
}

purgatory *purgatory_new(loop *l, int flush_threads)
{
	purgatory *pg = xcalloc(1, sizeof(*pg));

	pg->l = l;
	pg->fl = flusher_new(flush_threads);
	if (!pg->fl) {
		free(pg);
		return NULL;
	}
	if (loop_add_fd(l, flusher_fd(pg->fl), LOOP_READ, on_flushed, pg) < 0 ||
	    loop_add_before_sleep(l, before_sleep, pg) < 0) {
		log_error("cannot watch the flusher");
		flusher_free(pg->fl);
		free(pg);
		return NULL;
	}
	return pg;
}

void purgatory_use_syncfs(purgatory *pg, int fs_fd, int min_logs)
{
	flusher_set_syncfs(pg->fl, fs_fd, min_logs);
}

/* Blocks until the running batch (if any) completes, and processes it.
 * Used where a log must not have a ticket in flight (close, shutdown);
 * it does not re-enter the loop, so no other request runs meanwhile. */
static void wait_batch(purgatory *pg)
{
	while (flusher_busy(pg->fl)) {
		struct pollfd p = { .fd = flusher_fd(pg->fl), .events = POLLIN };

		if (poll(&p, 1, 1000) > 0)
			on_flushed(pg->l, p.fd, LOOP_READ, pg);
	}
}

/* Runs sync batches until nothing is dirty (shutdown). */
void purgatory_flush_all(purgatory *pg)
{
	lazy_to_dirty(pg);
	for (int rounds = 0; rounds < 100 && (pg->ndirty || flusher_busy(pg->fl)); rounds++) {
		if (!flusher_busy(pg->fl))
			before_sleep(pg->l, pg);
		wait_batch(pg);
	}
}

void purgatory_free(purgatory *pg)
{
	if (!pg)
		return;
	purgatory_flush_all(pg);
	loop_del_fd(pg->l, flusher_fd(pg->fl));
	flusher_free(pg->fl);
	if (pg->retry_timer)
		loop_timer_cancel(pg->l, pg->retry_timer);
	if (pg->lazy_timer)
		loop_timer_cancel(pg->l, pg->lazy_timer);
	while (pg->npw)
		purgatory_cancel(pg, pg->pw[0]);
	for (size_t i = 0; i < pg->ndw; i++)
		pg->dw[i].cb(pg->dw[i].ud, PLOG_EFAILED);
	free(pg->dw);
	free(pg->pw);
	free(pg->dirty);
	free(pg->synced);
	free(pg->inflight);
	free(pg->tickets);
	free(pg->failed);
	free(pg->lazy);
	free(pg);
}

/* Answers every durability waiter on log: 0 if covered, else PLOG_EFAILED. */
static void fail_durable_waiters(purgatory *pg, plog *log)
{
	size_t i = 0;

	while (i < pg->ndw) {
		if (pg->dw[i].log == log) {
			dwait w = pg->dw[i];

			memmove(&pg->dw[i], &pg->dw[i + 1], (pg->ndw - i - 1) * sizeof(*pg->dw));
			pg->ndw--;
			w.cb(w.ud, plog_durable_offset(log) >= w.offset ? 0 : PLOG_EFAILED);
		} else {
			i++;
		}
	}
}

static bool in_flight(const purgatory *pg, const plog *log)
{
	for (int i = 0; i < pg->ninflight; i++)
		if (pg->inflight[i] == log)
			return true;
	return false;
}

/* Timer: tries to reopen each failed log; re-arms while any stays failed. */
static void retry_failed(loop *l, void *ud)
{
	purgatory *pg = ud;
	int k = 0;

	pg->retry_timer = 0;
	for (int i = 0; i < pg->nfailed; i++) {
		plog *log = pg->failed[i];

		if (in_flight(pg, log)) {
			pg->failed[k++] = log; /* its ticket comes back first */
			continue;
		}
		/* its waiters' records are dropped by the reopen: answer them first */
		fail_durable_waiters(pg, log);
		if (plog_reopen(log) != 0)
			pg->failed[k++] = log;
	}
	pg->nfailed = k;
	if (k)
		pg->retry_timer = loop_timer_add(l, PURGATORY_RETRY_MS, retry_failed, pg);
}

void purgatory_log_failed(purgatory *pg, plog *log)
{
	if (!plog_failed(log))
		return;
	for (int i = 0; i < pg->nfailed; i++)
		if (pg->failed[i] == log)
			return;
	if (pg->nfailed == pg->failed_cap) {
		pg->failed_cap = pg->failed_cap ? pg->failed_cap * 2 : 8;
		pg->failed = xrealloc(pg->failed, st_mult((size_t)pg->failed_cap, sizeof(*pg->failed)));
	}
	pg->failed[pg->nfailed++] = log;
	if (!pg->retry_timer)
		pg->retry_timer = loop_timer_add(pg->l, PURGATORY_RETRY_MS, retry_failed, pg);
}

void purgatory_forget(purgatory *pg, plog *log)
{
	size_t i = 0;
	uint64_t before;
	int k = 0;

	for (int j = 0; j < pg->ndirty; j++)
		if (pg->dirty[j] != log)
			pg->dirty[k++] = pg->dirty[j];
	pg->ndirty = k;
	k = 0;
	for (int j = 0; j < pg->nlazy; j++)
		if (pg->lazy[j] != log)
			pg->lazy[k++] = pg->lazy[j];
	pg->nlazy = k;
	for (int j = 0; j < pg->nsynced; j++)
		if (pg->synced[j] == log)
			pg->synced[j] = NULL;
	/* a ticket of this log may be in flight; wait for it so the log can close */
	for (int j = 0; j < pg->ninflight; j++) {
		if (pg->inflight[j] == log) {
			wait_batch(pg);
			break;
		}
	}
	k = 0;
	for (int j = 0; j < pg->nfailed; j++)
		if (pg->failed[j] != log)
			pg->failed[k++] = pg->failed[j];
	pg->nfailed = k;
	fail_durable_waiters(pg, log);
	before = pg->pw_seq; /* not the waiters a wake-up parks anew */
	while (i < pg->npw) {
		if (pg->pw[i]->seq < before && pwait_has(pg->pw[i], log))
			fire_pwait(pg, pg->pw[i]);
		else
			i++;
	}
}
