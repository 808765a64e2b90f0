// The transaction coordinator (Kafka's TransactionCoordinator, for one node).
// It owns every transactional id's state: producer id and epoch, the open
// transaction's partitions and pending offsets, and the outcome of recent
// transactions. Each change is written to `__transaction_state` before it is
// acted on, so a restart finishes what a crash interrupted.
//
// Per transactional id the allowed transitions are:
//   empty | complete-* ──AddPartitions/AddOffsets──► ongoing
//   ongoing ──EndTxn(commit|abort), timeout, InitProducerId──► prepare-* ──markers written──► complete-*
// InitProducerId bumps the epoch; every request carrying an older epoch is
// fenced from then on (PRODUCER_FENCED), and an open transaction of the old
// epoch is aborted first.
//
// Concurrency: one event loop. Operations on one transactional id run one
// after another (a promise chain per id), so a commit and a timeout abort of
// the same transaction cannot interleave.
import { KafkaError, ProducerFencedError } from '../errors.js'
import type { MarkerKind } from './control-record.js'
import { SerialByKey } from '../serial-by-key.js'
import { TransactionLog, TRANSACTION_RECORD_VERSION, type PendingOffset, type TransactionRecord } from './transaction-log.js'

/** Kafka's transaction.max.timeout.ms default: a producer may not ask for a longer timeout. */
export const TRANSACTION_TIMEOUT_MS_MAX = 900_000
export const TRANSACTION_TIMEOUT_MS_DEFAULT = 60_000
/** How often open transactions are checked against their timeout (Kafka: 10 s). */
export const TRANSACTION_ABORT_CHECK_MS_DEFAULT = 1_000
/** Kafka's transactional.id.expiration.ms default: an id idle this long (no transaction open) is forgotten. */
export const TRANSACTIONAL_ID_EXPIRATION_MS_DEFAULT = 7 * 24 * 60 * 60 * 1000
/** Outcomes of ended transactions remembered per id, for completing a prepared transaction after a crash. */
export const RECENT_OUTCOMES_KEPT = 16
const EPOCH_MAX = 0x7fff

export interface TransactionCoordinatorOptions {
  /** Largest transactionTimeoutMs a producer may ask for (default 900 000, as Kafka). */
  timeoutMsMax?: number
  /** Interval of the timeout check (default 1000 ms); 0 turns the timer off (call abortExpired and expireIds yourself). */
  abortCheckIntervalMs?: number
  /**
   * How long a transactional id with no open transaction is kept after its
   * last change (default 7 days, Kafka's transactional.id.expiration.ms);
   * then it is removed from `__transaction_state` with a tombstone, and its
   * next InitProducerId starts afresh with a new producer id.
   */
  idExpirationMs?: number
}

/** What the coordinator needs from the broker. */
export interface TransactionHost {
  allocateProducerId(): number
  /** Appends a commit or abort marker to one partition if `producerId` has an open transaction there. */
  writeMarker(topic: string, partition: number, producerId: number, producerEpoch: number, kind: MarkerKind): Promise<void>
  /** Checks that the partition exists (throws UNKNOWN_TOPIC_OR_PARTITION). */
  checkPartition(topic: string, partition: number): void
  commitOffsets(groupId: string, offsets: readonly PendingOffset[]): Promise<void>
}

/** Names one transaction exactly, even after a crash: what an exactly-once sink stores in its checkpoint. */
export interface TransactionHandle {
  transactionalId: string
  producerId: number
  producerEpoch: number
  /** The transaction's number among this id's transactions (TransactionRecord.sequence). */
  sequence: number
}

export interface TransactionState {
  producerId: number
  producerEpoch: number
  phase: TransactionRecord['phase']
  sequence: number
  partitions: { topic: string; partition: number }[]
  startedMs: number
  timeoutMs: number
}

interface Entry extends TransactionRecord {
  recent: [number, MarkerKind][]
  updatedMs: number
}

export class TransactionCoordinator {
  private readonly entries = new Map<string, Entry>()
  private readonly idOfProducer = new Map<number, string>()
  private readonly serial = new SerialByKey()
  private readonly timeoutMsMax: number
  private readonly idExpirationMs: number
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly log: TransactionLog,
    private readonly host: TransactionHost,
    private readonly options: TransactionCoordinatorOptions = {},
  ) {
    this.timeoutMsMax = options.timeoutMsMax ?? TRANSACTION_TIMEOUT_MS_MAX
    this.idExpirationMs = options.idExpirationMs ?? TRANSACTIONAL_ID_EXPIRATION_MS_DEFAULT
    if (!(this.idExpirationMs > 0)) throw new RangeError(`transactions.idExpirationMs must be a number of ms > 0, got ${String(options.idExpirationMs)}`)
  }

  /** Replays the state topic and finishes transactions a crash left between decision and markers. Returns the largest producer id seen. */
  async load(): Promise<number> {
    let producerIdMax = 0
    const loadedMs = Date.now()
    for (const [id, record] of await this.log.load()) {
      const entry = record as Entry
      entry.recent ??= []
      // Records written before ids expired carry no time: their clock starts now.
      entry.updatedMs ??= loadedMs
      this.entries.set(id, entry)
      this.idOfProducer.set(entry.producerId, id)
      producerIdMax = Math.max(producerIdMax, entry.producerId)
    }
    for (const [id, entry] of this.entries) {
      if (entry.phase === 'prepare-commit' || entry.phase === 'prepare-abort') {
        await this.locked(id, () => this.finish(entry, entry.phase === 'prepare-commit' ? 'commit' : 'abort'))
      }
    }
    const interval = this.options.abortCheckIntervalMs ?? TRANSACTION_ABORT_CHECK_MS_DEFAULT
    if (interval > 0) {
      this.timer = setInterval(() => void this.abortExpired().then(() => this.expireIds()).catch(() => undefined), interval)
      this.timer.unref?.()
    }
    return producerIdMax
  }

  close(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /**
   * InitProducerId with a transactional id: a new producer id at epoch 0, or
   * the id's producer id with its epoch bumped (aborting an open transaction of
   * the old epoch). Every older epoch is fenced from now on.
   */
  initProducerId(transactionalId: string, timeoutMs = TRANSACTION_TIMEOUT_MS_DEFAULT): Promise<{ producerId: number; producerEpoch: number }> {
    if (typeof transactionalId !== 'string' || transactionalId.length === 0) {
      return Promise.reject(new KafkaError('INVALID_REQUEST', `a transactional id must be a non-empty string, got ${JSON.stringify(transactionalId)}`))
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > this.timeoutMsMax) {
      return Promise.reject(new KafkaError('INVALID_TRANSACTION_TIMEOUT', `transaction timeout for ${JSON.stringify(transactionalId)} must be an integer in 1..${this.timeoutMsMax} ms, got ${timeoutMs}`))
    }
    return this.locked(transactionalId, async () => {
      let entry = this.entries.get(transactionalId)
      if (entry !== undefined && (entry.phase === 'ongoing' || entry.phase === 'prepare-abort')) await this.finish(entry, 'abort')
      if (entry !== undefined && entry.phase === 'prepare-commit') await this.finish(entry, 'commit')
      if (entry === undefined || entry.producerEpoch >= EPOCH_MAX) {
        const producerId = this.host.allocateProducerId()
        if (entry !== undefined) this.idOfProducer.delete(entry.producerId)
        entry = { ...(entry ?? emptyEntry(transactionalId)), producerId, producerEpoch: 0 }
        this.idOfProducer.set(producerId, transactionalId)
      } else {
        entry = { ...entry, producerEpoch: entry.producerEpoch + 1 }
      }
      entry.timeoutMs = timeoutMs
      if (entry.phase === 'ongoing') entry.phase = 'empty'
      await this.persist(entry)
      return { producerId: entry.producerId, producerEpoch: entry.producerEpoch }
    })
  }

  /** AddPartitionsToTxn: the partitions join the transaction, which begins if none is open. */
  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    try {
      for (const tp of partitions) this.host.checkPartition(tp.topic, tp.partition)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.locked(transactionalId, async () => {
      const entry = this.current(transactionalId, producerId, producerEpoch)
      let changed = this.begin(entry)
      for (const tp of partitions) {
        if (entry.partitions.some(([t, p]) => t === tp.topic && p === tp.partition)) continue
        entry.partitions.push([tp.topic, tp.partition])
        changed = true
      }
      if (changed) await this.persist(entry)
    })
  }

  /** AddOffsetsToTxn: the group's offsets will be committed with the transaction, which begins if none is open. */
  addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<void> {
    if (typeof groupId !== 'string' || groupId === '') return Promise.reject(new KafkaError('INVALID_GROUP_ID', `AddOffsetsToTxn for ${JSON.stringify(transactionalId)} needs a group id`))
    return this.locked(transactionalId, async () => {
      const entry = this.current(transactionalId, producerId, producerEpoch)
      if (this.begin(entry)) await this.persist(entry)
    })
  }

  /** TxnOffsetCommit: offsets held with the open transaction, committed to the group only if it commits. */
  commitOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string, offsets: readonly Omit<PendingOffset, 'groupId'>[]): Promise<void> {
    for (const o of offsets) {
      try {
        this.host.checkPartition(o.topic, o.partition)
      } catch (error) {
        return Promise.reject(error)
      }
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) return Promise.reject(new RangeError(`offset for ${o.topic}-${o.partition} must be a non-negative integer, got ${o.offset}`))
    }
    return this.locked(transactionalId, async () => {
      const entry = this.current(transactionalId, producerId, producerEpoch)
      if (entry.phase !== 'ongoing') throw new KafkaError('INVALID_TXN_STATE', `TxnOffsetCommit for ${JSON.stringify(transactionalId)}: no transaction is open (send AddOffsetsToTxn first)`)
      for (const o of offsets) {
        const next: PendingOffset = { groupId, topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' }
        const at = entry.offsets.findIndex((p) => p.groupId === groupId && p.topic === o.topic && p.partition === o.partition)
        if (at >= 0) entry.offsets[at] = next
        else entry.offsets.push(next)
      }
      await this.persist(entry)
    })
  }

  /** EndTxn: commit or abort the open transaction. A retry of an end that already happened succeeds. */
  endTransaction(transactionalId: string, producerId: number, producerEpoch: number, kind: MarkerKind): Promise<void> {
    return this.locked(transactionalId, async () => {
      const entry = this.current(transactionalId, producerId, producerEpoch)
      if (entry.phase === 'ongoing' || entry.phase === `prepare-${kind}`) return this.finish(entry, kind)
      if (entry.phase === `complete-${kind}`) return
      throw new KafkaError('INVALID_TXN_STATE', `cannot ${kind} for ${JSON.stringify(transactionalId)}: ${entry.phase === 'empty' ? 'no transaction is open' : `the last transaction is ${entry.phase}`}`)
    })
  }

  /**
   * Commits the transaction `handle` names, for a process that prepared it and
   * died: only while the id still has that producer id, epoch and transaction
   * number, so a newer producer's transaction is never touched. Idempotent:
   * a transaction already committed succeeds. Throws when it was aborted (its
   * output is gone: the caller must not pretend otherwise).
   */
  completePrepared(handle: TransactionHandle): Promise<'committed' | 'already-committed'> {
    return this.locked(handle.transactionalId, async () => {
      const entry = this.entries.get(handle.transactionalId)
      const what = `prepared transaction ${handle.sequence} of ${JSON.stringify(handle.transactionalId)} (producer ${handle.producerId}, epoch ${handle.producerEpoch})`
      if (entry === undefined) throw new KafkaError('INVALID_PRODUCER_ID_MAPPING', `${what}: the broker knows no such transactional id`)
      if (entry.producerId !== handle.producerId) throw new KafkaError('INVALID_PRODUCER_ID_MAPPING', `${what}: the id now has producer ${entry.producerId}`)
      const sameTransaction = entry.sequence === handle.sequence && entry.producerEpoch === handle.producerEpoch
      if (sameTransaction && (entry.phase === 'ongoing' || entry.phase === 'prepare-commit')) {
        await this.finish(entry, 'commit')
        return 'committed'
      }
      const outcome = entry.recent.find(([sequence]) => sequence === handle.sequence)?.[1]
      if (outcome === 'commit') return 'already-committed'
      if (outcome === 'abort') throw new KafkaError('INVALID_TXN_STATE', `${what} was aborted (timed out or fenced before it was committed); its output is lost`)
      throw new KafkaError('INVALID_TXN_STATE', `${what}: its outcome is no longer known (the id is at transaction ${entry.sequence}, phase ${entry.phase})`)
    })
  }

  /** Aborts (and fences, by bumping the epoch) every open transaction older than its timeout. Returns how many. */
  async abortExpired(nowMs = Date.now()): Promise<number> {
    let aborted = 0
    for (const [id, entry] of this.entries) {
      if (entry.phase !== 'ongoing' || entry.startedMs + entry.timeoutMs > nowMs) continue
      await this.locked(id, async () => {
        const current = this.entries.get(id)!
        if (current.phase !== 'ongoing' || current.startedMs + current.timeoutMs > nowMs) return
        await this.finish(current, 'abort')
        // As Kafka does: the producer that let its transaction time out is fenced, so it cannot keep writing as if it were open.
        if (current.producerEpoch < EPOCH_MAX) await this.persist({ ...current, producerEpoch: current.producerEpoch + 1 })
        aborted++
      })
    }
    return aborted
  }

  /**
   * Forgets every transactional id idle for idExpirationMs with no transaction
   * open or ending: a tombstone in `__transaction_state`, then gone from memory
   * (its producer id with it). Returns how many.
   */
  async expireIds(nowMs = Date.now()): Promise<number> {
    const idle = (entry: Entry) => (entry.phase === 'empty' || entry.phase === 'complete-commit' || entry.phase === 'complete-abort') && entry.updatedMs + this.idExpirationMs <= nowMs
    let expired = 0
    for (const [id, entry] of this.entries) {
      if (!idle(entry)) continue
      await this.locked(id, async () => {
        const current = this.entries.get(id)
        if (current === undefined || !idle(current)) return
        await this.log.remove(id)
        this.entries.delete(id)
        if (this.idOfProducer.get(current.producerId) === id) this.idOfProducer.delete(current.producerId)
        expired++
      })
    }
    return expired
  }

  /** Transactional ids known now (for tests and metrics). */
  get idCount(): number {
    return this.entries.size
  }

  /**
   * Checks a transactional batch before it is appended: its producer must hold
   * the current epoch of its id and have added the partition to its open transaction.
   */
  checkProduce(producerId: number, producerEpoch: number, topic: string, partition: number): void {
    const id = this.idOfProducer.get(producerId)
    if (id === undefined) throw new KafkaError('INVALID_PRODUCER_ID_MAPPING', `transactional batch for ${topic}-${partition} from producer ${producerId}, which no transactional id has`)
    const entry = this.entries.get(id)!
    if (producerEpoch !== entry.producerEpoch) {
      throw new KafkaError('INVALID_PRODUCER_EPOCH', `transactional batch for ${topic}-${partition} from producer ${producerId} epoch ${producerEpoch}, but ${JSON.stringify(id)} is at epoch ${entry.producerEpoch}: the producer was fenced`)
    }
    if (entry.phase !== 'ongoing') throw new KafkaError('INVALID_TXN_STATE', `transactional batch for ${topic}-${partition} from ${JSON.stringify(id)}, which has no open transaction (${entry.phase})`)
    if (!entry.partitions.some(([t, p]) => t === topic && p === partition)) {
      throw new KafkaError('INVALID_TXN_STATE', `transactional batch for ${topic}-${partition} from ${JSON.stringify(id)}: the partition was not added to the transaction (AddPartitionsToTxn)`)
    }
  }

  describe(transactionalId: string): TransactionState | undefined {
    const entry = this.entries.get(transactionalId)
    if (entry === undefined) return undefined
    return {
      producerId: entry.producerId,
      producerEpoch: entry.producerEpoch,
      phase: entry.phase,
      sequence: entry.sequence,
      partitions: entry.partitions.map(([topic, partition]) => ({ topic, partition })),
      startedMs: entry.startedMs,
      timeoutMs: entry.timeoutMs,
    }
  }

  // ------------------------------------------------------------------ internals

  /** The id's entry, if `producerId` and `producerEpoch` are its current ones; otherwise fenced or unknown. */
  private current(transactionalId: string, producerId: number, producerEpoch: number): Entry {
    const entry = this.entries.get(transactionalId)
    if (entry === undefined || entry.producerId !== producerId) {
      throw new KafkaError('INVALID_PRODUCER_ID_MAPPING', `producer ${producerId} is not the producer of transactional id ${JSON.stringify(transactionalId)} (call initTransactions)`)
    }
    if (producerEpoch !== entry.producerEpoch) {
      throw new ProducerFencedError(transactionalId, producerEpoch, entry.producerEpoch)
    }
    return entry
  }

  /** Opens a transaction unless one is open; true if it did. */
  private begin(entry: Entry): boolean {
    if (entry.phase === 'ongoing') return false
    if (entry.phase === 'prepare-commit' || entry.phase === 'prepare-abort') {
      throw new KafkaError('CONCURRENT_TRANSACTIONS', `transactional id ${JSON.stringify(entry.transactionalId)} is still ending its last transaction`)
    }
    entry.phase = 'ongoing'
    entry.sequence++
    entry.startedMs = Date.now()
    entry.partitions = []
    entry.offsets = []
    return true
  }

  /** Decision, markers, offsets, completion: each step durable before the next, so a restart can finish it. */
  private async finish(entry: Entry, kind: MarkerKind): Promise<void> {
    if (entry.phase !== `prepare-${kind}`) {
      entry.phase = `prepare-${kind}`
      await this.persist(entry)
    }
    await Promise.all(entry.partitions.map(([topic, partition]) => this.host.writeMarker(topic, partition, entry.producerId, entry.producerEpoch, kind)))
    if (kind === 'commit' && entry.offsets.length > 0) {
      const byGroup = new Map<string, PendingOffset[]>()
      for (const o of entry.offsets) byGroup.set(o.groupId, [...(byGroup.get(o.groupId) ?? []), o])
      for (const [groupId, offsets] of byGroup) await this.host.commitOffsets(groupId, offsets)
    }
    entry.phase = `complete-${kind}`
    entry.recent = [...entry.recent.filter(([s]) => s !== entry.sequence), [entry.sequence, kind] as [number, MarkerKind]].slice(-RECENT_OUTCOMES_KEPT)
    entry.partitions = []
    entry.offsets = []
    entry.startedMs = 0
    await this.persist(entry)
  }

  private async persist(entry: Entry): Promise<void> {
    entry.updatedMs = Date.now()
    await this.log.write(entry)
    this.entries.set(entry.transactionalId, entry)
  }

  private locked<T>(transactionalId: string, work: () => Promise<T>): Promise<T> {
    return this.serial.run(transactionalId, work)
  }
}

function emptyEntry(transactionalId: string): Entry {
  return {
    version: TRANSACTION_RECORD_VERSION,
    transactionalId,
    producerId: -1,
    producerEpoch: 0,
    timeoutMs: TRANSACTION_TIMEOUT_MS_DEFAULT,
    phase: 'empty',
    sequence: 0,
    startedMs: 0,
    updatedMs: 0,
    partitions: [],
    offsets: [],
    recent: [],
  }
}
