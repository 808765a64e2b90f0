// Nexmark q0, q1, q2, q5, q7, q8 on eddy at parallelism 1 (inline: one
// thread, like the peers) and 2 (two worker threads), each beside two peers
// measured in the same run on the same generated stream: the hand-written
// plain-TypeScript baseline and the same query in RxJS. Every implementation
// consumes the generator itself (generation is part of every figure, as it is
// in Nexmark) and every eddy run's digest is checked against the baseline's.
// Also printed: eddy's events/s per core beside Apache Flink 1.13's published
// per-core figures (nexmark project, 8 × 16-core cluster runs).
//
// Events: NEXMARK_EVENTS (default 3,000,000) at 10,000 events/s of event time.
// Each query first runs every implementation NEXMARK_WARMUP times untimed
// (default 2: JIT tiers and heap sizes settle, as in a JMH warm-up; a worker
// thread's first runs of a query are up to 2× slower than its later ones),
// then NEXMARK_ROUNDS timed rounds (default 5), interleaved; the median is
// reported. Worker threads are kept between jobs, as in a long-lived process.
import { median, rateRow, type BenchRow } from '../lib.js'
import { runJob } from '../../src/index.js'
import { NexmarkGenerator } from '../../src/stream/sources/nexmark.js'
import { addHash, baselineQueries, type NexmarkQuery, type QueryResult } from '../nexmark/baseline.js'
import { rxjsQueries } from '../nexmark/rxjs.js'
import job, { type Digest } from '../nexmark/eddy-jobs.js'

const EVENTS = Number(process.env.NEXMARK_EVENTS ?? 3_000_000)
const WARMUP = Number(process.env.NEXMARK_WARMUP ?? 2)
const ROUNDS = Number(process.env.NEXMARK_ROUNDS ?? 5)
const QUERIES: NexmarkQuery[] = (process.env.NEXMARK_QUERIES?.split(',') as NexmarkQuery[] | undefined) ?? ['q0', 'q1', 'q2', 'q5', 'q7', 'q8']
/** Flink 1.13 events/s per core (nexmark project README). */
const FLINK_PER_CORE: Record<NexmarkQuery, number> = { q0: 155_000, q1: 158_000, q2: 175_000, q5: 22_100, q7: 12_300, q8: 146_000 }
const TARGETS: Partial<Record<NexmarkQuery, { baseline: string; rxjs?: string }>> = {
  q0: { baseline: '>= 1.0x' },
  q1: { baseline: '>= 1.0x' },
  q2: { baseline: '>= 1.0x' },
  q5: { baseline: '>= 1.5x', rxjs: '>= 3x' },
  q7: { baseline: '>= 1.5x', rxjs: '>= 3x' },
}

function peerRate(run: (source: NexmarkGenerator) => QueryResult): { rate: number; result: QueryResult } {
  const generator = new NexmarkGenerator({ events: EVENTS })
  const started = performance.now()
  const result = run(generator)
  return { rate: EVENTS / ((performance.now() - started) / 1000), result }
}

async function eddyRate(query: NexmarkQuery, parallelism: number): Promise<{ rate: number; digest: Digest }> {
  const result = await runJob(job, { params: { query, events: EVENTS }, parallelism, executor: parallelism === 1 ? 'inline' : 'workers' })
  const parts = (result.collected.get('digest') ?? []) as Digest[]
  const digest = parts.reduce((a, b) => ({ count: a.count + b.count, checksum: addHash(a.checksum, b.checksum) }), { count: 0, checksum: 0 })
  return { rate: EVENTS / (result.runMs / 1000), digest }
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  for (const query of QUERIES) {
    const baseline: number[] = []
    const rxjs: number[] = []
    const p1: number[] = []
    const p2: number[] = []
    let expected: QueryResult | undefined
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      // Warm-up rounds are checked like the others and not kept.
      const keep = round >= WARMUP
      const b = peerRate(baselineQueries[query])
      if (keep) baseline.push(b.rate)
      expected = b.result
      const r = peerRate(rxjsQueries[query])
      if (r.result.count !== b.result.count || r.result.checksum !== b.result.checksum) throw new Error(`${query}: the RxJS output differs from the baseline (count ${r.result.count} vs ${b.result.count})`)
      if (keep) rxjs.push(r.rate)
      for (const [parallelism, rates] of [[1, p1], [2, p2]] as const) {
        const e = await eddyRate(query, parallelism)
        if (e.digest.count !== b.result.count || e.digest.checksum !== b.result.checksum) {
          throw new Error(`${query} p${parallelism}: eddy output differs from the baseline (count ${e.digest.count} vs ${b.result.count}, checksum ${e.digest.checksum} vs ${b.result.checksum})`)
        }
        if (keep) rates.push(e.rate)
      }
    }
    const [mb, mr, m1, m2] = [median(baseline), median(rxjs), median(p1), median(p2)]
    console.error(`${query}: baseline ${Math.round(mb)}/s, rxjs ${Math.round(mr)}/s, eddy p1 ${Math.round(m1)}/s, p2 ${Math.round(m2)}/s (outputs ${expected?.count})`)
    rows.push(rateRow(`${query} p2 vs plain TS`, 'events/s', m2, mb, 'plain TypeScript', TARGETS[query]?.baseline))
    rows.push(rateRow(`${query} p2 vs RxJS`, 'events/s', m2, mr, 'RxJS', TARGETS[query]?.rxjs))
    rows.push(rateRow(`${query} p1 vs plain TS`, 'events/s', m1, mb, 'plain TypeScript'))
    if (query === 'q5') rows.push(rateRow('q5 p2 vs p1', 'events/s', m2, m1, 'eddy p1', '>= 1.5x'))
    rows.push(rateRow(`${query} per core vs Flink 1.13`, 'events/s/core', m2 / 2, FLINK_PER_CORE[query], 'Flink 1.13 (published)'))
  }
  return rows
}
