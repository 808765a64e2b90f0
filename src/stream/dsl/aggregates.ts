// Aggregates as the DSL takes them: a built-in AggregateFunction plus what it
// reads from each record. Keeping the selector apart from the function lets
// the runtime read a numeric column once per batch and hand the whole column
// to the Wasm window kernels.
import { StreamConfigError, StreamInputError } from '../errors.js'
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

/** Every record sharing the largest selected number, and that number (-Infinity and none when empty). */
export interface AllMax<T> {
  score: number
  records: T[]
}

/**
 * Keeps every record tied at the largest selected number ("top with ties",
 * as Nexmark's highest bid and hot items): mergeable and plain data, so a
 * keyBy folds each batch into one partial per key and window before the
 * exchange. Records are kept in arrival order within a partial; merged
 * partials are concatenated.
 */
function maxByWithTies<T>(select: (record: T) => number): AggregateSpec<T, AllMax<T>> {
  if (typeof select !== 'function') throw new StreamConfigError('agg.maxByWithTies', 'needs a function reading the number to maximise from a record, e.g. (bid) => bid.price')
  const fn: AggregateFunction<T, AllMax<T>, AllMax<T>> = {
    createAccumulator: () => ({ score: -Infinity, records: [] }),
    add: (acc, record) => {
      const score = select(record)
      if (typeof score !== 'number' || Number.isNaN(score)) throw new StreamInputError(`agg.maxByWithTies: the selector must return a number, got ${typeof score === 'number' ? 'NaN' : typeof score}`)
      if (score > acc.score) {
        acc.score = score
        acc.records = [record]
      } else if (score === acc.score) acc.records.push(record)
      return acc
    },
    merge: (a, b) => {
      if (a.score !== b.score) return a.score > b.score ? a : b
      return { score: a.score, records: a.records.concat(b.records) }
    },
    getResult: (acc) => acc,
    portableAccumulator: true,
  }
  return { fn, label: 'maxByWithTies' }
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
  /** Every record with the largest selected number, ties kept: `{ score, records }`. */
  maxByWithTies: <T>(select: (record: T) => number): AggregateSpec<T, AllMax<T>> => maxByWithTies(selector('maxByWithTies', select) as (r: T) => number),
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
