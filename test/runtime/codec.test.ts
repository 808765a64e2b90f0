import { describe, expect, it } from 'vitest'
import { BatchCodecError, decodeBatch, encodeBatch } from '../../src/runtime/codec.js'

const roundTrip = (batch: Parameters<typeof encodeBatch>[0]) => decodeBatch(encodeBatch(batch))

describe('batch codec between threads', () => {
  it('round-trips number, string, record and JSON values with number or string keys', () => {
    const timestamps = Float64Array.of(1, 2, 3)
    expect(roundTrip({ values: [1.5, -2, 1e300], timestamps, keys: [7, 8, 9] })).toEqual({ values: [1.5, -2, 1e300], timestamps, keys: [7, 8, 9] })
    expect(roundTrip({ values: ['a', 'é€𝄞', ''], timestamps, keys: ['x', 'y', 'z'] })).toEqual({ values: ['a', 'é€𝄞', ''], timestamps, keys: ['x', 'y', 'z'] })
    const records = [
      { id: 1, name: 'ann', ok: true, tags: ['a'] },
      { id: 2, name: 'bob', ok: false, tags: [] },
      { id: 3, name: 'cy', ok: true, tags: { nested: 1 } },
    ]
    expect(roundTrip({ values: records, timestamps }).values).toEqual(records)
    const mixed = [{ a: 1 }, 'two', [3]]
    expect(roundTrip({ values: mixed, timestamps }).values).toEqual(mixed)
  })

  it('keeps each shape apart: batches of different fields, or the same fields in another order', () => {
    const timestamps = Float64Array.of(0, 0)
    const ab = [{ a: 1, b: 'x' }, { a: 2, b: 'y' }]
    const ba = [{ b: 'p', a: 10 }, { b: 'q', a: 20 }]
    const c = [{ c: true }, { c: false }]
    for (let i = 0; i < 3; i++) {
      expect(roundTrip({ values: ab, timestamps }).values).toEqual(ab)
      const back = roundTrip({ values: ba, timestamps }).values
      expect(back).toEqual(ba)
      expect(Object.keys(back[0] as object)).toEqual(['b', 'a'])
      expect(roundTrip({ values: c, timestamps }).values).toEqual(c)
    }
  })

  it('hands number columns out as Float64Array views when asked (typed)', () => {
    const out = decodeBatch(encodeBatch({ values: [1, 2], timestamps: Float64Array.of(5, 6), keys: [3, 4] }), { typed: true })
    expect(out.values).toBeInstanceOf(Float64Array)
    expect(out.keys).toBeInstanceOf(Float64Array)
    expect(Array.from(out.values as unknown as Float64Array)).toEqual([1, 2])
  })

  it('refuses what cannot cross: mixed key kinds, functions, columns of different lengths', () => {
    expect(() => encodeBatch({ values: [1, 2], timestamps: Float64Array.of(1, 2), keys: [1, 'b'] })).toThrow('keys[0] is a number; a batch')
    expect(() => encodeBatch({ values: [() => 1], timestamps: Float64Array.of(1) })).toThrow('values[0] (function) cannot be sent between threads')
    expect(() => encodeBatch({ values: [1, 2], timestamps: Float64Array.of(1) })).toThrow('batch columns differ in length')
  })

  it('rejects a damaged buffer with a BatchCodecError naming what is wrong', () => {
    const good = encodeBatch({ values: ['abc', 'de'], timestamps: Float64Array.of(1, 2), keys: ['k', 'l'] })
    const badMagic = good.slice(0)
    new DataView(badMagic).setUint32(0, 0xdeadbeef, true)
    expect(() => decodeBatch(badMagic)).toThrow(BatchCodecError)
    expect(() => decodeBatch(badMagic)).toThrow('bad magic')
    for (const cut of [good.byteLength - 1, 20, 13]) expect(() => decodeBatch(good.slice(0, cut))).toThrow(/truncated|do not add up/)
    const badKind = good.slice(0)
    new Uint8Array(badKind)[9] = 9
    expect(() => decodeBatch(badKind)).toThrow('unknown value kind 9')
  })
})
