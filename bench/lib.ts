// Shared bench plumbing: every figure is printed beside a peer or the machine's
// own limit measured in the same run, as a ratio, and recorded as JSON in
// bench/results/<suite>.json and as a table in bench/RESULTS.md.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Bench } from 'tinybench'

export interface BenchRow {
  case: string
  unit: string
  ours: number
  peer: number
  peerName: string
  /** ours / peer for rates (higher is better); peer / ours for costs (lower is better), so > 1 always means we win. */
  ratio: number
  /** The target from the issue, if any, e.g. ">= 5x". */
  target?: string
}

const benchDir = dirname(fileURLToPath(import.meta.url))

/** Median ops/s of a function, measured by tinybench with a time budget. */
export async function opsPerSecond(tasks: Record<string, () => unknown>, timeMs = 700): Promise<Record<string, number>> {
  const bench = new Bench({ time: timeMs, warmupTime: 150 })
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn)
  await bench.run()
  const out: Record<string, number> = {}
  for (const task of bench.tasks) {
    const result = task.result as unknown as { throughput?: { p50?: number; mean?: number }; hz?: number } | undefined
    const median = result?.throughput?.p50 ?? result?.throughput?.mean ?? result?.hz
    if (median === undefined || !Number.isFinite(median)) throw new Error(`bench task ${task.name} produced no result`)
    out[task.name] = median
  }
  return out
}

/** The middle value; of an even count, the upper of the two middle ones. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

export function rateRow(caseName: string, unit: string, ours: number, peer: number, peerName: string, target?: string): BenchRow {
  return { case: caseName, unit, ours, peer, peerName, ratio: ours / peer, target }
}

export function printRows(suite: string, rows: BenchRow[]): void {
  console.log(`\n${suite}`)
  console.table(
    rows.map((r) => ({
      case: r.case,
      unit: r.unit,
      ours: formatNumber(r.ours),
      peer: `${formatNumber(r.peer)} (${r.peerName})`,
      ratio: `${r.ratio.toFixed(2)}x`,
      target: r.target ?? '',
    })),
  )
}

export function formatNumber(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return n.toFixed(2)
}

/** Writes bench/results/<suite>.json and replaces the suite's section of bench/RESULTS.md. */
export function recordResults(suite: string, rows: BenchRow[], command: string): void {
  mkdirSync(join(benchDir, 'results'), { recursive: true })
  writeFileSync(join(benchDir, 'results', `${suite}.json`), JSON.stringify(rows, null, 2) + '\n')
  const resultsPath = join(benchDir, 'RESULTS.md')
  const existing = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n\nMedians from tinybench on this 2-core shared machine; ratio > 1 means eddy is ahead of the peer.\n'
  const start = `<!-- suite:${suite} -->`
  const end = `<!-- /suite:${suite} -->`
  const table = [
    start,
    `## ${suite}`,
    '',
    `Command: \`${command}\` — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}`,
    '',
    '| case | unit | eddy | peer | ratio | target |',
    '|---|---|---:|---|---:|---|',
    ...rows.map((r) => `| ${r.case} | ${r.unit} | ${formatNumber(r.ours)} | ${formatNumber(r.peer)} (${r.peerName}) | ${r.ratio.toFixed(2)}× | ${r.target ?? ''} |`),
    end,
  ].join('\n')
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`)
  const next = pattern.test(existing) ? existing.replace(pattern, table) : `${existing.trimEnd()}\n\n${table}\n`
  writeFileSync(resultsPath, next)
}

/** Deterministic bytes (xorshift32), so every run and every peer hashes identical inputs. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
