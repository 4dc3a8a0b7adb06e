/*
 * test_group_host.h: the fake host shared by the group coordinator tests
 * (test_group.c, test_group_offsets.c): a manual clock and timer list, an
 * in-memory __consumer_offsets whose appends complete when the test says
 * so (or at once with H.sync_appends), and small client helpers that join,
 * sync and heartbeat like a consumer would. One instance per test program.
 */
#ifndef TM_TEST_GROUP_HOST_H
#define TM_TEST_GROUP_HOST_H

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/logger.h"
#include "core/slice.h"
#include "group/group_coord.h"
#include "proto/kerr.h"
#include "proto/records.h"
#include "testhelp.h"

/* ------------------------------------------------------------ fake host */

#define NPART 4

typedef struct ftimer {
	uint64_t id;
	int64_t due;
	group_timer *t;
} ftimer;

typedef struct fappend {
	int32_t partition;
	uint8_t *bytes;
	size_t len;
	group_append_cb *cb;
	void *ud;
} fappend;

typedef struct fhost {
	int64_t wall, mono;
	ftimer timers[1024];
	int ntimers;
	uint64_t next_id;
	fappend pend[1024];
	int npend;
	bool sync_appends;          /* complete appends before returning */
	int append_err;             /* error the next completions carry */
	buf log[NPART];             /* durable batches, offsets assigned */
	int64_t next_off[NPART];
	int nappends;
} fhost;

static fhost H;

static inline int64_t f_now(void *ctx) { (void)ctx; return H.wall; }
static inline int64_t f_mono(void *ctx) { (void)ctx; return H.mono; }

static inline uint64_t f_timer_add(void *ctx, int64_t delay, group_timer *t)
{
	(void)ctx;
	if (H.ntimers == (int)(sizeof(H.timers) / sizeof(H.timers[0])))
		abort();
	ftimer *ft = &H.timers[H.ntimers++];
	ft->id = ++H.next_id;
	ft->due = H.mono + delay;
	ft->t = t;
	return ft->id;
}

static inline void f_timer_cancel(void *ctx, uint64_t id)
{
	(void)ctx;
	for (int i = 0; i < H.ntimers; i++) {
		if (H.timers[i].id == id) {
			H.timers[i] = H.timers[--H.ntimers];
			return;
		}
	}
}

static inline void f_complete(fappend *a, int err)
{
	if (!err) {
		rb_set_base_offset(a->bytes, H.next_off[a->partition]);
		rb_header h;
		rb_parse_header(a->bytes, a->len, &h);
		H.next_off[a->partition] += h.last_offset_delta + 1;
		buf_put(&H.log[a->partition], a->bytes, a->len);
	}
	free(a->bytes);
	a->cb(a->ud, err);
}

static inline void f_append(void *ctx, int32_t partition, uint8_t *batch, size_t len, group_append_cb *cb,
		     void *ud)
{
	(void)ctx;
	fappend a = { partition, malloc(len), len, cb, ud };
	memcpy(a.bytes, batch, len);
	H.nappends++;
	if (partition < 0 || partition >= NPART)
		abort();
	if (H.sync_appends) {
		f_complete(&a, H.append_err);
		return;
	}
	H.pend[H.npend++] = a;
}

/* Completes every queued append (and those they queue) in order. */
static inline int complete_appends(int err)
{
	int n = 0;
	while (H.npend > 0) {
		fappend a = H.pend[0];
		memmove(H.pend, H.pend + 1, (size_t)(H.npend - 1) * sizeof(H.pend[0]));
		H.npend--;
		f_complete(&a, err);
		n++;
	}
	return n;
}

static inline bool f_exists(void *ctx, kstr topic, int32_t partition)
{
	(void)ctx;
	return (kstr_eq_c(topic, "t") || kstr_eq_c(topic, "u") || kstr_eq_c(topic, "v")) &&
	       partition >= 0 && partition < 8;
}

/* Moves both clocks forward, firing due timers in order. */
static inline void advance(int64_t ms)
{
	int64_t target = H.mono + ms;
	for (;;) {
		int best = -1;
		for (int i = 0; i < H.ntimers; i++)
			if (H.timers[i].due <= target &&
			    (best < 0 || H.timers[i].due < H.timers[best].due ||
			     (H.timers[i].due == H.timers[best].due && H.timers[i].id < H.timers[best].id)))
				best = i;
		if (best < 0)
			break;
		ftimer ft = H.timers[best];
		H.timers[best] = H.timers[--H.ntimers];
		H.wall += ft.due - H.mono;
		H.mono = ft.due;
		group_timer_fire(ft.t);
	}
	H.wall += target - H.mono;
	H.mono = target;
}

static inline group_host host_of(void)
{
	group_host h = { NULL, f_now, f_mono, f_timer_add, f_timer_cancel, f_append, f_exists };
	return h;
}

static inline group_coord_config test_cfg(void)
{
	group_coord_config c;
	group_coord_config_defaults(&c);
	c.offsets_topic_num_partitions = NPART;
	/* the state-machine tests step through joins one timer tick at a time;
	 * the initial delay's own behaviour is tested in initial_delay_window */
	c.group_initial_rebalance_delay_ms = 0;
	return c;
}

static inline group_coord *setup(void)
{
	for (int i = 0; i < NPART; i++)
		buf_release(&H.log[i]);
	for (int i = 0; i < H.npend; i++)
		free(H.pend[i].bytes);
	memset(&H, 0, sizeof(H));
	H.wall = 1000000;
	H.mono = 5000;
	H.sync_appends = true;
	for (int i = 0; i < NPART; i++)
		buf_init(&H.log[i], 1 << 24);
	group_host h = host_of();
	group_coord_config c = test_cfg();
	return group_coord_new(&h, &c);
}

/* ------------------------------------------------------------- clients */

typedef struct jres {
	int done;
	int16_t err;
	int32_t gen;
	char member[128];
	char leader[128];
	char proto[32];
	bool skip;
	int nmembers;
	char mids[8][128];
} jres;

static inline void cpy(char *dst, size_t n, kstr s)
{
	size_t l = s.len > 0 ? (size_t)s.len : 0;
	if (l >= n)
		l = n - 1;
	if (l)
		memcpy(dst, s.p, l);
	dst[l] = 0;
}

static inline void on_join(void *ud, const join_result *r)
{
	jres *j = ud;
	j->done++;
	j->err = r->error;
	j->gen = r->generation_id;
	cpy(j->member, sizeof(j->member), r->member_id);
	cpy(j->leader, sizeof(j->leader), r->leader);
	cpy(j->proto, sizeof(j->proto), r->protocol_name);
	j->skip = r->skip_assignment;
	j->nmembers = r->members_count;
	for (int i = 0; i < r->members_count && i < 8; i++)
		cpy(j->mids[i], sizeof(j->mids[i]), r->members[i].member_id);
}

/* ConsumerProtocolSubscription v0 for a comma-separated topic list. */
static inline size_t sub_meta(uint8_t *out, const char *topics)
{
	size_t k = 0;
	out[k++] = 0;
	out[k++] = 0;
	int n = 0;
	size_t count_at = k;
	k += 4;
	const char *p = topics;
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		out[k++] = 0;
		out[k++] = (uint8_t)l;
		memcpy(out + k, p, l);
		k += l;
		n++;
		p = e ? e + 1 : NULL;
	}
	be32_put(out + count_at, (uint32_t)n);
	be32_put(out + k, 0xffffffffu); /* user data null */
	return k + 4;
}

static inline void join_full(group_coord *gc, jres *j, const char *group, const char *member,
		      const char *instance, int16_t version, const char *proto, const char *topics,
		      int32_t session)
{
	static uint8_t meta[8][256];
	static int slot;
	uint8_t *mb = meta[slot++ % 8];
	size_t ml = sub_meta(mb, topics);
	group_protocol p = { kstr_c(proto), { mb, (int32_t)ml } };
	join_args a;
	memset(&a, 0, sizeof(a));
	a.version = version;
	a.group_id = kstr_c(group);
	a.member_id = kstr_c(member ? member : "");
	a.group_instance_id = instance ? kstr_c(instance) : KSTR_NULL;
	a.client_id = kstr_c("cli");
	a.client_host = kstr_c("/127.0.0.1");
	a.protocol_type = kstr_c("consumer");
	a.session_timeout_ms = session;
	a.rebalance_timeout_ms = 30000;
	a.protocols = &p;
	a.protocols_count = 1;
	memset(j, 0, sizeof(*j));
	group_coord_join(gc, &a, on_join, j);
}

static inline void join(group_coord *gc, jres *j, const char *group, const char *member,
		 const char *instance, int16_t version)
{
	join_full(gc, j, group, member, instance, version, "range", "t", 10000);
}

typedef struct sres {
	int done;
	int16_t err;
	char assignment[64];
	char proto[32];
} sres;

static inline void on_sync(void *ud, const sync_result *r)
{
	sres *s = ud;
	s->done++;
	s->err = r->error;
	size_t l = r->assignment.len > 0 ? (size_t)r->assignment.len : 0;
	if (l >= sizeof(s->assignment))
		l = sizeof(s->assignment) - 1;
	memcpy(s->assignment, r->assignment.p ? (const char *)r->assignment.p : "", l);
	s->assignment[l] = 0;
	cpy(s->proto, sizeof(s->proto), r->protocol_name);
}

/* assigns: NULL, or "member=bytes;member=bytes". */
static inline void sync_g(group_coord *gc, sres *s, const char *group, const char *member,
		   const char *instance, int32_t gen, const char *assigns)
{
	sync_assignment as[8];
	char buf_[512];
	int n = 0;
	if (assigns) {
		snprintf(buf_, sizeof(buf_), "%s", assigns);
		char *save = NULL;
		for (char *tok = strtok_r(buf_, ";", &save); tok && n < 8;
		     tok = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(tok, '=');
			*eq = 0;
			as[n].member_id = kstr_c(tok);
			as[n].assignment = (kbytes){ (const uint8_t *)eq + 1, (int32_t)strlen(eq + 1) };
			n++;
		}
	}
	sync_args a;
	memset(&a, 0, sizeof(a));
	a.version = 3;
	a.group_id = kstr_c(group);
	a.generation_id = gen;
	a.member_id = kstr_c(member);
	a.group_instance_id = instance ? kstr_c(instance) : KSTR_NULL;
	a.protocol_type = KSTR_NULL;
	a.protocol_name = KSTR_NULL;
	a.assignments = as;
	a.assignments_count = n;
	memset(s, 0, sizeof(*s));
	group_coord_sync(gc, &a, on_sync, s);
}

static inline int16_t hb(group_coord *gc, const char *group, const char *member, const char *instance,
		  int32_t gen)
{
	return group_coord_heartbeat(gc, kstr_c(group), kstr_c(member),
				     instance ? kstr_c(instance) : KSTR_NULL, gen);
}

static inline const char *state_of(group_coord *gc, const char *group)
{
	group_desc d;
	group_coord_describe(gc, kstr_c(group), &d);
	return d.state;
}

/* Joins a new dynamic member through KIP-394 and returns its first join
 * result (parked or done); *id gets the member id. */
static inline void join_new(group_coord *gc, jres *j, const char *group, char *id)
{
	join(gc, j, group, "", NULL, 5);
	CHECK_EQ_INT(j->err, KERR_MEMBER_ID_REQUIRED);
	CHECK(strncmp(j->member, "cli-", 4) == 0);
	strcpy(id, j->member);
	join(gc, j, group, id, NULL, 5);
}

/* One member, Stable at generation 1. */
static inline void one_stable(group_coord *gc, const char *group, char *id)
{
	jres j;
	sres s;
	join_new(gc, &j, group, id);
	advance(0); /* group.initial.rebalance.delay.ms = 0 */
	CHECK_EQ_INT(j.done, 1);
	CHECK_EQ_INT(j.gen, 1);
	char as[160];
	snprintf(as, sizeof(as), "%s=A1", id);
	sync_g(gc, &s, group, id, NULL, 1, as);
	CHECK_EQ_INT(s.done, 1);
	CHECK(strcmp(state_of(gc, group), "Stable") == 0);
}

/* Frees the fake log (end of a test program). */
static inline void test_host_release(void)
{
	for (int i = 0; i < NPART; i++)
		buf_release(&H.log[i]);
}

#endif
