// Worker threads for the worker executor, kept between jobs. Each task runs on
// a single-thread Piscina pool of its own (so a task — and the key groups it
// owns — stays on its thread). Starting a thread costs ~0.5-1 s of CPU (tsx
// compiles the runtime and the job in it) and its code starts cold in the
// JIT; a thread a job finished with cleanly is kept for a minute, so the
// next job in this process (a restart, the next of a series) starts on warm
// threads. A thread a failed job used is never kept: it may still be busy.
import { Piscina } from 'piscina'

const WORKER_FILE = new URL('../../workers/job-worker.mjs', import.meta.url)
/**
 * How long a thread no job uses is kept for the next one (ms): a minute, as
 * Java's cached thread pool keeps its idle threads. At 5 s, a series of jobs
 * with a few seconds of other work between them (the Nexmark bench: q5's RxJS
 * peer runs ~5 s) started cold every time.
 */
const IDLE_THREAD_MS = 60_000
/**
 * A task allocates a batch's worth of short-lived records at a time: a young
 * generation of twice V8's default cap scavenges half as often (q5 at
 * parallelism 2: ~7% less CPU). A cap, not a reservation: V8 grows the young
 * generation towards it only under allocation pressure.
 */
const YOUNG_GENERATION_MB = 96
/** Most idle threads kept. */
const IDLE_THREADS_MAX = 8

interface IdleThread {
  pool: Piscina
  timer: ReturnType<typeof setTimeout>
}

const idle: IdleThread[] = []

function startThread(): Piscina {
  return new Piscina({ filename: WORKER_FILE.href, minThreads: 1, maxThreads: 1, idleTimeout: 1000, concurrentTasksPerWorker: 1, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } })
}

/** `count` single-thread pools for one job's tasks: idle ones first, new ones for the rest. */
export function takeThreads(count: number): Piscina[] {
  const pools: Piscina[] = []
  while (pools.length < count && idle.length > 0) {
    const thread = idle.pop() as IdleThread
    clearTimeout(thread.timer)
    pools.push(thread.pool)
  }
  while (pools.length < count) pools.push(startThread())
  return pools
}

/**
 * Gives a job's pools back when it is over: kept for the next job when every
 * task returned (`clean`), destroyed otherwise or when enough are kept.
 */
export async function releaseThreads(pools: Piscina[], clean: boolean): Promise<void> {
  const destroy: Piscina[] = []
  for (const pool of pools) {
    if (!clean || idle.length >= IDLE_THREADS_MAX) {
      destroy.push(pool)
      continue
    }
    const thread: IdleThread = {
      pool,
      timer: setTimeout(() => {
        const at = idle.indexOf(thread)
        if (at >= 0) idle.splice(at, 1)
        void pool.destroy()
      }, IDLE_THREAD_MS),
    }
    // An idle thread never keeps the process alive (Piscina unrefs idle workers too).
    thread.timer.unref?.()
    idle.push(thread)
  }
  await Promise.all(destroy.map((pool) => pool.destroy()))
}

/** Idle threads kept now (for tests). */
export function idleThreadCount(): number {
  return idle.length
}
