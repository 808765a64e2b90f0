// Worker threads for the worker executor: each task runs on a single-thread
// Piscina pool of its own, so a task — and the key groups it owns — stays on
// its thread for the life of the job. Threads live for one job: keeping them
// warm for the next one made q5 p2 faster, but test/runtime/executors.test.ts
// then failed ~1 run in 4 (p4 on warm threads took a few late records as on
// time), a timing race that faster threads expose; find it before retrying.
import { Piscina } from 'piscina'

const WORKER_FILE = new URL('../../workers/job-worker.mjs', import.meta.url)
/**
 * A task allocates a batch's worth of short-lived records at a time: a young
 * generation of twice V8's default cap scavenges half as often (q5 at
 * parallelism 2: ~7% less CPU). A cap, not a reservation: V8 grows the young
 * generation towards it only under allocation pressure.
 */
const YOUNG_GENERATION_MB = 96

/** `count` single-thread pools, one per task of a job. */
export function startThreads(count: number): Piscina[] {
  return Array.from({ length: count }, () => new Piscina({ filename: WORKER_FILE.href, minThreads: 1, maxThreads: 1, idleTimeout: 1000, concurrentTasksPerWorker: 1, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } }))
}

/** Ends a job's threads. */
export async function stopThreads(pools: Piscina[]): Promise<void> {
  await Promise.all(pools.map((pool) => pool.destroy()))
}
