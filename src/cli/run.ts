// `eddy run job.ts`: runs a stream job module against the embedded data
// directory, printing progress per operator, until its sources end or Ctrl-C.
import { existsSync, mkdirSync } from 'node:fs'
import { Eddy } from '../eddy.js'
import { startJob, type RunJobOptions } from '../runtime/run-job.js'
import type { JobMetrics } from '../runtime/metrics.js'
import { runCommand, UsageError, type CommandDefinition } from './args.js'
import { DEFAULT_DATA_DIR, lockDataDir } from './target.js'

const USAGE = `usage: eddy run JOB_MODULE [options]

Runs a stream job: a module whose default export is defineJob({ name, build }).

options:
  --parallelism N          tasks (default 1)
  --executor KIND          inline | workers (default: workers when parallelism > 1)
  --param KEY=VALUE        passed to the job's build function (repeatable; numbers and true/false are parsed)
  --data-dir DIR           the embedded log the job's topics live in (default $EDDY_DATA_DIR, else ${DEFAULT_DATA_DIR})
  --progress-ms MS         how often to print progress to stderr (default 2000; 0 for none)
  --checkpoints DIR        keep checkpoints in DIR (atomic files, newest 3 kept); resume from the newest there on start
  --checkpoint-interval-ms MS  how often to take one (default 1000 with --checkpoints)
  --guarantee G            at-most-once | at-least-once | exactly-once (default at-least-once)
  --restart-attempts N     restart after a failure up to N times from the newest checkpoint (fixed delay)
  --restart-delay-ms MS    wait between a failure and its restart (default 1000)
  --restore FILE           resume from a savepoint or checkpoint file
  --savepoint-on-stop FILE on Ctrl-C / SIGTERM, stop with a savepoint written to FILE (instead of a plain cancel)
  -h, --help               this text

Collected sinks (sinks.collect) are printed as JSON lines to stdout at the end.`

function parseParam(text: string): [string, unknown] {
  const at = text.indexOf('=')
  if (at <= 0) throw new UsageError(`--param takes KEY=VALUE, got "${text}"`)
  const raw = text.slice(at + 1)
  const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw
  return [text.slice(0, at), value]
}

export function formatProgress(metrics: JobMetrics): string {
  const rows = metrics.operators.map((o) => {
    const wm = o.watermark === -Infinity ? '-' : o.watermark === Infinity ? 'end' : new Date(o.watermark).toISOString()
    return `  ${String(o.id).padStart(2)} ${o.name.padEnd(44)} in ${String(o.recordsIn).padStart(10)}  out ${String(o.recordsOut).padStart(10)}  ${Math.round(o.recordsOutPerSec).toString().padStart(9)}/s  wm ${wm}  queue ${o.queueDepth}  state ${o.stateSize}`
  })
  return `job ${metrics.name} (${metrics.status}, ${metrics.executor} ×${metrics.parallelism})\n${rows.join('\n')}\n`
}

const definition: CommandDefinition = {
  name: 'run',
  usage: USAGE,
  positionals: 1,
  options: {
    parallelism: { type: 'string' },
    executor: { type: 'string' },
    param: { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    'progress-ms': { type: 'string' },
    checkpoints: { type: 'string' },
    'checkpoint-interval-ms': { type: 'string' },
    guarantee: { type: 'string' },
    'restart-attempts': { type: 'string' },
    'restart-delay-ms': { type: 'string' },
    restore: { type: 'string' },
    'savepoint-on-stop': { type: 'string' },
  },
  async run(args) {
    const module = args.positionals[0]
    if (module === undefined) throw new UsageError('give the job module to run, e.g. eddy run ./job.ts')
    if (!existsSync(module)) throw new UsageError(`job module ${module} does not exist`)
    const parallelism = args.int('parallelism', { min: 1, max: 1024 }) ?? 1
    const executor = args.string('executor')
    if (executor !== undefined && executor !== 'inline' && executor !== 'workers') throw new UsageError(`--executor must be inline or workers, got "${executor}"`)
    const params = Object.fromEntries(args.list('param').map(parseParam))
    const progressMs = args.int('progress-ms', { min: 0 }) ?? 2000
    const delivery = deliveryOptions(args)
    const savepointOnStop = args.string('savepoint-on-stop')
    const dataDir = args.string('data-dir') ?? process.env.EDDY_DATA_DIR ?? DEFAULT_DATA_DIR
    mkdirSync(dataDir, { recursive: true })
    const release = lockDataDir(dataDir)
    const eddy = await Eddy.open({ dataDir })
    try {
      const handle = await startJob(module, { parallelism, executor, params, eddy, ...delivery })
      const stop = () => {
        if (savepointOnStop === undefined) {
          process.stderr.write('eddy run: stopping…\n')
          void handle.cancel()
          return
        }
        process.stderr.write('eddy run: stopping with a savepoint…\n')
        handle.stopWithSavepoint(savepointOnStop).then(
          (savepoint) => process.stderr.write(`eddy run: savepoint ${savepoint.id} written to ${savepoint.path}\n`),
          (error) => {
            process.stderr.write(`eddy run: the savepoint failed (${(error as Error).message}); cancelling\n`)
            void handle.cancel()
          },
        )
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const timer = progressMs > 0 ? setInterval(() => process.stderr.write(formatProgress(handle.metrics())), progressMs) : undefined
      try {
        const result = await handle.done
        process.stderr.write(formatProgress(result.metrics))
        for (const [name, records] of result.collected) for (const r of records) process.stdout.write(`${JSON.stringify({ sink: name, value: r })}\n`)
      } finally {
        if (timer) clearInterval(timer)
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
      return 0
    } finally {
      await eddy.close()
      release()
    }
  },
}

/** The checkpoint, guarantee, restart and restore flags as runJob options. */
function deliveryOptions(args: Parameters<CommandDefinition['run']>[0]): Partial<RunJobOptions> {
  const options: Partial<RunJobOptions> = {}
  const dir = args.string('checkpoints')
  const intervalMs = args.int('checkpoint-interval-ms', { min: 1 })
  if (dir !== undefined) options.checkpoints = { dir, intervalMs: intervalMs ?? 1000 }
  else if (intervalMs !== undefined) options.checkpointIntervalMs = intervalMs
  const guarantee = args.string('guarantee')
  if (guarantee !== undefined) {
    if (guarantee !== 'at-most-once' && guarantee !== 'at-least-once' && guarantee !== 'exactly-once') throw new UsageError(`--guarantee must be at-most-once, at-least-once or exactly-once, got "${guarantee}"`)
    options.guarantee = guarantee
  }
  const attempts = args.int('restart-attempts', { min: 1 })
  const delayMs = args.int('restart-delay-ms', { min: 0 })
  if (delayMs !== undefined && attempts === undefined) throw new UsageError('--restart-delay-ms needs --restart-attempts')
  if (attempts !== undefined) options.restart = { strategy: 'fixed-delay', attempts, delayMs: delayMs ?? 1000 }
  const restore = args.string('restore')
  if (restore !== undefined) {
    if (!existsSync(restore)) throw new UsageError(`--restore: ${restore} does not exist`)
    options.restore = restore
  }
  return options
}

export async function run(argv: string[]): Promise<number> {
  return runCommand(definition, argv)
}
