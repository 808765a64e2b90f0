// RecordBatch v2 encode/decode beside kafkajs's RecordBatch encoder and
// decoder (pure JS; what a Kafka client in Node pays today), on the issue's
// workload: 1,000 records of 16-byte keys and 100-byte values per batch.
// kafkajs's decoder skips the CRC; ours verifies it and still has to win.
// Every task builds or reads one whole batch per iteration, so tinybench's
// per-call overhead is the same small share for us and the peer.
import { createRequire } from 'node:module'
import { pseudoRandomBytes, rateRow, type BenchRow } from '../lib.js'
import { bestOpsPerSecond } from '../best-of.js'
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../../src/log/record-batch.js'

const require = createRequire(import.meta.url)
interface KafkajsEncoder {
  buffer: Buffer
}
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<KafkajsEncoder>
}
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: Record<string, unknown>) => unknown
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<{ records: unknown[] }>

const RECORDS_PER_BATCH = 1000
const KEY_BYTES = 16
const VALUE_BYTES = 100
const BASE_TIMESTAMP = 1_700_000_000_000
const BENCH_TIME_MS = 500

let sink = 0


function printable(length: number, seed: number): string {
  let text = ''
  for (let i = 0; i < length; i++) text += String.fromCharCode(97 + ((seed * 7 + i * 13) % 26))
  return text
}

async function kafkajsEncode(records: readonly { key: Buffer | string; value: Buffer | string; timestamp: number }[]): Promise<Buffer> {
  // What kafkajs's produce request does per partition (requests/produce/v3/request.js).
  const kafkajsRecords = records.map((record, i) =>
    KafkajsRecord({ key: record.key, value: record.value, offsetDelta: i, timestampDelta: record.timestamp - BASE_TIMESTAMP, headers: {} }),
  )
  const batch = await RecordBatch({
    records: kafkajsRecords,
    firstTimestamp: BASE_TIMESTAMP,
    maxTimestamp: records[records.length - 1].timestamp,
    lastOffsetDelta: records.length - 1,
    partitionLeaderEpoch: -1,
    producerId: -1,
    producerEpoch: -1,
    firstSequence: -1,
  })
  return batch.buffer
}

export async function run(): Promise<BenchRow[]> {
  const byteRecords = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    key: Buffer.from(pseudoRandomBytes(KEY_BYTES, i + 1)),
    value: Buffer.from(pseudoRandomBytes(VALUE_BYTES, 0x9e3779b1 ^ (i + 1))),
    timestamp: BASE_TIMESTAMP + i,
  }))
  const stringRecords = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    key: printable(KEY_BYTES, i),
    value: printable(VALUE_BYTES, i + 1),
    timestamp: BASE_TIMESTAMP + i,
  }))
  const options = { baseOffset: 0 }
  const ours = encodeRecordBatch(byteRecords as RecordInput[], options)
  const theirs = await kafkajsEncode(byteRecords)
  // Same records, same options: the bytes must match before any speed counts.
  if (!Buffer.from(ours).equals(theirs)) throw new Error('recordbatch bench: our batch differs from kafkajs’s for the same records')
  const oursBuffer = Buffer.from(ours)

  const encode = await bestOpsPerSecond(
    {
      ours: () => {
        sink ^= encodeRecordBatch(byteRecords, options).length
      },
      kafkajs: async () => {
        sink ^= (await kafkajsEncode(byteRecords)).length
      },
    },
    BENCH_TIME_MS,
  )
  const decode = await bestOpsPerSecond(
    {
      ours: () => {
        sink ^= decodeRecordBatch(ours).count
      },
      oursObjects: () => {
        sink ^= decodeRecordBatch(ours).toRecords().length
      },
      kafkajs: async () => {
        sink ^= (await kafkajsDecodeBatch(new KafkajsDecoder(oursBuffer))).records.length
      },
    },
    BENCH_TIME_MS,
  )
  const roundTrip = await bestOpsPerSecond(
    {
      ours: () => {
        sink ^= decodeRecordBatch(encodeRecordBatch(byteRecords, options)).count
      },
      kafkajs: async () => {
        const bytes = await kafkajsEncode(byteRecords)
        sink ^= (await kafkajsDecodeBatch(new KafkajsDecoder(bytes))).records.length
      },
    },
    BENCH_TIME_MS,
  )
  const fromStrings = await bestOpsPerSecond(
    {
      ours: () => {
        sink ^= encodeRecordBatch(stringRecords, options).length
      },
      kafkajs: async () => {
        sink ^= (await kafkajsEncode(stringRecords)).length
      },
    },
    BENCH_TIME_MS,
  )
  if (sink === 0.5) console.log(sink)

  const perRecord = (batchesPerSecond: number) => batchesPerSecond * RECORDS_PER_BATCH
  return [
    rateRow('encode 1,000-record batch (16 B keys, 100 B values)', 'batches/s', encode.ours, encode.kafkajs, 'kafkajs RecordBatch', '>= 10x'),
    rateRow('decode it, CRC verified (kafkajs skips the CRC), columns', 'batches/s', decode.ours, decode.kafkajs, 'kafkajs decoder', '>= 5x'),
    rateRow('decode it, CRC verified, plus toRecords() objects', 'batches/s', decode.oursObjects, decode.kafkajs, 'kafkajs decoder'),
    rateRow('encode + decode round trip', 'records/s', perRecord(roundTrip.ours), perRecord(roundTrip.kafkajs), 'kafkajs'),
    rateRow('encode from JS string keys/values (16 + 100 chars)', 'records/s', perRecord(fromStrings.ours), perRecord(fromStrings.kafkajs), 'kafkajs', '>> 2M records/s'),
  ]
}
