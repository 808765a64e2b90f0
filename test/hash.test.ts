// Proves each hash is bit-exact with its reference by checking published test
// vectors, and that batched forms equal the single-key forms (property test).
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import xxhashWasm from 'xxhash-wasm'
import { createCRC32 } from 'hash-wasm'
import {
  crc32c,
  crc32cBatch,
  defaultPartition,
  defaultPartitionBatch,
  murmur2,
  murmur2Batch,
  murmur3_32,
  murmur3_32Batch,
  xxhash32,
  xxhash32Batch,
  xxhash64,
  xxhash64Batch,
} from '../src/index.js'

const text = (s: string) => new TextEncoder().encode(s)

describe('murmur2 (Kafka Utils.murmur2)', () => {
  // Vectors from Apache Kafka's UtilsTest.testMurmur2.
  const kafkaVectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ]
  it.each(kafkaVectors)('murmur2(%j) = %d', (input, expected) => {
    expect(murmur2(input)).toBe(expected)
    expect(murmur2(text(input))).toBe(expected)
  })
  it('hashes the bytes [a, b, c] like Kafka', () => {
    expect(murmur2(new Uint8Array([97, 98, 99]))).toBe(479470107)
  })
  it('defaultPartition is toPositive(murmur2) % n', () => {
    for (const [input, hash] of kafkaVectors) {
      for (const n of [1, 3, 6, 12, 100]) expect(defaultPartition(input, n)).toBe((hash & 0x7fffffff) % n)
    }
  })
  it('refuses a bad partition count and a bad key with a clear error', () => {
    expect(() => defaultPartition('k', 0)).toThrow(/partitions must be a positive integer, got 0/)
    expect(() => defaultPartition('k', 1.5)).toThrow(/positive integer/)
    expect(() => murmur2(42 as unknown as string)).toThrow(/key must be a string or Uint8Array, got number/)
  })
})

describe('murmur3_32 (x86_32 reference)', () => {
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['abc', 0, 0xb3dd93fa],
  ] as [string, number, number][])('murmur3_32(%j, %d)', (input, seed, expected) => {
    expect(murmur3_32(input, seed)).toBe(expected >>> 0)
  })
})

describe('xxhash (reference vectors and xxhash-wasm)', () => {
  it('matches reference vectors', () => {
    expect(xxhash32('')).toBe(0x02cc5d05)
    expect(xxhash32('abc')).toBe(0x32d153ff)
    expect(xxhash64('')).toBe(0xef46db3751d8e999n)
    expect(xxhash64('abc')).toBe(0x44bc2cf5ad770999n)
    expect(xxhash64('', 1n)).toBe(0xd5afba1336a3be4bn)
  })
  it('agrees with xxhash-wasm on random inputs and seeds (all length classes)', async () => {
    const ref = await xxhashWasm()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xffffffff }), (bytes, seed) => {
        const asString = Buffer.from(bytes).toString('latin1')
        expect(xxhash32(bytes, seed)).toBe(ref.h32Raw(bytes, seed) >>> 0)
        expect(xxhash64(bytes, BigInt(seed))).toBe(ref.h64Raw(bytes, BigInt(seed)))
        expect(xxhash32(asString)).toBe(ref.h32(asString))
      }),
      { numRuns: 500 },
    )
  })
})

describe('crc32c (Castagnoli)', () => {
  it('matches the check value and RFC 3720 vectors', () => {
    expect(crc32c('123456789')).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
  })
  it('continues over split input and agrees with hash-wasm', async () => {
    const ref = await createCRC32(0x82f63b78)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), (bytes, cut) => {
        const at = bytes.length === 0 ? 0 : cut % bytes.length
        const whole = crc32c(bytes)
        expect(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at)))).toBe(whole)
        ref.init()
        ref.update(bytes)
        expect(whole).toBe(parseInt(ref.digest('hex'), 16))
      }),
      { numRuns: 300 },
    )
  })
})

describe('batched forms equal single-key forms', () => {
  const keyArb = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.uint8Array({ maxLength: 70 }))
  it('for arrays of keys', () => {
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 200 }), fc.integer({ min: 1, max: 64 }), (keys, n) => {
        expect([...murmur2Batch(keys)]).toEqual(keys.map((k) => murmur2(k)))
        expect([...defaultPartitionBatch(keys, n)]).toEqual(keys.map((k) => defaultPartition(k, n)))
        expect([...murmur3_32Batch(keys, 7)]).toEqual(keys.map((k) => murmur3_32(k, 7)))
        expect([...xxhash32Batch(keys, 9)]).toEqual(keys.map((k) => xxhash32(k, 9)))
        expect([...xxhash64Batch(keys, 11n)]).toEqual(keys.map((k) => xxhash64(k, 11n)))
        expect([...crc32cBatch(keys)]).toEqual(keys.map((k) => crc32c(k)))
      }),
      { numRuns: 200 },
    )
  })
  it('for packed keys, and refuses malformed packing', () => {
    const keys = ['alpha', 'beta', '', 'gamma-delta']
    const bytes = text(keys.join(''))
    const offsets = new Uint32Array(keys.length + 1)
    keys.forEach((k, i) => (offsets[i + 1] = offsets[i] + k.length))
    expect([...murmur2Batch({ bytes, offsets })]).toEqual(keys.map((k) => murmur2(k)))
    expect(() => murmur2Batch({ bytes, offsets: new Uint32Array([0, 999]) })).toThrow(/past the end of bytes/)
    expect(() => murmur2Batch({ bytes, offsets: new Uint32Array([3, 1]) })).toThrow(/offsets\[0\] > offsets\[1\]/)
    expect(() => murmur2Batch({ bytes, offsets: new Uint32Array(0) })).toThrow(/n \+ 1 entries/)
  })
  it('handles keys larger than the scratch regions (memory growth)', () => {
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 31)
    const expected = crc32c(big)
    expect(crc32cBatch([big, big.subarray(5)])[0]).toBe(expected)
    expect(crc32c(big)).toBe(expected)
    expect(xxhash64('x'.repeat(200_000))).toBe(xxhash64(text('x'.repeat(200_000))))
  })
})
