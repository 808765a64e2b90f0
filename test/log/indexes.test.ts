// The offset index and time index: lookups, file round trips and the checks
// that make a damaged index file be rebuilt instead of trusted.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { INDEX_HEADER_BYTES, IndexFormatError } from '../../src/log/index-file.js'
import { OffsetIndex } from '../../src/log/offset-index.js'
import { TimeIndex } from '../../src/log/time-index.js'

function fileOf(index: OffsetIndex | TimeIndex): Uint8Array {
  const header = index.header()
  const body = index.encodeEntries(0)
  const out = new Uint8Array(header.length + body.length)
  out.set(header)
  out.set(body, header.length)
  return out
}

describe('offset index', () => {
  it('finds the last entry at or before any offset (property)', () => {
    // Proves lookup against a linear scan for random rising entries.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 60 }), fc.integer({ min: 0, max: 4000 }), (steps, probe) => {
        const index = new OffsetIndex(1000)
        let offset = 1000
        let position = 0
        const entries: [number, number][] = []
        for (const [offsetStep, positionStep] of steps) {
          offset += offsetStep
          position += positionStep
          index.append(offset, position)
          entries.push([offset, position])
        }
        const target = 1000 + probe
        const expected = entries.filter(([o]) => o <= target).at(-1) ?? [1000, 0]
        expect(index.lookup(target)).toEqual({ offset: expected[0], position: expected[1] })
        const parsed = OffsetIndex.parse(fileOf(index), 1000, 'x.index', position + 1)
        expect(parsed.lookup(target)).toEqual(index.lookup(target))
      }),
    )
  })

  it('refuses entries that do not rise and files that fail any check', () => {
    // Proves the writer asserts monotonic entries and the parser rejects bad headers, sizes and positions.
    const index = new OffsetIndex(0)
    index.append(5, 100)
    expect(() => index.append(5, 200)).toThrow(/does not follow/)
    expect(() => index.append(6, 100)).toThrow(/does not follow/)
    index.append(9, 300)
    const good = fileOf(index)
    expect(OffsetIndex.parse(good, 0, 'i', 301).count).toBe(2)
    expect(() => OffsetIndex.parse(good, 7, 'i', 301)).toThrow(/base offset 0, expected 7/)
    expect(() => OffsetIndex.parse(good, 0, 'i', 300)).toThrow(/past the data file/)
    expect(() => OffsetIndex.parse(good.subarray(0, good.length - 3), 0, 'i', 301)).toThrow(/whole number/)
    const badMagic = good.slice()
    badMagic[0] = 0x41
    expect(() => OffsetIndex.parse(badMagic, 0, 'i', 301)).toThrow(IndexFormatError)
    const swapped = good.slice()
    swapped.set(good.subarray(INDEX_HEADER_BYTES + 8, INDEX_HEADER_BYTES + 16), INDEX_HEADER_BYTES)
    swapped.set(good.subarray(INDEX_HEADER_BYTES, INDEX_HEADER_BYTES + 8), INDEX_HEADER_BYTES + 8)
    expect(() => OffsetIndex.parse(swapped, 0, 'i', 301)).toThrow(/does not rise/)
  })
})

describe('time index', () => {
  it('keeps strictly rising timestamps and points lookups at the last entry below the target', () => {
    // Proves maybeAppend skips non-rising times and lookup gives the scan start for "first timestamp >= t".
    const index = new TimeIndex(100)
    expect(index.maybeAppend(1000, 100)).toBe(true)
    expect(index.maybeAppend(1000, 105)).toBe(false)
    expect(index.maybeAppend(2000, 110)).toBe(true)
    expect(index.maybeAppend(3000, 120)).toBe(true)
    expect(index.lookup(500)).toBe(100)
    expect(index.lookup(1000)).toBe(100)
    expect(index.lookup(2000)).toBe(100)
    expect(index.lookup(2001)).toBe(110)
    expect(index.lookup(9999)).toBe(120)
    expect(index.lastTimestampMs).toBe(3000)
    const parsed = TimeIndex.parse(fileOf(index), 100, 't', 121)
    expect(parsed.lookup(2500)).toBe(110)
    expect(() => TimeIndex.parse(fileOf(index), 100, 't', 120)).toThrow(/past the segment's end/)
    index.truncateToOffset(110)
    expect(index.count).toBe(1)
  })
})
