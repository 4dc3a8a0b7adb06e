# Source: shared/seeds/001_a87863609b7f2956.txt ("Kafka Offset Management"),
# example "Setting different offset reset policies with Confluent Kafka".
# Changed: bootstrap.servers from TIDEMARK_BOOTSTRAP. The original creates and
# subscribes the two consumers but never polls or closes them; the marked
# section at the end (added) polls each one, bounded, prints the first offset
# it gets, and closes them as the original's comment says to.
import os
import time

# Example: Setting different offset reset policies with Confluent Kafka
from confluent_kafka import Consumer

BOOTSTRAP = os.environ.get("TIDEMARK_BOOTSTRAP", "localhost:9092")
DEADLINE_S = float(os.environ.get("SEED_DEADLINE_S", "30"))

# Start from earliest available message
earliest_config = {
    'bootstrap.servers': BOOTSTRAP,
    'group.id': 'earliest-group',
    'auto.offset.reset': 'earliest'
}

earliest_consumer = Consumer(earliest_config)
earliest_consumer.subscribe(['my-topic'])

# Start from latest (only new messages)
latest_config = {
    'bootstrap.servers': BOOTSTRAP,
    'group.id': 'latest-group',
    'auto.offset.reset': 'latest'
}

latest_consumer = Consumer(latest_config)
latest_consumer.subscribe(['my-topic'])

# ---- added for the test: bounded polls, then close ----
def first_offset(consumer, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            return msg.offset()
    return None


print(f"earliest-group first offset: {first_offset(earliest_consumer, DEADLINE_S / 2)}")
print(f"latest-group first offset: {first_offset(latest_consumer, 8)}")

# Make sure to close the consumers when done
earliest_consumer.close()
latest_consumer.close()
