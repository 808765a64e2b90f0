// The partition log's behaviour, run on both storage backends (memory and fs).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CorruptBatchError } from '../../src/log/batch-header.js'
import { InvalidBatchError, LogClosedError, OffsetOutOfRangeError } from '../../src/log/errors.js'
import { segmentFileName } from '../../src/log/file-names.js'
import { BACKENDS, makeBatch, memoryBackend, openLog, readAll, recordsOf, type Backend } from './helpers.js'

for (const { name, make } of BACKENDS) {
  describe(`partition log on ${name} storage`, () => {
    let backend: Backend
    beforeEach(() => {
      backend = make()
    })
    afterEach(() => backend.dispose())

    it('assigns consecutive offsets and reads back every record in order', async () => {
      // Proves append rewrites baseOffset so offsets run 0..n-1 across batches, and reads return the same records.
      const log = await openLog(backend)
      const first = await log.append(makeBatch(3, { prefix: 'a' }))
      const second = await log.append(makeBatch(2, { prefix: 'b' }))
      expect(first).toEqual({ baseOffset: 0, lastOffset: 2 })
      expect(second).toEqual({ baseOffset: 3, lastOffset: 4 })
      expect(log.logEndOffset).toBe(5)
      const records = await readAll(log)
      expect(records.map((r) => [r.offset, r.value])).toEqual([
        [0, 'a-0'],
        [1, 'a-1'],
        [2, 'a-2'],
        [3, 'b-0'],
        [4, 'b-1'],
      ])
      await log.close()
    })

    it('serves the batch holding the requested offset first, and at least one whole batch', async () => {
      // Proves read(offset) starts at the containing batch and returns whole batches even when maxBytes is tiny.
      const log = await openLog(backend)
      for (let i = 0; i < 5; i++) await log.append(makeBatch(10, { prefix: `b${i}` }))
      const result = await log.read(23, 1)
      expect(result.offsetFirst).toBe(20)
      expect(result.nextOffset).toBe(30)
      const records = recordsOf(result.batches)
      expect(records[0].offset).toBe(20)
      expect(records).toHaveLength(10)
      const big = await log.read(0, 1 << 20)
      expect(recordsOf(big.batches)).toHaveLength(50)
      await log.close()
    })

    it('appendMany writes several batches, given as an array or back to back', async () => {
      // Proves appendMany assigns one contiguous offset range across all batches of a call.
      const log = await openLog(backend)
      const result = await log.appendMany([makeBatch(2), makeBatch(3)])
      expect(result).toEqual({ baseOffset: 0, lastOffset: 4 })
      const a = makeBatch(1, { prefix: 'x' })
      const b = makeBatch(4, { prefix: 'y' })
      const joined = new Uint8Array(a.length + b.length)
      joined.set(a)
      joined.set(b, a.length)
      expect(await log.appendMany(joined)).toEqual({ baseOffset: 5, lastOffset: 9 })
      expect((await readAll(log)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      await log.close()
    })

    it('rejects a damaged or oversized batch without consuming offsets', async () => {
      // Proves validation (CRC, max.message.bytes, empty batch) happens before offsets are assigned.
      const log = await openLog(backend, { 'max.message.bytes': 2000 })
      const bad = makeBatch(3)
      bad[bad.length - 1] ^= 0xff
      await expect(log.append(bad)).rejects.toThrow(CorruptBatchError)
      await expect(log.append(makeBatch(200))).rejects.toThrow(/max\.message\.bytes/)
      await expect(log.appendMany([makeBatch(1), bad])).rejects.toThrow(/CRC/)
      await expect(log.appendMany(new Uint8Array(30))).rejects.toThrow(InvalidBatchError)
      expect(await log.append(makeBatch(1))).toEqual({ baseOffset: 0, lastOffset: 0 })
      await log.close()
    })

    it('skips only the CRC for a batch sealed in process, and reads still verify it', async () => {
      // Proves crcSealedInProcess drops the CRC recomputation alone: a damaged CRC is stored, every other check still refuses, and a read catches the damage.
      const log = await openLog(backend, { 'max.message.bytes': 2000 })
      const sealed = { crcSealedInProcess: true }
      await expect(log.append(makeBatch(200), sealed)).rejects.toThrow(/max\.message\.bytes/)
      const cut = makeBatch(2).subarray(0, 40)
      await expect(log.append(cut, sealed)).rejects.toThrow(CorruptBatchError)
      expect(await log.append(makeBatch(2), sealed)).toEqual({ baseOffset: 0, lastOffset: 1 })
      const damaged = makeBatch(3)
      damaged[damaged.length - 1] ^= 0xff
      expect(await log.append(damaged, sealed)).toEqual({ baseOffset: 2, lastOffset: 4 })
      expect((await log.read(0, 100_000)).nextOffset).toBe(2)
      await expect(log.read(2, 100_000)).rejects.toThrow(/2/)
      expect(log.corruptRanges().map((r) => [r.offsetFirst, r.offsetLast])).toEqual([[2, 4]])
      await log.close()
    })

    it('refuses offsets outside [logStartOffset, highWatermark] and returns nothing at the high watermark', async () => {
      // Proves range checks name the valid range and reading at the end is an empty result, not an error.
      const log = await openLog(backend)
      await log.append(makeBatch(3))
      await expect(log.read(4, 1000)).rejects.toThrow(OffsetOutOfRangeError)
      await expect(log.read(-1, 1000)).rejects.toThrow(/valid offsets are 0 to 3/)
      const atEnd = await log.read(3, 1000)
      expect(atEnd.batches.length).toBe(0)
      expect(atEnd.nextOffset).toBe(3)
      await log.close()
    })

    it('rolls segments by size with 20-digit base-offset names and reads across them', async () => {
      // Proves segment.bytes rolls before a segment would overflow and that offsets stay contiguous across files.
      const log = await openLog(backend, { 'segment.bytes': 1024 })
      for (let i = 0; i < 12; i++) await log.append(makeBatch(5, { valueBytes: 40 }))
      const infos = log.segmentInfos()
      expect(infos.length).toBeGreaterThan(3)
      for (const info of infos) expect(info.sizeBytes).toBeLessThanOrEqual(1024)
      for (let i = 1; i < infos.length; i++) expect(infos[i].baseOffset).toBe(infos[i - 1].nextOffset)
      const names = await backend.storage.list(`${backend.root}/t-0`)
      expect(names).toContain(segmentFileName(infos[1].baseOffset, 'log'))
      expect(segmentFileName(infos[1].baseOffset, 'log')).toMatch(/^\d{20}\.log$/)
      expect((await readAll(log, 0, 300)).map((r) => r.offset)).toEqual([...Array(60).keys()])
      await log.close()
    })

    it('rolls by age (segment.ms) counted in record time from the first batch', async () => {
      // Proves a batch more than segment.ms newer than the segment's first batch starts a new segment.
      const log = await openLog(backend, { 'segment.ms': 1000 })
      await log.append(makeBatch(1, { timestamp: 10_000 }))
      await log.append(makeBatch(1, { timestamp: 10_900 }))
      expect(log.segmentInfos()).toHaveLength(1)
      await log.append(makeBatch(1, { timestamp: 11_001 }))
      expect(log.segmentInfos().map((s) => s.baseOffset)).toEqual([0, 2])
      await log.close()
    })

    it('survives a clean close and reopen, skipping recovery and continuing offsets', async () => {
      // Proves the clean-shutdown marker lets open skip scanning, and that data and offsets persist.
      let log = await openLog(backend, { 'segment.bytes': 2048 })
      for (let i = 0; i < 20; i++) await log.append(makeBatch(4, { prefix: `p${i}`, valueBytes: 30 }))
      const before = await readAll(log)
      await log.close()
      log = await openLog(backend, { 'segment.bytes': 2048 })
      expect(log.recoveryReport.cleanShutdown).toBe(true)
      expect(log.recoveryReport.segmentsScanned).toBe(0)
      expect(await readAll(log)).toEqual(before)
      expect(await log.append(makeBatch(1))).toEqual({ baseOffset: 80, lastOffset: 80 })
      await log.close()
      log = await openLog(backend, { 'segment.bytes': 2048 })
      expect((await readAll(log)).length).toBe(81)
      await log.close()
    })

    it('finds the earliest offset at or after a timestamp', async () => {
      // Proves offsetForTimestamp uses the time index and then the records to return the exact first offset.
      const log = await openLog(backend, { 'segment.bytes': 1024, 'index.interval.bytes': 100 })
      for (let i = 0; i < 30; i++) await log.append(makeBatch(2, { timestamp: 1000 + i * 10 }))
      expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestampMs: 1000 })
      expect(await log.offsetForTimestamp(1105)).toEqual({ offset: 22, timestampMs: 1110 })
      expect(await log.offsetForTimestamp(1110)).toEqual({ offset: 22, timestampMs: 1110 })
      expect(await log.offsetForTimestamp(1290)).toEqual({ offset: 58, timestampMs: 1290 })
      expect(await log.offsetForTimestamp(1291)).toBeUndefined()
      await log.close()
      const reopened = await openLog(backend, { 'segment.bytes': 1024, 'index.interval.bytes': 100 })
      expect(await reopened.offsetForTimestamp(1105)).toEqual({ offset: 22, timestampMs: 1110 })
      await reopened.close()
    })

    it('deletes whole old segments by retention.bytes and retention.ms, never the active one', async () => {
      // Proves retention drops a prefix of segments, moves the log start, and keeps the active segment.
      let now = 100_000
      const log = await openLog(backend, { 'segment.bytes': 1024, 'retention.bytes': 2500, 'file.delete.delay.ms': 0 }, { clock: () => now })
      for (let i = 0; i < 20; i++) await log.append(makeBatch(5, { valueBytes: 40, timestamp: 1000 + i }))
      const before = log.segmentInfos()
      const result = await log.enforceRetention()
      expect(result.segmentsDeleted).toBeGreaterThan(0)
      expect(log.sizeBytes).toBeGreaterThanOrEqual(2500 - 1024)
      expect(log.logStartOffset).toBe(before[result.segmentsDeleted].baseOffset)
      await expect(log.read(0, 100)).rejects.toThrow(OffsetOutOfRangeError)
      const remaining = await readAll(log)
      expect(remaining[0].offset).toBe(log.logStartOffset)
      expect(remaining[remaining.length - 1].offset).toBe(99)
      const names = await backend.storage.list(`${backend.root}/t-0`)
      expect(names).not.toContain(segmentFileName(0, 'log'))
      expect(names.filter((n) => n.endsWith('.deleted'))).toEqual([])
      log.config.retentionBytes = -1
      log.config.retentionMs = 1000
      now = 1000 + 1000 + 1_000_000
      await log.enforceRetention()
      expect(log.segmentInfos()).toHaveLength(1)
      expect(log.logStartOffset).toBe(log.segmentInfos()[0].baseOffset)
      await log.close()
    })

    it('reports closed logs clearly', async () => {
      // Proves calls after close fail with LogClosedError instead of touching closed files.
      const log = await openLog(backend)
      await log.append(makeBatch(1))
      await log.close()
      await expect(log.append(makeBatch(1))).rejects.toThrow(LogClosedError)
      await expect(log.read(0, 100)).rejects.toThrow(LogClosedError)
    })
  })
}

describe('flush policies', () => {
  it('always: acknowledges only after fsync, sharing one fsync among concurrent appends (group commit)', async () => {
    // Proves 32 concurrent appends are all durable when acknowledged and need far fewer fsyncs than appends.
    const backend = memoryBackend()
    const log = await openLog(backend, { 'flush.policy': 'always' })
    const syncsBefore = backend.storage.counters.get('sync') ?? 0
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) => log.append(makeBatch(1, { prefix: `c${i}` }))))
    const syncs = (backend.storage.counters.get('sync') ?? 0) - syncsBefore
    expect(results.map((r) => r.baseOffset).sort((a, b) => a - b)).toEqual([...Array(32).keys()])
    expect(syncs).toBeGreaterThan(0)
    expect(syncs).toBeLessThan(8)
    expect(log.highWatermark).toBe(32)
    expect(log.flushedOffset).toBe(32)
    // A crash right now keeps every acknowledged append.
    backend.storage.crash()
    const reopened = await openLog(backend, { 'flush.policy': 'always' })
    expect((await readAll(reopened)).map((r) => r.value).sort()).toEqual(results.map((_, i) => `c${i}-0`).sort())
    await reopened.close()
  })

  it('os: acknowledges after the write; a machine crash may lose unflushed appends but never serves damage', async () => {
    // Proves flush policy os does not fsync per append, and recovery after a crash keeps a clean prefix.
    const backend = memoryBackend()
    const log = await openLog(backend, { 'flush.policy': 'os' })
    const syncsBefore = backend.storage.counters.get('sync') ?? 0
    for (let i = 0; i < 10; i++) await log.append(makeBatch(2))
    expect((backend.storage.counters.get('sync') ?? 0) - syncsBefore).toBe(0)
    expect(log.highWatermark).toBe(20)
    backend.storage.crash()
    const reopened = await openLog(backend, { 'flush.policy': 'os' })
    const records = await readAll(reopened)
    expect(records.map((r) => r.offset)).toEqual([...Array(records.length).keys()])
    await reopened.close()
  })

  it('interval: fsyncs on a timer so a crash loses at most the last interval', async () => {
    // Proves the background flush makes appends durable within flush.ms without an explicit flush.
    const backend = memoryBackend()
    const log = await openLog(backend, { 'flush.policy': 'interval', 'flush.ms': 20 }, { background: true })
    await log.append(makeBatch(5))
    expect(log.flushedOffset).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(log.flushedOffset).toBe(5)
    backend.storage.crash()
    const reopened = await openLog(backend)
    expect((await readAll(reopened)).length).toBe(5)
    await reopened.close()
  })
})

describe('background timers', () => {
  it('spreads the partitions\' interval flushes over flush.ms instead of firing them together', async () => {
    // Proves each log's first flush comes at its own random point within flush.ms: eight fsyncs at once would hold every write behind them.
    const backend = memoryBackend()
    const flushMs = 400
    const started = performance.now()
    const logs = await Promise.all(
      Array.from({ length: 8 }, (_, partition) => openLog(backend, { 'flush.policy': 'interval', 'flush.ms': flushMs }, { background: true, partition, dir: `${backend.root}/t-${partition}` })),
    )
    for (const log of logs) await log.append(makeBatch(5))
    const flushedAtMs: number[] = new Array(logs.length).fill(Number.NaN)
    while (flushedAtMs.some(Number.isNaN) && performance.now() - started < flushMs * 3) {
      await new Promise((resolve) => setTimeout(resolve, 2))
      logs.forEach((log, i) => {
        if (Number.isNaN(flushedAtMs[i]) && log.flushedOffset === 5) flushedAtMs[i] = performance.now() - started
      })
    }
    for (const at of flushedAtMs) expect(at).toBeLessThan(flushMs + 100)
    // Eight uniform phases over 400 ms all inside 40 ms: probability about 8 * 0.1^7.
    expect(Math.max(...flushedAtMs) - Math.min(...flushedAtMs)).toBeGreaterThan(40)
    await Promise.all(logs.map((log) => log.close()))
  })
})

describe('I/O errors', () => {
  it('stops writing after a failed fsync, rejects what was not acknowledged, and keeps what was', async () => {
    // Proves an fsync error (fsyncgate: the data may be gone) fails the log instead of acknowledging, and reopening recovers.
    const backend = memoryBackend()
    const log = await openLog(backend, { 'flush.policy': 'always' })
    await log.append(makeBatch(2, { prefix: 'kept' }))
    backend.storage.faults = (operation) => (operation === 'sync' ? new Error('EIO: disk on fire') : undefined)
    await expect(log.append(makeBatch(1, { prefix: 'lost' }))).rejects.toThrow(/stopped accepting writes after an I\/O error \(EIO: disk on fire\)/)
    backend.storage.faults = undefined
    expect(log.isFailed).toBe(true)
    await expect(log.append(makeBatch(1))).rejects.toThrow(LogClosedError)
    expect((await readAll(log)).map((r) => r.value)).toEqual(['kept-0', 'kept-1'])
    await log.close()
    backend.storage.crash()
    const reopened = await openLog(backend, { 'flush.policy': 'always' })
    expect(reopened.recoveryReport.cleanShutdown).toBe(false)
    expect((await readAll(reopened)).map((r) => r.value)).toEqual(['kept-0', 'kept-1'])
    await reopened.close()
  })

  it('rejects appends caught by a failed write (disk full) and recovers on reopen', async () => {
    // Proves a write error rejects the round's appends with a clear error and loses nothing acknowledged.
    const backend = memoryBackend()
    const log = await openLog(backend, { 'flush.policy': 'os' })
    await log.append(makeBatch(3, { prefix: 'ok' }))
    backend.storage.faults = (operation) => (operation === 'write' ? Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }) : undefined)
    const results = await Promise.allSettled([log.append(makeBatch(1)), log.append(makeBatch(1))])
    backend.storage.faults = undefined
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/ENOSPC/)
    await log.close()
    const reopened = await openLog(backend, { 'flush.policy': 'os' })
    expect((await readAll(reopened)).map((r) => r.value)).toEqual(['ok-0', 'ok-1', 'ok-2'])
    expect(await reopened.append(makeBatch(1))).toEqual({ baseOffset: 3, lastOffset: 3 })
    await reopened.close()
  })
})

describe('partition log model check', () => {
  it('matches a simple model under random appends, rolls, reopens and crashes', async () => {
    // Proves (property) that after any sequence of operations every acknowledged record reads back once, in order.
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 20 }), size: fc.integer({ min: 0, max: 200 }) }),
            fc.record({ kind: fc.constant('many' as const), batches: fc.integer({ min: 1, max: 4 }) }),
            fc.constant({ kind: 'roll' as const }),
            fc.constant({ kind: 'reopen' as const }),
            fc.record({ kind: fc.constant('crash' as const), seed: fc.integer() }),
          ),
          { minLength: 1, maxLength: 25 },
        ),
        async (ops) => {
          const backend = memoryBackend()
          const config = { 'segment.bytes': 2048, 'flush.policy': 'always', 'index.interval.bytes': 256 }
          let log = await openLog(backend, config)
          const model: string[] = []
          let serial = 0
          for (const op of ops) {
            if (op.kind === 'append') {
              const prefix = `s${serial++}`
              await log.append(makeBatch(op.count, { prefix, valueBytes: op.size }))
              for (let i = 0; i < op.count; i++) model.push(`${prefix}-${i}`.padEnd(op.size, '.'))
            } else if (op.kind === 'many') {
              const batches = Array.from({ length: op.batches }, () => makeBatch(2, { prefix: `s${serial++}` }))
              await log.appendMany(batches)
              for (let b = 0; b < op.batches; b++) model.push(`s${serial - op.batches + b}-0`, `s${serial - op.batches + b}-1`)
            } else if (op.kind === 'roll') {
              await log.roll()
            } else if (op.kind === 'reopen') {
              await log.close()
              log = await openLog(backend, config)
            } else {
              // Torn crash: unsynced bytes survive partly; under flush policy always none were acknowledged.
              let seed = op.seed
              backend.storage.crash({ random: () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000) })
              log = await openLog(backend, config)
            }
          }
          const records = await readAll(log, 0, 500)
          expect(records.map((r) => r.value)).toEqual(model)
          expect(records.map((r) => r.offset)).toEqual([...Array(model.length).keys()])
          await log.close()
        },
      ),
      { numRuns: 60 },
    )
  })
})
