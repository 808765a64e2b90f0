// Pins the keyed process operator's contract on worked examples (per-key
// state, the event-time timeout pattern, processing-time timers, side
// outputs, timer order and deduplication, memory dropping when state is
// cleared, refusals) and proves snapshot/restore at a random point of a random
// run continues identically.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { StreamConfigError, StreamInputError } from '../../src/stream/errors.js'
import { KeyedProcessOperator, type KeyedProcessFunction, type KeyedProcessOutput, type ValueState } from '../../src/stream/operators/keyed-process.js'
import { toBatch, type Key } from '../../src/stream/operators/types.js'

const batch = <V, K extends Key = Key>(...records: Array<[K, number, V]>) => toBatch(records.map(([key, timestamp, value]) => ({ key, timestamp, value })))

describe('KeyedProcessOperator worked examples', () => {
  it('a per-key counter in value state', () => {
    // Each record emits its key's running count; state is one entry per key.
    const op = new KeyedProcessOperator<string, number, number>({
      fn: {
        processElement(_value, ctx) {
          const count = ctx.state.value('count', 0)
          count.set(count.get() + 1)
          ctx.emit(count.get())
        },
      },
    })
    expect(op.processBatch(batch(['a', 1, 0], ['b', 2, 0], ['a', 3, 0]))).toEqual({
      results: [
        { key: 'a', timestamp: 1, value: 1 },
        { key: 'b', timestamp: 2, value: 1 },
        { key: 'a', timestamp: 3, value: 2 },
      ],
      side: [],
    })
    expect(op.processBatch(batch(['a', 4, 0])).results).toEqual([{ key: 'a', timestamp: 4, value: 3 }])
    expect(op.stats()).toEqual({ watermark: -Infinity, stateSize: 2, lateRecords: 0, keys: 2, eventTimeTimers: 0, processingTimeTimers: 0 })
  })

  it("timeout pattern: emit 'silent' when a sensor has sent nothing for 30 s of event time", () => {
    // Each reading moves the sensor's timer; the timer fires only after 30 s of silence; then the sensor's state is gone.
    const fn: KeyedProcessFunction<string, number, string> = {
      processElement(_reading, ctx) {
        const deadline = ctx.state.value<number>('deadline')
        const previous = deadline.get()
        if (previous !== undefined) ctx.timers.deleteEventTime(previous)
        const next = ctx.timestamp + 30_000
        ctx.timers.registerEventTime(next)
        deadline.set(next)
      },
      onTimer(timestamp, ctx) {
        ctx.emit(`${ctx.key} silent since ${timestamp - 30_000}`)
        ctx.state.value('deadline').clear()
      },
    }
    const op = new KeyedProcessOperator({ fn })
    op.processBatch(batch(['s1', 0, 20.5], ['s2', 5_000, 19], ['s1', 10_000, 21]))
    expect(op.stats()).toMatchObject({ keys: 2, eventTimeTimers: 2, stateSize: 4 })
    expect(op.advanceWatermark(34_999).results).toEqual([])
    expect(op.advanceWatermark(35_000).results).toEqual([{ key: 's2', timestamp: 35_000, value: 's2 silent since 5000' }])
    expect(op.stats()).toMatchObject({ keys: 1, stateSize: 2 })
    op.processBatch(batch(['s1', 39_000, 22]))
    expect(op.advanceWatermark(60_000).results).toEqual([])
    expect(op.advanceWatermark(Infinity).results).toEqual([{ key: 's1', timestamp: 69_000, value: 's1 silent since 39000' }])
    expect(op.stats()).toEqual({ watermark: Infinity, stateSize: 0, lateRecords: 0, keys: 0, eventTimeTimers: 0, processingTimeTimers: 0 })
  })

  it('processing-time timers fire on advanceProcessingTime, stamped with the timer time, with timeDomain set', () => {
    // Processing time comes only from the caller.
    const op = new KeyedProcessOperator<number, string, string>({
      fn: {
        processElement(value, ctx) {
          ctx.timers.registerProcessingTime(Math.max(ctx.processingTime, 0) + 1_000)
          ctx.state.list<string>('buffer').add(value)
        },
        onTimer(timestamp, ctx) {
          const buffer = ctx.state.list<string>('buffer')
          ctx.emit(`${ctx.timeDomain}@${timestamp}: ${buffer.get().join(',')}`)
          buffer.clear()
        },
      },
    })
    op.processBatch(batch([7, 50, 'x'], [7, 60, 'y'], [8, 70, 'z'])) // processing time −∞: all at 1000, once per key
    expect(op.stats()).toMatchObject({ processingTimeTimers: 2, stateSize: 5 })
    expect(op.advanceProcessingTime(999).results).toEqual([])
    expect(op.advanceWatermark(Infinity).results).toEqual([]) // event time does not fire processing-time timers
    expect(op.advanceProcessingTime(1_000).results).toEqual([
      { key: 7, timestamp: 1_000, value: 'processingTime@1000: x,y' },
      { key: 8, timestamp: 1_000, value: 'processingTime@1000: z' },
    ])
    expect(op.stats()).toMatchObject({ keys: 0, stateSize: 0 })
    op.processBatch(batch([7, 80, 'w']))
    expect(op.processingTime).toBe(1_000)
    expect(op.advanceProcessingTime(500).results).toEqual([]) // processing time does not go back
    expect(op.advanceProcessingTime(2_000).results).toEqual([{ key: 7, timestamp: 2_000, value: 'processingTime@2000: w' }])
  })

  it('side outputs are returned separately, tagged, in call order', () => {
    // Invalid readings go to 'errors', alerts to 'alerts'; the main output carries the rest.
    const op = new KeyedProcessOperator<string, number, number>({
      fn: {
        processElement(value, ctx) {
          if (value < 0) ctx.output('errors', `negative reading ${value}`)
          else if (value > 100) {
            ctx.output('alerts', value)
            ctx.emit(value, ctx.timestamp + 1)
          } else ctx.emit(value)
        },
      },
    })
    expect(op.processBatch(batch(['a', 1, 5], ['b', 2, -1], ['a', 3, 500]))).toEqual({
      results: [
        { key: 'a', timestamp: 1, value: 5 },
        { key: 'a', timestamp: 4, value: 500 },
      ],
      side: [
        { tag: 'errors', key: 'b', timestamp: 2, value: 'negative reading -1' },
        { tag: 'alerts', key: 'a', timestamp: 3, value: 500 },
      ],
    })
    expect(op.stats().keys).toBe(0)
  })

  it('list and map state; clearing everything drops the key from memory', () => {
    // stateSize counts value entries, list elements, map entries and timers.
    const op = new KeyedProcessOperator<string, string, unknown>({
      fn: {
        processElement(value, ctx) {
          const seen = ctx.state.list<string>('seen')
          const counts = ctx.state.map<number, string>('counts')
          if (value === 'reset') {
            seen.clear()
            counts.clear()
            ctx.emit({ seen: seen.get(), counts: counts.entries(), size: counts.size, length: seen.length })
            return
          }
          if (value === 'forget-a') {
            ctx.emit(counts.delete('a'))
            return
          }
          seen.add(value)
          counts.set(value, (counts.get(value) ?? 0) + 1)
          ctx.emit({ seen: seen.get(), counts: counts.entries(), has: counts.has('a') })
        },
      },
    })
    op.processBatch(batch(['k', 1, 'a'], ['k', 2, 'b'], ['k', 3, 'a'], ['j', 4, 'a']))
    expect(op.stats()).toMatchObject({ keys: 2, stateSize: 7 }) // k: 3 elements + 2 entries, j: 1 + 1
    expect(op.processBatch(batch(['k', 5, 'forget-a'])).results[0].value).toBe(true)
    expect(op.stats()).toMatchObject({ stateSize: 6 })
    expect(op.processBatch(batch(['k', 6, 'reset'])).results[0].value).toEqual({ seen: [], counts: [], size: 0, length: 0 })
    expect(op.stats()).toMatchObject({ keys: 1, stateSize: 2 })
    op.processBatch(batch(['j', 7, 'reset']))
    expect(op.stats()).toMatchObject({ keys: 0, stateSize: 0 })
  })

  it('event-time timers: (time, key) order, deduplicated, chained timers fire in the same advance, past ones at the next advance', () => {
    // Pins Flink's timer-service behaviour.
    const fired: string[] = []
    const op = new KeyedProcessOperator<Key, number, never>({
      fn: {
        processElement(value, ctx) {
          ctx.timers.registerEventTime(value)
          ctx.timers.registerEventTime(value) // duplicate: one timer
        },
        onTimer(timestamp, ctx) {
          fired.push(`${String(ctx.key)}@${timestamp}/${ctx.watermark}`)
          if (timestamp === 10 && ctx.key === 'b') ctx.timers.registerEventTime(15) // <= watermark: fires in this advance
          if (timestamp === 20) ctx.timers.registerEventTime(5) // below the watermark: also fires in this advance
        },
      },
    })
    op.processBatch(batch<number, Key>(['b', 0, 10], [2, 0, 10], ['a', 0, 10], [1, 0, 20], ['b', 0, 30]))
    expect(op.stats().eventTimeTimers).toBe(5)
    op.advanceWatermark(20)
    // Keys: numbers before strings. b@15 and 1@5 were registered while firing, at or below the watermark.
    expect(fired).toEqual(['2@10/20', 'a@10/20', 'b@10/20', 'b@15/20', '1@20/20', '1@5/20'])
    expect(op.stats().eventTimeTimers).toBe(1) // b@30
    op.processBatch(batch(['c', 0, 3])) // a time already passed: fires at the next advance
    op.advanceWatermark(20) // equal: ignored
    expect(fired).toHaveLength(6)
    op.advanceWatermark(21)
    expect(fired.slice(6)).toEqual(['c@3/21'])
  })

  it('deleting timers works across keys and does not disturb others', () => {
    // A deleted timer never fires; re-registering it after deletion makes it fire once.
    const fired: string[] = []
    const op = new KeyedProcessOperator<string, string, never>({
      fn: {
        processElement(cmd, ctx) {
          const [verb, t] = cmd.split(' ')
          if (verb === 'add') ctx.timers.registerEventTime(Number(t))
          else if (verb === 'del') ctx.timers.deleteEventTime(Number(t))
          else if (verb === 'padd') ctx.timers.registerProcessingTime(Number(t))
          else ctx.timers.deleteProcessingTime(Number(t))
        },
        onTimer(t, ctx) {
          fired.push(`${ctx.key}:${ctx.timeDomain}:${t}`)
        },
      },
    })
    op.processBatch(batch(['a', 0, 'add 5'], ['b', 0, 'add 5'], ['a', 0, 'del 5'], ['a', 0, 'del 6'], ['b', 0, 'padd 5'], ['b', 0, 'pdel 5'], ['c', 0, 'add 7'], ['c', 0, 'del 7'], ['c', 0, 'add 7']))
    expect(op.stats()).toMatchObject({ keys: 2, eventTimeTimers: 2, processingTimeTimers: 0, stateSize: 2 })
    op.advanceWatermark(10)
    op.advanceProcessingTime(10)
    expect(fired).toEqual(['b:eventTime:5', 'c:eventTime:7'])
    expect(op.stats()).toMatchObject({ keys: 0, stateSize: 0 })
    // Many deletions (the timer queue compacts its dead entries) leave live timers intact.
    const churn: Array<['k', number, string]> = []
    for (let t = 100; t < 3_100; t++) churn.push(['k', 0, `add ${t}`], ['k', 0, `padd ${t}`], ['k', 0, `pdel ${t}`])
    for (let t = 100; t < 3_099; t++) churn.push(['k', 0, `del ${t}`])
    op.processBatch(batch(...churn))
    expect(op.stats()).toMatchObject({ keys: 1, eventTimeTimers: 1, processingTimeTimers: 0, stateSize: 1 })
    op.advanceProcessingTime(10_000)
    op.advanceWatermark(10_000)
    expect(fired.slice(2)).toEqual(['k:eventTime:3099'])
    expect(op.stats()).toMatchObject({ keys: 0, stateSize: 0 })
  })

  it('records at or behind the watermark are processed and counted as late; open() runs once before the first call', () => {
    // Nothing is dropped by the keyed process operator.
    const calls: string[] = []
    const fn: KeyedProcessFunction<string, number, number> = {
      open(ctx) {
        calls.push(`open restored=${ctx.restored} wm=${ctx.watermark}`)
      },
      processElement(value, ctx) {
        calls.push(`element ${value} late=${ctx.timestamp <= ctx.watermark}`)
      },
    }
    const op = new KeyedProcessOperator({ fn })
    op.advanceWatermark(10)
    op.processBatch(batch(['k', 10, 1], ['k', 11, 2]))
    expect(calls).toEqual(['open restored=false wm=-Infinity', 'element 1 late=true', 'element 2 late=false'])
    expect(op.stats().lateRecords).toBe(1)
    const restored = KeyedProcessOperator.restore({ fn }, op.snapshot())
    restored.processBatch(batch(['k', 12, 3]))
    expect(calls.slice(3)).toEqual(['open restored=true wm=10', 'element 3 late=false'])
  })

  it('state handles taken in open() act on whichever key is being processed', () => {
    // Flink's pattern: declare state once, use it per key.
    let total: ValueState<number> | undefined
    const op = new KeyedProcessOperator<string, number, number>({
      fn: {
        open(ctx) {
          total = ctx.state.value('total', 0)
          expect(() => total?.get()).toThrow(/only available inside processElement or onTimer/)
        },
        processElement(value, ctx) {
          total!.set(total!.get() + value)
          ctx.emit(total!.get())
        },
      },
    })
    expect(op.processBatch(batch(['x', 1, 5], ['y', 1, 7], ['x', 1, 1])).results.map((r) => r.value)).toEqual([5, 7, 6])
  })

  it('refuses misuse clearly and stays usable after a user function throws', () => {
    // Config errors for the function and state kinds; input errors for bad timers, timestamps and out-of-callback use.
    expect(() => new KeyedProcessOperator({ fn: {} as never })).toThrow(/fn: is required/)
    expect(() => new KeyedProcessOperator({ fn: { processElement() {}, onTimer: 3 as never } })).toThrow(StreamConfigError)
    let leaked: { emit(v: number): void } | undefined
    const op = new KeyedProcessOperator<string, string, number>({
      fn: {
        processElement(cmd, ctx) {
          leaked = ctx
          if (cmd === 'kinds') {
            ctx.state.value('x').set(1)
            ctx.state.list('x')
          } else if (cmd === 'timer') ctx.timers.registerEventTime(Number.NaN)
          else if (cmd === 'emit') ctx.emit(1, Infinity)
          else if (cmd === 'throw') {
            ctx.state.value('before').set(1)
            throw new Error('user bug')
          } else ctx.emit(2)
        },
      },
    })
    expect(() => op.processBatch(batch(['k', 1, 'kinds']))).toThrow('state: "x" is already value state; it cannot also be list state')
    expect(() => op.processBatch(batch(['k', 1, 'timer']))).toThrow('registerEventTime: the time must be a finite number, got NaN')
    expect(() => op.processBatch(batch(['k', 1, 'emit']))).toThrow(StreamInputError)
    expect(() => op.processBatch(batch(['k', 1, 'throw']))).toThrow('user bug')
    expect(() => leaked!.emit(1)).toThrow('ctx.emit is only available inside processElement or onTimer')
    expect(op.processBatch(batch(['k', 2, 'ok'])).results).toEqual([{ key: 'k', timestamp: 2, value: 2 }])
    expect(() => op.processBatch({ keys: ['k'], timestamps: [1, 2], values: ['ok'] })).toThrow('batch columns differ in length')
    expect(() => op.advanceProcessingTime(Number.NaN)).toThrow(StreamInputError)
  })

  it('rejects bad snapshots with clear errors', () => {
    // Format, version and content are checked.
    const fn = { processElement() {} }
    const good = JSON.parse(new TextDecoder().decode(new KeyedProcessOperator({ fn }).snapshot()))
    expect(good).toEqual({ format: 'eddy/keyedProcess', version: 1, watermark: '-Infinity', processingTime: '-Infinity', lateRecords: 0, keys: [] })
    const bytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o))
    expect(() => KeyedProcessOperator.restore({ fn }, bytes({ ...good, version: 3 }))).toThrow('eddy/keyedProcess snapshot version 3 is not supported (this build reads version 1)')
    expect(() => KeyedProcessOperator.restore({ fn }, bytes({ ...good, format: 'eddy/table' }))).toThrow('snapshot has format "eddy/table"; expected "eddy/keyedProcess"')
    expect(() => KeyedProcessOperator.restore({ fn }, bytes({ ...good, keys: [['k', [[1, 2]], [], [], [], []]] }))).toThrow('snapshot is malformed: keys[0][1][0][0] is 1')
    expect(() => KeyedProcessOperator.restore({ fn }, bytes({ ...good, keys: [[null]] }))).toThrow('snapshot is malformed: keys[0][0] is null')
    expect(() => KeyedProcessOperator.restore({ fn }, new Uint8Array(0))).toThrow(/not UTF-8 JSON/)
  })
})

/** A function using every kind of state and both timer domains, deterministic in its inputs. */
function busyFunction(): KeyedProcessFunction<Key, number, string> {
  return {
    processElement(v, ctx) {
      const count = ctx.state.value('count', 0)
      count.set(count.get() + 1)
      const recent = ctx.state.list<number>('recent')
      recent.add(v)
      if (recent.length > 3) recent.update(recent.get().slice(-3))
      const byParity = ctx.state.map<number, number>('byParity')
      byParity.set(v % 2, (byParity.get(v % 2) ?? 0) + v)
      ctx.timers.registerEventTime(ctx.timestamp + (Math.abs(v) % 7))
      if (v % 3 === 0) ctx.timers.registerProcessingTime(Math.max(ctx.processingTime, 0) + (Math.abs(v) % 4))
      if (v % 4 === 0) ctx.timers.deleteEventTime(ctx.timestamp + 1)
      if (v % 2 !== 0) ctx.output('odd', v)
      ctx.emit(`${String(ctx.key)} n=${count.get()} recent=${recent.get().join(',')} map=${JSON.stringify(byParity.entries())}`)
      if (v % 5 === 0) {
        count.clear()
        recent.clear()
        byParity.clear()
      }
    },
    onTimer(t, ctx) {
      ctx.emit(`timer ${ctx.timeDomain} ${t} ${String(ctx.key)} n=${ctx.state.value('count', 0).get()}`)
      if (ctx.timeDomain === 'eventTime' && t % 2 !== 0) ctx.timers.registerEventTime(t + 1)
      ctx.state.list('recent').clear()
    },
  }
}

type PStep = { kind: 'batch'; records: Array<[Key, number, number]> } | { kind: 'watermark'; value: number } | { kind: 'time'; value: number }

describe('KeyedProcessOperator snapshot/restore', () => {
  it('restoring at any point of a random run continues identically (outputs, side outputs, stats)', () => {
    // Random records, watermarks and processing-time advances over a function using all state kinds and timers.
    const stepArb: fc.Arbitrary<PStep> = fc.oneof(
      fc.array(fc.tuple(fc.constantFrom<Key>('a', 'b', 3), fc.integer({ min: 0, max: 100 }), fc.integer({ min: -20, max: 20 })), { maxLength: 6 }).map((records) => ({ kind: 'batch' as const, records })),
      fc.integer({ min: 0, max: 110 }).map((value) => ({ kind: 'watermark' as const, value })),
      fc.integer({ min: 0, max: 20 }).map((value) => ({ kind: 'time' as const, value })),
    )
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), fc.nat(), (steps, at) => {
        const all = [...steps, { kind: 'watermark' as const, value: Infinity }, { kind: 'time' as const, value: 1_000 }]
        const run = (restoreAt: number) => {
          let op = new KeyedProcessOperator({ fn: busyFunction() })
          const outs: KeyedProcessOutput<string>[] = []
          all.forEach((step, i) => {
            if (i === restoreAt) op = KeyedProcessOperator.restore({ fn: busyFunction() }, op.snapshot())
            if (step.kind === 'batch') outs.push(op.processBatch(batch(...step.records)))
            else if (step.kind === 'watermark') outs.push(op.advanceWatermark(step.value))
            else outs.push(op.advanceProcessingTime(step.value))
          })
          return { outs, stats: op.stats() }
        }
        const plain = run(-1)
        const restored = run(at % (all.length + 1))
        expect(restored.outs).toEqual(plain.outs)
        expect(restored.stats).toEqual(plain.stats)
        // After both time domains run to the end, only value/map state of keys not cleared remains; no timers.
        expect(plain.stats).toMatchObject({ eventTimeTimers: 0, processingTimeTimers: 0 })
      }),
      { numRuns: 300 },
    )
  })
})
