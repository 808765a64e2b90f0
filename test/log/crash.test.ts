// The crash test: a child process appends with flush policy `always` and is
// killed with SIGKILL at a random moment, again and again (20 times, or 200 with
// EDDY_LONG_TESTS=1); after each kill the log is reopened and checked: every
// acknowledged append is present exactly once and in order, no damaged batch is
// served, and the indexes find every batch.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { readBatchHeader } from '../../src/log/batch-header.js'
import { logConfigFrom } from '../../src/log/log-config.js'
import { PartitionLog } from '../../src/log/partition-log.js'
import { decodeRecordBatch } from '../../src/log/record-batch.js'
import { NodeFsStorage } from '../../src/log/storage/node-fs.js'

const LONG = process.env.EDDY_LONG_TESTS === '1'
const KILLS = LONG ? 200 : 20
const KILL_DELAY_MS_MAX = 250
const here = dirname(fileURLToPath(import.meta.url))
const writer = join(here, 'fixtures', 'crash-writer.ts')

interface Ack {
  baseOffset: number
  lastOffset: number
  crc: number
  id: string
}

/** Runs the writer until it has started appending, kills it after a random delay, and returns its acknowledgements. */
function runAndKill(dir: string, runId: string, seed: number, delayMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, runId, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let timer: ReturnType<typeof setTimeout> | undefined
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      if (timer === undefined && out.includes('ready')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs)
    })
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`crash writer exited on its own (${signal ?? _code}): ${err}`))
      // Only whole lines count: the last one may have been cut by the kill.
      const lines = out.split('\n').slice(0, -1)
      resolve(
        lines
          .filter((l) => l.startsWith('ack '))
          .map((l) => {
            const [, base, last, crc, id] = l.split(' ')
            return { baseOffset: Number(base), lastOffset: Number(last), crc: Number(crc), id }
          }),
      )
    })
  })
}

describe('crash test (kill -9 during appends, flush policy always)', () => {
  const root = mkdtempSync(join(tmpdir(), 'eddy-crash-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it(
    `keeps every acknowledged append exactly once, in order, across ${KILLS} kills`,
    async () => {
      // Proves no acknowledged append is lost or duplicated and no damage is served, whatever moment the process dies.
      const dir = join(root, 'crash-0')
      const acknowledged: Ack[] = []
      let seed = 12345
      const random = () => ((seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff)
      let truncations = 0
      for (let kill = 0; kill < KILLS; kill++) {
        const acks = await runAndKill(dir, `r${kill}`, 1 + Math.floor(random() * 1e9), Math.floor(random() * KILL_DELAY_MS_MAX))
        // Acknowledgements come in offset order, continuing where the last run left off.
        for (let i = 1; i < acks.length; i++) expect(acks[i].baseOffset).toBe(acks[i - 1].lastOffset + 1)
        if (acknowledged.length > 0 && acks.length > 0) expect(acks[0].baseOffset).toBeGreaterThan(acknowledged.at(-1)!.lastOffset)
        acknowledged.push(...acks)

        const log = await PartitionLog.open({
          storage: new NodeFsStorage(),
          dir,
          topic: 'crash',
          partition: 0,
          config: logConfigFrom({ 'flush.policy': 'always', 'segment.bytes': 256 * 1024, 'index.interval.bytes': 1024 }),
          background: false,
        })
        try {
          expect(log.recoveryReport.cleanShutdown).toBe(false)
          expect(log.recoveryReport.corruptRanges).toEqual([])
          truncations += log.recoveryReport.truncations.length
          // Read everything: each batch must pass its CRC (read and decode both check) and continue the offsets.
          const batches = new Map<number, { lastOffset: number; crc: number; id: string }>()
          const ids = new Set<string>()
          let offset = log.logStartOffset
          let expectedBase = offset
          while (offset < log.highWatermark) {
            const result = await log.read(offset, 1 << 20)
            let at = 0
            while (at < result.batches.length) {
              const header = readBatchHeader(result.batches, at)
              const size = header.batchLength + 12
              const decoded = decodeRecordBatch(result.batches.subarray(at, at + size))
              expect(header.baseOffset).toBe(expectedBase)
              const id = new TextDecoder().decode(decoded.key(0)!)
              expect(ids.has(id)).toBe(false)
              ids.add(id)
              batches.set(header.baseOffset, { lastOffset: header.baseOffset + header.lastOffsetDelta, crc: header.crc, id })
              expectedBase = header.baseOffset + header.lastOffsetDelta + 1
              at += size
            }
            offset = result.nextOffset
          }
          expect(expectedBase).toBe(log.logEndOffset)
          for (const ack of acknowledged) expect(batches.get(ack.baseOffset)).toEqual({ lastOffset: ack.lastOffset, crc: ack.crc, id: ack.id })
          // The indexes find every batch of this run, and a sample of older ones, by first and last offset.
          const bases = [...batches.keys()]
          const sample = [...acks.map((a) => a.baseOffset), ...Array.from({ length: 50 }, () => bases[Math.floor(random() * bases.length)])]
          for (const base of sample) {
            const { lastOffset } = batches.get(base)!
            for (const probe of [base, lastOffset]) expect((await log.read(probe, 1)).offsetFirst).toBe(base)
          }
        } finally {
          await log.close()
        }
      }
      expect(acknowledged.length).toBeGreaterThan(KILLS)
      console.log(`crash test: ${KILLS} kills, ${acknowledged.length} acknowledged appends checked, ${truncations} torn tails truncated`)
    },
    LONG ? 3_600_000 : 120_000,
  )
})
