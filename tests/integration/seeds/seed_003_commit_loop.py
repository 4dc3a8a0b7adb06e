# Source: shared/seeds/003_bc7a7864c5c387b6.txt ("Offset management in Kafka -
# Step-by-Step Execution"), the "Execution Sample":
#     consumer.subscribe(['topic'])
#     for message in consumer:
#         process(message)
#         consumer.commit()
# written out with kafka-python's KafkaConsumer (the sample's API). Changed:
# bootstrap from TIDEMARK_BOOTSTRAP; the loop stops after SEED_MAX_MESSAGES
# (the seed's table stops after offset 2, i.e. 3 messages) or when no message
# arrives for SEED_DEADLINE_S (consumer_timeout_ms).
import os

from kafka import KafkaConsumer

BOOTSTRAP = os.environ.get("TIDEMARK_BOOTSTRAP", "localhost:9092")
MAX_MESSAGES = int(os.environ.get("SEED_MAX_MESSAGES", "3"))
DEADLINE_S = float(os.environ.get("SEED_DEADLINE_S", "30"))

consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id='seed-003-group', enable_auto_commit=False,
                         auto_offset_reset='earliest', consumer_timeout_ms=int(DEADLINE_S * 1000),
                         api_version_auto_timeout_ms=10000, request_timeout_ms=30000)


def process(message):
    print(f"processed offset {message.offset}: {message.value.decode()}")


consumer.subscribe(['topic'])
processed = 0
for message in consumer:
    process(message)
    consumer.commit()
    processed += 1
    if processed >= MAX_MESSAGES:
        break
consumer.close(autocommit=False)
