// Compares the soak's committed window results with the failure-free run's.
//
// A window result is identified by (kind, sensor, window start). Against the
// reference, a window is lost (missing), duplicated (there more than once:
// a topic can hold a record twice, a table keyed by the window cannot), extra
// (never computed by the reference), or wrong (other values). Records are counted through the
// windows' counts: a window that counted fewer records than the reference
// lost them; one that counted more saw them twice (duplicated records).
import type { WindowRow } from './job.js'

export interface Comparison {
  referenceWindows: number
  soakWindows: number
  lostWindows: number
  duplicatedWindows: number
  extraWindows: number
  wrongWindows: number
  lostRecords: number
  duplicatedRecords: number
  /** A few differences, for the report. */
  examples: string[]
}

const EXAMPLES_MAX = 5
const idOf = (r: WindowRow) => `${r.kind}/${r.sensor}/${r.window_start}`
const valuesOf = (r: WindowRow) => JSON.stringify([r.window_end, r.count, r.sum, r.avg, r.min, r.max])

export function compareWindows(reference: readonly WindowRow[], soak: readonly WindowRow[]): Comparison {
  const expected = new Map<string, WindowRow>()
  for (const r of reference) expected.set(idOf(r), r)
  const c: Comparison = { referenceWindows: reference.length, soakWindows: soak.length, lostWindows: 0, duplicatedWindows: 0, extraWindows: 0, wrongWindows: 0, lostRecords: 0, duplicatedRecords: 0, examples: [] }
  const example = (text: string) => {
    if (c.examples.length < EXAMPLES_MAX) c.examples.push(text)
  }
  const seen = new Set<string>()
  for (const r of soak) {
    const id = idOf(r)
    const want = expected.get(id)
    if (seen.has(id)) {
      c.duplicatedRecords += r.count
      c.duplicatedWindows++
      example(`${id}: written twice`)
      continue
    }
    seen.add(id)
    if (want === undefined) {
      c.extraWindows++
      c.duplicatedRecords += r.count
      example(`${id}: not in the reference (count ${r.count})`)
      continue
    }
    if (valuesOf(r) !== valuesOf(want)) {
      c.wrongWindows++
      if (r.count > want.count) c.duplicatedRecords += r.count - want.count
      else c.lostRecords += want.count - r.count
      example(`${id}: ${valuesOf(r)} instead of ${valuesOf(want)} ([end, count, sum, avg, min, max])`)
    }
  }
  for (const [id, want] of expected) {
    if (seen.has(id)) continue
    c.lostWindows++
    c.lostRecords += want.count
    example(`${id}: lost (count ${want.count})`)
  }
  return c
}

/** True when the soak's results are the reference's, exactly. */
export function identical(c: Comparison): boolean {
  return c.lostWindows === 0 && c.duplicatedWindows === 0 && c.extraWindows === 0 && c.wrongWindows === 0 && c.lostRecords === 0 && c.duplicatedRecords === 0
}
