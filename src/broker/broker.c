/*
 * broker.c: the broker context: start-up, the run loop, clean shutdown.
 *
 * Start-up order: data directory and its lock, meta.properties (cluster id),
 * loop, purgatory (and the flusher thread), topics (recovering every
 * partition), the group coordinator (replaying __consumer_offsets), and last
 * the listener, so no client is served before recovery is complete.
 *
 * Shutdown on SIGTERM/SIGINT: stop accepting, let in-flight requests finish
 * (bounded: parked fetches end by their max wait; anything still open after
 * shutdown_grace_ms is dropped with its connection), sync every dirty log,
 * write the recovery checkpoint, close, exit 0.
 */
#include "broker/broker.h"

#include "broker/cleaner_task.h"
#include "broker/dispatch.h"
#include "broker/handlers.h"
#include "broker/purgatory.h"
#include "broker/retention_task.h"
#include "broker/topics.h"
#include "core/logger.h"
#include "group/group_coord.h"
#include "core/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHUTDOWN_GRACE_MS 10000
#define SHUTDOWN_POLL_MS 20
#define CHECKPOINT_INTERVAL_MS 60000 /* like Kafka's log.flush.offset.checkpoint.interval.ms */

struct broker {
	const broker_config *cfg;
	loop *l;
	purgatory *pg;
	topics *ts;
	group_coord *gc;
	retention_task *rt;
	cleaner_task *ct;
	listener *ls;
	int lock_fd;
	int sig_fd;
	bool stopping;
	int64_t stop_deadline;
	char cluster_id[64];
};

loop *broker_loop(broker *b) { return b->l; }
const broker_config *broker_cfg(broker *b) { return b->cfg; }
topics *broker_topics(broker *b) { return b->ts; }
purgatory *broker_purgatory(broker *b) { return b->pg; }
group_coord *broker_groups(broker *b) { return b->gc; }
int broker_port(broker *b) { return b->ls ? listener_port(b->ls) : b->cfg->listen_port; }
const char *broker_cluster_id(broker *b) { return b->cluster_id; }

/* mkdir -p for the data directory. */
static int make_dirs(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Takes an exclusive lock on <dir>/.lock so two brokers never share data. */
static int lock_data_dir(broker *b)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/.lock", b->cfg->log_dirs);
	b->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (b->lock_fd < 0) {
		log_error("cannot open lock file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (flock(b->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		log_error("data directory '%s' is in use by another tidemarkd (lock file '%s' is held)",
			  b->cfg->log_dirs, path);
		return -1;
	}
	return 0;
}

/* A Kafka-style cluster id: 16 random bytes, base64url without padding. */
static void new_cluster_id(char *out, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t raw[16];
	size_t k = 0;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)rand();
	for (size_t bit = 0; bit < 128 && k + 1 < n; bit += 6) {
		size_t byte = bit / 8, off = bit % 8;
		unsigned v = (unsigned)raw[byte] << 8 | (byte + 1 < 16 ? raw[byte + 1] : 0);

		out[k++] = al[(v >> (10 - off)) & 63];
	}
	out[k] = '\0';
}

/* Reads cluster.id from <dir>/meta.properties, or creates the file. */
static int load_meta(broker *b)
{
	char path[4096], tmp[4200], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/meta.properties", b->cfg->log_dirs);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "cluster.id=", 11) == 0) {
				size_t n = strcspn(line + 11, "\r\n");

				if (n > 0 && n < sizeof(b->cluster_id)) {
					memcpy(b->cluster_id, line + 11, n);
					b->cluster_id[n] = '\0';
				}
			}
		}
		fclose(f);
		if (b->cluster_id[0])
			return 0;
		log_warn("no cluster.id in '%s': writing a new one", path);
	}
	if (b->cfg->cluster_id && b->cfg->cluster_id[0])
		snprintf(b->cluster_id, sizeof(b->cluster_id), "%s", b->cfg->cluster_id);
	else
		new_cluster_id(b->cluster_id, sizeof(b->cluster_id));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		log_error("cannot write '%s': %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "#tidemark broker metadata\nversion=1\ncluster.id=%s\nnode.id=%d\n",
		b->cluster_id, b->cfg->node_id);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		log_error("cannot write '%s': %s", tmp, strerror(errno));
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		log_error("cannot rename '%s': %s", tmp, strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes the recovery-point checkpoint now and then, so a restart after a
 * crash rescans only what was appended since. */
static void checkpoint_tick(loop *l, void *ud)
{
	broker *b = ud;

	if (topics_checkpoint(b->ts) != 0)
		log_warn("cannot write the recovery checkpoint in '%s'", b->cfg->log_dirs);
	if (!b->stopping)
		loop_timer_add(l, CHECKPOINT_INTERVAL_MS, checkpoint_tick, b);
}

/* A deleted topic's logs: cancel any compaction pass on them first. */
static void forget_cleaned_log(void *ud, plog *log)
{
	broker *b = ud;

	cleaner_task_forget(b->ct, log);
}

static void check_stopped(loop *l, void *ud)
{
	broker *b = ud;

	if (listener_inflight(b->ls) == 0 || loop_now(l) >= b->stop_deadline) {
		if (listener_inflight(b->ls))
			log_warn("shutting down with %d requests still open", listener_inflight(b->ls));
		loop_stop(l);
		return;
	}
	loop_timer_add(l, SHUTDOWN_POLL_MS, check_stopped, b);
}

static void on_signal(loop *l, int fd, int events, void *ud)
{
	broker *b = ud;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (b->stopping)
			continue;
		log_info("received signal %u: shutting down", si.ssi_signo);
		b->stopping = true;
		b->stop_deadline = loop_now(l) + SHUTDOWN_GRACE_MS;
		listener_stop_accepting(b->ls);
		/* parked JoinGroup/SyncGroup answer NOT_COORDINATOR now, so clients
		 * look for the coordinator again instead of holding up the exit */
		group_coord_shutdown(b->gc);
		check_stopped(l, b);
	}
}

/* Blocks SIGTERM/SIGINT in this thread; threads started later (the
 * flusher) inherit the mask, so the signals reach only the signalfd. */
static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	return pthread_sigmask(SIG_BLOCK, set, NULL) == 0 ? 0 : -1;
}

static int watch_signals(broker *b)
{
	sigset_t set;

	if (block_signals(&set) < 0)
		return -1;
	b->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (b->sig_fd < 0)
		return -1;
	return loop_add_fd(b->l, b->sig_fd, LOOP_READ, on_signal, b);
}

broker *broker_new(const broker_config *cfg)
{
	broker *b = xcalloc(1, sizeof(*b));
	listener_config lc = {
		.host = cfg->listen_host,
		.port = cfg->listen_port,
		.max_request_bytes = cfg->socket_request_max_bytes,
		.max_inflight = cfg->queued_max_requests,
		.max_connections = cfg->max_connections,
		.idle_timeout_ms = cfg->connections_max_idle_ms,
	};

	b->cfg = cfg;
	b->lock_fd = b->sig_fd = -1;
	{
		sigset_t set;

		block_signals(&set); /* before any thread exists */
	}
	if (make_dirs(cfg->log_dirs) < 0) {
		log_error("cannot create data directory '%s': %s", cfg->log_dirs, strerror(errno));
		goto fail;
	}
	if (lock_data_dir(b) < 0 || load_meta(b) < 0)
		goto fail;
	b->l = loop_new();
	b->pg = purgatory_new(b->l, cfg->flush_threads);
	if (!b->pg)
		goto fail;
	/* the lock file lives in the data directory until after purgatory_free */
	purgatory_use_syncfs(b->pg, b->lock_fd, cfg->flush_syncfs_min_logs);
	b->ts = topics_open(cfg, b->pg);
	if (!b->ts)
		goto fail;
	b->gc = broker_groups_setup(b);
	if (!b->gc)
		goto fail;
	if (watch_signals(b) < 0) {
		log_error("cannot watch signals: %s", strerror(errno));
		goto fail;
	}
	b->ls = listener_new(b->l, &lc, dispatch_request, b);
	if (!b->ls)
		goto fail;
	loop_timer_add(b->l, CHECKPOINT_INTERVAL_MS, checkpoint_tick, b);
	b->rt = retention_task_start(b->l, b->ts, cfg->log_retention_check_interval_ms);
	b->ct = cleaner_task_new(b->l, b->ts, cfg);
	if (b->ct)
		topics_set_close_hook(b->ts, forget_cleaned_log, b);
	log_info("tidemark listening on %s:%d, data in '%s', cluster id %s", cfg->listen_host,
		 listener_port(b->ls), cfg->log_dirs, b->cluster_id);
	return b;
fail:
	broker_free(b);
	return NULL;
}

int broker_run(broker *b)
{
	loop_run(b->l);
	log_info("stopped serving; syncing logs");
	return 0;
}

void broker_free(broker *b)
{
	if (!b)
		return;
	if (b->pg)
		purgatory_flush_all(b->pg);
	if (b->ls)
		listener_free(b->ls);
	if (b->gc)
		broker_groups_teardown(b, b->gc);
	if (b->pg)
		purgatory_flush_all(b->pg);
	if (b->ct) {
		topics_set_close_hook(b->ts, NULL, NULL);
		cleaner_task_free(b->ct);
	}
	if (b->rt)
		retention_task_stop(b->rt);
	if (b->ts)
		topics_close(b->ts);
	if (b->pg)
		purgatory_free(b->pg);
	if (b->sig_fd >= 0) {
		if (b->l)
			loop_del_fd(b->l, b->sig_fd);
		close(b->sig_fd);
	}
	if (b->l)
		loop_free(b->l);
	if (b->lock_fd >= 0)
		close(b->lock_fd); /* releases the flock */
	free(b);
}
