/*
 * broker_proc.c: starts, watches and stops a tidemark broker process.
 *
 * The child gets a free loopback port (bind to port 0, read it back, close:
 * a tiny race with other programs, acceptable for a benchmark), its own data
 * directory, and its output in a log file next to that directory. Start-up
 * is done when the broker answers a raw ApiVersions v0 request; that moment
 * is kept so the restart workload can report it. CPU time and memory come
 * from /proc/<pid>/stat (utime+stime) and /proc/<pid>/status (VmHWM, VmRSS).
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BROKER_PROC_MAX_ARGS 32

struct broker_proc {
	pid_t pid;            /* 0 once reaped */
	int status;           /* waitpid status once reaped */
	int port;
	char bootstrap[64];
	char dir[512];
	char log[560];
	int64_t ready_us;
};

/* Returns a loopback TCP port that was free a moment ago, or -1. */
static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/*
 * One ApiVersions v0 round trip on 127.0.0.1:port within timeout_ms.
 * Returns 0 when a response with our correlation id came back.
 */
static int probe_apiversions(int port, int timeout_ms)
{
	static const unsigned char req[] = {
		0, 0, 0, 10,   /* size */
		0, 18, 0, 0,   /* ApiKey 18, version 0 */
		0, 0, 0x7a, 0x7a, /* correlation id */
		0xff, 0xff,    /* null client id */
	};
	struct sockaddr_in sa;
	unsigned char resp[8];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	if (write(fd, req, sizeof(req)) != (ssize_t)sizeof(req))
		goto out;
	while (got < sizeof(resp)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			goto out;
		n = read(fd, resp + got, sizeof(resp) - got);
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	if (resp[6] == 0x7a && resp[7] == 0x7a)
		rc = 0;
out:
	close(fd);
	return rc;
}

/* Child side of the fork: redirect output, exec. Never returns. */
static void exec_child(const char *bin, const broker_proc *p,
		       const char *const *overrides)
{
	const char *argv[BROKER_PROC_MAX_ARGS + 1];
	char listen[48];
	int argc = 0;
	int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

	/* If the benchmark dies, so does its broker (no orphans). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", p->port);
	argv[argc++] = bin;
	argv[argc++] = "--listen";
	argv[argc++] = listen;
	argv[argc++] = "--data-dir";
	argv[argc++] = p->dir;
	argv[argc++] = "--log-level";
	argv[argc++] = "warn";
	for (; overrides && *overrides && argc < BROKER_PROC_MAX_ARGS - 1;
	     overrides++) {
		argv[argc++] = "--override";
		argv[argc++] = *overrides;
	}
	argv[argc] = NULL;
	execv(bin, (char *const *)argv);
	fprintf(stderr, "exec '%s' failed: %s\n", bin, strerror(errno));
	_exit(127);
}

/* Returns true if p's child has exited (and reaps it). */
static bool proc_exited(broker_proc *p)
{
	int st;

	if (!p->pid)
		return true;
	if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
		p->status = st;
		p->pid = 0;
		return true;
	}
	return false;
}

/* Waits until p answers or timeout_ms pass. Returns 0 when it answered. */
static int wait_ready(broker_proc *p, int64_t t0, int timeout_ms)
{
	int64_t deadline = t0 + (int64_t)timeout_ms * 1000;

	while (bench_now_us() < deadline) {
		if (proc_exited(p)) {
			fprintf(stderr, "tidemarkd exited during start-up "
				"(status %d); see %s\n", p->status, p->log);
			return -1;
		}
		if (probe_apiversions(p->port, 200) == 0) {
			p->ready_us = bench_now_us() - t0;
			return 0;
		}
		usleep(2000);
	}
	fprintf(stderr, "tidemarkd did not answer within %d ms; see %s\n",
		timeout_ms, p->log);
	return -1;
}

/* Makes p->dir and p->log: dir given, or a fresh mkdtemp under tmp_base. */
static int make_dirs(broker_proc *p, const char *tmp_base, const char *dir)
{
	if (dir) {
		snprintf(p->dir, sizeof(p->dir), "%s", dir);
		if (mkdir(p->dir, 0755) < 0 && errno != EEXIST)
			return -1;
	} else {
		snprintf(p->dir, sizeof(p->dir), "%s/tidemark-bench.XXXXXX",
			 tmp_base);
		if (!mkdtemp(p->dir))
			return -1;
	}
	snprintf(p->log, sizeof(p->log), "%s.log", p->dir);
	return 0;
}

/* See bench.h. */
broker_proc *broker_proc_start(const char *bin, const char *tmp_base,
			       const char *dir, const char *const *overrides,
			       int timeout_ms)
{
	broker_proc *p = calloc(1, sizeof(*p));
	int64_t t0;

	if (!p)
		return NULL;
	if (make_dirs(p, tmp_base, dir) < 0) {
		fprintf(stderr, "cannot create data dir under '%s': %s\n",
			tmp_base, strerror(errno));
		free(p);
		return NULL;
	}
	p->port = free_port();
	if (p->port < 0) {
		fprintf(stderr, "no free port: %s\n", strerror(errno));
		free(p);
		return NULL;
	}
	snprintf(p->bootstrap, sizeof(p->bootstrap), "127.0.0.1:%d", p->port);
	t0 = bench_now_us();
	p->pid = fork();
	if (p->pid < 0) {
		fprintf(stderr, "fork failed: %s\n", strerror(errno));
		free(p);
		return NULL;
	}
	if (p->pid == 0)
		exec_child(bin, p, overrides);
	if (wait_ready(p, t0, timeout_ms) < 0) {
		broker_proc_free(p, false);
		return NULL;
	}
	return p;
}

/* See bench.h. */
const char *broker_proc_bootstrap(const broker_proc *p)
{
	return p->bootstrap;
}

/* See bench.h. */
const char *broker_proc_dir(const broker_proc *p)
{
	return p->dir;
}

/* See bench.h. */
int64_t broker_proc_ready_us(const broker_proc *p)
{
	return p->ready_us;
}

/* See bench.h. */
double broker_proc_cpu_s(const broker_proc *p)
{
	char path[64], buf[1024];
	unsigned long utime, stime;
	const char *s;
	FILE *f;
	size_t n;

	if (!p->pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces; fields restart after its ')'. */
	s = strrchr(buf, ')');
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* See bench.h. */
int broker_proc_mem_kb(const broker_proc *p, long *hwm_kb, long *rss_kb)
{
	char path[64], line[256];
	FILE *f;

	*hwm_kb = *rss_kb = -1;
	if (!p->pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmHWM:", 6))
			*hwm_kb = strtol(line + 6, NULL, 10);
		else if (!strncmp(line, "VmRSS:", 6))
			*rss_kb = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	return 0;
}

/* See bench.h. */
int broker_proc_stop(broker_proc *p)
{
	int64_t deadline;

	if (!p->pid)
		return p->status;
	kill(p->pid, SIGTERM);
	deadline = bench_now_us() + 15 * 1000000LL;
	while (!proc_exited(p)) {
		if (bench_now_us() > deadline) {
			fprintf(stderr, "tidemarkd ignored SIGTERM for 15 s; "
				"killing it\n");
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &p->status, 0);
			p->pid = 0;
			return -1;
		}
		usleep(2000);
	}
	return p->status;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* See bench.h. */
void broker_proc_free(broker_proc *p, bool remove_dir)
{
	if (!p)
		return;
	broker_proc_stop(p);
	if (remove_dir) {
		nftw(p->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		remove(p->log);
	}
	free(p);
}
