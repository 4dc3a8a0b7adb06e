/*
 * conn.h: client connections and the requests in flight on them.
 *
 * A connection reads frames (INT32 size, then header and body), checks the
 * size against socket.request.max.bytes before buffering anything, parses
 * the request header, and hands each request to the dispatcher. Requests on
 * one connection may be handled concurrently (a produce waiting for fsync
 * does not stop the next request being read), but responses go out in
 * request order, as Kafka clients expect. At most `max_inflight` requests are
 * open per connection; past that the connection stops reading (backpressure).
 *
 * A req outlives its connection: if the peer disconnects while a handler has
 * parked the request (delayed fetch, durable produce, join), the handler
 * still finishes it with req_respond()/req_drop(); the response is discarded.
 *
 * Malformed frames (bad size, truncated header, unknown API key or version)
 * close the connection with a log line; see dispatch.c for ApiVersions.
 */
#ifndef TM_CONN_H
#define TM_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/slice.h"
#include "net/loop.h"
#include "proto/frame.h"
#include "proto/kmsg.h"

typedef struct conn conn;
typedef struct req req;
typedef struct listener listener;

/*
 * The dispatcher: called on the loop thread for each request read. body is
 * the request body after the header (a view valid until the req is finished).
 * The callee must eventually call req_respond() or req_drop() exactly once.
 * Returning -1 instead means "malformed: close the connection" (the req is
 * then finished by the caller).
 */
typedef int conn_dispatch_fn(void *ud, req *r, const req_header *h, slice *body);

typedef struct listener_config {
	const char *host;           /* bind address, e.g. "0.0.0.0" or "127.0.0.1" */
	int port;                   /* 0: pick a free port */
	int32_t max_request_bytes;  /* socket.request.max.bytes */
	int max_inflight;           /* per connection */
	int max_connections;
	int64_t idle_timeout_ms;    /* connections.max.idle.ms */
} listener_config;

/*
 * Binds and listens on cfg->host (an IP literal or a name; "0.0.0.0" also
 * takes IPv6 where available, like the JVM) and watches the socket on l.
 * fn(ud, ...) is called for every request. All calls happen on the loop
 * thread. The process must ignore SIGPIPE (sendfile() has no MSG_NOSIGNAL).
 * Returns NULL (with a log line) on failure.
 */
listener *listener_new(loop *l, const listener_config *cfg, conn_dispatch_fn *fn, void *ud);
/* The port actually bound. */
int listener_port(const listener *ls);
/* Stops accepting (shutdown step 1). */
void listener_stop_accepting(listener *ls);
/* Number of requests still open on all connections (shutdown waits for 0). */
int listener_inflight(const listener *ls);
/* Number of open connections (for metrics and tests). */
int listener_connections(const listener *ls);
/* Closes every connection and frees the listener. Requests still held by
 * handlers stay valid and are finished as usual (responses discarded). */
void listener_free(listener *ls);

/*
 * Everything below is for the loop thread. A req and what these return stay
 * valid until req_respond(), req_drop() or req_close_conn() is called on it,
 * whether or not the connection is still open.
 */

/* The request's arena: decode into it; freed when the request finishes. */
arena *req_arena(req *r);
const req_header *req_hdr(const req *r);
/* Remote address as "ip:port" for logs and DescribeGroups client_host. */
const char *req_peer(const req *r);
/* False once the connection is gone (the response would be discarded). */
bool req_alive(const req *r);
/*
 * The response body buffer. The response header (correlation id, and the
 * tagged-field byte when flexible, except for ApiVersions) is written by
 * req_respond(); handlers append only the body, possibly with file refs.
 */
buf *req_body(req *r);
/* Queues the response built in req_body() and finishes the request. */
void req_respond(req *r);
/* Finishes the request with no response (acks=0). */
void req_drop(req *r);
/* Finishes the request and closes its connection (protocol error). */
void req_close_conn(req *r, const char *why);

#endif
