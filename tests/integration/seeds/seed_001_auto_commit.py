# Source: shared/seeds/001_a87863609b7f2956.txt ("Kafka Offset Management"),
# example "Auto-commit configuration in Python with Confluent Kafka".
# Changed: bootstrap.servers from TIDEMARK_BOOTSTRAP; the `while True` loop is
# bounded by SEED_MAX_MESSAGES / SEED_DEADLINE_S. Otherwise as written.
import os
import time

# Example: Auto-commit configuration in Python with Confluent Kafka
from confluent_kafka import Consumer

BOOTSTRAP = os.environ.get("TIDEMARK_BOOTSTRAP", "localhost:9092")
MAX_MESSAGES = int(os.environ.get("SEED_MAX_MESSAGES", "10"))
DEADLINE = time.monotonic() + float(os.environ.get("SEED_DEADLINE_S", "30"))

# Auto-commit example (commits every 5 seconds)
consumer_config = {
    'bootstrap.servers': BOOTSTRAP,
    'group.id': 'my-group',
    'enable.auto.commit': True,
    'auto.commit.interval.ms': 5000,
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
        # Processing happens here
        # Offset is auto-committed every 5 seconds
except KeyboardInterrupt:
    pass
finally:
    consumer.close()
