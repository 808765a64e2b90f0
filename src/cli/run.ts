// `eddy run job.ts`: runs a stream job module against the embedded data
// directory, printing progress per operator, until its sources end or Ctrl-C.
import { existsSync, mkdirSync } from 'node:fs'
import { Eddy } from '../eddy.js'
import { startJob } from '../runtime/run-job.js'
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
    const dataDir = args.string('data-dir') ?? process.env.EDDY_DATA_DIR ?? DEFAULT_DATA_DIR
    mkdirSync(dataDir, { recursive: true })
    const release = lockDataDir(dataDir)
    const eddy = await Eddy.open({ dataDir })
    try {
      const handle = await startJob(module, { parallelism, executor, params, eddy })
      const stop = () => {
        process.stderr.write('eddy run: stopping…\n')
        void handle.cancel()
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

export async function run(argv: string[]): Promise<number> {
  return runCommand(definition, argv)
}
