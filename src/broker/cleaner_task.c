/*
 * cleaner_task.c: the log cleaner's thread and its loop side. See
 * cleaner_task.h.
 *
 * Hand-over protocol (state guarded by mu, as in storage/flusher.c):
 *   IDLE    --start_job (loop)-->          QUEUED
 *   QUEUED  --thread picks it up-->        RUNNING (mu released meanwhile)
 *   RUNNING --thread done, eventfd += 1--> DONE
 *   DONE    --on_done / forget (loop)-->   IDLE (segments swapped in)
 * A job names its log by topic and partition, never by pointer: the topic
 * may be deleted while the thread works. When the loop takes the result it
 * looks the log up again, and plog_replace_segment() checks that each
 * segment is still the very file that was cleaned.
 */
#include "broker/cleaner_task.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "storage/cleaner.h"

enum ct_state { CT_IDLE, CT_QUEUED, CT_RUNNING, CT_DONE };

struct ct_job {
	char *topic;
	int32_t partition;
	char *dir;
	plog_seg_snap *segs;
	size_t n;
	bool *changed;
	cleaner_params params;
	cleaner_stats st;
	int rc;
	int64_t t0;
};

/* "Offsets of the log in dir below first_dirty were cleaned." */
struct dirty_mark {
	char *dir;
	int64_t first_dirty;
};

struct cleaner_task {
	loop *l;
	topics *ts;
	const broker_config *cfg;
	double min_ratio;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	enum ct_state state;
	bool stop;
	atomic_int cancel;
	int efd;
	struct ct_job *job;
	uint64_t timer;
	struct dirty_mark *marks;
	size_t nmarks, marks_cap;
	int64_t passes;
};

/* ---- the thread -------------------------------------------------------- */

static void *worker(void *arg)
{
	cleaner_task *ct = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&ct->mu);
	for (;;) {
		while (ct->state != CT_QUEUED && !ct->stop)
			pthread_cond_wait(&ct->cond, &ct->mu);
		if (ct->state != CT_QUEUED)
			break;
		ct->state = CT_RUNNING;
		pthread_mutex_unlock(&ct->mu);
		/* the loop does not touch the job while RUNNING */
		ct->job->rc = cleaner_run(&ct->job->params, ct->job->segs, ct->job->n,
					  ct->job->changed, &ct->job->st);
		pthread_mutex_lock(&ct->mu);
		ct->state = CT_DONE;
		pthread_cond_broadcast(&ct->cond); /* cleaner_task_forget waits */
		if (write(ct->efd, &one, sizeof(one)) < 0)
			log_error("cleaner cannot signal the loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&ct->mu);
	return NULL;
}

/* ---- dirty marks -------------------------------------------------------- */

static struct dirty_mark *mark_find(cleaner_task *ct, const char *dir)
{
	for (size_t i = 0; i < ct->nmarks; i++)
		if (strcmp(ct->marks[i].dir, dir) == 0)
			return &ct->marks[i];
	return NULL;
}

static void mark_set(cleaner_task *ct, const char *dir, int64_t first_dirty)
{
	struct dirty_mark *m = mark_find(ct, dir);

	if (!m) {
		if (ct->nmarks == ct->marks_cap) {
			ct->marks_cap = ct->marks_cap ? st_mult(ct->marks_cap, 2) : 16;
			ct->marks = xrealloc(ct->marks, st_mult(ct->marks_cap, sizeof(*ct->marks)));
		}
		m = &ct->marks[ct->nmarks++];
		m->dir = xstrdup(dir);
	}
	m->first_dirty = first_dirty;
}

static void mark_drop(cleaner_task *ct, const char *dir)
{
	struct dirty_mark *m = mark_find(ct, dir);

	if (m) {
		free(m->dir);
		*m = ct->marks[--ct->nmarks];
	}
}

/* First dirty offset of log: 0 unless a pass cleaned it, and never past
 * its end (a log truncated since). */
static int64_t first_dirty_of(cleaner_task *ct, const plog *log)
{
	struct dirty_mark *m = mark_find(ct, plog_dir(log));

	if (!m || m->first_dirty > plog_end_offset(log))
		return 0;
	return m->first_dirty;
}

/* ---- choosing a log -------------------------------------------------- */

struct pick {
	cleaner_task *ct;
	int64_t now;
	double best;
	topic *t;
	int32_t p;
};

/* Newest batch timestamp a segment may have to be cleaned now. */
static int64_t lag_bound(const topic_config *tc, int64_t now)
{
	if (tc->min_compaction_lag_ms <= 0)
		return INT64_MAX;
	return now - tc->min_compaction_lag_ms;
}

static void consider(void *ud, topic *t, int32_t p, plog *log)
{
	struct pick *pk = ud;
	const topic_config *tc = topic_cfg(t);
	int64_t first, total = 0, dirty = 0;
	plog_seg_snap *segs;
	size_t n;
	double ratio;

	if (!tc->compact || plog_failed(log))
		return;
	if (plog_clean_snapshot(log, lag_bound(tc, pk->now), plog_lso(log), false, &segs, &n))
		return;
	first = first_dirty_of(pk->ct, log);
	for (size_t i = 0; i < n; i++) {
		total += segs[i].size;
		if (segs[i].limit > first)
			dirty += segs[i].size;
	}
	plog_snap_free(segs, n);
	if (dirty == 0)
		return;
	ratio = (double)dirty / (double)total;
	if (ratio >= pk->ct->min_ratio && ratio > pk->best) {
		pk->best = ratio;
		pk->t = t;
		pk->p = p;
	}
}

static void job_free(struct ct_job *job)
{
	if (!job)
		return;
	plog_snap_free(job->segs, job->n);
	free(job->changed);
	free(job->topic);
	free(job->dir);
	free(job);
}

/* Builds the job for partition p of t, or NULL when its log has nothing to
 * clean after all. */
static struct ct_job *make_job(cleaner_task *ct, topic *t, int32_t p, int64_t now)
{
	const topic_config *tc = topic_cfg(t);
	plog *log = topic_partition(t, p);
	kstr name = topic_name(t);
	struct ct_job *job;

	if (!log)
		return NULL;
	job = xcalloc(1, sizeof(*job));
	if (plog_clean_snapshot(log, lag_bound(tc, now), plog_lso(log), true, &job->segs,
				&job->n) != 0 || job->n == 0) {
		free(job);
		return NULL;
	}
	job->topic = xstrndup(name.p, (size_t)name.len);
	job->partition = p;
	job->dir = xstrdup(plog_dir(log));
	job->changed = xcalloc(job->n, sizeof(*job->changed));
	job->t0 = clock_mono_ms();
	job->params = (cleaner_params){
		.dir = job->dir,
		.first_dirty = first_dirty_of(ct, log),
		.now_ms = now,
		.delete_retention_ms = tc->delete_retention_ms,
		.index_interval_bytes = tc->index_interval_bytes,
		.map_bytes = (size_t)ct->cfg->log_cleaner_dedupe_buffer_size,
		.cancel = &ct->cancel,
	};
	return job;
}

static void tick(loop *l, void *ud);

static bool idle(cleaner_task *ct)
{
	bool v;

	pthread_mutex_lock(&ct->mu);
	v = ct->state == CT_IDLE;
	pthread_mutex_unlock(&ct->mu);
	return v;
}

static void schedule(cleaner_task *ct, int64_t delay_ms)
{
	if (ct->timer)
		loop_timer_cancel(ct->l, ct->timer);
	ct->timer = loop_timer_add(ct->l, delay_ms, tick, ct);
}

/* Picks the dirtiest log and hands it to the thread; or sleeps. */
static void tick(loop *l, void *ud)
{
	cleaner_task *ct = ud;
	struct pick pk = {ct, clock_now_ms(), -1.0, NULL, 0};
	struct ct_job *job;

	(void)l;
	ct->timer = 0;
	if (!idle(ct))
		return; /* on_done schedules the next pass */
	topics_each_log(ct->ts, consider, &pk);
	job = pk.t ? make_job(ct, pk.t, pk.p, pk.now) : NULL;
	if (!job) {
		schedule(ct, ct->cfg->log_cleaner_backoff_ms);
		return;
	}
	pthread_mutex_lock(&ct->mu);
	ct->job = job;
	ct->state = CT_QUEUED;
	pthread_cond_signal(&ct->cond);
	pthread_mutex_unlock(&ct->mu);
}

/* ---- taking the result ------------------------------------------------ */

/* The log the job was made for, if it still exists. */
static plog *job_log(cleaner_task *ct, const struct ct_job *job)
{
	topic *t = topics_find(ct->ts, kstr_c(job->topic));
	plog *log = t ? topic_partition(t, job->partition) : NULL;

	return log && strcmp(plog_dir(log), job->dir) == 0 ? log : NULL;
}

/* Swaps the changed segments into log (NULL: gone) or removes them. Returns
 * how many were swapped in. */
static int swap_in(struct ct_job *job, plog *log)
{
	int swapped = 0;

	for (size_t i = 0; i < job->n; i++) {
		int rc;

		if (!job->changed[i])
			continue;
		rc = log ? plog_replace_segment(log, &job->segs[i], CLEANER_TMP_DIR) : PLOG_ESTALE;
		if (rc == 0) {
			swapped++;
			continue;
		}
		if (rc != PLOG_ESTALE)
			log_error("cannot swap in the cleaned segment %lld of '%s'",
				  (long long)job->segs[i].base, job->dir);
		cleaner_remove_files(job->dir, job->segs[i].base);
	}
	cleaner_remove_files(job->dir, -1); /* the directory, once empty */
	return swapped;
}

static void log_result(const struct ct_job *job, int swapped)
{
	const cleaner_stats *st = &job->st;

	if (job->rc == CLEANER_ECANCELED)
		return;
	if (job->rc) {
		log_warn("cleaning '%s' failed (%d%s); will retry after the backoff", job->dir,
			 job->rc, job->rc == CLEANER_EMAPFULL ? ": raise log.cleaner.dedupe.buffer.size"
							    : "");
		return;
	}
	log_info("cleaned '%s': %d of %zu segments rewritten, %lld -> %lld bytes, kept %lld of "
		 "%lld records (%lld tombstones dropped), %lld keys, clean up to offset %lld in "
		 "%lld ms", job->dir, swapped, job->n, (long long)st->bytes_in,
		 (long long)st->bytes_out, (long long)st->records_kept, (long long)st->records_read,
		 (long long)st->tombstones_dropped, (long long)st->keys_mapped,
		 (long long)st->map_end, (long long)(clock_mono_ms() - job->t0));
}

/* Loop: consumes a finished job. */
static void finish_job(cleaner_task *ct, struct ct_job *job)
{
	plog *log = job_log(ct, job);
	int swapped = swap_in(job, log);

	log_result(job, swapped);
	if (!job->rc && log) {
		mark_set(ct, job->dir, job->st.map_end);
		ct->passes++;
	}
	job_free(job);
}

/* Takes the job out of DONE (state IDLE after); NULL when none is done. */
static struct ct_job *take_done(cleaner_task *ct)
{
	struct ct_job *job = NULL;

	pthread_mutex_lock(&ct->mu);
	if (ct->state == CT_DONE) {
		job = ct->job;
		ct->job = NULL;
		ct->state = CT_IDLE;
	}
	pthread_mutex_unlock(&ct->mu);
	return job;
}

static void on_done(loop *l, int fd, int events, void *ud)
{
	cleaner_task *ct = ud;
	struct ct_job *job;
	uint64_t v;
	int rc;

	(void)l;
	(void)events;
	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		;
	job = take_done(ct);
	if (!job)
		return;
	rc = job->rc;
	finish_job(ct, job);
	/* more may be dirty: look again at once, unless this pass failed (it
	 * would likely fail again: NEEDSWORK: Kafka marks such a partition
	 * uncleanable instead of retrying it every backoff) */
	schedule(ct, rc ? ct->cfg->log_cleaner_backoff_ms : 0);
}

/* ---- lifecycle ------------------------------------------------------- */

static double parse_ratio(const char *s)
{
	double d = s ? strtod(s, NULL) : 0.5;

	return d >= 0.0 && d <= 1.0 ? d : 0.5; /* config.c checked it */
}

cleaner_task *cleaner_task_new(loop *l, topics *ts, const broker_config *cfg)
{
	cleaner_task *ct;
	int rc;

	if (!cfg->log_cleaner_enable) {
		log_info("log cleaner disabled (log.cleaner.enable=false)");
		return NULL;
	}
	ct = xcalloc(1, sizeof(*ct));
	ct->l = l;
	ct->ts = ts;
	ct->cfg = cfg;
	ct->min_ratio = parse_ratio(cfg->log_cleaner_min_cleanable_ratio);
	atomic_init(&ct->cancel, 0);
	ct->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ct->efd < 0 || loop_add_fd(l, ct->efd, LOOP_READ, on_done, ct) < 0) {
		log_error("cannot set up the log cleaner's eventfd: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&ct->mu, NULL);
	pthread_cond_init(&ct->cond, NULL);
	rc = pthread_create(&ct->thread, NULL, worker, ct);
	if (rc) {
		log_error("cannot start the log cleaner thread: %s", strerror(rc));
		pthread_cond_destroy(&ct->cond);
		pthread_mutex_destroy(&ct->mu);
		loop_del_fd(l, ct->efd);
		goto fail;
	}
	schedule(ct, cfg->log_cleaner_backoff_ms);
	return ct;
fail:
	if (ct->efd >= 0)
		close(ct->efd);
	free(ct);
	return NULL;
}

/* Waits until the thread holds no job (cancelling a running one), then
 * disposes of the job. Loop. */
static void drain(cleaner_task *ct)
{
	struct ct_job *job;

	atomic_store(&ct->cancel, 1);
	pthread_mutex_lock(&ct->mu);
	while (ct->state == CT_QUEUED || ct->state == CT_RUNNING)
		pthread_cond_wait(&ct->cond, &ct->mu);
	pthread_mutex_unlock(&ct->mu);
	atomic_store(&ct->cancel, 0);
	job = take_done(ct);
	if (job) {
		job->rc = job->rc ? job->rc : CLEANER_ECANCELED;
		memset(job->changed, 0, job->n * sizeof(*job->changed));
		for (size_t i = 0; i < job->n; i++)
			cleaner_remove_files(job->dir, job->segs[i].base);
		job_free(job);
	}
}

void cleaner_task_free(cleaner_task *ct)
{
	if (!ct)
		return;
	if (ct->timer)
		loop_timer_cancel(ct->l, ct->timer);
	drain(ct);
	pthread_mutex_lock(&ct->mu);
	ct->stop = true;
	pthread_cond_signal(&ct->cond);
	pthread_mutex_unlock(&ct->mu);
	pthread_join(ct->thread, NULL);
	pthread_cond_destroy(&ct->cond);
	pthread_mutex_destroy(&ct->mu);
	loop_del_fd(ct->l, ct->efd);
	close(ct->efd);
	for (size_t i = 0; i < ct->nmarks; i++)
		free(ct->marks[i].dir);
	free(ct->marks);
	free(ct);
}

void cleaner_task_forget(cleaner_task *ct, const plog *log)
{
	bool busy;

	if (!ct)
		return;
	pthread_mutex_lock(&ct->mu);
	busy = ct->job && strcmp(ct->job->dir, plog_dir(log)) == 0;
	pthread_mutex_unlock(&ct->mu);
	if (busy) {
		drain(ct);
		schedule(ct, 0);
	}
	mark_drop(ct, plog_dir(log));
}

void cleaner_task_kick(cleaner_task *ct)
{
	if (ct && idle(ct))
		schedule(ct, 0);
}

int64_t cleaner_task_passes(const cleaner_task *ct)
{
	return ct ? ct->passes : 0;
}
