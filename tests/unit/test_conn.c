/*
 * test_conn.c: connections, framing, ordering and output (net/conn.c,
 * net/listener.c), driven with loop_run_once() and a real client socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/logger.h"
#include "net/conn.h"
#include "net/loop.h"
#include "testhelp.h"

/* ---- the test dispatcher ---- */

enum mode { M_ECHO, M_PARK_FIRST, M_PARK_ALL, M_FAIL, M_FILE, M_BIG, M_CLOSE, M_ODD };

static struct {
	enum mode mode;
	int dispatched;
	req_header last;
	char client_id[64];
	size_t body_len;
	uint32_t body_sum;
	req *parked[16];
	int nparked;
	int file_fd;
	size_t file_len;
	size_t big_len;
} T;

static loop *L;

static void echo_body(req *r, slice *body)
{
	buf *b = req_body(r);

	buf_i16(b, req_hdr(r)->api_key);
	buf_put(b, body->p, slice_left(body));
}

static void finish_parked_cb(loop *l, void *ud)
{
	(void)l;
	req_respond(ud);
}

static int test_dispatch(void *ud, req *r, const req_header *h, slice *body)
{
	buf *b = req_body(r);

	(void)ud;
	T.dispatched++;
	T.last = *h;
	snprintf(T.client_id, sizeof(T.client_id), "%.*s", KSTR_FMT(h->client_id));
	T.body_len = slice_left(body);
	T.body_sum = 0;
	for (size_t i = 0; i < T.body_len; i++)
		T.body_sum += body->p[i];
	switch (T.mode) {
	case M_ECHO:
		echo_body(r, body);
		req_respond(r);
		return 0;
	case M_PARK_FIRST:
		echo_body(r, body);
		if (h->correlation_id == 1)
			loop_timer_add(L, 30, finish_parked_cb, r);
		else
			req_respond(r);
		return 0;
	case M_PARK_ALL:
		echo_body(r, body);
		T.parked[T.nparked++] = r;
		return 0;
	case M_FAIL:
		return -1;
	case M_CLOSE:
		req_close_conn(r, "test says so");
		return 0;
	case M_ODD:
		/* Contract violations and failures that must close cleanly. */
		CHECK(arena_alloc(req_arena(r), 100) != NULL);
		if (h->correlation_id == 1) {
			req_respond(r);
			return -1; /* finished, then "malformed" */
		}
		if (h->correlation_id == 2) {
			/* Past the body's max: the buf's sticky error. */
			buf_add_file(b, T.file_fd, 0, (size_t)1 << 40);
			CHECK(b->err);
			req_respond(r);
			return 0;
		}
		/* The file is shorter than the range promised. */
		buf_add_file(b, T.file_fd, 0, 2 * T.file_len);
		req_respond(r);
		return 0;
	case M_FILE:
		/* Memory, file, memory, file at the very end. */
		buf_put(b, "AB", 2);
		buf_add_file(b, T.file_fd, 0, 100000);
		buf_put(b, "CD", 2);
		buf_add_file(b, T.file_fd, 10, 5);
		buf_add_file(b, T.file_fd, 0, 0);
		req_respond(r);
		return 0;
	case M_BIG: {
		uint8_t *p;

		/* A file range big enough for sendfile to hit EAGAIN, then
		 * memory big enough for sendmsg to. */
		buf_add_file(b, T.file_fd, 0, T.file_len);
		p = buf_extend(b, T.big_len);
		for (size_t i = 0; p && i < T.big_len; i++)
			p[i] = (uint8_t)(i * 7);
		req_respond(r);
		return 0;
	}
	}
	return -1;
}

/* ---- helpers ---- */

static listener *start(int max_inflight, int64_t idle_ms, int32_t max_bytes)
{
	listener_config cfg = {
		.host = "127.0.0.1",
		.port = 0,
		.max_request_bytes = max_bytes,
		.max_inflight = max_inflight,
		.max_connections = 100,
		.idle_timeout_ms = idle_ms,
	};

	memset(&T, 0, sizeof(T));
	T.file_fd = -1;
	L = loop_new();
	return listener_new(L, &cfg, test_dispatch, NULL);
}

static void stop(listener *ls)
{
	listener_free(ls);
	loop_free(L);
	L = NULL;
}

static int client(listener *ls)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)listener_port(ls));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("connect");
		exit(1);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void pump(int ms)
{
	int64_t end = clock_mono_ms() + ms;

	do
		loop_run_once(L, 5);
	while (clock_mono_ms() < end);
}

/* Builds a request frame (header v1: non-flexible Metadata v1). */
static size_t frame(uint8_t *out, int16_t key, int16_t ver, int32_t corr, const char *cid,
		    const void *body, size_t blen)
{
	size_t n = 4, clen = strlen(cid);

	be16_put(out + n, (uint16_t)key);
	be16_put(out + n + 2, (uint16_t)ver);
	be32_put(out + n + 4, (uint32_t)corr);
	be16_put(out + n + 8, (uint16_t)clen);
	n += 10;
	memcpy(out + n, cid, clen);
	n += clen;
	memcpy(out + n, body, blen);
	n += blen;
	be32_put(out, (uint32_t)(n - 4));
	return n;
}

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t w = write(fd, q, n);

		if (w < 0 && errno == EAGAIN) {
			pump(1);
			continue;
		}
		if (w <= 0) {
			perror("write");
			return;
		}
		q += w;
		n -= (size_t)w;
	}
}

/* Reads exactly n bytes while pumping the loop; false on EOF/timeout. */
static bool recv_n(int fd, void *p, size_t n, int timeout_ms)
{
	uint8_t *q = p;
	int64_t end = clock_mono_ms() + timeout_ms;

	while (n > 0) {
		ssize_t r = read(fd, q, n);

		if (r > 0) {
			q += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return false;
		if (clock_mono_ms() > end)
			return false;
		loop_run_once(L, 2);
	}
	return true;
}

/* True when the server closed the connection (EOF or reset) in time. */
static bool closed_by_server(int fd, int timeout_ms)
{
	int64_t end = clock_mono_ms() + timeout_ms;
	uint8_t b[256];

	while (clock_mono_ms() < end) {
		ssize_t r = read(fd, b, sizeof(b));

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return true;
		loop_run_once(L, 2);
	}
	return false;
}

/* Reads one response: returns its correlation id, fills body (up to cap). */
static int32_t recv_resp(int fd, uint8_t *body, size_t cap, size_t *blen)
{
	uint8_t h[8];
	uint32_t size;

	if (!recv_n(fd, h, 8, 2000))
		return -1;
	size = be32_get(h);
	if (size < 4 || size - 4 > cap)
		return -2;
	*blen = size - 4;
	if (!recv_n(fd, body, *blen, 5000))
		return -3;
	return (int32_t)be32_get(h + 4);
}

/* ---- tests ---- */

TEST(frame_dispatched)
{
	listener *ls = start(8, 0, 1 << 20);
	uint8_t f[256], body[256];
	size_t n, blen;
	int fd;

	CHECK(ls != NULL);
	CHECK(listener_port(ls) > 0);
	fd = client(ls);
	n = frame(f, 3, 1, 42, "my-client", "\x00\x00\x00\x00", 4);
	send_all(fd, f, n);
	CHECK_EQ_INT(recv_resp(fd, body, sizeof(body), &blen), 42);
	CHECK_EQ_INT(T.dispatched, 1);
	CHECK_EQ_INT(T.last.api_key, 3);
	CHECK_EQ_INT(T.last.api_version, 1);
	CHECK_EQ_INT(T.last.correlation_id, 42);
	CHECK(strcmp(T.client_id, "my-client") == 0);
	CHECK_EQ_INT(T.body_len, 4);
	CHECK_EQ_INT(blen, 6);
	CHECK_EQ_INT(be16_get(body), 3);
	CHECK_EQ_INT(listener_connections(ls), 1);
	CHECK_EQ_INT(listener_inflight(ls), 0);
	close(fd);
	pump(20);
	CHECK_EQ_INT(listener_connections(ls), 0);
	stop(ls);
}

TEST(pipelined_in_order)
{
	listener *ls = start(8, 0, 1 << 20);
	uint8_t f[256], body[256];
	size_t n, blen;
	int fd = client(ls);

	T.mode = M_PARK_FIRST;
	n = frame(f, 3, 1, 1, "c", "a", 1);
	n += frame(f + n, 3, 1, 2, "c", "bb", 2);
	send_all(fd, f, n);
	pump(10);
	/* The second is answered by its handler but must wait for the first. */
	CHECK_EQ_INT(T.dispatched, 2);
	CHECK_EQ_INT(listener_inflight(ls), 1);
	CHECK(read(fd, body, 1) < 0 && errno == EAGAIN);
	CHECK_EQ_INT(recv_resp(fd, body, sizeof(body), &blen), 1);
	CHECK_EQ_INT(blen, 3);
	CHECK_EQ_INT(recv_resp(fd, body, sizeof(body), &blen), 2);
	CHECK_EQ_INT(blen, 4);
	CHECK_EQ_INT(listener_inflight(ls), 0);
	close(fd);
	stop(ls);
}

static void expect_closed(uint32_t size, const char *what)
{
	listener *ls = start(8, 0, 1000);
	uint8_t f[16];
	int fd = client(ls);

	be32_put(f, size);
	memset(f + 4, 0, 12);
	send_all(fd, f, 16);
	CHECK(closed_by_server(fd, 1000));
	if (listener_connections(ls) != 0)
		fprintf(stderr, "case: %s\n", what);
	CHECK_EQ_INT(listener_connections(ls), 0);
	CHECK_EQ_INT(T.dispatched, 0);
	close(fd);
	stop(ls);
}

TEST(bad_sizes_close)
{
	expect_closed(1001, "one past max");
	expect_closed(3, "size 3");
	expect_closed(0, "size 0");
	expect_closed(7, "size 7");
	expect_closed(0x80000000u, "negative");
	expect_closed(0xffffffffu, "-1");
}

TEST(malformed_header_closes)
{
	listener *ls = start(8, 0, 1000);
	uint8_t f[32];
	int fd = client(ls);

	/* 10 bytes: key, version, correlation id, then a client id length of
	 * 5 with no bytes behind it. */
	be32_put(f, 10);
	be16_put(f + 4, 3);
	be16_put(f + 6, 1);
	be32_put(f + 8, 7);
	be16_put(f + 12, 5);
	send_all(fd, f, 14);
	CHECK(closed_by_server(fd, 1000));
	CHECK_EQ_INT(T.dispatched, 0);
	close(fd);
	stop(ls);
}

TEST(truncated_frame_then_close)
{
	listener *ls = start(8, 0, 1 << 20);
	uint8_t f[300];
	int fd = client(ls);

	/* A small frame cut short (in staging), then EOF. */
	memset(f, 0, sizeof(f));
	be32_put(f, 100);
	send_all(fd, f, 24);
	pump(10);
	close(fd);
	pump(20);
	CHECK_EQ_INT(listener_connections(ls), 0);

	/* A large frame cut short (in its own buffer), then EOF. */
	fd = client(ls);
	be32_put(f, 500000);
	send_all(fd, f, 300);
	pump(10);
	close(fd);
	pump(20);
	CHECK_EQ_INT(listener_connections(ls), 0);
	CHECK_EQ_INT(T.dispatched, 0);
	stop(ls);
}

TEST(large_frame)
{
	listener *ls = start(8, 0, 1 << 20);
	size_t blen = 300000, n;
	uint8_t *f = malloc(blen + 64), *body = malloc(blen), resp[16];
	uint32_t sum = 0;
	int fd = client(ls);

	for (size_t i = 0; i < blen; i++) {
		body[i] = (uint8_t)(i * 13);
		sum += body[i];
	}
	T.mode = M_PARK_ALL;
	n = frame(f, 3, 1, 5, "big", body, blen);
	/* Followed by a small one in the same stream. */
	n += frame(f + n, 3, 1, 6, "small", "x", 1);
	send_all(fd, f, n);
	pump(20);
	CHECK_EQ_INT(T.dispatched, 2);
	CHECK_EQ_INT(T.body_len, 1);
	CHECK_EQ_INT(T.nparked, 2);
	/* The big one's view is still valid while it is parked. */
	CHECK_EQ_INT(req_hdr(T.parked[0])->correlation_id, 5);
	req_drop(T.parked[0]);
	req_drop(T.parked[1]);
	pump(5);
	CHECK(read(fd, resp, 1) < 0 && errno == EAGAIN);
	CHECK_EQ_INT(listener_inflight(ls), 0);
	(void)sum;
	close(fd);
	free(f);
	free(body);
	stop(ls);
}

TEST(dispatcher_fail_closes)
{
	listener *ls = start(8, 0, 1000);
	uint8_t f[64];
	size_t n;
	int fd = client(ls);

	T.mode = M_FAIL;
	n = frame(f, 99, 0, 1, "c", "", 0);
	send_all(fd, f, n);
	CHECK(closed_by_server(fd, 1000));
	CHECK_EQ_INT(T.dispatched, 1);
	CHECK_EQ_INT(listener_inflight(ls), 0);
	close(fd);

	fd = client(ls);
	T.mode = M_CLOSE;
	n = frame(f, 3, 1, 1, "c", "", 0);
	send_all(fd, f, n);
	CHECK(closed_by_server(fd, 1000));
	CHECK_EQ_INT(listener_inflight(ls), 0);
	close(fd);
	stop(ls);
}

static int tmpfile_fd(size_t len);

TEST(odd_handlers_close)
{
	listener *ls = start(8, 0, 1000);
	uint8_t f[64];
	size_t n;

	T.mode = M_ODD;
	T.file_len = 1000;
	T.file_fd = tmpfile_fd(T.file_len);
	for (int corr = 1; corr <= 3; corr++) {
		int fd = client(ls);
		uint8_t junk[1100];

		n = frame(f, 3, 1, corr, "c", "", 0);
		send_all(fd, f, n);
		pump(10);
		/* corr 3 sends its header and the short file, then closes. */
		if (corr == 3)
			CHECK(recv_n(fd, junk, 8 + T.file_len, 1000));
		CHECK(closed_by_server(fd, 1000));
		CHECK_EQ_INT(listener_connections(ls), 0);
		CHECK_EQ_INT(listener_inflight(ls), 0);
		close(fd);
	}
	close(T.file_fd);
	stop(ls);
}

static int tmpfile_fd(size_t len)
{
	char path[] = "/tmp/test_conn_XXXXXX";
	int fd = mkstemp(path);
	uint8_t *p = malloc(len);

	unlink(path);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i % 251);
	if (write(fd, p, len) != (ssize_t)len)
		perror("write tmp");
	free(p);
	return fd;
}

TEST(file_refs_sent)
{
	listener *ls = start(8, 0, 1000);
	uint8_t f[64], *body = malloc(200000);
	size_t n, blen;
	int fd = client(ls);
	bool ok = true;

	T.mode = M_FILE;
	T.file_fd = tmpfile_fd(100000);
	n = frame(f, 3, 1, 9, "c", "", 0);
	send_all(fd, f, n);
	CHECK_EQ_INT(recv_resp(fd, body, 200000, &blen), 9);
	CHECK_EQ_INT(blen, 2 + 100000 + 2 + 5);
	CHECK(body[0] == 'A' && body[1] == 'B');
	for (size_t i = 0; i < 100000; i++)
		ok &= body[2 + i] == (uint8_t)(i % 251);
	CHECK(ok);
	CHECK(body[100002] == 'C' && body[100003] == 'D');
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ_INT(body[100004 + i], (10 + i) % 251);
	close(fd);
	close(T.file_fd);
	free(body);
	stop(ls);
}

TEST(slow_reader_partial_writes)
{
	listener *ls = start(8, 0, 1000);
	size_t big = 6 << 20, flen = 3 << 20, n, blen, got = 0;
	uint8_t f[64], *body = malloc(big + flen);
	int fd = client(ls);
	bool ok = true;

	T.mode = M_BIG;
	T.big_len = big;
	T.file_len = flen;
	T.file_fd = tmpfile_fd(flen);
	/* Two responses of 9 MB each, read in small steps. */
	n = frame(f, 3, 1, 1, "c", "", 0);
	n += frame(f + n, 3, 1, 2, "c", "", 0);
	send_all(fd, f, n);
	pump(20);
	for (int k = 1; k <= 2; k++) {
		uint8_t h[8];

		CHECK(recv_n(fd, h, 8, 5000));
		CHECK_EQ_INT(be32_get(h + 4), k);
		blen = be32_get(h) - 4;
		CHECK_EQ_INT(blen, big + flen);
		got = 0;
		while (got < blen) {
			size_t step = blen - got < 65536 ? blen - got : 65536;

			if (!recv_n(fd, body + got, step, 5000))
				break;
			got += step;
		}
		CHECK_EQ_INT(got, blen);
		for (size_t i = 0; i < flen; i += 97)
			ok &= body[i] == (uint8_t)(i % 251);
		for (size_t i = 0; i < big; i += 4093)
			ok &= body[flen + i] == (uint8_t)(i * 7);
		CHECK(ok);
	}
	close(fd);
	close(T.file_fd);
	free(body);
	stop(ls);
}

TEST(two_clients_one_resets)
{
	listener *ls = start(8, 0, 1000);
	uint8_t f[64], body[64], junk[1000];
	size_t n, blen;
	int a = client(ls), b = client(ls), c = client(ls);
	struct linger lg = { 1, 0 };

	pump(10);
	CHECK_EQ_INT(listener_connections(ls), 3);
	/* The middle one of the list goes first. */
	close(b);
	pump(10);
	CHECK_EQ_INT(listener_connections(ls), 2);
	/* a asks for 9 MB and resets the connection after reading a little. */
	T.mode = M_BIG;
	T.big_len = 6 << 20;
	T.file_len = 3 << 20;
	T.file_fd = tmpfile_fd(T.file_len);
	n = frame(f, 3, 1, 1, "a", "", 0);
	send_all(a, f, n);
	CHECK(recv_n(a, junk, sizeof(junk), 2000));
	setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(a);
	pump(20);
	CHECK_EQ_INT(listener_connections(ls), 1);
	/* c is unaffected. */
	T.mode = M_ECHO;
	n = frame(f, 3, 1, 77, "c", "", 0);
	send_all(c, f, n);
	CHECK_EQ_INT(recv_resp(c, body, sizeof(body), &blen), 77);
	close(c);
	close(T.file_fd);
	stop(ls);
}

TEST(req_outlives_conn)
{
	listener *ls = start(8, 0, 1000);
	uint8_t f[64];
	size_t n;
	int fd = client(ls);

	T.mode = M_PARK_ALL;
	n = frame(f, 3, 1, 1, "c", "", 0);
	n += frame(f + n, 3, 1, 2, "c", "", 0);
	send_all(fd, f, n);
	pump(10);
	CHECK_EQ_INT(T.nparked, 2);
	CHECK_EQ_INT(listener_inflight(ls), 2);
	CHECK(req_alive(T.parked[0]));
	/* The second finishes while the first still blocks the queue. */
	req_respond(T.parked[1]);
	close(fd);
	pump(20);
	CHECK_EQ_INT(listener_connections(ls), 0);
	CHECK(!req_alive(T.parked[0]));
	CHECK(strncmp(req_peer(T.parked[0]), "127.0.0.1:", 10) == 0);
	CHECK_EQ_INT(listener_inflight(ls), 1);
	buf_put(req_body(T.parked[0]), "zzz", 3);
	req_respond(T.parked[0]);
	CHECK_EQ_INT(listener_inflight(ls), 0);

	/* A req still parked when the listener goes. */
	fd = client(ls);
	T.nparked = 0;
	n = frame(f, 3, 1, 3, "c", "", 0);
	send_all(fd, f, n);
	pump(10);
	CHECK_EQ_INT(T.nparked, 1);
	listener_free(ls);
	CHECK(!req_alive(T.parked[0]));
	req_drop(T.parked[0]);
	close(fd);
	loop_free(L);
}

TEST(backpressure_inflight)
{
	listener *ls = start(2, 0, 1000);
	uint8_t f[512], body[64];
	size_t n = 0, blen;
	int fd = client(ls);

	T.mode = M_PARK_ALL;
	for (int i = 1; i <= 5; i++)
		n += frame(f + n, 3, 1, i, "c", "", 0);
	send_all(fd, f, n);
	pump(20);
	CHECK_EQ_INT(T.dispatched, 2);
	/* Finishing them lets the staged ones through, in order. */
	for (int round = 0; round < 5 && T.nparked < 5; round++) {
		for (int i = 0; i < T.nparked; i++)
			if (T.parked[i]) {
				req_respond(T.parked[i]);
				T.parked[i] = NULL;
			}
		pump(10);
	}
	CHECK_EQ_INT(T.dispatched, 5);
	for (int i = 0; i < T.nparked; i++)
		if (T.parked[i])
			req_respond(T.parked[i]);
	for (int i = 1; i <= 5; i++)
		CHECK_EQ_INT(recv_resp(fd, body, sizeof(body), &blen), i);
	close(fd);
	stop(ls);
}

TEST(idle_timeout)
{
	listener *ls = start(8, 50, 1000);
	uint8_t f[64], body[64];
	size_t n, blen;
	int fd = client(ls), fd2;

	pump(10);
	CHECK_EQ_INT(listener_connections(ls), 1);
	CHECK(closed_by_server(fd, 1000));
	CHECK_EQ_INT(listener_connections(ls), 0);
	close(fd);

	/* A parked request keeps the connection open past the timeout. */
	fd2 = client(ls);
	T.mode = M_PARK_ALL;
	n = frame(f, 3, 1, 1, "c", "", 0);
	send_all(fd2, f, n);
	pump(150);
	CHECK_EQ_INT(listener_connections(ls), 1);
	req_respond(T.parked[0]);
	CHECK_EQ_INT(recv_resp(fd2, body, sizeof(body), &blen), 1);
	CHECK(closed_by_server(fd2, 1000));
	close(fd2);
	stop(ls);
}

TEST(half_close_closes)
{
	listener *ls = start(8, 0, 1000);
	uint8_t f[64];
	size_t n;
	int fd = client(ls);

	/* As in Kafka, end-of-stream closes; the parked req finishes later. */
	T.mode = M_PARK_FIRST;
	n = frame(f, 3, 1, 1, "c", "", 0);
	send_all(fd, f, n);
	pump(10);
	shutdown(fd, SHUT_WR);
	CHECK(closed_by_server(fd, 1000));
	CHECK_EQ_INT(listener_connections(ls), 0);
	CHECK_EQ_INT(listener_inflight(ls), 1);
	pump(40);
	CHECK_EQ_INT(listener_inflight(ls), 0);
	close(fd);
	stop(ls);
}

TEST(stop_accepting)
{
	listener *ls = start(8, 0, 1000);
	struct sockaddr_in a;
	int port = listener_port(ls), fd;

	listener_stop_accepting(ls);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0);
	close(fd);
	stop(ls);
}

TEST(bind_addresses)
{
	const char *hosts[] = { "0.0.0.0", "::", "localhost", "127.0.0.1" };

	L = loop_new();
	for (size_t i = 0; i < 4; i++) {
		listener_config cfg = { .host = hosts[i], .port = 0, .max_request_bytes = 1000,
					.max_inflight = 1, .max_connections = 1,
					.idle_timeout_ms = 0 };
		listener *ls = listener_new(L, &cfg, test_dispatch, NULL);

		CHECK(ls != NULL);
		if (ls) {
			int fd = client(ls);

			pump(5);
			CHECK_EQ_INT(listener_connections(ls), 1);
			close(fd);
			listener_free(ls);
		}
	}
	{
		listener_config cfg = { .host = "no.such.host.invalid", .port = 0,
					.max_request_bytes = 1000, .max_inflight = 1,
					.max_connections = 1 };

		CHECK(listener_new(L, &cfg, test_dispatch, NULL) == NULL);
	}
	loop_free(L);
	L = NULL;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_ERROR);
	RUN(frame_dispatched);
	RUN(pipelined_in_order);
	RUN(bad_sizes_close);
	RUN(malformed_header_closes);
	RUN(truncated_frame_then_close);
	RUN(large_frame);
	RUN(dispatcher_fail_closes);
	RUN(file_refs_sent);
	RUN(odd_handlers_close);
	RUN(slow_reader_partial_writes);
	RUN(two_clients_one_resets);
	RUN(req_outlives_conn);
	RUN(backpressure_inflight);
	RUN(idle_timeout);
	RUN(half_close_closes);
	RUN(stop_accepting);
	RUN(bind_addresses);
	return testhelp_done();
}
