// Proves transactions over the Kafka protocol with real clients: a
// confluent-kafka (librdkafka) transactional producer commits one transaction,
// aborts one, leaves one open and is fenced by a second producer with the same
// transactional.id (which aborts the open one); read_committed consumers —
// confluent-kafka, kafkajs and the in-process one — see only the committed
// records, read_uncommitted sees the rest too, and nobody sees a marker.
// kafkajs's transactional producer commits offsets with a transaction
// (AddOffsetsToTxn, TxnOffsetCommit) only when it commits, and kafkajs's admin
// is told the last stable offset while a transaction is open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kafka, logLevel } from 'kafkajs'
import { jsonLines, RawClient, requestFrame, requireClients, runPython, startHarness, type Harness } from './helpers.js'
import { fetchBody, readFetchResponse } from './wire.js'
import { wholeBatches, readBatchHeader } from '../../src/log/batch-header.js'
import { readTopicValues } from '../read-topic.js'

let h: Harness
let kafka: Kafka

beforeAll(async () => {
  requireClients('confluent_kafka')
  h = await startHarness({ defaultPartitions: 2, transactions: { abortCheckIntervalMs: 0 } })
  kafka = new Kafka({ clientId: 'kafkajs-tx', brokers: [h.bootstrap], logLevel: logLevel.NOTHING })
})

afterAll(async () => {
  await h?.close()
})

const committed = ['committed-0', 'committed-1', 'committed-2', 'committed-3', 'committed-4', 'committed-5', 'successor-0', 'successor-1', 'successor-2', 'successor-3']
const uncommittedOnly = ['aborted-0', 'aborted-1', 'aborted-2', 'aborted-3', 'aborted-4', 'aborted-5', 'zombie-0', 'zombie-1', 'zombie-2', 'zombie-3']

async function confluentRead(topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const lines = jsonLines<{ value?: string; error?: string; done?: boolean }>(await runPython('confluent_read.py', [h.bootstrap, topic, '2', isolation]))
  expect(lines.filter((l) => l.error !== undefined)).toEqual([])
  expect(lines.at(-1)).toEqual({ done: true })
  return lines.filter((l) => l.value !== undefined).map((l) => l.value!).sort()
}

async function kafkajsRead(topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `kafkajs-read-${topic}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const values: string[] = []
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) })
  const deadline = Date.now() + 20_000
  while (values.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  // A little longer: anything extra (an aborted record) would arrive now.
  await new Promise((r) => setTimeout(r, 300))
  await consumer.disconnect()
  return values.sort()
}

describe('transactions over the Kafka protocol', () => {
  it('confluent-kafka commits, aborts and is fenced; read_committed readers see only committed records', async () => {
    await h.eddy.admin.createTopic('tx-orders', { partitions: 2 })
    const steps = jsonLines<{ step: string; outcome?: string; fatal?: boolean; name?: string }>(await runPython('confluent_transactions.py', [h.bootstrap, 'tx-orders', 'py-tx'], { timeoutMs: 60_000 }))
    expect(steps.map((s) => s.step)).toEqual(['committed', 'aborted', 'left-open', 'successor-committed', 'zombie'])
    // The zombie's late produce and commit are refused as fatal fencing.
    expect(steps[4]).toMatchObject({ outcome: 'refused', fatal: true, name: '_FENCED' })
    expect(h.eddy.broker.transactions.describe('py-tx')).toMatchObject({ producerEpoch: 1, phase: 'complete-commit' })

    expect(await confluentRead('tx-orders', 'read_committed')).toEqual(committed)
    expect(await confluentRead('tx-orders', 'read_uncommitted')).toEqual([...committed, ...uncommittedOnly].sort())
    expect(await kafkajsRead('tx-orders', committed.length)).toEqual(committed)

    const seen = await readTopicValues(h.eddy, 'tx-orders', { partitions: [0, 1] })
    expect(seen.sort()).toEqual(committed)
  })

  it('kafkajs commits consumed offsets with its transaction only when it commits', async () => {
    await h.eddy.admin.createTopic('tx-out', { partitions: 1 })
    const producer = kafka.producer({ transactionalId: 'kafkajs-tx', maxInFlightRequests: 1, idempotent: true })
    await producer.connect()

    const aborted = await producer.transaction()
    await aborted.send({ topic: 'tx-out', messages: [{ value: 'dropped' }] })
    await aborted.sendOffsets({ consumerGroupId: 'kafkajs-group', topics: [{ topic: 'tx-orders', partitions: [{ partition: 0, offset: '3' }] }] })
    await aborted.abort()
    expect(h.eddy.broker.committedOffset('kafkajs-group', 'tx-orders', 0)).toBeUndefined()

    const kept = await producer.transaction()
    await kept.send({ topic: 'tx-out', messages: [{ value: 'kept' }] })
    await kept.sendOffsets({ consumerGroupId: 'kafkajs-group', topics: [{ topic: 'tx-orders', partitions: [{ partition: 0, offset: '5' }] }] })
    await kept.commit()
    expect(h.eddy.broker.committedOffset('kafkajs-group', 'tx-orders', 0)?.offset).toBe(5)
    await producer.disconnect()

    expect(await kafkajsRead('tx-out', 1)).toEqual(['kept'])
  })

  it('answers ListOffsets latest with the last stable offset under read_committed while a transaction is open', async () => {
    await h.eddy.admin.createTopic('tx-lso', { partitions: 1 })
    const plain = h.eddy.producer()
    await plain.send('tx-lso', [{ value: 'a' }, { value: 'b' }])
    const open = h.eddy.producer({ transactionalId: 'lso-holder' })
    await open.initTransactions()
    open.beginTransaction()
    await open.send('tx-lso', { value: 'pending' })
    const admin = kafka.admin()
    await admin.connect()
    // kafkajs's admin asks with isolation level 1 (read_committed).
    expect(await admin.fetchTopicOffsets('tx-lso')).toEqual([expect.objectContaining({ partition: 0, high: '2', low: '0' })])
    await open.commitTransaction()
    expect(await admin.fetchTopicOffsets('tx-lso')).toEqual([expect.objectContaining({ partition: 0, high: '4' })])
    await admin.disconnect()
  })

  it('Fetch v11 with isolation level 1 stops at the last stable offset and lists the aborted transaction; level 0 reads on', async () => {
    // Offsets: 0 aborted data, 1 abort marker, 2 committed-by-nobody-yet open data, 3 plain record after it.
    await h.eddy.admin.createTopic('tx-wire', { partitions: 1 })
    const aborting = h.eddy.producer({ transactionalId: 'wire-aborted' })
    await aborting.initTransactions()
    aborting.beginTransaction()
    await aborting.send('tx-wire', { value: 'gone' })
    await aborting.abortTransaction()
    const holding = h.eddy.producer({ transactionalId: 'wire-open' })
    await holding.initTransactions()
    holding.beginTransaction()
    await holding.send('tx-wire', { value: 'pending' })
    await h.eddy.producer().send('tx-wire', { value: 'plain' })
    const abortedProducer = h.eddy.broker.transactions.describe('wire-aborted')!.producerId

    const client = await RawClient.connect(h.server.port)
    try {
      const fetchAt = async (isolationLevel: 0 | 1, correlationId: number) => {
        client.write(requestFrame(1, 11, correlationId, 'raw', fetchBody([{ topic: 'tx-wire', partition: 0, offset: 0 }], { isolationLevel })))
        const [partition] = readFetchResponse((await client.next())!).partitions
        return { ...partition, offsets: [...wholeBatches(partition.records)].map((b) => readBatchHeader(b).baseOffset) }
      }
      const committed = await fetchAt(1, 1)
      expect(committed).toMatchObject({ errorCode: 0, highWatermark: 4, lastStableOffset: 2, abortedTransactions: [[abortedProducer, 0]], offsets: [0, 1] })
      const uncommitted = await fetchAt(0, 2)
      expect(uncommitted).toMatchObject({ errorCode: 0, highWatermark: 4, lastStableOffset: 2, abortedTransactions: [], offsets: [0, 1, 2, 3] })
    } finally {
      client.socket.destroy()
      await holding.abortTransaction()
    }
  })
})
