// Proves encodeRecordColumns (the producer's encoder: records as columns,
// written straight into their final layout) gives exactly the bytes of
// encodeRecordBatch over the same records, and refuses bad input with the same
// errors, for every codec.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { encodeRecordBatch, encodeRecordColumns, type EncodeOptions, type RecordColumns, type RecordInput } from '../../src/log/record-batch.js'
import { zstdReady } from '../../src/log/compression/index.js'

// Records without a timestamp take Date.now() at the encode call: pin it so both encoders see the same.
beforeAll(async () => {
  await zstdReady()
  vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000)
})
afterAll(() => vi.restoreAllMocks())

function columns(records: readonly RecordInput[]): RecordColumns {
  const withHeaders = records.some((r) => r.headers !== undefined)
  return {
    count: records.length,
    keys: records.map((r) => r.key),
    values: records.map((r) => r.value),
    timestamps: records.map((r) => r.timestamp),
    headers: withHeaders ? records.map((r) => r.headers) : undefined,
  }
}

function outcome(encode: () => Uint8Array): { bytes: number[] } | { error: string } {
  try {
    return { bytes: [...encode()] }
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` }
  }
}

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: 60, maxLength: 70 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constant('\ud800 lone surrogate'),
  fc.constant('x'.repeat(62) + '\u20ac'),
)
const bytes = fc.oneof(fc.uint8Array({ maxLength: 30 }), fc.uint8Array({ minLength: 100, maxLength: 300 }))
const data = fc.oneof(text, bytes, fc.constant(null))
const timestamp = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.constant(-Number.MAX_SAFE_INTEGER),
  fc.integer({ min: -1e15, max: 1e15 }),
)
const record = fc.record(
  {
    key: fc.oneof(data, fc.constant(undefined)),
    value: data,
    timestamp,
    headers: fc.array(fc.record({ key: text, value: data }), { maxLength: 3 }),
  },
  { requiredKeys: ['value'] },
)
const options = fc.record(
  {
    compression: fc.constantFrom('none', 'none', 'gzip', 'snappy', 'lz4', 'zstd'),
    baseTimestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
    producerId: fc.integer({ min: 0, max: 1e9 }),
    producerEpoch: fc.integer({ min: 0, max: 100 }),
    baseSequence: fc.integer({ min: 0, max: 1e6 }),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<EncodeOptions>

describe('encodeRecordColumns', () => {
  it('writes the bytes encodeRecordBatch writes, whatever the records and options', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), options, (records, opts) => {
        expect(outcome(() => encodeRecordColumns(columns(records), opts))).toEqual(outcome(() => encodeRecordBatch(records, opts)))
      }),
      { numRuns: 400 },
    )
  })

  it('matches it on long batches of the common shape (offset deltas past one varint byte)', () => {
    const simple = fc.record({
      key: fc.oneof(fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 40 }), fc.constant(null)),
      value: fc.oneof(fc.uint8Array({ maxLength: 120 }), fc.string({ maxLength: 63 }), fc.constant(null)),
      timestamp: fc.integer({ min: 1_699_999_000_000, max: 1_700_001_000_000 }),
    })
    fc.assert(
      fc.property(fc.array(simple, { minLength: 1, maxLength: 300 }), (records) => {
        expect(outcome(() => encodeRecordColumns(columns(records)))).toEqual(outcome(() => encodeRecordBatch(records)))
      }),
      { numRuns: 100 },
    )
  })

  it('refuses bad records with the errors encodeRecordBatch gives', () => {
    const bad = [
      [{ key: 5, value: null }],
      [{ value: undefined }],
      [{ value: 'x', timestamp: 1.5 }],
      [{ value: 'x', headers: 'no' }],
      [{ value: 'x', headers: [null] }],
      [{ value: 'x', headers: [{ key: 3, value: null }] }],
      [{ value: 'x', headers: [{ key: 'k', value: 7 }] }],
      [{ value: 'a' }, { value: new Uint8Array(17 * 1024 * 1024) }],
      [{ value: new Uint8Array(9 * 1024 * 1024) }, { value: new Uint8Array(8 * 1024 * 1024) }],
      [{ value: new Uint8Array(16 * 1024 * 1024 - 10) }],
      [],
    ] as unknown as RecordInput[][]
    for (const records of bad) {
      for (const compression of ['none', 'gzip'] as const) {
        expect(outcome(() => encodeRecordColumns(columns(records), { compression }))).toEqual(outcome(() => encodeRecordBatch(records, { compression })))
      }
    }
    expect(outcome(() => encodeRecordColumns(columns([{ value: 'x' }]), { baseTimestamp: 1.5 }))).toEqual(outcome(() => encodeRecordBatch([{ value: 'x' }], { baseTimestamp: 1.5 })))
  })

  it('writes into the memory allocate() provides', () => {
    const target = new Uint8Array(4096)
    let asked = 0
    const batch = encodeRecordColumns(columns([{ key: 'k', value: 'v', timestamp: 1 }]), {}, (size) => target.subarray(0, (asked = size)))
    expect(batch.buffer).toBe(target.buffer)
    expect(batch.length).toBe(asked)
    expect([...batch]).toEqual([...encodeRecordBatch([{ key: 'k', value: 'v', timestamp: 1 }])])
  })
})
