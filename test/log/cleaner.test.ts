// Compaction: latest value per key, tombstone expiry, original offsets, atomic
// swaps at every crash point, and no blocking of appends or reads.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readBatchHeader, wholeBatches } from '../../src/log/batch-header.js'
import { CorruptRangeError } from '../../src/log/errors.js'
import { segmentFileName } from '../../src/log/file-names.js'
import { encodeRecordBatch } from '../../src/log/record-batch.js'
import { BACKENDS, memoryBackend, openLog, readAll, type Backend } from './helpers.js'

const COMPACT = { 'cleanup.policy': 'compact', 'segment.bytes': 1024, 'delete.retention.ms': 1000 }

function keyed(entries: [string | null, string | null][], timestamp = 5000, compression: 'none' | 'gzip' = 'none'): Uint8Array {
  return encodeRecordBatch(
    entries.map(([key, value]) => ({ key, value, timestamp })),
    { compression },
  )
}

/** The model: the last value per key, in offset order, as compaction must leave it (tombstones aside). */
function latestByKey(history: { offset: number; key: string; value: string | null }[]) {
  const last = new Map<string, { offset: number; key: string; value: string | null }>()
  for (const entry of history) last.set(entry.key, entry)
  return [...last.values()].sort((a, b) => a.offset - b.offset)
}

for (const { name, make } of BACKENDS) {
  describe(`compaction on ${name} storage`, () => {
    let backend: Backend
    beforeEach(() => {
      backend = make()
    })
    afterEach(() => backend.dispose())

    it('keeps the latest value per key at its original offset and leaves the active segment alone', async () => {
      // Proves compaction drops superseded records, keeps survivors' offsets, and offsets stay continuous for recovery.
      const log = await openLog(backend, COMPACT, { clock: () => 10_000 })
      const history: { offset: number; key: string; value: string }[] = []
      for (let round = 0; round < 12; round++) {
        const entries: [string, string][] = []
        for (let k = 0; k < 6; k++) entries.push([`key${(round * 7 + k) % 10}`, `r${round}-v${k}`.padEnd(24, '.')])
        const { baseOffset } = await log.append(keyed(entries))
        entries.forEach(([key, value], i) => history.push({ offset: baseOffset + i, key, value }))
      }
      const activeBase = log.segmentInfos().at(-1)!.baseOffset
      const sizeBefore = log.sizeBytes
      const stats = await log.compact()
      expect(stats.cleaned).toBe(true)
      expect(stats.cleanedUpTo).toBe(activeBase)
      expect(stats.recordsRemoved).toBeGreaterThan(0)
      expect(log.sizeBytes).toBeLessThan(sizeBefore)
      const records = await readAll(log)
      const cleanedPart = records.filter((r) => r.offset < activeBase)
      const activePart = records.filter((r) => r.offset >= activeBase)
      // Cleaned part: exactly the latest record of each key among those written before the active segment.
      const expectedCleaned = latestByKey(history.filter((h) => h.offset < activeBase))
      expect(cleanedPart.map((r) => [r.offset, r.key, r.value])).toEqual(expectedCleaned.map((h) => [h.offset, h.key, h.value]))
      // Active part: untouched.
      expect(activePart.map((r) => r.offset)).toEqual(history.filter((h) => h.offset >= activeBase).map((h) => h.offset))
      await log.close()
      const checked = await openLog(backend, COMPACT, { recovery: 'full' })
      expect(checked.recoveryReport.corruptRanges).toEqual([])
      expect(checked.recoveryReport.bytesTruncated).toBe(0)
      expect(await readAll(checked)).toEqual(records)
      await checked.close()
    })

    it('removes tombstones only after delete.retention.ms, and the values they delete at once', async () => {
      // Proves a tombstone deletes older values of its key immediately and disappears itself once old enough.
      let now = 5_500
      const log = await openLog(backend, COMPACT, { clock: () => now })
      await log.append(keyed([['a', 'a1'.padEnd(300, '.')], ['b', 'b1'.padEnd(300, '.')]]))
      await log.append(keyed([['a', null]], 5000))
      await log.append(keyed([['c', 'c1'.padEnd(400, '.')]]))
      await log.roll()
      await log.append(keyed([['d', 'd1']]))
      await log.compact()
      let records = await readAll(log)
      expect(records.map((r) => [r.key, r.value?.slice(0, 2) ?? null])).toEqual([
        ['b', 'b1'],
        ['a', null],
        ['c', 'c1'],
        ['d', 'd1'],
      ])
      now = 5000 + 1000 + 1
      log.firstDirtyOffset = undefined // a new pass over everything, as after new dirty data
      const stats = await log.compact()
      expect(stats.tombstonesRemoved).toBe(1)
      records = await readAll(log)
      expect(records.map((r) => r.key)).toEqual(['b', 'c', 'd'])
      await log.close()
    })

    it('keeps the codec and drops keyless records', async () => {
      // Proves re-encoded batches keep their compression codec and that records without keys are removed, as Kafka does.
      const log = await openLog(backend, COMPACT, { clock: () => 6000 })
      const first = await log.append(keyed([['x', 'x1'], [null, 'orphan'], ['y', 'y1']], 5000, 'gzip'))
      await log.append(keyed([['x', 'x2'.padEnd(1000, '.')]]))
      await log.roll()
      await log.compact()
      const read = await log.read(first.baseOffset, 100_000)
      const header = readBatchHeader(read.batches)
      expect(header.compression).toBe('gzip')
      expect(header.baseOffset).toBe(0)
      expect(header.lastOffsetDelta).toBe(2)
      const records = await readAll(log)
      expect(records.map((r) => [r.offset, r.key])).toEqual([
        [2, 'y'],
        [3, 'x'],
      ])
      await log.close()
    })

    it('refuses to rewrite damaged data and leaves the files as they were', async () => {
      // Proves compaction never rewrites away a damaged range: it stops with CorruptRangeError, changing nothing.
      const log = await openLog(backend, COMPACT, { clock: () => 6000 })
      for (let i = 0; i < 10; i++) await log.append(keyed([[`k${i % 3}`, `v${i}`.padEnd(200, '.')]]))
      await log.close()
      const path = `${backend.root}/t-0/${segmentFileName(0, 'log')}`
      const bytes = (await backend.storage.readFile(path))!
      bytes[100] ^= 1
      const file = await backend.storage.open(path)
      await file.write(0, [bytes])
      await file.sync()
      await file.close()
      const damaged = await openLog(backend, COMPACT, { clock: () => 6000 })
      await expect(damaged.compact()).rejects.toThrow(CorruptRangeError)
      expect(await backend.storage.readFile(path)).toEqual(bytes)
      expect((await backend.storage.list(`${backend.root}/t-0`)).filter((n) => /cleaned|swap/.test(n))).toEqual([])
      await damaged.close()
    })
  })
}

describe('compaction in the background', () => {
  it('lets appends and reads proceed while it runs', async () => {
    // Proves the cleaner yields to the event loop: an append issued after compaction starts finishes before it.
    const backend = memoryBackend()
    const log = await openLog(backend, { ...COMPACT, 'segment.bytes': 64 * 1024 }, { clock: () => 6000 })
    for (let i = 0; i < 300; i++) {
      await log.append(encodeRecordBatch(Array.from({ length: 50 }, (_, j) => ({ key: `k${(i * 50 + j) % 997}`, value: `v${i}-${j}`, timestamp: 5000 }))))
    }
    let compactionDone = false
    const compaction = log.compact().then((stats) => {
      compactionDone = true
      return stats
    })
    const appended = await log.append(encodeRecordBatch([{ key: 'late', value: 'x', timestamp: 5000 }]))
    const read = await log.read(0, 1000)
    expect(compactionDone).toBe(false)
    expect(appended.baseOffset).toBe(15_000)
    expect(read.batches.length).toBeGreaterThan(0)
    const stats = await compaction
    expect(stats.recordsRemoved).toBeGreaterThan(10_000)
    const cleaned = (await readAll(log)).filter((r) => r.offset < stats.cleanedUpTo)
    expect(new Set(cleaned.map((r) => r.key)).size).toBe(cleaned.length)
    await log.close()
  })

  it('is atomic at every crash point of a compaction', async () => {
    // Proves the .cleaned → .swap → rename protocol: crash at any storage operation, reopen, and the log is whole.
    const build = async () => {
      const backend = memoryBackend()
      const log = await openLog(backend, COMPACT, { clock: () => 6000 })
      const history: { offset: number; key: string; value: string }[] = []
      for (let i = 0; i < 40; i++) {
        const key = `k${(i * 3) % 7}`
        const value = `v${i}`.padEnd(100, '.')
        const { baseOffset } = await log.append(keyed([[key, value]]))
        history.push({ offset: baseOffset, key, value })
      }
      await log.flush()
      return { backend, log, history }
    }
    let completedAt = -1
    for (let failAt = 1; completedAt < 0; failAt++) {
      const { backend, log, history } = await build()
      let operations = 0
      backend.storage.faults = () => (++operations === failAt ? new Error(`injected at ${failAt}`) : undefined)
      const outcome = await log.compact().then(
        () => 'done',
        () => 'failed',
      )
      if (outcome === 'done') completedAt = failAt
      backend.storage.faults = undefined
      backend.storage.crash()
      const reopened = await openLog(backend, COMPACT, { clock: () => 6000 })
      expect(reopened.recoveryReport.corruptRanges).toEqual([])
      const records = await readAll(reopened)
      // Whatever happened, each key's latest value is there at its offset, and every record is one that was written.
      for (const latest of latestByKey(history)) expect(records).toContainEqual(expect.objectContaining({ offset: latest.offset, key: latest.key, value: latest.value }))
      for (const record of records) expect(history).toContainEqual({ offset: record.offset, key: record.key, value: record.value })
      const names = await backend.storage.list(`${backend.root}/t-0`)
      expect(names.filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([])
      await reopened.close()
      expect(failAt).toBeLessThan(500)
    }
    expect(completedAt).toBeGreaterThan(5)
  })
})

describe('compaction and idempotent producers', () => {
  /** Every batch header in the log, in offset order. */
  async function headers(log: Awaited<ReturnType<typeof openLog>>) {
    const out: ReturnType<typeof readBatchHeader>[] = []
    let offset = log.logStartOffset
    while (offset < log.highWatermark) {
      const read = await log.read(offset, 1 << 20)
      for (const batch of wholeBatches(read.batches)) out.push(readBatchHeader(batch))
      offset = read.nextOffset
    }
    return out
  }
  const idempotent = (producerId: number, baseSequence: number, keys: string[]) =>
    encodeRecordBatch(
      keys.map((key) => ({ key, value: `${producerId}:${key}`.padEnd(40, '.'), timestamp: 5000 })),
      { producerId, producerEpoch: 3, baseSequence },
    )

  it("keeps each producer's last batch (emptied) and every producer batch's base offset, so its sequences replay right", async () => {
    const backend = memoryBackend()
    const log = await openLog(backend, COMPACT, { clock: () => 10_000 })
    const a1 = (await log.append(idempotent(7, 0, ['a', 'b']))).baseOffset // wholly superseded: goes
    const a2 = (await log.append(idempotent(7, 2, ['c']))).baseOffset // wholly superseded, producer 7's last: kept empty
    await log.append(keyed([['z', 'plain']])) // superseded, no producer: joins a gap
    const c1 = (await log.append(idempotent(9, 0, ['x', 'y']))).baseOffset // x superseded, y kept: keeps its base offset
    await log.append(keyed([['a', 'new-a'], ['b', 'new-b'], ['c', 'new-c'], ['z', 'new-z'], ['x', 'new-x']]))
    await log.roll()
    await log.append(keyed([['tail', 'active']]))
    const stats = await log.compact()
    expect(stats.cleaned).toBe(true)
    const after = await headers(log)
    const byProducer = (id: number) => after.filter((h) => h.producerId === id)
    expect(byProducer(7)).toEqual([expect.objectContaining({ baseOffset: a2, lastOffsetDelta: 0, baseSequence: 2, producerEpoch: 3, recordCount: 0 })])
    expect(byProducer(9)).toEqual([expect.objectContaining({ baseOffset: c1, lastOffsetDelta: 1, baseSequence: 0, recordCount: 1 })])
    // Producer 7's first batch is gone: its offsets are covered by an empty batch without producer fields.
    expect(after[0]).toEqual(expect.objectContaining({ baseOffset: a1, lastOffsetDelta: 1, producerId: -1, recordCount: 0 }))
    // Offsets stay contiguous batch to batch, and the records are the latest per key.
    for (let i = 1; i < after.length; i++) expect(after[i].baseOffset).toBe(after[i - 1].baseOffset + after[i - 1].lastOffsetDelta + 1)
    expect((await readAll(log)).map((r) => r.key)).toEqual(['y', 'a', 'b', 'c', 'z', 'x', 'tail'])
    await log.close()
    backend.dispose()
  })
})
