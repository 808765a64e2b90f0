// kafkajs's RecordBatch v2 encoder and decoder (CommonJS, loaded with
// createRequire), wrapped for the cross-checks in record-batch.test.ts: the
// same records and options must give identical bytes, and each side must read
// the other's batches.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

interface KafkajsEncoder {
  buffer: Buffer
}
interface KafkajsCodec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<KafkajsEncoder>
}
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: Record<string, unknown>) => unknown
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<KafkajsDecodedBatch>
const { Codecs, Types } = require('kafkajs/src/protocol/message/compression/index.js') as {
  Codecs: Record<number, () => KafkajsCodec>
  Types: Record<string, number>
}
const kafkajsSnappy = require('kafkajs-snappy') as () => KafkajsCodec
const gzipCodec = Codecs[Types.GZIP]()

/** kafkajs-lz4 rides on the `lz4` package's native addon; say so plainly if it was not built. */
function loadKafkajsLz4(): () => KafkajsCodec {
  try {
    const KafkajsLz4 = require('kafkajs-lz4') as new () => { codec: () => KafkajsCodec }
    return new KafkajsLz4().codec
  } catch (error) {
    const reason = (error as Error).message
    return () => {
      throw new Error(`kafkajs-lz4 is unavailable (its lz4 dependency's native build is missing: ${reason}); the lz4 cross-checks need it`)
    }
  }
}
const kafkajsLz4 = loadKafkajsLz4()

// Register the plug-in codecs the way a kafkajs user does (CompressionCodecs[type] = factory).
Codecs[Types.Snappy] = kafkajsSnappy
Codecs[Types.LZ4] = kafkajsLz4

export const kafkajsCodecs = {
  gzip: gzipCodec,
  snappy: kafkajsSnappy(),
  get lz4(): KafkajsCodec {
    return kafkajsLz4()
  },
}

export const KAFKAJS_CODEC_IDS = { none: Types.None, gzip: Types.GZIP, snappy: Types.Snappy, lz4: Types.LZ4 } as const

export interface PeerRecord {
  key: Buffer | null
  value: Buffer | null
  /** Header keys must be distinct and not integer-like: kafkajs keeps headers in an object. */
  headers: [string, Buffer][]
  timestamp: number
}

export interface PeerBatchOptions {
  baseOffset: number
  baseTimestamp: number
  partitionLeaderEpoch: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  transactional: boolean
  compression: keyof typeof KAFKAJS_CODEC_IDS
}

/** Encodes like kafkajs's produce request does (requests/produce/v3/request.js). */
export async function kafkajsEncodeBatch(records: readonly PeerRecord[], options: PeerBatchOptions): Promise<Uint8Array> {
  const encoded = records.map((record, i) =>
    kafkajsRecord({
      key: record.key,
      value: record.value,
      offsetDelta: i,
      timestampDelta: record.timestamp - options.baseTimestamp,
      headers: Object.fromEntries(record.headers),
    }),
  )
  const batch = await RecordBatch({
    compression: KAFKAJS_CODEC_IDS[options.compression],
    records: encoded,
    firstOffset: options.baseOffset,
    firstTimestamp: options.baseTimestamp,
    maxTimestamp: Math.max(...records.map((r) => r.timestamp)),
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    lastOffsetDelta: records.length - 1,
    transactional: options.transactional,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    firstSequence: options.baseSequence,
  })
  return new Uint8Array(batch.buffer)
}

export interface KafkajsDecodedRecord {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | Buffer[]>
}

export interface KafkajsDecodedBatch {
  firstOffset: string
  producerId: string
  producerEpoch: number
  firstSequence: number
  inTransaction: boolean
  records: KafkajsDecodedRecord[]
}

export function kafkajsDecode(batch: Uint8Array): Promise<KafkajsDecodedBatch> {
  return kafkajsDecodeBatch(new KafkajsDecoder(Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength)))
}
