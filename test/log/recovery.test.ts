// Recovery on open: torn tails are truncated, damage in the middle is fenced and
// reported (never served, never truncated with good data after it), indexes are
// rebuilt, and interrupted multi-file steps are finished or rolled back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CorruptBatchError } from '../../src/log/batch-header.js'
import { CorruptRangeError, LogFormatError, type CorruptRange } from '../../src/log/errors.js'
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_FILE, segmentFileName } from '../../src/log/file-names.js'
import type { Storage } from '../../src/log/storage/storage.js'
import { BACKENDS, makeBatch, memoryBackend, openLog, readAll, utf8, type Backend } from './helpers.js'

const DIR = (backend: Backend) => `${backend.root}/t-0`

async function mutateFile(storage: Storage, path: string, change: (bytes: Uint8Array) => Uint8Array): Promise<void> {
  const bytes = await storage.readFile(path)
  if (bytes === undefined) throw new Error(`${path} missing`)
  const next = change(bytes.slice())
  const file = await storage.open(path)
  await file.truncate(0)
  await file.write(0, [next])
  await file.sync()
  await file.close()
}

/** Appends `count` batches of 3 records each and returns each batch's byte position in the first segment. */
async function fillLog(backend: Backend, count: number, config: Record<string, string | number> = {}) {
  const log = await openLog(backend, config)
  const positions: number[] = []
  let position = 0
  for (let i = 0; i < count; i++) {
    const batch = makeBatch(3, { prefix: `b${i}`, valueBytes: 20, timestamp: 1000 + i })
    positions.push(position)
    position += batch.length
    await log.append(batch)
  }
  await log.close()
  return { positions, batchBytes: positions[1] - positions[0], endBytes: position }
}

/** Makes the last close look unclean (as after kill -9): the marker is gone. */
async function forgetCleanShutdown(backend: Backend): Promise<void> {
  await backend.storage.remove(`${DIR(backend)}/${CLEAN_SHUTDOWN_FILE}`)
}

for (const { name, make } of BACKENDS) {
  describe(`recovery on ${name} storage`, () => {
    let backend: Backend
    beforeEach(() => {
      backend = make()
    })
    afterEach(() => backend.dispose())
    const segmentPath = (base = 0) => `${DIR(backend)}/${segmentFileName(base, 'log')}`

    it('truncates a torn tail (a partial last batch) and reports it', async () => {
      // Proves a batch cut short at the end is removed, the rest kept, and appends reuse the freed offsets.
      const { positions, endBytes } = await fillLog(backend, 5)
      await mutateFile(backend.storage, segmentPath(), (bytes) => bytes.subarray(0, endBytes - 10))
      await forgetCleanShutdown(backend)
      const log = await openLog(backend)
      const report = log.recoveryReport
      expect(report.cleanShutdown).toBe(false)
      expect(report.bytesTruncated).toBe(endBytes - 10 - positions[4])
      expect(report.truncations[0].position).toBe(positions[4])
      expect(report.truncations[0].reason).toMatch(/runs past the end/)
      expect(report.corruptRanges).toEqual([])
      expect((await readAll(log)).map((r) => r.offset)).toEqual([...Array(12).keys()])
      expect(await log.append(makeBatch(1))).toEqual({ baseOffset: 12, lastOffset: 12 })
      await log.close()
    })

    it('truncates a zero-filled tail, as a power cut leaves after extending a file', async () => {
      // Proves zeros after the last good batch count as a torn tail, not as damage to fence.
      const { endBytes } = await fillLog(backend, 3)
      await mutateFile(backend.storage, segmentPath(), (bytes) => {
        const out = new Uint8Array(bytes.length + 4096)
        out.set(bytes)
        return out
      })
      await forgetCleanShutdown(backend)
      const log = await openLog(backend)
      expect(log.recoveryReport.bytesTruncated).toBe(4096)
      expect(log.recoveryReport.truncations[0].position).toBe(endBytes)
      expect((await readAll(log)).length).toBe(9)
      await log.close()
    })

    it('fences a flipped bit in the middle of the active segment and keeps the good data after it', async () => {
      // Proves a bad batch followed by good ones is reported and fenced, not truncated, and never served.
      const { positions } = await fillLog(backend, 6)
      await mutateFile(backend.storage, segmentPath(), (bytes) => {
        bytes[positions[2] + 70] ^= 0x10
        return bytes
      })
      await forgetCleanShutdown(backend)
      const corruption: CorruptRange[] = []
      const log = await openLog(backend, {}, { onCorruption: (r) => corruption.push(r) })
      const report = log.recoveryReport
      expect(report.bytesTruncated).toBe(0)
      expect(report.corruptRanges).toHaveLength(1)
      expect(report.corruptRanges[0]).toMatchObject({ offsetFirst: 6, offsetLast: 8, resumeOffset: 9, positionStart: positions[2], positionEnd: positions[3] })
      expect(report.corruptRanges[0].reason).toMatch(/CRC/)
      const error = await log.read(7, 10_000).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CorruptRangeError)
      expect(error).toBeInstanceOf(CorruptBatchError)
      expect((error as Error).message).toMatch(/offsets 6\.\.8 are unreadable.*resume at offset 9/)
      // Before the damage: served up to it; after: readable.
      const before = await log.read(0, 1 << 20)
      expect(before.nextOffset).toBe(6)
      const after = await readAll(log, 9)
      expect(after.map((r) => r.offset)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17])
      expect(await log.append(makeBatch(1))).toEqual({ baseOffset: 18, lastOffset: 18 })
      await log.close()
      // Fenced again on the next (clean) open, found by reads this time.
      const reopened = await openLog(backend, {}, { onCorruption: (r) => corruption.push(r) })
      await expect(reopened.read(6, 100)).rejects.toThrow(CorruptRangeError)
      expect(corruption.at(-1)).toMatchObject({ offsetFirst: 6, offsetLast: 8 })
      expect((await readAll(reopened, 9)).length).toBe(10)
      await reopened.close()
    })

    it('detects a flipped baseOffset (outside the CRC) by offset continuity', async () => {
      // Proves the one header field the CRC does not cover is still checked, so wrong offsets are never served.
      const { positions } = await fillLog(backend, 4)
      await mutateFile(backend.storage, segmentPath(), (bytes) => {
        bytes[positions[1] + 7] ^= 0x04
        return bytes
      })
      await forgetCleanShutdown(backend)
      const log = await openLog(backend)
      expect(log.recoveryReport.corruptRanges).toHaveLength(1)
      expect(log.recoveryReport.corruptRanges[0]).toMatchObject({ offsetFirst: 3, offsetLast: 5 })
      expect(log.recoveryReport.corruptRanges[0].reason).toMatch(/baseOffset 7 where 3 was expected/)
      await expect(log.read(3, 100)).rejects.toThrow(CorruptRangeError)
      expect((await readAll(log, 6)).map((r) => r.offset)).toEqual([6, 7, 8, 9, 10, 11])
      await log.close()
    })

    it('resynchronises after a damaged length field', async () => {
      // Proves a bad batch length (which hides where the next batch starts) still leaves later batches readable.
      const { positions } = await fillLog(backend, 5)
      await mutateFile(backend.storage, segmentPath(), (bytes) => {
        bytes[positions[1] + 10] ^= 0x7f
        return bytes
      })
      await forgetCleanShutdown(backend)
      const log = await openLog(backend)
      expect(log.recoveryReport.corruptRanges[0]).toMatchObject({ offsetFirst: 3, offsetLast: 5, positionEnd: positions[2] })
      expect((await readAll(log, 6)).length).toBe(9)
      await log.close()
    })

    it('never serves damage found after a clean shutdown, and a full check reports it', async () => {
      // Proves read-time CRC checks catch damage that recovery skipped (clean open), and recovery 'full' finds it.
      const { positions } = await fillLog(backend, 12, { 'segment.bytes': 1024 })
      const log0 = await openLog(backend, { 'segment.bytes': 1024 })
      const segments = log0.segmentInfos()
      await log0.close()
      expect(segments.length).toBeGreaterThan(1)
      // Damage a batch in the first (sealed) segment.
      await mutateFile(backend.storage, segmentPath(0), (bytes) => {
        bytes[positions[1] + 80] ^= 0x01
        return bytes
      })
      const found: CorruptRange[] = []
      const log = await openLog(backend, { 'segment.bytes': 1024 }, { onCorruption: (r) => found.push(r) })
      expect(log.recoveryReport.cleanShutdown).toBe(true)
      await expect(log.read(4, 100)).rejects.toThrow(/offsets 3\.\.5 are unreadable/)
      expect(found).toHaveLength(1)
      const first = await log.read(0, 1 << 20)
      expect(first.nextOffset).toBe(3)
      expect((await readAll(log, 6)).length).toBe(30)
      await log.close()
      const full = await openLog(backend, { 'segment.bytes': 1024 }, { recovery: 'full' })
      expect(full.recoveryReport.segmentsScanned).toBe(segments.length)
      expect(full.recoveryReport.corruptRanges.map((r) => [r.offsetFirst, r.offsetLast])).toEqual([[3, 5]])
      await full.close()
    })

    it('fences a truncated middle segment instead of dropping the segments after it', async () => {
      // Proves a short non-last segment is damage (later segments hold data), fenced, with later data kept.
      await fillLog(backend, 24, { 'segment.bytes': 1024 })
      const log0 = await openLog(backend, { 'segment.bytes': 1024 })
      const segments = log0.segmentInfos()
      await log0.close()
      expect(segments.length).toBeGreaterThanOrEqual(3)
      await mutateFile(backend.storage, segmentPath(segments[1].baseOffset), (bytes) => bytes.subarray(0, bytes.length - 30))
      await forgetCleanShutdown(backend)
      await backend.storage.remove(`${DIR(backend)}/${RECOVERY_POINT_FILE}`)
      const log = await openLog(backend, { 'segment.bytes': 1024 })
      expect(log.recoveryReport.bytesTruncated).toBe(0)
      const range = log.recoveryReport.corruptRanges[0]
      expect(range.offsetLast).toBe(segments[2].baseOffset - 1)
      await expect(log.read(range.offsetFirst, 100)).rejects.toThrow(CorruptRangeError)
      const after = await readAll(log, segments[2].baseOffset)
      expect(after[after.length - 1].offset).toBe(71)
      await log.close()
    })

    it('rebuilds missing or damaged index files and reports each', async () => {
      // Proves indexes are derived data: bad ones are rebuilt from the batches and lookups still work.
      await fillLog(backend, 30, { 'segment.bytes': 2048, 'index.interval.bytes': 100 })
      const log0 = await openLog(backend, { 'segment.bytes': 2048, 'index.interval.bytes': 100 })
      const segments = log0.segmentInfos()
      await log0.close()
      await backend.storage.remove(`${DIR(backend)}/${segmentFileName(segments[0].baseOffset, 'index')}`)
      await mutateFile(backend.storage, `${DIR(backend)}/${segmentFileName(segments[1].baseOffset, 'index')}`, (bytes) => {
        bytes[5] = 9 // unknown format version
        return bytes
      })
      await mutateFile(backend.storage, `${DIR(backend)}/${segmentFileName(segments[2].baseOffset, 'index')}`, (bytes) => {
        bytes[bytes.length - 1] ^= 0x20 // last entry points at the wrong byte
        return bytes
      })
      const log = await openLog(backend, { 'segment.bytes': 2048, 'index.interval.bytes': 100 })
      const reasons = log.recoveryReport.indexesRebuilt.map((r) => r.reason)
      expect(reasons).toHaveLength(3)
      expect(reasons[0]).toMatch(/missing/)
      expect(reasons[1]).toMatch(/version 9/)
      expect(reasons[2]).toMatch(/does not point at its batch|past the data file|does not rise/)
      for (let offset = 0; offset < 90; offset += 7) {
        const result = await log.read(offset, 1)
        expect(result.offsetFirst).toBeLessThanOrEqual(offset)
        expect(result.nextOffset).toBeGreaterThan(offset)
      }
      await log.close()
      const again = await openLog(backend, { 'segment.bytes': 2048, 'index.interval.bytes': 100 })
      expect(again.recoveryReport.indexesRebuilt).toEqual([])
      await again.close()
    })

    it('recovers from the recovery point only, and from the start when the checkpoint is damaged', async () => {
      // Proves the recovery-point checkpoint bounds the scan and a damaged one falls back to a full scan, with a note.
      await fillLog(backend, 20, { 'segment.bytes': 1024 })
      await forgetCleanShutdown(backend)
      const bounded = await openLog(backend, { 'segment.bytes': 1024 })
      expect(bounded.recoveryReport.segmentsScanned).toBe(1)
      const total = bounded.segmentInfos().length
      await bounded.close()
      await forgetCleanShutdown(backend)
      await mutateFile(backend.storage, `${DIR(backend)}/${RECOVERY_POINT_FILE}`, () => utf8('{"format":"eddy.recovery-point","version":1,"recoveryPointOffset":"x"}'))
      const full = await openLog(backend, { 'segment.bytes': 1024 })
      expect(full.recoveryReport.segmentsScanned).toBe(total)
      expect(full.recoveryReport.notes.join()).toMatch(/recovery point ignored.*recoveryPointOffset/)
      expect((await readAll(full)).length).toBe(60)
      await full.close()
    })

    it('refuses a checkpoint written by a newer format version', async () => {
      // Proves readers reject formats they do not know instead of guessing.
      await fillLog(backend, 2)
      await mutateFile(backend.storage, `${DIR(backend)}/${RECOVERY_POINT_FILE}`, () => utf8('{"format":"eddy.recovery-point","version":7,"recoveryPointOffset":3}'))
      await expect(openLog(backend)).rejects.toThrow(LogFormatError)
      await expect(openLog(backend)).rejects.toThrow(/version 7/)
    })

    it('does not trust a clean-shutdown marker that does not match the active segment', async () => {
      // Proves bytes added after a clean close (a stale marker) trigger recovery instead of being trusted.
      const { endBytes } = await fillLog(backend, 3)
      await mutateFile(backend.storage, segmentPath(), (bytes) => {
        const out = new Uint8Array(bytes.length + 100)
        out.set(bytes)
        out.fill(7, bytes.length)
        return out
      })
      const log = await openLog(backend)
      expect(log.recoveryReport.cleanShutdown).toBe(false)
      expect(log.recoveryReport.notes.join()).toMatch(/does not match/)
      expect(log.recoveryReport.truncations[0].position).toBe(endBytes)
      await log.close()
    })

    it('removes leftovers of interrupted steps and completes a committed swap', async () => {
      // Proves .tmp/.cleaned/.deleted/orphan files are removed on open and a .log.swap replaces what it covers.
      await fillLog(backend, 4)
      const dir = DIR(backend)
      const write = async (name: string, bytes: Uint8Array) => {
        const file = await backend.storage.open(`${dir}/${name}`, { create: true })
        await file.write(0, [bytes])
        await file.sync()
        await file.close()
      }
      await write(`${RECOVERY_POINT_FILE}.tmp`, utf8('partial'))
      await write(segmentFileName(0, 'log', 'cleaned'), utf8('half-written cleaner output'))
      await write(segmentFileName(500, 'log', 'deleted'), utf8('old'))
      await write(segmentFileName(900, 'index'), utf8('orphan'))
      await write(segmentFileName(0, 'index', 'swap'), utf8('uncommitted'))
      await write('notes.txt', utf8('user file'))
      const log = await openLog(backend)
      expect(log.recoveryReport.leftoversRemoved.sort()).toEqual(
        [`${RECOVERY_POINT_FILE}.tmp`, segmentFileName(0, 'log', 'cleaned'), segmentFileName(500, 'log', 'deleted'), segmentFileName(900, 'index'), segmentFileName(0, 'index', 'swap')].sort(),
      )
      expect(log.recoveryReport.unknownFiles).toEqual(['notes.txt'])
      expect((await readAll(log)).length).toBe(12)
      await log.close()
      // A committed swap: a new segment 0 holding only two batches' worth of offsets 0..5.
      const swapBytes = new Uint8Array([...makeBatchAt(0, 6, 'swapped')])
      await write(segmentFileName(0, 'log', 'swap'), swapBytes)
      const swapped = await openLog(backend)
      expect(swapped.recoveryReport.stepsCompleted[0]).toMatch(/completed compaction swap/)
      const records = await readAll(swapped)
      expect(records.map((r) => r.value)).toEqual(['swapped-0', 'swapped-1', 'swapped-2', 'swapped-3', 'swapped-4', 'swapped-5'])
      await swapped.close()
    })
  })
}

function makeBatchAt(baseOffset: number, count: number, prefix: string): Uint8Array {
  const batch = makeBatch(count, { prefix })
  new DataView(batch.buffer, batch.byteOffset).setBigInt64(0, BigInt(baseOffset))
  return batch
}

describe('crash points (memory storage)', () => {
  it('keeps every acknowledged append whatever operation a crash interrupts during appends and rolls', async () => {
    // Proves rolls are atomic at every crash point: fail the Nth storage operation, crash, reopen, check.
    for (let failAt = 1; failAt < 400; failAt += 3) {
      const backend = memoryBackend()
      const storage = backend.storage
      const config = { 'segment.bytes': 1024, 'flush.policy': 'always' }
      let log = await openLog(backend, config)
      const acknowledged: string[] = []
      let operations = 0
      storage.faults = () => (++operations === failAt ? new Error(`injected fault at operation ${failAt}`) : undefined)
      for (let i = 0; i < 40; i++) {
        try {
          await log.append(makeBatch(2, { prefix: `a${i}`, valueBytes: 30 }))
          acknowledged.push(`a${i}-0`, `a${i}-1`)
        } catch {
          break
        }
      }
      storage.faults = undefined
      storage.crash()
      log = await openLog(backend, config)
      const values = (await readAll(log)).map((r) => r.value?.replace(/\.+$/, ''))
      expect(values.slice(0, acknowledged.length)).toEqual(acknowledged)
      expect(values.length - acknowledged.length).toBeLessThanOrEqual(2)
      await log.close()
    }
  })

  it('keeps the log consistent whatever operation a crash interrupts during retention', async () => {
    // Proves retention's renames leave a contiguous log at every crash point (oldest segment first).
    for (let failAt = 1; failAt < 40; failAt++) {
      const backend = memoryBackend()
      const storage = backend.storage
      const config = { 'segment.bytes': 1024, 'retention.bytes': 1500, 'file.delete.delay.ms': 0 }
      let log = await openLog(backend, config)
      for (let i = 0; i < 30; i++) await log.append(makeBatch(2, { prefix: `r${i}`, valueBytes: 30 }))
      await log.flush()
      let operations = 0
      storage.faults = () => (++operations === failAt ? new Error('injected') : undefined)
      await log.enforceRetention().catch(() => undefined)
      storage.faults = undefined
      storage.crash()
      log = await openLog(backend, config)
      const offsets = (await readAll(log)).map((r) => r.offset)
      expect(offsets[0]).toBe(log.logStartOffset)
      expect(offsets).toEqual(Array.from({ length: 60 - log.logStartOffset }, (_, i) => log.logStartOffset + i))
      expect(log.recoveryReport.corruptRanges).toEqual([])
      await log.close()
    }
  })
})
