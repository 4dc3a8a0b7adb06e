# Source: shared/seeds/001_a87863609b7f2956.txt ("Kafka Offset Management"),
# example "Manual commit in Python with Confluent Kafka".
# Changed: bootstrap.servers from TIDEMARK_BOOTSTRAP; the `while True` loop is
# bounded by SEED_MAX_MESSAGES / SEED_DEADLINE_S. Otherwise as written.
import os
import time

# Example: Manual commit in Python with Confluent Kafka
from confluent_kafka import Consumer

BOOTSTRAP = os.environ.get("TIDEMARK_BOOTSTRAP", "localhost:9092")
MAX_MESSAGES = int(os.environ.get("SEED_MAX_MESSAGES", "10"))
DEADLINE = time.monotonic() + float(os.environ.get("SEED_DEADLINE_S", "30"))

# Manual commit example
consumer_config = {
    'bootstrap.servers': BOOTSTRAP,
    'group.id': 'my-group',
    'enable.auto.commit': False,
    'default.topic.config': {'auto.offset.reset': 'earliest'}
}

consumer = Consumer(consumer_config)
consumer.subscribe(['my-topic'])

received = 0
try:
    while time.monotonic() < DEADLINE and received < MAX_MESSAGES:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            print(f"Consumer error: {msg.error()}")
            continue

        print(f"Received: {msg.value().decode('utf-8')}")
        print(f"Partition: {msg.partition()}, Offset: {msg.offset()}")
        received += 1

        # Process the message
        try:
            # Business logic here
            # If processing is successful, commit the offset
            consumer.commit(msg, asynchronous=False)
        except Exception as e:
            print(f"Error processing message: {e}")
            # Handle the error - might decide not to commit
except KeyboardInterrupt:
    pass
finally:
    consumer.close()
