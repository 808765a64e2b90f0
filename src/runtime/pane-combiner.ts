// Pre-aggregation at a keyBy (Flink's mini-batch local aggregation): a batch's
// records are folded into one partial accumulator per (key, pane) before they
// are routed, so one partial per group crosses threads instead of every
// record. A pane is the set of records that fall in exactly the same windows;
// it is named by its newest window's start and its window count, so any
// record of the pane maps back to the same windows downstream.
//
// Per record the hot path is one Map lookup: records mostly arrive in time
// order, so the groups of the pane the previous record fell in are kept at
// hand, and the pane of a record is recomputed only when its timestamp
// differs from the previous one's.
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
  return (batch, keys) => {
    const { values, timestamps } = batch
    const n = values.length
    // Group g: its key, its accumulators at accs[g·parts + p], its largest timestamp.
    const groupKeys: Key[] = []
    const groupTimestamps: number[] = []
    const accs: unknown[] = []
    const groupsByPane = new Map<number, Map<Key, number>>()
    let lastTimestamp = NaN
    let lastPane = NaN
    let paneGroups: Map<Key, number> | undefined
    for (let i = 0; i < n; i++) {
      const ts = timestamps[i]
      if (ts !== lastTimestamp) {
        lastTimestamp = ts
        const pane = paneOf(ts)
        if (pane !== lastPane) {
          lastPane = pane
          paneGroups = groupsByPane.get(pane)
          if (paneGroups === undefined) groupsByPane.set(pane, (paneGroups = new Map()))
        }
      }
      const key = keys[i]
      let g = (paneGroups as Map<Key, number>).get(key)
      if (g === undefined) {
        g = groupKeys.length
        ;(paneGroups as Map<Key, number>).set(key, g)
        groupKeys.push(key)
        groupTimestamps.push(ts)
        for (let p = 0; p < partCount; p++) accs.push(parts[p].fn.createAccumulator())
      } else if (ts > groupTimestamps[g]) groupTimestamps[g] = ts
      const value = values[i]
      for (let p = 0; p < partCount; p++) {
        const part = parts[p]
        const at = g * partCount + p
        accs[at] = part.fn.add(accs[at], part.select === undefined ? value : part.select(value))
      }
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
