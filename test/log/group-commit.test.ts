// Group commit under flush policy `always` with fsyncs running concurrently.
import { describe, expect, it } from 'vitest'
import { LogClosedError } from '../../src/log/errors.js'
import type { Storage, StorageFile } from '../../src/log/storage/storage.js'
import { makeBatch, memoryBackend, openLog, readAll } from './helpers.js'

interface GatedSync {
  path: string
  release(error?: Error): void
}

/** Wraps a storage so the test decides when each data-file fsync returns, and whether it fails. */
function gatedStorage(inner: Storage): { storage: Storage; syncs: GatedSync[]; gate: { on: boolean } } {
  const syncs: GatedSync[] = []
  const gate = { on: false }
  const wrapFile = (file: StorageFile): StorageFile => ({
    get path() {
      return file.path
    },
    size: () => file.size(),
    read: (position, length) => file.read(position, length),
    readInto: (target, position) => file.readInto(target, position),
    write: (position, chunks) => file.write(position, chunks),
    truncate: (sizeBytes) => file.truncate(sizeBytes),
    close: () => file.close(),
    sync: () => {
      if (!gate.on || !file.path.endsWith('.log')) return file.sync()
      return new Promise<void>((resolve, reject) => {
        syncs.push({ path: file.path, release: (error) => (error ? reject(error) : file.sync().then(resolve, reject)) })
      })
    },
  })
  const storage: Storage = Object.create(inner)
  storage.open = async (path, options) => wrapFile(await inner.open(path, options))
  return { storage, syncs, gate }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve))
  expect(condition()).toBe(true)
}

describe('group commit with concurrent fsyncs', () => {
  it('runs a second fsync beside the first and acknowledges both once both succeeded', async () => {
    // Proves appends written while an fsync runs get their own fsync at once, and nothing resolves before its bytes are synced.
    const backend = memoryBackend()
    const { storage, syncs, gate } = gatedStorage(backend.storage)
    const log = await openLog({ ...backend, storage }, { 'flush.policy': 'always' })
    gate.on = true
    let firstDone = false
    let secondDone = false
    const first = log.append(makeBatch(2, { prefix: 'a' })).then((r) => ((firstDone = true), r))
    await until(() => syncs.length === 1)
    const second = log.append(makeBatch(3, { prefix: 'b' })).then((r) => ((secondDone = true), r))
    await until(() => syncs.length === 2)
    expect(firstDone || secondDone).toBe(false)
    syncs[1].release()
    await new Promise((resolve) => setImmediate(resolve))
    // The later fsync succeeded, but the earlier one may yet report a write-back error for these bytes.
    expect(firstDone || secondDone).toBe(false)
    expect(log.flushedOffset).toBe(0)
    syncs[0].release()
    expect(await first).toEqual({ baseOffset: 0, lastOffset: 1 })
    expect(await second).toEqual({ baseOffset: 2, lastOffset: 4 })
    expect(log.flushedOffset).toBe(5)
    gate.on = false
    await log.close()
  })

  it('fails every append covered by concurrent fsyncs when the earlier one fails, even if the later one succeeded', async () => {
    // Proves a write-back error reported to one of two concurrent fsyncs is never hidden by the other's success.
    const backend = memoryBackend()
    const { storage, syncs, gate } = gatedStorage(backend.storage)
    const log = await openLog({ ...backend, storage }, { 'flush.policy': 'always' })
    await log.append(makeBatch(1, { prefix: 'kept' }))
    gate.on = true
    const first = log.append(makeBatch(2, { prefix: 'a' }))
    await until(() => syncs.length === 1)
    const second = log.append(makeBatch(3, { prefix: 'b' }))
    await until(() => syncs.length === 2)
    syncs[1].release()
    await new Promise((resolve) => setImmediate(resolve))
    syncs[0].release(new Error('EIO: write-back failed'))
    await expect(first).rejects.toThrow(LogClosedError)
    await expect(second).rejects.toThrow(LogClosedError)
    expect(log.isFailed).toBe(true)
    expect(log.flushedOffset).toBe(1)
    expect((await readAll(log)).map((r) => r.value)).toEqual(['kept-0'])
    gate.on = false
    await log.close()
  })
})
