// Transactions beside their non-transactional peers, measured in the same run
// (in memory, 100-byte records, murmur2 over 8 partitions):
//
// - produce: a transactional producer committing every 10 000 records (one
//   AddPartitionsToTxn per partition per transaction, eight commit markers per
//   commit) against an idempotent producer flushing at the same points;
// - consume: a read_committed consumer (stops at the last stable offset, skips
//   markers) against a read_uncommitted one, both reading with pollBatches the
//   same log the transactional producer wrote (so it holds markers).
//
// Rounds are interleaved and the best of each kept: other load on a shared
// machine only ever slows a run down.
import { rateRow, type BenchRow } from '../lib.js'
import { Eddy } from '../../src/eddy.js'

const RECORDS = 500_000
const RECORDS_PER_TRANSACTION = 10_000
const RECORDS_PER_SEND = 1_000
const PARTITIONS = 8
const ROUNDS = 4
const VALUE = 'x'.repeat(100)

async function produce(eddy: Eddy, topic: string, transactionalId: string | undefined): Promise<number> {
  const producer = transactionalId === undefined ? eddy.producer({ idempotent: true }) : eddy.producer({ transactionalId })
  if (transactionalId !== undefined) await producer.initTransactions()
  const started = performance.now()
  for (let i = 0; i < RECORDS; i += RECORDS_PER_TRANSACTION) {
    if (transactionalId !== undefined) producer.beginTransaction()
    for (let j = 0; j < RECORDS_PER_TRANSACTION; j += RECORDS_PER_SEND) {
      await producer.send(topic, Array.from({ length: RECORDS_PER_SEND }, (_, k) => ({ key: `key-${(i + j + k) % 4096}`, value: VALUE })))
    }
    if (transactionalId !== undefined) await producer.commitTransaction()
    else await producer.flush()
  }
  const elapsedMs = performance.now() - started
  await producer.close()
  return (RECORDS / elapsedMs) * 1000
}

async function consume(eddy: Eddy, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<number> {
  const consumer = eddy.consumer({ isolation, autoOffsetReset: 'earliest', keyDeserializer: 'bytes', valueDeserializer: 'bytes' })
  consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })))
  const started = performance.now()
  let read = 0
  while (read < RECORDS) for (const b of await consumer.pollBatches({ timeoutMs: 100, maxRecords: 100_000 })) read += b.end - b.start
  const elapsedMs = performance.now() - started
  await consumer.close()
  return (read / elapsedMs) * 1000
}

export async function run(): Promise<BenchRow[]> {
  const eddy = await Eddy.open()
  try {
    let transactional = 0
    let idempotent = 0
    for (let round = 0; round < ROUNDS; round++) {
      await eddy.admin.createTopic(`idempotent-${round}`, { partitions: PARTITIONS })
      await eddy.admin.createTopic(`transactional-${round}`, { partitions: PARTITIONS })
      idempotent = Math.max(idempotent, await produce(eddy, `idempotent-${round}`, undefined))
      transactional = Math.max(transactional, await produce(eddy, `transactional-${round}`, `bench-${round}`))
    }
    let committed = 0
    let uncommitted = 0
    for (let round = 0; round < ROUNDS; round++) {
      uncommitted = Math.max(uncommitted, await consume(eddy, 'transactional-0', 'read_uncommitted'))
      committed = Math.max(committed, await consume(eddy, 'transactional-0', 'read_committed'))
    }
    return [
      rateRow(`transactional produce, commit every ${RECORDS_PER_TRANSACTION} records`, 'records/s', transactional, idempotent, 'idempotent producer, same flushes'),
      rateRow('read_committed consume (pollBatches)', 'records/s', committed, uncommitted, 'read_uncommitted, same log'),
    ]
  } finally {
    await eddy.close()
  }
}
