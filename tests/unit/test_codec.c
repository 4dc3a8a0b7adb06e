/*
 * test_codec.c: the generated message codecs against golden bytes written
 * by hand from the protocol spec (not from our own encoder), plus
 * round-trips decode(encode(x)) over every generated codec and version.
 */
#include "testhelp.h"

#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/slice.h"
#include "proto/gen/apis.h"
#include "proto/gen/messages.h"
#include "proto/kmsg.h"

/* Parses "00 01 ab" (spaces and newlines ignored) into out; returns the
 * byte count. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *h; h++) {
		int d;

		if (*h >= '0' && *h <= '9')
			d = *h - '0';
		else if (*h >= 'a' && *h <= 'f')
			d = *h - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = d;
		} else {
			if (n < cap)
				out[n++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	return n;
}

/* Checks that b holds exactly the bytes of hex. */
#define CHECK_HEX(b, hex)                                                                          \
	do {                                                                                       \
		uint8_t want_[1024];                                                               \
		size_t nw_ = unhex((hex), want_, sizeof(want_));                                   \
		CHECK_EQ_INT((b)->err, 0);                                                         \
		CHECK_EQ_INT((b)->len, nw_);                                                       \
		if ((b)->len == nw_)                                                               \
			CHECK_MEM((b)->data, want_, nw_);                                          \
	} while (0)

static arena *A;

/* A slice over a malloc'd exact-size copy of hex (freed by done_in()). */
static uint8_t *in_mem;
static slice in_hex(const char *hex)
{
	uint8_t tmp[1024];
	size_t n = unhex(hex, tmp, sizeof(tmp));
	slice s;

	in_mem = malloc(n ? n : 1);
	memcpy(in_mem, tmp, n);
	slice_init(&s, in_mem, n);
	return s;
}
static void done_in(void)
{
	free(in_mem);
	in_mem = NULL;
}

TEST(api_versions_request)
{
	kmsg_ApiVersionsRequest m;
	buf b;
	slice s;

	kmsg_ApiVersionsRequest_init(&m);
	m.ClientSoftwareName = kstr_c("a");
	m.ClientSoftwareVersion = kstr_c("1");
	buf_init(&b, 1024);
	CHECK_EQ_INT(kmsg_ApiVersionsRequest_encode(&m, &b, 0), 0);
	CHECK_EQ_INT(b.len, 0); /* v0 has no fields */
	CHECK_EQ_INT(kmsg_ApiVersionsRequest_encode(&m, &b, 3), 0);
	CHECK_HEX(&b, "02 61  02 31  00");
	buf_release(&b);

	s = in_hex("06 6c 69 62 72 64  06 32 2e 30 2e 32  00"); /* "librd", "2.0.2" */
	CHECK_EQ_INT(kmsg_ApiVersionsRequest_decode(&m, &s, 3, A), 0);
	CHECK(kstr_eq_c(m.ClientSoftwareName, "librd"));
	CHECK(kstr_eq_c(m.ClientSoftwareVersion, "2.0.2"));
	CHECK_EQ_INT(slice_left(&s), 0);
	done_in();
}

static void fill_api_versions(kmsg_ApiVersionsResponse *m, kmsg_ApiVersionsResponse_ApiVersion *k)
{
	kmsg_ApiVersionsResponse_init(m);
	kmsg_ApiVersionsResponse_ApiVersion_init(&k[0]);
	kmsg_ApiVersionsResponse_ApiVersion_init(&k[1]);
	k[0].ApiKey = 18;
	k[0].MaxVersion = 3;
	k[1].ApiKey = 3;
	k[1].MaxVersion = 12;
	m->ApiKeys = k;
	m->ApiKeys_count = 2;
}

TEST(api_versions_response)
{
	kmsg_ApiVersionsResponse m;
	kmsg_ApiVersionsResponse_ApiVersion k[2];
	buf b;
	slice s;

	fill_api_versions(&m, k);
	buf_init(&b, 1024);
	CHECK_EQ_INT(kmsg_ApiVersionsResponse_encode(&m, &b, 0), 0);
	CHECK_HEX(&b, "0000  00000002  0012 0000 0003  0003 0000 000c");
	buf_reset(&b);
	m.ThrottleTimeMs = 5;
	CHECK_EQ_INT(kmsg_ApiVersionsResponse_encode(&m, &b, 3), 0);
	/* compact array (N+1), a tag block per element, throttle, root tags */
	CHECK_HEX(&b, "0000  03  0012 0000 0003 00  0003 0000 000c 00  00000005  00");
	buf_reset(&b);

	/* a tagged field is written only when it differs from its default */
	m.FinalizedFeaturesEpoch = 7;
	CHECK_EQ_INT(kmsg_ApiVersionsResponse_encode(&m, &b, 3), 0);
	CHECK_HEX(&b, "0000  03  0012 0000 0003 00  0003 0000 000c 00  00000005"
		      "  01  01 08 0000000000000007");
	buf_release(&b);

	/* decode v3: tag 0 (SupportedFeatures, known) is read, tag 5 (unknown)
	 * is skipped, the default of tag 1 stays -1 */
	s = in_hex("0000  02  0012 0000 0003 00  00000000"
		   "  02  00 08 02 02 78 0001 0002 00  05 03 aa bb cc");
	CHECK_EQ_INT(kmsg_ApiVersionsResponse_decode(&m, &s, 3, A), 0);
	CHECK_EQ_INT(m.ApiKeys_count, 1);
	CHECK_EQ_INT(m.ApiKeys[0].MaxVersion, 3);
	CHECK_EQ_INT(m.SupportedFeatures_count, 1);
	CHECK(kstr_eq_c(m.SupportedFeatures[0].Name, "x"));
	CHECK_EQ_INT(m.SupportedFeatures[0].MaxVersion, 2);
	CHECK_EQ_INT(m.FinalizedFeaturesEpoch, -1);
	CHECK_EQ_INT(slice_left(&s), 0);
	done_in();

	/* a tag whose size runs past the end is malformed */
	s = in_hex("0000  01  00000000  01  05 09 aa");
	CHECK_EQ_INT(kmsg_ApiVersionsResponse_decode(&m, &s, 3, A), -1);
	CHECK(s.err);
	done_in();

	/* a known tag whose body is too short for its size is malformed */
	s = in_hex("0000  01  00000000  01  01 02 00 07");
	CHECK_EQ_INT(kmsg_ApiVersionsResponse_decode(&m, &s, 3, A), -1);
	done_in();
}

TEST(metadata_request)
{
	kmsg_MetadataRequest m;
	kmsg_MetadataRequest_MetadataRequestTopic t;
	buf b;
	slice s;

	kmsg_MetadataRequest_init(&m);
	CHECK(m.AllowAutoTopicCreation); /* default "true" */
	kmsg_MetadataRequest_MetadataRequestTopic_init(&t);
	t.Name = kstr_c("t");
	m.Topics = &t;
	m.Topics_count = 1;
	buf_init(&b, 1024);
	CHECK_EQ_INT(kmsg_MetadataRequest_encode(&m, &b, 0), 0);
	CHECK_HEX(&b, "00000001 0001 74");
	buf_reset(&b);
	CHECK_EQ_INT(kmsg_MetadataRequest_encode(&m, &b, 1), 0);
	CHECK_HEX(&b, "00000001 0001 74");
	buf_reset(&b);
	m.AllowAutoTopicCreation = false;
	CHECK_EQ_INT(kmsg_MetadataRequest_encode(&m, &b, 9), 0);
	/* topics(1) name tags, allowAuto, includeCluster(8-10), includeTopic, tags */
	CHECK_HEX(&b, "02 02 74 00  00  00  00  00");
	buf_reset(&b);

	/* null (all topics) vs empty (none) */
	m.Topics = NULL;
	m.Topics_count = -1;
	CHECK_EQ_INT(kmsg_MetadataRequest_encode(&m, &b, 1), 0);
	CHECK_HEX(&b, "ffffffff");
	buf_reset(&b);
	CHECK_EQ_INT(kmsg_MetadataRequest_encode(&m, &b, 9), 0);
	CHECK_HEX(&b, "00 00 00 00 00");
	buf_reset(&b);
	/* v0 cannot carry null: flagged, written as empty */
	CHECK_EQ_INT(kmsg_MetadataRequest_encode(&m, &b, 0), -1);
	CHECK_HEX(&b, "00000000");
	buf_release(&b);

	s = in_hex("ffffffff");
	CHECK_EQ_INT(kmsg_MetadataRequest_decode(&m, &s, 1, A), 0);
	CHECK_EQ_INT(m.Topics_count, -1);
	CHECK(m.AllowAutoTopicCreation); /* absent in v1: default */
	done_in();
	s = in_hex("00000000");
	CHECK_EQ_INT(kmsg_MetadataRequest_decode(&m, &s, 1, A), 0);
	CHECK_EQ_INT(m.Topics_count, 0);
	done_in();
	s = in_hex("ffffffff");
	CHECK_EQ_INT(kmsg_MetadataRequest_decode(&m, &s, 0, A), -1); /* v0: not nullable */
	done_in();
	s = in_hex("00 00 00 00 00");
	CHECK_EQ_INT(kmsg_MetadataRequest_decode(&m, &s, 9, A), 0);
	CHECK_EQ_INT(m.Topics_count, -1);
	CHECK(!m.AllowAutoTopicCreation);
	done_in();
	/* v10: topic name nullable, topic id present */
	s = in_hex("02 00000000000000000000000000000001 00 00  01 00 00 00");
	CHECK_EQ_INT(kmsg_MetadataRequest_decode(&m, &s, 10, A), 0);
	CHECK_EQ_INT(m.Topics_count, 1);
	CHECK(kstr_is_null(m.Topics[0].Name));
	CHECK_EQ_INT(m.Topics[0].TopicId.b[15], 1);
	done_in();
}

static const char *const batch_hex = "0000000000000000 0000000a 0102030405060708090a";

TEST(produce_request)
{
	uint8_t blob[64];
	size_t nblob = unhex(batch_hex, blob, sizeof(blob));
	kmsg_ProduceRequest m;
	kmsg_ProduceRequest_TopicProduceData t;
	kmsg_ProduceRequest_PartitionProduceData p;
	buf b;
	slice s;

	kmsg_ProduceRequest_init(&m);
	CHECK(kstr_is_null(m.TransactionalId)); /* default "null" */
	kmsg_ProduceRequest_TopicProduceData_init(&t);
	kmsg_ProduceRequest_PartitionProduceData_init(&p);
	m.Acks = -1;
	m.TimeoutMs = 30000;
	m.TopicData = &t;
	m.TopicData_count = 1;
	t.Name = kstr_c("t");
	t.PartitionData = &p;
	t.PartitionData_count = 1;
	p.Index = 2;
	p.Records = (krecords){blob, (int32_t)nblob, -1, 0, NULL};
	buf_init(&b, 1024);
	CHECK_EQ_INT(kmsg_ProduceRequest_encode(&m, &b, 3), 0);
	CHECK_HEX(&b, "ffff  ffff  00007530  00000001 0001 74  00000001 00000002"
		      "  00000016 0000000000000000 0000000a 0102030405060708090a");
	buf_reset(&b);
	m.TransactionalId = kstr_c("tx");
	CHECK_EQ_INT(kmsg_ProduceRequest_encode(&m, &b, 9), 0);
	CHECK_HEX(&b, "03 74 78  ffff  00007530  02 02 74  02 00000002"
		      "  17 0000000000000000 0000000a 0102030405060708090a  00  00  00");
	buf_release(&b);

	s = in_hex("03 74 78  0001  000003e8  02 02 74  02 00000002"
		   "  17 0000000000000000 0000000a 0102030405060708090a  00  00  00");
	CHECK_EQ_INT(kmsg_ProduceRequest_decode(&m, &s, 9, A), 0);
	CHECK(kstr_eq_c(m.TransactionalId, "tx"));
	CHECK_EQ_INT(m.Acks, 1);
	CHECK_EQ_INT(m.TimeoutMs, 1000);
	CHECK_EQ_INT(m.TopicData_count, 1);
	CHECK_EQ_INT(m.TopicData[0].PartitionData_count, 1);
	CHECK_EQ_INT(m.TopicData[0].PartitionData[0].Index, 2);
	CHECK_EQ_INT(m.TopicData[0].PartitionData[0].Records.len, 22);
	CHECK_EQ_INT(m.TopicData[0].PartitionData[0].Records.fd, -1);
	/* a view into the input, not a copy */
	CHECK(m.TopicData[0].PartitionData[0].Records.p == in_mem + 18);
	CHECK_EQ_INT(slice_left(&s), 0);
	done_in();

	/* records length past the end */
	s = in_hex("ffff  ffff  00007530  00000001 0001 74  00000001 00000002  00000017 00");
	CHECK_EQ_INT(kmsg_ProduceRequest_decode(&m, &s, 3, A), -1);
	done_in();
}

TEST(offset_commit_log)
{
	kmsg_OffsetCommitKey k;
	kmsg_OffsetCommitValue v;
	buf b;
	slice s;

	kmsg_OffsetCommitKey_init(&k);
	k.group = kstr_c("g");
	k.topic = kstr_c("t");
	k.partition = 0;
	buf_init(&b, 1024);
	buf_i16(&b, 1); /* the key version, written by the caller */
	CHECK_EQ_INT(kmsg_OffsetCommitKey_encode(&k, &b, 1), 0);
	CHECK_HEX(&b, "0001  0001 67  0001 74  00000000");
	buf_reset(&b);

	kmsg_OffsetCommitValue_init(&v);
	CHECK_EQ_INT(v.leaderEpoch, -1);
	CHECK_EQ_INT(v.expireTimestamp, -1);
	v.offset = 42;
	v.metadata = KSTR_EMPTY;
	v.commitTimestamp = 1000;
	buf_i16(&b, 3);
	CHECK_EQ_INT(kmsg_OffsetCommitValue_encode(&v, &b, 3), 0);
	CHECK_HEX(&b, "0003  000000000000002a  ffffffff  0000  00000000000003e8");
	buf_reset(&b);
	v.expireTimestamp = 5000;
	CHECK_EQ_INT(kmsg_OffsetCommitValue_encode(&v, &b, 1), 0);
	CHECK_HEX(&b, "000000000000002a  0000  00000000000003e8  0000000000001388");
	buf_reset(&b);
	CHECK_EQ_INT(kmsg_OffsetCommitValue_encode(&v, &b, 4), 0);
	CHECK_HEX(&b, "000000000000002a  ffffffff  01  00000000000003e8  00");
	buf_release(&b);

	s = in_hex("0001 67  0001 74  00000007");
	CHECK_EQ_INT(kmsg_OffsetCommitKey_decode(&k, &s, 0, A), 0);
	CHECK(kstr_eq_c(k.group, "g") && kstr_eq_c(k.topic, "t"));
	CHECK_EQ_INT(k.partition, 7);
	done_in();
	s = in_hex("000000000000002a  00000005  0002 6d 64  00000000000003e8");
	CHECK_EQ_INT(kmsg_OffsetCommitValue_decode(&v, &s, 3, A), 0);
	CHECK_EQ_INT(v.offset, 42);
	CHECK_EQ_INT(v.leaderEpoch, 5);
	CHECK(kstr_eq_c(v.metadata, "md"));
	CHECK_EQ_INT(v.commitTimestamp, 1000);
	CHECK_EQ_INT(v.expireTimestamp, -1);
	done_in();
	/* v4 flexible, with an unknown tag */
	s = in_hex("000000000000002a  ffffffff  01  00000000000003e8  01 09 01 ff");
	CHECK_EQ_INT(kmsg_OffsetCommitValue_decode(&v, &s, 4, A), 0);
	CHECK_EQ_INT(v.leaderEpoch, -1);
	CHECK_EQ_INT(slice_left(&s), 0);
	done_in();
	/* unknown version */
	s = in_hex("000000000000002a");
	CHECK_EQ_INT(kmsg_OffsetCommitValue_decode(&v, &s, 5, A), -1);
	done_in();
}

TEST(group_metadata_value)
{
	static const uint8_t sub[] = {0xaa, 0xbb};
	kmsg_GroupMetadataValue g;
	kmsg_GroupMetadataValue_MemberMetadata mm;
	kmsg_GroupMetadataKey k;
	buf b;
	slice s;

	kmsg_GroupMetadataKey_init(&k);
	k.group = kstr_c("grp");
	buf_init(&b, 1024);
	CHECK_EQ_INT(kmsg_GroupMetadataKey_encode(&k, &b, 2), 0);
	CHECK_HEX(&b, "0003 67 72 70");
	buf_reset(&b);
	CHECK_EQ_INT(kmsg_GroupMetadataKey_encode(&k, &b, 1), -1); /* only v2 exists */

	kmsg_GroupMetadataValue_init(&g);
	kmsg_GroupMetadataValue_MemberMetadata_init(&mm);
	CHECK(kstr_is_null(mm.groupInstanceId));
	CHECK_EQ_INT(mm.rebalanceTimeout, -1);
	g.protocolType = kstr_c("consumer");
	g.generation = 1;
	g.protocol = kstr_c("range");
	g.leader = kstr_c("m1");
	g.currentStateTimestamp = 1000;
	mm.memberId = kstr_c("m1");
	mm.clientId = kstr_c("c");
	mm.clientHost = kstr_c("/h");
	mm.rebalanceTimeout = 300000;
	mm.sessionTimeout = 10000;
	mm.subscription = (kbytes){sub, 2};
	mm.assignment = (kbytes){NULL, 0};
	g.members = &mm;
	g.members_count = 1;
	buf_reset(&b);
	CHECK_EQ_INT(kmsg_GroupMetadataValue_encode(&g, &b, 3), 0);
	CHECK_HEX(&b, "0008 636f6e73756d6572  00000001  0005 72616e6765  0002 6d31"
		      "  00000000000003e8  00000001"
		      "  0002 6d31  ffff  0001 63  0002 2f68  000493e0  00002710"
		      "  00000002 aabb  00000000");
	buf_reset(&b);
	/* v0: no currentStateTimestamp, groupInstanceId, rebalanceTimeout */
	CHECK_EQ_INT(kmsg_GroupMetadataValue_encode(&g, &b, 0), 0);
	CHECK_HEX(&b, "0008 636f6e73756d6572  00000001  0005 72616e6765  0002 6d31"
		      "  00000001"
		      "  0002 6d31  0001 63  0002 2f68  00002710"
		      "  00000002 aabb  00000000");
	buf_release(&b);

	/* Empty group written on creation: protocolType "", gen 0, nulls */
	s = in_hex("0000  00000000  ffff  ffff  ffffffffffffffff  00000000");
	CHECK_EQ_INT(kmsg_GroupMetadataValue_decode(&g, &s, 3, A), 0);
	CHECK(kstr_is_null(g.protocol) && kstr_is_null(g.leader));
	CHECK_EQ_INT(g.members_count, 0);
	done_in();
	/* v4 flexible */
	s = in_hex("09 636f6e73756d6572  00000002  00  00  0000000000000001"
		   "  02  03 6d31  00  02 63  03 2f68  00000064  000000c8  01  03 aabb  00  00");
	CHECK_EQ_INT(kmsg_GroupMetadataValue_decode(&g, &s, 4, A), 0);
	CHECK_EQ_INT(g.generation, 2);
	CHECK_EQ_INT(g.members_count, 1);
	CHECK(kstr_is_null(g.members[0].groupInstanceId));
	CHECK_EQ_INT(g.members[0].rebalanceTimeout, 100);
	CHECK_EQ_INT(g.members[0].subscription.len, 0);
	CHECK_EQ_INT(g.members[0].assignment.len, 2);
	CHECK_EQ_INT(slice_left(&s), 0);
	done_in();
}

TEST(transaction_log)
{
	kmsg_TransactionLogValue t;
	kmsg_TransactionLogValue_PartitionsSchema ps;
	int32_t parts[2] = {0, 3};
	buf b;
	slice s;

	kmsg_TransactionLogValue_init(&t);
	CHECK_EQ_INT(t.PreviousProducerId, -1);
	CHECK_EQ_INT(t.NextProducerId, -1);
	kmsg_TransactionLogValue_PartitionsSchema_init(&ps);
	t.ProducerId = 1;
	t.ProducerEpoch = 2;
	t.TransactionTimeoutMs = 60000;
	t.TransactionStatus = 1;
	ps.Topic = kstr_c("t");
	ps.PartitionIds = parts;
	ps.PartitionIds_count = 2;
	t.TransactionPartitions = &ps;
	t.TransactionPartitions_count = 1;
	t.TransactionLastUpdateTimestampMs = 5;
	t.TransactionStartTimestampMs = 4;
	buf_init(&b, 1024);
	CHECK_EQ_INT(kmsg_TransactionLogValue_encode(&t, &b, 0), 0);
	CHECK_HEX(&b, "0000000000000001 0002 0000ea60 01  00000001 0001 74 00000002 00000000"
		      " 00000003  0000000000000005 0000000000000004");
	buf_reset(&b);
	t.NextProducerId = 9;
	CHECK_EQ_INT(kmsg_TransactionLogValue_encode(&t, &b, 1), 0);
	CHECK_HEX(&b, "0000000000000001 0002 0000ea60 01  02 02 74 03 00000000 00000003 00"
		      "  0000000000000005 0000000000000004  01 01 08 0000000000000009");
	buf_release(&b);

	/* null partitions (nullable 0+) */
	s = in_hex("0000000000000001 0002 0000ea60 04  00  0000000000000005 0000000000000004"
		   "  01 02 02 0002");
	CHECK_EQ_INT(kmsg_TransactionLogValue_decode(&t, &s, 1, A), 0);
	CHECK_EQ_INT(t.TransactionPartitions_count, -1);
	CHECK_EQ_INT(t.ClientTransactionVersion, 2);
	CHECK_EQ_INT(t.NextProducerId, -1);
	done_in();
}

TEST(consumer_protocol)
{
	kmsg_ConsumerProtocolSubscription sub;
	kmsg_ConsumerProtocolAssignment as;
	slice s;

	/* Subscription v1 as the Java client writes it: version is written by
	 * the caller, then topics ["t"], null user data, owned partitions [] */
	s = in_hex("00000001 0001 74  ffffffff  00000000");
	CHECK_EQ_INT(kmsg_ConsumerProtocolSubscription_decode(&sub, &s, 1, A), 0);
	CHECK_EQ_INT(sub.Topics_count, 1);
	CHECK(kstr_eq_c(sub.Topics[0], "t"));
	CHECK_EQ_INT(sub.UserData.len, -1);
	CHECK_EQ_INT(sub.GenerationId, -1);
	CHECK(kstr_is_null(sub.RackId));
	done_in();

	s = in_hex("00000001 0001 74 00000002 00000000 00000001  ffffffff");
	CHECK_EQ_INT(kmsg_ConsumerProtocolAssignment_decode(&as, &s, 0, A), 0);
	CHECK_EQ_INT(as.AssignedPartitions_count, 1);
	CHECK_EQ_INT(as.AssignedPartitions[0].Partitions_count, 2);
	CHECK_EQ_INT(as.AssignedPartitions[0].Partitions[1], 1);
	done_in();
	/* int32 array count larger than the bytes left */
	s = in_hex("00000001 0001 74 00000003 00000000 00000001  ffffffff");
	CHECK_EQ_INT(kmsg_ConsumerProtocolAssignment_decode(&as, &s, 0, A), -1);
	done_in();
}

TEST(null_vs_empty_string)
{
	kmsg_FindCoordinatorResponse r;
	buf b;
	slice s;

	kmsg_FindCoordinatorResponse_init(&r);
	r.ErrorMessage = KSTR_NULL;
	r.Host = kstr_c("h");
	buf_init(&b, 1024);
	CHECK_EQ_INT(kmsg_FindCoordinatorResponse_encode(&r, &b, 1), 0);
	CHECK_HEX(&b, "00000000 0000 ffff 00000000 0001 68 00000000");
	buf_reset(&b);
	r.ErrorMessage = KSTR_EMPTY;
	CHECK_EQ_INT(kmsg_FindCoordinatorResponse_encode(&r, &b, 1), 0);
	CHECK_HEX(&b, "00000000 0000 0000 00000000 0001 68 00000000");
	buf_reset(&b);
	/* a non-nullable string that is null: flagged, written empty */
	r.Host = KSTR_NULL;
	CHECK_EQ_INT(kmsg_FindCoordinatorResponse_encode(&r, &b, 1), -1);
	CHECK_HEX(&b, "00000000 0000 0000 00000000 0000 00000000");
	buf_release(&b);

	s = in_hex("00000000 0000 ffff 00000000 0001 68 00000000");
	CHECK_EQ_INT(kmsg_FindCoordinatorResponse_decode(&r, &s, 1, A), 0);
	CHECK(kstr_is_null(r.ErrorMessage));
	done_in();
	s = in_hex("00000000 0000 0000 00000000 0001 68 00000000");
	CHECK_EQ_INT(kmsg_FindCoordinatorResponse_decode(&r, &s, 1, A), 0);
	CHECK(!kstr_is_null(r.ErrorMessage) && r.ErrorMessage.len == 0);
	done_in();
	/* null Host (not nullable) is rejected */
	s = in_hex("00000000 0000 0000 00000000 ffff 00000000");
	CHECK_EQ_INT(kmsg_FindCoordinatorResponse_decode(&r, &s, 1, A), -1);
	done_in();
}

TEST(fetch_response_tagged_struct)
{
	kmsg_FetchResponse r;
	kmsg_FetchResponse_FetchableTopicResponse t;
	kmsg_FetchResponse_PartitionData p;
	buf b;
	slice s;

	kmsg_FetchResponse_init(&r);
	kmsg_FetchResponse_FetchableTopicResponse_init(&t);
	kmsg_FetchResponse_PartitionData_init(&p);
	CHECK_EQ_INT(p.CurrentLeader.LeaderId, -1);
	CHECK_EQ_INT(p.PreferredReadReplica, -1);
	t.Topic = kstr_c("t");
	t.Partitions = &p;
	t.Partitions_count = 1;
	r.Responses = &t;
	r.Responses_count = 1;
	p.HighWatermark = 3;
	p.Records = (krecords){NULL, 0, -1, 0, NULL}; /* empty, never null */
	p.AbortedTransactions_count = -1;
	buf_init(&b, 1024);
	CHECK_EQ_INT(kmsg_FetchResponse_encode(&r, &b, 12), 0);
	CHECK_HEX(&b, "00000000 0000 00000000  02 02 74  02 00000000 0000 0000000000000003"
		      " ffffffffffffffff ffffffffffffffff  00 ffffffff  01  00  00  00");
	buf_reset(&b);
	/* a non-default tagged struct is written */
	p.CurrentLeader.LeaderId = 1;
	p.CurrentLeader.LeaderEpoch = 0;
	CHECK_EQ_INT(kmsg_FetchResponse_encode(&r, &b, 12), 0);
	CHECK_HEX(&b, "00000000 0000 00000000  02 02 74  02 00000000 0000 0000000000000003"
		      " ffffffffffffffff ffffffffffffffff  00 ffffffff  01"
		      "  01 01 09 00000001 00000000 00  00  00");
	buf_release(&b);

	s = in_hex("00000000 0000 00000000  02 02 74  02 00000000 0000 0000000000000003"
		   " ffffffffffffffff ffffffffffffffff  00 ffffffff  01"
		   "  01 01 09 00000001 00000000 00  00  00");
	CHECK_EQ_INT(kmsg_FetchResponse_decode(&r, &s, 12, A), 0);
	CHECK_EQ_INT(r.Responses[0].Partitions[0].CurrentLeader.LeaderId, 1);
	CHECK_EQ_INT(r.Responses[0].Partitions[0].CurrentLeader.LeaderEpoch, 0);
	CHECK_EQ_INT(r.Responses[0].Partitions[0].AbortedTransactions_count, -1);
	CHECK_EQ_INT(r.Responses[0].Partitions[0].Records.len, 0);
	done_in();
}

/* Encodes m in version v, decodes it, re-encodes: the bytes must match. */
static void roundtrip(const kmsg_codec *k, const void *m, int16_t v)
{
	buf b1, b2;
	slice s;
	void *m2 = arena_alloc(A, k->size);
	int rc;

	buf_init(&b1, 1 << 20);
	buf_init(&b2, 1 << 20);
	rc = k->encode(m, &b1, v);
	if (rc == 0) {
		slice_init(&s, b1.data ? b1.data : (const uint8_t *)"", b1.len);
		CHECK_EQ_INT(k->decode(m2, &s, v, A), 0);
		CHECK_EQ_INT(slice_left(&s), 0);
		CHECK_EQ_INT(k->encode(m2, &b2, v), 0);
		CHECK_EQ_INT(b1.len, b2.len);
		if (b1.len == b2.len && b1.len)
			CHECK_MEM(b1.data, b2.data, b1.len);
	}
	if (rc != 0)
		fprintf(stderr, "  %s v%d: default struct does not encode\n", k->name, v);
	CHECK_EQ_INT(rc, 0);
	buf_release(&b1);
	buf_release(&b2);
}

TEST(roundtrip_defaults_all)
{
	int n;
	const api_info *t = apis_table(&n);

	for (int i = 0; i < n; i++) {
		const kmsg_codec *ks[2] = {kmsg_request_codec(t[i].key),
					   kmsg_response_codec(t[i].key)};

		for (int j = 0; j < 2; j++) {
			void *m;

			if (!ks[j])
				continue;
			m = arena_alloc(A, ks[j]->size);
			ks[j]->init(m);
			for (int v = t[i].min_version; v <= t[i].max_version; v++)
				roundtrip(ks[j], m, (int16_t)v);
		}
		arena_reset(A);
	}
}

TEST(roundtrip_filled)
{
	static const uint8_t blob[] = {1, 2, 3};
	kmsg_ApiVersionsResponse m;
	kmsg_ApiVersionsResponse_ApiVersion k[2];
	kmsg_ApiVersionsResponse_FinalizedFeatureKey ff;
	kmsg_ProduceRequest p;
	kmsg_ProduceRequest_TopicProduceData td;
	kmsg_ProduceRequest_PartitionProduceData pd[2];
	kmsg_JoinGroupRequest j;
	kmsg_JoinGroupRequest_JoinGroupRequestProtocol jp;

	fill_api_versions(&m, k);
	kmsg_ApiVersionsResponse_FinalizedFeatureKey_init(&ff);
	ff.Name = kstr_c("transaction.version");
	ff.MaxVersionLevel = 1;
	m.FinalizedFeatures = &ff;
	m.FinalizedFeatures_count = 1;
	m.FinalizedFeaturesEpoch = 3;
	m.ZkMigrationReady = true;
	m.ThrottleTimeMs = 9;
	for (int v = 0; v <= 4; v++)
		roundtrip(kmsg_response_codec(18), &m, (int16_t)v);

	kmsg_ProduceRequest_init(&p);
	kmsg_ProduceRequest_TopicProduceData_init(&td);
	kmsg_ProduceRequest_PartitionProduceData_init(&pd[0]);
	kmsg_ProduceRequest_PartitionProduceData_init(&pd[1]);
	p.TransactionalId = kstr_c("txid");
	p.Acks = -1;
	p.TopicData = &td;
	p.TopicData_count = 1;
	td.Name = kstr_c("topic");
	td.PartitionData = pd;
	td.PartitionData_count = 2;
	pd[0].Records = (krecords){blob, 3, -1, 0, NULL};
	pd[1].Index = 1;
	for (int v = 3; v <= 11; v++)
		roundtrip(kmsg_request_codec(0), &p, (int16_t)v);

	kmsg_JoinGroupRequest_init(&j);
	kmsg_JoinGroupRequest_JoinGroupRequestProtocol_init(&jp);
	j.GroupId = kstr_c("g");
	j.SessionTimeoutMs = 10000;
	j.RebalanceTimeoutMs = 20000;
	j.MemberId = KSTR_EMPTY;
	j.GroupInstanceId = kstr_c("inst");
	j.ProtocolType = kstr_c("consumer");
	j.Protocols = &jp;
	j.Protocols_count = 1;
	jp.Name = kstr_c("range");
	jp.Metadata = (kbytes){blob, 3};
	for (int v = 5; v <= 9; v++)
		roundtrip(kmsg_request_codec(11), &j, (int16_t)v);
	{
		/* older versions cannot carry a group instance id: it is just
		 * not written (the decoded default is null) */
		buf b;
		slice s;
		kmsg_JoinGroupRequest j2;

		buf_init(&b, 1024);
		CHECK_EQ_INT(kmsg_JoinGroupRequest_encode(&j, &b, 4), 0);
		slice_init(&s, b.data, b.len);
		CHECK_EQ_INT(kmsg_JoinGroupRequest_decode(&j2, &s, 4, A), 0);
		CHECK(kstr_is_null(j2.GroupInstanceId));
		CHECK_EQ_INT(j2.RebalanceTimeoutMs, 20000);
		CHECK(kstr_eq_c(j2.Protocols[0].Name, "range"));
		buf_release(&b);
	}
}

TEST(dispatcher)
{
	void *m = NULL;
	slice s;

	s = in_hex("00000000");
	CHECK_EQ_INT(kmsg_decode_request(4242, 0, &s, A, &m), -1);
	CHECK(m == NULL);
	CHECK_EQ_INT(kmsg_decode_request(3, 1, &s, A, &m), 0);
	CHECK(m != NULL && ((kmsg_MetadataRequest *)m)->Topics_count == 0);
	done_in();
	s = in_hex("00000000");
	CHECK_EQ_INT(kmsg_decode_request(3, 99, &s, A, &m), -1); /* bad version */
	done_in();
}

int main(void)
{
	A = arena_new();
	RUN(api_versions_request);
	RUN(api_versions_response);
	RUN(metadata_request);
	RUN(produce_request);
	RUN(offset_commit_log);
	RUN(group_metadata_value);
	RUN(transaction_log);
	RUN(consumer_protocol);
	RUN(null_vs_empty_string);
	RUN(fetch_response_tagged_struct);
	RUN(roundtrip_defaults_all);
	RUN(roundtrip_filled);
	RUN(dispatcher);
	arena_free(A);
	return testhelp_done();
}
