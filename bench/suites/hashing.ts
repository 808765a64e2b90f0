// Hash throughput beside the hashes people would otherwise reach for in JS:
// xxhash-wasm and hash-wasm (both Wasm, both copy input into their own memory,
// as we do), and kafkajs's pure-JS CRC32C and murmur2 (what a Kafka client in
// Node pays today). Every task does a fixed amount of work per iteration
// (≈ 16–64 KiB of input, or 1,000 keys) so tinybench's per-call overhead is the
// same small share for us and the peer.
import { createRequire } from 'node:module'
import xxhashWasm from 'xxhash-wasm'
import { createCRC32, createXXHash32, createXXHash64 } from 'hash-wasm'
import { pseudoRandomBytes, rateRow, type BenchRow } from '../lib.js'
import { bestOpsPerSecond } from '../best-of.js'
import { crc32c, murmur2, xxhash32, xxhash32Batch, xxhash64, type PackedKeys } from '../../src/index.js'
import { core, wasmAlloc, heapU8 } from '../../src/wasm/core.js'

const require = createRequire(import.meta.url)
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Uint8Array) => number
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number

const CRC32C_POLYNOMIAL_REFLECTED = 0x82f63b78
const SIZES = [16, 64, 1024, 64 * 1024]
/** Input bytes hashed per bench iteration (before rounding to whole inputs). */
const BYTES_PER_ITERATION = 64 * 1024
const CALLS_PER_ITERATION_MAX = 1000
const KEYS_PER_BATCH = 1000
const KEY_BYTES = 16
const BENCH_TIME_MS = 350

// Results land here so no engine can drop a call as dead code. Tasks fold
// results into a local and publish once per iteration: a module variable holding
// a non-Smi number is boxed on every write, an allocation per call that would
// blur the difference between us and the peer.
let sink = 0
let sinkBig = 0n


/** Distinct inputs of `size` bytes, each on its own Buffer (kafkajs's murmur2 only hashes Buffers as bytes). */
function inputsOf(size: number): Buffer[] {
  const count = Math.max(1, Math.min(CALLS_PER_ITERATION_MAX, Math.floor(BYTES_PER_ITERATION / size)))
  return Array.from({ length: count }, (_, i) => Buffer.from(pseudoRandomBytes(size, 0x9e3779b1 ^ (i + 1) * 7919 ^ size)))
}

const mbPerSecond = (opsPerSec: number, bytesPerOp: number) => (opsPerSec * bytesPerOp) / 1e6

export async function run(): Promise<BenchRow[]> {
  const xxw = await xxhashWasm()
  const hwXxh32 = await createXXHash32(0)
  const hwXxh64 = await createXXHash64(0, 0)
  const hwCrc32c = await createCRC32(CRC32C_POLYNOMIAL_REFLECTED)
  checkPeersAgree(xxw, hwXxh32, hwXxh64, hwCrc32c)

  const rows: BenchRow[] = []
  for (const size of SIZES) {
    const inputs = inputsOf(size)
    const bytesPerIteration = inputs.length * size
    const sizeName = size >= 1024 ? `${size / 1024} KiB` : `${size} B`
    const ops = await bestOpsPerSecond(
      {
        oursXxh32: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= xxhash32(inputs[i])
          sink ^= acc
        },
        xxwH32Raw: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= xxw.h32Raw(inputs[i])
          sink ^= acc
        },
        hwXxh32: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= hwXxh32.init().update(inputs[i]).digest('binary')[0]
          sink ^= acc
        },
        oursXxh64: () => {
          let last = 0n
          for (let i = 0; i < inputs.length; i++) last = xxhash64(inputs[i])
          sinkBig ^= last
        },
        xxwH64Raw: () => {
          let last = 0n
          for (let i = 0; i < inputs.length; i++) last = xxw.h64Raw(inputs[i])
          sinkBig ^= last
        },
        hwXxh64: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= hwXxh64.init().update(inputs[i]).digest('binary')[0]
          sink ^= acc
        },
        oursCrc32c: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= crc32c(inputs[i])
          sink ^= acc
        },
        hwCrc32c: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= hwCrc32c.init().update(inputs[i]).digest('binary')[0]
          sink ^= acc
        },
        kafkajsCrc32c: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= kafkajsCrc32c(inputs[i])
          sink ^= acc
        },
        oursMurmur2: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= murmur2(inputs[i])
          sink ^= acc
        },
        kafkajsMurmur2: () => {
          let acc = 0
          for (let i = 0; i < inputs.length; i++) acc ^= kafkajsMurmur2(inputs[i])
          sink ^= acc
        },
      },
      BENCH_TIME_MS,
    )
    const mb = (name: string) => mbPerSecond(ops[name], bytesPerIteration)
    const big = size === 64 * 1024
    rows.push(
      rateRow(`xxhash32 ${sizeName}`, 'MB/s', mb('oursXxh32'), mb('xxwH32Raw'), 'xxhash-wasm h32Raw'),
      rateRow(`xxhash32 ${sizeName}`, 'MB/s', mb('oursXxh32'), mb('hwXxh32'), 'hash-wasm xxhash32'),
      rateRow(`xxhash64 ${sizeName}`, 'MB/s', mb('oursXxh64'), mb('xxwH64Raw'), 'xxhash-wasm h64Raw'),
      rateRow(`xxhash64 ${sizeName}`, 'MB/s', mb('oursXxh64'), mb('hwXxh64'), 'hash-wasm xxhash64', big ? '>= 0.9x' : undefined),
      rateRow(`crc32c ${sizeName}`, 'MB/s', mb('oursCrc32c'), mb('hwCrc32c'), 'hash-wasm crc32(0x82f63b78)', big ? '>= 1.0x' : undefined),
      rateRow(`crc32c ${sizeName}`, 'MB/s', mb('oursCrc32c'), mb('kafkajsCrc32c'), 'kafkajs crc32C', big ? '>= 4x' : undefined),
      rateRow(`murmur2 ${sizeName}`, 'MB/s', mb('oursMurmur2'), mb('kafkajsMurmur2'), 'kafkajs murmur2'),
    )
    if (big) rows.push(...(await kernelOnlyRows(inputs[0], mb('hwXxh64'), mb('hwCrc32c'))))
  }
  rows.push(...(await keyRows(xxw)))
  if (sink === 0x5eed && sinkBig === 0x5eedn) console.log('(sink)')
  return rows
}

/**
 * The 64 KiB cases with the input already in Wasm memory: the kernel alone,
 * so the report can say how much of the single-call time is the copy in.
 */
async function kernelOnlyRows(input: Uint8Array, hashWasmXxh64MbPerSecond: number, hashWasmCrc32cMbPerSecond: number): Promise<BenchRow[]> {
  const ptr = wasmAlloc(input.length)
  heapU8.set(input, ptr)
  const scratch = new Uint8Array(input.length)
  const ops = await bestOpsPerSecond(
    {
      xxh64Kernel: () => {
        sinkBig ^= core.xxhash64(ptr, input.length, 0n)
      },
      crc32cKernel: () => {
        sink ^= core.crc32c(ptr, input.length, 0)
      },
      copyIn: () => {
        // What writeKey pays before the kernel runs: one 64 KiB copy into linear memory.
        heapU8.set(input, ptr)
      },
      copyBetweenJsArrays: () => {
        scratch.set(input)
      },
    },
    BENCH_TIME_MS,
  )
  const mb = (name: string) => mbPerSecond(ops[name], input.length)
  return [
    rateRow('xxhash64 64 KiB, kernel only (input already in Wasm)', 'MB/s', mb('xxh64Kernel'), hashWasmXxh64MbPerSecond, 'hash-wasm xxhash64 (with copy)'),
    rateRow('crc32c 64 KiB, kernel only (input already in Wasm)', 'MB/s', mb('crc32cKernel'), hashWasmCrc32cMbPerSecond, 'hash-wasm crc32c (with copy)'),
    rateRow('copy 64 KiB into Wasm memory (TypedArray.set)', 'MB/s', mb('copyIn'), mb('copyBetweenJsArrays'), 'copy between JS Uint8Arrays'),
  ]
}

/** Many short keys: the partitioner's and the sketches' workload. */
async function keyRows(xxw: Awaited<ReturnType<typeof xxhashWasm>>): Promise<BenchRow[]> {
  const packedBytes = pseudoRandomBytes(KEYS_PER_BATCH * KEY_BYTES, 0xc0ffee)
  const offsets = new Uint32Array(KEYS_PER_BATCH + 1)
  for (let i = 0; i <= KEYS_PER_BATCH; i++) offsets[i] = i * KEY_BYTES
  const packed: PackedKeys = { bytes: packedBytes, offsets }
  const keyArrays = Array.from({ length: KEYS_PER_BATCH }, (_, i) => packedBytes.slice(i * KEY_BYTES, (i + 1) * KEY_BYTES))
  const stringKeys = Array.from({ length: KEYS_PER_BATCH }, (_, i) => `key-${i.toString(36).padStart(6, '0')}-abcde`.slice(0, 16))
  if (stringKeys.some((k) => k.length !== 16)) throw new Error('string keys must be 16 characters')
  const expected = xxhash32Batch(packed)
  for (let i = 0; i < KEYS_PER_BATCH; i++) {
    if (expected[i] !== xxw.h32Raw(keyArrays[i])) throw new Error(`xxhash32Batch disagrees with xxhash-wasm on key ${i}`)
    if (xxhash32(stringKeys[i]) !== xxw.h32(stringKeys[i])) throw new Error(`xxhash32 disagrees with xxhash-wasm on "${stringKeys[i]}"`)
  }

  const ops = await bestOpsPerSecond(
    {
      oursBatchPacked: () => {
        sink ^= xxhash32Batch(packed)[KEYS_PER_BATCH - 1]
      },
      oursBatchArray: () => {
        sink ^= xxhash32Batch(keyArrays)[KEYS_PER_BATCH - 1]
      },
      oursPerKeyBytes: () => {
        let acc = 0
        for (let i = 0; i < KEYS_PER_BATCH; i++) acc ^= xxhash32(keyArrays[i])
        sink ^= acc
      },
      xxwPerKeyBytes: () => {
        let acc = 0
        for (let i = 0; i < KEYS_PER_BATCH; i++) acc ^= xxw.h32Raw(keyArrays[i])
        sink ^= acc
      },
      oursPerKeyString: () => {
        let acc = 0
        for (let i = 0; i < KEYS_PER_BATCH; i++) acc ^= xxhash32(stringKeys[i])
        sink ^= acc
      },
      xxwPerKeyString: () => {
        let acc = 0
        for (let i = 0; i < KEYS_PER_BATCH; i++) acc ^= xxw.h32(stringKeys[i])
        sink ^= acc
      },
      oursBatchStrings: () => {
        sink ^= xxhash32Batch(stringKeys)[KEYS_PER_BATCH - 1]
      },
    },
    BENCH_TIME_MS,
  )
  const keys = (name: string) => ops[name] * KEYS_PER_BATCH
  return [
    rateRow('xxhash32 16 B keys, batch of 1,000 packed', 'keys/s', keys('oursBatchPacked'), keys('xxwPerKeyBytes'), 'xxhash-wasm h32Raw per key', '>= 5x'),
    rateRow('xxhash32 16 B keys, batch of 1,000 Uint8Arrays', 'keys/s', keys('oursBatchArray'), keys('xxwPerKeyBytes'), 'xxhash-wasm h32Raw per key'),
    rateRow('xxhash32 16 B keys, one call per key', 'keys/s', keys('oursPerKeyBytes'), keys('xxwPerKeyBytes'), 'xxhash-wasm h32Raw per key'),
    rateRow('xxhash32 16-char string keys, one call per key', 'keys/s', keys('oursPerKeyString'), keys('xxwPerKeyString'), 'xxhash-wasm h32(string)'),
    rateRow('xxhash32 16-char string keys, batch of 1,000', 'keys/s', keys('oursBatchStrings'), keys('xxwPerKeyString'), 'xxhash-wasm h32(string)'),
  ]
}

/** Fails fast if a peer computes something other than what we compare it with. */
function checkPeersAgree(
  xxw: Awaited<ReturnType<typeof xxhashWasm>>,
  hwXxh32: Awaited<ReturnType<typeof createXXHash32>>,
  hwXxh64: Awaited<ReturnType<typeof createXXHash64>>,
  hwCrc32c: Awaited<ReturnType<typeof createCRC32>>,
): void {
  const sample = Buffer.from(pseudoRandomBytes(1000, 42))
  const be32 = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false)
  const be64 = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, false)
  const checks: [string, unknown, unknown][] = [
    ['xxhash-wasm h32Raw', xxw.h32Raw(sample), xxhash32(sample)],
    ['xxhash-wasm h64Raw', xxw.h64Raw(sample), xxhash64(sample)],
    ['hash-wasm xxhash32', be32(hwXxh32.init().update(sample).digest('binary')), xxhash32(sample)],
    ['hash-wasm xxhash64', be64(hwXxh64.init().update(sample).digest('binary')), xxhash64(sample)],
    ['hash-wasm crc32c', be32(hwCrc32c.init().update(sample).digest('binary')), crc32c(sample)],
    ['kafkajs crc32C', kafkajsCrc32c(sample), crc32c(sample)],
    ['kafkajs murmur2', kafkajsMurmur2(sample), murmur2(sample)],
  ]
  for (const [peer, theirs, ours] of checks) {
    if (theirs !== ours) throw new Error(`${peer} disagrees with eddy: ${String(theirs)} vs ${String(ours)}`)
  }
}
