// Fetch: a long poll over the broker. It returns as soon as min_bytes are there
// or after max_wait_ms (clamped), whichever is first, and early when the
// connection closes. Whole stored batches come back as they are on disk, never
// re-encoded; the first partition with data always returns at least one
// batch, even one larger than the byte limits (KIP-74), so a consumer can
// always make progress. A consumer that keeps up gets its next range read
// ahead (readahead.ts) into a buffer reused once the response is sent
// (read-buffers.ts), so serving is one read from the file and one write to
// the socket per response.
//
// CRCs are not recomputed here (unless the server is started with
// fetchVerifyCrc): every batch was CRC-checked when it was appended, before it
// got its offsets; opening the log after an unclean shutdown re-checks every
// batch past the recovery point; the batch CRC does not cover the base offset,
// the one field the log rewrote, so the stored bytes carry a CRC the client can
// check (librdkafka's check.crcs, the Java consumer by default). Length, magic,
// counts and offset continuity are still checked on every read, and damaged
// ranges found earlier stay fenced off. This is what Kafka does: it sends log
// bytes with sendfile and leaves the CRC to the consumer.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { RequestContext } from '../../context.js'
import { errorCodeOf, NONE } from '../../errors.js'
import { FETCH_RESPONSE_BYTES_MAX, FETCH_WAIT_MS_MAX } from '../../limits.js'
import type { FetchRequest as BrokerFetchRequest, FetchResponse as BrokerFetchResponse } from '../../../broker/broker.js'
import type { FetchPartitionResponse, FetchRequest, FetchResponse } from './codec.js'
import { continuation, dropReadahead, startReadahead, takeReadahead } from './readahead.js'
import { ReadBufferPool } from './read-buffers.js'
import { v4 } from './v4.js'
import { v5 } from './v5.js'
import { v6 } from './v6.js'
import { v7 } from './v7.js'
import { v8 } from './v8.js'
import { v9 } from './v9.js'
import { v10 } from './v10.js'
import { v11 } from './v11.js'

export const fetch = defineApi<FetchRequest, FetchResponse>(ApiKeys.Fetch, 'Fetch', [v4, v5, v6, v7, v8, v9, v10, v11], handleFetch)

const EMPTY = new Uint8Array(0)

async function handleFetch(context: RequestContext, request: FetchRequest): Promise<FetchResponse> {
  const wanted: BrokerFetchRequest[] = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.fetchOffset, maxBytes: Math.max(1, p.partitionMaxBytes) })),
  )
  const { broker, fetchVerifyCrc } = context.server
  const { session } = context
  const maxBytes = clamp(request.maxBytes, 1, FETCH_RESPONSE_BYTES_MAX)
  const minBytes = Math.max(0, request.minBytes)
  const pool = (session.fetchBuffers ??= new ReadBufferPool())
  // read_committed (isolation level 1, KIP-98) stops at the last stable offset and lists aborted transactions.
  const isolation = request.isolationLevel === 1 ? 'read_committed' : 'read_uncommitted'
  const readahead = session.fetchReadahead
  session.fetchReadahead = undefined
  let results = await takeReadahead(broker, readahead, wanted, maxBytes, minBytes, isolation)
  if (readahead) {
    // Its results are views of its buffer: it goes back to the pool once they are sent, or dropped.
    if (results) context.whenSent(() => pool.release(readahead.buffer))
    else dropReadahead(readahead, pool)
  }
  if (!results) {
    try {
      results = await broker.fetch(wanted, { maxWaitMs: clamp(request.maxWaitMs, 0, FETCH_WAIT_MS_MAX), minBytes, maxBytes, signal: context.signal, verifyCrc: fetchVerifyCrc, isolation })
    } catch (error) {
      const errorCode = errorCodeOf(error, context, 'Fetch')
      results = wanted.map((w) => ({ topic: w.topic, partition: w.partition, records: EMPTY, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, errorCode }))
    }
  }
  const next = context.signal.aborted ? undefined : continuation(wanted, results)
  if (next) session.fetchReadahead = startReadahead(broker, next.next, maxBytes, pool, next.bytes, fetchVerifyCrc, isolation)
  // Caught up (or stopped): no throughput to keep buffers for.
  else pool.clear()
  const answered = results
  let at = 0
  const topics = request.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((): FetchPartitionResponse => {
      const r = answered[at++]
      return {
        partitionIndex: r.partition,
        errorCode: r.errorCode,
        highWatermark: r.highWatermark,
        lastStableOffset: r.lastStableOffset,
        abortedTransactions: r.abortedTransactions ?? null,
        logStartOffset: r.logStartOffset,
        preferredReadReplica: -1,
        records: r.records,
      }
    }),
  }))
  return { throttleTimeMs: 0, errorCode: NONE, sessionId: 0, topics }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}
