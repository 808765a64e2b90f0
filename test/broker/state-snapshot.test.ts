// Proves the broker's clean-shutdown state: a clean close saves the producer
// and transaction state it rebuilt, the next open restores it instead of
// replaying the logs and holds exactly what a replay gives; the file is used
// once (removed at open), a partition whose log no longer matches is
// replayed, an unreadable file is ignored, and a crash leaves none.
import { describe, expect, it } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import { MemoryStorage } from '../../src/log/storage/memory.js'
import { BROKER_STATE_FILE } from '../../src/broker/state-snapshot.js'

const PARTITIONS = 3
const STATE_PATH = `/eddy/${BROKER_STATE_FILE}`

/** Idempotent sends on every partition, then a committed, an aborted and an open transaction. */
async function populate(eddy: Eddy): Promise<void> {
  // Every acknowledged append durable at once, so a crash keeps exactly what was acknowledged.
  await eddy.admin.createTopic('t', { partitions: PARTITIONS, config: { 'flush.policy': 'always' } })
  const idempotent = eddy.producer({ idempotent: true, lingerMs: 0 })
  for (let round = 0; round < 4; round++) {
    await idempotent.send('t', Array.from({ length: 30 }, (_, i) => ({ value: `i${round}-${i}`, partition: i % PARTITIONS })))
  }
  await idempotent.close()
  const txn = eddy.producer({ transactionalId: 'snap-txn' })
  await txn.initTransactions()
  for (const end of ['commit', 'abort', undefined] as const) {
    txn.beginTransaction()
    await txn.send('t', Array.from({ length: PARTITIONS }, (_, partition) => ({ value: `t-${end}`, partition })))
    if (end === 'commit') await txn.commitTransaction()
    if (end === 'abort') await txn.abortTransaction()
  }
}

/** Stops the broker cleanly while its clients are mid-flight (the open transaction stays open, as after a restart). */
const closeBroker = (eddy: Eddy) => eddy.broker.close()

const statesOf = (eddy: Eddy) => Array.from({ length: PARTITIONS }, (_, p) => eddy.broker.partitionState('t', p))

describe("the broker's clean-shutdown state", () => {
  it('is saved by a clean close, restored by the next open instead of a replay, and equals what a replay rebuilds', async () => {
    const storage = new MemoryStorage()
    const first = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    expect(first.broker.startReport.stateSnapshot).toBe('absent')
    await populate(first)
    const before = statesOf(first)
    expect(before.every((s) => s.producers.length === 2 && s.transactions.open.length === 1 && s.transactions.aborted.length === 1)).toBe(true)
    await closeBroker(first)
    expect(await storage.exists(STATE_PATH)).toBe(true)

    const restored = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    expect(restored.broker.startReport).toEqual({ stateSnapshot: 'used', restoredPartitions: PARTITIONS, replayedPartitions: 0 })
    expect(await storage.exists(STATE_PATH)).toBe(false)
    expect(statesOf(restored)).toEqual(before)
    await restored.close()

    // Without the file, the same state comes from replaying the logs.
    await storage.remove(STATE_PATH)
    const replayed = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    expect(replayed.broker.startReport).toEqual({ stateSnapshot: 'absent', restoredPartitions: 0, replayedPartitions: PARTITIONS })
    expect(statesOf(replayed)).toEqual(before)
    await replayed.close()
  })

  it('replays a partition whose log no longer starts and ends where the state says, and ignores an unreadable file', async () => {
    const storage = new MemoryStorage()
    const first = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    await populate(first)
    const before = statesOf(first)
    await closeBroker(first)
    const saved = JSON.parse(new TextDecoder().decode(await storage.readFile(STATE_PATH)))
    // Partition 1's recorded end is off by one, and its recorded producers are wrong: it must be replayed, not trusted.
    saved.partitions[1].logEndOffset += 1
    saved.partitions[1].producers = []
    const file = await storage.open(STATE_PATH)
    await file.truncate(0)
    await file.write(0, [new TextEncoder().encode(JSON.stringify(saved))])
    await file.close()
    const second = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    expect(second.broker.startReport).toEqual({ stateSnapshot: 'used', restoredPartitions: PARTITIONS - 1, replayedPartitions: 1 })
    expect(statesOf(second)).toEqual(before)
    await second.close()

    const garbage = await storage.open(STATE_PATH)
    await garbage.truncate(0)
    await garbage.write(0, [new TextEncoder().encode('{"format":"eddy.broker-state","version":99}')])
    await garbage.close()
    const third = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    expect(third.broker.startReport).toEqual({ stateSnapshot: 'ignored: version 99 (this build reads 1)', restoredPartitions: 0, replayedPartitions: PARTITIONS })
    expect(statesOf(third)).toEqual(before)
    expect(await storage.exists(STATE_PATH)).toBe(false)
    await third.close()
  })

  it('is used once: a process that dies after the open that used it leaves none, and the next open replays', async () => {
    const storage = new MemoryStorage({ simulateCrashes: true })
    const first = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    await populate(first)
    await closeBroker(first)
    const second = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    expect(second.broker.startReport.stateSnapshot).toBe('used')
    const producer = second.producer({ idempotent: true, lingerMs: 0, acks: 'all' })
    await producer.send('t', { value: 'after-restore', partition: 0 })
    await producer.flush()
    const after = statesOf(second)
    expect(after[0].producers).toHaveLength(3)
    // The machine dies with `second` still running: its handles die with it, and it never closes.
    storage.crash()
    const third = await Eddy.open({ storage, transactions: { abortCheckIntervalMs: 0 } })
    expect(third.broker.startReport).toEqual({ stateSnapshot: 'absent', restoredPartitions: 0, replayedPartitions: PARTITIONS })
    expect(statesOf(third)).toEqual(after)
    await third.close()
  })
})
