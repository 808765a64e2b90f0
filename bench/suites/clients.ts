// The in-process clients end to end, beside the log they sit on, measured in
// the same run.
//
// Throughput: 100-byte records (8-byte keys, murmur2 over 8 partitions) go
// Producer → Broker → log → Consumer, with the consumer polling while the
// producer sends. The peer is the raw log doing the same work without the
// clients: the same records, pre-encoded into batches of the size the producer
// closes (batchSize 16 KiB), appended straight to the PartitionLogs of a
// TopicStore and read back whole, every batch decoded with decodeRecordBatch.
// Both run in memory (Eddy.open() without a dataDir) and on disk (a temp
// dataDir with the default flush policy). Produce-only and consume-only rates
// are printed too, so the gap can be placed.
//
// Latency: a producer paced at 100k records/s (lingerMs 1) and a consumer
// polling, in memory and on disk; each value carries performance.now() at
// send(), so latency = poll return − send, recorded in microseconds in an
// HdrHistogram. The peer column is the 5 ms p99 target (ratio = 5 ms / ours).
//
// Each client case runs twice: with consumer.poll() (one ConsumerRecord per
// record) and with consumer.pollBatches() (per-partition decoded batches read
// as columns, no object per record), the API a throughput-minded user picks.
//
// On a shared machine other load only ever slows a run down, so rounds of ours
// and the peer are interleaved and the best of each is kept.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as hdr from 'hdr-histogram-js'
import { rateRow, type BenchRow } from '../lib.js'
import { Eddy } from '../../src/eddy.js'
import type { Consumer } from '../../src/client/consumer.js'
import type { Producer, ProducerRecord } from '../../src/client/producer.js'
import { createPartitioner } from '../../src/client/partitioners.js'
import { batchSizeAt } from '../../src/log/batch-header.js'
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../../src/log/record-batch.js'
import { TopicStore } from '../../src/log/topic-store.js'
import { MemoryStorage } from '../../src/log/storage/memory.js'
import { NodeFsStorage } from '../../src/log/storage/node-fs.js'
import type { Storage } from '../../src/log/storage/storage.js'

const PARTITIONS = 8
const KEY_COUNT = 4096
const VALUE_BYTES = 100
const THROUGHPUT_RECORDS = 400_000
/** The producer's default batchSize, and its per-record size estimate (key + value + 16). */
const PRODUCER_BATCH_BYTES = 16_384
const RECORDS_PER_BATCH = Math.ceil(PRODUCER_BATCH_BYTES / (8 + VALUE_BYTES + 16))
/** Records per send() call and sends outstanding, as a loader with a bounded queue would. */
const SEND_CHUNK_RECORDS = 2_000
const SENDS_IN_FLIGHT_MAX = 4
const POLL_RECORDS_MAX = 10_000
const READ_CHUNK_BYTES = 1024 * 1024
const ROUNDS = 3
const TOPIC = 'bench'

const LATENCY_RATE_PER_SECOND = 100_000
const LATENCY_SECONDS = 5
/** Records sent before the histogram starts (JIT warm-up). */
const LATENCY_WARMUP_RECORDS = 50_000
const LATENCY_P99_TARGET_MS = 5
const LATENCY_LINGER_MS = 1
/** 10 ms of records at the paced rate: the most one send() carries when catching up. */
const LATENCY_SEND_RECORDS_MAX = 1_000
const LATENCY_SENDS_IN_FLIGHT_MAX = 256

type Where = 'memory' | 'disk'
/** How the consumer reads: poll() records or pollBatches() column views. */
type ConsumeApi = 'poll' | 'batches'

interface Workload {
  /** Record i's key is keys[i % KEY_COUNT]; the default partitioner (murmur2) places it. */
  keys: string[]
  value: Uint8Array
  /** The same records, per partition, pre-encoded as the producer would batch them. */
  batches: Uint8Array[][]
}

function workload(records: number): Workload {
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => `k${String(i).padStart(7, '0')}`)
  const value = new Uint8Array(VALUE_BYTES).map((_, i) => 97 + (i % 26))
  const partitioner = createPartitioner('default')
  const keyPartition = keys.map((key) => partitioner.partition({ topic: TOPIC, key, partitionCount: PARTITIONS }))
  const pending: RecordInput[][] = Array.from({ length: PARTITIONS }, () => [])
  const batches: Uint8Array[][] = Array.from({ length: PARTITIONS }, () => [])
  const timestamp = Date.now()
  for (let i = 0; i < records; i++) {
    const p = keyPartition[i % KEY_COUNT]
    pending[p].push({ key: keys[i % KEY_COUNT], value, timestamp })
    if (pending[p].length === RECORDS_PER_BATCH) batches[p].push(encodeRecordBatch(pending[p].splice(0)))
  }
  for (let p = 0; p < PARTITIONS; p++) if (pending[p].length > 0) batches[p].push(encodeRecordBatch(pending[p]))
  return { keys, value, batches }
}

let scratch = ''
let serial = 0

/** A fresh Eddy: in memory, or on disk in a new directory with the default flush policy. */
async function openEddy(where: Where): Promise<{ eddy: Eddy; dispose(): Promise<void> }> {
  const dataDir = where === 'disk' ? join(scratch, `eddy-${serial++}`) : undefined
  const eddy = await Eddy.open(dataDir ? { dataDir } : {})
  await eddy.admin.createTopic(TOPIC, { partitions: PARTITIONS })
  return {
    eddy,
    dispose: async () => {
      await eddy.close()
      if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

function openConsumer(eddy: Eddy): Consumer<Uint8Array, Uint8Array> {
  const consumer = eddy.consumer<Uint8Array, Uint8Array>({ autoOffsetReset: 'earliest', keyDeserializer: 'bytes', valueDeserializer: 'bytes', maxPollRecords: POLL_RECORDS_MAX })
  consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition })))
  return consumer
}

/** Sends every record in chunks with a bounded number of sends outstanding; resolves when all are acknowledged. */
async function produceAll(producer: Producer, work: Workload, records: number): Promise<void> {
  const inFlight: Promise<unknown>[] = []
  for (let first = 0; first < records; first += SEND_CHUNK_RECORDS) {
    const chunk: ProducerRecord[] = []
    for (let i = first; i < Math.min(records, first + SEND_CHUNK_RECORDS); i++) chunk.push({ key: work.keys[i % KEY_COUNT], value: work.value })
    inFlight.push(producer.send(TOPIC, chunk))
    if (inFlight.length >= SENDS_IN_FLIGHT_MAX) await inFlight.shift()
  }
  await Promise.all(inFlight)
}

async function consumeAll(consumer: Consumer<Uint8Array, Uint8Array>, records: number, api: ConsumeApi = 'poll'): Promise<void> {
  let consumed = 0
  if (api === 'poll') {
    while (consumed < records) consumed += (await consumer.poll({ timeoutMs: 200 })).length
    return
  }
  while (consumed < records) for (const b of await consumer.pollBatches({ timeoutMs: 200 })) consumed += b.end - b.start
}

/** Produce and consume at once, timed until the last record is polled (seconds). */
async function endToEnd(where: Where, work: Workload, records: number, api: ConsumeApi = 'poll'): Promise<number> {
  const { eddy, dispose } = await openEddy(where)
  try {
    const producer = eddy.producer({ lingerMs: 1 })
    const consumer = openConsumer(eddy)
    const start = performance.now()
    await Promise.all([consumeAll(consumer, records, api), produceAll(producer, work, records)])
    return (performance.now() - start) / 1000
  } finally {
    await dispose()
  }
}

/** Produce everything, then consume everything: the two halves timed apart (seconds each). */
async function produceThenConsume(where: Where, work: Workload, records: number, api: ConsumeApi = 'poll'): Promise<{ produce: number; consume: number }> {
  const { eddy, dispose } = await openEddy(where)
  try {
    const producer = eddy.producer({ lingerMs: 1 })
    const start = performance.now()
    await produceAll(producer, work, records)
    const produced = performance.now()
    await consumeAll(openConsumer(eddy), records, api)
    return { produce: (produced - start) / 1000, consume: (performance.now() - produced) / 1000 }
  } finally {
    await dispose()
  }
}

/**
 * The raw log: append the pre-encoded batches (partitions concurrently, one
 * append in flight each), then read every partition back and decode each
 * batch, as the consumer's fetch does (seconds for each half).
 */
async function rawLog(where: Where, work: Workload): Promise<{ append: number; read: number; records: number }> {
  const dir = join(scratch, `raw-${serial++}`)
  const storage: Storage = where === 'disk' ? new NodeFsStorage() : new MemoryStorage()
  const store = await TopicStore.open({ storage, dir })
  try {
    await store.createTopic(TOPIC, { partitions: PARTITIONS })
    // append() rewrites the base offset in place, so each round appends copies.
    const batches = work.batches.map((list) => list.map((b) => b.slice()))
    const start = performance.now()
    await Promise.all(
      batches.map(async (list, p) => {
        const log = store.partition(TOPIC, p)
        for (const batch of list) await log.append(batch)
      }),
    )
    const appended = performance.now()
    let records = 0
    for (let p = 0; p < PARTITIONS; p++) {
      const log = store.partition(TOPIC, p)
      for (let offset = log.logStartOffset; offset < log.highWatermark; ) {
        const result = await log.read(offset, READ_CHUNK_BYTES)
        const bytes = result.batches
        for (let at = 0; at < bytes.length; ) {
          const size = batchSizeAt(bytes, at)
          records += decodeRecordBatch(bytes.subarray(at, at + size)).count
          at += size
        }
        offset = result.nextOffset
      }
    }
    return { append: (appended - start) / 1000, read: (performance.now() - appended) / 1000, records }
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function throughputRows(where: Where, work: Workload, records: number): Promise<BenchRow[]> {
  const e2e: number[] = []
  const produce: number[] = []
  const consume: number[] = []
  const append: number[] = []
  const read: number[] = []
  const appendAndRead: number[] = []
  const e2eBatches: number[] = []
  const consumeBatches: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const raw = await rawLog(where, work)
    if (raw.records !== records) throw new Error(`raw log read back ${raw.records} records, expected ${records}`)
    append.push(raw.append)
    read.push(raw.read)
    appendAndRead.push(raw.append + raw.read)
    e2e.push(await endToEnd(where, work, records))
    const split = await produceThenConsume(where, work, records)
    produce.push(split.produce)
    consume.push(split.consume)
    e2eBatches.push(await endToEnd(where, work, records, 'batches'))
    const splitBatches = await produceThenConsume(where, work, records, 'batches')
    consumeBatches.push(splitBatches.consume)
  }
  const rate = (seconds: number[]) => records / Math.min(...seconds)
  const label = where === 'memory' ? 'in memory' : 'on disk (temp dataDir, default flush policy)'
  return [
    rateRow(`produce → consume 100 B records, ${PARTITIONS} partitions, ${label}`, 'records/s', rate(e2e), rate(appendAndRead), 'raw log append + read/decode, same batches', '>= 0.5x'),
    rateRow(`  producer alone (send 2000/call, 4 calls in flight, acks all), ${label}`, 'records/s', rate(produce), rate(append), 'raw log append, same batches'),
    rateRow(`  consumer alone (poll, bytes deserializers), ${label}`, 'records/s', rate(consume), rate(read), 'raw log read + decodeRecordBatch'),
    rateRow(`produce → consume 100 B records, ${PARTITIONS} partitions, consumer.pollBatches(), ${label}`, 'records/s', rate(e2eBatches), rate(appendAndRead), 'raw log append + read/decode, same batches', '>= 0.5x'),
    rateRow(`  consumer alone (pollBatches), ${label}`, 'records/s', rate(consumeBatches), rate(read), 'raw log read + decodeRecordBatch'),
  ]
}

/**
 * A producer paced at LATENCY_RATE_PER_SECOND and a consumer polling; latency
 * from send() to the poll that returns the record. Each tick sends the records
 * due by now (rate × elapsed) in one send() call of at most
 * LATENCY_SEND_RECORDS_MAX, so a stall is followed by catching up in bounded
 * steps rather than one giant call that would stall the loop again; if the
 * clients cannot keep up, the achieved rate row shows it.
 */
async function latency(where: Where, api: ConsumeApi = 'poll'): Promise<{ histogram: hdr.Histogram; achievedPerSecond: number }> {
  const { eddy, dispose } = await openEddy(where)
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 })
  try {
    const producer = eddy.producer({ lingerMs: LATENCY_LINGER_MS })
    const consumer = openConsumer(eddy)
    const total = LATENCY_RATE_PER_SECOND * LATENCY_SECONDS
    const keys = Array.from({ length: KEY_COUNT }, (_, i) => `k${String(i).padStart(7, '0')}`)
    let consumed = 0
    const consuming = (async () => {
      while (consumed < total) {
        if (api === 'batches') {
          const batches = await consumer.pollBatches({ timeoutMs: 200 })
          const nowMs = performance.now()
          for (const { batch, start, end } of batches) {
            const view = new DataView(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength)
            for (let i = start; i < end; i++) {
              const sentMs = view.getFloat64(batch.valueStarts[i], true)
              if (consumed >= LATENCY_WARMUP_RECORDS) histogram.recordValue(Math.max(1, Math.round((nowMs - sentMs) * 1000)))
              consumed++
            }
          }
          continue
        }
        const records = await consumer.poll({ timeoutMs: 200 })
        const nowMs = performance.now()
        for (const r of records) {
          const sentMs = new DataView(r.value.buffer, r.value.byteOffset, 8).getFloat64(0, true)
          if (consumed >= LATENCY_WARMUP_RECORDS) histogram.recordValue(Math.max(1, Math.round((nowMs - sentMs) * 1000)))
          consumed++
        }
      }
    })()
    const start = performance.now()
    const inFlight: Promise<unknown>[] = []
    for (let sent = 0; sent < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * LATENCY_RATE_PER_SECOND))
      if (due > sent) {
        const sentAtMs = performance.now()
        const chunk: ProducerRecord[] = []
        for (const end = Math.min(due, sent + LATENCY_SEND_RECORDS_MAX); sent < end; sent++) {
          const value = new Uint8Array(VALUE_BYTES)
          new DataView(value.buffer).setFloat64(0, sentAtMs, true)
          chunk.push({ key: keys[sent % KEY_COUNT], value })
        }
        inFlight.push(producer.send(TOPIC, chunk))
        while (inFlight.length > LATENCY_SENDS_IN_FLIGHT_MAX) await inFlight.shift()
      }
      // Behind schedule: yield only to I/O and timers already due; on schedule: wait for the next millisecond.
      await new Promise((resolve) => (due > sent ? setImmediate(resolve) : setTimeout(resolve, 1)))
    }
    await Promise.all(inFlight)
    await consuming
    return { histogram, achievedPerSecond: total / ((performance.now() - start) / 1000) }
  } finally {
    await dispose()
  }
}

function latencyRow(caseName: string, ms: number): BenchRow {
  return { case: caseName, unit: 'ms', ours: ms, peer: LATENCY_P99_TARGET_MS, peerName: 'target', ratio: LATENCY_P99_TARGET_MS / ms, target: `p99 < ${LATENCY_P99_TARGET_MS} ms` }
}

export async function run(): Promise<BenchRow[]> {
  scratch = mkdtempSync(join(tmpdir(), 'eddy-bench-clients-'))
  const rows: BenchRow[] = []
  try {
    const work = workload(THROUGHPUT_RECORDS)
    rows.push(...(await throughputRows('memory', work, THROUGHPUT_RECORDS)))
    rows.push(...(await throughputRows('disk', work, THROUGHPUT_RECORDS)))
    for (const [where, api] of [['memory', 'poll'], ['disk', 'poll'], ['memory', 'batches'], ['disk', 'batches']] as const) {
      const { histogram, achievedPerSecond } = await latency(where, api)
      const label = `end-to-end latency at ${LATENCY_RATE_PER_SECOND / 1000}k records/s paced (lingerMs ${LATENCY_LINGER_MS})${api === 'batches' ? ', consumer.pollBatches()' : ''}, ${where === 'memory' ? 'in memory' : 'on disk'}`
      rows.push(latencyRow(`${label}: p50`, histogram.getValueAtPercentile(50) / 1000))
      rows.push(latencyRow(`${label}: p99`, histogram.getValueAtPercentile(99) / 1000))
      rows.push(latencyRow(`${label}: p99.9`, histogram.getValueAtPercentile(99.9) / 1000))
      rows.push(rateRow(`  paced rate achieved${api === 'batches' ? ', consumer.pollBatches()' : ''}, ${where === 'memory' ? 'in memory' : 'on disk'}`, 'records/s', achievedPerSecond, LATENCY_RATE_PER_SECOND, 'pacing target'))
      histogram.destroy()
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return rows
}
