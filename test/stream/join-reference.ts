// Brute-force models of the join operators' documented semantics (see the
// headers of src/stream/operators/window-join.ts, interval-join.ts and
// table.ts), written the slow, obvious way: every accepted record is kept
// forever, window membership is found by definition, matches are found by
// scanning everything, and output order is imposed by sorting on the
// documented keys. The property tests compare the operators to these.
import type { Key } from '../../src/stream/operators/types.js'

export interface JRec {
  key: Key
  ts: number
  /** Unique per record, so pairs are identifiable. */
  value: string
}

export type JStep =
  | { kind: 'left' | 'right' | 'stream' | 'table'; records: JRec[] }
  | { kind: 'watermark'; watermark: number }

/** A table step's record: value null is a tombstone. */
export type TRec = { key: Key; ts: number; value: string | null }

export interface Out {
  key: Key
  timestamp: number
  value: string
}

/** What one step returns: results and (for record steps) the late side output. */
export interface StepOut {
  results: Out[]
  late: Out[]
}

export function cmpKey(a: Key, b: Key): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'number') return -1
  if (typeof b === 'number') return 1
  return a < b ? -1 : a > b ? 1 : 0
}

export const pair = (l: string, r: string, key: Key) => `${l}+${r}@${String(key)}`

export type JoinWindowSpec = { kind: 'tumbling'; size: number; offset: number } | { kind: 'sliding'; size: number; slide: number; offset: number }

/** Windows containing `ts`, by scanning every candidate start near it. */
export function windowsOf(spec: JoinWindowSpec, ts: number): Array<[number, number]> {
  const slide = spec.kind === 'tumbling' ? spec.size : spec.slide
  const found: Array<[number, number]> = []
  for (let k = Math.floor((ts - spec.size - spec.offset) / slide) - 2; k <= Math.floor((ts - spec.offset) / slide) + 2; k++) {
    const start = spec.offset + k * slide
    if (start <= ts && ts < start + spec.size) found.push([start, start + spec.size])
  }
  return found
}

interface Accepted {
  side: 'left' | 'right'
  seq: number
  rec: JRec
  windows: Array<[number, number]>
}

/** The window join: returns one StepOut per step, plus counters. */
export function windowJoinReference(spec: JoinWindowSpec, lateness: number, steps: JStep[]) {
  const accepted: Accepted[] = []
  let wm = -Infinity
  let seq = 0
  let late = 0
  let dropped = 0
  const outs: StepOut[] = []
  type P = { end: number; start: number; key: Key; l: Accepted; r: Accepted }
  const sortAndEmit = (pairs: P[]): Out[] =>
    pairs
      .sort((a, b) => a.end - b.end || a.start - b.start || cmpKey(a.key, b.key) || a.l.seq - b.l.seq || a.r.seq - b.r.seq)
      .map((p) => ({ key: p.key, timestamp: p.end - 1, value: pair(p.l.rec.value, p.r.rec.value, p.key) }))
  const inWindow = (a: Accepted, start: number) => a.windows.some(([s]) => s === start)
  for (const step of steps) {
    if (step.kind === 'watermark') {
      const out: StepOut = { results: [], late: [] }
      if (step.watermark > wm) {
        const pairs: P[] = []
        const windows = new Map<string, [number, number]>()
        for (const a of accepted) for (const w of a.windows) windows.set(`${w[0]}`, w)
        for (const [start, end] of windows.values()) {
          if (!(end - 1 > wm && end - 1 <= step.watermark)) continue
          for (const l of accepted) {
            if (l.side !== 'left' || !inWindow(l, start)) continue
            for (const r of accepted) {
              if (r.side === 'right' && r.rec.key === l.rec.key && inWindow(r, start)) pairs.push({ end, start, key: l.rec.key, l, r })
            }
          }
        }
        out.results = sortAndEmit(pairs)
        wm = step.watermark
      }
      outs.push(out)
      continue
    }
    const side = step.kind === 'left' ? 'left' : 'right'
    const out: StepOut = { results: [], late: [] }
    const pairs: P[] = []
    for (const rec of step.records) {
      const candidates = windowsOf(spec, rec.ts)
      if (candidates.length === 0) {
        dropped++
        continue
      }
      const live = candidates.filter(([, end]) => end - 1 + lateness > wm)
      if (live.length === 0) {
        late++
        out.late.push({ key: rec.key, timestamp: rec.ts, value: rec.value })
        continue
      }
      const me: Accepted = { side, seq: seq++, rec, windows: live }
      for (const [start, end] of live) {
        if (end - 1 > wm) continue // not fired yet: paired when it fires
        for (const other of accepted) {
          if (other.side === side || other.rec.key !== rec.key || !inWindow(other, start)) continue
          pairs.push(side === 'left' ? { end, start, key: rec.key, l: me, r: other } : { end, start, key: rec.key, l: other, r: me })
        }
      }
      accepted.push(me)
    }
    out.results = sortAndEmit(pairs)
    outs.push(out)
  }
  return { outs, late, dropped }
}

/** The interval join: returns one StepOut per step. */
export function intervalJoinReference(lower: number, upper: number, steps: JStep[]) {
  const accepted: Accepted[] = []
  let wm = -Infinity
  let seq = 0
  let late = 0
  const outs: StepOut[] = []
  for (const step of steps) {
    const out: StepOut = { results: [], late: [] }
    outs.push(out)
    if (step.kind === 'watermark') {
      wm = Math.max(wm, step.watermark)
      continue
    }
    const side = step.kind === 'left' ? 'left' : 'right'
    for (const rec of step.records) {
      if (rec.ts <= wm) {
        late++
        out.late.push({ key: rec.key, timestamp: rec.ts, value: rec.value })
        continue
      }
      const me: Accepted = { side, seq: seq++, rec, windows: [] }
      const matches = accepted
        .filter((o) => o.side !== side && o.rec.key === rec.key)
        .filter((o) => (side === 'left' ? rec.ts + lower <= o.rec.ts && o.rec.ts <= rec.ts + upper : o.rec.ts + lower <= rec.ts && rec.ts <= o.rec.ts + upper))
        .sort((a, b) => a.rec.ts - b.rec.ts || a.seq - b.seq)
      for (const m of matches) {
        const [l, r] = side === 'left' ? [me, m] : [m, me]
        out.results.push({ key: rec.key, timestamp: Math.max(l.rec.ts, r.rec.ts), value: pair(l.rec.value, r.rec.value, rec.key) })
      }
      accepted.push(me)
    }
  }
  return { outs, late }
}

export const tableJoin = (s: string, t: string | undefined, key: Key) => `${s}*${t ?? '-'}@${String(key)}`

/**
 * The stream-table join. Default: each stream record meets the table's
 * current value. Temporal: stream records wait for the watermark, then meet the
 * latest non-late table update of their key at or before their timestamp.
 */
export function streamTableReference(mode: 'inner' | 'left', temporal: boolean, steps: Array<JStep | { kind: 'table'; records: TRec[] }>) {
  const current = new Map<Key, string>()
  const versions: Array<{ key: Key; ts: number; seq: number; value: string | null }> = []
  const pending: Array<{ rec: JRec; seq: number }> = []
  let wm = -Infinity
  let seq = 0
  let late = 0
  const outs: StepOut[] = []
  const joined = (rec: JRec, t: string | undefined): Out[] =>
    t === undefined && mode === 'inner' ? [] : [{ key: rec.key, timestamp: rec.ts, value: tableJoin(rec.value, t, rec.key) }]
  for (const step of steps) {
    const out: StepOut = { results: [], late: [] }
    outs.push(out)
    if (step.kind === 'watermark') {
      if (step.watermark <= wm) continue
      wm = step.watermark
      if (!temporal) continue
      const due = pending.filter((p) => p.rec.ts <= wm).sort((a, b) => a.rec.ts - b.rec.ts || cmpKey(a.rec.key, b.rec.key) || a.seq - b.seq)
      for (const p of due) {
        pending.splice(pending.indexOf(p), 1)
        const candidates = versions.filter((v) => v.key === p.rec.key && v.ts <= p.rec.ts).sort((a, b) => a.ts - b.ts || a.seq - b.seq)
        const version = candidates.at(-1)?.value ?? undefined
        out.results.push(...joined(p.rec, version ?? undefined))
      }
      continue
    }
    if (step.kind === 'table') {
      for (const rec of step.records as TRec[]) {
        if (rec.value === null) current.delete(rec.key)
        else current.set(rec.key, rec.value)
        if (temporal && rec.ts > wm) versions.push({ key: rec.key, ts: rec.ts, seq: seq++, value: rec.value })
      }
      continue
    }
    for (const rec of step.records as JRec[]) {
      if (!temporal) out.results.push(...joined(rec, current.get(rec.key)))
      else if (rec.ts <= wm) {
        late++
        out.late.push({ key: rec.key, timestamp: rec.ts, value: rec.value })
      } else pending.push({ rec, seq: seq++ })
    }
  }
  return { outs, late, current }
}
