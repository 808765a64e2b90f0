// Proves the in-process transactional producer and read_committed consumer keep
// Kafka's promises: committed records appear together, aborted ones never reach
// read_committed readers (read_uncommitted readers see them), markers are never
// returned, the last stable offset holds back readers while a transaction is
// open, offsets sent to a transaction count only if it commits, a second
// producer with the same id fences the first, and misuse gets a clear error.
import { afterEach, describe, expect, it } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import { ProducerFencedError } from '../../src/broker/errors.js'
import { TransactionStateError } from '../../src/client/producer.js'
import { readTopicValues } from '../read-topic.js'

const open: Eddy[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()))
})

async function newEddy(): Promise<Eddy> {
  const eddy = await Eddy.open({ defaultPartitions: 2, transactions: { abortCheckIntervalMs: 0 } })
  open.push(eddy)
  return eddy
}

/** Every record value the consumer can read now, from the start of `topic`'s partitions. */
async function readAll(eddy: Eddy, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  return (await readTopicValues(eddy, topic, { isolation })).sort()
}

describe('transactional producer', () => {
  it('commits records across partitions together and hides aborted ones from read_committed readers', async () => {
    // One committed and one aborted transaction over two partitions: read_committed sees exactly the committed ones.
    const eddy = await newEddy()
    await eddy.admin.createTopic('orders', { partitions: 2 })
    const producer = eddy.producer({ transactionalId: 'tx-a' })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send('orders', [{ value: 'c1', partition: 0 }, { value: 'c2', partition: 1 }])
    await producer.commitTransaction()
    producer.beginTransaction()
    await producer.send('orders', [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 1 }])
    await producer.abortTransaction()
    producer.beginTransaction()
    await producer.send('orders', [{ value: 'c3', partition: 1 }])
    await producer.commitTransaction()

    expect(await readAll(eddy, 'orders', 'read_committed')).toEqual(['c1', 'c2', 'c3'])
    // read_uncommitted sees the aborted data too, but never the markers.
    expect(await readAll(eddy, 'orders', 'read_uncommitted')).toEqual(['a1', 'a2', 'c1', 'c2', 'c3'])
  })

  it('holds read_committed readers at the last stable offset while a transaction is open', async () => {
    // Plain records written after an open transaction stay invisible to read_committed until it ends.
    const eddy = await newEddy()
    await eddy.admin.createTopic('lso', { partitions: 1 })
    const plain = eddy.producer()
    await plain.send('lso', { value: 'before' })
    const producer = eddy.producer({ transactionalId: 'tx-lso' })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send('lso', { value: 'in-txn' })
    await plain.send('lso', { value: 'after' })

    expect(eddy.broker.lastStableOffset('lso', 0)).toBe(1)
    expect(await eddy.admin.listOffsets('lso', 'latest', { isolation: 'read_committed' })).toEqual([{ partition: 0, offset: 1 }])
    expect(await eddy.admin.listOffsets('lso', 'latest')).toEqual([{ partition: 0, offset: 3 }])
    expect(await readAll(eddy, 'lso', 'read_committed')).toEqual(['before'])

    await producer.commitTransaction()
    // The marker is the fourth offset; the LSO is the high watermark again.
    expect(eddy.broker.lastStableOffset('lso', 0)).toBe(4)
    expect(await readAll(eddy, 'lso', 'read_committed')).toEqual(['after', 'before', 'in-txn'])
  })

  it('moves a consumer past trailing markers and aborted batches instead of fetching them forever', async () => {
    // The log ends in aborted data and its marker: the position must reach the end, lag 0.
    const eddy = await newEddy()
    await eddy.admin.createTopic('tail', { partitions: 1 })
    const producer = eddy.producer({ transactionalId: 'tx-tail' })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send('tail', { value: 'gone' })
    await producer.abortTransaction()
    const consumer = eddy.consumer({ autoOffsetReset: 'earliest' })
    consumer.assign([{ topic: 'tail', partition: 0 }])
    expect(await consumer.poll({ timeoutMs: 50 })).toEqual([])
    expect(await consumer.position({ topic: 'tail', partition: 0 })).toBe(2)
    expect(await consumer.lag()).toEqual([{ topic: 'tail', partition: 0, lag: 0 }])
    await consumer.close()
  })

  it('commits offsets sent to a transaction only when it commits', async () => {
    // Consume-transform-produce: the group's offset moves with the committed transaction, not with the aborted one.
    const eddy = await newEddy()
    await eddy.admin.createTopic('in', { partitions: 1 })
    await eddy.admin.createTopic('out', { partitions: 1 })
    const producer = eddy.producer({ transactionalId: 'tx-offsets' })
    await producer.initTransactions()

    producer.beginTransaction()
    await producer.send('out', { value: 'x' })
    await producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 5 }], 'group-a')
    expect(eddy.broker.committedOffset('group-a', 'in', 0)).toBeUndefined()
    await producer.abortTransaction()
    expect(eddy.broker.committedOffset('group-a', 'in', 0)).toBeUndefined()

    producer.beginTransaction()
    await producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 7 }], { groupId: 'group-a' })
    await producer.commitTransaction()
    expect(eddy.broker.committedOffset('group-a', 'in', 0)?.offset).toBe(7)
  })

  it('fences the older producer when a new one with the same id initialises, aborting its open transaction', async () => {
    // The zombie's open transaction is aborted; its later sends, commits and aborts fail with ProducerFencedError.
    const eddy = await newEddy()
    await eddy.admin.createTopic('fence', { partitions: 1 })
    const zombie = eddy.producer({ transactionalId: 'tx-fence' })
    await zombie.initTransactions()
    zombie.beginTransaction()
    await zombie.send('fence', { value: 'zombie' })

    const successor = eddy.producer({ transactionalId: 'tx-fence' })
    await successor.initTransactions()
    await expect(zombie.send('fence', { value: 'zombie-2' })).rejects.toBeInstanceOf(ProducerFencedError)
    await expect(zombie.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError)
    await expect(zombie.abortTransaction()).rejects.toThrow(/fenced/)
    expect(zombie.transactionState()).toBe('fenced')

    successor.beginTransaction()
    await successor.send('fence', { value: 'successor' })
    await successor.commitTransaction()
    expect(await readAll(eddy, 'fence', 'read_committed')).toEqual(['successor'])
  })

  it('aborts a transaction older than its timeout and fences its producer', async () => {
    // The timeout check runs by hand here (abortCheckIntervalMs 0): the expired transaction is aborted, its producer fenced.
    const eddy = await newEddy()
    await eddy.admin.createTopic('slow', { partitions: 1 })
    const producer = eddy.producer({ transactionalId: 'tx-slow', transactionTimeoutMs: 50 })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send('slow', { value: 'late' })
    expect(await eddy.broker.transactions.abortExpired(Date.now())).toBe(0)
    expect(await eddy.broker.transactions.abortExpired(Date.now() + 60)).toBe(1)
    expect(eddy.broker.lastStableOffset('slow', 0)).toBe(2)
    await expect(producer.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError)
    expect(await readAll(eddy, 'slow', 'read_uncommitted')).toEqual(['late'])
    expect(await readAll(eddy, 'slow', 'read_committed')).toEqual([])
  })

  it('ends a transaction whose topic was deleted meanwhile, on the partitions that remain', async () => {
    // Deleting a topic leaves no partition to mark; the commit still completes on the others.
    const eddy = await newEddy()
    await eddy.admin.createTopic('keep', { partitions: 1 })
    await eddy.admin.createTopic('drop', { partitions: 1 })
    const producer = eddy.producer({ transactionalId: 'tx-delete' })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send('keep', { value: 'kept' })
    await producer.send('drop', { value: 'dropped' })
    await eddy.admin.deleteTopic('drop')
    await producer.commitTransaction()
    expect(eddy.broker.transactions.describe('tx-delete')).toMatchObject({ phase: 'complete-commit' })
    expect(await readAll(eddy, 'keep', 'read_committed')).toEqual(['kept'])
  })

  it('refuses misuse with errors that say what to call', async () => {
    // Each wrong call names the state it found and the call that fixes it.
    const eddy = await newEddy()
    const producer = eddy.producer({ transactionalId: 'tx-misuse' })
    await expect(producer.send('t', { value: 'v' })).rejects.toThrow(/outside a transaction.*initTransactions\(\) and beginTransaction\(\)/)
    expect(() => producer.beginTransaction()).toThrow(TransactionStateError)
    await producer.initTransactions()
    await expect(producer.commitTransaction()).rejects.toThrow(/no open transaction.*beginTransaction/)
    await expect(producer.abortTransaction()).rejects.toThrow(/no open transaction/)
    producer.beginTransaction()
    expect(() => producer.beginTransaction()).toThrow(/already open/)
    await expect(eddy.producer().initTransactions()).rejects.toThrow(/needs a producer created with a transactionalId/)
    expect(() => eddy.producer({ transactionalId: 'x', idempotent: false })).toThrow(/idempotent/)
    expect(() => eddy.producer({ transactionalId: '' })).toThrow(/non-empty string/)
    expect(() => eddy.producer({ transactionTimeoutMs: 5 })).toThrow(/needs a transactionalId/)
    await expect(eddy.producer({ transactionalId: 'too-long', transactionTimeoutMs: 1_000_000 }).initTransactions()).rejects.toThrow(/INVALID_TRANSACTION_TIMEOUT/)
    expect(() => eddy.consumer({ isolation: 'serializable' as never })).toThrow(/isolation must be/)
  })

  it('commits a prepared transaction from a new producer after the first one is gone, once, and never a newer one', async () => {
    // Phase one in producer A, "crash" (A is dropped), phase two by handle in producer B; retrying is harmless.
    const eddy = await newEddy()
    await eddy.admin.createTopic('prep', { partitions: 1 })
    const a = eddy.producer({ transactionalId: 'tx-prep' })
    await a.initTransactions()
    a.beginTransaction()
    await a.send('prep', { value: 'prepared' })
    const handle = await a.prepareTransaction()
    expect(handle).toMatchObject({ transactionalId: 'tx-prep', sequence: 1 })

    const b = eddy.producer({ transactionalId: 'tx-prep' })
    expect(await b.commitPreparedTransaction(handle!)).toBe('committed')
    expect(await b.commitPreparedTransaction(handle!)).toBe('already-committed')
    await b.initTransactions()
    expect(await readAll(eddy, 'prep', 'read_committed')).toEqual(['prepared'])

    // A handle of a transaction that was aborted (by initTransactions here) is refused, not committed.
    b.beginTransaction()
    await b.send('prep', { value: 'doomed' })
    const doomed = await b.prepareTransaction()
    const c = eddy.producer({ transactionalId: 'tx-prep' })
    await c.initTransactions()
    await expect(c.commitPreparedTransaction(doomed!)).rejects.toThrow(/was aborted/)
    expect(await readAll(eddy, 'prep', 'read_committed')).toEqual(['prepared'])
  })
})
