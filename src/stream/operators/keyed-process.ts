// The keyed process operator: Flink's KeyedProcessFunction. A user function
// sees each record with a context scoped to the record's key: keyed state
// (value, list and map state), event-time and processing-time timers, the
// main output and tagged side outputs.
//
// Semantics (stated once):
// - processBatch calls processElement once per record, in batch order, with
//   ctx.key / ctx.timestamp set to the record's. Records are never dropped: a
//   record with timestamp <= the watermark is processed like any other and
//   counted in lateRecords (the function can compare ctx.timestamp with
//   ctx.watermark itself).
// - ctx.emit(value, timestamp?) adds to the main output; the timestamp
//   defaults to the record's (in onTimer: the timer's, for both time domains).
//   ctx.output(tag, value) adds to the side outputs (returned separately, in
//   call order, each with its tag and the context's key and timestamp).
// - State is scoped to the current key. Handles (ctx.state.value(name) …) can
//   be taken once (in open, or anywhere) and reused: they always act on the key
//   being processed. Using them outside processElement / onTimer throws. A
//   name belongs to one kind of state. ValueState.set(undefined) clears.
// - Timers are deduplicated per (key, time, domain), as in Flink. Event-time
//   timers fire in advanceWatermark(W) (a lower or equal W is ignored) for
//   every timer <= W, in (time, key) order (keys by compareKeys), including
//   timers registered at or before W while firing. A timer registered for a
//   time the watermark has already passed fires at the next advance.
//   Processing-time timers fire in advanceProcessingTime(nowMs) for every
//   timer <= nowMs, in (time, key) order; processing time never goes back (a
//   lower nowMs is treated as the current one) and timers registered in the
//   past fire at the next call.
// - open(ctx), if given, is called once before the first record or time
//   advance (also after restore, with ctx.restored = true).
// - stateSize counts state entries: one per value state set, one per list
//   element, one per map entry, one per pending timer, over all keys. A key
//   with no state and no timers is dropped from memory.
// - If the user function throws, the exception propagates; what the batch
//   had done up to then (state, timers) stays applied, and its outputs are lost
//   (restore from the last snapshot to retry).
//
// Snapshot (format 'eddy/keyedProcess', version 1), UTF-8 JSON:
//   { format, version, watermark, processingTime, lateRecords,
//     keys: [[key,
//             [[name, value], ...],                 (value state)
//             [[name, [element, ...]], ...],        (list state)
//             [[name, [[mapKey, value], ...]], ...],(map state)
//             [eventTime, ...],                     (event-time timers, ascending)
//             [processingTime, ...]], ...] }       (processing-time timers, ascending)
// State values go through JSON (see types.ts).
import { StreamConfigError, StreamInputError } from '../errors.js'
import { MIN_WATERMARK } from '../time/watermarks.js'
import {
  checkWatermark,
  compareKeys,
  decodeTime,
  encodeTime,
  isKey,
  malformed,
  MinHeap,
  readSnapshot,
  snapshotArray,
  snapshotKey,
  snapshotNumber,
  validateBatch,
  writeSnapshot,
  type Batch,
  type Emitted,
  type Key,
  type OperatorStats,
} from './types.js'

export type TimeDomain = 'eventTime' | 'processingTime'

/** A single value per key. */
export interface ValueState<T> {
  /** The value, or the handle's default when unset. */
  get(): T
  /** Sets the value; undefined clears it. */
  set(value: T): void
  clear(): void
}

/** A list per key. */
export interface ListState<T> {
  add(value: T): void
  addAll(values: Iterable<T>): void
  /** A copy of the elements, in insertion order ([] when empty). */
  get(): T[]
  /** Replaces the elements. */
  update(values: Iterable<T>): void
  readonly length: number
  clear(): void
}

/** A map per key (map keys are strings or finite numbers). */
export interface MapState<T, MK extends Key = Key> {
  get(mapKey: MK): T | undefined
  set(mapKey: MK, value: T): void
  delete(mapKey: MK): boolean
  has(mapKey: MK): boolean
  /** A copy of the entries, in insertion order. */
  entries(): Array<[MK, T]>
  keys(): MK[]
  values(): T[]
  readonly size: number
  clear(): void
}

/** Keyed state handles; they act on the key being processed. */
export interface KeyedState {
  value<T>(name: string): ValueState<T | undefined>
  value<T>(name: string, defaultValue: T): ValueState<T>
  list<T>(name: string): ListState<T>
  map<T, MK extends Key = Key>(name: string): MapState<T, MK>
}

/** Timers of the current key (deduplicated per key and time). */
export interface TimerService {
  registerEventTime(timestamp: number): void
  deleteEventTime(timestamp: number): void
  registerProcessingTime(timestamp: number): void
  deleteProcessingTime(timestamp: number): void
}

export interface OpenContext {
  readonly watermark: number
  readonly processingTime: number
  /** Whether the operator was restored from a snapshot. */
  readonly restored: boolean
  /** State handles can be taken here and used later (they are not usable in open itself: there is no key). */
  readonly state: KeyedState
}

export interface KeyedContext<K extends Key, OUT> {
  readonly key: K
  /** The record's timestamp (in onTimer: the timer's time). */
  readonly timestamp: number
  readonly watermark: number
  /** The last processing time passed to advanceProcessingTime (−∞ before any). */
  readonly processingTime: number
  emit(value: OUT, timestamp?: number): void
  output(tag: string, value: unknown): void
  readonly state: KeyedState
  readonly timers: TimerService
}

export interface TimerContext<K extends Key, OUT> extends KeyedContext<K, OUT> {
  readonly timeDomain: TimeDomain
}

export interface KeyedProcessFunction<K extends Key, IN, OUT> {
  open?(ctx: OpenContext): void
  processElement(value: IN, ctx: KeyedContext<K, OUT>): void
  onTimer?(timestamp: number, ctx: TimerContext<K, OUT>): void
}

export interface KeyedProcessOptions<K extends Key, IN, OUT> {
  fn: KeyedProcessFunction<K, IN, OUT>
}

export interface SideOutput<K extends Key = Key> {
  tag: string
  key: K
  timestamp: number
  value: unknown
}

export interface KeyedProcessOutput<OUT, K extends Key = Key> {
  results: Emitted<OUT, K>[]
  side: SideOutput<K>[]
}

export interface KeyedProcessStats extends OperatorStats {
  /** stateSize: state entries + pending timers (see the header). */
  stateSize: number
  /** lateRecords: records processed whose timestamp was already <= the watermark. */
  lateRecords: number
  /** Keys held in memory. */
  keys: number
  eventTimeTimers: number
  processingTimeTimers: number
}

interface KeyState {
  values: Map<string, unknown>
  lists: Map<string, unknown[]>
  maps: Map<string, Map<Key, unknown>>
  /** time → registration number */
  eventTimers: Map<number, number>
  processingTimers: Map<number, number>
  /** Entries held (values, list elements, map entries, timers). */
  size: number
}

interface Timer {
  time: number
  key: Key
  seq: number
}

type Kind = 'value' | 'list' | 'map'

const FORMAT = 'eddy/keyedProcess'
const VERSION = 1

function timerLess(a: Timer, b: Timer): boolean {
  if (a.time !== b.time) return a.time < b.time
  const k = compareKeys(a.key, b.key)
  return k !== 0 ? k < 0 : a.seq < b.seq
}

function newKeyState(): KeyState {
  return { values: new Map(), lists: new Map(), maps: new Map(), eventTimers: new Map(), processingTimers: new Map(), size: 0 }
}

function checkTime(what: string, timestamp: unknown): number {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    throw new StreamInputError(`${what}: the time must be a finite number, got ${String(timestamp)}`)
  }
  return timestamp
}

export class KeyedProcessOperator<K extends Key, IN, OUT> {
  private readonly fn: KeyedProcessFunction<K, IN, OUT>
  private readonly keyed = new Map<Key, KeyState>()
  private readonly eventHeap = new MinHeap<Timer>(timerLess)
  private readonly processingHeap = new MinHeap<Timer>(timerLess)
  /** Heap entries whose timer was deleted (compacted when they pile up). */
  private stale = 0
  private timerSeq = 0
  private eventTimerCount = 0
  private processingTimerCount = 0
  private totalSize = 0
  private currentWatermark = MIN_WATERMARK
  private currentProcessingTime = -Infinity
  private lateCount = 0
  private opened = false
  private restored = false
  // The callback in progress.
  private active = false
  private currentKey: Key = ''
  private currentState: KeyState | undefined
  private currentTimestamp = 0
  private currentDomain: TimeDomain = 'eventTime'
  private out: KeyedProcessOutput<OUT, K> = { results: [], side: [] }
  private readonly kinds = new Map<string, Kind>()
  private readonly valueHandles = new Map<string, { defaultValue: unknown; handle: ValueState<unknown> }>()
  private readonly listHandles = new Map<string, ListState<unknown>>()
  private readonly mapHandles = new Map<string, MapState<unknown, Key>>()
  private readonly stateAccess: KeyedState
  private readonly timerService: TimerService
  private readonly ctx: TimerContext<K, OUT>

  constructor(options: KeyedProcessOptions<K, IN, OUT>) {
    const fn = options?.fn
    if (fn === null || typeof fn !== 'object' || typeof fn.processElement !== 'function') {
      throw new StreamConfigError('fn', 'is required: an object with processElement(value, ctx) (and optionally open(ctx), onTimer(timestamp, ctx))')
    }
    if (fn.onTimer !== undefined && typeof fn.onTimer !== 'function') throw new StreamConfigError('fn.onTimer', 'must be a function')
    if (fn.open !== undefined && typeof fn.open !== 'function') throw new StreamConfigError('fn.open', 'must be a function')
    this.fn = fn
    const op = this
    this.stateAccess = {
      value: <T>(name: string, defaultValue?: T) => op.valueHandle(name, defaultValue) as ValueState<T>,
      list: <T>(name: string) => op.listHandle(name) as ListState<T>,
      map: <T, MK extends Key = Key>(name: string) => op.mapHandle(name) as unknown as MapState<T, MK>,
    } as KeyedState
    this.timerService = {
      registerEventTime: (t) => op.registerTimer('eventTime', checkTime('registerEventTime', t)),
      deleteEventTime: (t) => op.deleteTimer('eventTime', checkTime('deleteEventTime', t)),
      registerProcessingTime: (t) => op.registerTimer('processingTime', checkTime('registerProcessingTime', t)),
      deleteProcessingTime: (t) => op.deleteTimer('processingTime', checkTime('deleteProcessingTime', t)),
    }
    this.ctx = {
      get key() {
        op.requireActive('ctx.key')
        return op.currentKey as K
      },
      get timestamp() {
        op.requireActive('ctx.timestamp')
        return op.currentTimestamp
      },
      get watermark() {
        return op.currentWatermark
      },
      get processingTime() {
        return op.currentProcessingTime
      },
      get timeDomain() {
        return op.currentDomain
      },
      emit(value: OUT, timestamp?: number) {
        op.requireActive('ctx.emit')
        const ts = timestamp === undefined ? op.currentTimestamp : checkTime('ctx.emit', timestamp)
        op.out.results.push({ key: op.currentKey as K, timestamp: ts, value })
      },
      output(tag: string, value: unknown) {
        op.requireActive('ctx.output')
        if (typeof tag !== 'string') throw new StreamInputError(`ctx.output: the tag must be a string, got ${typeof tag}`)
        op.out.side.push({ tag, key: op.currentKey as K, timestamp: op.currentTimestamp, value })
      },
      state: this.stateAccess,
      timers: this.timerService,
    }
  }

  get watermark(): number {
    return this.currentWatermark
  }

  get processingTime(): number {
    return this.currentProcessingTime
  }

  stats(): KeyedProcessStats {
    return {
      watermark: this.currentWatermark,
      stateSize: this.totalSize,
      lateRecords: this.lateCount,
      keys: this.keyed.size,
      eventTimeTimers: this.eventTimerCount,
      processingTimeTimers: this.processingTimerCount,
    }
  }

  // ---------------------------------------------------------------- callbacks

  private requireActive(what: string): KeyState {
    if (!this.active || this.currentState === undefined) {
      throw new StreamInputError(`${what} is only available inside processElement or onTimer (state and timers are scoped to the current key)`)
    }
    return this.currentState
  }

  private ensureOpen(): void {
    if (this.opened) return
    this.opened = true
    const op = this
    this.fn.open?.({
      get watermark() {
        return op.currentWatermark
      },
      get processingTime() {
        return op.currentProcessingTime
      },
      restored: this.restored,
      state: this.stateAccess,
    })
  }

  private begin(): KeyedProcessOutput<OUT, K> {
    if (this.active) throw new StreamInputError('the operator was called re-entrantly from inside its own user function')
    this.ensureOpen()
    const out: KeyedProcessOutput<OUT, K> = { results: [], side: [] }
    this.out = out
    return out
  }

  /** Runs one keyed callback; drops the key afterwards if it holds nothing. */
  private withKey(key: Key, timestamp: number, body: () => void): void {
    let state = this.keyed.get(key)
    if (state === undefined) {
      state = newKeyState()
      this.keyed.set(key, state)
    }
    this.active = true
    this.currentKey = key
    this.currentState = state
    this.currentTimestamp = timestamp
    try {
      body()
    } finally {
      this.active = false
      this.currentState = undefined
      if (state.size === 0) this.keyed.delete(key)
    }
  }

  private grow(state: KeyState, delta: number): void {
    state.size += delta
    this.totalSize += delta
  }

  /** Calls processElement for each record (see the header); returns the main and side outputs. */
  processBatch(batch: Batch<IN, K>): KeyedProcessOutput<OUT, K> {
    const n = validateBatch(batch as Batch<IN>)
    const out = this.begin()
    const { keys, timestamps, values } = batch
    this.currentDomain = 'eventTime'
    for (let i = 0; i < n; i++) {
      const timestamp = timestamps[i]
      if (timestamp <= this.currentWatermark) this.lateCount++
      const value = values[i]
      this.withKey(keys[i], timestamp, () => this.fn.processElement(value, this.ctx))
    }
    return out
  }

  /** Advances the watermark (a lower or equal one is ignored) and fires event-time timers <= it in (time, key) order. */
  advanceWatermark(watermark: number): KeyedProcessOutput<OUT, K> {
    checkWatermark(watermark)
    const out = this.begin()
    if (watermark <= this.currentWatermark) return out
    this.currentWatermark = watermark
    this.fire('eventTime', watermark)
    return out
  }

  /** Advances processing time to nowMs and fires processing-time timers <= it in (time, key) order. */
  advanceProcessingTime(nowMs: number): KeyedProcessOutput<OUT, K> {
    if (typeof nowMs !== 'number' || Number.isNaN(nowMs)) throw new StreamInputError(`nowMs must be a number, got ${String(nowMs)}`)
    const out = this.begin()
    if (nowMs > this.currentProcessingTime) this.currentProcessingTime = nowMs
    this.fire('processingTime', this.currentProcessingTime)
    return out
  }

  private fire(domain: TimeDomain, upTo: number): void {
    const heap = domain === 'eventTime' ? this.eventHeap : this.processingHeap
    for (let timer = heap.peek(); timer !== undefined && timer.time <= upTo; timer = heap.peek()) {
      heap.pop()
      const state = this.keyed.get(timer.key)
      const timers = state === undefined ? undefined : domain === 'eventTime' ? state.eventTimers : state.processingTimers
      if (state === undefined || timers === undefined || timers.get(timer.time) !== timer.seq) {
        if (this.stale > 0) this.stale--
        continue
      }
      timers.delete(timer.time)
      this.grow(state, -1)
      if (domain === 'eventTime') this.eventTimerCount--
      else this.processingTimerCount--
      const onTimer = this.fn.onTimer
      this.currentDomain = domain
      this.withKey(timer.key, timer.time, () => onTimer?.call(this.fn, timer.time, this.ctx))
    }
    this.currentDomain = 'eventTime'
  }

  // ---------------------------------------------------------------- timers

  private registerTimer(domain: TimeDomain, time: number): void {
    const state = this.requireActive(domain === 'eventTime' ? 'timers.registerEventTime' : 'timers.registerProcessingTime')
    const timers = domain === 'eventTime' ? state.eventTimers : state.processingTimers
    if (timers.has(time)) return
    const seq = this.timerSeq++
    timers.set(time, seq)
    this.grow(state, 1)
    if (domain === 'eventTime') {
      this.eventTimerCount++
      this.eventHeap.push({ time, key: this.currentKey, seq })
    } else {
      this.processingTimerCount++
      this.processingHeap.push({ time, key: this.currentKey, seq })
    }
  }

  private deleteTimer(domain: TimeDomain, time: number): void {
    const state = this.requireActive(domain === 'eventTime' ? 'timers.deleteEventTime' : 'timers.deleteProcessingTime')
    const timers = domain === 'eventTime' ? state.eventTimers : state.processingTimers
    if (!timers.delete(time)) return
    this.grow(state, -1)
    if (domain === 'eventTime') this.eventTimerCount--
    else this.processingTimerCount--
    if (++this.stale > 1024 && this.stale > (this.eventHeap.size + this.processingHeap.size) / 2) this.compactTimers()
  }

  /** Drops heap entries of deleted timers. */
  private compactTimers(): void {
    const valid = (domain: TimeDomain) => (timer: Timer) => {
      const state = this.keyed.get(timer.key)
      if (state === undefined) return false
      return (domain === 'eventTime' ? state.eventTimers : state.processingTimers).get(timer.time) === timer.seq
    }
    this.eventHeap.filter(valid('eventTime'))
    this.processingHeap.filter(valid('processingTime'))
    this.stale = 0
  }

  // ---------------------------------------------------------------- state

  private claim(name: string, kind: Kind): void {
    if (typeof name !== 'string') throw new StreamConfigError('state', `a state name must be a string, got ${typeof name}`)
    const existing = this.kinds.get(name)
    if (existing === undefined) this.kinds.set(name, kind)
    else if (existing !== kind) throw new StreamConfigError('state', `"${name}" is already ${existing} state; it cannot also be ${kind} state`)
  }

  private valueHandle(name: string, defaultValue: unknown): ValueState<unknown> {
    const cached = this.valueHandles.get(name)
    if (cached !== undefined && Object.is(cached.defaultValue, defaultValue)) return cached.handle
    this.claim(name, 'value')
    const op = this
    const what = `value state "${name}"`
    const handle: ValueState<unknown> = {
      get() {
        const state = op.requireActive(what)
        return state.values.has(name) ? state.values.get(name) : defaultValue
      },
      set(value: unknown) {
        const state = op.requireActive(what)
        if (value === undefined) {
          if (state.values.delete(name)) op.grow(state, -1)
          return
        }
        if (!state.values.has(name)) op.grow(state, 1)
        state.values.set(name, value)
      },
      clear() {
        const state = op.requireActive(what)
        if (state.values.delete(name)) op.grow(state, -1)
      },
    }
    this.valueHandles.set(name, { defaultValue, handle })
    return handle
  }

  private listHandle(name: string): ListState<unknown> {
    const cached = this.listHandles.get(name)
    if (cached !== undefined) return cached
    this.claim(name, 'list')
    const op = this
    const what = `list state "${name}"`
    const replace = (state: KeyState, values: unknown[]) => {
      const old = state.lists.get(name)
      op.grow(state, values.length - (old?.length ?? 0))
      if (values.length === 0) state.lists.delete(name)
      else state.lists.set(name, values)
    }
    const handle: ListState<unknown> = {
      add(value: unknown) {
        const state = op.requireActive(what)
        const list = state.lists.get(name)
        if (list === undefined) state.lists.set(name, [value])
        else list.push(value)
        op.grow(state, 1)
      },
      addAll(values: Iterable<unknown>) {
        const state = op.requireActive(what)
        const added = [...values]
        if (added.length > 0) replace(state, [...(state.lists.get(name) ?? []), ...added])
      },
      get() {
        return op.requireActive(what).lists.get(name)?.slice() ?? []
      },
      update(values: Iterable<unknown>) {
        replace(op.requireActive(what), [...values])
      },
      get length() {
        return op.requireActive(what).lists.get(name)?.length ?? 0
      },
      clear() {
        replace(op.requireActive(what), [])
      },
    }
    this.listHandles.set(name, handle)
    return handle
  }

  private mapHandle(name: string): MapState<unknown, Key> {
    const cached = this.mapHandles.get(name)
    if (cached !== undefined) return cached
    this.claim(name, 'map')
    const op = this
    const what = `map state "${name}"`
    const checkMapKey = (mapKey: unknown) => {
      if (!isKey(mapKey)) throw new StreamInputError(`${what}: map keys must be strings or finite numbers, got ${String(mapKey)}`)
    }
    const handle: MapState<unknown, Key> = {
      get(mapKey) {
        return op.requireActive(what).maps.get(name)?.get(mapKey)
      },
      set(mapKey, value) {
        const state = op.requireActive(what)
        checkMapKey(mapKey)
        let map = state.maps.get(name)
        if (map === undefined) {
          map = new Map()
          state.maps.set(name, map)
        }
        if (!map.has(mapKey)) op.grow(state, 1)
        map.set(mapKey, value)
      },
      delete(mapKey) {
        const state = op.requireActive(what)
        const map = state.maps.get(name)
        if (map === undefined || !map.delete(mapKey)) return false
        op.grow(state, -1)
        if (map.size === 0) state.maps.delete(name)
        return true
      },
      has(mapKey) {
        return op.requireActive(what).maps.get(name)?.has(mapKey) ?? false
      },
      entries() {
        return [...(op.requireActive(what).maps.get(name) ?? [])]
      },
      keys() {
        return [...(op.requireActive(what).maps.get(name)?.keys() ?? [])]
      },
      values() {
        return [...(op.requireActive(what).maps.get(name)?.values() ?? [])]
      },
      get size() {
        return op.requireActive(what).maps.get(name)?.size ?? 0
      },
      clear() {
        const state = op.requireActive(what)
        const map = state.maps.get(name)
        if (map === undefined) return
        op.grow(state, -map.size)
        state.maps.delete(name)
      },
    }
    this.mapHandles.set(name, handle)
    return handle
  }

  // ---------------------------------------------------------------- snapshots

  /** Serialises the operator's state (format in the header comment). */
  snapshot(): Uint8Array {
    const keys = [...this.keyed].map(([key, s]) => [
      key,
      [...s.values],
      [...s.lists],
      [...s.maps].map(([name, map]) => [name, [...map]]),
      [...s.eventTimers.keys()].sort((a, b) => a - b),
      [...s.processingTimers.keys()].sort((a, b) => a - b),
    ])
    return writeSnapshot(FORMAT, VERSION, {
      watermark: encodeTime(this.currentWatermark),
      processingTime: encodeTime(this.currentProcessingTime),
      lateRecords: this.lateCount,
      keys,
    })
  }

  /** Rebuilds an operator from snapshot() bytes; open() is called again (with ctx.restored) before the next call. */
  static restore<K extends Key, IN, OUT>(options: KeyedProcessOptions<K, IN, OUT>, bytes: Uint8Array): KeyedProcessOperator<K, IN, OUT> {
    const op = new KeyedProcessOperator(options)
    const s = readSnapshot(bytes, FORMAT, VERSION)
    op.restored = true
    op.currentWatermark = decodeTime(s.watermark, 'watermark')
    op.currentProcessingTime = decodeTime(s.processingTime, 'processingTime')
    op.lateCount = snapshotNumber(s.lateRecords, 'lateRecords')
    const named = (value: unknown, field: string): [string, unknown] => {
      const pair = snapshotArray(value, field)
      if (typeof pair[0] !== 'string') throw malformed(`${field}[0]`, pair[0])
      return [pair[0], pair[1]]
    }
    snapshotArray(s.keys, 'keys').forEach((row, i) => {
      const f = `keys[${i}]`
      const r = snapshotArray(row, f)
      const key = snapshotKey(r[0], `${f}[0]`)
      const state = newKeyState()
      snapshotArray(r[1], `${f}[1]`).forEach((entry, j) => {
        const [name, value] = named(entry, `${f}[1][${j}]`)
        op.claimRestored(name, 'value', `${f}[1][${j}]`)
        state.values.set(name, value)
        state.size++
      })
      snapshotArray(r[2], `${f}[2]`).forEach((entry, j) => {
        const [name, list] = named(entry, `${f}[2][${j}]`)
        op.claimRestored(name, 'list', `${f}[2][${j}]`)
        const elements = snapshotArray(list, `${f}[2][${j}][1]`)
        if (elements.length === 0) return
        state.lists.set(name, elements)
        state.size += elements.length
      })
      snapshotArray(r[3], `${f}[3]`).forEach((entry, j) => {
        const [name, entries] = named(entry, `${f}[3][${j}]`)
        op.claimRestored(name, 'map', `${f}[3][${j}]`)
        const map = new Map<Key, unknown>()
        snapshotArray(entries, `${f}[3][${j}][1]`).forEach((e, m) => {
          const pair = snapshotArray(e, `${f}[3][${j}][1][${m}]`)
          map.set(snapshotKey(pair[0], `${f}[3][${j}][1][${m}][0]`), pair[1])
        })
        if (map.size === 0) return
        state.maps.set(name, map)
        state.size += map.size
      })
      for (const [index, domain] of [[4, 'eventTime'], [5, 'processingTime']] as const) {
        for (const t of snapshotArray(r[index], `${f}[${index}]`)) {
          const time = snapshotNumber(t, `${f}[${index}][]`)
          const timers = domain === 'eventTime' ? state.eventTimers : state.processingTimers
          if (timers.has(time)) continue
          const seq = op.timerSeq++
          timers.set(time, seq)
          state.size++
          if (domain === 'eventTime') {
            op.eventTimerCount++
            op.eventHeap.push({ time, key, seq })
          } else {
            op.processingTimerCount++
            op.processingHeap.push({ time, key, seq })
          }
        }
      }
      if (state.size === 0) return
      op.keyed.set(key, state)
      op.totalSize += state.size
    })
    return op
  }

  private claimRestored(name: string, kind: Kind, field: string): void {
    const existing = this.kinds.get(name)
    if (existing !== undefined && existing !== kind) throw malformed(field, name)
    this.kinds.set(name, kind)
  }
}
