import { describe, expect, it } from 'vitest'
import { defineJob, runJob, sinks } from '../../src/index.js'
import type { SourceSpec } from '../../src/stream/sources/spec.js'

/** A source whose reader hands over its own timestamp column (a Float64Array, or a plain array). */
function columnSource(timestamps: ArrayLike<number>, typed: boolean): SourceSpec<number> {
  return {
    kind: 'column',
    name: 'source(column)',
    runsIn: 'task',
    maxOutOfOrdernessMs: 0,
    splits: () => 1,
    open() {
      let done = false
      return {
        next() {
          if (done) return null
          done = true
          const values = Array.from(timestamps, (_, i) => i)
          return { values, timestamps: typed ? Float64Array.from(timestamps) : Array.from(timestamps) }
        },
      }
    },
  } as SourceSpec<number>
}

const jobOver = (timestamps: ArrayLike<number>, typed: boolean) =>
  defineJob({
    name: 'column',
    build(env) {
      env.source(columnSource(timestamps, typed)).sink(sinks.collect('out'))
    },
  })

describe("a source's own timestamps", () => {
  it('pass through as given, whether the column is a Float64Array or an array', async () => {
    for (const typed of [true, false]) {
      const result = await runJob(jobOver([5, 3, 9], typed), { executor: 'inline' })
      expect(result.collected.get('out')).toEqual([0, 1, 2])
    }
  })

  it('are refused when not finite, naming the record and its value', async () => {
    for (const typed of [true, false]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        await expect(runJob(jobOver([1, bad, 3], typed), { executor: 'inline' })).rejects.toThrow(`record 1 has timestamp ${String(bad)}; event time must be a finite number of ms`)
      }
    }
  })
})
