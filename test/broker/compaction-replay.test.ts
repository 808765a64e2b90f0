// Proves an idempotent producer survives compaction and a crash: after the
// cleaner drops all its records (their keys overwritten by another producer),
// a broker that replays the log still knows its epoch and last sequence, so
// the producer's next batch is accepted and a retry of its last one is found a
// duplicate — where, without the producer's last batch kept, the next batch
// would be refused as out of order.
import { describe, expect, it } from 'vitest'
import { Broker } from '../../src/broker/broker.js'
import { StoreTopics } from '../../src/broker/log-adapter.js'
import { encodeRecordBatch } from '../../src/log/record-batch.js'
import { MemoryStorage } from '../../src/log/storage/memory.js'
import { TopicStore } from '../../src/log/topic-store.js'

async function openBroker(storage: MemoryStorage): Promise<{ broker: Broker; store: TopicStore }> {
  const store = await TopicStore.open({ storage, dir: '/eddy' })
  const broker = new Broker(new StoreTopics(store), { transactions: { abortCheckIntervalMs: 0 } })
  await broker.start()
  return { broker, store }
}

const batch = (producerId: number, baseSequence: number, keys: string[]) =>
  encodeRecordBatch(
    keys.map((key) => ({ key, value: `${producerId}:${key}`, timestamp: 1000 })),
    producerId < 0 ? {} : { producerId, producerEpoch: 0, baseSequence },
  )

describe('compaction keeps what idempotence needs', () => {
  it("replays an idempotent producer's state after its records were compacted away and the broker crashed", async () => {
    const storage = new MemoryStorage({ simulateCrashes: true })
    const first = await openBroker(storage)
    await first.broker.createTopic('t', 1, { 'cleanup.policy': 'compact', 'flush.policy': 'always' })
    await first.broker.produce('t', 0, batch(42, 0, ['a', 'b']))
    const last = await first.broker.produce('t', 0, batch(42, 2, ['c']))
    await first.broker.produce('t', 0, batch(-1, 0, ['a', 'b', 'c']))
    const log = first.store.partition('t', 0)
    await log.roll()
    await first.broker.produce('t', 0, batch(-1, 0, ['tail']))
    expect((await log.compact()).recordsRemoved).toBe(3)
    const before = first.broker.partitionState('t', 0).producers.find(([id]) => id === 42)!
    storage.crash()

    const second = await openBroker(storage)
    expect(second.broker.startReport.stateSnapshot).toBe('absent')
    const replayed = second.broker.partitionState('t', 0).producers.find(([id]) => id === 42)
    expect(replayed?.[1]).toBe(before[1])
    expect(replayed?.[2].at(-1)).toEqual(before[2].at(-1))
    // A retry of the last batch is a duplicate with its original offsets; the next sequence goes on.
    expect(await second.broker.produce('t', 0, batch(42, 2, ['c']))).toEqual(expect.objectContaining({ baseOffset: (last as { baseOffset: number }).baseOffset }))
    await expect(second.broker.produce('t', 0, batch(42, 3, ['d']))).resolves.toBeDefined()
    await second.broker.close()
  })
})
