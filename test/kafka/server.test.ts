// Proves the server's behaviour at the wire, with a raw socket: the
// ApiVersions handshake librdkafka needs, pipelined requests answered in
// order, acks=0 without a response, Kafka's error codes for bad produces,
// long-poll fetch timing and byte limits, stored bytes served unchanged,
// bounded memory for a client that never reads, and one log line plus a
// closed connection (others unaffected) for oversized, malformed and unknown
// requests.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { apiRanges } from '../../src/kafka/apis/registry.js'
import { REQUESTS_QUEUED_MAX } from '../../src/kafka/limits.js'
import { encodeRecordBatch } from '../../src/log/record-batch.js'
import { Reader } from '../../src/kafka/protocol/reader.js'
import { RawClient, requestFrame, startHarness, waitFor, type Harness } from './helpers.js'
import { body, fetchBody, metadataBody, produceBody, readApiVersionsResponse, readFetchResponse, readMetadataResponse, readProduceResponse } from './wire.js'

let h: Harness
const clients: RawClient[] = []
beforeAll(async () => {
  h = await startHarness({ defaultPartitions: 1 }, { frameBytesMax: 1024 * 1024 })
})
afterAll(() => h.close())
afterEach(() => {
  for (const c of clients.splice(0)) c.close()
  h.logs.length = 0
})

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(h.server.port)
  clients.push(c)
  return c
}

async function call(c: RawClient, apiKey: number, version: number, requestBody: Uint8Array, correlationId = 1, clientId = 'raw-test'): Promise<Uint8Array> {
  c.write(requestFrame(apiKey, version, correlationId, clientId, requestBody))
  const frame = await c.next()
  if (!frame) throw new Error('connection closed')
  return frame
}

async function produce(c: RawClient, topic: string, partition: number, batch: Uint8Array | null, acks = -1, version = 7) {
  return readProduceResponse(await call(c, 0, version, produceBody(topic, partition, batch, acks, version)), version).partitions[0]
}

async function initProducerId(c: RawClient): Promise<{ producerId: number; producerEpoch: number }> {
  const r = new Reader(await call(c, 22, 1, body((w) => w.nullableString(null).int32(60_000))))
  r.int32()
  r.int32()
  expect(r.int16()).toBe(0)
  return { producerId: r.int64(), producerEpoch: r.int16() }
}

describe('handshake', () => {
  it('answers ApiVersions v3 (librdkafka opens with it) with UNSUPPORTED_VERSION in a v0 body listing our ranges', async () => {
    const c = await client()
    const res = readApiVersionsResponse(await call(c, 18, 3, new Uint8Array([3, 97, 98, 3, 49, 50, 0]), 7), 0)
    expect(res).toMatchObject({ correlationId: 7, errorCode: 35, apiKeys: apiRanges, left: 0 })
    // The same connection then negotiates at v0, as librdkafka does.
    const v0 = readApiVersionsResponse(await call(c, 18, 0, new Uint8Array(0), 8), 0)
    expect(v0).toMatchObject({ correlationId: 8, errorCode: 0, apiKeys: apiRanges, left: 0 })
    const v2 = readApiVersionsResponse(await call(c, 18, 2, new Uint8Array(0), 9), 2)
    expect(v2).toMatchObject({ correlationId: 9, errorCode: 0, throttleTimeMs: 0, left: 0 })
    expect(c.closed).toBe(false)
  })

  it('answers pipelined requests in order, several per read (kafka-python sends ApiVersions and Metadata in one write)', async () => {
    const c = await client()
    const frames = [requestFrame(18, 0, 100, 'kafka-python'), requestFrame(3, 0, 101, 'kafka-python', body((w) => w.int32(0)))]
    for (let i = 0; i < 40; i++) frames.push(requestFrame(i % 2 ? 18 : 3, i % 2 ? 1 : 6, 102 + i, 'pipeliner', i % 2 ? new Uint8Array(0) : metadataBody(null)))
    c.write(Buffer.concat(frames))
    const ids: number[] = []
    for (let i = 0; i < frames.length; i++) ids.push(new DataView((await c.next())!.buffer).getInt32(0))
    expect(ids).toEqual(frames.map((_, i) => 100 + i))
  })

  it('answers a request split across many reads', async () => {
    const c = await client()
    const frame = requestFrame(3, 6, 55, 'slow-writer', metadataBody(['split-topic']))
    for (const byte of frame) {
      c.write(new Uint8Array([byte]))
      await new Promise((r) => setImmediate(r))
    }
    const res = readMetadataResponse((await c.next())!)
    expect(res.correlationId).toBe(55)
    expect(res.topics[0]).toMatchObject({ name: 'split-topic', errorCode: 0 })
  })

  it('advertises the port actually bound (port 0), or the one it is told to', async () => {
    const c = await client()
    const res = readMetadataResponse(await call(c, 3, 6, metadataBody([])))
    expect(res.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: h.server.port, rack: null }])
    const other = await startHarness({}, { advertisedHost: 'eddy.example', advertisedPort: 19092 })
    try {
      const c2 = await RawClient.connect(other.server.port)
      clients.push(c2)
      expect(readMetadataResponse(await call(c2, 3, 6, metadataBody([]))).brokers[0]).toMatchObject({ host: 'eddy.example', port: 19092 })
      const coordinator = new Reader(await call(c2, 10, 0, body((w) => w.string('some-group'))))
      coordinator.int32()
      expect([coordinator.int16(), coordinator.int32(), coordinator.string(), coordinator.int32()]).toEqual([0, 1, 'eddy.example', 19092])
    } finally {
      await other.close()
    }
  })
})

describe('produce', () => {
  it('stores the client bytes, rewriting only the base offset, and serves them back unchanged', async () => {
    const c = await client()
    const batch = encodeRecordBatch([{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }], { compression: 'gzip' })
    expect(await produce(c, 'stored', 0, batch)).toMatchObject({ errorCode: 0, baseOffset: 0 })
    const second = encodeRecordBatch([{ key: 'c', value: 'three' }])
    expect(await produce(c, 'stored', 0, second.slice())).toMatchObject({ errorCode: 0, baseOffset: 2 })
    const fetched = readFetchResponse(await call(c, 1, 11, fetchBody([{ topic: 'stored', partition: 0, offset: 0 }]))).partitions[0]
    expect(fetched.highWatermark).toBe(3)
    const expected = new Uint8Array(batch.length + second.length)
    expected.set(batch)
    expected.set(second, batch.length)
    new DataView(expected.buffer).setBigInt64(batch.length, 2n) // the only bytes the broker changes
    expect(fetched.records).toEqual(expected)
  })

  it('sends no response to acks=0, and still stores the batch', async () => {
    const c = await client()
    c.write(requestFrame(0, 7, 1, 'fire-and-forget', produceBody('acks0', 0, encodeRecordBatch([{ value: 'x' }]), 0)))
    c.write(requestFrame(18, 0, 2, 'fire-and-forget'))
    expect(new DataView((await c.next())!.buffer).getInt32(0)).toBe(2)
    expect(await h.eddy.broker.listOffset('acks0', 0, -1)).toBe(1)
  })

  it('answers with the Kafka error codes clients understand', async () => {
    const c = await client()
    await h.eddy.broker.createTopic('small', 1, { 'max.message.bytes': 1000 })
    const good = encodeRecordBatch([{ value: 'v' }])
    expect((await produce(c, 'small', 5, good)).errorCode).toBe(3) // UNKNOWN_TOPIC_OR_PARTITION
    const corrupt = good.slice()
    corrupt[corrupt.length - 1] ^= 0xff
    expect((await produce(c, 'small', 0, corrupt)).errorCode).toBe(2) // CORRUPT_MESSAGE
    expect(h.logs.some((l) => l.includes("CRC"))).toBe(true)
    expect((await produce(c, 'small', 0, encodeRecordBatch([{ value: 'x'.repeat(2000) }]))).errorCode).toBe(10) // MESSAGE_TOO_LARGE
    expect((await produce(c, 'small', 0, good, 2)).errorCode).toBe(21) // INVALID_REQUIRED_ACKS
    expect((await produce(c, 'small', 0, good, -1, 2)).errorCode).toBe(35) // v0–v2 message sets: UNSUPPORTED_VERSION
    expect((await produce(c, 'small', 0, null)).errorCode).toBe(2)
    const two = new Uint8Array(good.length * 2)
    two.set(good)
    two.set(good, good.length)
    expect((await produce(c, 'small', 0, two)).errorCode).toBe(87) // INVALID_RECORD: one batch per partition
    expect((await produce(c, 'bad topic name!', 0, good)).errorCode).toBe(17) // INVALID_TOPIC_EXCEPTION
  })

  it('keeps an idempotent producer exactly once: duplicates get the original offset, gaps get OUT_OF_ORDER_SEQUENCE_NUMBER (45)', async () => {
    const c = await client()
    const { producerId, producerEpoch } = await initProducerId(c)
    const batch = (baseSequence: number) => encodeRecordBatch([{ value: `s${baseSequence}` }], { producerId, producerEpoch, baseSequence })
    expect(await produce(c, 'idem', 0, batch(0))).toMatchObject({ errorCode: 0, baseOffset: 0 })
    expect(await produce(c, 'idem', 0, batch(1))).toMatchObject({ errorCode: 0, baseOffset: 1 })
    expect(await produce(c, 'idem', 0, batch(1))).toMatchObject({ errorCode: 0, baseOffset: 1 }) // a retry
    expect((await produce(c, 'idem', 0, batch(5))).errorCode).toBe(45)
    expect(await h.eddy.broker.listOffset('idem', 0, -1)).toBe(2)
  })

  it('refuses unknown topics with UNKNOWN_TOPIC_OR_PARTITION when auto-creation is off', async () => {
    const strict = await startHarness({ autoCreateTopics: false })
    try {
      const c = await RawClient.connect(strict.server.port)
      clients.push(c)
      expect((await produce(c, 'nope', 0, encodeRecordBatch([{ value: 'v' }]))).errorCode).toBe(3)
      expect(readMetadataResponse(await call(c, 3, 6, metadataBody(['nope']))).topics[0]).toMatchObject({ name: 'nope', errorCode: 3 })
    } finally {
      await strict.close()
    }
  })
})

describe('fetch', () => {
  it('long-polls: returns empty after max_wait_ms, and at once when a record arrives', async () => {
    const c = await client()
    await h.eddy.broker.createTopic('poll', 1)
    let started = Date.now()
    const empty = readFetchResponse(await call(c, 1, 11, fetchBody([{ topic: 'poll', partition: 0, offset: 0 }], { maxWaitMs: 300 }))).partitions[0]
    const waitedMs = Date.now() - started
    expect(empty).toMatchObject({ errorCode: 0, highWatermark: 0 })
    expect(empty.records.length).toBe(0)
    expect(waitedMs).toBeGreaterThanOrEqual(250)
    expect(waitedMs).toBeLessThan(2000)

    started = Date.now()
    c.write(requestFrame(1, 11, 2, 'poller', fetchBody([{ topic: 'poll', partition: 0, offset: 0 }], { maxWaitMs: 10_000 })))
    await new Promise((r) => setTimeout(r, 100))
    const producer = await client()
    await produce(producer, 'poll', 0, encodeRecordBatch([{ value: 'wake' }]))
    const woke = readFetchResponse((await c.next())!).partitions[0]
    expect(woke.highWatermark).toBe(1)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('honours partition and response byte limits, yet always returns the first batch whole', async () => {
    const c = await client()
    await h.eddy.broker.createTopic('limits', 2)
    for (let i = 0; i < 5; i++) for (const p of [0, 1]) await produce(c, 'limits', p, encodeRecordBatch([{ value: 'x'.repeat(500) }]))
    const batchBytes = encodeRecordBatch([{ value: 'x'.repeat(500) }]).length
    const parts = [0, 1].map((partition) => ({ topic: 'limits', partition, offset: 0, partitionMaxBytes: 10 }))
    const tiny = readFetchResponse(await call(c, 1, 11, fetchBody(parts))).partitions
    expect(tiny.map((p) => p.records.length)).toEqual([batchBytes, batchBytes]) // one whole batch each despite 10 bytes
    const capped = readFetchResponse(await call(c, 1, 11, fetchBody(parts.map((p) => ({ ...p, partitionMaxBytes: 1_000_000 })), { maxBytes: batchBytes * 2 }))).partitions
    expect(capped[0].records.length).toBe(batchBytes * 2)
    expect(capped[1].records.length).toBe(0)
  })

  it('reads ahead for a consumer that keeps up, and never serves a stale or mismatched range', async () => {
    const c = await client()
    await h.eddy.broker.createTopic('ahead', 1)
    const batches = Array.from({ length: 4 }, (_, i) => encodeRecordBatch([{ value: `batch-${i}` }]))
    for (const b of batches) await produce(c, 'ahead', 0, b.slice())
    const one = batches[0].length
    const fetchAt = async (offset: number) => readFetchResponse(await call(c, 1, 11, fetchBody([{ topic: 'ahead', partition: 0, offset, partitionMaxBytes: one }]))).partitions[0]
    const first = await fetchAt(0) // starts a readahead of offset 1
    expect(first.records.length).toBe(one)
    await produce(c, 'ahead', 0, encodeRecordBatch([{ value: 'late' }]))
    const second = await fetchAt(1) // served from the readahead, high watermark refreshed
    expect(new TextDecoder().decode(second.records)).toContain('batch-1')
    expect(second.highWatermark).toBe(5)
    const again = await fetchAt(0) // not the range read ahead (offset 2): read afresh
    expect(new TextDecoder().decode(again.records)).toContain('batch-0')
    expect(new DataView(again.records.buffer).getBigInt64(0)).toBe(0n)
  })

  it('answers OFFSET_OUT_OF_RANGE (1) past the end and UNKNOWN_TOPIC_OR_PARTITION (3) for unknown topics', async () => {
    const c = await client()
    await h.eddy.broker.createTopic('range', 1)
    const res = readFetchResponse(await call(c, 1, 11, fetchBody([{ topic: 'range', partition: 0, offset: 99 }, { topic: 'no-such-topic', partition: 0, offset: 0 }]))).partitions
    expect(res.map((p) => p.errorCode)).toEqual([1, 3])
  })
})

describe('bad input closes only that connection, with a log line naming the client and the API', () => {
  it('refuses a frame over frameBytesMax on its size prefix, before reading the body', async () => {
    const c = await client()
    const header = new Uint8Array(8)
    new DataView(header.buffer).setInt32(0, 64 * 1024 * 1024)
    c.write(header)
    expect(await c.waitClosed()).toBe(true)
    expect(h.logs.join('\n')).toMatch(/frame size 67108864 .*frameBytesMax/)
    const other = await client()
    expect(readApiVersionsResponse(await call(other, 18, 0, new Uint8Array(0)), 0).errorCode).toBe(0)
  })

  it('closes on a truncated request', async () => {
    const c = await client()
    const truncated = body((w) => w.int32(1000).string('only-one-topic'))
    c.write(requestFrame(3, 1, 1, 'truncating-client', truncated))
    expect(await c.next()).toBeUndefined()
    expect(h.logs.join('\n')).toMatch(/client id "truncating-client".*Metadata v1.*malformed request.*exceeds|client id "truncating-client".*Metadata v1.*truncated/)
  })

  it('closes on an unknown API key and on a version it does not serve', async () => {
    const c = await client()
    c.write(requestFrame(999, 0, 1, 'future-client'))
    expect(await c.next()).toBeUndefined()
    expect(h.logs.join('\n')).toMatch(/client id "future-client".*api key 999 v0.*unknown/)
    const d = await client()
    d.write(requestFrame(1, 12, 1, 'flexible-client', new Uint8Array(40)))
    expect(await d.next()).toBeUndefined()
    expect(h.logs.join('\n')).toMatch(/client id "flexible-client".*Fetch v12.*not served \(range 4–11\)/)
  })

  it('closes an acks=0 producer whose batch failed, so it notices', async () => {
    const c = await client()
    const corrupt = encodeRecordBatch([{ value: 'v' }])
    corrupt[corrupt.length - 1] ^= 1
    c.write(requestFrame(0, 7, 1, 'acks0-client', produceBody('acks0-bad', 0, corrupt, 0)))
    expect(await c.waitClosed()).toBe(true)
    expect(h.logs.join('\n')).toMatch(/acks0-client.*Produce v7.*acks=0 produce failed/)
  })

  it('bounds what a client that never reads can make the server hold', async () => {
    const c = await client()
    const frame = requestFrame(3, 6, 1, 'never-reads', metadataBody(null))
    const many = Buffer.concat(Array.from({ length: 10_000 }, () => frame))
    c.socket.pause() // never read responses
    c.write(many)
    await new Promise((r) => setTimeout(r, 500))
    const stats = h.server.stats()
    expect(stats.requestsQueued).toBeLessThanOrEqual(REQUESTS_QUEUED_MAX)
    expect(stats.requestBytesQueued + stats.bytesBuffered).toBeLessThan(1024 * 1024)
    // Reading again drains everything, in order.
    c.socket.resume()
    for (let i = 0; i < 10_000; i++) expect(await c.next(10_000)).toBeDefined()
    await waitFor(() => h.server.stats().requestsQueued === 0, 2000, 'the queue to drain')
  })
})

describe('lifecycle', () => {
  it('close() ends long polls and connections promptly', async () => {
    const local = await startHarness()
    const c = await RawClient.connect(local.server.port)
    await local.eddy.broker.createTopic('t', 1)
    c.write(requestFrame(1, 11, 1, 'long-poller', fetchBody([{ topic: 't', partition: 0, offset: 0 }], { maxWaitMs: 30_000 })))
    await new Promise((r) => setTimeout(r, 100))
    const started = Date.now()
    await local.close()
    expect(Date.now() - started).toBeLessThan(2000)
    expect(await c.waitClosed()).toBe(true)
  })
})
