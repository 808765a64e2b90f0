// The Storage contract, checked on both backends, and the memory backend's crash model.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../src/log/storage/memory.js'
import { StorageError, joinPath, parentDir, writeFileAtomic } from '../../src/log/storage/storage.js'
import { BACKENDS, utf8, type Backend } from './helpers.js'

const bytes = (...values: number[]) => new Uint8Array(values)

for (const { name, make } of BACKENDS) {
  describe(`${name} storage`, () => {
    let backend: Backend
    beforeEach(() => {
      backend = make()
    })
    afterEach(() => backend.dispose())

    it('writes at positions, reads back, reports size, truncates and extends with zeros', async () => {
      // Proves positional writes (single and vectored), short reads at EOF, and truncate both ways.
      const { storage, root } = backend
      await storage.mkdir(`${root}/a/b`)
      const file = await storage.open(`${root}/a/b/f`, { create: true })
      await file.write(0, [bytes(1, 2, 3)])
      await file.write(3, [bytes(4), bytes(5, 6), bytes()])
      expect(await file.size()).toBe(6)
      expect(await file.read(1, 3)).toEqual(bytes(2, 3, 4))
      expect(await file.read(4, 100)).toEqual(bytes(5, 6))
      expect(await file.read(10, 5)).toEqual(bytes())
      await file.truncate(2)
      expect(await file.read(0, 10)).toEqual(bytes(1, 2))
      await file.truncate(4)
      expect(await file.read(0, 10)).toEqual(bytes(1, 2, 0, 0))
      await file.sync()
      await file.close()
      expect(await storage.readFile(`${root}/a/b/f`)).toEqual(bytes(1, 2, 0, 0))
    })

    it('lists, renames over a target, removes files and directories, and names missing paths', async () => {
      // Proves the directory operations and that a missing file is an error naming the path with ENOENT.
      const { storage, root } = backend
      await storage.mkdir(`${root}/d`)
      for (const n of ['x', 'y']) {
        const f = await storage.open(`${root}/d/${n}`, { create: true })
        await f.write(0, [utf8(n)])
        await f.close()
      }
      expect((await storage.list(`${root}/d`)).sort()).toEqual(['x', 'y'])
      await storage.rename(`${root}/d/x`, `${root}/d/y`)
      expect(await storage.list(`${root}/d`)).toEqual(['y'])
      expect(await storage.readFile(`${root}/d/y`)).toEqual(utf8('x'))
      await storage.syncDir(`${root}/d`)
      await storage.remove(`${root}/d/y`)
      await storage.remove(`${root}/d/y`)
      expect(await storage.exists(`${root}/d/y`)).toBe(false)
      expect(await storage.readFile(`${root}/d/y`)).toBeUndefined()
      const error = await storage.open(`${root}/d/missing`).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StorageError)
      expect((error as StorageError).code).toBe('ENOENT')
      expect((error as StorageError).message).toContain('missing')
      await storage.removeDir(`${root}/d`)
      expect(await storage.exists(`${root}/d`)).toBe(false)
      expect(await storage.list(`${root}/d`)).toEqual([])
    })

    it('replaces small files atomically', async () => {
      // Proves writeFileAtomic leaves the new contents and no temporary file.
      const { storage, root } = backend
      await storage.mkdir(root)
      await writeFileAtomic(storage, `${root}/meta`, utf8('one'))
      await writeFileAtomic(storage, `${root}/meta`, utf8('two'))
      expect(await storage.readFile(`${root}/meta`)).toEqual(utf8('two'))
      expect(await storage.list(root)).toEqual(['meta'])
    })
  })
}

describe('memory storage crash model', () => {
  it('drops unsynced bytes and keeps synced ones', async () => {
    // Proves crash() reverts each file to its last synced contents and kills open handles.
    const storage = new MemoryStorage()
    await storage.mkdir('/d')
    const file = await storage.open('/d/f', { create: true })
    await storage.syncDir('/d')
    await file.write(0, [utf8('durable')])
    await file.sync()
    await file.write(7, [utf8('-lost')])
    await file.truncate(3)
    storage.crash()
    expect(await storage.readFile('/d/f')).toEqual(utf8('durable'))
    await expect(file.read(0, 1)).rejects.toThrow(/simulated crash/)
    expect(storage.openHandleCount).toBe(0)
  })

  it('undoes directory changes that were not synced', async () => {
    // Proves created and renamed entries survive a crash only after syncDir, as on a real file system.
    const storage = new MemoryStorage()
    await storage.mkdir('/d')
    const a = await storage.open('/d/a', { create: true })
    await a.write(0, [utf8('A')])
    await a.sync()
    await a.close()
    storage.crash()
    expect(await storage.list('/d')).toEqual([])
    const b = await storage.open('/d/b', { create: true })
    await b.write(0, [utf8('B')])
    await b.sync()
    await b.close()
    await storage.syncDir('/d')
    await storage.rename('/d/b', '/d/c')
    storage.crash()
    expect(await storage.list('/d')).toEqual(['b'])
    await storage.rename('/d/b', '/d/c')
    await storage.syncDir('/d')
    storage.crash()
    expect(await storage.list('/d')).toEqual(['c'])
  })

  it('can leave a torn, partly zero-filled piece of unsynced data', async () => {
    // Proves torn crashes keep synced bytes intact and a prefix of the unsynced region, page by page new or zeros.
    let sawZeroPage = false
    let sawPartial = false
    for (let seed = 1; seed < 60; seed++) {
      const storage = new MemoryStorage()
      await storage.mkdir('/d')
      const file = await storage.open('/d/f', { create: true })
      await storage.syncDir('/d')
      await file.write(0, [new Uint8Array(5000).fill(1)])
      await file.sync()
      await file.write(5000, [new Uint8Array(20000).fill(2)])
      let state = seed
      storage.crash({ random: () => ((state = (state * 48271) % 0x7fffffff) / 0x7fffffff) })
      const after = (await storage.readFile('/d/f'))!
      expect(after.length).toBeGreaterThanOrEqual(5000)
      expect(after.length).toBeLessThanOrEqual(25000)
      expect(after.subarray(0, 5000).every((b) => b === 1)).toBe(true)
      const tail = after.subarray(5000)
      expect(tail.every((b) => b === 2 || b === 0)).toBe(true)
      if (tail.some((b) => b === 0)) sawZeroPage = true
      if (after.length > 5000 && after.length < 25000) sawPartial = true
    }
    expect(sawZeroPage).toBe(true)
    expect(sawPartial).toBe(true)
  })

  it('joins and splits paths', () => {
    // Proves the portable path helpers the backends share.
    expect(joinPath('/a/', 'b', '', 'c')).toBe('/a/b/c')
    expect(parentDir('/a/b/c')).toBe('/a/b')
    expect(parentDir('/a')).toBe('/')
    expect(parentDir('a')).toBe('.')
  })
})
