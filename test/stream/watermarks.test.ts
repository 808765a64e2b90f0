// Proves the watermark strategies: bounded out-of-orderness is max − bound − 1
// and monotone; per-input watermarks combine by minimum over active inputs;
// an idle input stops holding the minimum back and holds it again when data
// resumes; the combined watermark never decreases; bad options are refused.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  BoundedOutOfOrdernessWatermarks,
  CombinedWatermark,
  MIN_WATERMARK,
  PartitionedWatermarks,
  StreamConfigError,
  StreamInputError,
  type TimestampExtractor,
} from '../../src/stream/index.js'

function configError(make: () => unknown): StreamConfigError {
  try {
    make()
  } catch (e) {
    expect(e).toBeInstanceOf(StreamConfigError)
    return e as StreamConfigError
  }
  throw new Error('expected a StreamConfigError')
}

describe('BoundedOutOfOrdernessWatermarks', () => {
  it('is max timestamp − bound − 1, never decreases, and never makes an in-bound record late', () => {
    // Random timestamps fed one by one or in batches: the watermark tracks the formula, is monotone, and any record within `bound` of the max is above it.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.array(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 8 }), { maxLength: 30 }), fc.boolean(), (bound, batches, batched) => {
        const gen = new BoundedOutOfOrdernessWatermarks({ maxOutOfOrdernessMs: bound })
        expect(gen.watermark).toBe(MIN_WATERMARK)
        let max = -Infinity
        let previous = gen.watermark
        for (const batch of batches) {
          if (batched) gen.observeBatch(Float64Array.from(batch))
          else for (const t of batch) gen.observe(t)
          for (const t of batch) max = Math.max(max, t)
          expect(gen.watermark).toBe(max === -Infinity ? MIN_WATERMARK : max - bound - 1)
          expect(gen.watermark).toBeGreaterThanOrEqual(previous)
          previous = gen.watermark
          for (const t of batch) if (t >= max - bound) expect(t).toBeGreaterThan(gen.watermark)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('uses a timestamp extractor like any other function of the record', () => {
    // Documents the extractor type on an example: event time read from the record, the log timestamp as fallback.
    const extract: TimestampExtractor<{ at?: number }> = (record, logTimestamp) => record.at ?? (logTimestamp as number)
    const gen = new BoundedOutOfOrdernessWatermarks({ maxOutOfOrdernessMs: 10 })
    gen.observe(extract({ at: 100 }))
    gen.observe(extract({}, 150))
    expect(gen.watermark).toBe(139)
  })

  it('refuses a negative or non-finite bound and NaN timestamps', () => {
    // Bad options name `maxOutOfOrdernessMs`; NaN input is refused.
    for (const bad of [-1, NaN, Infinity]) expect(configError(() => new BoundedOutOfOrdernessWatermarks({ maxOutOfOrdernessMs: bad })).option).toBe('maxOutOfOrdernessMs')
    const gen = new BoundedOutOfOrdernessWatermarks({ maxOutOfOrdernessMs: 0 })
    expect(() => gen.observe(NaN)).toThrow(StreamInputError)
    expect(() => gen.observeBatch(Float64Array.of(1, NaN))).toThrow(/timestamps\[1\]/)
  })
})

describe('CombinedWatermark', () => {
  it('without idleness is the running maximum of the minimum over inputs', () => {
    // Random per-input updates: combined = max over time of min_i(input watermark_i), hence monotone.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }).chain((inputs) => fc.tuple(fc.constant(inputs), fc.array(fc.tuple(fc.integer({ min: 0, max: inputs - 1 }), fc.integer({ min: -50, max: 500 })), { maxLength: 60 }))), ([inputs, updates]) => {
        const combined = new CombinedWatermark({ inputs })
        const own = new Array<number>(inputs).fill(-Infinity)
        let expected = -Infinity
        let now = 0
        for (const [input, wm] of updates) {
          own[input] = Math.max(own[input], wm)
          expected = Math.max(expected, Math.min(...own))
          expect(combined.update(input, wm, now++)).toBe(expected)
          expect(combined.inputWatermark(input)).toBe(own[input])
        }
      }),
      { numRuns: 300 },
    )
  })

  it('with idleness matches a model: min over inputs active within idleTimeoutMs, held when all are idle, never decreasing', () => {
    // Random updates at random processing times, and idle-only ticks, against a direct model.
    const opArb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.option(fc.integer({ min: -50, max: 500 }), { nil: undefined }), fc.integer({ min: 0, max: 40 }))
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 60 }), fc.array(opArb, { maxLength: 60 }), (inputs, idle, ops) => {
        const combined = new CombinedWatermark({ inputs, idleTimeoutMs: idle })
        const own = new Array<number>(inputs).fill(-Infinity)
        const last = new Array<number>(inputs).fill(0)
        let expected = -Infinity
        let now = 0
        for (const [rawInput, wm, dt] of ops) {
          const input = rawInput % inputs
          now += dt
          let got: number
          if (wm === undefined) got = combined.current(now)
          else {
            own[input] = Math.max(own[input], wm)
            last[input] = now
            got = combined.update(input, wm, now)
          }
          const active = own.filter((_, i) => now - last[i] < idle)
          if (active.length > 0) expected = Math.max(expected, Math.min(...active))
          expect(got).toBe(expected)
          for (let i = 0; i < inputs; i++) expect(combined.isIdle(i, now)).toBe(now - last[i] >= idle)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('an idle partition stops holding the watermark back and holds it again when it resumes', () => {
    // A worked timeline with two partitions and a 1 s idle timeout.
    const wms = new PartitionedWatermarks({ inputs: 2, maxOutOfOrdernessMs: 0, idleTimeoutMs: 1000 })
    expect(wms.observeBatch(0, Float64Array.of(100), 0)).toBe(MIN_WATERMARK)
    expect(wms.observeBatch(1, Float64Array.of(50), 10)).toBe(49)
    expect(wms.observeBatch(0, Float64Array.of(500), 900)).toBe(49) // partition 1 still active
    expect(wms.current(1009)).toBe(49)
    expect(wms.isIdle(1, 1010)).toBe(true)
    expect(wms.current(1010)).toBe(499) // partition 1 idle: only partition 0 counts
    expect(wms.observeBatch(0, Float64Array.of(800), 1200)).toBe(799)
    // Partition 1 resumes behind: the combined watermark does not go back, and is held there...
    expect(wms.observeBatch(1, Float64Array.of(600), 1300)).toBe(799)
    expect(wms.observeBatch(0, Float64Array.of(2000), 1400)).toBe(799)
    // ...until partition 1 catches up.
    expect(wms.observeBatch(1, Float64Array.of(1500), 1500)).toBe(1499)
    expect(wms.inputWatermark(0)).toBe(1999)
  })

  it('refuses bad options and inputs with errors naming them', () => {
    // `inputs` and `idleTimeoutMs` are validated; an out-of-range input or NaN watermark is refused.
    expect(configError(() => new CombinedWatermark({ inputs: 0 })).option).toBe('inputs')
    expect(configError(() => new CombinedWatermark({ inputs: 1.5 })).option).toBe('inputs')
    expect(configError(() => new CombinedWatermark({ inputs: 2, idleTimeoutMs: 0 })).option).toBe('idleTimeoutMs')
    expect(configError(() => new CombinedWatermark({ inputs: 2, idleTimeoutMs: -5 })).option).toBe('idleTimeoutMs')
    expect(configError(() => new PartitionedWatermarks({ inputs: 2, maxOutOfOrdernessMs: -1 })).option).toBe('maxOutOfOrdernessMs')
    const combined = new CombinedWatermark({ inputs: 2 })
    expect(() => combined.update(2, 0, 0)).toThrow(/input 2 is out of range/)
    expect(() => combined.update(0, NaN, 0)).toThrow(StreamInputError)
  })
})
