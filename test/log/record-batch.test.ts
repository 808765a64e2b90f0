// Proves the RecordBatch v2 encoder and decoder are bit-exact with kafkajs,
// round-trip every field, refuse bad input with errors that name the problem,
// and survive corrupt and random bytes without reading out of bounds.
import { beforeAll, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import {
  ATTR_CONTROL,
  BATCH_HEADER_BYTES,
  CorruptBatchError,
  Offsets,
  computeBatchCrc,
  readBatchHeader,
  setBaseOffset,
  validateBatch,
  type CompressionCodec,
} from '../../src/log/batch-header.js'
import { batchBytesMax, decompressedBytesMax, recordsPerBatchMax } from '../../src/log/limits.js'
import { decodeRecordBatch, encodeRecordBatch, nextOffsetOf, type DecodedBatch, type RecordInput } from '../../src/log/record-batch.js'
import { wasmLimits } from '../../src/wasm/batch.js'
import { kafkajsDecode, kafkajsEncodeBatch, type PeerBatchOptions, type PeerRecord } from './kafkajs-peer.js'
import { zstdReady } from '../../src/log/compression/index.js'

// zstd's Wasm loads in the background; compressing with it waits for this, as producers do.
beforeAll(() => zstdReady())

const text = (s: string) => new TextEncoder().encode(s)
const utf8 = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))
const CODECS: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

// ------------------------------------------------------------ generators

const bytesArb = fc.uint8Array({ maxLength: 200 })
const headerKeyArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/)
const peerRecordArb = (timestampMin: number): fc.Arbitrary<PeerRecord> =>
  fc.record({
    key: fc.option(bytesArb.map((b) => Buffer.from(b)), { nil: null }),
    value: fc.option(bytesArb.map((b) => Buffer.from(b)), { nil: null }),
    headers: fc.uniqueArray(fc.tuple(headerKeyArb, bytesArb.map((b) => Buffer.from(b))), { selector: (h) => h[0], maxLength: 4 }),
    timestamp: fc.integer({ min: timestampMin, max: timestampMin + 10_000_000 }),
  })
const peerOptionsArb: fc.Arbitrary<Omit<PeerBatchOptions, 'baseTimestamp' | 'compression'>> = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
  producerId: fc.integer({ min: -1, max: 2 ** 50 }),
  producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
  baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
  transactional: fc.boolean(),
})
const peerBatchArb = fc.record({
  records: fc.array(peerRecordArb(1_600_000_000_000), { minLength: 1, maxLength: 30 }),
  options: peerOptionsArb,
  baseTimestampShift: fc.integer({ min: -5000, max: 5000 }),
})

/** Our input for the same records kafkajs gets. */
function toInputs(records: readonly PeerRecord[]): RecordInput[] {
  return records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers.map(([key, value]) => ({ key, value })) }))
}

function expectMatches(decoded: DecodedBatch, records: readonly PeerRecord[], baseOffset: number): void {
  expect(decoded.count).toBe(records.length)
  decoded.toRecords().forEach((record, i) => {
    expect(record.offset).toBe(baseOffset + i)
    expect(record.timestamp).toBe(records[i].timestamp)
    expect(record.key).toEqual(records[i].key === null ? null : new Uint8Array(records[i].key!))
    expect(record.value).toEqual(records[i].value === null ? null : new Uint8Array(records[i].value!))
    expect(record.headers.map((h) => [h.key, h.value])).toEqual(records[i].headers.map(([k, v]) => [k, new Uint8Array(v)]))
  })
}

/** Rewrites the CRC so that only the field under test is wrong. */
function withFreshCrc(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset).setUint32(Offsets.crc, computeBatchCrc(batch))
  return batch
}

function corruptMessage(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptBatchError)
    return (error as Error).message
  }
  throw new Error('expected a CorruptBatchError, but decoding succeeded')
}

// ------------------------------------------------------------ tests

describe('limits', () => {
  // The Wasm module enforces the same limits as the TypeScript side (read from its exported globals).
  it('batch.wasm and src/log/limits.ts agree', () => {
    expect(wasmLimits()).toEqual({ recordsPerBatchMax, batchBytesMax, decompressedBytesMax })
  })
})

describe('bit-exact with kafkajs', () => {
  // A fixed small batch: exact bytes equal kafkajs's, so the layout is right field by field.
  it('encodes a small batch byte for byte like kafkajs', async () => {
    const records: PeerRecord[] = [
      { key: Buffer.from('k1'), value: Buffer.from('hello'), headers: [['trace', Buffer.from('abc')]], timestamp: 1000 },
      { key: null, value: Buffer.from([1, 2, 3]), headers: [], timestamp: 1005 },
      { key: Buffer.from('k3'), value: null, headers: [], timestamp: 999 },
    ]
    const options = { baseOffset: 7, baseTimestamp: 999, partitionLeaderEpoch: 3, producerId: 42, producerEpoch: 1, baseSequence: 10, transactional: true, compression: 'none' as const }
    const ours = encodeRecordBatch(toInputs(records), options)
    expect(ours).toEqual(await kafkajsEncodeBatch(records, options))
    expect(readBatchHeader(ours)).toMatchObject({ baseOffset: 7, lastOffsetDelta: 2, baseTimestamp: 999, maxTimestamp: 1005, recordCount: 3, isTransactional: true })
  })

  // Property: for random records and header options, our bytes equal kafkajs's bytes.
  it('matches kafkajs bytes for random batches', async () => {
    await fc.assert(
      fc.asyncProperty(peerBatchArb, async ({ records, options, baseTimestampShift }) => {
        const baseTimestamp = records[0].timestamp + baseTimestampShift
        const all = { ...options, baseTimestamp, compression: 'none' as const }
        expect(encodeRecordBatch(toInputs(records), all)).toEqual(await kafkajsEncodeBatch(records, all))
      }),
      { numRuns: 150 },
    )
  })

  // Property: batches kafkajs encodes (any codec it supports) decode to the records it was given.
  it('decodes kafkajs-encoded batches, compressed or not', async () => {
    await fc.assert(
      fc.asyncProperty(peerBatchArb, fc.constantFrom('none', 'gzip', 'snappy', 'lz4' as const), async ({ records, options }, compression) => {
        const all = { ...options, baseTimestamp: records[0].timestamp, compression }
        const batch = await kafkajsEncodeBatch(records, all)
        const decoded = decodeRecordBatch(batch)
        expect(decoded.header).toMatchObject({ compression, producerId: options.producerId, producerEpoch: options.producerEpoch, baseSequence: options.baseSequence })
        expectMatches(decoded, records, options.baseOffset)
      }),
      { numRuns: 80 },
    )
  })

  // Property: kafkajs decodes our batches (every codec it has) to the records we encoded.
  it('kafkajs decodes our batches, compressed or not', async () => {
    await fc.assert(
      fc.asyncProperty(peerBatchArb, fc.constantFrom('none', 'gzip', 'snappy', 'lz4' as const), async ({ records, options }, compression) => {
        const batch = encodeRecordBatch(toInputs(records), { ...options, compression })
        const theirs = await kafkajsDecode(batch)
        expect(theirs.firstOffset).toBe(String(options.baseOffset))
        expect(theirs.inTransaction).toBe(options.transactional)
        expect(theirs.records.length).toBe(records.length)
        theirs.records.forEach((record, i) => {
          expect(record.offset).toBe(String(options.baseOffset + i))
          expect(record.timestamp).toBe(String(records[i].timestamp))
          expect(record.key).toEqual(records[i].key)
          expect(record.value).toEqual(records[i].value)
          expect(record.headers).toEqual(Object.fromEntries(records[i].headers))
        })
      }),
      { numRuns: 80 },
    )
  })
})

describe('round trip', () => {
  const inputArb: fc.Arbitrary<RecordInput> = fc.record(
    {
      key: fc.oneof(fc.constant(null), fc.string({ maxLength: 40, unit: 'grapheme' }), bytesArb),
      value: fc.oneof(fc.constant(null), fc.string({ maxLength: 300, unit: 'grapheme' }), bytesArb),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 20, unit: 'grapheme' }), value: fc.oneof(fc.constant(null), fc.string({ maxLength: 30 }), bytesArb) }), { maxLength: 5 }),
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    },
    { requiredKeys: ['value', 'timestamp'] },
  )
  const asBytes = (v: string | Uint8Array | null | undefined) => (v === null || v === undefined ? null : typeof v === 'string' ? text(v) : v)

  // Property: every codec returns exactly the keys, values, headers, offsets and timestamps encoded (strings as UTF-8).
  it('returns every field for every codec', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { minLength: 1, maxLength: 40 }), fc.constantFrom(...CODECS), fc.integer({ min: 0, max: 2 ** 40 }), (records, compression, baseOffset) => {
        const batch = encodeRecordBatch(records, { compression, baseOffset })
        const decoded = decodeRecordBatch(batch)
        expect(decoded.header.compression).toBe(compression)
        expect(decoded.header.baseTimestamp).toBe(records[0].timestamp)
        expect(decoded.header.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp!)))
        expect(nextOffsetOf(decoded.header)).toBe(baseOffset + records.length)
        const out = [...decoded]
        out.forEach((record, i) => {
          expect(record.offset).toBe(baseOffset + i)
          expect(record.timestamp).toBe(records[i].timestamp)
          expect(record.key).toEqual(asBytes(records[i].key))
          expect(record.value).toEqual(asBytes(records[i].value))
          expect(record.headers).toEqual((records[i].headers ?? []).map((h) => ({ key: h.key, value: asBytes(h.value) })))
        })
      }),
      { numRuns: 200 },
    )
  })

  // Keys and values of an uncompressed batch are views into the batch's own buffer, not copies.
  it('decodes into views of the batch bytes', () => {
    const batch = encodeRecordBatch([{ key: 'a', value: 'payload' }])
    const decoded = decodeRecordBatch(batch)
    const record = decoded.record(0)
    expect(record.value!.buffer).toBe(batch.buffer)
    expect(decoded.valueStarts[0] + decoded.valueLengths[0]).toBeLessThanOrEqual(batch.length)
    expect(utf8(batch.subarray(decoded.valueStarts[0], decoded.valueStarts[0] + decoded.valueLengths[0]))).toBe('payload')
    expect(decoded.bytes).toBe(batch)
  })

  // A batch that sits in the middle of a larger buffer (a segment read, a pooled Buffer) decodes relative to its own start.
  it('decodes a batch at a non-zero byte offset', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'first' }, { value: 'second', headers: [{ key: 'h', value: 'v' }] }], { baseOffset: 40 })
    const holder = new Uint8Array(batch.length + 37).fill(0xee)
    holder.set(batch, 13)
    const decoded = decodeRecordBatch(holder.subarray(13, 13 + batch.length))
    expect(decoded.toRecords().map((r) => [r.offset, utf8(r.key), utf8(r.value), r.headers.map((h) => [h.key, utf8(h.value)])])).toEqual([
      [40, 'k', 'first', []],
      [41, null, 'second', [['h', 'v']]],
    ])
    expect(decoded.value(1)!.byteOffset).toBe(13 + decoded.valueStarts[1])
  })

  // Explicit offset deltas with gaps (a compacted batch) and a larger lastOffsetDelta survive a round trip.
  it('keeps offset gaps and lastOffsetDelta for compacted batches', () => {
    const batch = encodeRecordBatch(
      [
        { key: 'a', value: '1', offsetDelta: 0, timestamp: 10 },
        { key: 'b', value: '2', offsetDelta: 5, timestamp: 11 },
        { key: 'c', value: null, offsetDelta: 9, timestamp: 12 },
      ],
      { baseOffset: 100, lastOffsetDelta: 12 },
    )
    const decoded = decodeRecordBatch(batch)
    expect([...decoded.offsets]).toEqual([100, 105, 109])
    expect(decoded.header.lastOffsetDelta).toBe(12)
    expect(nextOffsetOf(decoded.header)).toBe(113)
    expect(validateBatch(batch).recordCount).toBe(3)
  })

  // Control, transactional and log-append-time flags land in the attributes, and log-append batches report maxTimestamp for every record.
  it('sets attribute flags and applies log-append time on read', () => {
    const batch = encodeRecordBatch([{ key: new Uint8Array([0, 0, 0, 1]), value: new Uint8Array([0, 0, 0, 0, 0, 5]), timestamp: 5 }, { value: 'x', timestamp: 7 }], {
      control: true,
      transactional: true,
      timestampType: 'log-append',
      logAppendTime: 9_000,
      producerId: 77,
      producerEpoch: 3,
    })
    const decoded = decodeRecordBatch(batch)
    expect(decoded.header).toMatchObject({ isControl: true, isTransactional: true, timestampType: 'log-append', maxTimestamp: 9_000, producerId: 77, producerEpoch: 3 })
    expect(decoded.header.attributes & ATTR_CONTROL).toBe(ATTR_CONTROL)
    expect([...decoded.timestamps]).toEqual([9_000, 9_000])
  })

  // Records without a timestamp take the encode call's wall-clock time; defaults follow Kafka's sentinels.
  it('defaults timestamps to now and producer fields to -1', () => {
    const before = Date.now()
    const decoded = decodeRecordBatch(encodeRecordBatch([{ value: 'a' }, { value: 'b' }]))
    const after = Date.now()
    expect(decoded.timestamps[0]).toBeGreaterThanOrEqual(before)
    expect(decoded.timestamps[1]).toBeLessThanOrEqual(after)
    expect(decoded.header).toMatchObject({ producerId: -1, producerEpoch: -1, baseSequence: -1, partitionLeaderEpoch: -1, baseOffset: 0 })
  })

  // Rewriting baseOffset in place (outside the CRC) shifts every decoded offset and keeps the CRC valid.
  it('sees a rewritten base offset', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }])
    setBaseOffset(batch, 5_000)
    expect([...decodeRecordBatch(batch).offsets]).toEqual([5_000, 5_001])
  })

  // int64 header fields are read as two 32-bit halves: values past 2^32 and the edges of the safe range read exactly, one step outside is refused.
  it('reads int64 header fields exactly up to the safe integer range', () => {
    const batch = encodeRecordBatch([{ value: 'a' }])
    const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength)
    for (const offset of [0, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER]) {
      setBaseOffset(batch, offset)
      expect(dv.getBigInt64(Offsets.baseOffset)).toBe(BigInt(offset))
      expect(readBatchHeader(batch).baseOffset).toBe(offset)
    }
    for (const timestamp of [-1, -(2 ** 32), Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]) {
      dv.setBigInt64(Offsets.baseTimestamp, BigInt(timestamp))
      expect(readBatchHeader(batch).baseTimestamp).toBe(timestamp)
    }
    for (const outside of [BigInt(Number.MAX_SAFE_INTEGER) + 1n, BigInt(Number.MIN_SAFE_INTEGER) - 1n, -(2n ** 63n)]) {
      dv.setBigInt64(Offsets.baseTimestamp, outside)
      expect(() => readBatchHeader(batch)).toThrow(new RegExp(`baseTimestamp ${outside} is outside the safe integer range`))
    }
    expect(() => setBaseOffset(batch, -1)).toThrow(RangeError)
  })

  // A batch bigger than the initial Wasm memory (several MiB, many headers) grows the regions and still round-trips.
  it('handles large values and many headers', () => {
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 7)
    const headers = Array.from({ length: 300 }, (_, i) => ({ key: `h${i}`, value: `v${i}` }))
    const records: RecordInput[] = [{ value: big }, { key: 'x'.repeat(100_000), value: 'é'.repeat(50_000), headers }]
    for (const compression of CODECS) {
      const decoded = decodeRecordBatch(encodeRecordBatch(records, { compression }))
      // Buffer.equals: vitest's deep equality walks typed arrays element by element.
      expect(Buffer.from(decoded.value(0)!).equals(big)).toBe(true)
      expect(utf8(decoded.key(1)) === 'x'.repeat(100_000)).toBe(true)
      expect(utf8(decoded.value(1)) === 'é'.repeat(50_000)).toBe(true)
      expect(decoded.headers(1)).toHaveLength(300)
      expect(decoded.headers(1)[299]).toEqual({ key: 'h299', value: text('v299') })
    }
  })

  // Many records with several headers each overflow the decoder's first header column and take the retry path.
  it('decodes more headers than the first header column holds', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ value: `${i}`, headers: Array.from({ length: 6 }, (_, j) => ({ key: `k${j}`, value: null })) }))
    const decoded = decodeRecordBatch(encodeRecordBatch(records))
    expect(decoded.headerColumns.length).toBe(50 * 6 * 4)
    expect(decoded.headers(49)).toEqual(Array.from({ length: 6 }, (_, j) => ({ key: `k${j}`, value: null })))
  })
})

describe('portable string path', () => {
  // Without Node's Buffer (browsers, Deno) strings go through TextEncoder.encodeInto and give the same bytes.
  it('encodes strings identically without Buffer', async () => {
    const records: RecordInput[] = [
      { key: 'k'.repeat(70), value: 'v'.repeat(100) + 'é€😀', headers: [{ key: 'h'.repeat(80) + 'ü', value: 'x'.repeat(65) }], timestamp: 1 },
      { key: 'short', value: 'ascii then ü and more text past the loop limit of sixty-four characters', timestamp: 2 },
    ]
    const expected = encodeRecordBatch(records)
    vi.resetModules()
    vi.stubGlobal('Buffer', undefined)
    try {
      const fresh = await import('../../src/wasm/batch.js')
      const packed = fresh.packRecords(records, 0, batchBytesMax)
      const fields = { baseOffset: 0, partitionLeaderEpoch: -1, attributes: 0, baseTimestamp: 1, producerId: -1, producerEpoch: -1, baseSequence: -1 }
      const batch = fresh.encodePackedBatch(packed, fields, 1, Number.NaN)
      expect(batch).toEqual(expected)
    } finally {
      vi.unstubAllGlobals()
      vi.resetModules()
    }
  })
})

describe('encoder input validation', () => {
  // Each kind of bad input is refused with an error that names the record and field.
  it.each([
    ['not an array', () => encodeRecordBatch('x' as never), /array of records/],
    ['a record that is not an object', () => encodeRecordBatch([{ value: 'a' }, 5 as never]), /record 1 must be an object/],
    ['a numeric key', () => encodeRecordBatch([{ key: 5 as never, value: 'a' }]), /record 0 key must be a string, Uint8Array or null, got number/],
    ['a missing value', () => encodeRecordBatch([{ value: 'a' }, {} as never]), /record 1 value must be .* got undefined/],
    ['headers that are not an array', () => encodeRecordBatch([{ value: 'a', headers: {} as never }]), /record 0 headers must be an array/],
    ['a header key that is not a string', () => encodeRecordBatch([{ value: 'a', headers: [{ key: null as never, value: 'x' }] }]), /record 0 header 0 key must be a string/],
    ['a header value of the wrong type', () => encodeRecordBatch([{ value: 'a', headers: [{ key: 'k', value: 1 as never }] }]), /header 0 \("k"\) value/],
    ['a fractional timestamp', () => encodeRecordBatch([{ value: 'a', timestamp: 1.5 }]), /record 0 timestamp must be a safe integer/],
    ['an unsafe timestamp', () => encodeRecordBatch([{ value: 'a', timestamp: 2 ** 60 }]), /timestamp must be a safe integer/],
    ['decreasing offset deltas', () => encodeRecordBatch([{ value: 'a', offsetDelta: 3 }, { value: 'b', offsetDelta: 3 }]), /record 1 offsetDelta must be an integer above the previous one \(3\)/],
    ['offset deltas on some records only', () => encodeRecordBatch([{ value: 'a', offsetDelta: 0 }, { value: 'b' }]), /record 1 has no offsetDelta/],
    ['too many records', () => encodeRecordBatch(new Array(recordsPerBatchMax + 1)), /at most recordsPerBatchMax/],
    ['a negative base offset', () => encodeRecordBatch([{ value: 'a' }], { baseOffset: -1 }), /baseOffset must be an integer/],
    ['an out-of-range producer epoch', () => encodeRecordBatch([{ value: 'a' }], { producerEpoch: 40_000 }), /producerEpoch must be an integer in \[-32768, 32767\]/],
    ['an unknown codec', () => encodeRecordBatch([{ value: 'a' }], { compression: 'brotli' as never }), /compression must be one of none, gzip, snappy, lz4, zstd, got "brotli"/],
    ['an unknown timestamp type', () => encodeRecordBatch([{ value: 'a' }], { timestampType: 'event' as never }), /timestampType must be 'create' or 'log-append'/],
    ['logAppendTime on a create-time batch', () => encodeRecordBatch([{ value: 'a' }], { logAppendTime: 5 }), /logAppendTime needs timestampType 'log-append'/],
    ['lastOffsetDelta below the records', () => encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { lastOffsetDelta: 0 }), /lastOffsetDelta must be an integer in \[1,/],
    ['an empty batch without lastOffsetDelta', () => encodeRecordBatch([]), /lastOffsetDelta must be an integer in \[0,/],
    ['offsets past the safe range', () => encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { baseOffset: Number.MAX_SAFE_INTEGER }), /past the safe integer range/],
  ])('refuses %s', (_name, call, message) => {
    expect(call).toThrow(message)
  })

  // A record larger than the batch limit is refused by index before anything is encoded.
  it('refuses an oversize record by index', () => {
    const huge = new Uint8Array(batchBytesMax + 1)
    expect(() => encodeRecordBatch([{ value: 'ok' }, { value: huge }])).toThrow(/record 1 is too large: its key, value and headers take at least 16777217 bytes, more than the batch limit of 16777216/)
  })

  // A string whose UTF-16 length fits but whose UTF-8 bytes do not is caught once encoded, with its exact size.
  it('refuses a string record whose UTF-8 form is oversize', () => {
    const units = Math.floor(batchBytesMax / 3) + 1
    expect(units).toBeLessThan(batchBytesMax)
    expect(() => encodeRecordBatch([{ value: '€'.repeat(units) }])).toThrow(`record 0 is too large: its key, value and headers take at least ${units * 3} bytes`)
  })

  // Records that fit one by one but not together exceed the batch limit and say so.
  it('refuses a batch whose records together exceed batchBytesMax', () => {
    const half = new Uint8Array(batchBytesMax / 2)
    expect(() => encodeRecordBatch([{ value: half }, { value: half }, { value: half }])).toThrow(/records 0\.\.2 hold .* more than the batch limit/)
  })

  // An empty batch is legal when its lastOffsetDelta is given (compaction keeps such batches for producer state).
  it('encodes an empty batch with an explicit lastOffsetDelta', () => {
    const decoded = decodeRecordBatch(encodeRecordBatch([], { lastOffsetDelta: 4, baseTimestamp: 1 }))
    expect(decoded.count).toBe(0)
    expect(decoded.toRecords()).toEqual([])
  })
})

describe('corrupt batches', () => {
  const good = encodeRecordBatch(
    [
      { key: 'k0', value: 'value-0', headers: [{ key: 'h', value: 'v' }], timestamp: 100 },
      { key: 'k1', value: 'value-1', timestamp: 101 },
    ],
    { baseOffset: 10 },
  )
  const copy = () => good.slice()
  const recordsAt = BATCH_HEADER_BYTES

  // A flipped payload bit fails the CRC by default and is accepted only when the caller opts out.
  it('detects a bad CRC unless verification is off', () => {
    const batch = copy()
    batch[batch.length - 3] ^= 0x01
    expect(corruptMessage(() => decodeRecordBatch(batch))).toMatch(/CRC-32C mismatch/)
    expect(decodeRecordBatch(batch, { verifyCrc: false }).count).toBe(2)
  })

  // Each structural fault, with the CRC made valid again, is reported by name (and record where it applies).
  it.each([
    ['a record count above the records', (b: Uint8Array) => new DataView(b.buffer).setInt32(Offsets.recordCount, 3), /record count mismatch|lastOffsetDelta/],
    ['a record count below the records', (b: Uint8Array) => new DataView(b.buffer).setInt32(Offsets.recordCount, 1), /remain after the last record \(record count mismatch\)/],
    ['a negative record count', (b: Uint8Array) => new DataView(b.buffer).setInt32(Offsets.recordCount, -1), /record count -1 is outside/],
    ['a record length past the end', (b: Uint8Array) => (b[recordsAt] = 0x7e), /record length 63 runs past the end .*record 0/],
    ['a negative record length', (b: Uint8Array) => (b[recordsAt] = 0x03), /record length is negative/],
    ['a key length past the record', (b: Uint8Array) => (b[recordsAt + 4] = 0x40), /key length 32 is invalid or runs past the end of the record \(record 0/],
    ['a key length below -1', (b: Uint8Array) => (b[recordsAt + 4] = 0x03), /key length -2 is invalid/],
    ['an offset delta past lastOffsetDelta', (b: Uint8Array) => (b[recordsAt + 3] = 0x08), /offsetDelta 4 is not above the previous record's or exceeds lastOffsetDelta/],
    ['an overlong varint', (b: Uint8Array) => b.fill(0xff, recordsAt, recordsAt + 6), /varint is longer than its type allows/],
  ])('reports %s', (_name, mutate, message) => {
    const batch = copy()
    mutate(batch)
    expect(corruptMessage(() => decodeRecordBatch(withFreshCrc(batch)))).toMatch(message)
  })

  // Framing faults are caught before the CRC: wrong length, wrong magic, truncation, unknown codec.
  it('reports framing faults', () => {
    expect(corruptMessage(() => decodeRecordBatch(good.subarray(0, 40)))).toMatch(/header truncated: 40 bytes, need 61/)
    expect(corruptMessage(() => decodeRecordBatch(good.subarray(0, good.length - 1)))).toMatch(/length field says \d+ bytes but \d+ were given/)
    const magic = copy()
    magic[Offsets.magic] = 1
    expect(corruptMessage(() => decodeRecordBatch(magic))).toMatch(/magic is 1, only magic 2/)
    const codec = copy()
    codec[Offsets.attributes + 1] |= 0x07
    expect(corruptMessage(() => decodeRecordBatch(withFreshCrc(codec)))).toMatch(/unknown compression codec id 7/)
  })

  // A bad count with a bad CRC reports the CRC, the likelier cause.
  it('prefers the CRC error when the count field is the corrupted byte', () => {
    const batch = copy()
    batch[Offsets.recordCount] = 0x7f
    expect(corruptMessage(() => decodeRecordBatch(batch))).toMatch(/CRC-32C mismatch/)
  })

  // A compressed batch that inflates past decompressedBytesMax is refused as corrupt, naming the limit.
  it('refuses a compressed section past decompressedBytesMax', () => {
    const batch = encodeRecordBatch([{ value: new Uint8Array(100_000) }], { compression: 'gzip' })
    expect(corruptMessage(() => decodeRecordBatch(batch, { decompressedBytesMax: 50_000 }))).toMatch(/gzip: output would exceed decompressedBytesMax \(50000 bytes\)/)
    expect(decodeRecordBatch(batch, { decompressedBytesMax: 200_000 }).valueLengths[0]).toBe(100_000)
  })

  // Garbage in place of a compressed section is a CorruptBatchError naming the codec.
  it('reports undecodable compressed sections by codec', () => {
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const batch = encodeRecordBatch([{ value: 'hello world' }], { compression })
      batch.fill(0x55, BATCH_HEADER_BYTES, batch.length)
      expect(corruptMessage(() => decodeRecordBatch(withFreshCrc(batch)))).toMatch(new RegExp(`records section: ${compression}:`))
    }
  })

  // Bad arguments to the decoder are TypeErrors / RangeErrors, not corruption.
  it('refuses bad decoder arguments', () => {
    expect(() => decodeRecordBatch('abc' as never)).toThrow(TypeError)
    expect(() => decodeRecordBatch(good, { decompressedBytesMax: -1 })).toThrow(/decompressedBytesMax must be a non-negative integer/)
  })
})

describe('fuzzing the decoder', () => {
  /** Decoding either succeeds with every view inside the bytes, or throws CorruptBatchError. */
  function decodeSafely(batch: Uint8Array, verifyCrc: boolean): void {
    let decoded: DecodedBatch
    try {
      decoded = decodeRecordBatch(batch, { verifyCrc, decompressedBytesMax: 1 << 20 })
    } catch (error) {
      if (!(error instanceof CorruptBatchError)) throw error
      return
    }
    const size = decoded.bytes.length
    for (let i = 0; i < decoded.count; i++) {
      for (const [start, length] of [
        [decoded.keyStarts[i], decoded.keyLengths[i]],
        [decoded.valueStarts[i], decoded.valueLengths[i]],
      ]) {
        expect(length).toBeGreaterThanOrEqual(-1)
        expect(start + Math.max(length, 0)).toBeLessThanOrEqual(size)
      }
    }
    for (let h = 0; h < decoded.headerColumns.length; h += 4) {
      expect(decoded.headerColumns[h] + decoded.headerColumns[h + 1]).toBeLessThanOrEqual(size)
      expect(decoded.headerColumns[h + 2] + Math.max(decoded.headerColumns[h + 3], 0)).toBeLessThanOrEqual(size)
    }
    decoded.toRecords()
  }

  const seedArb = fc.record({
    records: fc.array(fc.record({ key: fc.option(bytesArb, { nil: null }), value: bytesArb, headers: fc.array(fc.record({ key: fc.string({ maxLength: 5 }), value: bytesArb }), { maxLength: 2 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
    compression: fc.constantFrom(...CODECS),
  })

  // Property: random mutations of valid batches (CRC fixed up so the record parser sees them) never escape as other errors or out-of-bounds views.
  it('survives mutated batches', () => {
    fc.assert(
      fc.property(seedArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.boolean(), ({ records, compression }, edits, fixCrc) => {
        const batch = encodeRecordBatch(records, { compression })
        for (const [position, byte] of edits) batch[BATCH_HEADER_BYTES - 4 + (position % (batch.length - BATCH_HEADER_BYTES + 4))] = byte
        decodeSafely(fixCrc ? withFreshCrc(batch) : batch, true)
        decodeSafely(batch, false)
      }),
      { numRuns: 600 },
    )
  })

  // Property: random bytes behind a plausible header (right length and magic) are refused or decoded within bounds.
  it('survives random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 20 }), (body, codec, count) => {
        const batch = new Uint8Array(BATCH_HEADER_BYTES + body.length)
        batch.set(body, BATCH_HEADER_BYTES)
        const view = new DataView(batch.buffer)
        view.setInt32(Offsets.batchLength, batch.length - 12)
        batch[Offsets.magic] = 2
        view.setInt16(Offsets.attributes, codec)
        view.setInt32(Offsets.lastOffsetDelta, Math.max(0, count - 1))
        view.setInt32(Offsets.recordCount, count)
        decodeSafely(withFreshCrc(batch), true)
        decodeSafely(body, false)
      }),
      { numRuns: 600 },
    )
  })
})
