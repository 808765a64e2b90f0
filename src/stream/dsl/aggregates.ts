// Aggregates as the DSL takes them: a built-in AggregateFunction plus what it
// reads from each record. Keeping the selector apart from the function lets
// the runtime read a numeric column once per batch and hand the whole column
// to the Wasm window kernels.
import { StreamConfigError } from '../errors.js'
import { avg, count, max, min, sum, type AggregateFunction } from '../window/aggregate.js'
import type { AggregateSpec } from './graph.js'
import { approxDistinct, decayingAvg, quantiles, topK } from '../window/sketch-aggregates.js'

type Selector<T, V> = ((record: T) => V) | undefined

function selector<T, V>(name: string, select: Selector<T, V>): Selector<T, V> {
  if (select !== undefined && typeof select !== 'function') throw new StreamConfigError(`agg.${name}`, 'the argument must be a function reading the value from a record, e.g. (r) => r.value')
  return select
}

function spec<T, OUT>(label: string, fn: AggregateFunction<any, any, OUT>, select?: (record: T) => unknown): AggregateSpec<T, OUT> {
  return select === undefined ? { fn, label } : { fn, select, label }
}

/** Keeps the record with the largest (or smallest) selected number. */
function extremeBy<T>(label: string, select: (record: T) => number, larger: boolean): AggregateSpec<T, T | undefined> {
  const better = (a: number, b: number): boolean => (larger ? a > b : a < b)
  const fn: AggregateFunction<T, { value: T | undefined; score: number }, T | undefined> = {
    createAccumulator: () => ({ value: undefined, score: larger ? -Infinity : Infinity }),
    add: (acc, record) => {
      const score = select(record)
      if (acc.value === undefined || better(score, acc.score)) return { value: record, score }
      return acc
    },
    merge: (a, b) => (b.value !== undefined && (a.value === undefined || better(b.score, a.score)) ? b : a),
    getResult: (acc) => acc.value,
    portableAccumulator: true,
  }
  return { fn, label }
}

/** The built-in aggregates (count, sum, min, max, avg run over whole batches; see also the sketch aggregates). */
export const agg = {
  count: <T = unknown>(): AggregateSpec<T, number> => spec('count', count()),
  sum: <T>(select?: (record: T) => number): AggregateSpec<T, number> => spec('sum', sum(), selector('sum', select)),
  min: <T>(select?: (record: T) => number): AggregateSpec<T, number> => spec('min', min(), selector('min', select)),
  max: <T>(select?: (record: T) => number): AggregateSpec<T, number> => spec('max', max(), selector('max', select)),
  avg: <T>(select?: (record: T) => number): AggregateSpec<T, number> => spec('avg', avg(), selector('avg', select)),
  /** The record with the largest selected number (the first such record on ties). */
  maxBy: <T>(select: (record: T) => number): AggregateSpec<T, T | undefined> => extremeBy('maxBy', selector('maxBy', select) as (r: T) => number, true),
  /** The record with the smallest selected number. */
  minBy: <T>(select: (record: T) => number): AggregateSpec<T, T | undefined> => extremeBy('minBy', selector('minBy', select) as (r: T) => number, false),
  /** Approximate distinct count of the selected values (HyperLogLog, in Wasm). */
  approxDistinct: <T>(select?: (record: T) => unknown, options?: { precision?: number }): AggregateSpec<T, number> => spec('approxDistinct', approxDistinct(options), selector('approxDistinct', select)),
  /** The k most frequent selected values with their counts (heavy hitters, in Wasm). */
  topK: <T>(k: number, select?: (record: T) => unknown, options?: { capacity?: number }) => spec('topK', topK(k, options), selector('topK', select)),
  /** Approximate quantiles of the selected numbers (KLL, in Wasm). */
  quantiles: <T>(fractions: number[], select?: (record: T) => number, options?: { k?: number }) => spec('quantiles', quantiles(fractions, options), selector('quantiles', select)),
  /** Exponentially decaying average by event time; select gives { value, timestamp }. */
  decayingAvg: <T>(halfLifeMs: number, select: (record: T) => { value: number; timestamp: number }) => spec('decayingAvg', decayingAvg({ halfLifeMs }), selector('decayingAvg', select)),
  /** Any AggregateFunction, reading `select(record)` (or the record itself). */
  of: <T, OUT>(fn: AggregateFunction<any, any, OUT>, select?: (record: T) => unknown, label = 'custom'): AggregateSpec<T, OUT> => spec(label, fn, select),
}
