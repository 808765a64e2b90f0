import { describe, expect, it } from 'vitest'
import { ABORTED_TRANSACTIONS_KEPT_MAX, PartitionTransactions, type AbortedTransaction } from '../../src/broker/transactions/partition-transactions.js'

/** A seeded stream of interleaved transactional appends and markers; returns the index and every abort in marker order. */
function replay(seed: number, appends: number): { index: PartitionTransactions; aborts: AbortedTransaction[]; end: number } {
  let s = seed
  const random = (n: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % n
  const index = new PartitionTransactions()
  const open = new Map<number, number>()
  const aborts: AbortedTransaction[] = []
  let offset = 0
  for (let i = 0; i < appends; i++, offset++) {
    const producer = random(12)
    // Some producers end their transactions soon, some stay open a long time (long spans).
    if (open.has(producer) && random(producer < 2 ? 40 : 4) === 0) {
      const kind = random(2) === 0 ? 'abort' : 'commit'
      index.onMarker(producer, kind, offset)
      if (kind === 'abort') aborts.push({ producerId: producer, firstOffset: open.get(producer)!, lastOffset: offset })
      open.delete(producer)
    } else {
      index.onData(producer, offset)
      if (!open.has(producer)) open.set(producer, offset)
    }
  }
  return { index, aborts, end: offset }
}

const overlapping = (aborts: AbortedTransaction[], from: number, to: number) => aborts.filter((a) => a.lastOffset >= from && a.firstOffset < to)

describe('a partition’s aborted-transaction index', () => {
  it('lists exactly the aborted transactions overlapping any fetched range', () => {
    for (const seed of [1, 2, 3]) {
      const { index, aborts, end } = replay(seed, 5000)
      expect(index.abortedCount).toBe(aborts.length)
      for (let from = 0; from < end; from += 97) {
        for (const width of [1, 10, 250, 5000]) expect(index.abortedIn(from, from + width)).toEqual(overlapping(aborts, from, from + width))
      }
    }
  })

  it('forgets what retention removed and keeps at most the cap, oldest dropped first', () => {
    const { index, aborts } = replay(7, 5000)
    const cut = aborts[Math.floor(aborts.length / 2)].lastOffset
    index.truncateBelow(cut)
    const kept = aborts.filter((a) => a.lastOffset >= cut)
    expect(index.abortedCount).toBe(kept.length)
    expect(index.abortedIn(0, 10_000)).toEqual(kept)

    const capped = new PartitionTransactions()
    const total = ABORTED_TRANSACTIONS_KEPT_MAX + 5000
    for (let i = 0; i < total; i++) {
      capped.onData(1, 2 * i)
      capped.onMarker(1, 'abort', 2 * i + 1)
    }
    expect(capped.abortedCount).toBe(ABORTED_TRANSACTIONS_KEPT_MAX)
    const oldestKept = total - ABORTED_TRANSACTIONS_KEPT_MAX
    expect(capped.abortedIn(0, 2 * oldestKept + 2)).toEqual([{ producerId: 1, firstOffset: 2 * oldestKept, lastOffset: 2 * oldestKept + 1 }])
    expect(capped.abortedIn(2 * total - 2, 2 * total)).toEqual([{ producerId: 1, firstOffset: 2 * total - 2, lastOffset: 2 * total - 1 }])
  })
})
