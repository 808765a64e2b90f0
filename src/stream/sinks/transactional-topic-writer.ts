// The exactly-once topic sink's writer: a two-phase-commit participant over a
// transactional producer (docs/transactions.md, "Exactly-once topic sink").
//
//   write    → records go into the open transaction (begun lazily)
//   prepare  → flush; the open transaction's handle (transactional id,
//              producer id, epoch, transaction number) becomes the bytes the
//              checkpoint stores. The transaction stays open, invisible.
//   commit   → commit it (a repeated commit of the same handle is a no-op)
//   recover  → a fresh producer commits the handle's transaction if it is
//              still open (the crash came between checkpoint and commit), then
//              initTransactions fences every older producer of the id and
//              aborts whatever it had open (output after the checkpoint).
//
// Between prepare and commit the open transaction must not grow: if the
// checkpoint is durable, its transaction must hold exactly the output before
// it. Records written in that window are held here and sent after the commit
// (or, when the checkpoint failed and the next prepare comes first, into the
// same transaction, which then belongs to the next checkpoint).
//
// Prepared bytes (version 1): UTF-8 JSON
//   { "v": 1, "transactionalId": s, "producerId": n, "producerEpoch": n, "sequence": n }
// with "sequence": -1 when nothing was written since the last commit.
import { StreamConfigError } from '../errors.js'
import type { SinkBatch, SinkWriter } from './spec.js'

export const PREPARED_TOPIC_TXN_VERSION = 1

export interface TransactionHandleLike {
  transactionalId: string
  producerId: number
  producerEpoch: number
  sequence: number
}

type OutRecord = { key: string | null; value: Uint8Array | string; timestamp: number }

/** What the writer needs of eddy's Producer (duck-typed: the stream layer does not import the clients). */
export interface TransactionalProducerLike {
  send(topic: string, records: OutRecord[]): Promise<unknown>
  initTransactions(): Promise<void>
  beginTransaction(): void
  commitTransaction(): Promise<void>
  abortTransaction(): Promise<void>
  prepareTransaction(): Promise<TransactionHandleLike | undefined>
  commitPreparedTransaction(handle: TransactionHandleLike): Promise<'committed' | 'already-committed'>
  transactionState(): string | undefined
  flush(): Promise<void>
  close(): Promise<void>
}

export interface TransactionalTopicWriterOptions {
  topic: string
  transactionalId: string
  newProducer(): TransactionalProducerLike
  toRecords(batch: SinkBatch<unknown>): OutRecord[]
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

export class TransactionalTopicWriter implements SinkWriter<unknown> {
  private producer: TransactionalProducerLike | undefined
  private ready: Promise<void> | undefined
  /** Set from prepare to commit: the handle prepare returned (undefined when its transaction was empty). */
  private pending: { handle: TransactionHandleLike | undefined } | undefined
  /** Records written between prepare and commit: they belong to the next transaction. */
  private held: OutRecord[] = []
  /** Writes run one after another (a write, a prepare and a commit never interleave). */
  private tail: Promise<unknown> = Promise.resolve()

  constructor(private readonly options: TransactionalTopicWriterOptions) {}

  write(batch: SinkBatch<unknown>): Promise<void> {
    const records = this.options.toRecords(batch)
    if (records.length === 0) return Promise.resolve()
    return this.serial(async () => {
      if (this.pending !== undefined) {
        for (const r of records) this.held.push(r)
        return
      }
      await this.sendInTransaction(records)
    })
  }

  prepare(checkpointId: number): Promise<Uint8Array> {
    return this.serial(async () => {
      const producer = await this.started()
      // A checkpoint after a failed one: its transaction is still open and takes the held records too.
      if (this.held.length > 0) await this.sendHeld()
      const handle = producer.transactionState() === 'in-transaction' ? await producer.prepareTransaction() : undefined
      this.pending = { handle }
      return encodePrepared(handle, this.options.transactionalId)
    })
  }

  commit(checkpointId: number, bytes: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const handle = decodePrepared(bytes, this.options.transactionalId, checkpointId)
      const producer = await this.started()
      if (handle !== undefined) {
        const open = this.pending?.handle
        const mine = open !== undefined && sameTransaction(open, handle) && producer.transactionState() === 'in-transaction'
        if (mine) await producer.commitTransaction()
        // Not the one open here: commit it by handle (a no-op when it already was).
        else await producer.commitPreparedTransaction(handle)
      }
      this.pending = undefined
      if (this.held.length > 0) await this.sendHeld()
    })
  }

  recover(checkpointId: number, bytes: Uint8Array | undefined): Promise<void> {
    return this.serial(async () => {
      const handle = bytes === undefined ? undefined : decodePrepared(bytes, this.options.transactionalId, checkpointId)
      // Whatever this writer had is output after the checkpoint: drop it (the new producer's init aborts it).
      this.held = []
      this.pending = undefined
      const producer = this.options.newProducer()
      this.producer = producer
      if (handle !== undefined) await producer.commitPreparedTransaction(handle)
      await producer.initTransactions()
      this.ready = Promise.resolve()
    })
  }

  /** End of input: what was written is committed (there is no later checkpoint to commit it with). */
  close(): Promise<void> {
    return this.serial(async () => {
      const producer = await this.started()
      if (this.held.length > 0) await this.sendHeld()
      if (producer.transactionState() === 'in-transaction') await producer.commitTransaction()
      await producer.close()
    })
  }

  private async sendHeld(): Promise<void> {
    const held = this.held
    this.held = []
    await this.sendInTransaction(held)
  }

  private async sendInTransaction(records: OutRecord[]): Promise<void> {
    const producer = await this.started()
    if (producer.transactionState() !== 'in-transaction') producer.beginTransaction()
    await producer.send(this.options.topic, records)
  }

  /** The producer, initialised once (a fresh start: initTransactions aborts what an earlier run left open). */
  private async started(): Promise<TransactionalProducerLike> {
    if (this.ready === undefined) {
      const producer = this.options.newProducer()
      this.producer = producer
      this.ready = producer.initTransactions()
    }
    await this.ready
    return this.producer!
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work)
    this.tail = next.catch(() => undefined)
    return next
  }
}

function sameTransaction(a: TransactionHandleLike, b: TransactionHandleLike): boolean {
  return a.transactionalId === b.transactionalId && a.producerId === b.producerId && a.producerEpoch === b.producerEpoch && a.sequence === b.sequence
}

function encodePrepared(handle: TransactionHandleLike | undefined, transactionalId: string): Uint8Array {
  const body = handle ?? { transactionalId, producerId: -1, producerEpoch: -1, sequence: -1 }
  return utf8Encoder.encode(JSON.stringify({ v: PREPARED_TOPIC_TXN_VERSION, transactionalId: body.transactionalId, producerId: body.producerId, producerEpoch: body.producerEpoch, sequence: body.sequence }))
}

/** The handle in prepared bytes, or undefined for "nothing to commit"; refuses bytes it does not understand. */
export function decodePrepared(bytes: Uint8Array, transactionalId: string, checkpointId: number): TransactionHandleLike | undefined {
  let parsed: { v?: unknown; transactionalId?: unknown; producerId?: unknown; producerEpoch?: unknown; sequence?: unknown }
  try {
    parsed = JSON.parse(utf8Decoder.decode(bytes))
  } catch {
    throw new StreamConfigError('sinks.topic', `checkpoint ${checkpointId}: the prepared transaction of ${JSON.stringify(transactionalId)} is not valid JSON`)
  }
  if (parsed?.v !== PREPARED_TOPIC_TXN_VERSION) {
    throw new StreamConfigError('sinks.topic', `checkpoint ${checkpointId}: prepared transaction format version ${String(parsed?.v)}; this sink reads version ${PREPARED_TOPIC_TXN_VERSION}`)
  }
  const { producerId, producerEpoch, sequence } = parsed
  if (parsed.transactionalId !== transactionalId || !Number.isInteger(producerId) || !Number.isInteger(producerEpoch) || !Number.isInteger(sequence)) {
    throw new StreamConfigError('sinks.topic', `checkpoint ${checkpointId}: the prepared transaction ${JSON.stringify(parsed)} does not belong to transactional id ${JSON.stringify(transactionalId)}`)
  }
  if ((sequence as number) < 0) return undefined
  return { transactionalId, producerId: producerId as number, producerEpoch: producerEpoch as number, sequence: sequence as number }
}
