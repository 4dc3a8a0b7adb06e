# Source: shared/seeds/001_a87863609b7f2956.txt ("Kafka Offset Management"),
# example "Manual seeking to specific offsets with Confluent Kafka".
# Changed: bootstrap.servers from TIDEMARK_BOOTSTRAP; the `while True` loop is
# bounded by SEED_MAX_MESSAGES / SEED_DEADLINE_S. Otherwise as written.
import os
import time

# Example: Manual seeking to specific offsets with Confluent Kafka
from confluent_kafka import Consumer, TopicPartition

BOOTSTRAP = os.environ.get("TIDEMARK_BOOTSTRAP", "localhost:9092")
MAX_MESSAGES = int(os.environ.get("SEED_MAX_MESSAGES", "10"))
DEADLINE = time.monotonic() + float(os.environ.get("SEED_DEADLINE_S", "30"))

config = {
    'bootstrap.servers': BOOTSTRAP,
    'group.id': 'my-seek-group'
}

consumer = Consumer(config)

# Create a TopicPartition object
partition = TopicPartition('my-topic', 0, 1500)  # topic, partition, offset

# Assign to specific partition
consumer.assign([partition])

# Seek to a specific offset (1500)
consumer.seek(partition)

# Alternatively, seek to the beginning of a partition
# beginning_partition = TopicPartition('my-topic', 0)
# consumer.seek_to_beginning(beginning_partition)

# Or seek to the end of a partition
# end_partition = TopicPartition('my-topic', 0)
# consumer.seek_to_end(end_partition)

# Start consuming from the specified offset
received = 0
try:
    while time.monotonic() < DEADLINE and received < MAX_MESSAGES:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            print(f"Consumer error: {msg.error()}")
            continue

        print(f"Received message at offset: {msg.offset()}")
        received += 1
        # Process message
except KeyboardInterrupt:
    pass
finally:
    consumer.close()
