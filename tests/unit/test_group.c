/*
 * test_group.c: the classic group protocol of the coordinator, driven
 * through the fake host of test_group_host.h: join, sync, heartbeat,
 * leave, session expiry, rebalance and sync timeouts, KIP-394 pending
 * members, protocol selection and static membership (KIP-345).
 */
#include "test_group_host.h"

/* ---------------------------------------------------------------- tests */

/* group.initial.rebalance.delay.ms: a forming group waits the delay, and
 * until no member has arrived for a whole delay, so members that start
 * together land in one generation (Kafka's InitialDelayedJoin, with the
 * extension counted from the last arrival). */
TEST(initial_delay_window)
{
	group_coord *gc = setup();
	group_coord_free(gc);
	group_host h = host_of();
	group_coord_config c = test_cfg();
	c.group_initial_rebalance_delay_ms = 50;
	gc = group_coord_new(&h, &c);
	jres j1, j2;
	char id1[128], id2[128];
	join_new(gc, &j1, "gd", id1);
	advance(30);
	CHECK_EQ_INT(j1.done, 0); /* still inside the window */
	join_new(gc, &j2, "gd", id2);
	advance(20); /* first window ends; a member arrived at 30: to 80 */
	CHECK_EQ_INT(j1.done, 0);
	advance(29);
	CHECK_EQ_INT(j1.done, 0);
	advance(1);
	CHECK_EQ_INT(j1.done, 1);
	CHECK_EQ_INT(j2.done, 1);
	CHECK_EQ_INT(j1.gen, 1);
	CHECK_EQ_INT(j2.gen, 1);
	CHECK_EQ_INT(j1.nmembers + j2.nmembers, 2); /* only the leader sees members */
	group_coord_free(gc);
	test_host_release();
}

TEST(single_member)
{
	group_coord *gc = setup();
	H.sync_appends = false;
	jres j;
	char id[128];
	join_new(gc, &j, "g1", id);
	CHECK_EQ_INT(j.done, 0); /* parked until the initial delay (0) passes */
	CHECK(strcmp(state_of(gc, "g1"), "PreparingRebalance") == 0);
	advance(0);
	CHECK_EQ_INT(j.done, 1);
	CHECK_EQ_INT(j.err, 0);
	CHECK_EQ_INT(j.gen, 1);
	CHECK(strcmp(j.leader, id) == 0);
	CHECK(strcmp(j.proto, "range") == 0);
	CHECK_EQ_INT(j.nmembers, 1);
	CHECK(strcmp(state_of(gc, "g1"), "CompletingRebalance") == 0);
	CHECK_EQ_INT(hb(gc, "g1", id, NULL, 1), KERR_NONE);
	sres s;
	char as[160];
	snprintf(as, sizeof(as), "%s=P0", id);
	sync_g(gc, &s, "g1", id, NULL, 1, as);
	CHECK_EQ_INT(s.done, 0); /* waits for the durable write */
	CHECK_EQ_INT(complete_appends(0), 1);
	CHECK_EQ_INT(s.done, 1);
	CHECK_EQ_INT(s.err, 0);
	CHECK(strcmp(s.assignment, "P0") == 0);
	CHECK(strcmp(state_of(gc, "g1"), "Stable") == 0);
	CHECK_EQ_INT(hb(gc, "g1", id, NULL, 1), KERR_NONE);
	group_desc d;
	CHECK_EQ_INT(group_coord_describe(gc, kstr_c("g1"), &d), 0);
	CHECK_EQ_INT(d.members_count, 1);
	CHECK(kstr_eq_c(d.protocol, "range"));
	CHECK(kstr_eq_c(d.protocol_type, "consumer"));
	CHECK(kstr_eq_c(d.members[0].client_host, "/127.0.0.1"));
	CHECK_EQ_INT(d.members[0].assignment.len, 2);
	group_coord_free(gc);
}

TEST(two_members)
{
	group_coord *gc = setup();
	char a[128], b[128];
	one_stable(gc, "g", a);
	jres jb, ja;
	join_new(gc, &jb, "g", b);
	CHECK_EQ_INT(jb.done, 0);
	CHECK(strcmp(state_of(gc, "g"), "PreparingRebalance") == 0);
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 1), KERR_REBALANCE_IN_PROGRESS);
	join(gc, &ja, "g", a, NULL, 5);
	/* Everyone rejoined: the phase ends at once. */
	CHECK_EQ_INT(ja.done, 1);
	CHECK_EQ_INT(jb.done, 1);
	CHECK_EQ_INT(ja.gen, 2);
	CHECK_EQ_INT(jb.gen, 2);
	CHECK(strcmp(ja.leader, a) == 0 && strcmp(jb.leader, a) == 0);
	CHECK_EQ_INT(ja.nmembers, 2);
	CHECK_EQ_INT(jb.nmembers, 0);
	H.sync_appends = false;
	sres sa, sb;
	sync_g(gc, &sb, "g", b, NULL, 2, NULL);
	CHECK_EQ_INT(sb.done, 0);
	char as[300];
	snprintf(as, sizeof(as), "%s=AA;%s=BB", a, b);
	sync_g(gc, &sa, "g", a, NULL, 2, as);
	CHECK_EQ_INT(sa.done + sb.done, 0);
	complete_appends(0);
	CHECK_EQ_INT(sa.done, 1);
	CHECK_EQ_INT(sb.done, 1);
	CHECK(strcmp(sa.assignment, "AA") == 0);
	CHECK(strcmp(sb.assignment, "BB") == 0);
	CHECK(strcmp(state_of(gc, "g"), "Stable") == 0);
	/* A follower rejoining with the same metadata: no rebalance. */
	jres j2;
	join(gc, &j2, "g", b, NULL, 5);
	CHECK_EQ_INT(j2.done, 1);
	CHECK_EQ_INT(j2.gen, 2);
	CHECK(strcmp(state_of(gc, "g"), "Stable") == 0);
	/* The leader rejoining triggers one. */
	join(gc, &j2, "g", a, NULL, 5);
	CHECK_EQ_INT(j2.done, 0);
	CHECK(strcmp(state_of(gc, "g"), "PreparingRebalance") == 0);
	group_coord_shutdown(gc); /* answers the parked join */
	CHECK_EQ_INT(j2.done, 1);
	CHECK_EQ_INT(j2.err, KERR_NOT_COORDINATOR);
	CHECK_EQ_INT(hb(gc, "g", b, NULL, 2), KERR_COORDINATOR_NOT_AVAILABLE);
	CHECK_EQ_INT(H.ntimers, 0); /* nothing expires once stopped */
	group_coord_free(gc);
}

TEST(member_id_required)
{
	group_coord *gc = setup();
	jres j;
	join(gc, &j, "g", "", NULL, 4);
	CHECK_EQ_INT(j.done, 1);
	CHECK_EQ_INT(j.err, KERR_MEMBER_ID_REQUIRED);
	char id[128];
	strcpy(id, j.member);
	/* Pending ids expire after the session timeout. */
	advance(10001);
	join(gc, &j, "g", id, NULL, 4);
	CHECK_EQ_INT(j.err, KERR_UNKNOWN_MEMBER_ID);
	/* v3 and below: no KIP-394 round trip. */
	join(gc, &j, "g", "", NULL, 3);
	CHECK_EQ_INT(j.done, 0);
	advance(0);
	CHECK_EQ_INT(j.done, 1);
	CHECK_EQ_INT(j.err, 0);
	CHECK_EQ_INT(j.gen, 1);
	/* Unknown member id for an unknown group. */
	join(gc, &j, "nope", "x", NULL, 5);
	CHECK_EQ_INT(j.err, KERR_UNKNOWN_MEMBER_ID);
	CHECK(strcmp(state_of(gc, "nope"), "Dead") == 0);
	/* Session timeout bounds. */
	join_full(gc, &j, "g", "", NULL, 5, "range", "t", 1000);
	CHECK_EQ_INT(j.err, KERR_INVALID_SESSION_TIMEOUT);
	join_full(gc, &j, "g", "", NULL, 5, "range", "t", 1800001);
	CHECK_EQ_INT(j.err, KERR_INVALID_SESSION_TIMEOUT);
	/* Empty group id. */
	join(gc, &j, "", "", NULL, 5);
	CHECK_EQ_INT(j.err, KERR_INVALID_GROUP_ID);
	group_coord_free(gc);
}

TEST(pending_member_blocks_join_phase)
{
	group_coord *gc = setup();
	char a[128];
	one_stable(gc, "g", a);
	jres jp, ja;
	join(gc, &jp, "g", "", NULL, 5); /* pending id handed out */
	CHECK_EQ_INT(jp.err, KERR_MEMBER_ID_REQUIRED);
	join(gc, &ja, "g", a, NULL, 5); /* the leader rejoins: rebalance */
	CHECK_EQ_INT(ja.done, 0);        /* waits for the pending member */
	char p[128];
	strcpy(p, jp.member);
	join(gc, &jp, "g", p, NULL, 5);
	CHECK_EQ_INT(ja.done, 1);
	CHECK_EQ_INT(jp.done, 1);
	CHECK_EQ_INT(ja.gen, 2);
	group_coord_free(gc);
}

TEST(protocols)
{
	group_coord *gc = setup();
	jres j1, j2, j3;
	join_full(gc, &j1, "g", "", NULL, 3, "range", "t", 10000);
	join_full(gc, &j2, "g", "", NULL, 3, "roundrobin", "t", 10000);
	advance(0);
	CHECK_EQ_INT(j1.done, 1);
	/* j2 shares no protocol with the member already in. */
	CHECK_EQ_INT(j2.done, 1);
	CHECK_EQ_INT(j2.err, KERR_INCONSISTENT_GROUP_PROTOCOL);
	/* Wrong protocol type. */
	group_protocol p = { kstr_c("range"), { (const uint8_t *)"", 0 } };
	join_args a;
	memset(&a, 0, sizeof(a));
	a.version = 5;
	a.group_id = kstr_c("g");
	a.member_id = KSTR_EMPTY;
	a.group_instance_id = KSTR_NULL;
	a.client_id = kstr_c("c");
	a.client_host = kstr_c("h");
	a.protocol_type = kstr_c("connect");
	a.session_timeout_ms = 10000;
	a.rebalance_timeout_ms = 10000;
	a.protocols = &p;
	a.protocols_count = 1;
	memset(&j3, 0, sizeof(j3));
	group_coord_join(gc, &a, on_join, &j3);
	CHECK_EQ_INT(j3.err, KERR_INCONSISTENT_GROUP_PROTOCOL);
	group_coord_free(gc);
}

TEST(protocol_vote)
{
	group_coord *gc = setup();
	uint8_t m[16];
	size_t ml = sub_meta(m, "t");
	group_protocol p1[2] = { { kstr_c("range"), { m, (int32_t)ml } },
				 { kstr_c("cooperative-sticky"), { m, (int32_t)ml } } };
	group_protocol p2[2] = { { kstr_c("cooperative-sticky"), { m, (int32_t)ml } },
				 { kstr_c("range"), { m, (int32_t)ml } } };
	group_protocol p3[1] = { { kstr_c("cooperative-sticky"), { m, (int32_t)ml } } };
	const group_protocol *ps[3] = { p1, p2, p3 };
	int32_t ns[3] = { 2, 2, 1 };
	jres j[3];
	for (int i = 0; i < 3; i++) {
		join_args a;
		memset(&a, 0, sizeof(a));
		a.version = 3;
		a.group_id = kstr_c("g");
		a.member_id = KSTR_EMPTY;
		a.group_instance_id = KSTR_NULL;
		a.client_id = kstr_c("c");
		a.client_host = kstr_c("h");
		a.protocol_type = kstr_c("consumer");
		a.session_timeout_ms = 10000;
		a.rebalance_timeout_ms = 10000;
		a.protocols = ps[i];
		a.protocols_count = ns[i];
		memset(&j[i], 0, sizeof(j[i]));
		group_coord_join(gc, &a, on_join, &j[i]);
	}
	advance(0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(j[i].done, 1);
		CHECK_EQ_INT(j[i].err, 0);
		/* Only cooperative-sticky is supported by all three. */
		CHECK(strcmp(j[i].proto, "cooperative-sticky") == 0);
	}
	group_coord_free(gc);
}

TEST(heartbeat_errors)
{
	group_coord *gc = setup();
	char a[128];
	CHECK_EQ_INT(hb(gc, "g", "x", NULL, 0), KERR_UNKNOWN_MEMBER_ID);
	CHECK_EQ_INT(hb(gc, "", "x", NULL, 0), KERR_INVALID_GROUP_ID);
	jres j;
	join_new(gc, &j, "g", a);
	advance(0);
	/* CompletingRebalance */
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 1), KERR_NONE);
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 0), KERR_ILLEGAL_GENERATION);
	CHECK_EQ_INT(hb(gc, "g", "other", NULL, 1), KERR_UNKNOWN_MEMBER_ID);
	sres s;
	sync_g(gc, &s, "g", a, NULL, 1, NULL);
	CHECK_EQ_INT(s.done, 1);
	CHECK_EQ_INT(s.assignment[0], 0); /* missing members get empty bytes */
	/* Stable */
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 1), KERR_NONE);
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 2), KERR_ILLEGAL_GENERATION);
	/* An instance id the group does not know. */
	CHECK_EQ_INT(hb(gc, "g", a, "inst", 1), KERR_UNKNOWN_MEMBER_ID);
	/* PreparingRebalance */
	char b[128];
	join_new(gc, &j, "g", b);
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 1), KERR_REBALANCE_IN_PROGRESS);
	/* Sync during PreparingRebalance */
	sync_g(gc, &s, "g", a, NULL, 1, NULL);
	CHECK_EQ_INT(s.err, KERR_REBALANCE_IN_PROGRESS);
	group_coord_free(gc);
}

TEST(session_expiry)
{
	group_coord *gc = setup();
	char a[128], b[128];
	one_stable(gc, "g", a);
	jres ja, jb;
	join_new(gc, &jb, "g", b);
	join(gc, &ja, "g", a, NULL, 5);
	CHECK_EQ_INT(ja.gen, 2);
	sres sa, sb;
	char as[300];
	snprintf(as, sizeof(as), "%s=t0t1;%s=t2t3", a, b);
	sync_g(gc, &sa, "g", a, NULL, 2, as);
	sync_g(gc, &sb, "g", b, NULL, 2, NULL);
	CHECK(strcmp(sb.assignment, "t2t3") == 0);
	/* b dies; a keeps heartbeating. */
	for (int i = 0; i < 3; i++) {
		advance(3000);
		CHECK_EQ_INT(hb(gc, "g", a, NULL, 2), KERR_NONE);
	}
	advance(3000);
	CHECK(strcmp(state_of(gc, "g"), "PreparingRebalance") == 0);
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 2), KERR_REBALANCE_IN_PROGRESS);
	CHECK_EQ_INT(hb(gc, "g", b, NULL, 2), KERR_UNKNOWN_MEMBER_ID);
	join(gc, &ja, "g", a, NULL, 5);
	CHECK_EQ_INT(ja.done, 1);
	CHECK_EQ_INT(ja.gen, 3);
	CHECK_EQ_INT(ja.nmembers, 1);
	snprintf(as, sizeof(as), "%s=t0t1t2t3", a);
	sync_g(gc, &sa, "g", a, NULL, 3, as);
	CHECK(strcmp(sa.assignment, "t0t1t2t3") == 0);
	/* Everyone gone: the group empties at the next phase. */
	advance(10001);
	CHECK(strcmp(state_of(gc, "g"), "Empty") == 0);
	group_desc d;
	group_coord_describe(gc, kstr_c("g"), &d);
	CHECK_EQ_INT(d.members_count, 0);
	CHECK(kstr_eq_c(d.protocol_type, "consumer"));
	group_coord_free(gc);
}

TEST(leave_group)
{
	group_coord *gc = setup();
	char a[128], b[128];
	one_stable(gc, "g", a);
	jres ja, jb;
	join_new(gc, &jb, "g", b);
	join(gc, &ja, "g", a, NULL, 5);
	sres s;
	sync_g(gc, &s, "g", a, NULL, 2, NULL);
	sync_g(gc, &s, "g", b, NULL, 2, NULL);
	leave_member lm = { kstr_c(b), KSTR_NULL, KSTR_NULL };
	int16_t err = -1;
	CHECK_EQ_INT(group_coord_leave(gc, kstr_c("g"), &lm, 1, &err), 0);
	CHECK_EQ_INT(err, 0);
	CHECK(strcmp(state_of(gc, "g"), "PreparingRebalance") == 0);
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 2), KERR_REBALANCE_IN_PROGRESS);
	CHECK_EQ_INT(group_coord_leave(gc, kstr_c("g"), &lm, 1, &err), 0);
	CHECK_EQ_INT(err, KERR_UNKNOWN_MEMBER_ID);
	CHECK_EQ_INT(group_coord_leave(gc, kstr_c("zzz"), &lm, 1, &err), 0);
	CHECK_EQ_INT(err, KERR_UNKNOWN_MEMBER_ID);
	/* The last member leaves: Empty, generation bumped and written. */
	int before = H.nappends;
	lm.member_id = kstr_c(a);
	group_coord_leave(gc, kstr_c("g"), &lm, 1, &err);
	CHECK(strcmp(state_of(gc, "g"), "Empty") == 0);
	CHECK_EQ_INT(H.nappends, before + 1);
	group_coord_free(gc);
}

TEST(rebalance_timeout_drops_laggards)
{
	group_coord *gc = setup();
	char a[128], b[128];
	one_stable(gc, "g", a);
	jres jb;
	join(gc, &jb, "g", "", NULL, 3); /* v3: joins directly */
	strcpy(b, "");
	CHECK_EQ_INT(jb.done, 0);
	/* a keeps heartbeating but never rejoins. */
	for (int i = 0; i < 10; i++) {
		advance(3000);
		hb(gc, "g", a, NULL, 1);
	}
	advance(1000);
	CHECK_EQ_INT(jb.done, 1);
	CHECK_EQ_INT(jb.gen, 2);
	CHECK_EQ_INT(jb.nmembers, 1);
	CHECK(strcmp(jb.leader, jb.member) == 0);
	CHECK_EQ_INT(hb(gc, "g", a, NULL, 1), KERR_UNKNOWN_MEMBER_ID);
	(void)b;
	group_coord_free(gc);
}

TEST(delayed_sync)
{
	group_coord *gc = setup();
	char a[128], b[128];
	one_stable(gc, "g", a);
	jres ja, jb;
	join_new(gc, &jb, "g", b);
	join(gc, &ja, "g", a, NULL, 5);
	sres sa;
	sync_g(gc, &sa, "g", a, NULL, 2, NULL);
	CHECK_EQ_INT(sa.done, 1);
	/* b never syncs: after the rebalance timeout it is removed. */
	for (int i = 0; i < 11; i++) {
		advance(3000);
		hb(gc, "g", a, NULL, 2);
	}
	CHECK(strcmp(state_of(gc, "g"), "PreparingRebalance") == 0);
	CHECK_EQ_INT(hb(gc, "g", b, NULL, 2), KERR_UNKNOWN_MEMBER_ID);
	group_coord_free(gc);
}

TEST(new_member_join_timeout)
{
	group_coord *gc = setup();
	group_coord_free(gc);
	/* A long rebalance timeout and a static laggard keep the phase open. */
	group_host h = host_of();
	group_coord_config c = test_cfg();
	c.new_member_join_timeout_ms = 20000;
	gc = group_coord_new(&h, &c);
	jres js, jn;
	join(gc, &js, "g", "", "inst-1", 5);
	advance(0);
	CHECK_EQ_INT(js.gen, 1);
	char s1[128];
	strcpy(s1, js.member);
	sres s;
	sync_g(gc, &s, "g", s1, "inst-1", 1, NULL);
	join(gc, &jn, "g", "", NULL, 3); /* new member parks */
	CHECK_EQ_INT(jn.done, 0);
	for (int i = 0; i < 7; i++) {
		advance(3000);
		hb(gc, "g", s1, "inst-1", 1);
	}
	/* 21 s: the new member's parked join gave up. */
	CHECK_EQ_INT(jn.done, 1);
	CHECK_EQ_INT(jn.err, KERR_UNKNOWN_MEMBER_ID);
	group_coord_free(gc);
}

TEST(static_member)
{
	group_coord *gc = setup();
	jres j;
	join(gc, &j, "g", "", "inst-1", 5);
	CHECK_EQ_INT(j.done, 0); /* static members skip KIP-394 */
	advance(0);
	CHECK_EQ_INT(j.gen, 1);
	CHECK(strncmp(j.member, "inst-1-", 7) == 0);
	char old[128];
	strcpy(old, j.member);
	sres s;
	char as[200];
	snprintf(as, sizeof(as), "%s=X", old);
	sync_g(gc, &s, "g", old, "inst-1", 1, as);
	CHECK(strcmp(s.assignment, "X") == 0);
	/* Restart: same instance id, no member id. No rebalance. */
	int before = H.nappends;
	join(gc, &j, "g", "", "inst-1", 5);
	CHECK_EQ_INT(j.done, 1);
	CHECK_EQ_INT(j.err, 0);
	CHECK_EQ_INT(j.gen, 1);
	CHECK(strcmp(j.member, old) != 0);
	CHECK(strcmp(j.leader, old) == 0); /* v<9: the old leader id */
	CHECK(!j.skip);
	CHECK_EQ_INT(H.nappends, before + 1); /* the new id was persisted */
	CHECK(strcmp(state_of(gc, "g"), "Stable") == 0);
	char cur[128];
	strcpy(cur, j.member);
	CHECK_EQ_INT(hb(gc, "g", old, "inst-1", 1), KERR_FENCED_INSTANCE_ID);
	CHECK_EQ_INT(hb(gc, "g", cur, "inst-1", 1), KERR_NONE);
	sync_g(gc, &s, "g", cur, "inst-1", 1, NULL);
	CHECK(strcmp(s.assignment, "X") == 0);
	/* v9: the replaced leader is told to skip the assignment. */
	join(gc, &j, "g", "", "inst-1", 9);
	CHECK_EQ_INT(j.err, 0);
	CHECK(j.skip);
	CHECK(strcmp(j.leader, j.member) == 0);
	CHECK_EQ_INT(j.nmembers, 1);
	/* LeaveGroup v3+ by instance id only. */
	leave_member lm = { KSTR_EMPTY, kstr_c("inst-1"), KSTR_NULL };
	int16_t err;
	group_coord_leave(gc, kstr_c("g"), &lm, 1, &err);
	CHECK_EQ_INT(err, 0);
	CHECK(strcmp(state_of(gc, "g"), "Empty") == 0);
	group_coord_free(gc);
}

TEST(fenced_parked_join)
{
	group_coord *gc = setup();
	char a[128];
	one_stable(gc, "g", a);
	jres js1, js2;
	join(gc, &js1, "g", "", "inst", 5); /* static member joins: rebalance */
	CHECK_EQ_INT(js1.done, 0);
	/* The same instance restarts before the phase ends. */
	join(gc, &js2, "g", "", "inst", 5);
	CHECK_EQ_INT(js1.done, 1);
	CHECK_EQ_INT(js1.err, KERR_FENCED_INSTANCE_ID);
	jres ja;
	join(gc, &ja, "g", a, NULL, 5);
	CHECK_EQ_INT(ja.done, 1);
	CHECK_EQ_INT(js2.done, 1);
	CHECK_EQ_INT(js2.err, 0);
	CHECK_EQ_INT(js2.gen, 2);
	group_coord_free(gc);
}

TEST(group_max_size)
{
	group_coord *gc = setup();
	group_coord_free(gc);
	group_host h = host_of();
	group_coord_config c = test_cfg();
	c.group_max_size = 1;
	gc = group_coord_new(&h, &c);
	char a[128];
	one_stable(gc, "g", a);
	jres j;
	join(gc, &j, "g", "", NULL, 3);
	CHECK_EQ_INT(j.done, 1);
	CHECK_EQ_INT(j.err, KERR_GROUP_MAX_SIZE_REACHED);
	CHECK(strcmp(state_of(gc, "g"), "Stable") == 0);
	/* The member already in may rejoin. */
	join(gc, &j, "g", a, NULL, 5);
	CHECK_EQ_INT(j.done, 1);
	CHECK_EQ_INT(j.err, 0);
	CHECK_EQ_INT(j.gen, 2);
	group_coord_free(gc);
}

int main(void)
{
	RUN(initial_delay_window);
	log_set_level(LOG_WARN);
	RUN(single_member);
	RUN(two_members);
	RUN(member_id_required);
	RUN(pending_member_blocks_join_phase);
	RUN(protocols);
	RUN(protocol_vote);
	RUN(heartbeat_errors);
	RUN(session_expiry);
	RUN(leave_group);
	RUN(rebalance_timeout_drops_laggards);
	RUN(delayed_sync);
	RUN(new_member_join_timeout);
	RUN(static_member);
	RUN(fenced_parked_join);
	RUN(group_max_size);
	test_host_release();
	return testhelp_done();
}
