// Proves the exactly-once topic sink's two-phase commit: prepare makes a
// transaction's handle, commit makes it visible, and recover — in a fresh
// writer, as after a SIGKILL — commits the prepared transaction the crash left
// open (once, however often it is retried) and aborts everything written after
// it; records written between prepare and commit never slip into the prepared
// transaction; the dead writer is fenced. A runJob under guarantee
// 'exactly-once' writes every record once through it.
import { afterEach, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Eddy } from '../../src/eddy.js'
import { sinks, type SinkWriter } from '../../src/stream/sinks/index.js'
import { defineJob, runJob, sources } from '../../src/index.js'
import { readTopicValues } from '../read-topic.js'

const open: Eddy[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()))
})

async function newEddy(): Promise<Eddy> {
  const eddy = await Eddy.open({ transactions: { abortCheckIntervalMs: 0 } })
  open.push(eddy)
  return eddy
}

/** Opens the sink as the runtime does for an exactly-once job. */
async function openWriter(eddy: Eddy, topic = 'out'): Promise<SinkWriter<string>> {
  return sinks.topic<string>(topic, { format: 'string' }).open({ eddy, collected: new Map(), guarantee: 'exactly-once' })
}

const batch = (...values: string[]) => ({ values, timestamps: values.map(() => 1_000) })

function committedValues(eddy: Eddy, topic = 'out', isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): Promise<string[]> {
  return readTopicValues(eddy, topic, { isolation, partitions: [0] })
}

describe('exactly-once topic sink', () => {
  it('commits a prepared transaction in recover after a crash, once, and aborts what came after it', async () => {
    // Checkpoint 1 commits normally; checkpoint 2 is prepared and stored, then the writer dies before commit and after writing more.
    const eddy = await newEddy()
    const first = await openWriter(eddy)
    await first.write(batch('a1', 'a2'))
    const prepared1 = await first.prepare!(1)
    await first.commit!(1, prepared1)
    expect(await committedValues(eddy)).toEqual(['a1', 'a2'])
    await first.write(batch('b1'))
    const prepared2 = await first.prepare!(2)
    await first.commit!(2, prepared2) // commit is idempotent per handle: a second call changes nothing
    await first.write(batch('c1'))
    const prepared3 = await first.prepare!(3)
    await first.write(batch('after-3'))
    // Crash: `first` is dropped without close.

    const second = await openWriter(eddy)
    await second.recover!(3, prepared3)
    expect(await committedValues(eddy)).toEqual(['a1', 'a2', 'b1', 'c1'])
    // A restart that fails again and recovers from the same checkpoint commits nothing twice.
    const third = await openWriter(eddy)
    await third.recover!(3, prepared3)
    await third.write(batch('d1'))
    await third.commit!(4, await third.prepare!(4))
    expect(await committedValues(eddy)).toEqual(['a1', 'a2', 'b1', 'c1', 'd1'])
    // The dead writers are fenced.
    await expect(first.commit!(3, prepared3)).rejects.toThrow(/fenced/)
    await expect(second.write(batch('zombie'))).rejects.toThrow(/fenced/)
    expect(await committedValues(eddy)).toEqual(['a1', 'a2', 'b1', 'c1', 'd1'])
  })

  it('aborts on recover a transaction prepared for a checkpoint that never became durable', async () => {
    // Checkpoint 2 was prepared but not stored: the job restores checkpoint 1, whose transaction already committed.
    const eddy = await newEddy()
    const first = await openWriter(eddy)
    await first.write(batch('kept'))
    const prepared1 = await first.prepare!(1)
    await first.commit!(1, prepared1)
    await first.write(batch('lost'))
    await first.prepare!(2)

    const second = await openWriter(eddy)
    await second.recover!(1, prepared1)
    await second.write(batch('replayed'))
    await second.close!()
    expect(await committedValues(eddy)).toEqual(['kept', 'replayed'])
  })

  it('holds records written between prepare and commit out of the prepared transaction', async () => {
    // Output after the checkpoint barrier must not be committed with that checkpoint.
    const eddy = await newEddy()
    const writer = await openWriter(eddy)
    await writer.write(batch('before'))
    const prepared = await writer.prepare!(1)
    await writer.write(batch('between'))
    const recovered = await openWriter(eddy)
    await recovered.recover!(1, prepared)
    expect(await committedValues(eddy)).toEqual(['before'])

    // Without a crash the held records go into the next transaction.
    const live = await openWriter(eddy, 'live')
    await live.write(batch('x'))
    const p1 = await live.prepare!(1)
    await live.write(batch('y'))
    await live.commit!(1, p1)
    expect(await committedValues(eddy, 'live')).toEqual(['x'])
    await live.commit!(2, await live.prepare!(2))
    expect(await committedValues(eddy, 'live')).toEqual(['x', 'y'])
  })

  it('refuses prepared bytes of another transactional id or an unknown version', async () => {
    const eddy = await newEddy()
    const writer = await openWriter(eddy)
    const foreign = new TextEncoder().encode(JSON.stringify({ v: 1, transactionalId: 'someone-else', producerId: 1, producerEpoch: 0, sequence: 1 }))
    await expect(writer.recover!(1, foreign)).rejects.toThrow(/does not belong to transactional id "eddy-sink:out"/)
    const future = new TextEncoder().encode(JSON.stringify({ v: 9 }))
    await expect(writer.recover!(1, future)).rejects.toThrow(/format version 9/)
  })

  it('runJob with guarantee exactly-once writes each record once, in transactions per checkpoint', async () => {
    const eddy = await newEddy()
    const count = 3_000
    const job = defineJob<{ count: number }>({
      name: 'eo-topic',
      build(env, params) {
        env
          .source(sources.generator({ generate: (i) => ({ id: i, ts: i }), count: params.count, ratePerSecond: 30_000, timestamp: (r) => r.ts, batchSize: 100, splits: 1 }))
          .map((r) => String(r.id))
          .sink(sinks.topic<string>('eo-out', { format: 'string' }))
      },
    })
    const result = await runJob(job, { eddy, params: { count }, guarantee: 'exactly-once', checkpointIntervalMs: 20, executor: 'inline' })
    expect(result.metrics.checkpoints.filter((c) => c.status === 'completed').length).toBeGreaterThan(1)
    const values = await committedValues(eddy, 'eo-out')
    expect(values.length).toBe(count)
    expect(new Set(values).size).toBe(count)
    expect(eddy.broker.transactions.describe('eddy-sink:eo-topic:eo-out')!.sequence).toBeGreaterThan(1)

    // A bounded job reading the output ends although the log ends in a commit marker, and with a transaction
    // left open (its records are past the last stable offset, the bound) it reads exactly the committed records.
    const open = eddy.producer({ transactionalId: 'left-open' })
    await open.initTransactions()
    open.beginTransaction()
    await open.send('eo-out', { value: 'uncommitted' })
    const reader = defineJob({
      name: 'eo-read',
      build(env) {
        env.source(sources.topic<string>('eo-out', { format: 'string', bounded: true, timestamp: () => 0 })).sink(sinks.collect('read'))
      },
    })
    const read = await runJob(reader, { eddy, executor: 'inline' })
    expect((read.collected.get('read') as string[]).sort()).toEqual([...values].sort())
    await open.abortTransaction()
  })
})

describe('exactly-once topic sink, two jobs', () => {
  it('two jobs writing one topic exactly-once at the same time get their own transactional ids and do not fence each other', async () => {
    const eddy = await newEddy()
    const writer = (name: string, offset: number) =>
      defineJob<{ count: number }>({
        name,
        build(env, params) {
          env
            .source(sources.generator({ generate: (i) => ({ id: offset + i, ts: i }), count: params.count, ratePerSecond: 20_000, timestamp: (r) => r.ts, batchSize: 100, splits: 1 }))
            .map((r) => String(r.id))
            .sink(sinks.topic<string>('shared-out', { format: 'string' }))
        },
      })
    const run = (name: string, offset: number) => runJob(writer(name, offset), { eddy, params: { count: 1_000 }, guarantee: 'exactly-once', checkpointIntervalMs: 20, executor: 'inline' })
    await Promise.all([run('writer-a', 0), run('writer-b', 1_000_000)])
    const values = await committedValues(eddy, 'shared-out')
    expect(values.length).toBe(2_000)
    expect(new Set(values).size).toBe(2_000)
    expect(eddy.broker.transactions.describe('eddy-sink:writer-a:shared-out')).toBeDefined()
    expect(eddy.broker.transactions.describe('eddy-sink:writer-b:shared-out')).toBeDefined()
  }, 30_000)
})

describe('exactly-once topic sink across SIGKILL', () => {
  it('a new process commits the transaction a killed one prepared, and aborts what a killed one wrote after it', async () => {
    // Process 1 prepares checkpoint 2 and is killed before commit; this process recovers it (committed).
    // Process 2 recovers the same checkpoint, writes more and is killed; recovering again aborts that and repeats nothing.
    const dir = mkdtempSync(join(tmpdir(), 'eddy-sink-kill-'))
    try {
      const prepared = await runChildUntil(dir, 'prepare', 'prepared')
      const recovering = await Eddy.open({ dataDir: dir, transactions: { abortCheckIntervalMs: 0 } })
      try {
        const writer = await openWriter(recovering)
        await writer.recover!(2, new Uint8Array(Buffer.from(prepared.bytes as string, 'base64')))
        expect(await committedValues(recovering)).toEqual(['a1', 'a2', 'b1'])
      } finally {
        await recovering.broker.close()
      }
      await runChildUntil(dir, 'write-more', 'written', prepared.bytes as string)
      const last = await Eddy.open({ dataDir: dir, transactions: { abortCheckIntervalMs: 0 } })
      try {
        const writer = await openWriter(last)
        await writer.recover!(2, new Uint8Array(Buffer.from(prepared.bytes as string, 'base64')))
        expect(await committedValues(last)).toEqual(['a1', 'a2', 'b1'])
        // The killed process's later write reached the log, aborted: nothing is left open.
        expect(await committedValues(last, 'out', 'read_uncommitted')).toContain('after-checkpoint')
        expect(last.broker.lastStableOffset('out', 0)).toBe((await last.admin.listOffsets('out'))[0].offset)
      } finally {
        await last.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 30_000)
})


/** Runs the child fixture until it prints `step`, then kills it with SIGKILL; returns that line. */
function runChildUntil(dir: string, mode: string, step: string, prepared?: string): Promise<Record<string, unknown>> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'topic-sink-child.ts')
  return new Promise((resolve, reject) => {
    // `node --import tsx`, not the tsx CLI: the CLI is a wrapper process, and SIGKILL would leave the real child running.
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, mode, ...(prepared ? [prepared] : [])], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child ${mode} did not reach ${step}\n${out}\n${err}`))
    }, 20_000)
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const line = out.split('\n').find((l) => l.includes(`"step":"${step}"`))
      if (line === undefined) return
      clearTimeout(timer)
      child.once('exit', () => resolve(JSON.parse(line) as Record<string, unknown>))
      child.kill('SIGKILL')
    })
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        clearTimeout(timer)
        reject(new Error(`child ${mode} exited (${code}) before ${step}\n${out}\n${err}`))
      }
    })
  })
}
