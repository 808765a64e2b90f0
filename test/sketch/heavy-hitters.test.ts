// Proves the Misra–Gries hot list's contract: every count is within the
// reported error of the truth, the error stays ≤ N/(k+1), every key above
// N/(k+1) is listed, keys come back as the type they were given, and
// serialisation, merge and bad input behave.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { HeavyHitters, type HeavyHitter } from '../../src/sketch/heavy-hitters.js'
import { CountMinSketch } from '../../src/sketch/count-min.js'
import { beginSketch, sealSketch, SketchFamily } from '../../src/sketch/format.js'
import { expectCorruptionsRefused, expectSameBytes, seededRandom, zipfStream } from './hash-sketch-helpers.js'

/** Keys are drawn from a small alphabet so streams repeat keys and the table both fills and purges. */
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 30 }).map((i) => `k${i}`),
  fc.integer({ min: 0, max: 10 }).map((i) => Uint8Array.of(0xf0, i)),
)
const weightedStreamArb = fc.array(fc.tuple(keyArb, fc.integer({ min: 1, max: 50 })), { maxLength: 120 })

const identity = (key: string | Uint8Array) => (typeof key === 'string' ? `s:${key}` : `b:${Array.from(key).join(',')}`)

function withSketch<T>(capacity: number, body: (sketch: HeavyHitters) => T): T {
  const sketch = new HeavyHitters({ capacity })
  try {
    return body(sketch)
  } finally {
    sketch.dispose()
  }
}

/** Every listed or unlisted key's truth lies in [count, count + error], error ≤ N/(k+1), and heavy keys are listed. */
function expectMisraGriesBounds(sketch: HeavyHitters, truth: Map<string, number>, total: number): void {
  const listed = new Map<string, HeavyHitter>()
  for (const hitter of sketch.top(Infinity)) listed.set(identity(hitter.item), hitter)
  const bound = total / (sketch.capacity + 1)
  expect(sketch.total).toBe(total)
  expect(sketch.error).toBeLessThanOrEqual(bound)
  for (const [key, frequency] of truth) {
    const hitter = listed.get(key)
    const count = hitter?.count ?? 0
    expect(count).toBeLessThanOrEqual(frequency)
    expect(frequency - count).toBeLessThanOrEqual(sketch.error)
    if (frequency > bound) expect(hitter).toBeDefined()
  }
  for (const key of listed.keys()) expect(truth.has(key)).toBe(true)
}

describe('HeavyHitters accuracy', () => {
  it('on a Zipf(1.1) stream of 200k keys, every count is within N/(k+1) and every heavy key is listed', () => {
    // Streams Zipf keys with capacity 50 and checks each distinct key's bound against its exact count.
    const { keys, counts } = zipfStream(200_000, 50_000, 1.1, 11)
    withSketch(50, (sketch) => {
      sketch.addMany(keys.slice(0, 100_000))
      for (let i = 100_000; i < keys.length; i++) sketch.add(keys[i])
      const truth = new Map([...counts].map(([key, count]) => [identity(key), count]))
      expectMisraGriesBounds(sketch, truth, keys.length)
      // The very top of a Zipf stream is unambiguous: the top three are the three most frequent ranks.
      expect(sketch.top(3).map((hitter) => hitter.item)).toEqual(['item-0', 'item-1', 'item-2'])
    })
  })

  it('holds the bound on an adversarial stream of many distinct keys around a few heavy ones', () => {
    // 30% of 100k adds go to 3 heavy keys, the rest to fresh keys that force purge after purge.
    const random = seededRandom(5)
    const truth = new Map<string, number>()
    withSketch(10, (sketch) => {
      for (let i = 0; i < 100_000; i++) {
        const key = random() < 0.3 ? `heavy-${i % 3}` : `fresh-${i}`
        sketch.add(key)
        truth.set(identity(key), (truth.get(identity(key)) ?? 0) + 1)
      }
      expectMisraGriesBounds(sketch, truth, 100_000)
      expect(new Set(sketch.top(3).map((hitter) => hitter.item))).toEqual(new Set(['heavy-0', 'heavy-1', 'heavy-2']))
    })
  })

  it('holds the bound for random weighted streams with single and batched adds', () => {
    // Random weighted streams of strings and byte keys, fed through add(key, count) and addMany(keys, counts).
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), weightedStreamArb, fc.boolean(), (capacity, stream, batched) => {
        withSketch(capacity, (sketch) => {
          const truth = new Map<string, number>()
          if (batched) sketch.addMany(stream.map(([key]) => key), Uint32Array.from(stream.map(([, count]) => count)))
          else for (const [key, count] of stream) sketch.add(key, count)
          for (const [key, count] of stream) truth.set(identity(key), (truth.get(identity(key)) ?? 0) + count)
          expectMisraGriesBounds(sketch, truth, stream.reduce((sum, [, count]) => sum + count, 0))
        })
      }),
      { numRuns: 150 },
    )
  })

  it('with capacity above the number of distinct keys, counts exactly', () => {
    // Nothing is ever purged, so the error is 0 and every count is the truth.
    withSketch(16, (sketch) => {
      for (let i = 0; i < 1000; i++) sketch.add(`k${i % 10}`, (i % 10) + 1)
      expect(sketch.error).toBe(0)
      expect(sketch.top(2)).toEqual([
        { item: 'k9', count: 1000, error: 0 },
        { item: 'k8', count: 900, error: 0 },
      ])
    })
  })
})

describe('HeavyHitters items and top(n)', () => {
  it('returns each key as the type it was first given, sorted by count (ties by first insertion), at most n', () => {
    // Mixes string and byte keys (also in one batch) and checks order, types and the n limit.
    withSketch(8, (sketch) => {
      sketch.add('text', 5)
      sketch.add(Uint8Array.of(1, 2, 3), 7)
      sketch.addMany(['text', Uint8Array.of(9), 'other'], [1, 2, 3])
      sketch.add(new TextEncoder().encode('text'), 1)
      const top = sketch.top(10)
      expect(top.map((hitter) => [hitter.item, hitter.count])).toEqual([
        ['text', 7],
        [Uint8Array.of(1, 2, 3), 7],
        ['other', 3],
        [Uint8Array.of(9), 2],
      ])
      // Equal counts keep insertion order; 'text' stays a string although its last add came as bytes.
      expect(typeof top[0].item).toBe('string')
      expect(top[1].item).toBeInstanceOf(Uint8Array)
      expect(sketch.top(1)).toHaveLength(1)
      expect(sketch.top(0)).toEqual([])
    })
  })

  it('keeps long keys intact while the key arena grows', () => {
    // 2 KiB keys overflow the initial arena many times over; each must come back byte-identical.
    withSketch(4, (sketch) => {
      const long = (i: number) => `${String(i).padStart(4, '0')}${'x'.repeat(2048)}`
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 40; i++) sketch.add(long(i), i < 3 ? 50 : 1)
        sketch.addMany(Array.from({ length: 40 }, (_, i) => long(100 + i)))
      }
      const top = sketch.top(3)
      expect(top.map((hitter) => hitter.item)).toEqual([long(0), long(1), long(2)])
      // Each was added 3 × 50 times: the truth lies in [count, count + error].
      for (const hitter of top) {
        expect(hitter.count).toBeLessThanOrEqual(150)
        expect(hitter.count + hitter.error).toBeGreaterThanOrEqual(150)
      }
    })
  })

  it('refuses bad counts and a bad n, naming them', () => {
    // Counts must be u32 integers and n a non-negative integer.
    withSketch(4, (sketch) => {
      expect(() => sketch.add('k', -1)).toThrow(/HeavyHitters.add: count must be an integer in 0\.\.4294967295, got -1/)
      expect(() => sketch.add('k', 0.5)).toThrow(RangeError)
      expect(() => sketch.addMany(['a'], [Number.NaN])).toThrow(/counts\[0\] must be an integer/)
      expect(() => sketch.top(-1)).toThrow(/top: n must be a non-negative integer, got -1/)
      expect(() => sketch.top(1.5)).toThrow(RangeError)
      expect(() => sketch.add(3 as unknown as string)).toThrow(/key must be a string or Uint8Array, got number/)
      expect(sketch.total).toBe(0)
    })
  })
})

describe('HeavyHitters serialisation and merge', () => {
  it('serialize → deserialize gives the same answers now and after further adds', () => {
    // Round-trips random sketches; the copy must list the same items and then evolve identically.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), weightedStreamArb, weightedStreamArb, (capacity, before, after) => {
        withSketch(capacity, (sketch) => {
          for (const [key, count] of before) sketch.add(key, count)
          const bytes = sketch.serialize()
          const copy = HeavyHitters.deserialize(bytes)
          try {
            expect(copy.top(Infinity)).toEqual(sketch.top(Infinity))
            expect([copy.total, copy.error, copy.capacity]).toEqual([sketch.total, sketch.error, capacity])
            expectSameBytes(copy.serialize(), bytes)
            for (const [key, count] of after) {
              sketch.add(key, count)
              copy.add(key, count)
            }
            expectSameBytes(copy.serialize(), sketch.serialize())
          } finally {
            copy.dispose()
          }
        })
      }),
      { numRuns: 100 },
    )
  })

  it('merge(a, b) keeps the Misra–Gries bounds for the concatenated stream', () => {
    // Merges random sketches and checks the bounds against exact counts of both streams together.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), weightedStreamArb, weightedStreamArb, (capacity, first, second) => {
        withSketch(capacity, (a) =>
          withSketch(capacity, (b) => {
            const truth = new Map<string, number>()
            for (const [key, count] of first) a.add(key, count)
            for (const [key, count] of second) b.add(key, count)
            for (const [key, count] of [...first, ...second]) truth.set(identity(key), (truth.get(identity(key)) ?? 0) + count)
            a.merge(b)
            expect(a.top(Infinity).length).toBeLessThanOrEqual(capacity)
            expectMisraGriesBounds(a, truth, [...first, ...second].reduce((sum, [, count]) => sum + count, 0))
          }),
        )
      }),
      { numRuns: 150 },
    )
  })

  it('merge of small sketches that never purged is the exact sum', () => {
    // Without any decrement, Misra–Gries merge is plain counter addition.
    withSketch(8, (a) =>
      withSketch(8, (b) => {
        a.add('x', 3)
        a.add('y', 1)
        b.add('x', 2)
        b.add(Uint8Array.of(7), 4)
        a.merge(b)
        expect(a.top(10)).toEqual([
          { item: 'x', count: 5, error: 0 },
          { item: Uint8Array.of(7), count: 4, error: 0 },
          { item: 'y', count: 1, error: 0 },
        ])
        expect(a.total).toBe(10)
      }),
    )
  })

  it('merging a sketch with itself doubles it', () => {
    // Self-merge must behave like merging an identical copy.
    withSketch(4, (sketch) => {
      sketch.add('a', 5)
      sketch.add('b', 2)
      sketch.merge(sketch)
      expect(sketch.top(2).map((hitter) => [hitter.item, hitter.count])).toEqual([
        ['a', 10],
        ['b', 4],
      ])
      expect(sketch.total).toBe(14)
    })
  })

  it('refuses to merge sketches of another capacity or type', () => {
    // Bounds are stated per capacity; mixing them is a clear error.
    withSketch(4, (a) =>
      withSketch(5, (b) => {
        expect(() => a.merge(b)).toThrow(/capacities differ \(4 vs 5\)/)
        expect(() => a.merge([] as unknown as HeavyHitters)).toThrow(/expects a HeavyHitters, got an array/)
      }),
    )
  })

  it('refuses garbage, truncated, bit-flipped, wrong-family and unknown-version bytes', () => {
    // Every corruption of a valid serialisation is a SketchFormatError, never a sketch.
    withSketch(4, (sketch) => {
      sketch.addMany(['a', 'b', 'c', 'a'])
      const cms = new CountMinSketch({ epsilon: 0.5, delta: 0.5 })
      expectCorruptionsRefused(sketch.serialize(), HeavyHitters.deserialize, cms.serialize())
      cms.dispose()
    })
  })

  it('refuses well-sealed payloads whose fields are invalid', () => {
    // Builds correctly checksummed envelopes around bad preambles, entries and keys.
    type Entry = { count: number; key: Uint8Array; isString?: number; reserved?: number }
    const craft = (capacity: number, total: number, error: number, entries: Entry[], declared = entries.length) => {
      const keyBytes = entries.reduce((sum, entry) => sum + entry.key.length, 0)
      const { bytes, payload } = beginSketch(SketchFamily.HeavyHitters, 24 + entries.length * 16 + keyBytes)
      payload.setUint32(0, capacity, true)
      payload.setUint32(4, declared, true)
      payload.setBigUint64(8, BigInt(total), true)
      payload.setBigUint64(16, BigInt(error), true)
      let keyAt = 24 + entries.length * 16
      entries.forEach((entry, i) => {
        payload.setBigUint64(24 + i * 16, BigInt(entry.count), true)
        payload.setUint32(24 + i * 16 + 8, entry.key.length, true)
        payload.setUint8(24 + i * 16 + 12, entry.isString ?? 1)
        payload.setUint8(24 + i * 16 + 13, entry.reserved ?? 0)
        for (const byte of entry.key) payload.setUint8(keyAt++, byte)
      })
      return sealSketch(bytes)
    }
    const text = (s: string) => new TextEncoder().encode(s)
    const restored = HeavyHitters.deserialize(craft(2, 10, 1, [{ count: 4, key: text('a') }, { count: 3, key: Uint8Array.of(200), isString: 0 }]))
    expect(restored.top(5)).toEqual([
      { item: 'a', count: 4, error: 1 },
      { item: Uint8Array.of(200), count: 3, error: 1 },
    ])
    restored.dispose()
    expect(() => HeavyHitters.deserialize(craft(0, 0, 0, []))).toThrow(/capacity 0 is outside 1\.\.1048576/)
    expect(() => HeavyHitters.deserialize(craft(1, 9, 0, [1, 2, 3].map((i) => ({ count: 1, key: text(`k${i}`) }))))).toThrow(/3 entries exceed the table size 2/)
    expect(() => HeavyHitters.deserialize(craft(2, 9, 0, [{ count: 0, key: text('a') }]))).toThrow(/entry 0 has count 0/)
    expect(() => HeavyHitters.deserialize(craft(2, 9, 0, [{ count: 1, key: text('a'), isString: 2 }]))).toThrow(/isString 2/)
    expect(() => HeavyHitters.deserialize(craft(2, 9, 0, [{ count: 1, key: text('a'), reserved: 1 }]))).toThrow(/reserved/)
    expect(() => HeavyHitters.deserialize(craft(2, 9, 3, [{ count: 1, key: text('a') }]))).toThrow(/inconsistent with the total 9/)
    expect(() => HeavyHitters.deserialize(craft(2, 9, 0, [{ count: 1, key: Uint8Array.of(0xff) }]))).toThrow(/not valid UTF-8/)
    expect(() => HeavyHitters.deserialize(craft(2, 9, 0, [{ count: 1, key: text('a') }, { count: 1, key: text('a') }]))).toThrow(/entry 1 repeats an earlier key/)
    expect(() => HeavyHitters.deserialize(craft(2, 9, 0, [{ count: 1, key: text('a') }], 3))).toThrow(/cannot hold 3 entries/)
  })
})

describe('HeavyHitters options and lifecycle', () => {
  it('refuses bad capacities with a RangeError naming the option', () => {
    // 0, fractions, too large and non-numbers are out.
    expect(() => new HeavyHitters({ capacity: 0 })).toThrow(/HeavyHitters: capacity must be an integer in 1\.\.1048576, got 0/)
    expect(() => new HeavyHitters({ capacity: 2.5 })).toThrow(/got 2\.5/)
    expect(() => new HeavyHitters({ capacity: 2 ** 21 })).toThrow(RangeError)
    expect(() => new HeavyHitters({} as { capacity: number })).toThrow(/capacity .* got undefined/)
    expect(() => new HeavyHitters(undefined as unknown as { capacity: number })).toThrow(/options must be an object/)
  })

  it('cannot be used after dispose', () => {
    // Use after free would read another sketch's memory; it must throw instead.
    const sketch = new HeavyHitters({ capacity: 2 })
    sketch.dispose()
    expect(() => sketch.add('x')).toThrow(/HeavyHitters was disposed/)
    expect(() => sketch.top(1)).toThrow(/disposed/)
  })
})
