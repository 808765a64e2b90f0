// A brute-force model of the window operator's semantics (see the header of
// src/stream/window/operator.ts), written the slow, obvious way: window
// membership by definition (start ≡ offset mod slide, start <= t < start+size),
// every window keeps the raw list of its values, and results are recomputed
// from scratch at each firing. The property tests compare the operator to it.

export type AggName = 'count' | 'sum' | 'min' | 'max' | 'avg'

export type WindowSpec =
  | { kind: 'tumbling'; size: number; offset: number }
  | { kind: 'sliding'; size: number; slide: number; offset: number }
  | { kind: 'session'; gap: number }

export interface Rec {
  key: string
  ts: number
  value: number
}

export type Step = { kind: 'batch'; records: Rec[] } | { kind: 'watermark'; watermark: number }

export interface RefResult {
  key: string
  windowStart: number
  windowEnd: number
  result: number
}

interface RefWindow {
  key: string
  start: number
  end: number
  values: number[]
  fired: boolean
  touched: boolean
}

export function aggregateOf(name: AggName, values: number[]): number {
  switch (name) {
    case 'count':
      return values.length
    case 'sum':
      return values.reduce((a, b) => a + b, 0)
    case 'min':
      return Math.min(...values)
    case 'max':
      return Math.max(...values)
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length
  }
}

/** Windows containing `ts`, found by scanning every candidate start near it. */
function windowsByDefinition(spec: WindowSpec, ts: number): Array<[number, number]> {
  if (spec.kind === 'session') throw new Error('not for sessions')
  const slide = spec.kind === 'tumbling' ? spec.size : spec.slide
  const found: Array<[number, number]> = []
  const lo = Math.floor((ts - spec.size - spec.offset) / slide) - 2
  const hi = Math.floor((ts - spec.offset) / slide) + 2
  for (let k = lo; k <= hi; k++) {
    const start = spec.offset + k * slide
    if (start <= ts && ts < start + spec.size) found.push([start, start + spec.size])
  }
  return found
}

function order(a: RefWindow, b: RefWindow): number {
  return a.end - b.end || a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
}

export function runReference(
  spec: WindowSpec,
  agg: AggName,
  lateness: number,
  steps: Step[],
): { results: RefResult[]; late: Rec[] } {
  let windows: RefWindow[] = []
  let wm = -Infinity
  const results: RefResult[] = []
  const late: Rec[] = []
  const emit = (w: RefWindow) => results.push({ key: w.key, windowStart: w.start, windowEnd: w.end, result: aggregateOf(agg, w.values) })
  for (const step of steps) {
    if (step.kind === 'batch') {
      for (const w of windows) w.touched = false
      for (const r of step.records) {
        if (spec.kind === 'session') {
          const start = r.ts
          const end = r.ts + spec.gap
          const hits = windows.filter((w) => w.key === r.key && w.start <= end && w.end >= start)
          if (hits.length === 0) {
            if (end - 1 + lateness <= wm) late.push(r)
            else windows.push({ key: r.key, start, end, values: [r.value], fired: false, touched: true })
          } else if (hits.length === 1 && hits[0].start <= start && end <= hits[0].end) {
            hits[0].values.push(r.value)
            hits[0].touched = true
          } else {
            const merged: RefWindow = {
              key: r.key,
              start: Math.min(start, ...hits.map((w) => w.start)),
              end: Math.max(end, ...hits.map((w) => w.end)),
              values: [...hits.flatMap((w) => w.values), r.value],
              fired: false,
              touched: true,
            }
            windows = windows.filter((w) => !hits.includes(w))
            windows.push(merged)
          }
          continue
        }
        const candidates = windowsByDefinition(spec, r.ts)
        let accepted = false
        for (const [start, end] of candidates) {
          if (end - 1 + lateness <= wm) continue
          accepted = true
          let w = windows.find((x) => x.key === r.key && x.start === start && x.end === end)
          if (w === undefined) {
            w = { key: r.key, start, end, values: [], fired: false, touched: false }
            windows.push(w)
          }
          w.values.push(r.value)
          w.touched = true
        }
        if (candidates.length > 0 && !accepted) late.push(r)
      }
      const refire = windows.filter((w) => w.touched && w.end - 1 <= wm).sort(order)
      for (const w of refire) {
        w.fired = true
        emit(w)
      }
    } else {
      if (step.watermark <= wm) continue
      wm = step.watermark
      for (const w of windows.filter((x) => !x.fired && x.end - 1 <= wm).sort(order)) {
        w.fired = true
        emit(w)
      }
      windows = windows.filter((w) => w.end - 1 + lateness > wm)
    }
  }
  return { results, late }
}
