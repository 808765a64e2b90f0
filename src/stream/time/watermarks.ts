// Event time and watermarks. A watermark W promises that no record with
// timestamp <= W is still to come (records that break the promise are late).
// Watermarks only move forward; the initial watermark is -Infinity.
//
// Processing time is always passed in (`nowMs`) rather than read from a clock,
// so operators are deterministic and testable; callers use Date.now() or
// performance.now() as they like.
import { requireNonNegative, requirePositive, StreamConfigError, StreamInputError } from '../errors.js'

/** The watermark before any record has been seen. */
export const MIN_WATERMARK = -Infinity
/** The watermark that closes every event-time window (end of input). */
export const MAX_WATERMARK = Infinity

/** Reads a record's event time (ms). `previousTimestamp` is the timestamp it carried in the log, if any. */
export type TimestampExtractor<T> = (record: T, previousTimestamp?: number) => number

/** Something that turns observed event times into a watermark. */
export interface WatermarkGenerator {
  /** Observes one record's event time. */
  observe(timestamp: number): void
  /** Observes a batch of event times (the first `length` entries). */
  observeBatch(timestamps: Float64Array, length?: number): void
  /** The current watermark; never decreases. */
  readonly watermark: number
}

export interface BoundedOutOfOrdernessOptions {
  /** How far (ms) a record may arrive behind the largest timestamp seen and still be on time; 0 means in-order. */
  maxOutOfOrdernessMs: number
}

/**
 * Bounded out-of-orderness: watermark = (largest timestamp seen) − bound − 1.
 * A record whose timestamp is at most `bound` behind the largest seen is never
 * late. Monotone because the maximum is.
 */
export class BoundedOutOfOrdernessWatermarks implements WatermarkGenerator {
  readonly maxOutOfOrdernessMs: number
  private maxTimestamp = -Infinity

  constructor(options: BoundedOutOfOrdernessOptions) {
    requireNonNegative('maxOutOfOrdernessMs', options?.maxOutOfOrdernessMs)
    this.maxOutOfOrdernessMs = options.maxOutOfOrdernessMs
  }

  observe(timestamp: number): void {
    if (Number.isNaN(timestamp)) throw new StreamInputError('timestamp is NaN')
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
  }

  observeBatch(timestamps: Float64Array, length = timestamps.length): void {
    let max = this.maxTimestamp
    for (let i = 0; i < length; i++) {
      const t = timestamps[i]
      if (t > max) max = t
      else if (Number.isNaN(t)) throw new StreamInputError(`timestamps[${i}] is NaN`)
    }
    this.maxTimestamp = max
  }

  get watermark(): number {
    return this.maxTimestamp === -Infinity ? MIN_WATERMARK : this.maxTimestamp - this.maxOutOfOrdernessMs - 1
  }
}

export interface CombinedWatermarkOptions {
  /** Number of inputs (partitions, upstream channels); inputs are numbered 0..inputs−1. */
  inputs: number
  /**
   * An input that has received nothing for this long (processing time, ms) is
   * idle and stops holding the combined watermark back, until it gets data
   * again. Omit (or Infinity) to never treat an input as idle.
   */
  idleTimeoutMs?: number
}

/**
 * Combines per-input watermarks by minimum over the active inputs. An input
 * counts as active from its first activity (or from construction, which is
 * time `startMs`) until `idleTimeoutMs` passes without activity. If every input
 * is idle the combined watermark holds still. The combined watermark never
 * decreases: an idle input that resumes behind it does not pull it back (its
 * records may then be late, as in Flink).
 */
export class CombinedWatermark {
  readonly inputs: number
  readonly idleTimeoutMs: number
  private readonly watermarks: Float64Array
  private readonly lastActive: Float64Array
  private combinedValue = MIN_WATERMARK

  constructor(options: CombinedWatermarkOptions, startMs = 0) {
    if (!Number.isSafeInteger(options?.inputs) || options.inputs < 1) {
      throw new StreamConfigError('inputs', `must be an integer >= 1, got ${String(options?.inputs)}`)
    }
    const idle = options.idleTimeoutMs ?? Infinity
    if (idle !== Infinity) requirePositive('idleTimeoutMs', idle)
    this.inputs = options.inputs
    this.idleTimeoutMs = idle
    this.watermarks = new Float64Array(options.inputs).fill(MIN_WATERMARK)
    this.lastActive = new Float64Array(options.inputs).fill(startMs)
  }

  private checkInput(input: number): void {
    if (!Number.isInteger(input) || input < 0 || input >= this.inputs) {
      throw new StreamInputError(`input ${input} is out of range 0..${this.inputs - 1}`)
    }
  }

  /** Records activity (data arrived) on `input` at processing time `nowMs`; an idle input becomes active again. */
  markActive(input: number, nowMs: number): void {
    this.checkInput(input)
    if (nowMs > this.lastActive[input]) this.lastActive[input] = nowMs
  }

  /** Sets `input`'s watermark (ignored if lower than its previous one) and marks it active at `nowMs`. */
  update(input: number, watermark: number, nowMs: number): number {
    this.checkInput(input)
    if (Number.isNaN(watermark)) throw new StreamInputError(`watermark for input ${input} is NaN`)
    if (watermark > this.watermarks[input]) this.watermarks[input] = watermark
    this.markActive(input, nowMs)
    return this.current(nowMs)
  }

  /** Whether `input` is idle at processing time `nowMs`. */
  isIdle(input: number, nowMs: number): boolean {
    this.checkInput(input)
    return nowMs - this.lastActive[input] >= this.idleTimeoutMs
  }

  /** The input's own watermark. */
  inputWatermark(input: number): number {
    this.checkInput(input)
    return this.watermarks[input]
  }

  /** The combined watermark at processing time `nowMs`: min over active inputs, never decreasing. */
  current(nowMs: number): number {
    let min = Infinity
    let active = 0
    for (let i = 0; i < this.inputs; i++) {
      if (nowMs - this.lastActive[i] >= this.idleTimeoutMs) continue
      active++
      if (this.watermarks[i] < min) min = this.watermarks[i]
    }
    if (active > 0 && min > this.combinedValue) this.combinedValue = min
    return this.combinedValue
  }

  /** The last combined watermark computed, without re-evaluating idleness. */
  get watermark(): number {
    return this.combinedValue
  }
}

export interface PartitionedWatermarkOptions extends CombinedWatermarkOptions, BoundedOutOfOrdernessOptions {}

/**
 * Bounded out-of-orderness per input (partition), combined by minimum with
 * idleness: the usual strategy for a source reading several partitions.
 */
export class PartitionedWatermarks {
  private readonly generators: BoundedOutOfOrdernessWatermarks[]
  private readonly combined: CombinedWatermark

  constructor(options: PartitionedWatermarkOptions, startMs = 0) {
    this.combined = new CombinedWatermark(options, startMs)
    this.generators = Array.from({ length: options.inputs }, () => new BoundedOutOfOrdernessWatermarks(options))
  }

  /** Observes a batch of event times from `input` at processing time `nowMs`; returns the combined watermark. */
  observeBatch(input: number, timestamps: Float64Array, nowMs: number, length = timestamps.length): number {
    if (!Number.isInteger(input) || input < 0 || input >= this.generators.length) {
      throw new StreamInputError(`input ${input} is out of range 0..${this.generators.length - 1}`)
    }
    const generator = this.generators[input]
    generator.observeBatch(timestamps, length)
    if (length === 0) return this.combined.current(nowMs)
    return this.combined.update(input, generator.watermark, nowMs)
  }

  /** The combined watermark at `nowMs` (call periodically so idleness can release it). */
  current(nowMs: number): number {
    return this.combined.current(nowMs)
  }

  isIdle(input: number, nowMs: number): boolean {
    return this.combined.isIdle(input, nowMs)
  }

  inputWatermark(input: number): number {
    return this.combined.inputWatermark(input)
  }
}
