// The partition log against the machine's own limits, measured in the same run:
// a plain fs append of the same bytes in the same chunk sizes, and a plain
// sequential read of the same file. Each case writes or reads ~128 MB through
// the page cache. Rounds of ours and the peer are interleaved and the best of
// each is kept: on a shared machine other load only ever slows a run down.
//
// Cases: append 100 B and 1 KiB records (flush os), pre-encoded 1000 × 100 B
// batches appended one at a time (validated, offsets assigned), read back
// decoded with CRCs verified, and flush `always` with 8 producers (group
// commit) against `os` with 8 producers.
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, readdirSync } from 'node:fs'
import { open as openFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rateRow, type BenchRow } from '../lib.js'
import { logConfigFrom } from '../../src/log/log-config.js'
import { PartitionLog, type ReadResult } from '../../src/log/partition-log.js'
import { decodeRecordBatch, encodeRecordBatch } from '../../src/log/record-batch.js'
import { NodeFsStorage } from '../../src/log/storage/node-fs.js'

const DATA_BYTES = 128 * 1024 * 1024
const ROUNDS = 5
const READ_ROUNDS = 7
const READ_CHUNK_BYTES = 1024 * 1024
const PRODUCERS = 8

interface Workload {
  name: string
  recordBytes: number
  recordsPerBatch: number
  batches: Uint8Array[]
  records: number
  bytes: number
}

function workload(name: string, recordBytes: number, recordsPerBatch: number, dataBytes = DATA_BYTES): Workload {
  const value = new Uint8Array(recordBytes).map((_, i) => 97 + (i % 26))
  const template = encodeRecordBatch(Array.from({ length: recordsPerBatch }, (_, i) => ({ key: null, value, timestamp: 1_700_000_000_000 + i })))
  const count = Math.max(1, Math.round(dataBytes / template.length))
  // Separate buffers (append rewrites baseOffset in place), same bytes.
  const batches = Array.from({ length: count }, () => template.slice())
  return { name, recordBytes, recordsPerBatch, batches, records: count * recordsPerBatch, bytes: count * template.length }
}

/** The fastest round (smallest time). */
function best(seconds: number[]): number {
  return Math.min(...seconds)
}

let scratch = ''
let serial = 0
const freshDir = () => join(scratch, `run-${serial++}`)

/** Plain fs append of the same chunks: FileHandle.write, one in flight (seconds). */
async function rawAppend(work: Workload): Promise<number> {
  const path = join(scratch, `raw-${serial++}.bin`)
  const file = await openFile(path, 'w')
  const start = performance.now()
  let position = 0
  for (const chunk of work.batches) {
    await file.write(chunk, 0, chunk.length, position)
    position += chunk.length
  }
  const seconds = (performance.now() - start) / 1000
  await file.close()
  rmSync(path)
  return seconds
}

/** The same chunks with blocking writeSync: the cheapest append Node can do (seconds). */
function rawAppendSync(work: Workload): number {
  const path = join(scratch, `raw-${serial++}.bin`)
  const fd = openSync(path, 'w')
  const start = performance.now()
  let position = 0
  for (const chunk of work.batches) position += writeSync(fd, chunk, 0, chunk.length, position)
  const seconds = (performance.now() - start) / 1000
  closeSync(fd)
  rmSync(path)
  return seconds
}

async function openBenchLog(dir: string, flushPolicy: 'os' | 'always'): Promise<PartitionLog> {
  return PartitionLog.open({
    storage: new NodeFsStorage(),
    dir,
    topic: 'bench',
    partition: 0,
    config: logConfigFrom({ 'flush.policy': flushPolicy, 'segment.bytes': 1024 * 1024 * 1024, 'max.message.bytes': 16 * 1024 * 1024 }),
    background: false,
  })
}

/**
 * Appends every batch of the workload from `producers` concurrent producers,
 * each keeping up to `inFlight` appends outstanding, as a Kafka producer's
 * max.in.flight.requests.per.connection does (seconds).
 */
async function logAppend(work: Workload, flushPolicy: 'os' | 'always', producers: number, keep?: (dir: string) => void, inFlight = 1): Promise<number> {
  const dir = freshDir()
  const log = await openBenchLog(dir, flushPolicy)
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: producers * inFlight }, async () => {
      while (next < work.batches.length) await log.append(work.batches[next++])
    }),
  )
  const seconds = (performance.now() - start) / 1000
  await log.close()
  if (keep) keep(dir)
  else rmSync(dir, { recursive: true, force: true })
  return seconds
}

/**
 * Reads the whole log back as a consumer does: whole batches (CRC checked by
 * the log) into two reused buffers, the next fetch in flight while the current
 * one is decoded (seconds, records).
 */
async function logReadDecoded(dir: string, decode: boolean): Promise<{ seconds: number; records: number }> {
  const log = await openBenchLog(dir, 'os')
  const buffers = [new Uint8Array(READ_CHUNK_BYTES + 64 * 1024), new Uint8Array(READ_CHUNK_BYTES + 64 * 1024)]
  const start = performance.now()
  let records = 0
  let turn = 0
  let pending: Promise<ReadResult> | undefined = log.read(log.logStartOffset, READ_CHUNK_BYTES, { buffer: buffers[turn] })
  while (pending !== undefined) {
    const result: ReadResult = await pending
    turn ^= 1
    pending = result.nextOffset < result.highWatermark ? log.read(result.nextOffset, READ_CHUNK_BYTES, { buffer: buffers[turn] }) : undefined
    const bytes = result.batches
    let at = 0
    while (at < bytes.length) {
      const size = ((bytes[at + 8] << 24) | (bytes[at + 9] << 16) | (bytes[at + 10] << 8) | bytes[at + 11]) + 12
      if (decode) records += decodeRecordBatch(bytes.subarray(at, at + size), { verifyCrc: false }).count
      at += size
    }
  }
  const seconds = (performance.now() - start) / 1000
  await log.close()
  return { seconds, records: decode ? records : log.logEndOffset }
}

/** Plain sequential read of the same segment file in the same chunk size (seconds). */
async function rawRead(dir: string): Promise<number> {
  const name = readdirSync(dir).find((n) => n.endsWith('.log'))!
  const file = await openFile(join(dir, name), 'r')
  const buffer = new Uint8Array(READ_CHUNK_BYTES)
  const start = performance.now()
  let position = 0
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position)
    if (bytesRead === 0) break
    position += bytesRead
  }
  const seconds = (performance.now() - start) / 1000
  await file.close()
  return seconds
}

export async function run(): Promise<BenchRow[]> {
  scratch = mkdtempSync(join(tmpdir(), 'eddy-bench-log-'))
  const rows: BenchRow[] = []
  try {
    const small = workload('100 B', 100, 1000)
    const large = workload('1 KiB', 1024, 100)
    for (const work of [small, large]) {
      const ours: number[] = []
      const oursOneAtATime: number[] = []
      const raw: number[] = []
      const rawSync: number[] = []
      let keptDir = ''
      for (let round = 0; round < ROUNDS; round++) {
        raw.push(await rawAppend(work))
        ours.push(await logAppend(work, 'os', PRODUCERS, round === ROUNDS - 1 ? (dir) => (keptDir = dir) : undefined))
        oursOneAtATime.push(await logAppend(work, 'os', 1))
        rawSync.push(rawAppendSync(work))
      }
      const mb = work.bytes / 1e6
      const label = `append ${work.name} records (${work.recordsPerBatch}/batch), flush os`
      rows.push(rateRow(`${label}, ${PRODUCERS} producers`, 'MB/s', mb / best(ours), mb / best(raw), 'fs append, same chunks', work === large ? '>= 0.8x fs append' : undefined))
      rows.push(rateRow(`${label}, ${PRODUCERS} producers`, 'records/s', work.records / best(ours), work.records / best(raw), 'fs append, same chunks'))
      rows.push(
        rateRow(
          `append pre-encoded ${work.recordsPerBatch} × ${work.name} batches one at a time (validated, offsets assigned)`,
          'records/s',
          work.records / best(oursOneAtATime),
          work.records / best(raw),
          'fs append, same chunks',
          work === small ? '>= 5M records/s' : undefined,
        ),
      )
      rows.push(rateRow(`${label}, ${PRODUCERS} producers`, 'MB/s', mb / best(ours), mb / best(rawSync), 'fs writeSync, same chunks (blocking)'))

      const decoded: number[] = []
      const rawOnly: number[] = []
      const reads: number[] = []
      let records = 0
      for (let round = 0; round < READ_ROUNDS; round++) {
        reads.push(await rawRead(keptDir))
        const d = await logReadDecoded(keptDir, true)
        decoded.push(d.seconds)
        records = d.records
        rawOnly.push((await logReadDecoded(keptDir, false)).seconds)
      }
      rows.push(rateRow(`read ${work.name} records, CRC verified + decoded`, 'records/s', records / best(decoded), work.records / best(reads), 'fs sequential read (records in the bytes)', work === small ? '>= 5M records/s' : undefined))
      rows.push(rateRow(`read ${work.name} records as stored batches, CRC verified`, 'MB/s', mb / best(rawOnly), mb / best(reads), 'fs sequential read, 1 MiB chunks'))
      rmSync(keptDir, { recursive: true, force: true })
    }

    // Group commit: flush always vs os, 8 producers of 16 KiB batches, each with
    // up to 5 appends in flight (Kafka's default) and, for reference, just one.
    const commit = workload('1 KiB', 1024, 16, 32 * 1024 * 1024)
    for (const inFlight of [5, 1]) {
      const always: number[] = []
      const os: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        os.push(await logAppend(commit, 'os', PRODUCERS, undefined, inFlight))
        always.push(await logAppend(commit, 'always', PRODUCERS, undefined, inFlight))
      }
      rows.push(
        rateRow(
          `append 1 KiB records (16/batch), flush always (fsync before ack, group commit), ${PRODUCERS} producers × ${inFlight} in flight`,
          'records/s',
          commit.records / best(always),
          commit.records / best(os),
          `eddy flush os, same producers`,
          inFlight === 5 ? '>= 0.25x os' : undefined,
        ),
      )
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return rows
}
