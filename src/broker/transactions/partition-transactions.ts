// What one partition knows about transactions: the transactions still open on
// it (producer id → first offset), hence its last stable offset (LSO: the
// first offset of the oldest open transaction, or the high watermark when none
// is open), and the index of aborted transactions (producer id, first offset,
// offset of the abort marker) that read_committed readers use to skip aborted
// data. Kafka keeps the same facts in its producer state snapshot and the
// segment's .txnindex; here they are rebuilt by replaying batch headers when
// the broker opens (Broker.recover), so nothing extra is written.
//
// Concurrency: one owner (the partition's append path and the broker's reads,
// on one event loop).

export interface AbortedTransaction {
  producerId: number
  firstOffset: number
  /** Offset of the abort marker. */
  lastOffset: number
}

/** Aborted transactions kept per partition at most; the oldest are dropped first (see docs/transactions.md). */
export const ABORTED_TRANSACTIONS_KEPT_MAX = 100_000

/** A partition's transaction state as a snapshot stores it. */
export interface PartitionTransactionsRecord {
  /** [producer id, first offset] of each open transaction. */
  open: [number, number][]
  /** [producer id, first offset, marker offset] of each indexed abort, in marker order. */
  aborted: [number, number, number][]
}

export class PartitionTransactions {
  /** Open transactions: producer id → offset of its first batch here. Insertion order is not offset order. */
  private readonly open = new Map<number, number>()
  /** Sorted by lastOffset (markers are appended in offset order); entries before `head` are dropped. */
  private aborted: AbortedTransaction[] = []
  private head = 0
  /** Largest lastOffset − firstOffset ever indexed: no entry ending past toOffset + this can start before toOffset. */
  private longestSpan = 0

  /** A transactional data batch was appended at `baseOffset`. */
  onData(producerId: number, baseOffset: number): void {
    if (!this.open.has(producerId)) this.open.set(producerId, baseOffset)
  }

  /** A marker for `producerId` was appended at `markerOffset`. */
  onMarker(producerId: number, kind: 'commit' | 'abort', markerOffset: number): void {
    const firstOffset = this.open.get(producerId)
    this.open.delete(producerId)
    if (kind !== 'abort' || firstOffset === undefined) return
    this.aborted.push({ producerId, firstOffset, lastOffset: markerOffset })
    if (markerOffset - firstOffset > this.longestSpan) this.longestSpan = markerOffset - firstOffset
    if (this.aborted.length - this.head > ABORTED_TRANSACTIONS_KEPT_MAX) this.dropOldest(1)
  }

  isOpen(producerId: number): boolean {
    return this.open.has(producerId)
  }

  /** Aborted transactions indexed now. */
  get abortedCount(): number {
    return this.aborted.length - this.head
  }

  /** The last stable offset, given the partition's high watermark. */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark
    for (const first of this.open.values()) if (first < lso) lso = first
    return lso
  }

  /**
   * Aborted transactions that overlap [fromOffset, toOffset): what a fetch of
   * that range must be told. Visits only entries ending in [fromOffset,
   * toOffset + longestSpan), so a reader far behind a partition with many
   * aborts is not charged for all of them on every fetch.
   */
  abortedIn(fromOffset: number, toOffset: number): AbortedTransaction[] {
    const out: AbortedTransaction[] = []
    const aborted = this.aborted
    // Markers are in offset order: skip those before the range with a binary search.
    let lo = this.head
    let hi = aborted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (aborted[mid].lastOffset < fromOffset) lo = mid + 1
      else hi = mid
    }
    const lastOverlapping = toOffset + this.longestSpan
    for (let i = lo; i < aborted.length; i++) {
      const a = aborted[i]
      if (a.lastOffset >= lastOverlapping) break
      if (a.firstOffset < toOffset) out.push(a)
    }
    return out
  }

  /** Forgets aborted transactions wholly below the log start (retention removed their data). */
  truncateBelow(logStartOffset: number): void {
    let drop = 0
    while (this.head + drop < this.aborted.length && this.aborted[this.head + drop].lastOffset < logStartOffset) drop++
    this.dropOldest(drop)
  }

  /** Open transactions and the aborted index, for a snapshot (see fromRecord). */
  toRecord(): PartitionTransactionsRecord {
    return { open: [...this.open], aborted: this.aborted.slice(this.head).map((a) => [a.producerId, a.firstOffset, a.lastOffset]) }
  }

  /** The state `toRecord` gave; throws a TypeError naming what is malformed. */
  static fromRecord(record: unknown): PartitionTransactions {
    const r = record as PartitionTransactionsRecord
    if (r === null || typeof r !== 'object' || !Array.isArray(r.open) || !Array.isArray(r.aborted)) throw new TypeError('transactions must be { open, aborted }')
    const state = new PartitionTransactions()
    for (const entry of r.open) {
      if (!Array.isArray(entry) || entry.length !== 2 || !entry.every(Number.isSafeInteger)) throw new TypeError(`malformed open transaction ${JSON.stringify(entry)}`)
      state.open.set(entry[0], entry[1])
    }
    let previous = -Infinity
    for (const entry of r.aborted) {
      if (!Array.isArray(entry) || entry.length !== 3 || !entry.every(Number.isSafeInteger) || entry[2] < previous) throw new TypeError(`malformed or unordered aborted transaction ${JSON.stringify(entry)}`)
      previous = entry[2]
      state.aborted.push({ producerId: entry[0], firstOffset: entry[1], lastOffset: entry[2] })
      if (entry[2] - entry[1] > state.longestSpan) state.longestSpan = entry[2] - entry[1]
    }
    return state
  }

  /** Drops the oldest `count` entries: a moving head, compacted once half the array is dropped (no O(n) shift per drop). */
  private dropOldest(count: number): void {
    this.head += count
    if (this.head > 1024 && this.head * 2 > this.aborted.length) {
      this.aborted = this.aborted.slice(this.head)
      this.head = 0
    }
  }
}
