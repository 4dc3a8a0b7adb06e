/*
 * conn.c: client connections and their requests. See conn.h.
 *
 * Input. Bytes are read into a staging buffer (CONN_IN_SIZE, allocated only
 * while it holds bytes, so idle connections cost no buffer). A frame
 * is its INT32 size, checked against [CONN_MIN_FRAME, max_request_bytes]
 * before anything is allocated for it (librdkafka's mock broker and git's
 * pkt-line do the same), then the frame bytes. A frame that fits in the
 * staging buffer is completed there; a larger one gets a buffer of exactly
 * its size, filled by the following reads. Each complete frame is copied
 * (or moved) into its own allocation, which the req keeps until it is
 * finished, because decoded strings point into it.
 *
 * Requests. Each conn keeps a FIFO of its reqs in arrival order. Finishing a
 * req (req_respond/req_drop) marks it; every finished req at the head of the
 * FIFO then moves its response to the output queue, so responses leave in
 * request order whatever order the handlers finish in.
 *
 * Output. A queue of responses: a small head (size prefix and response
 * header) plus the body buf, whose file refs split it into memory pieces and
 * file ranges. Memory pieces go out with sendmsg (gathering up to CONN_IOV
 * of them, across responses), file ranges with sendfile. Partial writes
 * leave a cursor in the head response and turn on LOOP_WRITE.
 *
 * Backpressure. A conn stops reading while max_inflight reqs sit in its FIFO
 * or more than CONN_OUT_HIGH bytes wait in its output. Complete frames
 * already staged are dispatched later from a zero-delay timer, because no
 * socket event may come to trigger them.
 *
 * Lifetime. A conn is reference-counted: one reference while open, one per
 * req, one for the duration of each callback that may close it. conn_close()
 * releases the socket and buffers at once; the struct goes when the last
 * reference does. A req is freed once it is finished and out of the FIFO,
 * but never while its dispatcher call is still running (r->pinned), so a
 * dispatcher that finishes a req and then returns -1 cannot free it twice.
 *
 * All of this runs on the loop thread. SIGPIPE must be ignored by the
 * process (main.c does): sendfile() cannot be told MSG_NOSIGNAL.
 */
#include "net/conn_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/gen/apis.h"

#define CONN_IN_SIZE (64 * 1024)
/* api_key + api_version + correlation_id: the shortest request header. */
#define CONN_MIN_FRAME 8
#define CONN_OUT_HIGH (4 * 1024 * 1024)
#define CONN_IOV 64
#define CONN_READS_PER_EVENT 16
/* A response body may not push the INT32 size prefix past INT32_MAX. */
#define CONN_BODY_MAX ((size_t)INT32_MAX - 64)

struct out {
	struct out *next;
	uint8_t head[16]; /* size prefix + response header */
	size_t head_len;
	buf body;
	size_t seg;     /* current segment (see out_seg) */
	size_t seg_off; /* bytes of it already sent */
};

struct req {
	conn *c;
	req *next;      /* FIFO */
	arena *a;
	uint8_t *frame; /* the frame after its size; decoded views point here */
	req_header h;
	buf body;
	bool finished;
	bool respond;
	bool queued;    /* in c's FIFO */
	bool pinned;    /* its dispatcher call is running */
};

struct conn {
	listener *ls;   /* NULL once detached */
	loop *l;
	conn *prev, *next; /* ls->conns */
	int fd;         /* -1 once closed */
	int refs;
	int events;     /* LOOP_* being watched */
	bool closed;
	bool in_event;  /* conn_on_event/conn_resume_cb runs: it updates last */
	char peer[64];
	int32_t max_request_bytes;
	int max_inflight;
	int64_t idle_ms;
	int64_t last_active;
	uint64_t idle_timer, resume_timer;
	/* input */
	uint8_t *in;    /* staging, CONN_IN_SIZE */
	size_t in_len;
	uint8_t *frame; /* a large frame being filled */
	size_t frame_size, frame_got;
	/* requests */
	req *rq_head, *rq_tail;
	int nreqs;
	/* output */
	struct out *out_head, *out_tail;
	size_t out_bytes;
};

static void conn_close(conn *c);
static void conn_update(conn *c);
static void conn_flush(conn *c);

/* ---- references ---- */

static void conn_ref(conn *c)
{
	c->refs++;
}

static void conn_unref(conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->ls) {
		if (c->prev)
			c->prev->next = c->next;
		else
			c->ls->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
	}
	free(c);
}

/* ---- requests ---- */

static void req_destroy(req *r)
{
	conn *c = r->c;

	arena_free(r->a);
	free(r->frame);
	buf_release(&r->body);
	free(r);
	conn_unref(c);
}

/* Frees r when nothing refers to it any more. */
static void req_maybe_destroy(req *r)
{
	if (r->finished && !r->queued && !r->pinned)
		req_destroy(r);
}

static const char *api_name(int16_t key)
{
	const api_info *ai = apis_find(key);

	return ai ? ai->name : "unknown API";
}

/* Moves the response of r (finished, just out of the FIFO) to the output. */
static void out_push(conn *c, req *r)
{
	struct out *o = xcalloc(1, sizeof(*o));
	size_t total;
	buf hb;

	buf_init(&hb, sizeof(o->head) - 4);
	frame_write_response_header(&hb, &r->h);
	total = hb.len + buf_total(&r->body);
	/* CONN_BODY_MAX keeps total within INT32 (checked when finishing). */
	be32_put(o->head, (uint32_t)total);
	memcpy(o->head + 4, hb.data, hb.len);
	o->head_len = 4 + hb.len;
	buf_release(&hb);
	o->body = r->body;
	buf_init(&r->body, 0);
	c->out_bytes += o->head_len + buf_total(&o->body);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
}

/* Pops every finished req at the head of the FIFO, queueing its response. */
static void conn_advance(conn *c)
{
	req *r;

	while ((r = c->rq_head) && r->finished) {
		c->rq_head = r->next;
		if (!c->rq_head)
			c->rq_tail = NULL;
		c->nreqs--;
		r->next = NULL;
		r->queued = false;
		if (r->respond && !c->closed)
			out_push(c, r);
		req_maybe_destroy(r);
	}
}

static void req_finish(req *r, bool respond)
{
	conn *c = r->c;

	if (r->finished) {
		log_error("request %s v%d from %s finished twice", api_name(r->h.api_key),
			  r->h.api_version, c->peer);
		return;
	}
	conn_ref(c);
	if (c->ls)
		c->ls->inflight--;
	/*
	 * buf_extend() caps the memory bytes only, so check the total with the
	 * file refs too: it must fit the INT32 size prefix. Close before
	 * marking r finished, so conn_close() leaves r alone.
	 */
	if (respond && (r->body.err || buf_total(&r->body) > CONN_BODY_MAX) && !c->closed) {
		log_error("closing connection from %s: response to %s v%d does not fit in "
			  "%zu bytes", c->peer, api_name(r->h.api_key), r->h.api_version,
			  CONN_BODY_MAX);
		conn_close(c);
	}
	r->finished = true;
	r->respond = respond && !c->closed;
	if (c->closed) {
		req_maybe_destroy(r);
	} else {
		conn_advance(c);
		conn_flush(c);
		/* Inside an event callback (a handler answering at once) the
		 * staged frame is still in c->in, so updating now would drop
		 * LOOP_READ only for the callback to add it back: two
		 * epoll_ctl calls per request. The callback updates at its end. */
		if (!c->in_event)
			conn_update(c);
	}
	conn_unref(c);
}

arena *req_arena(req *r)
{
	if (!r->a)
		r->a = arena_new();
	return r->a;
}

const req_header *req_hdr(const req *r)
{
	return &r->h;
}

const char *req_peer(const req *r)
{
	return r->c->peer;
}

bool req_alive(const req *r)
{
	return !r->c->closed;
}

buf *req_body(req *r)
{
	return &r->body;
}

void req_respond(req *r)
{
	req_finish(r, true);
}

void req_drop(req *r)
{
	req_finish(r, false);
}

void req_close_conn(req *r, const char *why)
{
	conn *c = r->c;

	conn_ref(c);
	if (!c->closed)
		log_warn("closing connection from %s: %s", c->peer, why ? why : "protocol error");
	conn_close(c);
	req_finish(r, false);
	conn_unref(c);
}

/* ---- output ---- */

/* Segment i of o: 0 is the head; odd ones are the memory pieces of the body
 * between file refs; even ones (from 2) are the file refs. Returns false past
 * the last. */
static bool out_seg(const struct out *o, size_t i, const uint8_t **p, size_t *len,
		    const buf_fileref **ref)
{
	const buf *b = &o->body;
	size_t k, from, to;

	*ref = NULL;
	*p = NULL;
	if (i == 0) {
		*p = o->head;
		*len = o->head_len;
		return true;
	}
	if (i > 2 * b->nrefs + 1)
		return false;
	k = (i - 1) / 2;
	if (i % 2 == 0) {
		*ref = &b->refs[k];
		*len = b->refs[k].len;
		return true;
	}
	from = k == 0 ? 0 : b->refs[k - 1].at;
	to = k < b->nrefs ? b->refs[k].at : b->len;
	*p = b->data ? b->data + from : NULL; /* an empty body has no data */
	*len = to - from;
	return true;
}

/* Consumes n sent bytes from the head of the output queue, freeing every
 * response that is then complete (empty pieces are skipped here too). */
static void out_consume(conn *c, size_t n)
{
	c->out_bytes -= n;
	while (c->out_head) {
		struct out *o = c->out_head;
		const buf_fileref *ref;
		const uint8_t *p;
		size_t len, take;

		if (!out_seg(o, o->seg, &p, &len, &ref)) {
			c->out_head = o->next;
			if (!c->out_head)
				c->out_tail = NULL;
			buf_release(&o->body);
			free(o);
			continue;
		}
		if (o->seg_off == len) {
			o->seg++;
			o->seg_off = 0;
			continue;
		}
		if (n == 0)
			break;
		take = n < len - o->seg_off ? n : len - o->seg_off;
		o->seg_off += take;
		n -= take;
	}
}

/*
 * Collects the pending memory pieces at the head of the queue into iov,
 * stopping at the first file ref. Returns the count; when the very first
 * pending piece is a file ref, returns 0 and points *o_ref at its response.
 */
static int out_gather(conn *c, struct iovec *iov, struct out **o_ref)
{
	int n = 0;

	*o_ref = NULL;
	for (struct out *o = c->out_head; o; o = o->next) {
		for (size_t i = o->seg;; i++) {
			const buf_fileref *ref;
			const uint8_t *p;
			size_t len, skip = i == o->seg ? o->seg_off : 0;

			if (!out_seg(o, i, &p, &len, &ref))
				break;
			if (ref && len <= skip)
				continue; /* an empty file range: out_consume skips it */
			if (ref) {
				/* Only at the cursor; anything else is left to
				 * out_consume(c, 0) to normalise first. */
				if (n == 0 && o == c->out_head && i == o->seg)
					*o_ref = o;
				return n;
			}
			if (len > skip) {
				iov[n].iov_base = (void *)(p + skip);
				iov[n].iov_len = len - skip;
				if (++n == CONN_IOV)
					return n;
			}
		}
	}
	return n;
}

/* Sends the file range the head response is at. Returns bytes sent, 0 on
 * EAGAIN, -1 after closing the conn. */
static ssize_t out_sendfile(conn *c, struct out *o)
{
	const buf_fileref *ref = &o->body.refs[(o->seg - 2) / 2];
	off_t pos = ref->pos + (off_t)o->seg_off;
	size_t left = ref->len - o->seg_off;
	ssize_t n;

	do
		n = sendfile(c->fd, ref->fd, &pos, left);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0) {
		log_info("closing connection from %s: sendfile failed: %s", c->peer,
			 strerror(errno));
		conn_close(c);
		return -1;
	}
	if (n == 0) {
		/* The file is shorter than the range promised in the response:
		 * the frame can no longer be completed. */
		log_error("closing connection from %s: file ended %zu bytes early in a "
			  "response", c->peer, left);
		conn_close(c);
		return -1;
	}
	return n;
}

/* Writes as much output as the socket takes. May close c. */
static void conn_flush(conn *c)
{
	while (!c->closed && c->out_head) {
		struct iovec iov[CONN_IOV];
		struct msghdr mh;
		struct out *o_ref;
		ssize_t n;
		size_t want = 0;
		int cnt = out_gather(c, iov, &o_ref);

		if (cnt == 0 && o_ref) {
			n = out_sendfile(c, o_ref);
			if (n <= 0)
				return;
			c->last_active = loop_now(c->l);
			out_consume(c, (size_t)n);
			continue;
		}
		if (cnt == 0) {
			/* Only empty pieces before the next data: drop them. */
			out_consume(c, 0);
			continue;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)cnt;
		for (int i = 0; i < cnt; i++)
			want += iov[i].iov_len;
		do
			n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			log_info("closing connection from %s: write failed: %s", c->peer,
				 strerror(errno));
			conn_close(c);
			return;
		}
		c->last_active = loop_now(c->l);
		out_consume(c, (size_t)n);
		if ((size_t)n < want)
			return; /* the socket is full */
	}
}

/* ---- input ---- */

static bool can_dispatch(const conn *c)
{
	return !c->closed && c->nreqs < c->max_inflight && c->out_bytes <= CONN_OUT_HIGH;
}

static bool size_ok(const conn *c, uint32_t size)
{
	return size >= CONN_MIN_FRAME && size <= (uint32_t)c->max_request_bytes;
}

/* True when the staging buffer holds something conn_parse() would act on. */
static bool staged_ready(const conn *c)
{
	uint32_t size;

	if (c->frame || c->in_len < 4)
		return false;
	size = be32_get(c->in);
	return !size_ok(c, size) || c->in_len - 4 >= size || (size_t)size + 4 > CONN_IN_SIZE;
}

static bool can_read(const conn *c)
{
	return can_dispatch(c) && !staged_ready(c);
}

static void bad_size(conn *c, uint32_t size)
{
	log_warn("closing connection from %s: request size %lld is outside [%d, %d]",
		 c->peer, (long long)(int32_t)size, CONN_MIN_FRAME, (int)c->max_request_bytes);
	conn_close(c);
}

/* Parses the header of a complete frame (owned by us now), makes its req
 * and hands it to the dispatcher. May close c. */
static void conn_dispatch(conn *c, uint8_t *frame, size_t len)
{
	req *r;
	slice s, body;
	int rc;

	slice_init(&s, frame, len);
	r = xcalloc(1, sizeof(*r));
	if (frame_parse_request_header(&s, &r->h) < 0) {
		log_warn("closing connection from %s: malformed request header (%zu bytes)",
			 c->peer, len);
		free(r);
		free(frame);
		conn_close(c);
		return;
	}
	r->c = c;
	r->frame = frame;
	r->queued = true;
	buf_init(&r->body, CONN_BODY_MAX);
	conn_ref(c);
	if (c->rq_tail)
		c->rq_tail->next = r;
	else
		c->rq_head = r;
	c->rq_tail = r;
	c->nreqs++;
	c->ls->inflight++;
	body = s;
	r->pinned = true;
	rc = c->ls->fn(c->ls->ud, r, &r->h, &body);
	if (rc < 0) {
		if (r->finished)
			log_error("dispatcher failed %s v%d from %s after finishing it",
				  api_name(r->h.api_key), r->h.api_version, c->peer);
		else
			log_warn("malformed %s v%d from %s", api_name(r->h.api_key),
				 r->h.api_version, c->peer);
		conn_close(c);
		if (!r->finished)
			req_finish(r, false);
	}
	r->pinned = false;
	req_maybe_destroy(r);
}

/* Dispatches the complete frames in the staging buffer while allowed, and
 * moves the start of a frame too large for it into its own buffer. */
static void conn_parse(conn *c)
{
	size_t pos = 0;

	while (can_dispatch(c) && c->in_len - pos >= 4) {
		uint32_t size = be32_get(c->in + pos);
		uint8_t *f;

		if (!size_ok(c, size)) {
			bad_size(c, size);
			return;
		}
		if (c->in_len - pos - 4 >= size) {
			f = xmalloc(size);
			memcpy(f, c->in + pos + 4, size);
			pos += 4 + (size_t)size;
			conn_dispatch(c, f, size);
			continue;
		}
		if ((size_t)size + 4 > CONN_IN_SIZE) {
			c->frame_size = size;
			c->frame_got = c->in_len - pos - 4;
			c->frame = xmalloc(size);
			memcpy(c->frame, c->in + pos + 4, c->frame_got);
			pos = c->in_len;
		}
		break;
	}
	if (c->closed || pos == 0)
		return;
	memmove(c->in, c->in + pos, c->in_len - pos);
	c->in_len -= pos;
}

static void conn_read_some(conn *c)
{
	for (int i = 0; i < CONN_READS_PER_EVENT && can_read(c); i++) {
		uint8_t *dst;
		size_t room;
		ssize_t n;

		if (!c->frame && !c->in)
			c->in = xmalloc(CONN_IN_SIZE);
		dst = c->frame ? c->frame + c->frame_got : c->in + c->in_len;
		room = c->frame ? c->frame_size - c->frame_got : CONN_IN_SIZE - c->in_len;
		n = read(c->fd, dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			/* A reset is how many clients say goodbye. */
			log_msg(errno == ECONNRESET ? LOG_DEBUG : LOG_INFO,
				"closing connection from %s: read failed: %s", c->peer,
				strerror(errno));
			conn_close(c);
			return;
		}
		if (n == 0) {
			/* Like Kafka, end-of-stream closes at once, even if
			 * the peer only shut down its sending side: pending
			 * responses are dropped and parked reqs see
			 * req_alive() false. */
			if (c->frame || c->in_len > 0)
				log_info("connection from %s closed in the middle of a request",
					 c->peer);
			else
				log_debug("connection from %s closed by the peer", c->peer);
			conn_close(c);
			return;
		}
		c->last_active = loop_now(c->l);
		if (c->frame) {
			c->frame_got += (size_t)n;
			if (c->frame_got == c->frame_size) {
				uint8_t *f = c->frame;

				c->frame = NULL;
				conn_dispatch(c, f, c->frame_size);
			}
		} else {
			c->in_len += (size_t)n;
		}
		if (!c->closed && !c->frame)
			conn_parse(c);
		if (c->closed)
			return;
		/* A short read drained the socket: the (level-triggered)
		 * loop reports it again when more arrives, so a read that
		 * would only say EAGAIN is saved. */
		if ((size_t)n < room)
			return;
	}
}

/* The staging buffer exists only while it holds bytes or a read is under
 * way, so idle connections cost no buffer memory. */
static void conn_read(conn *c)
{
	conn_read_some(c);
	if (!c->closed && c->in_len == 0) {
		free(c->in);
		c->in = NULL;
	}
}

/* ---- events, timers, state ---- */

static void conn_resume_cb(loop *l, void *ud)
{
	conn *c = ud;

	(void)l;
	c->resume_timer = 0;
	conn_ref(c);
	c->in_event = true;
	conn_parse(c);
	if (!c->closed && c->in_len == 0) {
		free(c->in);
		c->in = NULL;
	}
	c->in_event = false;
	conn_update(c);
	conn_unref(c);
}

/* Sets the watched events from the state and schedules the dispatch of
 * staged frames. */
static void conn_update(conn *c)
{
	int ev = 0;

	if (c->closed)
		return;
	if (can_read(c))
		ev |= LOOP_READ;
	if (c->out_head)
		ev |= LOOP_WRITE;
	if (ev != c->events) {
		if (loop_mod_fd(c->l, c->fd, ev) < 0) {
			log_error("closing connection from %s: epoll_ctl failed: %s", c->peer,
				  strerror(errno));
			conn_close(c);
			return;
		}
		c->events = ev;
	}
	if (can_dispatch(c) && staged_ready(c) && !c->resume_timer)
		c->resume_timer = loop_timer_add(c->l, 0, conn_resume_cb, c);
}

static void conn_on_event(loop *l, int fd, int events, void *ud)
{
	conn *c = ud;

	(void)l;
	(void)fd;
	conn_ref(c);
	c->in_event = true;
	if (events & LOOP_WRITE)
		conn_flush(c);
	if (!c->closed && (events & LOOP_READ))
		conn_read(c);
	/* A hang-up with nothing to read or write would be reported forever. */
	if (!c->closed && (events & LOOP_HUP) && !(events & (LOOP_READ | LOOP_WRITE))) {
		log_info("closing connection from %s: hang-up", c->peer);
		conn_close(c);
	}
	c->in_event = false;
	conn_update(c);
	conn_unref(c);
}

static void conn_idle_cb(loop *l, void *ud)
{
	conn *c = ud;
	int64_t idle = loop_now(l) - c->last_active;

	c->idle_timer = 0;
	if (c->nreqs == 0 && !c->out_head && idle >= c->idle_ms) {
		log_info("closing connection from %s: idle for %lld ms", c->peer,
			 (long long)idle);
		conn_ref(c);
		conn_close(c);
		conn_unref(c);
		return;
	}
	c->idle_timer = loop_timer_add(l, idle >= c->idle_ms ? c->idle_ms : c->idle_ms - idle,
				       conn_idle_cb, c);
}

/* Releases the socket, buffers and timers at once; unfinished reqs stay
 * with their handlers. The caller holds a reference (c survives). */
static void conn_close(conn *c)
{
	req *r, *next;

	if (c->closed)
		return;
	c->closed = true;
	loop_del_fd(c->l, c->fd);
	close(c->fd);
	c->fd = -1;
	loop_timer_cancel(c->l, c->idle_timer);
	loop_timer_cancel(c->l, c->resume_timer);
	c->idle_timer = c->resume_timer = 0;
	free(c->in);
	free(c->frame);
	c->in = c->frame = NULL;
	c->in_len = 0;
	while (c->out_head) {
		struct out *o = c->out_head;

		c->out_head = o->next;
		buf_release(&o->body);
		free(o);
	}
	c->out_tail = NULL;
	c->out_bytes = 0;
	r = c->rq_head;
	c->rq_head = c->rq_tail = NULL;
	c->nreqs = 0;
	for (; r; r = next) {
		next = r->next;
		r->next = NULL;
		r->queued = false;
		req_maybe_destroy(r);
	}
	if (c->ls)
		c->ls->nconns--;
	conn_unref(c); /* the open reference */
}

void conn_accept(listener *ls, int fd, const char *peer)
{
	conn *c = xcalloc(1, sizeof(*c));

	c->ls = ls;
	c->l = ls->l;
	c->fd = fd;
	c->refs = 1;
	c->events = LOOP_READ;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->max_request_bytes = ls->max_request_bytes;
	c->max_inflight = ls->max_inflight > 0 ? ls->max_inflight : 1;
	c->idle_ms = ls->idle_timeout_ms;
	c->last_active = loop_now(c->l);
	if (loop_add_fd(c->l, fd, LOOP_READ, conn_on_event, c) < 0) {
		log_error("dropping connection from %s: epoll_ctl failed: %s", peer,
			  strerror(errno));
		close(fd);
		free(c);
		return;
	}
	c->next = ls->conns;
	if (ls->conns)
		ls->conns->prev = c;
	ls->conns = c;
	ls->nconns++;
	if (c->idle_ms > 0)
		c->idle_timer = loop_timer_add(c->l, c->idle_ms, conn_idle_cb, c);
	log_debug("accepted connection from %s", peer);
}

void conn_detach_all(listener *ls)
{
	conn *c;

	while ((c = ls->conns)) {
		conn_ref(c);
		conn_close(c);
		ls->conns = c->next;
		if (c->next)
			c->next->prev = NULL;
		c->ls = NULL;
		c->prev = c->next = NULL;
		conn_unref(c);
	}
	ls->nconns = 0;
	ls->inflight = 0;
}
