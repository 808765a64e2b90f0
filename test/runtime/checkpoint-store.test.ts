import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { crc32c, decodeCheckpoint, encodeCheckpoint, type CheckpointContent } from '../../src/runtime/checkpoint.js'
import { CheckpointStore, readCheckpointFile, writeSavepoint } from '../../src/runtime/checkpoint-store.js'

const root = mkdtempSync(join(tmpdir(), 'eddy-ckpt-store-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => join(root, `store-${dirs++}`)

function content(id: number, extra: Partial<CheckpointContent> = {}): CheckpointContent {
  return {
    job: 'store-test',
    id,
    createdAt: 1_700_000_000_000 + id,
    parallelism: 2,
    maxParallelism: 128,
    splits: [{ node: 0, split: 0, position: id * 100, maxTimestamp: id * 1000 }],
    state: [{ task: 1, node: 3, bytes: new Uint8Array([id, 1, 2, 3, 255]) }],
    notRestored: [],
    prepared: [
      { node: 5, bytes: new Uint8Array([9, id]) },
      { node: 6, task: 1, bytes: new Uint8Array([id]) },
    ],
    ...extra,
  }
}
const checkpoint = (id: number) => ({ id, bytes: encodeCheckpoint(content(id)) })

describe('checkpoint format version 2', () => {
  it('round-trips every field, and still reads version 1 (bare JSON)', () => {
    // Encode then decode gives back the same content; a version 1 document decodes with no prepared part.
    const decoded = decodeCheckpoint(encodeCheckpoint(content(7, { savepoint: true })))
    expect(decoded).toEqual({ ...content(7), savepoint: true })
    const v1 = new TextEncoder().encode(
      JSON.stringify({ format: 'eddy/checkpoint', version: 1, job: 'old', id: 4, createdAt: 1, parallelism: 1, maxParallelism: 128, splits: [{ node: 0, split: 0, position: 12, maxTimestamp: null }], state: [{ task: 0, node: 2, bytes: 'AQID' }], notRestored: [] }),
    )
    const old = decodeCheckpoint(v1)
    expect(old.id).toBe(4)
    expect(old.splits[0]).toEqual({ node: 0, split: 0, position: 12, maxTimestamp: -Infinity })
    expect([...old.state[0].bytes]).toEqual([1, 2, 3])
    expect(old.prepared).toEqual([])
  })

  it('checksums with CRC-32C (Castagnoli): the standard check value, and the same over chunk boundaries', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
    // 200 kB crosses the 64 KiB steps; a byte-at-a-time reference must agree.
    const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24)
    let reference = 0xffffffff
    for (const byte of data) {
      reference ^= byte
      for (let k = 0; k < 8; k++) reference = reference & 1 ? 0x82f63b78 ^ (reference >>> 1) : reference >>> 1
    }
    expect(crc32c(data)).toBe((reference ^ 0xffffffff) >>> 0)
  })

  it('refuses a truncated or bit-flipped checkpoint, naming what is wrong', () => {
    // The frame's length and CRC-32C catch a torn write and a rotten byte before the JSON is trusted.
    const bytes = encodeCheckpoint(content(3))
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 10))).toThrow(/torn: its header announces \d+ bytes, \d+ are present/)
    expect(() => decodeCheckpoint(bytes.subarray(0, 10))).toThrow(/torn/)
    const flipped = bytes.slice()
    flipped[40] ^= 0x01
    expect(() => decodeCheckpoint(flipped)).toThrow(/corrupt: CRC-32C of its contents is 0x[0-9a-f]{8}, the header says 0x[0-9a-f]{8}/)
  })
})

describe('checkpoint store', () => {
  it('writes atomically (no temp file left), keeps the newest `retain`, and reads back the newest', async () => {
    // Five checkpoints into a store keeping 3: only 3, 4, 5 remain, and latest() is 5 with its bytes intact.
    const dir = freshDir()
    const store = await CheckpointStore.open({ dir, retain: 3 })
    for (let id = 1; id <= 5; id++) await store.write(checkpoint(id))
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-000000000003.ckpt', 'checkpoint-000000000004.ckpt', 'checkpoint-000000000005.ckpt'])
    const latest = await store.latest()
    expect(latest?.content.id).toBe(5)
    expect(latest?.content).toEqual({ ...content(5), savepoint: false })
  })

  it('skips a torn or corrupt newest checkpoint with a log line and uses the one before', async () => {
    // The newest file is cut short (a crash mid-write without the atomic rename), the next has a flipped byte: both are skipped, each logged.
    const dir = freshDir()
    const lines: string[] = []
    const store = await CheckpointStore.open({ dir, retain: 5, log: (line) => lines.push(line) })
    for (let id = 1; id <= 3; id++) await store.write(checkpoint(id))
    const newest = store.fileOf(3)
    truncateSync(newest, readFileSync(newest).length - 7)
    const middle = store.fileOf(2)
    const rotten = readFileSync(middle)
    rotten[rotten.length - 5] ^= 0x40
    writeFileSync(middle, rotten)
    expect((await store.latest())?.content.id).toBe(1)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/ignoring checkpoint checkpoint-000000000003\.ckpt .*torn/)
    expect(lines[1]).toMatch(/ignoring checkpoint checkpoint-000000000002\.ckpt .*corrupt/)
  })

  it('has no checkpoint when the directory holds none that reads back', async () => {
    const dir = freshDir()
    const store = await CheckpointStore.open({ dir, log: () => {} })
    expect(await store.latest()).toBeUndefined()
    writeFileSync(store.fileOf(9), 'garbage')
    expect(await store.latest()).toBeUndefined()
  })

  it('removes a temp file a crash left behind, and never deletes savepoints', async () => {
    // A leftover `.tmp-` file of an older checkpoint goes at the next write; a savepoint in the same directory survives retention.
    const dir = freshDir()
    const store = await CheckpointStore.open({ dir, retain: 1 })
    await store.write(checkpoint(1))
    writeFileSync(join(dir, 'checkpoint-000000000002.ckpt.tmp-123-0'), 'half written')
    const savepointFile = await writeSavepoint(`${dir}/`, checkpoint(2))
    expect(savepointFile).toBe(join(dir, 'savepoint-000000000002.ckpt'))
    await store.write(checkpoint(3))
    await store.write(checkpoint(4))
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-000000000004.ckpt', 'savepoint-000000000002.ckpt'])
    expect((await readCheckpointFile(savepointFile)).content.id).toBe(2)
  })

  it('refuses bad options and unreadable files with errors naming them', async () => {
    await expect(CheckpointStore.open({ dir: '' })).rejects.toThrow(/checkpoints\.dir: must be a directory path/)
    await expect(CheckpointStore.open({ dir: freshDir(), retain: 0 })).rejects.toThrow(/checkpoints\.retain: must be an integer >= 1, got 0/)
    await expect(readCheckpointFile(join(root, 'missing.ckpt'))).rejects.toThrow(/cannot read checkpoint file .*missing\.ckpt/)
    const bad = join(root, 'bad.ckpt')
    writeFileSync(bad, 'EDDYCKP2\x00')
    await expect(readCheckpointFile(bad)).rejects.toThrow(/bad\.ckpt: checkpoint is torn/)
  })
})
