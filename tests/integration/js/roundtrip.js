// roundtrip.js BOOTSTRAP TOPIC GROUP: kafkajs 2.2.4 against tidemark.
// Creates TOPIC (2 partitions), produces 10 keyed records with acks=all,
// consumes them in GROUP (kafkajs reads READ_COMMITTED by default), then
// checks the committed offsets, the group listing and the watermarks.
// Prints one JSON line with what it saw; exits non-zero on any failure.
'use strict'
const { Kafka, logLevel } = require('kafkajs')
const [bootstrap, topic, group] = process.argv.slice(2)
const kafka = new Kafka({ clientId: 'tm-kjs', brokers: [bootstrap], logLevel: logLevel.ERROR,
  retry: { retries: 3 }, requestTimeout: 10000, connectionTimeout: 5000 })

async function consumeAll (consumer, want) {
  let got = []
  await new Promise((resolve, reject) => {
    const to = setTimeout(() => reject(new Error('timeout: consumed ' + got.length + ' of ' + want)), 30000)
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ p: partition, o: Number(message.offset), k: message.key.toString(), v: message.value.toString() })
        if (got.length === want) { clearTimeout(to); resolve() }
      }
    })
  })
  return got
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
  const producer = kafka.producer({ createPartitioner: require('kafkajs').Partitioners.DefaultPartitioner })
  await producer.connect()
  const msgs = Array.from({ length: 10 }, (_, i) => ({ key: 'k' + i, value: 'v' + i, partition: i % 2 }))
  const sent = await producer.send({ topic, acks: -1, messages: msgs })
  const consumer = kafka.consumer({ groupId: group })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got = await consumeAll(consumer, 10)
  await consumer.stop()
  await consumer.disconnect() // commits what was consumed
  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] })
  const groups = await admin.listGroups()
  const wm = await admin.fetchTopicOffsets(topic)
  await producer.disconnect()
  await admin.disconnect()
  console.log(JSON.stringify({ sent, got, committed, groups, wm }))
}

main().then(() => process.exit(0)).catch(e => { console.error('FAILED', e); process.exit(1) })
