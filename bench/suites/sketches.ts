// Sketch update cost beside the JS sketch libraries people use today
// (bloom-filters, hyperloglog-lite, tdigest) and beside the limit that matters
// for a keyed sketch in a stream: one xxhash-wasm `h32` call on the same key.
// A sketch update must hash the key and touch a few words of state, so if it
// costs at most 2× one h32 call per item (ratio >= 0.5) the sketch itself is
// nearly free, and its batched form should beat per-key h32 outright (>= 1.0).
//
// Every task handles exactly 1,000 items per iteration, cycling through the
// same pool of 4,000 distinct 16-character keys (4 windows of 1,000), so we and
// the peers hash identical strings with the same per-iteration overhead.
//
// The sketch classes are being written alongside this suite; it loads them by
// name and reports (rather than fails on) any that are not exported yet.
import { createRequire } from 'node:module'
import xxhashWasm from 'xxhash-wasm'
import { rateRow, type BenchRow } from '../lib.js'
import { bestOpsPerSecond } from '../best-of.js'
import type { KeyBatch, PackedKeys } from '../../src/index.js'

const require = createRequire(import.meta.url)
const bloomFilters = require('bloom-filters') as typeof import('bloom-filters')
interface HyperLogLogLite {
  add(hash: number[]): void
  count(): number
}
const hyperloglogLite = require('hyperloglog-lite') as { (n: number): HyperLogLogLite; hash(value: string): number[] }
interface TDigestPeer {
  push(x: number): void
  percentile(p: number): number
}
const { TDigest } = require('tdigest') as { TDigest: new () => TDigestPeer }

type Key = string | Uint8Array
interface BloomFilterApi {
  add(key: Key): void
  has(key: Key): boolean
  addMany(keys: KeyBatch): void
  hasMany(keys: KeyBatch): ArrayLike<number | boolean>
}
interface HyperLogLogApi {
  add(key: Key): void
  addMany(keys: KeyBatch): void
  count(): number
}
interface CountMinSketchApi {
  add(key: Key): void
  addMany(keys: KeyBatch): void
  estimate(key: Key): number
}
interface HeavyHittersApi {
  add(key: Key): void
  addMany(keys: KeyBatch): void
  top(n: number): ArrayLike<unknown>
}
interface QuantileSketchApi {
  add(value: number): void
  addMany(values: Float64Array): void
  quantile(q: number): number
}
interface ReservoirSamplerApi {
  add(item: Key): void
  addMany(items: readonly Key[]): void
  sample(): ArrayLike<unknown>
}
interface DecayingAggregateApi {
  add(value: number): void
  addMany(values: Float64Array): void
  average(): number
}
/** The slice of the package root this suite uses; each class may not exist yet. */
interface SketchExports {
  BloomFilter?: new (options: { expectedItems: number; falsePositiveRate: number }) => BloomFilterApi
  HyperLogLog?: new (options: { precision: number }) => HyperLogLogApi
  CountMinSketch?: new (options: { epsilon: number; delta: number }) => CountMinSketchApi
  HeavyHitters?: new (options: { capacity: number }) => HeavyHittersApi
  QuantileSketch?: new (options: { k: number; seed?: number }) => QuantileSketchApi
  ReservoirSampler?: new (options: { size: number; seed: number }) => ReservoirSamplerApi
  DecayingAggregate?: new (options: { lambda: number }) => DecayingAggregateApi
}

const ITEMS_PER_ITERATION = 1000
const WINDOW_COUNT = 4
const KEY_POOL_SIZE = ITEMS_PER_ITERATION * WINDOW_COUNT
const KEY_CHARS = 16
const BENCH_TIME_MS = 350

// Sketch sizes: the same shape on both sides of every comparison.
const BLOOM_EXPECTED_ITEMS = 100_000
const BLOOM_FALSE_POSITIVE_RATE = 0.01
const HLL_PRECISION = 14
const CMS_EPSILON = 0.001
const CMS_DELTA = 0.01
const TOP_K = 100
const QUANTILE_K = 200
const RESERVOIR_SIZE = 1000
const DECAY_LAMBDA = 0.01

const TARGET_VS_BLOOM_FILTERS = '>= 50x'
const TARGET_PER_ITEM_VS_H32 = '>= 0.5x'
const TARGET_BATCH_VS_H32 = '>= 1.0x'

// Results land here so no call is dead code. Tasks fold results into a local and
// publish once per iteration (a module variable would box every write).
let sink = 0

/** Distinct, deterministic 16-character ASCII keys: a readable prefix and a scrambled tail. */
function keyPool(): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const keys: string[] = []
  let x = 0x2545f491
  for (let i = 0; i < KEY_POOL_SIZE; i++) {
    let tail = ''
    for (let c = 0; c < 6; c++) {
      x ^= x << 13
      x >>>= 0
      x ^= x >>> 17
      x ^= x << 5
      x >>>= 0
      tail += alphabet[x % alphabet.length]
    }
    keys.push(`key:${i.toString(36).padStart(5, '0')}:${tail}`)
  }
  if (new Set(keys).size !== KEY_POOL_SIZE || keys.some((k) => k.length !== KEY_CHARS)) throw new Error('key pool must hold distinct 16-char keys')
  return keys
}

function pack(keys: readonly string[]): PackedKeys {
  const encoder = new TextEncoder()
  const parts = keys.map((k) => encoder.encode(k))
  const offsets = new Uint32Array(parts.length + 1)
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i] + parts[i].length
  const bytes = new Uint8Array(offsets[parts.length])
  parts.forEach((p, i) => bytes.set(p, offsets[i]))
  return { bytes, offsets }
}

interface Workload {
  windows: string[][]
  packedWindows: PackedKeys[]
  valueWindows: Float64Array[]
}

function workload(): Workload {
  const keys = keyPool()
  const windows = Array.from({ length: WINDOW_COUNT }, (_, w) => keys.slice(w * ITEMS_PER_ITERATION, (w + 1) * ITEMS_PER_ITERATION))
  let x = 0x9e3779b9
  const valueWindows = Array.from({ length: WINDOW_COUNT }, () =>
    Float64Array.from({ length: ITEMS_PER_ITERATION }, () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0
      // Log-normal-ish latencies in milliseconds: the shape quantile sketches are built for.
      return Math.exp((x / 2 ** 32) * 6)
    }),
  )
  return { windows, packedWindows: windows.map(pack), valueWindows }
}

/** A task that gets the next window index each iteration. */
function cycling(body: (window: number) => void): () => void {
  let window = 0
  return () => {
    body(window)
    window = (window + 1) % WINDOW_COUNT
  }
}

type H32 = (input: string, seed?: number) => number

/** Per-key h32 over a window: the limit every keyed sketch is measured against. */
function h32Task(h32: H32, windows: string[][]): () => void {
  return cycling((w) => {
    const keys = windows[w]
    let acc = 0
    for (let i = 0; i < ITEMS_PER_ITERATION; i++) acc ^= h32(keys[i])
    sink ^= acc
  })
}

/**
 * Per-item, batched-string and (for sketches that hash keys in Wasm) batched
 * packed-bytes update tasks for a keyed sketch.
 */
function keyedTasks(load: Workload, add: (key: string) => void, addMany: (keys: KeyBatch) => void, takesPacked = true): Record<string, () => void> {
  const tasks: Record<string, () => void> = {
    oursPerItem: cycling((w) => {
      const keys = load.windows[w]
      for (let i = 0; i < ITEMS_PER_ITERATION; i++) add(keys[i])
    }),
    oursBatch: cycling((w) => addMany(load.windows[w])),
  }
  if (takesPacked) tasks.oursBatchPacked = cycling((w) => addMany(load.packedWindows[w]))
  return tasks
}

/** Rows every keyed sketch reports against the h32 limit. */
function limitRows(name: string, verb: string, ops: Record<string, number>): BenchRow[] {
  const items = (task: string) => ops[task] * ITEMS_PER_ITERATION
  return [
    rateRow(`${name} ${verb}, per item`, 'items/s', items('oursPerItem'), items('h32'), 'xxhash-wasm h32 per key (limit)', TARGET_PER_ITEM_VS_H32),
    rateRow(`${name} ${verb}Many, 1,000 string keys`, 'items/s', items('oursBatch'), items('h32'), 'xxhash-wasm h32 per key (limit)', TARGET_BATCH_VS_H32),
  ].concat(
    ops.oursBatchPacked === undefined
      ? []
      : [rateRow(`${name} ${verb}Many, 1,000 packed keys`, 'items/s', items('oursBatchPacked'), items('h32'), 'xxhash-wasm h32 per key (limit)', TARGET_BATCH_VS_H32)],
  )
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`sketches bench sanity check failed: ${message}`)
}

export async function run(): Promise<BenchRow[]> {
  const eddy = (await import('../../src/index.js')) as unknown as SketchExports
  const h32 = (await xxhashWasm()).h32
  const load = workload()
  const rows: BenchRow[] = []
  const missing: string[] = []
  const items = (ops: Record<string, number>, task: string) => ops[task] * ITEMS_PER_ITERATION

  if (eddy.BloomFilter) {
    const ours = new eddy.BloomFilter({ expectedItems: BLOOM_EXPECTED_ITEMS, falsePositiveRate: BLOOM_FALSE_POSITIVE_RATE })
    const peer = bloomFilters.BloomFilter.create(BLOOM_EXPECTED_ITEMS, BLOOM_FALSE_POSITIVE_RATE)
    const ops = await bestOpsPerSecond(
      {
        ...keyedTasks(load, (k) => ours.add(k), (k) => ours.addMany(k)),
        oursHasPerItem: cycling((w) => {
          const keys = load.windows[w]
          let found = 0
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) if (ours.has(keys[i])) found++
          sink ^= found
        }),
        oursHasMany: cycling((w) => {
          sink ^= Number(ours.hasMany(load.windows[w])[ITEMS_PER_ITERATION - 1])
        }),
        peer: cycling((w) => {
          const keys = load.windows[w]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) peer.add(keys[i])
        }),
        h32: h32Task(h32, load.windows),
      },
      BENCH_TIME_MS,
    )
    check(load.windows.every((keys) => keys.every((k) => ours.has(k))), 'BloomFilter lost a key it was given')
    rows.push(
      rateRow('BloomFilter add, per item', 'items/s', items(ops, 'oursPerItem'), items(ops, 'peer'), 'bloom-filters BloomFilter.add', TARGET_VS_BLOOM_FILTERS),
      ...limitRows('BloomFilter', 'add', ops),
      rateRow('BloomFilter has, per item', 'items/s', items(ops, 'oursHasPerItem'), items(ops, 'h32'), 'xxhash-wasm h32 per key (limit)'),
      rateRow('BloomFilter hasMany, 1,000 string keys', 'items/s', items(ops, 'oursHasMany'), items(ops, 'h32'), 'xxhash-wasm h32 per key (limit)'),
    )
  } else missing.push('BloomFilter')

  if (eddy.HyperLogLog) {
    const ours = new eddy.HyperLogLog({ precision: HLL_PRECISION })
    const peer = new bloomFilters.HyperLogLog(2 ** HLL_PRECISION)
    const lite = hyperloglogLite(HLL_PRECISION)
    const ops = await bestOpsPerSecond(
      {
        ...keyedTasks(load, (k) => ours.add(k), (k) => ours.addMany(k)),
        peer: cycling((w) => {
          const keys = load.windows[w]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) peer.update(keys[i])
        }),
        lite: cycling((w) => {
          const keys = load.windows[w]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) lite.add(hyperloglogLite.hash(keys[i]))
        }),
        h32: h32Task(h32, load.windows),
      },
      BENCH_TIME_MS,
    )
    const estimate = ours.count()
    check(Math.abs(estimate - KEY_POOL_SIZE) / KEY_POOL_SIZE < 0.05, `HyperLogLog estimated ${estimate} for ${KEY_POOL_SIZE} distinct keys`)
    rows.push(
      rateRow('HyperLogLog add, per item', 'items/s', items(ops, 'oursPerItem'), items(ops, 'peer'), 'bloom-filters HyperLogLog.update', TARGET_VS_BLOOM_FILTERS),
      rateRow('HyperLogLog add, per item', 'items/s', items(ops, 'oursPerItem'), items(ops, 'lite'), 'hyperloglog-lite hash + add', '>= 5x'),
      ...limitRows('HyperLogLog', 'add', ops),
    )
  } else missing.push('HyperLogLog')

  if (eddy.CountMinSketch) {
    const ours = new eddy.CountMinSketch({ epsilon: CMS_EPSILON, delta: CMS_DELTA })
    // bloom-filters names δ "accuracy" but uses it as δ: rows = ceil(ln(1 / accuracy)).
    const peer = bloomFilters.CountMinSketch.create(CMS_EPSILON, CMS_DELTA)
    const ops = await bestOpsPerSecond(
      {
        ...keyedTasks(load, (k) => ours.add(k), (k) => ours.addMany(k)),
        peer: cycling((w) => {
          const keys = load.windows[w]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) peer.update(keys[i])
        }),
        h32: h32Task(h32, load.windows),
      },
      BENCH_TIME_MS,
    )
    check(ours.estimate(load.windows[0][0]) >= 1, 'CountMinSketch under-counted a key it was given')
    rows.push(
      rateRow('CountMinSketch add, per item', 'items/s', items(ops, 'oursPerItem'), items(ops, 'peer'), 'bloom-filters CountMinSketch.update', TARGET_VS_BLOOM_FILTERS),
      ...limitRows('CountMinSketch', 'add', ops),
    )
  } else missing.push('CountMinSketch')

  if (eddy.HeavyHitters) {
    const ours = new eddy.HeavyHitters({ capacity: TOP_K })
    const peer = new bloomFilters.TopK(TOP_K, CMS_EPSILON, CMS_DELTA)
    const ops = await bestOpsPerSecond(
      {
        ...keyedTasks(load, (k) => ours.add(k), (k) => ours.addMany(k)),
        peer: cycling((w) => {
          const keys = load.windows[w]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) peer.add(keys[i])
        }),
        h32: h32Task(h32, load.windows),
      },
      BENCH_TIME_MS,
    )
    check(ours.top(10).length > 0, 'HeavyHitters reported no heavy hitters')
    rows.push(
      rateRow('HeavyHitters add, per item', 'items/s', items(ops, 'oursPerItem'), items(ops, 'peer'), 'bloom-filters TopK.add (Count-Min + heap)'),
      ...limitRows('HeavyHitters', 'add', ops),
    )
  } else missing.push('HeavyHitters')

  if (eddy.ReservoirSampler) {
    const ours = new eddy.ReservoirSampler({ size: RESERVOIR_SIZE, seed: 42 })
    const ops = await bestOpsPerSecond(
      {
        // The sampler keeps JS values and never hashes them, so it takes arrays, not packed bytes.
        ...keyedTasks(load, (k) => ours.add(k), (k) => ours.addMany(k as readonly string[]), false),
        h32: h32Task(h32, load.windows),
      },
      BENCH_TIME_MS,
    )
    check(ours.sample().length === RESERVOIR_SIZE, `ReservoirSampler holds ${ours.sample().length} items, expected ${RESERVOIR_SIZE}`)
    rows.push(...limitRows('ReservoirSampler', 'add', ops))
  } else missing.push('ReservoirSampler')

  if (eddy.QuantileSketch) {
    const ours = new eddy.QuantileSketch({ k: QUANTILE_K, seed: 42 })
    const peer = new TDigest()
    const ops = await bestOpsPerSecond(
      {
        oursPerItem: cycling((w) => {
          const values = load.valueWindows[w]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) ours.add(values[i])
        }),
        oursBatch: cycling((w) => ours.addMany(load.valueWindows[w])),
        peer: cycling((w) => {
          const values = load.valueWindows[w]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) peer.push(values[i])
        }),
      },
      BENCH_TIME_MS,
    )
    const median = ours.quantile(0.5)
    const peerMedian = peer.percentile(0.5)
    check(Math.abs(median - peerMedian) / peerMedian < 0.1, `QuantileSketch median ${median} is far from tdigest's ${peerMedian}`)
    rows.push(
      rateRow('QuantileSketch add, per item', 'items/s', items(ops, 'oursPerItem'), items(ops, 'peer'), 'tdigest push', '>= 5x'),
      rateRow('QuantileSketch addMany, 1,000 values', 'items/s', items(ops, 'oursBatch'), items(ops, 'peer'), 'tdigest push', '>= 5x'),
    )
  } else missing.push('QuantileSketch')

  if (eddy.DecayingAggregate) {
    const ours = new eddy.DecayingAggregate({ lambda: DECAY_LAMBDA })
    // No npm peer: the floor is the same per-element arithmetic done inline in
    // JS (decay sum, weight and M2 by 1 − λ, then West's weighted update),
    // which no call into Wasm can beat per item; batches should approach it.
    const retain = 1 - DECAY_LAMBDA
    // Kept in locals inside the loop: doubles in closure variables would be boxed on every write.
    const inlineState = new Float64Array(3)
    const ops = await bestOpsPerSecond(
      {
        oursPerItem: cycling((w) => {
          const values = load.valueWindows[w]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) ours.add(values[i])
        }),
        oursBatch: cycling((w) => ours.addMany(load.valueWindows[w])),
        inline: cycling((w) => {
          const values = load.valueWindows[w]
          let sum = inlineState[0]
          let weight = inlineState[1]
          let m2 = inlineState[2]
          for (let i = 0; i < ITEMS_PER_ITERATION; i++) {
            const x = values[i]
            sum *= retain
            weight *= retain
            m2 *= retain
            const meanBefore = weight > 0 ? sum / weight : 0
            sum += x
            weight += 1
            m2 += (x - meanBefore) * (x - sum / weight)
          }
          inlineState[0] = sum
          inlineState[1] = weight
          inlineState[2] = m2
        }),
      },
      BENCH_TIME_MS,
    )
    check(Number.isFinite(ours.average()), 'DecayingAggregate average is not finite')
    sink ^= inlineState[2] > 0 ? 1 : 0
    rows.push(
      rateRow('DecayingAggregate add, per item', 'items/s', items(ops, 'oursPerItem'), items(ops, 'inline'), 'same arithmetic inline in JS (floor)'),
      rateRow('DecayingAggregate addMany, 1,000 values', 'items/s', items(ops, 'oursBatch'), items(ops, 'inline'), 'same arithmetic inline in JS (floor)'),
    )
  } else missing.push('DecayingAggregate')

  if (missing.length > 0) console.log(`sketches not exported yet (cases skipped): ${missing.join(', ')}`)
  if (sink === 0x5eed) console.log('(sink)')
  return rows
}
