/*
 * test_group_offsets.c: committed offsets through the coordinator and the
 * fake host of test_group_host.h: OffsetCommit validation order, commits
 * visible only once durable, require_stable, fetch of every partition,
 * KIP-211 retention, DeleteGroups/OffsetDelete/ListGroups, and the replay
 * of the log a coordinator wrote.
 */
#include "proto/rbuild.h"
#include "test_group_host.h"

/* -------------------------------------------------------------- offsets */

typedef struct cres {
	int done;
	int16_t errs[8];
	int n;
} cres;

static void on_commit(void *ud, const int16_t *errors, int32_t count)
{
	cres *c = ud;
	c->done++;
	c->n = count;
	for (int i = 0; i < count && i < 8; i++)
		c->errs[i] = errors[i];
}

static void commit(group_coord *gc, cres *c, int16_t version, const char *group, int32_t gen,
		   const char *member, const char *instance, const char *topic, int32_t partition,
		   int64_t offset, const char *meta)
{
	commit_partition p = { kstr_c(topic), partition, offset, -1, meta ? kstr_c(meta) : KSTR_NULL };
	commit_args a;
	memset(&a, 0, sizeof(a));
	a.version = version;
	a.group_id = kstr_c(group);
	a.generation_id = gen;
	a.member_id = kstr_c(member ? member : "");
	a.group_instance_id = instance ? kstr_c(instance) : KSTR_NULL;
	a.retention_time_ms = -1;
	a.parts = &p;
	a.count = 1;
	memset(c, 0, sizeof(*c));
	group_coord_commit(gc, &a, on_commit, c);
}

static int64_t fetch(group_coord *gc, const char *group, const char *topic, int32_t partition,
		     bool stable, int16_t *err)
{
	fetched_offset o;
	group_coord_fetch(gc, kstr_c(group), kstr_c(topic), partition, stable, &o);
	if (err)
		*err = o.error;
	return o.offset;
}

TEST(commit_validation)
{
	group_coord *gc = setup();
	cres c;
	/* 1. unknown group: generation >= 0 is refused */
	commit(gc, &c, 8, "g", 1, "m", NULL, "t", 0, 5, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_ILLEGAL_GENERATION);
	commit(gc, &c, 9, "g", 1, "m", NULL, "t", 0, 5, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_GROUP_ID_NOT_FOUND);
	CHECK(strcmp(state_of(gc, "g"), "Dead") == 0);
	/* ... generation -1 creates a simple group */
	commit(gc, &c, 8, "simple", -1, NULL, NULL, "t", 0, 5, "meta");
	CHECK_EQ_INT(c.done, 1);
	CHECK_EQ_INT(c.errs[0], 0);
	CHECK(strcmp(state_of(gc, "simple"), "Empty") == 0);
	CHECK_EQ_INT(fetch(gc, "simple", "t", 0, false, NULL), 5);
	/* per partition: unknown topic, metadata too large */
	commit(gc, &c, 8, "simple", -1, NULL, NULL, "nosuch", 0, 5, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_UNKNOWN_TOPIC_OR_PARTITION);
	commit(gc, &c, 8, "simple", -1, NULL, NULL, "t", 99, 5, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_UNKNOWN_TOPIC_OR_PARTITION);
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	commit(gc, &c, 8, "simple", -1, NULL, NULL, "t", 0, 6, big);
	CHECK_EQ_INT(c.errs[0], KERR_OFFSET_METADATA_TOO_LARGE);
	CHECK_EQ_INT(fetch(gc, "simple", "t", 0, false, NULL), 5);
	/* group "" is legal for commits */
	commit(gc, &c, 8, "", -1, NULL, NULL, "t", 1, 9, NULL);
	CHECK_EQ_INT(c.errs[0], 0);
	CHECK_EQ_INT(fetch(gc, "", "t", 1, false, NULL), 9);

	/* a consumer group */
	char a[128];
	jres j;
	join_new(gc, &j, "cg", a);
	advance(0);
	/* 6. CompletingRebalance */
	commit(gc, &c, 8, "cg", 1, a, NULL, "t", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_REBALANCE_IN_PROGRESS);
	sres s;
	sync_g(gc, &s, "cg", a, NULL, 1, NULL);
	commit(gc, &c, 8, "cg", 1, a, NULL, "t", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], 0);
	/* 4. member / generation / instance checks */
	commit(gc, &c, 8, "cg", 1, "who", NULL, "t", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_UNKNOWN_MEMBER_ID);
	commit(gc, &c, 8, "cg", 7, a, NULL, "t", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_ILLEGAL_GENERATION);
	commit(gc, &c, 8, "cg", 1, a, "inst", "t", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_UNKNOWN_MEMBER_ID);
	/* 5. no member, no generation, group not empty */
	commit(gc, &c, 8, "cg", -1, NULL, NULL, "t", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_UNKNOWN_MEMBER_ID);
	/* unknown topic wins over a group error (KafkaApis filters first) */
	commit(gc, &c, 8, "cg", 7, a, NULL, "nosuch", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_UNKNOWN_TOPIC_OR_PARTITION);
	/* static member fencing */
	jres js;
	join(gc, &js, "st", "", "i1", 5);
	advance(0);
	char sm[128];
	strcpy(sm, js.member);
	sync_g(gc, &s, "st", sm, "i1", 1, NULL);
	commit(gc, &c, 8, "st", 1, sm, "i1", "t", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], 0);
	commit(gc, &c, 8, "st", 1, "old-id", "i1", "t", 0, 1, NULL);
	CHECK_EQ_INT(c.errs[0], KERR_FENCED_INSTANCE_ID);
	/* PreparingRebalance: a current member may still commit */
	jres j2;
	join(gc, &j2, "cg", "", NULL, 3);
	CHECK(strcmp(state_of(gc, "cg"), "PreparingRebalance") == 0);
	commit(gc, &c, 8, "cg", 1, a, NULL, "t", 0, 2, NULL);
	CHECK_EQ_INT(c.errs[0], 0);
	CHECK_EQ_INT(fetch(gc, "cg", "t", 0, false, NULL), 2);
	group_coord_free(gc);
}

TEST(commit_durable_before_visible)
{
	group_coord *gc = setup();
	H.sync_appends = false;
	cres c;
	commit(gc, &c, 8, "g", -1, NULL, NULL, "t", 0, 42, "m");
	CHECK_EQ_INT(c.done, 0);
	int16_t err;
	CHECK_EQ_INT(fetch(gc, "g", "t", 0, false, &err), -1);
	CHECK_EQ_INT(err, 0);
	CHECK_EQ_INT(fetch(gc, "g", "t", 0, true, &err), -1);
	CHECK_EQ_INT(err, KERR_UNSTABLE_OFFSET_COMMIT);
	CHECK_EQ_INT(fetch(gc, "g", "t", 1, true, &err), -1);
	CHECK_EQ_INT(err, 0); /* other partitions are not pending */
	complete_appends(0);
	CHECK_EQ_INT(c.done, 1);
	CHECK_EQ_INT(c.errs[0], 0);
	CHECK_EQ_INT(fetch(gc, "g", "t", 0, true, &err), 42);
	CHECK_EQ_INT(err, 0);
	/* A failed write is reported and never visible. */
	commit(gc, &c, 8, "g", -1, NULL, NULL, "t", 0, 43, NULL);
	complete_appends(-5);
	CHECK_EQ_INT(c.errs[0], KERR_COORDINATOR_NOT_AVAILABLE);
	CHECK_EQ_INT(fetch(gc, "g", "t", 0, true, &err), 42);
	CHECK_EQ_INT(err, 0);
	/* Several partitions go in one batch. */
	commit_partition ps[3] = { { kstr_c("t"), 0, 50, 3, KSTR_NULL },
				   { kstr_c("u"), 1, 60, -1, kstr_c("x") },
				   { kstr_c("zz"), 0, 1, -1, KSTR_NULL } };
	commit_args a;
	memset(&a, 0, sizeof(a));
	a.version = 8;
	a.group_id = kstr_c("g");
	a.generation_id = -1;
	a.member_id = KSTR_EMPTY;
	a.group_instance_id = KSTR_NULL;
	a.retention_time_ms = -1;
	a.parts = ps;
	a.count = 3;
	int before = H.nappends;
	group_coord_commit(gc, &a, on_commit, &c);
	CHECK_EQ_INT(H.nappends, before + 1);
	complete_appends(0);
	CHECK_EQ_INT(c.errs[0], 0);
	CHECK_EQ_INT(c.errs[1], 0);
	CHECK_EQ_INT(c.errs[2], KERR_UNKNOWN_TOPIC_OR_PARTITION);
	fetched_offset o;
	group_coord_fetch(gc, kstr_c("g"), kstr_c("t"), 0, false, &o);
	CHECK_EQ_INT(o.offset, 50);
	CHECK_EQ_INT(o.leader_epoch, 3);
	group_coord_fetch(gc, kstr_c("g"), kstr_c("u"), 1, false, &o);
	CHECK(kstr_eq_c(o.metadata, "x"));
	/* Shutdown with a commit in flight answers it. */
	commit(gc, &c, 8, "g", -1, NULL, NULL, "t", 0, 44, NULL);
	group_coord_free(gc);
	CHECK_EQ_INT(c.done, 1);
	CHECK_EQ_INT(c.errs[0], KERR_COORDINATOR_NOT_AVAILABLE);
	complete_appends(0); /* the late host callback frees the record */
}

typedef struct fall {
	int n;
	char topics[8][16];
	int32_t parts[8];
	int64_t offs[8];
	int16_t errs[8];
} fall;

static void on_fetch_all(void *ud, kstr topic, int32_t partition, const fetched_offset *o)
{
	fall *f = ud;
	if (f->n >= 8)
		return;
	cpy(f->topics[f->n], sizeof(f->topics[0]), topic);
	f->parts[f->n] = partition;
	f->offs[f->n] = o->offset;
	f->errs[f->n] = o->error;
	f->n++;
}

TEST(fetch_all)
{
	group_coord *gc = setup();
	cres c;
	commit(gc, &c, 8, "g", -1, NULL, NULL, "u", 1, 11, NULL);
	commit(gc, &c, 8, "g", -1, NULL, NULL, "t", 2, 12, NULL);
	commit(gc, &c, 8, "g", -1, NULL, NULL, "t", 0, 10, NULL);
	H.sync_appends = false;
	commit(gc, &c, 8, "g", -1, NULL, NULL, "v", 0, 13, NULL);
	fall f;
	memset(&f, 0, sizeof(f));
	group_coord_fetch_all(gc, kstr_c("g"), false, on_fetch_all, &f);
	CHECK_EQ_INT(f.n, 3);
	CHECK(strcmp(f.topics[0], "t") == 0 && f.parts[0] == 0 && f.offs[0] == 10);
	CHECK(strcmp(f.topics[1], "t") == 0 && f.parts[1] == 2 && f.offs[1] == 12);
	CHECK(strcmp(f.topics[2], "u") == 0 && f.offs[2] == 11);
	memset(&f, 0, sizeof(f));
	group_coord_fetch_all(gc, kstr_c("g"), true, on_fetch_all, &f);
	CHECK_EQ_INT(f.n, 4);
	CHECK(strcmp(f.topics[3], "v") == 0 && f.errs[3] == KERR_UNSTABLE_OFFSET_COMMIT);
	memset(&f, 0, sizeof(f));
	group_coord_fetch_all(gc, kstr_c("none"), true, on_fetch_all, &f);
	CHECK_EQ_INT(f.n, 0);
	complete_appends(0);
	group_coord_free(gc);
}

TEST(retention)
{
	group_coord *gc = setup();
	group_coord_free(gc);
	group_host h = host_of();
	group_coord_config cfg = test_cfg();
	cfg.offsets_retention_ms = 60000;
	cfg.offsets_retention_check_interval_ms = 1000;
	gc = group_coord_new(&h, &cfg);
	cres c;
	/* simple group: by commit time */
	commit(gc, &c, 8, "simple", -1, NULL, NULL, "t", 0, 1, NULL);
	advance(30000);
	commit(gc, &c, 8, "simple", -1, NULL, NULL, "t", 1, 1, NULL);
	/* stable consumer group subscribed to t: u offsets expire, t stay */
	char a[128];
	one_stable(gc, "cg", a);
	commit(gc, &c, 8, "cg", 1, a, NULL, "t", 0, 7, NULL);
	commit(gc, &c, 8, "cg", 1, a, NULL, "u", 0, 8, NULL);
	/* empty consumer group: from the time it became empty */
	char b[128];
	one_stable(gc, "eg", b);
	commit(gc, &c, 8, "eg", 1, b, NULL, "t", 0, 9, NULL);
	for (int i = 0; i < 4; i++) {
		advance(5000);
		hb(gc, "cg", a, NULL, 1);
		hb(gc, "eg", b, NULL, 1);
	}
	leave_member lm = { kstr_c(b), KSTR_NULL, KSTR_NULL };
	int16_t err;
	group_coord_leave(gc, kstr_c("eg"), &lm, 1, &err);
	CHECK(strcmp(state_of(gc, "eg"), "Empty") == 0);
	/* value v1: explicit expire time (OffsetCommit v2-v4 retention) */
	commit_partition p = { kstr_c("v"), 0, 5, -1, KSTR_NULL };
	commit_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.version = 2;
	ca.group_id = kstr_c("simple");
	ca.generation_id = -1;
	ca.member_id = KSTR_EMPTY;
	ca.group_instance_id = KSTR_NULL;
	ca.retention_time_ms = 5000;
	ca.parts = &p;
	ca.count = 1;
	group_coord_commit(gc, &ca, on_commit, &c);
	advance(6000);
	hb(gc, "cg", a, NULL, 1);
	CHECK_EQ_INT(fetch(gc, "simple", "v", 0, false, NULL), -1);
	CHECK_EQ_INT(fetch(gc, "simple", "t", 0, false, NULL), 1);
	advance(5000); /* t-0 of simple: 61 s old */
	hb(gc, "cg", a, NULL, 1);
	CHECK_EQ_INT(fetch(gc, "simple", "t", 0, false, NULL), -1);
	CHECK_EQ_INT(fetch(gc, "simple", "t", 1, false, NULL), 1);
	for (int i = 0; i < 5; i++) {
		advance(5000);
		hb(gc, "cg", a, NULL, 1);
	}
	/* t = 86 s: 56 s after the commits of cg, nothing expired yet */
	CHECK_EQ_INT(fetch(gc, "cg", "u", 0, false, NULL), 8);
	CHECK_EQ_INT(fetch(gc, "eg", "t", 0, false, NULL), 9);
	advance(5000);
	hb(gc, "cg", a, NULL, 1);
	/* t = 91 s: the unsubscribed topic of the stable group went */
	CHECK_EQ_INT(fetch(gc, "cg", "u", 0, false, NULL), -1);
	CHECK_EQ_INT(fetch(gc, "cg", "t", 0, false, NULL), 7);
	/* eg became empty at 50 s (20 s after its commit): kept until 110 s */
	CHECK_EQ_INT(fetch(gc, "eg", "t", 0, false, NULL), 9);
	for (int i = 0; i < 4; i++) {
		advance(5000);
		hb(gc, "cg", a, NULL, 1);
	}
	CHECK_EQ_INT(fetch(gc, "eg", "t", 0, false, NULL), -1);
	CHECK(strcmp(state_of(gc, "eg"), "Dead") == 0); /* no offsets left: gone */
	CHECK(strcmp(state_of(gc, "simple"), "Dead") == 0);
	CHECK(strcmp(state_of(gc, "cg"), "Stable") == 0);
	group_coord_free(gc);
}

typedef struct dres {
	int done;
	int16_t gerr;
	int16_t errs[8];
} dres;

static void on_delete(void *ud, const int16_t *errors, int32_t count)
{
	dres *d = ud;
	d->done++;
	for (int i = 0; i < count && i < 8; i++)
		d->errs[i] = errors[i];
}

static void on_odel(void *ud, int16_t gerr, const int16_t *errors, int32_t count)
{
	dres *d = ud;
	d->gerr = gerr;
	on_delete(ud, errors, count);
}

typedef struct lres {
	int n;
	char names[8][16];
	char states[8][24];
} lres;

static void on_list(void *ud, kstr id, kstr type, const char *state)
{
	lres *l = ud;
	(void)type;
	if (l->n < 8) {
		cpy(l->names[l->n], sizeof(l->names[0]), id);
		snprintf(l->states[l->n], sizeof(l->states[0]), "%s", state);
		l->n++;
	}
}

TEST(admin_ops)
{
	group_coord *gc = setup();
	char a[128];
	one_stable(gc, "busy", a);
	cres c;
	commit(gc, &c, 8, "busy", 1, a, NULL, "t", 0, 3, NULL);
	commit(gc, &c, 8, "busy", 1, a, NULL, "u", 0, 3, NULL);
	commit(gc, &c, 8, "idle", -1, NULL, NULL, "t", 0, 4, NULL);
	lres l;
	memset(&l, 0, sizeof(l));
	group_coord_list(gc, on_list, &l);
	CHECK_EQ_INT(l.n, 2);
	/* OffsetDelete: subscribed topic refused, others deleted */
	group_tp tps[3] = { { kstr_c("t"), 0 }, { kstr_c("u"), 0 }, { kstr_c("nosuch"), 0 } };
	dres d;
	memset(&d, 0, sizeof(d));
	group_coord_offset_delete(gc, kstr_c("busy"), tps, 3, on_odel, &d);
	CHECK_EQ_INT(d.done, 1);
	CHECK_EQ_INT(d.gerr, 0);
	CHECK_EQ_INT(d.errs[0], KERR_GROUP_SUBSCRIBED_TO_TOPIC);
	CHECK_EQ_INT(d.errs[1], 0);
	CHECK_EQ_INT(d.errs[2], KERR_UNKNOWN_TOPIC_OR_PARTITION);
	CHECK_EQ_INT(fetch(gc, "busy", "t", 0, false, NULL), 3);
	CHECK_EQ_INT(fetch(gc, "busy", "u", 0, false, NULL), -1);
	memset(&d, 0, sizeof(d));
	group_coord_offset_delete(gc, kstr_c("missing"), tps, 1, on_odel, &d);
	CHECK_EQ_INT(d.gerr, KERR_GROUP_ID_NOT_FOUND);
	memset(&d, 0, sizeof(d));
	group_coord_offset_delete(gc, kstr_c("idle"), tps, 1, on_odel, &d);
	CHECK_EQ_INT(d.errs[0], 0);
	CHECK_EQ_INT(fetch(gc, "idle", "t", 0, false, NULL), -1);
	/* DeleteGroups */
	commit(gc, &c, 8, "idle", -1, NULL, NULL, "t", 0, 4, NULL);
	kstr ids[3] = { kstr_c("busy"), kstr_c("idle"), kstr_c("missing") };
	H.sync_appends = false;
	memset(&d, 0, sizeof(d));
	group_coord_delete_groups(gc, ids, 3, on_delete, &d);
	CHECK_EQ_INT(d.done, 0); /* waits for the tombstones */
	complete_appends(0);
	CHECK_EQ_INT(d.done, 1);
	CHECK_EQ_INT(d.errs[0], KERR_NON_EMPTY_GROUP);
	CHECK_EQ_INT(d.errs[1], 0);
	CHECK_EQ_INT(d.errs[2], KERR_GROUP_ID_NOT_FOUND);
	CHECK(strcmp(state_of(gc, "idle"), "Dead") == 0);
	CHECK_EQ_INT(fetch(gc, "idle", "t", 0, false, NULL), -1);
	group_desc gd;
	CHECK_EQ_INT(group_coord_describe(gc, kstr_c("idle"), &gd), -1);
	CHECK_EQ_INT(gd.error, 0);
	group_coord_free(gc);
}

/* Feeds the fake log of every partition to a fresh coordinator. */
static group_coord *reload(void)
{
	group_host h = host_of();
	group_coord_config c = test_cfg();
	group_coord *gc = group_coord_new(&h, &c);
	for (int p = 0; p < NPART; p++) {
		int64_t n = group_coord_load(gc, p, H.log[p].data, H.log[p].len);
		CHECK_EQ_INT(n, (int64_t)H.log[p].len);
	}
	group_coord_load_finish(gc);
	return gc;
}

TEST(replay)
{
	group_coord *gc = setup();
	char a[128], b[128];
	one_stable(gc, "cg", a);
	jres ja, jb;
	join_new(gc, &jb, "cg", b);
	join(gc, &ja, "cg", a, NULL, 5);
	sres s;
	char as[300];
	snprintf(as, sizeof(as), "%s=AA;%s=BB", a, b);
	sync_g(gc, &s, "cg", a, NULL, 2, as);
	sync_g(gc, &s, "cg", b, NULL, 2, NULL);
	cres c;
	commit(gc, &c, 8, "cg", 2, a, NULL, "t", 0, 100, "m1");
	commit(gc, &c, 8, "cg", 2, b, NULL, "t", 1, 200, NULL);
	commit(gc, &c, 8, "cg", 2, b, NULL, "t", 1, 201, NULL);
	commit(gc, &c, 8, "simple", -1, NULL, NULL, "u", 3, 7, NULL);
	commit(gc, &c, 8, "gone", -1, NULL, NULL, "u", 3, 7, NULL);
	kstr del = kstr_c("gone");
	dres d;
	memset(&d, 0, sizeof(d));
	group_coord_delete_groups(gc, &del, 1, on_delete, &d);
	char e[128];
	one_stable(gc, "eg", e);
	leave_member lm = { kstr_c(e), KSTR_NULL, KSTR_NULL };
	int16_t err;
	group_coord_leave(gc, kstr_c("eg"), &lm, 1, &err);
	group_coord_free(gc);

	gc = reload();
	CHECK(strcmp(state_of(gc, "cg"), "Stable") == 0);
	CHECK(strcmp(state_of(gc, "simple"), "Empty") == 0);
	CHECK(strcmp(state_of(gc, "eg"), "Empty") == 0);
	CHECK(strcmp(state_of(gc, "gone"), "Dead") == 0);
	fetched_offset o;
	group_coord_fetch(gc, kstr_c("cg"), kstr_c("t"), 0, false, &o);
	CHECK_EQ_INT(o.offset, 100);
	CHECK(kstr_eq_c(o.metadata, "m1"));
	CHECK_EQ_INT(fetch(gc, "cg", "t", 1, false, NULL), 201);
	CHECK_EQ_INT(fetch(gc, "simple", "u", 3, false, NULL), 7);
	CHECK_EQ_INT(fetch(gc, "gone", "u", 3, false, NULL), -1);
	group_desc gd;
	group_coord_describe(gc, kstr_c("cg"), &gd);
	CHECK_EQ_INT(gd.members_count, 2);
	CHECK(kstr_eq_c(gd.protocol, "range"));
	CHECK(kstr_eq_c(gd.members[0].member_id, a));
	CHECK(gd.members[1].assignment.len == 2 && memcmp(gd.members[1].assignment.p, "BB", 2) == 0);
	/* Members come back and may heartbeat at generation 2. */
	CHECK_EQ_INT(hb(gc, "cg", a, NULL, 2), KERR_NONE);
	sync_g(gc, &s, "cg", b, NULL, 2, NULL);
	CHECK(strcmp(s.assignment, "BB") == 0);
	/* b does not heartbeat: it expires and the group rebalances. */
	for (int i = 0; i < 4; i++) {
		advance(3000);
		hb(gc, "cg", a, NULL, 2);
	}
	CHECK(strcmp(state_of(gc, "cg"), "PreparingRebalance") == 0);
	group_coord_describe(gc, kstr_c("eg"), &gd);
	CHECK(kstr_eq_c(gd.protocol_type, "consumer"));
	group_coord_free(gc);
	/* A truncated log: whole batches only, the tail is left. */
	gc = setup();
	commit(gc, &c, 8, "x", -1, NULL, NULL, "t", 0, 1, NULL);
	int p = group_coord_partition_for(gc, kstr_c("x"));
	group_coord_free(gc);
	gc = group_coord_new(&(group_host){ NULL, f_now, f_mono, f_timer_add, f_timer_cancel, f_append,
					    f_exists },
			     &(group_coord_config){ 0 });
	CHECK_EQ_INT(group_coord_load(gc, p, H.log[p].data, H.log[p].len - 1), 0);
	/* A corrupt batch stops the load. */
	H.log[p].data[H.log[p].len - 1] ^= 0xff;
	CHECK_EQ_INT(group_coord_load(gc, p, H.log[p].data, H.log[p].len), -1);
	group_coord_free(gc);
}

TEST(commit_retention_time_bounds)
{
	group_coord *gc = setup();
	int64_t rts[4] = { INT64_MAX, INT64_MIN, -2, 0 };
	for (int i = 0; i < 4; i++) {
		commit_partition p = { kstr_c("t"), i, 5, -1, KSTR_NULL };
		commit_args a;
		memset(&a, 0, sizeof(a));
		a.version = 2;
		a.group_id = kstr_c("r");
		a.generation_id = -1;
		a.member_id = KSTR_EMPTY;
		a.group_instance_id = KSTR_NULL;
		a.retention_time_ms = rts[i];
		a.parts = &p;
		a.count = 1;
		cres c;
		memset(&c, 0, sizeof(c));
		group_coord_commit(gc, &a, on_commit, &c);
		CHECK_EQ_INT(c.done, 1);
		CHECK_EQ_INT(c.errs[0], 0);
	}
	CHECK_EQ_INT(group_coord_expire_offsets(gc), 3); /* all but INT64_MAX */
	CHECK_EQ_INT(fetch(gc, "r", "t", 0, false, NULL), 5);
	group_coord_free(gc);
}

/* offset.metadata.max.bytes counts characters as Kafka's Java strings do
 * (UTF-16 units), not UTF-8 bytes. */
TEST(metadata_limit_in_java_chars)
{
	static const struct {
		const char *unit;
		int count;
		int16_t err;
	} cases[] = {
		{ "a", 4096, KERR_NONE },
		{ "a", 4097, KERR_OFFSET_METADATA_TOO_LARGE },
		{ "\xc3\xa9", 4096, KERR_NONE },                      /* e-acute: 8192 bytes */
		{ "\xc3\xa9", 4097, KERR_OFFSET_METADATA_TOO_LARGE },
		{ "\xf0\x9f\x99\x82", 2048, KERR_NONE },              /* emoji: 2 units each */
		{ "\xf0\x9f\x99\x82", 2049, KERR_OFFSET_METADATA_TOO_LARGE },
	};
	group_coord *gc = setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t ul = strlen(cases[i].unit), n = ul * (size_t)cases[i].count;
		char *meta = malloc(n + 1);
		for (int k = 0; k < cases[i].count; k++)
			memcpy(meta + (size_t)k * ul, cases[i].unit, ul);
		meta[n] = '\0';
		cres c;
		commit(gc, &c, 8, "m", -1, NULL, NULL, "t", 0, (int64_t)i, meta);
		CHECK_EQ_INT(c.done, 1);
		CHECK_EQ_INT(c.errs[0], cases[i].err);
		free(meta);
	}
	group_coord_free(gc);
}

/* DeleteTopics: every group loses its offsets of the topic, with
 * tombstones that a reload honours; a group left with nothing goes. */
TEST(topic_deleted)
{
	static const struct {
		const char *group, *topic;
		int32_t partition;
		int64_t offset;
	} cs[] = { { "a", "t", 0, 4 }, { "a", "t", 1, 5 }, { "a", "u", 0, 6 }, { "b", "t", 0, 7 } };
	group_coord *gc = setup();
	cres c;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		commit(gc, &c, 8, cs[i].group, -1, NULL, NULL, cs[i].topic, cs[i].partition,
		       cs[i].offset, NULL);
		CHECK_EQ_INT(c.done, 1);
	}
	CHECK_EQ_INT(group_coord_topic_deleted(gc, kstr_c("nope")), 0);
	CHECK_EQ_INT(group_coord_topic_deleted(gc, kstr_c("t")), 3);
	CHECK_EQ_INT(fetch(gc, "a", "t", 0, false, NULL), -1);
	CHECK_EQ_INT(fetch(gc, "a", "t", 1, false, NULL), -1);
	CHECK_EQ_INT(fetch(gc, "a", "u", 0, false, NULL), 6);
	group_desc gd;
	CHECK_EQ_INT(group_coord_describe(gc, kstr_c("b"), &gd), -1);
	group_coord_free(gc);
	gc = reload();
	CHECK_EQ_INT(fetch(gc, "a", "t", 0, false, NULL), -1);
	CHECK_EQ_INT(fetch(gc, "a", "u", 0, false, NULL), 6);
	CHECK_EQ_INT(fetch(gc, "b", "t", 0, false, NULL), -1);
	group_coord_free(gc);
}

/* Random keys and values in CRC-valid batches: the decoders must reject
 * or skip them without crashing (run under ASan/UBSan). */
TEST(replay_garbage)
{
	group_coord *gc = setup();
	uint32_t seed = 12345;
	uint8_t key[64], val[256];
	for (int iter = 0; iter < 3000; iter++) {
		size_t kl = 0, vl = 0;
		seed = seed * 1103515245u + 12345u;
		kl = (seed >> 8) % sizeof(key);
		seed = seed * 1103515245u + 12345u;
		vl = (seed >> 8) % sizeof(val);
		for (size_t i = 0; i < kl; i++) {
			seed = seed * 1103515245u + 12345u;
			key[i] = (uint8_t)(seed >> 16);
		}
		for (size_t i = 0; i < vl; i++) {
			seed = seed * 1103515245u + 12345u;
			val[i] = (uint8_t)(seed >> 16);
		}
		/* Valid key versions half of the time, to reach the value decoders. */
		if (kl >= 2 && (iter & 1)) {
			key[0] = 0;
			key[1] = (uint8_t)(iter % 3);
		}
		if (vl >= 2 && (iter & 2)) {
			val[0] = 0;
			val[1] = (uint8_t)(iter % 5);
		}
		rb_record rec = { { key, (int32_t)kl }, { val, (iter % 7) ? (int32_t)vl : -1 }, 1 };
		rb_batch_opts o;
		rbuild_opts_init(&o);
		buf b;
		buf_init(&b, 1 << 20);
		CHECK_EQ_INT(rbuild_batch(&b, &o, &rec, 1), 0);
		int64_t n = group_coord_load(gc, 0, b.data, b.len);
		CHECK_EQ_INT(n, (int64_t)b.len);
		buf_release(&b);
	}
	group_coord_load_finish(gc);
	group_coord_free(gc);
}

int main(void)
{
	log_set_level(LOG_WARN);
	RUN(commit_validation);
	RUN(commit_durable_before_visible);
	RUN(fetch_all);
	RUN(retention);
	RUN(admin_ops);
	RUN(replay);
	RUN(commit_retention_time_bounds);
	RUN(metadata_limit_in_java_chars);
	RUN(topic_deleted);
	RUN(replay_garbage);
	test_host_release();
	return testhelp_done();
}
