// The log of one topic partition: an ordered list of segments, of which the last
// is active (appended to). It assigns offsets, writes batches, rolls segments,
// serves reads, applies the flush policy, retention and compaction, and keeps
// the recovery point and clean-shutdown marker that bound recovery.
//
// Definitions:
// - logStartOffset: base offset of the first segment; older offsets are gone.
// - logEndOffset (LEO): one past the last offset written to the active segment.
// - flushedOffset: every offset below it is durable (synced).
// - highWatermark: what readers may see and what was acknowledged — the flushed
//   offset under flush policy `always` (acks=all visibility = durable), the LEO
//   otherwise. On one node there are no followers; the concept is kept so the
//   broker and Fetch speak Kafka's terms.
//
// Appending: `append` queues the batch; the single writer validates it (size,
// magic, CRC-32C, counts) before writing anything of it, assigns its offsets by
// rewriting baseOffset in place (outside the CRC, so no re-encoding), and does
// so for the next round while the previous round's write is in flight. A bad
// batch rejects its append and consumes no offsets. The writer drains the
// queue: everything queued is written with one (vectored) write call, and under `always` an fsync then acknowledges every append written
// before it started (group commit). Before an fsync starts, the syncer lets the
// appends just acknowledged come back and the round in flight finish, so one
// fsync covers as many appends as possible; appends written while an fsync runs
// start their own beside it (up to SYNCS_IN_FLIGHT_MAX), and an fsync is trusted
// only once every fsync started before it returned has succeeded. No per-record
// work happens on append.
//
// Concurrency: one event loop. Appends are serialised through the single
// writer; reads run concurrently with it and see only written (and, under
// `always`, synced) batches. Segment-list changes by retention and by compaction
// swaps are serialised by a mutex; rolls only add at the end, and a segment
// leaving the list stays open until its in-flight reads finish.
import { BATCH_HEADER_BYTES, validateBatch, setBaseOffset, batchSizeAt } from './batch-header.js'
import { AsyncMutex } from './async-mutex.js'
import { writeCheckpoint } from './checkpoint-files.js'
import { InvalidBatchError, InvalidConfigError, LogClosedError, OffsetOutOfRangeError, type CorruptRange } from './errors.js'
import { cleanLog, dirtyRatio, type CleanerStats } from './cleaner.js'
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_FILE, DELETED_SUFFIX } from './file-names.js'
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js'
import { CLEAN_SHUTDOWN_FORMAT, RECOVERY_POINT_FORMAT, loadLog, type RecoveryMode, type RecoveryReport } from './recovery.js'
import { selectSegmentsForRetention } from './retention.js'
import { LogSegment, RELATIVE_OFFSET_MAX } from './segment.js'
import { defaultStorage } from './storage/default.js'
import { joinPath, type Storage } from './storage/storage.js'
import { decodeRecordBatch } from './record-batch.js'

/** Most bytes one writer round writes with one call; later appends wait for the next round. */
export const WRITE_ROUND_BYTES_MAX = 8 * 1024 * 1024
/** Most write rounds an fsync waits for before it starts, to cover them too (group commit). */
export const GATHER_ROUNDS_MAX = 1
/** Most fsyncs of one log in flight at once (group commit across concurrent fsyncs). */
export const SYNCS_IN_FLIGHT_MAX = 4
/** How often background maintenance (retention, compaction) runs, as Kafka's log.retention.check.interval.ms. */
export const MAINTENANCE_INTERVAL_MS = 5 * 60 * 1000
/** Backoff between cleaner checks when compaction is enabled, as Kafka's log.cleaner.backoff.ms. */
export const CLEANER_BACKOFF_MS = 15_000

export interface PartitionLogOptions {
  /** Where files live; Node's file system when omitted (on Node). */
  storage?: Storage
  /** This partition's directory, e.g. `<root>/<topic>-<partition>`. */
  dir: string
  topic: string
  partition: number
  config?: LogConfig
  /** Wall clock in ms (injectable for tests). */
  clock?: () => number
  /** 'full' checks every batch of every segment on open, whatever the checkpoints say. */
  recovery?: RecoveryMode
  /** Run timers for interval flushes, retention and compaction (default true). Tests drive them by hand. */
  background?: boolean
  /** Hears of damage found after open (reads find it; recovery damage is in the RecoveryReport). */
  onCorruption?: (range: CorruptRange) => void
}

export interface AppendResult {
  baseOffset: number
  lastOffset: number
}

export interface AppendOptions {
  /**
   * The batch was sealed (its CRC-32C computed over these very bytes) by this
   * process's encoder and no one else has held it since: the append skips
   * recomputing the CRC, which would only repeat the encoder's work. Every
   * other check still runs, and reads verify the CRC as always. Never set it
   * for bytes from outside the process (a network request, a file).
   */
  crcSealedInProcess?: boolean
}

export interface ReadOptions {
  /** Verify each batch's CRC-32C before serving it (default true). */
  verifyCrc?: boolean
  /**
   * Read into this buffer when the result fits, instead of a new allocation;
   * `batches` is then a view of it, valid until the buffer is reused. Size it
   * at least maxBytes + index.interval.bytes for the common case to fit.
   */
  buffer?: Uint8Array
}

export interface ReadResult {
  /** Whole stored batches, the one holding the requested offset first; empty at the high watermark. */
  batches: Uint8Array
  /** baseOffset of the first batch (may be below the requested offset). */
  offsetFirst: number
  /** Where the next read should start. */
  nextOffset: number
  highWatermark: number
  logStartOffset: number
  logEndOffset: number
}

export interface RetentionResult {
  segmentsDeleted: number
  bytesDeleted: number
  logStartOffset: number
}

export interface SegmentInfo {
  baseOffset: number
  nextOffset: number
  sizeBytes: number
  maxTimestampMs: number
}

interface QueuedBatch {
  bytes: Uint8Array
  baseOffset: number
  lastOffset: number
  maxTimestampMs: number
}

interface AppendRequest {
  /** A roll request (from roll()) carries no batches and rolls between writes. */
  roll?: boolean
  /** Batches as given, until the writer has validated them into `batches`. */
  unchecked?: readonly Uint8Array[]
  /** The unchecked batches' CRCs were computed in this process (AppendOptions.crcSealedInProcess). */
  crcSealed?: boolean
  batches: QueuedBatch[]
  sizeBytes: number
  result: AppendResult
  resolve(result: AppendResult): void
  reject(error: unknown): void
}

type State = 'open' | 'failed' | 'closing' | 'closed'

export class PartitionLog {
  readonly topic: string
  readonly partition: number
  readonly topicPartition: string
  readonly dir: string
  readonly storage: Storage
  readonly recoveryReport: RecoveryReport
  config: LogConfig
  /** @internal Segments in offset order; the last is active. */
  segments: LogSegment[]
  /** @internal The cleaner's first dirty offset (undefined: the whole log is dirty). */
  firstDirtyOffset: number | undefined
  private nextOffsetToAssign: number
  private flushed: number
  private recoveryPoint: number
  private readonly queue: AppendRequest[] = []
  private writing: Promise<void> | undefined
  /** The write round in flight, if any (the syncer lets it finish so one fsync covers it). */
  private roundWrite: Promise<void> | undefined
  /** Pending while any fsync worker runs (close waits for it). */
  private syncing: Promise<void> | undefined
  private syncIdle: (() => void) | undefined
  private syncWorkers = 0
  private syncGathering = 0
  /** End offset of the latest fsync started: waiters at or below it are covered by one in flight. */
  private syncStartedUpTo = 0
  /** fsyncs started by the workers so far, numbered from 1. */
  private syncSeqStarted = 0
  /** Every worker fsync numbered 1..syncSeqAllDone has completed successfully. */
  private syncSeqAllDone = 0
  /** Worker fsyncs completed out of order, above syncSeqAllDone. */
  private readonly syncSeqCompleted = new Set<number>()
  /** Completed fsyncs not yet trusted: `after` fsyncs had started when each completed. */
  private readonly syncUntrusted: { after: number; end: number }[] = []
  private readonly syncWaiters: { offset: number; resolve: () => void; reject: (error: unknown) => void }[] = []
  private state: State = 'open'
  private failure: unknown
  private readonly clock: () => number
  private readonly onCorruption: (range: CorruptRange) => void
  /** @internal Serialises segment-list changes by retention and compaction. */
  readonly maintenance = new AsyncMutex()
  private readonly timers: ReturnType<typeof setTimeout>[] = []
  private background = false
  /** Bumped to stop timer loops started under an older config. */
  private timerGeneration = 0
  private readonly pendingDeletes = new Set<Promise<void>>()
  private readonly delayWaiters = new Set<() => void>()
  /** @internal Set while compaction runs; close() waits for it. */
  cleaning: Promise<unknown> | undefined
  /** @internal Tells a running compaction to stop early. */
  abortCleaning = false
  private readonly reportFence = (range: CorruptRange) => this.onCorruption(range)

  private constructor(options: PartitionLogOptions, storage: Storage, config: LogConfig, loaded: Awaited<ReturnType<typeof loadLog>>) {
    this.topic = options.topic
    this.partition = options.partition
    this.topicPartition = `${options.topic}-${options.partition}`
    this.dir = options.dir
    this.storage = storage
    this.config = config
    this.clock = options.clock ?? Date.now
    this.onCorruption = options.onCorruption ?? (() => {})
    this.segments = loaded.segments
    this.recoveryReport = loaded.report
    this.firstDirtyOffset = loaded.firstDirtyOffset
    this.nextOffsetToAssign = this.logEndOffset
    this.flushed = this.logEndOffset
    this.recoveryPoint = this.logEndOffset
  }

  /** Opens (creating if needed) and recovers the partition directory. */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const config = options.config ?? { ...DEFAULT_LOG_CONFIG }
    const clock = options.clock ?? Date.now
    const storage = options.storage ?? (await defaultStorage())
    const loaded = await loadLog({
      storage,
      dir: options.dir,
      topicPartition: `${options.topic}-${options.partition}`,
      indexIntervalBytes: config.indexIntervalBytes,
      mode: options.recovery ?? 'auto',
      nowMs: clock,
    })
    const log = new PartitionLog(options, storage, config, loaded)
    log.background = options.background ?? true
    if (log.background) log.startTimers()
    return log
  }

  // ------------------------------------------------------------ offsets

  get logStartOffset(): number {
    return this.segments[0].baseOffset
  }

  get logEndOffset(): number {
    return this.active.nextOffset
  }

  get flushedOffset(): number {
    return this.flushed
  }

  get highWatermark(): number {
    return this.config.flushPolicy === 'always' ? Math.min(this.flushed, this.logEndOffset) : this.logEndOffset
  }

  /** @internal */
  get active(): LogSegment {
    return this.segments[this.segments.length - 1]
  }

  get sizeBytes(): number {
    let total = 0
    for (const segment of this.segments) total += segment.sizeBytes
    return total
  }

  segmentInfos(): SegmentInfo[] {
    return this.segments.map((s) => ({ baseOffset: s.baseOffset, nextOffset: s.nextOffset, sizeBytes: s.sizeBytes, maxTimestampMs: s.maxTimestampMs }))
  }

  /** Damaged ranges known so far (from recovery and from reads). */
  corruptRanges(): CorruptRange[] {
    return this.segments.flatMap((s) => s.fences)
  }

  // ------------------------------------------------------------ append

  /**
   * Appends one RecordBatch v2. The log takes ownership of `batch`: its
   * baseOffset field is rewritten in place, so do not reuse the buffer until the
   * promise settles. Resolves once the flush policy is satisfied.
   */
  append(batch: Uint8Array, options?: AppendOptions): Promise<AppendResult> {
    if (options?.crcSealedInProcess !== true) return this.appendMany([batch])
    try {
      this.checkWritable()
      return this.enqueueUnchecked([batch], true)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Appends several batches with one write: an array of batches, or one buffer
   * holding batches back to back (as a Produce request carries them). All are
   * validated before any is queued; one bad batch rejects the whole call.
   */
  appendMany(batches: readonly Uint8Array[] | Uint8Array): Promise<AppendResult> {
    try {
      const list = batches instanceof Uint8Array ? splitBatches(batches, this.topicPartition) : batches
      this.checkWritable()
      if (!Array.isArray(list) || list.length === 0) throw new InvalidBatchError(`${this.topicPartition}: append needs at least one batch`)
      return this.enqueueUnchecked(list, false)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Queues batches not yet validated: the writer validates them (CRC-32C
   * included) and assigns their offsets in queue order, while the previous
   * round's write is in flight, so checking one round overlaps writing the
   * other. A batch that fails rejects its append and consumes no offsets.
   */
  private enqueueUnchecked(list: readonly Uint8Array[], crcSealed: boolean): Promise<AppendResult> {
    let sizeBytes = 0
    for (const bytes of list) sizeBytes += bytes instanceof Uint8Array ? bytes.length : 0
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ unchecked: list, crcSealed, batches: [], sizeBytes, result: { baseOffset: -1, lastOffset: -1 }, resolve, reject })
      this.startWriter()
    })
  }

  /** Starts the single writer unless it runs (one microtask later, so appends made together share its first round). */
  private startWriter(): void {
    if (this.writing === undefined) this.writing = Promise.resolve().then(() => this.drain())
  }

  /** Validates every queued append not yet checked and assigns its offsets; drops (rejects) the ones that fail. */
  private checkQueued(): void {
    const queue = this.queue
    let kept = 0
    for (let i = 0; i < queue.length; i++) {
      const request = queue[i]
      if (request.unchecked !== undefined) {
        try {
          const batches = this.prepare(request.unchecked, request.crcSealed === true)
          request.unchecked = undefined
          request.batches = batches
          request.result = { baseOffset: batches[0].baseOffset, lastOffset: batches[batches.length - 1].lastOffset }
        } catch (error) {
          request.reject(error)
          continue
        }
      }
      queue[kept++] = request
    }
    queue.length = kept
  }

  private prepare(batches: readonly Uint8Array[], crcSealed: boolean): QueuedBatch[] {
    this.checkWritable()
    if (!Array.isArray(batches) || batches.length === 0) throw new InvalidBatchError(`${this.topicPartition}: append needs at least one batch`)
    const queued: QueuedBatch[] = new Array(batches.length)
    let sizeBytes = 0
    for (let i = 0; i < batches.length; i++) {
      const bytes = batches[i]
      if (!(bytes instanceof Uint8Array)) throw new TypeError(`${this.topicPartition}: batch ${i} is ${typeof bytes}, expected a Uint8Array`)
      sizeBytes += bytes.length
      if (bytes.length > this.config.maxMessageBytes) {
        throw new InvalidBatchError(`${this.topicPartition}: batch of ${bytes.length} bytes exceeds max.message.bytes (${this.config.maxMessageBytes})`)
      }
      const header = validateBatch(bytes, undefined, !crcSealed)
      if (header.recordCount === 0) throw new InvalidBatchError(`${this.topicPartition}: batch ${i} holds no records`)
      if (header.lastOffsetDelta !== header.recordCount - 1) {
        throw new InvalidBatchError(`${this.topicPartition}: batch ${i} has ${header.recordCount} records but lastOffsetDelta ${header.lastOffsetDelta}; a producer batch must number its records 0..n-1`)
      }
      queued[i] = { bytes, baseOffset: 0, lastOffset: header.lastOffsetDelta, maxTimestampMs: header.maxTimestamp }
    }
    if (sizeBytes > this.config.segmentBytes && batches.length > 1) {
      throw new InvalidBatchError(`${this.topicPartition}: ${sizeBytes} bytes in one append exceed segment.bytes (${this.config.segmentBytes})`)
    }
    // Offsets are assigned only once every batch passed, so a bad batch consumes none.
    for (const batch of queued) {
      const lastOffsetDelta = batch.lastOffset
      batch.baseOffset = this.nextOffsetToAssign
      batch.lastOffset = batch.baseOffset + lastOffsetDelta
      this.nextOffsetToAssign = batch.lastOffset + 1
      setBaseOffset(batch.bytes, batch.baseOffset)
    }
    return queued
  }

  /**
   * The single writer: one write per round. Under `always` a round is
   * acknowledged by the syncer, and the writer goes on writing the next round
   * while that fsync runs, so writes overlap fsyncs and one fsync covers every
   * round written before it started (group commit).
   */
  private async drain(): Promise<void> {
    let round: AppendRequest[] = []
    try {
      while (this.queue.length > 0 && this.state !== 'failed') {
        this.checkQueued()
        if (this.queue.length === 0) break
        round = this.takeRound()
        const write = this.writeRound(round)
        this.roundWrite = write
        // Handled below; this only keeps a failure during the wait from counting as unhandled.
        write.catch(() => undefined)
        try {
          // While the round is written: let appends acknowledged by the previous
          // round come back, and validate what is queued for the next one.
          await nextMacrotask()
          if (!this.isFailed) this.checkQueued()
          await write
        } finally {
          this.roundWrite = undefined
        }
        const written = round
        round = []
        if (this.config.flushPolicy === 'always') {
          this.syncUpTo(this.logEndOffset).then(
            () => {
              for (const request of written) request.resolve(request.result)
            },
            () => {
              for (const request of written) request.reject(this.closedError())
            },
          )
        } else {
          for (const request of written) request.resolve(request.result)
        }
      }
    } catch (error) {
      this.fail(error)
      for (const request of round) request.reject(this.closedError())
    } finally {
      this.writing = undefined
    }
  }

  /**
   * Resolves once every offset below `offset` is durable. Each fsync covers all
   * writes done when it starts; up to SYNCS_IN_FLIGHT_MAX run at once, so writes
   * acknowledged meanwhile need not wait for the running fsync to end before
   * their own starts (the file system commits concurrent fsyncs together).
   */
  private syncUpTo(offset: number): Promise<void> {
    if (this.flushed >= offset) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ offset, resolve, reject })
      this.startSyncWorker()
    })
  }

  /** Starts another fsync worker when waiters are not yet covered by one, none is gathering, and a slot is free. */
  private startSyncWorker(): void {
    if (this.syncWorkers >= SYNCS_IN_FLIGHT_MAX || this.syncGathering > 0 || !this.hasUncoveredWaiter()) return
    if (this.syncWorkers === 0) this.syncing = new Promise<void>((resolve) => (this.syncIdle = resolve))
    this.syncWorkers++
    void this.runSyncWorker()
  }

  private hasUncoveredWaiter(): boolean {
    const waiters = this.syncWaiters
    return waiters.length > 0 && waiters[waiters.length - 1].offset > this.syncStartedUpTo
  }

  /**
   * Concurrent fsyncs of one file share its write-back error: the kernel reports
   * a failed page write to whichever fsync checks first, so another one in
   * flight at that time may return success for bytes that were lost. An fsync's
   * success is therefore trusted (flushedOffset moves, appends resolve) only
   * once every fsync started before it completed has succeeded too; any failure
   * fails the log and rejects every waiter.
   */
  private trustCompletedSync(seq: number, end: number): void {
    this.syncSeqCompleted.add(seq)
    while (this.syncSeqCompleted.delete(this.syncSeqAllDone + 1)) this.syncSeqAllDone++
    // Completions arrive in order of `after`, so the trusted ones are a prefix.
    this.syncUntrusted.push({ after: this.syncSeqStarted, end })
    let trusted = 0
    while (trusted < this.syncUntrusted.length && this.syncUntrusted[trusted].after <= this.syncSeqAllDone) {
      if (this.syncUntrusted[trusted].end > this.flushed) this.flushed = this.syncUntrusted[trusted].end
      trusted++
    }
    if (trusted > 0) this.syncUntrusted.splice(0, trusted)
  }

  private async runSyncWorker(): Promise<void> {
    try {
      while (this.state !== 'failed') {
        this.syncGathering++
        try {
          await this.gatherForSync()
        } finally {
          this.syncGathering--
        }
        if (!this.hasUncoveredWaiter() || this.isFailed) break
        const segment = this.active
        const end = segment.nextOffset
        if (end > this.syncStartedUpTo) this.syncStartedUpTo = end
        const seq = ++this.syncSeqStarted
        // Waiters written meanwhile may start their own fsync beside this one.
        this.startSyncWorker()
        await segment.sync()
        if (this.isFailed) break
        this.trustCompletedSync(seq, end)
        let done = 0
        while (done < this.syncWaiters.length && this.syncWaiters[done].offset <= this.flushed) this.syncWaiters[done++].resolve()
        this.syncWaiters.splice(0, done)
      }
    } catch (error) {
      this.fail(error)
      for (const waiter of this.syncWaiters.splice(0)) waiter.reject(error)
    } finally {
      this.syncWorkers--
      if (this.syncWorkers === 0) {
        this.syncing = undefined
        this.syncIdle?.()
        this.syncIdle = undefined
        // A waiter that arrived while the last worker was leaving.
        if (this.state !== 'failed') this.startSyncWorker()
      }
    }
  }

  private takeRound(): AppendRequest[] {
    let bytes = 0
    let count = 0
    while (count < this.queue.length && (count === 0 || bytes + this.queue[count].sizeBytes <= WRITE_ROUND_BYTES_MAX)) {
      bytes += this.queue[count].sizeBytes
      count++
    }
    return this.queue.splice(0, count)
  }

  private async writeRound(round: AppendRequest[]): Promise<void> {
    let segment = this.active
    let chunks: Uint8Array[] = []
    let pending: QueuedBatch[] = []
    let pendingBytes = 0
    for (const request of round) {
      if (request.roll) {
        if (chunks.length > 0) await this.writeToSegment(segment, chunks, pending)
        chunks = []
        pending = []
        pendingBytes = 0
        if (!segment.isEmpty) segment = await this.rollTo(segment.nextOffset)
        continue
      }
      for (const batch of request.batches) {
        if (this.shouldRoll(segment, pending, pendingBytes, batch)) {
          if (chunks.length > 0) await this.writeToSegment(segment, chunks, pending)
          chunks = []
          pending = []
          pendingBytes = 0
          segment = await this.rollTo(batch.baseOffset)
        }
        chunks.push(batch.bytes)
        pending.push(batch)
        pendingBytes += batch.bytes.length
      }
    }
    if (chunks.length > 0) await this.writeToSegment(segment, chunks, pending)
  }

  private async writeToSegment(segment: LogSegment, chunks: Uint8Array[], batches: QueuedBatch[]): Promise<void> {
    let position = segment.sizeBytes
    await segment.write(chunks)
    const interval = this.config.indexIntervalBytes
    for (const batch of batches) {
      segment.indexBatch(batch.baseOffset, batch.lastOffset, batch.maxTimestampMs, position, batch.bytes.length, interval)
      position += batch.bytes.length
    }
  }

  /** Kafka's roll conditions: size, age (segment.ms) and 32-bit relative offsets. */
  private shouldRoll(segment: LogSegment, pending: QueuedBatch[], pendingBytes: number, batch: QueuedBatch): boolean {
    if (segment.isEmpty && pending.length === 0) return false
    if (segment.sizeBytes + pendingBytes + batch.bytes.length > this.config.segmentBytes) return true
    if (batch.lastOffset - segment.baseOffset > RELATIVE_OFFSET_MAX) return true
    const firstTimestampMs = segment.isEmpty ? pending[0].maxTimestampMs : segment.firstBatchTimestampMs
    // As Kafka: age counts in record time from the first batch when it has a timestamp, else in wall time.
    if (firstTimestampMs >= 0) return batch.maxTimestampMs - firstTimestampMs > this.config.segmentMs
    return this.clock() - segment.createdAtMs > this.config.segmentMs
  }

  /**
   * Seals the active segment (final time-index entry, data and indexes synced),
   * then creates the next one and moves the recovery point to it. After this the
   * sealed segment never needs recovery.
   */
  private async rollTo(baseOffset: number): Promise<LogSegment> {
    const old = this.active
    old.seal()
    await old.sync()
    await old.persistIndexes(this.storage)
    this.flushed = Math.max(this.flushed, old.nextOffset)
    const segment = await LogSegment.create(this.storage, this.dir, this.topicPartition, baseOffset, this.clock())
    await this.storage.syncDir(this.dir)
    this.segments.push(segment)
    await this.checkpointRecoveryPoint(baseOffset)
    return segment
  }

  /** Rolls now if the active segment holds data; queued behind earlier appends. */
  async roll(): Promise<void> {
    this.checkWritable()
    await new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ roll: true, batches: [], sizeBytes: 0, result: { baseOffset: -1, lastOffset: -1 }, resolve, reject })
      this.startWriter()
    })
  }

  /** Waits until no write round and no fsync is running or queued. */
  private async waitForWriter(): Promise<void> {
    while (this.writing !== undefined || this.syncing !== undefined) {
      await this.writing
      await this.syncing
    }
  }

  /**
   * Group commit: before an fsync, lets appends acknowledged by the previous one
   * come back (one macrotask) and lets the write rounds in flight finish, so the
   * fsync covers them too instead of leaving them for the next one. Bounded: it
   * waits for at most GATHER_ROUNDS_MAX rounds, so a busy writer cannot starve
   * the waiters already written.
   */
  private async gatherForSync(): Promise<void> {
    await nextMacrotask()
    for (let rounds = 0; rounds < GATHER_ROUNDS_MAX && this.roundWrite !== undefined && this.state === 'open'; rounds++) {
      await this.roundWrite.catch(() => undefined)
    }
  }

  /** Makes everything written so far durable. */
  async flush(): Promise<void> {
    this.checkReadable()
    try {
      await this.syncUpTo(this.logEndOffset)
    } catch {
      throw this.closedError()
    }
  }

  private async checkpointRecoveryPoint(offset: number): Promise<void> {
    if (offset === this.recoveryPoint) return
    await writeCheckpoint(this.storage, joinPath(this.dir, RECOVERY_POINT_FILE), RECOVERY_POINT_FORMAT, { recoveryPointOffset: offset })
    this.recoveryPoint = offset
  }

  // ------------------------------------------------------------ read

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (at least one
   * batch). Throws OffsetOutOfRangeError outside [logStartOffset, highWatermark]
   * and CorruptRangeError for offsets inside damaged data.
   */
  async read(offset: number, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    this.checkReadable()
    if (!Number.isSafeInteger(offset)) throw new TypeError(`${this.topicPartition}: offset must be an integer, got ${offset}`)
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`${this.topicPartition}: maxBytes must be a positive integer, got ${maxBytes}`)
    const highWatermark = this.highWatermark
    if (offset < this.logStartOffset || offset > highWatermark) {
      throw new OffsetOutOfRangeError(this.topicPartition, offset, this.logStartOffset, highWatermark)
    }
    const verifyCrc = options.verifyCrc ?? true
    // A snapshot: retention and compaction replace the array, never edit it in place.
    const segments = this.segments
    for (let i = segmentIndexFor(segments, offset); i < segments.length && segments[i].baseOffset < highWatermark; i++) {
      const segment = segments[i]
      segment.acquire()
      try {
        const found = await segment.read(offset, maxBytes, highWatermark, verifyCrc, this.config.indexIntervalBytes, this.reportFence, options.buffer)
        if (found !== undefined) return { ...found, highWatermark, logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset }
      } finally {
        await segment.release()
      }
    }
    return { batches: new Uint8Array(0), offsetFirst: offset, nextOffset: offset, highWatermark, logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset }
  }

  /**
   * The earliest offset whose record timestamp is >= timestampMs (Kafka's
   * ListOffsets by time), or undefined when no record is that recent.
   */
  async offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | undefined> {
    this.checkReadable()
    const highWatermark = this.highWatermark
    for (const segment of [...this.segments]) {
      if (segment.baseOffset >= highWatermark) break
      if (segment.maxTimestampMs < timestampMs) continue
      segment.acquire()
      try {
        const found = await segment.findBatchByTimestamp(timestampMs, this.logStartOffset, highWatermark, this.reportFence)
        if (found === undefined) continue
        // The batch header says some record reaches the time; the records say which.
        const decoded = decodeRecordBatch(found.batch, { verifyCrc: false })
        for (let i = 0; i < decoded.count; i++) {
          if (decoded.timestamps[i] >= timestampMs && decoded.offsets[i] >= this.logStartOffset) return { offset: decoded.offsets[i], timestampMs: decoded.timestamps[i] }
        }
        return { offset: Math.max(found.header.baseOffset, this.logStartOffset), timestampMs: found.header.maxTimestamp }
      } finally {
        await segment.release()
      }
    }
    return undefined
  }

  // ------------------------------------------------------------ retention

  /**
   * Deletes whole segments older than retention.ms or beyond retention.bytes
   * (never the active one) when cleanup.policy includes delete.
   */
  enforceRetention(): Promise<RetentionResult> {
    this.checkReadable()
    return this.maintenance.run(async () => {
      const doomed = this.config.cleanupDelete ? selectSegmentsForRetention(this.segments, this.config, this.clock()) : []
      let bytesDeleted = 0
      for (const segment of doomed) {
        bytesDeleted += segment.sizeBytes
        await this.deleteSegment(segment)
      }
      return { segmentsDeleted: doomed.length, bytesDeleted, logStartOffset: this.logStartOffset }
    })
  }

  /**
   * Removes a segment from the log: it leaves the list at once (so the log start
   * moves), its files are renamed `.deleted` (data file first: that rename is the
   * commit point, and a crash afterwards finishes the deletion on open), and
   * they are removed after file.delete.delay.ms, once in-flight reads are done.
   * @internal
   */
  async deleteSegment(segment: LogSegment): Promise<void> {
    this.segments = this.segments.filter((s) => s !== segment)
    if (this.firstDirtyOffset !== undefined && this.firstDirtyOffset < this.logStartOffset) this.firstDirtyOffset = this.logStartOffset
    const renamed = await this.renameToDeleted([segment.logPath, segment.indexPath, segment.timeIndexPath])
    const removed = this.scheduleRemoval(segment, renamed)
    // Without a delay there is nothing to wait for: finish before returning.
    if (this.config.fileDeleteDelayMs <= 0) await removed
  }

  /** @internal Renames files to `<name>.deleted` (those that exist) and syncs the directory. */
  async renameToDeleted(paths: readonly string[]): Promise<string[]> {
    const renamed: string[] = []
    for (const path of paths) {
      if (!(await this.storage.exists(path))) continue
      await this.storage.rename(path, path + DELETED_SUFFIX)
      renamed.push(path + DELETED_SUFFIX)
    }
    await this.storage.syncDir(this.dir)
    return renamed
  }

  /** @internal Closes a segment that left the list and removes its `.deleted` files after file.delete.delay.ms. */
  scheduleRemoval(segment: LogSegment, renamed: readonly string[]): Promise<void> {
    const removal = this.delay(this.config.fileDeleteDelayMs).then(async () => {
      await segment.retire()
      for (const path of renamed) await this.storage.remove(path)
    })
    const tracked: Promise<void> = removal.catch(() => undefined).finally(() => this.pendingDeletes.delete(tracked))
    this.pendingDeletes.add(tracked)
    return tracked
  }

  /** Waits `ms`, or less if the log closes first (close finishes pending removals at once). */
  private delay(ms: number): Promise<void> {
    if (ms <= 0 || this.state === 'closing' || this.state === 'closed') return Promise.resolve()
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.delayWaiters.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      ;(timer as { unref?: () => void }).unref?.()
      this.delayWaiters.add(wake)
    })
  }

  // ------------------------------------------------------------ lifecycle

  private startTimers(): void {
    const generation = ++this.timerGeneration
    // The first run of each task comes at a random point of its period, so the timers of a store's partitions
    // (started together when a topic is created or the store opens) do not fire together. Eight interval fsyncs at
    // once fill libuv's four threads, and every write waits behind them: measured here (.scratch/fsync.mjs, 1.5 MB
    // dirty per file), a write waited 13-16 ms behind 8 simultaneous fsyncs and 0.3 ms beside one, once per flush.ms.
    const every = (ms: number, task: () => Promise<unknown>) => {
      const live = () => this.state === 'open' && generation === this.timerGeneration
      const tick = () => {
        if (!live()) return
        void task()
          .catch(() => undefined)
          .finally(() => {
            if (live()) schedule()
          })
      }
      let delayMs = Math.floor(Math.random() * ms) + 1
      const schedule = () => {
        const timer = setTimeout(tick, delayMs)
        delayMs = ms
        ;(timer as { unref?: () => void }).unref?.()
        this.timers.push(timer)
        // Fired timers need no clearing; keep the list short.
        if (this.timers.length > 16) this.timers.splice(0, this.timers.length - 16)
      }
      schedule()
    }
    if (this.config.flushPolicy === 'interval') every(this.config.flushIntervalMs, () => this.flush())
    every(MAINTENANCE_INTERVAL_MS, () => this.enforceRetention())
    if (this.config.cleanupCompact) every(CLEANER_BACKOFF_MS, () => this.compactIfDirty())
  }

  private stopTimers(): void {
    this.timerGeneration++
    for (const timer of this.timers.splice(0)) clearTimeout(timer)
  }

  /** Applies a new config (e.g. after AlterConfigs); background timers restart under it. */
  updateConfig(config: LogConfig): void {
    this.checkReadable()
    this.config = config
    if (this.background) {
      this.stopTimers()
      this.startTimers()
    }
  }

  // ------------------------------------------------------------ compaction

  /**
   * Compacts the log once now (cleanup.policy must include compact). Runs in
   * the background of the event loop: appends and reads continue meanwhile.
   */
  compact(): Promise<CleanerStats> {
    this.checkWritable()
    if (!this.config.cleanupCompact) return Promise.reject(new InvalidConfigError('cleanup.policy', `${this.topicPartition}: cleanup.policy is not compact; nothing to compact`))
    const run = this.maintenance.run(() => cleanLog(this, this.clock()))
    this.cleaning = run
    return run.finally(() => {
      if (this.cleaning === run) this.cleaning = undefined
    })
  }

  /** Compacts when the dirty share of the non-active bytes reaches min.cleanable.dirty.ratio. */
  private async compactIfDirty(): Promise<CleanerStats | undefined> {
    if (dirtyRatio(this) < this.config.minCleanableDirtyRatio) return undefined
    return this.compact()
  }

  private checkReadable(): void {
    if (this.state === 'closed' || this.state === 'closing') throw new LogClosedError(`${this.topicPartition}: the log is closed`)
  }

  private checkWritable(): void {
    this.checkReadable()
    if (this.state === 'failed') throw this.closedError()
  }

  private closedError(): LogClosedError {
    if (this.state === 'failed') {
      const cause = this.failure instanceof Error ? this.failure.message : String(this.failure)
      return new LogClosedError(`${this.topicPartition}: the log stopped accepting writes after an I/O error (${cause}); reopen it to recover`, { cause: this.failure })
    }
    return new LogClosedError(`${this.topicPartition}: the log is closed`)
  }

  /** After an I/O error the log stops writing: what was written may be torn, and reopening recovers it. */
  private fail(error: unknown): void {
    if (this.state === 'open') {
      this.state = 'failed'
      this.failure = error
    }
    const waiting = this.queue.splice(0)
    for (const request of waiting) request.reject(this.closedError())
  }

  get isFailed(): boolean {
    return this.state === 'failed'
  }

  /**
   * Writes everything queued, syncs, checkpoints the recovery point and leaves
   * a clean-shutdown marker so the next open skips recovery. A failed log closes
   * without the marker, so the next open recovers it.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return
    const failed = this.state === 'failed'
    this.abortCleaning = true
    await this.waitForWriter()
    this.state = 'closing'
    this.stopTimers()
    await this.cleaning?.catch(() => undefined)
    for (const wake of [...this.delayWaiters]) wake()
    await Promise.all([...this.pendingDeletes])
    try {
      if (!failed) {
        const active = this.active
        active.seal()
        await active.sync()
        await active.persistIndexes(this.storage)
        await this.checkpointRecoveryPoint(this.logEndOffset)
        await writeCheckpoint(this.storage, joinPath(this.dir, CLEAN_SHUTDOWN_FILE), CLEAN_SHUTDOWN_FORMAT, {
          logEndOffset: this.logEndOffset,
          activeSegmentBaseOffset: active.baseOffset,
          activeSegmentBytes: active.sizeBytes,
        })
      }
    } finally {
      this.state = 'closed'
      for (const segment of this.segments) await segment.closeFile().catch(() => undefined)
    }
  }

  /** Closes the log and removes its directory. */
  async deleteAll(): Promise<void> {
    await this.close()
    await this.storage.removeDir(this.dir)
  }
}

const scheduleImmediate: (callback: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (callback) => (globalThis as unknown as { setImmediate: (cb: () => void) => void }).setImmediate(callback)
    : (callback) => setTimeout(callback, 0)

/** Resolves after pending microtasks and I/O callbacks have run. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => scheduleImmediate(resolve))
}

/** Index of the last segment whose base offset is <= offset (0 if none). */
function segmentIndexFor(segments: readonly LogSegment[], offset: number): number {
  let lo = 0
  let hi = segments.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (segments[mid].baseOffset <= offset) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** Splits back-to-back batches (a Produce request's records field) into one view per batch. */
export function splitBatches(bytes: Uint8Array, topicPartition: string): Uint8Array[] {
  const batches: Uint8Array[] = []
  let at = 0
  while (at < bytes.length) {
    const size = batchSizeAt(bytes, at)
    if (size < BATCH_HEADER_BYTES || at + size > bytes.length) {
      throw new InvalidBatchError(`${topicPartition}: batch at byte ${at} of the append is cut short or has a bad length (${size})`)
    }
    batches.push(bytes.subarray(at, at + size))
    at += size
  }
  return batches
}
