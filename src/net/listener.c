/*
 * listener.c: listening sockets and accepting connections. See conn.h.
 *
 * The bind address is resolved with getaddrinfo (numeric or a name such as
 * "localhost", which may give both 127.0.0.1 and ::1: every address gets a
 * socket, up to LISTENER_MAX_FDS, all on the same port). "0.0.0.0" binds a
 * dual-stack "::" socket when the host has IPv6, as the JVM does for Kafka,
 * so clients that resolve "localhost" to ::1 connect too; "::" is always
 * dual-stack. Sockets are non-blocking with SO_REUSEADDR; accepted ones get
 * TCP_NODELAY. When accept() runs out of descriptors, accepting pauses for
 * LISTENER_EMFILE_PAUSE_MS rather than spinning on the readable socket.
 */
#include "net/conn_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/logger.h"
#include "core/xalloc.h"

#define LISTENER_BACKLOG 511
#define LISTENER_ACCEPTS_PER_EVENT 64
#define LISTENER_EMFILE_PAUSE_MS 100

/* Formats addr as "ip:port" ("[ip6]:port"; v4-mapped shown as IPv4). */
static void format_peer(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(out, outlen, "%s:%u", ip, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, sizeof(ip));
			snprintf(out, outlen, "%s:%u", ip, ntohs(a->sin6_port));
		} else {
			inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
			snprintf(out, outlen, "[%s]:%u", ip, ntohs(a->sin6_port));
		}
	} else {
		snprintf(out, outlen, "unknown");
	}
}

static void accept_resume_cb(loop *l, void *ud)
{
	listener *ls = ud;

	ls->accept_timer = 0;
	for (int i = 0; i < ls->nfds; i++)
		if (loop_mod_fd(l, ls->fds[i], LOOP_READ) < 0)
			log_error("re-enabling accept failed: %s", strerror(errno));
}

/* Out of descriptors: stop watching the listening sockets for a while. */
static void accept_pause(listener *ls)
{
	if (ls->accept_timer)
		return;
	log_warn("accept failed: %s; pausing accepts for %d ms", strerror(errno),
		 LISTENER_EMFILE_PAUSE_MS);
	for (int i = 0; i < ls->nfds; i++)
		loop_mod_fd(ls->l, ls->fds[i], 0);
	ls->accept_timer = loop_timer_add(ls->l, LISTENER_EMFILE_PAUSE_MS, accept_resume_cb, ls);
}

static void take_conn(listener *ls, int fd, const struct sockaddr_storage *ss)
{
	char peer[64];
	int one = 1;

	format_peer(ss, peer, sizeof(peer));
	if (ls->nconns >= ls->max_connections) {
		log_warn("refusing connection from %s: max.connections (%d) reached", peer,
			 ls->max_connections);
		close(fd);
		return;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_debug("TCP_NODELAY on %s failed: %s", peer, strerror(errno));
	conn_accept(ls, fd, peer);
}

static void on_accept(loop *l, int fd, int events, void *ud)
{
	listener *ls = ud;

	(void)l;
	(void)events;
	for (int i = 0; i < LISTENER_ACCEPTS_PER_EVENT; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			take_conn(ls, cfd, &ss);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
		case EPERM:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			accept_pause(ls);
			return;
		case EAGAIN:
			return;
		default:
			log_warn("accept failed: %s", strerror(errno));
			return;
		}
	}
}

/* Opens, binds and listens on one address. Returns the fd or -1. */
static int bind_one(const struct sockaddr *sa, socklen_t salen, int port, const char *shown)
{
	struct sockaddr_storage ss;
	int fd, one = 1, zero = 0;

	memcpy(&ss, sa, salen);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err_fd;
	/* Dual-stack where the system allows it; failure is not fatal. */
	if (ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr))
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, salen) < 0)
		goto err_fd;
	if (listen(fd, LISTENER_BACKLOG) < 0)
		goto err_fd;
	return fd;

err_fd:
	close(fd);
err:
	log_debug("cannot listen on '%s' port %d: %s", shown, port, strerror(errno));
	return -1;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Binds every address host resolves to, on one port. Returns 0 or -1. */
static int bind_host(listener *ls, const char *host, int port)
{
	struct addrinfo hints, *res, *ai;
	int rc, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host && *host ? host : NULL, "0", &hints, &res);
	if (rc != 0) {
		log_error("cannot resolve listener address '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && ls->nfds < LISTENER_MAX_FDS; ai = ai->ai_next) {
		int fd = bind_one(ai->ai_addr, ai->ai_addrlen, ls->port ? ls->port : port, host);

		if (fd < 0) {
			err = errno;
			continue;
		}
		if (!ls->port)
			ls->port = bound_port(fd);
		ls->fds[ls->nfds++] = fd;
	}
	freeaddrinfo(res);
	if (ls->nfds == 0) {
		log_error("cannot listen on '%s' port %d: %s", host, port, strerror(err));
		return -1;
	}
	return 0;
}

/* "0.0.0.0": the JVM's dual-stack wildcard when IPv6 exists, else IPv4. */
static int bind_any(listener *ls, int port)
{
	struct sockaddr_in6 a6;
	int fd;

	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_addr = in6addr_any;
	fd = bind_one((struct sockaddr *)&a6, sizeof(a6), port, "::");
	if (fd < 0)
		return bind_host(ls, "0.0.0.0", port);
	ls->fds[ls->nfds++] = fd;
	ls->port = bound_port(fd);
	return 0;
}

listener *listener_new(loop *l, const listener_config *cfg, conn_dispatch_fn *fn, void *ud)
{
	listener *ls = xcalloc(1, sizeof(*ls));
	const char *host = cfg->host ? cfg->host : "0.0.0.0";
	int rc;

	ls->l = l;
	ls->max_request_bytes = cfg->max_request_bytes;
	ls->max_inflight = cfg->max_inflight;
	ls->max_connections = cfg->max_connections > 0 ? cfg->max_connections : 1;
	ls->idle_timeout_ms = cfg->idle_timeout_ms;
	ls->fn = fn;
	ls->ud = ud;
	if (cfg->port < 0 || cfg->port > 65535) {
		log_error("bad listener port %d", cfg->port);
		goto err;
	}
	if (strcmp(host, "0.0.0.0") == 0 || *host == '\0')
		rc = bind_any(ls, cfg->port);
	else
		rc = bind_host(ls, host, cfg->port);
	if (rc < 0 || ls->port <= 0)
		goto err;
	for (int i = 0; i < ls->nfds; i++) {
		if (loop_add_fd(l, ls->fds[i], LOOP_READ, on_accept, ls) < 0) {
			log_error("watching listener socket failed: %s", strerror(errno));
			goto err;
		}
	}
	log_info("listening on %s port %d", host, ls->port);
	return ls;

err:
	for (int i = 0; i < ls->nfds; i++) {
		loop_del_fd(l, ls->fds[i]);
		close(ls->fds[i]);
	}
	free(ls);
	return NULL;
}

int listener_port(const listener *ls)
{
	return ls->port;
}

void listener_stop_accepting(listener *ls)
{
	for (int i = 0; i < ls->nfds; i++) {
		loop_del_fd(ls->l, ls->fds[i]);
		close(ls->fds[i]);
	}
	ls->nfds = 0;
	loop_timer_cancel(ls->l, ls->accept_timer);
	ls->accept_timer = 0;
}

int listener_inflight(const listener *ls)
{
	return ls->inflight;
}

int listener_connections(const listener *ls)
{
	return ls->nconns;
}

void listener_free(listener *ls)
{
	if (!ls)
		return;
	listener_stop_accepting(ls);
	conn_detach_all(ls);
	free(ls);
}
