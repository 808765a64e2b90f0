// The Fetch serve path reads ahead into buffers it reuses once a response has
// left for the socket. These tests prove reuse never changes bytes a client
// receives: successive and pipelined fetches over one connection, a client
// that stops reading while responses queue up (so buffers are still referenced
// by unsent writes), several partitions sharing one read buffer, and a
// connection that closes with a readahead in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReadBufferPool, READ_BUFFER_BYTES_MAX } from '../../src/kafka/apis/fetch/read-buffers.js'
import { encodeRecordBatch } from '../../src/log/record-batch.js'
import { RawClient, requestFrame, startHarness, waitFor, type Harness } from './helpers.js'
import { fetchBody, produceBody, readFetchResponse, readProduceResponse } from './wire.js'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ defaultPartitions: 1 })
})
afterAll(() => h.close())

/** Batch i: one record whose value names it and fills `bytes`. */
function batch(i: number, bytes: number): Uint8Array {
  const tag = `batch-${i}-`
  return encodeRecordBatch([{ value: tag + String.fromCharCode(97 + (i % 26)).repeat(Math.max(0, bytes - tag.length)) }])
}

async function fill(topic: string, partitions: number, batches: number, bytes: number): Promise<void> {
  await h.eddy.broker.createTopic(topic, partitions)
  const c = await RawClient.connect(h.server.port)
  try {
    for (let i = 0; i < batches; i++) {
      for (let p = 0; p < partitions; p++) {
        c.write(requestFrame(0, 7, i, 'fill', produceBody(topic, p, batch(i * partitions + p, bytes))))
        expect(readProduceResponse((await c.next())!).partitions[0].errorCode).toBe(0)
      }
    }
  } finally {
    c.close()
  }
}

/** What the log holds from `offset` (at most `maxBytes`), read without any shared buffer. */
async function stored(topic: string, partition: number, offset: number, maxBytes: number): Promise<Uint8Array> {
  const [r] = await h.eddy.broker.fetch([{ topic, partition, offset, maxBytes }], { maxWaitMs: 0, minBytes: 0 })
  return r.records.slice()
}

function offsetAfter(records: Uint8Array): number {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength)
  let at = 0
  let next = -1
  while (at + 61 <= records.length) {
    next = Number(view.getBigInt64(at)) + view.getInt32(at + 23) + 1
    at += view.getInt32(at + 8) + 12
  }
  return next
}

describe('Fetch read buffers', () => {
  it('a consumer reading a log range by range gets exactly the stored bytes every time', async () => {
    await fill('seq', 1, 60, 3000)
    const c = await RawClient.connect(h.server.port)
    try {
      let offset = 0
      let responses = 0
      while (offset < 60) {
        c.write(requestFrame(1, 11, responses, 'seq', fetchBody([{ topic: 'seq', partition: 0, offset, partitionMaxBytes: 10_000 }])))
        const got = readFetchResponse((await c.next())!).partitions[0]
        expect(got.errorCode).toBe(0)
        expect(Buffer.from(got.records).equals(Buffer.from(await stored('seq', 0, offset, 10_000)))).toBe(true)
        offset = offsetAfter(got.records)
        responses++
      }
      expect(offset).toBe(60)
      expect(responses).toBeGreaterThan(10)
    } finally {
      c.close()
    }
  })

  it('pipelined fetches to a client that stops reading: queued responses keep their bytes', async () => {
    // Responses below the socket's high-water mark do not make the server wait for
    // 'drain', so with the client not reading, later readaheads start while earlier
    // responses still sit unsent in the socket's buffer, referring to read buffers.
    const count = 600
    await fill('backlog', 1, count, 12_000)
    const expected: Uint8Array[] = []
    for (let i = 0; i < count; i++) expected.push(await stored('backlog', 0, i, 1))
    const c = await RawClient.connect(h.server.port)
    try {
      c.socket.pause()
      // One batch per response, each request where the last ended: every one after the first is read ahead.
      const frames = expected.map((_, i) => requestFrame(1, 11, i, 'backlog', fetchBody([{ topic: 'backlog', partition: 0, offset: i, partitionMaxBytes: 1 }])))
      c.write(Buffer.concat(frames))
      await new Promise((resolve) => setTimeout(resolve, 300))
      c.socket.resume()
      for (let i = 0; i < count; i++) {
        const res = readFetchResponse((await c.next())!)
        expect(res.correlationId).toBe(i)
        expect(Buffer.from(res.partitions[0].records).equals(Buffer.from(expected[i]))).toBe(true)
      }
    } finally {
      c.close()
    }
  })

  it('several partitions in one response share a read buffer without overlapping', async () => {
    await fill('multi', 3, 30, 2500)
    const c = await RawClient.connect(h.server.port)
    try {
      const offsets = [0, 0, 0]
      for (let round = 0; round < 40 && offsets.some((o) => o < 30); round++) {
        const parts = offsets.map((offset, partition) => ({ topic: 'multi', partition, offset, partitionMaxBytes: 8000 }))
        c.write(requestFrame(1, 11, round, 'multi', fetchBody(parts, { maxBytes: 20_000 })))
        const got = readFetchResponse((await c.next())!).partitions
        for (const [p, part] of got.entries()) {
          if (part.records.length === 0) continue
          const want = await stored('multi', p, offsets[p], 8000)
          expect(Buffer.from(part.records).equals(Buffer.from(want.subarray(0, part.records.length)))).toBe(true)
          offsets[p] = offsetAfter(part.records)
        }
      }
      expect(offsets).toEqual([30, 30, 30])
    } finally {
      c.close()
    }
  })

  it('broker.fetch into one buffer returns what separate reads return, and allocates past its end', async () => {
    await fill('carve', 3, 10, 1500)
    const wanted = [0, 1, 2].map((partition) => ({ topic: 'carve', partition, offset: 2, maxBytes: 6000 }))
    const plain = await h.eddy.broker.fetch(wanted, { maxWaitMs: 0, minBytes: 0 })
    for (const size of [64 * 1024, 9000]) {
      const buffer = new Uint8Array(size)
      const shared = await h.eddy.broker.fetch(wanted, { maxWaitMs: 0, minBytes: 0, buffer, verifyCrc: false })
      const ranges: [number, number][] = []
      for (const [i, r] of shared.entries()) {
        expect(Buffer.from(r.records).equals(Buffer.from(plain[i].records))).toBe(true)
        if (r.records.buffer === buffer.buffer) ranges.push([r.records.byteOffset, r.records.byteOffset + r.records.length])
      }
      ranges.sort((a, b) => a[0] - b[0])
      for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThanOrEqual(ranges[i - 1][1])
      if (size === 9000) expect(ranges.length).toBeLessThan(3) // the rest did not fit: allocated
    }
  })

  it('a connection closed with a readahead in flight leaves the server serving others', async () => {
    await fill('closing', 1, 10, 50_000)
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.connect(h.server.port)
      c.write(requestFrame(1, 11, 1, 'closing', fetchBody([{ topic: 'closing', partition: 0, offset: 0, partitionMaxBytes: 100_000 }])))
      await c.next()
      c.close()
    }
    const c = await RawClient.connect(h.server.port)
    try {
      c.write(requestFrame(1, 11, 1, 'closing', fetchBody([{ topic: 'closing', partition: 0, offset: 3, partitionMaxBytes: 100_000 }])))
      const got = readFetchResponse((await c.next())!).partitions[0]
      expect(Buffer.from(got.records).equals(Buffer.from(await stored('closing', 0, 3, 100_000)))).toBe(true)
    } finally {
      c.close()
    }
  })
})

describe('ReadBufferPool', () => {
  it('reuses a released buffer, keeps at most two, and empties on clear', () => {
    const pool = new ReadBufferPool()
    const a = pool.acquire(100_000)
    expect(a.length).toBeGreaterThanOrEqual(100_000)
    pool.release(a)
    expect(pool.acquire(90_000)).toBe(a)
    const b = pool.acquire(100_000)
    const c = pool.acquire(100_000)
    expect(b).not.toBe(a)
    expect(c).not.toBe(b)
    for (const x of [a, b, c]) pool.release(x)
    expect(pool.freeBytes()).toBe(a.length + b.length)
    pool.clear()
    expect(pool.freeBytes()).toBe(0)
  })

  it('never hands out more than its cap (a larger read allocates in the log instead)', () => {
    const pool = new ReadBufferPool()
    expect(pool.acquire(100 * 1024 * 1024).length).toBe(READ_BUFFER_BYTES_MAX)
  })
})
