/*
 * test_offsets.c: the committed-offsets store, the __consumer_offsets
 * record formats (golden bytes written by hand from the internal/ JSON schemas), the
 * Java hash that places groups, and batch build -> iterate round trips.
 */
#include <stdlib.h>
#include <string.h>

#include "group/gmap.h"
#include "group/offsets.h"
#include "group/offsets_log.h"
#include "proto/riter.h"
#include "testhelp.h"

TEST(java_hash)
{
	/* Values computed with Java's rule h = 31*h + utf16 unit. */
	CHECK_EQ_INT(offsets_log_java_hash(kstr_c("")), 0);
	CHECK_EQ_INT(offsets_log_java_hash(kstr_c("g")), 103);
	CHECK_EQ_INT(offsets_log_java_hash(kstr_c("my-group")), -1906497762);
	CHECK_EQ_INT(offsets_log_java_hash(kstr_c("console-consumer-12345")), 158455506);
	/* é (2-byte UTF-8) and U+1F600 (surrogate pair) then 'x'. */
	CHECK_EQ_INT(offsets_log_java_hash(kstr_c("\xc3\xa9\xf0\x9f\x98\x80x")), 61901292);
	CHECK_EQ_INT(offsets_log_java_hash(kstr_c("polygenelubricants")), INT32_MIN);
	/* Invalid UTF-8 bytes count as U+FFFD each. */
	CHECK_EQ_INT(offsets_log_java_hash(kstr_c("\xff")), 0xFFFD);
	CHECK_EQ_INT(offsets_log_java_hash(kstr_c("\xe2\x82")), 31 * 0xFFFD + 0xFFFD);
}

TEST(partition_for)
{
	CHECK_EQ_INT(offsets_log_partition_for(kstr_c("my-group"), 50), 12);
	CHECK_EQ_INT(offsets_log_partition_for(kstr_c(""), 50), 0);
	CHECK_EQ_INT(offsets_log_partition_for(kstr_c("g"), 50), 3);
	/* Utils.abs(Integer.MIN_VALUE) == 0 */
	CHECK_EQ_INT(offsets_log_partition_for(kstr_c("polygenelubricants"), 50), 0);
	CHECK_EQ_INT(offsets_log_partition_for(kstr_c("console-consumer-12345"), 50), 6);
	CHECK_EQ_INT(offsets_log_partition_for(kstr_c("x"), 1), 0);
}

/* The bytes of record i of a built batch. */
static void batch_record(const offsets_log_batch *b, int i, kbytes *key, kbytes *val)
{
	const struct olog_rec *r = &b->recs[i];
	*key = (kbytes){ b->data.data + r->key_off, (int32_t)r->key_len };
	*val = r->val_len < 0 ? (kbytes){ NULL, -1 }
			      : (kbytes){ b->data.data + r->val_off, r->val_len };
}

TEST(golden_commit_key_value_v3)
{
	static const uint8_t key[] = { 0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 0 };
	static const uint8_t val[] = { 0, 3,                          /* version */
				       0, 0, 0, 0, 0, 0, 0, 42,       /* offset */
				       0xff, 0xff, 0xff, 0xff,        /* leaderEpoch */
				       0, 0,                          /* metadata "" */
				       0, 0, 0, 0, 0, 0, 0x03, 0xe8 }; /* commitTimestamp */
	offsets_log_batch b;
	offsets_log_batch_init(&b);
	offset_value v = { 42, -1, KSTR_EMPTY, 1000, -1 };
	offsets_log_add_commit(&b, kstr_c("g"), kstr_c("t"), 0, &v);
	kbytes k, vv;
	batch_record(&b, 0, &k, &vv);
	CHECK_EQ_INT(k.len, sizeof(key));
	CHECK_MEM(k.p, key, sizeof(key));
	CHECK_EQ_INT(vv.len, sizeof(val));
	CHECK_MEM(vv.p, val, sizeof(val));
	offsets_log_batch_release(&b);
}

TEST(golden_commit_value_v1)
{
	static const uint8_t val[] = { 0, 1,
				       0, 0, 0, 0, 0, 0, 0, 42,
				       0, 1, 'm',
				       0, 0, 0, 0, 0, 0, 0x03, 0xe8,
				       0, 0, 0, 0, 0, 0, 0x07, 0xd0 };
	offsets_log_batch b;
	offsets_log_batch_init(&b);
	offset_value v = { 42, 7, kstr_c("m"), 1000, 2000 };
	offsets_log_add_commit(&b, kstr_c("g"), kstr_c("t"), 0, &v);
	offsets_log_add_commit(&b, kstr_c("g"), kstr_c("t"), 1, NULL);
	kbytes k, vv;
	batch_record(&b, 0, &k, &vv);
	CHECK_EQ_INT(vv.len, sizeof(val));
	CHECK_MEM(vv.p, val, sizeof(val));
	batch_record(&b, 1, &k, &vv);
	CHECK_EQ_INT(vv.len, -1);
	CHECK_EQ_INT(k.len, 12);
	offsets_log_batch_release(&b);
}

static const uint8_t golden_group_value[] = {
	0, 3,
	0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r', /* protocolType */
	0, 0, 0, 1,                                   /* generation */
	0, 5, 'r', 'a', 'n', 'g', 'e',                /* protocol */
	0, 2, 'm', '1',                               /* leader */
	0, 0, 0, 0, 0, 0, 0x13, 0x88,                 /* currentStateTimestamp 5000 */
	0, 0, 0, 1,                                   /* members */
	0, 2, 'm', '1',                               /* memberId */
	0xff, 0xff,                                   /* groupInstanceId null */
	0, 1, 'c',                                    /* clientId */
	0, 2, '/', 'h',                               /* clientHost */
	0, 0x04, 0x93, 0xe0,                          /* rebalanceTimeout 300000 */
	0, 0, 0x27, 0x10,                             /* sessionTimeout 10000 */
	0, 0, 0, 2, 1, 2,                             /* subscription */
	0, 0, 0, 1, 3,                                /* assignment */
};

TEST(golden_group_key_value_v3)
{
	static const uint8_t key[] = { 0, 2, 0, 1, 'g' };
	kmsg_GroupMetadataValue v;
	kmsg_GroupMetadataValue_MemberMetadata mm;
	kmsg_GroupMetadataValue_init(&v);
	kmsg_GroupMetadataValue_MemberMetadata_init(&mm);
	v.protocolType = kstr_c("consumer");
	v.generation = 1;
	v.protocol = kstr_c("range");
	v.leader = kstr_c("m1");
	v.currentStateTimestamp = 5000;
	v.members = &mm;
	v.members_count = 1;
	mm.memberId = kstr_c("m1");
	mm.groupInstanceId = KSTR_NULL;
	mm.clientId = kstr_c("c");
	mm.clientHost = kstr_c("/h");
	mm.rebalanceTimeout = 300000;
	mm.sessionTimeout = 10000;
	mm.subscription = (kbytes){ (const uint8_t *)"\x01\x02", 2 };
	mm.assignment = (kbytes){ (const uint8_t *)"\x03", 1 };
	offsets_log_batch b;
	offsets_log_batch_init(&b);
	offsets_log_add_group(&b, kstr_c("g"), &v);
	kbytes k, vv;
	batch_record(&b, 0, &k, &vv);
	CHECK_EQ_INT(k.len, sizeof(key));
	CHECK_MEM(k.p, key, sizeof(key));
	CHECK_EQ_INT(vv.len, sizeof(golden_group_value));
	CHECK_MEM(vv.p, golden_group_value, sizeof(golden_group_value));

	/* And back. */
	arena *a = arena_new();
	offsets_log_record rec;
	CHECK_EQ_INT(offsets_log_decode(k, vv, a, &rec), 0);
	CHECK_EQ_INT(rec.kind, OLOG_GROUP);
	CHECK(kstr_eq_c(rec.group, "g"));
	CHECK_EQ_INT(rec.meta.generation, 1);
	CHECK_EQ_INT(rec.meta.members_count, 1);
	CHECK(kstr_eq_c(rec.meta.members[0].clientHost, "/h"));
	CHECK(kstr_is_null(rec.meta.members[0].groupInstanceId));
	CHECK_EQ_INT(rec.meta.currentStateTimestamp, 5000);
	arena_free(a);
	offsets_log_batch_release(&b);
}

TEST(decode_versions)
{
	arena *a = arena_new();
	offsets_log_record rec;
	/* key v0 (same layout as v1), value v0: offset, metadata, commitTs */
	static const uint8_t k0[] = { 0, 0, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 5 };
	static const uint8_t v0[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	CHECK_EQ_INT(offsets_log_decode((kbytes){ k0, sizeof(k0) }, (kbytes){ v0, sizeof(v0) }, a,
					&rec), 0);
	CHECK_EQ_INT(rec.kind, OLOG_COMMIT);
	CHECK_EQ_INT(rec.partition, 5);
	CHECK_EQ_INT(rec.commit.offset, 9);
	CHECK_EQ_INT(rec.commit.leaderEpoch, -1);
	CHECK_EQ_INT(rec.commit.expireTimestamp, -1);
	CHECK_EQ_INT(rec.commit.commitTimestamp, 1);
	/* value v4 (flexible): compact metadata + empty tag block */
	static const uint8_t v4[] = { 0, 4, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 3, 2, 'x',
				      0, 0, 0, 0, 0, 0, 0, 1, 0 };
	CHECK_EQ_INT(offsets_log_decode((kbytes){ k0, sizeof(k0) }, (kbytes){ v4, sizeof(v4) }, a,
					&rec), 0);
	CHECK_EQ_INT(rec.commit.leaderEpoch, 3);
	CHECK(kstr_eq_c(rec.commit.metadata, "x"));
	/* tombstone */
	CHECK_EQ_INT(offsets_log_decode((kbytes){ k0, sizeof(k0) }, (kbytes){ NULL, -1 }, a, &rec),
		     0);
	CHECK(rec.tombstone);
	/* unknown key version (KIP-848 record) */
	static const uint8_t k3[] = { 0, 3, 0, 1, 'g' };
	CHECK_EQ_INT(offsets_log_decode((kbytes){ k3, sizeof(k3) }, (kbytes){ NULL, -1 }, a, &rec),
		     0);
	CHECK_EQ_INT(rec.kind, OLOG_UNKNOWN);
	/* truncated: every prefix of a valid key fails cleanly */
	for (size_t n = 0; n < sizeof(k0); n++) {
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, k0, n);
		CHECK_EQ_INT(offsets_log_decode((kbytes){ p, (int32_t)n }, (kbytes){ v0, sizeof(v0) },
						a, &rec), -1);
		free(p);
	}
	/* truncated group value */
	static const uint8_t gk[] = { 0, 2, 0, 1, 'g' };
	for (size_t n = 2; n < sizeof(golden_group_value); n++) {
		uint8_t *p = malloc(n);
		memcpy(p, golden_group_value, n);
		CHECK_EQ_INT(offsets_log_decode((kbytes){ gk, sizeof(gk) }, (kbytes){ p, (int32_t)n },
						a, &rec), -1);
		free(p);
	}
	arena_free(a);
}

TEST(build_and_iterate)
{
	offsets_log_batch b;
	offsets_log_batch_init(&b);
	offset_value v = { 100, 2, kstr_c("meta"), 1234, -1 };
	offsets_log_add_commit(&b, kstr_c("grp"), kstr_c("topic"), 3, &v);
	offsets_log_add_group(&b, kstr_c("grp"), NULL);
	buf out;
	buf_init(&out, 1 << 20);
	CHECK_EQ_INT(offsets_log_build(&b, 777, &out), 0);
	riter it;
	CHECK_EQ_INT(riter_init(&it, out.data, out.len), 0);
	riter_record r;
	arena *a = arena_new();
	offsets_log_record rec;
	CHECK_EQ_INT(riter_next(&it, &r), 1);
	CHECK_EQ_INT(r.timestamp, 777);
	CHECK_EQ_INT(offsets_log_decode(r.key, r.value, a, &rec), 0);
	CHECK_EQ_INT(rec.kind, OLOG_COMMIT);
	CHECK(kstr_eq_c(rec.topic, "topic"));
	CHECK_EQ_INT(rec.commit.offset, 100);
	CHECK_EQ_INT(rec.commit.leaderEpoch, 2);
	CHECK(kstr_eq_c(rec.commit.metadata, "meta"));
	CHECK_EQ_INT(riter_next(&it, &r), 1);
	CHECK_EQ_INT(r.value.len, -1);
	CHECK_EQ_INT(offsets_log_decode(r.key, r.value, a, &rec), 0);
	CHECK_EQ_INT(rec.kind, OLOG_GROUP);
	CHECK(rec.tombstone);
	CHECK_EQ_INT(riter_next(&it, &r), 0);
	arena_free(a);
	buf_release(&out);
	/* An empty batch does not build. */
	offsets_log_batch e;
	offsets_log_batch_init(&e);
	buf_init(&out, 1 << 20);
	CHECK_EQ_INT(offsets_log_build(&e, 0, &out), -1);
	buf_release(&out);
	offsets_log_batch_release(&e);
	offsets_log_batch_release(&b);
}

TEST(store)
{
	offsets *o = offsets_new();
	offset_value v = { 5, -1, kstr_c("m"), 10, -1 };
	CHECK(offsets_get(o, kstr_c("t"), 0) == NULL);
	offsets_put(o, kstr_c("t"), 0, &v);
	v.offset = 6;
	offsets_put(o, kstr_c("t"), 1, &v);
	offsets_put(o, kstr_c("a"), 9, &v);
	CHECK_EQ_INT(offsets_count(o), 3);
	CHECK_EQ_INT(offsets_get(o, kstr_c("t"), 0)->offset, 5);
	CHECK(kstr_eq_c(offsets_get(o, kstr_c("t"), 0)->metadata, "m"));
	v.offset = 7;
	v.metadata = kstr_c("other");
	offsets_put(o, kstr_c("t"), 0, &v); /* replace */
	CHECK_EQ_INT(offsets_count(o), 3);
	CHECK(kstr_eq_c(offsets_get(o, kstr_c("t"), 0)->metadata, "other"));
	offsets_pending_add(o, kstr_c("new"), 0, 1);
	CHECK(offsets_any_pending(o));
	CHECK_EQ_INT(offsets_pending(o, kstr_c("new"), 0), 1);
	CHECK(offsets_get(o, kstr_c("new"), 0) == NULL);
	int32_t n;
	offset_entry *es = offsets_sorted(o, false, &n);
	CHECK_EQ_INT(n, 3);
	CHECK(kstr_eq_c(es[0].topic, "a"));
	CHECK(kstr_eq_c(es[1].topic, "t") && es[1].partition == 0);
	CHECK(kstr_eq_c(es[2].topic, "t") && es[2].partition == 1);
	free(es);
	es = offsets_sorted(o, true, &n);
	CHECK_EQ_INT(n, 4);
	free(es);
	offsets_pending_add(o, kstr_c("new"), 0, -1);
	CHECK(!offsets_any_pending(o));
	CHECK(offsets_del(o, kstr_c("t"), 0));
	CHECK(!offsets_del(o, kstr_c("t"), 0));
	CHECK_EQ_INT(offsets_count(o), 2);
	/* Long topic names go through the heap key path. */
	char longname[400];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	offsets_put(o, kstr_c(longname), 2, &v);
	CHECK_EQ_INT(offsets_get(o, kstr_c(longname), 2)->offset, 7);
	offsets_free(o);
}

TEST(gmap_basic)
{
	gmap *m = gmap_new();
	char k[16];
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(k, sizeof(k), "k%d", i);
		CHECK(gmap_put(m, k, (size_t)n, (void *)(intptr_t)(i + 1)) == NULL);
	}
	CHECK_EQ_INT(gmap_count(m), 1000);
	CHECK_EQ_INT((intptr_t)gmap_get(m, "k500", 4), 501);
	CHECK_EQ_INT((intptr_t)gmap_del(m, "k500", 4), 501);
	CHECK(gmap_get(m, "k500", 4) == NULL);
	CHECK(gmap_put(m, "", 0, (void *)1) == NULL);
	CHECK(gmap_get(m, "", 0) == (void *)1);
	gmap_iter it;
	gmap_iter_init(&it);
	size_t seen = 0;
	while (gmap_next(m, &it, NULL, NULL, NULL))
		seen++;
	CHECK_EQ_INT(seen, 1000);
	CHECK(!gmap_next(m, &it, NULL, NULL, NULL)); /* stays at the end */
	gmap_free(m);
}

int main(void)
{
	RUN(java_hash);
	RUN(partition_for);
	RUN(golden_commit_key_value_v3);
	RUN(golden_commit_value_v1);
	RUN(golden_group_key_value_v3);
	RUN(decode_versions);
	RUN(build_and_iterate);
	RUN(store);
	RUN(gmap_basic);
	return testhelp_done();
}
