// Shared by the Bloom, HyperLogLog, Count-Min and heavy-hitters tests: a seeded
// PRNG, a seeded Zipf sampler, and the corrupt-bytes cases every deserialiser
// must refuse.
import { expect } from 'vitest'
import { SketchFormatError } from '../../src/sketch/format.js'
import { seededRandom } from '../../src/random.js'

export { seededRandom }


/**
 * Draws ranks 0..universe−1 with P(rank r) ∝ 1/(r + 1)^exponent, by binary
 * search over the cumulative distribution.
 */
export function zipfSampler(universe: number, exponent: number, random: () => number): () => number {
  const cumulative = new Float64Array(universe)
  let sum = 0
  for (let r = 0; r < universe; r++) {
    sum += 1 / Math.pow(r + 1, exponent)
    cumulative[r] = sum
  }
  return () => {
    const target = random() * sum
    let lo = 0
    let hi = universe - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cumulative[mid] < target) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** A stream of `length` Zipf-distributed string keys and their exact counts. */
export function zipfStream(length: number, universe: number, exponent: number, seed: number): { keys: string[]; counts: Map<string, number> } {
  const next = zipfSampler(universe, exponent, seededRandom(seed))
  const keys: string[] = new Array(length)
  const counts = new Map<string, number>()
  for (let i = 0; i < length; i++) {
    const key = `item-${next()}`
    keys[i] = key
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return { keys, counts }
}

/**
 * Asserts `deserialize` refuses, with a SketchFormatError, every corruption
 * of the valid serialisation `good`: garbage, truncation, a flipped payload
 * bit, a flipped header bit, an unknown version, and `otherFamily` (a valid
 * sketch of another family).
 */
export function expectCorruptionsRefused(good: Uint8Array, deserialize: (bytes: Uint8Array) => unknown, otherFamily: Uint8Array): void {
  const random = seededRandom(good.length)
  const garbage = Uint8Array.from({ length: good.length }, () => Math.floor(random() * 256))
  expect(() => deserialize(garbage)).toThrow(SketchFormatError)
  expect(() => deserialize(new Uint8Array(0))).toThrow(/truncated/)
  expect(() => deserialize(good.subarray(0, good.length - 1))).toThrow(/truncated or padded/)
  expect(() => deserialize(good.subarray(0, 7))).toThrow(/truncated/)
  for (const bit of [12 * 8, Math.floor(good.length * 4), (good.length - 1) * 8 + 7]) {
    const flipped = good.slice()
    flipped[bit >>> 3] ^= 1 << (bit & 7)
    expect(() => deserialize(flipped)).toThrow(/checksum mismatch/)
  }
  const badLength = good.slice()
  badLength[4] ^= 0x01
  expect(() => deserialize(badLength)).toThrow(/truncated or padded/)
  const badMarker = good.slice()
  badMarker[0] ^= 0x01
  expect(() => deserialize(badMarker)).toThrow(/bad marker/)
  const newerVersion = good.slice()
  newerVersion[1] = 2
  expect(() => deserialize(newerVersion)).toThrow(/unsupported sketch format version 2/)
  expect(() => deserialize(otherFamily)).toThrow(/bytes hold a/)
  expect(() => deserialize('not bytes' as unknown as Uint8Array)).toThrow(SketchFormatError)
  // The original still reads: none of the cases above mutated it.
  expect(() => deserialize(good)).not.toThrow()
}

/** Byte equality without the cost of a deep-equal over every element; names the first difference. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  let firstDifference = -1
  const length = Math.min(actual.length, expected.length)
  for (let i = 0; i < length && firstDifference < 0; i++) if (actual[i] !== expected[i]) firstDifference = i
  expect({ length: actual.length, firstDifference }).toEqual({ length: expected.length, firstDifference: -1 })
}
