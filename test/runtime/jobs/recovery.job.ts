// A job for recovery tests: keyed tumbling windows (Wasm panes) and a keyed
// process function with state over a rate-limited generator, into a
// two-phase-commit sink whose "database" is a ledger in this module (the
// sink runs in the coordinator, so the ledger outlives every attempt and
// every worker). A map can kill its worker thread or throw, once (a marker
// file remembers it happened) or every time.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isMainThread } from 'node:worker_threads'
import { defineJob, sinks, sources, type SinkSpec } from '../../../src/index.js'
import { sensorPipeline } from './checkpointed.job.js'

/** What a transactional database holds: committed transactions, and prepared ones not yet committed. */
export interface Ledger {
  committed: { txn: number; rows: unknown[] }[]
  prepared: Map<number, unknown[]>
  /** Simulates a crash of the process: nothing more gets committed (commit and close do nothing). */
  crashed: boolean
  /** Makes prepare fail this many more times (a failed checkpoint). */
  failPrepares: number
  /** Makes prepare never settle this many more times (a stuck checkpoint). */
  hangPrepares: number
  recovers: { checkpointId: number; txn: number | undefined }[]
}

export const ledgers = new Map<string, Ledger>()

export function ledgerOf(name: string): Ledger {
  let ledger = ledgers.get(name)
  if (ledger === undefined) ledgers.set(name, (ledger = { committed: [], prepared: new Map(), crashed: false, failPrepares: 0, hangPrepares: 0, recovers: [] }))
  return ledger
}

export function committedRows(ledger: Ledger): unknown[] {
  return ledger.committed.flatMap((c) => c.rows)
}

/** Both sinks' committed rows of a run named `name`, as sorted JSON lines (a multiset: a duplicate shows). */
export function committedOutput(name: string): string[] {
  return ['windows', 'running'].flatMap((part) => committedRows(ledgerOf(`${name}/${part}`)).map((r) => `${part} ${JSON.stringify(r)}`)).sort()
}

export function ledgersOf(name: string): Ledger[] {
  return [ledgerOf(`${name}/windows`), ledgerOf(`${name}/running`)]
}

const encodeTxn = (txn: number) => new TextEncoder().encode(JSON.stringify({ txn }))
const decodeTxn = (bytes: Uint8Array) => (JSON.parse(new TextDecoder().decode(bytes)) as { txn: number }).txn

/**
 * Two-phase commit over the ledger: writes go to an open transaction;
 * prepare(id) closes it as transaction `id`; commit(id) makes every prepared
 * transaction up to `id` visible (a failed checkpoint's prepared one rides
 * along with the next); recover finishes the stored one and discards newer.
 */
export function twoPhaseSink(name: string): SinkSpec<unknown> {
  return {
    kind: 'test-two-phase',
    name: `sink(two-phase ${name})`,
    runsIn: 'coordinator',
    open() {
      const ledger = ledgerOf(name)
      let open: unknown[] = []
      const commitUpTo = (txn: number) => {
        for (const id of [...ledger.prepared.keys()].sort((a, b) => a - b)) {
          if (id > txn) break
          ledger.committed.push({ txn: id, rows: ledger.prepared.get(id)! })
          ledger.prepared.delete(id)
        }
      }
      return {
        write(batch) {
          open.push(...batch.values)
        },
        prepare(checkpointId) {
          if (ledger.hangPrepares > 0) {
            ledger.hangPrepares--
            return new Promise<Uint8Array>(() => {})
          }
          if (ledger.failPrepares > 0) {
            ledger.failPrepares--
            throw new Error('prepare failed (test)')
          }
          ledger.prepared.set(checkpointId, open)
          open = []
          return encodeTxn(checkpointId)
        },
        commit(_checkpointId, prepared) {
          if (!ledger.crashed) commitUpTo(decodeTxn(prepared))
        },
        recover(checkpointId, prepared) {
          const txn = prepared === undefined ? undefined : decodeTxn(prepared)
          ledger.recovers.push({ checkpointId, txn })
          if (txn !== undefined) commitUpTo(txn)
          ledger.prepared.clear()
        },
        close() {
          if (ledger.crashed) return
          ledger.prepared.set(Number.MAX_SAFE_INTEGER, open)
          open = []
          commitUpTo(Number.MAX_SAFE_INTEGER)
        },
      }
    },
  }
}

/**
 * A task-run two-phase sink whose "database" is a directory, so it works from
 * any worker thread: prepare(id) writes the open rows to `prepared-<id>-<writer>.json`
 * and returns the names of all this writer's prepared, uncommitted files;
 * commit renames them to `committed-…`; recover commits the files it is given
 * (if still there) and deletes prepared files of checkpoints after `id`.
 */
export function taskTwoPhaseSink(dir: string, part: string): SinkSpec<unknown> {
  return {
    kind: 'test-task-two-phase',
    name: `sink(task two-phase ${part})`,
    runsIn: 'task',
    open() {
      mkdirSync(dir, { recursive: true })
      const writer = `${part}-${Math.random().toString(36).slice(2)}`
      let open: unknown[] = []
      let pending: string[] = []
      const commitFiles = (files: string[]) => {
        for (const file of files) if (existsSync(join(dir, file))) renameSync(join(dir, file), join(dir, file.replace(/^prepared-/, 'committed-')))
      }
      return {
        write(batch) {
          open.push(...batch.values)
        },
        prepare(checkpointId) {
          const file = `prepared-${checkpointId}-${writer}.json`
          writeFileSync(join(dir, file), JSON.stringify(open.map((row) => [part, row])))
          open = []
          pending.push(file)
          return new TextEncoder().encode(JSON.stringify(pending))
        },
        commit(_checkpointId, prepared) {
          const files = JSON.parse(new TextDecoder().decode(prepared)) as string[]
          commitFiles(files)
          pending = pending.filter((f) => !files.includes(f))
        },
        recover(checkpointId, prepared) {
          if (prepared !== undefined) commitFiles(JSON.parse(new TextDecoder().decode(prepared)) as string[])
          for (const file of readdirSync(dir)) {
            const id = /^prepared-(\d+)-/.exec(file)?.[1]
            if (id !== undefined && Number(id) > checkpointId) rmSync(join(dir, file), { force: true })
          }
        },
        close() {
          writeFileSync(join(dir, `committed-final-${writer}.json`), JSON.stringify(open.map((row) => [part, row])))
          commitFiles(pending)
        },
      }
    },
  }
}

/** Rows committed by taskTwoPhaseSink into `dir`, as sorted "part json" lines (the format committedOutput gives). */
export function committedFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('committed-'))
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as [string, unknown][]).map(([part, row]) => `${part} ${JSON.stringify(row)}`))
    .sort()
}

export interface RecoveryParams {
  count: number
  rate: number
  ledger: string
  /** Record index at which the map fails. */
  failAt?: number
  /** 'exit': process.exit in the worker thread; 'throw': an uncaught error from a timer (worker) or a thrown error (inline). */
  failHow?: 'exit' | 'throw'
  /** Fail only while this file does not exist (created when failing): once across attempts. Absent: fail every time. */
  marker?: string
  /** Use sinks.collect('out') instead of the two-phase sink. */
  collect?: boolean
  /** Use the task-run two-phase sink writing into this directory. */
  taskSinkDir?: string
  [key: string]: unknown
}

function failHere(params: RecoveryParams): void {
  if (params.marker !== undefined) {
    if (existsSync(params.marker)) return
    writeFileSync(params.marker, 'failed once')
  }
  if (params.failHow === 'exit' && !isMainThread) process.exit(7)
  if (params.failHow === 'throw' && !isMainThread) {
    setTimeout(() => {
      throw new Error('operator crashed from a timer (test)')
    }, 0)
    return
  }
  throw new Error(`operator failed at record ${params.failAt} (test)`)
}

export default defineJob<RecoveryParams>({
  name: 'recovery',
  module: import.meta.url,
  build(env, params) {
    const readings = env
      .source(sources.generator({ generate: (i) => ({ i, sensor: i % 17, ts: i * 50, value: (i * 7) % 101 }), count: params.count, ratePerSecond: params.rate, timestamp: (r) => r.ts, batchSize: 200, splits: 1 }))
      .map((r) => {
        if (r.i === params.failAt) failHere(params)
        return r
      })
    // Two ledgers, one per sink: each sink is its own transactional database.
    const sink = (part: string): SinkSpec<any> =>
      params.collect ? sinks.collect<any>('out') : params.taskSinkDir !== undefined ? (taskTwoPhaseSink(params.taskSinkDir, part) as SinkSpec<any>) : (twoPhaseSink(`${params.ledger}/${part}`) as SinkSpec<any>)
    sensorPipeline(readings, sink('windows'), sink('running'))
  },
})
