// Aggregations over windows. A user writes an AggregateFunction (Flink's
// shape: createAccumulator / add / merge / getResult; merge is what session
// windows need when two sessions join). The window operator never touches
// accumulators directly: it talks to an AccumulatorStore, which holds
// accumulators in numbered slots and adds a whole batch at once. A user
// function gets a generic store of JS objects; the built-ins (count, sum,
// min, max, avg) bring a columnar store over Float64Arrays, laid out so a
// Wasm implementation can replace it batch for batch (slots = offsets into
// linear memory, addBatch = one call across the boundary).
import { StreamInputError } from '../errors.js'

export interface AggregateFunction<IN, ACC, OUT> {
  /** A fresh, empty accumulator. */
  createAccumulator(): ACC
  /** Adds one value; may mutate and return `accumulator` or return a new one. */
  add(accumulator: ACC, value: IN): ACC
  /** Combines two accumulators (both may be consumed); needed for session windows. */
  merge(a: ACC, b: ACC): ACC
  /** The window's result; must not mutate the accumulator (a window can fire again). */
  getResult(accumulator: ACC): OUT
  /** Built-ins: a batch-at-a-time store; when absent the operator wraps the function in an ObjectAccumulatorStore. */
  createStore?(): AccumulatorStore<IN, OUT>
  /**
   * Accumulators are plain JSON data (objects, arrays, finite numbers, strings,
   * booleans). The runtime may then pre-aggregate a batch per key and window
   * and send accumulators between threads instead of records.
   */
  readonly portableAccumulator?: boolean
  /** True when inputs must be numbers; the operator checks a batch before applying any of it. */
  readonly numericInput?: boolean
  /**
   * Set by the built-ins count(), sum(), min(), max() and avg() only: names
   * the aggregate so the pane fast path (PaneWindowAggregator) can compute it
   * natively. A function carrying it must behave exactly like that built-in.
   */
  readonly builtin?: 'count' | 'sum' | 'min' | 'max' | 'avg'
}

/** Accumulators in numbered slots, updated a batch at a time. */
export interface AccumulatorStore<IN, OUT> {
  /** A slot holding an empty accumulator. */
  allocate(): number
  /** Frees a slot for reuse. */
  release(slot: number): void
  /** Empties a slot's accumulator in place (count-trigger purge). */
  reset(slot: number): void
  /** For i < n: adds values[rows[i]] into slot slots[i]. */
  addBatch(slots: Int32Array, rows: Int32Array, n: number, values: ArrayLike<IN>): void
  /** Merges slot `from` into slot `into`; `from` is then released by the caller. */
  merge(into: number, from: number): void
  result(slot: number): OUT
  /** Slots in use. */
  readonly liveSlots: number
  /**
   * A slot's accumulator as plain JSON data, for checkpoints; absent (or
   * returning undefined) when this store's accumulators cannot be written out.
   */
  exportSlot?(slot: number): unknown
  /** A new slot holding what exportSlot returned. */
  importSlot?(value: unknown): number
}

/** Slot bookkeeping shared by the stores (here and the sketch stores): a free list over a growing range. */
export class Slots {
  private free: number[] = []
  next = 0
  live = 0
  take(): number {
    this.live++
    return this.free.length > 0 ? (this.free.pop() as number) : this.next++
  }
  give(slot: number): void {
    this.live--
    this.free.push(slot)
  }
}

/** The generic store: one JS accumulator per slot, records added one by one. */
export class ObjectAccumulatorStore<IN, ACC, OUT> implements AccumulatorStore<IN, OUT> {
  private readonly accumulators: ACC[] = []
  private readonly slots = new Slots()
  constructor(private readonly fn: AggregateFunction<IN, ACC, OUT>) {}

  allocate(): number {
    const slot = this.slots.take()
    this.accumulators[slot] = this.fn.createAccumulator()
    return slot
  }
  release(slot: number): void {
    this.accumulators[slot] = undefined as ACC
    this.slots.give(slot)
  }
  reset(slot: number): void {
    this.accumulators[slot] = this.fn.createAccumulator()
  }
  addBatch(slots: Int32Array, rows: Int32Array, n: number, values: ArrayLike<IN>): void {
    const accs = this.accumulators
    for (let i = 0; i < n; i++) accs[slots[i]] = this.fn.add(accs[slots[i]], values[rows[i]])
  }
  merge(into: number, from: number): void {
    this.accumulators[into] = this.fn.merge(this.accumulators[into], this.accumulators[from])
  }
  result(slot: number): OUT {
    return this.fn.getResult(this.accumulators[slot])
  }
  get liveSlots(): number {
    return this.slots.live
  }
  /** Only accumulators the function declares plain JSON data (portableAccumulator) can be checkpointed. */
  get exportSlot(): ((slot: number) => unknown) | undefined {
    return this.fn.portableAccumulator === true ? (slot) => this.accumulators[slot] : undefined
  }
  importSlot(value: unknown): number {
    const slot = this.slots.take()
    this.accumulators[slot] = value as ACC
    return slot
  }
}

type NumericKind = 'count' | 'sum' | 'min' | 'max' | 'avg'

/**
 * Columnar store for the numeric built-ins: column `a` holds count / sum /
 * min / max (avg: sum), column `b` holds avg's count. Two Float64Arrays that
 * grow by doubling — the layout a Wasm version keeps in linear memory.
 */
export class NumericAccumulatorStore implements AccumulatorStore<number, number> {
  private a = new Float64Array(16)
  private b = new Float64Array(16)
  private readonly slots = new Slots()
  private readonly empty: number

  constructor(readonly kind: NumericKind) {
    this.empty = kind === 'min' ? Infinity : kind === 'max' ? -Infinity : 0
  }

  allocate(): number {
    const slot = this.slots.take()
    if (slot >= this.a.length) {
      const a = new Float64Array(this.a.length * 2)
      a.set(this.a)
      this.a = a
      const b = new Float64Array(this.b.length * 2)
      b.set(this.b)
      this.b = b
    }
    this.reset(slot)
    return slot
  }
  release(slot: number): void {
    this.slots.give(slot)
  }
  reset(slot: number): void {
    this.a[slot] = this.empty
    this.b[slot] = 0
  }
  addBatch(slots: Int32Array, rows: Int32Array, n: number, values: ArrayLike<number>): void {
    const a = this.a
    switch (this.kind) {
      case 'count':
        for (let i = 0; i < n; i++) a[slots[i]] += 1
        return
      case 'sum':
        for (let i = 0; i < n; i++) a[slots[i]] += values[rows[i]]
        return
      case 'min':
        for (let i = 0; i < n; i++) {
          const v = values[rows[i]]
          if (v < a[slots[i]]) a[slots[i]] = v
        }
        return
      case 'max':
        for (let i = 0; i < n; i++) {
          const v = values[rows[i]]
          if (v > a[slots[i]]) a[slots[i]] = v
        }
        return
      case 'avg': {
        const b = this.b
        for (let i = 0; i < n; i++) {
          a[slots[i]] += values[rows[i]]
          b[slots[i]] += 1
        }
      }
    }
  }
  merge(into: number, from: number): void {
    const a = this.a
    switch (this.kind) {
      case 'count':
      case 'sum':
        a[into] += a[from]
        return
      case 'min':
        if (a[from] < a[into]) a[into] = a[from]
        return
      case 'max':
        if (a[from] > a[into]) a[into] = a[from]
        return
      case 'avg':
        a[into] += a[from]
        this.b[into] += this.b[from]
    }
  }
  result(slot: number): number {
    return this.kind === 'avg' ? this.a[slot] / this.b[slot] : this.a[slot]
  }
  get liveSlots(): number {
    return this.slots.live
  }
  /** [a, b]; ±Infinity (an empty min or max) as a string, since JSON has no Infinity. */
  exportSlot(slot: number): unknown {
    const a = this.a[slot]
    return [Number.isFinite(a) ? a : String(a), this.b[slot]]
  }
  importSlot(value: unknown): number {
    const pair = value as unknown[]
    const decode = (v: unknown): number => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : typeof v === 'number' ? v : NaN)
    const a = Array.isArray(pair) ? decode(pair[0]) : NaN
    const b = Array.isArray(pair) ? decode(pair[1]) : NaN
    if (Number.isNaN(a) || Number.isNaN(b)) throw new StreamInputError(`snapshot is malformed: a ${this.kind} accumulator is ${JSON.stringify(value)}, expected [number, number]`)
    const slot = this.allocate()
    this.a[slot] = a
    this.b[slot] = b
    return slot
  }
}

function checkNumber(value: unknown): number {
  if (typeof value !== 'number') throw new StreamInputError(`expected a number, got ${typeof value}`)
  return value
}

/** Number of records. Accepts any value type. */
export function count(): AggregateFunction<unknown, number, number> {
  return {
    createAccumulator: () => 0,
    add: (acc) => acc + 1,
    merge: (a, b) => a + b,
    getResult: (acc) => acc,
    createStore: () => new NumericAccumulatorStore('count') as AccumulatorStore<unknown, number>,
    builtin: 'count',
  }
}

/** Sum of numeric values (floating-point addition; exact for integers below 2^53). */
export function sum(): AggregateFunction<number, number, number> {
  return {
    createAccumulator: () => 0,
    add: (acc, v) => acc + checkNumber(v),
    merge: (a, b) => a + b,
    getResult: (acc) => acc,
    createStore: () => new NumericAccumulatorStore('sum'),
    builtin: 'sum',
    numericInput: true,
  }
}

/** Smallest value. */
export function min(): AggregateFunction<number, number, number> {
  return {
    createAccumulator: () => Infinity,
    add: (acc, v) => Math.min(acc, checkNumber(v)),
    merge: (a, b) => Math.min(a, b),
    getResult: (acc) => acc,
    createStore: () => new NumericAccumulatorStore('min'),
    builtin: 'min',
    numericInput: true,
  }
}

/** Largest value. */
export function max(): AggregateFunction<number, number, number> {
  return {
    createAccumulator: () => -Infinity,
    add: (acc, v) => Math.max(acc, checkNumber(v)),
    merge: (a, b) => Math.max(a, b),
    getResult: (acc) => acc,
    createStore: () => new NumericAccumulatorStore('max'),
    builtin: 'max',
    numericInput: true,
  }
}

/** Arithmetic mean: sum / count. */
export function avg(): AggregateFunction<number, { sum: number; count: number }, number> {
  return {
    createAccumulator: () => ({ sum: 0, count: 0 }),
    add: (acc, v) => {
      acc.sum += checkNumber(v)
      acc.count++
      return acc
    },
    merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
    getResult: (acc) => acc.sum / acc.count,
    createStore: () => new NumericAccumulatorStore('avg'),
    builtin: 'avg',
    numericInput: true,
  }
}

/** The store the operator uses for `fn`: its own batch store if it has one, else the generic object store. */
export function storeFor<IN, ACC, OUT>(fn: AggregateFunction<IN, ACC, OUT>): AccumulatorStore<IN, OUT> {
  return fn.createStore ? fn.createStore() : new ObjectAccumulatorStore(fn)
}
