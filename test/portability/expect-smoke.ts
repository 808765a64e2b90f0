// Shared assertions for the portability tests: a smoke report from another
// platform must carry the published hash vectors, values from independent
// implementations for a 64 KiB input, sketch answers within their error
// bounds, and exactly what the same checks produce under Node (through the
// package root).
import { expect } from 'vitest'
import xxhashWasm from 'xxhash-wasm'
import { createCRC32 } from 'hash-wasm'
import * as eddy from '../../src/index.js'
import { patternBytes, runSmoke, SKETCH_CLASS_NAMES, type SketchClassName, type SmokeReport, type SmokeTarget, type SmokeValue } from './fixtures/smoke.js'

/** Published vectors: Kafka's UtilsTest (murmur2), the xxHash and MurmurHash3 references, RFC 3720 (CRC-32C). */
const PUBLISHED_HASHES: Record<string, SmokeValue> = {
  murmur2_21: -973932308,
  murmur2_foobar_bytes: -790332482,
  defaultPartition_foobar_12: (-790332482 & 0x7fffffff) % 12,
  murmur3_32_hello: 0x248bfa47,
  xxhash32_empty: 0x02cc5d05,
  xxhash32_abc: 0x32d153ff,
  xxhash64_empty: 'ef46db3751d8e999',
  xxhash64_abc: '44bc2cf5ad770999',
  crc32c_123456789: 0xe3069283,
  crc32c_continued: 0xe3069283,
  murmur2Batch_packed: [-973932308, -790332482, 479470107],
  xxhash32Batch_strings: [0x02cc5d05, 0x32d153ff],
  xxhash64Batch_strings: ['ef46db3751d8e999', '44bc2cf5ad770999'],
  utf8_key_matches_bytes: true,
}

/** The 64 KiB + 3 input hashed by xxhash-wasm and hash-wasm, which share no code with us. */
async function independentBigHashes(): Promise<Record<string, SmokeValue>> {
  const big = patternBytes(64 * 1024 + 3)
  const xxw = await xxhashWasm()
  const crc = await createCRC32(0x82f63b78)
  const crcBig = new DataView(crc.init().update(big).digest('binary').buffer).getUint32(0)
  return {
    crc32c_big: crcBig,
    xxhash32_big: xxw.h32Raw(big),
    xxhash64_big: xxw.h64Raw(big).toString(16).padStart(16, '0'),
    crc32cBatch_mixed: [0xe3069283, crcBig],
  }
}

let nodeReport: SmokeReport | undefined
/** The smoke checks run here, under Node: the reference other platforms must match. */
export function nodeSmokeReport(): SmokeReport {
  nodeReport ??= runSmoke(eddy as unknown as SmokeTarget)
  return nodeReport
}

/** Rounds non-integers to 12 significant digits: engines may differ in a last bit of JS Math, not in anything that matters. */
function normalize(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toPrecision(12))
  if (Array.isArray(value)) return value.map(normalize)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]))
  return value
}

export async function expectSmokeReport(report: SmokeReport): Promise<void> {
  const reference = nodeSmokeReport()
  expect(report.hashes).toEqual({ ...PUBLISHED_HASHES, ...(await independentBigHashes()) })

  // All seven sketches have landed, so every one is required everywhere.
  expect(report.sketchesPresent).toEqual([...SKETCH_CLASS_NAMES])
  for (const name of SKETCH_CLASS_NAMES) expectSketchWithinBounds(name, report.sketches[name])

  // Same inputs, same deterministic kernels: every answer and every serialized byte agrees with Node.
  expect(normalize(report)).toEqual(normalize(reference))
}

function expectSketchWithinBounds(name: SketchClassName, result: Record<string, SmokeValue> | undefined): void {
  expect(result, `${name} results`).toBeDefined()
  const r = result as Record<string, SmokeValue>
  expect(typeof r.serializedCrc32c, `${name} serializes`).toBe('number')
  switch (name) {
    case 'BloomFilter':
      expect(r.everyAddedKeyFound).toBe(true)
      expect(r.everyAddedKeyFoundBatched).toBe(true)
      // Sized for a 1% false-positive rate; 3% of 10,000 probes is far outside its spread.
      expect(r.falsePositivesOf10000).toBeLessThan(300)
      break
    case 'HyperLogLog':
      // Precision 12: standard error 1.6%, so 5% is over three standard errors.
      expect(Math.abs((r.countOf20000 as number) - 20_000)).toBeLessThan(1000)
      break
    case 'CountMinSketch':
      // Never under-counts; over-counts by at most εN = 0.01 × 1,100 (with probability 1 − δ).
      expect(r.hotEstimate).toBeGreaterThanOrEqual(100)
      expect(r.hotEstimate).toBeLessThanOrEqual(111)
      expect(r.coldEstimate).toBeGreaterThanOrEqual(1)
      expect(r.absentEstimate).toBeLessThanOrEqual(11)
      break
    case 'HeavyHitters': {
      // Misra–Gries with 10 counters over N = 350: counts are at most N / 11 ≈ 32 low.
      expect(r.topItems).toEqual(['a', 'b'])
      const [a, b] = r.topCounts as number[]
      expect(a).toBeGreaterThanOrEqual(110 - 32)
      expect(a).toBeLessThanOrEqual(110)
      expect(b).toBeGreaterThanOrEqual(40 - 32)
      expect(b).toBeLessThanOrEqual(40)
      break
    }
    case 'QuantileSketch':
      // k = 200 keeps rank error well under 2% of 10,000 values.
      expect(Math.abs((r.median as number) - 5000)).toBeLessThan(200)
      expect(Math.abs((r.p99 as number) - 9900)).toBeLessThan(200)
      expect(r.min).toBeLessThanOrEqual(200)
      expect(r.max).toBeGreaterThanOrEqual(9800)
      break
    case 'ReservoirSampler': {
      const sample = r.sample as string[]
      expect(sample).toHaveLength(16)
      expect(new Set(sample).size).toBe(16)
      for (const item of sample) expect(item).toMatch(/^r(\d|[1-9]\d{1,2})$/)
      break
    }
    case 'DecayingAggregate':
      expect(r.averageOfConstant5).toBeCloseTo(5, 9)
      break
  }
}
