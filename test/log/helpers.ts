// Shared test plumbing for the log tests: batch builders and the two storage
// backends every log test runs on.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../../src/log/record-batch.js'
import { logConfigFrom, type TopicConfigInput } from '../../src/log/log-config.js'
import { PartitionLog, type PartitionLogOptions } from '../../src/log/partition-log.js'
import { MemoryStorage } from '../../src/log/storage/memory.js'
import { NodeFsStorage } from '../../src/log/storage/node-fs.js'
import type { Storage } from '../../src/log/storage/storage.js'

const text = new TextEncoder()
const untext = new TextDecoder()

export interface Backend {
  name: 'memory' | 'fs'
  storage: Storage
  root: string
  /** Removes what the backend created (temp dirs). */
  dispose(): void
}

export function memoryBackend(): Backend & { storage: MemoryStorage } {
  return { name: 'memory', storage: new MemoryStorage(), root: '/data', dispose() {} }
}

export function fsBackend(): Backend {
  const root = mkdtempSync(join(tmpdir(), 'eddy-log-test-'))
  return { name: 'fs', storage: new NodeFsStorage(), root, dispose: () => rmSync(root, { recursive: true, force: true }) }
}

export const BACKENDS = [
  { name: 'memory', make: memoryBackend as () => Backend },
  { name: 'fs', make: fsBackend },
] as const

/** A batch of `count` records with values "<prefix>-<i>" and keys "k<i>". */
export function makeBatch(count: number, options: { prefix?: string; timestamp?: number; valueBytes?: number; keys?: (string | null)[] } = {}): Uint8Array {
  const records: RecordInput[] = []
  for (let i = 0; i < count; i++) {
    let value = `${options.prefix ?? 'v'}-${i}`
    if (options.valueBytes !== undefined) value = value.padEnd(options.valueBytes, '.')
    records.push({ key: options.keys ? options.keys[i] : `k${i}`, value, timestamp: options.timestamp ?? 1_000 })
  }
  return encodeRecordBatch(records)
}

/** Records of `bytes` (back-to-back batches) as { offset, key, value } strings, CRCs verified. */
export function recordsOf(bytes: Uint8Array): { offset: number; key: string | null; value: string | null; timestamp: number }[] {
  const out: { offset: number; key: string | null; value: string | null; timestamp: number }[] = []
  let at = 0
  while (at < bytes.length) {
    const size = new DataView(bytes.buffer, bytes.byteOffset + at + 8, 4).getInt32(0) + 12
    const decoded = decodeRecordBatch(bytes.subarray(at, at + size))
    for (const r of decoded.toRecords()) {
      out.push({ offset: r.offset, key: r.key && untext.decode(r.key), value: r.value && untext.decode(r.value), timestamp: r.timestamp })
    }
    at += size
  }
  return out
}

/** Reads every record from `from` to the high watermark. */
export async function readAll(log: PartitionLog, from = log.logStartOffset, maxBytes = 64 * 1024) {
  const out: ReturnType<typeof recordsOf> = []
  let offset = from
  while (offset < log.highWatermark) {
    const result = await log.read(offset, maxBytes)
    if (result.batches.length === 0) break
    out.push(...recordsOf(result.batches).filter((r) => r.offset >= offset))
    offset = result.nextOffset
  }
  return out
}

export function openLog(backend: Backend, config: TopicConfigInput = {}, extra: Partial<PartitionLogOptions> = {}): Promise<PartitionLog> {
  return PartitionLog.open({
    storage: backend.storage,
    dir: `${backend.root}/t-0`,
    topic: 't',
    partition: 0,
    config: logConfigFrom(config),
    background: false,
    ...extra,
  })
}

export function utf8(s: string): Uint8Array {
  return text.encode(s)
}
