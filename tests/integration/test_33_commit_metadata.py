# test_33_commit_metadata.py (issue 3, scenario 4): per-partition commits with
# metadata; reading them back returns both offset and metadata.
import grouphelp as gh
import tmhelp


def test_per_partition_commit_with_metadata(broker, topic_name, ctools):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    gh.produce_n(broker, topic_name, 10, partition=0)
    gh.produce_n(broker, topic_name, 10, partition=1)
    group = "g-" + topic_name
    from kafka import TopicPartition as KTP
    from kafka.structs import OffsetAndMetadata
    c = tmhelp.kp_consumer(broker, group_id=group)
    try:
        c.assign([KTP(topic_name, 0), KTP(topic_name, 1)])
        c.commit({KTP(topic_name, 0): OffsetAndMetadata(3, "batch-a")})
        c.commit({KTP(topic_name, 1): OffsetAndMetadata(8, "batch-b {\"k\": 1}")})
        assert c.committed(KTP(topic_name, 0)) == 3
        assert c.committed(KTP(topic_name, 1)) == 8
    finally:
        c.close(autocommit=False)
    a = tmhelp.kp_admin(broker)
    try:
        offs = a.list_consumer_group_offsets(group)
    finally:
        a.close()
    got = {tp.partition: (om.offset, om.metadata) for tp, om in offs.items() if tp.topic == topic_name}
    assert got == {0: (3, "batch-a"), 1: (8, "batch-b {\"k\": 1}")}, got
    # librdkafka's ListConsumerGroupOffsets sees the same
    lines = gh.rdk_admin(ctools, broker, "list-offsets", group, topic_name, "0", "1")
    assert "offset %s 0 3 error=0 metadata=batch-a" % topic_name in lines, lines
    assert "offset %s 1 8 error=0 metadata=batch-b {\"k\": 1}" % topic_name in lines, lines


def test_metadata_too_large(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    from kafka import TopicPartition as KTP
    from kafka.errors import OffsetMetadataTooLargeError
    from kafka.structs import OffsetAndMetadata
    c = tmhelp.kp_consumer(broker, group_id="g-" + topic_name)
    try:
        c.assign([KTP(topic_name, 0)])
        try:
            c.commit({KTP(topic_name, 0): OffsetAndMetadata(0, "x" * 5000)})
            raised = None
        except Exception as e:  # noqa: BLE001
            raised = e
    finally:
        c.close(autocommit=False)
    assert isinstance(raised, OffsetMetadataTooLargeError), \
        "metadata of 5000 bytes (> offset.metadata.max.bytes 4096): %r" % (raised,)
