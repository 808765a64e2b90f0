// Proves the idempotence rules: retries are recognised as duplicates with the
// original offsets, gaps and stale epochs are refused, and replayed state behaves
// the same as live state.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ProducerStateTable } from '../../src/broker/producer-state.js'
import { KafkaError } from '../../src/broker/errors.js'

const batch = (baseSequence: number, recordCount: number, producerEpoch = 0, producerId = 7) => ({ producerId, producerEpoch, baseSequence, recordCount })

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    return (e as KafkaError).type
  }
  return undefined
}

describe('ProducerStateTable', () => {
  // A retry of any of the last five batches is a duplicate answered with the original offsets.
  it('answers retries with the original offsets', () => {
    const t = new ProducerStateTable()
    let offset = 100
    for (let i = 0; i < 6; i++) {
      expect(t.check(batch(i * 10, 10))).toEqual({ kind: 'append' })
      t.observe(batch(i * 10, 10), offset)
      offset += 10
    }
    expect(t.check(batch(50, 10))).toEqual({ kind: 'duplicate', baseOffset: 150, lastOffset: 159 })
    expect(t.check(batch(10, 10))).toEqual({ kind: 'duplicate', baseOffset: 110, lastOffset: 119 })
    // The oldest batch has left the cache, so its retry is out of order rather than silently duplicated.
    expect(codeOf(() => t.check(batch(0, 10)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
  })

  // Gaps, a non-zero first sequence and an old epoch are refused with Kafka's errors.
  it('refuses gaps, unknown producers mid-stream and stale epochs', () => {
    const t = new ProducerStateTable()
    expect(codeOf(() => t.check(batch(5, 1)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
    t.observe(batch(0, 3, 2), 0)
    expect(codeOf(() => t.check(batch(4, 1, 2)))).toMatch(/OUT_OF_ORDER/)
    expect(codeOf(() => t.check(batch(3, 1, 1)))).toBe('INVALID_PRODUCER_EPOCH')
    expect(t.check(batch(0, 1, 3))).toEqual({ kind: 'append' })
    expect(codeOf(() => t.check(batch(3, 1, 3)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
    t.fence(7, 5)
    expect(codeOf(() => t.check(batch(3, 1, 4)))).toBe('INVALID_PRODUCER_EPOCH')
    expect(t.check(batch(0, 1, -1, -1))).toEqual({ kind: 'append' }) // non-idempotent producers are not tracked
  })

  // Sequences wrap from 2^31 - 1 to 0 as Kafka's do.
  it('wraps sequence numbers', () => {
    const t = new ProducerStateTable()
    t.observe(batch(0, 1), 0)
    t.observe(batch(1, 0x7fffffff), 1) // covers 1 .. 2^31 - 1
    expect(t.check(batch(0, 5))).toEqual({ kind: 'append' })
  })

  // Random retry storms: appending whatever `check` accepts yields each sequence exactly once, in order.
  it('never appends a sequence twice under random retries', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 80 }), (sizes, retryPicks) => {
        const t = new ProducerStateTable()
        const sent: { seq: number; n: number }[] = []
        let seq = 0
        let offset = 0
        const appended: number[] = []
        const attempt = (b: { seq: number; n: number }) => {
          const verdict = (() => {
            try {
              return t.check(batch(b.seq, b.n))
            } catch {
              return undefined
            }
          })()
          if (verdict?.kind === 'append') {
            t.observe(batch(b.seq, b.n), offset)
            for (let i = 0; i < b.n; i++) appended.push(b.seq + i)
            offset += b.n
          }
        }
        sizes.forEach((n, i) => {
          const b = { seq, n }
          sent.push(b)
          seq += n
          attempt(b)
          const pick = retryPicks[i]
          if (pick !== undefined && sent.length > 0) attempt(sent[Math.max(0, sent.length - 1 - (pick % 5))])
        })
        expect(appended).toEqual(Array.from({ length: seq }, (_, i) => i))
      }),
      { numRuns: 300 },
    )
  })
})
