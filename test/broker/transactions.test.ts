// Proves transaction state survives a broker restart on disk: the open
// transaction still holds back read_committed readers and is aborted when its
// producer comes back (or times out), committed and aborted transactions keep
// their visibility (the aborted index is rebuilt from the log), a commit a crash
// interrupted after its decision is finished on open, and markers are the
// Kafka control-record format.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Eddy } from '../../src/eddy.js'
import { decodeRecordBatch } from '../../src/log/record-batch.js'
import { wholeBatches, readBatchHeader } from '../../src/log/batch-header.js'
import { TransactionLog, TRANSACTION_STATE_TOPIC, type TransactionRecord } from '../../src/broker/transactions/transaction-log.js'
import { readTopicValues } from '../read-topic.js'

const dirs: string[] = []
const open: Eddy[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function openAt(dataDir: string): Promise<Eddy> {
  const eddy = await Eddy.open({ dataDir, transactions: { abortCheckIntervalMs: 0 } })
  open.push(eddy)
  return eddy
}

/** A crash, as far as transactions go: the broker stops without any client ending its transaction. */
async function crash(eddy: Eddy): Promise<void> {
  open.splice(open.indexOf(eddy), 1)
  await eddy.broker.close()
}

function values(eddy: Eddy, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  return readTopicValues(eddy, topic, { isolation, partitions: [0] })
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-txn-'))
  dirs.push(dir)
  return dir
}

describe('transactions across a broker restart', () => {
  it('keeps committed, aborted and open transactions as they were, and aborts the open one when its producer returns', async () => {
    // Before the crash: one committed, one aborted, one open transaction. After: same visibility, LSO held, then released by the abort.
    const dir = tempDir()
    const first = await openAt(dir)
    await first.admin.createTopic('t', { partitions: 1 })
    const producer = first.producer({ transactionalId: 'tx-restart' })
    await producer.initTransactions()
    for (const [value, end] of [['committed', 'commit'], ['aborted', 'abort'], ['open', undefined]] as const) {
      producer.beginTransaction()
      await producer.send('t', { value })
      if (end === 'commit') await producer.commitTransaction()
      if (end === 'abort') await producer.abortTransaction()
    }
    const { producerId, producerEpoch } = first.broker.transactions.describe('tx-restart')!
    await crash(first)

    const second = await openAt(dir)
    expect(second.broker.transactions.describe('tx-restart')).toMatchObject({ producerId, producerEpoch, phase: 'ongoing', sequence: 3 })
    // offsets: committed 0, marker 1, aborted 2, marker 3, open 4
    expect(second.broker.lastStableOffset('t', 0)).toBe(4)
    expect(await values(second, 't', 'read_committed')).toEqual(['committed'])
    expect(await values(second, 't', 'read_uncommitted')).toEqual(['committed', 'aborted', 'open'])

    const again = second.producer({ transactionalId: 'tx-restart' })
    await again.initTransactions()
    expect(second.broker.transactions.describe('tx-restart')).toMatchObject({ producerId, producerEpoch: producerEpoch + 1, phase: 'complete-abort' })
    expect(second.broker.lastStableOffset('t', 0)).toBe(6)
    expect(await values(second, 't', 'read_committed')).toEqual(['committed'])
    // New producer ids never reuse one the log holds.
    expect(second.broker.initProducerId().producerId).toBeGreaterThan(producerId)
  })

  it('aborts an open transaction that outlived its timeout across the restart', async () => {
    // The start time is durable, so the timeout counts from before the crash.
    const dir = tempDir()
    const first = await openAt(dir)
    await first.admin.createTopic('t', { partitions: 1 })
    const producer = first.producer({ transactionalId: 'tx-timeout', transactionTimeoutMs: 1_000 })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send('t', { value: 'stale' })
    const startedMs = first.broker.transactions.describe('tx-timeout')!.startedMs
    await crash(first)

    const second = await openAt(dir)
    expect(await second.broker.transactions.abortExpired(startedMs + 999)).toBe(0)
    expect(await second.broker.transactions.abortExpired(startedMs + 1_001)).toBe(1)
    expect(second.broker.lastStableOffset('t', 0)).toBe(2)
    expect(await values(second, 't', 'read_committed')).toEqual([])
  })

  it('finishes on open a commit whose decision was stored before the crash', async () => {
    // The state topic says prepare-commit (as if the broker died before writing markers): opening writes them and commits the offsets.
    const dir = tempDir()
    const first = await openAt(dir)
    await first.admin.createTopic('t', { partitions: 1 })
    const producer = first.producer({ transactionalId: 'tx-decided' })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send('t', { value: 'decided' })
    await producer.sendOffsetsToTransaction([{ topic: 't', partition: 0, offset: 1 }], 'g')
    const state = first.broker.transactions.describe('tx-decided')!
    const record: TransactionRecord = {
      version: 1,
      transactionalId: 'tx-decided',
      producerId: state.producerId,
      producerEpoch: state.producerEpoch,
      timeoutMs: state.timeoutMs,
      phase: 'prepare-commit',
      sequence: state.sequence,
      startedMs: state.startedMs,
      partitions: [['t', 0]],
      offsets: [{ groupId: 'g', topic: 't', partition: 0, offset: 1, metadata: '' }],
    }
    const stateLog = first.broker.topics.partition(TRANSACTION_STATE_TOPIC, 0)
    await new TransactionLog(stateLog, async () => stateLog).write(record)
    await crash(first)

    const second = await openAt(dir)
    expect(second.broker.transactions.describe('tx-decided')).toMatchObject({ phase: 'complete-commit' })
    expect(await values(second, 't', 'read_committed')).toEqual(['decided'])
    expect(second.broker.committedOffset('g', 't', 0)?.offset).toBe(1)

    // The marker is Kafka's control record: control + transactional attributes, key version 0 / type 1 (commit).
    const bytes = await second.broker.topics.partition('t', 0).read(1, 1 << 16)
    const [marker] = [...wholeBatches(bytes)]
    const header = readBatchHeader(marker)
    expect(header).toMatchObject({ baseOffset: 1, isControl: true, isTransactional: true, producerId: state.producerId, producerEpoch: state.producerEpoch, baseSequence: -1 })
    expect([...decodeRecordBatch(marker).key(0)!]).toEqual([0, 0, 0, 1])
  })
})

describe('transactional id expiry (transactional.id.expiration.ms)', () => {
  it('forgets an id idle past idExpirationMs, across a restart too, and never one with a transaction open', async () => {
    const dir = tempDir()
    const HOUR = 3_600_000
    const first = await Eddy.open({ dataDir: dir, transactions: { abortCheckIntervalMs: 0, idExpirationMs: HOUR } })
    open.push(first)
    await first.admin.createTopic('t', { partitions: 1 })
    const idle = first.producer({ transactionalId: 'tx-idle' })
    await idle.initTransactions()
    idle.beginTransaction()
    await idle.send('t', { value: 'kept' })
    await idle.commitTransaction()
    const busy = first.producer({ transactionalId: 'tx-busy' })
    await busy.initTransactions()
    busy.beginTransaction()
    await busy.send('t', { value: 'open' })
    const coordinator = first.broker.transactions
    const idleProducer = coordinator.describe('tx-idle')!.producerId

    expect(await coordinator.expireIds(Date.now() + HOUR / 2)).toBe(0)
    // An hour on: the idle id goes; the open transaction keeps its id however old it is.
    expect(await coordinator.expireIds(Date.now() + HOUR + 1000)).toBe(1)
    expect(coordinator.describe('tx-idle')).toBeUndefined()
    expect(coordinator.describe('tx-busy')?.phase).toBe('ongoing')
    // Its committed data stays; the id starts afresh with a new producer id at epoch 0.
    expect(await values(first, 't', 'read_uncommitted')).toEqual(['kept', 'open'])
    await crash(first)

    const second = await openAt(dir)
    expect(second.broker.transactions.describe('tx-idle')).toBeUndefined()
    expect(second.broker.transactions.describe('tx-busy')?.phase).toBe('ongoing')
    const again = second.producer({ transactionalId: 'tx-idle' })
    await again.initTransactions()
    const fresh = second.broker.transactions.describe('tx-idle')!
    expect(fresh.producerEpoch).toBe(0)
    expect(fresh.producerId).not.toBe(idleProducer)
    expect(await values(second, 't', 'read_committed')).toEqual(['kept'])
  })

  it('refuses an idExpirationMs that is not a positive number of ms', async () => {
    await expect(Eddy.open({ transactions: { idExpirationMs: 0 } }).then((e) => e.broker.transactions)).rejects.toThrow('transactions.idExpirationMs must be a number of ms > 0, got 0')
  })
})
