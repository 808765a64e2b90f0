// Fetch readahead. A consumer that keeps up asks next for exactly where the
// last response ended, and librdkafka keeps one fetch in flight per broker, so
// without readahead every log read sits on the consumer's critical path: read,
// send, parse, ask, read again. With it, the server reads the next range while
// the previous response crosses the socket and the client parses it.
//
// One readahead per connection, started only after a response that returned
// data and was at most READAHEAD_BYTES_MAX, and used only when the next request
// asks for exactly the same partitions, offsets and limits and every partition
// still holds the range (retention may have moved the log start meanwhile).
// Anything else drops it. The high watermark is refreshed when it is used.
//
// read_committed ranges are read ahead too (librdkafka and kafkajs read
// committed by default): the last stable offset only moves forward, and a
// transaction that ends after the read began starts at or past the LSO the
// read stopped at, so the batches read and the aborted transactions listed
// stay right; the LSO is refreshed like the high watermark.
import { FETCH_READ_SLACK_BYTES, type Broker, type FetchRequest as BrokerFetchRequest, type FetchResponse as BrokerFetchResponse, type IsolationLevel } from '../../../broker/broker.js'
import { readBatchHeader, wholeBatchSizeAt } from '../../../log/batch-header.js'
import type { ReadBufferPool } from './read-buffers.js'

/** Largest response that is followed by a readahead of the same size (memory held per connection). */
export const READAHEAD_BYTES_MAX = 16 * 1024 * 1024

export interface Readahead {
  key: string
  /** Never rejects: a failed read is undefined (the request is then served directly). */
  results: Promise<BrokerFetchResponse[] | undefined>
  /** The pooled buffer the results are views of; back to the pool once they are sent or dropped. */
  buffer: Uint8Array
}

export function readaheadKey(wanted: readonly BrokerFetchRequest[], maxBytes: number, isolation: IsolationLevel = 'read_uncommitted'): string {
  return `${isolation}|${maxBytes}|${wanted.map((w) => `${w.topic}\u0000${w.partition}\u0000${w.offset}\u0000${w.maxBytes}`).join('|')}`
}

/** The requests that continue where `results` ended, or undefined when nothing was returned (the consumer is caught up). */
export function continuation(wanted: readonly BrokerFetchRequest[], results: readonly BrokerFetchResponse[]): { next: BrokerFetchRequest[]; bytes: number } | undefined {
  let bytes = 0
  const next = wanted.map((w, i) => {
    const r = results[i]
    bytes += r.records.length
    return { ...w, offset: r.errorCode === 0 && r.records.length > 0 ? offsetAfter(r.records, w.offset) : w.offset }
  })
  if (bytes === 0 || bytes > READAHEAD_BYTES_MAX) return undefined
  return { next, bytes }
}

/** The offset after the last whole batch in `records`. */
function offsetAfter(records: Uint8Array, fallback: number): number {
  let next = fallback
  for (let at = 0, size = 0; (size = wholeBatchSizeAt(records, at)) > 0; at += size) {
    const header = readBatchHeader(records, at)
    next = header.baseOffset + header.lastOffsetDelta + 1
  }
  return next
}

/**
 * Starts reading `wanted` into a buffer from `pool`, sized for about twice what
 * the last response carried (`lastBytes`) within the request's limits: a
 * consumer at its limits gets the same again, a consumer on a trickle does not
 * pin buffers of the maximum size. A read that does not fit allocates.
 */
export function startReadahead(
  broker: Broker,
  wanted: BrokerFetchRequest[],
  maxBytes: number,
  pool: ReadBufferPool,
  lastBytes: number,
  verifyCrc: boolean,
  isolation: IsolationLevel = 'read_uncommitted',
): Readahead {
  let limit = 0
  for (const w of wanted) limit += Math.min(w.maxBytes, maxBytes) + FETCH_READ_SLACK_BYTES
  const buffer = pool.acquire(Math.min(limit, 2 * lastBytes + wanted.length * FETCH_READ_SLACK_BYTES))
  return {
    key: readaheadKey(wanted, maxBytes, isolation),
    results: broker.fetch(wanted, { maxWaitMs: 0, minBytes: 0, maxBytes, verifyCrc, buffer, isolation }).catch(() => undefined),
    buffer,
  }
}

/** Returns a readahead's buffer to the pool once its read has finished (its results were not used). */
export function dropReadahead(readahead: Readahead, pool: ReadBufferPool): void {
  void readahead.results.then(() => pool.release(readahead.buffer))
}

/** The read-ahead results for `wanted`, if they match it and still stand; refreshed watermarks. */
export async function takeReadahead(
  broker: Broker,
  readahead: Readahead | undefined,
  wanted: readonly BrokerFetchRequest[],
  maxBytes: number,
  minBytes: number,
  isolation: IsolationLevel = 'read_uncommitted',
): Promise<BrokerFetchResponse[] | undefined> {
  if (!readahead || readahead.key !== readaheadKey(wanted, maxBytes, isolation)) return undefined
  const results = await readahead.results
  if (!results) return undefined
  const bytes = results.reduce((sum, r) => sum + r.records.length, 0)
  if (bytes === 0 || bytes < minBytes) return undefined
  const refreshed: BrokerFetchResponse[] = []
  for (const r of results) {
    if (r.errorCode !== 0) return undefined
    try {
      const now = broker.partitionOffsets(r.topic, r.partition)
      if (now.logStartOffset > r.logStartOffset || now.highWatermark < r.highWatermark || now.lastStableOffset < r.lastStableOffset) return undefined
      refreshed.push({ ...r, ...now })
    } catch {
      return undefined
    }
  }
  return refreshed
}
