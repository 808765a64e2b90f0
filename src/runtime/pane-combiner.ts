// Pre-aggregation at a keyBy (Flink's mini-batch local aggregation): a batch's
// records are folded into one partial accumulator per (key, pane) before they
// are routed, so one partial per group crosses threads instead of every
// record. A pane is the set of records that fall in exactly the same windows;
// it is named by its newest window's start and its window count, so any
// record of the pane maps back to the same windows downstream.
//
// Per record the hot path is one table lookup: records mostly arrive in time
// order, so the pane the previous record fell in is kept at hand, and the pane
// of a record is recomputed only when its timestamp differs from the previous
// one's. Int32 keys (ids, buckets: the common case) are grouped in an
// open-addressing table on typed arrays, ~2 ns a lookup where a Map<number>
// takes ~16; any other key goes through a Map per pane.
import type { Key } from '../stream/dsl/graph.js'
import type { AggregateFunction } from '../stream/window/aggregate.js'
import type { WindowAssigner } from '../stream/window/windows.js'
import type { Batch } from './nodes.js'

export interface CombinedPart {
  /** The aggregate's name in a named set (results are objects then), undefined for a single one. */
  name: string | undefined
  select: ((record: any) => unknown) | undefined
  fn: AggregateFunction<unknown, unknown, unknown>
}

export type Combiner = (batch: Batch, keys: Key[]) => { batch: Batch; keys: Key[] }

/** Records in this many windows or more cannot be told apart by the pane id (start · 1024 + count): such assigners are not combined. */
export const WINDOWS_PER_PANE_ID = 1024

export function paneCombiner(assigner: WindowAssigner, parts: CombinedPart[]): Combiner {
  if (assigner.maxWindowsPerRecord >= WINDOWS_PER_PANE_ID) throw new RangeError(`a pane combiner needs fewer than ${WINDOWS_PER_PANE_ID} windows per record, got ${assigner.maxWindowsPerRecord}`)
  const scratch = new Float64Array(2 * assigner.maxWindowsPerRecord)
  const partCount = parts.length
  const single = partCount === 1 && parts[0].name === undefined
  /** The pane of a timestamp: start of its newest window · 1024 + its number of windows. */
  const paneOf = (timestamp: number): number => {
    const windows = assigner.assign(timestamp, scratch)
    let newest = -Infinity
    for (let w = 0; w < windows; w++) if (scratch[2 * w] > newest) newest = scratch[2 * w]
    return newest * WINDOWS_PER_PANE_ID + windows
  }
  const intGroups = new IntKeyGroups()
  /** The one aggregate when it takes whole records (no loop over parts per record). */
  const plain = single && parts[0].select === undefined ? parts[0].fn : undefined
  return (batch, keys) => {
    const { values, timestamps } = batch
    const n = values.length
    // Group g: its key, its accumulators at accs[g·parts + p], its largest timestamp.
    const groupKeys: Key[] = []
    const groupTimestamps: number[] = []
    const accs: unknown[] = []
    // Panes of this batch by id → their ordinal (0, 1, …) and their groups of non-int32 keys.
    const panes = new Map<number, { ordinal: number; otherKeys: Map<Key, number> | undefined }>()
    intGroups.reset(n)
    let lastTimestamp = NaN
    let lastPane = NaN
    let pane: { ordinal: number; otherKeys: Map<Key, number> | undefined } | undefined
    let paneOrdinal = 0
    // The previous record's key, pane and group (NaN never equals a key: a fresh batch starts without one).
    let lastKey: Key = NaN
    let lastKeyPane = -1
    let lastGroup = 0
    const addToGroup = (g: number, value: unknown) => {
      for (let p = 0; p < partCount; p++) {
        const part = parts[p]
        const at = g * partCount + p
        accs[at] = part.fn.add(accs[at], part.select === undefined ? value : part.select(value))
      }
    }
    for (let i = 0; i < n; i++) {
      const ts = timestamps[i]
      if (ts !== lastTimestamp) {
        lastTimestamp = ts
        const id = paneOf(ts)
        if (id !== lastPane) {
          lastPane = id
          pane = panes.get(id)
          if (pane === undefined) panes.set(id, (pane = { ordinal: panes.size, otherKeys: undefined }))
          paneOrdinal = pane.ordinal
        }
      }
      const key = keys[i]
      // Runs of one key (a constant key, a burst from one sensor) skip the lookup.
      if (key === lastKey && paneOrdinal === lastKeyPane) {
        if (ts > groupTimestamps[lastGroup]) groupTimestamps[lastGroup] = ts
        if (plain !== undefined) accs[lastGroup] = plain.add(accs[lastGroup], values[i])
        else addToGroup(lastGroup, values[i])
        continue
      }
      const next = groupKeys.length
      let g: number
      if (typeof key === 'number' && (key | 0) === key) g = intGroups.groupOf(paneOrdinal, key, next)
      else {
        const others = ((pane as { otherKeys: Map<Key, number> | undefined }).otherKeys ??= new Map())
        g = others.get(key) ?? next
        if (g === next) others.set(key, g)
      }
      if (g === next) {
        groupKeys.push(key)
        groupTimestamps.push(ts)
        for (let p = 0; p < partCount; p++) accs.push(parts[p].fn.createAccumulator())
      } else if (ts > groupTimestamps[g]) groupTimestamps[g] = ts
      lastKey = key
      lastKeyPane = paneOrdinal
      lastGroup = g
      if (plain !== undefined) accs[g] = plain.add(accs[g], values[i])
      else addToGroup(g, values[i])
    }
    const groups = groupKeys.length
    const out: Batch = { values: single ? accs : new Array(groups), timestamps: Float64Array.from(groupTimestamps) }
    if (!single) {
      for (let g = 0; g < groups; g++) {
        const row: Record<string, unknown> = {}
        for (let p = 0; p < partCount; p++) row[parts[p].name as string] = accs[g * partCount + p]
        out.values[g] = row
      }
    }
    return { batch: out, keys: groupKeys }
  }
}

/**
 * Group numbers of (pane ordinal, int32 key) pairs within one batch: open
 * addressing with linear probing over typed arrays, at least twice as many
 * slots as the batch has records, cleared slot by slot between batches.
 */
class IntKeyGroups {
  private keys = new Int32Array(0)
  private panes = new Int32Array(0)
  /** Group number per slot, -1 when empty. */
  private groups = new Int32Array(0)
  private used = new Int32Array(0)
  private usedCount = 0
  private mask = 0
  private shift = 32

  /** Empties the table and makes room for `records` groups. */
  reset(records: number): void {
    const groups = this.groups
    for (let u = 0; u < this.usedCount; u++) groups[this.used[u]] = -1
    this.usedCount = 0
    if (2 * records <= groups.length) return
    let bits = 4
    while (1 << bits < 2 * records) bits++
    this.keys = new Int32Array(1 << bits)
    this.panes = new Int32Array(1 << bits)
    this.groups = new Int32Array(1 << bits).fill(-1)
    this.used = new Int32Array(1 << (bits - 1))
    this.mask = (1 << bits) - 1
    this.shift = 32 - bits
  }

  /** The group of (pane, key); when it has none yet, it becomes `next`. */
  groupOf(pane: number, key: number, next: number): number {
    const keys = this.keys
    const panes = this.panes
    const groups = this.groups
    let slot = Math.imul(key ^ Math.imul(pane, 0x85ebca6b), 0x9e3779b1) >>> this.shift
    for (;;) {
      const g = groups[slot]
      if (g < 0) {
        groups[slot] = next
        keys[slot] = key
        panes[slot] = pane
        this.used[this.usedCount++] = slot
        return next
      }
      if (keys[slot] === key && panes[slot] === pane) return g
      slot = (slot + 1) & this.mask
    }
  }
}
