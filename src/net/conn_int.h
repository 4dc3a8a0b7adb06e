/*
 * conn_int.h: what listener.c and conn.c share (not for other modules).
 *
 * The listener owns the listening sockets and a list of every conn it
 * accepted that is not freed yet: open ones, and closed ones that still
 * have requests in a handler's hands. A conn points back at its listener
 * until listener_free() detaches it; after that its remaining requests only
 * need the conn itself.
 */
#ifndef TM_CONN_INT_H
#define TM_CONN_INT_H

#include "net/conn.h"

#define LISTENER_MAX_FDS 4

struct listener {
	loop *l;
	int fds[LISTENER_MAX_FDS]; /* listening sockets (-1: none) */
	int nfds;
	int port;
	int32_t max_request_bytes;
	int max_inflight;
	int max_connections;
	int64_t idle_timeout_ms;
	conn_dispatch_fn *fn;
	void *ud;
	conn *conns;       /* every conn not yet freed (open or closed) */
	int nconns;        /* open conns */
	int inflight;      /* unfinished requests of attached conns */
	uint64_t accept_timer; /* re-enables accepting after EMFILE */
};

/* Takes over accepted socket fd (non-blocking) from peer "ip:port" and
 * starts reading. On failure the socket is closed (with a log line). */
void conn_accept(listener *ls, int fd, const char *peer);
/* Closes every conn of ls and detaches them (listener_free). */
void conn_detach_all(listener *ls);

#endif
