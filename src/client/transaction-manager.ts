// The producer's side of transactions, as one explicit state machine (as
// kafkajs keeps its transaction manager in one file). The Producer asks it
// before every send and before every batch goes to a partition; the broker's
// transaction coordinator is the authority, this only keeps the producer from
// asking for what cannot work and turns fencing into one clear error.
//
//   uninitialized ──initTransactions──► ready ──beginTransaction──► in-transaction
//   in-transaction ──commit / abort──► ready
//   in-transaction ──a send failed──► abortable (only abort leaves it)
//   any ──a newer producer or a timeout fenced this epoch──► fenced (final)
import type { Broker } from '../broker/broker.js'
import { KafkaError, ProducerFencedError } from '../broker/errors.js'
import type { TransactionHandle } from '../broker/transactions/coordinator.js'

export type TransactionState = 'uninitialized' | 'ready' | 'in-transaction' | 'abortable' | 'fenced'

/** Misuse of the transactional API (wrong state); the message says what to call instead. */
export class TransactionStateError extends Error {
  override name = 'TransactionStateError'
}

export interface OffsetToCommit {
  topic: string
  partition: number
  /** The next offset to consume (the last processed offset + 1), as in Kafka. */
  offset: number
  metadata?: string
}

export class TransactionManager {
  state: TransactionState = 'uninitialized'
  producerId = -1
  producerEpoch = -1
  /** Partitions added to the open transaction (the promise settles once the coordinator knows). */
  private partitions = new Map<string, Promise<void>>()
  private offsetsAdded = false
  /** The first failure inside the open transaction: commit refuses with it. */
  private failure: unknown
  private fencedBy: ProducerFencedError | undefined

  constructor(
    private readonly broker: Broker,
    readonly transactionalId: string,
    private readonly timeoutMs: number,
  ) {}

  async init(): Promise<{ producerId: number; producerEpoch: number }> {
    this.assertNotFenced()
    if (this.state === 'in-transaction' || this.state === 'abortable') throw new TransactionStateError(`initTransactions: a transaction of ${this.name()} is open; commit or abort it first`)
    const id = await this.call(() => this.broker.transactions.initProducerId(this.transactionalId, this.timeoutMs))
    this.producerId = id.producerId
    this.producerEpoch = id.producerEpoch
    this.state = 'ready'
    return id
  }

  begin(): void {
    this.assertNotFenced()
    if (this.state === 'uninitialized') throw new TransactionStateError(`beginTransaction: call initTransactions() first (${this.name()})`)
    if (this.state !== 'ready') throw new TransactionStateError(`beginTransaction: a transaction of ${this.name()} is already open`)
    this.state = 'in-transaction'
    this.forgetTransaction()
  }

  /** Throws unless a send may start now. */
  assertCanSend(topic: string): void {
    this.assertNotFenced()
    if (this.state === 'in-transaction') return
    if (this.state === 'abortable') throw new TransactionStateError(`send to "${topic}": a send in this transaction of ${this.name()} failed (${describe(this.failure)}); call abortTransaction()`)
    throw new TransactionStateError(`send to "${topic}" outside a transaction: a producer with transactionalId ${this.name()} must call ${this.state === 'uninitialized' ? 'initTransactions() and ' : ''}beginTransaction() first`)
  }

  /** Adds the partition to the open transaction once; every batch for it waits for this. */
  addPartition(topic: string, partition: number): Promise<void> {
    const key = `${topic}\u0000${partition}`
    let added = this.partitions.get(key)
    if (added === undefined) {
      added = this.call(() => this.broker.transactions.addPartitions(this.transactionalId, this.producerId, this.producerEpoch, [{ topic, partition }]))
      added.catch(() => undefined)
      this.partitions.set(key, added)
    }
    return added
  }

  /** A batch of the open transaction failed: the transaction can only be aborted now. Returns the error to report (fencing as ProducerFencedError). */
  fail(error: unknown): unknown {
    if (isFencing(error)) return this.fence(error)
    if (this.state === 'in-transaction') {
      this.state = 'abortable'
      this.failure = error
    }
    return error
  }

  async sendOffsets(offsets: readonly OffsetToCommit[], groupId: string): Promise<void> {
    this.assertNotFenced()
    if (typeof groupId !== 'string' || groupId === '') throw new TypeError('sendOffsetsToTransaction needs a consumer group id')
    if (!Array.isArray(offsets)) throw new TypeError('sendOffsetsToTransaction needs an array of { topic, partition, offset }')
    if (this.state !== 'in-transaction') throw new TransactionStateError(`sendOffsetsToTransaction: no open transaction of ${this.name()} to add offsets to (call beginTransaction())`)
    await this.call(() => this.broker.transactions.addOffsets(this.transactionalId, this.producerId, this.producerEpoch, groupId))
    this.offsetsAdded = true
    await this.call(() => this.broker.transactions.commitOffsets(this.transactionalId, this.producerId, this.producerEpoch, groupId, offsets))
  }

  /** Commit (after the producer flushed). A failed send in the transaction makes this throw; abort instead. */
  async commit(): Promise<void> {
    this.assertNotFenced()
    if (this.state === 'abortable') throw new TransactionStateError(`commitTransaction: a send in this transaction of ${this.name()} failed (${describe(this.failure)}); call abortTransaction()`)
    if (this.state !== 'in-transaction') throw new TransactionStateError(`commitTransaction: no open transaction of ${this.name()} (call beginTransaction())`)
    await this.end('commit')
  }

  async abort(): Promise<void> {
    this.assertNotFenced()
    if (this.state !== 'in-transaction' && this.state !== 'abortable') throw new TransactionStateError(`abortTransaction: no open transaction of ${this.name()} (call beginTransaction())`)
    await this.end('abort')
  }

  /** The open transaction as a handle another process can commit, or undefined when nothing was written in it. */
  handle(): TransactionHandle | undefined {
    this.assertNotFenced()
    if (this.state === 'abortable') throw new TransactionStateError(`prepareTransaction: a send in this transaction of ${this.name()} failed (${describe(this.failure)}); call abortTransaction()`)
    if (this.state !== 'in-transaction') throw new TransactionStateError(`prepareTransaction: no open transaction of ${this.name()} (call beginTransaction())`)
    if (!this.touched()) return undefined
    const state = this.broker.transactions.describe(this.transactionalId)
    if (state === undefined || state.producerId !== this.producerId || state.producerEpoch !== this.producerEpoch || state.phase !== 'ongoing') {
      throw new TransactionStateError(`prepareTransaction: ${this.name()} has no open transaction at the broker (it was aborted or fenced)`)
    }
    return { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, sequence: state.sequence }
  }

  /** Commits a transaction prepared by an earlier producer of this id (see Producer.commitPreparedTransaction). */
  async completePrepared(handle: TransactionHandle): Promise<'committed' | 'already-committed'> {
    if (handle === null || typeof handle !== 'object' || handle.transactionalId !== this.transactionalId) {
      throw new TypeError(`commitPreparedTransaction: the handle must name transactional id ${this.name()}, got ${JSON.stringify(handle)}`)
    }
    return this.broker.transactions.completePrepared(handle)
  }

  private async end(kind: 'commit' | 'abort'): Promise<void> {
    // A transaction nothing joined is unknown to the coordinator: there is nothing to end there.
    if (this.touched()) {
      await Promise.allSettled(this.partitions.values())
      await this.call(() => this.broker.transactions.endTransaction(this.transactionalId, this.producerId, this.producerEpoch, kind))
    }
    this.state = 'ready'
    this.forgetTransaction()
  }

  /** Clears what the last transaction joined and how it failed. */
  private forgetTransaction(): void {
    this.partitions = new Map()
    this.offsetsAdded = false
    this.failure = undefined
  }

  private touched(): boolean {
    return this.partitions.size > 0 || this.offsetsAdded
  }

  /** Runs a coordinator call; fencing ends this producer's transactional life. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      if (isFencing(error)) throw this.fence(error)
      throw error
    }
  }

  private fence(error: KafkaError): ProducerFencedError {
    this.state = 'fenced'
    this.fencedBy ??= error instanceof ProducerFencedError ? error : new ProducerFencedError(this.transactionalId, this.producerEpoch, -1, error.message)
    return this.fencedBy
  }

  private assertNotFenced(): void {
    if (this.fencedBy !== undefined) throw this.fencedBy
  }

  private name(): string {
    return JSON.stringify(this.transactionalId)
  }
}

/** A newer producer of the same transactional id, or a timeout, took this producer's epoch. */
function isFencing(error: unknown): error is KafkaError {
  return error instanceof ProducerFencedError || (error instanceof KafkaError && error.type === 'INVALID_PRODUCER_EPOCH')
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
