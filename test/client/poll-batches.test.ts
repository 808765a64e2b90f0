// consumer.pollBatches(): the batch-first read path hands over the same records,
// offsets and positions as poll(), and the two can be mixed.
import { afterEach, describe, expect, it } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import { MemoryStorage } from '../../src/log/storage/memory.js'

const open: Eddy[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()))
})

describe('consumer.pollBatches', () => {
  it('returns every record once, as columns, and mixes with poll()', async () => {
    const eddy = await Eddy.open()
    open.push(eddy)
    await eddy.admin.createTopic('t', { partitions: 3 })
    const producer = eddy.producer({ lingerMs: 1, batchSize: 200 })
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 17}`, value: `v${i}` }))
    const meta = await producer.send('t', sent)
    const consumer = eddy.consumer<string, string>({ autoOffsetReset: 'earliest', keyDeserializer: 'string', valueDeserializer: 'string' })
    consumer.assign([0, 1, 2].map((partition) => ({ topic: 't', partition })))
    const seen = new Map<string, string>()
    // A few records through poll first, so pollBatches starts in the middle of a batch.
    for (const r of await consumer.poll({ maxRecords: 5, timeoutMs: 1000 })) seen.set(`${r.partition}@${r.offset}`, r.value)
    const decoder = new TextDecoder()
    for (let tries = 0; seen.size < sent.length && tries < 50; tries++) {
      for (const { partition, batch, start, end } of await consumer.pollBatches({ timeoutMs: 200, maxRecords: 40 })) {
        expect(start).toBeLessThan(end)
        for (let i = start; i < end; i++) {
          const at = `${partition}@${batch.offsets[i]}`
          expect(seen.has(at)).toBe(false)
          seen.set(at, decoder.decode(batch.value(i)!))
        }
      }
    }
    const expected = new Map(meta.map((m, i) => [`${m.partition}@${m.offset}`, sent[i].value]))
    expect(seen).toEqual(expected)
    for (const partition of [0, 1, 2]) {
      const last = Math.max(-1, ...meta.filter((m) => m.partition === partition).map((m) => m.offset))
      expect(await consumer.position({ topic: 't', partition })).toBe(last + 1)
    }
    expect(await consumer.pollBatches({ timeoutMs: 20 })).toEqual([])
    await consumer.close()
  })
})

describe('MemoryStorage reads', () => {
  it('keeps a returned read unchanged when the bytes under it are rewritten', async () => {
    const storage = new MemoryStorage({ simulateCrashes: false })
    await storage.mkdir('/d')
    const file = await storage.open('/d/f', { create: true })
    await file.write(0, [new Uint8Array(3000).fill(1)])
    const before = await file.read(1000, 1000)
    await file.truncate(500)
    await file.write(500, [new Uint8Array(2500).fill(2)])
    expect(before.every((b) => b === 1)).toBe(true)
    expect((await file.read(1000, 1000)).every((b) => b === 2)).toBe(true)
    // Across the 1 MiB page boundary.
    await file.write(3000, [new Uint8Array(2 * 1024 * 1024).fill(3)])
    const across = await file.read(1024 * 1024 - 10, 20)
    expect(across.length).toBe(20)
    expect(across.every((b) => b === 3)).toBe(true)
    await file.close()
  })
})
