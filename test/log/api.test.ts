// The log's public surface: the README example runs as written (default fs
// storage), reads can fill a caller's buffer, and the portable modules import
// nothing from `node:`.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { TopicStore, decodeRecordBatch, encodeRecordBatch } from '../../src/index.js'
import { makeBatch, memoryBackend, openLog, recordsOf } from './helpers.js'

const logSource = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'log')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  )
}

describe('log API', () => {
  it('runs the README example on the default (fs) storage', async () => {
    // Proves the documented usage works as written: create a topic, append, read, find by time, reopen.
    const dir = mkdtempSync(join(tmpdir(), 'eddy-readme-'))
    try {
      // --- README example start
      const store = await TopicStore.open({ dir })
      await store.createTopic('orders', { partitions: 3, config: { 'retention.ms': 7 * 24 * 3600 * 1000, 'flush.policy': 'always' } })
      const log = store.partition('orders', 0)
      const batch = encodeRecordBatch([
        { key: 'order-1', value: JSON.stringify({ total: 12 }), timestamp: Date.parse('2024-05-01T10:00:00Z') },
        { key: 'order-2', value: JSON.stringify({ total: 30 }), timestamp: Date.parse('2024-05-01T10:05:00Z') },
      ])
      const { baseOffset, lastOffset } = await log.append(batch) // durable: flush.policy=always
      const { batches, nextOffset } = await log.read(baseOffset, 1024 * 1024) // whole stored batches
      const records = decodeRecordBatch(batches).toRecords()
      const since = await log.offsetForTimestamp(Date.parse('2024-05-01T10:01:00Z'))
      await store.close()
      // --- README example end
      expect([baseOffset, lastOffset, nextOffset]).toEqual([0, 1, 2])
      expect(records.map((r) => new TextDecoder().decode(r.key!))).toEqual(['order-1', 'order-2'])
      expect(since).toEqual({ offset: 1, timestampMs: Date.parse('2024-05-01T10:05:00Z') })
      const reopened = await TopicStore.open({ dir })
      expect(reopened.describeTopic('orders').partitions[0].logEndOffset).toBe(2)
      await reopened.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reads into a caller-supplied buffer when the result fits', async () => {
    // Proves read({ buffer }) returns a view of that buffer (no fresh allocation) holding the same batches.
    const log = await openLog(memoryBackend())
    for (let i = 0; i < 4; i++) await log.append(makeBatch(5, { prefix: `b${i}` }))
    const buffer = new Uint8Array(64 * 1024)
    const into = await log.read(5, 32 * 1024, { buffer })
    const plain = await log.read(5, 32 * 1024)
    expect(into.batches.buffer).toBe(buffer.buffer)
    expect(recordsOf(into.batches)).toEqual(recordsOf(plain.batches))
    const tooSmall = await log.read(5, 32 * 1024, { buffer: new Uint8Array(10) })
    expect(recordsOf(tooSmall.batches)).toEqual(recordsOf(plain.batches))
    await log.close()
  })

  it('keeps the portable log modules free of node: imports', () => {
    // Proves only the Node fs backend imports from node:, so the log runs in browsers and Deno on MemoryStorage.
    const offenders = sourceFiles(logSource)
      .filter((file) => !file.endsWith(join('storage', 'node-fs.ts')))
      .filter((file) => /from\s+['"]node:|import\(\s*['"]node:|require\(\s*['"]node:/.test(readFileSync(file, 'utf8')))
    expect(offenders).toEqual([])
    expect(sourceFiles(logSource).length).toBeGreaterThan(15)
  })
})
