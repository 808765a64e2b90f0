// Proves real Kafka clients work against eddy unmodified: keyed JSON orders
// produced by confluent-kafka (acks=all, idempotent, snappy, linger 5 ms),
// kafkajs (idempotent, gzip) and kcat (lz4) into topics kafkajs's admin
// created, are read back by every client (confluent-kafka, kafka-python,
// kafkajs, kcat and an in-process eddy consumer): all arrive, each key's
// orders arrive in the order sent, each key sits on the partition Kafka's
// default partitioner gives, and every batch is stored compressed as sent.
// kafka-python's producer (xerial-framed snappy, lz4, zstd, gzip) is read back
// by kcat and the in-process consumer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { Kafka, logLevel, CompressionTypes, CompressionCodecs } from 'kafkajs'
import { defaultPartition } from '../../src/hash.js'
import { batchSizeAt, readBatchHeader } from '../../src/log/batch-header.js'
import { jsonLines, requireClients, runKcat, runPython, startHarness, type Harness } from './helpers.js'

const PARTITIONS = 4
const CUSTOMERS = 16
const ORDERS = 240
const PRODUCERS = ['confluent', 'kafkajs', 'kcat'] as const
const topicOf = (producer: string) => `orders-${producer}`

interface Order {
  orderId: string
  customer: string
  seq: number
  amountCents: number
}

function orders(producer: string): Order[] {
  return Array.from({ length: ORDERS }, (_, i) => ({ orderId: `${producer}-${i}`, customer: `customer-${i % CUSTOMERS}`, seq: Math.floor(i / CUSTOMERS), amountCents: 100 + i }))
}

const asLines = (list: Order[]) => list.map((o) => `${o.customer}\t${JSON.stringify(o)}`).join('\n') + '\n'

interface Seen {
  topic: string
  partition: number
  offset: number
  key: string | null
  value: string
}

let h: Harness
let kafka: Kafka

// kafkajs ships gzip only; its users register snappy and lz4 codecs like this.
const require = createRequire(import.meta.url)
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy')
CompressionCodecs[CompressionTypes.LZ4] = new (require('kafkajs-lz4'))().codec

beforeAll(async () => {
  requireClients('kcat', 'kafka', 'confluent_kafka', 'snappy', 'lz4', 'zstandard')
  h = await startHarness({ coordinator: { initialRebalanceDelayMs: 100 } })
  kafka = new Kafka({ clientId: 'kafkajs', brokers: [h.bootstrap], logLevel: logLevel.NOTHING })
})
afterAll(() => h?.close())

/** Every consumer's view must hold each producer's orders exactly once, per-key in order, on Kafka's partition for the key. */
function expectAllOrders(consumer: string, seen: Seen[]): void {
  for (const producer of PRODUCERS) {
    const records = seen.filter((r) => r.topic === topicOf(producer))
    const parsed = records.map((r) => ({ ...r, order: JSON.parse(r.value) as Order }))
    const ids = parsed.map((r) => r.order.orderId)
    expect(new Set(ids).size, `${consumer} reading ${producer}: distinct orders`).toBe(ORDERS)
    expect(ids.length, `${consumer} reading ${producer}: no duplicates`).toBe(ORDERS)
    for (const r of parsed) {
      expect(r.key).toBe(r.order.customer)
      expect(r.partition, `${consumer}: ${r.key} on Kafka's default partition`).toBe(defaultPartition(r.order.customer, PARTITIONS))
    }
    const byCustomer = new Map<string, typeof parsed>()
    for (const r of parsed) byCustomer.set(r.order.customer, [...(byCustomer.get(r.order.customer) ?? []), r])
    for (const [customer, list] of byCustomer) {
      const inOffsetOrder = [...list].sort((a, b) => a.offset - b.offset).map((r) => r.order.seq)
      expect(inOffsetOrder, `${consumer} reading ${producer}: ${customer} in order`).toEqual(inOffsetOrder.map((_, i) => i))
    }
  }
}

/** The codec of every stored batch of a topic. */
async function storedCodecs(topic: string): Promise<Set<string>> {
  const codecs = new Set<string>()
  const partitions = h.eddy.broker.partitionCount(topic)!
  const fetched = await h.eddy.broker.fetch(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0, maxBytes: 10_000_000 })))
  for (const f of fetched) {
    for (let at = 0; at < f.records.length; at += batchSizeAt(f.records, at)) codecs.add(readBatchHeader(f.records, at).compression)
  }
  return codecs
}

/**
 * librdkafka (confluent-kafka, kcat) sends a batch uncompressed when compressing
 * would not make it smaller (a one-record lz4 frame, say), so depending on how
 * records happened to batch, some stored batches are plain. Every batch must
 * still be stored as sent: the codec, or none.
 */
function expectLibrdkafkaCodec(stored: Set<string>, codec: string): void {
  expect(stored.has(codec), `no ${codec} batch stored: ${[...stored].join(', ')}`).toBe(true)
  for (const c of stored) expect([codec, 'none']).toContain(c)
}

describe('real clients against eddy serve', () => {
  it('kafkajs admin creates the topics; kcat -L lists them with their partitions', async () => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      expect(await admin.createTopics({ topics: PRODUCERS.map((p) => ({ topic: topicOf(p), numPartitions: PARTITIONS })) })).toBe(true)
      expect(await admin.createTopics({ topics: [{ topic: topicOf('kcat'), numPartitions: PARTITIONS }] })).toBe(false) // exists
    } finally {
      await admin.disconnect()
    }
    for (const p of PRODUCERS) expect(h.eddy.broker.partitionCount(topicOf(p))).toBe(PARTITIONS)
    const listing = await runKcat(['-b', h.bootstrap, '-L'])
    expect(listing).toContain(`broker 1 at ${h.bootstrap}`)
    for (const p of PRODUCERS) {
      expect(listing).toContain(`topic "${topicOf(p)}" with ${PARTITIONS} partitions:`)
      for (let i = 0; i < PARTITIONS; i++) expect(listing).toMatch(new RegExp(`partition ${i}, leader 1, replicas: 1, isrs: 1`))
    }
  })

  it('confluent-kafka produces (acks=all, idempotent, snappy, linger 5 ms): every order acknowledged on its murmur2 partition', async () => {
    const reports = jsonLines<{ error: string | null; key: string; partition: number; offset: number }>(await runPython('confluent_produce.py', [h.bootstrap, topicOf('confluent')], { input: asLines(orders('confluent')) }))
    expect(reports).toHaveLength(ORDERS)
    for (const r of reports) {
      expect(r.error).toBeNull()
      expect(r.partition).toBe(defaultPartition(r.key, PARTITIONS))
    }
    expectLibrdkafkaCodec(await storedCodecs(topicOf('confluent')), 'snappy')
  })

  it('kafkajs produces (idempotent, gzip) on its default murmur2 partitioner', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    try {
      const list = orders('kafkajs')
      for (let i = 0; i < list.length; i += 48) {
        const metadata = await producer.send({ topic: topicOf('kafkajs'), acks: -1, compression: CompressionTypes.GZIP, messages: list.slice(i, i + 48).map((o) => ({ key: o.customer, value: JSON.stringify(o) })) })
        expect(metadata.every((m) => m.errorCode === 0)).toBe(true)
      }
    } finally {
      await producer.disconnect()
    }
    expect(await storedCodecs(topicOf('kafkajs'))).toEqual(new Set(['gzip']))
  })

  it('kcat produces (lz4, murmur2_random like Java)', async () => {
    await runKcat(['-b', h.bootstrap, '-P', '-t', topicOf('kcat'), '-K', '\t', '-z', 'lz4', '-X', 'partitioner=murmur2_random', '-X', 'linger.ms=5'], { input: asLines(orders('kcat')) })
    expectLibrdkafkaCodec(await storedCodecs(topicOf('kcat')), 'lz4')
    expect(await h.eddy.broker.listOffset(topicOf('kcat'), 0, -1)).toBeGreaterThan(0)
  })

  it('every client reads every producer’s orders: complete, per-key in order, on the right partition', async () => {
    const topics = PRODUCERS.map(topicOf)
    const total = ORDERS * PRODUCERS.length
    const [confluent, kafkaPython, kafkajsSeen, kcatSeen, inProcess] = await Promise.all([
      runPython('confluent_consume.py', [h.bootstrap, 'read-all-confluent', String(total), '60', ...topics]).then((out) => jsonLines<Seen>(out)),
      runPython('kafka_python_consume.py', [h.bootstrap, 'read-all-kafka-python', String(total), '60', ...topics]).then((out) => jsonLines<Seen>(out)),
      consumeWithKafkajs(topics, total),
      Promise.all(topics.map((t) => runKcat(['-b', h.bootstrap, '-C', '-t', t, '-o', 'beginning', '-e', '-q', '-f', '%t\t%p\t%o\t%k\t%s\n']))).then((outs) =>
        outs.flatMap((out) =>
          out
            .split('\n')
            .filter(Boolean)
            .map((line) => {
              const [topic, partition, offset, key, value] = line.split('\t')
              return { topic, partition: Number(partition), offset: Number(offset), key, value }
            }),
        ),
      ),
      consumeInProcess(topics, total),
    ])
    expectAllOrders('confluent-kafka', confluent)
    expectAllOrders('kafka-python', kafkaPython)
    expectAllOrders('kafkajs', kafkajsSeen)
    expectAllOrders('kcat', kcatSeen)
    expectAllOrders('eddy in-process consumer', inProcess)
    // The groups committed where they stopped.
    for (const t of topics) {
      for (let p = 0; p < PARTITIONS; p++) {
        const end = await h.eddy.broker.listOffset(t, p, -1)
        expect(h.eddy.broker.committedOffset('read-all-kafka-python', t, p)?.offset).toBe(end)
        expect(h.eddy.broker.committedOffset('read-all-confluent', t, p)?.offset).toBe(end)
      }
    }
  })

  it('kafka-python produces with every codec (snappy in xerial framing); kcat and the in-process consumer read them', async () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `kafka-python-${codec}`
      await h.eddy.broker.createTopic(topic, 1)
      const list = Array.from({ length: 50 }, (_, i) => ({ orderId: `${codec}-${i}`, customer: `customer-${i % 5}`, seq: i, amountCents: i }))
      const acks = jsonLines<{ partition: number; offset: number }>(await runPython('kafka_python_produce.py', [h.bootstrap, topic, codec], { input: asLines(list) }))
      expect(acks).toHaveLength(50)
      expect(await storedCodecs(topic)).toEqual(new Set([codec]))
      const kcatValues = (await runKcat(['-b', h.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'])).split('\n').filter(Boolean)
      expect(kcatValues.map((v) => (JSON.parse(v) as Order).orderId)).toEqual(list.map((o) => o.orderId))
      const consumer = h.eddy.consumer<string, string>()
      consumer.assign([{ topic, partition: 0 }])
      await consumer.seekToBeginning()
      const values: string[] = []
      const deadline = Date.now() + 10_000
      while (values.length < 50 && Date.now() < deadline) values.push(...(await consumer.poll({ timeoutMs: 100 })).map((r) => r.value))
      await consumer.close()
      expect(values.map((v) => (JSON.parse(v) as Order).orderId)).toEqual(list.map((o) => o.orderId))
    }
  })
})

async function consumeWithKafkajs(topics: string[], count: number): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: 'read-all-kafkajs', maxWaitTimeInMs: 200 })
  await consumer.connect()
  const seen: Seen[] = []
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumer saw ${seen.length} of ${count}`)), 60_000)
      consumer.on(consumer.events.CRASH, (event) => {
        clearTimeout(timer)
        reject(event.payload.error)
      })
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          seen.push({ topic, partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value!.toString() })
          if (seen.length === count) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return seen
}

async function consumeInProcess(topics: string[], count: number): Promise<Seen[]> {
  const consumer = h.eddy.consumer<string, string>({ groupId: 'read-all-in-process', autoOffsetReset: 'earliest' })
  await consumer.subscribe(topics)
  const seen: Seen[] = []
  const deadline = Date.now() + 60_000
  try {
    while (seen.length < count && Date.now() < deadline) {
      for (const r of await consumer.poll({ timeoutMs: 100 })) seen.push({ topic: r.topic, partition: r.partition, offset: r.offset, key: r.key, value: r.value })
    }
  } finally {
    await consumer.close()
  }
  return seen
}
