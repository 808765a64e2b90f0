// Proves the in-process clients keep Kafka's promises: placement by Kafka's
// partitioner, per-key order, no duplicates from retries, group assignments
// and rebalances as documented, expiry of dead members, resuming from commits
// (across a restart on disk), and clear errors for bad input.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Eddy } from '../../src/eddy.js'
import { defaultPartition } from '../../src/hash.js'
import { encodeRecordBatch } from '../../src/log/record-batch.js'
import { encodeSubscription } from '../../src/broker/group/consumer-protocol.js'
import type { Consumer, ConsumerRecord } from '../../src/client/consumer.js'
import type { TopicPartition } from '../../src/broker/assignors/index.js'

const open: Eddy[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function newEddy(dataDir?: string) {
  const eddy = await Eddy.open({ dataDir, coordinator: { initialRebalanceDelayMs: 30, sessionTimeoutMsMin: 10 } })
  open.push(eddy)
  return eddy
}

const fast = { heartbeatIntervalMs: 20, sessionTimeoutMs: 2_000, autoOffsetReset: 'earliest' as const }
const names = (tps: TopicPartition[]) => tps.map((tp) => tp.partition).sort((a, b) => a - b)

/** Polls every consumer until `done` holds or the time runs out. */
async function pollUntil(consumers: Consumer[], done: () => boolean, timeoutMs = 10_000, sink?: (c: Consumer, r: ConsumerRecord[]) => void) {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    for (const c of consumers) {
      const records = await c.poll({ timeoutMs: 10 })
      sink?.(c, records)
    }
  }
}

describe('producer', () => {
  it('auto-creates a topic once when several producers send to it first at the same time', async () => {
    const eddy = await newEddy()
    const producers = Array.from({ length: 4 }, () => eddy.producer({ lingerMs: 0 }))
    const sent = await Promise.all(producers.map((p, i) => p.send('fresh', { value: `from ${i}` })))
    expect(sent.every((m) => m.partition === 0)).toBe(true)
    expect(new Set(sent.map((m) => m.offset)).size).toBe(4)
    expect(eddy.broker.partitionCount('fresh')).toBe(1)
    await Promise.all(producers.map((p) => p.close()))
  })

  // Keyed records land where Kafka's default partitioner puts them, and keep per-key order.
  it('places keys like Kafka and keeps per-key order', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('orders', { partitions: 6 })
    const producer = eddy.producer({ lingerMs: 2, idempotent: true })
    const sent = await producer.send(
      'orders',
      Array.from({ length: 600 }, (_, i) => ({ key: `ORD${i % 37}`, value: String(i) })),
    )
    for (let i = 0; i < 600; i++) expect(sent[i].partition).toBe(defaultPartition(`ORD${i % 37}`, 6))
    const consumer = eddy.consumer({ ...fast })
    consumer.assign(Array.from({ length: 6 }, (_, partition) => ({ topic: 'orders', partition })))
    const seen: ConsumerRecord[] = []
    await pollUntil([consumer], () => seen.length === 600, 10_000, (_, r) => seen.push(...r))
    const lastByKey = new Map<string, number>()
    for (const r of seen) {
      const i = Number(r.value)
      expect(i).toBeGreaterThan(lastByKey.get(r.key as string) ?? -1)
      lastByKey.set(r.key as string, i)
    }
  })

  // A retried idempotent batch (same producer id, epoch and sequence) is stored once and answered with its first offsets.
  it('never stores a retried batch twice', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('payments', { partitions: 1 })
    const { producerId, producerEpoch } = eddy.broker.initProducerId()
    const batch = (seq: number) => encodeRecordBatch([{ value: `v${seq}` }, { value: `w${seq}` }], { producerId, producerEpoch, baseSequence: seq })
    const first = await eddy.broker.produce('payments', 0, batch(0))
    const retry = await eddy.broker.produce('payments', 0, batch(0))
    expect(retry).toEqual({ ...first, duplicate: true })
    await eddy.broker.produce('payments', 0, batch(2))
    await expect(eddy.broker.produce('payments', 0, batch(7))).rejects.toThrow(/OUT_OF_ORDER_SEQUENCE_NUMBER/)
    expect((await eddy.admin.listOffsets('payments'))[0].offset).toBe(4)
  })

  // Bytes from outside the process are CRC-checked on produce; only the in-process producer's own sealed batches skip that (and reads still check).
  it('checks the CRC of produced bytes unless the producer sealed them in process', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('raw', { partitions: 1 })
    const damaged = () => {
      const bytes = encodeRecordBatch([{ value: 'a' }, { value: 'b' }])
      bytes[bytes.length - 1] ^= 0xff
      return bytes
    }
    await expect(eddy.broker.produce('raw', 0, damaged())).rejects.toThrow(/CORRUPT_MESSAGE|CRC/)
    expect((await eddy.admin.listOffsets('raw'))[0].offset).toBe(0)
    expect(await eddy.broker.produce('raw', 0, damaged(), { crcSealedInProcess: true })).toMatchObject({ baseOffset: 0, lastOffset: 1 })
    const producer = eddy.producer()
    expect(await producer.send('raw', [{ value: 'c' }, { value: 'd' }])).toMatchObject([{ offset: 2 }, { offset: 3 }])
    const consumer = eddy.consumer({ ...fast })
    consumer.assign([{ topic: 'raw', partition: 0 }])
    consumer.seek({ topic: 'raw', partition: 0 }, 2)
    const seen: ConsumerRecord[] = []
    await pollUntil([consumer], () => seen.length === 2, 10_000, (_, r) => seen.push(...r))
    expect(seen.map((r) => [r.offset, r.value])).toEqual([[2, 'c'], [3, 'd']])
  })

  // Misconfiguration and bad records fail with messages that name the problem.
  it('refuses bad options and bad records clearly', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('t', { partitions: 2 })
    expect(() => eddy.producer({ lingerMS: 5 } as never)).toThrow(/unknown producer option "lingerMS" \(did you mean "lingerMs"\?\)/)
    expect(() => eddy.producer({ acks: 2 as never })).toThrow(/acks must be 0, 1, -1 or 'all'/)
    expect(() => eddy.producer({ idempotent: true, acks: 1 })).toThrow(/idempotent producer needs acks 'all'/)
    const producer = eddy.producer()
    await expect(producer.send('t', { value: 'x', partition: 5 })).rejects.toThrow(/partitions 0..1, not 5/)
    await expect(producer.send('t', { value: 'x'.repeat(2_000_000) })).rejects.toThrow(/MESSAGE_TOO_LARGE|max\.message\.bytes/)
    await producer.close()
    await expect(producer.send('t', { value: 'late' })).rejects.toThrow(/producer is closed/)
  })
})

describe('consumer groups', () => {
  // The source material's exam: range over six partitions gives C1, C2 three each, then two each with C3.
  it('splits six partitions 3/3 and then 2/2/2 with the range assignor', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('orders', { partitions: 6 })
    const c1 = eddy.consumer({ ...fast, groupId: 'sales_group', assignor: 'range' })
    const c2 = eddy.consumer({ ...fast, groupId: 'sales_group', assignor: 'range' })
    await c1.subscribe(['orders'])
    await c2.subscribe(['orders'])
    await pollUntil([c1, c2], () => c1.assignment().length + c2.assignment().length === 6 && c1.assignment().length === 3)
    const c3 = eddy.consumer({ ...fast, groupId: 'sales_group', assignor: 'range' })
    await c3.subscribe(['orders'])
    await pollUntil([c1, c2, c3], () => [c1, c2, c3].every((c) => c.assignment().length === 2))
    const all = [c1, c2, c3].flatMap((c) => names(c.assignment()))
    expect(all.sort()).toEqual([0, 1, 2, 3, 4, 5])
  })

  // Counting revocations when a third member joins: eager revokes all six, cooperative only those that move.
  it.each([
    ['range', 6],
    ['cooperative-sticky', 2],
  ] as const)('the %s protocol revokes %d partitions when a member joins', async (assignor, expectedRevocations) => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('orders', { partitions: 6 })
    let revoked = 0
    const listener = { onPartitionsRevoked: (tps: TopicPartition[]) => void (revoked += tps.length) }
    const c1 = eddy.consumer({ ...fast, groupId: `g-${assignor}`, assignor, rebalanceListener: listener })
    const c2 = eddy.consumer({ ...fast, groupId: `g-${assignor}`, assignor, rebalanceListener: listener })
    await c1.subscribe(['orders'])
    await c2.subscribe(['orders'])
    await pollUntil([c1, c2], () => c1.assignment().length === 3 && c2.assignment().length === 3)
    revoked = 0
    const c3 = eddy.consumer({ ...fast, groupId: `g-${assignor}`, assignor })
    await c3.subscribe(['orders'])
    await pollUntil([c1, c2, c3], () => [c1, c2, c3].every((c) => c.assignment().length === 2))
    expect(revoked).toBe(expectedRevocations)
    const owned = [c1, c2, c3].flatMap((c) => names(c.assignment()))
    expect(owned.sort()).toEqual([0, 1, 2, 3, 4, 5]) // never owned twice
  })

  // A member that dies without leaving keeps its partitions only until its session times out.
  it('reassigns a dead member after the session timeout', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('orders', { partitions: 6 })
    const live = eddy.consumer({ ...fast, groupId: 'g', sessionTimeoutMs: 300 })
    await live.subscribe(['orders'])
    await pollUntil([live], () => live.assignment().length === 6)
    // A raw member (as a wire client would be) joins, takes its share, then goes silent.
    const coordinator = eddy.broker.coordinator
    const dying = coordinator.join({
      groupId: 'g', memberId: '', clientId: 'doomed', protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: encodeSubscription({ topics: ['orders'] }) }], sessionTimeoutMs: 300, rebalanceTimeoutMs: 5_000,
    })
    await pollUntil([live], () => live.assignment().length === 3)
    const joined = await dying
    await coordinator.sync({ groupId: 'g', generationId: joined.generationId, memberId: joined.memberId })
    const started = Date.now()
    await pollUntil([live], () => live.assignment().length === 6, 5_000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
  })

  // A restarted consumer continues from the group's committed offsets, also after the whole system restarts from disk.
  it('resumes from committed offsets after a restart on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eddy-clients-'))
    dirs.push(dir)
    let eddy = await newEddy(dir)
    await eddy.admin.createTopic('sales_data', { partitions: 2 })
    const producer = eddy.producer({ lingerMs: 1 })
    await producer.send('sales_data', Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 7}`, value: JSON.stringify({ i }) })))
    let consumer = eddy.consumer<string, { i: number }>({ ...fast, groupId: 'sales', valueDeserializer: 'json', enableAutoCommit: false })
    await consumer.subscribe(['sales_data'])
    const firstRun: number[] = []
    await pollUntil([consumer], () => firstRun.length >= 40, 10_000, (_, r) => firstRun.push(...r.map((x) => (x.value as { i: number }).i)))
    await consumer.commitSync()
    await consumer.close()
    await eddy.close()
    open.splice(open.indexOf(eddy), 1)

    eddy = await newEddy(dir)
    consumer = eddy.consumer<string, { i: number }>({ ...fast, groupId: 'sales', valueDeserializer: 'json' })
    await consumer.subscribe(['sales_data'])
    const secondRun: number[] = []
    await pollUntil([consumer], () => firstRun.length + secondRun.length >= 100, 10_000, (_, r) => secondRun.push(...r.map((x) => (x.value as { i: number }).i)))
    expect([...firstRun, ...secondRun].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  // autoOffsetReset 'none' with nothing committed is an error that names the partition and group.
  it("fails clearly with autoOffsetReset 'none'", async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('strict', { partitions: 1 })
    const consumer = eddy.consumer({ groupId: 'nobody-committed', autoOffsetReset: 'none', heartbeatIntervalMs: 20 })
    await consumer.subscribe(['strict'])
    await expect(consumer.poll({ timeoutMs: 2_000 })).rejects.toThrow(/no committed offset for strict-0 in group "nobody-committed" and autoOffsetReset is 'none'/)
  })

  // Unknown options, subscribe without a group and seeking an unassigned partition are refused clearly.
  it('refuses misuse clearly', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('x', { partitions: 1 })
    expect(() => eddy.consumer({ groupID: 'g' } as never)).toThrow(/unknown consumer option "groupID" \(did you mean "groupId"\?\)/)
    await expect(eddy.consumer().subscribe(['x'])).rejects.toThrow(/subscribe needs a groupId/)
    const c = eddy.consumer()
    c.assign([{ topic: 'x', partition: 0 }])
    expect(() => c.seek({ topic: 'x', partition: 3 }, 0)).toThrow(/x-3 is not assigned to this consumer/)
    expect(() => c.assign([{ topic: 'nope', partition: 0 }])).toThrow(/unknown topic "nope"/)
  })

  // Deleting a topic forgets its committed offsets and producer state, so a new topic of that name starts clean.
  it('forgets committed offsets and producer state when a topic is deleted', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('ephemeral', { partitions: 1 })
    const producer = eddy.producer({ idempotent: true })
    await producer.send('ephemeral', [{ value: 'a' }, { value: 'b' }])
    await eddy.admin.resetOffsets('g', 'ephemeral', 'latest')
    expect(eddy.broker.committedOffset('g', 'ephemeral', 0)?.offset).toBe(2)
    await eddy.admin.deleteTopic('ephemeral')
    expect(eddy.broker.committedOffset('g', 'ephemeral', 0)).toBeUndefined()
    await expect(eddy.admin.deleteTopic('__consumer_offsets')).rejects.toThrow(/internal topic "__consumer_offsets" cannot be deleted/)
    await eddy.admin.createTopic('ephemeral', { partitions: 1 })
    // A fresh idempotent producer starts at sequence 0 on the new topic; stale state would not matter, but stale offsets would.
    const sent = await eddy.producer({ idempotent: true }).send('ephemeral', { value: 'c' })
    expect(sent.offset).toBe(0)
    expect((await eddy.admin.describeGroup('g')).offsets).toEqual([])
  })

  // Regex subscriptions pick up matching topics, and admin describes members, offsets and lag.
  it('subscribes by pattern and reports lag through admin', async () => {
    const eddy = await newEddy()
    await eddy.admin.createTopic('metrics.cpu', { partitions: 1 })
    await eddy.admin.createTopic('metrics.mem', { partitions: 1 })
    await eddy.admin.createTopic('logs', { partitions: 1 })
    const producer = eddy.producer()
    await producer.send('metrics.cpu', Array.from({ length: 10 }, () => ({ value: 'c' })))
    await producer.send('metrics.mem', Array.from({ length: 4 }, () => ({ value: 'm' })))
    const consumer = eddy.consumer({ ...fast, groupId: 'dash', enableAutoCommit: false })
    await consumer.subscribe(/^metrics\./)
    let count = 0
    await pollUntil([consumer], () => count === 14, 10_000, (_, r) => (count += r.length))
    expect(consumer.assignment().map((tp) => tp.topic).sort()).toEqual(['metrics.cpu', 'metrics.mem'])
    await consumer.commitSync([{ topic: 'metrics.cpu', partition: 0, offset: 6 }])
    const described = await eddy.admin.describeGroup('dash')
    expect(described.members).toHaveLength(1)
    expect(described.offsets).toEqual([{ topic: 'metrics.cpu', partition: 0, committed: 6, logEndOffset: 10, lag: 4 }])
  })
})
